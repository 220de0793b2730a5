"""Ingesting one AI Engine trace: mlir-aie's trace-event JSON, read by DuckDB's JSON reader.

Every event is kept in `_aie_trace_events`; the run parameters (the GEMM's M, K, N, ...) go to
`aie_runs` and the analysis tunables to `aie_settings`. The kernel pairs and LOCK_STALL spans,
which the views read many times, are materialised from their SQL definitions
(`_aie_kernel_pairs_def`, `_aie_stall_spans_def`) once the events are in.
"""

from __future__ import annotations

import mmap
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterator

import duckdb
from gainsight_db.loaders import catalog
from gainsight_db.loaders.provenance import FileLedger
from gainsight_db.loaders.scalesim_ingest import IngestResult

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.progress import NoProgress, Progress
from gainsight_db.common.sql_text import one_line, quote_literal

# Names of events in traces written before mid-2024, and today's names for them.
OLD_EVENT_NAMES = {"Event0": "INSTR_EVENT_0", "Event1": "INSTR_EVENT_1", "LockStall": "LOCK_STALL"}

# The events the analysis reads: their ts must be present.
_MARKERS = "((name = 'INSTR_EVENT_0' AND ph = 'B') OR (name = 'INSTR_EVENT_1' AND ph = 'E') OR (name = 'LOCK_STALL' AND ph IN ('B', 'E')))"

# Where the reference script finds its traces:
# outputs/{hwid}-gemm_{M}_{K}_{N}-{rows}_row_{cols}_col/traces/trace_mm_{M}_{K}_{N}.json
_RUN_FOLDER = re.compile(r"^(?P<hwid>.+)-gemm_(?P<M>\d+)_(?P<K>\d+)_(?P<N>\d+)-(?P<rows>\d+)_row_(?P<cols>\d+)_col$")
_TRACE_FILE = re.compile(r"^trace_mm_(?P<M>\d+)_(?P<K>\d+)_(?P<N>\d+)\.json$")

_HEAD_BYTES = 1 << 16
_DEFAULT_MAX_OBJECT = 16 << 20


