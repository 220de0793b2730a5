"""`gsdb export ...`: files for other tools (`Warehouse.export`): GainSight's layout and frontend
report, postprocess_aie_trace.py's files, Parquet or CSV datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gainsight_db.cli.options import DbOption, OneRunOption, RunsOption, open_warehouse
from gainsight_db.warehouse.connection import DEFAULT_DB

app = typer.Typer(help="Write files for other tools (GainSight layout, Parquet, CSV).", no_args_is_help=True)

OutOption = Annotated[Path, typer.Option("--output", "-o", help="Folder to write (moved into place when complete).")]
ReplaceOption = Annotated[bool, typer.Option("--replace", help="Replace the folder if it holds an earlier export (its .gainsight-db-export marker).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")]
RawOption = Annotated[bool, typer.Option("--accesses", help="Also export the raw accesses (one row per trace cell).")]


@app.command()
def gainsight(
    out: OutOption, run: OneRunOption = None, replace: ReplaceOption = False, quiet: QuietOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """GainSight's processed-data layout: OUT/<run>/layer<i>/layer<i>_{lifetime,aggregate}_data.csv."""
    with open_warehouse(db, write=False) as wh:
        result = wh.export("gainsight", out, run=run, replace=replace)
    if not quiet:
        typer.echo(f"wrote {result.folder}: {result.layers} layers, {result.lifetimes:,} lifetimes")


def _dataset(fmt: str, out: Path, runs: list[str] | None, accesses: bool, replace: bool, quiet: bool, db: Path) -> None:
    from gainsight_db.common.progress import progress_bar

    with open_warehouse(db, write=False) as wh:
        with progress_bar(enabled=not quiet) as progress:
            result = wh.export(fmt, out, run=runs, accesses=accesses, replace=replace, progress=progress)
    if not quiet:
        rows = sum(f.rows for f in result.files)
        typer.echo(f"wrote {result.folder}: {len(result.tables)} tables, {len(result.files)} files, {rows:,} rows")


@app.command()
def parquet(
    out: OutOption, run: RunsOption = None, accesses: RawOption = False, replace: ReplaceOption = False,
    quiet: QuietOption = False, db: DbOption = DEFAULT_DB,
) -> None:
    """Every report table as Parquet (zstd): OUT/<table>/run-<id>.parquet, provenance in the file metadata."""
    _dataset("parquet", out, run, accesses, replace, quiet, db)


@app.command()
def csv(
    out: OutOption, run: RunsOption = None, accesses: RawOption = False, replace: ReplaceOption = False,
    quiet: QuietOption = False, db: DbOption = DEFAULT_DB,
) -> None:
    """Every report table as CSV with a header: OUT/<table>/run-<id>.csv, like the Parquet export."""
    _dataset("csv", out, run, accesses, replace, quiet, db)


@app.command()
def frontend(
    out: Annotated[Path, typer.Option("--output", "-o", help="JSON file to write.")],
    run: OneRunOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite the file if it exists.")] = False,
    quiet: QuietOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """GainSight's frontend report as JSON: workload, lifetime statistics, technologies, compositions.
    Parameters and technology figures are those stored with `gsdb memtech set` (or the defaults)."""
    with open_warehouse(db, write=False) as wh:
        wh.export("frontend", out, run=run, replace=replace)
    if not quiet:
        typer.echo(f"wrote {out}")


@app.command("aie")
def export_aie_command(
    out: OutOption, run: OneRunOption = None, replace: ReplaceOption = False, quiet: QuietOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """postprocess_aie_trace.py's files for one trace: OUT/<tile>.json per core, details.md, index.json,
    aggregate_perf.json."""
    with open_warehouse(db, write=False) as wh:
        result = wh.export("aie", out, run=run, replace=replace)
    if not quiet:
        typer.echo(f"wrote {result.folder}: {', '.join(result.files)}")
