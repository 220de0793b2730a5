"""`gsdb sweep`: a design-space sweep from a TOML spec, its points run in parallel and ingested."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from gainsight_db.cli.options import DbOption, open_warehouse
from gainsight_db.common.errors import GsdbError
from gainsight_db.sweeps.execution import EXECUTORS
from gainsight_db.warehouse.connection import DEFAULT_DB

ExecutorName = Enum("ExecutorName", {name: name for name in EXECUTORS}, type=str)


def sweep(
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="Sweep spec (.toml): name, topology, config and the axes to vary.")],
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Points run at once (default: the number of cores; with --executor ray, the cluster's CPUs).")] = None,
    executor: Annotated[ExecutorName, typer.Option("--executor", help="Where the points run: local = worker processes on this machine; ray = Ray tasks on a Ray cluster (--ray-address) or a local Ray.")] = ExecutorName("local"),
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", metavar="HOST:PORT", help="With --executor ray: the Ray cluster to run on (its head node, as `ray start --head` prints it); default: a local Ray.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Run every point again, also those already in the warehouse with the same inputs (replacing their runs).")] = False,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first point that fails.")] = False,
    db: DbOption = DEFAULT_DB,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary (failed points are still reported).")] = False,
) -> None:
    """Run every point of a design-space sweep (each a SCALE-Sim run, named after the sweep and its
    coordinates) and ingest each as it finishes. Points already in the warehouse with the same inputs
    are skipped; a failed point is reported and the others go on. Exit code 0 only if every point ran
    or was skipped."""
    from gainsight_db.common.progress import sweep_progress

    with open_warehouse(db) as wh:
        with sweep_progress(enabled=not quiet) as progress:
            result = wh.sweep(spec, jobs=jobs, executor=executor.value, force=force, fail_fast=fail_fast,
                              progress=progress, ray_address=ray_address)
    if not quiet:
        typer.echo(result.summary())
    if not result.ok:
        failed = [p for p in result.points if p.status == "failed"]
        stopped = len(result.points) - result.count("ran") - result.count("skipped") - len(failed)
        raise GsdbError(f"sweep {result.sweep}: {len(failed)} of {len(result.points)} points failed"
                        + (f", {stopped} not run (--fail-fast)" if stopped else "")
                        + (f"; the first: point {failed[0].point + 1} {failed[0].run_name}" if failed else ""))
