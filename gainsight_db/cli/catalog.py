"""Catalog and ad-hoc commands: `gsdb runs`, `tables`, `schema`, `query`, `sql` and `audit`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli.options import (
    AllRowsOption,
    ColumnsOption,
    DbOption,
    FormatOption,
    MemoryOption,
    OutputOption,
    PrecisionOption,
    RunsOption,
    TempOption,
    ThreadsOption,
    open_warehouse,
    warn,
)
from gainsight_db.cli.output import OutputFormat, ReadOutput, emit_relation
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.staging import refuse_protected
from gainsight_db.exports.readable import DEFAULT_PRECISION
from gainsight_db.exports.result_writer import select_columns
from gainsight_db.warehouse.connection import DEFAULT_DB, EngineSettings


def _query_text(sql: str | None, file: Path | None) -> str:
    """The SQL to run: the argument, standard input for `-`, or the file given with --file."""
    if (sql is None) == (file is None):
        raise typer.BadParameter("give the SQL as an argument, `-` to read it from standard input, or --file FILE")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise GsdbError(f"{file}: cannot read SQL: {getattr(err, 'strerror', None) or err}") from err
    return sys.stdin.read() if sql == "-" else sql


def query(
    sql: Annotated[Optional[str], typer.Argument(help="SQL to run against the warehouse; `-` reads it from standard input.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="Read the SQL from FILE.")] = None,
    db: DbOption = DEFAULT_DB,
    format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    columns: ColumnsOption = None,
    precision: PrecisionOption = DEFAULT_PRECISION,
    all_rows: AllRowsOption = False,
    threads: ThreadsOption = None,
    memory_limit: MemoryOption = None,
    temp_dir: TempOption = None,
    write: Annotated[bool, typer.Option("--write", help="Open the warehouse writable (default: read-only).")] = False,
    dialect: Annotated[
        str, typer.Option("--dialect", help="Dialect the SQL is written in (postgres, spark, sqlite, ...); "
                          "it is translated to DuckDB's first.")
    ] = "duckdb",
    show_sql: Annotated[bool, typer.Option("--show-sql", help="Print the SQL as run (after translation) on stderr.")] = False,
) -> None:
    """Run ad-hoc SQL and print the result."""
    sql = _query_text(sql, file)
    with open_warehouse(db, EngineSettings(threads, memory_limit, temp_dir), write=write) as wh:
        if not write:
            wh.seal()
        if output is not None:
            refuse_protected(output, wh.protected_paths)
        if dialect != "duckdb":
            sql = wh.translate(sql, dialect)
        if show_sql:
            typer.echo(sql, err=True)
        emit_relation(wh, wh.sql(sql), ReadOutput(format, output, columns, precision, all_rows))


def sql_definition(
    name: Annotated[str, typer.Argument(help="Table or view name (see `gsdb tables`).")],
    dialect: Annotated[str, typer.Option("--dialect", help="Engine to print it for (spark, postgres, ...).")] = "duckdb",
) -> None:
    """Print a table's or view's definition, as shipped or translated to another engine's dialect."""
    from gainsight_db.warehouse.dialects import object_sql, translate

    text = object_sql(name)
    if dialect == "duckdb":
        typer.echo(text.rstrip())
        return
    translation = translate(text, read="duckdb", write=dialect, pretty=True)
    for message in translation.warnings:
        warn(message)
    typer.echo(translation.sql.rstrip() + ";")


def runs(
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """List the ingested runs."""
    with open_warehouse(db, EngineSettings(threads, memory_limit, temp_dir), write=False) as wh:
        emit_relation(wh, wh.runs_relation(), ReadOutput(format, output, columns, precision, all_rows))


def tables(
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """List the warehouse's tables and views with their row counts."""
    with open_warehouse(db, EngineSettings(threads, memory_limit, temp_dir), write=False) as wh:
        emit_relation(wh, wh.tables_relation(), ReadOutput(format, output, columns, precision, all_rows))


def schema(
    name: Annotated[str, typer.Argument(help="Table or view name.")],
    db: DbOption = DEFAULT_DB,
    format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    columns: ColumnsOption = None,
    precision: PrecisionOption = DEFAULT_PRECISION,
    all_rows: AllRowsOption = False,
    threads: ThreadsOption = None,
    memory_limit: MemoryOption = None,
    temp_dir: TempOption = None,
) -> None:
    """Print a table's or view's columns with their meaning and units."""
    with open_warehouse(db, EngineSettings(threads, memory_limit, temp_dir), write=False) as wh:
        description = wh.description(name)
        out = ReadOutput(format, output, columns, precision, all_rows)
        relation = select_columns(wh.schema_relation(name), out.column_list())  # a wrong column before anything is printed
        if format is OutputFormat.table and output is None and description:
            typer.echo(f"{name}: {description}\n")
        emit_relation(wh, relation, ReadOutput(format, output, None, precision, all_rows))


def audit(
    run: RunsOption = None,
    all_rows: Annotated[bool, typer.Option(
        "--all", help="Show every row: the matches too, not only the differences, and on a terminal all of them.")]
    = False,
    db: DbOption = DEFAULT_DB,
    format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    columns: ColumnsOption = None,
    precision: PrecisionOption = DEFAULT_PRECISION,
    threads: ThreadsOption = None,
    memory_limit: MemoryOption = None,
    temp_dir: TempOption = None,
) -> None:
    """Trace access counts against DETAILED_ACCESS_REPORT.csv (differences only, unless --all), and
    rows whose run no longer exists (without --run)."""
    with open_warehouse(db, EngineSettings(threads, memory_limit, temp_dir), write=False) as wh:
        emit_relation(wh, wh.audit_relation(run or None, all_rows),
                      ReadOutput(format, output, columns, precision, all_rows))
