"""Per-bit memory-technology figures of the buffers of an AccelForge architecture spec.

AccelForge (https://accelergy-project.github.io/accelforge) prices every component of an
architecture through hwcomponents models (CACTI for SRAM, ...). Given which component holds which
SCALE-Sim buffer (ifmap, filter, ofmap), this reads the spec, has AccelForge compute the
components' area, leak power and per-action energies (`Spec.calculate_component_costs`), and turns
them into rows of the `technology_figures` table, one figure per row, each with its arithmetic.

AccelForge needs Python >= 3.12 and is the optional extra `gainsight-db[accelforge]`: it is imported
inside `read_accelforge_figures`, never when this module is.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from gainsight_db.common.errors import GsdbError

BUFFERS = ("ifmap", "filter", "ofmap")
CELLS = ("sram", "gain_cell")
# The columns of a technology_figures row, in the table's order.
COLUMNS = ("technology", "cell", "figure", "value", "unit", "node_nm", "size_bytes", "buffer", "kind",
           "used", "source", "note")
# The figures an AccelForge spec gives, with their units, in the order the rows are returned.
FIGURE_UNITS = {
    "area_um2_per_bit": "um^2/bit",
    "read_pj_per_bit": "pJ/bit",
    "write_pj_per_bit": "pJ/bit",
    "leakage_pw_per_bit": "pW/bit",
}
# What each figure is taken from, as the error lines and notes say it.
WHAT = {
    "area_um2_per_bit": "area",
    "read_pj_per_bit": "read energy",
    "write_pj_per_bit": "write energy",
    "leakage_pw_per_bit": "leak power",
}
NOT_INSTALLED = ("gsdb tech accelforge needs the optional extra: pip install 'gainsight-db[accelforge]' "
                 "(Python >= 3.12)")
# How much of a message from AccelForge (or the YAML parser, or pydantic) an error line keeps.
MESSAGE_CHARS = 240


def parse_buffer_options(options: Iterable[str]) -> list[tuple[str, str]]:
    """`--buffer` values, each `BUFFER=COMPONENT` (`ifmap=GlobalBuffer`), as (buffer, component) pairs
    in the order given; `read_accelforge_figures` checks the names."""
    pairs = []
    for option in options:
        buffer, sep, component = option.partition("=")
        if not sep or not buffer.strip() or not component.strip():
            raise GsdbError(f"--buffer {option!r}: expected BUFFER=COMPONENT, e.g. ifmap=GlobalBuffer")
        pairs.append((buffer.strip(), component.strip()))
    return pairs


def read_accelforge_figures(
    arch: Path | str | list[Path | str],
    buffers: Mapping[str, str] | Iterable[tuple[str, str]],
    technology: str = "accelforge",
    *,
    cell: str = "sram",
) -> list[dict]:
    """The technology_figures rows of the components holding the buffers, priced by AccelForge.

    `arch` is the spec: one YAML file or a list of them (AccelForge merges them, e.g. an
    architecture and a workload). `buffers` maps each buffer named (ifmap, filter, ofmap) to the
    name of the AccelForge Memory holding it; several buffers may share one component. For each
    buffer, four rows: area_um2_per_bit, read_pj_per_bit, write_pj_per_bit and leakage_pw_per_bit,
    each a dict keyed by COLUMNS. Any problem is one GsdbError line naming the file or component.
    """
    assignments = _buffer_assignments(buffers)
    technology = str(technology or "").strip()
    if not technology:
        raise GsdbError("AccelForge figures: empty technology name")
    if cell not in CELLS:
        raise GsdbError(f"AccelForge figures: cell must be one of {', '.join(CELLS)}, got {cell!r}")
    files = [Path(p) for p in (arch if isinstance(arch, (list, tuple)) else [arch])]
    if not files:
        raise GsdbError("AccelForge figures: no spec file given")
    for path in files:
        if not path.is_file():
            raise GsdbError(f"{path}: AccelForge spec not found")
    label = " + ".join(str(p) for p in files)

    accelforge = _import_accelforge()
    from accelforge.frontend.arch import Component, Memory

    with _accelforge_log():
        try:
            spec = accelforge.Spec.from_yaml([str(p) for p in files])
        except Exception as err:  # YAML, pydantic and AccelForge's own errors alike: the spec is bad
            raise GsdbError(f"{label}: not a valid AccelForge spec: {_short(err)}") from err
        components = {c.name: c for c in spec.arch.get_nodes_of_type(Component)}
        storage = [name for name, c in components.items() if isinstance(c, Memory)]
        for _, name in assignments:
            if name not in components:
                raise GsdbError(f"{label}: no component {name!r} in the architecture "
                                f"(storage components: {', '.join(storage) or 'none'})")
            if not isinstance(components[name], Memory):
                raise GsdbError(f"{label}: component {name!r} is a {type(components[name]).__name__}, not a "
                                f"Memory: it has no capacity (storage components: {', '.join(storage)})")
        # Which figures the spec states itself rather than leaving to a model, read before pricing.
        stated = {name: _stated_figures(components[name]) for _, name in assignments}
        for _, name in assignments:
            unpriced = [WHAT[f] for f in FIGURE_UNITS if f not in stated[name]]
            if unpriced and components[name].component_class is None and components[name].component_model is None:
                raise GsdbError(f"{label}: component {name!r} has no {', no '.join(unpriced)}: the spec states "
                                f"none and names no component_class for a model to price it")
        try:
            priced = _calculate_costs(spec)
        except Exception as err:
            raise GsdbError(f"{label}: AccelForge could not price the architecture's components: "
                            f"{_short(err)}") from err

    version = importlib.metadata.version("accelforge")
    fanouts = _fanouts(priced.arch)
    total_area = priced.arch.per_component_total_area
    total_leak = priced.arch.per_component_total_leak_power
    rows = []
    for buffer, name in assignments:
        component = priced.arch.find(name)
        where = f"{label}: component {name!r}"
        size = _number(getattr(component, "size", None))
        if size is None or not math.isfinite(size) or size <= 0:
            raise GsdbError(f"{where} has no finite capacity (size: {getattr(component, 'size', None)}): "
                            f"its per-bit figures cannot be computed")
        instances = fanouts.get(name, 1)
        bits = size * instances
        bits_text = f"{_fmt(size)} bits" if instances == 1 else f"({instances} instances x {_fmt(size)} bits)"
        model = _model_name(component.component_model)
        figures = {}

        area_um2 = _total(where, "area", total_area.get(name)) * 1e12
        figures["area_um2_per_bit"] = (area_um2 / bits, f"{_fmt(area_um2)} um^2 / {bits_text}" + _scales(
            component, "area_scale", "n_parallel_instances"))
        for action_name in ("read", "write"):
            action = next((a for a in component.actions if a.name == action_name), None)
            energy = _number(getattr(action, "energy", None))
            if energy is None:
                raise GsdbError(f"{where} has no {action_name} action energy")
            per_action = _number(getattr(action, "bits_per_action", None))
            if per_action is None or not per_action > 0:
                raise GsdbError(f"{where}: its {action_name} action moves no bits "
                                f"(bits_per_action: {getattr(action, 'bits_per_action', None)})")
            energy_pj = energy * 1e12
            figures[f"{action_name}_pj_per_bit"] = (
                energy_pj / per_action,
                f"{action_name} energy {_fmt(energy_pj)} pJ per action / {_fmt(per_action)} bits per action"
                + _scales(component, "energy_scale") + _scales(action, "energy_scale"))
        leak_uw = _total(where, "leak power", total_leak.get(name)) * 1e6
        figures["leakage_pw_per_bit"] = (leak_uw * 1e6 / bits, f"{_fmt(leak_uw)} uW / {bits_text}" + _scales(
            component, "leak_power_scale", "n_parallel_instances"))

        for figure, unit in FIGURE_UNITS.items():
            value, note = figures[figure]
            what = WHAT[figure]
            if not math.isfinite(value) or value < 0:
                raise GsdbError(f"{where}: AccelForge gives a {'negative' if value < 0 else 'non-finite'} "
                                f"{what} ({note})")
            if figure in stated[name]:
                kind, priced_by = "user", f"{what} as stated in the spec"
            elif model is not None:
                kind, priced_by = "model", f"priced by {model}"
            else:  # neither stated nor priced: a Dummy component, which AccelForge gives zeros
                raise GsdbError(f"{where} has no {what}: the spec states none and no model priced it "
                                f"(component_class: {component.component_class})")
            rows.append({
                "technology": technology,
                "cell": cell,
                "figure": figure,
                "value": value,
                "unit": unit,
                "node_nm": _node_nm(component),
                "size_bytes": math.ceil(size / 8),
                "buffer": buffer,
                "kind": kind,
                "used": True,
                "source": f"AccelForge {version}, spec {label}, component {name}, {priced_by}",
                "note": note,
            })
    return rows


def _buffer_assignments(buffers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = list(buffers.items()) if isinstance(buffers, Mapping) else [tuple(p) for p in buffers]
    if not pairs:
        raise GsdbError(f"AccelForge figures: name at least one buffer ({', '.join(BUFFERS)}) and its component")
    seen = {}
    for buffer, component in pairs:
        if buffer not in BUFFERS:
            raise GsdbError(f"AccelForge figures: unknown buffer {buffer!r} (expected {', '.join(BUFFERS)})")
        if buffer in seen:
            raise GsdbError(f"AccelForge figures: buffer {buffer!r} given twice "
                            f"({seen[buffer]} and {component})")
        if not isinstance(component, str) or not component.strip():
            raise GsdbError(f"AccelForge figures: buffer {buffer!r}: empty component name")
        seen[buffer] = component
    return [(buffer, component.strip()) for buffer, component in pairs]


def _import_accelforge():
    try:
        import accelforge
    except ModuleNotFoundError as err:
        if err.name == "accelforge":
            raise GsdbError(NOT_INSTALLED) from None
        raise GsdbError(f"AccelForge cannot be imported: {_short(err)}") from err
    except ImportError as err:
        raise GsdbError(f"AccelForge cannot be imported: {_short(err)}") from err
    return accelforge


def _calculate_costs(spec):
    """The spec with every component's area, leak power and action energies: calculate_component_costs,
    or in older AccelForge versions calculate_component_area_energy_latency_leak (1.0.467 keeps that
    name only as a deprecated one that computes nothing)."""
    if hasattr(spec, "calculate_component_costs"):
        return spec.calculate_component_costs(area=True, energy=True, throughput=False, leak=True)
    return spec.calculate_component_area_energy_latency_leak(area=True, energy=True, latency=False, leak=True)


def _stated_figures(component) -> set[str]:
    """The figures whose value the spec writes for the component itself (area, leak_power, an action's
    energy), which no model priced."""
    stated = set()
    if component.area is not None:
        stated.add("area_um2_per_bit")
    if component.leak_power is not None:
        stated.add("leakage_pw_per_bit")
    for action in component.actions:
        if action.name in ("read", "write") and action.energy is not None:
            stated.add(f"{action.name}_pj_per_bit")
    return stated


def _fanouts(arch) -> dict[str, int]:
    """Instances of each component: the product of its spatial parents' fanouts, as AccelForge counts
    them for per_component_total_area and per_component_total_leak_power."""
    from accelforge.frontend.arch import Spatialable

    fanouts = {}
    for node, parents in arch.iterate_hierarchically():
        fanouts[node.name] = math.prod(p.get_fanout() for p in parents if isinstance(p, Spatialable))
    return fanouts


def _model_name(model) -> str | None:
    """'hwcomponents-cacti 1.0.40 SRAM': the distribution, its version and the model's class."""
    if model is None:
        return None
    cls = type(model)
    top = cls.__module__.split(".")[0]
    distributions = importlib.metadata.packages_distributions().get(top) or [top]
    try:
        version = importlib.metadata.version(distributions[0])
    except importlib.metadata.PackageNotFoundError:
        return f"{top} {cls.__name__}"
    return f"{distributions[0].replace('_', '-')} {version} {cls.__name__}"


