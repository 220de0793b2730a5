"""The AI Engine side of `gsdb`: the ingest options for traces, `gsdb report aie` and
`gsdb export aie`. Importing this module registers the two commands on the report and export groups."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli_export import OutOption, QuietOption, ReplaceOption, export_app
from gainsight_db.cli_options import DbOption, FormatOption, OutputOption, RequiredRunOption, RunOption, open_db
from gainsight_db.cli_report import report_app, report_view
from gainsight_db.output import OutputFormat
from gainsight_db.warehouse import DEFAULT_DB

_PANEL = "AI Engine traces"


def AieInt(flag: str, text: str, minimum: int | None = 0):  # noqa: N802 (an annotation factory)
    """An optional integer run parameter of AI Engine traces, under its postprocess_aie_trace.py name."""
    return Annotated[Optional[int], typer.Option(flag, help=f"AIE: {text}", min=minimum, rich_help_panel=_PANEL)]


def AieText(flag: str, text: str):  # noqa: N802
    return Annotated[Optional[str], typer.Option(flag, help=f"AIE: {text}", rich_help_panel=_PANEL)]


def AieFloat(flag: str, text: str):  # noqa: N802
    """An AI Engine analysis tunable (default: postprocess_aie_trace.py's)."""
    return Annotated[float, typer.Option(flag, help=f"AIE: {text}", min=0.0, rich_help_panel=_PANEL)]


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


@report_app.command("aie")
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


@export_app.command("aie")
def export_aie_command(
    run: RequiredRunOption, out: OutOption, replace: ReplaceOption = False, quiet: QuietOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """postprocess_aie_trace.py's files for one trace: OUT/<tile>.json per core, details.md, index.json,
    aggregate_perf.json."""
    from gainsight_db.export_aie import export_aie
    from gainsight_db.run_lookup import resolve_run

    con = open_db(db, write=False)
    try:
        result = export_aie(con, resolve_run(con, run, kind="aie"), out, replace)
    finally:
        con.close()
    if not quiet:
        typer.echo(f"wrote {result.folder}: {', '.join(result.files)}")
