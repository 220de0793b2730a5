"""The built wheel: gsdb entry point, loaders/ and sql/ inside the package, nothing generic at top level."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_ships_sql_and_loaders_inside_the_package(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("gainsight_db-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names}
    assert top_level <= {"gainsight_db"} | {n.split("/")[0] for n in names if ".dist-info" in n}
    for sql in (REPO / "sql").rglob("*.sql"):
        assert f"gainsight_db/sql/{sql.relative_to(REPO / 'sql').as_posix()}" in names
    for module in (REPO / "loaders").glob("*.py"):
        assert f"gainsight_db/loaders/{module.name}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "gsdb = gainsight_db.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_wheel_ships_every_module_of_the_package(tmp_path):
    """The one list of packages in pyproject.toml misses no folder of gainsight_db/."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("gainsight_db-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = [p.relative_to(REPO).as_posix() for p in (REPO / "gainsight_db").rglob("*.py")]
    assert sources and [s for s in sources if s not in names] == []
    data = [p.relative_to(REPO).as_posix() for p in (REPO / "gainsight_db" / "data").iterdir()]
    assert "gainsight_db/data/technology_figures.csv" in data and "gainsight_db/data/sram_cacti.csv" in data
    assert [d for d in data if d not in names] == []


def test_the_package_imports_from_the_repository_root():
    """Run from the repository root, Python finds the source folder gainsight_db/ before the installed
    package; its subpackages loaders and sql must still be found, with every schema file."""
    code = (
        "import importlib.resources as r, gainsight_db.loaders.ingest, gainsight_db.sql, gainsight_db.cli;"
        "print(len([f for d in r.files('gainsight_db.sql').iterdir() if d.is_dir() for f in d.iterdir()"
        " if f.name.endswith('.sql')]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(list((REPO / "sql").rglob("*.sql")))
    version = subprocess.run([sys.executable, "-m", "gainsight_db", "--version"], cwd=REPO,
                             capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("gainsight-db "), version.stderr


def test_importing_the_package_has_no_side_effects(tmp_path):
    """Importing every module prints nothing, writes no file, and `import gainsight_db` leaves the
    command line (typer) and the plotting library unloaded."""
    modules = sorted(
        ".".join(("gainsight_db", *p.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        for root in (REPO / "gainsight_db",) for p in root.rglob("*.py") if p.name != "__main__.py"
    )
    code = (
        "import sys, importlib; import gainsight_db;"
        "light = not {'typer', 'matplotlib'} & set(sys.modules);"
        f"[importlib.import_module(m) for m in {modules!r}];"
        "print(light)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout, proc.stderr) == ("True\n", "")
    assert list(tmp_path.iterdir()) == []
