"""`gsdb plot ...`: the pictures are written, and what they draw comes from the views (checked
against the plain-Python reference and the runs' own reports, not pixel by pixel)."""

from __future__ import annotations

import configparser
import csv
import math
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from conftest import EXAMPLE_RUN, REPO, SCALESIM_SAMPLES
from lifetime_reference import analyse
from trace_reference import run_accesses, total_cycles

from gainsight_db.loaders.ingest import ingest
from gainsight_db.plots import plot_lifetimes, plot_lifetimes_per_layer, plot_memtech, plot_runs, save_figure
from gainsight_db.reports.memtech_settings import MemtechOptions, store_memtech_options
from gainsight_db.warehouse.connection import open_warehouse

# Runs 1, 2 and 3. Runs 1 and 3 share their config (8x8, ws) and their name.
RUNS = [EXAMPLE_RUN / "tiny_8x8_ws", SCALESIM_SAMPLES["v3_api_tiny_8x16_os"], SCALESIM_SAMPLES["v2_api_tiny_8x8_ws"]]
# Run 1's memtech settings, set in the fixture: 2 GHz, threshold 0.25 us = 500 cycles.
CLOCK_HZ, THRESHOLD_S = 2e9, 2.5e-7
BUFFERS = ("ifmap", "filter", "ofmap")


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = open_warehouse(tmp_path_factory.mktemp("plots") / "w.duckdb")
    ingest(con, RUNS)
    store_memtech_options(con, [1], MemtechOptions(clock_hz=CLOCK_HZ, threshold_s=THRESHOLD_S))
    yield con
    con.close()


def _svg_text(path) -> str:
    root = ET.parse(path).getroot()  # fails unless the file is well-formed SVG
    assert root.tag.endswith("svg")
    return path.read_text()


def _topology_names(run_dir: Path) -> list[str]:
    """The layer names of the topology beside a sample run (inputs/*.csv), read with the csv module."""
    (topology,) = (run_dir.parent / "inputs").glob("*.csv")
    with open(topology, newline="") as handle:
        return [row[0].strip() for row in list(csv.reader(handle))[1:] if row and row[0].strip()]


def _gain_cell_retentions() -> dict[str, float | None]:
    """Retention (s) of each gain cell in the shipped figures (the row used), read with the csv module."""
    with open(REPO / "gainsight_db" / "data" / "technology_figures.csv", newline="") as handle:
        return {r["technology"]: float(r["value"]) if r["value"] else None
                for r in csv.DictReader(handle)
                if r["cell"] == "gain_cell" and r["figure"] == "retention_s" and r["used"] == "true"}


def _drawn_lines(ax) -> list[float]:
    return sorted(line.get_xdata()[0] for line in ax.get_lines())


@pytest.mark.parametrize("layer", [None, 1])
def test_lifetime_plot_draws_the_reference_histogram(con, tmp_path, layer):
    """Each buffer's bars are the lifetimes per log2 bin (bin = bit length of the lifetime)."""
    drawn = plot_lifetimes(con, 1, layer)
    save_figure(drawn.figure, tmp_path / "l.svg")
    data = drawn.data
    lifetimes, _, _ = analyse(run_accesses(RUNS[0], total_cycles(RUNS[0])))
    for buffer in BUFFERS:
        want = Counter(span.bit_length() for lay, b, _, _, _, span, _ in lifetimes if b == buffer and layer in (None, lay))
        got = {hi.bit_length() - 1: n for lo, hi, n in data.bins[buffer]}
        assert got == dict(want) and all(hi == (2 * lo if lo else 1) for lo, hi, _ in data.bins[buffer])
    text = _svg_text(tmp_path / "l.svg")
    assert all(buffer in text for buffer in BUFFERS)
    assert ("all 3 layers merged" if layer is None else "layer 1 (Conv_1x1)") in drawn.data.title


@pytest.mark.parametrize("layer", [None, 0, 2])
def test_lifetime_panels_share_one_log2_axis_and_one_y_scale(con, layer):
    """Every panel: log2 x axis over the same range, the same y scale; the y scale is log exactly
    when the bars span two decades (here, for layer 2 and all layers: one ofmap lifetime in a bin
    beside hundreds; the per-layer pictures take the scale of all layers' bars together)."""
    drawn = plot_lifetimes(con, 1, layer)
    axes = drawn.figure.axes
    assert len(axes) == 3
    assert all(ax.get_xscale() == "log" and ax.xaxis.get_transform().base == 2 for ax in axes)
    assert len({ax.get_xlim() for ax in axes}) == 1 and len({ax.get_yscale() for ax in axes}) == 1
    lifetimes, _, _ = analyse(run_accesses(RUNS[0], total_cycles(RUNS[0])))
    if layer is None:
        counts = Counter((b, span.bit_length()) for _, b, _, _, _, span, _ in lifetimes).values()
    else:
        counts = Counter((lay, b, span.bit_length()) for lay, b, _, _, _, span, _ in lifetimes).values()
    assert axes[0].get_yscale() == ("log" if max(counts) >= 100 * min(counts) else "linear") == "log"
    # The axis reaches the longest lifetime of the run and every drawn marker.
    longest = max(span for *_, span, _ in lifetimes)
    assert axes[0].get_xlim()[1] > max([longest] + [m.cycles for m in drawn.data.markers if m.drawn])


