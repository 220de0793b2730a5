"""What the SCALE-Sim loaders may trust, and what they must refuse.

A path means exactly that file, never a glob pattern. A value SCALE-Sim never writes (a fraction
where it writes an integer, `1_80`, NaN, a negative cycle count, a number too large for its column)
is refused, not rounded, and a large integer keeps every digit. The reports of a run must agree on
its layers. Configs and topologies that SCALE-Sim itself would refuse, or that ask for more layers
than the warehouse holds, are refused. Every refusal is one line on stderr naming the file (and the
line and field where there is one), exit code 1, and the warehouse exactly as it was.

Every golden value here is worked out by hand from the inline files and the example run.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import EXAMPLE_RUN, copy_run, load_trace_matrix, warehouse_fingerprint
from tiny_runs import make_run

from gainsight_db.common.sql_text import quote_literal

RUN = "tiny_8x8_ws"  # the run directory inside EXAMPLE_RUN
SPARSE_SAMPLE = "v3_api_sparse2_16x16_ws"


# Helpers ------------------------------------------------------------------------------------------
def example_copy(dest: Path) -> Path:
    """A writable copy of the example run (with its inputs/ beside it); returns the run directory."""
    shutil.copytree(EXAMPLE_RUN, dest)
    for path in dest.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest / RUN


def set_field(path: Path, line: int, field: int, text: str, sep: str = ",") -> None:
    """Replace field `field` of line `line` (both 1-based) of a trace (sep ',') or report (sep ', ')."""
    lines = path.read_bytes().split(b"\n")
    fields = lines[line - 1].split(sep.encode())
    assert len(fields) > field, f"{path} line {line} has only {len(fields)} fields"
    fields[field - 1] = text.encode("utf-8", "surrogateescape")
    lines[line - 1] = sep.encode().join(fields)
    path.write_bytes(b"\n".join(lines))


def refused(result, offender: Path, words: tuple[str, ...], db: Path, before: str) -> str:
    """Exit code 1, one `gsdb: error:` line naming `offender` (its full path) and every word of
    `words` (case-insensitive), and the warehouse unchanged. Returns the line."""
    assert result.returncode == 1, f"exit {result.returncode}:\nstdout: {result.stdout}\nstderr: {result.stderr}"
    lines = result.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1, f"error spans {len(lines)} lines:\n{result.stderr}"
    line = lines[0]
    assert line.startswith("gsdb: error: "), line
    assert str(offender) in line, f"error does not name {offender}: {line!r}"
    for word in words:
        assert word.lower() in line.lower(), f"error does not say {word!r}: {line!r}"
    assert warehouse_fingerprint(db) == before, f"the warehouse changed after a refused ingest ({line!r})"
    return line


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """A warehouse holding the example run, made once for the module."""
    from conftest import cli_runner

    root = tmp_path_factory.mktemp("template")
    db = root / "wh" / "gainsight.duckdb"
    cli_runner(db)("ingest", "-q", example_copy(root / "example"))
    return db


@pytest.fixture
def seeded(db: Path, template_db: Path) -> str:
    """`db` now holds the example run; returns its fingerprint."""
    db.parent.mkdir(parents=True, exist_ok=True)
    for source in template_db.parent.iterdir():
        if source.name.startswith(template_db.name):
            shutil.copy2(source, db.parent / source.name)
    fingerprint = warehouse_fingerprint(db)
    assert query(db, "SELECT count(*) FROM runs") == [(1,)]
    return fingerprint


# Paths: a path is that file, not a glob pattern (issue item 1) ------------------------------------
def test_literal_path_reads_exactly_that_file(tmp_path):
    from gainsight_db.loaders.input_files import literal_path

    folder = tmp_path / "names"
    folder.mkdir()
    names = ["br[1].csv", "br1.csv", "q?.csv", "qa.csv", "s*.csv", "sX.csv", "b\\[2].csv", "b\\2.csv", "plain.csv"]
    for value, name in enumerate(names):
        (folder / name).write_text(f"a\n{value}\n")
    con = duckdb.connect()
    try:
        for value, name in enumerate(names):
            with literal_path(folder / name) as literal:
                rows = con.execute(f"SELECT a FROM read_csv({quote_literal(literal)}, header = true)").fetchall()
            assert rows == [(value,)], f"{name}: read {rows}"
            if set("*?[") & set(name):
                assert not Path(literal).exists(), "the stand-in name outlived its block"
            else:
                assert literal == str(folder / name)  # nothing to hide: the path itself
    finally:
        con.close()


# Configs and topologies (items 6 and 8): read as SCALE-Sim reads them, with the file named --------
def _config(tmp_path: Path, key: str, value: str) -> Path:
    text = (EXAMPLE_RUN / "inputs" / "tiny_8x8_ws.cfg").read_text()
    old = next(line for line in text.splitlines() if line.startswith(f"{key}:"))
    path = tmp_path / "odd.cfg"
    path.write_text(text.replace(old, f"{key}: {value}"))
    return path


CONFIGS = [
    pytest.param("IfmapOffset", "1e20", ("ifmapoffset", "not an integer"), id="offset-exponent"),
    pytest.param("ArrayHeight", "99999999999", ("arrayheight", "out of range"), id="array-height-too-large"),
    pytest.param("FilterOffset", "99999999999999999999", ("filteroffset", "out of range"), id="offset-too-large"),
    # 6. no traceback
    pytest.param("ArrayHeight", "inf", ("arrayheight", "not a number"), id="array-height-inf"),
    pytest.param("ArrayWidth", "0", ("arraywidth", "positive"), id="array-width-zero"),
    pytest.param("IfmapSramSzkB", "8.0", ("ifmapsramszkb", "not an integer"), id="sram-size-fraction"),
]


@pytest.mark.parametrize("key, value, words", CONFIGS)
def test_config_value_is_checked_with_the_file_named(key, value, words, tmp_path, db, gsdb, seeded):
    run = example_copy(tmp_path / "data")
    config = _config(tmp_path, key, value)
    result = gsdb("ingest", run, "--config", config, check=False)
    refused(result, config, words, db, seeded)


def test_bad_config_found_beside_a_run_is_skipped_with_a_warning(tmp_path, db, gsdb):
    """Not given with --config, a config that fails the checks is not the run's: the run loads
    without it, and a warning names it."""
    run = example_copy(tmp_path / "data")
    config = run.parent / "inputs" / "tiny_8x8_ws.cfg"
    config.write_text(config.read_text().replace("ArrayHeight:    8", "ArrayHeight:    inf"))
    result = gsdb("ingest", "-q", run)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gsdb: warning: skipped "), result.stderr
    assert str(config) in result.stderr and "ArrayHeight" in result.stderr
    assert query(db, "SELECT config_path, array_rows FROM runs") == [(None, None)]


def _topology(tmp_path: Path, row: int, field: int, value: str, name: str | None = None) -> Path:
    """The example's topology with field `field` (1-based) of data row `row` (1-based) replaced."""
    lines = (EXAMPLE_RUN / "inputs" / "tiny3.csv").read_text().splitlines()
    cells = lines[row].split(", ")
    cells[field - 1] = value
    if name:
        cells[0] = name
    lines[row] = ", ".join(cells)
    path = tmp_path / "odd_topology.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


