"""The baseline users have today: data lifetimes computed in plain Python with dicts, the way
GainSight's own scripts do it (csv module, a dict of address -> cycles per buffer, one layer at a
time). Run as a script on a SCALE-Sim run directory; prints the number of lifetimes and their sum,
so the result can be compared with the warehouse."""

from __future__ import annotations

import bisect
import csv
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
    """Lifetimes (buffer, addr, lifetime) of one layer."""
    out = []
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
    return out


def main(run_dir: Path) -> None:
    count = total = 0
    for layer_dir in sorted(run_dir.glob("layer*"), key=lambda p: int(p.name[5:])):
        spans = layer_lifetimes(layer_dir)
        count += len(spans)
        total += sum(s for _, _, s in spans)
    print(f"{count} {total}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
