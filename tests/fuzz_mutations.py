"""The fuzz suite's generator: named mutations of the real inputs in tests/data, and the seeded list of
cases the suite runs.

A mutation kind is a function `(target, rng) -> Mutation` that changes a writable copy of a sample in
place: for SCALE-Sim kinds the target is a copied run directory, for AI Engine kinds a copied trace
file. `rng` (a random.Random seeded from the case) chooses the file, line, cell, event and value, so
a case (kind, index) under a base seed always makes the same bytes. Kinds marked `must_accept` leave
the input as the tool itself could write it (the same bytes, or another valid value), so the
warehouse must load them: they keep the suite's "accepted" branch busy with real data.

The number of cases per kind is GSDB_FUZZ_CASES (default 2) and the base seed GSDB_FUZZ_SEED
(default 13): CI runs the defaults; `GSDB_FUZZ_CASES=20 GSDB_FUZZ_SEED=7 pytest tests/test_fuzz.py`
tries more.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# The bigger run (2.6 MB of traces) is drawn one time in five.
SCALESIM = ("v3_api_tiny_8x8_ws", "v2_api_tiny_8x8_ws", "v3_api_small3_16x16_os", "v3_api_tiny_8x8_ws",
            "v2_api_tiny_8x8_ws")
PADDED = ("v3_api_small3_16x16_os",)  # CALC-mode DRAM padding (layer2 FILTER_DRAM_TRACE.csv)
AIE = (
    "Xilinx_mlir-aie__section-4b__trace_4b.json",
    "ngdymx_ryzen-mlir-make__trace_mm_oldnames.json",
    "ChengyueWang_mlir-aie__section-4b__trace_4b.json",
    "ChengyueWang_mlir-aie__vector_scalar_mul__trace_vector_scalar_mul.json",
)
REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")
DEFAULT_CASES = 2
DEFAULT_SEED = 13


@dataclass(frozen=True)
class Mutation:
    path: Path  # the file changed
    what: str  # what was done, e.g. "line 12, field 3: '10000043' -> '10000043.7'"
    run_level: bool = False  # files that disagree: an error may name the run folder instead


@dataclass(frozen=True)
class Kind:
    name: str
    family: str  # 'trace', 'report' (SCALE-Sim runs) or 'aie'
    mutate: Callable[[Path, random.Random], Mutation]
    samples: tuple[str, ...]
    must_accept: bool = False
    documented: str = ""  # a rule of docs/definitions.md that accepts what the oracle refuses


KINDS: dict[str, Kind] = {}

# Where docs/definitions.md, as written, accepts input that SCALE-Sim or mlir-aie never writes. The
# oracle refuses it all the same; a failure of these kinds says so, to be settled in the docs or the loader.
EMPTY_CELLS = "docs/definitions.md: 'Empty cells and the missing cells of short (ragged) rows are not accesses'"
TS_CONVERTED = ("docs/definitions.md: 'a float is truncated toward zero and a string holding an integer is "
                "read as that integer'")


def kind(family: str, samples: tuple[str, ...] | None = None, must_accept: bool = False, documented: str = ""):
    def register(func):
        default = AIE if family == "aie" else SCALESIM
        KINDS[func.__name__] = Kind(func.__name__, family, func, samples or default, must_accept, documented)
        return func
    return register


@dataclass(frozen=True)
class Case:
    kind: Kind
    index: int
    base_seed: int

    @property
    def id(self) -> str:
        return f"{self.kind.name}-{self.index}"

    def rng(self) -> random.Random:
        return random.Random(f"{self.base_seed}/{self.kind.name}/{self.index}")

    @property
    def sample(self) -> str:
        return random.Random(f"{self.base_seed}/{self.kind.name}/{self.index}/sample").choice(self.kind.samples)


def cases(per_kind: int | None = None, base_seed: int | None = None) -> list[Case]:
    """Every kind times `per_kind` indexes (GSDB_FUZZ_CASES), under `base_seed` (GSDB_FUZZ_SEED)."""
    per_kind = per_kind if per_kind is not None else int(os.environ.get("GSDB_FUZZ_CASES", DEFAULT_CASES))
    base_seed = base_seed if base_seed is not None else int(os.environ.get("GSDB_FUZZ_SEED", DEFAULT_SEED))
    return [Case(k, i, base_seed) for k in KINDS.values() for i in range(per_kind)]


# Text helpers -------------------------------------------------------------------------------------
def _lines(path: Path) -> list[str]:
    text = path.read_bytes().decode("ascii")
    assert text.endswith("\n")
    return text[:-1].split("\n")


def _write_lines(path: Path, lines: list[str | bytes]) -> None:
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n")


def _rel(run: Path, path: Path) -> str:
    return str(path.relative_to(run))


# SCALE-Sim traces ---------------------------------------------------------------------------------
def _level(path: Path) -> str:
    return "dram" if "_DRAM_" in path.name else "sram"


def _pick_trace(run: Path, rng: random.Random, level: str | None = None, where=None) -> Path:
    """A trace of the run (of `level`), one that has a cell `where(cell, column)` accepts."""
    traces = sorted(p for p in run.glob("layer*/*_TRACE.csv") if level in (None, _level(p)))
    rng.shuffle(traces)
    for path in traces:
        if where is None or any(where(c, i) for line in _lines(path) for i, c in enumerate(line.split(","))):
            return path
    raise AssertionError(f"no trace of {run} has the cell wanted")


def _is_addr(cell: str, column: int) -> bool:
    return column > 0 and cell not in ("-1", "-1.0")


def _is_idle(cell: str, column: int) -> bool:
    return column > 0 and cell in ("-1", "-1.0")


def _pick_cell(lines: list[str], rng: random.Random, where) -> tuple[int, int, str]:
    """(row, column, cell) of a random cell that `where(cell, column)` accepts."""
    rows = list(range(len(lines)))
    rng.shuffle(rows)
    for row in rows:
        cells = lines[row].split(",")
        columns = [i for i, c in enumerate(cells) if where(c, i)]
        if columns:
            column = rng.choice(columns)
            return row, column, cells[column]
    raise AssertionError("no such cell")


def _replace_cell(run: Path, rng: random.Random, where, new: Callable[[str, str, int], str | bytes],
                  level: str | None = None) -> Mutation:
    """Replace one cell `where` accepts with `new(cell, level, column)` (text, or bytes as they are)."""
    path = _pick_trace(run, rng, level, where)
    lines: list[str | bytes] = list(_lines(path))
    row, column, cell = _pick_cell(lines, rng, where)
    value = new(cell, _level(path), column)
    cells = lines[row].split(",")
    if isinstance(value, bytes):
        cells_b = [c.encode() for c in cells]
        cells_b[column] = value
        lines[row] = b",".join(cells_b)
    else:
        cells[column] = value
        lines[row] = ",".join(cells)
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)} line {row + 1}, field {column + 1}: {cell!r} -> {value!r}")


def _any_cell(rng: random.Random):
    """A cell chooser: the cycle a quarter of the time, else an address or idle slot."""
    if rng.random() < 0.25:
        return lambda c, i: i == 0
    return lambda c, i: i > 0


def _int_of(cell: str) -> int:
    return int(float(cell))


def _spell(value: int | str, level: str) -> str:
    """A value as SCALE-Sim prints it in a trace of `level`."""
    return f"{value}.0" if level == "dram" else str(value)


@kind("trace")
def trace_cell_fraction(run: Path, rng: random.Random) -> Mutation:
    return _replace_cell(run, rng, _any_cell(rng), lambda c, lv, i: f"{abs(_int_of(c))}.{rng.choice([7, 5, 25])}")


@kind("trace")
def trace_cell_near_integer(run: Path, rng: random.Random) -> Mutation:
    def new(c, lv, i):
        return f"{_int_of(c)}.0000001"  # 180 -> 180.0000001, an idle -1 -> -1.0000001
    return _replace_cell(run, rng, _any_cell(rng), new)


@kind("trace")
def trace_cell_underscore(run: Path, rng: random.Random) -> Mutation:
    def new(c, lv, i):
        digits = str(abs(_int_of(c)))
        cut = rng.randrange(1, len(digits))
        text = ("-" if _int_of(c) < 0 else "") + digits[:cut] + "_" + digits[cut:]
        return text + (".0" if lv == "dram" else "")
    return _replace_cell(run, rng, lambda c, i: len(str(abs(_int_of(c)))) >= 2, new)


@kind("trace")
def trace_cell_exponent(run: Path, rng: random.Random) -> Mutation:
    """The same value in exponent notation: 180 -> 1.8e2, 1000 -> 1e3."""
    def new(c, lv, i):
        v = _int_of(c)
        digits = str(abs(v)).rstrip("0") or "0"
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp = len(str(abs(v))) - 1
        return ("-" if v < 0 else "") + mantissa + rng.choice(["e", "e+", "E"]) + str(exp)
    return _replace_cell(run, rng, lambda c, i: _int_of(c) not in (0, -1) and abs(_int_of(c)) >= 10, new)


@kind("trace")
def trace_cell_huge(run: Path, rng: random.Random) -> Mutation:
    value = rng.choice(["9223372036854775808", "18446744073709551616", "1e20", "2147483648", "4294967296"])
    return _replace_cell(run, rng, _any_cell(rng), lambda c, lv, i: value if "e" in value else _spell(value, lv))


@kind("trace")
def trace_cell_negative(run: Path, rng: random.Random) -> Mutation:
    value = -rng.choice([2, 5, 180, 10000043])
    return _replace_cell(run, rng, _any_cell(rng), lambda c, lv, i: _spell(value, lv))


@kind("trace")
def trace_cell_nan_inf(run: Path, rng: random.Random) -> Mutation:
    value = rng.choice(["nan", "NaN", "inf", "-inf", "Infinity", "-nan"])
    return _replace_cell(run, rng, _any_cell(rng), lambda c, lv, i: value)


@kind("trace", documented=EMPTY_CELLS)
def trace_cell_empty(run: Path, rng: random.Random) -> Mutation:
    return _replace_cell(run, rng, _any_cell(rng), lambda c, lv, i: "")


@kind("trace")
def trace_cell_text(run: Path, rng: random.Random) -> Mutation:
    value = rng.choice(["abc", "0x1f", "12abc", "null", "--1", "1.2.3", '"5"'])
    return _replace_cell(run, rng, _any_cell(rng), lambda c, lv, i: value)


@kind("trace")
def trace_cell_non_utf8(run: Path, rng: random.Random) -> Mutation:
    value = rng.choice([b"\xff\xfe", b"1\xe92", b"\xc3", b"12\x80"])
    return _replace_cell(run, rng, _any_cell(rng), lambda c, lv, i: value)


@kind("trace")
def trace_cell_whitespace(run: Path, rng: random.Random) -> Mutation:
    pad = rng.choice([(" ", ""), ("", " "), ("\t", ""), (" ", " ")])
    return _replace_cell(run, rng, _any_cell(rng), lambda c, lv, i: pad[0] + c + pad[1])


@kind("trace")
def trace_cell_other_spelling(run: Path, rng: random.Random) -> Mutation:
    """The same number spelt as SCALE-Sim never does: '+180', '0180', an SRAM '180.0', a DRAM '180'."""
    def new(c, lv, i):
        v = _int_of(c)
        if lv == "sram":
            options = [f"{v}.0", f"0{v}" if v >= 0 else f"-0{-v}", f"+{v}" if v >= 0 else f"{v}.00"]
        else:
            options = [str(v), f"{v}.00", f"{v}.", f"+{v}.0" if v >= 0 else f"-0{-v}.0"]
        return rng.choice(options)
    return _replace_cell(run, rng, _any_cell(rng), new)


@kind("trace")
def trace_drop_rows(run: Path, rng: random.Random) -> Mutation:
    path = _pick_trace(run, rng, where=None)
    lines = _lines(path)
    while len(lines) < 3:
        path = _pick_trace(run, rng)
        lines = _lines(path)
    drop = sorted(rng.sample(range(len(lines)), rng.randint(1, min(3, len(lines) - 1))))
    _write_lines(path, [x for i, x in enumerate(lines) if i not in drop])
    return Mutation(path, f"{_rel(run, path)}: dropped line(s) {[i + 1 for i in drop]} of {len(lines)}")


@kind("trace")
def trace_duplicate_row(run: Path, rng: random.Random) -> Mutation:
    path = _pick_trace(run, rng)
    lines = _lines(path)
    row = rng.randrange(len(lines))
    at = rng.choice([row + 1, rng.randrange(len(lines) + 1)])
    lines.insert(at, lines[row])
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)}: line {row + 1} repeated as line {at + 1}")


@kind("trace")
def trace_reorder_rows(run: Path, rng: random.Random) -> Mutation:
    path = _pick_trace(run, rng)
    lines = _lines(path)
    while len(lines) < 2 or len(set(lines)) < 2:
        path = _pick_trace(run, rng)
        lines = _lines(path)
    i, j = rng.sample(range(len(lines)), 2)
    while lines[i] == lines[j]:
        i, j = rng.sample(range(len(lines)), 2)
    lines[i], lines[j] = lines[j], lines[i]
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)}: lines {min(i, j) + 1} and {max(i, j) + 1} swapped")


@kind("trace")
def trace_truncate_mid_line(run: Path, rng: random.Random) -> Mutation:
    """Cut the file inside a line (after a comma, or inside a cell): the last line has no newline."""
    path = _pick_trace(run, rng)
    data = path.read_bytes()
    starts = [0] + [i + 1 for i, b in enumerate(data[:-1]) if b == 0x0A]
    start = rng.choice(starts)
    end = data.index(b"\n", start)
    if rng.random() < 0.4 and b"," in data[start:end]:
        commas = [i + 1 for i in range(start, end) if data[i] == 0x2C]
        cut = rng.choice(commas)
    else:
        cut = rng.randrange(start + 1, end)
    path.write_bytes(data[:cut])
    return Mutation(path, f"{_rel(run, path)}: cut at byte {cut} of {len(data)}, inside line "
                          f"{starts.index(start) + 1} ({data[start:cut][-20:].decode()!r})")


@kind("trace")
def trace_truncate_at_line_end(run: Path, rng: random.Random) -> Mutation:
    """Cut the file after a complete line: fewer rows, every line whole."""
    path = _pick_trace(run, rng)
    lines = _lines(path)
    while len(lines) < 2:
        path = _pick_trace(run, rng)
        lines = _lines(path)
    keep = rng.randrange(1, len(lines))
    _write_lines(path, lines[:keep])
    return Mutation(path, f"{_rel(run, path)}: kept the first {keep} of {len(lines)} lines")


@kind("trace", documented=EMPTY_CELLS)
def trace_ragged_row(run: Path, rng: random.Random) -> Mutation:
    """A row shorter or longer than the others, or a blank line."""
    path = _pick_trace(run, rng)
    lines = _lines(path)
    row = rng.randrange(len(lines))
    cells = lines[row].split(",")
    how = rng.choice(["short", "long", "blank"])
    if how == "short" and len(cells) > 2:
        n = rng.randint(1, len(cells) - 2)
        lines[row] = ",".join(cells[:-n])
        what = f"line {row + 1}: last {n} cell(s) removed"
    elif how == "blank":
        lines.insert(row, "")
        what = f"blank line inserted as line {row + 1}"
    else:
        extra = [_spell(rng.randrange(2, 500), _level(path)) for _ in range(rng.randint(1, 3))]
        lines[row] = ",".join(cells + extra)
        what = f"line {row + 1}: cells {extra} appended"
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)} {what}")


@kind("trace", must_accept=True)
def trace_rewrite_identical(run: Path, rng: random.Random) -> Mutation:
    path = _pick_trace(run, rng)
    path.write_bytes(path.read_bytes())
    return Mutation(path, f"{_rel(run, path)}: rewritten with the same bytes")


def _fresh_address(cells: list[str], rng: random.Random, level: str) -> str:
    taken = {_int_of(c) for c in cells[1:]}
    while True:
        v = rng.choice([rng.randrange(2, 2000), rng.randrange(10_000_000, 10_001_000), rng.randrange(20_000_000, 20_001_000)])
        if v not in taken:
            return _spell(v, level)


@kind("trace", must_accept=True)
def trace_addr_other_valid(run: Path, rng: random.Random) -> Mutation:
    """An address changed to another one, spelt as SCALE-Sim spells it (never 1, so no padding changes)."""
    path = _pick_trace(run, rng, where=lambda c, i: _is_addr(c, i) and _int_of(c) != 1)
    lines = _lines(path)
    row, column, cell = _pick_cell(lines, rng, lambda c, i: _is_addr(c, i) and _int_of(c) != 1)
    cells = lines[row].split(",")
    cells[column] = _fresh_address(cells, rng, _level(path))
    lines[row] = ",".join(cells)
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)} line {row + 1}, field {column + 1}: {cell!r} -> {cells[column]!r}")


@kind("trace", must_accept=True)
def trace_idle_to_addr(run: Path, rng: random.Random) -> Mutation:
    """An idle slot (-1) filled with an address, spelt as SCALE-Sim spells it."""
    path = _pick_trace(run, rng, where=_is_idle)
    lines = _lines(path)
    row, column, cell = _pick_cell(lines, rng, _is_idle)
    cells = lines[row].split(",")
    cells[column] = _fresh_address(cells, rng, _level(path))
    lines[row] = ",".join(cells)
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)} line {row + 1}, field {column + 1}: {cell!r} -> {cells[column]!r}")


def _padded_rows(lines: list[str]) -> list[int]:
    return [i for i, x in enumerate(lines) if x.endswith(",1.0,1.0")]


def _padding_start(cells: list[str]) -> int:
    start = len(cells)
    while start > 1 and cells[start - 1] == "1.0":
        start -= 1
    return start


def _padded_trace(run: Path) -> tuple[Path, list[str]]:
    path = run / "layer2" / "FILTER_DRAM_TRACE.csv"
    lines = _lines(path)
    assert _padded_rows(lines), "the padded sample has no padded DRAM row"
    return path, lines


@kind("trace", samples=PADDED, must_accept=True)
def dram_padding_to_single_one(run: Path, rng: random.Random) -> Mutation:
    """A padded row whose run of 1.0 is cut to one cell (the others idle): one access to address 1."""
    path, lines = _padded_trace(run)
    row = rng.choice(_padded_rows(lines))
    cells = lines[row].split(",")
    start = _padding_start(cells)
    cells[start:-1] = ["-1.0"] * (len(cells) - 1 - start)
    lines[row] = ",".join(cells)
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)} line {row + 1}: padding cut to a single trailing 1.0")


@kind("trace", samples=PADDED, must_accept=True)
def dram_padding_longer(run: Path, rng: random.Random) -> Mutation:
    """A padded row whose last address before the padding becomes 1.0 too (more padding)."""
    path, lines = _padded_trace(run)
    rows = [i for i in _padded_rows(lines) if _padding_start(lines[i].split(",")) > 1]
    row = rng.choice(rows)
    cells = lines[row].split(",")
    start = _padding_start(cells)
    old = cells[start - 1]
    cells[start - 1] = "1.0"
    lines[row] = ",".join(cells)
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)} line {row + 1}, field {start}: {old!r} -> '1.0' (padding one longer)")


@kind("trace", samples=PADDED, must_accept=True)
def dram_padding_not_trailing(run: Path, rng: random.Random) -> Mutation:
    """A padded row ending in an address after its 1.0 cells: they are then accesses to address 1."""
    path, lines = _padded_trace(run)
    row = rng.choice(_padded_rows(lines))
    cells = lines[row].split(",")
    cells[-1] = f"{rng.randrange(2, 5000)}.0"
    lines[row] = ",".join(cells)
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)} line {row + 1}: last cell '1.0' -> {cells[-1]!r}")


@kind("trace", samples=("v3_api_tiny_8x8_ws", "v2_api_tiny_8x8_ws"), must_accept=True)
def sram_trailing_ones(run: Path, rng: random.Random) -> Mutation:
    """An SRAM row ending in two addresses 1 (SRAM traces have no padding: both are accesses)."""
    path = _pick_trace(run, rng, "sram")
    lines = _lines(path)
    row = rng.randrange(len(lines))
    cells = lines[row].split(",")
    if len(cells) < 3:
        raise AssertionError("SRAM rows of the samples have 8 or more cells")
    cells[-2:] = ["1", "1"]
    lines[row] = ",".join(cells)
    _write_lines(path, lines)
    return Mutation(path, f"{_rel(run, path)} line {row + 1}: last two cells -> '1', '1'")


# SCALE-Sim reports --------------------------------------------------------------------------------
_INT_COLUMNS = {
    "COMPUTE_REPORT.csv": ("Total Cycles (incl. prefetch)", "Total Cycles", "Stall Cycles"),
    "BANDWIDTH_REPORT.csv": (),
    "DETAILED_ACCESS_REPORT.csv": tuple(
        f"{lv} {b} {w}" for lv in ("SRAM", "DRAM") for b, w in (("IFMAP", "Reads"), ("Filter", "Reads"), ("OFMAP", "Writes"))
    ),
}


def _report_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header names and rows of fields of a report (", " separated, trailing comma dropped)."""
    lines = _lines(path)
    return lines[0][:-1].split(", "), [x[:-1].split(", ") for x in lines[1:]]


