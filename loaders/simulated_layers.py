"""Loading a run's layers while SCALE-Sim simulates the next ones (`gsdb simulate`).

SCALE-Sim hands each layer's traces over to shard files as soon as it has simulated the layer
(`trace_shards`); `LayersAsSimulated` then loads that layer in a background thread
(`scalesim_ingest.load_layer`) while SCALE-Sim goes on with the next: in a worker process for
`gsdb simulate` (`simulate.run_simulation_apart`, which passes each layer on from the calling
thread), or in the calling thread itself. A layer's shards are deleted once it is loaded, so the
shard folder holds about the layers not yet loaded. While SCALE-Sim runs, DuckDB is given one
thread fewer than it has (SCALE-Sim keeps one core busy; `ingest_while_simulating`). The thread
uses the connection alone: the caller touches neither the connection nor the shards until `finish`
or `stop` returns. Everything happens in the caller's transaction; the run's reports, which
SCALE-Sim writes only at the end, are loaded after the last layer (`ingest_scalesim_run` with
`loaded`).
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import duckdb
from gainsight_db.loaders.scalesim_ingest import (
    LoadedTraces,
    SimulatedInputs,
    claim_simulated_run,
    load_layer,
)
from gainsight_db.loaders.scalesim_traces import TraceIds
from gainsight_db.loaders.trace_shards import ShardTraces, shard_name

from gainsight_db.common.buffers import BUFFERS, LEVELS
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.progress import Progress
from gainsight_db.common.sql_text import one_line


class LayersAsSimulated:
    """Loads each layer of a run, in a background thread, as soon as SCALE-Sim says its shards are
    written (`layer_simulated`); `finish` waits for the last and returns what was loaded, `stop`
    abandons the work (the caller then rolls its transaction back)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run_dir: Path, shards: Path,
                 simulated: SimulatedInputs) -> None:
        self._con = con
        self._run_dir = Path(run_dir).resolve()
        self._shards = Path(shards)
        self.loaded: LoadedTraces = claim_simulated_run(con, self._run_dir, simulated)
        self._waiting: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[int | None] = queue.SimpleQueue()  # each layer loaded; None: the end
        self._handed = 0
        self._stopping = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, name="gsdb-layer-ingest", daemon=True)
        self._thread.start()

    def layer_simulated(self, layer: int) -> None:
        """SCALE-Sim has written this layer's shards: load it (a failure to load an earlier layer is
        raised here, so that the simulation stops)."""
        self._raise_failure()
        self._handed += 1
        self._waiting.put(layer)

    def finish(self, progress: Progress, name: str) -> LoadedTraces:
        """Wait until every layer handed over is loaded, `progress` counting the layers loaded (those
        loaded during the simulation at once); what was loaded (a failure is raised)."""
        self._waiting.put(None)
        progress.start(self._handed, f"ingesting {name}", "layers")
        while True:
            try:
                layer = self._done.get(timeout=0.1)
            except queue.Empty:
                continue
            if layer is None:
                break
            progress.advance(0, f"ingesting {name} layer {layer + 1}/{self._handed}")  # LayerIDs are 0, 1, ...
            progress.advance(1)
        self._thread.join()
        self._raise_failure()
        return self.loaded

    def stop(self) -> None:
        """Abandon the work: the layer being loaded is interrupted and the thread ends before this
        returns."""
        self._stopping.set()
        self._waiting.put(None)
        while self._thread.is_alive():
            self._con.interrupt()
            self._thread.join(0.05)

    def _raise_failure(self) -> None:
        err = self._error
        if err is None:
            return
        if isinstance(err, GsdbError):
            raise err
        what = one_line(err) if isinstance(err, duckdb.Error) else f"{type(err).__name__}: {err}"
        raise GsdbError(f"ingest failed: {what}") from err

    def _load(self) -> None:
        trace_ids = None
        try:
            while not self._stopping.is_set():
                layer = self._waiting.get()
                if layer is None or self._stopping.is_set():
                    return
                try:
                    trace_ids = trace_ids or TraceIds(self._con)
                    found, rows = load_layer(self._con, self._run_dir, self.loaded.run_id, layer,
                                             ShardTraces(self._shards, layer), trace_ids=trace_ids)
                except BaseException as err:  # raised in the caller's thread
                    self._error = err
                    return
                self.loaded.layers.append(layer)
                self.loaded.accesses += found
                self.loaded.rows_loaded += rows
                for buffer in BUFFERS:
                    for level in LEVELS:
                        (self._shards / shard_name(layer, buffer, level)).unlink(missing_ok=True)
                self._done.put(layer)
        finally:
            self._done.put(None)
