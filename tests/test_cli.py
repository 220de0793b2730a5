"""The gsdb command line: shared output options, run lookup, catalog commands, query errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import EXAMPLE_RUN, SCALESIM_SAMPLES
from trace_reference import run_access_counts

COUNT_SQL = "SELECT layer, buffer, level, count(*) AS n FROM accesses GROUP BY ALL ORDER BY ALL"


@pytest.fixture
def example(gsdb):
    gsdb("ingest", EXAMPLE_RUN, "--quiet")
    return dict(run_access_counts(EXAMPLE_RUN / "tiny_8x8_ws"))


def test_json_ndjson_csv_markdown_and_table_carry_the_same_rows(gsdb, example):
    """Rule: every format renders the same result; values match counts taken from the CSVs."""
    expected = {k: v for k, v in example.items()}
    as_json = json.loads(gsdb("query", COUNT_SQL, "--format", "json").stdout)
    assert {(r["layer"], r["buffer"], r["level"]): r["n"] for r in as_json} == expected

    ndjson = [json.loads(line) for line in gsdb("query", COUNT_SQL, "-f", "ndjson").stdout.splitlines()]
    assert ndjson == as_json

    rows = list(csv.DictReader(io.StringIO(gsdb("query", COUNT_SQL, "-f", "csv").stdout)))
    assert {(int(r["layer"]), r["buffer"], r["level"]): int(r["n"]) for r in rows} == expected

    markdown = gsdb("query", COUNT_SQL, "-f", "markdown").stdout.splitlines()
    assert markdown[0].replace(" ", "") == "|layer|buffer|level|n|"
    assert set(markdown[1]) <= set("|-:")
    assert len(markdown) == 2 + len(expected)

    table = gsdb("query", COUNT_SQL).stdout.splitlines()
    assert table[0].split() == ["layer", "buffer", "level", "n"]
    assert table[-1] == f"({len(expected)} rows)"


def test_output_option_writes_the_file_instead_of_stdout(gsdb, example, tmp_path):
    target = tmp_path / "out" / "counts.json"
    result = gsdb("query", COUNT_SQL, "-f", "json", "--output", target)
    assert result.stdout == ""
    assert len(json.loads(target.read_text())) == len(example)


def test_query_error_prints_duckdb_message_without_traceback(gsdb, example):
    result = gsdb("query", "SELECT no_such_column FROM accesses", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("gsdb: error: Binder Error")
    assert "Traceback" not in result.stderr


def test_query_is_read_only_unless_asked(gsdb, example):
    refused = gsdb("query", "DELETE FROM trace_files", check=False)
    assert refused.returncode == 1 and "read-only" in refused.stderr.lower()
    gsdb("query", "CREATE TABLE my_notes AS SELECT 1 AS x", "--write")
    assert json.loads(gsdb("query", "SELECT x FROM my_notes", "-f", "json").stdout) == [{"x": 1}]


def test_runs_tables_and_schema(gsdb, example):
    runs = json.loads(gsdb("runs", "-f", "json").stdout)
    assert [(r["run_id"], r["name"], r["format_version"], r["array"]) for r in runs] == [(1, "tiny_8x8_ws", "v3", "8x8")]

    tables = {r["name"]: r for r in json.loads(gsdb("tables", "-f", "json").stdout)}
    assert tables["accesses"]["rows"] == sum(example.values())
    assert tables["layers"]["type"] == "view" and tables["layers"]["rows"] == 3
    assert all(r["description"] for r in tables.values())
    assert not any(name.startswith("_") for name in tables)

    columns = json.loads(gsdb("schema", "accesses", "-f", "json").stdout)
    assert [c["column"] for c in columns] == ["run_id", "layer", "buffer", "level", "cycle", "addr", "trace_id"]
    assert all(c["description"] for c in columns)
    missing = gsdb("schema", "no_such_table", check=False)
    assert missing.returncode == 1 and "no such table or view" in missing.stderr


def test_run_lookup_by_name_id_and_ambiguity(gsdb):
    """Rule: --run takes a name or an id; a name two runs share must be given as an id."""
    gsdb("ingest", SCALESIM_SAMPLES["v2_api_tiny_8x8_ws"], SCALESIM_SAMPLES["v3_api_tiny_8x8_ws"], "-q")
    ambiguous = gsdb("audit", "--run", "tiny_8x8_ws", check=False)
    assert ambiguous.returncode == 1
    assert "several runs have this name" in ambiguous.stderr and len(ambiguous.stderr.strip().splitlines()) == 1
    by_id = json.loads(gsdb("audit", "--run", "2", "--all", "-f", "json").stdout)
    assert {r["run_id"] for r in by_id} == {2} and len(by_id) == 3 * 6
    unknown = gsdb("audit", "--run", "nope", check=False)
    assert unknown.returncode == 1 and "no such run" in unknown.stderr


def test_audit_lists_only_differences_by_default(gsdb):
    gsdb("ingest", SCALESIM_SAMPLES["v3_api_tiny_8x16_os"], "-q")
    differences = json.loads(gsdb("audit", "-f", "json").stdout)
    everything = json.loads(gsdb("audit", "--all", "-f", "json").stdout)
    assert differences and all(not r["matches"] for r in differences)
    assert len(everything) == 18 and len(differences) < len(everything)


def test_db_option_and_environment_variable(gsdb, tmp_path, db):
    other = tmp_path / "elsewhere.duckdb"
    gsdb("ingest", EXAMPLE_RUN, "--db", other, "-q")
    assert other.exists() and not db.exists()


def test_version(gsdb):
    import duckdb

    out = gsdb("--version").stdout
    assert "gainsight-db" in out and duckdb.__version__ in out


def test_usage_errors_print_usage_not_a_traceback(gsdb):
    """An unknown option or command is a usage error: exit code 2, click's message, no traceback."""
    for args, text in ((("report", "layers", "--no-such-option"), "No such option"),
                       (("report", "no-such-report"), "No such command")):
        result = gsdb(*args, check=False)
        assert result.returncode == 2 and text in result.stderr and "Traceback" not in result.stderr


