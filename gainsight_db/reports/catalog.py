"""What the warehouse holds: its runs, its tables and views with their row counts and documentation,
and the audit of trace counts against SCALE-Sim's own report."""

from __future__ import annotations

from typing import Iterable

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.results import one_row
from gainsight_db.common.sql_text import quote_identifier, quote_literal
from gainsight_db.loaders.catalog import HELD_THROUGH, run_tables
from gainsight_db.warehouse.runs import resolve_runs

RUNS_SQL = """
    SELECT r.run_id, r.kind, r.name, r.format_version, r.layer_count AS layers, r.dataflow,
           CASE WHEN r.array_rows IS NOT NULL THEN r.array_rows || 'x' || r.array_cols END AS array, r.overrides,
           i.finished_at AS ingested_at, r.source_path
    FROM runs AS r LEFT JOIN ingests AS i USING (ingest_id)
    ORDER BY r.run_id
"""

_PUBLIC_OBJECTS = """
    SELECT table_name AS name, 'table' AS type, comment FROM duckdb_tables()
    WHERE schema_name = 'main' AND NOT internal AND NOT temporary AND table_name NOT LIKE '\\_%' ESCAPE '\\'
    UNION ALL
    SELECT view_name, 'view', comment FROM duckdb_views()
    WHERE schema_name = 'main' AND NOT internal AND NOT temporary AND view_name NOT LIKE '\\_%' ESCAPE '\\'
"""


def tables_query(con: duckdb.DuckDBPyConnection) -> str:
    """SQL listing every public table and view with its row count and the first sentence of its
    documentation."""
    names = [name for (name, *_) in con.execute(_PUBLIC_OBJECTS).fetchall()]
    counts = " UNION ALL ".join(
        f"SELECT {quote_literal(name)} AS name, count(*) AS rows FROM {quote_identifier(name)}" for name in names
    ) or "SELECT NULL::VARCHAR AS name, NULL::BIGINT AS rows WHERE false"
    return f"""
        WITH objects AS ({_PUBLIC_OBJECTS}), counts AS ({counts})
        SELECT o.name, o.type, c.rows, rtrim(split_part(coalesce(o.comment, ''), '. ', 1), '.') AS description
        FROM objects AS o JOIN counts AS c USING (name)
        ORDER BY o.name
    """


def object_comment(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The documentation of table or view `name`; an unknown name is an error."""
    found = one_row(con, 
        """
        SELECT comment FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'
        UNION ALL SELECT comment FROM duckdb_views() WHERE view_name = ? AND schema_name = 'main'
        """,
        [name, name],
    )
    if found is None:
        raise GsdbError(f"{name}: no such table or view (see `gsdb tables`)")
    return found[0]


SCHEMA_SQL = """
    SELECT column_name AS column, data_type AS type, comment AS description FROM duckdb_columns()
    WHERE table_name = ? AND schema_name = 'main' ORDER BY column_index
"""


def orphan_rows_query(con: duckdb.DuckDBPyConnection) -> str:
    """SQL giving the rows whose run is not in runs, per table (every table with a run_id column) and
    run_id: an audit that returns the offending rows, counted."""
    parts = [
        f"SELECT {quote_literal(table)} AS \"table\", t.run_id, count(*) AS rows "
        f"FROM {quote_identifier(table)} AS t ANTI JOIN runs AS r USING (run_id) GROUP BY t.run_id"
        for table in run_tables(con) if table != "runs"
    ]
    for table, (key, holder, known_as, holds) in HELD_THROUGH.items():
        # rows whose holding row's run is gone, and rows with no holding row at all (no run to name)
        parts.append(
            f"SELECT {quote_literal(known_as)} AS \"table\", h.run_id, CAST(sum({holds}) AS BIGINT) AS rows "
            f"FROM {quote_identifier(table)} AS t LEFT JOIN {quote_identifier(holder)} AS h USING ({quote_identifier(key)}) "
            f"ANTI JOIN runs AS r USING (run_id) GROUP BY h.run_id")
    return " UNION ALL ".join(parts) or 'SELECT NULL::VARCHAR AS "table", NULL::INTEGER AS run_id, 0::BIGINT AS rows WHERE false'


def audit_query(con: duckdb.DuckDBPyConnection, run: str | int | Iterable[str | int] | None,
                all_rows: bool) -> tuple[str, list]:
    """The audit, one row per check: trace access counts against DETAILED_ACCESS_REPORT.csv
    (check 'access_count': the differences, or every row with all_rows), and, unless a run is given,
    rows whose run no longer exists (check 'orphan_rows': per table and run_id, `rows` of them; they
    never match)."""
    conditions, params = [], []
    if run is not None:
        run_ids = resolve_runs(con, [run] if isinstance(run, (str, int)) else run)
        if not run_ids:
            raise GsdbError("audit: an empty list of runs (give None for every run)")
        conditions.append(f"a.run_id IN ({', '.join('?' for _ in run_ids)})")
        params.extend(run_ids)
    if not all_rows:
        conditions.append("NOT a.matches")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    access = f"""
        SELECT 'access_count' AS "check", r.name AS run, a.run_id, NULL::VARCHAR AS "table", NULL::BIGINT AS rows,
               a.layer, a.buffer, a.level, a.trace_count, a.report_count, a.difference, a.matches
        FROM access_audit AS a JOIN runs AS r USING (run_id) {where}"""
    orphans = f"""
        SELECT 'orphan_rows', NULL, o.run_id, o."table", o.rows, NULL, NULL, NULL, NULL, NULL, NULL, false
        FROM ({orphan_rows_query(con)}) AS o"""
    checks = access if run is not None else f"{access} UNION ALL {orphans}"
    return f'{checks} ORDER BY "check", run_id, "table", layer, buffer, level', params
