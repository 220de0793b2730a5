"""`gsdb plot ...`: pictures (PNG, SVG or PDF, chosen by the file name) drawn by `Warehouse.plot`."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli.options import (
    DbOption,
    LayerOption,
    OneRunOption,
    RunsOption,
    open_warehouse,
)
from gainsight_db.plots import SWEEP_METRIC_NAMES
from gainsight_db.warehouse.connection import DEFAULT_DB

app = typer.Typer(help="Pictures of lifetimes, cycles, technologies and sweeps (PNG, SVG or PDF).",
                  no_args_is_help=True)

Metric = enum.Enum("Metric", {name: name for name in SWEEP_METRIC_NAMES}, type=str)

PictureOption = Annotated[Path, typer.Option("--output", "-o", help="Picture file: .png, .svg or .pdf.")]


def _plot(db: Path, kind: str, out: Path, **options) -> None:
    with open_warehouse(db, write=False) as wh:
        wh.plot(kind, out=out, **options)
    typer.echo(f"wrote {out}")


@app.command()
def lifetimes(
    out: Annotated[Optional[Path], typer.Option("--output", "-o", help="Picture file: .png, .svg or .pdf.")] = None,
    per_layer: Annotated[Optional[Path], typer.Option(
        "--per-layer", help="Folder to write one picture per layer into, as GainSight does: layer<i>_graph.png.")] = None,
    run: OneRunOption = None,
    layer: LayerOption = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="With --per-layer: replace the folder if it holds an earlier export (its .gainsight-db-export marker).")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Lifetime distribution per buffer: log2 bins on one log2 axis, the short-lifetime threshold and
    each gain cell's retention marked; all layers merged, one layer (--layer), or every layer in its
    own file (--per-layer)."""
    if (out is None) == (per_layer is None):
        raise typer.BadParameter("give either --output FILE or --per-layer DIR")
    if per_layer is None:
        if replace:
            raise typer.BadParameter("--replace applies to --per-layer (--output replaces its file)")
        _plot(db, "lifetimes", out, run=run, layer=layer)
        return
    if layer is not None:
        raise typer.BadParameter("--layer and --per-layer are alternatives")
    with open_warehouse(db, write=False) as wh:
        written = wh.plot_lifetimes_per_layer(run, per_layer, replace=replace)
    typer.echo(f"wrote {len(written)} pictures into {per_layer}")


@app.command()
def runs(
    out: PictureOption,
    run: RunsOption = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Total cycles per layer across runs: stacked bars labelled by array and dataflow, layers named
    as in the topology, each run's total on top."""
    _plot(db, "runs", out, run=run or None)


@app.command()
def memtech(out: PictureOption, run: OneRunOption = None, db: DbOption = DEFAULT_DB) -> None:
    """Fit, area, energy and energy break-even ratios per technology relative to SRAM (settings stored with
    `gsdb memtech set`)."""
    _plot(db, "memtech", out, run=run)


@app.command()
def sweep(
    out: PictureOption,
    name: Annotated[Optional[str], typer.Argument(
        metavar="NAME", help="Sweep name (default: the warehouse's only sweep).", show_default=False)] = None,
    metric: Annotated[Metric, typer.Option(
        "--metric", help="What to compare: cycles per layer (stacked bars), a figure of the run (bars; one "
        "per buffer for lifetime_* and under_threshold_pct), or lifetimes (the distributions).")] = Metric.total_cycles,
    by: Annotated[Optional[str], typer.Option(
        "--by", help="An axis the sweep varies: one panel (a row for --metric lifetimes) per value.")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The points of a sweep compared, each labelled by its axis values: stacked bars of cycles per
    layer (the topology's layer names, the total on top), bars of a run's figure, or each point's
    lifetime distribution per buffer."""
    _plot(db, "sweep", out, sweep=name, metric=metric.value, by=by)
