"""`gsdb export aie`: the files KULeuven's postprocess_aie_trace.py writes for one trace, from the
warehouse's views:

    OUT/<tile>.json          one per core: the core's figures and its iterations
    OUT/details.md           a collapsible Markdown table of every core's iterations
    OUT/index.json           the run's parameters, notes and paths
    OUT/aggregate_perf.json  the aggregate over the performance iterations common to all cores

with the same keys, in the same order, and the same value types (JSON written with indent=2): the
median kernel duration is an integer for an odd number of kernels and a float for an even number, as
Python's statistics.median returns it. index.json names the trace ingested as input_path and OUT as
output_dir.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.staging import staged_folder

_REQUIRED = {"gemm_m": "--M", "gemm_k": "--K", "gemm_n": "--N", "rows": "--row", "cols": "--col",
             "warmup": "--warmup", "iterations": "--iterations"}

_ITERATION_COLUMNS = (
    "num_kernels", "avg_duration_cycles", "min_duration_cycles", "max_duration_cycles", "total_span_cycles",
    "first_start", "last_end", "gmacs_per_second", "iteration_index", "phase",
)


@dataclass(frozen=True)
class AieExport:
    folder: Path
    files: list[str]


def _run_row(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    cursor = con.execute(
        """SELECT r.name, a.path, a.hwid, a.gemm_m, a.gemm_k, a.gemm_n, a.tile_m, a.tile_k, a.tile_n, a.rows, a.cols,
                  a.warmup, a.iterations, s.clock_ghz
           FROM runs AS r JOIN aie_runs AS a USING (run_id) JOIN aie_settings AS s USING (run_id)
           WHERE r.run_id = ?""",
        [run_id],
    )
    row = cursor.fetchone()
    if row is None:
        raise GsdbError(f"run {run_id}: not an AI Engine trace")
    return dict(zip([d[0] for d in cursor.description], row))


def _cores(con: duckdb.DuckDBPyConnection, run_id: int) -> list[dict[str, Any]]:
    """The per-core dicts, in trace order, keyed and typed as the reference's <tile>.json."""
    cores = con.execute(
        """SELECT pid, tile_name, kernels, median_kernel_duration_cycles, lock_stall_boundary_count,
                  detected_total_iterations, expected_total_iterations, mismatch_note, performance_window
           FROM aie_cores WHERE run_id = ? ORDER BY core_order""",
        [run_id],
    ).fetchall()
    iterations: dict[int, list[dict[str, Any]]] = {}
    for pid, *values in con.execute(
        f"SELECT pid, {', '.join(_ITERATION_COLUMNS)} FROM aie_iterations WHERE run_id = ? ORDER BY pid, iteration_index",
        [run_id],
    ).fetchall():
        iterations.setdefault(pid, []).append(dict(zip(_ITERATION_COLUMNS, values)))
    out = []
    for pid, tile, kernels, median, boundaries, detected, expected, note, window in cores:
        item: dict[str, Any] = {"pid": pid, "tile_name": tile}
        if kernels:
            # statistics.median: the middle value itself (an int) for an odd count, a mean (a float) for an even one
            item["median_kernel_duration_cycles"] = int(median) if kernels % 2 else float(median)
            item["lock_stall_boundary_count"] = boundaries
        item.update(
            detected_total_iterations=detected, expected_total_iterations=expected, mismatch_note=note,
            iterations=iterations.get(pid, []), performance_window=list(window),
        )
        out.append(item)
    return out


