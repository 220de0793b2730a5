"""`gsdb sweep`: the coordinating process. It reads the spec, decides which points to run, hands them
to an executor, and ingests each point as it finishes.

1. Everything is checked before anything runs: the spec (`spec`), every point's inputs (as `gsdb
   simulate` checks them: the effective config, the topology), no two points the same simulation,
   and no run name taken by a run with other inputs.
2. A point whose inputs' identity (`runs.inputs_sha256`: effective config, topology, scalesim
   version) is already in the warehouse is skipped, unless forced; its `sweep_points` row points at
   that run. A forced point replaces that run (its run_id kept).
3. The other points run in workers (`execution`), each in its own folder inside a work folder
   beside the warehouse (`.NAME.PID.sweep_*.partial`). As each finishes, its SCALE-Sim output is
   moved to `simulations/` beside the warehouse (as `gsdb simulate` keeps it) and the run is
   ingested from its shards with its `sweep_points` row, in one transaction; its folder is then
   removed. A point that fails is reported and the others go on (or, failing fast, the sweep
   stops). An interrupted sweep keeps every point already ingested; the work folder a killed one
   left is removed by the next sweep or simulation.

`sweep_points` holds, for each sweep name, the points of the spec last run under that name whose
run is in the warehouse: rows of that sweep for points the spec no longer has (or has with other
inputs) are removed when the spec is run.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.transactions import one_transaction
from gainsight_db.common.progress import NoSweepProgress, Progress, SweepProgress, SweepTally
from gainsight_db.common.sql_text import one_line
from gainsight_db.common.staging import refuse_protected, work_folder
from gainsight_db.loaders.ingest import ingest_simulated
from gainsight_db.loaders.scalesim_ingest import IngestResult, ScalesimOptions, SimulatedInputs
from gainsight_db.loaders.trace_shards import ShardTraces
from gainsight_db.simulate import SimulationInputs, default_output_folder, prepare_simulation
from gainsight_db.sweeps.execution import Executor, PointOutcome, PointTask, jobs_for
from gainsight_db.sweeps.spec import AXES, SweepPoint, SweepSpec, load_spec
from gainsight_db.warehouse.runs import runs_named, simulated_run

RAN, SKIPPED, FAILED, CANCELLED = "ran", "skipped", "failed", "cancelled"


@dataclass(frozen=True)
class PointResult:
    """What became of one point."""

    point: int  # its index in the sweep (0-based)
    run_name: str  # the name the spec gives its run
    topology: str  # as the spec writes it
    values: dict[str, str]  # axis -> value, as the spec writes them
    status: str  # 'ran', 'skipped', 'failed' or 'cancelled' (not run: the sweep stopped first)
    reason: str = ""  # why skipped, failed or cancelled
    run_id: int | None = None  # the point's run (ran or skipped)
    replaced: bool = False  # ran, and replaced the run made earlier from the same inputs
    layers: int | None = None
    simulate_s: float | None = None  # in the worker: SCALE-Sim and the hand-over
    ingest_s: float | None = None
    peak_rss_bytes: int | None = None  # the worker's peak resident memory
    worker: str | None = None  # host:pid


@dataclass(frozen=True)
class SweepResult:
    """A sweep's points (in the order of the spec) and what became of each."""

    sweep: str
    spec: Path
    points: list[PointResult]
    seconds: float
    jobs: int  # points run at once (0: none was run, and no number was given)
    executor: str

    def count(self, status: str) -> int:
        return sum(1 for p in self.points if p.status == status)

    @property
    def ok(self) -> bool:
        """Whether every point ran or was skipped."""
        return all(p.status in (RAN, SKIPPED) for p in self.points)

    def summary(self) -> str:
        """'sweep tutorial1: 9 points: 6 ran, 3 skipped, 0 failed in 42 s'."""
        text = (f"sweep {self.sweep}: {len(self.points)} points: {self.count(RAN)} ran, {self.count(SKIPPED)} skipped, "
                f"{self.count(FAILED)} failed")
        if self.count(CANCELLED):
            text += f", {self.count(CANCELLED)} not run"
        return f"{text} in {self.seconds:.0f} s"

    def frame(self):
        """The points as a pandas DataFrame, one row each."""
        import pandas as pd

        rows = [{"point": p.point, "run_name": p.run_name, "topology": p.topology, **p.values, "status": p.status,
                 "reason": p.reason, "run_id": p.run_id, "replaced": p.replaced, "layers": p.layers,
                 "simulate_s": p.simulate_s, "ingest_s": p.ingest_s, "peak_rss_bytes": p.peak_rss_bytes,
                 "worker": p.worker} for p in self.points]
        return pd.DataFrame(rows)


