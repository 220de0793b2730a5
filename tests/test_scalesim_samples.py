"""End-to-end ingest of the bundled SCALE-Sim samples (tests/data/scalesim), checked against references computed here.

Every golden value in this file is derived from the sample files themselves with plain Python
(`csv`, `configparser`, `hashlib`), never from the warehouse code: a plain reading of each trace
(SEMANTICS.md 1.1), DETAILED_ACCESS_REPORT.csv / COMPUTE_REPORT.csv parsed by hand, the run's
config and topology in `inputs/`.
"""

from __future__ import annotations

import collections
import configparser
import csv
import functools
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

try:
    from conftest import SCALESIM_DATA, SCALESIM_SAMPLES, copy_run
except ImportError:  # pragma: no cover - depends on how pytest put conftest's folder on sys.path
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import SCALESIM_DATA, SCALESIM_SAMPLES, copy_run

from trace_reference import BUFFERS, LEVELS, reference_accesses, trace_name

SAMPLES = sorted(SCALESIM_SAMPLES)
# Samples whose DETAILED_ACCESS_REPORT agrees with their own traces (the brief; checked below from the CSVs).
SELF_CONSISTENT = (
    "v2_api_tiny_8x8_ws",
    "v3_api_tiny_8x8_ws",
    "v3_api_tiny_8x16_ws",
    "v3_api_tiny_8x16_is",
    "v3_api_dw_test_8x8_ws",
    "v3_api_gemm2_16x16_ws",
)
# DETAILED_ACCESS_REPORT column holding the count of each (buffer, level) trace.
REPORT_COLUMN = {
    ("ifmap", "sram"): "SRAM IFMAP Reads",
    ("filter", "sram"): "SRAM Filter Reads",
    ("ofmap", "sram"): "SRAM OFMAP Writes",
    ("ifmap", "dram"): "DRAM IFMAP Reads",
    ("filter", "dram"): "DRAM Filter Reads",
    ("ofmap", "dram"): "DRAM OFMAP Writes",
}


# Reference readers (plain Python) -------------------------------------------------------------------
def read_report(path: Path) -> list[dict[str, str]]:
    """A SCALE-Sim report: fields separated by ', ', every line ending with a comma."""
    with open(path) as handle:
        lines = [line.strip() for line in handle if line.strip()]
    split = [[cell.strip() for cell in line.rstrip(",").split(", ")] for line in lines]
    header, body = split[0], split[1:]
    for row in body:
        assert len(row) == len(header), (path, row)
    return [dict(zip(header, row)) for row in body]


def layer_ids(sample: str) -> list[int]:
    return [int(r["LayerID"]) for r in read_report(SCALESIM_SAMPLES[sample] / "COMPUTE_REPORT.csv")]


@functools.lru_cache(maxsize=None)
def reference(sample: str) -> dict[tuple[int, str, str], list[tuple[int, int]]]:
    """Per (layer, buffer, level) of the report's LayerIDs: the sorted accesses of its trace."""
    run_dir = SCALESIM_SAMPLES[sample]
    return {
        (layer, buffer, level): reference_accesses(run_dir / f"layer{layer}" / trace_name(buffer, level), level)[0]
        for layer in layer_ids(sample)
        for buffer in BUFFERS
        for level in LEVELS
    }


def reference_total(sample: str) -> int:
    return sum(len(v) for v in reference(sample).values())


def report_counts(sample: str) -> dict[tuple[int, str, str], int]:
    rows = read_report(SCALESIM_SAMPLES[sample] / "DETAILED_ACCESS_REPORT.csv")
    return {
        (int(r["LayerID"]), buffer, level): int(float(r[column]))
        for r in rows
        for (buffer, level), column in REPORT_COLUMN.items()
    }


def sample_config(sample: str) -> configparser.ConfigParser:
    (cfg,) = (SCALESIM_DATA / sample / "inputs").glob("*.cfg")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(cfg)
    return parser


def sample_topology(sample: str) -> list[list[str]]:
    (topology,) = (SCALESIM_DATA / sample / "inputs").glob("*.csv")
    with open(topology, newline="") as handle:
        rows = [[c.strip() for c in row] for row in csv.reader(handle)]
    return [[c for c in row if c != ""] for row in rows if any(row)]


