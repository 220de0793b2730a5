"""Issue 13, AI Engine side: a trace path means exactly that file. Synthetic traces only, through
the real `gsdb`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from aie_compare import core, write_trace

# A small real-looking trace: metadata first, then kernels and LOCK_STALLs as mlir-aie writes them.
THREADS = [{"name": "thread_name", "ph": "M", "pid": 0, "tid": t, "args": {"name": n}}
           for t, n in enumerate(["INSTR_EVENT_0", "INSTR_EVENT_1", "LOCK_STALL"])]
EVENTS = core(0, "tile0,2", kernels=[(100, 200), (300, 400), (5100, 5200)], stalls=[(400, 5000)])
EVENTS = EVENTS[:1] + THREADS + EVENTS[1:]
OTHER = core(1, "tile1,2", kernels=[(10, 20)], stalls=[])


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

