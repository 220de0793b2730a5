"""The schema: one object per .sql file, applied in dependency order, documented, versioned."""

from __future__ import annotations

import duckdb
import pytest

from gainsight_db.warehouse import schema
from gainsight_db.common.errors import GsdbError
from gainsight_db.warehouse.connection import open_warehouse

from conftest import (EXAMPLE_RUN, SCALESIM_SAMPLES, reshape_as_version_14, reshape_as_version_15,
                      reshape_generations_as_version_16, warehouse_fingerprint)


def test_every_object_comes_after_what_it_reads():
    """Rule: a view is created only after every table or view its SQL reads."""
    order = [obj.name for obj in schema.load_objects()]
    position = {name: i for i, name in enumerate(order)}
    for obj in schema.load_objects():
        for dependency in obj.depends_on:
            assert position[dependency] < position[obj.name], (obj.name, dependency)


def test_the_shipped_index_is_that_of_the_sql_files():
    """Rule: sql/objects.index (what opening a new warehouse reads instead of parsing every file) is
    current: the objects, kinds, dependencies and order sqlglot finds in the files. If this fails,
    run `python -m gainsight_db.warehouse.schema`."""
    files = schema._sql_files()
    indexed = schema._from_index(files)
    assert indexed is not None, "sql/objects.index is missing or out of date"
    assert indexed == schema.analyse_objects(files)


def test_an_out_of_date_index_is_not_used():
    """Rule: the index is used only for the files it was made from; any other text is parsed."""
    files = schema._sql_files()
    path = "scalesim/accesses.sql"
    assert schema._from_index({**files, path: files[path] + "\n"}) is None


def test_dependencies_are_read_from_the_sql_not_the_file_names():
    """Rule: dependencies come from the tables a statement reads (CTE names excluded)."""
    objects = {obj.name: obj for obj in schema.load_objects()}
    assert objects["layers"].depends_on == {"compute_report", "layer_shapes"}
    assert objects["access_audit"].depends_on == {"trace_files", "access_report"}
    assert objects["accesses"].depends_on == {"_accesses", "trace_files"}  # "traces" is its CTE
    assert objects["_accesses"].depends_on == frozenset()
    # access_audit.sql sorts before access_report.sql, so file-name order would fail to apply.
    assert "access_audit.sql" < "access_report.sql"


def test_parse_object_finds_reads_through_ctes():
    """Rule: a CTE name is not a dependency; the tables inside it are."""
    obj = schema._parse_object(
        "x/v.sql",
        "-- A view.\n-- @column a The a.\nCREATE VIEW v AS WITH t AS (SELECT a FROM base) SELECT a FROM t JOIN other USING (a);",
    )
    assert obj.kind == "view" and obj.name == "v"
    assert obj.depends_on == {"base", "other"}
    assert obj.doc == "A view." and obj.column_docs == {"a": "The a."}


def test_a_file_with_two_statements_is_refused():
    with pytest.raises(GsdbError, match="exactly one CREATE"):
        schema._parse_object("x/two.sql", "CREATE TABLE a (x INT); CREATE TABLE b (y INT);")


def test_every_public_column_is_documented(db):
    """Rule: every public table and view, and each of its columns, carries a description."""
    con = open_warehouse(db)
    try:
        undocumented = con.execute(
            """
            SELECT table_name, column_name FROM duckdb_columns()
            WHERE schema_name = 'main' AND NOT internal AND table_name NOT LIKE '\\_%' ESCAPE '\\'
              AND (comment IS NULL OR comment = '')
            """
        ).fetchall()
        objects = con.execute(
            """
            SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'
            UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal
            """
        ).fetchall()
    finally:
        con.close()
    assert undocumented == []
    assert [name for name, comment in objects if not name.startswith("_") and not comment] == []
    # and every @column line names a real column
    for obj in schema.load_objects():
        assert set(obj.column_docs) <= _columns_of(db, obj.name), obj.path


def _columns_of(db, name):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [name]).fetchall()}
    finally:
        con.close()


def _set_version(db, version: str) -> None:
    con = duckdb.connect(str(db))
    con.execute("UPDATE _schema_meta SET value = ? WHERE key = 'schema_version'", [version])
    con.close()


