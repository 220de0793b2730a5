"""Looking after the warehouse file: `gsdb compact`."""

from __future__ import annotations

import typer

from gainsight_db.cli.options import DbOption, open_warehouse
from gainsight_db.warehouse.connection import DEFAULT_DB


def compact(db: DbOption = DEFAULT_DB) -> None:
    """Rewrite the warehouse without the space that replaced runs left free (done automatically when
    that is more than half the file)."""
    with open_warehouse(db, create=False) as wh:
        before, after = wh.compact()
    typer.echo(f"compacted {db}: {before:,} -> {after:,} bytes")
