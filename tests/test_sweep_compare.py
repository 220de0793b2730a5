"""Comparing the points of a sweep (issue 15): sweep_summary, `gsdb report sweep`, `gsdb plot sweep`.

The sweep is made of real runs: four `simulate`s of the tiny three-layer topology (dataflow os and ws
crossed with 8x8 and 8x16 arrays), with their sweep_points rows written by hand as `gsdb sweep`
writes them. Every figure is checked against SCALE-Sim's own COMPUTE_REPORT.csv (read with the csv
module), the topology's shapes, or the plain-Python lifetime reference on the traces SCALE-Sim wrote.
"""

from __future__ import annotations

import csv
import json
import math
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SCALESIM_DATA, cli_runner
from lifetime_reference import analyse, close, run_stats
from trace_reference import run_accesses

import gainsight_db
from gainsight_db.common.errors import GsdbError

INPUTS = SCALESIM_DATA / "v3_api_tiny_8x8_ws" / "inputs"
TOPOLOGY, CONFIG = INPUTS / "tiny3.csv", INPUTS / "tiny_8x8_ws.cfg"
BUFFERS = ("ifmap", "filter", "ofmap")
# Sweep `grid`: the spec's axes dataflow = ["os", "ws"], array = ["8x8", "8x16"]; point i is GRID[i].
GRID = [("os", "8x8"), ("os", "8x16"), ("ws", "8x8"), ("ws", "8x16")]
# Sweep `flows` varies the dataflow only: its points are grid's 8x8 runs, ws first.
FLOWS = [2, 0]  # flows point i is grid point FLOWS[i]
# The memory-technology settings stored for grid point 3 (others keep the defaults, 1 GHz and 1 us):
# at 2 GHz a threshold of 50 ns is 100 cycles, inside the lifetimes' range.
CLOCK_HZ, THRESHOLD_S = 2e9, 5e-8
# A technology table whose picks differ between buffers: `gc` costs half of SRAM's access energy but
# needs a refresh every 100 ns (200 cycles at 2 GHz, 100 at 1 GHz), which costs more than it saves
# where lifetimes are long; `tiny` is the smallest and has no known energy.
TECHS = """technology,cell,retention_s,area_um2_per_bit,read_pj_per_bit,write_pj_per_bit,refresh_pj_per_bit,leakage_pw_per_bit,source
sram,sram,,1.0,0.2,0.3,0,5,test
gc,gain_cell,100e-9,0.5,0.1,0.15,0.3,1,test
tiny,gain_cell,1e-3,0.25,,,,,test
"""


@dataclass
class Sweep:
    db: Path
    run_ids: list[int]  # per grid point
    run_dirs: list[Path]  # SCALE-Sim's output of each grid point (its trace CSVs kept)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Sweep:
    top = tmp_path_factory.mktemp("sweep")
    db = top / "wh" / "gainsight.duckdb"
    (top / "techs.csv").write_text(TECHS)
    run_ids, run_dirs = [], []
    with gainsight_db.connect(db, warn=lambda message: None) as wh:
        for point, (dataflow, array) in enumerate(GRID):
            result = wh.simulate(TOPOLOGY, CONFIG, name=f"grid_{dataflow}_{array}", dataflow=dataflow, array=array,
                                 out=top / f"point{point}", keep_csv=True)
            run_ids.append(result.run_id)
            run_dirs.append(Path(result.source_path))
        rows = [("grid", point, run_ids[point], "tiny3.csv", dataflow, array) for point, (dataflow, array) in enumerate(GRID)]
        rows += [("flows", i, run_ids[g], "tiny3.csv", GRID[g][0], None) for i, g in enumerate(FLOWS)]
        for row in reversed(rows):  # stored out of order: the report orders by point
            wh.sql("""INSERT INTO sweep_points (sweep, point, run_id, topology, dataflow, "array", inputs_sha256)
                      SELECT ?, ?, ?, ?, ?, ?, inputs_sha256 FROM runs WHERE run_id = ?""", [*row, row[2]])
        wh.set_memtech(run_ids[3], clock_hz=CLOCK_HZ, threshold_s=THRESHOLD_S, tech=top / "techs.csv")
    return Sweep(db, run_ids, run_dirs)


