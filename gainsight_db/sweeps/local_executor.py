"""`--executor local`: the points run in worker processes on this machine.

Workers are started with `spawn`, never forked: a forked child would share the coordinator's open
DuckDB connection. Each worker runs points one after the other (`run_point`); they ignore Ctrl-C,
which is the coordinator's to handle: closing `execute` early cancels the queued points and
terminates the workers. A worker whose coordinator has died (killed) ends itself within a second,
so that no simulation goes on for nobody.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator, Sequence

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.worker_process import starting_workers, start_worker
from gainsight_db.sweeps.execution import PointOutcome, PointTask, run_point


def make_executor() -> LocalExecutor:
    return LocalExecutor()


class LocalExecutor:
    name = "local"

    def execute(self, tasks: Sequence[PointTask], jobs: int) -> Iterator[tuple[PointTask, PointOutcome | BaseException]]:
        if not tasks:
            return
        pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(tasks))),
                                   mp_context=multiprocessing.get_context("spawn"),
                                   initializer=start_worker, initargs=(os.getpid(),))
        finished = False
        try:
            with starting_workers():  # the workers start at the first submit
                pending = {pool.submit(run_point, task): task for task in tasks}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: pending[f].point):
                    task = pending.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        yield task, GsdbError("the worker process running this point ended unexpectedly "
                                              "(killed, or out of memory?)")
                    except Exception as err:  # the point's failure, raised in the worker
                        yield task, err
                    else:
                        yield task, outcome
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:
                _stop(pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued points and end the workers now (the running points' results are dropped)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join(timeout=10)
