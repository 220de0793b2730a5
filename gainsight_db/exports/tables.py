"""`gsdb export parquet|csv`: every report table of the selected runs as a dataset for BI tools.

Layout: one folder per table, one file per run in it, each file holding the run_id column:

    OUT/<table>/run-<id>.parquet           (or .csv)
    OUT/technologies/data.parquet          reference tables, which are not per run (also
    OUT/technology_figures/data.parquet    technology_figures)
    OUT/_manifest.json                     every file with its table, run, row count and provenance

A table's folder opens with the default call of pandas (`read_parquet(OUT/"layer_stats")`),
pyarrow (`dataset`, `parquet.read_table`), polars (`read_parquet`) and DuckDB
(`read_parquet('OUT/layer_stats/**/*.parquet', hive_partitioning=true)`), with the warehouse's
rows and column types. The files are deliberately not in Hive `run_id=<id>/` folders: every one of
those readers would then add a partition column `run_id` of its own type (pyarrow and pandas a
dictionary, which they then refuse to merge with the files' INTEGER column; DuckDB a BIGINT).
ENUM columns are written as strings (Parquet has no enumeration type) and JSON columns as strings
holding the JSON text (a JSON-typed Parquet column reads as bytes in polars).

Parquet files are zstd-compressed, in row groups of up to 1,048,576 rows, and carry the
provenance in their key-value metadata (keys prefixed `gainsight_db.`). A (table, run) with no
rows writes no file. The whole folder is written beside OUT and moved into place at the end.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import duckdb

from gainsight_db.common.progress import NoProgress, Progress
from gainsight_db.common.sql_text import quote_identifier, quote_literal
from gainsight_db.common.staging import staged_folder
from gainsight_db.common.version import __version__
from gainsight_db.warehouse.schema import SCHEMA_VERSION

ROW_GROUP_ROWS = 1_048_576
RAW_TABLES = ("accesses",)  # exported only on request: one row per trace cell
REFERENCE_TABLES = ("technologies", "technology_figures")  # not per run: written once, as OUT/<table>/data.<format>


@dataclass(frozen=True)
class ExportedFile:
    table: str
    run_id: int | None  # None for a reference table, which is not per run
    path: str  # relative to the export folder
    rows: int


@dataclass
class DatasetExport:
    folder: Path
    files: list[ExportedFile] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        return sorted({f.table for f in self.files})


def exportable_tables(con: duckdb.DuckDBPyConnection, include_raw: bool) -> list[str]:
    """Every public table and view with a run_id column (the raw accesses only if asked)."""
    rows = con.execute(
        """
        SELECT DISTINCT table_name FROM duckdb_columns()
        WHERE schema_name = 'main' AND column_name = 'run_id' AND NOT internal
          AND table_name NOT LIKE '\\_%' ESCAPE '\\'
        ORDER BY 1
        """
    ).fetchall()
    return [name for (name,) in rows if include_raw or name not in RAW_TABLES]


def _provenance(run: dict, table: str, exported_at: str) -> dict[str, str]:
    return {
        "gainsight_db.table": table,
        "gainsight_db.run_id": str(run["run_id"]),
        "gainsight_db.run_name": run["name"],
        "gainsight_db.run_kind": run["kind"],
        "gainsight_db.source_path": run["source_path"] or "",
        "gainsight_db.ingest_id": "" if run["ingest_id"] is None else str(run["ingest_id"]),
        "gainsight_db.version": __version__,
        "gainsight_db.schema_version": str(SCHEMA_VERSION),
        "gainsight_db.duckdb_version": duckdb.__version__,
        "gainsight_db.exported_at": exported_at,
    }


def _select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SELECT of a table's rows as exported: JSON columns as VARCHAR (the JSON text)."""
    json_columns = [name for (name,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? AND data_type = 'JSON'",
        [table],
    ).fetchall()]
    replace = ", ".join(f"CAST({quote_identifier(c)} AS VARCHAR) AS {quote_identifier(c)}" for c in json_columns)
    return f"SELECT * {f'REPLACE ({replace}) ' if replace else ''}FROM {quote_identifier(table)}"


def _copy_options(fmt: str, metadata: dict[str, str]) -> str:
    if fmt == "csv":
        return "FORMAT csv, HEADER true"
    pairs = ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in metadata.items())
    return f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS}, KV_METADATA {{{pairs}}}"


def export_tables(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    fmt: str,
    run_ids: list[int] | None = None,
    include_raw: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
    protected: Iterable[Path] = (),
) -> DatasetExport:
    """Write every exportable table of the selected runs (all runs when run_ids is None) under `out`."""
    assert fmt in ("parquet", "csv")
    progress = progress or NoProgress()
    runs = [
        dict(zip(("run_id", "name", "kind", "source_path", "ingest_id"), row))
        for row in con.execute("SELECT run_id, name, kind, source_path, ingest_id FROM runs ORDER BY run_id").fetchall()
        if run_ids is None or row[0] in run_ids
    ]
    tables = exportable_tables(con, include_raw)
    exported_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    export = DatasetExport(out)
    with staged_folder(out, replace, protected) as stage:
        progress.start(len(tables) * len(runs), f"exporting {fmt}", "files")
        for table in tables:
            select = _select(con, table)
            (stage / table).mkdir()
            for run in runs:
                relative = Path(table) / f"run-{int(run['run_id'])}.{fmt}"
                path = stage / relative
                options = _copy_options(fmt, _provenance(run, table, exported_at))
                rows = con.execute(
                    f"COPY ({select} WHERE run_id = {int(run['run_id'])}) TO {quote_literal(str(path))} ({options})"
                ).fetchall()[0][0]
                if rows:
                    export.files.append(ExportedFile(table, run["run_id"], relative.as_posix(), int(rows)))
                else:
                    path.unlink()
                progress.advance(1, f"{table} ({run['name']})")
            if not any((stage / table).iterdir()):
                (stage / table).rmdir()
        for table in REFERENCE_TABLES:
            relative = Path(table) / f"data.{fmt}"
            (stage / table).mkdir()
            metadata = {"gainsight_db.table": table, "gainsight_db.version": __version__,
                        "gainsight_db.schema_version": str(SCHEMA_VERSION), "gainsight_db.exported_at": exported_at}
            rows = con.execute(
                f"COPY ({_select(con, table)}) TO {quote_literal(str(stage / relative))} ({_copy_options(fmt, metadata)})"
            ).fetchall()[0][0]
            export.files.append(ExportedFile(table, None, relative.as_posix(), int(rows)))
        manifest = {
            "format": fmt,
            "gainsight_db_version": __version__,
            "schema_version": SCHEMA_VERSION,
            "duckdb_version": duckdb.__version__,
            "exported_at": exported_at,
            "runs": runs,
            "files": [f.__dict__ for f in export.files],
        }
        (stage / "_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return export
