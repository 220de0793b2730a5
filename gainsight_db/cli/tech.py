"""`gsdb tech ...`: technologies from other tools' models, into the warehouse's technology figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gainsight_db.cli.options import DbOption, open_warehouse
from gainsight_db.warehouse.connection import DEFAULT_DB

app = typer.Typer(help="Add technologies from other tools' models (AccelForge).", no_args_is_help=True)


@app.command("accelforge")
def accelforge(
    arch: Annotated[list[Path], typer.Argument(metavar="ARCH.yaml...", help="AccelForge spec file(s).")],
    buffer: Annotated[list[str], typer.Option(
        "--buffer", metavar="BUFFER=COMPONENT",
        help="Which component holds which buffer, e.g. ifmap=GlobalBuffer (repeat for filter and ofmap).")],
    name: Annotated[str, typer.Option("--name", help="Technology name (one of that name is replaced).")] = "accelforge",
    cell: Annotated[str, typer.Option("--cell", help="Cell kind: sram or gain_cell.")] = "sram",
    db: DbOption = DEFAULT_DB,
) -> None:
    """Take the area, leakage and read/write energy per bit of each buffer's component from an
    AccelForge spec into the technology figures (needs `pip install 'gainsight-db[accelforge]'`,
    Python >= 3.12). `gsdb report memtech` then compares the technology with the others."""
    with open_warehouse(db, create=False) as wh:
        stored = wh.add_accelforge(arch, buffer, name=name, cell=cell)
    buffers = ", ".join(sorted(set(stored["buffer"].dropna())))
    typer.echo(f"stored technology {name}: {len(stored)} figures for {buffers}")
