"""Issue 13, AI Engine side: a trace path means exactly that file, a truncated trace is refused, a
value mlir-aie never writes (pid 0.7, tid 2.5, ts 12.5 or "12") is refused rather than converted, and
every refusal is one line naming the file, with the warehouse left as it was. Synthetic traces only,
through the real `gsdb` (and, for the many cut points, the same ingest in-process on real DuckDB)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from aie_compare import core, load, warehouse_aggregate, warehouse_cores, write_trace
from conftest import cli_runner, warehouse_fingerprint

from gainsight_db.common.errors import GsdbError
from gainsight_db.warehouse.schema import ensure_schema

# A small real-looking trace: metadata first, then kernels and LOCK_STALLs as mlir-aie writes them.
THREADS = [{"name": "thread_name", "ph": "M", "pid": 0, "tid": t, "args": {"name": n}}
           for t, n in enumerate(["INSTR_EVENT_0", "INSTR_EVENT_1", "LOCK_STALL"])]
EVENTS = core(0, "tile0,2", kernels=[(100, 200), (300, 400), (5100, 5200)], stalls=[(400, 5000)])
EVENTS = EVENTS[:1] + THREADS + EVENTS[1:]
OTHER = core(1, "tile1,2", kernels=[(10, 20)], stalls=[])
# Shorter, for cutting after every character.
SHORT = core(0, "tile0,2", kernels=[(100, 200), (300, 400)], stalls=[(400, 5000)])
SHORT = SHORT[:1] + THREADS[:1] + SHORT[1:]

LAYOUTS = {
    "one line": lambda events: json.dumps(events),
    "one event per line": lambda events: "[" + ",\n".join(json.dumps(e) for e in events) + "]\n",
    "pretty": lambda events: json.dumps(events, indent=2) + "\n",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A warehouse holding one trace, made once for the module."""
    root = tmp_path_factory.mktemp("trust_aie")
    db = root / "wh" / "gainsight.duckdb"
    cli_runner(db)("ingest", "-q", write_trace(root / "seed.json", OTHER))
    return db


@pytest.fixture
def seeded(db, template) -> tuple[Path, str]:
    """The test's warehouse (conftest's `db`), a copy of the template, and its fingerprint."""
    db.parent.mkdir(parents=True)
    for source in template.parent.iterdir():
        if source.name.startswith(template.name):
            shutil.copy2(source, db.parent / source.name)
    return db, warehouse_fingerprint(db)


def refused(result, offender: Path, words: tuple[str, ...], db: Path, before: str) -> str:
    """Exit 1, one `gsdb: error:` line naming the file and holding `words`, the warehouse unchanged."""
    assert result.returncode == 1, f"accepted or crashed ({result.returncode}): {result.stdout}{result.stderr}"
    lines = result.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("gsdb: error: "), result.stderr
    assert str(offender) in lines[0], lines[0]
    assert all(w.lower() in lines[0].lower() for w in words), (words, lines[0])
    assert warehouse_fingerprint(db) == before, "the warehouse changed"
    return lines[0]


