"""Checks every input CSV gets before DuckDB reads it: present, readable, not empty, not truncated."""

from __future__ import annotations

from pathlib import Path

from gainsight_db.common.errors import GsdbError


def read_head(path: Path, what: str, limit: int) -> bytes:
    """The first `limit` bytes of a text file that must exist, hold something, and end with a newline
    (SCALE-Sim ends every file with one, so a file cut short is caught here). `what` names the file
    kind in messages ('trace', 'report')."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(limit)
            if size:
                handle.seek(size - 1)
                last = handle.read(1)
    except FileNotFoundError as err:
        reason = "broken symbolic link" if path.is_symlink() else f"{what} file is missing"
        raise GsdbError(f"{path}: {reason}") from err
    except OSError as err:
        raise GsdbError(f"{path}: cannot read {what}: {err.strerror}") from err
    if size == 0 or not head.strip():
        raise GsdbError(f"{path}: {what} file is empty")
    if last != b"\n":
        raise GsdbError(f"{path}: {what} is truncated (the last line does not end with a newline)")
    return head