def _node_nm(component) -> float | None:
    """The component's tech_node (hwcomponents takes it in metres) in nm; None when the spec gives none."""
    extra = component.extra_attributes_for_component_model
    node = _number(getattr(extra, "tech_node", None))
    if node is None or not math.isfinite(node) or node <= 0:
        return None
    return round(node * 1e9, 6)


def _scales(obj, *fields: str) -> str:
    """', with area_scale 2' for the factors that AccelForge applied and that are not 1."""
    factors = [f"{field} {_fmt(_number(getattr(obj, field, 1)))}" for field in fields
               if _number(getattr(obj, field, 1)) not in (None, 1)]
    return f" (AccelForge applied {', '.join(factors)})" if factors else ""


def _total(where: str, what: str, value) -> float:
    number = _number(value)
    if number is None:
        raise GsdbError(f"{where} has no {what} (AccelForge gives {value!r})")
    return number


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fmt(x: float) -> str:
    """Six significant digits, thousands grouped: 53,524.6."""
    return f"{x:,.6g}"


def _short(err: BaseException) -> str:
    """An exception's message on one line, cut to MESSAGE_CHARS."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3].rstrip() + "..."


@contextlib.contextmanager
def _accelforge_log():
    """Keep AccelForge's log warnings (through the root logger) off stderr while it reads and prices
    the spec: the command's output is its rows, or one error line."""
    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            pass

    root = logging.getLogger()
    handler = _Keep(logging.WARNING)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
