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
