"""The query behind every report: which view, which columns, in which order, filtered by run, layer
and buffer, or by sweep. `gsdb report NAME` and `Warehouse.report(NAME)` both run what
`report_query` builds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Union

import duckdb

from gainsight_db.common.buffers import BUFFERS, buffer_order
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import quote_identifier
from gainsight_db.warehouse.runs import resolve_runs
from gainsight_db.warehouse.sweeps import axis_columns, resolve_sweep, varied_axes

# A run given by name or id, several of them, or None for every run.
RunSelection = Union[str, int, Iterable[Union[str, int]], None]

_BUFFER_ORDER = buffer_order("v.buffer")
_CORE_JOIN = "LEFT JOIN aie_cores AS c ON c.run_id = v.run_id AND c.pid = v.pid"


@dataclass(frozen=True)
class Report:
    """One report: `columns` of `view` (aliased v, joined to runs as r) in `order`."""

    view: str
    columns: str
    order: str
    joins: str = ""
    kind: str = "scalesim"  # the kind of run it reports on
    by_layer: bool = True  # takes a layer filter
    by_buffer: bool = True  # takes a buffer filter
    by_sweep: bool = False  # reports on one sweep (and takes no run filter)


# Report name -> its query. The AI Engine report has one entry per level (`aie` is `aie:iterations`).
REPORTS: dict[str, Report] = {
    "layers": Report(
        "layer_stats", "v.run_id, v.layer, l.name AS layer_name, v.* EXCLUDE (run_id, layer)",
        f"v.run_id, v.layer, {_BUFFER_ORDER}", joins="LEFT JOIN layers AS l ON l.run_id = v.run_id AND l.layer = v.layer",
    ),
    "run": Report("run_stats", "v.*", f"v.run_id, {_BUFFER_ORDER}", by_layer=False),
    "lifetimes": Report("lifetimes", "v.*", f"v.run_id, v.layer, {_BUFFER_ORDER}, v.addr, v.write_cycle"),
    "histogram": Report("lifetime_histogram", "v.*", f"v.run_id, v.layer, {_BUFFER_ORDER}, v.bin"),
    "memtech": Report(
        "memtech", "v.* EXCLUDE (run_id)", f"v.run_id, {_BUFFER_ORDER}, v.technology <> 'sram', v.technology",
        by_layer=False, by_buffer=False,
    ),
    "composition": Report(
        "memtech_composition", "v.* EXCLUDE (run_id)",
        f"v.run_id, v.objective, CASE v.buffer WHEN 'total' THEN {len(BUFFERS)} ELSE {_BUFFER_ORDER} END",
        by_layer=False, by_buffer=False,
    ),
    # The points of one sweep: only the axes it varies, then the figures (see sweep_report_query).
    "sweep": Report("sweep_summary", "", "v.point", by_layer=False, by_buffer=False, by_sweep=True),
}


def _aie(view: str, columns: str, order: str, joins: str = "") -> Report:
    return Report(view, f"v.run_id, {columns}", f"v.run_id, {order}", joins, kind="aie", by_layer=False,
                  by_buffer=False)


# The levels of the AI Engine report, as postprocess_aie_trace.py's files go: per-core iterations
# (details.md), cores, aggregate iterations, run summary, kernel calls, LOCK_STALL spans.
AIE_LEVELS: dict[str, Report] = {
    "iterations": _aie(
        "aie_iterations",
        "v.tile_name, v.iteration_index, v.phase, v.num_kernels, v.avg_duration_cycles, v.min_duration_cycles, "
        "v.max_duration_cycles, v.total_span_cycles, v.first_start, v.last_end, v.gmacs_per_second",
        "c.core_order, v.iteration_index", _CORE_JOIN,
    ),
    "cores": _aie("aie_cores", "v.* EXCLUDE (run_id)", "v.core_order"),
    "aggregate": _aie("aie_aggregate", "v.* EXCLUDE (run_id)", "v.iteration_index"),
    "summary": _aie("aie_aggregate_summary", "v.* EXCLUDE (run_id)", "1"),
    "kernels": _aie("aie_kernels", "v.* EXCLUDE (run_id)", "c.core_order, v.kernel_index", _CORE_JOIN),
    "stalls": _aie("aie_lock_stalls", "v.* EXCLUDE (run_id)", "c.core_order, v.stall_index", _CORE_JOIN),
}

REPORT_NAMES = (*REPORTS, "aie")


def find_report(name: str, level: str | None = None) -> Report:
    """The report called `name` (and, for `aie`, its level: iterations unless given)."""
    if name == "aie":
        level = level or "iterations"
        if level not in AIE_LEVELS:
            raise GsdbError(f"report aie: unknown level {level!r} (one of: {', '.join(AIE_LEVELS)})")
        return AIE_LEVELS[level]
    if level is not None:
        raise GsdbError(f"report {name}: only the aie report has levels")
    if name not in REPORTS:
        raise GsdbError(f"report {name!r}: no such report (one of: {', '.join(REPORT_NAMES)})")
    return REPORTS[name]


def report_runs(con: duckdb.DuckDBPyConnection, name: str, run: RunSelection = None,
                level: str | None = None) -> list[int] | None:
    """The run ids report `name` is asked for: None for every run of its kind, else those given (a
    run name or id, or several)."""
    report = find_report(name, level)
    if run is None:
        return None
    runs = [run] if isinstance(run, (str, int)) else list(run)
    if not runs:
        raise GsdbError(f"report {name}: an empty list of runs (give None for every run)")
    return resolve_runs(con, runs, kind=report.kind)


def report_query(
    con: duckdb.DuckDBPyConnection, name: str, run: RunSelection = None, layer: int | None = None,
    buffer: str | None = None, level: str | None = None, sweep: str | None = None,
) -> tuple[str, list]:
    """The SQL (and its parameters) of report `name` for the runs of its kind, or the given runs,
    layer and buffer; for the sweep report, the points of `sweep` (None: the only sweep)."""
    report = find_report(name, level)
    for given, allowed, what in ((layer, report.by_layer, "layer"), (buffer, report.by_buffer, "buffer"),
                                 (run, not report.by_sweep, "run"), (sweep, report.by_sweep, "sweep")):
        if given is not None and not allowed:
            raise GsdbError(f"report {name}: has no {what} filter")
    if report.by_sweep:
        return sweep_report_query(con, resolve_sweep(con, sweep, f"report {name}"))
    conditions, params = ["r.kind = ?"], [report.kind]
    run_ids = report_runs(con, name, run, level)
    if run_ids is not None:
        conditions.append(f"v.run_id IN ({', '.join('?' for _ in run_ids)})")
        params.extend(run_ids)
    if layer is not None:
        if isinstance(layer, bool) or not isinstance(layer, int) or layer < 0:
            raise GsdbError(f"layer {layer!r}: expected a LayerID, an integer >= 0")
        _check_layer_exists(con, layer, run_ids)
        conditions.append("v.layer = ?")
        params.append(layer)
    if buffer is not None:
        if buffer not in BUFFERS:
            raise GsdbError(f"buffer {buffer!r}: expected one of {', '.join(BUFFERS)}")
        conditions.append("CAST(v.buffer AS VARCHAR) = ?")
        params.append(buffer)
    sql = (f"SELECT r.name AS run, {report.columns} FROM {report.view} AS v JOIN runs AS r USING (run_id) "
           f"{report.joins} WHERE {' AND '.join(conditions)} ORDER BY {report.order}")
    return sql, params


def sweep_report_query(con: duckdb.DuckDBPyConnection, sweep: str) -> tuple[str, list]:
    """The points of `sweep` in order (sweep_summary): the point, the coordinates that tell the points
    apart (the topology when there are several, and the axes the sweep varies; the other axis
    columns, empty for every point, are left out), the run, then every figure."""
    varied = varied_axes(con, sweep)
    coordinates = [f"v.{quote_identifier(axis)}" for axis in varied]
    left_out = ", ".join(quote_identifier(c) for c in ("sweep", "point", "run", "run_id", "topology",
                                                       *axis_columns(con)))
    columns = ", ".join(["v.point", *coordinates, "v.run", "v.run_id", f"v.* EXCLUDE ({left_out})"])
    return f"SELECT {columns} FROM sweep_summary AS v WHERE v.sweep = ? ORDER BY v.point", [sweep]


def _check_layer_exists(con: duckdb.DuckDBPyConnection, layer: int, run_ids: list[int] | None) -> None:
    """A LayerID that none of the runs asked for has is an error, not an empty result."""
    where = f"run_id IN ({', '.join('?' for _ in run_ids)})" if run_ids is not None else (
        "run_id IN (SELECT run_id FROM runs WHERE kind = 'scalesim')")
    (count, largest), = con.execute(f"SELECT count(*) FILTER (layer = ?), max(layer) FROM layers WHERE {where}",
                                    [layer, *(run_ids or [])]).fetchall()
    if count:
        return
    if run_ids is not None and len(run_ids) == 1:
        (name,), = con.execute("SELECT name FROM runs WHERE run_id = ?", run_ids).fetchall()
        which = f"run {name}"
    else:
        which = "the runs asked for" if run_ids is not None else "any SCALE-Sim run"
    span = f"LayerIDs go from 0 to {largest}" if largest is not None else "they have no layers"
    raise GsdbError(f"layer {layer}: no such layer in {which} ({span})")
