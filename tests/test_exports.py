"""`gsdb export gainsight|parquet|csv`: GainSight's per-layer files, and datasets for BI tools that
are complete, one file per run, carry their provenance, and appear all at once or not at all."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import AIE_DATA, SCALESIM_SAMPLES, cli_runner, run_id_of
from lifetime_reference import analyse, close, layer_stats
from trace_reference import run_accesses, total_cycles

import gainsight_db
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.staging import EXPORT_MARKER, staged_folder
from gainsight_db.exports.tables import REFERENCE_TABLES

GAINSIGHT_AGGREGATE = ("data_type", "lifetime_mean", "lifetime_median", "lifetime_p90", "lifetime_max",
                       "read_freq_pct", "write_freq_pct", "reads", "writes", "footprint_words")
SAMPLES = ("v3_api_tiny_8x8_ws", "v3_api_small3_16x16_os")
AIE_SAMPLE = "Xilinx_mlir-aie__section-4b__trace_4b.json"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    db = tmp_path_factory.mktemp("exports") / "gainsight.duckdb"
    gsdb = cli_runner(db)
    # and a small AI Engine trace, for its list and JSON columns
    gsdb("ingest", *(SCALESIM_SAMPLES[s] for s in SAMPLES), AIE_DATA / AIE_SAMPLE, "--warmup", "0", "--iterations", "1",
         "--quiet")
    gsdb.db = db
    return gsdb


@pytest.mark.parametrize("sample", SAMPLES)
def test_gainsight_export_has_one_folder_per_layer_with_reference_values(warehouse, tmp_path, sample):
    """Each layer<i>/ holds layer<i>_lifetime_data.csv (no header: data_type, addr, lifetime; one row
    per lifetime) and layer<i>_aggregate_data.csv (one row per buffer), equal to the reference."""
    run_dir = SCALESIM_SAMPLES[sample]
    warehouse("export", "gainsight", "--run", run_id_of(warehouse, run_dir), "--output", tmp_path / "processed")
    folder = tmp_path / "processed" / run_dir.name
    totals = total_cycles(run_dir)
    accesses = run_accesses(run_dir, totals)
    lifetimes, _, _ = analyse(accesses)
    stats = layer_stats(accesses, totals)
    assert sorted(p.name for p in folder.iterdir()) == sorted([EXPORT_MARKER] + [f"layer{i}" for i in totals])
    for layer in totals:
        with open(folder / f"layer{layer}" / f"layer{layer}_lifetime_data.csv", newline="") as handle:
            rows = list(csv.reader(handle))
        assert all(len(r) == 3 for r in rows)
        got = Counter((b, int(a), int(span)) for b, a, span in rows)  # int() fails on a header line
        assert got == Counter((b, a, span) for lay, b, a, _, _, span, _ in lifetimes if lay == layer)
        with open(folder / f"layer{layer}" / f"layer{layer}_aggregate_data.csv", newline="") as handle:
            aggregate = list(csv.DictReader(handle))
        assert tuple(aggregate[0])[: len(GAINSIGHT_AGGREGATE)] == GAINSIGHT_AGGREGATE
        assert [r["data_type"] for r in aggregate] == ["ifmap", "filter", "ofmap"]
        for row in aggregate:
            want = stats[(layer, row["data_type"])]
            for column in GAINSIGHT_AGGREGATE[1:]:
                value = float(row[column]) if row[column] != "" else None
                assert close(value, want[column]), (layer, row["data_type"], column)


def test_gainsight_export_refuses_to_overwrite_without_replace(warehouse, tmp_path):
    """An existing export is kept unless --replace; with it, the folder is rewritten whole."""
    run = run_id_of(warehouse, SCALESIM_SAMPLES[SAMPLES[0]])
    warehouse("export", "gainsight", "--run", run, "--output", tmp_path, "-q")
    folder = tmp_path / SCALESIM_SAMPLES[SAMPLES[0]].name
    (folder / "stray.txt").write_text("left by hand")
    refused = warehouse("export", "gainsight", "--run", run, "--output", tmp_path, check=False)
    assert refused.returncode == 1 and str(folder) in refused.stderr and refused.stderr.count("\n") == 1
    assert (folder / "stray.txt").exists()
    warehouse("export", "gainsight", "--run", run, "--output", tmp_path, "--replace", "-q")
    assert not (folder / "stray.txt").exists() and (folder / "layer0" / "layer0_lifetime_data.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # no staging folder left behind


def test_a_failed_export_leaves_the_old_folder_and_no_partial_one(tmp_path):
    """Rule: the output appears all at once; a failure midway keeps what was there and leaves no trace."""
    target = tmp_path / "out"
    target.mkdir()
    (target / EXPORT_MARKER).write_text("an earlier export")
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_folder(target, replace=True) as stage:
            (stage / "half.txt").write_text("half")
            raise RuntimeError("disk full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in target.iterdir()) == [EXPORT_MARKER, "old.txt"]
    with pytest.raises(GsdbError, match="not a folder"):
        with staged_folder(target / "old.txt"):
            pass


def test_export_to_a_path_that_is_a_file_fails_cleanly(warehouse, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = warehouse("export", "parquet", "--output", blocker, check=False)
    assert result.returncode == 1 and str(blocker) in result.stderr and blocker.read_text() == "x"


@pytest.fixture(scope="module")
def parquet_export(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("pq") / "dataset"
    warehouse("export", "parquet", "--output", out, "-q")
    return out


def _count(db: Path, table: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    finally:
        con.close()


def _tables_with_rows(db: Path) -> dict[tuple[str, int], int]:
    """(table, run_id) -> rows, straight from the warehouse, for every public object with a run_id."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [n for (n,) in con.execute(
            "SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'run_id' "
            "AND schema_name = 'main' AND table_name[1] != '_'").fetchall()]
        counts = {}
        for name in names:
            for run_id, n in con.execute(f'SELECT run_id, count(*) FROM "{name}" GROUP BY run_id').fetchall():
                counts[(name, run_id)] = n
        return counts
    finally:
        con.close()


