"""`gsdb ingest`: every path given, as one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

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
from gainsight_db.loaders.simulated_layers import LayersAsSimulated
from gainsight_db.loaders.trace_shards import ShardTraces

from gainsight_db.common.progress import NoProgress, Progress
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


def ingest_while_simulating(
    con: duckdb.DuckDBPyConnection,
    run_dir: Path,
    shards: Path,
    simulate: Callable[[Callable[[int], None]], Any],
    simulated: SimulatedInputs,
    progress: Progress | None = None,
    warn=None,
) -> tuple[IngestResult, Any]:
    """Run a simulation and ingest it layer by layer as it goes (`simulated_layers`): `simulate(ready)`
    runs SCALE-Sim into `run_dir`, handing each layer's traces over to shards in `shards` and calling
    `ready(layer)` after each, and returns the simulation (with its `run_dir`, `config` and
    `topology`). The reports are loaded once it returns. One transaction, like `ingest`: on any error
    or interruption the loading thread is stopped and the warehouse left unchanged. Returns the
    result and the simulation."""
    # SCALE-Sim keeps one core busy: DuckDB is left the others while they run side by side.
    [(threads,)] = con.execute("SELECT current_setting('threads')").fetchall()
    con.execute(f"SET threads = {max(1, int(threads) - 1)}")
    try:
        with one_transaction(con, "ingest"):
            loading = LayersAsSimulated(con, run_dir, shards, simulated)
            try:
                simulation = simulate(loading.layer_simulated)
                loaded = loading.finish(progress or NoProgress(), run_dir.name)
            except BaseException:
                loading.stop()
                raise
            con.execute(f"SET threads = {int(threads)}")
            result = ingest_scalesim_run(con, simulation.run_dir,
                                         ScalesimOptions(simulation.config, simulation.topology),
                                         progress, warn, simulated=simulated, loaded=loaded)
    finally:
        con.execute(f"SET threads = {int(threads)}")
    return result, simulation
