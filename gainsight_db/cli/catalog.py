"""Catalog and ad-hoc commands: `gsdb runs`, `tables`, `schema`, `query`, `sql` and `audit`."""

from __future__ import annotations

from typing import Annotated

import typer

from gainsight_db.cli.options import (
    AllRowsOption,
    ColumnsOption,
    DbOption,
    FormatOption,
    MemoryOption,
    OutputOption,
    PrecisionOption,
    RunOption,
    TempOption,
    ThreadsOption,
    open_warehouse,
    warn,
)
from gainsight_db.cli.output import OutputFormat, ReadOutput, emit_relation
from gainsight_db.common.staging import refuse_protected
from gainsight_db.exports.readable import DEFAULT_PRECISION
from gainsight_db.exports.result_writer import select_columns
from gainsight_db.warehouse.connection import DEFAULT_DB, EngineSettings


def query(
    sql: Annotated[str, typer.Argument(help="SQL to run against the warehouse.")],
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
    run: RunOption = None,
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
    """Trace access counts against DETAILED_ACCESS_REPORT.csv (differences only, unless --all)."""
    with open_warehouse(db, EngineSettings(threads, memory_limit, temp_dir), write=False) as wh:
        emit_relation(wh, wh.audit_relation(run, all_rows), ReadOutput(format, output, columns, precision, all_rows))