def _write_report(path: Path, header: list[str], rows: list[list[str | bytes]]) -> None:
    def line(fields):
        return b", ".join(f if isinstance(f, bytes) else f.encode() for f in fields) + b","
    path.write_bytes(b"\n".join(line(f) for f in [header, *rows]) + b"\n")


def _replace_report_field(run: Path, rng: random.Random, columns_of, new) -> Mutation:
    """One field of a report column `columns_of(file, header)` allows, replaced with `new(old)`."""
    choices = []
    for name in REPORTS:
        header, _ = _report_table(run / name)
        choices += [(name, c) for c in columns_of(name, header)]
    name, column = rng.choice(choices)
    path = run / name
    header, rows = _report_table(path)
    row = rng.randrange(len(rows))
    col = header.index(column)
    old = rows[row][col]
    rows[row][col] = new(old)
    _write_report(path, header, rows)
    return Mutation(path, f"{name} line {row + 2}, {column}: {old!r} -> {rows[row][col]!r}")


def _int_columns(name: str, header: list[str]) -> list[str]:
    return [c for c in _INT_COLUMNS[name] if c in header]


def _float_columns(name: str, header: list[str]) -> list[str]:
    return [c for c in header[1:] if c not in _INT_COLUMNS[name] and "Cycle" not in c]


