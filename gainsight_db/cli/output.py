"""What every read command does with its result: --format, --output, --columns, --precision and
--all (the options themselves are in `cli.options`); the writing is `Warehouse.write`'s."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from gainsight_db.api import Warehouse
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.staging import refuse_protected
from gainsight_db.exports.result_writer import ResultFormat as OutputFormat

# Rows that table and markdown show on a terminal without --all (as many as DuckDB's own renderer).
TERMINAL_ROWS = 40

__all__ = ["OutputFormat", "ReadOutput", "TERMINAL_ROWS", "emit_relation"]


@dataclass(frozen=True)
class ReadOutput:
    """A read command's output options, as given."""

    format: OutputFormat
    output: Path | None
    columns: str | None
    precision: int
    all_rows: bool

    def column_list(self) -> list[str] | None:
        if self.columns is None:
            return None
        names = [name.strip() for name in self.columns.split(",")]
        if not all(names):
            raise GsdbError(f"--columns {self.columns!r}: expected column names separated by commas")
        return names

    def row_limit(self) -> int | None:
        """Table and markdown printed on a terminal show the first rows only, unless --all."""
        shown_to_people = self.format in (OutputFormat.table, OutputFormat.markdown)
        if shown_to_people and self.output is None and not self.all_rows and sys.stdout.isatty():
            return TERMINAL_ROWS
        return None


def emit_relation(wh: Warehouse, relation: duckdb.DuckDBPyRelation | None, options: ReadOutput) -> None:
    """Print (or write to --output) a relation's rows; a statement without a result (relation None)
    prints nothing."""
    if options.output is not None:
        refuse_protected(options.output, wh.protected_paths)
    if relation is None:
        return
    wh.write(relation, options.output, format=options.format.value, columns=options.column_list(),
             precision=options.precision, limit=options.row_limit())
