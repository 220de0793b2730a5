"""Shared fixtures: paths to the bundled sample data, a fresh warehouse, and running the real `gsdb`.

The samples are in tests/data (tests/data/README.md says where each comes from). One SCALE-Sim run,
v3_api_user_small3_16x16_ws, is too big to commit: only its inputs are, and at the start of every test
session `pytest_sessionstart` makes sure its run directory is there, running the installed `scalesim`
package on those inputs when it is missing or out of date (see `ensure_generated_run`).
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
SCALESIM_DATA = TEST_DATA / "scalesim"
AIE_DATA = TEST_DATA / "aie"
EXAMPLE_RUN = REPO / "examples" / "scalesim_tiny_8x8_ws"
# What the tests make and keep between sessions (gitignored).
CACHE = REPO / "tests" / ".cache"

# SCALE-Sim samples whose run directory is not committed but made from their inputs/ by scalesim at
# the start of a test session, into the sample folder (gitignored). Each has the SHA-256 of every file
# of the run, as SCALE-Sim wrote it when the sample was made, in `<run name>.sha256` beside inputs/.
GENERATED_SAMPLES = ("v3_api_user_small3_16x16_ws",)
# SCALE-Sim v3 needs a layout file; one with only its header line does for runs without custom layouts.
LAYOUT = SCALESIM_DATA / "layout_header_only.csv"


def _run_name(sample: Path) -> str:
    """The run directory SCALE-Sim writes for a sample: the run_name of the config in its inputs/."""
    (config,) = (sample / "inputs").glob("*.cfg")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config)
    return parser["general"]["run_name"].strip()


# Every bundled SCALE-Sim sample: folder -> run directory inside it.
SCALESIM_SAMPLES = {sample.name: sample / _run_name(sample) for sample in sorted(SCALESIM_DATA.glob("v*_api_*"))}


# The generated sample ----------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected_files(sample: Path) -> dict[str, str]:
    """Path (relative to the sample folder) -> SHA-256 of every file of the run, from `<run name>.sha256`."""
    manifest = sample / f"{_run_name(sample)}.sha256"
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in manifest.read_text().splitlines())}


def _differences(run_dir: Path, expected: dict[str, str]) -> list[str]:
    """How the files of `run_dir` differ from `expected` (empty when they are exactly those files)."""
    base = run_dir.parent
    found = {p.relative_to(base).as_posix(): p for p in run_dir.rglob("*") if p.is_file()} if run_dir.is_dir() else {}
    problems = [f"{name}: missing" for name in sorted(set(expected) - set(found))]
    problems += [f"{name}: not expected" for name in sorted(set(found) - set(expected))]
    problems += [f"{name}: different bytes" for name in sorted(set(expected) & set(found))
                 if _sha256(found[name]) != expected[name]]
    return problems


def _generation_key(sample: Path) -> str:
    """The inputs of a generated run and the versions of the tools that make it, hashed."""
    digest = hashlib.sha256()
    for package in ("scalesim", "numpy"):
        digest.update(f"{package} {importlib.metadata.version(package)}\n".encode())
    for path in [*sorted((sample / "inputs").iterdir()), LAYOUT]:
        digest.update(f"{path.name} {_sha256(path)}\n".encode())
    return digest.hexdigest()


def _run_scalesim(sample: Path, top: Path) -> Path:
    """Run the scalesim package on the sample's inputs, writing under `top`; the run directory.

    As the samples were made: SCALE-Sim's Python API with save_disk_space=False (trace CSVs written),
    the layout file with only its header line, and SCALE-Sim's console output kept out of pytest's.
    """
    (config,) = (sample / "inputs").glob("*.cfg")
    (topology,) = (sample / "inputs").glob("*.csv")
    lines = [line for line in topology.read_text().splitlines() if line.strip()]
    # SCALE-Sim drops the last field of every topology row: each must end with a comma (simulate.py
    # adds them to topologies it is given; the committed inputs already have them, and must stay as they are).
    bad = [i for i, line in enumerate(lines, 1) if not line.rstrip().endswith(",")]
    if bad:
        raise RuntimeError(f"{topology}: line {bad[0]} does not end with a comma, SCALE-Sim would lose its last field")
    header = [cell.strip().lower() for cell in lines[0].split(",")]

    from scalesim.scale_sim import scalesim

    log = io.StringIO()
    try:
        # numpy's DeprecationWarning about SCALE-Sim's own code is not the tests' business either.
        with contextlib.redirect_stdout(log), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sim = scalesim(save_disk_space=False, verbose=False, config=str(config), topology=str(topology),
                           layout=str(LAYOUT), input_type_gemm=header[1:4] == ["m", "n", "k"])
            sim.run_scale(top_path=str(top))
    except SystemExit as err:  # SCALE-Sim calls exit() on inputs it cannot read
        raise RuntimeError(f"SCALE-Sim stopped: {' '.join(log.getvalue().split())[-300:]}") from err
    return top / _run_name(sample)


def ensure_generated_run(sample: Path) -> str | None:
    """Make sure the sample's run directory holds exactly the files its `.sha256` lists.

    Kept from an earlier session when the inputs, scalesim and numpy are unchanged (the key recorded in
    tests/.cache/scalesim/<sample>.json) and the files are intact; otherwise SCALE-Sim is run again in
    tests/.cache/scalesim/ and its run directory moved into the sample folder. Returns what was done
    (None when the run was kept); raises if SCALE-Sim's output is not the recorded one.
    """
    run_dir = sample / _run_name(sample)
    expected = _expected_files(sample)
    key = _generation_key(sample)
    work_root = CACHE / "scalesim"
    work_root.mkdir(parents=True, exist_ok=True)
    stamp = work_root / f"{sample.name}.json"
    with open(work_root / ".lock", "w") as lock:
        with contextlib.suppress(ImportError):  # concurrent sessions: one generates, the others wait
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(OSError, ValueError):
            if json.loads(stamp.read_text())["key"] == key and not _differences(run_dir, expected):
                return None
        stamp.unlink(missing_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{sample.name}-", dir=work_root))
        start = time.perf_counter()
        made = _run_scalesim(sample, work)
        seconds = time.perf_counter() - start
        problems = _differences(made, expected)
        if problems:
            raise RuntimeError(
                f"SCALE-Sim's run of {sample.name} (in {made}) is not the recorded one "
                f"({run_dir.name}.sha256): {'; '.join(problems[:5])}"
            )
        shutil.rmtree(run_dir, ignore_errors=True)
        os.replace(made, run_dir)
        shutil.rmtree(work)
        versions = {package: importlib.metadata.version(package) for package in ("scalesim", "numpy")}
        stamp.write_text(json.dumps({"key": key, **versions, "seconds": round(seconds, 2)}, indent=1) + "\n")
        return (f"made {run_dir.relative_to(REPO)} with scalesim {versions['scalesim']} in {seconds:.1f} s "
                f"({len(expected)} files, as recorded)")


def pytest_configure(config: pytest.Config) -> None:
    """The empty warehouse new warehouses are copied from (gainsight_db/warehouse/template.py) is kept
    in a folder of this test process's own, for the tests and every `gsdb` they run, not in the
    user's cache; removed when the process's tests end."""
    config._gsdb_cache = Path(tempfile.mkdtemp(prefix="gsdb-test-cache-"))
    os.environ["GSDB_CACHE_DIR"] = str(config._gsdb_cache)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config._gsdb_cache, ignore_errors=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Every generated sample's run directory is in place before the tests are collected."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for name in GENERATED_SAMPLES:
        try:
            done = ensure_generated_run(SCALESIM_DATA / name)
        except Exception as err:  # whatever went wrong, the tests cannot run without the sample
            pytest.exit(f"cannot make the test sample {name}: {type(err).__name__}: {err}", returncode=1)
        if done and reporter is not None:
            reporter.write_line(done)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Path of a warehouse file that does not exist yet."""
    return tmp_path / "wh" / "gainsight.duckdb"


