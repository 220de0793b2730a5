"""SCALE-Sim inputs: the config (.cfg) and the topology (.csv) a run was made with.

Both are small files read once; the traces (the large files) are parsed by DuckDB. Their numbers are
read as SCALE-Sim reads them, with Python's int(): `8.0`, `1e20` or `inf` would stop SCALE-Sim, and
are refused here too, as are values their columns cannot hold and shapes SCALE-Sim refuses.
"""

from __future__ import annotations

import configparser
import csv
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from gainsight_db.common.errors import GsdbError

# The most layers a run may have: accesses.layer is a SMALLINT, so LayerIDs run from 0 to 32767. A
# topology that expands (depthwise rows: one layer per channel) to more is refused before it is.
MAX_LAYERS = 32768
_INTEGER_MAX = 2**31 - 1  # INTEGER columns (runs.array_rows, layer_shapes.*)
_BIGINT_MAX = 2**63 - 1  # BIGINT columns (runs.ifmap_offset, layer_shapes.macs)

# The config's numbers: (section, key, the most its column holds, the least SCALE-Sim can use).
_CONFIG_NUMBERS = {
    "array_rows": ("ArrayHeight", _INTEGER_MAX, 1),
    "array_cols": ("ArrayWidth", _INTEGER_MAX, 1),
    "ifmap_sram_kb": ("IfmapSramSzkB", _INTEGER_MAX, 1),
    "filter_sram_kb": ("FilterSramSzkB", _INTEGER_MAX, 1),
    "ofmap_sram_kb": ("OfmapSramSzkB", _INTEGER_MAX, 1),
    "ifmap_offset": ("IfmapOffset", _BIGINT_MAX, 0),
    "filter_offset": ("FilterOffset", _BIGINT_MAX, 0),
    "ofmap_offset": ("OfmapOffset", _BIGINT_MAX, 0),
}


def _integer(text: str, where: str, minimum: int, maximum: int) -> int:
    """`text` read as SCALE-Sim reads a number (int()), within [minimum, maximum]; `where` starts the
    message (the file and what the value is)."""
    try:
        number = int(text)
    except ValueError:
        try:
            finite = math.isfinite(float(text))
        except ValueError:
            finite = False
        raise GsdbError(f"{where} {text!r} is {'not an integer' if finite else 'not a number'} "
                        "(SCALE-Sim reads it with int())") from None
    if number < minimum:
        raise GsdbError(f"{where} {text!r} must be {'positive' if minimum == 1 else 'at least ' + str(minimum)}")
    if number > maximum:
        raise GsdbError(f"{where} {text!r} is out of range (at most {maximum})")
    return number


@dataclass(frozen=True)
class RunConfig:
    """What a SCALE-Sim config says about the hardware."""

    path: Path
    run_name: str | None
    sections: dict[str, dict[str, str]]

    def get(self, section: str, key: str) -> str | None:
        for sec_name, values in self.sections.items():
            if sec_name.lower() != section.lower():
                continue
            for k, v in values.items():
                if k.lower() == key.lower():
                    return v
        return None

    def get_int(self, section: str, key: str, maximum: int = _BIGINT_MAX, minimum: int = -_BIGINT_MAX - 1) -> int | None:
        value = self.get(section, key)
        if value is None or value == "":
            return None
        return _integer(value, f"{self.path}: [{section}] {key} =", minimum, maximum)

    def numbers(self) -> dict[str, int | None]:
        """The `runs` columns of the config's numbers, each checked."""
        return {
            column: self.get_int("architecture_presets", key, maximum, minimum)
            for column, (key, maximum, minimum) in _CONFIG_NUMBERS.items()
        }

    def columns(self) -> dict[str, object]:
        """The `runs` columns this config fills."""
        preset = "architecture_presets"
        dataflow = self.get(preset, "Dataflow")
        mode = self.get("run_presets", "InterfaceBandwidth")
        return {
            "config_path": str(self.path),
            **self.numbers(),
            "dataflow": dataflow.strip().lower() if dataflow else None,
            "bandwidth_mode": mode.strip().upper() if mode else None,
            "dram_bandwidth": self.get(preset, "Bandwidth"),
            "config": json.dumps(self.sections),
        }


def read_config(path: Path) -> RunConfig:
    parser = configparser.ConfigParser(interpolation=None, delimiters=(":", "="))
    parser.optionxform = str  # keep the keys as written
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as err:
        raise GsdbError(f"{path}: cannot read config: {err.strerror}") from err
    except (configparser.Error, UnicodeDecodeError) as err:
        raise GsdbError(f"{path}: not a SCALE-Sim config: {' '.join(str(err).split())}") from err
    sections = {name: {k: v.strip() for k, v in parser[name].items()} for name in parser.sections()}
    if not any(s.lower() == "architecture_presets" for s in sections):
        raise GsdbError(f"{path}: not a SCALE-Sim config (no [architecture_presets] section)")
    config = RunConfig(path, None, sections)
    config.numbers()  # a number SCALE-Sim could not read, or the warehouse could not hold, is refused here
    return RunConfig(path, config.get("general", "run_name"), sections)