def stored_events(db: Path, path: Path) -> list[tuple]:
    """The events stored for the trace at `path`, in file order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            """SELECT name, ph, ts, pid, tid FROM _aie_trace_events JOIN aie_runs USING (run_id)
               WHERE aie_runs.path = ? ORDER BY event_index""",
            [str(path)],
        ).fetchall()
    finally:
        con.close()


def as_rows(events: list[dict]) -> list[tuple]:
    return [(e["name"], e["ph"], e.get("ts"), e.get("pid"), e.get("tid")) for e in events]


# -- 1. A path is that file, not a glob pattern ---------------------------------------------------

# (name of the trace, a sibling that the name read as a glob pattern matches)
GLOB_NAMES = [
    pytest.param("trace[1].json", "trace1.json", id="brackets-read-a-sibling"),
    pytest.param("what?.json", "whatX.json", id="question-mark"),
    pytest.param("star*.json", "star-and-more.json", id="star"),
    pytest.param("a\\[1].json", "a\\1.json", id="backslash-and-brackets"),
    pytest.param("runs[2]/trace.json", "runs2/trace.json", id="folder-with-brackets"),
]


@pytest.mark.parametrize("name, sibling", GLOB_NAMES)
def test_trace_path_is_read_as_exactly_that_file(tmp_path, gsdb, db, name, sibling):
    trace = write_trace(tmp_path / name, EVENTS)
    write_trace(tmp_path / sibling, OTHER)
    result = gsdb("ingest", trace)
    assert f"{len(EVENTS)} events, 1 core, 3 kernel calls" in result.stdout
    assert stored_events(db, trace) == as_rows(EVENTS)


def test_folder_of_traces_with_glob_characters(tmp_path, gsdb, db):
    """A folder walk takes each file for itself: a report named like a sibling trace read as a glob
    pattern is still not a trace, and each trace holds its own events."""
    folder = tmp_path / "sweep"
    write_trace(folder / "t[1].json", EVENTS)
    write_trace(folder / "t1.json", OTHER)
    (folder / "report[2].json").write_text('{"hwid": "npu1"}')
    write_trace(folder / "report2.json", EVENTS)
    gsdb("ingest", folder)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT path FROM aie_runs ORDER BY path").fetchall() == [
            (str(folder / "report2.json"),), (str(folder / "t1.json"),), (str(folder / "t[1].json"),)]
    finally:
        con.close()
    assert stored_events(db, folder / "t[1].json") == as_rows(EVENTS)
    assert stored_events(db, folder / "t1.json") == as_rows(OTHER)


# -- 3. A truncated trace is refused ---------------------------------------------------------------

@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """One in-memory warehouse on real DuckDB, ingesting through the same code as `gsdb ingest`."""
    folder = tmp_path_factory.mktemp("trust_aie_cuts")
    con = duckdb.connect(config={"threads": 1})
    ensure_schema(con, ":memory:")
    yield con, folder
    con.close()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_cut_point_is_refused_or_loads_the_whole_trace(scratch, layout):
    """Cut after every character: a cut that is not valid JSON is refused (nothing loaded); one that
    is (only blank space was cut) loads exactly what the whole trace loads."""
    con, folder = scratch
    text = LAYOUTS[layout](SHORT)
    whole = load(con, write_trace(folder / "whole.json", SHORT))
    expected = (warehouse_cores(con, whole), warehouse_aggregate(con, whole))
    runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    path = folder / "cut.json"
    loaded = 0
    for cut in range(1, len(text)):
        path.write_text(text[:cut])
        try:
            json.loads(text[:cut])
        except ValueError:
            with pytest.raises(GsdbError) as refusal:
                load(con, path)
            message = str(refusal.value)
            assert message.startswith(f"{path.resolve()}: ") and "\n" not in message, (cut, message)
            assert "truncated" in message, (cut, message)
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == runs, cut
            continue
        run_id = load(con, path)
        assert (warehouse_cores(con, run_id), warehouse_aggregate(con, run_id)) == expected, cut
        loaded += 1
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert loaded == len(text) - len(text.rstrip())  # only the trailing newline may be cut


@pytest.mark.parametrize("layout", LAYOUTS)
def test_trace_cut_after_an_event_is_refused(tmp_path, seeded, gsdb, layout):
    """The case of the issue: a file cut right after an event's '},' (no closing ']')."""
    db, before = seeded
    text = LAYOUTS[layout](EVENTS)
    cut = text.index("},", len(text) // 2) + 2
    trace = tmp_path / "cut.json"
    trace.write_text(text[:cut])
    line = text[:cut].count("\n") + 1
    message = refused(gsdb("ingest", trace, check=False), trace, ("truncated",), db, before)
    assert f"line {line}" in message, message


def test_trace_cut_before_the_closing_bracket_of_the_traceevents_object(tmp_path, seeded, gsdb):
    db, before = seeded
    text = json.dumps({"traceEvents": EVENTS}, indent=1)
    trace = tmp_path / "object.json"
    trace.write_text(text[: text.rindex("]")])
    refused(gsdb("ingest", trace, check=False), trace, ("truncated",), db, before)


# -- 4. A value mlir-aie never writes is refused, not converted --------------------------------------

KERNEL = 4  # EVENTS[4] is the first kernel start: INSTR_EVENT_0 / B, ts 100, pid 0, tid 0
assert EVENTS[KERNEL]["name"] == "INSTR_EVENT_0" and EVENTS[KERNEL]["ts"] == 100

COERCED = [
    pytest.param("pid", 0.7, "pid 0.7 is not an integer", id="pid-float"),
    pytest.param("pid", True, "pid true is not an integer", id="pid-true"),
    pytest.param("pid", 0.0, "pid 0.0 is not an integer", id="pid-whole-float"),
    pytest.param("pid", "0", 'pid "0" is not an integer', id="pid-string"),
    pytest.param("pid", 2**63, "pid 9223372036854775808 is out of range", id="pid-too-large"),
    pytest.param("tid", 2.5, "tid 2.5 is not an integer", id="tid-float"),
    pytest.param("tid", False, "tid false is not an integer", id="tid-false"),
    pytest.param("ts", 100.9, "ts 100.9 is not an integer", id="ts-float"),
    pytest.param("ts", 100.0, "ts 100.0 is not an integer", id="ts-whole-float"),
    pytest.param("ts", "100", 'ts "100" is not an integer', id="ts-string"),
    pytest.param("ts", 2**53, "ts 9007199254740992 is out of range", id="ts-beyond-2^53"),
    pytest.param("ts", -(2**53), "ts -9007199254740992 is out of range", id="ts-below-minus-2^53"),
    pytest.param("name", 5, "name 5 is not a string", id="name-number"),
    pytest.param("ph", ["B"], 'ph ["B"] is not a string', id="ph-array"),
]


@pytest.mark.parametrize("field, value, problem", COERCED)
@pytest.mark.parametrize("layout", ["one event per line", "pretty"])
def test_value_mlir_aie_never_writes_is_refused(tmp_path, seeded, gsdb, layout, field, value, problem):
    """Refused with the file, the event (position, name, line where it starts) and the field."""
    db, before = seeded
    events = json.loads(json.dumps(EVENTS))
    events[KERNEL][field] = value
    text = LAYOUTS[layout](events)
    trace = tmp_path / "coerced.json"
    trace.write_text(text)
    line = text[: _nth_object(text, KERNEL)].count("\n") + 1
    shown = "(INSTR_EVENT_0" if field != "name" else "(5"
    message = refused(gsdb("ingest", trace, check=False), trace, (problem,), db, before)
    assert f"event {KERNEL} {shown}" in message and f"line {line})" in message, message


def _nth_object(text: str, n: int) -> int:
    """Offset of the '{' that opens element n of a top-level array (no braces inside strings)."""
    depth, seen = 0, -1
    for i, c in enumerate(text):
        if c in "[{":
            if depth == 1 and c == "{":
                seen += 1
                if seen == n:
                    return i
            depth += 1
        elif c in "]}":
            depth -= 1
    raise ValueError(n)


def test_integers_load_unchanged(tmp_path, gsdb, db):
    """The limits themselves load: pid and tid from 0 to 2^63 - 1, ts from 0 to 2^53 - 1."""
    events = json.loads(json.dumps(EVENTS))
    events.append({"name": "other", "ph": "i", "ts": 2**53 - 1, "pid": 2**63 - 1, "tid": 0, "args": {}})
    events.append({"name": "other", "ph": "i", "ts": 0, "pid": 0, "tid": 2**63 - 1, "args": {}})
    trace = write_trace(tmp_path / "limits.json", events)
    gsdb("ingest", trace)
    assert stored_events(db, trace) == as_rows(events)


# -- 8. Every refusal names the file ---------------------------------------------------------------

def test_ts_near_2_to_the_63_names_the_file(tmp_path, seeded, gsdb):
    """It used to fail in the analysis with "Overflow in addition of INT64" and no file."""
    db, before = seeded
    events = json.loads(json.dumps(EVENTS))
    events[KERNEL]["ts"] = 2**63 - 1
    trace = write_trace(tmp_path / "huge.json", events)
    refused(gsdb("ingest", trace, check=False), trace, (f"event {KERNEL}", "ts 9223372036854775807", "out of range"),
            db, before)


def test_analysis_failure_names_the_file(tmp_path, seeded, gsdb):
    """A tunable so large that the analysis overflows: refused naming the trace."""
    db, before = seeded
    trace = write_trace(tmp_path / "t.json", EVENTS)
    refused(gsdb("ingest", trace, "--dup-gap-fraction", "1e300", check=False), trace, ("out of range",), db, before)


def test_blank_space_before_the_array_is_read(tmp_path, gsdb, db):
    """50 MB of blank space before a valid array: the trace loads (it was called empty)."""
    trace = tmp_path / "spaced.json"
    with open(trace, "w") as handle:
        handle.write(" \n\t\r" * (50 << 18))
        handle.write(json.dumps(EVENTS))
    result = gsdb("ingest", trace)
    assert f"{len(EVENTS)} events, 1 core, 3 kernel calls" in result.stdout
    assert stored_events(db, trace) == as_rows(EVENTS)


def test_file_of_blank_space_is_empty(tmp_path, seeded, gsdb):
    db, before = seeded
    trace = tmp_path / "blank.json"
    trace.write_text(" " * (1 << 20))
    refused(gsdb("ingest", trace, check=False), trace, ("empty", "1,048,576 bytes of blank space"), db, before)


def test_out_of_memory_is_not_a_bad_trace(tmp_path, seeded, gsdb):
    """Too little memory for DuckDB's JSON reader: said as such, not as "not trace-event JSON"."""
    db, before = seeded
    trace = write_trace(tmp_path / "t.json", EVENTS)
    message = refused(gsdb("ingest", trace, "--memory-limit", "4MB", check=False), trace,
                      ("out of memory", "--memory-limit"), db, before)
    assert "not trace-event" not in message


def test_invalid_utf8_is_refused(tmp_path, seeded, gsdb):
    db, before = seeded
    trace = tmp_path / "latin1.json"
    trace.write_bytes(json.dumps(EVENTS).replace("tile0,2", "tile\xe9").encode("latin-1"))
    refused(gsdb("ingest", trace, check=False), trace, ("not utf-8",), db, before)
