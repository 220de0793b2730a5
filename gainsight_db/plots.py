"""Pictures of the warehouse's views, drawn with matplotlib's object API (no pyplot state, no
backend switched: a notebook shows the returned figure as it is). Each function reads its numbers
from a view and returns the figure with the numbers it drew (so pictures can be checked against the
views); `save_figure` writes one as PNG, SVG or PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

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


def _spans_decades(values: list[float]) -> bool:
    positive = [v for v in values if v and v > 0]
    return bool(positive) and max(positive) / min(positive) >= 100


def plot_lifetimes(con: duckdb.DuckDBPyConnection, run_id: int, layer: int | None = None) -> Plot:
    """GainSight's lifetime distribution: one panel per buffer, lifetimes per log2 bin
    (lifetime_histogram; all layers together unless `layer` is given). Its data:
    {buffer: [(bin_lo_cycles, bin_hi_cycles, lifetimes), ...]}."""
    where = "run_id = ?" + (" AND layer = ?" if layer is not None else "")
    params = [run_id] + ([layer] if layer is not None else [])
    rows = con.execute(
        f"""SELECT buffer, bin_lo_cycles, bin_hi_cycles, sum(lifetimes)::BIGINT
            FROM lifetime_histogram WHERE {where} GROUP BY ALL ORDER BY buffer, bin_lo_cycles""", params
    ).fetchall()
    data: dict[str, list[tuple[int, int, int]]] = {b: [] for b in BUFFERS}
    for buffer, lo, hi, count in rows:
        data[buffer].append((int(lo), int(hi), int(count)))
    fig = _figure(figsize=(12, 3.8), layout="constrained")
    axes = fig.subplots(1, len(BUFFERS))
    title = con.execute("SELECT name FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    fig.suptitle(f"{title}: data lifetimes" + (f", layer {layer}" if layer is not None else ", all layers"))
    for ax, buffer in zip(axes, BUFFERS):
        bins = data[buffer]
        ax.set_title(buffer)
        ax.set_xlabel("lifetime (cycles)")
        ax.set_ylabel("lifetimes")
        if not bins:
            ax.text(0.5, 0.5, "no lifetimes", ha="center", va="center", transform=ax.transAxes)
            continue
        # Bin 0 (lifetime 0) is drawn at [0.5, 1) so that it fits on a log axis.
        lefts = [lo if lo > 0 else 0.5 for lo, _, _ in bins]
        widths = [hi - left for left, (_, hi, _) in zip(lefts, bins)]
        counts = [c for _, _, c in bins]
        ax.bar(lefts, counts, width=widths, align="edge", edgecolor="black", linewidth=0.4)
        if _spans_decades([lo if lo > 0 else 0.5 for lo, _, _ in bins] + [bins[-1][1]]):
            ax.set_xscale("log", base=2)
        if _spans_decades(counts):
            ax.set_yscale("log")
    return Plot(fig, data)


def plot_runs(con: duckdb.DuckDBPyConnection, run_ids: list[int] | None = None) -> Plot:
    """Total cycles per layer across runs, as stacked bars (one bar per run, one segment per layer),
    the way SCALE-Sim studies compare dataflows and array shapes. Its data: {run label: [cycles per layer]}."""
    rows = con.execute(
        """SELECT r.run_id, r.name, c.layer, c.total_cycles FROM compute_report AS c JOIN runs AS r USING (run_id)
           ORDER BY r.run_id, c.layer"""
    ).fetchall()
    names = {rid: name for rid, name, _, _ in rows}
    chosen = [rid for rid in dict.fromkeys(r[0] for r in rows) if run_ids is None or rid in run_ids]
    if not chosen:
        raise GsdbError("no SCALE-Sim runs to plot (see `gsdb runs`)")
    duplicated = {n for n in names.values() if list(names.values()).count(n) > 1}
    label = {rid: f"{names[rid]} (#{rid})" if names[rid] in duplicated else names[rid] for rid in chosen}
    data = {label[rid]: [int(c) for r, _, _, c in rows if r == rid] for rid in chosen}
    fig = _figure(figsize=(max(4.0, 1.2 * len(chosen) + 2), 4.5))
    ax = fig.subplots()
    depth = max(len(v) for v in data.values())
    bottoms = [0] * len(chosen)
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    for layer in range(depth):
        heights = [v[layer] if layer < len(v) else 0 for v in data.values()]
        ax.bar(list(data), heights, bottom=bottoms, label=f"layer {layer}", color=cmap(layer % 20),
               edgecolor="black", linewidth=0.3)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    ax.set_ylabel("total cycles")
    ax.set_title("Total cycles per layer")
    ax.tick_params(axis="x", labelrotation=30)
    if depth <= 24:
        ax.legend(fontsize="small", bbox_to_anchor=(1.02, 1), loc="upper left")
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