def _non_id_columns(name: str, header: list[str]) -> list[str]:
    return header[1:]


@kind("report")
def report_int_fraction(run: Path, rng: random.Random) -> Mutation:
    return _replace_report_field(run, rng, _int_columns, lambda old: f"{old}.{rng.choice([5, 7, 25])}")


@kind("report")
def report_int_as_float(run: Path, rng: random.Random) -> Mutation:
    return _replace_report_field(run, rng, _int_columns, lambda old: f"{old}.0")


@kind("report")
def report_int_near_integer(run: Path, rng: random.Random) -> Mutation:
    return _replace_report_field(run, rng, _int_columns, lambda old: rng.choice([f"{old}.0000001", f"{int(old) - 1}.9999999"]))


@kind("report")
def report_int_huge(run: Path, rng: random.Random) -> Mutation:
    value = rng.choice(["9223372036854775808", "18446744073709551616", "1e20", "99999999999999999999"])
    return _replace_report_field(run, rng, _int_columns, lambda old: value)


@kind("report")
def report_int_nan_inf(run: Path, rng: random.Random) -> Mutation:
    value = rng.choice(["nan", "NaN", "inf", "-inf"])
    return _replace_report_field(run, rng, _int_columns, lambda old: value)


@kind("report")
def report_int_negative(run: Path, rng: random.Random) -> Mutation:
    return _replace_report_field(run, rng, _int_columns, lambda old: f"-{old}" if old != "0" else "-3")


