"""SCALE-Sim traces, as files or as SCALE-Sim's matrices, into the long `accesses` table.

A trace has no header; column 1 is the cycle and the others are addresses, `-1` (`-1.0` in DRAM
traces) marking an idle slot. DRAM traces print every number as a float and may have negative
(prefetch) cycles. In a DRAM row, a trailing run of two or more `1.0` cells is CALC-mode padding,
not accesses; a single trailing `1.0` is an access to address 1. Rows may be ragged (fewer cells
than others) and cells may be empty: both are skipped.

Every trace becomes a matrix first, one row per trace row, one column per cell (NaN for an empty or
missing cell), and one function (`trace_accesses`) applies the rules above to it: a trace file once
parsed, and a trace SCALE-Sim hands over in memory (`gsdb simulate`, `gsdb sweep`), go through the
same code.

**Files.** Every cell is an integer as SCALE-Sim writes it: digits after an optional minus, and in
DRAM traces `.0` after them. Anything else (`180.7`, `1_80`, `1e2`, `nan`) and any number beyond the
32-bit columns is refused with the file, line and field named, never rounded. A file as SCALE-Sim
writes it (only digits, `-`, `,`, newlines, and `.` in `<digit>.0` followed by a comma or a newline;
every row as wide as the first) is parsed by pyarrow's CSV reader on every core, as 32-bit integers
(a DRAM trace once its `.0`s are dropped); the checks that prove it is such a file (a byte
translation, then that no other `.` is left) run at memory speed. Any other file (ragged rows, empty
cells, `5.00`, CRLF, or a bad cell) is checked line by line by DuckDB, which names the first bad cell,
and, when it has none, read line by line.

**Matrices.** SCALE-Sim writes SRAM traces with `%i`, which truncates, and DRAM traces with `%s`, so
an SRAM value is truncated and a DRAM value that is not an integer is refused, as it would be in the
file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
from gainsight_db.loaders.input_files import literal_path, named_in, read_head

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.numpy_arrow import arrow_lists, arrow_table
from gainsight_db.common.sql_text import one_line, quote_literal

_SNIFF_BYTES = 1 << 16
_CHECK_REJECTS = "_trace_check_rejects"
_CHECK_SCANS = "_trace_check_scans"
_MATRIX_BATCH_ROWS = 16384
_PARSE_BLOCK_BYTES = 4 << 20  # pyarrow parses blocks of this size on every core
_INTEGER_MAX = 2**31 - 1  # accesses.cycle and accesses.addr are INTEGER
# A cell as SCALE-Sim writes it: an integer (`%i` in SRAM traces), or a float that holds one (`%s`
# of a float, `-245.0`, in DRAM traces). Empty cells are allowed (skipped), and so a whole line is
# cells and commas.
_CELL = r"-?[0-9]+(\.0+)?"
# The first pass takes at most 9 digits, which always fit the INTEGER columns, so that it checks the
# range too; a line it does not take is looked at cell by cell (_first_bad_cell), where a 10-digit
# value within range is accepted.
_SHORT_CELL = r"-?[0-9]{1,9}(\.0+)?"
_LINE = rf"({_SHORT_CELL})?(,({_SHORT_CELL})?)*"
# The bytes of a trace file as SCALE-Sim writes it (see _parse_as_written).
_WRITTEN_BYTES = b"0123456789-,.\n"


def trace_file_name(buffer: str, level: str) -> str:
    return f"{buffer.upper()}_{level.upper()}_TRACE.csv"


def trace_path(run_dir: Path, layer: int, buffer: str, level: str) -> Path:
    """Where SCALE-Sim writes one trace of a run: RUN/layer<N>/<BUFFER>_<LEVEL>_TRACE.csv."""
    return run_dir / f"layer{layer}" / trace_file_name(buffer, level)


@dataclass(frozen=True)
class TraceStats:
    trace_rows: int
    accesses: int
    empty_slots: int
    empty_cells: int
    padding_cells: int


@dataclass(frozen=True)
class TraceAccesses:
    """One trace's accesses, in trace order (row by row, left to right), and what was dropped."""

    cycles: object  # numpy int32
    addrs: object  # numpy int32
    stats: TraceStats
    sha256: str | None = None  # of the file's bytes, when they were hashed as they were parsed


