"""`gsdb simulate` runs the real scalesim package and ingests what it wrote."""

from __future__ import annotations

import json

from conftest import EXAMPLE_RUN, cli_runner
from trace_reference import run_access_counts


def test_simulate_conv_topology_without_trailing_commas(gsdb, tmp_path):
    """Rule: topology rows without the trailing comma SCALE-Sim needs still give every layer."""
    topology = tmp_path / "two.csv"
    topology.write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides\n"
        "ConvA, 6, 6, 3, 3, 2, 4, 1\n"
        "ConvB, 4, 4, 1, 1, 4, 8, 1\n"
    )
    config = EXAMPLE_RUN / "inputs" / "tiny_8x8_ws.cfg"
    out = tmp_path / "sim"
    result = gsdb("simulate", "--topology", topology, "--config", config, "--output", out, "--keep-csv")
    assert "ingested run 1 tiny_8x8_ws: 2 layers" in result.stdout

    run_dir = out / "tiny_8x8_ws"
    assert (run_dir / "COMPUTE_REPORT.csv").is_file()
    accesses = json.loads(gsdb("query", "SELECT count(*) AS n FROM accesses", "-f", "json").stdout)[0]["n"]
    assert accesses == sum(run_access_counts(run_dir).values()) > 0

    layers = json.loads(gsdb("query", "SELECT layer, name, macs FROM layers ORDER BY layer", "-f", "json").stdout)
    # MACs by hand: ConvA ofmap 4x4, 3x3 filter, 2 channels, 4 filters; ConvB 4x4, 1x1, 4 ch, 8 filters.
    assert layers == [
        {"layer": 0, "name": "ConvA", "macs": 4 * 4 * 3 * 3 * 2 * 4},
        {"layer": 1, "name": "ConvB", "macs": 4 * 4 * 1 * 1 * 4 * 8},
    ]
    runs = json.loads(gsdb("query", "SELECT dataflow, array_rows, config_path, topology_path FROM runs", "-f", "json").stdout)
    assert runs[0]["dataflow"] == "ws" and runs[0]["array_rows"] == 8
    assert runs[0]["config_path"].startswith(str(out)) and runs[0]["topology_path"].startswith(str(out))


def test_simulate_gemm_topology(gsdb, tmp_path):
    topology = tmp_path / "gemm.csv"
    topology.write_text("Layer Name, M, N, K,\nG1, 8, 12, 10,\n")
    config = EXAMPLE_RUN / "inputs" / "tiny_8x8_ws.cfg"
    gsdb("simulate", "--topology", topology, "--config", config, "--output", tmp_path / "sim")
    shapes = json.loads(gsdb("query", "SELECT layer_kind, gemm_m, gemm_n, gemm_k, macs FROM layer_shapes", "-f", "json").stdout)
    assert shapes == [{"layer_kind": "gemm", "gemm_m": 8, "gemm_n": 12, "gemm_k": 10, "macs": 8 * 12 * 10}]


def test_simulating_the_example_reproduces_its_traces(gsdb, tmp_path):
    """The example run was made by scalesim 3.0.0: simulating its inputs again gives the same files."""
    inputs = EXAMPLE_RUN / "inputs"
    out = tmp_path / "sim"
    gsdb("simulate", "--topology", inputs / "tiny3.csv", "--config", inputs / "tiny_8x8_ws.cfg", "--output", out, "-q",
          "--keep-csv")
    original = EXAMPLE_RUN / "tiny_8x8_ws"
    for path in original.rglob("*.csv"):
        assert (out / "tiny_8x8_ws" / path.relative_to(original)).read_bytes() == path.read_bytes(), path


def test_simulate_refuses_missing_inputs_and_a_used_folder(gsdb, tmp_path, db):
    config = EXAMPLE_RUN / "inputs" / "tiny_8x8_ws.cfg"
    missing = gsdb("simulate", "--topology", tmp_path / "nope.csv", "--config", config, check=False)
    assert missing.returncode == 1 and "nope.csv" in missing.stderr and "not found" in missing.stderr
    used = tmp_path / "used"
    used.mkdir()
    (used / "something").write_text("x")
    refused = gsdb("simulate", "--topology", EXAMPLE_RUN / "inputs" / "tiny3.csv", "--config", config,
                   "--output", used, check=False)
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert not db.exists()


def test_simulating_in_memory_gives_what_ingesting_the_csv_files_gives(gsdb, tmp_path):
    """Rule: traces handed over from SCALE-Sim's memory load exactly as its trace CSVs do. The
    example run's CSVs were written by scalesim 3.0.0 from the same inputs."""
    inputs = EXAMPLE_RUN / "inputs"
    out = tmp_path / "sim"
    gsdb("simulate", "--topology", inputs / "tiny3.csv", "--config", inputs / "tiny_8x8_ws.cfg", "--output", out, "-q")
    assert not list((out / "tiny_8x8_ws").glob("layer*")), "no trace CSVs without --keep-csv"
    files = cli_runner(tmp_path / "from_csv.duckdb")
    files("ingest", EXAMPLE_RUN, "-q")

    def rows(run, sql):
        return run("query", sql, "-f", "csv").stdout.splitlines()

    for sql in ("SELECT * EXCLUDE (run_id) FROM accesses ORDER BY ALL",
                "SELECT * EXCLUDE (run_id) FROM lifetimes ORDER BY ALL",
                "SELECT * EXCLUDE (run_id) FROM dead_writes ORDER BY ALL",
                "SELECT * EXCLUDE (run_id) FROM layer_stats ORDER BY ALL",
                "SELECT * EXCLUDE (run_id, path, size_bytes, origin) FROM trace_files ORDER BY ALL"):
        in_memory, from_csv = rows(gsdb, sql), rows(files, sql)
        assert len(in_memory) > 1 and in_memory == from_csv, sql
    orphans = "SELECT count(*) FROM orphan_reads"
    assert rows(gsdb, orphans) == rows(files, orphans)
    origins = rows(gsdb, "SELECT DISTINCT origin, size_bytes IS NULL AS no_size FROM trace_files")
    assert origins == ["origin,no_size", "memory,True"]


def test_a_run_simulated_in_memory_has_no_traces_to_ingest_again(gsdb, tmp_path):
    inputs = EXAMPLE_RUN / "inputs"
    out = tmp_path / "sim"
    gsdb("simulate", "--topology", inputs / "tiny3.csv", "--config", inputs / "tiny_8x8_ws.cfg", "--output", out, "-q")
    again = gsdb("ingest", out / "tiny_8x8_ws", check=False)
    assert again.returncode == 1
    assert again.stderr.strip().endswith("IFMAP_SRAM_TRACE.csv: trace file is missing")
    runs = gsdb("query", "SELECT count(*) AS n FROM runs", "-f", "csv").stdout.splitlines()
    assert runs == ["n", "1"]
