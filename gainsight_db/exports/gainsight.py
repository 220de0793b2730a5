"""`gsdb export gainsight`: GainSight's processed-data layout for one SCALE-Sim run.

    OUT/<run name>/layer<i>/layer<i>_lifetime_data.csv    no header: data_type,addr,lifetime
    OUT/<run name>/layer<i>/layer<i>_aggregate_data.csv   header; one row per buffer

so that `OUT/<run name>/` stands where GainSight's own scripts put a processed run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import duckdb

from gainsight_db.common.buffers import buffer_order
from gainsight_db.common.sql_text import quote_literal
from gainsight_db.common.staging import staged_folder

BUFFER_ORDER = buffer_order("buffer")

# GainSight's documented columns first (data type; average, median, 90th percentile and maximum
# lifetime; read and write frequency; read and write counts; footprint), then the warehouse's extras.
AGGREGATE_COLUMNS = (
    "CAST(buffer AS VARCHAR) AS data_type",
    "lifetime_mean", "lifetime_median", "lifetime_p90", "lifetime_max",
    "read_freq_pct", "write_freq_pct", "reads", "writes", "footprint_words",
    "lifetimes", "lifetime_p99", "lifetime_min", "read_active_cycles", "write_active_cycles",
    "total_cycles", "dead_writes", "orphan_reads",
)


@dataclass(frozen=True)
class GainsightExport:
    folder: Path
    layers: int
    lifetimes: int


def export_gainsight(
    con: duckdb.DuckDBPyConnection, run_id: int, out: Path, replace: bool = False, protected: Iterable[Path] = (),
) -> GainsightExport:
    """Write one run's per-layer lifetime and aggregate files under `out/<run name>/`."""
    name = con.execute("SELECT name FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    layers = [row[0] for row in con.execute(
        "SELECT layer FROM compute_report WHERE run_id = ? ORDER BY layer", [run_id]).fetchall()]
    target = out / name
    written = 0
    with staged_folder(target, replace, protected) as stage:
        for layer in layers:
            folder = stage / f"layer{layer}"
            folder.mkdir()
            where = f"run_id = {int(run_id)} AND layer = {int(layer)}"
            lifetimes_file = folder / f"layer{layer}_lifetime_data.csv"
            written += con.execute(
                f"""COPY (SELECT CAST(buffer AS VARCHAR) AS data_type, addr, lifetime_cycles AS lifetime
                          FROM lifetimes WHERE {where} ORDER BY {BUFFER_ORDER}, addr, write_cycle)
                    TO {quote_literal(str(lifetimes_file))} (FORMAT csv, HEADER false)"""
            ).fetchone()[0]
            con.execute(
                f"""COPY (SELECT {', '.join(AGGREGATE_COLUMNS)} FROM layer_stats WHERE {where}
                          ORDER BY {BUFFER_ORDER})
                    TO {quote_literal(str(folder / f'layer{layer}_aggregate_data.csv'))} (FORMAT csv, HEADER true)"""
            )
    return GainsightExport(target, len(layers), written)
