"""A plain-Python implementation of the lifetime rules and per-layer statistics (docs/definitions.md),
written independently of the SQL views, like GainSight's own dict-based scripts."""

from __future__ import annotations

import bisect
import math
from collections import defaultdict

# (buffer, level) -> is the access a write into the on-chip buffer?
IS_WRITE = {
    ("ifmap", "dram"): True, ("ifmap", "sram"): False,
    ("filter", "dram"): True, ("filter", "sram"): False,
    ("ofmap", "sram"): True, ("ofmap", "dram"): False,
}


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (pandas' default)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def analyse(accesses):
    """accesses: iterable of (layer, buffer, level, cycle, addr).

    Returns (lifetimes, dead_writes, orphan_reads) as sorted lists of tuples:
    lifetimes (layer, buffer, addr, write_cycle, last_read, lifetime, reads),
    dead (layer, buffer, addr, write_cycle), orphans (layer, buffer, addr, cycle).
    """
    writes = defaultdict(set)
    reads = defaultdict(list)
    for layer, buffer, level, cycle, addr in accesses:
        key = (layer, buffer, addr)
        if IS_WRITE[(buffer, level)]:
            writes[key].add(cycle)
        else:
            reads[key].append(cycle)
    lifetimes, dead, orphans = [], [], []
    for key in set(writes) | set(reads):
        starts = sorted(writes.get(key, ()))
        served = defaultdict(list)
        for r in reads.get(key, ()):
            i = bisect.bisect_right(starts, r) - 1
            if i < 0:
                orphans.append((*key, r))
            else:
                served[starts[i]].append(r)
        for w in starts:
            if served[w]:
                last = max(served[w])
                lifetimes.append((*key, w, last, last - w, len(served[w])))
            else:
                dead.append((*key, w))
    return sorted(lifetimes), sorted(dead), sorted(orphans)


def layer_stats(accesses, total_cycles: dict[int, int]):
    """Per (layer, buffer) for every layer in total_cycles: the statistics of layer_stats."""
    accesses = list(accesses)
    lifetimes, dead, orphans = analyse(accesses)
    out = {}
    for layer, cycles in total_cycles.items():
        for buffer in ("ifmap", "filter", "ofmap"):
            mine = [a for a in accesses if a[0] == layer and a[1] == buffer]
            read_cycles = [a[3] for a in mine if not IS_WRITE[(buffer, a[2])]]
            write_cycles = [a[3] for a in mine if IS_WRITE[(buffer, a[2])]]
            spans = [lt[5] for lt in lifetimes if lt[0] == layer and lt[1] == buffer]
            stats = {
                "lifetimes": len(spans),
                "reads": len(read_cycles),
                "writes": len(write_cycles),
                "read_active_cycles": len(set(read_cycles)),
                "write_active_cycles": len(set(write_cycles)),
                "read_freq_pct": 100.0 * len(set(read_cycles)) / cycles,
                "write_freq_pct": 100.0 * len(set(write_cycles)) / cycles,
                "footprint_words": len({a[4] for a in mine}),
                "dead_writes": sum(1 for d in dead if d[0] == layer and d[1] == buffer),
                "orphan_reads": sum(1 for o in orphans if o[0] == layer and o[1] == buffer),
            }
            if spans:
                stats.update(
                    lifetime_mean=sum(spans) / len(spans), lifetime_median=quantile(spans, 0.5),
                    lifetime_p90=quantile(spans, 0.9), lifetime_p99=quantile(spans, 0.99),
                    lifetime_min=min(spans), lifetime_max=max(spans),
                )
            else:
                stats.update(lifetime_mean=None, lifetime_median=None, lifetime_p90=None, lifetime_p99=None,
                             lifetime_min=None, lifetime_max=None)
            out[(layer, buffer)] = stats
    return out


def histogram(lifetimes) -> dict[tuple[int, str, int], tuple[int, int]]:
    """(layer, buffer, bin) -> (lifetimes, reads), from analyse()'s lifetimes. Bin 0 holds lifetime 0;
    bin k holds [2^(k-1), 2^k), which is the lifetime's bit length."""
    bins: dict = defaultdict(lambda: [0, 0])
    for layer, buffer, _addr, _write, _last, span, reads in lifetimes:
        entry = bins[(layer, buffer, int(span).bit_length())]
        entry[0] += 1
        entry[1] += reads
    return {key: tuple(value) for key, value in bins.items()}


def run_stats(accesses, total_cycles: dict[int, int]):
    """Per buffer and 'all': the lifetime figures and counts over every layer together."""
    accesses = list(accesses)
    lifetimes, dead, orphans = analyse(accesses)
    per_layer = layer_stats(accesses, total_cycles)
    out = {}
    for buffer in ("ifmap", "filter", "ofmap", "all"):
        chosen = ("ifmap", "filter", "ofmap") if buffer == "all" else (buffer,)
        spans = [lt[5] for lt in lifetimes if lt[1] in chosen]
        rows = [s for (layer, b), s in per_layer.items() if b in chosen]
        stats = {name: sum(r[name] for r in rows)
                 for name in ("reads", "writes", "footprint_words", "dead_writes", "orphan_reads")}
        stats["lifetimes"] = len(spans)
        stats.update(
            lifetime_mean=sum(spans) / len(spans) if spans else None,
            lifetime_median=quantile(spans, 0.5) if spans else None,
            lifetime_p90=quantile(spans, 0.9) if spans else None,
            lifetime_p99=quantile(spans, 0.99) if spans else None,
            lifetime_min=min(spans) if spans else None,
            lifetime_max=max(spans) if spans else None,
        )
        out[buffer] = stats
    return out


def close(a, b) -> bool:
    """Equal within float rounding; None only equals None."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
