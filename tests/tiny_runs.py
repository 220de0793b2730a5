"""Tiny SCALE-Sim run directories written inline by tests, with traces given as CSV text."""

from __future__ import annotations

from pathlib import Path

IDLE = "0,-1\n"  # a trace row with only an idle slot: no accesses


def make_run(root: Path, layers: list[dict[str, str]], total_cycles: int = 100) -> Path:
    """A run directory; each layer maps trace names like 'IFMAP_DRAM' to CSV text."""
    run = root / "run"
    run.mkdir(parents=True)
    ids = range(len(layers))
    # SCALE-Sim v3's report layouts; the figures other than total cycles do not matter to the tests.
    (run / "COMPUTE_REPORT.csv").write_text(
        "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, "
        "Mapping Efficiency %, Compute Util %,\n"
        + "".join(f"{i}, {total_cycles}, {total_cycles}, 0, 50.0, 100.0, 50.0,\n" for i in ids)
    )
    (run / "BANDWIDTH_REPORT.csv").write_text(
        "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
        "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n" + "".join(f"{i}, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,\n" for i in ids)
    )
    detailed = ", ".join(f"{level} {buffer} {what}" for level in ("SRAM", "DRAM")
                         for buffer, count in (("IFMAP", "Reads"), ("Filter", "Reads"), ("OFMAP", "Writes"))
                         for what in ("Start Cycle", "Stop Cycle", count))
    (run / "DETAILED_ACCESS_REPORT.csv").write_text(
        f"LayerID, {detailed},\n" + "".join(f"{i}, " + ", ".join(["0"] * 18) + ",\n" for i in ids)
    )
    for i, traces in enumerate(layers):
        folder = run / f"layer{i}"
        folder.mkdir()
        for buffer in ("IFMAP", "FILTER", "OFMAP"):
            for level in ("SRAM", "DRAM"):
                text = traces.get(f"{buffer}_{level}", IDLE)
                (folder / f"{buffer}_{level}_TRACE.csv").write_text(text)
    return run
