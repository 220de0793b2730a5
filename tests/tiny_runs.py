"""Tiny SCALE-Sim run directories written inline by tests, with traces given as CSV text."""

from __future__ import annotations

from pathlib import Path

IDLE = "0,-1\n"  # a trace row with only an idle slot: no accesses


def make_run(root: Path, layers: list[dict[str, str]], total_cycles: int = 100) -> Path:
    """A run directory; each layer maps trace names like 'IFMAP_DRAM' to CSV text."""
    run = root / "run"
    run.mkdir(parents=True)
    ids = range(len(layers))
    (run / "COMPUTE_REPORT.csv").write_text(
        "LayerID, Total Cycles, Stall Cycles,\n" + "".join(f"{i}, {total_cycles}, 0,\n" for i in ids)
    )
    (run / "BANDWIDTH_REPORT.csv").write_text(
        "LayerID, Avg IFMAP SRAM BW,\n" + "".join(f"{i}, 1.0,\n" for i in ids)
    )
    (run / "DETAILED_ACCESS_REPORT.csv").write_text(
        "LayerID, SRAM IFMAP Reads, SRAM Filter Reads, SRAM OFMAP Writes, DRAM IFMAP Reads, "
        "DRAM Filter Reads, DRAM OFMAP Writes,\n" + "".join(f"{i}, 0, 0, 0, 0, 0, 0,\n" for i in ids)
    )
    for i, traces in enumerate(layers):
        folder = run / f"layer{i}"
        folder.mkdir()
        for buffer in ("IFMAP", "FILTER", "OFMAP"):
            for level in ("SRAM", "DRAM"):
                text = traces.get(f"{buffer}_{level}", IDLE)
                (folder / f"{buffer}_{level}_TRACE.csv").write_text(text)
    return run
