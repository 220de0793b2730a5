"""A new warehouse starts as a copy of an empty one.

Creating the schema (every table, view and macro of sql/, their comments, the default technology
figures) takes DuckDB about 0.4 s, on every new warehouse: every `gsdb ingest --db NEW`, every sweep
point, every test. So the first new warehouse is made once more, empty, in the cache folder
(`$GSDB_CACHE_DIR`, else `$XDG_CACHE_HOME/gainsight-db`, else `~/.cache/gainsight-db`), and every
new warehouse is a copy of it (a 1 MB file, copied in milliseconds).

The empty warehouse's name carries a digest of everything it is made from: the schema version, the
schema files, the shipped figures, the code that loads them, and DuckDB's version. A change to any
of them makes a new one; old ones are left, and are small.

A copy is written under a temporary name beside the new warehouse and linked into place whole, only
if no file is there yet, so a warehouse is never written over and no process sees half a copy. When
the cache cannot be used (no permission, a full disk, a file system without links), the warehouse is
created in place as before; an empty warehouse DuckDB cannot open is removed with the copy made of
it. An empty warehouse is made under a temporary name and renamed into place, so a process killed
while making one leaves no broken copy; its temporary file is removed by the next process that
makes one.
"""

from __future__ import annotations

import hashlib
import os
import time
from importlib import resources
from pathlib import Path

import duckdb

CACHE_ENV = "GSDB_CACHE_DIR"
_PREFIX = "empty-warehouse-"
_LEFTOVER_AGE_S = 600  # a temporary file older than this was left by a process that was killed


def cache_folder() -> Path:
    """Where the empty warehouse is kept."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "gainsight-db"


def _sources() -> list[bytes]:
    """Everything an empty warehouse is made from."""
    from gainsight_db.warehouse import schema

    package = resources.files("gainsight_db")
    parts = [f"schema {schema.SCHEMA_VERSION}, duckdb {duckdb.__version__}".encode()]
    parts += [f"{path}\0{text}".encode() for path, text in sorted(schema._sql_files().items())]
    data = package.joinpath("data")
    parts += [item.name.encode() + b"\0" + item.read_bytes()
              for item in sorted(data.iterdir(), key=lambda p: p.name) if item.is_file()]
    for module, name in (("gainsight_db.warehouse", "schema.py"), ("gainsight_db.loaders", "technologies.py")):
        parts.append(resources.files(module).joinpath(name).read_bytes())
    return parts


def template_path() -> Path:
    digest = hashlib.sha256()
    for part in _sources():
        digest.update(hashlib.sha256(part).digest())
    return cache_folder() / f"{_PREFIX}{digest.hexdigest()[:20]}.duckdb"


def _remove_leftovers(folder: Path) -> None:
    now = time.time()
    for item in folder.glob(f".{_PREFIX}*"):
        try:
            if now - item.stat().st_mtime > _LEFTOVER_AGE_S:
                item.unlink()
        except OSError:
            pass


def _make_template(target: Path) -> None:
    """Make the empty warehouse `target` (under a temporary name, renamed into place)."""
    from gainsight_db.warehouse.schema import ensure_schema

    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target.parent)
    temporary = target.parent / f".{target.name}.{os.getpid()}.{time.monotonic_ns()}"
    try:
        con = duckdb.connect(str(temporary))
        try:
            ensure_schema(con, str(temporary))
        finally:
            con.close()  # a checkpoint: everything is in the file, no write-ahead log is left
        os.replace(temporary, target)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)


def copy_of_template(path: Path) -> bool:
    """Create the warehouse file `path`, which must not exist, as a copy of the empty warehouse
    (made first if it is not in the cache). The copy is written beside `path` under a temporary name
    (`.NAME.PID.*.partial`, removed by the next open of `path` if this process dies) and linked into
    place whole, only if nothing is there yet: no other process sees a half-written file, and none
    is ever written over. False, with nothing left at `path`, when that cannot be done: the caller
    then creates the schema itself (as it does after `discard_copy` when DuckDB cannot open the
    copy)."""
    import shutil
    import tempfile

    try:
        template = template_path()
        if not template.is_file():
            _make_template(template)
    except (OSError, duckdb.Error):
        return False
    temporary = None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".partial", dir=path.parent)
        os.close(handle)
        temporary = Path(name)
        shutil.copyfile(template, temporary)
        os.link(temporary, path)  # fails, changing nothing, if a file is there
    except OSError:
        return False
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    return True


def adopt_copy(con: duckdb.DuckDBPyConnection) -> None:
    """Make a fresh copy (just opened as `con`) a warehouse of its own: the one thing it would hold
    differently had it been made in place is when its default technology figures were loaded."""
    from gainsight_db.loaders.technologies import mark_loaded_now

    mark_loaded_now(con)


def discard_copy(path: Path) -> None:
    """Remove the copy `copy_of_template` made at `path`, which DuckDB could not open, and the
    empty warehouse it came from."""
    path.unlink(missing_ok=True)
    try:
        template_path().unlink(missing_ok=True)
    except OSError:
        pass