TOPOLOGIES = [
    pytest.param(2, 8, "0", None, ("line 3", "strides", "positive"), id="stride-zero"),
    pytest.param(1, 8, "inf", None, ("line 2", "strides", "not a number"), id="stride-inf"),
    pytest.param(3, 2, "-1", None, ("line 4", "ifmap height", "positive"), id="negative-height"),
    pytest.param(1, 4, "9", None, ("line 2", "filter height", "larger than the ifmap"), id="filter-larger"),
    pytest.param(1, 6, "4.0", None, ("line 2", "channels", "not an integer"), id="channels-fraction"),
    pytest.param(1, 2, "99999999999", None, ("line 2", "ifmap height", "out of range"), id="height-too-large"),
    pytest.param(2, 6, "100000000", "DP_conv", ("line 3", "32768 layers"), id="depthwise-1e8-channels"),
]


@pytest.mark.parametrize("row, field, value, name, words", TOPOLOGIES)
def test_topology_is_checked_with_the_file_named(row, field, value, name, words, tmp_path, db, gsdb, seeded):
    run = example_copy(tmp_path / "data")
    topology = _topology(tmp_path, row, field, value, name)
    result = gsdb("ingest", run, "--topology", topology, check=False)
    refused(result, topology, words, db, seeded)


# Trace cells (items 4 and 8): an integer as SCALE-Sim writes it, or the cell is named -------------
TRACE_CELLS = [
    # (trace, line, field, text, words): field 1 is the cycle.
    pytest.param("layer0/FILTER_SRAM_TRACE.csv", 2, 3, "180.7", ("not an integer",), id="sram-address-fraction"),
    pytest.param("layer0/OFMAP_DRAM_TRACE.csv", 3, 1, "99.5", ("not an integer",), id="dram-cycle-fraction"),
    pytest.param("layer0/IFMAP_DRAM_TRACE.csv", 2, 4, "-1.0000001", ("not an integer",), id="almost-idle-marker"),
    pytest.param("layer0/OFMAP_DRAM_TRACE.csv", 2, 2, "-.0", ("not an integer",), id="dram-fraction-without-digits"),
    pytest.param("layer0/OFMAP_DRAM_TRACE.csv", 2, 1, ".0", ("not an integer",), id="dram-cycle-without-digits"),
    pytest.param("layer0/IFMAP_DRAM_TRACE.csv", 2, 2, "5.0.0", ("not a number",), id="dram-two-fractions"),
    pytest.param("layer0/IFMAP_DRAM_TRACE.csv", 2, 2, "1.05", ("not an integer",), id="dram-fraction-after-zero"),
    pytest.param("layer1/FILTER_SRAM_TRACE.csv", 1, 2, "1_80", ("not an integer",), id="underscore"),
    pytest.param("layer1/IFMAP_DRAM_TRACE.csv", 2, 2, "1e2", ("not an integer",), id="exponent"),
    pytest.param("layer1/OFMAP_SRAM_TRACE.csv", 4, 2, "+5", ("not an integer",), id="plus-sign"),
    pytest.param("layer2/FILTER_DRAM_TRACE.csv", 2, 2, "nan", ("not a number",), id="nan"),
    pytest.param("layer2/OFMAP_SRAM_TRACE.csv", 4, 1, "2147483648", ("out of range",), id="cycle-out-of-range"),
    pytest.param("layer2/IFMAP_DRAM_TRACE.csv", 2, 3, "-99999999999.0", ("out of range",), id="address-out-of-range"),
]


