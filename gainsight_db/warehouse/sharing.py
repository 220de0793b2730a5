"""Who has a warehouse open, so that compaction (which moves a new file over the warehouse) never
happens under anyone's feet.

Every `connect` holds a shared lock on a file beside the warehouse (`NAME.lock`) while it is open;
compaction needs the lock exclusive, which it gets only when no other connection, in this process or
another, has the warehouse open. A connection that starts while a compaction runs waits for it.
Where file locks are not available (no `fcntl`, or a folder that cannot be written), nothing is
locked and compaction refuses to run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from gainsight_db.common.errors import GsdbError

try:
    import fcntl
except ImportError:  # not a POSIX system
    fcntl = None  # type: ignore[assignment]

WAIT_S = 30.0


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


class SharedUse:
    """A shared hold on a warehouse for as long as a connection is open."""

    def __init__(self, warehouse: Path) -> None:
        self.path = lock_path(warehouse)
        self._fd: int | None = None
        if fcntl is None or not warehouse.parent.is_dir():
            return
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            return  # a read-only folder: nobody can compact it either
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.release()
                    raise GsdbError(f"{warehouse}: being compacted by another process for over {WAIT_S:.0f} s")
                time.sleep(0.05)

    def exclusive(self) -> bool:
        """Try to become the only user (no other connection open); False if someone else is."""
        if self._fd is None:
            return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            fcntl.flock(self._fd, fcntl.LOCK_SH)  # a failed conversion may have dropped the shared hold
            return False

    def shared(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