def test_new_warehouse_records_the_schema_version(db):
    open_warehouse(db).close()
    con = duckdb.connect(str(db), read_only=True)
    assert schema.stored_version(con) == schema.SCHEMA_VERSION
    con.close()


def test_a_newer_warehouse_is_refused(db):
    """Rule: a warehouse written by a newer schema is refused with a clear message, untouched."""
    open_warehouse(db).close()
    _set_version(db, str(schema.SCHEMA_VERSION + 5))
    with pytest.raises(GsdbError, match="newer than this gainsight-db"):
        open_warehouse(db)


def test_an_older_warehouse_without_a_migration_is_refused(db):
    open_warehouse(db).close()
    _set_version(db, "0")
    with pytest.raises(GsdbError, match="cannot be upgraded"):
        open_warehouse(db)


def test_an_older_warehouse_is_upgraded_by_its_migration(db, monkeypatch):
    """Rule: opening an older warehouse runs the migrations in order, re-creates views, records the version."""
    open_warehouse(db).close()
    _set_version(db, str(schema.SCHEMA_VERSION - 1))
    con = duckdb.connect(str(db))
    con.execute("DROP VIEW layers")
    con.close()
    step = schema.SCHEMA_VERSION - 1
    monkeypatch.setitem(schema.MIGRATIONS, step, ["CREATE TABLE migrated_marker (x INTEGER)"])
    open_warehouse(db).close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    finally:
        con.close()
    assert "migrated_marker" in names
    assert "layers" in views


def test_a_foreign_duckdb_file_is_refused(db):
    db.parent.mkdir(parents=True)
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE something_else (x INTEGER)")
    con.close()
    with pytest.raises(GsdbError, match="not a gainsight-db warehouse"):
        open_warehouse(db)


def test_a_file_that_is_not_duckdb_is_refused(db):
    db.parent.mkdir(parents=True)
    db.write_text("this is not a database\n" * 100)
    with pytest.raises(GsdbError, match="cannot open as a DuckDB warehouse"):
        open_warehouse(db)


def test_read_commands_do_not_create_a_warehouse(db, gsdb):
    result = gsdb("runs", check=False)
    assert result.returncode == 1
    assert "no warehouse here" in result.stderr
    assert not db.exists()


def test_a_read_command_upgrades_an_older_warehouse(db, gsdb, monkeypatch):
    """Rule: read-only commands refuse newer warehouses but bring older ones up to date first."""
    gsdb("ingest", EXAMPLE_RUN, "-q")
    _set_version(db, str(schema.SCHEMA_VERSION + 1))
    refused = gsdb("runs", check=False)
    assert refused.returncode == 1 and "newer than this gainsight-db" in refused.stderr
    _set_version(db, str(schema.SCHEMA_VERSION))
    assert "tiny_8x8_ws" in gsdb("runs").stdout


def test_floats_render_without_crashing_on_nan_and_infinity():
    import io

    from gainsight_db.exports.result_writer import ResultFormat, write_result

    con = duckdb.connect()
    relation = con.sql("SELECT x FROM (VALUES (1.0::DOUBLE, 1), (2.5, 2), ('nan', 3), ('inf', 4), (NULL, 5)) "
                       "AS t(x, i) ORDER BY i")
    text = io.BytesIO()
    write_result(relation, ResultFormat.csv, stdout=text)
    assert text.getvalue().decode().splitlines() == ["x", "1.0", "2.5", "nan", "inf", '""']  # a lone empty field quoted
    text = io.BytesIO()
    write_result(relation, ResultFormat.table, stdout=text)
    assert [line.strip() for line in text.getvalue().decode().splitlines()] == [
        "x", "---", "1", "2.5", "nan", "inf", "", "(5 rows)"]


def test_a_read_only_open_upgrades_an_older_warehouse_first(db, monkeypatch):
    open_warehouse(db).close()
    _set_version(db, str(schema.SCHEMA_VERSION - 1))
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION - 1, [])
    con = open_warehouse(db, create=False, read_only=True)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
    finally:
        con.close()