def cli_runner(db: Path):
    """A function running the installed `gsdb` command (a real process) against warehouse `db`."""

    def run(*args: str, check: bool = True, cwd: Path | None = None) -> CliResult:
        env = dict(os.environ, GSDB_DB=str(db))
        # The console script, not `python -m`: that would put the working directory first on sys.path,
        # where the source folder gainsight_db/ (without its mapped loaders/ and sql/) shadows the
        # installed package.
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "gsdb"), *map(str, args)],
            capture_output=True, text=True, env=env, cwd=cwd,
        )
        result = CliResult(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"gsdb {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr}")
        return result

    return run


@pytest.fixture
def gsdb(db: Path):
    """Run the installed `gsdb` command against the test warehouse."""
    return cli_runner(db)


def run_id_of(gsdb, run_dir) -> str:
    """The run id of an ingested run directory, asked through `gsdb query` (samples share run names)."""
    out = gsdb("query", f"SELECT run_id FROM runs WHERE source_path = '{run_dir.resolve()}'", "-f", "csv").stdout
    return out.splitlines()[1]


def copy_run(sample: str, dest: Path) -> Path:
    """A writable copy of a bundled sample (its run directory and inputs); returns the run directory."""
    source = SCALESIM_DATA / sample
    shutil.copytree(source, dest / sample)
    for path in (dest / sample).rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest / sample / SCALESIM_SAMPLES[sample].name


