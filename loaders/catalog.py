"""The catalog side of an ingest: run ids, replacing an earlier ingest of a run, and the
`runs`/`ingests` rows."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from gainsight_db.common.version import __version__

_CATALOG_TABLES = ("runs", "ingests")


def fact_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every base table with a run_id column, other than the catalog itself."""
    rows = con.execute(
        """
        SELECT DISTINCT c.table_name
        FROM duckdb_columns() AS c
        JOIN duckdb_tables() AS t ON t.table_name = c.table_name AND t.schema_name = c.schema_name
        WHERE c.column_name = 'run_id' AND c.schema_name = 'main' AND NOT t.temporary
        ORDER BY 1
        """
    ).fetchall()
    return [name for (name,) in rows if name not in _CATALOG_TABLES]


def claim_run_id(con: duckdb.DuckDBPyConnection, kind: str, source_path: str) -> tuple[int, bool]:
    """The run id for a source: the existing one (after removing the run's rows) or a new one.

    Returns (run_id, replaced).
    """
    row = con.execute(
        "SELECT run_id FROM runs WHERE kind = ? AND source_path = ?", [kind, source_path]
    ).fetchone()
    if row is None:
        next_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()[0]
        return int(next_id), False
    run_id = int(row[0])
    for table in fact_tables(con):
        con.execute(f'DELETE FROM "{table}" WHERE run_id = ?', [run_id])
    con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
    con.execute("UPDATE ingests SET status = 'replaced' WHERE run_id = ? AND status = 'loaded'", [run_id])
    return run_id, True


def next_ingest_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests").fetchone()[0])


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def record_run(con: duckdb.DuckDBPyConnection, columns: dict[str, object]) -> None:
    names = list(columns)
    placeholders = ", ".join("?" for _ in names)
    con.execute(
        f"INSERT INTO runs ({', '.join(names)}) VALUES ({placeholders})", [columns[n] for n in names]
    )


def record_ingest(
    con: duckdb.DuckDBPyConnection,
    *,
    ingest_id: int,
    run_id: int,
    started_at: dt.datetime,
    source_path: str,
    loader: str,
    files: list[dict[str, object]],
    rows_loaded: int,
) -> None:
    con.execute(
        """
        INSERT INTO ingests (ingest_id, run_id, started_at, finished_at, status, source_path, loader, files,
                             rows_loaded, gainsight_db_version, duckdb_version)
        VALUES (?, ?, ?, ?, 'loaded', ?, ?, CAST(? AS JSON)::STRUCT(path VARCHAR, size_bytes BIGINT, sha256 VARCHAR)[],
                ?, ?, ?)
        """,
        [
            ingest_id, run_id, started_at, utc_now(), source_path, loader, json.dumps(files), rows_loaded,
            __version__, duckdb.__version__,
        ],
    )
