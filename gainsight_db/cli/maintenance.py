"""Looking after the warehouse: `gsdb compact` and `gsdb rm`."""

from __future__ import annotations

from typing import Annotated

import typer

from gainsight_db.cli.options import DbOption, open_warehouse
from gainsight_db.warehouse.connection import DEFAULT_DB


def compact(db: DbOption = DEFAULT_DB) -> None:
    """Rewrite the warehouse without the space that replaced runs left free (done automatically when
    that is more than half the file)."""
    with open_warehouse(db, create=False) as wh:
        before, after = wh.compact()
    typer.echo(f"compacted {db}: {before:,} -> {after:,} bytes")


def rm(
    runs: Annotated[list[str], typer.Argument(metavar="RUN", help="Run names or ids (see `gsdb runs`).")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Remove runs and every row that belongs to them, in one transaction (an unknown run: nothing is
    removed). Files on disk, SCALE-Sim's output included, are left alone."""
    with open_warehouse(db, create=False) as wh:
        removed = wh.remove(*runs)
    for run in removed:
        what = f"run {run.run_id} {run.name}" if run.name is not None else f"the rows left behind by run {run.run_id}"
        typer.echo(f"removed {what}: {run.rows:,} rows")
