"""A plain-Python reading of AI Engine trace-event JSON with the rules of docs/definitions.md
(those of KULeuven's postprocess_aie_trace.py), written for the tests as an independent oracle:
the warehouse's SQL results and export files are compared with what this module computes and writes.

It works on a list of event dicts (json.load of a trace), one pass in file order, like the script it
mirrors. Old event names (Event0, Event1, LockStall) are mapped first, as the warehouse does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from statistics import median
from typing import Any

OLD_NAMES = {"Event0": "INSTR_EVENT_0", "Event1": "INSTR_EVENT_1", "LockStall": "LOCK_STALL"}


@dataclass(frozen=True)
class Tunables:
    clock_ghz: float = 1.25
    lock_stall_factor: float = 20.0
    dup_gap_fraction: float = 0.25
    outlier_lo: float = 1.0 / 3.0
    outlier_hi: float = 3.0


@dataclass(frozen=True)
class Params:
    M: int
    K: int
    N: int
    m: int
    k: int
    n: int
    rows: int
    cols: int
    hwid: str
    warmup: int
    iterations: int


@dataclass
class Pid:
    name: Any = None
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    stall_b: list[int] = field(default_factory=list)
    stall_e: list[int] = field(default_factory=list)


def group_events(events: list[dict]) -> dict[Any, Pid]:
    """Per pid, in order of the pid's first relevant event: its process name and marker times."""
    pids: dict[Any, Pid] = {}
    for ev in events:
        name, ph, pid = OLD_NAMES.get(ev.get("name"), ev.get("name")), ev.get("ph"), ev.get("pid")
        if name == "process_name" and ph == "M":
            pids.setdefault(pid, Pid()).name = (ev.get("args") or {}).get("name")
            continue
        target = {
            ("INSTR_EVENT_0", "B"): "starts",
            ("INSTR_EVENT_1", "E"): "ends",
            ("LOCK_STALL", "B"): "stall_b",
            ("LOCK_STALL", "E"): "stall_e",
        }.get((name, ph))
        if target:
            getattr(pids.setdefault(pid, Pid()), target).append(int(ev["ts"]))
    return pids


def first_after(values: list[int], bound: int, start: int = 0) -> int:
    """Index of the first of sorted `values` (from `start`) greater than `bound`, or len(values)."""
    i = start
    while i < len(values) and values[i] <= bound:
        i += 1
    return i


def in_order_pairs(opens: list[int], closes: list[int]) -> list[tuple[int, int]]:
    """Walk both sorted lists once: each open takes the next unused close later than it."""
    opens, closes = sorted(opens), sorted(closes)
    out, j = [], 0
    for t in opens:
        j = first_after(closes, t, j)
        if j == len(closes):
            break
        out.append((t, closes[j]))
        j += 1
    return out


def thin(values: list[int], gap: int) -> list[int]:
    """Sorted values, keeping one only when it is at least `gap` after the last one kept."""
    kept: list[int] = []
    for t in sorted(values):
        if not kept or (t > kept[-1] and t - kept[-1] >= gap):
            kept.append(t)
    return kept


def kernel_steps(starts: list[int], ends: list[int], tun: Tunables) -> dict[str, Any]:
    """Every step of the robust pairing: the greedy pairs, the gap, the thinned markers, the
    non-overlapping pairs, the outlier window and the pairs kept."""
    rough = in_order_pairs(starts, ends)
    rough_median = max(1, int(median([e - s for s, e in rough]))) if rough else 1
    gap = max(1, int(tun.dup_gap_fraction * rough_median))
    s_kept, e_kept = thin(starts, gap), thin(ends, gap)
    pairs: list[tuple[int, int]] = []
    previous_end, i, j = -1, 0, 0
    while True:
        i = first_after(s_kept, previous_end, i)
        if i == len(s_kept):
            break
        j = first_after(e_kept, s_kept[i], j)
        if j == len(e_kept):
            break
        pairs.append((s_kept[i], e_kept[j]))
        previous_end = e_kept[j]
    steps: dict[str, Any] = {"rough": rough, "gap": gap, "starts": s_kept, "ends": e_kept, "pairs": pairs,
                             "lo": None, "hi": None, "kept": []}
    if pairs:
        mid = median([e - s for s, e in pairs])
        lo = max(1, int(tun.outlier_lo * mid))
        hi = max(lo + 1, int(tun.outlier_hi * mid))
        inside = [(s, e) for s, e in pairs if lo <= e - s <= hi]
        steps.update(lo=lo, hi=hi, kept=inside or pairs)
    return steps


def kernel_pairs(starts: list[int], ends: list[int], tun: Tunables) -> list[tuple[int, int]]:
    return kernel_steps(starts, ends, tun)["kept"]


def tile_of(name: str) -> str:
    return name.split(" for ")[-1] if " for " in name else name


