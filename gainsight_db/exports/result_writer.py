"""Writing a query's or report's rows (a DuckDB relation) to a file or to stdout, a batch at a time,
so that memory stays bounded whatever the size of the result.

DuckDB turns every row into its text (a CSV line, a JSON object, a padded table row) and Python
only copies each batch's bytes to the output. Formats:

- `csv`: a header, then one line per row; numbers with every digit (a float that is an integer ends
  in `.0`), booleans `True`/`False`, lists and structs as JSON, empty for NULL; quoted when needed.
- `json`: one JSON array of objects; `ndjson`: one object per line. Numbers as numbers, with every
  digit; dates and times as DuckDB prints them.
- `parquet`: the columns with their DuckDB types (through Arrow); to a file only.
- `table` and `markdown`: for people: numbers rounded, grouped and in readable units
  (`exports.readable`). Only the first `limit` rows when asked (one query for the rows shown and a
  count of the rest); otherwise every row, the result then read twice (once to size the columns).

A file is written beside its target and moved into place when complete (`common.staging`), never
over a protected path (the warehouse's files)."""

from __future__ import annotations

import codecs
import csv
import enum
import io
import sys
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Sequence, TextIO

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import quote_identifier, quote_literal
from gainsight_db.common.staging import refuse_protected, staged_file
from gainsight_db.exports import readable

BATCH_ROWS = 131_072  # rows DuckDB hands over at a time
_NAME = "_gsdb_result"  # what the result is called inside the queries built over it


class ResultFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    markdown = "markdown"
    parquet = "parquet"


_SUFFIXES = {".csv": ResultFormat.csv, ".json": ResultFormat.json, ".ndjson": ResultFormat.ndjson,
             ".jsonl": ResultFormat.ndjson, ".parquet": ResultFormat.parquet, ".md": ResultFormat.markdown,
             ".txt": ResultFormat.table}


def format_of(out: Path | None, fmt: str | ResultFormat | None) -> ResultFormat:
    """The format asked for, or (None) the one the file's suffix names."""
    if fmt is not None:
        try:
            return ResultFormat(fmt)
        except ValueError:
            raise GsdbError(f"format {fmt!r}: expected one of {', '.join(f.value for f in ResultFormat)}") from None
    if out is None:
        return ResultFormat.table
    if out.suffix.lower() not in _SUFFIXES:
        raise GsdbError(f"{out}: give the format (the suffix {out.suffix!r} names none of "
                        f"{', '.join(_SUFFIXES)})")
    return _SUFFIXES[out.suffix.lower()]


def select_columns(relation: duckdb.DuckDBPyRelation, columns: Sequence[str] | None) -> duckdb.DuckDBPyRelation:
    """Only `columns` of the result, in that order (None: all); a name it does not have is an error
    that lists the ones it has."""
    if columns is None:
        return relation
    available = {name.lower(): name for name in relation.columns}
    if not columns:
        raise GsdbError(f"columns: none given (the result has: {', '.join(relation.columns)})")
    unknown = [c for c in columns if c.lower() not in available]
    if unknown:
        raise GsdbError(f"column {unknown[0]!r} is not in the result (it has: {', '.join(relation.columns)})")
    return relation.project(", ".join(quote_identifier(available[c.lower()]) for c in columns))


def write_result(
    relation: duckdb.DuckDBPyRelation, fmt: ResultFormat, out: Path | None = None, *,
    stdout: BinaryIO | None = None, columns: Sequence[str] | None = None,
    precision: int = readable.DEFAULT_PRECISION, limit: int | None = None, protected: Iterable[Path] = (),
) -> int:
    """Write the rows of `relation` in format `fmt` to the file `out` (replaced if it exists, never a
    `protected` path), or to `stdout` (default: this process's standard output). `columns` chooses
    and orders the columns; `precision` is the significant digits of table and markdown, and `limit`
    the most rows they show (None: all). Returns the number of rows of the result."""
    fmt = ResultFormat(fmt)
    if not 1 <= precision <= readable.MAX_PRECISION:
        raise GsdbError(f"precision {precision}: expected 1 to {readable.MAX_PRECISION} significant digits")
    if limit is not None and limit < 0:
        raise GsdbError(f"limit {limit}: expected a number of rows >= 0")
    if out is not None:
        refuse_protected(out, protected)
    elif fmt is ResultFormat.parquet:
        raise GsdbError("parquet is written to a file only: give one (--output FILE)")
    relation = select_columns(relation, columns)
    if out is None:
        stream = stdout if stdout is not None else _binary_stdout()
        try:
            sys.stdout.flush()  # what was printed before comes first
            rows = _write(relation, fmt, stream, precision, limit)
            stream.flush()
        except BrokenPipeError:
            raise  # the reader has gone (`| head`): click ends the command quietly
        except OSError as err:
            raise GsdbError(f"standard output: cannot write: {err.strerror or err}") from err
        return rows
    try:
        with staged_file(out, replace=True, protected=protected) as stream:
            return _write(relation, fmt, stream, precision, None)  # a file gets every row
    except OSError as err:
        raise GsdbError(f"{out}: cannot write: {err.strerror or err}") from err


