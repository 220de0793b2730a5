"""Bad AI Engine traces are refused cleanly through the real `gsdb`: one `gsdb: error:` line naming
the file and the problem, exit 1, and the warehouse exactly as it was (every row of every table),
also when the bad trace comes with good SCALE-Sim runs and traces in one ingest, or replaces a trace
ingested before."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from aie_compare import core
from conftest import AIE_DATA, copy_run, warehouse_fingerprint

GOOD_TRACE = AIE_DATA / "Xilinx_mlir-aie__section-4b__trace_4b.json"
GOOD_RUN = "v3_api_tiny_8x8_ws"
EVENTS = core(0, "tile0,2", kernels=[(100, 200), (300, 400)], stalls=[(400, 5000)])


def gsdb(db: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "gsdb"), *map(str, args)],
        capture_output=True, text=True, env=dict(os.environ, GSDB_DB=str(db)), timeout=120,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A warehouse holding a SCALE-Sim run and an AI Engine trace, made once for the module."""
    root = tmp_path_factory.mktemp("aie_template")
    db = root / "wh" / "gainsight.duckdb"
    proc = gsdb(db, "ingest", "-q", copy_run(GOOD_RUN, root / "data"), GOOD_TRACE, "--M", "64")
    assert proc.returncode == 0, proc.stderr
    return db


@pytest.fixture
def seeded(tmp_path, template) -> tuple[Path, str]:
    db = tmp_path / "wh" / "gainsight.duckdb"
    db.parent.mkdir(parents=True)
    for source in template.parent.iterdir():
        if source.name.startswith(template.name):
            shutil.copy2(source, db.parent / source.name)
    return db, warehouse_fingerprint(db)


def refused(proc, offender: Path, words: tuple[str, ...], db: Path, before: str) -> str:
    assert proc.returncode == 1, f"accepted or crashed ({proc.returncode}): {proc.stdout}{proc.stderr}"
    lines = proc.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("gsdb: error: "), proc.stderr
    assert str(offender) in lines[0] or offender.name in lines[0], lines[0]
    assert all(w.lower() in lines[0].lower() for w in words), (words, lines[0])
    assert warehouse_fingerprint(db) == before, "the warehouse changed"
    return lines[0]