@kind("report")
def report_float_not_a_number(run: Path, rng: random.Random) -> Mutation:
    value = rng.choice(["nan", "inf", "-inf", "abc", "1,5", "0x10"])
    return _replace_report_field(run, rng, _float_columns, lambda old: value)


@kind("report")
def report_cell_empty(run: Path, rng: random.Random) -> Mutation:
    return _replace_report_field(run, rng, _non_id_columns, lambda old: "")


@kind("report")
def report_cell_non_utf8(run: Path, rng: random.Random) -> Mutation:
    value = rng.choice([b"\xff", b"1\xe90", b"\xc3"])
    return _replace_report_field(run, rng, _non_id_columns, lambda old: value)


@kind("report")
def report_cycle_not_integral(run: Path, rng: random.Random) -> Mutation:
    """A DETAILED_ACCESS_REPORT start or stop cycle that is a fraction, or an int spelling."""
    def cycles(name, header):
        return [c for c in header if "Cycle" in c] if name == "DETAILED_ACCESS_REPORT.csv" else []
    return _replace_report_field(run, rng, cycles,
                                 lambda old: rng.choice([old[:-2] + ".5", old[:-2], old + "0000001"]))


@kind("report", must_accept=True)
def report_int_other_valid(run: Path, rng: random.Random) -> Mutation:
    return _replace_report_field(run, rng, _int_columns, lambda old: str(int(old) + rng.randint(1, 1000)))


