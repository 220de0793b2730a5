"""Pictures of the warehouse's views, drawn with matplotlib's object API (no pyplot state, no
backend switched: a notebook shows the returned figure as it is). Each function reads its numbers
from a view and returns the figure with the numbers it drew (so pictures can be checked against the
views); `save_figure` writes one as PNG, SVG or PDF."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import duckdb

from gainsight_db.common.buffers import BUFFERS
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.staging import write_atomically

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


@dataclass(frozen=True)
class Plot:
    """A drawn figure (matplotlib.figure.Figure) and the numbers it shows."""

    figure: Any
    data: Any


def check_picture_path(out: Path) -> str:
    """The picture format of file `out`, from its extension (.png, .svg or .pdf)."""
    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise GsdbError(f"{out}: unknown picture format {Path(out).suffix or '(no extension)'!r}: use .png, .svg or .pdf")
    return fmt


def _figure(**options):
    from matplotlib.figure import Figure

    return Figure(**options)


def save_figure(figure, out: Path, protected: Iterable[Path] = ()) -> None:
    """Write `figure` to `out` (its format from the extension), replacing the file all at once."""
    out = Path(out)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=check_picture_path(out), bbox_inches="tight",
                   metadata=None if out.suffix.lower() == ".png" else {"Date": None})
    write_atomically(buffer.getvalue(), out, replace=True, protected=protected)


# The lifetime axis ------------------------------------------------------------------------------
# Every lifetime picture has one log2 x axis: bin k >= 1 of lifetime_histogram, [2^(k-1), 2^k)
# cycles, is drawn where it belongs, and bin 0 (lifetimes of 0 cycles, which a log axis cannot
# show) is a hatched bar at [1/4, 1/2), one gap left of 1 cycle, labelled "0".
ZERO_BAR = (0.25, 0.5)
# Markers further right than this many times the longest lifetime bin's end are named in the legend
# ("beyond the axis") but not drawn, so that a retention of hours does not squeeze the lifetimes
# into a corner.
MARKER_REACH = 2 ** 10
# The y axis of every panel is logarithmic when the drawn counts span two decades or more (largest
# bar >= 100 x smallest), else linear.
LOG_Y_SPAN = 100


@dataclass(frozen=True)
class Marker:
    """A vertical line on the lifetime axis: the short-lifetime threshold or a technology's retention
    time, in seconds and in cycles at the run's clock. `cycles` is None for a gain cell whose
    retention is unknown; `drawn` is False for one that is unknown or off the axis."""

    kind: str  # "threshold" or "retention"
    name: str  # "threshold" or the technology
    seconds: float | None
    cycles: float | None
    drawn: bool
    label: str


@dataclass(frozen=True)
class LifetimeData:
    """What a lifetime picture draws: per buffer the (bin_lo_cycles, bin_hi_cycles, lifetimes) of
    each non-empty bin, the markers, the x axis range (cycles) and the y scale of every panel."""

    title: str
    layer: int | None
    bins: dict[str, list[tuple[int, int, int]]]
    markers: list[Marker]
    x_limits: tuple[float, float]
    y_scale: str


def _seconds(value: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if value >= scale:
            return f"{value / scale:.4g} {unit}"
    return f"{value:.3g} s"


def _cycles(value: float) -> str:
    return f"{value:,.0f}" if value < 1e7 else f"{value:.3g}"


def _markers(con: duckdb.DuckDBPyConnection, run_id: int, axis_end: float) -> list[Marker]:
    """The run's short-lifetime threshold and every gain cell's retention (memtech_settings or the
    defaults, and the technologies table), drawn when they fall within [1, axis_end] cycles (below
    1 cycle only lifetimes of 0 lie, drawn apart at "0")."""
    params = con.execute("SELECT clock_hz, threshold_s FROM _memtech_params WHERE run_id = ?", [run_id]).fetchall()
    if not params:
        raise GsdbError(f"run {run_id}: no memory-technology parameters (it has no SCALE-Sim compute report)")
    clock_hz, threshold_s = params[0]
    technologies = con.execute(
        "SELECT technology, retention_s FROM technologies WHERE cell = 'gain_cell' "
        "ORDER BY retention_s NULLS LAST, technology").fetchall()

    def marker(kind: str, name: str, seconds: float | None) -> Marker:
        what = "short-lifetime threshold" if kind == "threshold" else f"{name} retention"
        if seconds is None:
            return Marker(kind, name, None, None, False, f"{what} unknown")
        cycles = seconds * clock_hz
        drawn = 1 <= cycles <= axis_end
        where = "" if drawn else (" (beyond the axis)" if cycles > axis_end else " (below the axis)")
        return Marker(kind, name, seconds, cycles, drawn, f"{what} {_seconds(seconds)} = {_cycles(cycles)} cycles{where}")

    return [marker("threshold", "threshold", threshold_s)] + [marker("retention", t, r) for t, r in technologies]


def _run_histogram(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[int | None, dict[str, list[tuple[int, int, int]]]]:
    """Per layer (and None for all layers merged) and buffer, the run's non-empty bins."""
    rows = con.execute(
        """SELECT layer, buffer, bin_lo_cycles, bin_hi_cycles, sum(lifetimes)::BIGINT
           FROM lifetime_histogram WHERE run_id = ?
           GROUP BY GROUPING SETS ((layer, buffer, bin_lo_cycles, bin_hi_cycles), (buffer, bin_lo_cycles, bin_hi_cycles))
           ORDER BY layer NULLS FIRST, buffer, bin_lo_cycles""", [run_id]).fetchall()
    histogram: dict[int | None, dict[str, list[tuple[int, int, int]]]] = {}
    for layer, buffer, lo, hi, count in rows:
        histogram.setdefault(layer, {b: [] for b in BUFFERS})[buffer].append((int(lo), int(hi), int(count)))
    return histogram