def query_rows(db: Path, sql: str) -> list[tuple]:
    """Every row of `sql` run on the warehouse file `db`, opened read-only and closed again."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def warehouse_fingerprint(db: Path) -> str:
    """A digest of every row of every table (and the object list), to prove a warehouse unchanged."""
    if not db.exists():
        return "absent"
    con = duckdb.connect(str(db), read_only=True)
    try:
        digest = hashlib.sha256()
        names = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1"
        ).fetchall()
        views = con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal ORDER BY 1"
        ).fetchall()
        digest.update(repr(views).encode())
        for (name,) in names:
            rows = con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall()
            digest.update(name.encode())
            digest.update(repr(rows).encode())
        return digest.hexdigest()
    finally:
        con.close()


# Processes (Linux /proc) -------------------------------------------------------------------------
def child_processes(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def all_ended(pids: list[int], seconds: float = 5.0) -> bool:
    """Whether every process of `pids` has ended (within a few seconds: they may be exiting)."""
    deadline = time.monotonic() + seconds
    while [pid for pid in pids if _running(pid)]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# One trace into accesses --------------------------------------------------------------------------
def _record(con, found, where, run_id: int, layer: int, buffer: str, level: str) -> None:
    from gainsight_db.loaders.scalesim_traces import TraceIds, insert_accesses, record_trace

    insert_accesses(con, found, record_trace(con, TraceIds(con).take(), run_id, layer, buffer, level, where, None, found.stats,
                                             "csv"))


def load_trace(con, path, run_id: int, layer: int, buffer: str, level: str):
    """Append one trace file's accesses to accesses, as the ingest reads them; what was found in it."""
    from gainsight_db.loaders.scalesim_traces import read_trace

    found = read_trace(con, path, level)
    _record(con, found, path, run_id, layer, buffer, level)
    return found.stats


def load_trace_matrix(con, matrix, where: str, run_id: int, layer: int, buffer: str, level: str):
    """Append the accesses of one trace held as SCALE-Sim's matrix to accesses, as the ingest reads
    them (the same rules as the file); what was found in it."""
    from gainsight_db.loaders.scalesim_traces import matrix_accesses

    found = matrix_accesses(matrix, where, level)
    _record(con, found, where, run_id, layer, buffer, level)
    return found.stats


