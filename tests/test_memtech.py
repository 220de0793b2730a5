"""Memory-technology comparison (docs/definitions.md, "Memory technologies"): every formula on one
hand-worked run, the break-even energies, SRAM figures over sizes, the shipped figures, settings
(stored only by `gsdb memtech set`), assumptions, and the checks on a user's technology file."""

from __future__ import annotations

import csv
import json
import math

import pytest

from conftest import EXAMPLE_RUN, REPO, warehouse_fingerprint
from tiny_runs import make_run


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
    ("filter", "unknown"): (None, None, None, 0, 0.0, 0.0),  # no lifetimes, no accesses, no footprint: nothing to pay
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
    # break-even: 'unknown' has no access energy, and no refresh or leakage it could be charged (counted 0):
    # it breaks even when its access energy equals SRAM's access energy plus SRAM's leakage
    sram_access = 8 * (3 * 2 + 2 * 3) * 1e-12
    ratio = EXPECTED[("ifmap", "sram")][5] / sram_access
    assert _close(got[("ifmap", "unknown")]["energy_break_even_ratio"], ratio)
    assert _close(got[("ifmap", "unknown")]["energy_break_even_pj_per_bit"], ratio * 2)
    assert got[("ifmap", "gc")]["energy_break_even_ratio"] is None and got[("ifmap", "sram")]["energy_break_even_ratio"] is None
    assert got[("filter", "unknown")]["energy_break_even_ratio"] is None  # no accesses: 0 / 0
    all_access = 8 * ((3 * 2 + 2 * 3) + (1 * 2 + 1 * 3)) * 1e-12
    all_sram = EXPECTED[("ifmap", "sram")][5] + EXPECTED[("ofmap", "sram")][5]
    assert _close(got[("all", "unknown")]["energy_break_even_ratio"], all_sram / all_access)
    assert got[("all", "unknown")]["energy_break_even_pj_per_bit"] is None
    # read-weighted share under the 5 ns threshold: only the ofmap lifetime (2 ns, 1 read) of 4 reads
    assert _close(got[("all", "gc")]["under_threshold_read_pct"], 25.0)


