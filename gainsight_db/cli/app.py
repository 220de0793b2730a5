"""The `gsdb` application: every command is registered here, group by group."""

from __future__ import annotations

from typing import Annotated

import duckdb
import typer

from gainsight_db.cli import catalog, export, ingest, maintenance, plot, report
from gainsight_db.common.version import __version__


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gainsight-db {__version__} (DuckDB {duckdb.__version__})")
        raise typer.Exit()


def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show versions.")] = False,
) -> None:
    pass


def build_app() -> typer.Typer:
    """The `gsdb` command with every command and group."""
    app = typer.Typer(
        name="gsdb",
        help="gainsight-db: a DuckDB warehouse for on-chip memory profiling of AI accelerators.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_root)
    app.command()(ingest.ingest)
    app.command()(ingest.simulate)
    app.command()(catalog.query)
    app.command("sql")(catalog.sql_definition)
    app.command()(catalog.runs)
    app.command()(catalog.tables)
    app.command()(catalog.schema)
    app.command()(catalog.audit)
    app.command()(maintenance.rm)
    app.command()(maintenance.compact)
    app.add_typer(report.app, name="report")
    app.add_typer(export.app, name="export")
    app.add_typer(plot.app, name="plot")
    return app