def test_upgrading_from_version_14_keeps_every_access_under_its_trace(db):
    """Rule: version 15 stores each access under its trace's id; the upgrade gives every trace an id
    and moves every access, so accesses and every view show what they showed."""
    from gainsight_db.loaders.ingest import ingest

    con = open_warehouse(db)
    ingest(con, [EXAMPLE_RUN, SCALESIM_SAMPLES["v3_api_tiny_8x16_os"]])
    queries = ("SELECT run_id, layer, buffer, level, cycle, addr FROM accesses ORDER BY ALL",
               "SELECT * EXCLUDE (trace_id) FROM trace_files ORDER BY ALL",
               "SELECT * FROM lifetimes ORDER BY ALL", "SELECT * FROM layer_stats ORDER BY ALL",
               "SELECT * FROM lifetime_histogram ORDER BY ALL", "SELECT * FROM run_stats ORDER BY ALL")
    fresh = [con.execute(q).fetchall() for q in queries]
    con.close()
    reshape_as_version_14(db)
    _set_version(db, "14")
    con = open_warehouse(db)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        assert [con.execute(q).fetchall() for q in queries] == fresh
        # each trace's accesses are counted in its own trace_files row
        assert con.execute("SELECT count(*) FROM trace_files AS t LEFT JOIN (SELECT trace_id, count(*) AS n "
                           "FROM accesses GROUP BY trace_id) AS a USING (trace_id) "
                           "WHERE coalesce(a.n, 0) <> t.accesses").fetchone() == (0,)
        assert con.execute("SELECT count(DISTINCT trace_id) = count(*) FROM trace_files").fetchone() == (True,)
    finally:
        con.close()
    assert fresh[0] and len(fresh[1]) == 2 * 3 * 6


def test_upgrading_from_version_15_stores_accesses_by_row_and_counts_lifetimes_by_length(db):
    """Rule: version 16 stores a trace's accesses a cycle at a time and keeps each layer's lifetimes
    counted by length (_lifetime_lengths); the upgrade moves every access and counts the lifetimes,
    so accesses, lifetime_histogram, run_stats and memtech show what a fresh ingest shows."""
    from gainsight_db.loaders.ingest import ingest

    con = open_warehouse(db)
    ingest(con, [EXAMPLE_RUN, SCALESIM_SAMPLES["v3_api_tiny_8x16_os"]])
    queries = ("SELECT * FROM accesses ORDER BY ALL", "SELECT * FROM lifetime_histogram ORDER BY ALL",
               "SELECT * FROM run_stats ORDER BY ALL", "SELECT * FROM memtech ORDER BY ALL")
    con.execute("INSERT INTO trace_files (run_id, layer, buffer, level, path, size_bytes, trace_rows, accesses, "
                "empty_slots, empty_cells, padding_cells, origin, trace_id) "
                "VALUES (1, 9, 'ofmap', 'sram', 'by hand', NULL, 3, 3, 0, 0, 0, 'memory', 99)")
    # a trace whose cycles step back to one seen before: by hand, three rows, in this order
    stepping = [(99, 5, [7]), (99, 3, [8, 9]), (99, 5, [10])]
    con.executemany("INSERT INTO _accesses VALUES (?, ?, ?)", stepping)
    fresh = [con.execute(q).fetchall() for q in queries]
    stored = con.execute("SELECT trace_id, cycle, addrs FROM _accesses ORDER BY trace_id, rowid").fetchall()
    con.close()
    reshape_as_version_15(db)
    _set_version(db, "15")
    con = open_warehouse(db)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        assert [con.execute(q).fetchall() for q in queries] == fresh
        # the rows an ingest stores: a run of one cycle's accesses each, in the trace's order
        assert con.execute("SELECT trace_id, cycle, addrs FROM _accesses ORDER BY trace_id, rowid").fetchall() == stored
        assert con.execute("SELECT cycle, addrs FROM _accesses WHERE trace_id = 99 ORDER BY rowid").fetchall() == [
            (cycle, addrs) for _, cycle, addrs in stepping]
    finally:
        con.close()
    assert all(fresh) and {r[0] for r in fresh[2]} == {1, 2}


