"""`gsdb`: the gainsight-db command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import typer

import gainsight_db
from gainsight_db.errors import GsdbError
from gainsight_db.cli_aie import AieFloat, AieInt, AieText  # also registers `report aie` and `export aie`
from gainsight_db.cli_export import export_app
from gainsight_db.cli_options import (
    DbOption, FormatOption, MemoryOption, OutputOption, RunOption, TempOption, ThreadsOption, open_db, warn,
)
from gainsight_db.cli_plot import plot_app
from gainsight_db.cli_report import report_app
from gainsight_db.output import OutputFormat, emit, emit_query
from gainsight_db.warehouse import DEFAULT_DB, EngineSettings

app = typer.Typer(
    name="gsdb",
    help="gainsight-db: a DuckDB warehouse for on-chip memory profiling of AI accelerators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(report_app, name="report")
app.add_typer(export_app, name="export")
app.add_typer(plot_app, name="plot")

# Commands ---------------------------------------------------------------------------------------
@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="SCALE-Sim run directories, AI Engine traces (.json), or folders above them.")],
    db: DbOption = DEFAULT_DB,
    config: Annotated[Optional[Path], typer.Option("--config", help="SCALE-Sim config (.cfg) of the run(s).")] = None,
    topology: Annotated[Optional[Path], typer.Option("--topology", help="SCALE-Sim topology (.csv) of the run(s).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
    threads: ThreadsOption = None,
    memory_limit: MemoryOption = None,
    temp_dir: TempOption = None,
    gemm_m: AieInt("--M", "GEMM M (rows of the output).") = None,
    gemm_k: AieInt("--K", "GEMM K (reduction dimension).") = None,
    gemm_n: AieInt("--N", "GEMM N (columns of the output).") = None,
    tile_m: AieInt("--m", "Kernel tile m.") = None,
    tile_k: AieInt("--k", "Kernel tile k.") = None,
    tile_n: AieInt("--n", "Kernel tile n.") = None,
    rows: AieInt("--row", "AI Engine rows used.") = None,
    cols: AieInt("--col", "AI Engine columns used.") = None,
    hwid: AieText("--hwid", "Hardware id of the run.") = None,
    warmup: AieInt("--warmup", "Warm-up iterations (negative counts as 0).", None) = None,
    iterations: AieInt("--iterations", "Measured iterations after the warm-up (negative counts as 0).", None) = None,
    clock_ghz: AieFloat("--clock-ghz", "AI Engine clock (GHz).") = 1.25,
    lock_stall_factor: AieFloat("--lock-stall-factor", "A LOCK_STALL this many times the median kernel ends an iteration.") = 20.0,
    dup_gap_fraction: AieFloat("--dup-gap-fraction", "Markers closer than this fraction of the median kernel are duplicates.") = 0.25,
    outlier_lo: AieFloat("--outlier-lo", "Kernels shorter than this fraction of the median are outliers.") = 1.0 / 3.0,
    outlier_hi: AieFloat("--outlier-hi", "Kernels longer than this multiple of the median are outliers.") = 3.0,
) -> None:
    """Load SCALE-Sim runs and AI Engine traces into the warehouse (one transaction; a run ingested
    again is replaced)."""
    from gainsight_db.loaders.aie_ingest import AieOptions, AieParameters, AieSettings
    from gainsight_db.loaders.ingest import ingest as run_ingest
    from gainsight_db.loaders.scalesim_ingest import ScalesimOptions
    from gainsight_db.progress import progress_bar

    aie = AieOptions(
        AieParameters(gemm_m, gemm_k, gemm_n, tile_m, tile_k, tile_n, rows, cols, hwid, warmup, iterations),
        AieSettings(clock_ghz, lock_stall_factor, dup_gap_fraction, outlier_lo, outlier_hi),
    )

    for given, what in ((config, "config"), (topology, "topology")):
        if given is not None and not given.is_file():
            raise GsdbError(f"{given}: {what} file not found")
    con = open_db(db, EngineSettings(threads, memory_limit, temp_dir))
    try:
        with progress_bar(enabled=not quiet) as progress:
            results = run_ingest(con, paths, ScalesimOptions(config, topology), progress, warn, aie)
    finally:
        con.close()
    if not quiet:
        for r in results:
            verb = "replaced" if r.replaced else "ingested"
            if r.kind == "aie":
                typer.echo(f"{verb} run {r.run_id} {r.name}: {r.detail}")
                continue
            audit = f", {r.audit_differences} audit difference(s) (gsdb audit --run {r.run_id})" if r.audit_differences else ""
            typer.echo(f"{verb} run {r.run_id} {r.name}: {r.layers} layers, {r.accesses:,} accesses{audit}")


@app.command()
def simulate(
    topology: Annotated[Path, typer.Option("--topology", help="SCALE-Sim topology (.csv): conv or GEMM (M, N, K).")],
    config: Annotated[Path, typer.Option("--config", help="SCALE-Sim config (.cfg).")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Fresh folder for SCALE-Sim's output (default: under the warehouse folder).")] = None,
    db: DbOption = DEFAULT_DB,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
    keep_csv: Annotated[bool, typer.Option("--keep-csv", help="Also write SCALE-Sim's trace CSVs (they are ingested from memory either way).")] = False,
) -> None:
    """Run SCALE-Sim (v3) and ingest the result, its traces handed over in memory."""
    from gainsight_db.loaders.ingest import ingest_simulated
    from gainsight_db.loaders.scalesim_inputs import read_config
    from gainsight_db.loaders.scalesim_ingest import ScalesimOptions
    from gainsight_db.progress import progress_bar
    from gainsight_db.simulate import default_output_folder, simulate as run_simulation

    if not config.is_file():
        raise GsdbError(f"{config}: config file not found")
    out = out or default_output_folder(db, read_config(config).run_name or config.stem)
    if not quiet:
        typer.echo(f"running SCALE-Sim into {out}", err=True)
    sim = run_simulation(topology, config, out, keep_csv=keep_csv)
    con = open_db(db)
    try:
        with progress_bar(enabled=not quiet) as progress:
            r = ingest_simulated(con, sim.run_dir, sim.traces, ScalesimOptions(sim.config, sim.topology), progress, warn)
    finally:
        con.close()
    if not quiet:
        typer.echo(f"ingested run {r.run_id} {r.name}: {r.layers} layers, {r.accesses:,} accesses")


@app.command()
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
        from gainsight_db.dialects import translate

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


@app.command("sql")
def sql_definition(
    name: Annotated[str, typer.Argument(help="Table or view name (see `gsdb tables`).")],
    dialect: Annotated[str, typer.Option("--dialect", help="Engine to print it for (spark, postgres, ...).")] = "duckdb",
) -> None:
    """Print a table's or view's definition, as shipped or translated to another engine's dialect."""
    from gainsight_db.dialects import object_sql, translate

    text = object_sql(name)
    if dialect == "duckdb":
        typer.echo(text.rstrip())
        return
    translation = translate(text, read="duckdb", write=dialect, pretty=True)
    for message in translation.warnings:
        warn(message)
    typer.echo(translation.sql.rstrip() + ";")


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
def audit(
    run: RunOption = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Show every row, not only the differences.")] = False,
    db: DbOption = DEFAULT_DB,
    format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Trace access counts against DETAILED_ACCESS_REPORT.csv (differences only, unless --all)."""
    from gainsight_db.run_lookup import resolve_run

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


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gainsight-db {gainsight_db.__version__} (DuckDB {duckdb.__version__})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show versions.")] = False,
) -> None:
    pass


def main() -> None:
    """Entry point: errors become one line on stderr and exit code 1, never a traceback."""
    try:
        app(standalone_mode=False)
    except GsdbError as err:
        typer.echo(f"gsdb: error: {err}", err=True)
        sys.exit(1)
    except duckdb.Error as err:
        typer.echo(f"gsdb: error: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("gsdb: interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort:
        typer.echo("gsdb: aborted", err=True)
        sys.exit(1)
    except Exception as err:
        # Usage errors (unknown option, bad value) know how to show themselves; they come from the
        # click that typer bundles, so they are recognised by what they can do rather than by class.
        show, code = getattr(err, "show", None), getattr(err, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