def _check_file(path: Path) -> int:
    """The number of cells in the widest of the first lines; errors for unusable files."""
    head = read_head(path, "trace", _SNIFF_BYTES)
    lines = head.split(b"\n")
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut by the sniff window (wider rows fall back to line mode)
    width = max(line.count(b",") + 1 for line in lines if line.strip())
    if width < 2:
        raise GsdbError(f"{path}: not a SCALE-Sim trace (a row needs a cycle and at least one address)")
    return width


def _lines_sql(name: str, rejects: bool = False) -> str:
    """The file's lines, in order, one VARCHAR each (an empty line is NULL). With `rejects`, a line
    that cannot be read (not UTF-8) is set aside in _CHECK_REJECTS instead of failing the statement,
    which would abort the ingest's transaction before the line could be named."""
    keep = (f", ignore_errors = true, store_rejects = true, rejects_table = '{_CHECK_REJECTS}', "
            f"rejects_scan = '{_CHECK_SCANS}'") if rejects else ""
    return (
        f"read_csv({quote_literal(name)}, header = false, columns = {{'line': 'VARCHAR'}}, "
        f"delim = '\\x01', quote = '', escape = '', auto_detect = false{keep})"
    )


def _bad_cell_message(path: Path, line: int, field: int, text: str) -> str:
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if re.fullmatch(_CELL, text):
        reason = f"is out of range (a trace holds integers from {-_INTEGER_MAX - 1} to {_INTEGER_MAX})"
    elif math.isfinite(number):
        reason = "is not an integer as SCALE-Sim writes it"
    else:
        reason = "is not a number"
    return f"{path}: line {line}, field {field}: {shown} {reason}"


