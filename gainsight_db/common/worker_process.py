"""What a worker process (a sweep's point, or `gsdb simulate`'s SCALE-Sim) does first, and how it is
started.

Workers are started with `spawn`, never forked: a forked child would share the parent's open DuckDB
connection. They ignore Ctrl-C, which is the parent's to handle (the parent ends them), and end
themselves within a second of their parent's death (killed), so that no simulation goes on for
nobody.
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
    """In each worker, first: Ctrl-C is the parent's; end with the parent (pid `parent`). SCALE-Sim's
    (disabled) tqdm bars would each make a multiprocessing lock, a named semaphore that a worker
    stopped mid-work would leave for the resource tracker to warn about: a thread lock does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), name="gsdb-parent-watch", daemon=True).start()
    try:
        from tqdm import tqdm
    except ImportError:
        return
    tqdm.set_lock(threading.RLock())


@contextlib.contextmanager
def starting_workers() -> Iterator[None]:
    """Processes started inside this block

    - ignore Ctrl-C from the start (an ignored signal stays ignored across exec, and Python then
      installs no KeyboardInterrupt handler), so that a Ctrl-C while a worker is still starting up
      prints nothing from it;
    - do not run the caller's main script again: `spawn` would import it in each worker, running
      whatever a script not guarded by `if __name__ == "__main__"` does (such as a simulation).
      Workers run functions of this package, which they import by name.

    Only the main thread can change signal handlers; elsewhere Ctrl-C is left as it is (a worker
    ignores it once `start_worker` ran)."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
    try:
        yield
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
        if main is not None:
            sys.modules["__main__"] = main
