"""Finding what to ingest under a path: SCALE-Sim run directories and AI Engine traces (.json)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gainsight_db.common.errors import GsdbError

SCALESIM_REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")
TRACE_SUFFIX = ".json"


@dataclass(frozen=True)
class Input:
    """One thing to ingest: a SCALE-Sim run directory ('scalesim') or an AI Engine trace ('aie')."""

    kind: str
    path: Path


def find_inputs(path: Path) -> list[Input]:
    """Every SCALE-Sim run directory (a folder holding any of its reports) and AI Engine trace at
    or below `path`. A path to a .json file is one trace. In a folder walk, a run's own folders
    (layer0/, ...) are not searched further, and a .json file that is a JSON object without a
    traceEvents member (another tool's JSON) is not taken for a trace.
    """
    from gainsight_db.loaders.aie_ingest import looks_like_trace

    if not path.exists():
        raise GsdbError(f"{path}: no such file or folder")
    if not path.is_dir():
        if path.suffix.lower() == TRACE_SUFFIX:
            return [Input("aie", path)]
        raise GsdbError(f"{path}: not a SCALE-Sim run directory, a folder of runs or an AI Engine trace (.json)")
    if not os.access(path, os.R_OK | os.X_OK):
        raise GsdbError(f"{path}: cannot read folder: permission denied")

    def fail(err: OSError) -> None:
        raise GsdbError(f"{err.filename}: cannot read folder: {err.strerror}")

    found: list[Input] = []
    for folder, subfolders, files in os.walk(path, onerror=fail, followlinks=True):
        if any(name in files for name in SCALESIM_REPORTS):
            found.append(Input("scalesim", Path(folder)))
            subfolders.clear()
            continue
        subfolders.sort()
        for name in sorted(files):
            trace = Path(folder) / name
            if name.lower().endswith(TRACE_SUFFIX) and trace.is_file() and looks_like_trace(trace):
                found.append(Input("aie", trace))
    if not found:
        raise GsdbError(
            f"{path}: no SCALE-Sim run or AI Engine trace found (no COMPUTE_REPORT.csv or trace .json in it or below it)"
        )
    return sorted(found, key=lambda i: str(i.path))
