"""`gsdb simulate`: run SCALE-Sim (the `scalesim` package, v3) into a fresh folder.

A simulation is prepared first (`prepare_simulation`): the config and topology are read and checked,
the overrides (array, SRAM sizes, dataflow, bandwidth) applied to the config, and the identity of the
inputs worked out (`inputs_identity`): simulating inputs with the identity of an earlier simulated
run replaces that run. Its name is then chosen (`choose_run_name`), and SCALE-Sim is run
(`run_simulation`) on copies of the inputs written in the output folder, the effective config
carrying the run's name as its run_name.

SCALE-Sim writes its reports there; its traces are handed to the loader as SCALE-Sim made them, and
written as trace CSVs too only when asked (`keep_csv`): writing them as text takes SCALE-Sim about a
quarter of its run time on ResNet-18 (docs/performance.md). Given a shard folder, each layer's traces
leave SCALE-Sim's objects as soon as the layer is simulated, into shard files (`ShardTraces`), so
that the simulation holds about one layer at a time; otherwise they stay in SCALE-Sim's memory until
the run ends (`InMemoryTraces`).

SCALE-Sim's own entry points exit 0 (or call exit()) on missing inputs, so the inputs are checked
before and the outputs after the run. v3 needs a layout file: one with only a header line is
written. SCALE-Sim drops the last field of every topology row (it expects a trailing comma), so the
topology is copied with a trailing comma on every row.
"""

from __future__ import annotations

import configparser
import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import duckdb

from gainsight_db.common.buffers import BUFFERS, LEVELS
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.progress import NoProgress, Progress
from gainsight_db.common.worker_process import starting_workers, start_worker
from gainsight_db.loaders.discover import SCALESIM_REPORTS
from gainsight_db.loaders.scalesim_inputs import (
    RunConfig,
    Topology,
    read_config,
    read_topology,
)
from gainsight_db.loaders.scalesim_memory import InMemoryTraces, hand_over_layer
from gainsight_db.loaders.trace_shards import ShardTraces, write_layer
from gainsight_db.loaders.scalesim_traces import trace_path
from gainsight_db.warehouse.runs import (
    COORDINATES,
    run_names,
    runs_named,
    simulated_run,
)

LAYOUT_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
DATAFLOWS = ("os", "ws", "is")
_PRESETS = "architecture_presets"
_LARGEST = 2**31 - 1  # the runs columns of array and SRAM sizes are INTEGERs
# A run name given with --name: a folder name SCALE-Sim can write, and not a run id.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")


# Overrides -----------------------------------------------------------------------------------------
def _whole_number(name: str, value: Any, what: str) -> int | None:
    """A positive whole number given as an int or as its decimal text; anything else is refused."""
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise GsdbError(f"{name} {value!r}: expected a positive whole number ({what})")
    if not 1 <= number <= _LARGEST:
        raise GsdbError(f"{name} {value!r}: expected a whole number from 1 to {_LARGEST} ({what})")
    return number


def _array(value: Any) -> tuple[int, int] | None:
    """ROWSxCOLS ("32x32"), or a (rows, cols) pair."""
    if value is None:
        return None
    parts = value.lower().split("x") if isinstance(value, str) else value
    problem = f"array {value!r}: expected ROWSxCOLS, two positive whole numbers (e.g. 32x32)"
    if isinstance(parts, (str, bytes)) or not isinstance(parts, (list, tuple)) or len(parts) != 2:
        raise GsdbError(problem)
    try:
        rows, cols = (_whole_number("array", part, "processing elements") for part in parts)
    except GsdbError:
        raise GsdbError(problem) from None
    return rows, cols


# Per-buffer SRAM sizes: (override, config key).
BUFFER_SRAMS = (("ifmap_sram_kb", "IfmapSramSzkB"), ("filter_sram_kb", "FilterSramSzkB"),
                ("ofmap_sram_kb", "OfmapSramSzkB"))


