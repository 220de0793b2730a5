"""The catalog side of an ingest: run ids, replacing an earlier ingest of a run, and the
`runs`/`ingests` rows."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources

import duckdb

from gainsight_db.common.results import one_row
from gainsight_db.common.sql_text import quote_identifier
from gainsight_db.common.version import __version__

_CATALOG_TABLES = ("runs", "ingests")
# Tables whose rows of a run stay when the run is replaced by a simulation of the same inputs.
_KEPT_FOR_THE_SAME_INPUTS = ("sweep_points",)
# Tables without run_id whose rows belong to a run through the rows of a table with one: per table,
# (its key, the table holding that key with the run_id, the name users know the rows by, and how
# many of those one stored row holds: an SQL expression over the row).
HELD_THROUGH = {"_accesses": ("trace_id", "trace_files", "accesses", "len(addrs)"),
                "_generations": ("trace_id", "trace_files", "_generations", "1")}


@cache
def schema_objects() -> frozenset[str]:
    """The names of the tables and views the schema files define (each file is named after its
    object, which warehouse.schema checks)."""
    root = resources.files("gainsight_db.sql")
    return frozenset(item.name.removesuffix(".sql") for folder in root.iterdir() if folder.is_dir()
                     for item in folder.iterdir() if item.name.endswith(".sql"))


def fact_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table of the schema with a run_id column, other than the catalog itself. Tables a user
    made (gsdb query --write) are not the warehouse's: their rows are never deleted."""
    rows = con.execute(
        """
        SELECT DISTINCT c.table_name
        FROM duckdb_columns() AS c
        JOIN duckdb_tables() AS t ON t.table_name = c.table_name AND t.schema_name = c.schema_name
        WHERE c.column_name = 'run_id' AND c.schema_name = 'main' AND NOT t.temporary
        ORDER BY 1
        """
    ).fetchall()
    return [name for (name,) in rows if name in schema_objects() and name not in _CATALOG_TABLES]


def run_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every base table with a run_id column, the catalog included: where a run's rows are."""
    return [*_CATALOG_TABLES, *fact_tables(con)]


def claim_run_id(
    con: duckdb.DuckDBPyConnection, kind: str, source_path: str, inputs_sha256: str | None = None
) -> tuple[int, bool]:
    """The run id for a source: the existing one (after removing the run's rows) or a new one. The
    existing run is the one simulated from the same inputs (`inputs_sha256`, when given), else the
    one ingested from the same path.

    A run replaced by a simulation of the same inputs stays the points of sweeps that point at it
    (their sweep_points rows are kept: they name the simulation, not its rows).

    Returns (run_id, replaced).
    """
    row = None
    same_inputs = False
    if inputs_sha256 is not None:
        row = one_row(con, "SELECT run_id FROM runs WHERE kind = ? AND inputs_sha256 = ? ORDER BY run_id",
                      [kind, inputs_sha256])
        same_inputs = row is not None
    if row is None:
        row = one_row(con, "SELECT run_id FROM runs WHERE kind = ? AND source_path = ?", [kind, source_path])
    if row is None:
        next_id = one_row(con, "SELECT coalesce(max(run_id), 0) + 1 FROM runs")[0]
        return int(next_id), False
    run_id = int(row[0])
    _delete_held_rows(con, run_id)
    for table in fact_tables(con):
        if same_inputs and table in _KEPT_FOR_THE_SAME_INPUTS:
            continue
        con.execute(f"DELETE FROM {quote_identifier(table)} WHERE run_id = ?", [run_id])
    con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
    con.execute("UPDATE ingests SET status = 'replaced' WHERE run_id = ? AND status = 'loaded'", [run_id])
    return run_id, True


def _delete_held_rows(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, int]:
    """Delete a run's rows of the HELD_THROUGH tables (before the rows that hold them); the rows
    deleted, per the name users know them by."""
    removed = {}
    for table, (key, holder, known_as, holds) in HELD_THROUGH.items():
        key, holder, table = quote_identifier(key), quote_identifier(holder), quote_identifier(table)
        held = f"{key} IN (SELECT {key} FROM {holder} WHERE run_id = ?)"
        rows = con.execute(f"SELECT sum({holds}) FROM {table} WHERE {held}", [run_id]).fetchall()[0][0]
        con.execute(f"DELETE FROM {table} WHERE {held}", [run_id])
        if rows:
            removed[known_as] = int(rows)
    return removed


def remove_run(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, int]:
    """Delete every row of a run, in every table that carries run_id (its runs and ingests rows too)
    and in the tables whose rows belong to it through those (HELD_THROUGH); the rows deleted per
    table (tables without any left out). The caller owns the transaction."""
    removed = _delete_held_rows(con, run_id)
    for table in run_tables(con):
        rows = con.execute(f"DELETE FROM {quote_identifier(table)} WHERE run_id = ?", [run_id]).fetchall()[0][0]
        if rows:
            removed[table] = int(rows)
    return removed


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