@kind("report", must_accept=True)
def report_float_other_valid(run: Path, rng: random.Random) -> Mutation:
    return _replace_report_field(run, rng, _float_columns, lambda old: repr(rng.uniform(0, 100)))


@kind("report", must_accept=True)
def report_rewrite_identical(run: Path, rng: random.Random) -> Mutation:
    path = run / rng.choice(REPORTS)
    path.write_bytes(path.read_bytes())
    return Mutation(path, f"{path.name}: rewritten with the same bytes")


@kind("report")
def report_layer_duplicated(run: Path, rng: random.Random) -> Mutation:
    names = [rng.choice(REPORTS)] if rng.random() < 0.5 else list(REPORTS)
    row = rng.randrange(3)
    for name in names:
        header, rows = _report_table(run / name)
        rows.insert(row + 1, list(rows[row]))
        _write_report(run / name, header, rows)
    return Mutation(run / names[0], f"{', '.join(names)}: the row of LayerID {row} repeated", run_level=True)


@kind("report")
def report_layer_missing(run: Path, rng: random.Random) -> Mutation:
    """A layer's row removed from one report (the reports disagree) or from all three (LayerIDs 0, 2)."""
    names = [rng.choice(REPORTS)] if rng.random() < 0.5 else list(REPORTS)
    row = rng.choice([0, 1]) if len(names) > 1 else rng.randrange(3)
    for name in names:
        header, rows = _report_table(run / name)
        del rows[row]
        _write_report(run / name, header, rows)
    return Mutation(run / names[0], f"{', '.join(names)}: the row of LayerID {row} removed", run_level=True)


