"""A sweep's spec: the TOML file `gsdb sweep` is given, read and checked, and the points it makes.

    name = "tutorial1"                 # the sweep's name, and the start of every run's name
    topology = "tutorial1.csv"         # one path, or a list: every point is crossed with every topology
    config = "base.cfg"                # the base SCALE-Sim config; each axis overrides its value
    [axes]                             # each optional; a list of values each
    dataflow = ["os", "ws", "is"]
    array = ["64x64", "16x256"]        # ROWSxCOLS
    sram_kb = [256, 512]               # all three SRAMs (KiB); or ifmap_sram_kb, filter_sram_kb, ofmap_sram_kb
    bandwidth = [10, 50]               # words per cycle (USER bandwidth mode)

Relative paths are read from the spec's folder. Everything is checked before anything runs, and the
first problem is refused in one line naming the spec (and the key): bad TOML (with its line), an
unknown key or axis, an empty axis, a value SCALE-Sim cannot take (checked as `gsdb simulate` checks
its overrides), the same value twice in an axis, `sram_kb` with a per-buffer size, a missing file, a
name that cannot start a run name.

The points are the cross product of the topologies and the axes: topologies first, then the axes in
the spec's order, the last axis varying fastest. Each point's run is named after the sweep and its
coordinates, in that order (`tutorial1_os_64x64`; the topology's file name only when the spec has
several, sizes as `256kb`, `ifmap256kb`, bandwidths as `bw10`), so that a name says what the run is
and is the same every time the spec is run.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gainsight_db.common.errors import GsdbError
from gainsight_db.simulate import Overrides, check_run_name

KEYS = ("name", "topology", "config", "axes")
# Every axis a spec can vary, in the order of the sweep_points columns.
AXES = ("dataflow", "array", "sram_kb", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb", "bandwidth")
_BUFFER_AXES = ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb")
_NAME_LENGTH = 128  # as check_run_name allows


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: a topology and a value of every axis."""

    index: int  # 0-based, in the order of the cross product
    topology: str  # as the spec writes it
    topology_path: Path  # resolved against the spec's folder
    values: dict[str, str]  # axis -> its value as the spec writes it ('64x64', '256'), axes in the spec's order
    overrides: Overrides
    run_name: str


@dataclass(frozen=True)
class SweepSpec:
    path: Path
    name: str
    topologies: tuple[tuple[str, Path], ...]  # (as written, resolved)
    config: Path
    axes: tuple[tuple[str, tuple[Any, ...]], ...]  # (axis, its values as TOML gives them), in the spec's order

    def points(self) -> list[SweepPoint]:
        """Every point, topologies first, then the axes in the spec's order, the last one fastest."""
        labels = _topology_labels(self) if len(self.topologies) > 1 else {}
        points = []
        combinations = itertools.product(self.topologies, *(values for _, values in self.axes))
        for index, (topology, *values) in enumerate(combinations):
            chosen = {axis: value for (axis, _), value in zip(self.axes, values)}
            overrides = Overrides.parse(**chosen)
            parts = [self.name]
            if labels:
                parts.append(labels[topology[0]])
            parts += [_value_label(axis, overrides) for axis in chosen]
            points.append(SweepPoint(index, topology[0], topology[1], {a: _written(v) for a, v in chosen.items()},
                                     overrides, "_".join(parts)))
        too_long = next((p for p in points if len(p.run_name) > _NAME_LENGTH), None)
        if too_long:
            raise GsdbError(f"{self.path}: point {too_long.index + 1} would be named {too_long.run_name[:60]!r}..., "
                            f"longer than {_NAME_LENGTH} characters; give the sweep a shorter name")
        return points


def _written(value: Any) -> str:
    """An axis value as the spec writes it: TOML's text of a number, a string as it is."""
    return value if isinstance(value, str) else str(value)


def _sanitised(text: str) -> str:
    """Text usable inside a run name (letters, digits, '_', '-', '.', '+'; anything else '_')."""
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", text)


def _value_label(axis: str, overrides: Overrides) -> str:
    """How an axis value reads in a run name, from its checked value (so '64X64' and '64x64' are
    the same name, as they are the same point)."""
    if axis == "array":
        return f"{overrides.array[0]}x{overrides.array[1]}"
    if axis == "dataflow":
        return overrides.dataflow
    if axis == "bandwidth":
        return f"bw{overrides.bandwidth}"
    prefix = axis.removesuffix("_sram_kb") if axis in _BUFFER_AXES else ""
    return f"{prefix}{getattr(overrides, axis)}kb"