def test_duckdb_progress_bar_is_off_so_it_cannot_corrupt_piped_output(gsdb, example):
    """DuckDB draws its progress bar on stdout during long queries; the warehouse switches it off."""
    rows = json.loads(gsdb("query", "SELECT current_setting('enable_progress_bar') AS on", "-f", "json").stdout)
    assert rows == [{"on": False}]


def test_memory_limit_defaults_to_the_warehouse_default_and_can_be_set(tmp_path):
    """The warehouse caps DuckDB's memory (DuckDB's own default is 80% of the machine) unless
    --memory-limit says otherwise; --threads and --temp-dir reach DuckDB too."""
    from gainsight_db.warehouse.connection import DEFAULT_MEMORY_LIMIT, EngineSettings, open_warehouse

    def settings(**kwargs):
        con = open_warehouse(tmp_path / "w.duckdb", settings=EngineSettings(**kwargs))
        try:
            return con.execute("SELECT current_setting('memory_limit'), current_setting('threads'), "
                               "current_setting('temp_directory')").fetchone()
        finally:
            con.close()

    limit, _, temp = settings()
    assert float(limit.split()[0]) * {"MiB": 2**20, "GiB": 2**30}[limit.split()[1]] <= float(DEFAULT_MEMORY_LIMIT[:-2]) * 1e9
    assert temp == str(tmp_path / "w.duckdb.tmp")
    limit, threads, temp = settings(memory_limit="300MB", threads=1, temp_dir=tmp_path / "spill")
    assert limit.endswith("MiB") and 280 <= float(limit.split()[0]) <= 300
    assert threads == 1 and temp == str(tmp_path / "spill")
