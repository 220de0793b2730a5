"""`gsdb memtech set`: store the settings of the memory-technology comparison. The same options
on `gsdb report memtech` and `report composition` apply to that report only and store nothing;
`plot memtech` and `export frontend` use the stored settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli.options import DbOption, RunsOption, open_warehouse
from gainsight_db.warehouse.connection import DEFAULT_DB

ClockOption = Annotated[Optional[float], typer.Option("--clock-hz", min=1e-9, help="Clock frequency (Hz; default 1e9).")]
WordOption = Annotated[Optional[int], typer.Option("--word-bits", min=1, help="Word width (bits; default 16).")]
ThresholdOption = Annotated[
    Optional[float], typer.Option("--threshold-s", min=1e-18, help="Short-lifetime threshold (s; default 1e-6).")
]
NodeOption = Annotated[
    Optional[float],
    typer.Option("--node-nm", min=1e-9, help="Node of the SRAM figures and scaled areas (nm; default 22)."),
]
RetentionFactorOption = Annotated[
    Optional[float],
    typer.Option("--retention-factor", min=1e-18, max=1.0,
                 help="Multiply every retention time by this factor, in (0, 1] (default 1: as cited)."),
]
TechOption = Annotated[
    Optional[Path],
    typer.Option("--tech", help="Technology file (CSV or JSON: a per-bit table or a figures table) replacing the "
                 "warehouse's figures."),
]
DefaultTechOption = Annotated[bool, typer.Option("--default-tech", help="Go back to the shipped technology figures.")]
AssumeOption = Annotated[
    Optional[list[str]],
    typer.Option("--assume", metavar="TECH.FIGURE=VALUE",
                 help="Assume a figure, e.g. si_gain_cell.read_pj_per_bit=0.05 (repeatable; shown as assumed)."),
]

app = typer.Typer(help="Store the memory-technology comparison's settings (reports only read them).",
                  no_args_is_help=True)


@app.command("set")
def set_settings(
    run: RunsOption = None, clock_hz: ClockOption = None, word_bits: WordOption = None,
    threshold_s: ThresholdOption = None, node_nm: NodeOption = None, retention_factor: RetentionFactorOption = None,
    tech: TechOption = None, default_tech: DefaultTechOption = False, assume: AssumeOption = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Store settings as one transaction: the parameters for the runs (every SCALE-Sim run by
    default; others keep their values), and for the whole warehouse the technology figures and
    assumptions. `gsdb query "SELECT * FROM memtech_settings"` shows them."""
    with open_warehouse(db, create=False) as wh:
        wh.set_memtech(run or None, clock_hz=clock_hz, word_bits=word_bits, threshold_s=threshold_s, node_nm=node_nm,
                       retention_factor=retention_factor, tech=tech, default_tech=default_tech, assume=assume or ())