def _first_bad_cell(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> str | None:
    """The message for the file's first cell (line and field numbered from 1) that is not an integer
    as SCALE-Sim writes it or does not fit the accesses table, or None. Run only once a file has
    failed a check, so it may take its time."""
    ok = f"lambda x: x = '' OR (regexp_full_match(x, '{_CELL}') AND TRY_CAST(x AS INTEGER) IS NOT NULL)"
    row = con.execute(
        f"""
        WITH lines AS (SELECT row_number() OVER () AS line_no, string_split(line, ',') AS fields
                       FROM {_lines_sql(name)}),
        checked AS (SELECT line_no, fields, list_position(list_transform(fields, {ok}), false) AS field
                    FROM lines WHERE fields IS NOT NULL)
        SELECT line_no, field, fields[field] FROM checked WHERE field > 0 ORDER BY line_no LIMIT 1
        """
    ).fetchone()
    return None if row is None else _bad_cell_message(path, *row)


def _check_cells(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> None:
    """Every cell of the file is an integer as SCALE-Sim writes it, within the INTEGER columns, or
    the first that is not is named (or the first line that is not UTF-8 text)."""
    try:
        # fetchall, not fetchone: the rejects tables exist only once the statement has run to its end.
        [(bad,)] = con.execute(
            f"SELECT count(*) FROM {_lines_sql(name, rejects=True)} WHERE NOT regexp_full_match(line, '{_LINE}')"
        ).fetchall()
        rejected = con.execute(
            f"SELECT line, error_type, error_message FROM {_CHECK_REJECTS} ORDER BY line LIMIT 1"
        ).fetchone()
        for table in (_CHECK_REJECTS, _CHECK_SCANS):
            con.execute(f"DROP TABLE {table}")
        if rejected:
            line, kind, message = rejected
            raise GsdbError(f"{path}: line {line}: " + ("not UTF-8 text" if kind == "INVALID ENCODING"
                                                        else " ".join(message.split())))
        if bad:
            message = _first_bad_cell(con, path, name)
            if message:
                raise GsdbError(message)
    except duckdb.Error as err:
        raise GsdbError(f"{path}: bad trace: {named_in(one_line(err), name, path)}") from err


def _first_out_of_range(values) -> tuple[int, int] | None:
    """(row, column), from 0, of the first value of a float matrix outside the INTEGER columns, or None."""
    import numpy as np

    if not values.size:
        return None
    low, high = np.fmin.reduce(values, axis=None), np.fmax.reduce(values, axis=None)  # NaN (an empty cell) is no value
    if not (low < -_INTEGER_MAX - 1 or high > _INTEGER_MAX):
        return None
    row, column = np.argwhere((values < -_INTEGER_MAX - 1) | (values > _INTEGER_MAX))[0]
    return int(row), int(column)


def _padding(cells, present):
    """Which cells of DRAM rows are CALC-mode padding: the trailing run of present cells equal to 1,
    where it is two or more long (empty cells are skipped, not counted)."""
    import numpy as np

    rows, width = cells.shape
    run = np.zeros(rows, np.int64)  # length of each row's trailing run of 1s so far, from the right
    open_ = np.ones(rows, bool)  # the run has not ended yet
    for column in range(width - 1, -1, -1):
        here, one = present[:, column], cells[:, column] == 1
        run += open_ & here & one
        open_ &= ~here | one
    padded = run >= 2
    padding = np.zeros_like(present)
    if padded.any():
        seen = np.zeros(rows, np.int64)
        for column in range(width - 1, -1, -1):
            here = present[:, column] & padded
            padding[:, column] = here & (seen < run)
            seen += here
    return padding


def trace_accesses(values, level: str, where: str) -> TraceAccesses:
    """The accesses of one trace given as a matrix (column 0 the cycle): every rule of what is an
    access, for files and matrices alike. A float matrix marks an empty cell with NaN; an integer one
    (a file as SCALE-Sim writes it) has none. Errors name `where`."""
    import numpy as np

    cycle, cells = values[:, 0], values[:, 1:]
    present = None  # every cell holds a value
    if values.dtype.kind == "f":
        missing_cycle = int(np.isnan(cycle).sum())
        if missing_cycle:
            raise GsdbError(f"{where}: {missing_cycle} row(s) have no cycle in column 1")
        present = ~np.isnan(cells)
        if present.all():
            present = None
    accesses = cells != -1  # -1 is an idle slot
    if present is not None:
        accesses &= present
    padding = None
    if level == "dram":
        padding = _padding(cells, present if present is not None else np.ones(cells.shape, bool))
        accesses &= ~padding
    addrs = cells[accesses]
    if len(addrs) and addrs.min() < 0:
        counts = np.count_nonzero(accesses, axis=1)
        first = int(np.argmin(addrs))
        row = int(np.searchsorted(np.cumsum(counts), first, side="right"))
        raise GsdbError(f"{where}: the row of cycle {int(cycle[row])} holds address {int(addrs[first])} (SCALE-Sim "
                        "writes addresses from 0, and -1 for an idle slot)")
    per_row = np.count_nonzero(accesses, axis=1)
    present_cells = cells.size if present is None else int(np.count_nonzero(present))
    padding_cells = 0 if padding is None else int(np.count_nonzero(padding))
    stats = TraceStats(
        trace_rows=len(values),
        accesses=len(addrs),
        empty_slots=present_cells - len(addrs) - padding_cells,
        empty_cells=int(cells.size - present_cells),
        padding_cells=padding_cells,
    )
    return TraceAccesses(np.repeat(cycle.astype(np.int32, copy=False), per_row), addrs.astype(np.int32, copy=False),
                         stats)


def _parse_as_written(path: Path):
    """(The file's matrix (32-bit integers), when the file is exactly as SCALE-Sim writes it (see the
    module's doc), or None for any other file (which _read_line_by_line then checks and reads); the
    SHA-256 of the bytes read, for the ingest's provenance.)"""
    import hashlib

    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        data = path.read_bytes()
    except OSError as err:
        raise GsdbError(f"{path}: cannot read trace: {err.strerror}") from err
    digest = hashlib.sha256(data).hexdigest()
    if data.translate(None, _WRITTEN_BYTES):
        return None, digest
    if b"." in data:
        # A DRAM trace: integers written as floats (`-245.0`), parsed as the integers they are once
        # every `.0` before a comma or a newline is dropped. Any `.` left means another cell; a `.0`
        # that followed no digit leaves a cell ('-') or an empty cell that is refused below.
        data = data.replace(b".0,", b",").replace(b".0\n", b"\n")
        if b"." in data:
            return None, digest
    width = data[: data.find(b"\n")].count(b",") + 1
    if width < 2:
        return None, digest
    names = [f"c{i}" for i in range(width)]
    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(column_names=names, block_size=_PARSE_BLOCK_BYTES),
            parse_options=pcsv.ParseOptions(quote_char=False),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.int32())),
        )
    except pa.ArrowInvalid:  # a row of another width, a cell that is not a number ('5-', '--1') or beyond 32 bits
        return None, digest
    del data
    if any(column.null_count for column in table.columns):  # an empty cell
        return None, digest
    # Filled a column at a time (each chunk as it was parsed, contiguous) and handed over as the
    # transposed view, rows by columns, without a copy: trace_accesses reads it in row order all the
    # same, and a column at a time is how it compares cells fastest.
    # (The chunks are read through their buffers: Array.to_numpy would import pandas on first use.)
    dtype = np.dtype(np.int32)
    columns = np.empty((width, table.num_rows), dtype)
    for column in range(width):
        start = 0
        for chunk in table.column(column).chunks:
            columns[column, start:start + len(chunk)] = np.frombuffer(chunk.buffers()[1], dtype, len(chunk),
                                                                      chunk.offset * dtype.itemsize)
            start += len(chunk)
    del table
    return columns.T, digest