def test_parquet_export_holds_every_table_of_every_run_one_file_per_run(warehouse, parquet_export):
    """One folder per table and one file per run in it; rows equal the warehouse's; raw accesses only
    on request."""
    expected = {k: n for k, n in _tables_with_rows(warehouse.db).items() if k[0] != "accesses"}
    found = {}
    for table_dir in parquet_export.iterdir():
        if table_dir.is_dir() and table_dir.name not in REFERENCE_TABLES:
            assert all(p.name.startswith("run-") and p.suffix == ".parquet" for p in table_dir.iterdir())
            table = ds.dataset(table_dir, format="parquet").to_table()
            for run_id, n in Counter(table.column("run_id").to_pylist()).items():
                found[(table_dir.name, run_id)] = n
    assert found == expected
    assert "accesses" not in {t for t, _ in found}
    assert {"layer_stats", "run_stats", "lifetimes", "lifetime_histogram", "runs", "memtech"} <= {t for t, _ in found}
    technologies = pq.read_table(parquet_export / "technologies" / "data.parquet")
    assert sorted(technologies.column("technology").to_pylist()) == [
        "hybrid_os_si_gain_cell", "os_os_gain_cell", "si_gain_cell", "sram"]
    figures = pq.read_table(parquet_export / "technology_figures" / "data.parquet")
    assert figures.num_rows == _count(warehouse.db, "technology_figures") and "source" in figures.column_names


def _as_exported(schema: pa.Schema) -> pa.Schema:
    """The warehouse's types as DuckDB maps them to Arrow, with an ENUM (an Arrow dictionary) as the
    strings of its labels: Parquet has no enumeration type. (DuckDB maps JSON to string already.)"""
    return pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in schema])


def _types(schema: pa.Schema) -> list[tuple[str, pa.DataType]]:
    """Names and types: not nullability, which DuckDB's Arrow results never declare but its Parquet
    files do for columns that cannot be NULL."""
    return [(f.name, f.type) for f in schema]


def _rows(table: pa.Table) -> list[str]:
    """The rows of a table, in an order independent of how the readers return them. Doubles to 12
    significant digits: a view's sum of doubles may differ in the last bit from one evaluation to
    the next (DuckDB adds in the order its threads finish)."""
    def rounded(value):
        return float(f"{value:.12g}") if isinstance(value, float) else value

    return sorted(repr(tuple(rounded(v) for v in row.values())) for row in table.to_pylist())


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    result = relation.arrow()
    return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


READERS = {
    "pandas.read_parquet": lambda folder: pd.read_parquet(folder),
    "pyarrow.dataset": lambda folder: ds.dataset(folder, format="parquet").to_table(),
    "pyarrow.parquet.read_table": lambda folder: pq.read_table(folder),
    "duckdb.read_parquet": lambda folder: _arrow(duckdb.sql(
        f"SELECT * FROM read_parquet('{folder.as_posix()}/**/*.parquet', hive_partitioning=true)")),
    "polars.read_parquet": lambda folder: pl.read_parquet(folder),
    "polars.scan_parquet": lambda folder: pl.scan_parquet(f"{folder.as_posix()}/**/*.parquet").collect(),
}