def store_accesses(con, rows) -> None:
    """Store accesses given as (run_id, layer, buffer, level, cycle, addr) rows, each trace with a
    trace_files row of its own (counts only), as an ingest would: a buffer with accesses has both its
    traces, one of them perhaps empty."""
    import numpy as np

    from gainsight_db.loaders.scalesim_traces import TraceAccesses, TraceStats

    traces: dict = {}
    for run_id, layer, buffer, level, cycle, addr in rows:
        for other in ("sram", "dram"):
            traces.setdefault((run_id, layer, buffer, other), [])
        traces[run_id, layer, buffer, level].append((cycle, addr))
    for (run_id, layer, buffer, level), cells in traces.items():
        cycles, addrs = (np.array(column, np.int32) for column in zip(*cells)) if cells else (np.zeros(0, np.int32),) * 2
        found = TraceAccesses(cycles, addrs, TraceStats(len(cells), len(cells), 0, 0, 0))
        _record(con, found, f"layer{layer}/{buffer.upper()}_{level.upper()}_TRACE.csv", run_id, layer, buffer, level)


# Older warehouses ---------------------------------------------------------------------------------
def reshape_generations_as_version_16(db) -> None:
    """_generations as versions up to 16 kept it: each row with its run, layer and buffer, not under
    the trace that writes into its buffer."""
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE _old_generations AS SELECT t.run_id, t.layer, t.buffer, g.addr, g.write_cycle, g.reads, "
                "g.last_read_cycle FROM _generations AS g JOIN trace_files AS t USING (trace_id) ORDER BY g.rowid")
    con.execute("DROP TABLE _generations")
    con.execute("CREATE TABLE _generations (run_id INTEGER NOT NULL, layer SMALLINT NOT NULL, "
                "buffer ENUM('ifmap', 'filter', 'ofmap') NOT NULL, addr INTEGER NOT NULL, write_cycle INTEGER, "
                "reads BIGINT NOT NULL, last_read_cycle INTEGER)")
    con.execute("INSERT INTO _generations SELECT * FROM _old_generations ORDER BY rowid")
    con.execute("DROP TABLE _old_generations")
    con.close()


def reshape_as_version_15(db) -> None:
    """The warehouse as version 15 kept it: a row of _accesses per access, no lifetimes counted by
    length, and _generations as version 16 kept it."""
    import duckdb

    reshape_generations_as_version_16(db)
    con = duckdb.connect(str(db))
    # each access in the order it was stored
    con.execute("CREATE TABLE _flat_accesses AS SELECT trace_id, cycle, addrs[i] AS addr FROM "
                "(SELECT rowid AS r, trace_id, cycle, addrs, generate_subscripts(addrs, 1) AS i FROM _accesses) "
                "ORDER BY r, i")
    con.execute("DROP TABLE _accesses")
    con.execute("CREATE TABLE _accesses (trace_id INTEGER NOT NULL, cycle INTEGER NOT NULL, addr INTEGER NOT NULL)")
    con.execute("INSERT INTO _accesses SELECT * FROM _flat_accesses ORDER BY rowid")
    con.execute("DROP TABLE _flat_accesses")
    con.execute("DROP TABLE _lifetime_lengths")
    con.close()


def reshape_as_version_14(db) -> None:
    """The accesses as versions up to 14 kept them: a table with the run, layer, buffer and level of
    every access, and traces without ids; no lifetimes counted by length (version 16); and
    _generations as version 16 kept it."""
    import duckdb

    reshape_generations_as_version_16(db)
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE _old_accesses (run_id INTEGER NOT NULL, layer SMALLINT NOT NULL, "
                "buffer ENUM('ifmap', 'filter', 'ofmap') NOT NULL, level ENUM('sram', 'dram') NOT NULL, "
                "cycle INTEGER NOT NULL, addr INTEGER NOT NULL)")
    con.execute("INSERT INTO _old_accesses SELECT run_id, layer, buffer, level, cycle, addr FROM accesses")
    con.execute("DROP VIEW accesses")
    con.execute("DROP TABLE _accesses")
    con.execute("ALTER TABLE _old_accesses RENAME TO accesses")
    con.execute("ALTER TABLE trace_files DROP COLUMN trace_id")
    con.execute("DROP TABLE _lifetime_lengths")
    con.close()
