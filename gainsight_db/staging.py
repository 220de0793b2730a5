"""Writing an output folder all at once: files go to a hidden temporary folder beside the target,
which is moved into place only when everything is written, so a failed export leaves nothing
half-written behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from gainsight_db.errors import GsdbError


def check_target(target: Path, replace: bool) -> None:
    """Refuse a target that is a file, or a non-empty folder unless `replace`."""
    if target.exists() and not target.is_dir():
        raise GsdbError(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not replace:
        raise GsdbError(f"{target}: folder exists and is not empty (use --replace to overwrite it)")


@contextmanager
def staged_folder(target: Path, replace: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it becomes `target` (replacing it if allowed)."""
    check_target(target, replace)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the result is an ordinary folder
    except OSError as err:
        raise GsdbError(f"{target.parent}: cannot create folder: {err.strerror}") from err
    try:
        yield staging
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _move_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    retired = target.with_name(f".{target.name}.{os.getpid()}.old")
    target.rename(retired)
    try:
        staging.rename(target)
    except BaseException:
        retired.rename(target)
        raise
    shutil.rmtree(retired, ignore_errors=True)