def _as_version_16(db) -> None:
    """The warehouse as version 16 kept it: generations with their run, layer and buffer, and a
    _layer_stats_of that took no lifetimes counted by length (its body does not matter here)."""
    reshape_generations_as_version_16(db)
    con = duckdb.connect(str(db))
    con.execute("CREATE OR REPLACE MACRO _layer_stats_of(p_generations, p_run, p_layer, p_buffer, p_reads, p_writes, "
                "p_read_active_cycles, p_write_active_cycles, p_footprint_words) AS TABLE SELECT 1 AS x")
    con.execute("UPDATE _schema_meta SET value = '16' WHERE key = 'schema_version'")
    con.close()


def test_upgrading_from_version_16_keys_generations_by_the_trace_writing_their_buffer(db):
    """Rule: version 17 stores each generation under the trace that writes into its buffer, and gives
    _layer_stats_of the layer's lifetimes counted by length. A version-16 warehouse's generations move
    to those traces (lifetimes, dead_writes and orphan_reads unchanged), and it gets the new macro, so
    a later ingest gives what it gives in a new warehouse."""
    from gainsight_db.loaders.ingest import ingest

    later = SCALESIM_SAMPLES["v3_api_tiny_8x16_os"]
    queries = ("SELECT * FROM lifetimes ORDER BY ALL", "SELECT * FROM dead_writes ORDER BY ALL",
               "SELECT * FROM orphan_reads ORDER BY ALL")
    con = open_warehouse(db.parent / "new.duckdb")
    ingest(con, [later])
    fresh = con.execute("SELECT * EXCLUDE (run_id) FROM layer_stats ORDER BY ALL").fetchall()
    con.close()
    con = open_warehouse(db)
    ingest(con, [EXAMPLE_RUN])
    before = [con.execute(q).fetchall() for q in queries]
    con.close()
    _as_version_16(db)
    con = open_warehouse(db)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        assert [con.execute(q).fetchall() for q in queries] == before
        # ifmap and filter are written from DRAM, ofmap by the array (SRAM)
        assert con.execute("SELECT DISTINCT t.buffer, t.level FROM _generations JOIN trace_files AS t USING (trace_id) "
                           "ORDER BY ALL").fetchall() == [("filter", "dram"), ("ifmap", "dram"), ("ofmap", "sram")]
        assert not con.execute("SELECT * FROM duckdb_tables() WHERE table_name LIKE '_generations_before%'").fetchall()
        ingest(con, [later])
        assert con.execute("SELECT * EXCLUDE (run_id) FROM layer_stats WHERE run_id = 2 ORDER BY ALL").fetchall() == fresh
    finally:
        con.close()
    assert all(before[:2]) and fresh


@pytest.mark.parametrize(("edit", "what"), [
    ("DELETE FROM trace_files WHERE layer = 0 AND buffer = 'ifmap' AND level = 'dram'", "no trace"),
    ("INSERT INTO trace_files SELECT * REPLACE ((SELECT max(trace_id) + 1 FROM trace_files) AS trace_id) "
     "FROM trace_files WHERE layer = 0 AND buffer = 'ifmap' AND level = 'dram'", "more than one trace"),
], ids=["writing trace deleted", "writing trace listed twice"])
def test_an_upgrade_that_would_lose_generations_is_refused_and_changes_nothing(db, edit, what):
    """Rule: a version-16 warehouse holding generations of a buffer with no trace writing into it in
    trace_files, or more than one (left by edits by hand), is refused with one line, unchanged."""
    from gainsight_db.loaders.ingest import ingest

    con = open_warehouse(db)
    ingest(con, [EXAMPLE_RUN])
    con.close()
    _as_version_16(db)
    con = duckdb.connect(str(db))
    con.execute(edit)
    [(lost,)] = con.execute("SELECT count(*) FROM _generations WHERE layer = 0 AND buffer = 'ifmap'").fetchall()
    con.close()
    before = warehouse_fingerprint(db)
    with pytest.raises(GsdbError, match=rf"^{lost:,} lifetime rows \(_generations\) have {what} writing into their "
                                        "buffer"):
        open_warehouse(db)
    assert warehouse_fingerprint(db) == before
    assert lost