@dataclass(frozen=True)
class Overrides:
    """What `gsdb simulate` (or a point of `gsdb sweep`) changes in the config it is given."""

    array: tuple[int, int] | None = None  # ArrayHeight, ArrayWidth (processing elements)
    sram_kb: int | None = None  # IfmapSramSzkB, FilterSramSzkB and OfmapSramSzkB (KiB)
    dataflow: str | None = None  # Dataflow: os, ws or is
    bandwidth: int | None = None  # Bandwidth (words per cycle), with InterfaceBandwidth USER
    ifmap_sram_kb: int | None = None  # IfmapSramSzkB alone (KiB)
    filter_sram_kb: int | None = None  # FilterSramSzkB alone (KiB)
    ofmap_sram_kb: int | None = None  # OfmapSramSzkB alone (KiB)

    @classmethod
    def parse(cls, *, array: Any = None, sram_kb: Any = None, dataflow: Any = None, bandwidth: Any = None,
              ifmap_sram_kb: Any = None, filter_sram_kb: Any = None, ofmap_sram_kb: Any = None) -> Overrides:
        """Overrides from values as a user gives them (numbers or their text), each checked. sram_kb
        sets all three buffers, so it is refused together with a size of one buffer."""
        if dataflow is not None:
            if not isinstance(dataflow, str) or dataflow.strip().lower() not in DATAFLOWS:
                raise GsdbError(f"dataflow {dataflow!r}: expected one of {', '.join(DATAFLOWS)}")
            dataflow = dataflow.strip().lower()
        buffers = {"ifmap_sram_kb": ifmap_sram_kb, "filter_sram_kb": filter_sram_kb, "ofmap_sram_kb": ofmap_sram_kb}
        given = [name for name, value in buffers.items() if value is not None]
        if sram_kb is not None and given:
            raise GsdbError(f"sram_kb sets all three SRAM sizes: give it or {given[0]}, not both")
        sizes = {name: _whole_number(name, value, "KiB") for name, value in buffers.items()}
        return cls(_array(array), _whole_number("sram_kb", sram_kb, "KiB per buffer"), dataflow,
                   _whole_number("bandwidth", bandwidth, "words per cycle"), **sizes)

    def settings(self) -> list[tuple[str, str, str]]:
        """The config keys these overrides set: (section, key, value)."""
        keys: list[tuple[str, str, str]] = []
        if self.array:
            keys += [(_PRESETS, "ArrayHeight", str(self.array[0])), (_PRESETS, "ArrayWidth", str(self.array[1]))]
        if self.sram_kb:
            keys += [(_PRESETS, key, str(self.sram_kb)) for _, key in BUFFER_SRAMS]
        keys += [(_PRESETS, key, str(getattr(self, name))) for name, key in BUFFER_SRAMS if getattr(self, name)]
        if self.dataflow:
            keys.append((_PRESETS, "Dataflow", self.dataflow))
        if self.bandwidth:
            # SCALE-Sim reads Bandwidth only in USER mode: a bandwidth given is a bandwidth used.
            keys += [(_PRESETS, "Bandwidth", str(self.bandwidth)), ("run_presets", "InterfaceBandwidth", "USER")]
        return keys

    def describe(self) -> str:
        """As recorded in runs.overrides: 'array=8x16 dataflow=os' ('' for none), in the order array,
        sram_kb, ifmap_sram_kb, filter_sram_kb, ofmap_sram_kb, dataflow, bandwidth."""
        parts = []
        if self.array:
            parts.append(f"array={self.array[0]}x{self.array[1]}")
        if self.sram_kb:
            parts.append(f"sram_kb={self.sram_kb}")
        parts += [f"{name}={getattr(self, name)}" for name, _ in BUFFER_SRAMS if getattr(self, name)]
        if self.dataflow:
            parts.append(f"dataflow={self.dataflow}")
        if self.bandwidth:
            parts.append(f"bandwidth={self.bandwidth}")
        return " ".join(parts)


