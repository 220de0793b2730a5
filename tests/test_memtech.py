"""Memory-technology comparison (docs/definitions.md, "Memory technologies"): every formula on one
hand-worked run, the default table, and the checks on a user's technology file."""

from __future__ import annotations

import csv
import json
import math

import pytest

from conftest import warehouse_fingerprint
from tiny_runs import make_run

from gainsight_db.loaders.technologies import COLUMNS

# Three technologies with round figures: an SRAM, a gain cell retaining 10 ns, and a gain cell whose
# retention and energies are unknown.
TECHS = """technology,cell,retention_s,area_um2_per_bit,read_pj_per_bit,write_pj_per_bit,refresh_pj_per_bit,leakage_pw_per_bit,source
sram,sram,,1.0,2,3,0,5,test
gc,gain_cell,10e-9,0.5,1,1,0.5,1,test
unknown,gain_cell,,0.25,,,,,test
"""
# One layer of 100 cycles. ifmap: addresses 10 and 11 filled at cycle 0; 10 read at 4 and 25
# (lifetime 25, 2 reads), 11 read at 9 (lifetime 9, 1 read). ofmap: address 20 written at 50 and
# drained at 52 (lifetime 2, 1 read). filter: nothing.
TRACES = {"IFMAP_DRAM": "0.0,10.0,11.0\n", "IFMAP_SRAM": "4,10\n9,11\n25,10\n",
          "OFMAP_SRAM": "50,20\n", "OFMAP_DRAM": "52.0,20.0\n"}
PARAMS = ("--clock-hz", "1e9", "--word-bits", "8", "--threshold-s", "5e-9")

# Worked by hand with 1 GHz (a cycle is 1 ns), 8-bit words, runtime 100 ns, threshold 5 ns.
# gc: 9 ns fits 10 ns, 25 ns does not (floor(25/10) = 2 refreshes), 2 ns fits.
EXPECTED = {
    # (buffer, technology): fit %, read-weighted fit %, under-threshold %, refreshes, area um^2, energy J
    ("ifmap", "sram"): (100.0, 100.0, 0.0, 0, 2 * 8 * 1.0, 8 * (3 * 2 + 2 * 3) * 1e-12 + 5e-12 * 2 * 8 * 100e-9),
    ("ifmap", "gc"): (50.0, 100 / 3, 0.0, 2, 2 * 8 * 0.5, 8 * (3 * 1 + 2 * 1 + 2 * 0.5) * 1e-12 + 1e-12 * 2 * 8 * 100e-9),
    ("ifmap", "unknown"): (None, None, 0.0, None, 2 * 8 * 0.25, None),
    ("ofmap", "sram"): (100.0, 100.0, 100.0, 0, 1 * 8 * 1.0, 8 * (1 * 2 + 1 * 3) * 1e-12 + 5e-12 * 1 * 8 * 100e-9),
    ("ofmap", "gc"): (100.0, 100.0, 100.0, 0, 1 * 8 * 0.5, 8 * (1 * 1 + 1 * 1) * 1e-12 + 1e-12 * 1 * 8 * 100e-9),
    ("ofmap", "unknown"): (None, None, 100.0, None, 1 * 8 * 0.25, None),
    ("filter", "sram"): (None, None, None, 0, 0.0, 0.0),
    ("filter", "gc"): (None, None, None, 0, 0.0, 0.0),
    ("filter", "unknown"): (None, None, None, None, 0.0, None),
}


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-30)


@pytest.fixture
def tiny(gsdb, tmp_path):
    run = make_run(tmp_path, [TRACES], total_cycles=100)
    gsdb("ingest", run, "-q")
    (tmp_path / "techs.csv").write_text(TECHS)
    return tmp_path


def test_every_memtech_figure_matches_the_hand_worked_case(gsdb, tiny):
    """Rule: fit, read-weighted fit, threshold share, refreshes, area and energy follow the formulas."""
    rows = json.loads(gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv",
                           "-f", "json").stdout)
    got = {(r["buffer"], r["technology"]): r for r in rows}
    for key, (fit, fit_reads, short, refreshes, area, energy) in EXPECTED.items():
        row = got[key]
        for column, want in (("fit_lifetime_pct", fit), ("fit_read_pct", fit_reads), ("under_threshold_pct", short),
                             ("refreshes", refreshes), ("area_um2", area), ("energy_j", energy)):
            assert _close(row[column], want), (key, column, row[column], want)
        assert (row["clock_hz"], row["word_bits"], row["threshold_s"]) == (1e9, 8, 5e-9)
    # ratios to SRAM
    assert _close(got[("ifmap", "gc")]["area_vs_sram"], 0.5)
    assert _close(got[("ifmap", "gc")]["energy_vs_sram"], EXPECTED[("ifmap", "gc")][5] / EXPECTED[("ifmap", "sram")][5])
    assert got[("filter", "gc")]["area_vs_sram"] is None  # 0 / 0
    # 'all' pools the buffers: 3 lifetimes of which 2 fit gc (9 and 2 cycles), serving 2 of the 4 reads
    assert _close(got[("all", "gc")]["fit_lifetime_pct"], 200 / 3)
    assert _close(got[("all", "gc")]["fit_read_pct"], 50.0)
    assert _close(got[("all", "gc")]["under_threshold_pct"], 100 / 3)
    assert got[("all", "gc")]["refreshes"] == 2 and _close(got[("all", "sram")]["area_um2"], 24.0)
    assert got[("ifmap", "unknown")]["missing"] == \
        "retention_s, read_pj_per_bit, write_pj_per_bit, refresh_pj_per_bit, leakage_pw_per_bit"
    assert got[("ifmap", "sram")]["missing"] == ""