def test_composition_picks_the_cheapest_known_technology_per_buffer(gsdb, tiny):
    """Rule: each buffer takes the technology with the least area (energy); unknown figures cannot be
    picked; a tie goes to SRAM. Every row gives the picks' area in um^2 and energy in J, each in its
    own column, with SRAM's; a total is empty when one of its parts is unknown."""
    rows = json.loads(gsdb("report", "composition", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv",
                           "-f", "json").stdout)
    got = {(r["objective"], r["buffer"]): r for r in rows}
    assert set(rows[0]) == {"run", "objective", "buffer", "technology", "area_um2", "energy_j", "sram_area_um2",
                            "sram_energy_j", "area_vs_sram", "energy_vs_sram", "unpriced"}
    ratio = EXPECTED[("ifmap", "sram")][5] / (8 * (3 * 2 + 2 * 3) * 1e-12)
    assert got[("energy", "ifmap")]["unpriced"] == f"unknown (break-even {round(ratio, 4)})"
    assert got[("energy", "filter")]["unpriced"] == ""
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
    assert got[("area", "filter")]["technology"] == "sram"  # every technology costs 0 there: SRAM wins the tie
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
    """`gsdb memtech set` keeps the last parameters given for the run, and the frontend JSON carries them."""
    gsdb("memtech", "set", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv")
    gsdb("memtech", "set", "--run", "run", "--word-bits", "16")  # only the word width changes
    gsdb("export", "frontend", "--run", "run", "--output", tiny / "front.json")
    report = json.loads((tiny / "front.json").read_text())
    assert report["parameters"] == {"clock_hz": 1e9, "word_bits": 16, "threshold_s": 5e-9, "node_nm": 22.0,
                                    "retention_factor": 1.0, "runtime_cycles": 100}
    assert report["workload"]["name"] == "run" and report["workload"]["layers"] == 1
    assert report["lifetime_stats"]["ifmap"]["lifetimes"] == 2 and report["lifetime_stats"]["ofmap"]["lifetime_max"] == 2
    gc = report["technologies"]["gc"]["buffers"]["ifmap"]
    assert gc["refreshes"] == 2 and _close(gc["area_um2"], 2 * 16 * 0.5)
    assert report["technologies"]["unknown"]["could_not_compute_from"][0] == "retention_s"
    assert report["best_composition"]["energy"]["picks"] == {"ifmap": "gc", "filter": "sram", "ofmap": "gc"}
    assert _close(report["best_composition"]["energy"]["area_um2"], (2 + 1) * 16 * 0.5)  # gc: 3 words of 16 bits
    assert _close(report["best_composition"]["area"]["area_vs_sram"], 0.25 / 1.0)
    assert report["best_composition"]["area"]["energy_j"] is None
    assert report["technologies"]["unknown"]["buffers"]["ifmap"]["energy_break_even_ratio"] > 1
    assert report["technologies"]["gc"]["figures"]["ifmap"]["area_um2_per_bit"] == 0.5
    again = gsdb("export", "frontend", "--run", "run", "--output", tiny / "front.json", check=False)
    assert again.returncode == 1 and "--replace" in again.stderr


def _shipped() -> tuple[list[dict], list[dict]]:
    """The shipped cited figures and SRAM model table, read with the csv module."""
    data = REPO / "gainsight_db" / "data"
    with open(data / "technology_figures.csv", newline="") as handle:
        cited = list(csv.DictReader(handle))
    with open(data / "sram_cacti.csv", newline="") as handle:
        sram = list(csv.DictReader(handle))
    return cited, sram


def test_a_new_warehouse_holds_every_shipped_figure_with_its_citation(gsdb, tiny):
    """Rule: technology_figures is the shipped figures plus four figures per point of the SRAM model
    table; every known figure the comparison uses names its source; --default-tech restores it."""
    cited, sram = _shipped()
    rows = json.loads(gsdb("query", "SELECT * FROM technology_figures", "-f", "json").stdout)
    assert len(rows) == len(cited) + 4 * len(sram)
    assert {r["technology"] for r in rows} == {"sram", "si_gain_cell", "hybrid_os_si_gain_cell", "os_os_gain_cell"}
    assert all(r["loaded_from"] == "default" and r["source"] for r in rows)
    assert all(r["note"] for r in rows if r["value"] is None)  # an unknown says why
    for given in cited:
        match = [r for r in rows if (r["technology"], r["figure"], r["used"]) ==
                 (given["technology"], given["figure"], given["used"] == "true") and r["source"] == given["source"]
                 and _close(r["value"], float(given["value"]) if given["value"] else None)]
        assert len(match) >= 1, given
    sized = [r for r in rows if r["size_bytes"] is not None]
    assert {(r["node_nm"], r["size_bytes"]) for r in sized} == {(float(p["node_nm"]), int(p["size_bytes"])) for p in sram}
    assert all(r["kind"] == "model" and "CACTI" in r["source"] and r["technology"] == "sram" for r in sized)
    # the per-technology view says what is known and what is not
    techs = {r["technology"]: r for r in json.loads(gsdb("query", "SELECT * FROM technologies", "-f", "json").stdout)}
    assert techs["hybrid_os_si_gain_cell"]["known"] == "retention_s"
    assert techs["si_gain_cell"]["unknown"] == "read_pj_per_bit, write_pj_per_bit"
    assert techs["sram"]["known"].startswith("area_um2_per_bit by size")
    gsdb("memtech", "set", "--tech", tiny / "techs.csv")
    assert len(json.loads(gsdb("query", "SELECT * FROM technology_figures", "-f", "json").stdout)) == 3 * 6 - 1
    gsdb("memtech", "set", "--default-tech")
    assert len(json.loads(gsdb("query", "SELECT * FROM technology_figures", "-f", "json").stdout)) == len(rows)


def test_every_technology_has_an_area_or_says_none_is_public_and_an_energy_or_a_break_even(gsdb, tmp_path):
    """Rule (the comparison's promise): with the shipped figures, on a real run, every technology
    with a cited area has one for every buffer, and every technology has either its energy or its
    break-even ratio for every buffer."""
    gsdb("ingest", EXAMPLE_RUN, "-q")
    rows = json.loads(gsdb("report", "memtech", "-f", "json").stdout)
    cited, _ = _shipped()
    with_area = {r["technology"] for r in cited if r["figure"] == "area_um2_per_bit" and r["used"] == "true" and r["value"]}
    assert with_area == {"si_gain_cell", "os_os_gain_cell"}
    for row in rows:
        if row["technology"] in with_area or row["technology"] == "sram":
            assert row["area_um2"] is not None, row
        else:
            assert row["area_um2"] is None and "area_um2_per_bit" in row["missing"]
        assert (row["energy_j"] is None) != (row["energy_break_even_ratio"] is None) or row["technology"] == "sram", row
        assert row["energy_j"] is not None or row["buffer"] == "all" or row["energy_break_even_pj_per_bit"] is not None


def _cfg(tmp_path, ifmap_kb: int, filter_kb: int, ofmap_kb: int):
    """The example run's config with other buffer sizes."""
    text = (EXAMPLE_RUN / "inputs" / "tiny_8x8_ws.cfg").read_text()
    for key, kb in (("IfmapSramSzkB", ifmap_kb), ("FilterSramSzkB", filter_kb), ("OfmapSramSzkB", ofmap_kb)):
        text = "\n".join(f"{key}: {kb}" if line.startswith(key) else line for line in text.splitlines()) + "\n"
    path = tmp_path / f"sizes_{ifmap_kb}_{filter_kb}_{ofmap_kb}.cfg"
    path.write_text(text)
    return path


def _interpolated(points: dict[int, float], size: int) -> tuple[float, bool]:
    """A plain reference: linear in log2(size) between the nearest sizes, the nearest size outside."""
    sizes = sorted(points)
    if size <= sizes[0]:
        return points[sizes[0]], size < sizes[0]
    if size >= sizes[-1]:
        return points[sizes[-1]], size > sizes[-1]
    lo = max(s for s in sizes if s <= size)
    hi = min(s for s in sizes if s >= size)
    if lo == hi:
        return points[lo], False
    w = (math.log2(size) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))
    return points[lo] + w * (points[hi] - points[lo]), False


