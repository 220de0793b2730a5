"""A new warehouse is a copy of an empty one kept in the cache folder (gainsight_db/warehouse/template.py)."""

from __future__ import annotations

import datetime
import os
import time

import duckdb
import pytest

from gainsight_db.warehouse import schema, template
from gainsight_db.warehouse.connection import open_warehouse

# What a warehouse's schema is: every object's definition, every comment, the seeded rows.
SCHEMA_QUERIES = (
    "SELECT table_name, sql, comment FROM duckdb_tables() WHERE NOT internal ORDER BY ALL",
    "SELECT view_name, sql, comment FROM duckdb_views() WHERE NOT internal ORDER BY ALL",
    "SELECT function_name, macro_definition FROM duckdb_functions() WHERE NOT internal "
    "AND function_type IN ('macro', 'table_macro') ORDER BY ALL",
    "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() WHERE NOT internal ORDER BY ALL",
    "SELECT * EXCLUDE (loaded_at) FROM technology_figures ORDER BY ALL",
    "SELECT * FROM _schema_meta ORDER BY ALL",
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(template.CACHE_ENV, str(folder))
    return folder


def _schema_of(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [con.execute(q).fetchall() for q in SCHEMA_QUERIES]
    finally:
        con.close()


def test_a_copy_of_the_empty_warehouse_is_the_schema_made_in_place(tmp_path, cache):
    """Rule: a new warehouse copied from the cache has exactly the objects, comments and seeded rows
    of one whose schema is created in place."""
    open_warehouse(tmp_path / "copied.duckdb").close()
    assert template.template_path().is_file(), "the empty warehouse is kept in the cache folder"
    con = duckdb.connect(str(tmp_path / "in_place.duckdb"))
    schema.ensure_schema(con, "in_place")
    con.close()
    copied, in_place = _schema_of(tmp_path / "copied.duckdb"), _schema_of(tmp_path / "in_place.duckdb")
    assert all(copied) and copied == in_place


def test_a_copy_s_figures_are_loaded_when_the_copy_is_made(tmp_path, cache):
    """Rule: a warehouse's default technology figures are recorded as loaded when that warehouse is
    created, also when it is a copy of an empty warehouse made earlier."""
    open_warehouse(tmp_path / "first.duckdb").close()
    made = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    open_warehouse(tmp_path / "second.duckdb").close()
    con = duckdb.connect(str(tmp_path / "second.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*), min(loaded_at) >= ? FROM technology_figures", [made]).fetchone() == (
            con.execute("SELECT count(*) FROM technology_figures").fetchone()[0], True)
    finally:
        con.close()


def test_the_empty_warehouse_is_made_once_and_copied_after(tmp_path, cache, monkeypatch):
    """Rule: the schema is created once, for the empty warehouse; later new warehouses are copies
    (no schema object is created for them) and leave it as it is."""
    open_warehouse(tmp_path / "first.duckdb").close()
    kept = template.template_path()
    before = (kept.stat().st_mtime_ns, kept.read_bytes())

    def refuse(*_):
        raise AssertionError("a schema object was created for a copy")

    monkeypatch.setattr(schema, "_apply_object", refuse)
    con = open_warehouse(tmp_path / "second.duckdb")
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
        con.execute("CREATE TABLE mine AS SELECT 1 AS x")  # a copy is a warehouse of its own
    finally:
        con.close()
    assert (kept.stat().st_mtime_ns, kept.read_bytes()) == before
    assert [p.name for p in cache.iterdir()] == [kept.name], "no temporary file is left"


def test_a_copy_is_never_written_over_an_existing_file(tmp_path, cache):
    """Rule: the copy is only ever made where no file is; an existing one is left byte for byte."""
    open_warehouse(tmp_path / "first.duckdb").close()
    existing = tmp_path / "existing.duckdb"
    existing.write_bytes(b"not yours to overwrite")
    assert template.copy_of_template(existing) is False
    assert existing.read_bytes() == b"not yours to overwrite"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "existing.duckdb", "first.duckdb"], \
        "no temporary copy is left"


def test_a_new_warehouse_another_process_opened_first_is_left_to_it(tmp_path, cache, monkeypatch):
    """Rule: when another process opens the new warehouse between its copy and this process's
    connection, this process fails on the lock, as it would on any warehouse in use, and the other
    process's warehouse (and what it wrote) is left alone."""
    import subprocess
    import sys

    from gainsight_db.common.errors import GsdbError
    from gainsight_db.warehouse import connection

    path = tmp_path / "wh.duckdb"
    holder = None
    copy = connection.copy_of_template

    def copy_then_taken(target):
        nonlocal holder
        made = copy(target)
        holder = subprocess.Popen(
            [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
             "con.execute('CREATE TABLE theirs AS SELECT 1 AS x'); print('ready', flush=True); time.sleep(4); "
             "con.close()", str(target)], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline() == "ready\n"
        return made

    monkeypatch.setattr(connection, "copy_of_template", copy_then_taken)
    try:
        with pytest.raises(GsdbError, match="lock"):
            open_warehouse(path)
    finally:
        holder.wait(timeout=30)
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT * FROM theirs").fetchall() == [(1,)]
    finally:
        con.close()
    assert template.template_path().is_file(), "the empty warehouse is not discarded for a lock"


def test_a_cache_that_cannot_be_used_still_gives_a_new_warehouse(tmp_path, monkeypatch):
    """Rule: when the cache folder cannot be made (here a file is in its place), the schema is
    created in place and the file in its place is left alone."""
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    monkeypatch.setenv(template.CACHE_ENV, str(blocker / "cache"))
    con = open_warehouse(tmp_path / "wh.duckdb")
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
    finally:
        con.close()
    assert blocker.read_text() == "a file"


def test_a_broken_empty_warehouse_is_made_again(tmp_path, cache):
    """Rule: an empty warehouse in the cache that DuckDB cannot open is removed with the copy made
    of it; the new warehouse is created in place, and the next one makes a good empty warehouse."""
    kept = template.template_path()
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"\0" * 8192)
    con = open_warehouse(tmp_path / "wh.duckdb")
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION
    finally:
        con.close()
    assert not kept.exists()
    open_warehouse(tmp_path / "next.duckdb").close()
    assert _schema_of(kept) == _schema_of(tmp_path / "wh.duckdb")


def test_a_temporary_file_left_by_a_killed_process_is_removed(tmp_path, cache):
    """Rule: making the empty warehouse removes temporary files older than ten minutes that an
    earlier, killed process left; a recent one (another process may be writing it) stays."""
    cache.mkdir()
    old, recent = (cache / f".{template._PREFIX}x.duckdb.{n}.1" for n in (111, 222))
    for leftover in (old, recent):
        leftover.write_bytes(b"half an empty warehouse")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    open_warehouse(tmp_path / "wh.duckdb").close()
    assert not old.exists() and recent.exists()