# Plain-Python references ---------------------------------------------------------------------------
def _compute_report(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "COMPUTE_REPORT.csv", newline="") as handle:
        return [{k.strip(): v.strip() for k, v in row.items() if k and k.strip()} for row in csv.DictReader(handle)]


def _cycles(run_dir: Path) -> dict[str, float]:
    """Total and stall cycles summed over layers, and utilisation as SCALE-Sim's Overall Util % over the
    whole run: the layers' Overall Util % weighted by their Total Cycles."""
    rows = _compute_report(run_dir)
    total = sum(int(r["Total Cycles"]) for r in rows)
    return {"total_cycles": total, "stall_cycles": sum(int(r["Stall Cycles"]) for r in rows),
            "per_layer": [int(r["Total Cycles"]) for r in rows],
            "utilisation_pct": sum(float(r["Overall Util %"]) * int(r["Total Cycles"]) for r in rows) / total}


def _topology() -> list[tuple[str, int]]:
    """(name, MACs) of each topology row, worked out from its shape: ofmap (H - R + S) / S per side."""
    layers = []
    with open(TOPOLOGY, newline="") as handle:
        for row in list(csv.reader(handle))[1:]:
            name, h, w, r, s, channels, filters, stride = row[0].strip(), *(int(c) for c in row[1:8])
            ofmap = ((h - r + stride) // stride) * ((w - s + stride) // stride)
            layers.append((name, ofmap * r * s * channels * filters))
    return layers


def _lifetimes(run_dir: Path) -> list[tuple]:
    """Every lifetime of the run, (layer, buffer, addr, write, last read, cycles, reads), from its trace CSVs."""
    layers = range(len(_compute_report(run_dir)))
    return analyse(run_accesses(run_dir, layers))[0]


def _reference_stats(run_dir: Path) -> dict[str, dict]:
    layers = range(len(_compute_report(run_dir)))
    return run_stats(run_accesses(run_dir, layers), {layer: 1 for layer in layers})


def _picks(run_dir: Path, clock_hz: float, word_bits: int = 16) -> dict[str, tuple[str, str]]:
    """Per buffer, the technology of TECHS with the least area and the one with the least energy
    (among those whose figure is known; SRAM on a tie), from the reference lifetimes and counts."""
    techs = list(csv.DictReader(TECHS.splitlines()))
    stats = _reference_stats(run_dir)
    runtime_s = _cycles(run_dir)["total_cycles"] / clock_hz
    spans = _lifetimes(run_dir)
    picks = {}
    for buffer in BUFFERS:
        s = stats[buffer]
        area, energy = {}, {}
        for t in techs:
            bits = s["footprint_words"] * word_bits
            area[t["technology"]] = bits * float(t["area_um2_per_bit"])
            figures = [t[k] for k in ("read_pj_per_bit", "write_pj_per_bit", "refresh_pj_per_bit", "leakage_pw_per_bit")]
            if "" in figures:
                continue
            read, write, refresh, leakage = map(float, figures)
            retention = float(t["retention_s"]) if t["retention_s"] else None
            refreshes = 0 if retention is None else sum(
                math.floor(lt[5] / clock_hz / retention) for lt in spans if lt[1] == buffer)
            energy[t["technology"]] = (word_bits * (s["reads"] * read + s["writes"] * write + refreshes * refresh) * 1e-12
                                       + leakage * 1e-12 * bits * runtime_s)
        picks[buffer] = tuple(min(figures, key=lambda name: (figures[name], name != "sram", name))
                              for figures in (area, energy))
    return picks


# sweep_summary --------------------------------------------------------------------------------------
def _summary(sweep: Sweep, name: str) -> list[dict]:
    with gainsight_db.connect(sweep.db, read_only=True) as wh:
        return wh.sql("SELECT * FROM sweep_summary WHERE sweep = ? ORDER BY point", [name]).df().to_dict("records")


def test_summary_cycles_and_utilisation_are_scalesims_sums(sweep):
    """Rule: total and stall cycles sum COMPUTE_REPORT over layers; utilisation is the Total-Cycles-
    weighted mean of Overall Util %, which is total MACs / (PEs x total cycles)."""
    rows = _summary(sweep, "grid")
    assert [(r["point"], r["dataflow"], r["array"]) for r in rows] == [(i, *GRID[i]) for i in range(4)]
    macs = sum(m for _, m in _topology())
    assert macs == 19200  # 6*6*3*3*4*8 + 8*8*8*16 + 64*10, by hand
    for row, run_dir, (_, array) in zip(rows, sweep.run_dirs, GRID):
        want = _cycles(run_dir)
        assert (row["total_cycles"], row["stall_cycles"]) == (want["total_cycles"], want["stall_cycles"])
        assert row["compute_cycles"] == want["total_cycles"] - want["stall_cycles"]
        assert row["layers"] == 3 and row["run"] == f"grid_{row['dataflow']}_{array}"
        assert math.isclose(row["utilisation_pct"], want["utilisation_pct"], rel_tol=1e-12)
        rows_, cols = map(int, array.split("x"))
        assert math.isclose(row["utilisation_pct"], 100 * macs / (rows_ * cols * want["total_cycles"]), rel_tol=1e-9)
        assert all(row[axis] is None for axis in ("sram_kb", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb",
                                                  "bandwidth"))
    assert len({r["total_cycles"] for r in rows}) == 4  # the points differ, so the check tells them apart


@pytest.mark.parametrize("point", [0, 3])
def test_summary_lifetimes_and_threshold_shares_follow_the_reference(sweep, point):
    """Rule: per buffer, the run's lifetime mean/median/p90/max over all layers (run_stats), and the
    share of lifetimes shorter than the run's threshold at its clock (defaults for point 0; 2 GHz and
    50 ns, that is 100 cycles, stored for point 3)."""
    row = _summary(sweep, "grid")[point]
    clock_hz, threshold_s = (CLOCK_HZ, THRESHOLD_S) if point == 3 else (1e9, 1e-6)
    assert (row["clock_hz"], row["threshold_s"]) == (clock_hz, threshold_s)
    stats = _reference_stats(sweep.run_dirs[point])
    spans = _lifetimes(sweep.run_dirs[point])
    shares = []
    for buffer in BUFFERS:
        want = stats[buffer]
        assert row[f"{buffer}_lifetimes"] == want["lifetimes"] > 0
        for figure in ("mean", "median", "p90", "max"):
            assert close(row[f"{buffer}_lifetime_{figure}_cycles"], want[f"lifetime_{figure}"]), (buffer, figure)
        mine = [lt[5] for lt in spans if lt[1] == buffer]
        share = 100 * sum(1 for n in mine if n / clock_hz < threshold_s) / len(mine)
        assert close(row[f"{buffer}_under_threshold_pct"], share), buffer
        shares.append(share)
    if point == 3:
        assert any(0 < s < 100 for s in shares)  # the threshold cuts through the lifetimes


@pytest.mark.parametrize("point", [0, 3])
def test_summary_technologies_are_the_cheapest_per_buffer(sweep, point):
    """Rule: per buffer, the technology with the least area and the one with the least energy, with
    the run's settings: `tiny` (smallest, energy unknown) for area; for energy SRAM where lifetimes
    outlast gc's 100 ns retention too often, gc where they do not."""
    row = _summary(sweep, "grid")[point]
    clock_hz = CLOCK_HZ if point == 3 else 1e9
    picks = _picks(sweep.run_dirs[point], clock_hz)
    for buffer in BUFFERS:
        assert (row[f"{buffer}_area_technology"], row[f"{buffer}_energy_technology"]) == picks[buffer], buffer
    assert {area for area, _ in picks.values()} == {"tiny"}
    if point == 0:
        assert {energy for _, energy in picks.values()} == {"sram", "gc"}  # the picks differ between buffers


# gsdb report sweep ----------------------------------------------------------------------------------
def test_report_lists_the_points_in_order_with_the_axes_the_sweep_varies(sweep):
    gsdb = cli_runner(sweep.db)
    grid = json.loads(gsdb("report", "sweep", "grid", "-f", "json").stdout)
    assert [r["point"] for r in grid] == [0, 1, 2, 3]
    assert [(r["dataflow"], r["array"]) for r in grid] == GRID
    assert list(grid[0])[:5] == ["point", "dataflow", "array", "run", "run_id"]
    assert list(grid[0])[5:9] == ["layers", "total_cycles", "stall_cycles", "compute_cycles"]
    assert [r["run_id"] for r in grid] == sweep.run_ids
    flows = gsdb("report", "sweep", "flows", "-f", "csv").stdout.splitlines()
    header = flows[0].split(",")
    assert header[:4] == ["point", "dataflow", "run", "run_id"]
    for left_out in ("sweep", "topology", "array", "sram_kb", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb",
                     "bandwidth"):
        assert left_out not in header
    assert [line.split(",")[:2] for line in flows[1:]] == [["0", "ws"], ["1", "os"]]
    for i, grid_point in enumerate(FLOWS):  # the same runs give the same figures in both sweeps
        line = dict(zip(header, flows[1 + i].split(",")))
        assert int(line["total_cycles"]) == grid[grid_point]["total_cycles"]
        assert line["ifmap_area_technology"] == grid[grid_point]["ifmap_area_technology"]
    assert header[-8:] == ["ofmap_lifetimes", "ofmap_lifetime_mean_cycles", "ofmap_lifetime_median_cycles",
                           "ofmap_lifetime_p90_cycles", "ofmap_lifetime_max_cycles", "ofmap_under_threshold_pct",
                           "ofmap_area_technology", "ofmap_energy_technology"]


def test_report_of_an_unknown_or_unnamed_sweep_lists_the_known_ones(sweep):
    gsdb = cli_runner(sweep.db)
    for args, text in ((("nope",), "no sweep 'nope' (known sweeps: flows, grid)"),
                       ((), "2 sweeps; name one (flows, grid)")):
        result = gsdb("report", "sweep", *args, check=False)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr == f"gsdb: error: report sweep: {text}\n"
    with gainsight_db.connect(sweep.db, read_only=True) as wh:
        with pytest.raises(GsdbError, match="report sweep: has no run filter"):
            wh.report("sweep", run="grid_os_8x8", sweep="grid")
        with pytest.raises(GsdbError, match="report layers: has no sweep filter"):
            wh.report("layers", sweep="grid")
        assert wh.report("sweep", sweep="flows")["run_id"].tolist() == [sweep.run_ids[g] for g in FLOWS]


# gsdb plot sweep --------------------------------------------------------------------------------------
def _plot(made: Sweep, **options):
    from gainsight_db.plots import plot_sweep

    with gainsight_db.connect(made.db, read_only=True) as wh:
        drawn = plot_sweep(wh.connection, **options)
    drawn.figure.clear()
    return drawn.data


def test_cycles_are_stacked_per_layer_and_labelled_by_axis_values(sweep):
    """Rule: one bar per point labelled by its axis values (never its run), a segment per layer named
    as the topology names it, and the bar's total on top, as COMPUTE_REPORT gives them."""
    data = _plot(sweep, sweep="grid", metric="total_cycles")
    assert [p.label for p in data.points] == ["os 8x8", "os 8x16", "ws 8x8", "ws 8x16"]
    assert data.series == [name for name, _ in _topology()] == ["Conv_3x3", "Conv_1x1", "FC"]
    assert data.groups == [None]
    for p, run_dir in zip(data.points, sweep.run_dirs):
        want = _cycles(run_dir)
        assert data.values[p.point] == want["per_layer"]
        assert data.totals[p.point] == want["total_cycles"]
    by = _plot(sweep, sweep="grid", metric="stall_cycles", by="dataflow")
    assert by.groups == ["os", "ws"]
    assert [(p.group, p.label) for p in by.points] == [("os", "8x8"), ("os", "8x16"), ("ws", "8x8"), ("ws", "8x16")]
    assert all(by.totals[p.point] == _cycles(d)["stall_cycles"] for p, d in zip(by.points, sweep.run_dirs))


def test_run_figures_are_one_bar_per_point_or_per_buffer(sweep):
    utilisation = _plot(sweep, sweep="grid", metric="utilisation", by="array")
    assert utilisation.series == ["utilisation"] and utilisation.groups == ["8x8", "8x16"]
    assert [p.label for p in utilisation.points] == ["os", "os", "ws", "ws"]
    for p, run_dir in zip(utilisation.points, sweep.run_dirs):
        assert math.isclose(utilisation.values[p.point][0], _cycles(run_dir)["utilisation_pct"], rel_tol=1e-12)
    p90 = _plot(sweep, sweep="flows", metric="lifetime_p90")
    assert p90.series == list(BUFFERS) and [p.label for p in p90.points] == ["ws", "os"]
    for p, grid_point in zip(p90.points, FLOWS):
        stats = _reference_stats(sweep.run_dirs[grid_point])
        assert all(close(v, stats[b]["lifetime_p90"]) for v, b in zip(p90.values[p.point], BUFFERS))


def test_lifetime_distributions_are_shares_per_log2_bin(sweep):
    """Rule: per point and buffer, the share of its lifetimes (all layers) in each log2 bin: bin 0
    holds 0 cycles, bin k holds [2^(k-1), 2^k)."""
    data = _plot(sweep, sweep="grid", metric="lifetimes", by="dataflow")
    assert data.groups == ["os", "ws"] and [p.label for p in data.points] == ["8x8", "8x16"] * 2
    for p, run_dir in zip(data.points, sweep.run_dirs):
        spans = _lifetimes(run_dir)
        for buffer in BUFFERS:
            counts = Counter(int(lt[5]).bit_length() for lt in spans if lt[1] == buffer)
            n = sum(counts.values())
            want = [(0 if k == 0 else 2 ** (k - 1), 2 ** k, 100 * c / n) for k, c in sorted(counts.items())]
            got = data.shares[p.point][buffer]
            assert [(lo, hi) for lo, hi, _ in got] == [(lo, hi) for lo, hi, _ in want]
            assert all(math.isclose(g[2], w[2], rel_tol=1e-12) for g, w in zip(got, want))
    assert data.threshold_cycles is None  # point 3's threshold (100 cycles) differs from the others' (1,000)
    flows = _plot(sweep, sweep="flows", metric="lifetimes")
    assert flows.threshold_cycles == 1000 and flows.threshold_drawn and flows.x_limits[1] >= 1000


def test_plot_sweep_errors_name_the_valid_choices(sweep, tmp_path):
    with gainsight_db.connect(sweep.db, read_only=True) as wh:
        with pytest.raises(GsdbError, match=r"unknown metric 'cycles' \(one of: total_cycles, compute_cycles, "):
            wh.plot("sweep", sweep="grid", metric="cycles")
        with pytest.raises(GsdbError, match=r"by 'sram_kb': not an axis of sweep grid \(its axes: dataflow, array\)"):
            wh.plot("sweep", sweep="grid", by="sram_kb")
        with pytest.raises(GsdbError, match="no sweep 'nope'"):
            wh.plot("sweep", sweep="nope")
        with pytest.raises(GsdbError, match="run= does not apply"):
            wh.plot("sweep", sweep="grid", run="grid_os_8x8")
        with pytest.raises(GsdbError, match="apply to the sweep picture only"):
            wh.plot("runs", metric="total_cycles")
    gsdb = cli_runner(sweep.db)
    out = tmp_path / "grid.svg"
    assert gsdb("plot", "sweep", "grid", "--metric", "lifetimes", "--by", "array", "-o", out).stdout == f"wrote {out}\n"
    assert ET.parse(out).getroot().tag.endswith("svg")
    bad = gsdb("plot", "sweep", "grid", "--by", "bandwidth", "-o", tmp_path / "x.png", check=False)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "its axes: dataflow, array" in bad.stderr
    assert not (tmp_path / "x.png").exists()
