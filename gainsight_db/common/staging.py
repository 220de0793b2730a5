"""Writing an output folder (or file) all at once: files go to a hidden temporary folder beside the target,
which is moved into place only when everything is written, so a failed export leaves nothing
half-written behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from gainsight_db.common.errors import GsdbError


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


def write_atomically(content: str | bytes, out: Path, replace: bool = False) -> None:
    """Write `content` to the file `out` through a temporary file beside it: `out` is never
    half-written, and an existing file is overwritten only if `replace`."""
    if out.is_dir():
        raise GsdbError(f"{out}: is a folder, expected a file path")
    if out.exists() and not replace:
        raise GsdbError(f"{out}: file exists (use --replace to overwrite it)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    except OSError as err:
        raise GsdbError(f"{out.parent}: cannot write: {err.strerror}") from err
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