def _y_scale(counts: Iterable[int]) -> str:
    positive = [c for c in counts if c > 0]
    return "log" if positive and max(positive) >= LOG_Y_SPAN * min(positive) else "linear"


@dataclass(frozen=True)
class _LifetimeAxes:
    """What the lifetime pictures of one run share: the x axis end, the markers and, for the
    per-layer pictures, the y scale."""

    x_end: float
    markers: list[Marker]
    layer_y_scale: str


def _lifetime_axes(con: duckdb.DuckDBPyConnection, run_id: int, histogram) -> _LifetimeAxes:
    ends = [hi for bins in histogram.get(None, {}).values() for _, hi, _ in bins]
    data_end = max(ends, default=1)
    markers = _markers(con, run_id, data_end * MARKER_REACH)
    furthest = max([data_end] + [m.cycles for m in markers if m.drawn])
    x_end = 2.0 ** (math.floor(math.log2(furthest)) + 1)
    layer_counts = [n for layer, buffers in histogram.items() if layer is not None
                    for bins in buffers.values() for _, _, n in bins]
    return _LifetimeAxes(x_end, markers, _y_scale(layer_counts))


def _run_layers(con: duckdb.DuckDBPyConnection, run_id: int) -> list[tuple[int, str | None]]:
    return [(int(layer), name) for layer, name in con.execute(
        "SELECT layer, name FROM layers WHERE run_id = ? ORDER BY layer", [run_id]).fetchall()]


def _run_name(con: duckdb.DuckDBPyConnection, run_id: int) -> str:
    return con.execute("SELECT name FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]


def _layer_title(layer: int, name: str | None) -> str:
    return f"layer {layer}" + (f" ({name})" if name else "")


def _power_of_two(x: float) -> str:
    """2^k written with superscript digits (plain text, no mathtext to lay out)."""
    return "2" + str(round(math.log2(x))).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))