@pytest.mark.parametrize("run_id, clock_hz, threshold_s", [(1, CLOCK_HZ, THRESHOLD_S), (2, 1e9, 1e-6)])
def test_lifetime_markers_are_the_threshold_and_the_retentions(con, run_id, clock_hz, threshold_s):
    """Vertical lines at threshold_s * clock_hz cycles and at each gain cell's retention in cycles
    (run 1: its stored settings; run 2: the defaults, 1 GHz and 1 us); a retention far beyond the
    lifetimes, or unknown, is named in the legend but not drawn."""
    drawn = plot_lifetimes(con, run_id)
    retentions = _gain_cell_retentions()
    markers = {m.name: m for m in drawn.data.markers}
    assert set(markers) == {"threshold", *retentions}
    assert markers["threshold"].cycles == pytest.approx(threshold_s * clock_hz)
    for technology, seconds in retentions.items():
        assert markers[technology].cycles == (None if seconds is None else pytest.approx(seconds * clock_hz))
    # Of the shipped table, only si_gain_cell (77 us) is near these lifetimes; 5000 s is not drawn.
    expected = sorted([threshold_s * clock_hz, retentions["si_gain_cell"] * clock_hz])
    assert [m.name for m in drawn.data.markers if m.drawn] == ["threshold", "si_gain_cell"]
    for ax in drawn.figure.axes:
        assert _drawn_lines(ax) == pytest.approx(expected)
    legend = [t.get_text() for t in drawn.figure.legends[0].get_texts()]
    assert f"{threshold_s * clock_hz:,.0f} cycles" in " ".join(legend)
    assert f"{retentions['si_gain_cell'] * clock_hz:,.0f} cycles" in " ".join(legend)
    assert any("hybrid_os_si_gain_cell" in t and "beyond the axis" in t for t in legend)
    assert any("os_os_gain_cell" in t and "beyond the axis" in t for t in legend)


def test_zero_lifetimes_are_a_marked_bar_left_of_one_cycle(tmp_path):
    """A read in its write's own cycle is a lifetime of 0: drawn as the hatched bar at [1/4, 1/2),
    with the x tick "0" under it. The run: the example with one IFMAP fill of a new address (999)
    read in the same cycle."""
    run = tmp_path / "scalesim_tiny_8x8_ws" / "tiny_8x8_ws"
    shutil.copytree(EXAMPLE_RUN, tmp_path / "scalesim_tiny_8x8_ws")
    with open(run / "layer0" / "IFMAP_DRAM_TRACE.csv", "a") as handle:
        handle.write("291.0,999.0\n")
    with open(run / "layer0" / "IFMAP_SRAM_TRACE.csv", "a") as handle:
        handle.write("291," + ",".join(["999"] + ["-1"] * 7) + "\n")
    con = open_warehouse(tmp_path / "w.duckdb")
    try:
        ingest(con, [run])
        drawn = plot_lifetimes(con, 1, 0)
    finally:
        con.close()
    assert drawn.data.bins["ifmap"][0] == (0, 1, 1)
    (ifmap, *_) = drawn.figure.axes
    zero = [p for p in ifmap.patches if p.get_hatch()]
    assert [(p.get_x(), p.get_x() + p.get_width(), p.get_height()) for p in zero] == [(0.25, 0.5, 1)]
    ticks = dict(zip(ifmap.get_xticks(), (t.get_text() for t in ifmap.get_xticklabels())))
    assert ticks[math.sqrt(0.25 * 0.5)] == "0"


def test_per_layer_pictures_are_each_layers_picture(con):
    """One picture per layer of the run, named as GainSight's backend names them (layer<i>_graph.png),
    each the layer's own lifetime picture, titled with the topology's layer name, with the same axes."""
    pictures = list(plot_lifetimes_per_layer(con, 1))
    names = _topology_names(RUNS[0])
    assert [name for name, _ in pictures] == [f"layer{i}_graph.png" for i in range(len(total_cycles(RUNS[0])))]
    for i, (_, drawn) in enumerate(pictures):
        alone = plot_lifetimes(con, 1, i).data
        assert drawn.data.bins == alone.bins and drawn.data.title.endswith(f"layer {i} ({names[i]})")
    assert len({(d.data.x_limits, d.data.y_scale) for _, d in pictures}) == 1


