"""The read commands' output: every format streams the same rows (checked against plain-Python
references), table and markdown show readable numbers and, on a terminal, the first rows and the
count, --columns chooses columns, parquet keeps the warehouse's types, and a file is never left
half-written."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import gainsight_db as gsdb
from conftest import EXAMPLE_RUN, cli_runner, warehouse_fingerprint
from lifetime_reference import analyse
from trace_reference import run_accesses

RUN_DIR = EXAMPLE_RUN / "tiny_8x8_ws"
LIFETIME_COLUMNS = ["layer", "buffer", "addr", "write_cycle", "last_read_cycle", "lifetime_cycles", "reads"]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """A warehouse holding the example run (3 layers, 3,210 lifetimes), shared by the module's tests
    (which only read it)."""
    path = tmp_path_factory.mktemp("output") / "wh.duckdb"
    cli_runner(path)("ingest", EXAMPLE_RUN, "-q")
    return path


@pytest.fixture(scope="module")
def run(db):
    return cli_runner(db)


@pytest.fixture(scope="module")
def reference_lifetimes() -> list[tuple]:
    """The example run's lifetimes, computed in plain Python from its trace files:
    (layer, buffer, addr, write_cycle, last_read_cycle, lifetime_cycles, reads), sorted."""
    lifetimes, _, _ = analyse(run_accesses(RUN_DIR, range(3)))
    return lifetimes


def _plain(row: dict) -> tuple:
    return tuple(int(row[c]) if c != "buffer" else row[c] for c in LIFETIME_COLUMNS)


def on_terminal(db: Path, *args: str) -> str:
    """What `gsdb ARGS` prints when its standard output is a terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gsdb"), *args], stdout=follower,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=dict(os.environ, GSDB_DB=str(db)))
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the terminal is gone with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait() == 0, proc.stderr.read().decode()
    return b"".join(chunks).decode().replace("\r\n", "\n")


# Every format, the same rows ------------------------------------------------------------------------
def test_every_format_writes_the_reference_lifetimes(run, tmp_path, reference_lifetimes):
    """Rule: csv, json, ndjson, parquet and (piped) table and markdown carry the same rows, in the
    report's order, equal to lifetimes computed in plain Python from the traces."""
    args = ("report", "lifetimes", "--columns", ",".join(LIFETIME_COLUMNS))
    as_csv = [_plain(r) for r in csv.DictReader(io.StringIO(run(*args, "-f", "csv").stdout))]
    assert sorted(as_csv) == reference_lifetimes and len(as_csv) == 3210
    assert [_plain(r) for r in json.loads(run(*args, "-f", "json").stdout)] == as_csv
    assert [_plain(json.loads(line)) for line in run(*args, "-f", "ndjson").stdout.splitlines()] == as_csv
    run(*args, "-f", "parquet", "-o", tmp_path / "lt.parquet")
    assert [_plain(r) for r in pq.read_table(tmp_path / "lt.parquet").to_pylist()] == as_csv

    table = run(*args).stdout.splitlines()
    assert table[0].split() == LIFETIME_COLUMNS and table[-1] == "(3,210 rows)"
    assert [tuple(int(v) if v[0].isdigit() or v[0] == "-" else v for v in line.replace(",", "").split())
            for line in table[2:-1]] == as_csv
    markdown = run(*args, "-f", "markdown").stdout.splitlines()
    assert len(markdown) == 2 + 3210
    assert [tuple(int(v) if v[0].isdigit() or v[0] == "-" else v
                  for v in (cell.strip().replace(",", "") for cell in line.strip("|").split("|")))
            for line in markdown[2:]] == as_csv


