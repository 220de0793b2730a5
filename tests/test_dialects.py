"""SQL in other engines' dialects: `gsdb query --dialect` translates to DuckDB first, and
`gsdb sql VIEW --dialect` prints a view for another engine."""

from __future__ import annotations

import json

import duckdb
import pytest
import sqlglot

from conftest import EXAMPLE_RUN, cli_runner

from gainsight_db.warehouse.schema import load_objects


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    db = tmp_path_factory.mktemp("dialects") / "gainsight.duckdb"
    gsdb = cli_runner(db)
    gsdb("ingest", EXAMPLE_RUN, "-q")
    gsdb.db = db
    return gsdb


def test_postgres_query_gives_the_same_rows_as_its_duckdb_form(example):
    """A query using Postgres-only syntax (::text casts, string_agg, ILIKE) runs after translation."""
    pg = ("SELECT layer, string_agg(buffer::text, '+' ORDER BY buffer::text) AS buffers, sum(reads)::bigint AS reads "
          "FROM layer_stats WHERE buffer::text ILIKE 'F%' OR buffer::text ILIKE 'i%' GROUP BY layer ORDER BY layer")
    native = ("SELECT layer, string_agg(CAST(buffer AS VARCHAR), '+' ORDER BY CAST(buffer AS VARCHAR)) AS buffers, "
              "CAST(sum(reads) AS BIGINT) AS reads FROM layer_stats WHERE lower(CAST(buffer AS VARCHAR)) IN "
              "('filter', 'ifmap') GROUP BY layer ORDER BY layer")
    translated = json.loads(example("query", "--dialect", "postgres", pg, "-f", "json").stdout)
    assert translated == json.loads(example("query", native, "-f", "json").stdout)
    assert [r["buffers"] for r in translated] == ["filter+ifmap"] * 3


def test_query_in_an_unknown_dialect_or_bad_sql_fails_in_one_line(example):
    for args, text in ((("--dialect", "klingon", "SELECT 1"), "klingon"),
                       (("--dialect", "postgres", "SELEC 1 FROM"), "cannot parse the SQL as postgres")):
        result = example("query", *args, check=False)
        assert result.returncode == 1 and text in result.stderr and result.stderr.count("\n") == 1


def test_sql_prints_the_shipped_definition_by_default(example):
    shipped = next(o for o in load_objects() if o.name == "layer_stats").sql
    assert example("sql", "layer_stats").stdout.strip() == shipped.strip()


@pytest.mark.parametrize("view", ["layer_stats", "run_stats", "lifetime_histogram", "dead_writes", "access_audit"])
def test_spark_definition_computes_the_same_rows(example, view):
    """Round trip: the Spark text, read back as Spark and run on DuckDB, gives the view's rows."""
    spark = example("sql", view, "--dialect", "spark").stdout
    assert "::" not in spark and "CREATE" in spark
    select = sqlglot.parse_one(spark, read="spark").expression.sql(dialect="duckdb")
    con = duckdb.connect(str(example.db), read_only=True)
    try:
        back = sorted(map(repr, con.execute(select).fetchall()))
        original = sorted(map(repr, con.execute(f"SELECT * FROM {view}").fetchall()))
    finally:
        con.close()
    assert back == original and original


def test_spark_definition_warns_about_asof_join(example):
    """Spark has no ASOF JOIN: the translation says so on stderr rather than failing silently."""
    result = example("sql", "aie_kernels", "--dialect", "spark")
    assert "ASOF LEFT JOIN" in result.stdout and "ASOF JOIN" in result.stderr


def test_sql_of_an_unknown_object_lists_the_known_ones(example):
    result = example("sql", "no_such_view", check=False)
    assert result.returncode == 1 and "layer_stats" in result.stderr
