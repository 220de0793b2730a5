"""Finding a sweep (`gsdb report sweep NAME`, `gsdb plot sweep NAME`) and the axes its points vary,
from the table sweep_points."""

from __future__ import annotations

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import quote_identifier

# The columns of sweep_points that are not axes; every other column is one axis, named as the spec's.
POINT_KEYS = ("sweep", "point", "run_id", "topology", "inputs_sha256")


def axis_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every axis a sweep can vary: the axis columns of sweep_points, in the table's order."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'sweep_points' "
        "ORDER BY column_index").fetchall()
    return [name for (name,) in rows if name not in POINT_KEYS]


def sweep_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in con.execute("SELECT DISTINCT sweep FROM sweep_points ORDER BY sweep").fetchall()]


def _listed(names: list[str]) -> str:
    return ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")


def resolve_sweep(con: duckdb.DuckDBPyConnection, sweep: str | None, what: str) -> str:
    """The sweep called `sweep`, or with None the warehouse's only sweep, for `what` (the command);
    an unknown sweep, or None with several or none, is an error that lists the known ones."""
    if sweep is not None and not isinstance(sweep, str):
        raise GsdbError(f"{what}: sweep {sweep!r}: expected a sweep name")
    known = sweep_names(con)
    if not known:
        raise GsdbError(f"{what}: no sweep in the warehouse (its points are made by `gsdb sweep SPEC.toml`)")
    if sweep is None:
        if len(known) > 1:
            raise GsdbError(f"{what}: {len(known)} sweeps; name one ({_listed(known)})")
        return known[0]
    if sweep not in known:
        raise GsdbError(f"{what}: no sweep {sweep!r} (known sweeps: {_listed(known)})")
    return sweep


def varied_axes(con: duckdb.DuckDBPyConnection, sweep: str) -> list[str]:
    """The coordinates that tell the points of `sweep` apart, outermost first: `topology` when the
    points have more than one, then every axis the sweep varies (one with a value in its points)."""
    axes = axis_columns(con)
    counts = [f"count({quote_identifier(axis)}) > 0" for axis in axes]
    (row,) = con.execute(
        f"SELECT count(DISTINCT topology) > 1, {', '.join(counts)} FROM sweep_points WHERE sweep = ?",
        [sweep]).fetchall()
    return [axis for axis, varied in zip(("topology", *axes), row) if varied]
