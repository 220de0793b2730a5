"""Bad input is refused cleanly: one line on stderr naming the file and the problem, a non-zero exit,
and the warehouse exactly as it was (every ingest is one transaction, sweeps included).

Every refusal test starts from a warehouse that already holds a good run (copied from a template made
once per module, which is the same as ingesting it first), fingerprints every row of every table,
attempts the bad ingest through the real `gsdb` process, and checks the fingerprint again.
The last tests are inputs that look odd but are valid (ragged DRAM rows, empty cells) and must load
with the counts worked out here by hand, and a failed ingest followed by the fixed one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import duckdb
import pytest

# pytest runs with --import-mode=importlib, which does not put tests/ on sys.path.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
from conftest import AIE_DATA, SCALESIM_DATA, copy_run, warehouse_fingerprint  # noqa: E402

GOOD = "v3_api_tiny_8x8_ws"
ALEXNET = SCALESIM_DATA / "topologies" / "conv_nets" / "alexnet.csv"
AIE_FOLDER = AIE_DATA
AIE_JSON = AIE_FOLDER / "Xilinx_mlir-aie__section-4b__trace_4b.json"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# Words that say a cell is not a number.
NON_NUMERIC = ("not a number", "non-numeric", "numeric", "convert", "cast")


# Helpers ------------------------------------------------------------------------------------------
def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


def report_fields(line: str) -> list[str]:
    """A report line split on SCALE-Sim's ", " (the last field keeps the trailing comma)."""
    return line.split(", ")


def assert_refused(result, offender: Path | str, expect: tuple[tuple[str, ...], ...], db: Path, before: str) -> str:
    """Non-zero exit, one `gsdb: error:` line naming `offender` and matching every group of `expect`
    (each group: any one of its words, case-insensitive), warehouse unchanged. Returns the line."""
    assert result.returncode != 0, f"bad input was accepted (exit 0):\nstdout: {result.stdout}\nstderr: {result.stderr}"
    text = result.stderr.rstrip("\n")
    lines = text.split("\n")
    assert len(lines) == 1, f"error spans {len(lines)} lines, expected one:\n{result.stderr}"
    line = lines[0]
    assert line.strip(), "stderr is empty"
    assert line.startswith("gsdb: error:"), f"stderr does not start with 'gsdb: error:': {line!r}"
    assert "Traceback" not in line
    offender = Path(offender)
    assert str(offender) in line or offender.name in line, f"error does not name {offender}: {line!r}"
    lowered = line.lower()
    for group in expect:
        assert any(word.lower() in lowered for word in group), f"error does not say {group}: {line!r}"
    assert warehouse_fingerprint(db) == before, f"the warehouse changed after a refused ingest ({line!r})"
    return line


