"""`gsdb plot ...`: pictures (PNG, SVG or PDF, chosen by the file name) drawn from the views."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli.options import DbOption, LayerOption, RequiredRunOption, open_db
from gainsight_db.warehouse.connection import DEFAULT_DB

app = typer.Typer(help="Pictures of lifetimes, cycles and technologies (PNG, SVG or PDF).", no_args_is_help=True)

PictureOption = Annotated[Path, typer.Option("--out", help="Picture file: .png, .svg or .pdf.")]


@app.command()
def lifetimes(run: RequiredRunOption, out: PictureOption, layer: LayerOption = None, db: DbOption = DEFAULT_DB) -> None:
    """Lifetime distribution per buffer (log2 bins; log axes where the data span decades)."""
    from gainsight_db.plots import plot_lifetimes
    from gainsight_db.warehouse.runs import resolve_run

    con = open_db(db, write=False)
    try:
        plot_lifetimes(con, resolve_run(con, run, kind="scalesim"), layer, out)
    finally:
        con.close()
    typer.echo(f"wrote {out}")


@app.command()
def runs(
    out: PictureOption,
    run: Annotated[Optional[list[str]], typer.Option("--run", help="Run name or id; repeat (default: every run).")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Total cycles per layer across runs (stacked bars)."""
    from gainsight_db.plots import plot_runs
    from gainsight_db.warehouse.runs import resolve_run

    con = open_db(db, write=False)
    try:
        plot_runs(con, [resolve_run(con, r, kind="scalesim") for r in run] if run else None, out)
    finally:
        con.close()
    typer.echo(f"wrote {out}")


@app.command()
def memtech(run: RequiredRunOption, out: PictureOption, db: DbOption = DEFAULT_DB) -> None:
    """Fit, area and energy per technology relative to SRAM (settings from `gsdb report memtech`)."""
    from gainsight_db.plots import plot_memtech
    from gainsight_db.warehouse.runs import resolve_run

    con = open_db(db, write=False)
    try:
        plot_memtech(con, resolve_run(con, run, kind="scalesim"), out)
    finally:
        con.close()
    typer.echo(f"wrote {out}")
