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
from gainsight_db.common.sql_text import quote_identifier
from gainsight_db.common.staging import write_atomically
from gainsight_db.warehouse.sweeps import varied_axes

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
    defaults, and memtech_figures, the retention factor applied), drawn when they fall within [1, axis_end] cycles (below
    1 cycle only lifetimes of 0 lie, drawn apart at "0")."""
    params = con.execute("SELECT clock_hz, threshold_s FROM _memtech_params WHERE run_id = ?", [run_id]).fetchall()
    if not params:
        raise GsdbError(f"run {run_id}: no memory-technology parameters (it has no SCALE-Sim compute report)")
    clock_hz, threshold_s = params[0]
    technologies = con.execute(
        "SELECT technology, min(retention_s) AS retention_s FROM memtech_figures WHERE run_id = ? AND cell = 'gain_cell' "
        "GROUP BY technology ORDER BY retention_s NULLS LAST, technology", [run_id]).fetchall()

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


def _lifetime_x_axis(ax, x_end: float) -> None:
    """The log2 lifetime axis from the bar of 0 cycles (ZERO_BAR, ticked "0") to `x_end` cycles, a
    power of two: ticks at powers of two, at most about ten of them labelled."""
    from matplotlib.ticker import FixedLocator, NullFormatter

    top_power = round(math.log2(x_end))
    step = max(1, math.ceil((top_power + 1) / 10))
    powers = list(range(0, top_power + 1, step))
    zero_at = math.sqrt(ZERO_BAR[0] * ZERO_BAR[1])
    ax.set_xscale("log", base=2)
    ax.set_xlim(ZERO_BAR[0], x_end)
    ax.set_xlabel("lifetime (cycles, log2 bins)")
    ax.xaxis.set_major_locator(FixedLocator([zero_at] + [2.0 ** k for k in powers]))
    ax.xaxis.set_major_formatter(lambda x, _: "0" if x < 1 else "1" if x == 1 else _power_of_two(x))
    ax.xaxis.set_minor_locator(FixedLocator([2.0 ** k for k in range(top_power + 1)]))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _draw_lifetimes(title: str, layer: int | None, bins: dict[str, list[tuple[int, int, int]]],
                    axes_: _LifetimeAxes, y_scale: str) -> Plot:
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator

    fig = _figure(figsize=(12, 4.6), layout="constrained")
    axes = fig.subplots(1, len(BUFFERS), sharex=True, sharey=True)
    fig.suptitle(title)
    colours = ["tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan"]
    handles = []
    for ax, buffer in zip(axes, BUFFERS):
        _lifetime_x_axis(ax, axes_.x_end)
        ax.set_yscale(y_scale)
        ax.set_title(buffer)
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
    layer_labels = _layer_labels([(r[6], r[7]) for r in rows])
    data = RunsData(bars, layer_labels)

    fig = _figure(figsize=(max(4.0, 1.3 * len(bars) + 2.5), 4.8), layout="constrained")
    ax = fig.subplots()
    _draw_stacks(ax, [bar.cycles for bar in bars], [bar.total for bar in bars], [bar.label for bar in bars],
                 layer_labels)
    ax.set_ylabel("total cycles")
    ax.set_title("Total cycles per layer (bar top: run total)")
    _layer_legend(fig, ax, len(layer_labels))
    return Plot(fig, data)


def _layer_labels(layers: Iterable[tuple[int, str | None]]) -> list[str]:
    """The legend label of each LayerID's segment, from (LayerID, topology name) pairs of every bar: the
    names the bars give that layer (joined with ' / ' where they differ), else `layer <i>`."""
    names: dict[int, list[str]] = {}
    for layer, name in layers:
        known = names.setdefault(layer, [])
        if name and name not in known:
            known.append(name)
    depth = max(names, default=-1) + 1
    return [" / ".join(names.get(layer, [])) or f"layer {layer}" for layer in range(depth)]


def _draw_stacks(ax, stacks: list[list[int]], totals: list[int | float | None], labels: list[str],
                 layer_labels: list[str]) -> None:
    """One bar per stack at 0, 1, ..., a segment per layer (LayerID order from the bottom, coloured and
    named as layer_labels), the stack's total printed on top and its label under it."""
    from matplotlib import colormaps

    positions = list(range(len(stacks)))
    bottoms = [0] * len(stacks)
    cmap = colormaps["tab20"]
    for layer, layer_label in enumerate(layer_labels):
        heights = [(stack[layer] or 0) if layer < len(stack) else 0 for stack in stacks]
        ax.bar(positions, heights, bottom=bottoms, label=layer_label, color=cmap(layer % 20),
               edgecolor="black", linewidth=0.3)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    for position, total in zip(positions, totals):
        ax.annotate("n/a" if total is None else f"{total:,}", (position, total or 0), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(positions, labels)
    ax.margins(y=0.08)


def _layer_legend(fig, ax, depth: int) -> None:
    """The legend of stacked layers (top segment first, as stacked), or a note when there are too many."""
    if depth <= 24:
        handles, names = ax.get_legend_handles_labels()
        fig.legend(handles[:depth][::-1], names[:depth][::-1], title="layer", fontsize="small",
                   loc="outside right upper")
    else:
        ax.text(1.01, 1, f"{depth} layers,\nstacked from layer 0\nat the bottom", transform=ax.transAxes,
                va="top", fontsize="small")


def plot_memtech(con: duckdb.DuckDBPyConnection, run_id: int) -> Plot:
    """The memtech view of one run in four panels: per technology (all buffers together) the share
    of lifetimes that fit and the area relative to SRAM; per buffer, the energy relative to SRAM of
    the technologies whose energy is known, and the energy break-even ratio of those whose access
    energy is unknown (the fraction of SRAM's per-bit access energy below which they would use less
    energy than SRAM). A figure that cannot be computed is labelled with what is missing. Its data:
    {technology: {fit_lifetime_pct, area_vs_sram, energy_vs_sram: {buffer: ratio},
    energy_break_even_ratio: {buffer: ratio}, missing}}."""
    rows = con.execute(
        """SELECT m.technology, m.buffer, m.fit_lifetime_pct, m.area_vs_sram, m.energy_vs_sram,
                  m.energy_break_even_ratio, m.missing, m.energy_j
           FROM memtech AS m
           WHERE m.run_id = ?
           ORDER BY m.technology <> (SELECT technology FROM _memtech_reference), m.technology""", [run_id]
    ).fetchall()
    if not rows:
        raise GsdbError(f"run {run_id}: no memory-technology figures to plot")
    data: dict[str, dict] = {}
    priced: list[str] = []
    for technology, buffer, fit, area, energy, break_even, missing, energy_j in rows:
        entry = data.setdefault(technology, {"energy_vs_sram": {}, "energy_break_even_ratio": {}})
        if buffer == "all":
            entry.update(fit_lifetime_pct=fit, area_vs_sram=area, missing=missing)
            if energy_j is not None:  # its energy is known in every buffer
                priced.append(technology)
        else:
            entry["energy_vs_sram"][buffer] = energy
            entry["energy_break_even_ratio"][buffer] = break_even
    fig = _figure(figsize=(13, 8), layout="constrained")
    (fit_ax, area_ax), (energy_ax, even_ax) = fig.subplots(2, 2)
    name = con.execute("SELECT name FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]
    fig.suptitle(f"{name}: memory technologies")
    techs = list(data)
    for ax, key, label in ((fit_ax, "fit_lifetime_pct", "lifetimes within retention (%), all buffers"),
                           (area_ax, "area_vs_sram", "area / SRAM, all buffers")):
        values = [data[t][key] for t in techs]
        ax.bar(techs, [v if v is not None else 0 for v in values], edgecolor="black", linewidth=0.4)
        for i, v in enumerate(values):
            text = f"{v:.3g}" if v is not None else "no figure:\n" + _first_missing(data[techs[i]]["missing"], key)
            ax.annotate(text, (i, v or 0), ha="center", va="bottom", fontsize="small")
        ax.set_title(label)
        ax.tick_params(axis="x", labelrotation=20)
    unpriced = [t for t in techs if any(v is not None for v in data[t]["energy_break_even_ratio"].values())]
    _buffer_bars(energy_ax, priced, {t: data[t]["energy_vs_sram"] for t in priced},
                 "energy / SRAM, per buffer", "no technology has known energies", "no accesses")
    _buffer_bars(even_ax, unpriced, {t: data[t]["energy_break_even_ratio"] for t in unpriced},
                 "break-even access energy / SRAM's, per buffer\n(below it the technology uses less energy than SRAM)",
                 "every technology's access energy is known", "no unknown energy here")
    for ax in (energy_ax, even_ax):
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
    return Plot(fig, data)


def _first_missing(missing: str | None, key: str) -> str:
    needed = "retention_s" if key == "fit_lifetime_pct" else "area_um2_per_bit"
    return needed if needed in (missing or "") else (missing or "unknown").split(", ")[0]


def _buffer_bars(ax, techs: list[str], values: dict[str, dict[str, float | None]], title: str, empty: str,
                 empty_bar: str) -> None:
    """Grouped bars: one group per technology, one bar per buffer, each labelled with its value
    (`empty_bar` where there is none)."""
    ax.set_title(title)
    if not techs:
        ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", va="center")
        ax.set_xticks([])
        return
    width = 0.8 / len(BUFFER_COLOURS)
    for j, (buffer, colour) in enumerate(BUFFER_COLOURS.items()):
        xs = [i + (j - 1) * width for i in range(len(techs))]
        ys = [values[t].get(buffer) for t in techs]
        ax.bar(xs, [y if y is not None else 0 for y in ys], width, color=colour, label=buffer, edgecolor="black",
               linewidth=0.4)
        for x, y in zip(xs, ys):
            ax.annotate(empty_bar if y is None else f"{y:.3g}", (x, max(y or 0, 0)), ha="center", va="bottom",
                        fontsize="x-small", rotation=90 if y is None else 0)
    ax.set_xticks(range(len(techs)), techs)
    ax.set_xlim(-0.6, max(len(techs), 3) - 0.4)
    ax.tick_params(axis="x", labelrotation=20)
    ax.legend(fontsize="small")


# Comparing the points of a sweep ----------------------------------------------------------------
@dataclass(frozen=True)
class SweepMetric:
    """A figure the sweep picture compares: `column` is an SQL expression over the `layers` view (as
    l) for a per-layer figure, drawn as stacked bars, else a sweep_summary column, where `{buffer}`
    stands for each buffer's column (grouped bars, one per buffer)."""

    column: str
    label: str
    per_layer: bool = False
    per_buffer: bool = False
    percent: bool = False


SWEEP_METRICS: dict[str, SweepMetric] = {
    "total_cycles": SweepMetric("l.total_cycles", "total cycles", per_layer=True),
    "compute_cycles": SweepMetric("l.total_cycles - l.stall_cycles", "compute cycles (total - stall)", per_layer=True),
    "stall_cycles": SweepMetric("l.stall_cycles", "stall cycles", per_layer=True),
    "utilisation": SweepMetric("utilisation_pct", "utilisation (% of PE-cycles)", percent=True),
    "lifetime_mean": SweepMetric("{buffer}_lifetime_mean_cycles", "mean lifetime (cycles)", per_buffer=True),
    "lifetime_median": SweepMetric("{buffer}_lifetime_median_cycles", "median lifetime (cycles)", per_buffer=True),
    "lifetime_p90": SweepMetric("{buffer}_lifetime_p90_cycles", "90th percentile lifetime (cycles)", per_buffer=True),
    "lifetime_max": SweepMetric("{buffer}_lifetime_max_cycles", "longest lifetime (cycles)", per_buffer=True),
    "under_threshold_pct": SweepMetric("{buffer}_under_threshold_pct", "lifetimes under the threshold (%)",
                                       per_buffer=True, percent=True),
}
# The lifetime distributions of the points, one step line per point.
LIFETIMES_METRIC = "lifetimes"
SWEEP_METRIC_NAMES = (*SWEEP_METRICS, LIFETIMES_METRIC)
BUFFER_COLOURS = {"ifmap": "tab:blue", "filter": "tab:orange", "ofmap": "tab:green"}


@dataclass(frozen=True)
class SweepPoint:
    """A point of the sweep as drawn: its coordinates (the axes that tell the points apart, as the
    spec writes them), its label (the coordinates written out, e.g. 'os 64x64', without the `by`
    axis) and, with `by`, its group (that axis' value, written out)."""

    point: int
    run_id: int
    coordinates: dict[str, str]
    parts: tuple[str, ...]
    group: str | None

    @property
    def label(self) -> str:
        return " ".join(self.parts)


@dataclass(frozen=True)
class SweepBarsData:
    """What a sweep bar picture draws: one panel per group (one panel without `by`), in it the group's
    points in order; per point one value per series: the layers (stacked, `totals` on top, series
    named by the topology), the buffers (grouped bars), or the one figure."""

    sweep: str
    metric: str
    by: str | None
    groups: list[str | None]
    points: list[SweepPoint]
    series: list[str]
    values: dict[int, list[float | None]]
    totals: dict[int, float | None]
    y_label: str
    y_scale: str


@dataclass(frozen=True)
class SweepLifetimesData:
    """What the sweep's lifetime picture draws: per point and buffer the (bin_lo_cycles, bin_hi_cycles,
    share of the buffer's lifetimes in percent) of each non-empty bin, all layers together; one row of
    panels per group, one panel per buffer; the short-lifetime threshold in cycles, when every point's
    run has the same, and whether it is on the axis."""

    sweep: str
    by: str | None
    groups: list[str | None]
    points: list[SweepPoint]
    shares: dict[int, dict[str, list[tuple[int, int, float]]]]
    x_limits: tuple[float, float]
    threshold_cycles: float | None
    threshold_drawn: bool


def check_sweep_metric(metric: str) -> None:
    if metric not in SWEEP_METRIC_NAMES:
        raise GsdbError(f"plot sweep: unknown metric {metric!r} (one of: {', '.join(SWEEP_METRIC_NAMES)})")


def _coordinate_text(axis: str, value: str) -> str:
    """An axis value as a label writes it: dataflow and array as they are ('os', '64x64'), SRAM sizes
    with their unit and buffer ('256KiB', 'ifmap:64KiB'), the bandwidth as `bw10` (as run names
    write it), the topology by its file name without the folder and extension."""
    if axis == "topology":
        return Path(value).stem or value
    if axis == "sram_kb":
        return f"{value}KiB"
    if axis.endswith("_sram_kb"):
        return f"{axis.removesuffix('_sram_kb')}:{value}KiB"
    if axis == "bandwidth":
        return f"bw{value}"
    if axis in ("dataflow", "array"):
        return value
    return f"{axis}={value}"


def _sweep_points(con: duckdb.DuckDBPyConnection, sweep: str, by: str | None) -> tuple[list[SweepPoint], list]:
    """The points of the sweep whose run is in the warehouse, in order, labelled by their coordinates,
    and the groups (values of `by` in the order the points first take them; [None] without `by`)."""
    axes = varied_axes(con, sweep)
    if by is not None and by not in axes:
        raise GsdbError(f"plot sweep: by {by!r}: not an axis of sweep {sweep} (its axes: {', '.join(axes) or 'none'})")
    columns = "".join(f", p.{quote_identifier(axis)}" for axis in axes)
    rows = con.execute(
        f"SELECT p.point, p.run_id{columns} FROM sweep_points AS p JOIN runs AS r USING (run_id) "
        "WHERE p.sweep = ? ORDER BY p.point", [sweep]).fetchall()
    if not rows:
        raise GsdbError(f"plot sweep: no point of sweep {sweep} has its run in the warehouse (see `gsdb runs`)")
    points = []
    for point, run_id, *values in rows:
        coordinates = dict(zip(axes, values))
        parts = tuple(_coordinate_text(a, v) for a, v in coordinates.items() if a != by)
        group = _coordinate_text(by, coordinates[by]) if by is not None else None
        points.append(SweepPoint(int(point), int(run_id), coordinates, parts or (group or f"point {point}",), group))
    # Coordinates tell the points apart; where a label still repeats within a group, the point says which.
    seen: dict[tuple, int] = {}
    for p in points:
        seen[(p.group, p.parts)] = seen.get((p.group, p.parts), 0) + 1
    points = [p if seen[(p.group, p.parts)] == 1 else
              SweepPoint(p.point, p.run_id, p.coordinates, (*p.parts, f"#{p.point}"), p.group) for p in points]
    return points, list(dict.fromkeys(p.group for p in points))


def plot_sweep(con: duckdb.DuckDBPyConnection, sweep: str, metric: str = "total_cycles", by: str | None = None) -> Plot:
    """The points of a sweep compared, each labelled by its axis values (never by its run):
    - a per-layer metric (total_cycles, compute_cycles, stall_cycles): the SCALE-Sim tutorial's stacked
      bars, one bar per point, a segment per layer named as in the topology, the total on top;
    - a run-level metric (utilisation, lifetime_mean, lifetime_median, lifetime_p90, lifetime_max,
      under_threshold_pct): one bar per point, three (one per buffer) for the per-buffer figures;
    - `lifetimes`: per buffer, each point's lifetime distribution (lifetime_histogram's log2 bins, all
      layers, as a share of the buffer's lifetimes) as a step line on one log2 axis.
    With `by` (an axis the sweep varies), one panel (a row of panels for `lifetimes`) per value of
    that axis. Its data: a SweepBarsData, or a SweepLifetimesData for `lifetimes`."""
    check_sweep_metric(metric)
    points, groups = _sweep_points(con, sweep, by)
    if metric == LIFETIMES_METRIC:
        return _plot_sweep_lifetimes(con, sweep, by, points, groups)
    spec = SWEEP_METRICS[metric]
    totals: dict[int, float | None] = {}
    if spec.per_layer:
        rows = con.execute(
            f"""SELECT p.point, l.layer, l.name, {spec.column} AS value,
                       CAST(sum({spec.column}) OVER (PARTITION BY p.point) AS BIGINT) AS total
                FROM sweep_points AS p JOIN layers AS l USING (run_id)
                WHERE p.sweep = ? ORDER BY p.point, l.layer""", [sweep]).fetchall()
        series = _layer_labels((layer, name) for _, layer, name, _, _ in rows)
        values: dict[int, list[float | None]] = {p.point: [] for p in points}
        for point, _, _, value, total in rows:
            if point in values:
                values[point].append(value)
                totals[point] = total
        y_scale = "linear"
    else:
        buffers = BUFFERS if spec.per_buffer else (None,)
        series = list(BUFFERS) if spec.per_buffer else [metric]
        columns = ", ".join(spec.column.format(buffer=b) for b in buffers)
        rows = con.execute(f"SELECT point, {columns} FROM sweep_summary WHERE sweep = ? ORDER BY point",
                           [sweep]).fetchall()
        values = {int(point): list(figures) for point, *figures in rows}
        drawn = [v for p in points for v in values.get(p.point, []) if v is not None]
        y_scale = "linear" if spec.percent else _y_scale(drawn)
    data = SweepBarsData(sweep, metric, by, groups, points, series, values, totals, spec.label, y_scale)
    return Plot(_draw_sweep_bars(data, spec), data)


def _draw_sweep_bars(data: SweepBarsData, spec: SweepMetric):
    counts = [sum(1 for p in data.points if p.group == g) for g in data.groups]
    fig = _figure(figsize=(max(4.5, 1.1 * len(data.points) + 1.2 * len(data.groups) + 2.5), 4.8), layout="constrained")
    panels = fig.subplots(1, len(data.groups), sharey=True, squeeze=False, gridspec_kw={"width_ratios": counts})[0]
    title = f"sweep {data.sweep}: {data.y_label}" + (" per layer (bar top: total)" if spec.per_layer else "")
    fig.suptitle(title + (f", by {data.by}" if data.by else ""))
    for ax, group in zip(panels, data.groups):
        members = [p for p in data.points if p.group == group]
        ticks = ["\n".join(p.parts) for p in members]
        positions = list(range(len(members)))
        if group is not None:
            ax.set_title(f"{data.by} = {group}")
        ax.set_yscale(data.y_scale)
        if spec.per_layer:
            _draw_stacks(ax, [data.values[p.point] for p in members], [data.totals.get(p.point) for p in members],
                         ticks, data.series)
            continue
        width = 0.8 / len(data.series)
        for i, name in enumerate(data.series):
            offset = (i - (len(data.series) - 1) / 2) * width
            heights = [data.values.get(p.point, [None] * len(data.series))[i] for p in members]
            ax.bar([x + offset for x in positions], [h or 0 for h in heights], width, label=name,
                   color=BUFFER_COLOURS.get(name, "tab:blue"), edgecolor="black", linewidth=0.3)
            for x, h in zip(positions, heights):
                if h is None or len(data.series) == 1:
                    ax.annotate("n/a" if h is None else f"{h:.3g}", (x + offset, h or 0), xytext=(0, 2),
                                textcoords="offset points", ha="center", va="bottom", fontsize="x-small")
        ax.set_xticks(positions, ticks)
        ax.margins(y=0.08)
    panels[0].set_ylabel(data.y_label + (" (log scale)" if data.y_scale == "log" else ""))
    if spec.per_layer:
        _layer_legend(fig, panels[0], len(data.series))
    elif spec.per_buffer:
        fig.legend(*panels[0].get_legend_handles_labels(), title="buffer", fontsize="small", loc="outside right upper")
    return fig


def _plot_sweep_lifetimes(con: duckdb.DuckDBPyConnection, sweep: str, by: str | None, points: list[SweepPoint],
                          groups: list) -> Plot:
    rows = con.execute(
        """WITH bins AS (
               SELECT p.point, h.buffer, h.bin_lo_cycles AS lo, h.bin_hi_cycles AS hi, sum(h.lifetimes) AS lifetimes
               FROM sweep_points AS p JOIN lifetime_histogram AS h USING (run_id)
               WHERE p.sweep = ?
               GROUP BY ALL
           )
           SELECT point, buffer, lo, hi, 100.0 * lifetimes / sum(lifetimes) OVER (PARTITION BY point, buffer)
           FROM bins ORDER BY point, buffer, lo""", [sweep]).fetchall()
    shares: dict[int, dict[str, list[tuple[int, int, float]]]] = {p.point: {b: [] for b in BUFFERS} for p in points}
    for point, buffer, lo, hi, share in rows:
        if point in shares:
            shares[point][buffer].append((int(lo), int(hi), float(share)))
    thresholds = con.execute(
        """SELECT DISTINCT m.threshold_s * m.clock_hz FROM sweep_points AS p JOIN _memtech_params AS m USING (run_id)
           WHERE p.sweep = ?""", [sweep]).fetchall()
    threshold = float(thresholds[0][0]) if len(thresholds) == 1 else None
    data_end = max((hi for bins in shares.values() for b in bins.values() for _, hi, _ in b), default=2)
    drawn = threshold is not None and 1 <= threshold <= data_end * MARKER_REACH
    furthest = max(data_end, threshold if drawn else 0)
    x_end = 2.0 ** (math.floor(math.log2(furthest)) + 1)
    data = SweepLifetimesData(sweep, by, groups, points, shares, (ZERO_BAR[0], x_end), threshold, drawn)
    return Plot(_draw_sweep_lifetimes(data), data)


def _draw_sweep_lifetimes(data: SweepLifetimesData):
    from matplotlib import colormaps
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    x_end = data.x_limits[1]
    top_power = round(math.log2(x_end))
    # Step edges: the bar of 0 cycles, the gap up to 1 cycle, then every bin [2^(k-1), 2^k).
    edges = [ZERO_BAR[0], ZERO_BAR[1]] + [2.0 ** k for k in range(top_power + 1)]
    labels = list(dict.fromkeys(p.label for p in data.points))
    cmap = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    colour = {label: cmap(i % cmap.N) for i, label in enumerate(labels)}
    fig = _figure(figsize=(12, 1.0 + 3.4 * len(data.groups)), layout="constrained")
    panels = fig.subplots(len(data.groups), len(BUFFERS), sharex=True, sharey=True, squeeze=False)
    fig.suptitle(f"sweep {data.sweep}: data lifetimes (all layers) per log2 bin" + (f", by {data.by}" if data.by else ""))
    for row, group in zip(panels, data.groups):
        for ax, buffer in zip(row, BUFFERS):
            _lifetime_x_axis(ax, x_end)
            ax.set_title(buffer if group is None else f"{buffer}, {data.by} = {group}")
            lines = 0
            for p in (p for p in data.points if p.group == group):
                bins = {lo: share for lo, _, share in data.shares[p.point][buffer]}
                if not bins:
                    continue
                heights = [bins.get(0, 0.0), 0.0] + [bins.get(2 ** (k - 1), 0.0) for k in range(1, top_power + 1)]
                ax.stairs(heights, edges, color=colour[p.label], linewidth=1.6, baseline=None)
                lines += 1
            if not lines:
                ax.text(0.5, 0.5, "no lifetimes", ha="center", va="center", transform=ax.transAxes)
            if data.threshold_drawn:
                ax.axvline(data.threshold_cycles, color="black", linestyle="--", linewidth=1.2)
        row[0].set_ylabel("share of the buffer's lifetimes (%)")
    handles = [Line2D([], [], color=colour[label], linewidth=1.6, label=label) for label in labels]
    if data.threshold_cycles is not None:
        where = "" if data.threshold_drawn else " (beyond the axis)"
        text = f"short-lifetime threshold {_cycles(data.threshold_cycles)} cycles{where}"
        handles.append(Line2D([], [], color="black", linestyle="--", label=text) if data.threshold_drawn
                       else Patch(visible=False, label=text))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize="small", frameon=False)
    return fig