@pytest.mark.parametrize("node", [22, 45])
def test_sram_figures_follow_each_buffers_size_at_the_chosen_node(gsdb, tmp_path, node):
    """Rule: SRAM's per-bit figures are the model table's at the buffer's configured size and the
    chosen node, interpolated in log2(size) between table sizes; outside the table, the nearest
    size's, flagged sram_size_clamped. Sizes 3 KiB (between 2 and 4), 64 KiB (a table point) and
    12 MiB (beyond 8 MiB)."""
    run = make_run(tmp_path, [TRACES], total_cycles=100)
    gsdb("ingest", run, "--config", _cfg(tmp_path, 3, 64, 12 * 1024), "-q")
    gsdb("memtech", "set", "--node-nm", str(node))
    rows = json.loads(gsdb("report", "memtech", "-f", "json").stdout)
    figures = {r["buffer"]: r for r in json.loads(gsdb(
        "query", "SELECT * FROM memtech_figures WHERE technology = 'sram'", "-f", "json").stdout)}
    _, sram = _shipped()
    table = [p for p in sram if float(p["node_nm"]) == node]
    for buffer, kb in (("ifmap", 3), ("filter", 64), ("ofmap", 12 * 1024)):
        for figure in ("area_um2_per_bit", "read_pj_per_bit", "write_pj_per_bit", "leakage_pw_per_bit"):
            want, clamped = _interpolated({int(p["size_bytes"]): float(p[figure]) for p in table}, kb * 1024)
            assert math.isclose(figures[buffer][figure], want, rel_tol=1e-9), (buffer, figure)
            assert figures[buffer]["sram_size_clamped"] == clamped
        assert figures[buffer]["buffer_kb"] == kb
    assert "interpolated at 3 KiB between 2 and 4 KiB" in figures["ifmap"]["derivation"]
    assert "outside the size table: figures of 8192 KiB used" in figures["ofmap"]["derivation"]
    got = {(r["buffer"], r["technology"]): r for r in rows}
    assert got[("ofmap", "sram")]["sram_size_clamped"] and not got[("ifmap", "sram")]["sram_size_clamped"]
    # SRAM's ifmap area: 2 words of 16 bits at the interpolated area per bit
    assert math.isclose(got[("ifmap", "sram")]["area_um2"], 2 * 16 * figures["ifmap"]["area_um2_per_bit"], rel_tol=1e-12)
    assert got[("all", "sram")]["buffer_kb"] == 3 + 64 + 12 * 1024
    assert json.loads(gsdb("report", "memtech", "--node-nm", "65", "-f", "json").stdout)[0]["node_nm"] == 65
    refused = gsdb("report", "memtech", "--node-nm", "28", check=False)
    assert refused.returncode == 1 and "node-nm 28 (run run): the SRAM figures over sizes are for 22, 32, 45, 65 nm" in refused.stderr