def _draw_lifetimes(title: str, layer: int | None, bins: dict[str, list[tuple[int, int, int]]],
                    axes_: _LifetimeAxes, y_scale: str) -> Plot:
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator, NullFormatter

    fig = _figure(figsize=(12, 4.6), layout="constrained")
    axes = fig.subplots(1, len(BUFFERS), sharex=True, sharey=True)
    fig.suptitle(title)
    top_power = round(math.log2(axes_.x_end))
    step = max(1, math.ceil((top_power + 1) / 10))
    powers = list(range(0, top_power + 1, step))
    zero_at = math.sqrt(ZERO_BAR[0] * ZERO_BAR[1])
    colours = ["tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan"]
    handles = []
    for ax, buffer in zip(axes, BUFFERS):
        ax.set_xscale("log", base=2)
        ax.set_yscale(y_scale)
        ax.set_xlim(ZERO_BAR[0], axes_.x_end)
        ax.set_title(buffer)
        ax.set_xlabel("lifetime (cycles, log2 bins)")
        ax.xaxis.set_major_locator(FixedLocator([zero_at] + [2.0 ** k for k in powers]))
        ax.xaxis.set_major_formatter(lambda x, _: "0" if x < 1 else "1" if x == 1 else _power_of_two(x))
        ax.xaxis.set_minor_locator(FixedLocator([2.0 ** k for k in range(top_power + 1)]))
        ax.xaxis.set_minor_formatter(NullFormatter())
        drawn = bins.get(buffer, [])
        if not drawn:
            ax.text(0.5, 0.5, "no lifetimes", ha="center", va="center", transform=ax.transAxes)
        for lo, hi, count in drawn:
            left, right = ZERO_BAR if lo == 0 else (lo, hi)
            ax.bar(left, count, width=right - left, align="edge", edgecolor="black", linewidth=0.4,
                   color="lightgrey" if lo == 0 else "tab:blue", hatch="//" if lo == 0 else None)
        for i, marker in enumerate(m for m in axes_.markers if m.drawn):
            colour = "black" if marker.kind == "threshold" else colours[i % len(colours)]
            style = "--" if marker.kind == "threshold" else ":"
            line = ax.axvline(marker.cycles, color=colour, linestyle=style, linewidth=1.4, label=marker.label)
            if ax is axes[0]:
                handles.append(line)
    axes[0].set_ylabel("lifetimes" + (" (log scale)" if y_scale == "log" else ""))
    if y_scale == "log":
        axes[0].set_ylim(bottom=0.5)
        # Minor ticks at 2..9 of each decade up to the tallest bar, given outright: a third faster
        # to draw than matplotlib's own log locator finding them.
        tallest = max((n for buffer in bins.values() for _, _, n in buffer), default=1)
        decades = range(math.ceil(math.log10(tallest)) + 1)
        axes[0].yaxis.set_minor_locator(FixedLocator([m * 10.0 ** e for e in decades for m in range(2, 10)]))
    handles.append(Patch(facecolor="lightgrey", edgecolor="black", hatch="//", label="lifetimes of 0 cycles (hatched bar at 0)"))
    handles += [Patch(visible=False, label=m.label) for m in axes_.markers if not m.drawn]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    data = LifetimeData(title, layer, bins, axes_.markers, (ZERO_BAR[0], axes_.x_end), y_scale)
    return Plot(fig, data)


def plot_lifetimes(con: duckdb.DuckDBPyConnection, run_id: int, layer: int | None = None) -> Plot:
    """GainSight's lifetime distribution: one panel per buffer, lifetimes per log2 bin of
    lifetime_histogram, all layers merged unless `layer` is given. Every panel has the same log2 x
    axis and y scale, with the short-lifetime threshold and each gain cell's retention marked (the
    run's memtech settings, or the defaults). A layer's picture is the one `plot_lifetimes_per_layer`
    draws for it. Its data: a LifetimeData."""
    layers = dict(_run_layers(con, run_id))
    run = _run_name(con, run_id)
    if layer is not None and layer not in layers:
        raise GsdbError(f"run {run}: no layer {layer} (its layers are 0 to {len(layers) - 1})")
    histogram = _run_histogram(con, run_id)
    axes = _lifetime_axes(con, run_id, histogram)
    bins = histogram.get(layer, {b: [] for b in BUFFERS})
    if layer is None:
        title = f"{run}: data lifetimes, all {len(layers)} layers merged"
        y_scale = _y_scale(n for buffer in bins.values() for _, _, n in buffer)
    else:
        title = f"{run}: data lifetimes, {_layer_title(layer, layers[layer])}"
        y_scale = axes.layer_y_scale
    return _draw_lifetimes(title, layer, bins, axes, y_scale)