def test_a_result_larger_than_a_batch_is_written_whole(db, tmp_path):
    """Rule: the writers go batch by batch (131,072 rows each); 140,001 rows come out whole, in
    order, in every format, as Python computes them."""
    n = 140_001
    sql = "SELECT range AS i, range / 8 AS eighth, 'r' || range AS s FROM range(140001) ORDER BY range DESC"
    expected = [(i, i / 8, f"r{i}") for i in reversed(range(n))]
    with gsdb.connect(db, read_only=True) as wh:
        assert wh.write(wh.sql(sql), tmp_path / "big.csv") == n
        assert wh.write(wh.sql(sql), tmp_path / "big.ndjson") == n
        assert wh.write(wh.sql(sql), tmp_path / "big.json") == n
        assert wh.write(wh.sql(sql), tmp_path / "big.parquet") == n
    with open(tmp_path / "big.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["i", "eighth", "s"]
    assert [(int(i), float(e), s) for i, e, s in rows[1:]] == expected
    assert [tuple(r.values()) for r in json.loads((tmp_path / "big.json").read_text())] == expected
    with open(tmp_path / "big.ndjson") as handle:
        assert [tuple(json.loads(line).values()) for line in handle] == expected
    assert [tuple(r.values()) for r in pq.read_table(tmp_path / "big.parquet").to_pylist()] == expected


def test_csv_and_json_keep_every_digit_and_quote_what_needs_it(run):
    """Rule: csv and json are for programs: no rounding, SI units, text quoted as Python's csv module
    quotes it."""
    sql = ("SELECT 2534.4901582734283::DOUBLE AS x, 1.8124225982274144e-05::DOUBLE AS energy_j, 3.0::DOUBLE AS w, "
           "1234567 AS n, 'a,\"b\"' AS s, true AS t, NULL::INTEGER AS z, [1, 2] AS l")
    assert run("query", sql, "-f", "csv").stdout == (
        'x,energy_j,w,n,s,t,z,l\n'
        '2534.4901582734283,1.8124225982274144e-05,3.0,1234567,"a,""b""",True,,"[1,2]"\n')
    assert json.loads(run("query", sql, "-f", "json").stdout) == [
        {"x": 2534.4901582734283, "energy_j": 1.8124225982274144e-05, "w": 3.0, "n": 1234567, "s": 'a,"b"',
         "t": True, "z": None, "l": [1, 2]}]


# Readable numbers --------------------------------------------------------------------------------------
READABLE_SQL = """SELECT * FROM (VALUES
    (2534.4901582734283::DOUBLE, 270.3000000000003::DOUBLE, 1234567::BIGINT, 5e-12::DOUBLE, 2.5e6::DOUBLE, 3.2e-7::DOUBLE),
    (-12345.678::DOUBLE, 0.000123456::DOUBLE, -42::BIGINT, 2e-9::DOUBLE, 1.5e6::DOUBLE, NULL::DOUBLE),
    (0.5::DOUBLE, 0::DOUBLE, 0::BIGINT, 3e-9::DOUBLE, 4e5::DOUBLE, 1.25e-6::DOUBLE)
) AS t(x, y, n, energy_j, area_um2, runtime_s)"""


def test_table_and_markdown_round_group_and_scale_as_documented(run):
    """Rule (docs/definitions.md, Output): 4 significant digits but every integer digit, thousands
    grouped, integers whole, scientific below 0.001; a _j, _s or _um2 column in the largest unit
    in which its median magnitude is >= 1 (energies 5e-12, 2e-9, 3e-9 J: median 2e-9 -> nJ; areas
    median 1.5e6 um^2 -> mm^2; times median 1.25e-6 s of the two non-empty ones, the lower -> ns).
    Expected strings worked out by hand."""
    assert run("query", READABLE_SQL, "-f", "markdown").stdout.splitlines() == [
        "|       x |         y |         n | energy_j (nJ) | area_um2 (mm^2) | runtime_s (ns) |",
        "|--------:|----------:|----------:|--------------:|----------------:|---------------:|",
        "|   2,534 |     270.3 | 1,234,567 |         0.005 |             2.5 |            320 |",
        "| -12,346 | 1.235e-04 |       -42 |             2 |             1.5 |                |",
        "|     0.5 |         0 |         0 |             3 |             0.4 |          1,250 |",
    ]
    # two significant digits: 2534.49 -> 2,534 (integer digits stay), 270.3 -> 270, 0.5 stays
    table = run("query", READABLE_SQL, "--precision", "2", "--columns", "x,y,n").stdout.splitlines()
    assert table == [
        "      x        y          n",
        "-------  -------  ---------",
        "  2,534      270  1,234,567",
        "-12,346  1.2e-04        -42",
        "    0.5        0          0",
        "(3 rows)",
    ]


def test_precision_outside_its_range_is_a_usage_error(run):
    result = run("query", "SELECT 1.5 AS x", "--precision", "0", check=False)
    assert result.returncode == 2 and "--precision" in result.stderr


# On a terminal ------------------------------------------------------------------------------------------
def test_a_terminal_gets_the_first_rows_and_the_count_unless_all(db, run):
    """Rule: table and markdown printed on a terminal show the first 40 rows and how many there are;
    --all shows every row; a pipe or a file always gets every row."""
    args = ("report", "lifetimes", "--columns", "layer,buffer,addr,write_cycle")
    every = run(*args, "-f", "csv").stdout.splitlines()[1:]
    shown = on_terminal(db, *args).splitlines()
    assert shown[-1] == "(3,210 rows, 40 shown)"
    assert [",".join(line.replace(",", "").split()) for line in shown[2:-1]] == every[:40]

    whole = on_terminal(db, *args, "--all").splitlines()
    assert whole[-1] == "(3,210 rows)" and len(whole) == 2 + 3210 + 1

    markdown = on_terminal(db, *args, "-f", "markdown").splitlines()
    assert markdown[-1] == "(3,210 rows, 40 shown)" and markdown[-2] == "" and len(markdown) == 2 + 40 + 2
    assert len(run(*args, "-f", "markdown").stdout.splitlines()) == 2 + 3210  # piped: everything

    small = on_terminal(db, "query", "SELECT 1 AS one").splitlines()
    assert small == ["one", "---", "  1", "(1 row)"]


# --columns ----------------------------------------------------------------------------------------------
def test_columns_choose_and_order_and_an_unknown_one_is_one_line(db, run, tmp_path):
    rows = json.loads(run("runs", "--columns", "name,run_id", "-f", "json").stdout)
    assert rows == [{"name": "tiny_8x8_ws", "run_id": 1}]
    run("schema", "runs", "--columns", "type,column", "-f", "parquet", "-o", tmp_path / "s.parquet")
    assert pq.read_table(tmp_path / "s.parquet").column_names == ["type", "column"]

    before = warehouse_fingerprint(db)
    for args in (("report", "layers", "--columns", "layer,no_such"),
                 ("report", "memtech", "--run", "1", "--clock-hz", "2e9", "--columns", "technology,no_such")):
        result = run(*args, check=False)
        assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("gsdb: error: column 'no_such' is not in the result (it has: run, ")
    assert warehouse_fingerprint(db) == before  # the memtech settings were not stored


# parquet ----------------------------------------------------------------------------------------------
def test_parquet_keeps_the_warehouse_types_and_needs_a_file(run, tmp_path):
    """Rule: parquet holds the DuckDB column types (as `gsdb schema lifetimes` lists them); it is
    written to a file only."""
    run("query", "SELECT * FROM lifetimes", "-f", "parquet", "-o", tmp_path / "lt.parquet")
    schema = pq.read_schema(tmp_path / "lt.parquet")
    arrow_of = {"INTEGER": pa.int32(), "SMALLINT": pa.int16(), "BIGINT": pa.int64()}
    declared = {r["column"]: r["type"] for r in json.loads(run("schema", "lifetimes", "-f", "json").stdout)}
    assert schema.names == list(declared)
    for name, duck_type in declared.items():
        if duck_type.startswith("ENUM"):
            assert pa.types.is_dictionary(schema.field(name).type)
        else:
            assert schema.field(name).type == arrow_of[duck_type], name
    refused = run("query", "SELECT 1", "-f", "parquet", check=False)
    assert refused.returncode == 1 and refused.stderr == "gsdb: error: parquet is written to a file only: give one (--output FILE)\n"


# Files --------------------------------------------------------------------------------------------------
def test_a_failed_write_leaves_the_earlier_file_and_no_partial_file(run, tmp_path):
    """Rule: a file is written beside its target and moved into place only when complete: a query that
    fails while it is being written leaves the earlier file as it was and nothing else."""
    target = tmp_path / "out.csv"
    target.write_text("earlier\n")
    failing = "SELECT CASE WHEN range < 250000 THEN range ELSE error('boom at ' || range) END AS x FROM range(300000)"
    result = run("query", failing, "-f", "csv", "-o", target, check=False)
    assert result.returncode == 1 and "boom at" in result.stderr
    assert target.read_text() == "earlier\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    run("query", "SELECT 7 AS x", "-f", "csv", "-o", target)
    assert target.read_text() == "x\n7\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_the_api_writes_in_the_format_its_suffix_names(db, tmp_path):
    with gsdb.connect(db, read_only=True) as wh:
        relation = wh.report_relation("run", buffer="ofmap")
        assert wh.write(relation, tmp_path / "run.md", columns=["buffer", "lifetimes"]) == 1
        assert (tmp_path / "run.md").read_text().splitlines()[2] == "| ofmap  |     1,322 |"
        assert wh.write(relation, tmp_path / "run.txt", format="ndjson") == 1
        assert json.loads((tmp_path / "run.txt").read_text())["lifetimes"] == 1322
        with pytest.raises(gsdb.GsdbError, match="give the format"):
            wh.write(relation, tmp_path / "run.xlsx")
        with pytest.raises(gsdb.GsdbError, match="refusing to write there"):
            wh.write(relation, db, format="csv")


def test_read_commands_take_the_engine_settings(run):
    """A large output is bounded by DuckDB's memory limit, which every read command sets as ingest does."""
    sql = "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t"
    assert json.loads(run("query", sql, "--memory-limit", "300MB", "--threads", "1", "-f", "json").stdout) == [
        {"m": "286.1 MiB", "t": 1}]
    assert "--memory-limit" in run("report", "lifetimes", "--help").stdout