# Running the real CLI ------------------------------------------------------------------------------
def cli_ingest(db: Path, *paths: Path) -> subprocess.CompletedProcess:
    """`gsdb ingest PATH...` in a real process against warehouse `db` (as the gsdb fixture does)."""
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "gsdb"), "ingest", *map(str, paths)],
        capture_output=True, text=True, env=dict(os.environ, GSDB_DB=str(db)),
    )
    assert proc.returncode == 0, f"gsdb ingest {paths} failed ({proc.returncode}):\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """sample -> warehouse holding only that sample, ingested once per module by the CLI."""
    root = tmp_path_factory.mktemp("single")
    cache: dict[str, Path] = {}

    def get(sample: str) -> Path:
        if sample not in cache:
            db = root / sample / "gainsight.duckdb"
            cli_ingest(db, SCALESIM_SAMPLES[sample])
            cache[sample] = db
        return cache[sample]

    return get


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db), read_only=True)


def only_run_id(con: duckdb.DuckDBPyConnection) -> int:
    (run_id,) = [r for (r,) in con.execute("SELECT run_id FROM runs").fetchall()]
    return run_id


def run_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and view of the warehouse with a run_id column."""
    return [
        name
        for (name,) in con.execute(
            "SELECT DISTINCT table_name FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND column_name = 'run_id' ORDER BY 1"
        ).fetchall()
    ]


def layer_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "SELECT DISTINCT table_name FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND column_name = 'layer' ORDER BY 1"
        ).fetchall()
    ]


def row_counts(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, int]:
    return {
        table: con.execute(f'SELECT count(*) FROM "{table}" WHERE run_id = ?', [run_id]).fetchone()[0]
        for table in run_tables(con)
    }


# 0. The reference reader on the documented cases -----------------------------------------------------
def test_reference_reader_drops_padding_but_keeps_a_single_trailing_one(tmp_path):
    """Rule: in a DRAM row a trailing run of >= 2 cells of 1.0 is padding; one trailing 1.0 is address 1."""
    trace = tmp_path / "FILTER_DRAM_TRACE.csv"
    trace.write_text("-3.0,10.0,1.0,1.0,1.0\n-2.0,11.0,1.0\n-1.0,-1.0,12.0,-1.0\n")
    assert reference_accesses(trace, "dram") == ([(-3, 10), (-2, 1), (-2, 11), (-1, 12)], 3)
    # The bundled sample really exercises the rule (tests/data/README.md: small3 OS, layer2 FILTER_DRAM).
    real = SCALESIM_SAMPLES["v3_api_small3_16x16_os"] / "layer2" / "FILTER_DRAM_TRACE.csv"
    accesses, padding = reference_accesses(real, "dram")
    assert padding > 0
    assert all(addr != 1 for _, addr in accesses)


# 1. Accesses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", SAMPLES)
def test_accesses_equal_a_plain_reading_of_every_trace(sample, ingested):
    """Rule: accesses holds exactly the non-empty, non -1, non-padding trace cells, per layer/buffer/level."""
    expected = reference(sample)
    con = connect(ingested(sample))
    try:
        run_id = only_run_id(con)
        rows = con.execute(
            "SELECT layer, CAST(buffer AS VARCHAR), CAST(level AS VARCHAR), cycle, addr "
            "FROM accesses WHERE run_id = ?",
            [run_id],
        ).fetchall()
        trace_files = dict(
            ((layer, buffer, level), n)
            for layer, buffer, level, n in con.execute(
                "SELECT layer, buffer, level, accesses FROM trace_files WHERE run_id = ?", [run_id]
            ).fetchall()
        )
        total_rows = con.execute("SELECT count(*) FROM accesses").fetchone()[0]
    finally:
        con.close()
    actual: dict[tuple[int, str, str], list[tuple[int, int]]] = collections.defaultdict(list)
    for layer, buffer, level, cycle, addr in rows:
        actual[(layer, buffer, level)].append((cycle, addr))
    assert total_rows == len(rows) == reference_total(sample)
    counts = {key: len(v) for key, v in actual.items() if v}
    assert counts == {key: len(v) for key, v in expected.items() if v}
    for key, accesses in expected.items():
        assert sorted(actual.get(key, [])) == accesses, f"{sample} layer/buffer/level {key} differs"
    assert trace_files == {key: len(v) for key, v in expected.items()}


