"""The fuzz suite's oracle: a strict reading of SCALE-Sim runs and AI Engine traces in plain Python,
independent of gainsight_db (nothing here imports it).

Strict means: the input must be what the tool writes. Anything SCALE-Sim or mlir-aie never writes
raises `Invalid` with the reason, even where a lenient reading (int(float(cell)), Python's int() on
a JSON string) would give a value. The only allowances are the project's documented readings
(docs/definitions.md) that cannot change a value: an integer spelled with or without `.0`, empty
cells, short rows and blank lines in traces (not accesses), report rows in any order, fields with
or without the space after the comma, report column names in any case and extra columns of no
known layout (ignored); an AI Engine phase other than B, E and M is carried as it is. What the tools write, as found in their
source and in every sample of tests/data:

SCALE-Sim traces (np.savetxt of a matrix, so every row has the same number of cells, "," between
them, "\\n" after each row, the last included; plain ASCII):
  - SRAM traces (`fmt='%i'`): every cell is a decimal integer without sign, leading zero, point or
    exponent; the cycle (column 1) is >= 0; an address cell is >= 0 or exactly `-1` (an idle slot).
    Values fit numpy's int64.
  - DRAM traces (`fmt='%s'` of float64): every cell is `str()` of an integral float, `245.0`; the
    cycle may be negative (prefetch), an address cell is >= 0 or exactly `-1.0` (an idle slot). A
    trailing run of two or more `1.0` cells is CALC-mode padding, not accesses.
  - Row order and repeated cycles are not checked: in USER bandwidth mode cycles step backwards, and
    a row may repeat an address.
SCALE-Sim reports (`str(lid) + ', ' + ', '.join(str(x) ...) + ',\\n'`): the header is exactly one
of SCALE-Sim's (v2 or v3 COMPUTE_REPORT, BANDWIDTH_REPORT with or without the sparsity column,
DETAILED_ACCESS_REPORT), each row has the header's number of fields, LayerIDs are 0, 1, ... in
order and the same in the three reports; counts and cycles are `str(int)` (>= 0), DETAILED start
and stop cycles `str()` of an integral float, the other figures `repr()` of a finite float.
AI Engine traces (mlir-aie's trace-event JSON, UTF-8): a JSON array of objects (or an object whose
`traceEvents` holds it, the other layout the project reads) without NaN/Infinity or repeated keys;
each event has a string `name`, `ph` one of B, E, M, an integer `pid`, an integer `tid` (every event
but process_name), an integer `ts` (every B and E event) and an object `args` (with a string `name`
for process_name and thread_name). Integers are JSON integers (not floats, strings or booleans) in
[0, 2^63). Whitespace between JSON tokens, event order and repeated events are all valid JSON that
mlir-aie's output can hold, so they are read as they are.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BUFFERS = ("ifmap", "filter", "ofmap")
LEVELS = ("sram", "dram")
INT64_MAX = 2 ** 63 - 1


class Invalid(Exception):
    """The input is not something the tool writes; str() says why and where."""


# SCALE-Sim traces ---------------------------------------------------------------------------------
_UINT = r"(?:0|[1-9][0-9]*)"
_INTEGER_CELL = re.compile(r"-?[0-9]+(?:\.0+)?")


def _cell_value(cell: str) -> int:
    return int(cell.split(".")[0])


def trace_name(buffer: str, level: str) -> str:
    return f"{buffer.upper()}_{level.upper()}_TRACE.csv"


_TRACE_CACHE: dict[tuple[str, str], np.ndarray] = {}


def read_trace(path: Path, level: str) -> np.ndarray:
    """The accesses of one trace, strictly: an (n, 2) int64 array of (cycle, addr), sorted."""
    data = path.read_bytes()
    key = (hashlib.sha1(data).hexdigest(), level)
    if key not in _TRACE_CACHE:
        _TRACE_CACHE[key] = _parse_trace(data, level, path)
    return _TRACE_CACHE[key]


def _parse_trace(data: bytes, level: str, path: Path) -> np.ndarray:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as err:
        raise Invalid(f"{path}: byte {err.start} is not ASCII") from None
    if not text:
        raise Invalid(f"{path}: empty trace")
    if not text.endswith("\n"):
        raise Invalid(f"{path}: the last line has no newline (truncated)")
    cycles: list[int] = []
    addrs: list[int] = []
    for number, line in enumerate(text[:-1].split("\n"), 1):
        if line == "":
            continue  # a blank line holds no row (documented: skipped)
        cells = line.split(",")
        # The project's documented reading (docs/definitions.md), beyond what np.savetxt writes: a
        # row may be short (ragged) or hold empty cells, which are not accesses; an integer may be
        # spelled with or without `.0`. None of these changes a value.
        for field, cell in enumerate(cells, 1):
            if cell == "" and field > 1:
                continue
            if not _INTEGER_CELL.fullmatch(cell) or cell.startswith("-0") or (
                    field > 1 and cell.startswith("-") and _cell_value(cell) != -1):
                raise Invalid(f"{path}: line {number}, field {field}: {cell!r} is not a {level.upper()} trace cell")
            if abs(_cell_value(cell)) > INT64_MAX:
                raise Invalid(f"{path}: line {number}, field {field}: {cell!r} is beyond what SCALE-Sim prints")
        if level == "sram" and cells[0].startswith("-"):
            raise Invalid(f"{path}: line {number}, field 1: {cells[0]!r}: an SRAM cycle is never negative")
        body = [c for c in cells[1:] if c != ""]
        if level == "dram":
            ones = 0
            while ones < len(body) and _cell_value(body[-1 - ones]) == 1:
                ones += 1
            if ones >= 2:  # CALC-mode padding
                body = body[: len(body) - ones]
        cycle = _cell_value(cells[0])
        for cell in body:
            value = _cell_value(cell)
            if value != -1:
                cycles.append(cycle)
                addrs.append(value)
    out = np.array([cycles, addrs], dtype=np.int64).T.reshape(-1, 2)
    return out[np.lexsort((out[:, 1], out[:, 0]))]


# SCALE-Sim reports --------------------------------------------------------------------------------
# Column kinds: 'id' LayerID, 'int' str(int) >= 0, 'cycle' str() of an integral float, 'float' repr()
# of a finite float.
_COMPUTE_V3 = (("LayerID", "id"), ("Total Cycles (incl. prefetch)", "int"), ("Total Cycles", "int"),
               ("Stall Cycles", "int"), ("Overall Util %", "float"), ("Mapping Efficiency %", "float"),
               ("Compute Util %", "float"))
_COMPUTE_V2 = tuple(c for c in _COMPUTE_V3 if c[0] != "Total Cycles (incl. prefetch)")
_BANDWIDTH = (("LayerID", "id"), ("Avg IFMAP SRAM BW", "float"), ("Avg FILTER SRAM BW", "float"),
              ("Avg OFMAP SRAM BW", "float"), ("Avg IFMAP DRAM BW", "float"), ("Avg FILTER DRAM BW", "float"),
              ("Avg OFMAP DRAM BW", "float"))
_BANDWIDTH_SPARSE = _BANDWIDTH[:3] + (("Avg FILTER Metadata SRAM BW", "float"),) + _BANDWIDTH[3:]
_DETAILED = (("LayerID", "id"),) + tuple(
    (f"{level} {buffer} {what}", kind)
    for level in ("SRAM", "DRAM")
    for buffer, count in (("IFMAP", "Reads"), ("Filter", "Reads"), ("OFMAP", "Writes"))
    for what, kind in (("Start Cycle", "cycle"), ("Stop Cycle", "cycle"), (count, "int"))
)
REPORT_LAYOUTS = {
    "COMPUTE_REPORT.csv": {"v3": _COMPUTE_V3, "v2": _COMPUTE_V2},
    "BANDWIDTH_REPORT.csv": {"plain": _BANDWIDTH, "sparse": _BANDWIDTH_SPARSE},
    "DETAILED_ACCESS_REPORT.csv": {"plain": _DETAILED},
}


def _report_value(cell: str, kind: str) -> int | float | None:
    """The value of a report cell of `kind`, or None when SCALE-Sim would not print it so."""
    if kind in ("id", "int", "cycle"):
        # SCALE-Sim prints counts as `str(int)` and DETAILED cycles as `str(float)`: either spelling of
        # an integer is read as that integer (the project's documented reading); a fraction never.
        if not re.fullmatch(r"-?[0-9]+(?:\.0+)?", cell) or (kind != "cycle" and cell.startswith("-")):
            return None
        value = int(cell.split(".")[0])
        return value if abs(value) <= (INT64_MAX if kind != "cycle" else 2 ** 53) else None
    if not re.fullmatch(r"-?(?:[0-9]+\.[0-9]+(?:e[+-][0-9]+)?|[0-9]+e[+-][0-9]+)", cell):
        return None
    value = float(cell)
    if repr(value) != cell or value != value or value in (float("inf"), float("-inf")):
        return None
    if kind == "cycle":
        return int(value) if value.is_integer() and abs(value) <= 2 ** 53 else None
    return value


@dataclass(frozen=True)
class Report:
    layout: str  # 'v3'/'v2' for COMPUTE_REPORT, else 'plain'/'sparse'
    columns: tuple[str, ...]  # SCALE-Sim's header names
    rows: dict[int, tuple]  # LayerID -> the values of the other columns, in header order


def _clean(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower().replace("%", " pct")).strip("_")


def read_report(path: Path) -> Report:
    data = path.read_bytes()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as err:
        raise Invalid(f"{path}: byte {err.start} is not ASCII") from None
    if not text.endswith(",\n"):
        raise Invalid(f"{path}: the last line does not end with ',\\n' (truncated or not SCALE-Sim's)")
    lines = text[:-1].split("\n")
    header = lines[0]
    if not header.endswith(","):
        raise Invalid(f"{path}: the header does not end with ','")
    names = [_clean(name) for name in header[:-1].split(",")]  # ", " in SCALE-Sim's; spaces trimmed
    layouts = REPORT_LAYOUTS[path.name]
    # The project's documented reading: column names match whatever their case, and columns of no
    # known layout are ignored (with a warning); every column of one of SCALE-Sim's layouts is needed.
    found = sorted((name for name, cols in layouts.items() if {_clean(c) for c, _ in cols} <= set(names)),
                   key=lambda name: -len(layouts[name]))
    if not found or len(set(names)) != len(names):
        raise Invalid(f"{path}: the header is not SCALE-Sim's: {header!r}")
    layout = found[0]
    spec = layouts[layout]
    positions = [names.index(_clean(column)) for column, _ in spec]
    rows: dict[int, tuple] = {}
    if len(lines) < 2:
        raise Invalid(f"{path}: no layer rows")
    for number, line in enumerate(lines[1:], 2):
        if not line.endswith(","):
            raise Invalid(f"{path}: line {number} does not end with ','")
        cells = [cell.strip() for cell in line[:-1].split(",")]
        if len(cells) != len(names):
            raise Invalid(f"{path}: line {number} has {len(cells)} fields, the header {len(names)}")
        values = []
        for (column, kind), position in zip(spec, positions):
            value = _report_value(cells[position], kind)
            if value is None:
                raise Invalid(f"{path}: line {number}, {column}: {cells[position]!r} is not what SCALE-Sim writes there")
            values.append(value)
        layer = values[0]
        if layer in rows:
            raise Invalid(f"{path}: line {number}: LayerID {layer} appears twice")
        rows[layer] = tuple(values[1:])
    if sorted(rows) != list(range(len(rows))):  # in any order (the values do not depend on it)
        raise Invalid(f"{path}: LayerIDs {sorted(rows)}; SCALE-Sim numbers layers 0, 1, ... without gaps")
    return Report(layout, tuple(c for c, _ in spec[1:]), rows)


@dataclass(frozen=True)
class ScalesimRun:
    """What a strict reading of a run directory gives."""

    format_version: str  # v3 / v2
    layers: tuple[int, ...]
    reports: dict[str, Report]  # file name -> report
    accesses: np.ndarray  # (n, 5) int64: layer, buffer index, level index, cycle, addr; sorted


def read_scalesim_run(run_dir: Path) -> ScalesimRun:
    """Strictly read a run directory (reports, then every listed layer's six traces). Raises Invalid."""
    if (run_dir / "SPARSE_REPORT.csv").exists():
        raise NotImplementedError("the fuzz oracle does not read SPARSE_REPORT.csv; use runs without sparsity")
    reports = {}
    for name in REPORT_LAYOUTS:
        path = run_dir / name
        if not path.is_file():
            raise Invalid(f"{path}: missing")
        reports[name] = read_report(path)
    layers = tuple(sorted(reports["COMPUTE_REPORT.csv"].rows))
    for name, report in reports.items():
        if sorted(report.rows) != sorted(layers):
            raise Invalid(f"{run_dir}: {name} has layers {sorted(report.rows)}, COMPUTE_REPORT.csv {sorted(layers)}")
    parts = []
    for layer in layers:
        for b, buffer in enumerate(BUFFERS):
            for v, level in enumerate(LEVELS):
                path = run_dir / f"layer{layer}" / trace_name(buffer, level)
                if not path.is_file():
                    raise Invalid(f"{path}: missing")
                found = read_trace(path, level)
                block = np.empty((len(found), 5), dtype=np.int64)
                block[:, 0], block[:, 1], block[:, 2], block[:, 3:] = layer, b, v, found
                parts.append(block)
    accesses = np.concatenate(parts) if parts else np.empty((0, 5), dtype=np.int64)
    accesses = accesses[np.lexsort(accesses.T[::-1])]
    return ScalesimRun(reports["COMPUTE_REPORT.csv"].layout, layers, reports, accesses)


# AI Engine traces ---------------------------------------------------------------------------------
OLD_NAMES = {"Event0": "INSTR_EVENT_0", "Event1": "INSTR_EVENT_1", "LockStall": "LOCK_STALL"}
_EVENT_KEYS = {"name", "ph", "pid", "tid", "ts", "args"}


@dataclass(frozen=True)
class AieEvent:
    raw_name: str
    name: str  # 2024 names mapped to today's
    ph: str
    ts: int | None
    pid: int
    tid: int | None
    args: dict


def _no_constants(token: str):
    raise Invalid(f"JSON holds {token}, which is not JSON")


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Invalid(f"an object repeats a key: {keys}")
    return dict(pairs)


def _integer(value: Any) -> bool:
    return type(value) is int and 0 <= value <= INT64_MAX


def read_aie_events(path: Path) -> list[dict]:
    """The events of a trace as json.load gives them, after the strict checks. Raises Invalid."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Invalid(f"{path}: byte {err.start} is not UTF-8") from None
    try:
        top = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_repeated_keys)
    except Invalid as err:
        raise Invalid(f"{path}: {err}") from None
    except json.JSONDecodeError as err:
        raise Invalid(f"{path}: not JSON (truncated or malformed): {err}") from None
    if isinstance(top, dict) and set(top) == {"traceEvents"}:
        top = top["traceEvents"]
    if not isinstance(top, list):
        raise Invalid(f"{path}: not a JSON array of events")
    if not top:
        raise Invalid(f"{path}: no events")
    for index, event in enumerate(top):
        where = f"{path}: event {index}"
        if not isinstance(event, dict):
            raise Invalid(f"{where}: not an object")
        if set(event) - _EVENT_KEYS:
            raise Invalid(f"{where}: keys mlir-aie does not write: {sorted(set(event) - _EVENT_KEYS)}")
        name, ph = event.get("name"), event.get("ph")
        # mlir-aie writes phases B, E and M; another phase is carried as it is (the analysis reads
        # only B/E markers and M metadata), so it is not refused.
        if type(name) is not str or type(ph) is not str or not ph:
            raise Invalid(f"{where}: name {name!r} and ph {ph!r} are not an mlir-aie event's")
        if not _integer(event.get("pid")):
            raise Invalid(f"{where}: pid {event.get('pid')!r} is not an integer in [0, 2^63)")
        needs_tid = name != "process_name"
        if ("tid" in event or needs_tid) and not _integer(event.get("tid")):
            raise Invalid(f"{where}: tid {event.get('tid', '(missing)')!r} is not an integer in [0, 2^63)")
        if ("ts" in event or ph in ("B", "E")) and not _integer(event.get("ts")):
            raise Invalid(f"{where}: ts {event.get('ts', '(missing)')!r} is not an integer in [0, 2^63)")
        args = event.get("args")
        if type(args) is not dict:
            raise Invalid(f"{where}: args {args!r} is not an object")
        if ph == "M" and type(args.get("name")) is not str:
            raise Invalid(f"{where}: a metadata event without a string args.name")
    return top


def aie_events(events: list[dict]) -> list[AieEvent]:
    """The checked events as the warehouse should keep them, in file order."""
    return [
        AieEvent(ev["name"], OLD_NAMES.get(ev["name"], ev["name"]), ev["ph"], ev.get("ts"), ev["pid"],
                 ev.get("tid"), ev["args"])
        for ev in events
    ]