@dataclass(frozen=True)
class AieParameters:
    """The run parameters of postprocess_aie_trace.py (its option names); None when unknown."""

    M: int | None = None
    K: int | None = None
    N: int | None = None
    m: int | None = None
    k: int | None = None
    n: int | None = None
    rows: int | None = None
    cols: int | None = None
    hwid: str | None = None
    warmup: int | None = None
    iterations: int | None = None

    def given(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class AieSettings:
    """The analysis tunables, with the defaults of postprocess_aie_trace.py."""

    clock_ghz: float = 1.25
    lock_stall_factor: float = 20.0
    dup_gap_fraction: float = 0.25
    outlier_lo: float = 1.0 / 3.0
    outlier_hi: float = 3.0


@dataclass(frozen=True)
class AieOptions:
    parameters: AieParameters = AieParameters()
    settings: AieSettings = AieSettings()


def parameters_from_path(path: Path) -> AieParameters:
    """The parameters encoded in the reference's output layout, or none when the path does not follow it."""
    folder = _RUN_FOLDER.match(path.parent.parent.name) if path.parent.name == "traces" else None
    trace = _TRACE_FILE.match(path.name)
    if not folder or not trace or any(int(folder[d]) != int(trace[d]) for d in "MKN"):
        return AieParameters()
    return AieParameters(
        M=int(folder["M"]), K=int(folder["K"]), N=int(folder["N"]), rows=int(folder["rows"]),
        cols=int(folder["cols"]), hwid=folder["hwid"],
    )


def resolve_parameters(path: Path, options: AieParameters) -> tuple[AieParameters, str | None]:
    """Options override what the path says, one parameter at a time. Returns the parameters and
    where they came from ('options', 'path', 'options+path', or None)."""
    from_path = parameters_from_path(path).given()
    from_options = options.given()
    merged = {**from_path, **from_options}
    for name in ("warmup", "iterations"):
        if merged.get(name) is not None:
            merged[name] = max(0, int(merged[name]))  # as postprocess_aie_trace.py: max(0, int(...))
    sources = []
    if from_options:
        sources.append("options")
    if set(from_path) - set(from_options):
        sources.append("path")
    return AieParameters(**merged), "+".join(sources) or None


_JSON_BLANK = b" \t\r\n"


def sniff_layout(path: Path) -> str:
    """'array' for a bare JSON array, 'object' for a JSON object (a traceEvents wrapper, or not a
    trace); anything else is refused with the first characters found."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except FileNotFoundError as err:
        reason = "broken symbolic link" if path.is_symlink() else "trace file is missing"
        raise GsdbError(f"{path}: {reason}") from err
    except IsADirectoryError as err:
        raise GsdbError(f"{path}: is a folder, not a trace file") from err
    except OSError as err:
        raise GsdbError(f"{path}: cannot read trace: {err.strerror}") from err
    text = head.lstrip()
    if not text:
        raise GsdbError(f"{path}: trace file is empty")
    if text[:1] == b"[":
        return "array"
    if text[:1] == b"{":
        return "object"
    snippet = text.splitlines()[0][:40].decode("utf-8", errors="replace")
    raise GsdbError(
        f"{path}: not trace-event JSON: expected a JSON array ('[') at the start, found {snippet!r}"
    )


# DuckDB's file readers take a path as a glob pattern: '*', '?' and '[' in it expand (a name with
# '[1]' can read a sibling file). Escaping them as '[*]' fails for names that also hold a backslash
# and in folders that cannot be listed, so a path holding them is handed to DuckDB as a symbolic
# link with a fixed glob-free name in a private temporary folder. (To give way to a shared
# "read exactly this file" helper in input_files.py.)
_GLOB_CHARS = re.compile(r"[*?\[]")


@contextmanager
def _literal_source(path: Path) -> Iterator[str]:
    """A path naming exactly the file `path` for DuckDB's readers."""
    if not _GLOB_CHARS.search(str(path)):
        yield str(path)
        return
    folder = tempfile.mkdtemp(prefix="gsdb-trace-")
    try:
        link = os.path.join(folder, "trace.json")
        if _GLOB_CHARS.search(link):
            raise GsdbError(
                f"{path}: cannot read a file whose name holds '*', '?' or '[' while the temporary folder "
                f"({folder}) holds one too: set TMPDIR to a plainer folder"
            )
        os.symlink(path, link)
        yield link
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def looks_like_trace(path: Path) -> bool:
    """For folder walks: every .json file is taken for a trace except a JSON object without a
    traceEvents member (another tool's JSON, e.g. exported reports). Broken files are taken, so that
    their ingest fails loudly rather than being skipped."""
    try:
        layout = sniff_layout(path)
    except GsdbError:
        return True
    if layout == "array":
        return True
    con = duckdb.connect()
    try:
        with _literal_source(path) as source:
            row = con.execute(
                f"SELECT count(*), bool_and(json_type(traceEvents) = 'ARRAY') FROM read_json({quote_literal(source)}, "
                f"format='auto', columns={{'traceEvents': 'JSON'}}, maximum_object_size={_object_limit(path)})"
            ).fetchone()
    except (duckdb.Error, GsdbError, OSError):
        return True
    finally:
        con.close()
    return bool(row[0] == 1 and row[1])


def _object_limit(path: Path) -> int:
    return max(_DEFAULT_MAX_OBJECT, path.stat().st_size + 1024)


_EVENT_COLUMNS = "name VARCHAR, ph VARCHAR, ts JSON, pid BIGINT, tid BIGINT, args JSON"


def _check_json(con: duckdb.DuckDBPyConnection, path: Path, source: str) -> None:
    """The whole file must be one well-formed JSON value: DuckDB's array reader alone accepts an
    array cut short after an event (no closing ']') and loads the events before the cut."""
    text = f"read_text({quote_literal(source)})"
    if con.execute(f"SELECT json_valid(content) FROM {text}").fetchone()[0]:
        return
    try:
        con.execute(f"SELECT json(content) FROM {text}").fetchall()
        detail = ""
    except duckdb.Error as err:
        detail = one_line(err)
    found = re.search(r"Malformed JSON at byte (\d+) of input: ([^.]+)", detail)
    if not found:
        raise GsdbError(f"{path}: malformed or truncated JSON")
    byte, reason = int(found[1]), found[2].strip()
    if reason == "unexpected end of data":
        line = _line_at(path, byte, last_text=True)
        raise GsdbError(f"{path}: malformed or truncated JSON: the file ends (line {line}) before the JSON is complete")
    raise GsdbError(f"{path}: malformed or truncated JSON at line {_line_at(path, byte)} (byte {byte}): {reason}")


def _line_at(path: Path, byte: int, last_text: bool = False) -> int:
    """The line (from 1) holding byte offset `byte`; with last_text, the last line before it that
    holds more than blank space."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        head = data[:byte]
    if last_text:
        head = head.rstrip(_JSON_BLANK)
    return head.count(b"\n") + 1


def _stage_events(con: duckdb.DuckDBPyConnection, path: Path, source: str, layout: str) -> str:
    """Read the events into the temporary table _aie_load (event_index, name, ph, ts JSON, pid,
    tid, args) from `source` (see _literal_source). Returns the layout name recorded in aie_runs."""
    source = quote_literal(source)
    if layout == "array":
        columns = "{" + ", ".join(
            f"'{c.split()[0]}': '{c.split()[1]}'" for c in _EVENT_COLUMNS.split(", ")
        ) + "}"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _aie_load AS
                SELECT ordinality - 1 AS event_index, name, ph, ts, pid, tid, args
                FROM read_json({source}, format='array', columns={columns}) WITH ORDINALITY"""
        )
        return "array"
    limit = _object_limit(path)
    records, kind = con.execute(
        f"""SELECT count(*), any_value(json_type(traceEvents))
            FROM read_json({source}, format='auto', columns={{'traceEvents': 'JSON'}}, maximum_object_size={limit})"""
    ).fetchone()
    if records != 1 or kind != "ARRAY":
        what = "several JSON values" if records != 1 else "a JSON object without a traceEvents array"
        raise GsdbError(f"{path}: not trace-event JSON: the file holds {what}, not an array of events")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _aie_load AS
            SELECT i AS event_index, e.name, e.ph, e.ts, e.pid, e.tid, e.args
            FROM (
                SELECT unnest(traceEvents) AS e, unnest(range(len(traceEvents))) AS i
                FROM read_json({source}, format='auto', columns={{'traceEvents': 'STRUCT({_EVENT_COLUMNS})[]'}},
                               maximum_object_size={limit})
            )"""
    )
    return "traceEvents"


# ts as an integer: JSON integers as they are, floats truncated toward zero (Python's int()), strings
# holding an integer read as that integer; NULL when absent, JSON null, or anything else (checked).
_TS = """CASE json_type(ts)
    WHEN 'UBIGINT' THEN TRY_CAST(ts AS BIGINT)
    WHEN 'BIGINT' THEN TRY_CAST(ts AS BIGINT)
    WHEN 'DOUBLE' THEN TRY_CAST(trunc(CAST(ts AS DOUBLE)) AS BIGINT)
    WHEN 'VARCHAR' THEN TRY_CAST(regexp_extract(ts ->> '$', '^\\s*([+-]?[0-9]+)\\s*$', 1) AS BIGINT)
