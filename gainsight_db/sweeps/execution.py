"""Running a sweep's points, and the seam every executor plugs into.

A point is a task for a worker: the worker runs SCALE-Sim on the point's inputs and hands each
layer's traces over to shard files as soon as SCALE-Sim finishes it (`trace_shards`), so a worker
holds about one layer at a time. Workers never open the warehouse: DuckDB has one writer, the
coordinating process, which ingests each finished point from its shards (`coordinator`).

The seam, for executors that run workers elsewhere (a Ray cluster, say), each in its own module:

- `PointTask` (picklable): what a worker needs. The point's simulation inputs, read and checked by
  the coordinator (`SimulationInputs`: the effective config and the topology, as text and values),
  the run's name, and `folder`, an empty folder for the point's work: SCALE-Sim writes its output
  in `folder/scalesim`, the traces go to `folder/shards`.
- `run_point(task) -> PointOutcome`: the module-level function a worker runs (picklable by name).
  The outcome says where SCALE-Sim's run directory and the shards are, with the simulation's wall
  time and the worker's peak resident memory. It raises `GsdbError` (SCALE-Sim failed, a bad layer)
  with a one-line reason.
- An executor has `name` and `execute(tasks, jobs)`: it runs the tasks, at most `jobs` at a time,
  and yields `(task, outcome)`, or `(task, error)` for a point that failed, as each point finishes,
  in any order. The coordinator reads an outcome's files as soon as it is yielded, so an executor
  whose workers do not share the coordinator's file system brings the run directory and shards
  back (into `task.folder`, say) before yielding. Closing the iterator before its end (Ctrl-C,
  `--fail-fast`) must start no queued task and stop the running ones, whose results are dropped;
  the coordinator removes their folders.
- An executor may have `default_jobs()`: how many points it runs at once when `--jobs` is not
  given (the local executor: the cores; Ray: the cluster's CPUs). It is asked only when there are
  points to run, just before `execute`; without it, the cores of this machine.
- `EXECUTORS` maps each name `--executor` takes to the module providing it, whose
  `make_executor(**options)` returns the executor; the options are those of the command line for
  that executor (`--ray-address` is `ray_address`).
"""

from __future__ import annotations

import importlib
import inspect
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

from gainsight_db.common.errors import GsdbError
from gainsight_db.simulate import SimulationInputs, run_simulation

# name -> module whose make_executor(**options) makes the executor
EXECUTORS = {"local": "gainsight_db.sweeps.local_executor", "ray": "gainsight_db.sweeps.ray_executor"}


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point."""

    point: int  # the point's index in the sweep
    run_name: str  # the run's name, and SCALE-Sim's run_name
    inputs: SimulationInputs
    folder: Path  # an empty folder for the point's work (SCALE-Sim's output, the shards)


@dataclass(frozen=True)
class PointOutcome:
    """What a worker made of a point."""

    run_dir: Path  # SCALE-Sim's run directory (its reports); the effective inputs are in its parent's inputs/
    config: Path  # the effective config, as given to SCALE-Sim
    topology: Path  # the topology, as given to SCALE-Sim
    shards: Path  # the folder of the trace shards, every layer's
    layers: int
    seconds: float  # wall time of the simulation and the hand-over
    peak_rss_bytes: int  # the worker process's peak resident memory so far
    worker: str  # host:pid of the worker process


class Executor(Protocol):
    name: str

    def execute(self, tasks: Sequence[PointTask], jobs: int) -> Iterator[tuple[PointTask, PointOutcome | BaseException]]:
        ...


def peak_rss_bytes() -> int:
    """This process's peak resident memory, in bytes."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB elsewhere


def run_point(task: PointTask) -> PointOutcome:
    """Run one point: SCALE-Sim into `task.folder/scalesim`, each layer's traces handed over to
    `task.folder/shards` as soon as it is simulated. What a worker runs; it opens no warehouse."""
    started = time.perf_counter()
    shards = task.folder / "shards"
    try:
        shards.mkdir()  # the folder itself is the coordinator's: a point whose folder is gone is not run
    except OSError as err:
        raise GsdbError(f"{task.folder}: cannot create the point's shard folder: {err.strerror or err}") from err
    sim = run_simulation(task.inputs, task.run_name, task.folder / "scalesim", shards=shards)
    return PointOutcome(sim.run_dir, sim.config, sim.topology, shards, len(sim.traces.layers),
                        time.perf_counter() - started, peak_rss_bytes(), f"{socket.gethostname()}:{os.getpid()}")


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def jobs_for(executor: Executor) -> int:
    """How many points `executor` runs at once when no number is given."""
    default = getattr(executor, "default_jobs", None)
    return default() if default is not None else default_jobs()


def make_executor(name: str, **options) -> Executor:
    """The executor named `name` (see EXECUTORS), made with its options."""
    if not isinstance(name, str) or name not in EXECUTORS:
        raise GsdbError(f"executor {name!r}: no such executor (one of: {', '.join(EXECUTORS)})")
    try:
        module = importlib.import_module(EXECUTORS[name])
    except ImportError as err:
        raise GsdbError(f"executor {name!r} is not available: {err}") from err
    try:
        inspect.signature(module.make_executor).bind(**options)
    except TypeError:
        raise GsdbError(f"executor {name!r} takes no option {', '.join(sorted(options))}") from None
    return module.make_executor(**options)