@dataclass
class _Plan:
    point: SweepPoint
    inputs: SimulationInputs
    existing: int | None  # the run already simulated from these inputs
    run: bool  # run it (else skip it)
    result: PointResult | None = None


@dataclass
class _Tally:
    """The counts behind the progress display."""

    sweep: str
    total: int
    jobs: int
    to_run: int
    progress: SweepProgress
    started: float = field(default_factory=time.perf_counter)
    running_since: float | None = None
    counts: dict[str, int] = field(default_factory=lambda: {RAN: 0, SKIPPED: 0, FAILED: 0, CANCELLED: 0})
    activity: str = ""

    def show(self) -> None:
        finished_runs = self.counts[RAN] + self.counts[FAILED]
        waiting = self.to_run - finished_runs - self.counts[CANCELLED]
        left = None
        if self.running_since is not None and finished_runs:
            left = (time.perf_counter() - self.running_since) / finished_runs * waiting
        self.progress.update(SweepTally(
            self.sweep, self.total, self.counts[RAN], self.counts[SKIPPED], self.counts[FAILED],
            self.counts[CANCELLED], min(self.jobs, waiting) if self.running_since is not None else 0,
            time.perf_counter() - self.started, left, self.activity))

    def start(self, total: int, description: str, unit: str) -> None:
        """(As a Progress: the ingest of a point says what it works on.)"""
        self.activity = description
        self.show()

    def advance(self, amount: int, description: str | None = None) -> None:
        if description:
            self.activity = description
            self.show()

    def finish(self, result: PointResult, line: str | None) -> None:
        self.counts[result.status] += 1
        if line:
            self.progress.point_finished(line, result.status == FAILED)
        self.show()


def run_sweep(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    spec_path: str | Path,
    executor: Executor,
    jobs: int | None,
    *,
    force: bool = False,
    fail_fast: bool = False,
    progress: SweepProgress | None = None,
    protected: Iterable[Path] = (),
    warn: Callable[[str], None] | None = None,
) -> SweepResult:
    """Run a sweep into the warehouse `con` (whose file is `warehouse`); see the module's docstring.
    `jobs`: points run at once; None for the executor's default (asked only if a point is run)."""
    started = time.perf_counter()
    progress = progress or NoSweepProgress()
    spec, prepared = prepare_sweep(spec_path)
    plans = _plan(con, spec, prepared, force)
    tally = _Tally(spec.name, len(plans), jobs or 0, sum(p.run for p in plans), progress)
    tally.show()
    _record_skipped(con, spec.name, plans)
    for plan in plans:
        if not plan.run:
            plan.result = _result(plan, SKIPPED, reason=f"run {plan.existing} has the same inputs", run_id=plan.existing)
            tally.finish(plan.result, f"{_label(plan, len(plans))}: skipped, run {plan.existing} has the same inputs")

    to_run = [plan for plan in plans if plan.run]
    if to_run:
        with work_folder(warehouse, "sweep") as root:
            jobs = _execute(con, warehouse, spec.name, to_run, len(plans), root, executor, jobs, fail_fast, tally,
                            list(protected), warn)
    return SweepResult(spec.name, spec.path, [plan.result for plan in plans], time.perf_counter() - started,
                       jobs or 0, executor.name)


def _label(plan: _Plan, total: int) -> str:
    return f"point {plan.point.index + 1}/{total} {plan.point.run_name}"


def _result(plan: _Plan, status: str, **details) -> PointResult:
    return PointResult(plan.point.index, plan.point.run_name, plan.point.topology, dict(plan.point.values), status,
                       **details)


