"""Misuse and faults around the warehouse: no option writes over it or deletes what gainsight-db did
not write, read-only means no writes anywhere, Ctrl-C ends with one line and exit 130, what a killed
process left behind is cleaned up by the next run, and read-only commands may upgrade an old
warehouse at the same time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import (
    EXAMPLE_RUN,
    SCALESIM_DATA,
    SCALESIM_SAMPLES,
    cli_runner,
    reshape_as_version_14,
    warehouse_fingerprint,
)

from gainsight_db.common.staging import EXPORT_MARKER

GSDB = str(Path(sys.executable).parent / "gsdb")


@pytest.fixture
def seeded(db, gsdb):
    """A warehouse holding the bundled run, and its fingerprint."""
    gsdb("ingest", EXAMPLE_RUN, "-q")
    return warehouse_fingerprint(db)


def _refused(result, *words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gsdb: error: "), result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# 2. Options that would destroy the warehouse -------------------------------------------------------

def test_replacing_the_folder_that_holds_the_warehouse_is_refused(tmp_path):
    """`export csv --out data --replace --db data/w.duckdb` must not delete data/ with the warehouse;
    nor may a GainSight export replace the run folder that holds it."""
    data = tmp_path / "data" / "tiny_8x8_ws"
    db = data / "w.duckdb"
    gsdb = cli_runner(db)
    gsdb("ingest", EXAMPLE_RUN, "-q")
    (data / "notes.txt").write_text("mine")
    (data / EXPORT_MARKER).write_text("as if it were an earlier export")
    before = warehouse_fingerprint(db)
    for kind in ("csv", "parquet"):
        _refused(gsdb("export", kind, "--output", data, "--replace", check=False), str(data), "w.duckdb")
    _refused(gsdb("export", "gainsight", "--run", "1", "--output", data.parent, "--replace", check=False), "w.duckdb")
    assert warehouse_fingerprint(db) == before and (data / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("args", [
    ("report", "layers", "--output", "{db}"),
    ("report", "memtech", "--run", "1", "--clock-hz", "2e9", "--output", "{db}"),
    ("query", "SELECT 1", "--output", "{db}"),
    ("query", "--write", "DELETE FROM runs", "--output", "{db}"),
    ("runs", "--output", "{db}.wal"),
    ("export", "frontend", "--run", "1", "--output", "{db}", "--replace"),
])
def test_no_output_option_writes_over_the_warehouse(db, gsdb, seeded, args):
    result = gsdb(*[a.format(db=db) for a in args], check=False)
    _refused(result, "refusing to write there")
    assert warehouse_fingerprint(db) == seeded


def test_replace_only_replaces_an_earlier_export(db, gsdb, seeded, tmp_path):
    """--replace rewrites a folder this tool wrote (it carries the marker), never any other folder."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    _refused(gsdb("export", "parquet", "--output", mine, "--replace", check=False), "not an earlier gainsight-db export")
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    export = tmp_path / "export"
    gsdb("export", "csv", "--output", export, "-q")
    assert (export / EXPORT_MARKER).is_file()
    gsdb("export", "parquet", "--output", export, "--replace", "-q")
    assert list(export.glob("layer_stats/run-1.parquet")) and not list(export.glob("**/*.csv"))


# 6. Settings validated where they enter; Ctrl-C -------------------------------------------------

def test_an_impossible_clock_is_refused_and_not_stored(db, gsdb, seeded):
    """`--clock-hz inf` used to be stored, and `export frontend` then failed with a traceback; NaN
    is a usage error of the option (exit 2)."""
    _refused(gsdb("report", "memtech", "--run", "1", "--clock-hz", "inf", check=False), "clock_hz", "finite")
    nan = gsdb("report", "memtech", "--run", "1", "--clock-hz", "nan", check=False)
    assert nan.returncode == 2 and "--clock-hz" in nan.stderr and "Traceback" not in nan.stderr
    assert warehouse_fingerprint(db) == seeded
    gsdb("export", "frontend", "--run", "1", "--output", db.parent / "f.json")
    assert json.loads((db.parent / "f.json").read_text())["workload"]["name"] == "tiny_8x8_ws"


