"""Reading small results. DuckDB 2 streams results: a result read with fetchone() stays open and
blocks relations on the connection until it is read to the end, so single-row lookups read it all."""

from __future__ import annotations

from typing import Any, Sequence

import duckdb


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
    """The first row of a query expected to return at most a few rows (None if it returns none)."""
    rows = con.execute(sql, list(params) if params is not None else []).fetchall()
    return rows[0] if rows else None
