"""`gsdb ingest` and `gsdb simulate`: loading runs and traces into the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli.options import (
    DbOption,
    MemoryOption,
    TempOption,
    ThreadsOption,
    open_warehouse,
)
from gainsight_db.warehouse.connection import DEFAULT_DB, EngineSettings

_PANEL = "AI Engine traces"


def AieInt(flag: str, text: str, minimum: int | None = 0):  # noqa: N802 (an annotation factory)
    """An optional integer run parameter of AI Engine traces, under its postprocess_aie_trace.py name."""
    return Annotated[Optional[int], typer.Option(flag, help=f"AIE: {text}", min=minimum, rich_help_panel=_PANEL)]


def AieText(flag: str, text: str):  # noqa: N802
    return Annotated[Optional[str], typer.Option(flag, help=f"AIE: {text}", rich_help_panel=_PANEL)]


def AieFloat(flag: str, text: str):  # noqa: N802
    """An AI Engine analysis tunable (default: postprocess_aie_trace.py's)."""
    return Annotated[float, typer.Option(flag, help=f"AIE: {text}", min=0.0, rich_help_panel=_PANEL)]


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="SCALE-Sim run directories, AI Engine traces (.json), or folders above them.")],
    db: DbOption = DEFAULT_DB,
    config: Annotated[Optional[Path], typer.Option("--config", help="SCALE-Sim config (.cfg) of the run(s).")] = None,
    topology: Annotated[Optional[Path], typer.Option("--topology", help="SCALE-Sim topology (.csv) of the run(s).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
    threads: ThreadsOption = None,
    memory_limit: MemoryOption = None,
    temp_dir: TempOption = None,
    gemm_m: AieInt("--M", "GEMM M (rows of the output).") = None,
    gemm_k: AieInt("--K", "GEMM K (reduction dimension).") = None,
    gemm_n: AieInt("--N", "GEMM N (columns of the output).") = None,
    tile_m: AieInt("--m", "Kernel tile m.") = None,
    tile_k: AieInt("--k", "Kernel tile k.") = None,
    tile_n: AieInt("--n", "Kernel tile n.") = None,
    rows: AieInt("--row", "AI Engine rows used.") = None,
    cols: AieInt("--col", "AI Engine columns used.") = None,
    hwid: AieText("--hwid", "Hardware id of the run.") = None,
    warmup: AieInt("--warmup", "Warm-up iterations (negative counts as 0).", None) = None,
    iterations: AieInt("--iterations", "Measured iterations after the warm-up (negative counts as 0).", None) = None,
    clock_ghz: AieFloat("--clock-ghz", "AI Engine clock (GHz).") = 1.25,
    lock_stall_factor: AieFloat("--lock-stall-factor", "A LOCK_STALL this many times the median kernel ends an iteration.") = 20.0,
    dup_gap_fraction: AieFloat("--dup-gap-fraction", "Markers closer than this fraction of the median kernel are duplicates.") = 0.25,
    outlier_lo: AieFloat("--outlier-lo", "Kernels shorter than this fraction of the median are outliers.") = 1.0 / 3.0,
    outlier_hi: AieFloat("--outlier-hi", "Kernels longer than this multiple of the median are outliers.") = 3.0,
) -> None:
    """Load SCALE-Sim runs and AI Engine traces into the warehouse (one transaction; a run ingested
    again is replaced)."""
    from gainsight_db.common.progress import progress_bar

    with open_warehouse(db, EngineSettings(threads, memory_limit, temp_dir)) as wh:
        with progress_bar(enabled=not quiet) as progress:
            results = wh.ingest(
                *paths, config=config, topology=topology, M=gemm_m, K=gemm_k, N=gemm_n, m=tile_m, k=tile_k,
                n=tile_n, row=rows, col=cols, hwid=hwid, warmup=warmup, iterations=iterations,
                clock_ghz=clock_ghz, lock_stall_factor=lock_stall_factor, dup_gap_fraction=dup_gap_fraction,
                outlier_lo=outlier_lo, outlier_hi=outlier_hi, progress=progress,
            )
    if not quiet:
        for r in results:
            verb = "replaced" if r.replaced else "ingested"
            if r.kind == "aie":
                typer.echo(f"{verb} run {r.run_id} {r.name}: {r.detail}")
                continue
            audit = f", {r.audit_differences} audit difference(s) (gsdb audit --run {r.run_id})" if r.audit_differences else ""
            typer.echo(f"{verb} run {r.run_id} {r.name}: {r.layers} layers, {r.accesses:,} accesses{audit}")


def simulate(
    topology: Annotated[Path, typer.Option("--topology", help="SCALE-Sim topology (.csv): conv or GEMM (M, N, K).")],
    config: Annotated[Path, typer.Option("--config", help="SCALE-Sim config (.cfg).")],
    name: Annotated[Optional[str], typer.Option("--name", help="Run name (and SCALE-Sim's run_name); refused if another run has it. Default: the config's run_name, made unique.")] = None,
    dataflow: Annotated[Optional[str], typer.Option("--dataflow", help="Dataflow instead of the config's: os, ws or is.")] = None,
    array: Annotated[Optional[str], typer.Option("--array", help="Systolic array ROWSxCOLS instead of the config's, e.g. 32x32.")] = None,
    sram_kb: Annotated[Optional[str], typer.Option("--sram-kb", help="Size of each of the IFMAP, filter and OFMAP SRAMs (KiB).")] = None,
    bandwidth: Annotated[Optional[str], typer.Option("--bandwidth", help="DRAM bandwidth (words per cycle); sets the USER bandwidth mode.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Fresh folder for SCALE-Sim's output (default: under the warehouse folder).")] = None,
    db: DbOption = DEFAULT_DB,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
    keep_csv: Annotated[bool, typer.Option("--keep-csv", help="Also write SCALE-Sim's trace CSVs (they are ingested from memory either way).")] = False,
    threads: ThreadsOption = None,
    memory_limit: MemoryOption = None,
    temp_dir: TempOption = None,
) -> None:
    """Run SCALE-Sim (v3) and ingest the result, its traces handed over in memory. Simulating the same
    inputs again (effective config, topology, scalesim version) replaces the run. SCALE-Sim runs in a
    worker process; --threads, --memory-limit and --temp-dir are DuckDB's, in this one."""
    from gainsight_db.common.progress import progress_bar

    with open_warehouse(db, EngineSettings(threads, memory_limit, temp_dir)) as wh:
        with progress_bar(enabled=not quiet) as progress:
            r = wh.simulate(topology, config, name=name, dataflow=dataflow, array=array, sram_kb=sram_kb,
                            bandwidth=bandwidth, out=output, keep_csv=keep_csv, progress=progress)
    if not quiet:
        verb = "replaced" if r.replaced else "ingested"
        typer.echo(f"{verb} run {r.run_id} {r.name}: {r.layers} layers, {r.accesses:,} accesses "
                   f"(SCALE-Sim's output: {r.source_path})")
