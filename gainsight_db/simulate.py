"""`gsdb simulate`: run SCALE-Sim (the `scalesim` package, v3) into a fresh folder.

SCALE-Sim writes its reports there; its traces are kept in memory and handed to the loader as they
are (`InMemoryTraces`), and written as trace CSVs too only when asked (`keep_csv`): writing them as
text takes SCALE-Sim about a quarter of its run time on ResNet-18 (docs/performance.md).

SCALE-Sim's own entry points exit 0 (or call exit()) on missing inputs, so the inputs are checked
before and the outputs after the run. v3 needs a layout file: one with only a header line is
written. SCALE-Sim drops the last field of every topology row (it expects a trailing comma), so the
topology is copied with a trailing comma on every row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from gainsight_db.common.buffers import BUFFERS, LEVELS
from gainsight_db.common.errors import GsdbError
from gainsight_db.loaders.discover import SCALESIM_REPORTS
from gainsight_db.loaders.scalesim_inputs import read_config, read_topology
from gainsight_db.loaders.scalesim_memory import InMemoryTraces
from gainsight_db.loaders.scalesim_traces import trace_file_name

LAYOUT_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


@dataclass(frozen=True)
class Simulation:
    run_dir: Path
    config: Path
    topology: Path
    log: str
    traces: InMemoryTraces


def _normalised_topology(source: Path, target: Path) -> None:
    lines = source.read_text(encoding="utf-8").splitlines()
    fixed = [line.rstrip() if line.rstrip().endswith(",") else line.rstrip() + "," for line in lines if line.strip()]
    target.write_text("\n".join(fixed) + "\n", encoding="utf-8")


def default_output_folder(warehouse: Path, run_name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return warehouse.parent / "simulations" / f"{run_name}-{stamp}"


def simulate(topology: Path, config: Path, out_dir: Path, keep_csv: bool = False) -> Simulation:
    """Run SCALE-Sim and return the run directory it wrote (checked complete) and its traces."""
    for path, what in ((topology, "topology"), (config, "config")):
        if not path.is_file():
            raise GsdbError(f"{path}: {what} file not found")
    run_config = read_config(config)
    if not run_config.run_name:
        raise GsdbError(f"{config}: no run_name in the [general] section")
    shape = read_topology(topology)
    if not shape.layers:
        raise GsdbError(f"{topology}: topology has no layers")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise GsdbError(f"{out_dir}: output folder is not empty (SCALE-Sim needs a fresh folder)")

    inputs = out_dir / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    config_copy = inputs / config.name
    shutil.copyfile(config, config_copy)
    topology_copy = inputs / topology.name
    _normalised_topology(topology, topology_copy)
    layout = inputs / "layout_header_only.csv"
    layout.write_text(LAYOUT_HEADER, encoding="utf-8")

    from scalesim.scale_sim import scalesim

    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            sim = scalesim(
                save_disk_space=not keep_csv, verbose=False, config=str(config_copy), topology=str(topology_copy),
                layout=str(layout), input_type_gemm=shape.kind == "gemm",
            )
            sim.run_scale(top_path=str(out_dir))
    except SystemExit as err:
        raise GsdbError(f"{config}: SCALE-Sim stopped: {' '.join(log.getvalue().split())[-300:]}") from err
    except Exception as err:  # SCALE-Sim raises assorted errors on inputs it cannot simulate
        raise GsdbError(f"{topology}: SCALE-Sim failed: {type(err).__name__}: {err}") from err

    run_dir = out_dir / run_config.run_name
    expected = [run_dir / name for name in SCALESIM_REPORTS]
    if keep_csv:
        expected += [
            run_dir / f"layer{layer}" / trace_file_name(buffer, level)
            for layer in range(len(shape.layers))
            for buffer in BUFFERS
            for level in LEVELS
        ]
    missing = [p for p in expected if not p.is_file()]
    if missing:
        raise GsdbError(f"{missing[0]}: SCALE-Sim did not write this file ({len(missing)} expected files missing)")
    return Simulation(run_dir, config_copy, topology_copy, log.getvalue(), InMemoryTraces.of_run(sim))