def _read_line_by_line(con: duckdb.DuckDBPyConnection, path: Path, name: str):
    """The matrix of a file whose every cell has been checked, read line by line (any width; missing
    cells of a short row are NaN, as empty ones)."""
    import numpy as np

    cells = "list_transform(string_split(line, ','), lambda x: CAST(NULLIF(x, '') AS DOUBLE))"
    rows = con.sql(f"SELECT {cells} AS cells FROM {_lines_sql(name)} WHERE line <> ''").to_arrow_table()
    rows = rows.column("cells").combine_chunks()
    lengths = np.diff(rows.offsets.to_numpy())
    values = np.full((len(rows), int(lengths.max(initial=0))), np.nan)
    row_of = np.repeat(np.arange(len(rows)), lengths)
    column_of = np.arange(len(row_of)) - np.repeat(rows.offsets.to_numpy()[:-1], lengths)
    values[row_of, column_of] = rows.flatten().to_numpy(zero_copy_only=False)
    return values


def parse_as_written(path: Path, level: str) -> TraceAccesses | None:
    """One trace file's accesses when the file is exactly as SCALE-Sim writes it, else None (then
    `read_trace` checks and reads it). Needs no connection: it may run in another thread while DuckDB
    works on the previous trace (pyarrow and numpy release the GIL)."""
    _check_file(path)
    values, digest = _parse_as_written(path)
    return None if values is None else replace(trace_accesses(values, level, str(path)), sha256=digest)


def read_trace(con: duckdb.DuckDBPyConnection, path: Path, level: str,
               parsed: TraceAccesses | None = None) -> TraceAccesses:
    """One trace file's accesses; `parsed`: what `parse_as_written` made of it, if it was called."""
    if parsed is not None:
        return parsed
    _check_file(path)
    values, digest = _parse_as_written(path)
    if values is None:
        digest = None  # the file is read again, line by line
        with literal_path(path) as name:
            _check_cells(con, path, name)
            try:
                values = _read_line_by_line(con, path, name)
            except duckdb.Error as err:
                raise GsdbError(f"{path}: bad trace: {named_in(one_line(err), name, path)}") from err
    return replace(trace_accesses(values, level, str(path)), sha256=digest)


