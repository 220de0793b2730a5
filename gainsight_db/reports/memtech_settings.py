"""The settings of a memory-technology comparison: a run's parameters (clock, word width, threshold,
node, retention factor), the technology figures (a user's file or the shipped ones) and
assumptions. `store_memtech_options` keeps them in the warehouse (`gsdb memtech set`);
`memtech_connection` gives a connection on which the memtech views see them without storing
anything (`gsdb report memtech --clock-hz ...`): temporary tables of the same names, visible to
that connection only, stand in for the stored ones."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.results import one_row
from gainsight_db.common.sql_text import quote_identifier
from gainsight_db.common.transactions import one_transaction
from gainsight_db.loaders.technologies import (
    DEFAULT,
    assumption_figures,
    check_figures,
    default_figures,
    insert_figures,
    parse_assumption,
    read_technology_file,
    replace_figures,
    stored_figures,
)

_PARAMETERS = ("clock_hz", "word_bits", "threshold_s", "node_nm", "retention_factor")


@dataclass(frozen=True)
class MemtechOptions:
    clock_hz: float | None = None
    word_bits: int | None = None
    threshold_s: float | None = None
    node_nm: float | None = None
    retention_factor: float | None = None
    tech: Path | None = None  # a technology file to load
    default_tech: bool = False  # go back to the shipped figures
    assume: tuple[str, ...] = field(default_factory=tuple)  # 'technology.figure=value'

    @property
    def parameters(self) -> dict:
        return {name: getattr(self, name) for name in _PARAMETERS if getattr(self, name) is not None}

    @property
    def changes_figures(self) -> bool:
        return self.tech is not None or self.default_tech or bool(self.assume)

    @property
    def changes_anything(self) -> bool:
        return bool(self.parameters) or self.changes_figures

    def check(self) -> None:
        """Refuse values the comparison cannot use, before anything is read or written."""
        for name in ("clock_hz", "threshold_s", "node_nm"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise GsdbError(f"{name.replace('_', '-')} must be a positive number, got {value:g}")
        if self.word_bits is not None and self.word_bits < 1:
            raise GsdbError(f"word-bits must be a positive whole number, got {self.word_bits}")
        if self.retention_factor is not None and not (0 < self.retention_factor <= 1):
            raise GsdbError(f"retention-factor must be in (0, 1] (it derates retention times), got {self.retention_factor:g}")
        if self.tech is not None and self.default_tech:
            raise GsdbError("give a technology file or the default technologies, not both")
        for text in self.assume:
            parse_assumption(text)


def _new_figures(con: duckdb.DuckDBPyConnection, options: MemtechOptions, table: str) -> tuple[list[dict], str] | None:
    """The figures `table` should hold after the options, and where they were loaded from; None
    when the options keep it as it is."""
    if not options.changes_figures:
        return None
    if options.tech is not None:
        figures, loaded_from = read_technology_file(options.tech), str(options.tech.resolve())
    elif options.default_tech:
        figures, loaded_from = default_figures(), DEFAULT
    else:
        figures, loaded_from = stored_figures(con, table), ""
    if options.assume:
        figures = assumption_figures(figures, [parse_assumption(text) for text in options.assume])
    return figures, loaded_from


def _check_nodes(con: duckdb.DuckDBPyConnection, table: str, run_ids: list[int] | None = None) -> None:
    """Every run's node (as the settings now stand) is one the reference SRAM's table over sizes has,
    when it has one: otherwise its figures would all be unknown."""
    nodes = [n for (n,) in con.execute(
        f"SELECT DISTINCT node_nm FROM {table} WHERE used AND size_bytes IS NOT NULL AND buffer IS NULL "
        "AND node_nm IS NOT NULL AND technology = (SELECT technology FROM _memtech_reference) ORDER BY node_nm"
    ).fetchall()]
    if not nodes:
        return
    runs = con.execute("SELECT run_id, node_nm FROM _memtech_params ORDER BY run_id").fetchall()
    for run_id, node in runs:
        if run_ids is not None and run_id not in run_ids:
            continue
        if node not in nodes:
            name = con.execute("SELECT name FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]
            raise GsdbError(f"node-nm {node:g} (run {name}): the SRAM figures over sizes are for "
                            f"{', '.join(f'{n:g}' for n in nodes)} nm (give --node-nm)")


def _write_figures(con: duckdb.DuckDBPyConnection, new: tuple[list[dict], str] | None, table: str) -> None:
    if new is None:
        return
    figures, loaded_from = new
    if loaded_from:
        replace_figures(con, figures, loaded_from, table)
    else:  # assumptions on the figures already there: only the assumed rows change
        con.execute(f"DELETE FROM {table} WHERE kind = 'assumed' AND buffer IS NULL")
        insert_figures(con, [f for f in figures if f["kind"] == "assumed" and f["buffer"] is None],
                       "--assume", table)


def _write_parameters(con: duckdb.DuckDBPyConnection, run_ids: list[int], options: MemtechOptions,
                      table: str) -> None:
    """Set the given parameters of each run in `table` (others keep their values)."""
    given = options.parameters
    if not given:
        return
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for run_id in run_ids:
        current = one_row(con, f"SELECT {', '.join(_PARAMETERS)} FROM _memtech_params WHERE run_id = ?", [run_id])
        if current is None:
            raise GsdbError(f"run {run_id}: no memory-technology parameters (it has no SCALE-Sim compute report)")
        stored = one_row(con, f"SELECT node_nm, retention_factor FROM {table} WHERE run_id = ?", [run_id])
        values = dict(zip(_PARAMETERS, current))
        # node and retention factor stay empty (the defaults) unless given or set before
        values["node_nm"], values["retention_factor"] = stored if stored is not None else (None, None)
        values.update(given)
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        con.execute(f"INSERT INTO {table} (run_id, {', '.join(_PARAMETERS)}, set_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [run_id, *(values[name] for name in _PARAMETERS), now])


def store_memtech_options(con: duckdb.DuckDBPyConnection, run_ids: list[int], options: MemtechOptions) -> None:
    """Store the parameters for the runs and load the figures, in one transaction."""
    options.check()
    new = _new_figures(con, options, "technology_figures")  # a bad file is refused before anything changes
    with one_transaction(con, "storing the memory-technology settings"):
        _write_figures(con, new, "technology_figures")
        _write_parameters(con, run_ids, options, "memtech_settings")
        _check_nodes(con, "technology_figures")


def memtech_connection(con: duckdb.DuckDBPyConnection, run_ids: list[int] | None,
                       options: MemtechOptions) -> duckdb.DuckDBPyConnection:
    """A connection to the same warehouse on which the memtech views use `options` for the runs
    (every SCALE-Sim run when None), nothing being stored: `con` itself when there are none."""
    options.check()
    if not options.changes_anything:
        return con
    cursor = con.cursor()
    database = quote_identifier(one_row(cursor, "SELECT current_database()")[0])
    for table in ("memtech_settings", "technology_figures"):
        cursor.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {database}.main.{table}")
    _write_figures(cursor, _new_figures(cursor, options, "temp.technology_figures"), "temp.technology_figures")
    if run_ids is None:
        run_ids = [rid for (rid,) in cursor.execute("SELECT run_id FROM _memtech_params ORDER BY run_id").fetchall()]
    _write_parameters(cursor, run_ids, options, "temp.memtech_settings")
    _check_nodes(cursor, "temp.technology_figures", None if options.changes_figures else run_ids)
    return cursor


def store_technology(con: duckdb.DuckDBPyConnection, figures: list[dict], loaded_from: str) -> None:
    """Make `figures` the whole of their technology's figures (a technology of that name is
    replaced), in one transaction; the figures as a whole must still be usable."""
    names = sorted({f["technology"] for f in figures})
    check_figures([f for f in stored_figures(con) if f["technology"] not in names] + figures, loaded_from)
    with one_transaction(con, "storing the technology"):
        con.execute(f"DELETE FROM technology_figures WHERE technology IN ({', '.join('?' for _ in names)})", names)
        insert_figures(con, figures, loaded_from)
