"""Every bundled AI Engine sample (tests/data/aie) ingested through the real `gsdb`: its events are
all kept as written, and its per-core, per-iteration and aggregate results equal the plain-Python
reference (tests/aie_reference.py) exactly, with parameters given as options and parsed from the
reference's output path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from aie_compare import cli_options, warehouse_aggregate, warehouse_cores
from aie_reference import OLD_NAMES, Params, aggregate, analyse
from conftest import AIE_DATA

SAMPLES = sorted(p.name for p in AIE_DATA.glob("*.json"))
# warmup 0 and one measured iteration, so that the single-iteration samples have an aggregate too
OPTION_PARAMS = Params(M=256, K=256, N=256, m=64, k=64, n=64, rows=1, cols=1, hwid="npu1", warmup=0, iterations=1)


def _gsdb(db: Path, *args) -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "gsdb"), *map(str, args)],
        capture_output=True, text=True, env=dict(os.environ, GSDB_DB=str(db)),
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """All samples ingested at once (the folder), with the parameters as options."""
    db = tmp_path_factory.mktemp("aie_samples") / "w.duckdb"
    _gsdb(db, "ingest", "-q", AIE_DATA, *cli_options(OPTION_PARAMS))
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def _run_id(con, sample: str) -> int:
    return con.execute("SELECT run_id FROM runs WHERE kind = 'aie' AND source_path = ?",
                       [str((AIE_DATA / sample).resolve())]).fetchone()[0]


def test_every_sample_is_one_run(warehouse):
    assert warehouse.execute("SELECT count(*) FROM runs WHERE kind = 'aie'").fetchone()[0] == len(SAMPLES) == 6


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_events_are_kept_as_written(warehouse, sample):
    events = json.loads((AIE_DATA / sample).read_text())
    rows = warehouse.execute(
        "SELECT event_index, raw_name, name, ph, ts, pid, tid, args FROM aie_events WHERE run_id = ? ORDER BY event_index",
        [_run_id(warehouse, sample)],
    ).fetchall()
    assert [r[0] for r in rows] == list(range(len(events)))
    for (_, raw, name, ph, ts, pid, tid, args), event in zip(rows, events):
        assert (raw, ph, ts, pid, tid) == (event["name"], event["ph"], event.get("ts"), event["pid"], event.get("tid"))
        assert name == OLD_NAMES.get(raw, raw)
        assert json.loads(args) == event["args"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_results_equal_the_reference(warehouse, sample):
    events = json.loads((AIE_DATA / sample).read_text())
    run_id = _run_id(warehouse, sample)
    expected = analyse(events, OPTION_PARAMS)
    assert warehouse_cores(warehouse, run_id) == expected
    assert warehouse_aggregate(warehouse, run_id) == aggregate(expected, OPTION_PARAMS)


def test_facts_of_the_samples_from_their_description(warehouse):
    """What tests/data/README.md says about each sample, checked on the warehouse."""
    q = warehouse.execute

    def run(prefix):
        return _run_id(warehouse, next(s for s in SAMPLES if s.startswith(prefix)))

    # Xilinx section-4b: 1 core, 4 kernel calls
    assert q("SELECT count(*), sum(kernels) FROM aie_cores WHERE run_id = ?", [run("Xilinx")]).fetchone() == (1, 4)
    # single-core GEMM: 108 kernel calls (start markers); the duplicate filter keeps fewer pairs
    single = run("ChengyueWang_mlir-aie__01")
    assert q("SELECT count(*) FROM aie_events WHERE run_id = ? AND name = 'INSTR_EVENT_0' AND ph = 'B'",
             [single]).fetchone()[0] == 108
    # Chengyue section-4b: one more start than ends, so 4 pairs
    four_b = run("ChengyueWang_mlir-aie__section-4b")
    starts, ends = q(
        """SELECT count(*) FILTER (WHERE name = 'INSTR_EVENT_0' AND ph = 'B'),
                  count(*) FILTER (WHERE name = 'INSTR_EVENT_1' AND ph = 'E') FROM aie_events WHERE run_id = ?""",
        [four_b]).fetchone()
    assert (starts, ends) == (5, 4)
    assert q("SELECT kernel_pairs FROM aie_cores WHERE run_id = ?", [four_b]).fetchone()[0] == 4
    # vector_scalar_mul: a long LOCK_STALL before the first kernel makes iteration 0 empty
    vsm = run("ChengyueWang_mlir-aie__vector")
    assert q("SELECT num_kernels, first_start FROM aie_iterations WHERE run_id = ? AND iteration_index = 0",
             [vsm]).fetchone() == (0, None)
    # 2024 names: Event0/Event1/LockStall are mapped, and the kernels are found
    old = run("ngdymx")
    assert q("SELECT count(*) FROM aie_events WHERE run_id = ? AND name IN ('Event0', 'Event1', 'LockStall')",
             [old]).fetchone()[0] == 0
    assert q("SELECT count(*) FROM aie_events WHERE run_id = ? AND raw_name = 'Event0' AND name = 'INSTR_EVENT_0'",
             [old]).fetchone()[0] == 6
    assert q("SELECT kernels FROM aie_cores WHERE run_id = ?", [old]).fetchone()[0] == 3
    assert q("SELECT format_version FROM runs WHERE run_id = ?", [old]).fetchone()[0] == "trace-event (2024 names)"
    # data movement only: no kernel markers at all
    dm = run("andrej")
    assert q("SELECT kernels, detected_total_iterations, mismatch_note FROM aie_cores WHERE run_id = ?",
             [dm]).fetchone() == (0, 0, "No valid kernel pairs detected after robust filtering.")
    assert q("SELECT max(ts) FROM aie_events WHERE run_id = ?", [dm]).fetchone()[0] > 8_000_000
    assert q("SELECT note FROM aie_aggregate_summary WHERE run_id = ?", [dm]).fetchone()[0] == (
        "No common perf iterations across all cores.")


def test_parameters_parsed_from_the_reference_output_path(tmp_path):
    """outputs/{hwid}-gemm_{M}_{K}_{N}-{rows}_row_{cols}_col/traces/trace_mm_{M}_{K}_{N}.json gives hwid,
    M, K, N, rows and cols; the options give the rest (and would override the path)."""
    sample = "ChengyueWang_mlir-aie__vector_scalar_mul__trace_vector_scalar_mul.json"
    trace = tmp_path / "outputs" / "npu2-gemm_128_64_32-2_row_4_col" / "traces" / "trace_mm_128_64_32.json"
    trace.parent.mkdir(parents=True)
    shutil.copy(AIE_DATA / sample, trace)
    db = tmp_path / "w.duckdb"
    _gsdb(db, "ingest", "-q", trace, "--warmup", "1", "--iterations", "1", "--m", "16")
    params = Params(M=128, K=64, N=32, m=16, k=None, n=None, rows=2, cols=4, hwid="npu2", warmup=1, iterations=1)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute(
            "SELECT hwid, gemm_m, gemm_k, gemm_n, tile_m, tile_k, rows, cols, warmup, iterations, parameters_from FROM aie_runs"
        ).fetchone() == ("npu2", 128, 64, 32, 16, None, 2, 4, 1, 1, "options+path")
        expected = analyse(json.loads(trace.read_text()), params)
        assert warehouse_cores(con, 1) == expected
        assert warehouse_aggregate(con, 1) == aggregate(expected, params)
        # per core: (128*64*32 / 8) * 1.25 / span, worked by hand for iteration 1
        span = con.execute("SELECT total_span_cycles, gmacs_per_second FROM aie_iterations WHERE iteration_index = 1").fetchone()
        assert span[1] == (128.0 * 64.0 * 32.0 / 8) * 1.25 / span[0]
    finally:
        con.close()


def test_folder_with_scalesim_runs_traces_and_other_json(tmp_path):
    """One ingest of a folder holding a SCALE-Sim run, two traces (one in the reference's output
    layout) and other JSON files (exported reports, which are JSON objects): three runs, one ingest each."""
    from conftest import copy_run

    copy_run("v3_api_tiny_8x8_ws", tmp_path / "sweep")
    traces = tmp_path / "sweep" / "npu1-gemm_64_64_64-1_row_1_col" / "traces"
    traces.mkdir(parents=True)
    shutil.copy(AIE_DATA / "Xilinx_mlir-aie__section-4b__trace_4b.json", traces / "trace_mm_64_64_64.json")
    shutil.copy(AIE_DATA / "ngdymx_ryzen-mlir-make__trace_mm_oldnames.json", tmp_path / "sweep" / "old.json")
    (traces / "index.json").write_text('{"hwid": "npu1", "M": 64}')
    (traces / "tile2,0.json").write_text('{"pid": 0, "tile_name": "tile2,0"}')
    db = tmp_path / "w.duckdb"
    _gsdb(db, "ingest", "-q", tmp_path / "sweep")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT kind, name FROM runs ORDER BY kind, name").fetchall() == [
            ("aie", "old"), ("aie", "trace_mm_64_64_64"), ("scalesim", "tiny_8x8_ws")]
        assert con.execute("SELECT count(*), count(DISTINCT ingest_id) FROM ingests").fetchone() == (3, 3)
        assert con.execute(
            "SELECT a.gemm_m, a.rows, a.hwid, a.parameters_from FROM aie_runs AS a JOIN runs USING (run_id) "
            "WHERE runs.name = 'trace_mm_64_64_64'").fetchone() == (64, 1, "npu1", "path")
    finally:
        con.close()