def core_summary(pid: Any, info: Pid, params: Params, tun: Tunables) -> dict[str, Any]:
    """The per-core dict, with the keys (and key order) of the per-core JSON files."""
    name = info.name
    expected = params.warmup + params.iterations
    pairs = kernel_pairs(info.starts, info.ends, tun)
    if not pairs:
        return {
            "pid": pid, "tile_name": tile_of(name), "detected_total_iterations": 0,
            "expected_total_iterations": expected,
            "mismatch_note": "No valid kernel pairs detected after robust filtering.",
            "iterations": [], "performance_window": [],
        }
    med = median([e - s for s, e in pairs])
    stalls = in_order_pairs(info.stall_b, info.stall_e)
    boundaries = sorted({e for s, e in stalls if e - s >= tun.lock_stall_factor * float(med)})
    groups: list[list[tuple[int, int]]] = [[]]
    for s, e in pairs:
        while len(groups) - 1 < len(boundaries) and s > boundaries[len(groups) - 1]:
            groups.append([])
        groups[-1].append((s, e))
    per_core_macs = float(params.M) * float(params.K) * float(params.N) / max(1, params.rows * params.cols)
    detected = len(groups)
    perf_from = min(params.warmup, detected)
    perf_to = min(perf_from + params.iterations, detected)
    iterations = []
    for index, group in enumerate(groups):
        durations = [e - s for s, e in group]
        span = group[-1][1] - group[0][0] if group else 0
        iterations.append({
            "num_kernels": len(group),
            "avg_duration_cycles": sum(durations) / len(durations) if group else 0.0,
            "min_duration_cycles": min(durations) if group else 0,
            "max_duration_cycles": max(durations) if group else 0,
            "total_span_cycles": span,
            "first_start": group[0][0] if group else None,
            "last_end": group[-1][1] if group else None,
            "gmacs_per_second": per_core_macs * tun.clock_ghz / span if span > 0 else 0.0,
            "iteration_index": index,
            "phase": "perf" if perf_from <= index < perf_to else ("warmup" if index < perf_from else "extra"),
        })
    note = None
    if detected < expected:
        note = f"Detected {detected} iterations but expected {expected}. Proceeding with available iterations."
    elif detected > expected:
        note = (f"Detected {detected} iterations but expected {expected}. "
                f"Truncating to first {expected} iterations for phase labeling.")
    return {
        "pid": pid, "tile_name": tile_of(name), "median_kernel_duration_cycles": med,
        "lock_stall_boundary_count": len(boundaries), "detected_total_iterations": detected,
        "expected_total_iterations": expected, "mismatch_note": note, "iterations": iterations,
        "performance_window": list(range(perf_from, perf_to)),
    }


def analyse(events: list[dict], params: Params, tun: Tunables = Tunables()) -> list[dict[str, Any]]:
    """Every core's summary, in the order of the cores' first relevant events."""
    return [
        core_summary(pid, info, params, tun)
        for pid, info in group_events(events).items()
        if info.name and "core_trace" in info.name
    ]


def aggregate(cores: list[dict[str, Any]], params: Params, tun: Tunables = Tunables()) -> dict[str, Any]:
    if not cores:
        return {"note": "No cores to aggregate."}
    windows = [{i for i in c["performance_window"] if 0 <= i < len(c["iterations"])} for c in cores]
    common = sorted(set.intersection(*windows))
    if not common:
        return {"note": "No common perf iterations across all cores."}
    macs = float(params.M) * float(params.K) * float(params.N)
    rows = []
    for i in common:
        runtime = max(int(c["iterations"][i]["total_span_cycles"]) for c in cores)
        rows.append({"iteration_index": i, "runtime_cycles": runtime,
                     "gmacs_per_second": macs * tun.clock_ghz / runtime if runtime > 0 else 0.0})
    rates = [r["gmacs_per_second"] for r in rows]
    best = worst = 0
    for i, rate in enumerate(rates):
        if rate > rates[best]:
            best = i
        if rate < rates[worst]:
            worst = i
    total_rate = 0
    for rate in rates:
        total_rate += rate
    return {
        "iterations_considered": common,
        "count": len(common),
        "average": {"runtime_cycles": sum(r["runtime_cycles"] for r in rows) / len(rows),
                    "gmacs_per_second": total_rate / len(rates)},
        "best": rows[best],
        "worst": rows[worst],
        "per_iteration": rows,
        "note": "Only iterations present on all cores are considered.",
    }


def write_outputs(out_dir: str, cores: list[dict], params: Params, input_path: str,
                  tun: Tunables = Tunables()) -> None:
    """The files the postprocessing script writes: <tile>.json per core, details.md, index.json,
    aggregate_perf.json (JSON with indent=2)."""
    os.makedirs(out_dir, exist_ok=True)
    for core in cores:
        with open(os.path.join(out_dir, f"{core['tile_name']}.json"), "w") as f:
            json.dump(core, f, indent=2)
    lines = [
        f"| {c['tile_name']} | {it['iteration_index']} | {it['phase']} | {it['num_kernels']} | "
        f"{it['avg_duration_cycles']:.3f} | {it['min_duration_cycles']} | {it['max_duration_cycles']} | "
        f"{it['total_span_cycles']} | {it['gmacs_per_second']:.3f} |\n"
        for c in cores for it in c["iterations"]
    ]
    details = None
    if lines:
        details = os.path.join(out_dir, "details.md")
        with open(details, "w") as f:
            f.write(f"<details><summary><strong>[{params.hwid}] M={params.M} K={params.K} N={params.N}"
                    "</strong></summary>\n\n")
            f.write("| Tile | Iter | Phase | Kernels | Avg cycles | Min | Max | Total span | GMAC/s |\n")
            f.write("|------|------|-------|---------|------------|-----|-----|------------|--------|\n")
            f.writelines(lines)
            f.write("\n</details>\n")
    index = {
        "hwid": params.hwid, "M": params.M, "K": params.K, "N": params.N, "m": params.m, "k": params.k,
        "n": params.n, "rows": params.rows, "cols": params.cols, "input_path": input_path,
        "output_dir": out_dir, "warmup": params.warmup, "iterations": params.iterations,
        "clock_GHz": tun.clock_ghz, "notes": [c["mismatch_note"] for c in cores if c.get("mismatch_note")],
        "details_md": details,
    }
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
    with open(os.path.join(out_dir, "aggregate_perf.json"), "w") as f:
        json.dump(aggregate(cores, params, tun), f, indent=2)