def matrix_values(matrix, where: str, level: str):
    """SCALE-Sim's trace matrix as the float matrix its trace file would be parsed into: SRAM values
    truncated (its '%i'), DRAM values refused unless integers (its '%s'), every value within the
    INTEGER columns."""
    import numpy as np

    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise GsdbError(f"{where}: not a SCALE-Sim trace (a {matrix.shape} array; a row needs a cycle and an address)")
    values = matrix.astype(np.float64)  # a copy: SCALE-Sim's matrix is left as it is
    if level == "sram":
        np.trunc(values, out=values)  # SCALE-Sim writes SRAM traces with '%i', which truncates
    # DRAM traces are written with '%s': a value that is not an integer would be refused in the file
    # (and NaN or infinity in either). Checked a batch of rows at a time, so the temporaries stay small.
    for start in range(0, len(values), _MATRIX_BATCH_ROWS):
        part = values[start:start + _MATRIX_BATCH_ROWS]
        integral = np.isfinite(part) & (np.trunc(part) == part)
        if not integral.all():
            row, column = np.argwhere(~integral)[0]
            value = float(part[row, column])
            reason = "is not an integer" if np.isfinite(value) else "is not a number"
            raise GsdbError(f"{where}: row {start + row + 1}, column {column + 1}: {value!r} {reason}")
    outside = _first_out_of_range(values)
    if outside:
        row, column = outside
        raise GsdbError(f"{where}: row {row + 1}, column {column + 1}: {float(values[row, column])!r} is out of range "
                        f"(a trace holds integers from {-_INTEGER_MAX - 1} to {_INTEGER_MAX})")
    return values


def matrix_accesses(matrix, where: str, level: str) -> TraceAccesses:
    """The accesses of one trace held in memory as SCALE-Sim's numpy matrix (column 0 the cycle, the
    others addresses, exactly what it would write to the trace file)."""
    return trace_accesses(matrix_values(matrix, where, level), level, where)


class TraceIds:
    """The trace ids of one run's ingest: each new trace takes the next id after every id the
    warehouse holds, in trace_files or on accesses or generations left without their trace_files row
    (so a new trace never takes such rows over). Asked of the warehouse once, when made."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._next = con.execute("SELECT greatest((SELECT coalesce(max(trace_id), 0) FROM trace_files), "
                                 "(SELECT coalesce(max(trace_id), 0) FROM _accesses), "
                                 "(SELECT coalesce(max(trace_id), 0) FROM _generations)) + 1").fetchone()[0]

    def take(self, count: int = 1) -> int:
        """The next id, or the first of the next `count`."""
        self._next += count
        return self._next - count


def record_trace(con: duckdb.DuckDBPyConnection, trace_id: int, run_id: int, layer: int, buffer: str, level: str,
                 path: Path, size_bytes: int | None, stats: TraceStats, origin: str) -> int:
    """Add one trace's trace_files row (where it came from, what was dropped) as `trace_id` (from the
    run's TraceIds); its trace_id."""
    con.execute(
        "INSERT INTO trace_files (run_id, layer, buffer, level, path, size_bytes, trace_rows, accesses, empty_slots, "
        "empty_cells, padding_cells, origin, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, layer, buffer, level, str(path), size_bytes, stats.trace_rows, stats.accesses, stats.empty_slots,
         stats.empty_cells, stats.padding_cells, origin, trace_id],
    )
    return trace_id


def insert_accesses(con: duckdb.DuckDBPyConnection, found: TraceAccesses, trace_id: int) -> None:
    """Append one trace's accesses to accesses (the trace's trace_files row is `trace_id`): a row of
    _accesses per run of accesses in one cycle."""
    import numpy as np

    cycles = found.cycles
    starts = np.flatnonzero(cycles[1:] != cycles[:-1]) + 1
    starts = np.concatenate(([0], starts)) if len(cycles) else starts
    _trace_rows = arrow_table({"cycle": cycles[starts], "addrs": arrow_lists(starts, found.addrs)})  # noqa: F841
    con.execute(f"INSERT INTO _accesses SELECT {int(trace_id)}, cycle, addrs FROM _trace_rows")