def test_single_trailing_one_is_an_access_and_two_are_padding(gsdb, db, tmp_path):
    """Rule: a DRAM row ending in one 1.0 cell has an access to address 1; ending in two or more, padding."""
    run_dir = copy_run("v3_api_tiny_8x8_ws", tmp_path)
    trace = run_dir / "layer0" / "IFMAP_DRAM_TRACE.csv"
    with open(trace, newline="") as handle:
        rows = [row for row in csv.reader(handle)]
    single_cycle, padded_cycle = int(float(rows[1][0])), int(float(rows[2][0]))
    rows[1][-1] = "1.0"
    rows[2][-2:] = ["1.0", "1.0"]
    trace.write_text("".join(",".join(row) + "\n" for row in rows))
    expected, padding = reference_accesses(trace, "dram")
    assert padding == 2
    assert (single_cycle, 1) in expected and (padded_cycle, 1) not in expected
    gsdb("ingest", run_dir)
    con = connect(db)
    try:
        actual = con.execute(
            "SELECT cycle, addr FROM accesses WHERE layer = 0 AND buffer = 'ifmap' AND level = 'dram' ORDER BY ALL"
        ).fetchall()
        padding_cells = con.execute(
            "SELECT padding_cells FROM trace_files WHERE layer = 0 AND buffer = 'ifmap' AND level = 'dram'"
        ).fetchone()[0]
    finally:
        con.close()
    assert actual == expected
    assert padding_cells == padding


# 2. Audit ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", SAMPLES)
def test_audit_compares_trace_counts_with_the_detailed_access_report(sample, ingested):
    """Rule: access_audit has trace_count (trace), report_count (report), difference and matches per key."""
    expected_trace = {key: len(v) for key, v in reference(sample).items()}
    expected_report = report_counts(sample)
    con = connect(ingested(sample))
    try:
        rows = con.execute(
            "SELECT layer, buffer, level, trace_count, report_count, difference, matches FROM access_audit"
        ).fetchall()
    finally:
        con.close()
    audit = {(layer, buffer, level): rest for layer, buffer, level, *rest in rows}
    assert len(audit) == len(rows), "one audit row per (layer, buffer, level)"
    assert set(audit) == set(expected_trace) == set(expected_report)
    for key, (trace_count, report_count, difference, matches) in audit.items():
        assert report_count == expected_report[key], key
        assert trace_count == expected_trace[key], key
        assert difference == expected_trace[key] - expected_report[key], key
        assert matches == (expected_trace[key] == expected_report[key]), key
    mismatched = {key for key, (*_, matches) in audit.items() if not matches}
    expected_mismatched = {k for k in expected_trace if expected_trace[k] != expected_report[k]}
    assert mismatched == expected_mismatched

    dataflow = sample_config(sample)["architecture_presets"]["Dataflow"].strip().lower()
    if sample in SELF_CONSISTENT:
        assert not expected_mismatched, f"{sample}: SCALE-Sim's report disagrees with its traces"
        assert not mismatched
    elif dataflow == "os":
        # SCALE-Sim's known inconsistency: OS-dataflow OFMAP SRAM writes are counted differently.
        assert any(buffer == "ofmap" and level == "sram" for _, buffer, level in mismatched)
    if sample not in SELF_CONSISTENT:
        assert mismatched, f"{sample}: expected SCALE-Sim's report to disagree with its traces somewhere"


# 3. Run metadata -----------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", SAMPLES)
def test_run_metadata_comes_from_reports_and_config(sample, ingested):
    """Rule: format_version from the COMPUTE_REPORT header; array and dataflow from the .cfg; layer cycles from the report."""
    compute_path = SCALESIM_SAMPLES[sample] / "COMPUTE_REPORT.csv"
    with open(compute_path) as handle:
        header = handle.readline()
    expected_version = "v3" if "Total Cycles (incl. prefetch)" in header else "v2"
    assert expected_version == ("v2" if sample.startswith("v2_") else "v3")
    preset = sample_config(sample)["architecture_presets"]
    compute = read_report(compute_path)
    expected_cycles = {int(r["LayerID"]): int(float(r["Total Cycles"])) for r in compute}

    con = connect(ingested(sample))
    try:
        run = con.execute(
            "SELECT name, format_version, dataflow, array_rows, array_cols, layer_count, kind FROM runs"
        ).fetchall()
        cycles = dict(con.execute("SELECT layer, total_cycles FROM layers").fetchall())
    finally:
        con.close()
    assert run == [(
        SCALESIM_SAMPLES[sample].name,
        expected_version,
        preset["Dataflow"].strip().lower(),
        int(preset["ArrayHeight"]),
        int(preset["ArrayWidth"]),
        len(compute),
        "scalesim",
    )]
    assert cycles == expected_cycles


def test_depthwise_layer_becomes_one_layer_per_channel(ingested):
    """Rule: a topology row whose name contains DP becomes one layer per channel, shifting later layers."""
    sample = "v3_api_dw_test_8x8_ws"
    assert len(layer_ids(sample)) == 5
    con = connect(ingested(sample))
    try:
        names = con.execute("SELECT layer, name FROM layer_shapes ORDER BY layer").fetchall()
        layer_names = con.execute("SELECT layer, name FROM layers ORDER BY layer").fetchall()
    finally:
        con.close()
    expected = list(enumerate(["Conv_a", "DP_dwChannel_0", "DP_dwChannel_1", "DP_dwChannel_2", "FC"]))
    assert names == expected
    assert layer_names == expected