@kind("report")
def report_last_layer_removed_everywhere(run: Path, rng: random.Random) -> Mutation:
    """The last layer's row removed from all three reports: a consistent run of fewer layers."""
    for name in REPORTS:
        header, rows = _report_table(run / name)
        del rows[-1]
        _write_report(run / name, header, rows)
    return Mutation(run / "COMPUTE_REPORT.csv", "every report: the last layer's row removed", run_level=True)


@kind("report")
def report_layer_sets_disagree(run: Path, rng: random.Random) -> Mutation:
    name = rng.choice(REPORTS)
    header, rows = _report_table(run / name)
    row = rng.randrange(len(rows))
    old = rows[row][0]
    rows[row][0] = str(rng.choice([5, 9, len(rows)]))
    _write_report(run / name, header, rows)
    return Mutation(run / name, f"{name} line {row + 2}: LayerID {old} -> {rows[row][0]}", run_level=True)


@kind("report")
def report_rows_swapped(run: Path, rng: random.Random) -> Mutation:
    names = [rng.choice(REPORTS)] if rng.random() < 0.5 else list(REPORTS)
    i, j = rng.sample(range(3), 2)
    for name in names:
        header, rows = _report_table(run / name)
        rows[i], rows[j] = rows[j], rows[i]
        _write_report(run / name, header, rows)
    return Mutation(run / names[0], f"{', '.join(names)}: rows of LayerIDs {i} and {j} swapped", run_level=True)


@kind("report")
def report_missing_column(run: Path, rng: random.Random) -> Mutation:
    name = rng.choice(REPORTS)
    header, rows = _report_table(run / name)
    col = rng.randrange(len(header))
    column = header[col]
    _write_report(run / name, header[:col] + header[col + 1:], [r[:col] + r[col + 1:] for r in rows])
    return Mutation(run / name, f"{name}: column {column!r} removed")


@kind("report")
def report_extra_column(run: Path, rng: random.Random) -> Mutation:
    name = rng.choice(REPORTS)
    header, rows = _report_table(run / name)
    col = rng.randint(1, len(header))
    title = rng.choice(["Extra Column", "Avg IFMAP SRAM BW", "Total Cycles", "Notes"])
    values = [rng.choice([str(rng.randrange(100)), repr(rng.random()), "x"]) for _ in rows]
    header.insert(col, title)
    for r, v in zip(rows, values):
        r.insert(col, v)
    _write_report(run / name, header, rows)
    return Mutation(run / name, f"{name}: column {title!r} inserted at position {col + 1}")


@kind("report")
def report_header_renamed(run: Path, rng: random.Random) -> Mutation:
    name = rng.choice(REPORTS)
    header, rows = _report_table(run / name)
    col = rng.randrange(len(header))
    old = header[col]
    header[col] = rng.choice([old.lower(), old.upper(), old.replace(" ", "_"), old + "s", old[:-1]])
    if header[col] == old:
        header[col] = old + "s"
    _write_report(run / name, header, rows)
    return Mutation(run / name, f"{name}: header {old!r} -> {header[col]!r}")


@kind("report")
def report_separator(run: Path, rng: random.Random) -> Mutation:
    """A report line with ',' (no space) between fields, ';' instead, or without its trailing comma."""
    name = rng.choice(REPORTS)
    path = run / name
    lines = _lines(path)
    row = rng.randrange(len(lines))
    how = rng.choice(["no-space", "semicolon", "no-trailing-comma"])
    if how == "no-space":
        lines[row] = lines[row].replace(", ", ",")
    elif how == "semicolon":
        lines[row] = lines[row].replace(", ", "; ")
    else:
        lines[row] = lines[row][:-1]
    _write_lines(path, lines)
    return Mutation(path, f"{name} line {row + 1}: {how}")


@kind("report")
def report_truncate(run: Path, rng: random.Random) -> Mutation:
    name = rng.choice(REPORTS)
    path = run / name
    data = path.read_bytes()
    cut = rng.randrange(1, len(data) - 1)
    path.write_bytes(data[:cut])
    # Cut at the end of a line, the report is whole but has fewer layers than the others.
    return Mutation(path, f"{name}: cut at byte {cut} of {len(data)}", run_level=data[cut - 1:cut] == b"\n")


# AI Engine traces ---------------------------------------------------------------------------------
_RAW = "@@FUZZ-RAW@@"
_MARKER_NAMES = {"INSTR_EVENT_0", "INSTR_EVENT_1", "LOCK_STALL", "Event0", "Event1", "LockStall"}


def _load_events(path: Path) -> tuple[list[dict], str]:
    """The events of a sample and the separator its events are written with (',\\n' or ', ')."""
    text = path.read_text()
    return json.loads(text), (",\n" if "},\n{" in text else ", ")


