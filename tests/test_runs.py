"""Runs one can manage: `gsdb simulate` with overrides of the config, one run per distinct simulation
(simulating the same inputs again replaces it), names `--run` can always find, `gsdb rm`, the audit
of rows whose run is gone, and progress counted in layers while SCALE-Sim runs."""

from __future__ import annotations

import configparser
import json

import duckdb
import pytest
from conftest import EXAMPLE_RUN, SCALESIM_SAMPLES, warehouse_fingerprint
from trace_reference import run_access_counts

import gainsight_db
from gainsight_db.common.errors import GsdbError

INPUTS = EXAMPLE_RUN / "inputs"
CONFIG = INPUTS / "tiny_8x8_ws.cfg"  # run_name tiny_8x8_ws: 8x8, 4 KiB SRAMs, ws, CALC
TINY3 = INPUTS / "tiny3.csv"
OS_SAMPLE = SCALESIM_SAMPLES["v3_api_tiny_8x16_os"]  # the same inputs but ArrayWidth 16 and Dataflow os


def _config(path) -> configparser.ConfigParser:
    """A config read as SCALE-Sim reads it (keys lower-cased)."""
    parser = configparser.ConfigParser()
    parser.read(path)
    return parser


def _rows_per_table(db, run_id: int) -> dict[str, int]:
    """Rows carrying run_id in every table of the warehouse that has the column (counted directly), and
    the accesses and generations of the run's traces."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'run_id' AND NOT internal "
            "AND table_name IN (SELECT table_name FROM duckdb_tables()) ORDER BY 1").fetchall()]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}" WHERE run_id = ?', [run_id]).fetchall()[0][0]
                  for t in tables}
        # the accesses are stored under their trace's id, a cycle's in a list, and the generations under
        # the id of the trace writing into their buffer: a run's are those of its traces
        counts["accesses"] = con.execute("SELECT coalesce(sum(len(addrs)), 0) FROM _accesses WHERE trace_id IN "
                                         "(SELECT trace_id FROM trace_files WHERE run_id = ?)", [run_id]).fetchall()[0][0]
        counts["_generations"] = con.execute("SELECT count(*) FROM _generations WHERE trace_id IN "
                                             "(SELECT trace_id FROM trace_files WHERE run_id = ?)", [run_id]).fetchall()[0][0]
    finally:
        con.close()
    return {t: n for t, n in counts.items() if n}


# Overrides, identity, replacement -------------------------------------------------------------------
def test_overrides_reproduce_the_run_made_from_an_edited_config_and_replace_it(gsdb, tmp_path, db):
    """Rule: --dataflow os --array 8x16 on the 8x8 ws config is the committed 8x16 os sample's config:
    SCALE-Sim writes that sample's files byte for byte, and simulating the sample's own config
    afterwards (the same effective inputs) replaces the run instead of adding a second one."""
    out = tmp_path / "sim"
    made = gsdb("simulate", "--topology", TINY3, "--config", CONFIG, "--dataflow", "os", "--array", "8x16",
                "--name", "tiny_8x16_os", "--keep-csv", "-o", out)
    assert made.stdout.startswith("ingested run 1 tiny_8x16_os: 3 layers")
    files = sorted(p.relative_to(OS_SAMPLE) for p in OS_SAMPLE.rglob("*.csv"))
    assert len(files) == 3 + 3 * 6
    for relative in files:
        assert (out / "tiny_8x16_os" / relative).read_bytes() == (OS_SAMPLE / relative).read_bytes(), relative

    given, effective = _config(CONFIG), _config(out / "inputs" / CONFIG.name)
    changed = {("general", "run_name"): "tiny_8x16_os", ("architecture_presets", "arraywidth"): "16",
               ("architecture_presets", "dataflow"): "os"}
    assert given.sections() == effective.sections()
    for section in given.sections():
        assert set(given[section]) == set(effective[section])
        for key, value in given[section].items():
            assert effective[section][key] == changed.get((section, key), value), (section, key)

    def runs():
        return json.loads(gsdb("query", "SELECT run_id, name, dataflow, array_rows, array_cols, overrides, "
                                        "inputs_sha256, (SELECT count(*) FROM accesses) AS accesses FROM runs",
                               "-f", "json").stdout)

    (first,) = runs()
    expected_accesses = sum(run_access_counts(OS_SAMPLE).values())
    assert first["accesses"] == expected_accesses
    assert (first["name"], first["dataflow"], first["array_rows"], first["array_cols"]) == ("tiny_8x16_os", "os", 8, 16)
    assert first["overrides"] == "array=8x16 dataflow=os" and len(first["inputs_sha256"]) == 64

    again = gsdb("simulate", "--topology", OS_SAMPLE.parent / "inputs" / "tiny3.csv",
                 "--config", OS_SAMPLE.parent / "inputs" / "tiny_8x16_os.cfg")
    assert again.stdout.startswith("replaced run 1 tiny_8x16_os: 3 layers")
    (second,) = runs()
    assert second["inputs_sha256"] == first["inputs_sha256"] and second["overrides"] == ""
    assert second["accesses"] == expected_accesses, "the replaced run's rows are gone, not doubled"
    ingests = gsdb("query", "SELECT run_id, status FROM ingests ORDER BY ingest_id", "-f", "csv").stdout.split()
    assert ingests == ["run_id,status", "1,replaced", "1,loaded"]


GEMM = "Layer Name, M, N, K,\nG1, 8, 12, 10,\n"  # one small layer: the quickest simulation


@pytest.fixture
def warehouse(tmp_path):
    """An in-process warehouse whose warnings are kept; a one-layer GEMM topology beside it."""
    (tmp_path / "gemm.csv").write_text(GEMM)
    warnings: list[str] = []
    with gainsight_db.connect(tmp_path / "wh" / "w.duckdb", warn=warnings.append) as wh:
        yield wh, tmp_path / "gemm.csv", warnings


def test_run_names_are_unique_and_an_explicit_name_is_never_taken_over(warehouse, tmp_path):
    """Rule: without --name a run is named after the config's run_name, with what differs from the run
    already holding that name appended (or -2); --name another run holds is refused; --run finds each."""
    wh, gemm, warnings = warehouse
    names = [wh.simulate(gemm, CONFIG).name]
    names.append(wh.simulate(gemm, CONFIG, dataflow="os").name)
    names.append(wh.simulate(gemm, CONFIG, sram_kb=8, array="16x8").name)
    other = tmp_path / "other.csv"
    other.write_text("Layer Name, M, N, K,\nG1, 8, 12, 12,\n")  # the same config, another topology
    names.append(wh.simulate(other, CONFIG).name)
    assert names == ["tiny_8x8_ws", "tiny_8x8_ws_os", "tiny_8x8_ws_16x8_8kb", "tiny_8x8_ws-2"]
    assert len(warnings) == 3 and all("'tiny_8x8_ws' is taken by run 1" in w for w in warnings)
    assert [wh.run_id(name) for name in names] == [1, 2, 3, 4]

    before = wh.sql("SELECT * FROM runs ORDER BY run_id").fetchall()
    simulations = sorted((wh.path.parent / "simulations").iterdir())
    with pytest.raises(GsdbError, match="run 2 already has this name and other inputs"):
        wh.simulate(gemm, CONFIG, dataflow="is", name="tiny_8x8_ws_os")
    assert wh.sql("SELECT * FROM runs ORDER BY run_id").fetchall() == before
    assert sorted((wh.path.parent / "simulations").iterdir()) == simulations, "refused before SCALE-Sim ran"

    # The same inputs under a new name: still one run, now under that name.
    renamed = wh.simulate(gemm, CONFIG, dataflow="os", name="gemm_os")
    assert (renamed.run_id, renamed.replaced) == (2, True)
    assert wh.sql("SELECT run_id, name, overrides FROM runs ORDER BY run_id").fetchall() == [
        (1, "tiny_8x8_ws", ""), (2, "gemm_os", "dataflow=os"), (3, "tiny_8x8_ws_16x8_8kb", "array=16x8 sram_kb=8"),
        (4, "tiny_8x8_ws-2", ""),
    ]
    assert wh.sql("SELECT array_rows, array_cols, ifmap_sram_kb, filter_sram_kb, ofmap_sram_kb FROM runs "
                  "WHERE run_id = 3").fetchall() == [(16, 8, 8, 8, 8)]


def test_bandwidth_sets_user_mode_and_bad_overrides_are_refused_before_simulating(warehouse):
    wh, gemm, _ = warehouse
    for options, words in (
        ({"array": "0x4"}, "array '0x4'"), ({"array": "8"}, "array '8'"), ({"array": "8.5x8"}, "array '8.5x8'"),
        ({"dataflow": "xx"}, "dataflow 'xx'"), ({"sram_kb": 0}, "sram_kb 0"), ({"sram_kb": "1.5"}, "sram_kb '1.5'"),
        ({"sram_kb": 1.5}, "sram_kb 1.5"), ({"bandwidth": "2.5"}, "bandwidth '2.5'"), ({"bandwidth": True}, "bandwidth True"),
        ({"array": "3000000000x8"}, "array '3000000000x8'"), ({"name": "12"}, "digits only"),
        ({"name": "a/b"}, "name 'a/b'"), ({"name": ""}, "name ''"),
    ):
        with pytest.raises(GsdbError, match=words):
            wh.simulate(gemm, CONFIG, **options)
    assert not (wh.path.parent / "simulations").exists() and wh.runs().empty

    wh.simulate(gemm, CONFIG, bandwidth="5")
    assert wh.sql("SELECT bandwidth_mode, dram_bandwidth, overrides FROM runs").fetchall() == [
        ("USER", "5", "bandwidth=5")]


def test_bad_overrides_on_the_command_line_are_one_line_errors(gsdb, db):
    """A fractional size is the API's one-line error, not a usage error of the option's type."""
    result = gsdb("simulate", "--topology", TINY3, "--config", CONFIG, "--sram-kb", "1.5", check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "gsdb: error: sram_kb '1.5': expected a positive whole number (KiB per buffer)\n"
    assert not db.exists()


# Progress --------------------------------------------------------------------------------------------
class Recorder:
    """A Progress that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def start(self, total: int, description: str, unit: str) -> None:
        self.events.append(("start", total, description, unit))

    def advance(self, amount: int, description: str | None = None) -> None:
        self.events.append(("advance", amount, description))


