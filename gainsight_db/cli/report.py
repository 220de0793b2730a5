"""`gsdb report ...`: the SCALE-Sim report tables, filtered by run, layer and buffer, with the shared
output options."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli.options import (
    DbOption, FormatOption, LayerOption, OutputOption, RequiredRunOption, RunOption, open_db,
)
from gainsight_db.common.buffers import buffer_order
from gainsight_db.cli.output import OutputFormat, emit_query
from gainsight_db.warehouse.connection import DEFAULT_DB

app = typer.Typer(help="Report tables (lifetimes, per-layer and per-run statistics, histograms).",
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
    from gainsight_db.warehouse.runs import resolve_run

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


@app.command()
def lifetimes(
    run: RunOption = None, layer: LayerOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """One row per data lifetime (write, last read, lifetime in cycles, reads)."""
    report_view(db, "lifetimes", "v.*", f"v.run_id, v.layer, {_BUFFER_ORDER}, v.addr, v.write_cycle",
            format, output, run, layer, buffer)


@app.command()
def layers(
    run: RunOption = None, layer: LayerOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """GainSight's per-layer table: lifetime statistics, reads, writes, frequencies, footprint."""
    report_view(db, "layer_stats", "v.run_id, v.layer, l.name AS layer_name, v.* EXCLUDE (run_id, layer)",
            f"v.run_id, v.layer, {_BUFFER_ORDER}", format, output, run, layer, buffer,
            joins="LEFT JOIN layers AS l ON l.run_id = v.run_id AND l.layer = v.layer")


@app.command("run")
def run_report(
    run: RunOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """The same statistics over all layers of each run, per buffer and for all buffers ('all')."""
    report_view(db, "run_stats", "v.*", f"v.run_id, {_BUFFER_ORDER}", format, output, run, None, buffer)


@app.command()
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
    from gainsight_db.reports.memtech_settings import apply_memtech_options
    from gainsight_db.warehouse.runs import resolve_run

    if options.changes_anything:
        con = open_db(db)
        try:
            apply_memtech_options(con, resolve_run(con, run, kind="scalesim"), options)
        finally:
            con.close()
    report_view(db, view, columns, order, fmt, output, run)


@app.command()
def memtech(
    run: RequiredRunOption, clock_hz: ClockOption = None, word_bits: WordOption = None,
    threshold_s: ThresholdOption = None, tech: TechOption = None, default_tech: DefaultTechOption = False,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """Memory technologies per buffer: lifetimes that fit the retention, refreshes, area, energy, ratios to SRAM."""
    from gainsight_db.reports.memtech_settings import MemtechOptions

    options = MemtechOptions(clock_hz, word_bits, threshold_s, tech, default_tech)
    _memtech_report(db, "memtech", "v.* EXCLUDE (run_id)",
                    f"{_BUFFER_ORDER}, v.technology <> 'sram', v.technology", run, format, output, options)


@app.command()
def composition(
    run: RequiredRunOption, clock_hz: ClockOption = None, word_bits: WordOption = None,
    threshold_s: ThresholdOption = None, tech: TechOption = None, default_tech: DefaultTechOption = False,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """The per-buffer technology choice that minimises area or energy, against all-SRAM."""
    from gainsight_db.reports.memtech_settings import MemtechOptions

    options = MemtechOptions(clock_hz, word_bits, threshold_s, tech, default_tech)
    _memtech_report(db, "memtech_composition", "v.* EXCLUDE (run_id)",
                    f"v.objective, CASE v.buffer WHEN 'total' THEN 3 ELSE {_BUFFER_ORDER} END",
                    run, format, output, options)


class Level(str, enum.Enum):
    iterations = "iterations"
    cores = "cores"
    aggregate = "aggregate"
    summary = "summary"
    kernels = "kernels"
    stalls = "stalls"


# (view, columns, order) per level; v is the view, r the runs row.
_LEVELS = {
    Level.iterations: ("aie_iterations", "v.tile_name, v.iteration_index, v.phase, v.num_kernels, v.avg_duration_cycles, "
                       "v.min_duration_cycles, v.max_duration_cycles, v.total_span_cycles, v.first_start, v.last_end, "
                       "v.gmacs_per_second", "c.core_order, v.iteration_index"),
    Level.cores: ("aie_cores", "v.* EXCLUDE (run_id)", "v.core_order"),
    Level.aggregate: ("aie_aggregate", "v.* EXCLUDE (run_id)", "v.iteration_index"),
    Level.summary: ("aie_aggregate_summary", "v.* EXCLUDE (run_id)", "1"),
    Level.kernels: ("aie_kernels", "v.* EXCLUDE (run_id)", "c.core_order, v.kernel_index"),
    Level.stalls: ("aie_lock_stalls", "v.* EXCLUDE (run_id)", "c.core_order, v.stall_index"),
}


@app.command("aie")
def report_aie(
    run: RunOption = None,
    level: Annotated[Level, typer.Option("--level", help="What to list: per-core iterations (as details.md), cores, "
                                         "aggregate iterations, run summary, kernel calls or LOCK_STALL spans.")]
    = Level.iterations,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
) -> None:
    """AI Engine traces: kernel iterations per core with GMAC/s and phase, or another level (--level)."""
    view, columns, order = _LEVELS[level]
    core_join = "LEFT JOIN aie_cores AS c ON c.run_id = v.run_id AND c.pid = v.pid" if order.startswith("c.") else ""
    report_view(db, view, f"v.run_id, {columns}", f"v.run_id, {order}", format, output, run,
                joins=core_join, kind="aie")
