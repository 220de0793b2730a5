"""Opening the warehouse: which file, DuckDB settings, and a schema that fits this version."""

from __future__ import annotations

import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import one_line
from gainsight_db.common.staging import recover
from gainsight_db.warehouse.schema import (
    SCHEMA_VERSION,
    ensure_schema,
    refuse_newer,
    stored_version,
)
from gainsight_db.warehouse.template import adopt_copy, copy_of_template, discard_copy

DEFAULT_DB = Path("warehouse") / "gainsight.duckdb"
DB_ENV = "GSDB_DB"
# DuckDB's own default is 80% of the machine's memory; the warehouse asks for less and spills the
# rest to disk (a full ResNet-18 run then peaks under 2 GB resident). --memory-limit overrides it.
DEFAULT_MEMORY_LIMIT = "1.5GB"
# Read-only connections stream their results, so memory beyond what a sort or join needs buys little:
# they default to less, and DuckDB spills a large sort to the spill folder (docs/performance.md).
READ_ONLY_MEMORY_LIMIT = "256MB"


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


@dataclass(frozen=True)
class EngineSettings:
    """DuckDB resource settings; None keeps the default (DuckDB's, or DEFAULT_MEMORY_LIMIT)."""

    threads: int | None = None
    memory_limit: str | None = None  # None: DEFAULT_MEMORY_LIMIT (READ_ONLY_MEMORY_LIMIT read-only)
    temp_dir: Path | None = None


def open_warehouse(
    path: Path,
    *,
    create: bool = True,
    read_only: bool = False,
    settings: EngineSettings | None = None,
) -> duckdb.DuckDBPyConnection:
    """Connect to the warehouse at `path`, creating or upgrading its schema when needed.

    With create=False a missing file is an error rather than a new, empty warehouse.
    """
    path = Path(path)
    copied = False
    if not path.exists():
        if not create:
            raise GsdbError(f"{path}: no warehouse here (run `gsdb ingest` first, or pass --db)")
        if read_only:
            raise GsdbError(f"{path}: no warehouse here")
        path.parent.mkdir(parents=True, exist_ok=True)
        copied = copy_of_template(path)  # else the schema is created below
    elif path.is_dir():
        raise GsdbError(f"{path}: is a folder, not a warehouse file")
    settings = settings or EngineSettings()
    config: dict[str, str | int] = {}
    if settings.threads:
        config["threads"] = settings.threads
    config["memory_limit"] = settings.memory_limit or (READ_ONLY_MEMORY_LIMIT if read_only else DEFAULT_MEMORY_LIMIT)
    config["temp_directory"] = str(spill_folder(path, settings))
    if not read_only:
        # A large append (an ingest) writes each row group to the file as soon as it is full, not five
        # at a time: DuckDB compresses them while the next traces are parsed, not in one long stop
        # (docs/performance.md).
        config["write_buffer_row_group_count"] = 1
    if read_only:
        con = _connect_waiting(path, config)
    elif copied:
        try:
            con = _connect(path, False, config)
        except GsdbError as err:
            if _is_lock_conflict(err):  # another process opened the new warehouse first: it is theirs
                raise
            discard_copy(path)  # a broken copy: made again from the schema files
            con = _connect(path, False, config)
        else:
            adopt_copy(con)
    else:
        con = _connect(path, False, config)
    try:
        if not read_only:
            if settings.temp_dir is None:
                _remove_stale_spill(spill_folder(path, settings))
            recover(path)  # a copy left by a killed compaction
            ensure_schema(con, str(path))
            return con
        version = stored_version(con)
        if version is None:
            raise GsdbError(f"{path}: not a gainsight-db warehouse (no schema version)")
        refuse_newer(version, str(path))
        if version < SCHEMA_VERSION:
            con.close()
            _upgrade(path, config)
            con = _connect_waiting(path, config)
    except Exception:
        con.close()
        raise
    return con


# How long a read-only open waits for another process that holds the warehouse (upgrading it, or
# writing to it) before it gives up.
LOCK_WAIT_S = 30.0


def _retry_while_locked(attempt):
    """`attempt()`, tried again with a growing, jittered pause while another process holds the
    warehouse (up to LOCK_WAIT_S); any other failure, or one past the wait, is raised."""
    deadline = time.monotonic() + LOCK_WAIT_S
    delay = 0.05
    while True:
        try:
            return attempt()
        except GsdbError as err:
            if not _is_lock_conflict(err) or time.monotonic() > deadline:
                raise
        time.sleep(delay * random.uniform(0.5, 1.5))  # jitter: waiting processes do not move in step
        delay = min(delay * 2, 1.0)


def _connect_waiting(path: Path, config: dict[str, str | int]) -> duckdb.DuckDBPyConnection:
    """A read-only connection, waiting while another process holds the warehouse for writing."""
    return _retry_while_locked(lambda: _connect(path, True, config))


def _upgrade(path: Path, config: dict[str, str | int]) -> None:
    """Bring an older warehouse up to date before a read-only open: briefly writable. Several
    read-only commands may start at once on the same old warehouse; one upgrades it while the others
    wait for the lock, then find it current."""

    def attempt() -> None:
        try:
            writable = _connect(path, False, config)
        except GsdbError as err:
            if _is_lock_conflict(err) and _is_current(path, config):
                return  # another process upgraded it
            raise
        with writable:
            ensure_schema(writable, str(path))

    _retry_while_locked(attempt)


def _is_current(path: Path, config: dict[str, str | int]) -> bool:
    try:
        with _connect(path, True, config) as reader:
            return stored_version(reader) == SCHEMA_VERSION
    except GsdbError:
        return False  # still held for writing


def _is_lock_conflict(err: GsdbError) -> bool:
    return "Could not set lock" in str(err.__cause__ or err)


def spill_folder(path: Path, settings: EngineSettings | None = None) -> Path:
    """Where DuckDB spills beyond its memory limit: --temp-dir, or a folder next to the warehouse."""
    given = settings.temp_dir if settings is not None else None
    return Path(given) if given is not None else path.parent / (path.name + ".tmp")


def _remove_stale_spill(folder: Path) -> None:
    """The default spill folder of a warehouse just opened writable holds nothing in use: no other
    process can have the warehouse open (DuckDB locks the file), so what is there was left by a
    process that was killed."""
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)


def _connect(path: Path, read_only: bool, config: dict[str, str | int]) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as err:
        raise GsdbError(f"{path}: cannot open as a DuckDB warehouse: {one_line(err)}") from err
    # DuckDB's own progress bar writes to stdout, where it would corrupt results piped as CSV or JSON.
    con.execute("SET enable_progress_bar = false")
    return con