@pytest.mark.parametrize("trace, line, field, text, words", TRACE_CELLS)
def test_trace_value_scalesim_never_writes_is_refused(trace, line, field, text, words, tmp_path, db, gsdb, seeded):
    run = example_copy(tmp_path / "bad")
    set_field(run / trace, line, field, text)
    result = gsdb("ingest", run, check=False)
    refused(result, run / trace, (f"line {line}", f"field {field}", repr(text), *words), db, seeded)


def test_integers_at_the_ends_of_the_range_load(tmp_path, db, gsdb):
    """2147483647 and -2147483648 fit the INTEGER columns and load as they are written."""
    run = make_run(tmp_path / "edge", [{"IFMAP_SRAM": "1,2147483647,-1\n2,1000000000\n",
                                        "OFMAP_DRAM": "-2147483648.0,2147483647.0\n"}])
    gsdb("ingest", "-q", run)
    assert query(db, "SELECT buffer::VARCHAR, level::VARCHAR, cycle, addr FROM accesses ORDER BY ALL") == [
        ("ifmap", "sram", 1, 2147483647), ("ifmap", "sram", 2, 1000000000),
        ("ofmap", "dram", -2147483648, 2147483647)]


def test_trace_error_names_the_line_deep_in_a_large_file(tmp_path, db, gsdb, seeded):
    """The line named is the file's own line number, also where DuckDB reads the file in parallel."""
    run = example_copy(tmp_path / "bad")
    path = run / "layer1" / "OFMAP_DRAM_TRACE.csv"
    rows = [f"{c}.0," + ",".join(f"{20000000 + 8 * c + k}.0" for k in range(8)) for c in range(60000)]
    rows[54321] = rows[54321].replace(",", ",7.25,", 1)  # line 54322, field 2
    path.write_text("\n".join(rows) + "\n")
    assert path.stat().st_size > 4 << 20
    result = gsdb("ingest", run, check=False)
    refused(result, path, ("line 54322", "field 2", "'7.25'"), db, seeded)