def test_gemm_layer_shapes_are_the_topology_rows(ingested):
    """Rule: a GEMM topology (Layer Name, M, N, K) gives gemm_m/n/k per layer and macs = M*N*K."""
    sample = "v3_api_gemm2_16x16_ws"
    topology = sample_topology(sample)
    assert [c.lower() for c in topology[0][:4]] == ["layer name", "m", "n", "k"]
    expected = [
        (layer, row[0], int(row[1]), int(row[2]), int(row[3]), int(row[1]) * int(row[2]) * int(row[3]))
        for layer, row in enumerate(topology[1:])
    ]
    con = connect(ingested(sample))
    try:
        shapes = con.execute(
            "SELECT layer, name, gemm_m, gemm_n, gemm_k, macs FROM layer_shapes ORDER BY layer"
        ).fetchall()
        macs = con.execute("SELECT layer, macs FROM layers ORDER BY layer").fetchall()
    finally:
        con.close()
    assert shapes == expected
    assert macs == [(layer, m) for layer, *_, m in expected]


def test_sparse_report_is_loaded(ingested):
    """Rule: a run with SPARSE_REPORT.csv has one sparse_report row per layer of that report."""
    sample = "v3_api_sparse2_16x16_ws"
    rows = read_report(SCALESIM_SAMPLES[sample] / "SPARSE_REPORT.csv")
    assert len(rows) == 2
    con = connect(ingested(sample))
    try:
        layers = con.execute("SELECT layer FROM sparse_report ORDER BY layer").fetchall()
    finally:
        con.close()
    assert layers == [(int(r["LayerID"]),) for r in rows]


# 4. Sweep ------------------------------------------------------------------------------------------
def sweep_state(db: Path) -> tuple[dict[str, int], dict[int, int], int]:
    con = connect(db)
    try:
        run_ids = dict(con.execute("SELECT source_path, run_id FROM runs").fetchall())
        counts = dict(con.execute("SELECT run_id, count(*) FROM accesses GROUP BY run_id").fetchall())
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()
    return run_ids, counts, runs


def test_sweep_ingests_every_run_under_a_folder(gsdb, db, ingested):
    """Rule: ingesting a folder above many runs ingests each of them, with the same accesses as alone."""
    gsdb("ingest", SCALESIM_DATA)
    run_ids, counts, runs = sweep_state(db)
    assert runs == len(SCALESIM_SAMPLES) == 10
    expected_paths = {str(SCALESIM_SAMPLES[s].resolve()): s for s in SAMPLES}
    assert set(run_ids) == set(expected_paths)  # 10 distinct source paths
    for path, run_id in run_ids.items():
        sample = expected_paths[path]
        assert counts.get(run_id, 0) == reference_total(sample), sample
        con = connect(ingested(sample))
        try:
            single = con.execute("SELECT count(*) FROM accesses").fetchone()[0]
        finally:
            con.close()
        assert counts.get(run_id, 0) == single, sample


# 5. Idempotent re-ingest ---------------------------------------------------------------------------
def run_snapshot(db: Path) -> tuple[int, dict[str, int], dict[str, list[tuple]]]:
    """(run_id, row count per run_id table, every fact row) of a warehouse holding one run."""
    con = connect(db)
    try:
        run_id = only_run_id(con)
        counts = row_counts(con, run_id)
        facts = {
            table: con.execute(f'SELECT * FROM "{table}" WHERE run_id = ? ORDER BY ALL', [run_id]).fetchall()
            for table in run_tables(con)
            if table not in ("runs", "ingests")
        }
    finally:
        con.close()
    return run_id, counts, facts


