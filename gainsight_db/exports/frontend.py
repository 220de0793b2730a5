"""`gsdb export frontend`: GainSight's frontend report for one run as JSON: the workload (name,
size, dataflow), the parameters, lifetime statistics per buffer, and per technology the fit,
refreshes, area and energy with their ratios to SRAM (or, where its access energy is unknown, its
break-even energy), the per-bit figures used for each buffer and their sources, plus the best
heterogeneous compositions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from gainsight_db.common.version import __version__

_STATS = ("lifetimes", "lifetime_mean", "lifetime_median", "lifetime_p90", "lifetime_p99", "lifetime_min",
          "lifetime_max", "reads", "writes", "footprint_words", "dead_writes", "orphan_reads")
_PER_TECH = ("fit_lifetime_pct", "fit_read_pct", "under_threshold_pct", "refreshes", "area_um2", "read_energy_j",
             "write_energy_j", "refresh_energy_j", "leakage_energy_j", "energy_j", "area_vs_sram", "energy_vs_sram",
             "energy_break_even_ratio", "energy_break_even_for", "energy_break_even_pj_per_bit",
             "under_threshold_read_pct")
_COMPOSITION = ("area_um2", "energy_j", "sram_area_um2", "sram_energy_j", "area_vs_sram", "energy_vs_sram",
                "unpriced")
_FIGURES = ("buffer_kb", "retention_s", "area_um2_per_bit", "read_pj_per_bit", "write_pj_per_bit",
            "refresh_pj_per_bit", "leakage_pw_per_bit", "sram_size_clamped", "assumed", "derivation")


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def frontend_report(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    """The report as a JSON-ready dict, read from the runs, run_stats, memtech and composition views."""
    run = _records(con, """SELECT name, dataflow, array_rows, array_cols, layer_count,
                                  ifmap_sram_kb, filter_sram_kb, ofmap_sram_kb, source_path
                           FROM runs WHERE run_id = ?""", [run_id])[0]
    params = _records(con, "SELECT clock_hz, word_bits, threshold_s, node_nm, retention_factor, runtime_cycles "
                           "FROM _memtech_params WHERE run_id = ?", [run_id])[0]
    stats = _records(con, f"SELECT buffer, {', '.join(_STATS)} FROM run_stats WHERE run_id = ?", [run_id])
    memtech = _records(con, f"SELECT buffer, technology, {', '.join(_PER_TECH)}, missing FROM memtech WHERE run_id = ?",
                       [run_id])
    technologies = _records(con, "SELECT technology, cell, sources FROM technologies "
                                 "ORDER BY technology <> (SELECT technology FROM _memtech_reference), technology", [])
    figures = _records(con, f"SELECT technology, buffer, {', '.join(_FIGURES)} FROM memtech_figures WHERE run_id = ? "
                       "ORDER BY CASE buffer WHEN 'ifmap' THEN 0 WHEN 'filter' THEN 1 ELSE 2 END", [run_id])
    compositions = _records(con, "SELECT * EXCLUDE (run_id) FROM memtech_composition WHERE run_id = ? "
                            "ORDER BY objective, CASE buffer WHEN 'ifmap' THEN 0 WHEN 'filter' THEN 1 WHEN 'ofmap' THEN 2 "
                            "ELSE 3 END", [run_id])

    per_tech: dict[str, dict[str, Any]] = {}
    for tech in technologies:
        rows = {r["buffer"]: {k: r[k] for k in _PER_TECH} for r in memtech if r["technology"] == tech["technology"]}
        # the buffers together: a figure unknown for any buffer (the row order of memtech is not defined)
        missing = next((r["missing"] for r in memtech if r["technology"] == tech["technology"] and r["buffer"] == "all"), "")
        per_tech[tech["technology"]] = {
            "cell": tech["cell"],
            "figures": {r["buffer"]: {k: r[k] for k in _FIGURES} for r in figures
                        if r["technology"] == tech["technology"]},
            "sources": tech["sources"],
            "could_not_compute_from": [m for m in (missing or "").split(", ") if m],
            "buffers": rows,
        }
    best: dict[str, Any] = {}
    for row in compositions:
        entry = best.setdefault(row["objective"], {"picks": {}})
        if row["buffer"] == "total":
            entry.update({k: row[k] for k in _COMPOSITION})
        else:
            entry["picks"][row["buffer"]] = row["technology"]
            entry.setdefault("unpriced_by_buffer", {})[row["buffer"]] = row["unpriced"]
    return {
        "workload": {
            "name": run["name"],
            "dataflow": run["dataflow"],
            "array": {"rows": run["array_rows"], "cols": run["array_cols"]},
            "sram_kb": {"ifmap": run["ifmap_sram_kb"], "filter": run["filter_sram_kb"], "ofmap": run["ofmap_sram_kb"]},
            "layers": run["layer_count"],
            "source_path": run["source_path"],
        },
        "parameters": {"clock_hz": params["clock_hz"], "word_bits": params["word_bits"],
                       "threshold_s": params["threshold_s"], "node_nm": params["node_nm"],
                       "retention_factor": params["retention_factor"],
                       "runtime_cycles": int(params["runtime_cycles"])},
        "lifetime_stats": {r["buffer"]: {k: r[k] for k in _STATS} for r in stats},
        "technologies": per_tech,
        "best_composition": best,
        "generator": {"gainsight_db": __version__, "duckdb": duckdb.__version__,
                      "run_id": run_id, "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")},
    }
