"""Setting up a memory-technology comparison: a run's parameters (clock, word width, threshold)
and the technology table, stored in the warehouse so that the memtech views, reports and exports
all use the same ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from gainsight_db.common.results import one_row
from gainsight_db.loaders.technologies import (
    DEFAULT,
    default_technologies,
    read_technology_file,
    replace_technologies,
)


@dataclass(frozen=True)
class MemtechOptions:
    clock_hz: float | None = None
    word_bits: int | None = None
    threshold_s: float | None = None
    tech: Path | None = None  # a technology file to load
    default_tech: bool = False  # go back to the shipped table

    @property
    def changes_anything(self) -> bool:
        return any(v is not None for v in (self.clock_hz, self.word_bits, self.threshold_s, self.tech)) or self.default_tech


def apply_memtech_options(con: duckdb.DuckDBPyConnection, run_id: int, options: MemtechOptions) -> None:
    """Store the given parameters for the run (others keep their stored or default values) and load
    the technology table, as one transaction."""
    technologies = read_technology_file(options.tech) if options.tech is not None else None  # validate first
    con.execute("BEGIN TRANSACTION")
    try:
        if technologies is not None:
            replace_technologies(con, technologies, str(options.tech.resolve()))
        elif options.default_tech:
            replace_technologies(con, default_technologies(), DEFAULT)
        if any(v is not None for v in (options.clock_hz, options.word_bits, options.threshold_s)):
            current = one_row(
        con,
                "SELECT clock_hz, word_bits, threshold_s FROM _memtech_params WHERE run_id = ?", [run_id]
            )
            values = [
                options.clock_hz if options.clock_hz is not None else current[0],
                options.word_bits if options.word_bits is not None else current[1],
                options.threshold_s if options.threshold_s is not None else current[2],
            ]
            con.execute("DELETE FROM memtech_settings WHERE run_id = ?", [run_id])
            con.execute(
                "INSERT INTO memtech_settings VALUES (?, ?, ?, ?, now()::TIMESTAMP)", [run_id, *values]
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