@pytest.mark.parametrize("value", [180.7, -1.0000001, float("nan")])
def test_dram_matrix_value_that_is_not_an_integer_is_refused(value, db):
    """In memory (gsdb simulate) a DRAM value is taken as SCALE-Sim's '%s' would write it, so the
    same values are refused; an SRAM value is truncated, as its '%i' does."""
    import numpy as np

    from gainsight_db.common.errors import GsdbError
    from gainsight_db.warehouse.connection import open_warehouse

    con = open_warehouse(db)
    try:
        with pytest.raises(GsdbError) as err:
            load_trace_matrix(con, np.array([[0.0, 5.0], [1.0, value]]), "layer0/X (in memory)", 1, 0, "ifmap", "dram")
        stats = load_trace_matrix(con, np.array([[0.0, 180.7]]), "layer0/Y (in memory)", 1, 0, "ifmap", "sram")
        assert stats.accesses == 1
        assert con.execute("SELECT cycle, addr FROM accesses").fetchall() == [(0, 180)]
    finally:
        con.close()
    assert str(err.value).startswith(f"layer0/X (in memory): row 2, column 2: {value!r} is not a")


def test_trace_that_is_not_utf8_is_refused_in_one_short_line(tmp_path, db, gsdb, seeded):
    run = example_copy(tmp_path / "bad")
    set_field(run / "layer2" / "IFMAP_SRAM_TRACE.csv", 5, 3, "12\udcff", sep=",")
    result = gsdb("ingest", run, check=False)
    line = refused(result, run / "layer2" / "IFMAP_SRAM_TRACE.csv", ("line 5", "utf-8"), db, seeded)
    assert len(line) < 300, line


# Report fields (items 4, 8 and 10): checked, never rounded, every digit kept ----------------------
REPORT_FIELDS = [
    # (report, line, field, text, words): line 1 is the header, field 1 the LayerID.
    pytest.param("COMPUTE_REPORT.csv", 2, 3, "289.6", ("total cycles", "not an integer"), id="total-cycles-fraction"),
    pytest.param("COMPUTE_REPORT.csv", 2, 1, "0.6", ("layerid", "not an integer"), id="layer-fraction"),
    pytest.param("DETAILED_ACCESS_REPORT.csv", 3, 2, "9.5", ("sram ifmap start cycle", "not an integer"),
                 id="start-cycle-fraction"),
    pytest.param("DETAILED_ACCESS_REPORT.csv", 2, 4, "1_296", ("sram ifmap reads", "not an integer"), id="underscore"),
    pytest.param("DETAILED_ACCESS_REPORT.csv", 2, 4, "99999999999999999999", ("out of range",), id="count-too-large"),
    pytest.param("BANDWIDTH_REPORT.csv", 3, 1, "1.5", ("layerid", "not an integer"), id="bandwidth-layer-fraction"),
    pytest.param("COMPUTE_REPORT.csv", 2, 5, "56.0_5", ("overall util", "not a number"), id="fraction-underscore"),
    # 10. NaN, infinity and negative counts
    pytest.param("COMPUTE_REPORT.csv", 2, 3, "nan", ("total cycles", "not a number"), id="total-cycles-nan"),
    pytest.param("COMPUTE_REPORT.csv", 3, 3, "inf", ("total cycles", "not a number"), id="total-cycles-inf"),
    pytest.param("COMPUTE_REPORT.csv", 4, 3, "-367", ("total cycles", "negative"), id="total-cycles-negative"),
    pytest.param("COMPUTE_REPORT.csv", 2, 4, "-5", ("stall cycles", "negative"), id="stall-cycles-negative"),
    pytest.param("COMPUTE_REPORT.csv", 3, 2, "-350", ("prefetch", "negative"), id="prefetch-cycles-negative"),
    pytest.param("DETAILED_ACCESS_REPORT.csv", 2, 7, "-288", ("sram filter reads", "negative"), id="reads-negative"),
    pytest.param("BANDWIDTH_REPORT.csv", 2, 2, "NaN", ("avg ifmap sram bw", "not a number"), id="bandwidth-nan"),
    pytest.param("BANDWIDTH_REPORT.csv", 2, 3, "-0.99", ("avg filter sram bw", "negative"), id="bandwidth-negative"),
    pytest.param("COMPUTE_REPORT.csv", 4, 6, "-Infinity", ("mapping efficiency", "not a number"), id="util-infinity"),
]