def test_reingesting_a_run_replaces_it(gsdb, db):
    """Rule: ingesting the same run again keeps its run_id, duplicates nothing, and marks the old ingest 'replaced'."""
    sample = "v3_api_sparse2_16x16_ws"
    gsdb("ingest", SCALESIM_SAMPLES[sample])
    run_id, counts, facts = run_snapshot(db)
    assert counts["accesses"] == reference_total(sample)
    assert counts["ingests"] == 1
    gsdb("ingest", SCALESIM_SAMPLES[sample])
    run_id_2, counts_2, facts_2 = run_snapshot(db)
    assert run_id_2 == run_id
    assert counts_2 == {**counts, "ingests": 2}
    assert facts_2 == facts
    con = connect(db)
    try:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        ingests = con.execute("SELECT ingest_id, status FROM ingests WHERE run_id = ? ORDER BY ingest_id", [run_id]).fetchall()
        current = con.execute("SELECT ingest_id FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    finally:
        con.close()
    assert [status for _, status in ingests] == ["replaced", "loaded"]
    assert current == ingests[1][0]


def test_reingesting_a_sweep_replaces_every_run(gsdb, db):
    """Rule: sweeping the same folder twice keeps 10 runs with the same run_ids and the same accesses."""
    gsdb("ingest", SCALESIM_DATA)
    run_ids, counts, runs = sweep_state(db)
    gsdb("ingest", SCALESIM_DATA)
    run_ids_2, counts_2, runs_2 = sweep_state(db)
    assert runs == runs_2 == 10
    assert run_ids_2 == run_ids
    assert counts_2 == counts
    con = connect(db)
    try:
        statuses = con.execute(
            "SELECT run_id, list(status ORDER BY ingest_id) FROM ingests GROUP BY run_id"
        ).fetchall()
    finally:
        con.close()
    assert dict(statuses) == {run_id: ["replaced", "loaded"] for run_id in run_ids.values()}


# 6. Provenance -------------------------------------------------------------------------------------
def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("sample", ["v3_api_sparse2_16x16_ws", "v3_api_user_small3_16x16_ws", "v2_api_tiny_8x8_ws"])
def test_ingest_records_every_file_with_size_and_sha256(sample, ingested):
    """Rule: the ingests row lists every report and trace read, with its size and SHA-256, and the DuckDB version."""
    run_dir = SCALESIM_SAMPLES[sample].resolve()
    expected = [run_dir / name for name in ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")]
    if (run_dir / "SPARSE_REPORT.csv").exists():
        expected.append(run_dir / "SPARSE_REPORT.csv")
    expected += [
        run_dir / f"layer{layer}" / trace_name(buffer, level)
        for layer in layer_ids(sample)
        for buffer in BUFFERS
        for level in LEVELS
    ]
    con = connect(ingested(sample))
    try:
        (files, duckdb_version, status), = con.execute("SELECT files, duckdb_version, status FROM ingests").fetchall()
    finally:
        con.close()
    recorded = {Path(f["path"]).resolve(): f for f in files}
    assert len(recorded) == len(files), "each file listed once"
    for path in expected:
        assert path in recorded, f"{path} missing from ingests.files"
        assert recorded[path]["size_bytes"] == os.path.getsize(path), path
        assert recorded[path]["sha256"] == sha256(path), path
    for path, entry in recorded.items():  # whatever else is listed (config, topology) is also exact
        assert entry["size_bytes"] == os.path.getsize(path) and entry["sha256"] == sha256(path), path
    assert duckdb_version == duckdb.__version__
    assert status == "loaded"


# 7. Stale layer folders ----------------------------------------------------------------------------
def test_stale_layer_folder_is_ignored(gsdb, db, tmp_path):
    """Rule: the layers are COMPUTE_REPORT's LayerIDs, never the layer<i> folders on disk."""
    sample = "v3_api_tiny_8x8_ws"
    run_dir = copy_run(sample, tmp_path)
    shutil.copytree(run_dir / "layer0", run_dir / "layer9")
    layers = layer_ids(sample)
    assert 9 not in layers
    gsdb("ingest", run_dir)
    con = connect(db)
    try:
        run_id = only_run_id(con)
        found = {
            table: con.execute(f'SELECT count(*) FROM "{table}" WHERE layer = 9').fetchone()[0]
            for table in layer_tables(con)
        }
        trace_layers = [layer for (layer,) in con.execute(
            "SELECT DISTINCT layer FROM trace_files ORDER BY layer").fetchall()]
        access_layers = [layer for (layer,) in con.execute(
            "SELECT DISTINCT layer FROM accesses ORDER BY layer").fetchall()]
        accesses, layer_count = con.execute(
            "SELECT (SELECT count(*) FROM accesses WHERE run_id = ?), layer_count FROM runs WHERE run_id = ?",
            [run_id, run_id],
        ).fetchone()
        (files,) = con.execute("SELECT files FROM ingests").fetchone()
    finally:
        con.close()
    assert "accesses" in found and "trace_files" in found
    assert found == {table: 0 for table in found}
    assert trace_layers == access_layers == sorted(layers)
    assert layer_count == len(layers)
    assert accesses == reference_total(sample)
    assert not [f["path"] for f in files if "layer9" in Path(f["path"]).parts]
