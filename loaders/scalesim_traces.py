"""SCALE-Sim trace CSVs into the long `accesses` table, parsed by DuckDB.

A trace has no header; column 1 is the cycle and the others are addresses, `-1` (`-1.0` in DRAM
traces) marking an idle slot. DRAM traces print every number as a float and may have negative
(prefetch) cycles. In a DRAM row, a trailing run of two or more `1.0` cells is CALC-mode padding,
not accesses; a single trailing `1.0` is an access to address 1. Rows may be ragged (fewer cells
than others) and cells may be empty: both are skipped.

Each file is read once with a typed `read_csv` (its width taken from its first lines) that sets
rejected rows aside instead of failing: a file with a row wider than that is read again line by line
and split, which handles any width; any other rejected row (a cell that is not a number) stops the
ingest with the file, line and field named.

`gsdb simulate` hands over the same traces as SCALE-Sim's numpy matrices (`load_trace_matrix`): they
go through the same SQL, so every rule above applies to them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from gainsight_db.loaders.input_files import read_head

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import one_line, quote_literal

_SNIFF_BYTES = 1 << 16
_REJECTS = "_trace_rejects"
_REJECT_SCANS = "_trace_reject_scans"
_STAGE = "_trace_stage"
_MATRIX_BATCH_ROWS = 16384


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


def _typed_rows_sql(path: Path, width: int) -> str:
    columns = ", ".join(f"'c{i}': 'DOUBLE'" for i in range(width))
    cells = ", ".join(f"c{i}" for i in range(1, width))
    return (
        f"SELECT c0 AS cycle, [{cells}] AS cells FROM read_csv({quote_literal(str(path))}, header = false, "
        f"delim = ',', quote = '', escape = '', auto_detect = false, null_padding = true, "
        f"columns = {{{columns}}}, ignore_errors = true, store_rejects = true, "
        f"rejects_table = '{_REJECTS}', rejects_scan = '{_REJECT_SCANS}')"
    )


def _line_rows_sql(path: Path) -> str:
    fields = "string_split(line, ',')"
    return (
        f"SELECT CAST(NULLIF(trim({fields}[1]), '') AS DOUBLE) AS cycle, "
        f"list_transform({fields}[2:], lambda x: CAST(NULLIF(trim(x), '') AS DOUBLE)) AS cells "
        f"FROM read_csv({quote_literal(str(path))}, header = false, columns = {{'line': 'VARCHAR'}}, "
        f"delim = '\\x01', quote = '', escape = '', auto_detect = false) WHERE trim(line) <> ''"
    )


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
        missing_cycle = con.execute(f"SELECT count(*) FROM {_STAGE} WHERE cycle IS NULL").fetchone()[0]
        if missing_cycle:
            raise GsdbError(f"{where}: {missing_cycle} row(s) have no cycle in column 1")
        con.execute(
            f"""
            INSERT INTO {into}
            SELECT {int(run_id)}, {int(layer)}, '{buffer}', '{level}',
                   CAST(cycle AS INTEGER), CAST(addr AS INTEGER)
            FROM (SELECT cycle, unnest(addrs) AS addr FROM {_STAGE})
            """
        )
        rows, accesses, empty_slots, empty_cells, padding = con.execute(
            f"""SELECT count(*), coalesce(sum(len(addrs)), 0), coalesce(sum(empty_slots), 0),
                       coalesce(sum(empty_cells), 0), coalesce(sum(padding_cells), 0) FROM {_STAGE}"""
        ).fetchone()
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

    def stage_rows(stage: str) -> None:
        # The rejects tables are dropped after every file, so each read starts without them.
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS {_stage_sql(_typed_rows_sql(path, width), level)}")
        rejected = con.execute(
            f"SELECT line, column_idx, error_type, csv_line, error_message FROM {_REJECTS} ORDER BY line"
        ).fetchall()
        if rejected:
            other = [r for r in rejected if r[2] != "TOO MANY COLUMNS"]
            if other:
                raise GsdbError(_rejection_message(path, *other[0]))
            # Some row is wider than the first lines: read the file again, line by line.
            con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS {_stage_sql(_line_rows_sql(path), level)}")

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
    # Each row as one fixed-size list: Arrow wraps the matrix's own buffer, nothing is copied. Batches
    # of rows let DuckDB scan it on every thread.
    rows = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(matrix).ravel()), matrix.shape[1])
    table = pa.Table.from_batches(
        [pa.record_batch({"row": rows.slice(start, _MATRIX_BATCH_ROWS)})
         for start in range(0, len(rows), _MATRIX_BATCH_ROWS)],
        schema=pa.schema({"row": rows.type}),
    )
    relation = "_trace_matrix"

    def stage_rows(stage: str) -> None:
        con.register(relation, table)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS {_stage_sql(_matrix_rows_sql(relation), level)}")
        finally:
            con.unregister(relation)

    return _load_staged(con, where, stage_rows, run_id, layer, buffer, level, into)
