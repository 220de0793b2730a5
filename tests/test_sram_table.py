"""The committed SRAM model table gainsight_db/data/sram_cacti.csv and the script that makes it.

The table's golden values are the CACTI figures printed in the project's technology facts (the 22 nm
64 KiB macro: 58,601 um^2, 9.77 uW leakage, 5.670 pJ read and 4.427 pJ write per 64-bit access), each
compared within the rounding of its printed digits. The script itself needs hwcomponents-cacti, which
needs Python >= 3.12: its tests run where that package is importable, or with GSDB_CACTI_PYTHON naming a
Python that has it, and are skipped otherwise."""

from __future__ import annotations

import csv
import importlib.util
import math
import os
import re
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest
from conftest import REPO

TABLE = REPO / "gainsight_db" / "data" / "sram_cacti.csv"
SOURCE = REPO / "gainsight_db" / "data" / "sram_cacti.source.txt"
SCRIPT = REPO / "tools" / "make_sram_table.py"
NODES = (22, 32, 45, 65)
KIB, MIB = 1024, 1024 * 1024
SIZES = (1 * KIB, 2 * KIB, 4 * KIB, 8 * KIB, 16 * KIB, 32 * KIB, 64 * KIB, 128 * KIB, 256 * KIB, 512 * KIB,
         1 * MIB, 2 * MIB, 4 * MIB, 8 * MIB)
PER_BIT = ("area_um2_per_bit", "read_pj_per_bit", "write_pj_per_bit", "leakage_pw_per_bit")
PER_MACRO = ("macro_area_um2", "read_pj_per_access", "write_pj_per_access", "leakage_uw")
COLUMNS = ("node_nm", "size_bytes", *PER_BIT, *PER_MACRO)


def _rows() -> list[dict]:
    with TABLE.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == COLUMNS
        return [{k: (int(v) if k in ("node_nm", "size_bytes") else float(v)) for k, v in r.items()} for r in reader]


ROWS = _rows()
BY_POINT = {(r["node_nm"], r["size_bytes"]): r for r in ROWS}


def _left_out() -> set[tuple[int, int]]:
    """The points the sidecar says CACTI could not model ("  22 nm, 8 MiB (8388608 bytes): why")."""
    text = SOURCE.read_text(encoding="utf-8")
    section = text.split("Points left out", 1)[1].split("\n\n", 1)[0]
    return {(int(n), int(b)) for n, b in re.findall(r"^\s+(\d+) nm, [^(]*\((\d+) bytes\):", section, re.MULTILINE)}


def _within_print(value: float, printed: str) -> bool:
    """value rounds to `printed`: within half a unit of its last printed digit."""
    half_unit = Decimal(1).scaleb(Decimal(printed).as_tuple().exponent) / 2
    return abs(Decimal(repr(value)) - Decimal(printed)) <= half_unit


def test_the_table_has_every_node_and_size_once_sorted_or_says_why_not():
    points = [(r["node_nm"], r["size_bytes"]) for r in ROWS]
    assert len(points) == len(set(points)) and points == sorted(points)
    left_out = _left_out()
    assert set(points).isdisjoint(left_out)
    assert set(points) | left_out == {(n, s) for n in NODES for s in SIZES}


def test_duckdb_reads_the_table_with_numeric_columns():
    con = duckdb.connect()
    rel = con.sql("SELECT * FROM read_csv(?)", params=[str(TABLE)])
    assert tuple(rel.columns) == COLUMNS
    assert [str(t) for t in rel.types[:2]] == ["BIGINT", "BIGINT"] and {str(t) for t in rel.types[2:]} == {"DOUBLE"}
    assert con.sql("SELECT count(*) FROM read_csv(?)", params=[str(TABLE)]).fetchall() == [(len(ROWS),)]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['node_nm']}nm-{r['size_bytes']}B" for r in ROWS])
def test_every_figure_is_positive_and_per_bit_is_per_macro_over_bits(row):
    assert all(math.isfinite(row[k]) and row[k] > 0 for k in PER_BIT + PER_MACRO)
    bits = 8 * row["size_bytes"]
    assert math.isclose(row["area_um2_per_bit"], row["macro_area_um2"] / bits, rel_tol=1e-9)
    assert math.isclose(row["read_pj_per_bit"], row["read_pj_per_access"] / 64, rel_tol=1e-9)
    assert math.isclose(row["write_pj_per_bit"], row["write_pj_per_access"] / 64, rel_tol=1e-9)
    assert math.isclose(row["leakage_pw_per_bit"], row["leakage_uw"] * 1e6 / bits, rel_tol=1e-9)


def test_the_22nm_64kib_macro_is_the_published_cacti_point():
    """58,601 um^2, 9.77 uW, 5.670 pJ read and 4.427 pJ write per 64-bit access (524,288 bits)."""
    row = BY_POINT[22, 64 * KIB]
    assert _within_print(row["macro_area_um2"], "58601")
    assert _within_print(row["leakage_uw"], "9.77")
    assert _within_print(row["read_pj_per_access"], "5.670")
    assert _within_print(row["write_pj_per_access"], "4.427")
    assert abs(row["area_um2_per_bit"] - 58601 / 524288) <= 0.5 / 524288
    assert abs(row["read_pj_per_bit"] - 5.670 / 64) <= 0.0005 / 64
    assert abs(row["write_pj_per_bit"] - 4.427 / 64) <= 0.0005 / 64
    assert abs(row["leakage_pw_per_bit"] - 9.77e6 / 524288) <= 0.005e6 / 524288