def test_runs_plot_stacks_each_layers_total_cycles(con, tmp_path):
    """One bar per run labelled by its config (array and dataflow; with the run name, or where the
    names are the same too the end of the path, when runs share it), one segment per layer named
    as in the topology, its total on top: the Total Cycles of COMPUTE_REPORT.csv."""
    drawn = plot_runs(con, None)
    save_figure(drawn.figure, tmp_path / "r.png")
    configs = []
    for run in RUNS:
        (cfg,) = (run.parent / "inputs").glob("*.cfg")
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(cfg)
        preset = parser["architecture_presets"]
        configs.append(f"{preset['ArrayHeight'].strip()}x{preset['ArrayWidth'].strip()} {preset['Dataflow'].strip()}")
    assert configs[0] == configs[2] != configs[1]
    bars = drawn.data.bars
    assert [bar.label for bar in bars] == [f"{configs[0]}\n{RUNS[0].parent.name}/{RUNS[0].name}", configs[1],
                                           f"{configs[2]}\n{RUNS[2].parent.name}/{RUNS[2].name}"]
    assert [bar.cycles for bar in bars] == [list(total_cycles(run).values()) for run in RUNS]
    assert [bar.total for bar in bars] == [sum(total_cycles(run).values()) for run in RUNS]
    assert drawn.data.layer_labels == _topology_names(RUNS[0]) == _topology_names(RUNS[1])
    (ax,) = drawn.figure.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == [bar.label for bar in bars]
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{bar.total:,}" for bar in bars)
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Two runs of different configs need no more than their configs.
    assert [bar.label for bar in plot_runs(con, [1, 2]).data.bars] == configs[:2]


def test_memtech_plot_draws_the_memtech_view(con, tmp_path):
    drawn = plot_memtech(con, 1)
    save_figure(drawn.figure, tmp_path / "m.pdf")
    data = drawn.data
    view = con.execute("SELECT technology, buffer, fit_lifetime_pct, area_vs_sram, energy_vs_sram, "
                       "energy_break_even_ratio FROM memtech WHERE run_id = 1").fetchall()
    for technology, buffer, fit, area, energy, break_even in view:
        if buffer == "all":
            assert (data[technology]["fit_lifetime_pct"], data[technology]["area_vs_sram"]) == (fit, area)
        else:
            assert data[technology]["energy_vs_sram"][buffer] == energy
            assert data[technology]["energy_break_even_ratio"][buffer] == break_even
    assert data["sram"]["area_vs_sram"] == 1.0
    # every gain cell of the shipped figures lacks an access energy: each has a break-even ratio per buffer
    for technology in ("si_gain_cell", "hybrid_os_si_gain_cell", "os_os_gain_cell"):
        assert all(r is not None for r in data[technology]["energy_break_even_ratio"].values()), technology
    assert (tmp_path / "m.pdf").read_bytes()[:5] == b"%PDF-"


def test_bad_plot_options_are_refused_before_drawing(gsdb, tmp_path):
    gsdb("ingest", EXAMPLE_RUN, "-q")
    pictures = tmp_path / "pictures"
    failed = gsdb("plot", "runs", "--output", pictures / "r.gif", check=False)
    assert failed.returncode == 1 and "unknown picture format" in failed.stderr
    both = gsdb("plot", "lifetimes", "--run", "1", "-o", pictures / "l.png", "--per-layer", pictures / "l", check=False)
    neither = gsdb("plot", "lifetimes", "--run", "1", check=False)
    for result in (both, neither):
        assert result.returncode == 2 and result.stderr.startswith(
            "gsdb: error: Invalid value: give either --output FILE or --per-layer DIR")
    assert not pictures.exists()


def test_plot_commands_write_their_files(gsdb, tmp_path):
    gsdb("ingest", EXAMPLE_RUN, "-q")
    for args, name in ((("lifetimes", "--run", "tiny_8x8_ws", "--layer", "0"), "a.png"),
                       (("runs",), "b.svg"), (("memtech", "--run", "1"), "c.png")):
        out = tmp_path / name
        assert "wrote" in gsdb("plot", *args, "--output", out).stdout and out.stat().st_size > 1000
    # --per-layer: a fresh folder of layer<i>_graph.png, one per layer, replaced only with --replace.
    folder = tmp_path / "layers"
    per_layer = ("plot", "lifetimes", "--run", "tiny_8x8_ws", "--per-layer", folder)
    assert gsdb(*per_layer).stdout.strip() == f"wrote 3 pictures into {folder}"
    layers = len(total_cycles(EXAMPLE_RUN / "tiny_8x8_ws"))
    pictures = {f"layer{i}_graph.png" for i in range(layers)}
    assert {p.name for p in folder.iterdir()} == pictures | {".gainsight-db-export"}
    assert all((folder / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pictures)
    again = gsdb(*per_layer, check=False)
    assert again.returncode == 1 and "use --replace" in again.stderr
    assert "wrote 3 pictures" in gsdb(*per_layer, "--replace").stdout
    assert {p.name for p in tmp_path.iterdir() if p.name.startswith(".")} == set()  # no work folders left