def _write(relation: duckdb.DuckDBPyRelation, fmt: ResultFormat, stream: BinaryIO, precision: int,
           limit: int | None) -> int:
    if fmt is ResultFormat.parquet:
        return _write_parquet(relation, stream)
    if fmt in (ResultFormat.table, ResultFormat.markdown):
        return _write_table(relation, stream, precision, limit, markdown=fmt is ResultFormat.markdown)
    if fmt is ResultFormat.csv:
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(relation.columns)
        stream.write(header.getvalue().encode("utf-8"))
        return _copy_lines(_over(relation, _csv_line_sql(relation)), stream)
    if fmt is ResultFormat.ndjson:
        return _copy_lines(_over(relation, f"{_json_object_sql(relation)} || chr(10)"), stream)
    # json: "[", then each object on its own line after ",\n  " (the first one's comma dropped), "\n]"
    stream.write(b"[")
    rows = _copy_lines(_over(relation, f"',' || chr(10) || '  ' || {_json_object_sql(relation)}"), stream,
                       skip_first=1)
    stream.write(b"\n]\n")
    return rows


def _write_parquet(relation: duckdb.DuckDBPyRelation, stream: BinaryIO) -> int:
    """The rows with their types, one row group per batch."""
    import pyarrow.parquet as pq

    reader = relation.to_arrow_reader(BATCH_ROWS)
    rows = 0
    try:
        with pq.ParquetWriter(stream, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
    finally:
        reader.close()
    return rows


def _write_table(relation: duckdb.DuckDBPyRelation, stream: BinaryIO, precision: int, limit: int | None,
                 markdown: bool) -> int:
    """Columns padded to their widest value (numbers right-aligned), under a header and a rule; a
    table ends with the row count, and either format with how many rows were shown when `limit`
    left some out. DuckDB formats the values and pads the lines."""
    source, total = relation, None
    if limit is not None:
        held = relation.limit(limit + 1).materialize()  # the rows shown (and one more, if there are more)
        if held.aggregate("count(*)").fetchall()[0][0] > limit:
            total = relation.aggregate("count(*)").fetchall()[0][0]
            source = held.limit(limit)
        else:
            source = held
    names, types = relation.columns, relation.types
    positional, _ = _positional(source)
    medians: list[float | None] = [None] * len(names)
    with_units = [i for i, (name, column_type) in enumerate(zip(names, types)) if readable.units_of(name, column_type)]
    if with_units:
        found = source.query(_NAME, f"SELECT {', '.join(readable.median_magnitude_sql(f'c{i}') for i in with_units)} "
                                    f"FROM {positional}").fetchall()[0]
        for i, median in zip(with_units, found):
            medians[i] = median
    shown = [readable.shown_column(name, column_type, f"c{i}", f"v{i}", precision, medians[i])
             for i, (name, column_type) in enumerate(zip(names, types))]
    headers = [column.header for column in shown]
    texts = [column.text_sql for column in shown]
    if markdown:  # a cell holds no column separator nor line break
        headers = [h.replace("|", "\\|") for h in headers]
        texts = [f"replace(replace(replace({t}, '|', '\\|'), chr(13), ''), chr(10), '<br>')" for t in texts]
    cells = (f"SELECT {', '.join(f'{t} AS t{i}' for i, t in enumerate(texts))} FROM "
             f"(SELECT {', '.join(f'{c.value_sql} AS v{i}' for i, c in enumerate(shown))} FROM {positional})")
    counted = source.query(_NAME, f"SELECT count(*), {', '.join(f'max(length(t{i}))' for i in range(len(shown)))} "
                                  f"FROM ({cells})").fetchall()[0]
    rows, widths = counted[0], [max(len(h), w or 0) for h, w in zip(headers, counted[1:])]

    def pad(text: str, width: int, numeric: bool) -> str:
        return text.rjust(width) if numeric else text.ljust(width)

    numeric = [c.numeric for c in shown]
    padded = [f"{'lpad' if n else 'rpad'}(t{i}, {w}, ' ')" for i, (n, w) in enumerate(zip(numeric, widths))]
    if markdown:
        head = "| " + " | ".join(pad(h, w, n) for h, w, n in zip(headers, widths, numeric)) + " |"
        rule = "|" + "|".join("-" * (w + 1) + ":" if n else "-" * (w + 2) for w, n in zip(widths, numeric)) + "|"
        line = "concat('| ', " + ", ' | ', ".join(padded) + ", ' |', chr(10))"
    else:
        head = "  ".join(pad(h, w, n) for h, w, n in zip(headers, widths, numeric)).rstrip()
        rule = "  ".join("-" * w for w in widths)
        line = "concat(rtrim(concat(" + ", '  ', ".join(padded) + ")), chr(10))"
    stream.write(f"{head}\n{rule}\n".encode("utf-8"))
    _copy_lines(source.query(_NAME, f"SELECT {line} FROM ({cells})"), stream)
    if total is not None:
        stream.write(f"{chr(10) if markdown else ''}({total:,} rows, {rows:,} shown)\n".encode("utf-8"))
    elif not markdown:
        stream.write(f"({rows:,} row{'' if rows == 1 else 's'})\n".encode("utf-8"))
    return total if total is not None else rows


# SQL over the result -------------------------------------------------------------------------------
def _positional(relation: duckdb.DuckDBPyRelation) -> tuple[str, list[str]]:
    """The result with its columns named by position (c0, c1, ...): names shared by several columns,
    or any name at all, then cannot get in the way of the SQL built over it."""
    names = [f"c{i}" for i in range(len(relation.columns))]
    return f"{_NAME} AS r({', '.join(names)})", names


def _over(relation: duckdb.DuckDBPyRelation, line_sql: str) -> duckdb.DuckDBPyRelation:
    """One VARCHAR column, `line_sql` (over c0, c1, ...) for each row of the result, in its order."""
    source, _ = _positional(relation)
    return relation.query(_NAME, f"SELECT {line_sql} AS line FROM {source}")


def _csv_line_sql(relation: duckdb.DuckDBPyRelation) -> str:
    cells = []
    for i, column_type in enumerate(relation.types):
        column, kind = f"c{i}", readable.type_id(column_type)
        if kind == "boolean":
            cells.append(f"CASE WHEN {column} THEN 'True' WHEN NOT {column} THEN 'False' ELSE '' END")
        elif kind in readable.INTEGER_TYPES | readable.FRACTIONAL_TYPES:
            cells.append(f"coalesce(CAST({column} AS VARCHAR), '')")
        else:
            text = f"CAST(to_json({column}) AS VARCHAR)" if kind in readable.NESTED_TYPES else f"CAST({column} AS VARCHAR)"
            # quoted when it holds a comma, quote or line break, its quotes doubled (as Python's csv module)
            cells.append(f"coalesce(CASE WHEN regexp_matches({text}, '[,\"\\r\\n]') "
                         f"THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END, '')")
    if len(cells) == 1:  # an empty line would be no row at all: a lone empty cell is quoted (as Python's csv does)
        cells = [f"CASE WHEN {cells[0]} = '' THEN '\"\"' ELSE {cells[0]} END"]
    return "concat(" + ", ',', ".join(cells) + ", chr(10))"


def _json_object_sql(relation: duckdb.DuckDBPyRelation) -> str:
    pairs = [f"{quote_literal(name)}, c{i}" for i, name in enumerate(relation.columns)]
    return f"CAST(json_object({', '.join(pairs)}) AS VARCHAR)"


# Copying DuckDB's text out ---------------------------------------------------------------------------
def _batches(relation: duckdb.DuckDBPyRelation) -> Iterator:
    """The result's rows as Arrow record batches, streamed from DuckDB."""
    reader = relation.to_arrow_reader(BATCH_ROWS)
    try:
        yield from reader
    finally:
        reader.close()  # frees the connection also when the writing stopped early


def _copy_lines(lines: duckdb.DuckDBPyRelation, stream: BinaryIO, skip_first: int = 0) -> int:
    """Write the text of every row of the one-column relation `lines`, in order, a batch at a time:
    each batch's bytes go from the Arrow buffer DuckDB filled straight to `stream`. The first
    `skip_first` bytes are left out. Returns the number of rows."""
    import numpy as np
    import pyarrow as pa

    rows = 0
    for batch in _batches(lines):
        column = batch.column(0)
        rows += len(column)
        if len(column) == 0:
            continue
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            column = column.cast(pa.large_string())
        _, offsets, data = column.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int64 if pa.types.is_large_string(column.type) else np.int32)
        start, end = int(bounds[column.offset]), int(bounds[column.offset + len(column)])
        if end == start:
            continue
        if skip_first:
            start, skip_first = start + skip_first, 0
        stream.write(memoryview(data)[start:end])
    return rows


class _TextOutput:
    """Bytes written to a text stream that has no binary buffer beneath it (a notebook's output)."""

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def write(self, data: bytes | memoryview) -> int:
        self._text.write(self._decoder.decode(bytes(data)))
        return len(data)

    def flush(self) -> None:
        self._text.flush()


def _binary_stdout() -> BinaryIO:
    buffer = getattr(sys.stdout, "buffer", None)
    return buffer if buffer is not None else _TextOutput(sys.stdout)  # type: ignore[return-value]