# The reference SRAM of the figures files below: a size table at 44 nm, energies as single values.
SRAM_FIGURES = """technology,cell,figure,value,unit,node_nm,size_bytes,buffer,kind,used,source,note
sram,sram,area_um2_per_bit,1.0,um^2/bit,44,1024,,model,true,grid,
sram,sram,area_um2_per_bit,3.0,um^2/bit,44,4096,,model,true,grid,
sram,sram,read_pj_per_bit,2,pJ/bit,,,,user,true,test,
sram,sram,write_pj_per_bit,3,pJ/bit,,,,user,true,test,
sram,sram,refresh_pj_per_bit,0,pJ/bit,,,,user,true,test,
sram,sram,leakage_pw_per_bit,5,pW/bit,,,,user,true,test,
"""

FIGURES = SRAM_FIGURES + """gc,gain_cell,retention_s,10e-9,s,,,,measured,true,test,
gc,gain_cell,area_um2_per_bit,0.8,um^2/bit,88,,,measured,true,test,
gc,gain_cell,refresh_pj_per_bit,0.5,pJ/bit,,,,measured,true,test,
gc,gain_cell,leakage_pw_per_bit,1,pW/bit,,,,measured,true,test,
gc,gain_cell,read_pj_per_bit,,pJ/bit,,,,measured,true,test,not public
gc,gain_cell,write_pj_per_bit,,pJ/bit,,,,measured,true,test,not public
gc,gain_cell,area_um2_per_bit,9.9,um^2/bit,88,,,design,false,other cell,evidence only
"""


def test_a_figures_file_interpolates_scales_areas_and_derates_retention(gsdb, tmp_path):
    """Rules worked by hand: the SRAM area over sizes 1 KiB -> 1.0, 4 KiB -> 3.0 (44 nm) is 2.0 at 2 KiB;
    a gain-cell area of 0.8 at 88 nm is 0.8 * (44/88)^2 = 0.2 at 44 nm; the unused row is ignored;
    --retention-factor 0.5 makes the 10 ns retention 5 ns, so the 9 ns lifetime no longer fits and
    needs floor(9/5) = 1 refresh, the 25 ns one floor(25/5) = 5, the 2 ns one none."""
    run = make_run(tmp_path, [TRACES], total_cycles=100)
    gsdb("ingest", run, "--config", _cfg(tmp_path, 2, 2, 2), "-q")
    (tmp_path / "figures.csv").write_text(FIGURES)
    rows = json.loads(gsdb("report", "memtech", "--tech", tmp_path / "figures.csv", "--node-nm", "44",
                           "--retention-factor", "0.5", *PARAMS, "-f", "json").stdout)
    got = {(r["buffer"], r["technology"]): r for r in rows}
    assert _close(got[("ifmap", "sram")]["area_um2"], 2 * 8 * 2.0)
    assert _close(got[("ifmap", "gc")]["area_um2"], 2 * 8 * 0.2)
    assert got[("ifmap", "gc")]["refreshes"] == 1 + 5 and _close(got[("ifmap", "gc")]["fit_lifetime_pct"], 0.0)
    assert got[("ofmap", "gc")]["refreshes"] == 0 and got[("ofmap", "gc")]["retention_factor"] == 0.5
    # break-even with the known refresh and leakage: (E_sram - X) / A, A = SRAM's access energy
    sram_access = 8 * (3 * 2 + 2 * 3) * 1e-12
    e_sram = sram_access + 5e-12 * 2 * 8 * 100e-9
    x = 8 * 6 * 0.5e-12 + 1e-12 * 2 * 8 * 100e-9
    assert _close(got[("ifmap", "gc")]["energy_break_even_ratio"], (e_sram - x) / sram_access)
    assert _close(got[("ifmap", "gc")]["energy_break_even_pj_per_bit"], (e_sram - x) / sram_access * 2)
    assert got[("ifmap", "gc")]["missing"] == "read_pj_per_bit, write_pj_per_bit"
    gsdb("memtech", "set", "--tech", tmp_path / "figures.csv", "--node-nm", "44")
    figures = {r["technology"]: r for r in json.loads(gsdb(
        "query", "SELECT * FROM memtech_figures WHERE buffer = 'ifmap'", "-f", "json").stdout)}
    assert figures["gc"]["derivation"] == "area scaled from 88 nm by (44/88)^2"
    assert figures["sram"]["derivation"] == "size table at 2 KiB, 44 nm" or \
        figures["sram"]["derivation"] == "interpolated at 2 KiB between 1 and 4 KiB, 44 nm"