@pytest.mark.parametrize("report, line, field, text, words", REPORT_FIELDS)
def test_report_value_scalesim_never_writes_is_refused(report, line, field, text, words, tmp_path, db, gsdb, seeded):
    run = example_copy(tmp_path / "bad")
    set_field(run / report, line, field, text, sep=", ")
    result = gsdb("ingest", run, check=False)
    refused(result, run / report, (f"line {line}", f"field {field}", repr(text), *words), db, seeded)


def test_large_report_integer_keeps_every_digit(tmp_path, db, gsdb):
    """2**53 + 1 has no DOUBLE of its own: read through DOUBLE it became 9007199254740992."""
    run = example_copy(tmp_path / "big")
    set_field(run / "DETAILED_ACCESS_REPORT.csv", 2, 4, "9007199254740993", sep=", ")
    set_field(run / "COMPUTE_REPORT.csv", 3, 2, "9007199254740995", sep=", ")
    gsdb("ingest", "-q", run)
    assert query(db, "SELECT sram_ifmap_reads FROM access_report WHERE layer = 0") == [(9007199254740993,)]
    assert query(db, "SELECT total_cycles_incl_prefetch FROM compute_report WHERE layer = 1") == [(9007199254740995,)]
    # The fields SCALE-Sim writes as floats (`9.0`) are still read as the integers they are.
    assert query(db, "SELECT sram_ifmap_start_cycle, dram_ifmap_start_cycle FROM access_report WHERE layer = 0") == [
        (9, -28)]


def test_report_that_is_not_utf8_is_refused_in_one_short_line(tmp_path, db, gsdb, seeded):
    run = example_copy(tmp_path / "bad")
    set_field(run / "BANDWIDTH_REPORT.csv", 3, 2, "5.98\udcff\udcfe", sep=", ")
    result = gsdb("ingest", run, check=False)
    line = refused(result, run / "BANDWIDTH_REPORT.csv", ("line 3", "utf-8"), db, seeded)
    assert len(line) < 300, line


# Reports' layers (item 5): each listed once, the same in every report --------------------------------
def _duplicate_line(report: str, line: int):
    def mutate(run: Path) -> Path:
        path = run / report
        lines = path.read_text().splitlines()
        lines.append(lines[line - 1])
        path.write_text("\n".join(lines) + "\n")
        return path
    return mutate


def _drop_line(report: str, line: int):
    def mutate(run: Path) -> Path:
        path = run / report
        lines = path.read_text().splitlines()
        del lines[line - 1]
        path.write_text("\n".join(lines) + "\n")
        return path
    return mutate


def _extra_layer(report: str, layer: int):
    def mutate(run: Path) -> Path:
        path = run / report
        lines = path.read_text().splitlines()
        lines.append(f"{layer}, " + lines[-1].split(", ", 1)[1])
        path.write_text("\n".join(lines) + "\n")
        return path
    return mutate


