"""What a SCALE-Sim run's views need, computed once at ingest from the SQL definitions.

`_generations_of` (which write owns each read) and `_layer_stats_of` (per-layer statistics) are
table macros in `sql/lifetimes/`; this module fills their tables, `_generations` and `_layer_stats`,
one (run, layer, buffer) at a time. At ingest they read that layer and buffer's accesses straight
from the Arrow table its two traces were parsed into, before it is appended to `accesses`: each
query sees only that layer and buffer (it fits in memory whatever the size of the run), and nothing
is staged or copied on the way. DuckDB reads the Arrow tables through Python variables, which it does
not keep once a statement ends (a table registered on the connection would stay alive until the
ingest's transaction ends, and with it every layer's accesses).
"""

from __future__ import annotations

import duckdb

from gainsight_db.loaders.scalesim_traces import insert_accesses

from gainsight_db.common.buffers import BUFFERS, LEVELS


def _derive(con: duckdb.DuckDBPyConnection, accesses, run_id: int, layer: int, buffer: str) -> None:
    """Add the derived rows of one (run, layer, buffer) from its accesses (level, cycle, addr; only
    those): the name of a table or view, or an Arrow table."""
    run, lay, buf = int(run_id), int(layer), f"'{buffer}'"
    # DuckDB reads a Python variable named in a query from the frame that runs the query.
    _layer_accesses = accesses  # noqa: F841
    name = accesses if isinstance(accesses, str) else "_layer_accesses"
    _layer_generations = con.sql(  # noqa: F841
        f"SELECT * FROM _generations_of('{name}', {run}, {lay}, {buf})").to_arrow_table()
    con.execute("INSERT INTO _generations BY NAME SELECT * FROM _layer_generations")
    con.execute(f"INSERT INTO _layer_stats BY NAME SELECT * FROM _layer_stats_of('{name}', "
                f"'_layer_generations', {run}, {lay}, {buf})")


def load_buffer(con: duckdb.DuckDBPyConnection, run_id: int, layer: int, buffer: str, traces: dict) -> None:
    """Derive one (run, layer, buffer)'s generations and statistics from its traces' accesses
    (`traces`: level -> TraceAccesses), then append the accesses to accesses."""
    import numpy as np
    import pyarrow as pa

    levels = pa.array(LEVELS)
    _layer_accesses = pa.Table.from_batches([
        pa.record_batch({
            "level": pa.DictionaryArray.from_arrays(np.full(len(found.cycles), LEVELS.index(level), np.int8), levels),
            "cycle": found.cycles,
            "addr": found.addrs,
        })
        for level, found in traces.items()
    ])
    _derive(con, _layer_accesses, run_id, layer, buffer)
    del _layer_accesses
    for level, found in traces.items():
        insert_accesses(con, found, run_id, layer, buffer, level)


def derive_run(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """(Re)compute the derived rows of one run from the accesses table (upgrades, tests)."""
    for table in ("_generations", "_layer_stats"):
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    layers = con.execute("SELECT layer FROM compute_report WHERE run_id = ? ORDER BY layer", [run_id]).fetchall()
    for (layer,) in layers:
        for buffer in BUFFERS:
            con.execute(f"CREATE OR REPLACE TEMP VIEW _derived_accesses AS SELECT level, cycle, addr FROM accesses "
                        f"WHERE run_id = {int(run_id)} AND layer = {int(layer)} AND buffer = '{buffer}'")
            _derive(con, "_derived_accesses", run_id, layer, buffer)
    con.execute("DROP VIEW IF EXISTS _derived_accesses")


def derive_all(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the derived rows of every SCALE-Sim run (used when a warehouse is upgraded)."""
    for (run_id,) in con.execute("SELECT run_id FROM runs WHERE kind = 'scalesim' ORDER BY run_id").fetchall():
        derive_run(con, run_id)