# Before anything runs -------------------------------------------------------------------------------
def prepare_sweep(spec_path: str | Path) -> tuple[SweepSpec, list[tuple[SweepPoint, SimulationInputs]]]:
    """The spec and every point with its simulation's inputs, all checked (without a warehouse):
    any problem is a GsdbError naming the spec."""
    spec = load_spec(spec_path)
    prepared = []
    seen: dict[str, SweepPoint] = {}
    for point in spec.points():
        try:
            inputs = prepare_simulation(point.topology_path, spec.config, point.overrides)
        except GsdbError as err:
            raise GsdbError(f"{spec.path}: point {point.index + 1} ({point.run_name}): {err}") from None
        if inputs.identity in seen:
            first = seen[inputs.identity]
            raise GsdbError(f"{spec.path}: points {first.index + 1} ({first.run_name}) and {point.index + 1} "
                            f"({point.run_name}) are the same simulation (the same effective config and topology)")
        seen[inputs.identity] = point
        prepared.append((point, inputs))
    return spec, prepared


def _plan(con: duckdb.DuckDBPyConnection, spec: SweepSpec, prepared: list[tuple[SweepPoint, SimulationInputs]],
          force: bool) -> list[_Plan]:
    """Whether each point runs; a run name held by a run with other inputs is refused."""
    plans = [_Plan(point, inputs, None, True) for point, inputs in prepared]
    con.abort()  # a result a loader left open
    for plan in plans:
        plan.existing = simulated_run(con, plan.inputs.identity)
        plan.run = force or plan.existing is None
        if not plan.run:
            continue
        others = [run["run_id"] for run in runs_named(con, plan.point.run_name) if run["run_id"] != plan.existing]
        if others:
            raise GsdbError(f"{spec.path}: point {plan.point.index + 1}'s run name {plan.point.run_name!r} is taken by run "
                            f"{others[0]}, simulated from other inputs (an earlier version of this sweep?): remove "
                            f"that run (gsdb rm {others[0]}) or give the sweep another name")
    return plans


def _row(sweep: str, point: SweepPoint, run_id: int, identity: str) -> list:
    return [sweep, point.index, run_id, point.topology, *(point.values.get(axis) for axis in AXES), identity]


_ROW_COLUMNS = ", ".join(["sweep", "point", "run_id", "topology", *(f'"{axis}"' for axis in AXES), "inputs_sha256"])
_INSERT_ROW = f"INSERT INTO sweep_points ({_ROW_COLUMNS}) VALUES ({', '.join('?' * (5 + len(AXES)))})"


def _write_row(con: duckdb.DuckDBPyConnection, sweep: str, point: SweepPoint, run_id: int, identity: str) -> None:
    con.execute("DELETE FROM sweep_points WHERE sweep = ? AND point = ?", [sweep, point.index])
    con.execute(_INSERT_ROW, _row(sweep, point, run_id, identity))


def _record_skipped(con: duckdb.DuckDBPyConnection, sweep: str, plans: list[_Plan]) -> None:
    """In one transaction: the sweep's rows become those of the current spec whose run is in the
    warehouse (the skipped points', and those of forced points, until they are run again)."""
    current = {tuple(_row(sweep, p.point, p.existing, p.inputs.identity)) for p in plans if p.existing is not None}
    with one_transaction(con, f"sweep {sweep}: recording its points"):
        old = con.execute(f"SELECT {_ROW_COLUMNS} FROM sweep_points WHERE sweep = ?", [sweep]).fetchall()
        keep = [row for row in old if tuple(row) in current]
        skipped = {p.point.index: _row(sweep, p.point, p.existing, p.inputs.identity) for p in plans if not p.run}
        rows = {row[1]: list(row) for row in keep} | skipped
        con.execute("DELETE FROM sweep_points WHERE sweep = ?", [sweep])
        if rows:
            con.executemany(_INSERT_ROW, [rows[point] for point in sorted(rows)])


