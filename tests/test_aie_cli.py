"""`gsdb export aie` writes the files postprocess_aie_trace.py writes, byte for byte the same as the
plain-Python reference writes them (tests/aie_reference.py: same keys, order, values and types), on
every bundled sample and on synthetic traces; `gsdb report aie` lists the views with the shared output
options."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from aie_compare import CORE0, CORE1, CORE2, PARAMS, cli_options, core, write_trace
from aie_reference import Params, aggregate, analyse, write_outputs
from conftest import AIE_DATA

from gainsight_db.common.staging import EXPORT_MARKER

SAMPLE_PARAMS = Params(M=256, K=128, N=64, m=32, k=32, n=32, rows=1, cols=2, hwid="npu1", warmup=0, iterations=1)


def _files(folder: Path) -> dict[str, str]:
    """The files of an export (the reference's, or ours less the marker that makes it replaceable)."""
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.name != EXPORT_MARKER}


def _reference_files(trace: Path, params: Params, out: Path) -> dict[str, str]:
    folder = out.parent / (out.name + "_reference")
    write_outputs(str(out), analyse(json.loads(trace.read_text()), params), params, str(trace.resolve()))
    # write_outputs wrote into `out` itself; move its files aside so the export can write there
    folder.mkdir()
    for p in out.iterdir():
        p.rename(folder / p.name)
    out.rmdir()
    return _files(folder)


def _export_matches_reference(gsdb, tmp_path: Path, trace: Path, params: Params) -> dict[str, str]:
    gsdb("ingest", "-q", trace, *cli_options(params))
    out = tmp_path / "exported"
    expected = _reference_files(trace, params, out)
    result = gsdb("export", "aie", "--run", trace.stem, "--output", out)
    assert f"wrote {out}" in result.stdout
    assert _files(out) == expected
    return expected


@pytest.mark.parametrize("sample", sorted(p.name for p in AIE_DATA.glob("*.json")))
def test_export_of_each_sample_equals_the_reference_files(sample, tmp_path, gsdb):
    files = _export_matches_reference(gsdb, tmp_path, AIE_DATA / sample, SAMPLE_PARAMS)
    assert {"index.json", "aggregate_perf.json"} <= set(files)


def test_export_of_a_multicore_trace(tmp_path, gsdb):
    trace = write_trace(tmp_path / "gemm.json", CORE0 + CORE1 + CORE2)
    files = _export_matches_reference(gsdb, tmp_path, trace, PARAMS)
    assert set(files) == {"tile0,2.json", "tile1,2.json", "tile2,2.json", "details.md", "index.json",
                          "aggregate_perf.json"}
    # odd kernel count: the median is written as an integer; aggregate over the common iteration 1
    assert '"median_kernel_duration_cycles": 100,' in files["tile0,2.json"]
    assert json.loads(files["aggregate_perf.json"])["iterations_considered"] == [1]


def test_export_with_an_even_median_a_core_without_kernels_and_no_common_iteration(tmp_path, gsdb):
    """An even number of kernels makes the median a float (101.5); a core without kernels has only
    the reference's short set of keys and leaves no common perf iteration."""
    events = core(0, "tile0,2", kernels=[(0, 100), (200, 303)]) + core(1, "tile1,2", stalls=[(0, 50)])
    trace = write_trace(tmp_path / "even.json", events)
    files = _export_matches_reference(gsdb, tmp_path, trace, PARAMS)
    assert '"median_kernel_duration_cycles": 101.5,' in files["tile0,2.json"]
    assert list(json.loads(files["tile1,2.json"])) == [
        "pid", "tile_name", "detected_total_iterations", "expected_total_iterations", "mismatch_note",
        "iterations", "performance_window"]
    assert json.loads(files["aggregate_perf.json"]) == {"note": "No common perf iterations across all cores."}


def test_export_of_a_trace_without_cores(tmp_path, gsdb):
    trace = write_trace(tmp_path / "dma.json", [
        {"name": "process_name", "ph": "M", "pid": 0, "args": {"name": "shim_trace for tile0,0"}},
        {"name": "PORT_RUNNING_0", "ph": "B", "ts": 3, "pid": 0, "tid": 0, "args": {}}])
    files = _export_matches_reference(gsdb, tmp_path, trace, PARAMS)
    assert set(files) == {"index.json", "aggregate_perf.json"}
    assert json.loads(files["index.json"])["details_md"] is None


def test_export_needs_the_run_parameters(tmp_path, gsdb):
    trace = write_trace(tmp_path / "bare.json", CORE0)
    gsdb("ingest", "-q", trace, "--M", "64")
    result = gsdb("export", "aie", "--run", "bare", "--output", tmp_path / "out", check=False)
    assert result.returncode == 1
    line = result.stderr.strip()
    assert line.startswith("gsdb: error: run 'bare': --K, --N, --row, --col, --warmup, --iterations unknown")
    assert not (tmp_path / "out").exists()


