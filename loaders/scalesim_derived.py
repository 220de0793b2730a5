"""What a SCALE-Sim run's views need, computed once at ingest from the SQL definitions.

`_generations_of` (which write owns each read) and `_layer_stats_of` (per-layer statistics) are
table macros in `sql/lifetimes/`; this module fills their tables, `_generations` and `_layer_stats`,
one (run, layer, buffer) at a time. At ingest the rows of one layer and buffer are loaded into a
small staging table first and derived from there, so each sort sees only that layer and buffer
(it fits in memory whatever the size of the run) and never scans the rest of the run.
"""

from __future__ import annotations

import duckdb

from gainsight_db.common.buffers import BUFFERS
from gainsight_db.common.sql_text import quote_identifier, quote_literal

# (table, the table macro that computes it for one run, layer and buffer); in this order, because
# _layer_stats_of reads _generations.
DERIVED = (("_generations", "_generations_of"), ("_layer_stats", "_layer_stats_of"))
CHUNK_TABLE = "_chunk_accesses"


def derive_chunk(con: duckdb.DuckDBPyConnection, source: str, run_id: int, layer: int, buffer: str) -> None:
    """Add the derived rows of one (run, layer, buffer), reading its accesses from table `source`."""
    for table, macro in DERIVED:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {macro}({quote_literal(source)}, "
                    f"{int(run_id)}, {int(layer)}, {quote_literal(buffer)})")


def create_chunk_table(con: duckdb.DuckDBPyConnection) -> str:
    """An empty temporary table shaped like accesses, for the rows of one layer and buffer."""
    # Spelled-out columns: under DuckDB 2.0, a table made with `CREATE TABLE ... AS FROM accesses
    # LIMIT 0` inside the ingest's transaction returned no rows to scans once a few hundred thousand
    # rows were inserted (count(*) still saw them).
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND table_name = 'accesses' ORDER BY column_index"
    ).fetchall()
    definition = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHUNK_TABLE} ({definition})")
    return CHUNK_TABLE


def flush_chunk(con: duckdb.DuckDBPyConnection, run_id: int, layer: int, buffer: str) -> None:
    """Derive the staged layer and buffer, move its rows into accesses, and empty the staging table."""
    derive_chunk(con, CHUNK_TABLE, run_id, layer, buffer)
    con.execute(f"INSERT INTO accesses FROM {CHUNK_TABLE}")
    con.execute(f"DELETE FROM {CHUNK_TABLE}")


def drop_chunk_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {CHUNK_TABLE}")


def derive_run(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """(Re)compute the derived rows of one run from the accesses table (upgrades, tests)."""
    for table, _ in DERIVED:
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    layers = con.execute("SELECT layer FROM compute_report WHERE run_id = ? ORDER BY layer", [run_id]).fetchall()
    for (layer,) in layers:
        for buffer in BUFFERS:
            derive_chunk(con, "accesses", run_id, layer, buffer)


def derive_all(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the derived rows of every SCALE-Sim run (used when a warehouse is upgraded)."""
    for (run_id,) in con.execute("SELECT run_id FROM runs WHERE kind = 'scalesim' ORDER BY run_id").fetchall():
        derive_run(con, run_id)