def _dump_events(path: Path, events: list, sep: str, raw: bytes | None = None) -> None:
    """Write events as mlir-aie does (json.dumps per event); the placeholder _RAW becomes `raw`."""
    data = ("[" + sep.join(json.dumps(e) for e in events) + "]\n").encode()
    if raw is not None:
        assert data.count(f'"{_RAW}"'.encode()) == 1
        data = data.replace(f'"{_RAW}"'.encode(), raw)
    path.write_bytes(data)


def _pick_event(events: list[dict], rng: random.Random, where) -> int:
    """Index of a random event `where` accepts, a kernel/LOCK_STALL marker half of the time when one fits."""
    fits = [i for i, e in enumerate(events) if where(e)]
    markers = [i for i in fits if events[i].get("name") in _MARKER_NAMES]
    return rng.choice(markers if markers and rng.random() < 0.5 else fits)


def _describe(events: list[dict], index: int) -> str:
    e = events[index]
    return f"event {index} ({e.get('name')} {e.get('ph')})"


# Field values: each (value, raw JSON text or None).
_FIELD_VARIANTS = {
    "fraction": lambda v, rng: (v + rng.choice([0.5, 0.7, 0.25]), None),
    "integral_float": lambda v, rng: (float(v), None),
    "exponent": lambda v, rng: (_RAW, (f"{v / 10 ** (len(str(v)) - 1)!r}e{len(str(v)) - 1}" if v >= 10 else f"{v}e0").encode()),
    "string": lambda v, rng: (str(v), None),
    "bool": lambda v, rng: (rng.choice([True, False]), None),
    "null": lambda v, rng: (None, None),
    "huge": lambda v, rng: (rng.choice([2 ** 63, 2 ** 64, 10 ** 20]), None),
    "negative": lambda v, rng: (-v - 1, None),
    "missing": None,
}


def _field_kind(field: str, variant: str, documented: str = "") -> None:
    def mutate(path: Path, rng: random.Random) -> Mutation:
        events, sep = _load_events(path)
        needed = {"ts": lambda e: e.get("ph") in ("B", "E"), "pid": lambda e: True,
                  "tid": lambda e: e.get("name") != "process_name"}[field]
        index = _pick_event(events, rng, needed)
        old = events[index][field]
        if variant == "missing":
            del events[index][field]
            raw, shown = None, "(removed)"
        else:
            value, raw = _FIELD_VARIANTS[variant](old, rng)
            events[index][field] = value
            shown = raw.decode() if raw else json.dumps(value)
        _dump_events(path, events, sep, raw)
        return Mutation(path, f"{_describe(events, index)}: {field} {old} -> {shown}")
    mutate.__name__ = mutate.__qualname__ = f"aie_{field}_{variant}"
    mutate.__doc__ = f"One event's {field} made {variant.replace('_', ' ')}."
    kind("aie", documented=documented)(mutate)


for _field, _variants in (
    ("ts", ("fraction", "integral_float", "exponent", "string", "bool", "null", "huge", "negative", "missing")),
    ("pid", ("fraction", "string", "bool", "null", "huge", "negative", "missing")),
    ("tid", ("fraction", "string", "bool", "huge", "negative", "missing")),
):
    for _variant in _variants:
        converted = _field == "ts" and _variant in ("fraction", "integral_float", "exponent", "string")
        _field_kind(_field, _variant, TS_CONVERTED if converted else "")


@kind("aie")
def aie_ts_nan_infinity(path: Path, rng: random.Random) -> Mutation:
    events, sep = _load_events(path)
    index = _pick_event(events, rng, lambda e: "ts" in e)
    token = rng.choice([b"NaN", b"Infinity", b"-Infinity"])
    old, events[index]["ts"] = events[index]["ts"], _RAW
    _dump_events(path, events, sep, token)
    return Mutation(path, f"{_describe(events, index)}: ts {old} -> {token.decode()}")


@kind("aie")
def aie_truncate_anywhere(path: Path, rng: random.Random) -> Mutation:
    data = path.read_bytes()
    cut = rng.randrange(1, len(data.rstrip()) - 1)
    path.write_bytes(data[:cut])
    return Mutation(path, f"cut at byte {cut} of {len(data)} (…{data[max(0, cut - 20):cut].decode(errors='replace')!r})")


@kind("aie")
def aie_truncate_after_event(path: Path, rng: random.Random) -> Mutation:
    """Cut right after an event's closing brace: before its comma, after it, or after the space or
    newline that follows."""
    data = path.read_bytes()
    last = len(data.rstrip()) - 1  # the closing bracket
    ends = [m.end() for m in re.finditer(rb"\}\}", data) if m.end() < last]
    brace = rng.choice(ends)
    after = re.match(rb", ?\n?", data[brace:])
    keep = rng.choice([brace, brace + 1, brace + len(after.group())]) if after else brace
    path.write_bytes(data[:keep])
    return Mutation(path, f"cut at byte {keep} of {len(data)}, right after an event (…{data[keep - 15:keep].decode()!r})")


@kind("aie")
def aie_args_wrong_type(path: Path, rng: random.Random) -> Mutation:
    events, sep = _load_events(path)
    index = _pick_event(events, rng, lambda e: True)
    value = rng.choice(["x", [], 5, None, [{"name": "core_trace for tile2,0"}], "missing"])
    old = events[index]["args"]
    if value == "missing":
        del events[index]["args"]
    else:
        events[index]["args"] = value
    _dump_events(path, events, sep)
    return Mutation(path, f"{_describe(events, index)}: args {json.dumps(old)} -> {value if value == 'missing' else json.dumps(value)}")


