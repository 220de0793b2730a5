"""`gsdb report lifetimes|layers|run|histogram`: GainSight's tables from the warehouse, checked against
the plain-Python reference computed from the run's CSV files."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import EXAMPLE_RUN, SCALESIM_SAMPLES, cli_runner, run_id_of
from lifetime_reference import analyse, close, layer_stats, run_stats
from trace_reference import run_accesses, total_cycles

STATS = ("lifetimes", "lifetime_mean", "lifetime_median", "lifetime_p90", "lifetime_p99", "lifetime_min",
         "lifetime_max", "reads", "writes", "footprint_words", "dead_writes", "orphan_reads")
LAYER_ONLY = ("read_active_cycles", "write_active_cycles", "read_freq_pct", "write_freq_pct")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Every bundled sample, ingested once through the CLI."""
    gsdb = cli_runner(tmp_path_factory.mktemp("reports") / "gainsight.duckdb")
    gsdb("ingest", *SCALESIM_SAMPLES.values(), "--quiet")
    return gsdb


@pytest.mark.parametrize("sample", sorted(SCALESIM_SAMPLES))
def test_report_layers_is_gainsights_per_layer_table(warehouse, sample):
    """`report layers` gives, per layer and buffer, the statistics of the reference (every sample)."""
    run_dir = SCALESIM_SAMPLES[sample]
    rows = json.loads(warehouse("report", "layers", "--run", run_id_of(warehouse, run_dir), "--format", "json").stdout)
    totals = total_cycles(run_dir)
    expected = layer_stats(run_accesses(run_dir, totals), totals)
    assert {(r["layer"], r["buffer"]) for r in rows} == set(expected)
    for row in rows:
        want = expected[(row["layer"], row["buffer"])]
        for column in STATS + LAYER_ONLY:
            assert close(row[column], want[column]), (row["layer"], row["buffer"], column)
        assert row["run"] == run_dir.name and row["total_cycles"] == totals[row["layer"]]


def test_report_run_concatenates_all_layers(warehouse):
    """`report run` gives the statistics over every layer together, per buffer and for 'all'."""
    run_dir = SCALESIM_SAMPLES["v3_api_small3_16x16_os"]
    rows = json.loads(warehouse("report", "run", "--run", run_id_of(warehouse, run_dir), "-f", "json").stdout)
    totals = total_cycles(run_dir)
    expected = run_stats(run_accesses(run_dir, totals), totals)
    assert [r["buffer"] for r in rows] == ["ifmap", "filter", "ofmap", "all"]
    for row in rows:
        for column in STATS:
            assert close(row[column], expected[row["buffer"]][column]), (row["buffer"], column)


def test_report_lifetimes_filters_by_layer_and_buffer(warehouse):
    """`report lifetimes --layer --buffer` lists exactly that layer's and buffer's lifetimes."""
    run_dir = SCALESIM_SAMPLES["v3_api_tiny_8x8_ws"]
    out = warehouse("report", "lifetimes", "--run", run_id_of(warehouse, run_dir), "--layer", "1", "--buffer", "filter",
                    "--format", "csv").stdout
    got = [(int(r["addr"]), int(r["write_cycle"]), int(r["lifetime_cycles"]), int(r["reads"]))
           for r in csv.DictReader(io.StringIO(out))]
    lifetimes, _, _ = analyse(run_accesses(run_dir, total_cycles(run_dir)))
    want = [(addr, w, span, reads) for layer, buffer, addr, w, _, span, reads in lifetimes
            if layer == 1 and buffer == "filter"]
    assert got == sorted(want) and want


def test_report_histogram_counts_every_lifetime_once(warehouse):
    """The histogram's bins add up to each layer's and buffer's lifetime count."""
    run_dir = SCALESIM_SAMPLES["v3_api_gemm2_16x16_ws"]
    bins = json.loads(warehouse("report", "histogram", "--run", run_id_of(warehouse, run_dir), "-f", "json").stdout)
    layers = json.loads(warehouse("report", "layers", "--run", run_id_of(warehouse, run_dir), "-f", "json").stdout)
    totals: dict = {}
    for b in bins:
        assert b["bin_lo_cycles"] * 2 == b["bin_hi_cycles"] or (b["bin"] == 0 and b["bin_hi_cycles"] == 1)
        totals[(b["layer"], b["buffer"])] = totals.get((b["layer"], b["buffer"]), 0) + b["lifetimes"]
    assert totals == {(r["layer"], r["buffer"]): r["lifetimes"] for r in layers if r["lifetimes"]}


def test_report_without_run_lists_every_run_and_unknown_run_fails(warehouse):
    """Without --run every run is reported; an unknown run is a one-line error."""
    rows = json.loads(warehouse("report", "run", "--buffer", "ofmap", "-f", "json").stdout)
    assert sorted(r["run"] for r in rows) == sorted(p.name for p in SCALESIM_SAMPLES.values())
    result = warehouse("report", "layers", "--run", "no_such_run", check=False)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "no_such_run" in result.stderr


def test_report_layers_names_layers_from_the_topology(gsdb):
    """The per-layer table carries each layer's topology name."""
    gsdb("ingest", EXAMPLE_RUN, "-q")
    rows = json.loads(gsdb("report", "layers", "--buffer", "ifmap", "-f", "json").stdout)
    with open(EXAMPLE_RUN / "inputs" / "tiny3.csv", newline="") as handle:
        names = [r[0].strip() for r in list(csv.reader(handle))[1:] if r and r[0].strip()]
    assert [r["layer_name"] for r in rows] == names
