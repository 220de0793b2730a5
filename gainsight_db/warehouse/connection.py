"""Opening the warehouse: which file, DuckDB settings, and a schema that fits this version."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import one_line
from gainsight_db.warehouse.schema import (
    SCHEMA_VERSION,
    ensure_schema,
    refuse_newer,
    stored_version,
)

DEFAULT_DB = Path("warehouse") / "gainsight.duckdb"
DB_ENV = "GSDB_DB"
# DuckDB's own default is 80% of the machine's memory; the warehouse asks for less and spills the
# rest to disk (a full ResNet-18 run then peaks under 2 GB resident). --memory-limit overrides it.
DEFAULT_MEMORY_LIMIT = "1.5GB"


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


@dataclass(frozen=True)
class EngineSettings:
    """DuckDB resource settings; None keeps the default (DuckDB's, or DEFAULT_MEMORY_LIMIT)."""

    threads: int | None = None
    memory_limit: str | None = None  # None: DEFAULT_MEMORY_LIMIT
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
    if not path.exists():
        if not create:
            raise GsdbError(f"{path}: no warehouse here (run `gsdb ingest` first, or pass --db)")
        if read_only:
            raise GsdbError(f"{path}: no warehouse here")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path.is_dir():
        raise GsdbError(f"{path}: is a folder, not a warehouse file")
    settings = settings or EngineSettings()
    config: dict[str, str | int] = {}
    if settings.threads:
        config["threads"] = settings.threads
    config["memory_limit"] = settings.memory_limit or DEFAULT_MEMORY_LIMIT
    # Spill next to the warehouse unless told otherwise.
    config["temp_directory"] = str(settings.temp_dir or path.parent / (path.name + ".tmp"))
    con = _connect(path, read_only, config)
    try:
        if not read_only:
            ensure_schema(con, str(path))
            return con
        version = stored_version(con)
        if version is None:
            raise GsdbError(f"{path}: not a gainsight-db warehouse (no schema version)")
        refuse_newer(version, str(path))
        if version < SCHEMA_VERSION:
            # An older warehouse is brought up to date (briefly writable), then opened read-only.
            con.close()
            with _connect(path, False, config) as writable:
                ensure_schema(writable, str(path))
            con = _connect(path, True, config)
    except Exception:
        con.close()
        raise
    return con


def _connect(path: Path, read_only: bool, config: dict[str, str | int]) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as err:
        raise GsdbError(f"{path}: cannot open as a DuckDB warehouse: {one_line(err)}") from err
    # DuckDB's own progress bar writes to stdout, where it would corrupt results piped as CSV or JSON.
    con.execute("SET enable_progress_bar = false")
    return con