@pytest.fixture(scope="module")
def warehouse_tables(warehouse, parquet_export) -> dict[str, tuple[pa.Table, list[str]]]:
    """Every exported table as the warehouse gives it: its rows in Arrow (types as exported), and
    its rows in a comparable order."""
    con = duckdb.connect(str(warehouse.db), read_only=True)
    try:
        tables = {folder.name: _arrow(con.sql(f'SELECT * FROM "{folder.name}"'))
                  for folder in parquet_export.iterdir() if folder.is_dir() and folder.name not in REFERENCE_TABLES}
    finally:
        con.close()
    return {name: (t.cast(_as_exported(t.schema)), _rows(t)) for name, t in tables.items()}


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_opens_each_table_with_the_warehouses_rows_and_types(parquet_export, warehouse_tables, reader):
    """Issue 14: `pd.read_parquet(DIR/"layer_stats")` failed (the run_id column against a Hive
    run_id=N folder). Each reader's default call gives every exported table with exactly the
    warehouse's rows and column types: Arrow types as DuckDB maps the warehouse's, run_id INTEGER
    (int32) included; for pandas the dtypes pyarrow gives those types, for polars its own types for
    them (polars has only large strings and lists)."""
    # ENUM, JSON, list of struct, list of BIGINT
    assert {"layer_stats", "lifetimes", "runs", "ingests", "aie_events", "aie_cores"} <= warehouse_tables.keys()
    for name, (want, want_rows) in warehouse_tables.items():
        got = READERS[reader](parquet_export / name)
        if isinstance(got, pd.DataFrame):
            assert got.dtypes.to_dict() == want.to_pandas().dtypes.to_dict(), name
            got = pa.Table.from_pandas(got, schema=want.schema, preserve_index=False)
        elif isinstance(got, pl.DataFrame):
            assert got.schema == pl.from_arrow(want).schema, name
            got = got.to_arrow().cast(want.schema)
        assert _types(got.schema) == _types(want.schema), name
        assert got.num_rows == want.num_rows and _rows(got) == want_rows, name


def test_parquet_files_are_zstd_and_carry_provenance(warehouse, parquet_export):
    """Every file is zstd-compressed and names its table, run, and the gainsight-db version."""
    files = sorted(parquet_export.glob("*/run-*.parquet"))
    reference = sorted(parquet_export.glob("*/data.parquet"))
    assert files
    for path in files:
        meta = pq.read_metadata(path)
        kv = {k.decode(): v.decode() for k, v in meta.metadata.items()}
        assert kv["gainsight_db.table"] == path.parent.name
        assert kv["gainsight_db.run_id"] == path.stem.removeprefix("run-")
        assert kv["gainsight_db.version"] == gainsight_db.__version__
        assert kv["gainsight_db.duckdb_version"] == duckdb.__version__
        for g in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                assert meta.row_group(g).column(c).compression == "ZSTD"
    manifest = json.loads((parquet_export / "_manifest.json").read_text())
    assert sorted(f["path"] for f in manifest["files"]) == sorted(
        p.relative_to(parquet_export).as_posix() for p in files + reference)


def test_parquet_lifetimes_equal_the_view(warehouse, parquet_export):
    """The exported lifetimes are the view's rows, value for value."""
    con = duckdb.connect(str(warehouse.db), read_only=True)
    try:
        view = sorted(con.execute(
            "SELECT run_id, layer, buffer::VARCHAR, addr, write_cycle, last_read_cycle, lifetime_cycles, reads "
            "FROM lifetimes").fetchall())
    finally:
        con.close()
    table = ds.dataset(parquet_export / "lifetimes", format="parquet").to_table()
    columns = ("run_id", "layer", "buffer", "addr", "write_cycle", "last_read_cycle", "lifetime_cycles", "reads")
    exported = sorted(zip(*(table.column(c).to_pylist() for c in columns)))
    assert exported == view


def test_csv_export_with_accesses_for_one_run(warehouse, tmp_path):
    """--run selects runs, --accesses adds the raw accesses; CSV files have a header and the same rows."""
    run_dir = SCALESIM_SAMPLES[SAMPLES[0]]
    run_id = int(run_id_of(warehouse, run_dir))
    warehouse("export", "csv", "--output", tmp_path / "csv", "--run", str(run_id), "--accesses", "-q")
    expected = {k: n for k, n in _tables_with_rows(warehouse.db).items() if k[1] == run_id}
    found = {}
    assert all((tmp_path / "csv" / table / "data.csv").exists() for table in REFERENCE_TABLES)
    for path in (tmp_path / "csv").glob("*/run-*.csv"):
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {int(r["run_id"]) for r in rows} == {run_id}
        found[(path.parent.name, run_id)] = len(rows)
    assert found == expected and ("accesses", run_id) in found
