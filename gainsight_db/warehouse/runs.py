"""Resolving `--run NAME|ID` to a run id."""

from __future__ import annotations

from typing import Iterable

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


def resolve_runs(con: duckdb.DuckDBPyConnection, runs: Iterable[str | int], kind: str | None = None) -> list[int]:
    """The run ids of runs given by id or name, in the order given, each once."""
    ids: list[int] = []
    for run in runs:
        run_id = resolve_run(con, str(run), kind=kind)
        if run_id not in ids:
            ids.append(run_id)
    return ids


def only_run(con: duckdb.DuckDBPyConnection, kind: str, what: str) -> int:
    """The run id of the warehouse's only run of `kind`, for `what` (a command about one run given
    none); several runs, or none, is an error that lists them."""
    rows = con.execute("SELECT run_id, name FROM runs WHERE kind = ? ORDER BY run_id", [kind]).fetchall()
    label = "SCALE-Sim" if kind == "scalesim" else "AI Engine"
    if not rows:
        raise GsdbError(f"{what}: no {label} run in the warehouse (see `gsdb runs`)")
    if len(rows) > 1:
        listed = ", ".join(f"{rid} {name}" for rid, name in rows[:6]) + (", ..." if len(rows) > 6 else "")
        raise GsdbError(f"{what}: {len(rows)} {label} runs; choose one with --run NAME|ID ({listed})")
    return int(rows[0][0])