# Running ------------------------------------------------------------------------------------------
def _execute(con: duckdb.DuckDBPyConnection, warehouse: Path, sweep: str, plans: list[_Plan], total: int, root: Path,
             executor: Executor, jobs: int | None, fail_fast: bool, tally: _Tally, protected: list[Path],
             warn) -> int:
    """Run the points and ingest each as it finishes; returns the points run at once."""
    by_point = {plan.point.index: plan for plan in plans}
    tasks = []
    for plan in plans:
        folder = root / f"point{plan.point.index}"
        folder.mkdir()
        tasks.append(PointTask(plan.point.index, plan.point.run_name, plan.inputs, folder))
    if jobs is None:
        jobs = jobs_for(executor)
    tally.jobs = jobs
    tally.running_since = time.perf_counter()
    tally.show()
    outcomes = executor.execute(tasks, jobs)
    try:
        for task, outcome in outcomes:
            plan = by_point[task.point]
            if isinstance(outcome, PointOutcome):
                plan.result = _ingest(con, warehouse, sweep, plan, outcome, protected, tally, warn)
                tally.activity = ""
            else:
                plan.result = _result(plan, FAILED, reason=_reason(outcome))
            shutil.rmtree(task.folder, ignore_errors=True)
            result = plan.result
            if result.status == RAN:
                verb = "replaced" if result.replaced else "ingested as"
                line = (f"{_label(plan, total)}: {verb} run {result.run_id} ({result.layers} layers, simulated in "
                        f"{result.simulate_s:.1f} s)")
            else:
                line = f"{_label(plan, total)}: failed: {result.reason}"
            tally.finish(result, line)
            if fail_fast and result.status == FAILED:
                break
    finally:
        outcomes.close()  # queued points are not started, running ones stopped
    for plan in plans:
        if plan.result is None:
            plan.result = _result(plan, CANCELLED, reason="not run: the sweep stopped at the first failure (--fail-fast)")
            tally.counts[CANCELLED] += 1
    tally.show()
    return jobs


def _reason(error: BaseException) -> str:
    """A point's failure in one line."""
    text = one_line(error) if isinstance(error, GsdbError) else f"{type(error).__name__}: {one_line(error)}"
    return text or type(error).__name__


def _interrupted(error: BaseException) -> bool:
    """Whether an ingest failed because its query was interrupted (Ctrl-C)."""
    while error is not None:
        if isinstance(error, duckdb.InterruptException) or (
                isinstance(error, RuntimeError) and str(error) == "Query interrupted"):
            return True
        error = error.__cause__ or error.__context__
    return False


def _ingest(con: duckdb.DuckDBPyConnection, warehouse: Path, sweep: str, plan: _Plan, outcome: PointOutcome,
            protected: list[Path], progress: Progress, warn) -> PointResult:
    """Move a finished point's SCALE-Sim output beside the warehouse and ingest it, with its
    sweep_points row, in one transaction."""
    started = time.perf_counter()
    point = plan.point
    output = outcome.run_dir.parent
    final = default_output_folder(warehouse, point.run_name)
    try:
        refuse_protected(final, protected)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(output), str(final))
    except (GsdbError, OSError) as err:
        return _result(plan, FAILED, reason=f"{final}: cannot keep SCALE-Sim's output there: {one_line(err)}")

    def moved(path: Path) -> Path:
        return final / path.relative_to(output)

    def record(result: IngestResult) -> None:
        _write_row(con, sweep, point, result.run_id, plan.inputs.identity)

    try:
        result = ingest_simulated(
            con, moved(outcome.run_dir), ShardTraces(outcome.shards),
            ScalesimOptions(moved(outcome.config), moved(outcome.topology)), progress, warn,
            SimulatedInputs(point.overrides.describe(), plan.inputs.identity), then=record)
    except GsdbError as err:
        if _interrupted(err):
            raise KeyboardInterrupt from err
        shutil.rmtree(final, ignore_errors=True)
        return _result(plan, FAILED, reason=one_line(err))
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise
    return _result(plan, RAN, run_id=result.run_id, replaced=result.replaced, layers=result.layers,
                   simulate_s=outcome.seconds, ingest_s=time.perf_counter() - started,
                   peak_rss_bytes=outcome.peak_rss_bytes, worker=outcome.worker)
