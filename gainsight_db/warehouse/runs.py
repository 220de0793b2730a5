"""Resolving `--run NAME|ID` to a run id."""

from __future__ import annotations

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.results import one_row


def resolve_run(con: duckdb.DuckDBPyConnection, run: str, kind: str | None = None) -> int:
    """The run_id of a run given by id or by name; a name shared by several runs is an error."""
    kind_filter = " AND kind = ?" if kind else ""
    extra = [kind] if kind else []
    if run.strip().isdigit():
        row = one_row(con, f"SELECT run_id FROM runs WHERE run_id = ?{kind_filter}", [int(run)] + extra)
        if row:
            return int(row[0])
    rows = con.execute(
        f"SELECT run_id, source_path FROM runs WHERE name = ?{kind_filter} ORDER BY run_id", [run] + extra
    ).fetchall()
    if not rows:
        raise GsdbError(f"run {run!r}: no such run (see `gsdb runs`)")
    if len(rows) > 1:
        choices = "; ".join(f"{rid} = {path}" for rid, path in rows)
        raise GsdbError(f"run {run!r}: several runs have this name, give the run id ({choices})")
    return int(rows[0][0])
