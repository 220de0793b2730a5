"""`gsdb`: the gainsight-db command line (the application itself is built in `cli.app`)."""

from __future__ import annotations

import sys
import threading

# Set once Ctrl-C has been pressed: any error after it is the interruption's doing (a query stopped
# half-way, or a KeyboardInterrupt raised inside a DuckDB callback and reported as DuckDB's error),
# so the command ends as interrupted rather than with that error.
_CTRL_C = threading.Event()


def _interrupt_queries_on_ctrl_c() -> None:
    """Python runs its Ctrl-C handler only between bytecodes, so a long DuckDB query would finish
    first. The signal also wakes a thread (through the wakeup file descriptor), which interrupts the
    queries of the open warehouses at once; the command then ends as interrupted."""
    import os
    import signal

    try:
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except (OSError, ValueError):  # not the main thread, or no pipes: Ctrl-C then acts between queries
        return

    def watch() -> None:
        while True:
            if signal.SIGINT in os.read(read_end, 64):
                _CTRL_C.set()
                options = sys.modules.get("gainsight_db.cli.options")  # not imported yet: nothing open
                for wh in list(getattr(options, "OPENED", ())):
                    try:
                        wh.connection.interrupt()
                    except Exception:  # noqa: S110 (closed meanwhile: nothing to interrupt)
                        pass

    threading.Thread(target=watch, name="gsdb-ctrl-c", daemon=True).start()


def main() -> None:
    """Entry point: errors become one line on stderr and exit code 1 (usage errors 2), never a
    traceback; Ctrl-C, at any moment, `gsdb: interrupted` and exit code 130. The command line's
    modules are imported in here, so that Ctrl-C during start-up ends the same way."""
    _interrupt_queries_on_ctrl_c()
    try:
        _run()
    except KeyboardInterrupt:
        _interrupted()


def _interrupted() -> None:
    sys.stderr.write("gsdb: interrupted\n")
    sys.exit(130)


def _run() -> None:
    import duckdb
    import typer

    from gainsight_db.cli.app import build_command
    from gainsight_db.common.errors import GsdbError

    try:
        code = build_command().main(prog_name="gsdb", standalone_mode=False)
        # Without standalone mode, click hands back an exit code instead of exiting: 130 for Ctrl-C.
        if isinstance(code, int) and code:
            if code == 130:
                _interrupted()
            sys.exit(code)
    except (GsdbError, duckdb.Error) as err:
        if _CTRL_C.wait(0.05):  # (the watching thread may not have run yet)
            _interrupted()
        typer.echo(f"gsdb: error: {err}", err=True)
        sys.exit(1)
    except RuntimeError as err:
        # DuckDB 2 turns Ctrl-C during a query into RuntimeError("Query interrupted").
        if str(err) != "Query interrupted":
            raise
        _interrupted()
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort as abort:
        if isinstance(abort.__context__, KeyboardInterrupt):  # older click: Ctrl-C becomes Abort
            _interrupted()
        typer.echo("gsdb: aborted", err=True)
        sys.exit(1)
    except Exception as err:
        # Usage errors (unknown option, bad value) come from the click that typer bundles; they are
        # recognised by what they carry rather than by class, and shown in the same one-line style
        # as every other error, with exit code 2.
        message, code = getattr(err, "format_message", None), getattr(err, "exit_code", None)
        if callable(message) and isinstance(code, int):
            if str(message()).strip():  # (a group called without a command has shown its help)
                typer.echo(f"gsdb: error: {_usage_line(err)}", err=True)
            sys.exit(code)
        raise


def _usage_line(err: Exception) -> str:
    """A usage error as one line, pointing at the command's help."""
    text = " ".join(str(err.format_message()).split())  # type: ignore[attr-defined]
    ctx = getattr(err, "ctx", None)
    path = getattr(ctx, "command_path", None) or "gsdb"
    return f"{text} (see `{path} --help`)"
