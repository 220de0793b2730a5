"""`gsdb`: the gainsight-db command line. Every command is registered here, group by group."""

from __future__ import annotations

import sys
from typing import Annotated

import duckdb
import typer

import gainsight_db
from gainsight_db.cli import catalog, export, ingest, maintenance, plot, report
from gainsight_db.common.errors import GsdbError


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gainsight-db {gainsight_db.__version__} (DuckDB {duckdb.__version__})")
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
    app.command()(maintenance.compact)
    app.add_typer(report.app, name="report")
    app.add_typer(export.app, name="export")
    app.add_typer(plot.app, name="plot")
    return app


def _interrupt_queries_on_ctrl_c() -> None:
    """Python runs its Ctrl-C handler only between bytecodes, so a long DuckDB query would finish
    first. The signal also wakes a thread (through the wakeup file descriptor), which interrupts the
    queries of the open warehouses at once; the command then ends as interrupted."""
    import os
    import signal
    import threading

    from gainsight_db.cli.options import OPENED

    try:
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except (OSError, ValueError):  # not the main thread, or no pipes: Ctrl-C then acts between queries
        return

    def watch() -> None:
        while True:
            if signal.SIGINT in os.read(read_end, 64):
                for wh in list(OPENED):
                    try:
                        wh.connection.interrupt()
                    except Exception:  # noqa: S110 (closed meanwhile: nothing to interrupt)
                        pass

    threading.Thread(target=watch, name="gsdb-ctrl-c", daemon=True).start()


def main() -> None:
    """Entry point: errors become one line on stderr and exit code 1, never a traceback."""
    _interrupt_queries_on_ctrl_c()
    try:
        code = build_app()(standalone_mode=False)
        # Without standalone mode, click hands back an exit code instead of exiting: 130 for Ctrl-C.
        if isinstance(code, int) and code:
            if code == 130:
                typer.echo("gsdb: interrupted", err=True)
            sys.exit(code)
    except GsdbError as err:
        typer.echo(f"gsdb: error: {err}", err=True)
        sys.exit(1)
    except duckdb.Error as err:
        typer.echo(f"gsdb: error: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("gsdb: interrupted", err=True)
        sys.exit(130)
    except RuntimeError as err:
        # DuckDB 2 turns Ctrl-C during a query into RuntimeError("Query interrupted").
        if str(err) != "Query interrupted":
            raise
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
