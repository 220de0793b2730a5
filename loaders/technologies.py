"""The memory-technology figures: the shipped default (data/technology_figures.csv, every figure
cited, and the SRAM model table data/sram_cacti.csv), a user's technology file, and assumptions,
validated row by row and loaded into the `technology_figures` table.

A user's file is either a per-bit table, one row per technology with the columns of `COLUMNS`, or a
figures table, one figure per row with the columns of `FIGURE_COLUMNS` (those of
technology_figures); CSV with a header, or JSON (a list of objects, or {"technologies": [...]})."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from gainsight_db.common.buffers import BUFFERS
from gainsight_db.common.errors import GsdbError

# The figures a technology can have, with their units.
UNITS = {
    "retention_s": "s",
    "area_um2_per_bit": "um^2/bit",
    "read_pj_per_bit": "pJ/bit",
    "write_pj_per_bit": "pJ/bit",
    "refresh_pj_per_bit": "pJ/bit",
    "leakage_pw_per_bit": "pW/bit",
}
NUMBERS = tuple(UNITS)
COLUMNS = ("technology", "cell", *NUMBERS, "source")  # a per-bit table's columns
FIGURE_COLUMNS = ("technology", "cell", "figure", "value", "unit", "node_nm", "size_bytes", "buffer", "kind",
                  "used", "source", "note")  # a figures table's columns (technology_figures')
_OPTIONAL_FIGURE_COLUMNS = {"unit", "node_nm", "size_bytes", "buffer", "kind", "used", "note"}
CELLS = ("sram", "gain_cell")
KINDS = ("measured", "model", "design", "user", "assumed")
DEFAULT = "default"

# The SRAM model table's columns that become figures, and the citation of its rows (the table's
# sidecar, data/sram_cacti.source.txt, says in full how it was made).
_SRAM_TABLE_FIGURES = ("area_um2_per_bit", "read_pj_per_bit", "write_pj_per_bit", "leakage_pw_per_bit")
SRAM_TABLE_SOURCE = ("CACTI 7.0 through hwcomponents-cacti 1.0.40 (hwcomponents 1.0.114), itrs-lstp cells, one 64-bit "
                     "port, one bank: a model's output, not a measurement (gainsight_db/data/sram_cacti.source.txt)")


def _number(where: str, column: str, value: object, *, positive: bool = False) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise GsdbError(f"{where}: {column} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GsdbError(f"{where}: {column} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise GsdbError(f"{where}: {column} must be a {'positive' if positive else 'non-negative'} "
                        f"finite number, got {value!r}")
    return number


def _whole(where: str, column: str, value: object) -> int | None:
    number = _number(where, column, value, positive=True)
    if number is None:
        return None
    if number != int(number):
        raise GsdbError(f"{where}: {column} must be a whole number, got {value!r}")
    return int(number)


def _flag(where: str, column: str, value: object) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise GsdbError(f"{where}: {column} must be true or false, got {value!r}")


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _figure(technology: str, cell: str, figure: str, value: float | None, *, kind: str, source: str | None,
            note: str | None = None, node_nm: float | None = None, size_bytes: int | None = None,
            buffer: str | None = None, used: bool = True) -> dict:
    return {"technology": technology, "cell": cell, "figure": figure, "value": value, "unit": UNITS[figure],
            "node_nm": node_nm, "size_bytes": size_bytes, "buffer": buffer, "kind": kind, "used": used,
            "source": source, "note": note}


def _check_columns(where: str, row: object, expected: tuple[str, ...], optional: set[str]) -> None:
    if not isinstance(row, dict):
        raise GsdbError(f"{where}: expected an object with the columns {', '.join(expected)}")
    unknown = sorted(set(row) - set(expected))
    missing = [c for c in expected if c not in row and c not in optional]
    if unknown or missing:
        parts = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + \
                ([f"missing column(s) {', '.join(missing)}"] if missing else [])
        raise GsdbError(f"{where}: {'; '.join(parts)} (expected {', '.join(expected)})")


def _cell(where: str, value: object) -> str:
    cell = str(value or "").strip()
    if cell not in CELLS:
        raise GsdbError(f"{where}: cell must be one of {', '.join(CELLS)}, got {value!r}")
    return cell


def per_bit_figures(rows: list, name: str, *, kind: str = "user") -> list[dict]:
    """A per-bit table (one row per technology, the columns of COLUMNS) as figures: each number a
    figure used at every size, node and buffer; an empty number a figure recorded as unknown."""
    if not rows:
        raise GsdbError(f"{name}: no technologies in the file")
    figures, seen = [], set()
    for index, row in enumerate(rows, start=1):
        where = f"{name}: technology {index}"
        _check_columns(where, row, COLUMNS, set())
        technology = _text(row["technology"])
        if not technology:
            raise GsdbError(f"{where}: empty technology name")
        where = f"{name}: technology {technology!r}"
        if technology in seen:
            raise GsdbError(f"{where}: appears twice")
        seen.add(technology)
        cell = _cell(where, row["cell"])
        source = _text(row["source"])
        for figure in NUMBERS:
            value = _number(where, figure, row[figure], positive=figure == "retention_s")
            if figure == "retention_s" and cell == "sram":
                if value is not None:
                    raise GsdbError(f"{where}: an SRAM cell has no retention time (leave retention_s empty)")
                continue
            figures.append(_figure(technology, cell, figure, value, kind=kind, source=source,
                                   note=None if value is not None else f"not given in {name}"))
    return check_figures(figures, name)


def figure_rows(rows: list, name: str) -> list[dict]:
    """A figures table (one figure per row, the columns of FIGURE_COLUMNS) validated."""
    if not rows:
        raise GsdbError(f"{name}: no figures in the file")
    figures = []
    for index, row in enumerate(rows, start=1):
        where = f"{name}: figure {index}"
        _check_columns(where, row, FIGURE_COLUMNS, _OPTIONAL_FIGURE_COLUMNS)
        technology = _text(row["technology"])
        if not technology:
            raise GsdbError(f"{where}: empty technology name")
        figure = _text(row["figure"])
        if figure not in UNITS:
            raise GsdbError(f"{where}: figure must be one of {', '.join(UNITS)}, got {row['figure']!r}")
        where = f"{name}: figure {index} ({technology} {figure})"
        cell = _cell(where, row["cell"])
        unit = _text(row.get("unit"))
        if unit is not None and unit != UNITS[figure]:
            raise GsdbError(f"{where}: unit must be {UNITS[figure]!r} for {figure}, got {unit!r}")
        kind = _text(row.get("kind")) or "user"
        if kind not in KINDS:
            raise GsdbError(f"{where}: kind must be one of {', '.join(KINDS)}, got {row.get('kind')!r}")
        buffer = _text(row.get("buffer"))
        if buffer is not None and buffer not in BUFFERS:
            raise GsdbError(f"{where}: buffer must be one of {', '.join(BUFFERS)} or empty, got {buffer!r}")
        if figure == "retention_s" and cell == "sram":
            raise GsdbError(f"{where}: an SRAM cell has no retention time")
        figures.append(_figure(
            technology, cell, figure, _number(where, "value", row["value"], positive=figure == "retention_s"),
            kind=kind, source=_text(row["source"]), note=_text(row.get("note")),
            node_nm=_number(where, "node_nm", row.get("node_nm"), positive=True),
            size_bytes=_whole(where, "size_bytes", row.get("size_bytes")), buffer=buffer,
            used=_flag(where, "used", row.get("used")),
        ))
    return check_figures(figures, name)


def check_figures(figures: list[dict], name: str) -> list[dict]:
    """Figures the comparison can resolve: one cell per technology, at most one used figure of each
    kind per technology and buffer (a table over sizes: one per size and node), and a technology with
    cell 'sram' to compare with."""
    cells: dict[str, str] = {}
    used: dict[tuple, str] = {}
    for row in figures:
        technology = row["technology"]
        if cells.setdefault(technology, row["cell"]) != row["cell"]:
            raise GsdbError(f"{name}: technology {technology!r} has two cells ({cells[technology]}, {row['cell']})")
        if not row["used"]:
            continue
        sized = row["size_bytes"] is not None
        key = (technology, row["figure"], row["buffer"], row["kind"] == "assumed", sized,
               row["node_nm"] if sized else None, row["size_bytes"])
        if key in used:
            where = f" for buffer {row['buffer']}" if row["buffer"] else ""
            at = f" at {row['size_bytes']} bytes" if sized else ""
            raise GsdbError(f"{name}: technology {technology!r} has two used {row['figure']} figures{where}{at}")
        used[key] = technology
    if not any(cell == "sram" for cell in cells.values()):
        raise GsdbError(f"{name}: no technology with cell 'sram' to compare with")
    return figures


def _read_rows(path: Path) -> list:
    text = _read_text(path)
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
        return data
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows = []
        for row in reader:
            if None in row or None in row.values():
                raise GsdbError(f"{path}: line {reader.line_num}: wrong number of fields")
            rows.append(row)
        return rows
    raise GsdbError(f"{path}: unknown technology file format {suffix or '(no extension)'!r}: use .csv or .json")


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise GsdbError(f"{path}: technology file not found")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GsdbError(f"{path}: cannot read: {err}") from err


def read_technology_file(path: Path) -> list[dict]:
    """A user's technology file as figures: a per-bit table or a figures table (told apart by a
    `figure` column)."""
    rows = _read_rows(path)
    if rows and isinstance(rows[0], dict) and "figure" in rows[0]:
        return figure_rows(rows, str(path))
    return per_bit_figures(rows, str(path))


def _data_text(name: str) -> str:
    return resources.files("gainsight_db").joinpath(f"data/{name}").read_text(encoding="utf-8")


def sram_model_figures() -> list[dict]:
    """The shipped SRAM model table (data/sram_cacti.csv: per-bit figures over sizes and nodes) as
    figures of the technology 'sram', cited by data/sram_cacti.source.txt."""
    source = SRAM_TABLE_SOURCE
    figures = []
    for row in csv.DictReader(_data_text("sram_cacti.csv").splitlines()):
        node, size = float(row["node_nm"]), int(row["size_bytes"])
        for figure in _SRAM_TABLE_FIGURES:
            figures.append(_figure("sram", "sram", figure, float(row[figure]), kind="model", source=source,
                                   node_nm=node, size_bytes=size, note=_sram_note(figure, row)))
    return figures


def _sram_note(figure: str, row: dict) -> str:
    bits = int(row["size_bytes"]) * 8
    if figure == "area_um2_per_bit":
        return f"{float(row['macro_area_um2']):,.6g} um^2 macro / {bits:,} bits"
    if figure == "leakage_pw_per_bit":
        return f"{float(row['leakage_uw']):,.6g} uW macro leakage / {bits:,} bits"
    action = "read" if figure == "read_pj_per_bit" else "write"
    return f"{float(row[f'{action}_pj_per_access']):.6g} pJ per 64-bit {action} / 64 bits"


def default_figures() -> list[dict]:
    """The shipped, cited default: the gain-cell figures and the SRAM model table."""
    cited = list(csv.DictReader(_data_text("technology_figures.csv").splitlines()))
    return check_figures(figure_rows(cited, "default technology figures") + sram_model_figures(),
                         "default technology figures")


@dataclass(frozen=True)
class Assumption:
    technology: str
    figure: str
    value: float

    @property
    def text(self) -> str:
        return f"{self.technology}.{self.figure}={self.value:g}"


def parse_assumption(text: str) -> Assumption:
    """'si_gain_cell.read_pj_per_bit=0.05' as an assumption."""
    name, sep, value = text.partition("=")
    technology, dot, figure = name.strip().rpartition(".")
    if not sep or not dot or not technology:
        raise GsdbError(f"--assume {text!r}: expected TECHNOLOGY.FIGURE=VALUE, e.g. si_gain_cell.read_pj_per_bit=0.05")
    if figure not in UNITS:
        raise GsdbError(f"--assume {text!r}: figure must be one of {', '.join(UNITS)}")
    number = _number(f"--assume {text!r}", "the value", value, positive=figure == "retention_s")
    if number is None:
        raise GsdbError(f"--assume {text!r}: no value")
    return Assumption(technology, figure, number)


def assumption_figures(figures: list[dict], assumptions: list[Assumption]) -> list[dict]:
    """`figures` with each assumption added as a used figure of kind 'assumed' for every buffer (an
    earlier assumption of the same figure is replaced)."""
    cells = {row["technology"]: row["cell"] for row in figures}
    given = {(a.technology, a.figure): a for a in assumptions}
    for a in given.values():
        if a.technology not in cells:
            raise GsdbError(f"--assume {a.text}: no technology {a.technology!r} (known: {', '.join(sorted(cells))})")
        if a.figure == "retention_s" and cells[a.technology] == "sram":
            raise GsdbError(f"--assume {a.text}: an SRAM cell has no retention time")
    kept = [row for row in figures
            if not (row["kind"] == "assumed" and row["buffer"] is None and (row["technology"], row["figure"]) in given)]
    return kept + [_figure(a.technology, cells[a.technology], a.figure, a.value, kind="assumed",
                           source="assumed (--assume)", note="given by the user, not a cited figure")
                   for a in given.values()]


def mark_loaded_now(con: duckdb.DuckDBPyConnection, table: str = "technology_figures") -> None:
    """Record every row of `table` as loaded now (a new warehouse copied from an empty one gets its
    default figures at its own creation, not at the empty warehouse's)."""
    from gainsight_db.loaders.catalog import utc_now

    con.execute(f"UPDATE {table} SET loaded_at = ?", [utc_now()])


def insert_figures(con: duckdb.DuckDBPyConnection, figures: list[dict], loaded_from: str,
                   table: str = "technology_figures") -> None:
    """Append figures to `table` (inside the caller's transaction), loaded from `loaded_from`: a few
    hundred rows at most, as plain parameters (no DataFrame or Arrow library to load)."""
    from gainsight_db.loaders.catalog import utc_now

    now = utc_now()
    row = f"({', '.join('?' for _ in FIGURE_COLUMNS)}, ?, ?)"
    for start in range(0, len(figures), 200):
        chunk = figures[start:start + 200]
        values = [value for f in chunk for value in (*(f[c] for c in FIGURE_COLUMNS), loaded_from, now)]
        con.execute(f"INSERT INTO {table} ({', '.join(FIGURE_COLUMNS)}, loaded_from, loaded_at) "
                    f"VALUES {', '.join(row for _ in chunk)}", values)


def replace_figures(con: duckdb.DuckDBPyConnection, figures: list[dict], loaded_from: str,
                    table: str = "technology_figures") -> None:
    """Make `figures` the whole of `table` (inside the caller's transaction)."""
    con.execute(f"DELETE FROM {table}")
    insert_figures(con, figures, loaded_from, table)


def stored_figures(con: duckdb.DuckDBPyConnection, table: str = "technology_figures") -> list[dict]:
    """The figures now in `table`, as dicts (with loaded_from)."""
    cursor = con.execute(f"SELECT {', '.join(FIGURE_COLUMNS)}, loaded_from FROM {table}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]