def test_export_refuses_other_runs_and_a_full_folder(tmp_path, gsdb):
    trace = write_trace(tmp_path / "t.json", CORE0)
    gsdb("ingest", "-q", trace, *cli_options())
    assert "no such run" in gsdb("export", "aie", "--run", "nope", "--output", tmp_path / "o", check=False).stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    result = gsdb("export", "aie", "--run", "t", "--output", tmp_path / "full", check=False)
    assert result.returncode == 1 and "--replace" in result.stderr
    # --replace replaces only an earlier export, never a folder of other files
    refused = gsdb("export", "aie", "--run", "t", "--output", tmp_path / "full", "--replace", check=False)
    assert refused.returncode == 1 and "not an earlier gainsight-db export" in refused.stderr
    assert (tmp_path / "full" / "keep.txt").exists()
    gsdb("export", "aie", "--run", "t", "--output", tmp_path / "out", "-q")
    (tmp_path / "out" / "tile0,2.json").write_text("edited")
    gsdb("export", "aie", "--run", "t", "--output", tmp_path / "out", "--replace")
    assert (tmp_path / "out" / "tile0,2.json").read_text() != "edited"


def test_report_levels_and_formats(tmp_path, gsdb):
    trace = write_trace(tmp_path / "multi.json", CORE0 + CORE1 + CORE2)
    other = write_trace(tmp_path / "other.json", CORE0)
    gsdb("ingest", "-q", trace, other, *cli_options())
    rows = list(csv.DictReader(io.StringIO(gsdb("report", "aie", "--run", "multi", "--format", "csv").stdout)))
    # iterations in trace order: core 0 has 3, core 1 and core 2 have 2
    assert [(r["tile_name"], r["iteration_index"], r["phase"]) for r in rows] == [
        ("tile0,2", "0", "warmup"), ("tile0,2", "1", "perf"), ("tile0,2", "2", "perf"),
        ("tile1,2", "0", "warmup"), ("tile1,2", "1", "perf"),
        ("tile2,2", "0", "warmup"), ("tile2,2", "1", "perf")]
    assert rows[2]["total_span_cycles"] == "500" and float(rows[2]["gmacs_per_second"]) == 262144 * 1.25 / 500  # rows x cols = 1 x 1
    cores = json.loads(gsdb("report", "aie", "--level", "cores", "--format", "json").stdout)
    assert [(c["run"], c["tile_name"], c["detected_total_iterations"]) for c in cores] == [
        ("multi", "tile0,2", 3), ("multi", "tile1,2", 2), ("multi", "tile2,2", 2), ("other", "tile0,2", 3)]
    summary = json.loads(gsdb("report", "aie", "--level", "summary", "--run", "multi", "--format", "json").stdout)
    assert [(s["iterations_considered"], s["average_runtime_cycles"]) for s in summary] == [([1], 300.0)]
    out = tmp_path / "stalls.md"
    gsdb("report", "aie", "--level", "stalls", "--run", "other", "--format", "markdown", "--output", out)
    assert out.read_text().count("\n") == 2 + 4  # header, rule, four spans
    kernels = gsdb("report", "aie", "--level", "kernels", "--run", "multi", "--format", "ndjson").stdout.splitlines()
    assert len(kernels) == 7 + 5 + 5
    assert "no such run" in gsdb("report", "aie", "--run", "missing", check=False).stderr


def test_a_one_iteration_trace_ingested_as_eleven_warns_and_the_summary_says_why(gsdb):
    """Issue 14: with --warmup 1 --iterations 10 on a trace of one iteration the ingest printed only
    its counts, and `--level summary` was empty with no reason given."""
    trace = AIE_DATA / "ChengyueWang_mlir-aie__01_chengyue_single_core__trace_mm.json"
    params = Params(**{**SAMPLE_PARAMS.__dict__, "warmup": 1, "iterations": 10})
    (reference,) = analyse(json.loads(trace.read_text()), params)
    kernels = sum(i["num_kernels"] for i in reference["iterations"])
    assert (reference["tile_name"], reference["detected_total_iterations"], kernels) == ("tile2,0", 1, 102)
    assert aggregate([reference], params) == {"note": "No common perf iterations across all cores."}
    result = gsdb("ingest", trace, *cli_options(params))
    assert result.stdout.rstrip().endswith("1 core, 102 kernel calls")
    why = ("expected 11 iterations per core (warmup 1 + iterations 10), detected 1 on tile2,0: "
           "no performance iteration is common to all cores, so there is nothing to aggregate")
    assert result.stderr == f"gsdb: warning: {trace.resolve()}: {why}\n"
    summary = json.loads(gsdb("report", "aie", "--level", "summary", "--format", "json").stdout)
    assert [(s["count"], s["note"], s["diagnosis"]) for s in summary] == [
        (0, "No common perf iterations across all cores.", why)]
    assert why in gsdb("report", "aie", "--level", "summary").stdout
