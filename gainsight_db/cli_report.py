"""`gsdb report ...`: the SCALE-Sim report tables, filtered by run, layer and buffer, with the shared
output options."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli_options import (
    DbOption, FormatOption, LayerOption, OutputOption, RequiredRunOption, RunOption, open_db,
)
from gainsight_db.loaders.scalesim_traces import buffer_order
from gainsight_db.output import OutputFormat, emit_query
from gainsight_db.warehouse import DEFAULT_DB

report_app = typer.Typer(help="Report tables (lifetimes, per-layer and per-run statistics, histograms).",
                         no_args_is_help=True)


class Buffer(str, enum.Enum):
    ifmap = "ifmap"
    filter = "filter"
    ofmap = "ofmap"


BufferOption = Annotated[Optional[Buffer], typer.Option("--buffer", help="Only this on-chip buffer.")]


def report_view(
    db: Path, view: str, columns: str, order: str, fmt: OutputFormat, output: Path | None,
    run: str | None = None, layer: int | None = None, buffer: Buffer | None = None,
    joins: str = "", kind: str = "scalesim",
) -> None:
    """Print `columns` of `view` (aliased v, joined to runs as r) for the runs of `kind`, or the
    selected run, layer and buffer."""
    from gainsight_db.run_lookup import resolve_run

    con = open_db(db, write=False)
    try:
        conditions, params = ["r.kind = ?"], [kind]
        if run is not None:
            conditions.append("v.run_id = ?")
            params.append(resolve_run(con, run, kind=kind))
        if layer is not None:
            conditions.append("v.layer = ?")
            params.append(layer)
        if buffer is not None:
            conditions.append("CAST(v.buffer AS VARCHAR) = ?")
            params.append(buffer.value)
        emit_query(
            con,
            f"""SELECT r.name AS run, {columns} FROM {view} AS v JOIN runs AS r USING (run_id) {joins}
                WHERE {' AND '.join(conditions)} ORDER BY {order}""",
            params, fmt, output,
        )
    finally:
        con.close()


_BUFFER_ORDER = buffer_order("v.buffer")


@report_app.command()
def lifetimes(
    run: RunOption = None, layer: LayerOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """One row per data lifetime (write, last read, lifetime in cycles, reads)."""
    report_view(db, "lifetimes", "v.*", f"v.run_id, v.layer, {_BUFFER_ORDER}, v.addr, v.write_cycle",
            format, output, run, layer, buffer)


@report_app.command()
def layers(
    run: RunOption = None, layer: LayerOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """GainSight's per-layer table: lifetime statistics, reads, writes, frequencies, footprint."""
    report_view(db, "layer_stats", "v.run_id, v.layer, l.name AS layer_name, v.* EXCLUDE (run_id, layer)",
            f"v.run_id, v.layer, {_BUFFER_ORDER}", format, output, run, layer, buffer,
            joins="LEFT JOIN layers AS l ON l.run_id = v.run_id AND l.layer = v.layer")


@report_app.command("run")
def run_report(
    run: RunOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """The same statistics over all layers of each run, per buffer and for all buffers ('all')."""
    report_view(db, "run_stats", "v.*", f"v.run_id, {_BUFFER_ORDER}", format, output, run, None, buffer)


@report_app.command()
def histogram(
    run: RunOption = None, layer: LayerOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """Lifetimes per log2-spaced bin (bin k holds [2^(k-1), 2^k) cycles; bin 0 holds 0)."""
    report_view(db, "lifetime_histogram", "v.*", f"v.run_id, v.layer, {_BUFFER_ORDER}, v.bin",
            format, output, run, layer, buffer)


ClockOption = Annotated[Optional[float], typer.Option("--clock-hz", min=1e-9, help="Clock frequency (Hz); stored for the run.")]
WordOption = Annotated[Optional[int], typer.Option("--word-bits", min=1, help="Word width (bits); stored for the run.")]
ThresholdOption = Annotated[
    Optional[float], typer.Option("--threshold-s", min=1e-18, help="Short-lifetime threshold (s); stored for the run.")
]
TechOption = Annotated[
    Optional[Path], typer.Option("--tech", help="Technology table (CSV or JSON) replacing the warehouse's.")
]
DefaultTechOption = Annotated[bool, typer.Option("--default-tech", help="Go back to the shipped technology table.")]


def _memtech_report(
    db: Path, view: str, columns: str, order: str, run: str, fmt: OutputFormat, output: Path | None,
    options,
) -> None:
    from gainsight_db.memtech_setup import apply_memtech_options
    from gainsight_db.run_lookup import resolve_run

    if options.changes_anything:
        con = open_db(db)
        try:
            apply_memtech_options(con, resolve_run(con, run, kind="scalesim"), options)
        finally:
            con.close()
    report_view(db, view, columns, order, fmt, output, run)


@report_app.command()
def memtech(
    run: RequiredRunOption, clock_hz: ClockOption = None, word_bits: WordOption = None,
    threshold_s: ThresholdOption = None, tech: TechOption = None, default_tech: DefaultTechOption = False,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """Memory technologies per buffer: lifetimes that fit the retention, refreshes, area, energy, ratios to SRAM."""
    from gainsight_db.memtech_setup import MemtechOptions

    options = MemtechOptions(clock_hz, word_bits, threshold_s, tech, default_tech)
    _memtech_report(db, "memtech", "v.* EXCLUDE (run_id)",
                    f"{_BUFFER_ORDER}, v.technology <> 'sram', v.technology", run, format, output, options)


@report_app.command()
def composition(
    run: RequiredRunOption, clock_hz: ClockOption = None, word_bits: WordOption = None,
    threshold_s: ThresholdOption = None, tech: TechOption = None, default_tech: DefaultTechOption = False,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """The per-buffer technology choice that minimises area or energy, against all-SRAM."""
    from gainsight_db.memtech_setup import MemtechOptions

    options = MemtechOptions(clock_hz, word_bits, threshold_s, tech, default_tech)
    _memtech_report(db, "memtech_composition", "v.* EXCLUDE (run_id)",
                    f"v.objective, CASE v.buffer WHEN 'total' THEN 3 ELSE {_BUFFER_ORDER} END",
                    run, format, output, options)