def _phases(events: list[tuple]) -> list[tuple[tuple, list[tuple]]]:
    phases: list[tuple[tuple, list[tuple]]] = []
    for event in events:
        if event[0] == "start":
            phases.append((event, []))
        else:
            phases[-1][1].append(event)
    return phases


def test_progress_counts_layers_simulated_then_layers_ingested(tmp_path):
    """Rule: simulate reports one step per layer SCALE-Sim finishes (naming the layer it works on),
    then one per layer ingested, both in layers; an ingest of trace files counts their bytes."""
    recorder = Recorder()
    with gainsight_db.connect(tmp_path / "w.duckdb") as wh:
        wh.simulate(TINY3, CONFIG, progress=recorder)
    layer_names = [line.split(",")[0] for line in TINY3.read_text().splitlines()[1:] if line.strip()]
    assert len(layer_names) == 3
    (simulating, simulated), (ingesting, ingested) = _phases(recorder.events)
    assert simulating == ("start", 3, "simulating tiny_8x8_ws", "layers")
    assert simulated == [event for i, name in enumerate(layer_names) for event in (
        ("advance", 0, f"simulating tiny_8x8_ws layer {i + 1}/3 ({name})"), ("advance", 1, None))]
    assert ingesting == ("start", 3, "ingesting tiny_8x8_ws", "layers")
    assert ingested == [event for i in range(3) for event in (
        ("advance", 0, f"ingesting tiny_8x8_ws layer {i + 1}/3"), ("advance", 1, None))]

    recorder = Recorder()
    with gainsight_db.connect(tmp_path / "files.duckdb") as wh:
        wh.ingest(EXAMPLE_RUN, progress=recorder)
    traces = sorted((EXAMPLE_RUN / "tiny_8x8_ws").glob("layer*/*_TRACE.csv"))
    size = sum(path.stat().st_size for path in traces)
    assert len(traces) == 18
    ((start, steps),) = _phases(recorder.events)
    assert start[1] == size and start[3] == "bytes"
    assert sorted(amount for _, amount, _ in steps if amount) == sorted(path.stat().st_size for path in traces)