@dataclass(frozen=True)
class LayerShape:
    """One layer as SCALE-Sim sees it after reading the topology (depthwise rows expanded)."""

    name: str
    topology_row: int
    layer_kind: str
    ifmap_height: int
    ifmap_width: int
    filter_height: int
    filter_width: int
    channels: int
    num_filters: int
    strides: int
    gemm_m: int | None = None
    gemm_n: int | None = None
    gemm_k: int | None = None
    sparsity: str | None = None

    @property
    def ofmap_height(self) -> int:
        return math.ceil((self.ifmap_height - self.filter_height + self.strides) / self.strides)

    @property
    def ofmap_width(self) -> int:
        return math.ceil((self.ifmap_width - self.filter_width + self.strides) / self.strides)

    @property
    def macs(self) -> int:
        return (
            self.ofmap_height * self.ofmap_width * self.filter_height * self.filter_width
            * self.channels * self.num_filters
        )


@dataclass(frozen=True)
class Topology:
    path: Path
    kind: str  # 'conv' or 'gemm'
    layers: list[LayerShape] = field(default_factory=list)


def _cells(row: list[str]) -> list[str]:
    cells = [c.strip() for c in row]
    while cells and cells[-1] == "":
        cells.pop()  # SCALE-Sim topologies end every row with a comma
    return cells


def looks_like_topology(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
    except OSError:
        return False
    return first.strip().lower().startswith("layer name")


def read_topology(path: Path) -> Topology:
    """The topology's layers, as SCALE-Sim reads them: every dimension an integer (int()), at least 1,
    a filter no larger than the ifmap; depthwise rows expanded, to at most MAX_LAYERS layers."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, cells) for cells in map(_cells, reader) if cells]
    except OSError as err:
        raise GsdbError(f"{path}: cannot read topology: {err.strerror}") from err
    except (UnicodeDecodeError, csv.Error) as err:
        raise GsdbError(f"{path}: not a topology CSV: {' '.join(str(err).split())}") from err
    if not rows or rows[0][1][0].lower() != "layer name":
        raise GsdbError(f"{path}: not a SCALE-Sim topology (first line must start with 'Layer name')")
    header = rows[0][1]
    gemm = [h.lower() for h in header[1:4]] == ["m", "n", "k"]
    need = 4 if gemm else 8
    layers: list[LayerShape] = []
    for index, (line, row) in enumerate(rows[1:]):
        where = f"{path}: line {line}"
        if len(row) < need:
            raise GsdbError(f"{where} has {len(row)} fields, expected at least {need}")
        names = [header[i] if i < len(header) else f"field {i + 1}" for i in range(1, need)]
        numbers = [_integer(v, f"{where}, {n}:", 1, _INTEGER_MAX) for n, v in zip(names, row[1:need])]
        sparsity = row[need] if len(row) > need else None
        name = row[0]
        if gemm:
            m, n, k = numbers
            shape = LayerShape(name, index, "gemm", m, k, 1, k, 1, n, 1, m, n, k, sparsity)
            count = 1
        else:
            ih, iw, fh, fw, ch, nf, st = numbers
            for filter_size, ifmap_size, label, ifmap_label in ((fh, ih, names[2], names[0]), (fw, iw, names[3], names[1])):
                if filter_size > ifmap_size:
                    raise GsdbError(f"{where}: {label} {filter_size} is larger than the ifmap's "
                                    f"({ifmap_label} {ifmap_size}), which SCALE-Sim refuses")
            depthwise = "DP" in name
            shape = LayerShape(name, index, "depthwise" if depthwise else "conv", ih, iw, fh, fw,
                               1 if depthwise else ch, nf, st, sparsity=sparsity)
            count = ch if depthwise else 1
        if len(layers) + count > MAX_LAYERS:
            raise GsdbError(f"{where}: the topology expands to more than {MAX_LAYERS} layers (a depthwise row "
                            "makes one per channel), the most a run may have")
        if shape.macs > _BIGINT_MAX:
            raise GsdbError(f"{where}: {shape.macs} multiply-accumulates is out of range (at most {_BIGINT_MAX})")
        if shape.layer_kind == "depthwise":
            layers.extend(replace(shape, name=f"{name}Channel_{c}") for c in range(count))
        else:
            layers.append(shape)
    return Topology(path, "gemm" if gemm else "conv", layers)


def _candidate_folders(run_dir: Path) -> list[Path]:
    folders = [run_dir, run_dir / "inputs", run_dir.parent, run_dir.parent / "inputs"]
    return [f for f in folders if f.is_dir()]


def find_config(run_dir: Path, warn=None) -> RunConfig | None:
    """The config beside a run: one whose run_name is the run's folder name, else the only one."""
    found: list[RunConfig] = []
    for folder in _candidate_folders(run_dir):
        for path in sorted(folder.glob("*.cfg")):
            try:
                found.append(read_config(path))
            except GsdbError as err:
                if warn:
                    warn(f"skipped {err}")
    named = [c for c in found if c.run_name == run_dir.name]
    if named:
        return named[0]
    if len(found) == 1:
        return found[0]
    if found and warn:
        warn(f"{run_dir}: {len(found)} configs beside the run and none is named {run_dir.name}; pass --config")
    return None


def find_topology(run_dir: Path, layer_count: int, warn=None) -> Topology | None:
    """The topology beside a run whose layers (depthwise rows expanded) match the run's layer count."""
    matching: list[Topology] = []
    for folder in _candidate_folders(run_dir):
        for path in sorted(folder.glob("*.csv")):
            if not looks_like_topology(path):
                continue
            try:
                topology = read_topology(path)
            except GsdbError as err:
                if warn:
                    warn(f"skipped {err}")
                continue
            if len(topology.layers) == layer_count:
                matching.append(topology)
    if len(matching) == 1:
        return matching[0]
    if len(matching) > 1 and warn:
        names = ", ".join(str(t.path) for t in matching)
        warn(f"{run_dir}: several topologies fit ({names}); pass --topology")
    return None
