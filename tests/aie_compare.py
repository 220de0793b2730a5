"""Test helpers for AI Engine traces: writing synthetic traces, ingesting them in-process, and reading
the warehouse's views back in the shape of the reference's per-core and aggregate dicts (values only:
Python's == treats 776 and 776.0 alike; the export tests compare files byte for byte)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from aie_reference import Params, Tunables

from gainsight_db.loaders.aie_ingest import AieOptions, AieParameters, AieSettings
from gainsight_db.loaders.ingest import ingest

# The parameters most tests use (a 1x1 array so per-core and system GMAC/s are both easy to check).
PARAMS = Params(M=64, K=64, N=64, m=32, k=32, n=32, rows=1, cols=1, hwid="npu1", warmup=1, iterations=2)

ITERATION_KEYS = (
    "num_kernels", "avg_duration_cycles", "min_duration_cycles", "max_duration_cycles", "total_span_cycles",
    "first_start", "last_end", "gmacs_per_second", "iteration_index", "phase",
)


def options(params: Params = PARAMS, tun: Tunables = Tunables()) -> AieOptions:
    return AieOptions(
        AieParameters(params.M, params.K, params.N, params.m, params.k, params.n, params.rows, params.cols,
                      params.hwid, params.warmup, params.iterations),
        AieSettings(tun.clock_ghz, tun.lock_stall_factor, tun.dup_gap_fraction, tun.outlier_lo, tun.outlier_hi),
    )


def cli_options(params: Params = PARAMS) -> list[str]:
    return ["--M", params.M, "--K", params.K, "--N", params.N, "--m", params.m, "--k", params.k, "--n", params.n,
            "--row", params.rows, "--col", params.cols, "--hwid", params.hwid, "--warmup", params.warmup,
            "--iterations", params.iterations]


def core(pid: int, tile: str, kernels=(), stalls=(), *, old_names: bool = False, other=()) -> list[dict]:
    """Events of one core: process_name first, then kernel markers (start, end) and LOCK_STALL spans
    (begin, end); None leaves a marker out. `other` adds (name, ph, ts) events of the same pid."""
    start, end, stall = ("Event0", "Event1", "LockStall") if old_names else ("INSTR_EVENT_0", "INSTR_EVENT_1", "LOCK_STALL")
    events = [{"name": "process_name", "ph": "M", "pid": pid, "args": {"name": f"core_trace for {tile}"}}]
    for s, e in kernels:
        if s is not None:
            events.append({"name": start, "ph": "B", "ts": s, "pid": pid, "tid": 0, "args": {}})
            events.append({"name": start, "ph": "E", "ts": s + 1, "pid": pid, "tid": 0, "args": {}})
        if e is not None:
            events.append({"name": end, "ph": "B", "ts": e - 1, "pid": pid, "tid": 1, "args": {}})
            events.append({"name": end, "ph": "E", "ts": e, "pid": pid, "tid": 1, "args": {}})
    for b, e in stalls:
        if b is not None:
            events.append({"name": stall, "ph": "B", "ts": b, "pid": pid, "tid": 2, "args": {}})
        if e is not None:
            events.append({"name": stall, "ph": "E", "ts": e, "pid": pid, "tid": 2, "args": {}})
    for name, ph, ts in other:
        events.append({"name": name, "ph": ph, "ts": ts, "pid": pid, "tid": 3, "args": {}})
    return events


# Three cores whose answers tests/test_aie_rules.py works out by hand.
# core 0: three iterations of 100-cycle kernels, ended by LOCK_STALLs of 3700, 2600 and 2400 cycles
# (>= 20 x 100); a 50-cycle stall inside iteration 0 is no boundary; the last boundary (11000) has no
# kernel after it, so it opens no iteration.
CORE0 = core(0, "tile0,2",
             kernels=[(1000, 1100), (1200, 1300), (5100, 5200), (5300, 5400), (8100, 8200), (8300, 8400), (8500, 8600)],
             stalls=[(1100, 1150), (1300, 5000), (5400, 8000), (8600, 11000)])
# core 1: a duplicated start (1003) and end (1102) 3 cycles after the real ones, a 1-cycle spurious
# call (1400, 1401) and a 600-cycle outlier (5300, 5900).
#   greedy pairs: 100, 99, 100, 1, 100, 600 -> median (100 + 100) / 2 = 100 -> gap int(0.25 * 100) = 25
#   thinned: starts 1000 1200 1400 5100 5300, ends 1100 1300 1401 5200 5900 (1003, 1102 dropped)
#   pairs: 100, 100, 1, 100, 600 -> median 100 -> window [int(100/3), 300] = [33, 300]
#   kept: (1000,1100) (1200,1300) | boundary 5000 | (5100,5200)
CORE1 = core(1, "tile1,2",
             kernels=[(1000, 1100), (1003, None), (None, 1102), (1200, 1300), (1400, 1401), (5100, 5200), (5300, 5900)],
             stalls=[(1500, 5000)])
# core 2: starts mid-kernel (an end at 900 before any start), a start (1400) whose end is missing, so
# it takes the end at 1800 (400 cycles: an outlier) and the start at 1700 is skipped; a LOCK_STALL
# begin at the end of the trace without an end is no span.
#   greedy pairs: 100, 100, 400, 2500, 300 -> median 300 -> gap 75 (nothing within 75 of another)
#   pairs: (1000,1100) (1200,1300) (1400,1800) (4100,4200) (4300,4400) -> median 100, window [33, 300]
CORE2 = core(2, "tile2,2",
             kernels=[(None, 900), (1000, 1100), (1200, 1300), (1400, None), (1700, 1800), (4100, 4200), (4300, 4400)],
             stalls=[(1900, 4000), (4500, None)])



def write_trace(path: Path, events: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(events))
    return path


def load(con: duckdb.DuckDBPyConnection, path: Path, params: Params = PARAMS, tun: Tunables = Tunables()) -> int:
    (result,) = ingest(con, [path], aie=options(params, tun))
    return result.run_id


def warehouse_cores(con: duckdb.DuckDBPyConnection, run_id: int) -> list[dict]:
    """aie_cores and aie_iterations of a run, in trace order, shaped like the reference's dicts."""
    cores = con.execute(
        """SELECT pid, tile_name, kernels, median_kernel_duration_cycles, lock_stall_boundary_count,
                  detected_total_iterations, expected_total_iterations, mismatch_note, performance_window
           FROM aie_cores WHERE run_id = ? ORDER BY core_order""",
        [run_id],
    ).fetchall()
    rows = con.execute(
        f"SELECT pid, {', '.join(ITERATION_KEYS)} FROM aie_iterations WHERE run_id = ? ORDER BY pid, iteration_index",
        [run_id],
    ).fetchall()
    by_pid: dict[int, list[dict]] = {}
    for pid, *values in rows:
        by_pid.setdefault(pid, []).append(dict(zip(ITERATION_KEYS, values)))
    out = []
    for pid, tile, kernels, median, boundaries, detected, expected, note, window in cores:
        iterations = by_pid.get(pid, [])
        item = {"pid": pid, "tile_name": tile}
        if kernels:
            item.update(median_kernel_duration_cycles=median, lock_stall_boundary_count=boundaries)
        else:
            assert median is None and boundaries is None
        item.update(detected_total_iterations=detected, expected_total_iterations=expected,
                    mismatch_note=note, iterations=iterations, performance_window=window)
        out.append(item)
    return out


def warehouse_aggregate(con: duckdb.DuckDBPyConnection, run_id: int) -> dict:
    """aie_aggregate and aie_aggregate_summary of a run, shaped like the reference's aggregate dict."""
    summary = con.execute(
        """SELECT iterations_considered, count, average_runtime_cycles, average_gmacs_per_second,
                  best_iteration_index, best_runtime_cycles, best_gmacs_per_second,
                  worst_iteration_index, worst_runtime_cycles, worst_gmacs_per_second, note
           FROM aie_aggregate_summary WHERE run_id = ?""",
        [run_id],
    ).fetchone()
    considered, count, avg_runtime, avg_rate, b_i, b_r, b_g, w_i, w_r, w_g, note = summary
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
    return {
        "iterations_considered": considered,
        "count": count,
        "average": {"runtime_cycles": avg_runtime, "gmacs_per_second": avg_rate},
        "best": {"iteration_index": b_i, "runtime_cycles": b_r, "gmacs_per_second": b_g},
        "worst": {"iteration_index": w_i, "runtime_cycles": w_r, "gmacs_per_second": w_g},
        "per_iteration": per_iteration,
        "note": note,
    }
