"""A plain-Python reading of SCALE-Sim traces (the access rules of docs/definitions.md), written
independently of the loader: the reference the tests compare the warehouse with."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

BUFFERS = ("ifmap", "filter", "ofmap")
LEVELS = ("sram", "dram")


def trace_name(buffer: str, level: str) -> str:
    return f"{buffer.upper()}_{level.upper()}_TRACE.csv"


def reference_accesses(path: Path, level: str) -> tuple[list[tuple[int, int]], int]:
    """(sorted [(cycle, addr)], padding cells dropped) of one trace, read with the csv module."""
    accesses: list[tuple[int, int]] = []
    padding = 0
    with open(path, newline="") as handle:
        for row in csv.reader(handle):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            cycle = int(float(cells[0]))
            rest = [c for c in cells[1:] if c != ""]
            if level == "dram":
                ones = 0
                while ones < len(rest) and float(rest[len(rest) - 1 - ones]) == 1.0:
                    ones += 1
                if ones >= 2:  # a trailing run of two or more 1.0 cells is CALC-mode padding
                    rest = rest[: len(rest) - ones]
                    padding += ones
            for cell in rest:
                if cell in ("-1", "-1.0"):
                    continue
                accesses.append((cycle, int(float(cell))))
    accesses.sort()
    return accesses, padding


def run_access_counts(run_dir: Path) -> Counter:
    """Accesses per (layer, buffer, level) for every layer folder of a run directory."""
    counts: Counter = Counter()
    for layer_dir in run_dir.glob("layer*"):
        layer = int(layer_dir.name[len("layer"):])
        for buffer in BUFFERS:
            for level in LEVELS:
                counts[(layer, buffer, level)] = len(reference_accesses(layer_dir / trace_name(buffer, level), level)[0])
    return counts


def run_accesses(run_dir: Path, layers) -> list[tuple[int, str, str, int, int]]:
    """Every access (layer, buffer, level, cycle, addr) of the given layers of a run directory."""
    return [
        (layer, buffer, level, cycle, addr)
        for layer in layers
        for buffer in BUFFERS
        for level in LEVELS
        for cycle, addr in reference_accesses(run_dir / f"layer{layer}" / trace_name(buffer, level), level)[0]
    ]


def total_cycles(run_dir) -> dict[int, int]:
    """LayerID -> Total Cycles, read from COMPUTE_REPORT.csv with the csv module."""
    with open(run_dir / "COMPUTE_REPORT.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    header = [c.strip() for c in rows[0]]
    layer_col, cycles_col = header.index("LayerID"), header.index("Total Cycles")
    return {int(r[layer_col]): int(float(r[cycles_col])) for r in rows[1:] if r and r[0].strip()}
