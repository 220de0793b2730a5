"""`gsdb plot ...`: pictures (PNG, SVG or PDF, chosen by the file name) drawn by `Warehouse.plot`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli.options import (
    DbOption,
    LayerOption,
    RequiredRunOption,
    open_warehouse,
)
from gainsight_db.warehouse.connection import DEFAULT_DB

app = typer.Typer(help="Pictures of lifetimes, cycles and technologies (PNG, SVG or PDF).", no_args_is_help=True)

PictureOption = Annotated[Path, typer.Option("--output", "-o", help="Picture file: .png, .svg or .pdf.")]


def _plot(db: Path, kind: str, out: Path, **options) -> None:
    with open_warehouse(db, write=False) as wh:
        wh.plot(kind, out=out, **options)
    typer.echo(f"wrote {out}")


@app.command()
def lifetimes(run: RequiredRunOption, out: PictureOption, layer: LayerOption = None, db: DbOption = DEFAULT_DB) -> None:
    """Lifetime distribution per buffer (log2 bins; log axes where the data span decades)."""
    _plot(db, "lifetimes", out, run=run, layer=layer)


@app.command()
def runs(
    out: PictureOption,
    run: Annotated[Optional[list[str]], typer.Option("--run", help="Run name or id; repeat (default: every run).")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Total cycles per layer across runs (stacked bars)."""
    _plot(db, "runs", out, run=run or None)


@app.command()
def memtech(run: RequiredRunOption, out: PictureOption, db: DbOption = DEFAULT_DB) -> None:
    """Fit, area and energy per technology relative to SRAM (settings from `gsdb report memtech`)."""
    _plot(db, "memtech", out, run=run)