def check_run_name(name: Any) -> str:
    """A run name given by the user: a folder name, and not one `--run` would read as a run id."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise GsdbError(f"name {name!r}: a run name is up to 128 letters, digits, '_', '-', '.' and '+', "
                        "starting with a letter, digit or '_'")
    if name.isdigit():
        raise GsdbError(f"name {name!r}: a name of digits only would read as a run id")
    return name


# The inputs ----------------------------------------------------------------------------------------
def _set_key(sections: dict[str, dict[str, str]], section: str, key: str, value: str) -> None:
    """Set a config key where the config has it (sections and keys matched whatever their case, as
    SCALE-Sim matches keys), or add it."""
    found = next((name for name in sections if name.lower() == section.lower()), None)
    values = sections.setdefault(found or section, {})
    existing = next((k for k in values if k.lower() == key.lower()), None)
    values[existing or key] = value


def inputs_identity(sections: dict[str, dict[str, str]], topology_text: str, scalesim_version: str) -> str:
    """SHA-256 of a simulation's inputs, as documented for runs.inputs_sha256: the effective config
    without its run_name (keys lower-cased, values trimmed, empty sections left out), the topology as
    given to SCALE-Sim, and the scalesim version."""
    config = {}
    for section, values in sections.items():
        kept = {key.lower(): value.strip() for key, value in values.items()
                if not (section.lower() == "general" and key.lower() == "run_name")}
        if kept:
            config[section] = kept
    document = {"config": config, "scalesim": scalesim_version, "topology": topology_text}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalised_topology(source: Path) -> str:
    """The topology as SCALE-Sim is given it: blank lines dropped, every row ending with a comma."""
    lines = source.read_text(encoding="utf-8").splitlines()
    fixed = [line.rstrip() if line.rstrip().endswith(",") else line.rstrip() + "," for line in lines if line.strip()]
    return "\n".join(fixed) + "\n"


@dataclass(frozen=True)
class SimulationInputs:
    """A simulation's inputs, read, checked, with the overrides applied."""

    config_path: Path  # the config given
    topology_path: Path  # the topology given
    config_run_name: str | None  # the given config's run_name
    sections: dict[str, dict[str, str]]  # the effective config (run_name as given)
    topology: Topology
    topology_text: str  # as SCALE-Sim is given it
    overrides: Overrides
    identity: str  # inputs_identity

    def coordinates(self) -> dict[str, object]:
        """The effective config's array, SRAM sizes, dataflow and bandwidth, as runs records them."""
        columns = RunConfig(self.config_path, None, self.sections).columns()
        return {key: columns[key] for key in COORDINATES}


def prepare_simulation(topology: Path, config: Path, overrides: Overrides | None = None) -> SimulationInputs:
    """Read and check a simulation's inputs and apply the overrides; nothing is written."""
    overrides = overrides or Overrides()
    for path, what in ((topology, "topology"), (config, "config")):
        if not path.is_file():
            raise GsdbError(f"{path}: {what} file not found")
    given = read_config(config)
    for section, values in given.sections.items():
        seen: dict[str, str] = {}
        for key in values:
            if key.lower() in seen:  # SCALE-Sim's reader matches keys whatever their case
                raise GsdbError(f"{config}: [{section}] has both {seen[key.lower()]} and {key}")
            seen[key.lower()] = key
    sections = {name: dict(values) for name, values in given.sections.items()}
    for section, key, value in overrides.settings():
        _set_key(sections, section, key, value)
    RunConfig(config, None, sections).numbers()  # the effective config's numbers, checked as any config's
    shape = read_topology(topology)
    if not shape.layers:
        raise GsdbError(f"{topology}: topology has no layers")
    text = normalised_topology(topology)
    identity = inputs_identity(sections, text, importlib.metadata.version("scalesim"))
    return SimulationInputs(config, topology, given.run_name, sections, shape, text, overrides, identity)


# The run's name ------------------------------------------------------------------------------------
def _coordinate_labels(mine: dict[str, object], theirs: dict[str, object]) -> list[str]:
    """How a run's coordinates read in a name (8x16, 64kb, os, bw10), for those that differ from
    another run's known ones."""

    def labels(c: dict[str, object]) -> dict[str, str | None]:
        srams = (c["ifmap_sram_kb"], c["filter_sram_kb"], c["ofmap_sram_kb"])
        mode = str(c["bandwidth_mode"] or "").upper()
        return {
            "array": f"{c['array_rows']}x{c['array_cols']}" if c["array_rows"] and c["array_cols"] else None,
            "sram": None if None in srams else f"{srams[0]}kb" if len(set(srams)) == 1 else "-".join(map(str, srams)) + "kb",
            "dataflow": str(c["dataflow"]) if c["dataflow"] else None,
            "bandwidth": f"bw{c['dram_bandwidth']}".replace(",", "-") if mode == "USER" else "bwcalc" if mode == "CALC" else None,
        }

    new, old = labels(mine), labels(theirs)
    return [new[key] for key in new if new[key] and old[key] and new[key] != old[key]]