def test_composition_picks_the_cheapest_known_technology_per_buffer(gsdb, tiny):
    """Rule: each buffer takes the technology with the least area (energy); unknown figures cannot be
    picked; a tie goes to SRAM. Every row gives the picks' area in um^2 and energy in J, each in its
    own column, with SRAM's; a total is empty when one of its parts is unknown."""
    gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv", "-f", "csv")
    rows = json.loads(gsdb("report", "composition", "--run", "run", "-f", "json").stdout)
    got = {(r["objective"], r["buffer"]): r for r in rows}
    assert set(rows[0]) == {"run", "objective", "buffer", "technology", "area_um2", "energy_j", "sram_area_um2",
                            "sram_energy_j", "area_vs_sram", "energy_vs_sram"}
    sram_energy = EXPECTED[("ifmap", "sram")][5] + EXPECTED[("ofmap", "sram")][5]
    # area: ifmap and ofmap take 'unknown' (0.25 um^2/bit), whose energy is unknown; filter (empty) ties at 0: SRAM
    assert [got[("area", b)]["technology"] for b in ("ifmap", "filter", "ofmap")] == ["unknown", "sram", "unknown"]
    area = got[("area", "total")]
    assert area["technology"] == "ifmap=unknown, filter=sram, ofmap=unknown"
    assert _close(area["area_um2"], 4.0 + 0.0 + 2.0) and _close(area["sram_area_um2"], 24.0)
    assert _close(area["area_vs_sram"], 6 / 24)
    assert area["energy_j"] is None and area["energy_vs_sram"] is None and _close(area["sram_energy_j"], sram_energy)
    assert got[("area", "ifmap")]["energy_j"] is None and _close(got[("area", "ifmap")]["area_um2"], 4.0)
    assert got[("area", "filter")]["energy_j"] == 0.0 and got[("area", "filter")]["energy_vs_sram"] is None  # 0 / 0
    # energy: ifmap and ofmap take gc; its area is known too
    assert [got[("energy", b)]["technology"] for b in ("ifmap", "filter", "ofmap")] == ["gc", "sram", "gc"]
    energy = got[("energy", "total")]
    gc_energy = EXPECTED[("ifmap", "gc")][5] + EXPECTED[("ofmap", "gc")][5]
    assert _close(energy["energy_j"], gc_energy) and _close(energy["sram_energy_j"], sram_energy)
    assert _close(energy["energy_vs_sram"], gc_energy / sram_energy)
    assert _close(energy["area_um2"], 8.0 + 0.0 + 4.0) and _close(energy["area_vs_sram"], 12 / 24)
    ofmap = got[("energy", "ofmap")]
    assert _close(ofmap["energy_j"], EXPECTED[("ofmap", "gc")][5]) and _close(ofmap["sram_area_um2"], 8.0)


def test_parameters_are_stored_with_the_run_and_reach_the_frontend_json(gsdb, tiny):
    """The last parameters given are kept for the run, and the frontend JSON carries them."""
    gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv")
    gsdb("report", "memtech", "--run", "run", "--word-bits", "16")  # only the word width changes
    gsdb("export", "frontend", "--run", "run", "--output", tiny / "front.json")
    report = json.loads((tiny / "front.json").read_text())
    assert report["parameters"] == {"clock_hz": 1e9, "word_bits": 16, "threshold_s": 5e-9, "runtime_cycles": 100}
    assert report["workload"]["name"] == "run" and report["workload"]["layers"] == 1
    assert report["lifetime_stats"]["ifmap"]["lifetimes"] == 2 and report["lifetime_stats"]["ofmap"]["lifetime_max"] == 2
    gc = report["technologies"]["gc"]["buffers"]["ifmap"]
    assert gc["refreshes"] == 2 and _close(gc["area_um2"], 2 * 16 * 0.5)
    assert report["technologies"]["unknown"]["could_not_compute_from"][0] == "retention_s"
    assert report["best_composition"]["energy"]["picks"] == {"ifmap": "gc", "filter": "sram", "ofmap": "gc"}
    assert _close(report["best_composition"]["energy"]["area_um2"], (2 + 1) * 16 * 0.5)  # gc: 3 words of 16 bits
    assert _close(report["best_composition"]["area"]["area_vs_sram"], 0.25 / 1.0)
    assert report["best_composition"]["area"]["energy_j"] is None
    again = gsdb("export", "frontend", "--run", "run", "--output", tiny / "front.json", check=False)
    assert again.returncode == 1 and "--replace" in again.stderr