def _reshape_trace_files_as_version_6(db) -> None:
    """trace_files as versions up to 6 had it: no origin column, a file size in every row."""
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE trace_files DROP COLUMN origin")
    con.execute("ALTER TABLE trace_files ALTER COLUMN size_bytes SET NOT NULL")
    con.close()


def test_upgrading_from_version_6_marks_every_trace_as_read_from_csv(db):
    """Rule: before version 7 every trace was parsed from its CSV; the upgrade records that, and
    lets in-memory traces (no file size) be stored."""
    from gainsight_db.loaders.ingest import ingest

    con = open_warehouse(db)
    ingest(con, [EXAMPLE_RUN])
    before = con.execute("SELECT * EXCLUDE (origin, trace_id) FROM trace_files ORDER BY ALL").fetchall()
    con.close()
    _reshape_trace_files_as_version_6(db)
    reshape_as_version_14(db)
    _set_version(db, "6")
    con = open_warehouse(db)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        assert con.execute("SELECT * EXCLUDE (origin, trace_id) FROM trace_files ORDER BY ALL").fetchall() == before
        assert con.execute("SELECT DISTINCT origin FROM trace_files").fetchall() == [("csv",)]
        con.execute("UPDATE trace_files SET size_bytes = NULL")  # allowed from version 7
        with pytest.raises(duckdb.ConstraintException):
            con.execute("UPDATE trace_files SET origin = NULL")
    finally:
        con.close()
    assert len(before) == 3 * 6


def test_upgrading_from_version_5_computes_the_ingest_time_tables(db):
    """Rule: a version-5 warehouse (lifetimes were views then) gets _generations and _layer_stats
    filled from its accesses on upgrade, so its views show what a fresh ingest shows."""
    from gainsight_db.loaders.ingest import ingest

    con = open_warehouse(db)
    ingest(con, [EXAMPLE_RUN])
    queries = ("SELECT * FROM lifetimes ORDER BY ALL", "SELECT * FROM dead_writes ORDER BY ALL",
               "SELECT * FROM orphan_reads ORDER BY ALL", "SELECT * FROM layer_stats ORDER BY ALL",
               "SELECT * FROM lifetime_histogram ORDER BY ALL")
    fresh = [con.execute(q).fetchall() for q in queries]
    con.execute("DELETE FROM _generations")
    con.execute("DELETE FROM _layer_stats")
    con.close()
    _reshape_trace_files_as_version_6(db)
    reshape_as_version_14(db)
    _set_version(db, "5")
    con = open_warehouse(db, create=False, read_only=True)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        assert fresh[0] and fresh[3]
        assert [con.execute(q).fetchall() for q in queries] == fresh
    finally:
        con.close()


def test_upgrading_from_version_7_adds_the_simulation_columns_to_runs(db):
    """Rule: runs of a version-7 warehouse were not simulated with overrides: the new columns are empty."""
    from gainsight_db.loaders.ingest import ingest

    con = open_warehouse(db)
    ingest(con, [EXAMPLE_RUN])
    before = con.execute("SELECT * EXCLUDE (overrides, inputs_sha256) FROM runs").fetchall()
    con.execute("ALTER TABLE runs DROP COLUMN overrides")
    con.execute("ALTER TABLE runs DROP COLUMN inputs_sha256")
    con.close()
    reshape_as_version_14(db)
    _set_version(db, "7")
    con = open_warehouse(db)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        assert con.execute("SELECT * EXCLUDE (overrides, inputs_sha256) FROM runs").fetchall() == before
        assert con.execute("SELECT overrides, inputs_sha256 FROM runs").fetchall() == [(None, None)]
        comments = con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'runs' "
                               "AND column_name IN ('overrides', 'inputs_sha256') ORDER BY 1").fetchall()
        assert [name for name, _ in comments] == ["inputs_sha256", "overrides"] and all(c for _, c in comments)
    finally:
        con.close()


OLD_TECHNOLOGIES = """CREATE TABLE technologies (technology VARCHAR NOT NULL, cell VARCHAR NOT NULL, retention_s DOUBLE,
    area_um2_per_bit DOUBLE, read_pj_per_bit DOUBLE, write_pj_per_bit DOUBLE, refresh_pj_per_bit DOUBLE,
    leakage_pw_per_bit DOUBLE, source VARCHAR, loaded_from VARCHAR, loaded_at TIMESTAMP)"""


