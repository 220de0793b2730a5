"""Shared fixtures: paths to the real sample data, a fresh warehouse, and running the real `gsdb`."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SCALESIM_DATA = SHARED_DATA / "scalesim"
EXAMPLE_RUN = REPO / "examples" / "scalesim_tiny_8x8_ws"

# Every shared SCALE-Sim sample: folder -> run directory inside it.
SCALESIM_SAMPLES = {
    sample.name: next(p for p in sample.iterdir() if p.is_dir() and p.name != "inputs")
    for sample in sorted(SCALESIM_DATA.glob("v*_api_*"))
}


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
    """A writable copy of a shared sample (its run directory and inputs); returns the run directory."""
    source = SCALESIM_DATA / sample
    shutil.copytree(source, dest / sample)
    for path in (dest / sample).rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest / sample / SCALESIM_SAMPLES[sample].name


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
