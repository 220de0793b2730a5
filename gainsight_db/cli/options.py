"""Options and helpers every `gsdb` command shares: the warehouse, the read commands' output (format,
file, columns, precision, every row), run selection, engine settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.api import Warehouse, connect
from gainsight_db.cli.output import TERMINAL_ROWS, OutputFormat
from gainsight_db.exports.readable import MAX_PRECISION
from gainsight_db.warehouse.connection import DB_ENV, EngineSettings

DbOption = Annotated[
    Path, typer.Option("--db", envvar=DB_ENV, help=f"Warehouse file (also ${DB_ENV}).", show_default=True)
]
FormatOption = Annotated[OutputFormat, typer.Option(
    "--format", "-f", help="Output format: table and markdown for people (numbers rounded, in readable units); "
    "csv, json, ndjson and parquet with every digit, in SI units (parquet needs --output).")]
OutputOption = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to FILE instead of stdout.")]
ColumnsOption = Annotated[Optional[str], typer.Option(
    "--columns", help="Only these columns, in this order (names separated by commas).")]
PrecisionOption = Annotated[int, typer.Option(
    "--precision", min=1, max=MAX_PRECISION, help="Significant digits of fractional numbers in table and markdown.")]
AllRowsOption = Annotated[bool, typer.Option(
    "--all", help=f"Table and markdown on a terminal: show every row (otherwise the first {TERMINAL_ROWS} and the count).")]
# `--run` is a run name or id everywhere. Commands that cover several runs take it repeated, and
# without it cover every run; commands about one run take it once, and without it use the
# warehouse's only run (several runs: an error listing them).
RunsOption = Annotated[
    Optional[list[str]],
    typer.Option("--run", help="Run name or id (see `gsdb runs`); repeat for several (default: every run)."),
]
OneRunOption = Annotated[
    Optional[str], typer.Option("--run", help="Run name or id (see `gsdb runs`; default: the warehouse's only run).")
]
LayerOption = Annotated[Optional[int], typer.Option("--layer", min=0, help="SCALE-Sim LayerID (0-based).")]
ThreadsOption = Annotated[Optional[int], typer.Option("--threads", min=1, help="DuckDB worker threads.")]
MemoryOption = Annotated[
    Optional[str], typer.Option("--memory-limit", help="DuckDB memory limit, e.g. 1GB (default 1.5GB; 256MB for commands that only read); spills to --temp-dir beyond it.")
]
TempOption = Annotated[
    Optional[Path], typer.Option("--temp-dir", help="Spill folder (default: next to the warehouse).")
]


def warn(message: str) -> None:
    typer.echo(f"gsdb: warning: {message}", err=True)


# The warehouses this command opened, so that Ctrl-C can interrupt their queries (see cli.main).
OPENED: list[Warehouse] = []


def open_warehouse(db: Path, settings: EngineSettings | None = None, *, write: bool = True,
                   create: bool = True) -> Warehouse:
    """The warehouse at `db`: created and writable, or read-only (it must exist); its warnings go to
    stderr."""
    settings = settings or EngineSettings()
    wh = connect(db, read_only=not write, create=create, threads=settings.threads, memory_limit=settings.memory_limit,
                 temp_dir=settings.temp_dir, warn=warn)
    OPENED.append(wh)
    return wh