END"""


def _check_events(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, int]:
    """Refuse what is not a usable trace; returns (events, events whose ts was converted)."""
    events, named = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE name IS NOT NULL AND ph IS NOT NULL) FROM _aie_load"
    ).fetchone()
    if events == 0:
        raise GsdbError(f"{path}: the trace holds no events (an empty JSON array)")
    if named == 0:
        raise GsdbError(f"{path}: not trace-event JSON: no event has a \"name\" and a \"ph\"")
    bad = con.execute(
        f"""SELECT event_index, name, CAST(ts AS VARCHAR) FROM _aie_load
            WHERE ts IS NOT NULL AND json_type(ts) <> 'NULL' AND ({_TS}) IS NULL
            ORDER BY event_index LIMIT 1"""
    ).fetchone()
    if bad:
        index, name, ts = bad
        raise GsdbError(
            f"{path}: event {index} ({name}): ts {ts} is not an integer cycle count "
            "(numbers and strings holding an integer are accepted)"
        )
    missing = con.execute(
        f"""SELECT event_index, name, ph FROM (
                SELECT event_index, coalesce(CASE name {_OLD_NAME_CASES} END, name) AS name, ph, ts FROM _aie_load
            )
            WHERE {_MARKERS} AND (ts IS NULL OR json_type(ts) = 'NULL')
            ORDER BY event_index LIMIT 1"""
    ).fetchone()
    if missing:
        index, name, ph = missing
        raise GsdbError(f"{path}: event {index} ({name}, ph {ph}) has no ts")
    converted = con.execute(
        "SELECT count(*) FROM _aie_load WHERE json_type(ts) IN ('DOUBLE', 'VARCHAR')"
    ).fetchone()[0]
    return int(events), int(converted)


_OLD_NAME_CASES = " ".join(f"WHEN {quote_literal(old)} THEN {quote_literal(new)}" for old, new in OLD_EVENT_NAMES.items())


def ingest_aie_trace(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: AieOptions,
    progress: Progress | None = None,
    warn=None,
) -> IngestResult:
    """Load one trace file; the caller owns the transaction."""
    progress = progress or NoProgress()
    path = Path(path).resolve()
    source_path = str(path)
    started_at = catalog.utc_now()
    layout = sniff_layout(path)
    parameters, parameters_from = resolve_parameters(path, options.parameters)
    settings = options.settings
    size = path.stat().st_size
    progress.start(size, path.name)

    with _literal_source(path) as source:
        try:  # the whole file first: refusing it then costs little
            _check_json(con, path, source)
        except duckdb.Error as err:
            raise GsdbError(f"{path}: {_read_problem(one_line(err).replace(source, source_path))}") from err
        with FileLedger() as ledger:
            ledger.add(path)
            run_id, replaced = catalog.claim_run_id(con, "aie", source_path)
            ingest_id = catalog.next_ingest_id(con)
            try:
                layout = _stage_events(con, path, source, layout)
            except duckdb.Error as err:
                raise GsdbError(f"{path}: {_read_problem(one_line(err).replace(source, source_path))}") from err
            events, converted = _check_events(con, path)
            old_names = con.execute(
                f"SELECT count(*) FROM _aie_load WHERE name IN ({', '.join(quote_literal(n) for n in OLD_EVENT_NAMES)})"
            ).fetchone()[0]
            con.execute(
                f"""INSERT INTO _aie_trace_events
                    SELECT ?, event_index, coalesce(CASE name {_OLD_NAME_CASES} END, name), name, ph, {_TS}, pid, tid, args
                    FROM _aie_load""",
                [run_id],
            )
            con.execute("DROP TABLE _aie_load")
            progress.advance(size, path.name)

            con.execute(
                """INSERT INTO aie_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [run_id, source_path, size, layout, events, converted, parameters.hwid, parameters.M, parameters.K,
                 parameters.N, parameters.m, parameters.k, parameters.n, parameters.rows, parameters.cols,
                 parameters.warmup, parameters.iterations, parameters_from],
            )
            con.execute(
                "INSERT INTO aie_settings VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, settings.clock_ghz, settings.lock_stall_factor, settings.dup_gap_fraction,
                 settings.outlier_lo, settings.outlier_hi],
            )
            con.execute("INSERT INTO _aie_kernel_pairs BY NAME SELECT * FROM _aie_kernel_pairs_def WHERE run_id = ?", [run_id])
            con.execute("INSERT INTO _aie_stall_spans BY NAME SELECT * FROM _aie_stall_spans_def WHERE run_id = ?", [run_id])

            catalog.record_run(con, {
                "run_id": run_id,
                "kind": "aie",
                "name": path.stem,
                "source_path": source_path,
                "format_version": "trace-event (2024 names)" if old_names else "trace-event",
                "ingest_id": ingest_id,
                "parameters": _parameters_json(parameters),
            })
            catalog.record_ingest(
                con, ingest_id=ingest_id, run_id=run_id, started_at=started_at, source_path=source_path,
                loader="aie", files=ledger.entries(), rows_loaded=events,
            )
    cores, kernels = con.execute(
        """SELECT count(*), coalesce(sum(kernels), 0) FROM aie_cores WHERE run_id = ?""", [run_id]
    ).fetchone()
    detail = f"{events:,} events, {cores} core{'s' if cores != 1 else ''}, {kernels} kernel calls"
    return IngestResult(run_id, path.stem, "aie", source_path, 0, 0, events, replaced, 0, detail)


def _read_problem(message: str) -> str:
    """DuckDB's reading error, said in terms of the trace."""
    detail = message.split("Error: ", 1)[-1]
    if "Malformed JSON" in message:
        return f"malformed or truncated JSON: {detail}"
    if "Expected OBJECT" in message:
        return f"not trace-event JSON: an element of the array is not an event object: {detail}"
    return f"not trace-event JSON: {detail}"


def _parameters_json(parameters: AieParameters) -> str:
    import json

    return json.dumps({f.name: getattr(parameters, f.name) for f in fields(parameters)})
