"""`gsdb plot ...`: the pictures are written, and what they draw comes from the views (checked
against the plain-Python reference and the runs' own reports, not pixel by pixel)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from conftest import EXAMPLE_RUN, SCALESIM_SAMPLES
from lifetime_reference import analyse
from trace_reference import run_accesses, total_cycles

from gainsight_db.loaders.ingest import ingest
from gainsight_db.plots import plot_lifetimes, plot_memtech, plot_runs, save_figure
from gainsight_db.warehouse.connection import open_warehouse

RUNS = [EXAMPLE_RUN / "tiny_8x8_ws", SCALESIM_SAMPLES["v3_api_tiny_8x16_os"]]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = open_warehouse(tmp_path_factory.mktemp("plots") / "w.duckdb")
    ingest(con, RUNS)
    yield con
    con.close()


def _svg_text(path) -> str:
    root = ET.parse(path).getroot()  # fails unless the file is well-formed SVG
    assert root.tag.endswith("svg")
    return path.read_text()


@pytest.mark.parametrize("layer", [None, 1])
def test_lifetime_plot_draws_the_reference_histogram(con, tmp_path, layer):
    """Each buffer's bars are the lifetimes per log2 bin (bin = bit length of the lifetime)."""
    drawn = plot_lifetimes(con, 1, layer)
    save_figure(drawn.figure, tmp_path / "l.svg")
    data = drawn.data
    lifetimes, _, _ = analyse(run_accesses(RUNS[0], total_cycles(RUNS[0])))
    for buffer in ("ifmap", "filter", "ofmap"):
        want = Counter(span.bit_length() for lay, b, _, _, _, span, _ in lifetimes if b == buffer and layer in (None, lay))
        got = {hi.bit_length() - 1: n for lo, hi, n in data[buffer]}
        assert got == dict(want) and all(hi == (2 * lo if lo else 1) for lo, hi, _ in data[buffer])
    text = _svg_text(tmp_path / "l.svg")
    assert all(buffer in text for buffer in ("ifmap", "filter", "ofmap"))


def test_runs_plot_stacks_each_layers_total_cycles(con, tmp_path):
    """One bar per run, one segment per layer: the Total Cycles of COMPUTE_REPORT.csv."""
    drawn = plot_runs(con, None)
    save_figure(drawn.figure, tmp_path / "r.png")
    data = drawn.data
    assert data == {run.name: list(total_cycles(run).values()) for run in RUNS}
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_memtech_plot_draws_the_memtech_view(con, tmp_path):
    drawn = plot_memtech(con, 1)
    save_figure(drawn.figure, tmp_path / "m.pdf")
    data = drawn.data
    view = con.execute("SELECT technology, fit_lifetime_pct, area_vs_sram, energy_vs_sram FROM memtech "
                       "WHERE run_id = 1 AND buffer = 'all'").fetchall()
    assert data == {t: {"fit_lifetime_pct": f, "area_vs_sram": a, "energy_vs_sram": e} for t, f, a, e in view}
    assert data["sram"]["area_vs_sram"] == 1.0
    assert (tmp_path / "m.pdf").read_bytes()[:5] == b"%PDF-"


def test_unknown_picture_format_is_refused_before_drawing(gsdb, tmp_path):
    gsdb("ingest", EXAMPLE_RUN, "-q")
    pictures = tmp_path / "pictures"
    failed = gsdb("plot", "runs", "--output", pictures / "r.gif", check=False)
    assert failed.returncode == 1 and "unknown picture format" in failed.stderr
    assert not pictures.exists()


def test_plot_commands_write_their_files(gsdb, tmp_path):
    gsdb("ingest", EXAMPLE_RUN, "-q")
    for args, name in ((("lifetimes", "--run", "tiny_8x8_ws", "--layer", "0"), "a.png"),
                       (("runs",), "b.svg"), (("memtech", "--run", "1"), "c.png")):
        out = tmp_path / name
        assert "wrote" in gsdb("plot", *args, "--output", out).stdout and out.stat().st_size > 1000