def _write(text: str | bytes):
    def make(path: Path) -> Path:
        (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
        return path
    return make


def _events(mutate):
    def make(path: Path) -> Path:
        events = json.loads(json.dumps(EVENTS))
        mutate(events)
        path.write_text(json.dumps(events))
        return path
    return make


def _set(index: int, key: str, value):
    def mutate(events):
        if value is _DROP:
            del events[index][key]
        else:
            events[index][key] = value
    return mutate


_DROP = object()
_GOOD_TEXT = GOOD_TRACE.read_text()

BAD = [
    pytest.param(_write(b""), ("empty",), id="empty-file"),
    pytest.param(_write("  \n\n"), ("empty",), id="blank-file"),
    pytest.param(_write(_GOOD_TEXT[: len(_GOOD_TEXT) // 2]), ("malformed or truncated",), id="truncated"),
    pytest.param(_write(_GOOD_TEXT.rstrip()[:-1]), ("malformed or truncated",), id="missing-closing-bracket"),
    pytest.param(_write("Parsing trace...\nDEBUG: 12 events\n" + _GOOD_TEXT), ("expected a json array", "Parsing trace"),
                 id="debug-text-before-the-array"),
    pytest.param(_write(_GOOD_TEXT + "\ndone.\n"), ("malformed",), id="text-after-the-array"),
    pytest.param(_write('{"hwid": "npu1", "M": 64}'), ("traceevents",), id="json-object-without-traceEvents"),
    pytest.param(_write('{"traceEvents": 5}'), ("traceevents",), id="traceEvents-not-an-array"),
    pytest.param(_write("[]"), ("no events",), id="empty-array"),
    pytest.param(_write("[1, 2, 3]"), ("not an event object",), id="array-of-numbers"),
    pytest.param(_write('[{"cycle": 1, "addr": 7}]'), ("name", "ph"), id="objects-that-are-not-events"),
    pytest.param(_events(_set(1, "ts", "soon")), ("event 1", "soon", "not an integer"), id="ts-word"),
    pytest.param(_events(_set(2, "ts", "12.5")), ("event 2", "12.5", "not an integer"), id="ts-decimal-string"),
    pytest.param(_events(_set(1, "ts", True)), ("event 1", "not an integer"), id="ts-boolean"),
    pytest.param(_events(_set(3, "ts", [1])), ("event 3", "not an integer"), id="ts-array"),
    pytest.param(_events(_set(1, "ts", 2 ** 70)), ("event 1", "not an integer"), id="ts-too-large"),
    pytest.param(_events(_set(1, "ts", _DROP)), ("event 1", "INSTR_EVENT_0", "no ts"), id="kernel-start-without-ts"),
    pytest.param(_events(_set(1, "pid", "zero")), ("zero",), id="pid-not-a-number"),
]


@pytest.mark.parametrize("make, words", BAD)
def test_bad_trace_is_refused(make, words, tmp_path, seeded):
    db, before = seeded
    trace = make(tmp_path / "trace.json")
    refused(gsdb(db, "ingest", trace), trace, words, db, before)


@pytest.mark.parametrize("make, words", BAD[:4])
def test_bad_trace_in_a_folder_with_good_inputs_loads_nothing(make, words, tmp_path, seeded):
    """One transaction: the good SCALE-Sim run and good trace sorted before the bad one are undone."""
    db, before = seeded
    folder = tmp_path / "sweep"
    copy_run(GOOD_RUN, folder / "a")
    (folder / "b").mkdir()
    (folder / "b" / "a_good.json").write_text(json.dumps(EVENTS))
    trace = make(folder / "b" / "z_bad.json")
    refused(gsdb(db, "ingest", folder), trace, words, db, before)


def test_bad_rerun_of_an_ingested_trace_keeps_the_old_run(tmp_path, seeded):
    db, _ = seeded
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps(EVENTS))
    assert gsdb(db, "ingest", trace).returncode == 0
    before = warehouse_fingerprint(db)
    trace.write_text(json.dumps(EVENTS)[:-30])
    refused(gsdb(db, "ingest", trace), trace, ("truncated",), db, before)


def test_missing_trace_file(tmp_path, seeded):
    db, before = seeded
    trace = tmp_path / "nope.json"
    refused(gsdb(db, "ingest", trace), trace, ("no such file",), db, before)


def test_folder_of_non_trace_json_is_no_input(tmp_path, seeded):
    """A folder holding only other tools' JSON objects (e.g. exported reports) has nothing to ingest."""
    db, before = seeded
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.json").write_text('{"hwid": "npu1"}')
    refused(gsdb(db, "ingest", tmp_path / "out"), tmp_path / "out", ("no scale-sim run or ai engine trace",), db, before)


def test_ingest_after_a_failed_one_and_replacing_a_trace(tmp_path, seeded):
    """A refused trace, fixed, ingests; ingesting the same path again replaces its run (same run_id)."""
    db, _ = seeded
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps(EVENTS)[:-30])
    assert gsdb(db, "ingest", trace).returncode == 1
    trace.write_text(json.dumps(EVENTS))
    first = gsdb(db, "ingest", trace)
    assert first.returncode == 0 and "ingested run 3 t: 11 events, 1 core, 2 kernel calls" in first.stdout
    second = gsdb(db, "ingest", trace, "--warmup", "0", "--iterations", "1")
    assert second.returncode == 0 and "replaced run 3 t" in second.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM _aie_trace_events WHERE run_id = 3").fetchone()[0] == len(EVENTS)
        assert con.execute("SELECT warmup, iterations FROM aie_runs WHERE run_id = 3").fetchone() == (0, 1)
        assert con.execute("SELECT status FROM ingests WHERE run_id = 3 ORDER BY ingest_id").fetchall() == [
            ("replaced",), ("loaded",)]
        files = con.execute("SELECT files FROM ingests WHERE run_id = 3 AND status = 'loaded'").fetchone()[0]
        import hashlib
        assert files == [{"path": str(trace.resolve()), "size_bytes": trace.stat().st_size,
                          "sha256": hashlib.sha256(trace.read_bytes()).hexdigest()}]
        assert con.execute("SELECT kind, name, parameters->>'warmup' FROM runs WHERE run_id = 3").fetchone() == (
            "aie", "t", "0")
    finally:
        con.close()


def test_bad_option_values_are_refused(tmp_path, seeded):
    db, before = seeded
    proc = gsdb(db, "ingest", GOOD_TRACE, "--M", "-4")
    assert proc.returncode != 0 and "--M" in proc.stderr
    proc = gsdb(db, "ingest", GOOD_TRACE, "--clock-ghz", "fast")
    assert proc.returncode != 0 and "--clock-ghz" in proc.stderr
    assert warehouse_fingerprint(db) == before