@kind("aie")
def aie_name_or_ph_bad(path: Path, rng: random.Random) -> Mutation:
    events, sep = _load_events(path)
    index = _pick_event(events, rng, lambda e: True)
    field = rng.choice(["name", "ph"])
    value = rng.choice([5, None, ["INSTR_EVENT_0"], "missing"] + (["X", "b", ""] if field == "ph" else []))
    old = events[index][field]
    if value == "missing":
        del events[index][field]
    else:
        events[index][field] = value
    _dump_events(path, events, sep)
    return Mutation(path, f"event {index} ({old}): {field} {old!r} -> {value!r}")


@kind("aie")
def aie_not_an_event(path: Path, rng: random.Random) -> Mutation:
    events, sep = _load_events(path)
    index = rng.randrange(len(events))
    value = rng.choice([5, "event", [1, 2], None, {}])
    old = _describe(events, index)
    events[index] = value
    _dump_events(path, events, sep)
    return Mutation(path, f"{old} replaced by {json.dumps(value)}")


@kind("aie")
def aie_non_utf8(path: Path, rng: random.Random) -> Mutation:
    events, sep = _load_events(path)
    index = _pick_event(events, rng, lambda e: True)
    field = rng.choice(["name", "args"])
    raw = rng.choice([b'"INSTR\xff"', b'"\xe9v\xe9nement"', b'"\xc3"'])
    if field == "args":
        events[index]["args"] = {"name": _RAW}
    else:
        events[index]["name"] = _RAW
    _dump_events(path, events, sep, raw)
    return Mutation(path, f"{_describe(events, index)}: {field} holds the bytes {raw!r}")


@kind("aie")
def aie_repeated_key(path: Path, rng: random.Random) -> Mutation:
    """An event with one key twice ("ts": 1, ..., "ts": 8): JSON syntax, but not what mlir-aie writes."""
    events, sep = _load_events(path)
    index = _pick_event(events, rng, lambda e: "ts" in e)
    key = rng.choice(["ts", "pid", "name"])
    event = events[index]
    extra = json.dumps({key: event[key] + 7 if key != "name" else "LOCK_STALL"})[1:-1]
    raw = (json.dumps(event)[:-1] + ", " + extra + "}").encode()
    described = _describe(events, index)
    events[index] = _RAW
    _dump_events(path, events, sep, raw)
    return Mutation(path, f"{described}: {extra} added after its own {key!r}")


@kind("aie")
def aie_text_around(path: Path, rng: random.Random) -> Mutation:
    data = path.read_bytes()
    where = rng.choice(["before", "after"])
    text = rng.choice([b"Parsing trace...\n", b"done.\n", b"{}", b"]"])
    path.write_bytes(text + data if where == "before" else data + text)
    return Mutation(path, f"{text!r} written {where} the array")


@kind("aie", must_accept=True)
def aie_rewrite_identical(path: Path, rng: random.Random) -> Mutation:
    path.write_bytes(path.read_bytes())
    return Mutation(path, "rewritten with the same bytes")


@kind("aie", must_accept=True)
def aie_leading_whitespace(path: Path, rng: random.Random) -> Mutation:
    pad = rng.choice([b" ", b"\n", b"\n\n  ", b"\t", b"\r\n"])
    path.write_bytes(pad + path.read_bytes())
    return Mutation(path, f"{pad!r} written before the array")


@kind("aie", must_accept=True)
def aie_pretty_printed(path: Path, rng: random.Random) -> Mutation:
    events, _ = _load_events(path)
    indent = rng.choice([1, 2, 4])
    path.write_text(json.dumps(events, indent=indent) + "\n")
    return Mutation(path, f"rewritten pretty-printed (indent {indent})")


@kind("aie", must_accept=True)
def aie_trace_events_object(path: Path, rng: random.Random) -> Mutation:
    events, _ = _load_events(path)
    path.write_text(json.dumps({"traceEvents": events}) + "\n")
    return Mutation(path, 'rewritten as {"traceEvents": [...]}')


@kind("aie", must_accept=True)
def aie_duplicate_events(path: Path, rng: random.Random) -> Mutation:
    events, sep = _load_events(path)
    picked = sorted(rng.sample(range(len(events)), rng.randint(1, 3)))
    for offset, index in enumerate(picked):
        events.insert(index + offset + 1, dict(events[index + offset]))
    _dump_events(path, events, sep)
    return Mutation(path, f"events {picked} repeated right after themselves")


@kind("aie", must_accept=True)
def aie_reorder_events(path: Path, rng: random.Random) -> Mutation:
    events, sep = _load_events(path)
    i, j = rng.sample(range(len(events)), 2)
    events[i], events[j] = events[j], events[i]
    _dump_events(path, events, sep)
    return Mutation(path, f"events {min(i, j)} and {max(i, j)} swapped")


@kind("aie", must_accept=True)
def aie_ts_other_valid(path: Path, rng: random.Random) -> Mutation:
    events, sep = _load_events(path)
    index = _pick_event(events, rng, lambda e: "ts" in e)
    old = events[index]["ts"]
    events[index]["ts"] = rng.choice([0, old + 1, max(0, old - 3), old * 2, rng.randrange(100_000)])
    _dump_events(path, events, sep)
    return Mutation(path, f"{_describe(events, index)}: ts {old} -> {events[index]['ts']}")