def test_a_break_even_ratio_at_or_below_zero_means_refresh_and_leakage_alone_cost_more(gsdb, tmp_path):
    """Rule: when a technology's refresh energy alone exceeds SRAM's whole energy, its break-even
    ratio is negative: no access energy makes it cheaper."""
    run = make_run(tmp_path, [TRACES], total_cycles=100)
    gsdb("ingest", run, "-q")
    (tmp_path / "figures.csv").write_text(FIGURES.replace("gc,gain_cell,refresh_pj_per_bit,0.5", "gc,gain_cell,refresh_pj_per_bit,50")
                                          .replace(",44,1024,", ",,,").replace("sram,sram,area_um2_per_bit,3.0,um^2/bit,44,4096,,model,true,grid,\n", ""))
    rows = json.loads(gsdb("report", "memtech", "--tech", tmp_path / "figures.csv", *PARAMS, "-f", "json").stdout)
    gc = next(r for r in rows if r["buffer"] == "ifmap" and r["technology"] == "gc")
    sram_access = 8 * (3 * 2 + 2 * 3) * 1e-12
    e_sram = sram_access + 5e-12 * 2 * 8 * 100e-9
    x = 8 * 2 * 50e-12 + 1e-12 * 2 * 8 * 100e-9  # 2 refreshes (10 ns retention, 25 ns lifetime)
    assert _close(gc["energy_break_even_ratio"], (e_sram - x) / sram_access) and gc["energy_break_even_ratio"] < 0


def test_assumptions_turn_an_unknown_into_a_number_and_say_so(gsdb, tiny):
    """Rule: --assume TECH.FIGURE=VALUE fills a figure for every buffer and the rows name it; a report
    uses it for itself only, `gsdb memtech set --assume` stores it as a figure of kind 'assumed'."""
    assume = ("--assume", "unknown.read_pj_per_bit=1", "--assume", "unknown.write_pj_per_bit=1",
              "--assume", "unknown.retention_s=10e-9", "--assume", "unknown.refresh_pj_per_bit=0.5",
              "--assume", "unknown.leakage_pw_per_bit=1")
    rows = json.loads(gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv", *assume,
                           "-f", "json").stdout)
    got = {(r["buffer"], r["technology"]): r for r in rows}
    # with every figure assumed equal to gc's (apart from the area), 'unknown' costs what gc costs
    assert _close(got[("ifmap", "unknown")]["energy_j"], EXPECTED[("ifmap", "gc")][5])
    assert got[("ifmap", "unknown")]["energy_break_even_ratio"] is None
    assert got[("ifmap", "unknown")]["assumed"] == ("leakage_pw_per_bit=1.0, read_pj_per_bit=1.0, refresh_pj_per_bit=0.5, "
                                                     "retention_s=1e-08, write_pj_per_bit=1.0")
    assert got[("ifmap", "gc")]["assumed"] == ""
    assert gsdb("query", "SELECT count(*) AS n FROM technology_figures WHERE kind = 'assumed'", "-f", "csv").stdout \
        == "n\n0\n"
    gsdb("memtech", "set", "--tech", tiny / "techs.csv")
    gsdb("memtech", "set", "--assume", "unknown.read_pj_per_bit=1", "--assume", "unknown.read_pj_per_bit=2")
    stored = json.loads(gsdb("query", "SELECT technology, figure, value, kind, source FROM technology_figures "
                                      "WHERE kind = 'assumed'", "-f", "json").stdout)
    assert stored == [{"technology": "unknown", "figure": "read_pj_per_bit", "value": 2.0, "kind": "assumed",
                       "source": "assumed (--assume)"}]
    row = next(r for r in json.loads(gsdb("report", "memtech", "-f", "json").stdout)
               if (r["buffer"], r["technology"]) == ("ifmap", "unknown"))
    assert row["assumed"] == "read_pj_per_bit=2.0"
    for bad, message in (("nosuch.read_pj_per_bit=1", "no technology 'nosuch'"),
                         ("unknown.colour=1", "figure must be one of"),
                         ("unknown.read_pj_per_bit=-1", "non-negative"),
                         ("sram.retention_s=1", "an SRAM cell has no retention time"),
                         ("unknown", "expected TECHNOLOGY.FIGURE=VALUE")):
        result = gsdb("report", "memtech", "--assume", bad, check=False)
        assert result.returncode == 1 and message in result.stderr and result.stderr.count("\n") == 1, (bad, result.stderr)


