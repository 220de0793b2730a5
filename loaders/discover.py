"""Finding what to ingest under a path: SCALE-Sim run directories (and, later, other inputs)."""

from __future__ import annotations

import os
from pathlib import Path

from gainsight_db.errors import GsdbError

SCALESIM_REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")


def find_scalesim_runs(path: Path) -> list[Path]:
    """Every SCALE-Sim run directory at or below `path` (a folder holding any of its reports).

    A run's own folders (layer0/, ...) are not searched further.
    """
    if not path.exists():
        raise GsdbError(f"{path}: no such file or folder")
    if not path.is_dir():
        raise GsdbError(f"{path}: not a SCALE-Sim run directory or a folder of runs")
    if not os.access(path, os.R_OK | os.X_OK):
        raise GsdbError(f"{path}: cannot read folder: permission denied")

    def fail(err: OSError) -> None:
        raise GsdbError(f"{err.filename}: cannot read folder: {err.strerror}")

    runs: list[Path] = []
    for folder, subfolders, files in os.walk(path, onerror=fail, followlinks=True):
        if any(name in files for name in SCALESIM_REPORTS):
            runs.append(Path(folder))
            subfolders.clear()
        else:
            subfolders.sort()
    if not runs:
        raise GsdbError(f"{path}: no SCALE-Sim run found (no COMPUTE_REPORT.csv in it or below it)")
    return sorted(runs)