def _topology_labels(spec: SweepSpec) -> dict[str, str]:
    """A label for each topology in run names: its file name without the extension or, when two
    topologies share that, its path as written."""
    stems = [_sanitised(Path(written).stem) for written, _ in spec.topologies]
    if len(set(stems)) == len(stems):
        return {written: stem for (written, _), stem in zip(spec.topologies, stems)}
    labels = [_sanitised(str(Path(written).with_suffix(""))).strip("_") or "topology" for written, _ in spec.topologies]
    if len(set(labels)) < len(labels):
        clash = next(label for label in labels if labels.count(label) > 1)
        raise GsdbError(f"{spec.path}: two topologies would give runs the same name ({clash!r}); rename one file")
    return {written: label for (written, _), label in zip(spec.topologies, labels)}


# Reading and checking -------------------------------------------------------------------------------
def load_spec(path: str | Path) -> SweepSpec:
    """Read and check a spec; every problem is a GsdbError naming the spec."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise GsdbError(f"{path}: sweep spec not found") from None
    except IsADirectoryError:
        raise GsdbError(f"{path}: is a folder, expected a sweep spec (.toml)") from None
    except OSError as err:
        raise GsdbError(f"{path}: cannot read the sweep spec: {err.strerror or err}") from err
    except UnicodeDecodeError:
        raise GsdbError(f"{path}: not valid TOML: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise GsdbError(f"{path}: not valid TOML: {err}") from None
    folder = path.parent

    unknown = [key for key in document if key not in KEYS]
    if unknown:
        raise GsdbError(f"{path}: unknown key {unknown[0]!r} (a spec has name, topology, config and [axes])")
    for key in ("name", "topology", "config"):
        if key not in document:
            raise GsdbError(f"{path}: no {key!r} (a spec needs name, topology and config)")

    name = document["name"]
    if not isinstance(name, str):
        raise GsdbError(f"{path}: name {name!r}: expected text")
    try:
        check_run_name(name)
    except GsdbError as err:
        raise GsdbError(f"{path}: {err} (the sweep's name starts every run's name)") from None

    topologies = _topologies(path, document["topology"])
    config = document["config"]
    if not isinstance(config, str) or not config.strip():
        raise GsdbError(f"{path}: config {config!r}: expected the path of a SCALE-Sim config (.cfg)")
    config_path = folder / config
    if not config_path.is_file():
        raise GsdbError(f"{path}: config {config!r}: {config_path}: file not found")

    axes = _axes(path, document.get("axes", {}))
    return SweepSpec(path, name, tuple((written, folder / written) for written in topologies), config_path, axes)


def _topologies(path: Path, given: Any) -> list[str]:
    listed = [given] if isinstance(given, str) else given
    if not isinstance(listed, list) or not listed or not all(isinstance(t, str) and t.strip() for t in listed):
        raise GsdbError(f"{path}: topology {given!r}: expected the path of a topology (.csv), or a list of them")
    for written in listed:
        if not (path.parent / written).is_file():
            raise GsdbError(f"{path}: topology {written!r}: {path.parent / written}: file not found")
    resolved = [(path.parent / written).resolve() for written in listed]
    twice = next((w for w, r in zip(listed, resolved) if resolved.count(r) > 1), None)
    if twice is not None:
        raise GsdbError(f"{path}: topology {twice!r} is listed twice")
    return listed


def _axes(path: Path, given: Any) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if not isinstance(given, dict):
        raise GsdbError(f"{path}: axes: expected a table [axes] of lists of values")
    axes = []
    for axis, values in given.items():
        if axis not in AXES:
            raise GsdbError(f"{path}: unknown axis {axis!r} (the axes are {', '.join(AXES)})")
        if not isinstance(values, list):
            raise GsdbError(f"{path}: axes.{axis}: expected a list of values, e.g. {axis} = [{values!r}]")
        if not values:
            raise GsdbError(f"{path}: axes.{axis}: an empty list (give at least one value, or leave the axis out)")
        checked = []
        for value in values:
            if axis == "array" and not isinstance(value, str):
                raise GsdbError(f"{path}: axes.array: {value!r}: expected ROWSxCOLS text, e.g. \"32x32\"")
            try:
                checked.append(Overrides.parse(**{axis: value}))
            except GsdbError as err:
                raise GsdbError(f"{path}: axes.{axis}: {err}") from None
        for i, parsed in enumerate(checked):
            if parsed in checked[:i]:
                first = values[checked.index(parsed)]
                same = "" if first == values[i] else f" (the same as {first!r})"
                raise GsdbError(f"{path}: axes.{axis}: {values[i]!r} is given twice{same}")
        axes.append((axis, tuple(values)))
    names = [axis for axis, _ in axes]
    both = next((axis for axis in _BUFFER_AXES if axis in names), None)
    if "sram_kb" in names and both:
        raise GsdbError(f"{path}: axes sram_kb and {both}: sram_kb sets all three SRAM sizes; vary it or the "
                        "per-buffer sizes, not both")
    return tuple(axes)