def test_reports_never_write_the_warehouse(gsdb, tiny, db):
    """Rule: report, plot and export read; only `gsdb memtech set` stores settings."""
    before = warehouse_fingerprint(db)
    gsdb("report", "memtech", "--run", "run", *PARAMS, "--node-nm", "45", "--retention-factor", "0.5",
         "--tech", tiny / "techs.csv", "--assume", "unknown.read_pj_per_bit=1")
    gsdb("report", "composition", "--clock-hz", "3e9", "--default-tech")
    gsdb("plot", "memtech", "-o", tiny / "m.png")
    gsdb("export", "frontend", "-o", tiny / "f.json")
    assert warehouse_fingerprint(db) == before
    gsdb("memtech", "set", "--clock-hz", "3e9", "--retention-factor", "0.5")
    settings = json.loads(gsdb("query", "SELECT clock_hz, word_bits, threshold_s, node_nm, retention_factor "
                                        "FROM memtech_settings", "-f", "json").stdout)
    assert settings == [{"clock_hz": 3e9, "word_bits": 16, "threshold_s": 1e-6, "node_nm": None, "retention_factor": 0.5}]
    for bad in (("--retention-factor", "1.5"), ()):
        result = gsdb("memtech", "set", *bad, check=False)
        assert result.returncode != 0 and result.stderr.count("\n") == 1


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
    for command in (("report", "memtech"), ("memtech", "set")):
        result = gsdb(*command, "--run", "run", "--clock-hz", "2e9", "--tech", tiny / name, check=False)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert str(tiny / name) in result.stderr and result.stderr.count("\n") == 1
    assert warehouse_fingerprint(db) == before