def _aggregate(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    summary = con.execute(
        """SELECT iterations_considered, count, average_runtime_cycles, average_gmacs_per_second,
                  best_iteration_index, worst_iteration_index, note
           FROM aie_aggregate_summary WHERE run_id = ?""",
        [run_id],
    ).fetchone()
    considered, count, avg_runtime, avg_rate, best, worst, note = summary
    if not count:
        return {"note": note}
    per_iteration = [
        {"iteration_index": i, "runtime_cycles": r, "gmacs_per_second": g}
        for i, r, g in con.execute(
            "SELECT iteration_index, runtime_cycles, gmacs_per_second FROM aie_aggregate WHERE run_id = ? "
            "ORDER BY iteration_index",
            [run_id],
        ).fetchall()
    ]
    by_index = {p["iteration_index"]: p for p in per_iteration}
    return {
        "iterations_considered": list(considered),
        "count": count,
        "average": {"runtime_cycles": avg_runtime, "gmacs_per_second": avg_rate},
        "best": by_index[best],
        "worst": by_index[worst],
        "per_iteration": per_iteration,
        "note": note,
    }


def _details(run: dict[str, Any], cores: list[dict[str, Any]]) -> str | None:
    rows = [
        f"| {c['tile_name']} | {it['iteration_index']} | {it['phase']} | {it['num_kernels']} | "
        f"{it['avg_duration_cycles']:.3f} | {it['min_duration_cycles']} | {it['max_duration_cycles']} | "
        f"{it['total_span_cycles']} | {it['gmacs_per_second']:.3f} |\n"
        for c in cores
        for it in c["iterations"]
    ]
    if not rows:
        return None
    return (
        f"<details><summary><strong>[{run['hwid']}] M={run['gemm_m']} K={run['gemm_k']} N={run['gemm_n']}"
        "</strong></summary>\n\n"
        "| Tile | Iter | Phase | Kernels | Avg cycles | Min | Max | Total span | GMAC/s |\n"
        "|------|------|-------|---------|------------|-----|-----|------------|--------|\n"
        + "".join(rows)
        + "\n</details>\n"
    )


def aie_files(con: duckdb.DuckDBPyConnection, run_id: int, out: Path) -> dict[str, str]:
    """File name -> content of every file of the export, for output folder `out`."""
    run = _run_row(con, run_id)
    missing = [flag for column, flag in _REQUIRED.items() if run[column] is None]
    if missing:
        raise GsdbError(
            f"run {run['name']!r}: {', '.join(missing)} unknown; ingest the trace again with "
            f"{' '.join(f'{flag} N' for flag in missing)} (the exported files need them)"
        )
    cores = _cores(con, run_id)
    files: dict[str, str] = {}
    for item in cores:
        tile = item["tile_name"]
        name = f"{tile}.json"
        if not tile or os.sep in tile or (os.altsep and os.altsep in tile) or tile.startswith("."):
            raise GsdbError(f"run {run['name']!r}: tile name {tile!r} cannot be a file name")
        if name in files:
            raise GsdbError(f"run {run['name']!r}: two cores have the tile name {tile!r}; one file per tile cannot hold both")
        files[name] = json.dumps(item, indent=2)
    output_dir = str(out)
    details = _details(run, cores)
    details_path = None
    if details is not None:
        files["details.md"] = details
        details_path = os.path.join(output_dir, "details.md")
    files["index.json"] = json.dumps({
        "hwid": run["hwid"], "M": run["gemm_m"], "K": run["gemm_k"], "N": run["gemm_n"],
        "m": run["tile_m"], "k": run["tile_k"], "n": run["tile_n"], "rows": run["rows"], "cols": run["cols"],
        "input_path": run["path"], "output_dir": output_dir, "warmup": run["warmup"],
        "iterations": run["iterations"], "clock_GHz": run["clock_ghz"],
        "notes": [c["mismatch_note"] for c in cores if c.get("mismatch_note")],
        "details_md": details_path,
    }, indent=2)
    files["aggregate_perf.json"] = json.dumps(_aggregate(con, run_id), indent=2)
    return files


def export_aie(
    con: duckdb.DuckDBPyConnection, run_id: int, out: Path, replace: bool = False, protected: Iterable[Path] = (),
) -> AieExport:
    """Write the export of one AI Engine run into the folder `out` (all files or none)."""
    files = aie_files(con, run_id, out)
    with staged_folder(out, replace, protected) as staging:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
    return AieExport(out, list(files))