LAYER_MISMATCHES = [
    pytest.param(_duplicate_line("BANDWIDTH_REPORT.csv", 3), ("layerid 1", "more than once", "lines 3 and 5"),
                 id="bandwidth-duplicate"),
    pytest.param(_duplicate_line("DETAILED_ACCESS_REPORT.csv", 2), ("layerid 0", "more than once", "lines 2 and 5"),
                 id="detailed-duplicate"),
    pytest.param(_duplicate_line("COMPUTE_REPORT.csv", 4), ("layerid 2", "more than once", "lines 4 and 5"),
                 id="compute-duplicate"),
    pytest.param(_drop_line("COMPUTE_REPORT.csv", 4), ("layerid 2", "BANDWIDTH_REPORT.csv"),
                 id="compute-fewer-layers"),
    pytest.param(_drop_line("BANDWIDTH_REPORT.csv", 3), ("layerid 1", "COMPUTE_REPORT.csv"),
                 id="bandwidth-missing-layer"),
    pytest.param(_extra_layer("DETAILED_ACCESS_REPORT.csv", 3), ("layerid 3", "COMPUTE_REPORT.csv"),
                 id="detailed-extra-layer"),
]


@pytest.mark.parametrize("mutate, words", LAYER_MISMATCHES)
def test_reports_that_disagree_on_layers_are_refused(mutate, words, tmp_path, db, gsdb, seeded):
    offender = mutate(example_copy(tmp_path / "bad"))
    result = gsdb("ingest", offender.parent, check=False)
    refused(result, offender, words, db, seeded)


def test_layer_mismatch_in_a_folder_named_with_braces_is_one_line(tmp_path, db, gsdb, seeded):
    run = example_copy(tmp_path / "odd{0}name")
    offender = _drop_line("BANDWIDTH_REPORT.csv", 3)(run)
    result = gsdb("ingest", run, check=False)
    refused(result, offender, ("layerid 1", "COMPUTE_REPORT.csv"), db, seeded)


def test_sparse_report_missing_a_layer_is_refused(tmp_path, db, gsdb, seeded):
    run = copy_run(SPARSE_SAMPLE, tmp_path)
    offender = _drop_line("SPARSE_REPORT.csv", 3)(run)
    result = gsdb("ingest", run, check=False)
    refused(result, offender, ("layerid 1", "COMPUTE_REPORT.csv"), db, seeded)


def test_layer_id_beyond_what_the_warehouse_holds_is_refused(tmp_path, db, gsdb, seeded):
    """accesses.layer is a SMALLINT: LayerID 32768 cannot be stored."""
    run = make_run(tmp_path / "big", [{}])
    for report in ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"):
        set_field(run / report, 2, 1, "32768", sep=", ")
    (run / "layer0").rename(run / "layer32768")
    result = gsdb("ingest", run, check=False)
    refused(result, run / "COMPUTE_REPORT.csv", ("line 2", "32768", "32767"), db, seeded)


# Run folders named like glob patterns (item 1): every file read is that run's own -----------------
GLOB_NAMES = [
    pytest.param("br[1]", "br1", id="brackets"),
    pytest.param("q?", "qa", id="question-mark"),
    pytest.param("s*", "sX", id="star"),
]


@pytest.mark.parametrize("name, sibling", GLOB_NAMES)
def test_run_folder_named_like_a_glob_loads_its_own_files(name, sibling, tmp_path, db, gsdb):
    own = make_run(tmp_path / "runs" / name, [{"IFMAP_SRAM": "1,5,6\n2,7,-1\n"}], total_cycles=100)
    make_run(tmp_path / "runs" / sibling, [{"IFMAP_SRAM": "1,900\n", "FILTER_SRAM": "3,4\n"}], total_cycles=200)
    gsdb("ingest", "-q", tmp_path / "runs" / name)
    assert query(db, "SELECT source_path FROM runs") == [(str(own.resolve()),)]
    assert query(db, "SELECT layer, total_cycles FROM compute_report") == [(0, 100)]
    assert query(db, "SELECT buffer::VARCHAR, level::VARCHAR, cycle, addr FROM accesses ORDER BY ALL") == [
        ("ifmap", "sram", 1, 5), ("ifmap", "sram", 1, 6), ("ifmap", "sram", 2, 7)]
    # The provenance names the files read, and their hashes are those files' own.
    files = query(db, "SELECT f.path, f.sha256 FROM ingests, unnest(files) AS u(f) ORDER BY 1")
    expected = sorted(
        (str(p.resolve()), hashlib.sha256(p.read_bytes()).hexdigest()) for p in own.rglob("*.csv")
    )
    assert files == expected and len(files) == 3 + 6