def per_layer_picture_name(layer: int) -> str:
    """GainSight's name for a layer's lifetime picture (its backend's `<layer>_graph.png`, where
    `<layer>` is SCALE-Sim's layer folder name, as in `gsdb export gainsight`)."""
    return f"layer{layer}_graph.png"


def plot_lifetimes_per_layer(con: duckdb.DuckDBPyConnection, run_id: int) -> Iterator[tuple[str, Plot]]:
    """(file name, picture) for each layer of the run, one at a time: the lifetime picture of that
    layer, all with the run's x axis and one y scale (log when the counts of all layers span two
    decades), so that they compare side by side."""
    run = _run_name(con, run_id)
    histogram = _run_histogram(con, run_id)
    axes = _lifetime_axes(con, run_id, histogram)
    for layer, name in _run_layers(con, run_id):
        bins = histogram.get(layer, {b: [] for b in BUFFERS})
        title = f"{run}: data lifetimes, {_layer_title(layer, name)}"
        yield per_layer_picture_name(layer), _draw_lifetimes(title, layer, bins, axes, axes.layer_y_scale)


# Cycles across runs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunBar:
    """One bar of the runs picture: a run, its label, its layers' Total Cycles (by LayerID) and their sum."""

    run_id: int
    label: str
    cycles: list[int]
    total: int


@dataclass(frozen=True)
class RunsData:
    """What the runs picture draws: its bars, and the legend label of each layer's segment."""

    bars: list[RunBar]
    layer_labels: list[str]


def _config_label(rows: int | None, cols: int | None, dataflow: str | None) -> str:
    return " ".join(part for part in (f"{rows}x{cols}" if rows and cols else "", dataflow or "") if part)


def _bar_labels(runs: list[tuple[int, str, str, str]]) -> dict[int, str]:
    """Each run's bar label: its config (array and dataflow); where several runs share one, also the
    run name; where those are shared too, the end of the source path that tells them apart."""
    labels = {rid: config or name for rid, name, _, config in runs}
    for label in {lab for lab in labels.values() if list(labels.values()).count(lab) > 1}:
        group = [(rid, name, path, config) for rid, name, path, config in runs if labels[rid] == label]
        names = [name for _, name, _, _ in group]
        if len(set(names)) == len(names) and all(config for *_, config in group):
            labels.update({rid: f"{config}\n{name}" for rid, name, _, config in group})
            continue
        parts = {rid: Path(path).parts for rid, _, path, _ in group}
        depth = next((n for n in range(1, max(len(p) for p in parts.values()) + 1)
                      if len({p[-n:] for p in parts.values()}) == len(parts)), None)
        for rid, name, path, config in group:
            where = "/".join(parts[rid][-depth:]) if depth else path
            labels[rid] = f"{config}\n{where}" if config else where
    return labels