def run_cli(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed `gsdb` console script (as the `gsdb` fixture runs it), with a timeout."""
    env = dict(os.environ, GSDB_DB=str(db))
    return subprocess.run(
        [str(Path(sys.executable).parent / "gsdb"), *map(str, args)],
        capture_output=True, text=True, env=env, timeout=timeout,
    )


# Fixtures -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """A warehouse holding one good run, made once for the module."""
    root = tmp_path_factory.mktemp("template")
    run_dir = copy_run(GOOD, root / "data")
    db = root / "wh" / "gainsight.duckdb"
    proc = run_cli(db, "ingest", "-q", run_dir)
    assert proc.returncode == 0, proc.stderr
    return db


@pytest.fixture
def seeded(db: Path, template_db: Path) -> str:
    """`db` now holds the good run; returns its fingerprint."""
    db.parent.mkdir(parents=True, exist_ok=True)
    for source in template_db.parent.iterdir():
        if source.name.startswith(template_db.name):  # the file and a WAL, if any
            shutil.copy2(source, db.parent / source.name)
    fingerprint = warehouse_fingerprint(db)
    assert fingerprint != "absent"
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM accesses").fetchone()[0] > 0
    finally:
        con.close()
    return fingerprint


# Ways to break a copied run: each takes the run directory and returns the offending file ----------
def remove(rel: str) -> Callable[[Path], Path]:
    def mutate(run: Path) -> Path:
        (run / rel).unlink()
        return run / rel
    return mutate


def truncate_last_line(rel: str) -> Callable[[Path], Path]:
    """Cut the file in the middle of its last line (no final newline)."""
    def mutate(run: Path) -> Path:
        path = run / rel
        data = path.read_bytes()
        assert data.endswith(b"\n")
        start = data.rstrip(b"\n").rfind(b"\n") + 1
        last = data[start:].rstrip(b"\n")
        cut = start + len(last) // 2
        path.write_bytes(data[:cut])
        assert not path.read_bytes().endswith(b"\n")
        return path
    return mutate


def replace_trace_cell(rel: str, row: int, column: int, value: str) -> Callable[[Path], Path]:
    def mutate(run: Path) -> Path:
        path = run / rel
        lines = read_lines(path)
        cells = lines[row].split(",")
        cells[column] = value
        lines[row] = ",".join(cells)
        write_lines(path, lines)
        return path
    return mutate


def replace_report_field(rel: str, row: int, column: int, value: str) -> Callable[[Path], Path]:
    def mutate(run: Path) -> Path:
        path = run / rel
        lines = read_lines(path)
        fields = report_fields(lines[row])
        fields[column] = value
        lines[row] = ", ".join(fields)
        write_lines(path, lines)
        return path
    return mutate


def write_content(rel: str, content: bytes) -> Callable[[Path], Path]:
    def mutate(run: Path) -> Path:
        (run / rel).write_bytes(content)
        return run / rel
    return mutate


def compute_from_bandwidth(run: Path) -> Path:
    """COMPUTE_REPORT.csv with BANDWIDTH_REPORT.csv's content: no Total Cycles column."""
    path = run / "COMPUTE_REPORT.csv"
    shutil.copyfile(run / "BANDWIDTH_REPORT.csv", path)
    assert "Total Cycles" not in path.read_text()
    return path


def detailed_without_column(run: Path) -> Path:
    """DETAILED_ACCESS_REPORT.csv with the `SRAM IFMAP Reads` column removed from every line."""
    path = run / "DETAILED_ACCESS_REPORT.csv"
    lines = [report_fields(line) for line in read_lines(path)]
    assert lines[0][3] == "SRAM IFMAP Reads"
    write_lines(path, [", ".join(f[:3] + f[4:]) for f in lines])
    return path


def detailed_header_short(run: Path) -> Path:
    """DETAILED_ACCESS_REPORT.csv whose header lost a column but whose rows did not."""
    path = run / "DETAILED_ACCESS_REPORT.csv"
    lines = read_lines(path)
    header = report_fields(lines[0])
    lines[0] = ", ".join(header[:3] + header[4:])
    write_lines(path, lines)
    return path


def trace_is_folder(rel: str) -> Callable[[Path], Path]:
    def mutate(run: Path) -> Path:
        path = run / rel
        path.unlink()
        path.mkdir()
        (path / "x.csv").write_text("1,2\n")
        return path
    return mutate


def trace_symlink_loop(rel: str) -> Callable[[Path], Path]:
    def mutate(run: Path) -> Path:
        path = run / rel
        path.unlink()
        os.symlink(path.name, path)  # points at itself
        return path
    return mutate


def row_without_cycle(rel: str) -> Callable[[Path], Path]:
    def mutate(run: Path) -> Path:
        path = run / rel
        lines = read_lines(path)
        lines[3] = "," + lines[3].split(",", 1)[1]
        write_lines(path, lines)
        return path
    return mutate


BAD_RUNS = [
    # 1. missing reports
    pytest.param(remove("DETAILED_ACCESS_REPORT.csv"), (("missing",),), id="missing-detailed-report"),
    pytest.param(remove("BANDWIDTH_REPORT.csv"), (("missing",),), id="missing-bandwidth-report"),
    pytest.param(remove("COMPUTE_REPORT.csv"), (("missing",),), id="missing-compute-report"),
    # 2. missing trace
    pytest.param(remove("layer1/IFMAP_SRAM_TRACE.csv"), (("missing",),), id="missing-trace"),
    # 3. truncated files
    pytest.param(truncate_last_line("layer0/OFMAP_SRAM_TRACE.csv"), (("truncated",),), id="truncated-sram-trace"),
    pytest.param(truncate_last_line("layer2/FILTER_DRAM_TRACE.csv"), (("truncated",),), id="truncated-dram-trace"),
    pytest.param(truncate_last_line("COMPUTE_REPORT.csv"), (("truncated", "does not end with a newline", "fewer"),),
                 id="truncated-compute-report"),
    # 4. non-numeric cells
    pytest.param(replace_trace_cell("layer0/FILTER_SRAM_TRACE.csv", 0, 1, "abc"), (("abc",), NON_NUMERIC),
                 id="non-numeric-sram-address"),
    pytest.param(replace_trace_cell("layer1/IFMAP_DRAM_TRACE.csv", 2, 3, "abc"), (("abc",), NON_NUMERIC),
                 id="non-numeric-dram-address"),
    pytest.param(replace_trace_cell("layer2/OFMAP_SRAM_TRACE.csv", 5, 0, "x5"), (("x5",), NON_NUMERIC),
                 id="non-numeric-cycle"),
    pytest.param(replace_report_field("COMPUTE_REPORT.csv", 1, 2, "x12"), (("x12",), NON_NUMERIC),
                 id="non-numeric-total-cycles"),
    pytest.param(replace_report_field("DETAILED_ACCESS_REPORT.csv", 2, 3, "12a"), (("12a",), NON_NUMERIC),
                 id="non-numeric-access-count"),
    pytest.param(row_without_cycle("layer0/IFMAP_SRAM_TRACE.csv"), (("cycle",),), id="trace-row-without-cycle"),
    # 5. empty traces and reports
    pytest.param(write_content("layer2/OFMAP_DRAM_TRACE.csv", b""), (("empty",),), id="empty-trace"),
    pytest.param(write_content("layer1/FILTER_SRAM_TRACE.csv", b"\n  \n\n\t\n"), (("empty",),),
                 id="whitespace-trace"),
    pytest.param(write_content("COMPUTE_REPORT.csv", b""), (("empty", "no rows", "missing column"),),
                 id="empty-compute-report"),
    pytest.param(
        write_content("COMPUTE_REPORT.csv",
                      (SCALESIM_DATA / GOOD / "tiny_8x8_ws" / "COMPUTE_REPORT.csv").read_bytes().splitlines(True)[0]),
        (("empty", "no rows"),), id="header-only-compute-report"),
    # 6. wrong columns
    pytest.param(compute_from_bandwidth, (("column",), ("total cycles", "total_cycles")),
                 id="compute-report-without-total-cycles"),
    pytest.param(detailed_without_column, (("column",), ("sram ifmap reads", "sram_ifmap_reads")),
                 id="detailed-report-missing-column"),
    pytest.param(detailed_header_short, (("column",),), id="detailed-report-header-short"),
    # 9. unreadable paths that fail even for root
    pytest.param(trace_is_folder("layer0/OFMAP_DRAM_TRACE.csv"), (("folder", "directory"),), id="trace-is-folder"),
    pytest.param(trace_symlink_loop("layer0/IFMAP_SRAM_TRACE.csv"),
                 (("loop", "symbolic link", "symlink", "cannot read", "missing"),), id="trace-symlink-loop"),
]


# Tests: one bad run -------------------------------------------------------------------------------
@pytest.mark.parametrize("mutate, expect", BAD_RUNS)
def test_bad_run_is_refused(mutate, expect, tmp_path, db, gsdb, seeded):
    run = copy_run(GOOD, tmp_path / "bad")
    offender = mutate(run)
    result = gsdb("ingest", tmp_path / "bad", check=False)
    assert_refused(result, offender, expect, db, seeded)


@pytest.mark.skipif(IS_ROOT, reason="chmod 000 does not stop root")
def test_unreadable_trace_is_refused(tmp_path, db, gsdb, seeded):
    run = copy_run(GOOD, tmp_path / "bad")
    trace = run / "layer1" / "OFMAP_SRAM_TRACE.csv"
    trace.chmod(0)
    try:
        result = gsdb("ingest", run, check=False)
    finally:
        trace.chmod(0o644)
    assert_refused(result, trace, (("permission", "cannot read"),), db, seeded)


@pytest.mark.skipif(IS_ROOT, reason="chmod 000 does not stop root")
def test_unreadable_folder_is_refused(tmp_path, db, gsdb, seeded):
    copy_run(GOOD, tmp_path / "sweep")
    folder = tmp_path / "sweep" / GOOD
    folder.chmod(0)
    try:
        result = gsdb("ingest", tmp_path / "sweep", check=False)
    finally:
        folder.chmod(0o755)
    assert_refused(result, folder, (("permission", "cannot read"),), db, seeded)


def test_bad_rerun_of_an_ingested_path_keeps_the_old_run(tmp_path, db, gsdb):
    """Re-ingesting a run replaces it; when the new files are bad the old rows must stay."""
    run = copy_run(GOOD, tmp_path)
    gsdb("ingest", run)
    before = warehouse_fingerprint(db)
    offender = truncate_last_line("layer2/IFMAP_SRAM_TRACE.csv")(run)
    result = gsdb("ingest", run, check=False)
    assert_refused(result, offender, (("truncated",),), db, before)


# Tests: wrong folder, nonexistent path, unreadable path (7, 8, 9) -------------------------------
def _layer_folder(tmp_path: Path) -> Path:
    return copy_run(GOOD, tmp_path) / "layer0"


def _empty_folder(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


def _inputs_folder(tmp_path: Path) -> Path:
    copy_run(GOOD, tmp_path)
    return tmp_path / GOOD / "inputs"


def _text_file(tmp_path: Path) -> Path:
    (tmp_path / "notes.txt").write_text("not a run\n")
    return tmp_path / "notes.txt"


def _symlink_loop(tmp_path: Path) -> Path:
    os.symlink("loop", tmp_path / "loop")
    return tmp_path / "loop"


NO_RUN = ("no scale-sim run", "not a scale-sim run")
NOT_FOUND = ("no such file", "not found", "does not exist")

WRONG_PATHS = [
    pytest.param(_empty_folder, (NO_RUN,), id="empty-folder"),
    pytest.param(lambda tmp: ALEXNET, (NO_RUN,), id="topology-file"),
    pytest.param(_text_file, (NO_RUN,), id="text-file"),
    pytest.param(_inputs_folder, (NO_RUN,), id="inputs-folder"),
    pytest.param(_layer_folder, (NO_RUN,), id="layer-folder-only"),
    pytest.param(lambda tmp: tmp / "does" / "not" / "exist", (NOT_FOUND,), id="nonexistent-path"),
    pytest.param(_symlink_loop, (NOT_FOUND + ("loop", "symbolic link", "cannot read"),), id="path-is-symlink-loop"),
]


@pytest.mark.parametrize("make_path, expect", WRONG_PATHS)
def test_wrong_path_is_refused(make_path, expect, tmp_path, db, gsdb, seeded):
    path = make_path(tmp_path)
    result = gsdb("ingest", path, check=False)
    assert_refused(result, path, expect, db, seeded)


def test_folder_symlinked_into_itself_terminates_cleanly(tmp_path, db, seeded):
    """A sweep folder holding a link back to itself: either refused cleanly or the run loaded once."""
    sweep = tmp_path / "sweep"
    copy_run(GOOD, sweep)
    os.symlink(sweep, sweep / "again")
    proc = run_cli(db, "ingest", "-q", sweep, timeout=60)
    if proc.returncode != 0:
        lines = proc.stderr.rstrip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("gsdb: error:"), proc.stderr
        assert warehouse_fingerprint(db) == seeded
    else:
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
        finally:
            con.close()


# Tests: --topology and --config (10) ------------------------------------------------------------
def _bad_config(tmp_path: Path) -> Path:
    path = tmp_path / "bad_number.cfg"
    text = (SCALESIM_DATA / GOOD / "inputs" / "tiny_8x8_ws.cfg").read_text()
    assert "ArrayHeight:    8" in text
    path.write_text(text.replace("ArrayHeight:    8", "ArrayHeight:    eight"))
    return path


def _bad_topology(tmp_path: Path) -> Path:
    path = tmp_path / "bad_dims.csv"
    lines = read_lines(SCALESIM_DATA / GOOD / "inputs" / "tiny3.csv")
    lines[2] = lines[2].replace(" 8, 8,", " 8, eight,", 1)
    write_lines(path, lines)
    return path


OPTIONS = [
    pytest.param("--topology", lambda tmp: ALEXNET, (("layers",),), id="topology-layer-count-mismatch"),
    pytest.param("--topology", _bad_topology, (NON_NUMERIC,), id="topology-non-numeric"),
    pytest.param("--topology", lambda tmp: tmp / "nope.csv", (NOT_FOUND,), id="topology-nonexistent"),
    pytest.param("--config", lambda tmp: ALEXNET, (("not a scale-sim config",),), id="config-is-topology"),
    pytest.param("--config", lambda tmp: AIE_JSON, (("not a scale-sim config",),), id="config-is-json"),
    pytest.param("--config", _bad_config, (("arrayheight",), NON_NUMERIC), id="config-non-numeric"),
    pytest.param("--config", lambda tmp: tmp / "nope.cfg", (NOT_FOUND,), id="config-nonexistent"),
]


@pytest.mark.parametrize("option, make_file, expect", OPTIONS)
def test_bad_option_file_is_refused(option, make_file, expect, tmp_path, db, gsdb, seeded):
    run = copy_run(GOOD, tmp_path / "data")
    given = make_file(tmp_path)
    result = gsdb("ingest", run, option, given, check=False)
    assert_refused(result, given, expect, db, seeded)


# Tests: sweeps where one run is bad (all or nothing) ----------------------------------------------
SWEEP_BREAKS = [
    # (break, expected words, bad run sorted first?): a bad run after the good one makes the good one's
    # rows go in first, so the rollback has something to undo.
    pytest.param(remove("layer1/IFMAP_SRAM_TRACE.csv"), (("missing",),), False, id="missing-trace-good-then-bad"),
    pytest.param(remove("layer1/IFMAP_SRAM_TRACE.csv"), (("missing",),), True, id="missing-trace-bad-then-good"),
    pytest.param(truncate_last_line("layer2/OFMAP_DRAM_TRACE.csv"), (("truncated",),), False,
                 id="truncated-trace-good-then-bad"),
    pytest.param(replace_report_field("COMPUTE_REPORT.csv", 3, 2, "x12"), (("x12",), NON_NUMERIC), False,
                 id="non-numeric-report-good-then-bad"),
    pytest.param(replace_report_field("COMPUTE_REPORT.csv", 3, 2, "x12"), (("x12",), NON_NUMERIC), True,
                 id="non-numeric-report-bad-then-good"),
    pytest.param(write_content("layer2/FILTER_SRAM_TRACE.csv", b""), (("empty",),), False,
                 id="empty-trace-good-then-bad"),
    pytest.param(trace_is_folder("layer2/OFMAP_DRAM_TRACE.csv"), (("folder", "directory"),), False,
                 id="trace-is-folder-good-then-bad"),
    pytest.param(remove("BANDWIDTH_REPORT.csv"), (("missing",),), False, id="missing-report-good-then-bad"),
]


@pytest.mark.parametrize("mutate, expect, bad_first", SWEEP_BREAKS)
def test_sweep_with_one_bad_run_loads_nothing(mutate, expect, bad_first, tmp_path, db, gsdb, seeded):
    sweep = tmp_path / "sweep"
    good_name, bad_name = ("b_good", "a_bad") if bad_first else ("a_good", "b_bad")
    copy_run(GOOD, sweep / good_name)
    offender = mutate(copy_run(GOOD, sweep / bad_name))
    result = gsdb("ingest", sweep, check=False)
    assert_refused(result, offender, expect, db, seeded)


def test_several_paths_with_one_bad_load_nothing(tmp_path, db, gsdb, seeded):
    good = copy_run(GOOD, tmp_path / "good")
    bad = copy_run("v3_api_tiny_8x16_os", tmp_path / "bad")
    offender = truncate_last_line("layer0/IFMAP_SRAM_TRACE.csv")(bad)
    result = gsdb("ingest", good, bad, check=False)
    assert_refused(result, offender, (("truncated",),), db, seeded)


# Tests: odd but valid input must load, with hand-counted accesses --------------------------------
def _trace_file_accesses(db: Path, run_name_path: Path, layer: int, buffer: str, level: str) -> tuple[int, int, int]:
    """(trace_files.accesses, rows in accesses, trace_files.empty_cells) for one trace of a run."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id = con.execute(
            "SELECT run_id FROM runs WHERE source_path = ?", [str(run_name_path.resolve())]
        ).fetchone()[0]
        listed, empty_cells = con.execute(
            "SELECT accesses, empty_cells FROM trace_files WHERE run_id = ? AND layer = ? AND buffer = ? AND level = ?",
            [run_id, layer, buffer, level],
        ).fetchone()
        rows = con.execute(
            "SELECT count(*) FROM accesses WHERE run_id = ? AND layer = ? AND buffer = ? AND level = ?",
            [run_id, layer, buffer, level],
        ).fetchone()[0]
        return int(listed), int(rows), int(empty_cells)
    finally:
        con.close()


def _addresses_at(db: Path, run: Path, layer: int, buffer: str, level: str, cycle: int) -> list[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [a for (a,) in con.execute(
            """SELECT addr FROM accesses JOIN runs USING (run_id)
               WHERE source_path = ? AND layer = ? AND buffer = ? AND level = ? AND cycle = ? ORDER BY addr""",
            [str(run.resolve()), layer, buffer, level, cycle],
        ).fetchall()]
    finally:
        con.close()


def _count_cells(lines: list[str]) -> int:
    """Accesses in trace lines with no padding: cells after the cycle that are not -1 and not empty."""
    return sum(1 for line in lines for cell in line.split(",")[1:] if cell.strip() not in ("", "-1", "-1.0"))


def test_ragged_dram_trace_loads_every_cell(tmp_path, db, gsdb):
    run = copy_run(GOOD, tmp_path)
    path = run / "layer0" / "IFMAP_DRAM_TRACE.csv"
    lines = read_lines(path)
    rows = [line.split(",") for line in lines]
    assert len(rows) == 28 and all(len(r) == 11 for r in rows)
    assert not any(r[-1] == r[-2] == "1.0" for r in rows)  # no CALC-mode padding in this file
    assert all(cell not in ("-1.0", "1.0", "") for i in (1, 2, 3, 19) for cell in rows[i])  # full rows
    original = _count_cells(lines)
    # Rows 2, 3 and 4 lose their last 3 cells; row 20 gets 4 cells more than the first line's width.
    for i in (1, 2, 3):
        rows[i] = rows[i][:-3]
    rows[19] = rows[19] + ["77777.0", "77778.0", "77779.0", "77780.0"]
    write_lines(path, [",".join(r) for r in rows])
    expected = original - 3 * 3 + 4
    gsdb("ingest", run)
    listed, loaded, _ = _trace_file_accesses(db, run, 0, "ifmap", "dram")
    assert (listed, loaded) == (expected, expected)
    cycle = int(float(rows[19][0]))
    assert {77777, 77778, 77779, 77780} <= set(_addresses_at(db, run, 0, "ifmap", "dram", cycle))
    short_cycle = int(float(rows[1][0]))
    assert _addresses_at(db, run, 0, "ifmap", "dram", short_cycle) == sorted(int(float(c)) for c in rows[1][1:])


def test_wide_row_after_the_first_64_kib_loads(tmp_path, db, gsdb):
    """A row wider than every row in the first 64 KiB (the width the reader guesses from)."""
    run = copy_run(GOOD, tmp_path)
    path = run / "layer1" / "OFMAP_DRAM_TRACE.csv"
    rows = [[f"{c}.0"] + [f"{30000000 + 8 * c + k}.0" for k in range(8)] for c in range(1500)]
    rows[1400] += ["40000001.0", "40000002.0", "40000003.0"]
    rows[1450] = rows[1450][:4]
    write_lines(path, [",".join(r) for r in rows])
    assert path.stat().st_size > 1 << 16
    assert sum(len(",".join(r)) + 1 for r in rows[:1400]) > 1 << 16
    expected = 1500 * 8 + 3 - 5
    gsdb("ingest", run)
    listed, loaded, _ = _trace_file_accesses(db, run, 1, "ofmap", "dram")
    assert (listed, loaded) == (expected, expected)
    assert _addresses_at(db, run, 1, "ofmap", "dram", 1400)[-3:] == [40000001, 40000002, 40000003]


def test_empty_cells_in_a_trace_row_are_skipped(tmp_path, db, gsdb):
    run = copy_run(GOOD, tmp_path)
    path = run / "layer0" / "FILTER_SRAM_TRACE.csv"
    lines = read_lines(path)
    assert lines[4].startswith("5,") and lines[6].startswith("7,")
    assert all(c not in ("-1", "") for c in lines[4].split(",") + lines[6].split(","))
    original = _count_cells(lines)
    lines[4] = "5,10,,12"           # 8 accesses become 2, one empty cell, row narrower than the others
    cells = lines[6].split(",")     # cycle 7: one address blanked, and a trailing comma
    cells[3] = ""
    lines[6] = ",".join(cells) + ","
    write_lines(path, lines)
    expected = original - 8 + 2 - 1
    gsdb("ingest", run)
    listed, loaded, empty_cells = _trace_file_accesses(db, run, 0, "filter", "sram")
    assert (listed, loaded) == (expected, expected)
    assert empty_cells >= 3  # "5,10,,12" has one; cycle 7 has the blank and the trailing one
    assert _addresses_at(db, run, 0, "filter", "sram", 5) == [10, 12]
    assert len(_addresses_at(db, run, 0, "filter", "sram", 7)) == 7
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM accesses WHERE addr IS NULL OR cycle IS NULL").fetchone()[0] == 0
    finally:
        con.close()


# Tests: a failed ingest leaves nothing behind; the fixed run then loads like a clean one ----------
PER_RUN_TABLES = ("accesses", "trace_files", "compute_report", "bandwidth_report", "access_report",
                  "layer_shapes", "sparse_report")


def test_fixed_run_after_a_failed_ingest_is_consistent(tmp_path, db, gsdb, seeded):
    run = copy_run(GOOD, tmp_path / "retry")
    trace = run / "layer2" / "OFMAP_DRAM_TRACE.csv"  # the last trace loaded: everything else got in first
    original = trace.read_bytes()
    offender = truncate_last_line("layer2/OFMAP_DRAM_TRACE.csv")(run)
    result = gsdb("ingest", run, check=False)
    assert_refused(result, offender, (("truncated",),), db, seeded)

    trace.write_bytes(original)
    out = gsdb("ingest", run)
    assert out.returncode == 0
    assert "ingested run" in out.stdout and "replaced" not in out.stdout

    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = con.execute("SELECT run_id, source_path, ingest_id FROM runs ORDER BY run_id").fetchall()
        assert len(runs) == 2
        (old_id, _, _), (new_id, new_path, new_ingest) = runs
        assert new_path == str(run.resolve())
        # One ingests row per run: the failed attempt recorded nothing.
        assert con.execute("SELECT count(*) FROM ingests").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM ingests WHERE run_id = ?", [new_id]).fetchone()[0] == 1
        for table in PER_RUN_TABLES:
            old, new = (con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", [rid]).fetchone()[0]
                        for rid in (old_id, new_id))
            assert old == new, f"{table}: {new} rows for the re-ingested run, {old} for the same data before"
        # Same accesses, row for row, as the good copy ingested first.
        diff = con.execute(
            """SELECT count(*) FROM (
                 (SELECT layer, buffer, level, cycle, addr FROM accesses WHERE run_id = $1
                  EXCEPT ALL SELECT layer, buffer, level, cycle, addr FROM accesses WHERE run_id = $2)
                 UNION ALL
                 (SELECT layer, buffer, level, cycle, addr FROM accesses WHERE run_id = $2
                  EXCEPT ALL SELECT layer, buffer, level, cycle, addr FROM accesses WHERE run_id = $1))""",
            [old_id, new_id],
        ).fetchone()[0]
        assert diff == 0
        total = con.execute("SELECT sum(accesses) FROM trace_files WHERE run_id = ?", [new_id]).fetchone()[0]
        assert total == con.execute("SELECT count(*) FROM accesses WHERE run_id = ?", [new_id]).fetchone()[0]
        # No row anywhere belongs to a run that is not in `runs`.
        for table in PER_RUN_TABLES:
            orphans = con.execute(
                f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT run_id FROM runs)"
            ).fetchone()[0]
            assert orphans == 0, f"{table} holds rows of no run"
    finally:
        con.close()
