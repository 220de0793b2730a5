"""SCALE-Sim trace CSVs into the long `accesses` table, parsed by DuckDB.

A trace has no header; column 1 is the cycle and the others are addresses, `-1` (`-1.0` in DRAM
traces) marking an idle slot. DRAM traces print every number as a float and may have negative
(prefetch) cycles. In a DRAM row, a trailing run of two or more `1.0` cells is CALC-mode padding,
not accesses; a single trailing `1.0` is an access to address 1. Rows may be ragged (fewer cells
than others) and cells may be empty: both are skipped.

Every cell is an integer as SCALE-Sim writes it: digits after an optional minus, and in DRAM traces
`.0` after them. Anything else (`180.7`, `1_80`, `1e2`, `nan`) and any number beyond the 32-bit
columns is refused with the file, line and field named, never rounded: a first pass over the file's
lines matches each line against that pattern, and only a file that fails it is searched for the
first bad cell.

Each file is then read with a typed `read_csv` (its width taken from its first lines) that sets
rejected rows aside instead of failing: a file with a row wider than that is read again line by line
and split, which handles any width.

`gsdb simulate` hands over the same traces as SCALE-Sim's numpy matrices (`load_trace_matrix`): they
go through the same SQL, so every rule above applies to them unchanged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from gainsight_db.loaders.input_files import literal_path, named_in, read_head

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import one_line, quote_literal

_SNIFF_BYTES = 1 << 16
_REJECTS = "_trace_rejects"
_REJECT_SCANS = "_trace_reject_scans"
_CHECK_REJECTS = "_trace_check_rejects"
_CHECK_SCANS = "_trace_check_scans"
_STAGE = "_trace_stage"
_MATRIX_BATCH_ROWS = 16384
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


def trace_file_name(buffer: str, level: str) -> str:
    return f"{buffer.upper()}_{level.upper()}_TRACE.csv"


@dataclass(frozen=True)
class TraceStats:
    trace_rows: int
    accesses: int
    empty_slots: int
    empty_cells: int
    padding_cells: int


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


def _typed_rows_sql(name: str, width: int) -> str:
    columns = ", ".join(f"'c{i}': 'DOUBLE'" for i in range(width))
    cells = ", ".join(f"c{i}" for i in range(1, width))
    return (
        f"SELECT c0 AS cycle, [{cells}] AS cells FROM read_csv({quote_literal(name)}, header = false, "
        f"delim = ',', quote = '', escape = '', auto_detect = false, null_padding = true, "
        f"columns = {{{columns}}}, ignore_errors = true, store_rejects = true, "
        f"rejects_table = '{_REJECTS}', rejects_scan = '{_REJECT_SCANS}')"
    )


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


def _line_rows_sql(name: str) -> str:
    fields = "string_split(line, ',')"
    return (
        f"SELECT CAST(NULLIF(trim({fields}[1]), '') AS DOUBLE) AS cycle, "
        f"list_transform({fields}[2:], lambda x: CAST(NULLIF(trim(x), '') AS DOUBLE)) AS cells "
        f"FROM {_lines_sql(name)} WHERE trim(line) <> ''"
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


def _stage_sql(rows_sql: str, level: str) -> str:
    """Per row: the cycle, the cells that are accesses, and counts of what was dropped."""
    padding = (
        # Length of the trailing run of 1.0 cells; it is padding when two or more long.
        "coalesce(list_position(list_reverse(list_transform(present, lambda x: x <> 1)), true) - 1, len(present))"
        if level == "dram"
        else "0"
    )
    return f"""
        WITH parsed AS ({rows_sql}),
        present AS (
            SELECT cycle, cells, list_filter(cells, lambda x: x IS NOT NULL) AS present FROM parsed
        ),
        trimmed AS (
            SELECT cycle, cells, present, {padding} AS trailing_ones FROM present
        ),
        body AS (
            SELECT
                cycle,
                len(cells) - len(present) AS empty_cells,
                CASE WHEN trailing_ones >= 2 THEN trailing_ones ELSE 0 END AS padding_cells,
                CASE WHEN trailing_ones >= 2 THEN present[1:len(present) - trailing_ones] ELSE present END AS body
            FROM trimmed
        )
        SELECT
            cycle,
            list_filter(body, lambda x: x <> -1) AS addrs,
            empty_cells,
            padding_cells,
            len(body) - len(list_filter(body, lambda x: x <> -1)) AS empty_slots
        FROM body
    """


def _rejection_message(path: Path, line: int, field: int | None, kind: str, text: str, message: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    if kind == "CAST":
        return f"{path}: line {line}, field {field}: not a number in {shown!r}"
    return f"{path}: line {line}: {' '.join(message.split())} in {shown!r}"


def _matrix_rows_sql(relation: str) -> str:
    return f"SELECT row[1] AS cycle, (row::DOUBLE[])[2:] AS cells FROM {relation}"


def _load_staged(
    con: duckdb.DuckDBPyConnection, where: str, stage_rows, run_id: int, layer: int, buffer: str, level: str,
    into: str,
) -> TraceStats:
    """Stage one trace's rows with `stage_rows(stage)` (which creates the table `stage`), then insert its
    accesses into `into`; returns what was found. Errors name `where` (the file, or the in-memory trace)."""
    try:
        stage_rows(_STAGE)
        rows, accesses, empty_slots, empty_cells, padding, missing_cycle, negative = con.execute(
            f"""SELECT count(*), coalesce(sum(len(addrs)), 0), coalesce(sum(empty_slots), 0),
                       coalesce(sum(empty_cells), 0), coalesce(sum(padding_cells), 0),
                       count(*) FILTER (WHERE cycle IS NULL),
                       arg_min([cycle, list_min(addrs)], list_min(addrs)) FILTER (WHERE list_min(addrs) < 0)
                FROM {_STAGE}"""
        ).fetchall()[0]
        if missing_cycle:
            raise GsdbError(f"{where}: {missing_cycle} row(s) have no cycle in column 1")
        if negative:
            cycle, addr = (int(v) for v in negative)
            raise GsdbError(f"{where}: the row of cycle {cycle} holds address {addr} (SCALE-Sim writes addresses "
                            "from 0, and -1 for an idle slot)")
        con.execute(
            f"""
            INSERT INTO {into}
            SELECT {int(run_id)}, {int(layer)}, '{buffer}', '{level}',
                   CAST(cycle AS INTEGER), CAST(addr AS INTEGER)
            FROM (SELECT cycle, unnest(addrs) AS addr FROM {_STAGE})
            """
        )
    except duckdb.Error as err:
        raise GsdbError(f"{where}: bad trace: {one_line(err)}") from err
    finally:
        try:
            for table in (_STAGE, _REJECTS, _REJECT_SCANS):
                con.execute(f"DROP TABLE IF EXISTS {table}")
        except duckdb.Error:
            pass  # the transaction already failed; rolling it back drops the table
    return TraceStats(int(rows), int(accesses), int(empty_slots), int(empty_cells), int(padding))


def load_trace(
    con: duckdb.DuckDBPyConnection, path: Path, run_id: int, layer: int, buffer: str, level: str,
    into: str = "accesses",
) -> TraceStats:
    """Insert one trace file's accesses into `into` (accesses, or a table shaped like it); returns
    what was found in the file."""
    width = _check_file(path)
    with literal_path(path) as name:
        _check_cells(con, path, name)

        def stage_rows(stage: str) -> None:
            # The rejects tables are dropped after every file, so each read starts without them.
            con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS {_stage_sql(_typed_rows_sql(name, width), level)}")
            rejected = con.execute(
                f"SELECT line, column_idx, error_type, csv_line, error_message FROM {_REJECTS} ORDER BY line"
            ).fetchall()
            if rejected:
                other = [r for r in rejected if r[2] != "TOO MANY COLUMNS"]
                if other:
                    raise GsdbError(_rejection_message(path, *other[0]))
                # Some row is wider than the first lines: read the file again, line by line.
                con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS {_stage_sql(_line_rows_sql(name), level)}")

        return _load_staged(con, str(path), stage_rows, run_id, layer, buffer, level, into)


def load_trace_matrix(
    con: duckdb.DuckDBPyConnection, matrix, where: str, run_id: int, layer: int, buffer: str, level: str,
    into: str = "accesses",
) -> TraceStats:
    """Insert the accesses of one trace held in memory as SCALE-Sim's numpy matrix (column 0 the
    cycle, the others addresses, exactly what it would write to the trace file) into `into`. The
    same rules apply as to the file; the matrix reaches DuckDB as Arrow, one list per row, not text."""
    import numpy as np
    import pyarrow as pa

    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise GsdbError(f"{where}: not a SCALE-Sim trace (a {matrix.shape} array; a row needs a cycle and an address)")
    if level == "sram" and matrix.dtype.kind == "f":
        matrix = np.trunc(matrix)  # SCALE-Sim writes SRAM traces with '%i', which truncates
    if matrix.dtype.kind == "f":
        # DRAM traces are written with '%s': a value that is not an integer would be refused in the
        # file. Checked a batch of rows at a time, so the temporaries stay small.
        for start in range(0, len(matrix), _MATRIX_BATCH_ROWS):
            part = matrix[start:start + _MATRIX_BATCH_ROWS]
            integral = np.isfinite(part) & (np.trunc(part) == part)
            if not integral.all():
                row, column = np.argwhere(~integral)[0]
                value = float(part[row, column])
                reason = "is not an integer" if np.isfinite(value) else "is not a number"
                raise GsdbError(f"{where}: row {start + row + 1}, column {column + 1}: {value!r} {reason}")
    # Each row as one fixed-size list: Arrow wraps the matrix's own buffer, nothing is copied. Batches
    # of rows let DuckDB scan it on every thread. They reach DuckDB as a stream (a record batch reader),
    # read once: a registered table (or array) would be kept alive by the connection until the ingest's
    # transaction ends, and with it every matrix of the run.
    rows = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(matrix).ravel()), matrix.shape[1])
    schema = pa.schema({"row": rows.type})
    relation = "_trace_matrix"

    def stage_rows(stage: str) -> None:
        batches = (pa.record_batch({"row": rows.slice(start, _MATRIX_BATCH_ROWS)})
                   for start in range(0, len(rows), _MATRIX_BATCH_ROWS))
        con.register(relation, pa.RecordBatchReader.from_batches(schema, batches))
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS {_stage_sql(_matrix_rows_sql(relation), level)}")
        finally:
            con.unregister(relation)

    return _load_staged(con, where, stage_rows, run_id, layer, buffer, level, into)