def test_the_default_table_is_the_shipped_cited_file(gsdb, tiny):
    """A new warehouse holds the shipped table: every row cited, SRAM without retention."""
    from importlib import resources

    text = resources.files("gainsight_db").joinpath("data/technologies.csv").read_text()
    shipped = list(csv.DictReader(text.splitlines()))
    rows = json.loads(gsdb("query", "SELECT * FROM technologies ORDER BY technology", "-f", "json").stdout)
    assert sorted(r["technology"] for r in shipped) == [r["technology"] for r in rows]
    assert {"sram", "si_gain_cell", "hybrid_os_si_gain_cell", "os_os_gain_cell"} == {r["technology"] for r in rows}
    for row in rows:
        assert row["source"] and row["loaded_from"] == "default"
        given = next(s for s in shipped if s["technology"] == row["technology"])
        for column in COLUMNS[2:-1]:
            assert _close(row[column], float(given[column]) if given[column] else None), (row["technology"], column)
    gsdb("report", "memtech", "--run", "run", "--tech", tiny / "techs.csv")
    gsdb("report", "memtech", "--run", "run", "--default-tech")
    assert len(json.loads(gsdb("query", "SELECT * FROM technologies", "-f", "json").stdout)) == len(shipped)


BAD_FILES = {
    "extra.csv": ("".join(line + (",colour\n" if i == 0 else ",red\n") for i, line in enumerate(TECHS.splitlines())),
                  "unknown column(s) colour"),
    "cell.csv": (TECHS.replace("gc,gain_cell", "gc,dram"), "cell must be one of"),
    "negative.csv": (TECHS.replace(",0.5,1,1,", ",-0.5,1,1,"), "non-negative"),
    "text.csv": (TECHS.replace(",10e-9,", ",ten,"), "retention_s must be a number"),
    "nosram.csv": (TECHS.replace("sram,sram,,", "sram,gain_cell,,"), "no technology with cell 'sram'"),
    "twice.csv": (TECHS + "gc,gain_cell,1,1,1,1,1,1,again\n", "appears twice"),
    "ragged.csv": (TECHS + "short,sram\n", "wrong number of fields"),
    "broken.json": ('[{"technology": "sram", ', "not valid JSON"),
    "object.json": ('{"sram": 1}', "expected a JSON list"),
    "empty.json": ("[]", "no technologies"),
    "table.txt": (TECHS, "unknown technology file format"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_technology_file_is_refused_and_changes_nothing(gsdb, tiny, db, name):
    text, message = BAD_FILES[name]
    (tiny / name).write_text(text)
    before = warehouse_fingerprint(db)
    result = gsdb("report", "memtech", "--run", "run", "--clock-hz", "2e9", "--tech", tiny / name, check=False)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert str(tiny / name) in result.stderr and result.stderr.count("\n") == 1
    assert warehouse_fingerprint(db) == before


def test_a_json_technology_file_works_like_the_csv(gsdb, tiny):
    rows = list(csv.DictReader(TECHS.splitlines()))
    (tiny / "techs.json").write_text(json.dumps({"technologies": rows}))
    via_json = json.loads(gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.json", "-f", "json").stdout)
    via_csv = json.loads(gsdb("report", "memtech", "--run", "run", "--tech", tiny / "techs.csv", "-f", "json").stdout)
    assert via_json == via_csv


def test_a_lifetime_equal_to_the_retention_fits_and_counts_one_refresh(gsdb, tmp_path):
    """Rule: fit is lifetime_s <= retention_s; refreshes = floor(lifetime_s / retention_s), so a lifetime of
    exactly the retention time fits and still counts floor(1) = 1."""
    run = make_run(tmp_path, [{"FILTER_DRAM": "0.0,7.0\n", "FILTER_SRAM": "10,7\n"}], total_cycles=20)
    (tmp_path / "techs.csv").write_text(TECHS)
    gsdb("ingest", run, "-q")
    rows = json.loads(gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tmp_path / "techs.csv",
                           "-f", "json").stdout)
    gc = next(r for r in rows if r["buffer"] == "filter" and r["technology"] == "gc")
    assert (gc["fit_lifetime_pct"], gc["refreshes"], gc["under_threshold_pct"]) == (100.0, 1, 0.0)
