"""`gsdb report ...`: every report of the warehouse (`Warehouse.report`), filtered by run, layer and
buffer, with the shared output options."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from gainsight_db.cli.memtech import (
    AssumeOption,
    ClockOption,
    DefaultTechOption,
    NodeOption,
    RetentionFactorOption,
    TechOption,
    ThresholdOption,
    WordOption,
)
from gainsight_db.cli.options import (
    AllRowsOption,
    ColumnsOption,
    DbOption,
    FormatOption,
    LayerOption,
    MemoryOption,
    OutputOption,
    PrecisionOption,
    RunsOption,
    TempOption,
    ThreadsOption,
    open_warehouse,
)
from gainsight_db.cli.output import OutputFormat, ReadOutput, emit_relation
from gainsight_db.common.buffers import BUFFERS
from gainsight_db.common.staging import refuse_protected
from gainsight_db.exports.readable import DEFAULT_PRECISION
from gainsight_db.reports.queries import AIE_LEVELS
from gainsight_db.warehouse.connection import DEFAULT_DB, EngineSettings

app = typer.Typer(help="Report tables (lifetimes, per-layer and per-run statistics, histograms, memory "
                  "technologies, the points of a sweep, AI Engine iterations).", no_args_is_help=True)

Buffer = enum.Enum("Buffer", {b: b for b in BUFFERS}, type=str)
Level = enum.Enum("Level", {level: level for level in AIE_LEVELS}, type=str)

BufferOption = Annotated[Optional[Buffer], typer.Option("--buffer", help="Only this on-chip buffer.")]


def _report(db: Path, name: str, out: ReadOutput, engine: EngineSettings, run: list[str] | None = None,
            layer: int | None = None, buffer: Any = None, sweep: str | None = None, **settings: Any) -> None:
    """Print `Warehouse.report(name, ...)` (the warehouse is opened read-only)."""
    run = run or None
    with open_warehouse(db, engine, write=False) as wh:
        buffer = buffer.value if buffer is not None else None
        if out.output is not None:
            refuse_protected(out.output, wh.protected_paths)
        emit_relation(wh, wh.report_relation(name, run, layer, buffer, sweep=sweep, **settings), out)


@app.command()
def lifetimes(
    run: RunsOption = None, layer: LayerOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """One row per data lifetime (write, last read, lifetime in cycles, reads)."""
    _report(db, "lifetimes", ReadOutput(format, output, columns, precision, all_rows),
            EngineSettings(threads, memory_limit, temp_dir), run, layer, buffer)


@app.command()
def layers(
    run: RunsOption = None, layer: LayerOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """GainSight's per-layer table: lifetime statistics, reads, writes, frequencies, footprint."""
    _report(db, "layers", ReadOutput(format, output, columns, precision, all_rows),
            EngineSettings(threads, memory_limit, temp_dir), run, layer, buffer)


@app.command("run")
def run_report(
    run: RunsOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """The same statistics over all layers of each run, per buffer and for all buffers ('all')."""
    _report(db, "run", ReadOutput(format, output, columns, precision, all_rows),
            EngineSettings(threads, memory_limit, temp_dir), run, None, buffer)


@app.command()
def histogram(
    run: RunsOption = None, layer: LayerOption = None, buffer: BufferOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """Lifetimes per log2-spaced bin (bin k holds [2^(k-1), 2^k) cycles; bin 0 holds 0)."""
    _report(db, "histogram", ReadOutput(format, output, columns, precision, all_rows),
            EngineSettings(threads, memory_limit, temp_dir), run, layer, buffer)


@app.command()
def memtech(
    run: RunsOption = None, clock_hz: ClockOption = None, word_bits: WordOption = None,
    threshold_s: ThresholdOption = None, node_nm: NodeOption = None, retention_factor: RetentionFactorOption = None,
    tech: TechOption = None, default_tech: DefaultTechOption = False, assume: AssumeOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """Memory technologies per buffer: lifetimes that fit the retention, refreshes, area, energy, ratios to SRAM,
    and the break-even access energy of technologies whose energy is unknown. Settings given here apply to
    this report only (`gsdb memtech set` stores them)."""
    _report(db, "memtech", ReadOutput(format, output, columns, precision, all_rows),
            EngineSettings(threads, memory_limit, temp_dir), run, clock_hz=clock_hz, word_bits=word_bits,
            threshold_s=threshold_s, node_nm=node_nm, retention_factor=retention_factor, tech=tech,
            default_tech=default_tech, assume=assume or ())


@app.command()
def composition(
    run: RunsOption = None, clock_hz: ClockOption = None, word_bits: WordOption = None,
    threshold_s: ThresholdOption = None, node_nm: NodeOption = None, retention_factor: RetentionFactorOption = None,
    tech: TechOption = None, default_tech: DefaultTechOption = False, assume: AssumeOption = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """The per-buffer technology choice that minimises area or energy, against all-SRAM (settings given
    here apply to this report only)."""
    _report(db, "composition", ReadOutput(format, output, columns, precision, all_rows),
            EngineSettings(threads, memory_limit, temp_dir), run, clock_hz=clock_hz, word_bits=word_bits,
            threshold_s=threshold_s, node_nm=node_nm, retention_factor=retention_factor, tech=tech,
            default_tech=default_tech, assume=assume or ())


@app.command("sweep")
def sweep_report(
    name: Annotated[Optional[str], typer.Argument(
        metavar="NAME", help="Sweep name (default: the warehouse's only sweep).", show_default=False)] = None,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """The points of a sweep in order: the axes it varies, total and stall cycles, utilisation, and per
    buffer the lifetime mean, median, p90 and max, the share under the threshold and the technology
    picked for the least area and for the least energy."""
    _report(db, "sweep", ReadOutput(format, output, columns, precision, all_rows),
            EngineSettings(threads, memory_limit, temp_dir), sweep=name)


@app.command("aie")
def report_aie(
    run: RunsOption = None,
    level: Annotated[Level, typer.Option("--level", help="What to list: per-core iterations (as details.md), cores, "
                                         "aggregate iterations, run summary, kernel calls or LOCK_STALL spans.")]
    = Level.iterations,
    db: DbOption = DEFAULT_DB, format: FormatOption = OutputFormat.table, output: OutputOption = None,
    columns: ColumnsOption = None, precision: PrecisionOption = DEFAULT_PRECISION, all_rows: AllRowsOption = False,
    threads: ThreadsOption = None, memory_limit: MemoryOption = None, temp_dir: TempOption = None,
) -> None:
    """AI Engine traces: kernel iterations per core with GMAC/s and phase, or another level (--level)."""
    _report(db, "aie", ReadOutput(format, output, columns, precision, all_rows),
            EngineSettings(threads, memory_limit, temp_dir), run, level=level.value)
