"""Writing an output folder (or file) all at once: files go to a hidden temporary folder beside the
target, which is moved into place only when everything is written, so a failed export leaves
nothing half-written behind.

What is never written over: the `protected` paths a caller names (the warehouse, its write-ahead log
and spill folder), nor a folder holding one of them. An existing folder is replaced only when asked
and only if it is an earlier export (it carries the EXPORT_MARKER file this module writes into every
folder it moves into place).

Hidden work files carry the id of the process that made them (`.NAME.PID.*.partial`,
`.NAME.PID.old`, and `.NAME.PID.compact` for a warehouse being compacted). A later write of the same target removes those whose process has ended, and puts
an earlier export back if a crash came between moving it aside and moving the new one in.

`work_folder` makes such a folder beside the warehouse for work in progress (the trace shards of
`gsdb simulate` and `gsdb sweep`), removed when the work ends; one left by a killed process is
removed by the next one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from gainsight_db.common.errors import GsdbError

EXPORT_MARKER = ".gainsight-db-export"
_LEGACY_MANIFEST = "_manifest.json"  # dataset exports made before the marker existed


def _covers(target: Path, protected: Path) -> bool:
    """Whether writing (or replacing) `target` would touch `protected`, or be lost with it (a file
    inside a protected folder, such as the spill folder, which is cleared)."""
    try:
        target, protected = target.resolve(), protected.resolve()
    except OSError:
        return False
    return target == protected or target in protected.parents or protected in target.parents


def refuse_protected(target: Path, protected: Iterable[Path]) -> None:
    """A target that is, or holds, a protected path is refused."""
    for path in protected:
        if _covers(Path(target), Path(path)):
            target_, path_ = Path(target).resolve(), Path(path).resolve()
            what = "is" if target_ == path_ else "is inside" if path_ in target_.parents else "holds"
            raise GsdbError(f"{target}: {what} the warehouse's {Path(path).name}; refusing to write there")


def is_earlier_export(folder: Path) -> bool:
    """A folder an export of gainsight-db wrote: it holds the marker, or (dataset exports made
    before the marker) a manifest that gainsight-db wrote."""
    if (folder / EXPORT_MARKER).is_file():
        return True
    try:
        manifest = json.loads((folder / _LEGACY_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and {"gainsight_db_version", "schema_version", "files"} <= manifest.keys()


def check_target(target: Path, replace: bool, protected: Iterable[Path] = ()) -> None:
    """Refuse a target that is a file, holds a protected path, or is a non-empty folder unless
    `replace` and it is an earlier export."""
    refuse_protected(target, protected)
    if target.exists() and not target.is_dir():
        raise GsdbError(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not replace:
            raise GsdbError(f"{target}: folder exists and is not empty (use --replace to overwrite it)")
        if not is_earlier_export(target):
            raise GsdbError(f"{target}: folder is not an earlier gainsight-db export (no {EXPORT_MARKER} file); "
                            "refusing to replace it: remove it yourself or choose another folder")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(target: Path) -> None:
    """Clean up after an earlier process that died writing `target`: restore a moved-aside export if
    `target` is missing, and remove its other work files."""
    parent = target.parent
    if not parent.is_dir():
        return
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.(?:[^.]+\.partial|old|compact)$")
    for leftover in sorted(parent.iterdir()):
        match = pattern.match(leftover.name)
        if not match or _alive(int(match.group(1))):
            continue
        if leftover.name.endswith(".old") and not target.exists() and not target.is_symlink():
            leftover.rename(target)
        elif leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


@contextmanager
def staged_folder(target: Path, replace: bool = False, protected: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it becomes `target` (replacing an earlier export if
    allowed), marked as an export."""
    target = Path(os.path.abspath(target))
    protected = list(protected)
    recover(target)
    check_target(target, replace, protected)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".partial", dir=target.parent))
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the result is an ordinary folder
    except OSError as err:
        raise GsdbError(f"{target.parent}: cannot create folder: {err.strerror}") from err
    try:
        yield staging
        (staging / EXPORT_MARKER).write_text("written by gainsight-db; `--replace` may replace this folder\n",
                                             encoding="utf-8")
        check_target(target, replace, protected)  # the target may have changed while writing
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


@contextmanager
def staged_file(out: Path, replace: bool = False, protected: Iterable[Path] = ()) -> Iterator[BinaryIO]:
    """Yield a binary file open for writing beside `out` (`.NAME.PID.*.partial`); when the block ends
    without an error it is moved into place as `out`, otherwise removed. `out` is never half-written,
    an existing file is overwritten only if `replace`, and a protected path never."""
    out = Path(os.path.abspath(out))
    refuse_protected(out, protected)
    recover(out)
    if out.is_dir():
        raise GsdbError(f"{out}: is a folder, expected a file path")
    if out.exists() and not replace:
        raise GsdbError(f"{out}: file exists (use --replace to overwrite it)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".partial", dir=out.parent)
    except OSError as err:
        raise GsdbError(f"{out.parent}: cannot write: {err.strerror}") from err
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(content: str | bytes, out: Path, replace: bool = False, protected: Iterable[Path] = ()) -> None:
    """Write `content` to the file `out` through a temporary file beside it (see `staged_file`)."""
    with staged_file(out, replace, protected) as stream:
        stream.write(content.encode("utf-8") if isinstance(content, str) else content)


@contextmanager
def work_folder(beside: Path, what: str) -> Iterator[Path]:
    """A fresh hidden folder `.NAME.PID.<what>_<random>.partial` beside `beside` (the warehouse) for
    this process's work in progress, removed with everything in it when the work ends, however it
    ends. The folders that processes no longer running left there are removed first."""
    beside = Path(os.path.abspath(beside))
    recover(beside)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{beside.name}.{os.getpid()}.{what}_", suffix=".partial",
                                       dir=beside.parent))
    except OSError as err:
        raise GsdbError(f"{beside.parent}: cannot create a work folder: {err.strerror}") from err
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
