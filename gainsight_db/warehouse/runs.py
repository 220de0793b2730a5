"""Finding runs (`--run NAME|ID`, a simulation's earlier run, the runs holding a name) and removing
them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.results import one_row
from gainsight_db.common.sql_text import quote_identifier
from gainsight_db.common.transactions import one_transaction
from gainsight_db.loaders.catalog import remove_run, run_tables

# The runs columns that place a SCALE-Sim run in a sweep: array, SRAM sizes, dataflow, bandwidth.
COORDINATES = ("array_rows", "array_cols", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb", "dataflow",
               "bandwidth_mode", "dram_bandwidth")


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
        if kind and (run.strip().isdigit() or con.execute("SELECT 1 FROM runs WHERE name = ?", [run]).fetchall()):
            other = con.execute("SELECT DISTINCT kind FROM runs WHERE name = ? OR CAST(run_id AS VARCHAR) = ?",
                                [run, run.strip()]).fetchall()
            if other:
                labels = {"scalesim": "a SCALE-Sim run", "aie": "an AI Engine run"}
                raise GsdbError(f"run {run!r}: {labels.get(other[0][0], other[0][0])}, not {labels.get(kind, kind)} "
                                "(see `gsdb runs`)")
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


def simulated_run(con: duckdb.DuckDBPyConnection, inputs_sha256: str) -> int | None:
    """The run gsdb simulated from inputs with this identity, if there is one."""
    row = one_row(con, "SELECT run_id FROM runs WHERE kind = 'scalesim' AND inputs_sha256 = ? ORDER BY run_id",
                  [inputs_sha256])
    return int(row[0]) if row else None


def runs_named(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    """The runs with this name (run_id and coordinates), oldest first."""
    columns = ("run_id", *COORDINATES)
    rows = con.execute(f"SELECT {', '.join(columns)} FROM runs WHERE name = ? ORDER BY run_id", [name]).fetchall()
    return [dict(zip(columns, row)) for row in rows]


def run_names(con: duckdb.DuckDBPyConnection) -> dict[str, list[int]]:
    """Every run name, with the ids of the runs that have it."""
    names: dict[str, list[int]] = {}
    for name, run_id in con.execute("SELECT name, run_id FROM runs ORDER BY run_id").fetchall():
        names.setdefault(name, []).append(int(run_id))
    return names


@dataclass(frozen=True)
class RemovedRun:
    run_id: int
    name: str | None  # None: rows left behind by a run no longer in runs
    kind: str | None
    rows: int  # rows deleted, in every table (the run's runs and ingests rows included)
    tables: dict[str, int]  # rows deleted per table


def _left_behind(con: duckdb.DuckDBPyConnection, run_id: int) -> bool:
    """Whether a run id not in runs still has rows (its runs row deleted by hand)."""
    return any(one_row(con, f"SELECT 1 FROM {quote_identifier(table)} WHERE run_id = ? LIMIT 1", [run_id])
               for table in run_tables(con))


def _run_to_remove(con: duckdb.DuckDBPyConnection, run: str) -> int:
    """A run given by name or id; an id no longer in runs whose rows are left behind is one too."""
    try:
        return resolve_run(con, run)
    except GsdbError:
        if run.strip().isdigit() and _left_behind(con, int(run)):
            return int(run)
        raise


def remove_runs(con: duckdb.DuckDBPyConnection, runs: list[str]) -> list[RemovedRun]:
    """Remove runs (names or ids, all resolved before anything is removed) and every row that carries
    their run_id, in one transaction: all of them or, on any error, none. An id whose runs row is gone
    but whose rows were left behind (see the audit's orphan_rows) has those rows removed."""
    if not runs:
        raise GsdbError("remove: give at least one run (a run name or id)")
    run_ids = list(dict.fromkeys(_run_to_remove(con, str(run)) for run in runs))
    removed = []
    with one_transaction(con, "remove (nothing removed)"):
        for run_id in run_ids:
            name, kind = one_row(con, "SELECT name, kind FROM runs WHERE run_id = ?", [run_id]) or (None, None)
            tables = remove_run(con, run_id)
            removed.append(RemovedRun(run_id, name, kind, sum(tables.values()), tables))
    return removed