def choose_run_name(con: duckdb.DuckDBPyConnection, inputs: SimulationInputs,
                    name: str | None) -> tuple[str, str | None]:
    """The name of the run a simulation makes, and a note for the user when it is not the name they
    would expect.

    - `name` given: that name; if another run has it (other than the run simulated earlier from inputs
      with the same identity, which this simulation replaces), the simulation is refused.
    - otherwise the config's run_name; if another run has it, the run is named after what differs
      from that run (`<run_name>_os`, `<run_name>_8x16_os`, ...), or `<run_name>-2`, `-3`, ... when
      nothing of array, SRAM sizes, dataflow and bandwidth differs, and the note says so.
    """
    replacing = simulated_run(con, inputs.identity)
    if name is not None:
        check_run_name(name)
        others = [run for run in runs_named(con, name) if run["run_id"] != replacing]
        if others:
            other = others[0]["run_id"]
            raise GsdbError(f"name {name!r}: run {other} already has this name and other inputs; give another "
                            f"name, or remove that run first (gsdb rm {other})")
        return name, None
    base = inputs.config_run_name
    if not base:
        raise GsdbError(f"{inputs.config_path}: no run_name in the [general] section (or give the run a name)")
    others = [run for run in runs_named(con, base) if run["run_id"] != replacing]
    if not others:
        return base, None
    taken = {n for n, ids in run_names(con).items() if ids != [replacing]}
    stem = "_".join([base, *_coordinate_labels(inputs.coordinates(), others[0])])
    chosen, count = stem, 2
    while chosen in taken:
        chosen, count = f"{stem}-{count}", count + 1
    return chosen, f"run name {base!r} is taken by run {others[0]['run_id']} (other inputs): this run is named {chosen!r}"


# Running SCALE-Sim ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Simulation:
    run_dir: Path
    config: Path  # the effective config, as given to SCALE-Sim
    topology: Path  # the topology, as given to SCALE-Sim
    log: str
    traces: InMemoryTraces | ShardTraces | None  # None: handed over layer by layer (run_simulation)
    inputs: SimulationInputs