def test_a_json_technology_file_works_like_the_csv(gsdb, tiny):
    rows = list(csv.DictReader(TECHS.splitlines()))
    (tiny / "techs.json").write_text(json.dumps({"technologies": rows}))
    via_json = json.loads(gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.json", "-f", "json").stdout)
    via_csv = json.loads(gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv", "-f", "json").stdout)
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


def test_a_run_without_a_config_sizes_each_buffer_to_its_largest_layer_footprint(gsdb, tiny):
    """Rule: a run ingested without its config has no buffer sizes; SRAM's figures are then those for
    the size that holds the buffer's largest layer footprint (footprint_words * word_bits / 8 bytes),
    said in `derivation`. ifmap holds 2 words of 16 bits, 4 bytes: below the table's 1 KiB, so the
    1 KiB figures are used and flagged."""
    figures = {r["buffer"]: r for r in json.loads(gsdb(
        "query", "SELECT * FROM memtech_figures WHERE technology = 'sram'", "-f", "json").stdout)}
    _, sram = _shipped()
    smallest = next(p for p in sram if p["node_nm"] == "22" and p["size_bytes"] == "1024")
    ifmap = figures["ifmap"]
    assert ifmap["buffer_kb"] is None and ifmap["sram_size_clamped"]
    assert math.isclose(ifmap["area_um2_per_bit"], float(smallest["area_um2_per_bit"]), rel_tol=1e-12)
    assert "sized to its largest layer footprint, 0.00390625 KiB" in ifmap["derivation"]
    # filter has no footprint at all: nothing to size it by, its SRAM figures over sizes are unknown
    assert figures["filter"]["area_um2_per_bit"] is None and "no footprint" in figures["filter"]["derivation"]
    row = next(r for r in json.loads(gsdb("report", "memtech", "-f", "json").stdout)
               if (r["buffer"], r["technology"]) == ("filter", "sram"))
    assert row["area_um2"] == 0.0 and row["energy_j"] == 0.0  # nothing stored, nothing accessed


def test_a_known_access_energy_counts_and_the_ratio_is_for_the_unknown_one(gsdb, tiny):
    """Rule: with only the write energy unknown, the read energy is part of what the technology is
    known to spend (X), and A is SRAM's write energy alone: (E_sram - X) / A, for 'write', in pJ/bit
    times SRAM's write energy per bit. Worked by hand on the ifmap buffer: 3 reads at an assumed
    1 pJ/bit of 8-bit words cost 24 pJ; SRAM writes 2 words at 3 pJ/bit, 48 pJ."""
    rows = json.loads(gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv",
                           "--assume", "unknown.read_pj_per_bit=1", "-f", "json").stdout)
    got = {(r["buffer"], r["technology"]): r for r in rows}
    ifmap = got[("ifmap", "unknown")]
    ratio = (EXPECTED[("ifmap", "sram")][5] - 8 * 3 * 1e-12) / (8 * 2 * 3e-12)
    assert _close(ifmap["energy_break_even_ratio"], ratio) and ifmap["energy_break_even_for"] == "write"
    assert _close(ifmap["energy_break_even_pj_per_bit"], ratio * 3)
    assert ifmap["missing"] == "retention_s, write_pj_per_bit, refresh_pj_per_bit, leakage_pw_per_bit"
    both = json.loads(gsdb("report", "memtech", "--run", "run", *PARAMS, "--tech", tiny / "techs.csv", "-f", "json").stdout)
    assert {r["energy_break_even_for"] for r in both if r["technology"] == "unknown" and r["buffer"] != "filter"} == \
        {"read and write"}
    # the reference never has a break-even ratio, and nothing is missing for it, 'all' included
    assert all(r["energy_break_even_ratio"] is None and r["missing"] == "" for r in both if r["technology"] == "sram")


FIGURES_ELSEWHERE = SRAM_FIGURES + """gc,gain_cell,retention_s,10e-9,s,44,1024,,model,true,a table of retention over sizes,
gc,gain_cell,retention_s,30e-9,s,44,4096,,model,true,a table of retention over sizes,
af,sram,area_um2_per_bit,0.5,um^2/bit,22,65536,ifmap,model,true,a component's figures,
af,sram,read_pj_per_bit,0.25,pJ/bit,22,65536,ifmap,model,true,a component's figures,
"""


def test_retention_tables_are_derated_and_a_buffers_own_figures_are_scaled_not_dropped(gsdb, tmp_path):
    """Rules: the retention factor applies to a retention read from a table over sizes (2 KiB lies
    halfway in log2 between 1 and 4 KiB: 20 ns, times 0.5 is 10 ns); a figure for one buffer (an
    AccelForge component's, with its own node and size) is one value, its area scaled by F^2 to the
    run's node (0.5 * (44/22)^2 = 2.0) and its energy used as given, both said in `derivation`."""
    run = make_run(tmp_path, [TRACES], total_cycles=100)
    gsdb("ingest", run, "--config", _cfg(tmp_path, 2, 2, 2), "-q")
    (tmp_path / "figures.csv").write_text(FIGURES_ELSEWHERE)
    gsdb("memtech", "set", "--tech", tmp_path / "figures.csv", "--node-nm", "44", "--retention-factor", "0.5")
    figures = {(r["buffer"], r["technology"]): r for r in json.loads(gsdb(
        "query", "SELECT * FROM memtech_figures", "-f", "json").stdout)}
    assert math.isclose(figures[("ifmap", "gc")]["retention_s"], 10e-9, rel_tol=1e-12)
    assert "retention x 0.5" in figures[("ifmap", "gc")]["derivation"]
    af = figures[("ifmap", "af")]
    assert _close(af["area_um2_per_bit"], 2.0) and _close(af["read_pj_per_bit"], 0.25)
    assert af["derivation"] == "area scaled from 22 nm by (44/22)^2; read_pj_per_bit as measured at 22 nm (not scaled)"
    assert figures[("filter", "af")]["area_um2_per_bit"] is None  # no component named for filter
    # a stored node the new figures have no table for is refused, the settings unchanged
    before = gsdb("query", "SELECT count(*) AS n FROM technology_figures", "-f", "csv").stdout
    refused = gsdb("memtech", "set", "--default-tech", check=False)
    assert refused.returncode == 1 and "node-nm 44 (run run): the SRAM figures over sizes are for 22, 32, 45, 65 nm" \
        in refused.stderr
    assert gsdb("query", "SELECT count(*) AS n FROM technology_figures", "-f", "csv").stdout == before
    gsdb("memtech", "set", "--default-tech", "--node-nm", "22")