# Removing runs, and what a removal by hand leaves behind --------------------------------------------
def test_rm_removes_every_row_of_a_run_and_the_audit_finds_rows_a_deletion_by_hand_left(gsdb, db):
    """Rule: gsdb rm deletes a run's rows in every table of the warehouse (none of the user's, nothing
    of other runs), all runs given or none; rows whose runs row was deleted by hand are reported by
    the audit, per table, and removed by gsdb rm ID."""
    gsdb("ingest", EXAMPLE_RUN, OS_SAMPLE, "-q")  # runs 1 and 2
    gsdb("query", "--write", "CREATE TABLE my_notes AS SELECT 1 AS run_id, 'keep me' AS note")
    first, second = _rows_per_table(db, 1), _rows_per_table(db, 2)
    assert first["accesses"] == sum(run_access_counts(EXAMPLE_RUN / "tiny_8x8_ws").values())
    assert first["my_notes"] == 1 and {"runs", "ingests", "trace_files", "_generations"} <= set(first)

    before = warehouse_fingerprint(db)
    unknown = gsdb("rm", "1", "no_such_run", check=False)
    assert unknown.returncode == 1 and "no_such_run" in unknown.stderr and len(unknown.stderr.splitlines()) == 1
    assert warehouse_fingerprint(db) == before, "nothing removed when one run is unknown"

    removed = gsdb("rm", "tiny_8x8_ws", "1")  # the same run twice: removed once
    rows = sum(n for table, n in first.items() if table != "my_notes")
    assert removed.stdout == f"removed run 1 tiny_8x8_ws: {rows:,} rows\n"
    assert _rows_per_table(db, 1) == {"my_notes": 1}, "a table the user made is not the warehouse's"
    assert _rows_per_table(db, 2) == second

    # Run 2's runs row deleted by hand: its other rows stay, and the audit lists them.
    expected = {
        "accesses": sum(run_access_counts(OS_SAMPLE).values()), "trace_files": 3 * 6, "compute_report": 3,
        "bandwidth_report": 3, "access_report": 3, "layer_shapes": 3, "_layer_stats": 3 * 3, "ingests": 1,
        "_generations": second["_generations"], "_lifetime_lengths": second["_lifetime_lengths"],
    }
    assert second == {**expected, "runs": 1}
    gsdb("query", "--write", "DELETE FROM runs WHERE run_id = 2")
    audit = json.loads(gsdb("audit", "-f", "json").stdout)
    assert {row["check"] for row in audit} == {"orphan_rows"}, "access_audit joins runs: run 2 is gone from it"
    assert {row["table"]: row["rows"] for row in audit} == expected
    assert all(row["run_id"] == 2 and row["run"] is None and row["matches"] is False for row in audit)

    removed = gsdb("rm", "2")
    assert removed.stdout == f"removed the rows left behind by run 2: {sum(expected.values()):,} rows\n"
    assert _rows_per_table(db, 2) == {}
    assert json.loads(gsdb("audit", "-f", "json").stdout) == []