@pytest.mark.parametrize("loaded_from", ["default", "/home/me/techs.csv"])
def test_upgrading_from_version_11_keeps_a_users_technology_table_as_figures(db, loaded_from):
    """Rule: version 11 kept one per-bit row per technology in a `technologies` table. The upgrade
    turns a user's rows into figures (each number one used figure, each empty one an unknown) and a
    warehouse with the shipped table gets the shipped figures; the settings gain node and factor."""
    open_warehouse(db).close()
    con = duckdb.connect(str(db))
    con.execute("DROP VIEW technologies")
    con.execute("DROP TABLE technology_figures")
    con.execute(OLD_TECHNOLOGIES)
    con.execute("INSERT INTO technologies VALUES ('sram', 'sram', NULL, 1.0, 2, 3, 0, 5, 'a', ?, now()), "
                "('gc', 'gain_cell', 1e-8, 0.5, NULL, NULL, 0.5, 1, 'b', ?, now())", [loaded_from, loaded_from])
    con.execute("DROP TABLE memtech_settings")
    con.execute("CREATE TABLE memtech_settings (run_id INTEGER NOT NULL, clock_hz DOUBLE NOT NULL, "
                "word_bits INTEGER NOT NULL, threshold_s DOUBLE NOT NULL, set_at TIMESTAMP)")
    con.execute("INSERT INTO memtech_settings VALUES (1, 2e9, 8, 1e-6, now())")
    con.close()
    reshape_as_version_14(db)
    _set_version(db, "11")
    con = open_warehouse(db, create=False, read_only=True)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        figures = con.execute("SELECT technology, figure, value, kind, used, source, loaded_from FROM technology_figures "
                              "ORDER BY technology, figure").fetchall()
        settings = con.execute("SELECT run_id, clock_hz, node_nm, retention_factor FROM memtech_settings").fetchall()
        tables = {n for (n,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert settings == [(1, 2e9, None, None)] and "_technologies_before_12" not in tables
    if loaded_from == "default":
        assert {t for t, *_ in figures} == {"sram", "si_gain_cell", "hybrid_os_si_gain_cell", "os_os_gain_cell"}
        return
    assert figures == [
        ("gc", "area_um2_per_bit", 0.5, "user", True, "b", loaded_from),
        ("gc", "leakage_pw_per_bit", 1.0, "user", True, "b", loaded_from),
        ("gc", "read_pj_per_bit", None, "user", True, "b", loaded_from),
        ("gc", "refresh_pj_per_bit", 0.5, "user", True, "b", loaded_from),
        ("gc", "retention_s", 1e-8, "user", True, "b", loaded_from),
        ("gc", "write_pj_per_bit", None, "user", True, "b", loaded_from),
        ("sram", "area_um2_per_bit", 1.0, "user", True, "a", loaded_from),
        ("sram", "leakage_pw_per_bit", 5.0, "user", True, "a", loaded_from),
        ("sram", "read_pj_per_bit", 2.0, "user", True, "a", loaded_from),
        ("sram", "refresh_pj_per_bit", 0.0, "user", True, "a", loaded_from),
        ("sram", "write_pj_per_bit", 3.0, "user", True, "a", loaded_from),
    ]


def test_an_upgrade_that_would_lose_accesses_is_refused_and_changes_nothing(db):
    """Rule: version 15 keeps each access under its trace; a version-14 warehouse holding accesses
    without a trace_files row (left by a deletion by hand) is refused with one line, unchanged."""
    from gainsight_db.loaders.ingest import ingest

    con = open_warehouse(db)
    ingest(con, [EXAMPLE_RUN])
    con.close()
    reshape_as_version_14(db)
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM trace_files WHERE layer = 0 AND buffer = 'ifmap' AND level = 'sram'")
    con.close()
    _set_version(db, "14")
    before = warehouse_fingerprint(db)
    with pytest.raises(GsdbError, match=r"cannot upgrade to version 15: 10,480 accesses would become"):
        open_warehouse(db)
    assert warehouse_fingerprint(db) == before
