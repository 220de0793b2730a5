"""Ingesting one AI Engine trace: mlir-aie's trace-event JSON, read by DuckDB's JSON reader.

Every event is kept in `_aie_trace_events`; the run parameters (the GEMM's M, K, N, ...) go to
`aie_runs` and the analysis tunables to `aie_settings`. The kernel pairs and LOCK_STALL spans,
which the views read many times, are materialised from their SQL definitions
(`_aie_kernel_pairs_def`, `_aie_stall_spans_def`) once the events are in.
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass, fields
from pathlib import Path

import duckdb
from gainsight_db.loaders import catalog
from gainsight_db.loaders.input_files import literal_path
from gainsight_db.loaders.provenance import FileLedger
from gainsight_db.loaders.scalesim_ingest import IngestResult

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.progress import BYTES, NoProgress, Progress
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


def sniff_layout(path: Path) -> str:
    """'array' for a bare JSON array, 'object' for a JSON object (a traceEvents wrapper, or not a
    trace); anything else is refused with the first characters found."""
    return _sniff(path)[0]


_JSON_BLANK = b" \t\r\n"


def _sniff(path: Path) -> tuple[str, int]:
    """The layout (see sniff_layout) and the offset of the first character that is not JSON blank
    space, found by streaming (a file may start with any amount of it)."""
    try:
        with open(path, "rb") as handle:
            offset = 0
            while chunk := handle.read(_HEAD_BYTES):
                text = chunk.lstrip(_JSON_BLANK)
                if text:
                    offset += len(chunk) - len(text)
                    break
                offset += len(chunk)
    except FileNotFoundError as err:
        reason = "broken symbolic link" if path.is_symlink() else "trace file is missing"
        raise GsdbError(f"{path}: {reason}") from err
    except IsADirectoryError as err:
        raise GsdbError(f"{path}: is a folder, not a trace file") from err
    except OSError as err:
        raise GsdbError(f"{path}: cannot read trace: {err.strerror}") from err
    if not chunk:
        raise GsdbError(f"{path}: trace file is empty" + (f" ({offset:,} bytes of blank space)" if offset else ""))
    if text[:1] == b"[":
        return "array", offset
    if text[:1] == b"{":
        return "object", offset
    snippet = text.splitlines()[0][:40].decode("utf-8", errors="replace")
    raise GsdbError(
        f"{path}: not trace-event JSON: expected a JSON array ('[') at the start, found {snippet!r}"
    )


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
        with literal_path(path) as source:
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


# Every field is read as JSON and its type checked: a value mlir-aie never writes (pid 0.7, tid true,
# ts 12.5 or "12") is refused, not converted. name and ph are kept as text, with their JSON beside.
_EVENT_COLUMNS = "name JSON, ph JSON, ts JSON, pid JSON, tid JSON, args JSON"
_MAX_TS = 2**53 - 1  # beyond it a cycle count is not exact in the analysis' DOUBLE arithmetic


def _staged(e: str) -> str:
    return (f"{e}name ->> '$' AS name, {e}ph ->> '$' AS ph, {e}name AS name_json, {e}ph AS ph_json, "
            f"{e}ts AS ts, {e}pid AS pid, {e}tid AS tid, {e}args AS args")


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


# JSON tokens for finding where an event starts: strings whole, structure, other values.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},\n]|[^\s\[\]{},"]+')


def _event_line(path: Path, index: int, layout: str) -> int | None:
    """The line (from 1) where event `index` of a trace (already known to be valid JSON) starts;
    None when not found. Streams the file through mmap; only used for messages."""
    depth, line, events_depth, key, waiting, seen = 0, 1, None, None, False, -1
    if layout == "array":
        events_depth = 1
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for token in _TOKEN.finditer(data):
            first = data[token.start()]
            if first == 0x0A:  # newline
                line += 1
                continue
            if waiting and depth == events_depth and first not in b"]}":
                seen += 1
                if seen == index:
                    return line
                waiting = False
            if first in b"[{":
                depth += 1
                if events_depth is None and first == 0x5B and depth == 2 and key == b'"traceEvents"':
                    events_depth = 2
                if depth == events_depth:
                    waiting = True
            elif first in b"]}":
                if depth == events_depth:
                    if events_depth == 2:
                        return None
                    waiting = False
                depth -= 1
            elif first == 0x2C:  # comma
                waiting = depth == events_depth
            elif depth == 1 and first == 0x22:
                key = token.group()
    return None


def _stage_events(con: duckdb.DuckDBPyConnection, path: Path, source: str, layout: str, offset: int) -> str:
    """Read the events into the temporary table _aie_load (event_index, name, ph, name_json,
    ph_json, ts, pid, tid, args: ts, pid and tid as JSON). Returns the layout name recorded in
    aie_runs."""
    source = quote_literal(source)
    if layout == "array":
        columns = "{" + ", ".join(
            f"'{c.split()[0]}': '{c.split()[1]}'" for c in _EVENT_COLUMNS.split(", ")
        ) + "}"
        # DuckDB's array reader misreads an array after blank space longer than its buffer (twice
        # maximum_object_size): room is made for the blank space found.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _aie_load AS
                SELECT ordinality - 1 AS event_index, {_staged('')}
                FROM read_json({source}, format='array', columns={columns},
                               maximum_object_size={_DEFAULT_MAX_OBJECT + offset}) WITH ORDINALITY"""
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
            SELECT i AS event_index, {_staged('e.')}
            FROM (
                SELECT unnest(traceEvents) AS e, unnest(range(len(traceEvents))) AS i
                FROM read_json({source}, format='auto', columns={{'traceEvents': 'STRUCT({_EVENT_COLUMNS})[]'}},
                               maximum_object_size={limit})
            )"""
    )
    return "traceEvents"


# Per field: the JSON types accepted (JSON null and an absent key are accepted too) and the range of
# an integer (DuckDB's json_type says UBIGINT for any integer from 0 up).
_INTEGER = ("BIGINT", "UBIGINT")
_FIELD_RULES = (
    ("name", "name_json", ("VARCHAR",), None),
    ("ph", "ph_json", ("VARCHAR",), None),
    ("ts", "ts", _INTEGER, (0, _MAX_TS)),
    ("pid", "pid", _INTEGER, (0, 2**63 - 1)),
    ("tid", "tid", _INTEGER, (0, 2**63 - 1)),
    ("args", "args", ("OBJECT",), None),
)
# What every event must have; metadata events (ph "M") have no ts, and process_name ones no tid.
_ABSENT = "({0} IS NULL OR json_type({0}) = 'NULL')"
_REQUIRED = (
    ("name", _ABSENT.format("name_json")),
    ("ph", _ABSENT.format("ph_json")),
    ("pid", _ABSENT.format("pid")),
    ("args", _ABSENT.format("args")),
    ("ts", f"ph <> 'M' AND {_ABSENT.format('ts')}"),
    ("tid", f"ph <> 'M' AND {_ABSENT.format('tid')}"),
)


def _out_of_range(column: str, bounds: tuple[int, int] | None) -> str:
    if bounds is None:
        return "false"
    return (f"json_type({column}) IN ('BIGINT', 'UBIGINT') "
            f"AND NOT coalesce(TRY_CAST({column} AS BIGINT) BETWEEN {bounds[0]} AND {bounds[1]}, false)")


_FIELD_CHECKS = " UNION ALL ".join(
    f"""SELECT event_index, name, {order} AS field_order, '{field}' AS field, CAST({column} AS VARCHAR) AS value,
               json_type({column}) NOT IN ({', '.join(quote_literal(t) for t in types)}, 'NULL') AS wrong_type,
               {_out_of_range(column, bounds)} AS out_of_range
        FROM _aie_load"""
    for order, (field, column, types, bounds) in enumerate(_FIELD_RULES)
)


def _field_problem(field: str, value: str, wrong_type: bool) -> str:
    if len(value) > 60:
        value = value[:57] + "..."
    if field in ("name", "ph"):
        return f"{field} {value} is not a string (mlir-aie writes a JSON string)"
    if field == "ts" and wrong_type:
        return f"ts {value} is not an integer cycle count (mlir-aie writes a JSON integer)"
    if field == "args":
        return f"args {value} is not a JSON object (mlir-aie writes an object)"
    if field == "ts":
        return f"ts {value} is out of range (a cycle count from 0 to 2^53 - 1 = {_MAX_TS:,})"
    if wrong_type:
        return f"{field} {value} is not an integer (mlir-aie writes a JSON integer)"
    return f"{field} {value} is out of range (an integer from 0 to 2^63 - 1)"


def _check_events(con: duckdb.DuckDBPyConnection, path: Path, layout: str) -> int:
    """Refuse what is not a usable trace; returns the number of events."""
    events, named = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE name IS NOT NULL AND ph IS NOT NULL) FROM _aie_load"
    ).fetchone()
    if events == 0:
        raise GsdbError(f"{path}: the trace holds no events (an empty JSON array)")
    if named == 0:
        raise GsdbError(f"{path}: not trace-event JSON: no event has a \"name\" and a \"ph\"")

    def event(index: int, name: str | None, ph: str | None = None) -> str:
        about = [name] if name is not None else []
        if ph is not None:
            about.append(f"ph {ph}")
        line = _event_line(path, index, layout)
        if line is not None:
            about.append(f"line {line}")
        return f"event {index}" + (f" ({', '.join(about)})" if about else "")

    bad = con.execute(
        f"""SELECT event_index, name, field, value, wrong_type FROM ({_FIELD_CHECKS})
            WHERE wrong_type OR out_of_range ORDER BY event_index, field_order LIMIT 1"""
    ).fetchone()
    if bad:
        index, name, field, value, wrong_type = bad
        raise GsdbError(f"{path}: {event(index, name)}: {_field_problem(field, value, wrong_type)}")
    cases = " ".join(f"WHEN {condition} THEN '{field}'" for field, condition in _REQUIRED)
    missing = con.execute(
        f"""SELECT event_index, name, ph, field FROM (
                SELECT event_index, name, ph, CASE {cases} END AS field FROM _aie_load
            )
            WHERE field IS NOT NULL ORDER BY event_index LIMIT 1"""
    ).fetchall()
    if missing:
        index, name, ph, field = missing[0]
        raise GsdbError(f"{path}: {event(index, name, ph)} has no {field} (mlir-aie writes one in every "
                        f"{'event' if field in ('name', 'ph', 'pid', 'args') else 'event but metadata'})")
    return int(events)


_OLD_NAME_CASES = " ".join(f"WHEN {quote_literal(old)} THEN {quote_literal(new)}" for old, new in OLD_EVENT_NAMES.items())


def ingest_aie_trace(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: AieOptions,
    progress: Progress | None = None,
    warn=None,
) -> IngestResult:
    """Load one trace file; the caller owns the transaction. Every failure is a GsdbError whose one
    line names the file."""
    progress = progress or NoProgress()
    path = Path(path).resolve()
    source_path = str(path)
    started_at = catalog.utc_now()
    layout, offset = _sniff(path)
    parameters, parameters_from = resolve_parameters(path, options.parameters)
    settings = options.settings
    size = path.stat().st_size
    progress.start(size, path.name, BYTES)

    with literal_path(path) as source:
        memory_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        reading = True  # DuckDB's errors until the events are staged are about the file
        try:
            _check_json(con, path, source)  # first, so that a refusal costs little
            with FileLedger() as ledger:
                ledger.add(path)  # hashed while DuckDB reads
                layout = _stage_events(con, path, source, layout, offset)
                reading = False
                events = _check_events(con, path, layout)
                run_id, replaced = catalog.claim_run_id(con, "aie", source_path)
                ingest_id = catalog.next_ingest_id(con)
                _store(con, path, run_id, ingest_id, started_at, ledger, layout, events, size, parameters,
                       parameters_from, settings)
        except duckdb.Error as err:
            problem = _duckdb_problem(err, reading, memory_limit)
            raise GsdbError(f"{path}: {problem.replace(source, source_path)}") from err
        progress.advance(size, path.name)
    cores, kernels = con.execute(
        """SELECT count(*), coalesce(sum(kernels), 0) FROM aie_cores WHERE run_id = ?""", [run_id]
    ).fetchall()[0]
    if warn is not None and cores and parameters.warmup is not None and parameters.iterations is not None:
        _warn_iteration_mismatch(con, path, run_id, warn)
    detail = f"{events:,} events, {cores} core{'s' if cores != 1 else ''}, {kernels} kernel calls"
    return IngestResult(run_id, path.stem, "aie", source_path, 0, 0, events, replaced, 0, detail)


def _warn_iteration_mismatch(con: duckdb.DuckDBPyConnection, path: Path, run_id: int, warn) -> None:
    """Say when a core's iterations differ from warmup + iterations, or no performance iteration is
    common to all cores (the summary's diagnosis), so that an empty aggregate does not pass unseen."""
    (diagnosis,) = con.execute("SELECT diagnosis FROM aie_aggregate_summary WHERE run_id = ?", [run_id]).fetchall()[0]
    if diagnosis is not None:
        warn(f"{path}: {diagnosis}")


def _store(con, path, run_id, ingest_id, started_at, ledger, layout, events, size, parameters, parameters_from,
           settings) -> None:
    """The checked events of _aie_load into the warehouse, with the run's rows and the materialised
    kernel pairs and LOCK_STALL spans."""
    old_names = con.execute(
        f"SELECT count(*) FROM _aie_load WHERE name IN ({', '.join(quote_literal(n) for n in OLD_EVENT_NAMES)})"
    ).fetchone()[0]
    con.execute(
        f"""INSERT INTO _aie_trace_events
            SELECT ?, event_index, coalesce(CASE name {_OLD_NAME_CASES} END, name), name, ph,
                   CAST(ts AS BIGINT), CAST(pid AS BIGINT), CAST(tid AS BIGINT), args
            FROM _aie_load""",
        [run_id],
    )
    con.execute("DROP TABLE _aie_load")
    source_path = str(path)
    con.execute(
        """INSERT INTO aie_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [run_id, source_path, size, layout, events, 0, parameters.hwid, parameters.M, parameters.K,
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


def _duckdb_problem(err: duckdb.Error, reading: bool, memory_limit: str) -> str:
    """DuckDB's error, said in terms of the trace."""
    message = one_line(err)
    detail = message.split("Error: ", 1)[-1]
    if isinstance(err, duckdb.OutOfMemoryException) or "Out of Memory" in message:
        return (f"out of memory while ingesting the trace (DuckDB's memory limit is {memory_limit}; "
                f"raise it with --memory-limit): {detail}")
    if "valid UTF-8" in message:
        return "not UTF-8 text (trace-event JSON is UTF-8)"
    if not reading:
        return f"cannot ingest the trace: {detail}"
    if "Expected OBJECT" in message:
        return f"not trace-event JSON: an element of the array is not an event object: {detail}"
    if "Malformed JSON" in message:  # the file is valid JSON (checked first) that DuckDB's reader fails on
        return f"DuckDB's JSON reader cannot read this (valid) JSON: {detail}"
    return f"not trace-event JSON: {detail}"


def _parameters_json(parameters: AieParameters) -> str:
    import json

    return json.dumps({f.name: getattr(parameters, f.name) for f in fields(parameters)})
