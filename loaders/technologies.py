"""The memory-technology table: the shipped default (data/technologies.csv) or a user's CSV/JSON
file, validated row by row, loaded into the `technologies` table."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from importlib import resources
from pathlib import Path

import duckdb

from gainsight_db.common.errors import GsdbError

NUMBERS = ("retention_s", "area_um2_per_bit", "read_pj_per_bit", "write_pj_per_bit",
           "refresh_pj_per_bit", "leakage_pw_per_bit")
COLUMNS = ("technology", "cell", *NUMBERS, "source")
CELLS = ("sram", "gain_cell")
DEFAULT = "default"


def _number(where: str, column: str, value: object) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise GsdbError(f"{where}: {column} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GsdbError(f"{where}: {column} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0 or (column == "retention_s" and number == 0):
        raise GsdbError(f"{where}: {column} must be a {'positive' if column == 'retention_s' else 'non-negative'} "
                        f"finite number, got {value!r}")
    return number


def validate(rows: list[dict], name: str) -> list[dict]:
    """Rows with exactly the table's columns, known cells, numbers where numbers go, unique names,
    and at least one SRAM row to compare with."""
    if not rows:
        raise GsdbError(f"{name}: no technologies in the file")
    clean, seen = [], set()
    for index, row in enumerate(rows, start=1):
        where = f"{name}: technology {index}"
        if not isinstance(row, dict):
            raise GsdbError(f"{where}: expected an object with the columns {', '.join(COLUMNS)}")
        unknown = sorted(set(row) - set(COLUMNS))
        missing = [c for c in COLUMNS if c not in row]
        if unknown or missing:
            parts = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + \
                    ([f"missing column(s) {', '.join(missing)}"] if missing else [])
            raise GsdbError(f"{where}: {'; '.join(parts)} (expected {', '.join(COLUMNS)})")
        technology = str(row["technology"] or "").strip()
        if not technology:
            raise GsdbError(f"{where}: empty technology name")
        where = f"{name}: technology {technology!r}"
        if technology in seen:
            raise GsdbError(f"{where}: appears twice")
        seen.add(technology)
        cell = str(row["cell"] or "").strip()
        if cell not in CELLS:
            raise GsdbError(f"{where}: cell must be one of {', '.join(CELLS)}, got {row['cell']!r}")
        entry = {"technology": technology, "cell": cell, "source": str(row["source"] or "").strip() or None}
        entry.update({c: _number(where, c, row[c]) for c in NUMBERS})
        if cell == "sram" and entry["retention_s"] is not None:
            raise GsdbError(f"{where}: an SRAM cell has no retention time (leave retention_s empty)")
        clean.append(entry)
    if not any(r["cell"] == "sram" for r in clean):
        raise GsdbError(f"{name}: no technology with cell 'sram' to compare with")
    return clean


def read_technology_file(path: Path) -> list[dict]:
    """A user's technology table: CSV with a header, or JSON (a list of objects, or {"technologies": [...]})."""
    if not path.is_file():
        raise GsdbError(f"{path}: technology file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GsdbError(f"{path}: cannot read: {err}") from err
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise GsdbError(f"{path}: not valid JSON: {err.msg} at line {err.lineno}") from err
        if isinstance(data, dict) and isinstance(data.get("technologies"), list):
            data = data["technologies"]
        if not isinstance(data, list):
            raise GsdbError(f"{path}: expected a JSON list of technologies (or {{\"technologies\": [...]}})")
        return validate(data, str(path))
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows = []
        for row in reader:
            if None in row or None in row.values():
                raise GsdbError(f"{path}: line {reader.line_num}: wrong number of fields")
            rows.append(row)
        return validate(rows, str(path))
    raise GsdbError(f"{path}: unknown technology file format {suffix or '(no extension)'!r}: use .csv or .json")


def default_technologies() -> list[dict]:
    """The shipped, cited default table."""
    text = resources.files("gainsight_db").joinpath("data/technologies.csv").read_text(encoding="utf-8")
    return validate(list(csv.DictReader(text.splitlines())), "default technology table")


def replace_technologies(con: duckdb.DuckDBPyConnection, rows: list[dict], loaded_from: str) -> None:
    """Make `rows` the warehouse's technology table (inside the caller's transaction)."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    con.execute("DELETE FROM technologies")
    con.executemany(
        f"INSERT INTO technologies ({', '.join(COLUMNS)}, loaded_from, loaded_at) "
        f"VALUES ({', '.join('?' for _ in COLUMNS)}, ?, ?)",
        [[r[c] for c in COLUMNS] + [loaded_from, now] for r in rows],
    )