def _ctrl_c(db, args: list[str], after: float) -> tuple[int, str, str]:
    """(exit code, stderr, stdout) of `gsdb ARGS` sent Ctrl-C (SIGINT) `after` seconds in."""
    proc = subprocess.Popen([GSDB, *args], env=dict(os.environ, GSDB_DB=str(db)), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, err, out


def test_ctrl_c_during_a_query_ends_with_one_line_and_exit_130(db, gsdb, seeded):
    """DuckDB 2 reports an interrupted query as RuntimeError, not KeyboardInterrupt."""
    slow = "SELECT sum(hash(a.range * b.range)) FROM range(200000) AS a, range(200000) AS b"
    assert _ctrl_c(db, ["query", slow], after=3.0) == (130, "gsdb: interrupted\n", "")


def test_ctrl_c_during_an_ingest_leaves_the_warehouse_as_it_was(db, gsdb, seeded):
    # Every bundled run in one ingest (one transaction): several seconds, so Ctrl-C comes mid-ingest.
    assert _ctrl_c(db, ["ingest", str(SCALESIM_DATA)], after=1.0) == (130, "gsdb: interrupted\n", "")
    assert warehouse_fingerprint(db) == seeded


# 7. Leftovers of a killed process ------------------------------------------------------------------

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_ingests_spill_folder_is_removed_by_the_next_writer(db, gsdb, seeded):
    spill = db.with_name(db.name + ".tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"\0" * 4096)
    gsdb("ingest", EXAMPLE_RUN, "-q")
    assert not (spill / "duckdb_temp_storage_DEFAULT-0.tmp").exists()


def test_a_killed_exports_work_folders_are_removed_and_a_moved_aside_export_restored(db, gsdb, seeded, tmp_path):
    """A crash between moving the old export aside and moving the new one in leaves the target
    missing; the next export of that target puts the old one back first, then works as usual."""
    tmp_path = tmp_path / "exports"
    target = tmp_path / "out"
    gsdb("export", "csv", "--output", target, "-q")
    dead = _dead_pid()
    target.rename(tmp_path / f".out.{dead}.old")
    (tmp_path / f".out.{dead}.abc123.partial").mkdir()
    (tmp_path / f".out.{dead}.abc123.partial" / "half.csv").write_text("1,2\n")
    _refused(gsdb("export", "csv", "--output", target, check=False), "not empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and (target / EXPORT_MARKER).is_file()
    gsdb("export", "parquet", "--output", target, "--replace", "-q")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and list(target.glob("*/run-1.parquet"))


def test_work_files_of_a_live_process_are_left_alone(db, gsdb, seeded, tmp_path):
    partial = tmp_path / f".out.{os.getpid()}.xyz.partial"
    partial.mkdir()
    gsdb("export", "csv", "--output", tmp_path / "out", "-q")
    assert partial.is_dir()


# 9. Read-only means no writes anywhere -------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "COPY (SELECT 1) TO '{dir}/copied.csv'",
    "ATTACH '{dir}/other.duckdb' AS other",
    "EXPORT DATABASE '{dir}/dump'",
    "INSTALL spatial",
    "SET enable_external_access = true",
    "SELECT * FROM read_csv('{dir}/other.csv')",
])
def test_a_read_only_query_writes_and_reads_nothing_beyond_the_warehouse(db, gsdb, seeded, tmp_path, sql):
    (tmp_path / "other.csv").write_text("a\n1\n")
    duckdb.connect(str(tmp_path / "other.duckdb")).execute("CREATE TABLE t AS SELECT 1 AS x").close()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = gsdb("query", sql.format(dir=tmp_path), check=False)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before and warehouse_fingerprint(db) == seeded
    other = duckdb.connect(str(tmp_path / "other.duckdb"), read_only=True)
    assert other.execute("SELECT * FROM t").fetchall() == [(1,)]
    other.close()


def test_a_writable_query_may_write_files(db, gsdb, seeded, tmp_path):
    gsdb("query", "--write", f"COPY (SELECT 42 AS x) TO '{tmp_path / 'copied.csv'}'")
    assert (tmp_path / "copied.csv").read_text() == "x\n42\n"


# 10. Read-only commands upgrading an old warehouse at the same time --------------------------------

def test_simultaneous_read_commands_on_an_old_warehouse_all_succeed(db, gsdb, seeded):
    """Each read-only command upgrades an older warehouse first; when several start at once, one
    upgrades it and the others wait for it, none fails."""
    reshape_as_version_14(db)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE trace_files DROP COLUMN origin")  # trace_files as version 6 had it
    con.execute("ALTER TABLE trace_files ALTER COLUMN size_bytes SET NOT NULL")
    con.execute("UPDATE _schema_meta SET value = '6' WHERE key = 'schema_version'")
    con.close()
    env = dict(os.environ, GSDB_DB=str(db))
    procs = [subprocess.Popen([GSDB, "query", "SELECT count(*) AS n FROM runs", "-f", "csv"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
    assert results == [(0, "n\n1\n", "")] * 4


# 10 (also). Re-ingesting replaces without keeping the file twice its size ---------------------------------

def test_re_ingesting_a_run_gives_the_space_back(db, gsdb):
    """A replacing ingest frees the old rows' space; when more than half the file is free, the
    warehouse is compacted, so re-ingesting again and again keeps it near its first size."""
    run = SCALESIM_SAMPLES["v3_api_small3_16x16_os"]
    gsdb("ingest", run, "-q")
    first, accesses = db.stat().st_size, gsdb("query", "SELECT count(*) FROM accesses", "-f", "csv").stdout
    for _ in range(3):
        assert "replaced run 1" in gsdb("ingest", run).stdout
    assert db.stat().st_size <= 1.25 * first
    assert gsdb("query", "SELECT count(*) FROM accesses", "-f", "csv").stdout == accesses


def test_compact_keeps_every_row_view_and_comment(db, gsdb):
    gsdb("ingest", EXAMPLE_RUN, "-q")
    before = warehouse_fingerprint(db)
    comments = gsdb("schema", "lifetimes", "-f", "csv").stdout
    assert "compacted" in gsdb("compact").stdout
    assert warehouse_fingerprint(db) == before and gsdb("schema", "lifetimes", "-f", "csv").stdout == comments
    assert [p.name for p in db.parent.iterdir() if p.name.endswith(".compact")] == []


def test_outputs_inside_the_spill_folder_and_simulations_over_the_wal_are_refused(db, gsdb, seeded):
    """The spill folder is cleared by the next writer: nothing may be written inside it."""
    spill = db.with_name(db.name + ".tmp")
    _refused(gsdb("runs", "--output", spill / "runs.csv", check=False), "refusing to write there")
    config = EXAMPLE_RUN / "inputs" / "tiny_8x8_ws.cfg"
    topology = EXAMPLE_RUN / "inputs" / "tiny3.csv"
    for out in (db.with_name(db.name + ".wal"), spill / "sim"):
        _refused(gsdb("simulate", "-q", "--topology", topology, "--config", config, "--output", out, check=False),
                 "refusing to write there")
    assert warehouse_fingerprint(db) == seeded and not spill.exists()


def test_a_foreign_manifest_does_not_make_a_folder_replaceable(db, gsdb, seeded, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "_manifest.json").write_text('{"tool": "something else"}')
    (mine / "thesis.tex").write_text("years of work")
    _refused(gsdb("export", "csv", "--output", mine, "--replace", check=False), "not an earlier gainsight-db export")
    assert (mine / "thesis.tex").read_text() == "years of work"


def test_the_current_folder_as_output_is_understood(db, gsdb, seeded, tmp_path):
    """`--out .` names the working folder, not a file called '' inside it."""
    here = tmp_path / "here"
    here.mkdir()
    gsdb("export", "csv", "--output", ".", "-q", cwd=here)
    assert (here / EXPORT_MARKER).is_file() and list(here.glob("layer_stats/run-1.csv"))
    gsdb("export", "parquet", "--output", ".", "--replace", "-q", cwd=here)
    assert list(here.glob("layer_stats/run-1.parquet"))


def test_cleaning_up_one_target_leaves_anothers_work_alone(db, gsdb, seeded, tmp_path):
    """`.out.<n>.<pid>.x.partial` belongs to target `out.<n>` (of a live process), not to `out`."""
    folder = tmp_path / "exports"
    folder.mkdir()
    other = folder / f".out.{_dead_pid()}.{os.getpid()}.x.partial"
    other.mkdir()
    gsdb("export", "csv", "--output", folder / "out", "-q")
    assert other.is_dir()


def test_compact_needs_an_existing_warehouse(tmp_path):
    missing = tmp_path / "none" / "w.duckdb"
    _refused(cli_runner(missing)("compact", check=False), "no warehouse here")
    assert not (tmp_path / "none").exists()
