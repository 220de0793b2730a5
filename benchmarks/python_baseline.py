"""The baseline users have today: data lifetimes computed in plain Python with dicts, the way
GainSight's own scripts do it, one layer at a time: the traces read with the csv module into a dict
of address -> cycles per buffer, the lifetimes written to a per-layer CSV (GainSight's
export_lifetimes), then read back for the per-buffer aggregate of lifetimes and read/write active
cycles, written to a per-layer aggregate CSV (its get_aggregate).

    python benchmarks/python_baseline.py RUN_DIR OUT_DIR

Prints the number of lifetimes and their sum, so the result can be compared with the warehouse."""

from __future__ import annotations

import bisect
import csv
import math
import sys
from collections import defaultdict
from pathlib import Path

# buffer -> (trace whose accesses write into the on-chip buffer, trace that reads out of it)
DIRECTIONS = {"IFMAP": ("DRAM", "SRAM"), "FILTER": ("DRAM", "SRAM"), "OFMAP": ("SRAM", "DRAM")}


def _accesses(path: Path, dram: bool):
    with open(path, newline="") as handle:
        for row in csv.reader(handle):
            if not row or not row[0].strip():
                continue
            cycle = int(float(row[0]))
            cells = [c.strip() for c in row[1:] if c.strip()]
            if dram:  # a trailing run of two or more 1.0 cells is CALC-mode padding
                ones = 0
                while ones < len(cells) and float(cells[-1 - ones]) == 1.0:
                    ones += 1
                if ones >= 2:
                    cells = cells[: len(cells) - ones]
            for cell in cells:
                if cell not in ("-1", "-1.0"):
                    yield cycle, int(float(cell))


def layer_lifetimes(layer_dir: Path):
    """Lifetimes (buffer, addr, lifetime) of one layer, and per buffer its (read, write) active cycles."""
    out = []
    active = {}
    for buffer, (write_level, read_level) in DIRECTIONS.items():
        writes: dict[int, set[int]] = defaultdict(set)
        reads: dict[int, list[int]] = defaultdict(list)
        for cycle, addr in _accesses(layer_dir / f"{buffer}_{write_level}_TRACE.csv", write_level == "DRAM"):
            writes[addr].add(cycle)
        for cycle, addr in _accesses(layer_dir / f"{buffer}_{read_level}_TRACE.csv", read_level == "DRAM"):
            reads[addr].append(cycle)
        for addr, cycles in writes.items():
            starts = sorted(cycles)
            last: dict[int, int] = {}
            for r in reads.get(addr, ()):
                i = bisect.bisect_right(starts, r) - 1
                if i >= 0:
                    last[starts[i]] = max(last.get(starts[i], r), r)
            out.extend((buffer.lower(), addr, last[w] - w) for w in starts if w in last)
        read_cycles = {c for cycles in reads.values() for c in cycles}
        write_cycles = {c for cycles in writes.values() for c in cycles}
        active[buffer.lower()] = (len(read_cycles), len(write_cycles))
    return out, active


def _quantile(ordered: list[int], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default, DuckDB's quantile_cont)."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def aggregate(lifetime_csv: Path, active: dict, aggregate_csv: Path) -> None:
    """Per buffer: lifetime count, mean, median, p90, p99, min, max and active cycles, from the CSV."""
    spans: dict[str, list[int]] = defaultdict(list)
    with open(lifetime_csv, newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        for buffer, _, lifetime in rows:
            spans[buffer].append(int(lifetime))
    with open(aggregate_csv, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["buffer", "lifetimes", "mean", "median", "p90", "p99", "min", "max",
                      "read_active_cycles", "write_active_cycles"])
        for buffer, (read_active, write_active) in active.items():
            ordered = sorted(spans.get(buffer, []))
            figures = ([len(ordered), sum(ordered) / len(ordered), _quantile(ordered, 0.5), _quantile(ordered, 0.9),
                        _quantile(ordered, 0.99), ordered[0], ordered[-1]] if ordered else [0] + [""] * 6)
            out.writerow([buffer, *figures, read_active, write_active])


def main(run_dir: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    count = total = 0
    for layer_dir in sorted(run_dir.glob("layer*"), key=lambda p: int(p.name[5:])):
        spans, active = layer_lifetimes(layer_dir)
        lifetime_csv = out_dir / f"{layer_dir.name}_lifetimes.csv"
        with open(lifetime_csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["buffer", "address", "lifetime_cycles"])
            writer.writerows(spans)
        aggregate(lifetime_csv, active, out_dir / f"{layer_dir.name}_aggregate.csv")
        count += len(spans)
        total += sum(s for _, _, s in spans)
    print(f"{count} {total}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
