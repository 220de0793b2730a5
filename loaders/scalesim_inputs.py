"""SCALE-Sim inputs: the config (.cfg) and the topology (.csv) a run was made with.

Both are small files read once; the traces (the large files) are parsed by DuckDB.
"""

from __future__ import annotations

import configparser
import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from gainsight_db.common.errors import GsdbError


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

    def get_int(self, section: str, key: str) -> int | None:
        value = self.get(section, key)
        if value is None or value == "":
            return None
        try:
            return int(float(value))
        except ValueError as err:
            raise GsdbError(f"{self.path}: [{section}] {key} = {value!r} is not a number") from err

    def columns(self) -> dict[str, object]:
        """The `runs` columns this config fills."""
        preset = "architecture_presets"
        dataflow = self.get(preset, "Dataflow")
        mode = self.get("run_presets", "InterfaceBandwidth")
        return {
            "config_path": str(self.path),
            "array_rows": self.get_int(preset, "ArrayHeight"),
            "array_cols": self.get_int(preset, "ArrayWidth"),
            "ifmap_sram_kb": self.get_int(preset, "IfmapSramSzkB"),
            "filter_sram_kb": self.get_int(preset, "FilterSramSzkB"),
            "ofmap_sram_kb": self.get_int(preset, "OfmapSramSzkB"),
            "ifmap_offset": self.get_int(preset, "IfmapOffset"),
            "filter_offset": self.get_int(preset, "FilterOffset"),
            "ofmap_offset": self.get_int(preset, "OfmapOffset"),
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
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = [_cells(r) for r in csv.reader(handle)]
    except OSError as err:
        raise GsdbError(f"{path}: cannot read topology: {err.strerror}") from err
    except (UnicodeDecodeError, csv.Error) as err:
        raise GsdbError(f"{path}: not a topology CSV: {' '.join(str(err).split())}") from err
    rows = [r for r in rows if r]
    if not rows or not rows[0] or rows[0][0].lower() != "layer name":
        raise GsdbError(f"{path}: not a SCALE-Sim topology (first line must start with 'Layer name')")
    header = [h.lower() for h in rows[0]]
    gemm = header[1:4] == ["m", "n", "k"]
    need = 4 if gemm else 8
    layers: list[LayerShape] = []
    for index, row in enumerate(rows[1:]):
        line = index + 2
        if len(row) < need:
            raise GsdbError(f"{path}: line {line} has {len(row)} fields, expected at least {need}")
        try:
            numbers = [int(float(v)) for v in row[1:need]]
        except ValueError as err:
            raise GsdbError(f"{path}: line {line}: non-numeric dimension in {row[1:need]}") from err
        sparsity = row[need] if len(row) > need else None
        name = row[0]
        if gemm:
            m, n, k = numbers
            layers.append(LayerShape(name, index, "gemm", m, k, 1, k, 1, n, 1, m, n, k, sparsity))
        elif "DP" in name:
            ih, iw, fh, fw, ch, nf, st = numbers
            for channel in range(ch):
                layers.append(
                    LayerShape(f"{name}Channel_{channel}", index, "depthwise", ih, iw, fh, fw, 1, nf, st,
                               sparsity=sparsity)
                )
        else:
            ih, iw, fh, fw, ch, nf, st = numbers
            layers.append(LayerShape(name, index, "conv", ih, iw, fh, fw, ch, nf, st, sparsity=sparsity))
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