def plot_runs(con: duckdb.DuckDBPyConnection, run_ids: list[int] | None = None) -> Plot:
    """Total cycles per layer across runs, as stacked bars (one bar per run, one segment per layer),
    the way SCALE-Sim studies compare dataflows and array shapes. Each bar is labelled by its run's
    config (array and dataflow; also the run name where two runs share a config) and topped by its
    total; the legend names the layers as their topology does. Its data: a RunsData."""
    rows = con.execute(
        """SELECT r.run_id, r.name, r.source_path, r.array_rows, r.array_cols, r.dataflow,
                  l.layer, l.name, l.total_cycles, sum(l.total_cycles) OVER (PARTITION BY r.run_id)
           FROM layers AS l JOIN runs AS r USING (run_id)
           WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], r.run_id)
           ORDER BY r.run_id, l.layer""", [run_ids, run_ids]
    ).fetchall()
    if not rows:
        raise GsdbError("no SCALE-Sim runs to plot (see `gsdb runs`)")
    runs = {r[0]: (r[0], r[1], r[2], _config_label(r[3], r[4], r[5])) for r in rows}
    labels = _bar_labels(list(runs.values()))
    bars = [RunBar(rid, labels[rid], [int(r[8]) for r in rows if r[0] == rid],
                   int(next(r[9] for r in rows if r[0] == rid))) for rid in runs]
    depth = max(len(bar.cycles) for bar in bars)
    layer_labels = []
    for layer in range(depth):
        names = list(dict.fromkeys(r[7] for r in rows if r[6] == layer and r[7]))
        layer_labels.append(" / ".join(names) if names else f"layer {layer}")
    data = RunsData(bars, layer_labels)

    from matplotlib import colormaps

    fig = _figure(figsize=(max(4.0, 1.3 * len(bars) + 2.5), 4.8), layout="constrained")
    ax = fig.subplots()
    positions = list(range(len(bars)))
    bottoms = [0] * len(bars)
    cmap = colormaps["tab20"]
    for layer in range(depth):
        heights = [bar.cycles[layer] if layer < len(bar.cycles) else 0 for bar in bars]
        ax.bar(positions, heights, bottom=bottoms, label=layer_labels[layer], color=cmap(layer % 20),
               edgecolor="black", linewidth=0.3)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    for position, bar in zip(positions, bars):
        ax.annotate(f"{bar.total:,}", (position, bar.total), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize="small")
    ax.set_xticks(positions, [bar.label for bar in bars])
    ax.margins(y=0.08)
    ax.set_ylabel("total cycles")
    ax.set_title("Total cycles per layer (bar top: run total)")
    if depth <= 24:
        handles, names = ax.get_legend_handles_labels()  # listed top segment first, as stacked
        fig.legend(handles[::-1], names[::-1], title="layer", fontsize="small", loc="outside right upper")
    else:
        ax.text(1.01, 1, f"{depth} layers,\nstacked from layer 0\nat the bottom", transform=ax.transAxes,
                va="top", fontsize="small")
    return Plot(fig, data)


def plot_memtech(con: duckdb.DuckDBPyConnection, run_id: int) -> Plot:
    """Per technology (all buffers together): share of lifetimes that fit, and area and energy
    relative to SRAM (memtech). Unknown figures are marked n/a. Its data:
    {technology: {fit_lifetime_pct, area_vs_sram, energy_vs_sram}}."""
    rows = con.execute(
        """SELECT m.technology, m.fit_lifetime_pct, m.area_vs_sram, m.energy_vs_sram
           FROM memtech AS m JOIN technologies AS t USING (technology)
           WHERE m.run_id = ? AND m.buffer = 'all' ORDER BY t.cell <> 'sram', m.technology""", [run_id]
    ).fetchall()
    if not rows:
        raise GsdbError(f"run {run_id}: no memory-technology figures to plot")
    data = {t: {"fit_lifetime_pct": f, "area_vs_sram": a, "energy_vs_sram": e} for t, f, a, e in rows}
    fig = _figure(figsize=(13, 4.2), layout="constrained")
    axes = fig.subplots(1, 3)
    name = con.execute("SELECT name FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    fig.suptitle(f"{name}: memory technologies (all buffers)")
    panels = (("fit_lifetime_pct", "lifetimes within retention (%)"), ("area_vs_sram", "area / SRAM"),
              ("energy_vs_sram", "energy / SRAM"))
    techs = list(data)
    for ax, (key, label) in zip(axes, panels):
        values = [data[t][key] for t in techs]
        ax.bar(techs, [v if v is not None else 0 for v in values], edgecolor="black", linewidth=0.4)
        for i, v in enumerate(values):
            ax.annotate("n/a" if v is None else f"{v:.3g}", (i, v or 0), ha="center", va="bottom", fontsize="small")
        ax.set_title(label)
        ax.tick_params(axis="x", labelrotation=30)
    return Plot(fig, data)