def default_output_folder(warehouse: Path, run_name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return warehouse.parent / "simulations" / f"{run_name}-{stamp}"


def _config_text(inputs: SimulationInputs, run_name: str) -> str:
    sections = {name: dict(values) for name, values in inputs.sections.items()}
    _set_key(sections, "general", "run_name", run_name)
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep the keys as written
    parser.read_dict(sections)
    text = io.StringIO()
    changes = inputs.overrides.describe()
    text.write(f"# {inputs.config_path}{' with ' + changes if changes else ''}, as given to SCALE-Sim\n")
    parser.write(text)
    return text.getvalue()


LayerHook = Callable[[int, Any], None]


def run_layers(sim, top_path: str, before_layer: LayerHook | None = None, after_layer: LayerHook | None = None) -> None:
    """What scalesim 3.0.0's `run_scale` does with verbose off, one layer at a time, so that the
    caller hears of each layer: `before_layer(index, layer)` and `after_layer(index, layer)` (its
    traces then in memory, and written when SCALE-Sim saves them) with its `single_layer_sim`.
    The output is SCALE-Sim's own: reports from its `generate_reports`, traces from `save_traces`."""
    from scalesim.single_layer_sim import single_layer_sim

    runner = sim.runner
    runner.set_params(config_obj=sim.config, topo_obj=sim.topo, layout_obj=sim.layout, top_path=top_path,
                      verbosity=False, save_trace=not sim.save_space)
    layers = runner.single_layer_sim_object_list
    for index in range(runner.num_layers):
        layer = single_layer_sim()
        layer.set_params(layer_id=index, config_obj=runner.conf, topology_obj=runner.topo,
                         layout_obj=runner.layout, verbose=False)
        layers.append(layer)
    report_path = runner.top_path + "/" + runner.conf.get_run_name()
    Path(report_path).mkdir(parents=True, exist_ok=True)
    runner.top_path = report_path
    for index, layer in enumerate(layers):
        if before_layer:
            before_layer(index, layer)
        layer.run()
        if runner.save_trace:
            layer.save_traces(runner.top_path)
        if after_layer:
            after_layer(index, layer)
    runner.all_layer_run_done = True
    runner.generate_reports()
    sim.run_done_flag = sim.logs_generated_flag = True


def run_simulation(inputs: SimulationInputs, run_name: str, out_dir: Path, keep_csv: bool = False,
                   progress: Progress | None = None, shards: Path | None = None,
                   layer_ready: Callable[[int], None] | None = None) -> Simulation:
    """Run SCALE-Sim on the inputs in a fresh folder, as run `run_name`; the run directory it wrote
    (checked complete) and its traces. With `shards` (an existing folder), each layer's traces are
    handed over into shard files there as soon as the layer is simulated, and `layer_ready(layer)`,
    if given, hears of each layer's shards once written (they are then its to take: the simulation's
    `traces` is None); without `shards`, they stay in SCALE-Sim's memory. `progress` counts the
    layers simulated."""
    progress = progress or NoProgress()
    if out_dir.exists() and any(out_dir.iterdir()):
        raise GsdbError(f"{out_dir}: output folder is not empty (SCALE-Sim needs a fresh folder)")
    inputs_dir = out_dir / "inputs"
    inputs_dir.mkdir(parents=True, exist_ok=True)
    config_copy = inputs_dir / inputs.config_path.name
    config_copy.write_text(_config_text(inputs, run_name), encoding="utf-8")
    topology_copy = inputs_dir / inputs.topology_path.name
    topology_copy.write_text(inputs.topology_text, encoding="utf-8")
    layout = inputs_dir / "layout_header_only.csv"
    layout.write_text(LAYOUT_HEADER, encoding="utf-8")

    from scalesim.scale_sim import scalesim

    names = [layer.name for layer in inputs.topology.layers]
    progress.start(len(names), f"simulating {run_name}", "layers")

    def before_layer(index: int, layer) -> None:
        label = f" ({names[index]})" if index < len(names) else ""
        progress.advance(0, f"simulating {run_name} layer {index + 1}/{len(names)}{label}")

    def after_layer(index: int, layer) -> None:
        if shards is not None:
            try:
                write_layer(shards, index, hand_over_layer(layer))
            except OSError as err:
                raise GsdbError(f"{shards}: cannot write the traces of layer {index}: {err.strerror or err}") from err
            if layer_ready is not None:
                layer_ready(index)
        progress.advance(1)

    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            sim = scalesim(
                save_disk_space=not keep_csv, verbose=False, config=str(config_copy), topology=str(topology_copy),
                layout=str(layout), input_type_gemm=inputs.topology.kind == "gemm",
            )
            run_layers(sim, str(out_dir), before_layer, after_layer)
    except GsdbError:
        raise
    except SystemExit as err:
        raise GsdbError(f"{inputs.config_path}: SCALE-Sim stopped: {' '.join(log.getvalue().split())[-300:]}") from err
    except Exception as err:  # SCALE-Sim raises assorted errors on inputs it cannot simulate
        raise GsdbError(f"{inputs.topology_path}: SCALE-Sim failed: {type(err).__name__}: {err}") from err

    run_dir = out_dir / run_name
    expected = [run_dir / name for name in SCALESIM_REPORTS]
    if keep_csv:
        expected += [
            trace_path(run_dir, layer, buffer, level)
            for layer in range(len(inputs.topology.layers))
            for buffer in BUFFERS
            for level in LEVELS
        ]
    missing = [p for p in expected if not p.is_file()]
    if missing:
        raise GsdbError(f"{missing[0]}: SCALE-Sim did not write this file ({len(missing)} expected files missing)")
    if shards is None:
        traces = InMemoryTraces.of_run(sim)
    else:
        traces = ShardTraces(shards) if layer_ready is None else None
    return Simulation(run_dir, config_copy, topology_copy, log.getvalue(), traces, inputs)



# SCALE-Sim in a worker process ---------------------------------------------------------------------
class _RelayedProgress:
    """In the worker: the simulation's progress, sent to the parent."""

    def __init__(self, channel) -> None:
        self._channel = channel

    def start(self, total: int, description: str, unit: str) -> None:
        self._channel.send(("start", total, description, unit))

    def advance(self, amount: int, description: str | None = None) -> None:
        self._channel.send(("advance", amount, description))


def _simulation_worker(channel, parent: int, inputs: SimulationInputs, run_name: str, out_dir: Path,
                       keep_csv: bool, shards: Path) -> None:
    """What the worker process runs: the simulation, each message for the parent sent on `channel`
    (the write end of a pipe; each is pickled as it is sent): progress, ("layer", index) once a
    layer's shards are written, then ("done", simulation) or ("failed", one line). A parent gone
    (the pipe broken) ends the worker."""
    start_worker(parent)
    try:
        try:
            simulation = run_simulation(inputs, run_name, out_dir, keep_csv, _RelayedProgress(channel), shards,
                                        layer_ready=lambda layer: channel.send(("layer", layer)))
            channel.send(("done", simulation))
        except GsdbError as err:
            channel.send(("failed", str(err)))
        except BaseException as err:  # noqa: BLE001 - anything else, said in one line
            channel.send(("failed", f"{inputs.topology_path}: SCALE-Sim failed: {type(err).__name__}: {err}"))
    except OSError:  # the parent has gone: nobody to tell
        os._exit(1)
    finally:
        channel.close()


def run_simulation_apart(inputs: SimulationInputs, run_name: str, out_dir: Path, keep_csv: bool = False,
                         progress: Progress | None = None, *, shards: Path,
                         layer_ready: Callable[[int], None]) -> Simulation:
    """`run_simulation` with shards, SCALE-Sim running in a worker process: the caller's process (its
    DuckDB connection, its threads) shares neither the GIL nor its memory with SCALE-Sim, and hears
    of each layer in its calling thread (`layer_ready(layer)`, the layer's shards then written) while
    SCALE-Sim goes on with the next. `progress` is advanced as the worker reports. An error in the
    worker is raised here as the worker said it, and a worker that ends without a word (killed) is
    an error too; if `layer_ready` raises, or the caller is interrupted, the worker is ended before
    this returns. A Ctrl-C while the worker is being started (a few milliseconds) takes effect just
    after (`starting_workers`)."""
    import multiprocessing

    progress = progress or NoProgress()
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    worker = context.Process(target=_simulation_worker, name="gsdb-simulate",
                             args=(writer, os.getpid(), inputs, run_name, out_dir, keep_csv, shards), daemon=True)
    finished = False
    try:
        with starting_workers():
            worker.start()
        writer.close()  # the worker's alone: once it has ended, the pipe reads as ended
        while True:
            if not reader.poll(0.25):
                continue
            try:
                kind, *values = reader.recv()
            except EOFError:
                worker.join(timeout=5)
                code = worker.exitcode
                how = f"exit code {code}: killed, or out of memory?" if code is None or code < 0 else f"exit code {code}"
                raise GsdbError(f"{inputs.topology_path}: the process running SCALE-Sim ended unexpectedly "
                                f"({how})") from None
            if kind == "layer":
                layer_ready(values[0])
            elif kind == "start":
                progress.start(*values)
            elif kind == "advance":
                progress.advance(*values)
            elif kind == "failed":
                raise GsdbError(values[0])
            else:
                finished = True
                return values[0]
    finally:
        writer.close()
        try:
            _end(worker, finished)
        finally:
            reader.close()


def _end(worker, finished: bool) -> None:
    """Let a worker that has said its last exit; end any other now (however this is interrupted)."""
    if worker.pid is None:  # never started
        return
    try:
        if finished:
            worker.join(timeout=30)
    finally:
        if worker.is_alive():
            worker.terminate()
            worker.join(timeout=10)
        if worker.is_alive():
            worker.kill()
            worker.join(timeout=10)


def simulate(topology: Path, config: Path, out_dir: Path, keep_csv: bool = False, *,
             overrides: Overrides | None = None, name: str | None = None,
             progress: Progress | None = None) -> Simulation:
    """Prepare and run a simulation into `out_dir` (no warehouse involved), named `name` or after the
    config's run_name."""
    inputs = prepare_simulation(topology, config, overrides)
    run_name = check_run_name(name) if name is not None else inputs.config_run_name
    if not run_name:
        raise GsdbError(f"{config}: no run_name in the [general] section")
    return run_simulation(inputs, run_name, out_dir, keep_csv, progress)
