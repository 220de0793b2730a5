"""`gsdb ingest`: every path given, as one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import duckdb
from gainsight_db.loaders.aie_ingest import AieOptions, ingest_aie_trace
from gainsight_db.loaders.discover import Input, find_inputs
from gainsight_db.loaders.scalesim_ingest import (
    IngestResult,
    ScalesimOptions,
    SimulatedInputs,
    ingest_scalesim_run,
)
from gainsight_db.loaders.scalesim_memory import InMemoryTraces
from gainsight_db.loaders.trace_shards import ShardTraces

from gainsight_db.common.progress import Progress
from gainsight_db.common.transactions import one_transaction


def plan(paths: list[Path]) -> list[Input]:
    """The run directories and traces to ingest, each once, in a stable order."""
    inputs: dict[tuple[str, Path], None] = {}
    for path in paths:
        for found in find_inputs(Path(path)):
            inputs.setdefault((found.kind, found.path.resolve()), None)
    return [Input(kind, path) for kind, path in inputs]


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    scalesim: ScalesimOptions | None = None,
    progress: Progress | None = None,
    warn=None,
    aie: AieOptions | None = None,
) -> list[IngestResult]:
    """Ingest every run and trace found under `paths`. All or nothing: on any error the warehouse is
    unchanged."""
    inputs = plan(paths)
    scalesim = scalesim or ScalesimOptions()
    aie = aie or AieOptions()
    results: list[IngestResult] = []
    with one_transaction(con, "ingest"):
        for found in inputs:
            if found.kind == "aie":
                results.append(ingest_aie_trace(con, found.path, aie, progress, warn))
            else:
                results.append(ingest_scalesim_run(con, found.path, scalesim, progress, warn))
    return results


def ingest_simulated(
    con: duckdb.DuckDBPyConnection,
    run_dir: Path,
    traces: InMemoryTraces | ShardTraces,
    scalesim: ScalesimOptions,
    progress: Progress | None = None,
    warn=None,
    simulated: SimulatedInputs | None = None,
    then: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Ingest a run SCALE-Sim has just simulated: its reports from `run_dir`, its traces as SCALE-Sim
    made them (from its memory, or from the shards it handed them over to). With `simulated` (what gsdb
    changed in the config, and the inputs' identity), it replaces the run simulated from the same
    inputs. One transaction, like `ingest`; `then(result)` runs inside it, once the run is loaded
    (to record more about the run, all or nothing with it)."""
    with one_transaction(con, "ingest"):
        result = ingest_scalesim_run(con, run_dir, scalesim, progress, warn, in_memory=traces, simulated=simulated)
        if then is not None:
            then(result)
        return result