def test_a_new_trace_never_takes_over_accesses_left_without_their_trace(db, gsdb):
    """Rule: trace ids are never reused while accesses or generations still carry them: those whose
    trace_files rows were deleted by hand stay apart (the audit lists them, with no run), and the next
    run's are its own."""
    gsdb("ingest", EXAMPLE_RUN, "-q")
    [generations] = json.loads(gsdb("query", "SELECT count(*) AS n FROM _generations", "-f", "json").stdout)
    gsdb("query", "--write", "DELETE FROM trace_files")
    gsdb("ingest", OS_SAMPLE, "-q")
    rows = json.loads(gsdb("query", "SELECT run_id, count(*) AS n FROM accesses GROUP BY run_id", "-f", "json").stdout)
    assert rows == [{"run_id": 2, "n": sum(run_access_counts(OS_SAMPLE).values())}]
    audit = json.loads(gsdb("audit", "-f", "json").stdout)
    left = {row["table"]: row for row in audit if row["check"] == "orphan_rows"}
    assert left["accesses"] == {**left["accesses"], "run_id": None,
                                "rows": sum(run_access_counts(EXAMPLE_RUN / "tiny_8x8_ws").values())}
    # the run's generations are left too, under its traces' ids
    assert set(left) == {"accesses", "_generations"} and left["_generations"]["run_id"] is None
    assert left["_generations"]["rows"] == generations["n"] > 0
