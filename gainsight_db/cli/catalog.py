"""Catalog and ad-hoc commands: `gsdb runs`, `tables`, `schema`, `query`, `sql` and `audit`."""

from __future__ import annotations

from typing import Annotated

import typer

from gainsight_db.cli.options import DbOption, FormatOption, OutputOption, RunOption, open_db, warn
from gainsight_db.cli.output import OutputFormat, emit, emit_query
from gainsight_db.common.errors import GsdbError
from gainsight_db.warehouse.connection import DEFAULT_DB

def query(
    sql: Annotated[str, typer.Argument(help="SQL to run against the warehouse.")],
    db: DbOption = DEFAULT_DB,
    format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    write: Annotated[bool, typer.Option("--write", help="Open the warehouse writable (default: read-only).")] = False,
    dialect: Annotated[
        str, typer.Option("--dialect", help="Dialect the SQL is written in (postgres, spark, sqlite, ...); "
                          "it is translated to DuckDB's first.")
    ] = "duckdb",
    show_sql: Annotated[bool, typer.Option("--show-sql", help="Print the SQL as run (after translation) on stderr.")] = False,
) -> None:
    """Run ad-hoc SQL and print the result."""
    if dialect != "duckdb":
        from gainsight_db.warehouse.dialects import translate

        translation = translate(sql, read=dialect, write="duckdb")
        for message in translation.warnings:
            warn(message)
        sql = translation.sql
    if show_sql:
        typer.echo(sql, err=True)
    con = open_db(db, write=write)
    try:
        emit_query(con, sql, None, format, output)
    finally:
        con.close()


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


def runs(db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None) -> None:
    """List the ingested runs."""
    con = open_db(db, write=False)
    try:
        emit_query(
            con,
            """
            SELECT r.run_id, r.kind, r.name, r.format_version, r.layer_count AS layers, r.dataflow,
                   CASE WHEN r.array_rows IS NOT NULL THEN r.array_rows || 'x' || r.array_cols END AS array,
                   i.finished_at AS ingested_at, r.source_path
            FROM runs AS r LEFT JOIN ingests AS i USING (ingest_id)
            ORDER BY r.run_id
            """,
            None, format, output,
        )
    finally:
        con.close()


def tables(db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None) -> None:
    """List the warehouse's tables and views with their row counts."""
    con = open_db(db, write=False)
    try:
        objects = con.execute(
            """
            SELECT table_name, 'table' AS type, comment FROM duckdb_tables()
            WHERE schema_name = 'main' AND NOT internal AND NOT temporary AND table_name NOT LIKE '\\_%' ESCAPE '\\'
            UNION ALL
            SELECT view_name, 'view', comment FROM duckdb_views()
            WHERE schema_name = 'main' AND NOT internal AND NOT temporary AND view_name NOT LIKE '\\_%' ESCAPE '\\'
            ORDER BY 1
            """
        ).fetchall()
        rows = []
        for name, kind, comment in objects:
            count = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            summary = (comment or "").split(". ")[0].rstrip(".")
            rows.append((name, kind, count, summary))
    finally:
        con.close()
    emit(["name", "type", "rows", "description"], rows, format, output)


def schema(
    name: Annotated[str, typer.Argument(help="Table or view name.")],
    db: DbOption = DEFAULT_DB,
    format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Print a table's or view's columns with their meaning and units."""
    con = open_db(db, write=False)
    try:
        found = con.execute(
            """
            SELECT comment FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'
            UNION ALL SELECT comment FROM duckdb_views() WHERE view_name = ? AND schema_name = 'main'
            """,
            [name, name],
        ).fetchone()
        if found is None:
            raise GsdbError(f"{name}: no such table or view (see `gsdb tables`)")
        if format is OutputFormat.table and output is None and found[0]:
            typer.echo(f"{name}: {found[0]}\n")
        emit_query(
            con,
            """SELECT column_name AS column, data_type AS type, comment AS description FROM duckdb_columns()
               WHERE table_name = ? AND schema_name = 'main' ORDER BY column_index""",
            [name], format, output,
        )
    finally:
        con.close()


def audit(
    run: RunOption = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Show every row, not only the differences.")] = False,
    db: DbOption = DEFAULT_DB,
    format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Trace access counts against DETAILED_ACCESS_REPORT.csv (differences only, unless --all)."""
    from gainsight_db.warehouse.runs import resolve_run

    con = open_db(db, write=False)
    try:
        conditions, params = [], []
        if run is not None:
            conditions.append("a.run_id = ?")
            params.append(resolve_run(con, run))
        if not all_rows:
            conditions.append("NOT a.matches")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        emit_query(
            con,
            f"""SELECT r.name AS run, a.* FROM access_audit AS a JOIN runs AS r USING (run_id) {where}
                ORDER BY a.run_id, a.layer, a.buffer, a.level""",
            params, format, output,
        )
    finally:
        con.close()
