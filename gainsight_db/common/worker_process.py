"""What a worker process (a sweep's point, or `gsdb simulate`'s SCALE-Sim) does first, and how it is
started.

Workers are started with `spawn`, never forked: a forked child would share the parent's open DuckDB
connection. They ignore Ctrl-C, which is the parent's to handle (the parent ends them), and end
themselves within a second of their parent's death (killed), so that no simulation goes on for
nobody. POSIX only (Linux, macOS): signal masks and the parent's pid are how they do it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import types
from typing import Iterator

_PARENT_CHECK_S = 0.25


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(_PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(1)


def start_worker(parent: int) -> None:
    """In each worker, first: Ctrl-C is the parent's (ignored here, then let through: a Ctrl-C
    pending since the worker started is dropped); end with the parent (pid `parent`). SCALE-Sim's
    (disabled) tqdm bars would each make a multiprocessing lock, a named semaphore that a worker
    stopped mid-work would leave for the resource tracker to warn about: a thread lock does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=_watch_parent, args=(parent,), name="gsdb-parent-watch", daemon=True).start()
    try:
        from tqdm import tqdm
    except ImportError:
        return
    tqdm.set_lock(threading.RLock())


_STARTING = threading.Lock()


@contextlib.contextmanager
def starting_workers() -> Iterator[None]:
    """Processes started inside this block (in this thread)

    - do not see Ctrl-C until they ignore it (`start_worker`): SIGINT is blocked in this thread while
      they start, and a process starts with the signals blocked of the thread that started it. This
      process still gets a Ctrl-C (another of its threads takes it, or this one once the block
      ends), so it is delayed by the start, not lost.
    - do not run the caller's main script again: `spawn` would import it in each worker, running
      whatever a script not guarded by `if __name__ == "__main__"` does (such as a simulation).
      Workers run functions of this package, which they import by name. `__main__` is swapped for
      an empty module only during the start, one thread at a time.
    """
    with _STARTING:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        had_main = "__main__" in sys.modules
        main = sys.modules.get("__main__")
        try:
            sys.modules["__main__"] = types.ModuleType("__main__")
            yield
        finally:
            if had_main:
                sys.modules["__main__"] = main
            else:
                sys.modules.pop("__main__", None)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