# The SRAM rows of the technology facts: node, size, area um^2/bit, read pJ/bit, write pJ/bit, leakage uW
# (None: not printed there).
PUBLISHED = [
    (65, 8 * KIB, "0.836", "0.174", "0.230", "1.78"),
    (65, 64 * KIB, "0.832", "0.735", "0.583", "10.8"),
    (45, 8 * KIB, "0.401", "0.096", "0.123", "0.26"),
    (45, 64 * KIB, "0.399", "0.404", "0.307", "1.67"),
    (22, 8 * KIB, "0.0956", "0.0248", "0.0277", "1.62"),
    (22, 64 * KIB, "0.112", "0.0886", "0.0692", "9.77"),
    (22, 1 * MIB, "0.093", "0.367", None, "138"),
]


@pytest.mark.parametrize("node,size,area,read,write,leakage", PUBLISHED,
                         ids=[f"{p[0]}nm-{p[1] // KIB}KiB" for p in PUBLISHED])
def test_the_published_rows_match_within_their_printed_rounding(node, size, area, read, write, leakage):
    row = BY_POINT[node, size]
    printed = {"area_um2_per_bit": area, "read_pj_per_bit": read, "write_pj_per_bit": write, "leakage_uw": leakage}
    off = {k: (row[k], p) for k, p in printed.items() if p is not None and not _within_print(row[k], p)}
    assert off == {}


@pytest.mark.parametrize("node", NODES)
def test_read_energy_per_bit_grows_with_the_macro_from_8kib_to_1mib(node):
    """A larger macro drives longer bit lines, word lines and H-tree wires for every access."""
    reads = [BY_POINT[node, s]["read_pj_per_bit"] for s in SIZES if 8 * KIB <= s <= 1 * MIB]
    assert len(reads) == 8 and all(a < b for a, b in zip(reads, reads[1:])), reads
    if node == 22:  # the technology facts: about 15x (0.0248 -> 0.367 pJ/bit)
        assert 13 < reads[-1] / reads[0] < 17


def test_the_sidecar_cites_the_model_and_how_to_regenerate():
    text = SOURCE.read_text(encoding="utf-8")
    for needle in ("not measurements", "hwcomponents-cacti 1.0.40", "CACTI 7.0", '"itrs-lstp"', "64-bit",
                   "python tools/make_sram_table.py", "--check"):
        assert needle in text, needle
    assert re.search(r"^Generated: \d{4}-\d\d-\d\d$", text, re.MULTILINE)


def _cacti_python() -> str | None:
    if importlib.util.find_spec("hwcomponents_cacti") is not None:
        return sys.executable
    return os.environ.get("GSDB_CACTI_PYTHON") or None


CACTI_PYTHON = _cacti_python()
needs_cacti = pytest.mark.skipif(
    CACTI_PYTHON is None,
    reason="hwcomponents-cacti is not importable here (it needs Python >= 3.12): set GSDB_CACTI_PYTHON to a "
           "Python that has it (docs/sram_model.md)")


def _script(*args: str, python: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([python or CACTI_PYTHON, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=300)


@needs_cacti
def test_the_model_reproduces_the_committed_22nm_8kib_row():
    """The package's SRAM class, called here directly, and the script's --check for the same point."""
    code = ("from hwcomponents_cacti import SRAM; s = SRAM(tech_node=22/1e9, width=64, size=8*8192);"
            "print(repr(s.area), repr(s.leak_power), repr(s.read().energy), repr(s.write().energy))")
    model = subprocess.run([CACTI_PYTHON, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    area_m2, leak_w, read_j, write_j = map(float, model.stdout.split())
    row = BY_POINT[22, 8 * KIB]
    for figure, expected in (("macro_area_um2", area_m2 * 1e12), ("leakage_uw", leak_w * 1e6),
                             ("read_pj_per_access", read_j * 1e12), ("write_pj_per_access", write_j * 1e12),
                             ("read_pj_per_bit", read_j * 1e12 / 64), ("area_um2_per_bit", area_m2 * 1e12 / 65536)):
        assert math.isclose(row[figure], expected, rel_tol=1e-9), figure
    check = _script("--check", "--node", "22", "--size", str(8 * KIB))
    assert (check.returncode, check.stdout) == (0, ""), check.stderr
    assert "1 of 1 points match" in check.stderr


@needs_cacti
def test_check_names_the_point_that_differs(tmp_path):
    altered = tmp_path / "sram_cacti.csv"
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("22,8192,"))
    fields = lines[i].split(",")
    fields[3] = repr(float(fields[3]) * 1.001)  # read_pj_per_bit
    lines[i] = ",".join(fields)
    altered.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check = _script("--check", "--output", str(altered), "--node", "22", "--size", str(8 * KIB))
    assert check.returncode == 1
    assert check.stdout.splitlines() == [check.stdout.strip()] and check.stdout.startswith("22 nm, 8192 bytes:")
    assert "read_pj_per_bit" in check.stdout and "area_um2_per_bit" not in check.stdout


@pytest.mark.skipif(importlib.util.find_spec("hwcomponents_cacti") is not None,
                    reason="hwcomponents-cacti is installed for this Python")
def test_without_the_model_the_script_says_so_in_one_line():
    proc = _script("--check", python=sys.executable)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("make_sram_table: error: hwcomponents-cacti is not installed")
    assert "pip install hwcomponents-cacti" in proc.stderr
