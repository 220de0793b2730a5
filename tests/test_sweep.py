"""`gsdb sweep`: a design-space study as one spec and one command, run by real SCALE-Sim in worker
processes and ingested point by point.

The workloads are the tutorial's (SCALE-Sim's tutorial 1) made small: its 3-layer network shrunk to
tests' size (the example run's tiny3.csv: a 3x3 conv, a 1x1 conv, an FC layer) on 8x8-sized arrays.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE_RUN, SCALESIM_DATA, all_ended, child_processes, cli_runner, query_rows, warehouse_fingerprint

import gainsight_db
from gainsight_db.common.errors import GsdbError

GSDB = str(Path(sys.executable).parent / "gsdb")
INPUTS = EXAMPLE_RUN / "inputs"  # tiny3.csv and tiny_8x8_ws.cfg (8x8, 4 KiB SRAMs, ws, CALC)
SPARSE = SCALESIM_DATA / "v3_api_sparse2_16x16_ws" / "inputs"  # sparsity on, BlockSize 8


def _study(folder: Path, spec: str, name: str = "spec.toml") -> Path:
    """A folder holding the tutorial's (small) network and base config, and a spec naming them
    relative to itself."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(INPUTS / "tiny3.csv", folder / "tiny3.csv")
    shutil.copy(INPUTS / "tiny_8x8_ws.cfg", folder / "base.cfg")
    (folder / name).write_text(spec)
    return folder / name


def _work_folders(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(f".{db.name}.*.partial"))


FLOWS = ("os", "ws", "is")
PART_A = """\
name = "tutorial1"
topology = "tiny3.csv"
config = "base.cfg"
[axes]
dataflow = ["os", "ws", "is"]
"""


@pytest.fixture(scope="module")
def part_a(tmp_path_factory):
    """The tutorial's Part A (three dataflows on one network) swept once by the command line."""
    folder = tmp_path_factory.mktemp("part_a")
    spec = _study(folder, PART_A)
    db = folder / "wh" / "gainsight.duckdb"
    gsdb = cli_runner(db)
    first = gsdb("sweep", spec, "--jobs", "2")
    return spec, db, gsdb, first


def test_part_a_is_one_spec_and_one_command(part_a):
    spec, db, _, first = part_a
    assert first.stdout.startswith("sweep tutorial1: 3 points: 3 ran, 0 skipped, 0 failed in ")
    lines = first.stderr.splitlines()
    assert len(lines) == 3 and all(" ingested as run " in line for line in lines), first.stderr
    assert sorted(line.split(":")[0] for line in lines) == [
        "point 1/3 tutorial1_os", "point 2/3 tutorial1_ws", "point 3/3 tutorial1_is"]
    points = query_rows(db, "SELECT p.sweep, p.point, r.name, p.topology, p.dataflow, p.array, p.sram_kb, p.bandwidth, "
                       "r.dataflow, r.overrides, p.inputs_sha256 = r.inputs_sha256 FROM sweep_points p "
                       "JOIN runs r USING (run_id) ORDER BY p.point")
    assert points == [("tutorial1", i, f"tutorial1_{flow}", "tiny3.csv", flow, None, None, None, flow,
                       f"dataflow={flow}", True) for i, flow in enumerate(["os", "ws", "is"])]
    # Each run's SCALE-Sim output is kept beside the warehouse; nothing of the work is left.
    sources = [Path(path) for (path,) in query_rows(db, "SELECT source_path FROM runs ORDER BY run_id")]
    assert all(path.parent.parent == db.parent / "simulations" and path.is_dir() for path in sources)
    assert _work_folders(db) == []


def test_each_point_is_what_gsdb_simulate_makes_of_the_same_config(part_a, tmp_path):
    """Rule: a point's run equals `gsdb simulate` of the base config with the point's overrides:
    the same inputs' identity and, table for table, the same layer statistics and reports."""
    spec, db, _, _ = part_a
    with gainsight_db.connect(tmp_path / "simulated.duckdb") as wh:
        for flow in ("os", "ws", "is"):
            wh.simulate(spec.parent / "tiny3.csv", spec.parent / "base.cfg", dataflow=flow, name=f"sim_{flow}")
    simulated = tmp_path / "simulated.duckdb"
    for table in ("layer_stats", "compute_report", "trace_files"):
        sql = (f"SELECT r.dataflow, r.inputs_sha256, t.* EXCLUDE (run_id{', path, trace_id' if table == 'trace_files' else ''}) "
               f"FROM {table} t JOIN runs r USING (run_id) ORDER BY ALL")
        swept, made = query_rows(db, sql), query_rows(simulated, sql)
        assert len(swept) > 3 and swept == made, table
    assert not list(tmp_path.glob("*.partial")), "gsdb simulate removes the shards it handed the traces over to"


def test_a_run_name_taken_by_other_inputs_is_refused_before_anything_runs(part_a, tmp_path):
    spec, db, _, _ = part_a
    other = tmp_path / "other"
    _study(other, PART_A)
    (other / "tiny3.csv").write_text((other / "tiny3.csv").read_text().replace("Conv_1x1, 8, 8", "Conv_1x1, 6, 6"))
    before = warehouse_fingerprint(db)
    [(holder,)] = query_rows(db, "SELECT run_id FROM runs WHERE name = 'tutorial1_os'")
    with gainsight_db.connect(db) as wh, pytest.raises(GsdbError) as err:
        wh.sweep(other / "spec.toml", jobs=1)
    assert f"point 1's run name 'tutorial1_os' is taken by run {holder}, simulated from other inputs" in str(err.value)
    assert f"gsdb rm {holder}" in str(err.value)
    assert warehouse_fingerprint(db) == before


def test_running_the_spec_again_skips_every_point_and_force_runs_them_again(part_a):
    """Rule: points whose inputs are in the warehouse are skipped, nothing duplicated; --force runs
    them again, each replacing its run (same run ids, same rows)."""
    spec, db, gsdb, _ = part_a
    counts = ("SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM accesses), (SELECT count(*) FROM layer_stats), "
              "(SELECT count(*) FROM sweep_points)")
    points = "SELECT point, run_id, inputs_sha256 FROM sweep_points WHERE sweep = 'tutorial1' ORDER BY point"
    before, rows_before = query_rows(db, counts), query_rows(db, points)
    runs = [run_id for _, run_id, _ in rows_before]  # of points 0, 1, 2 (ids go by the order points finished)
    again = gsdb("sweep", spec)
    assert again.stdout.startswith("sweep tutorial1: 3 points: 0 ran, 3 skipped, 0 failed in ")
    assert again.stderr.splitlines() == [
        f"point {i + 1}/3 tutorial1_{flow}: skipped, run {runs[i]} has the same inputs" for i, flow in enumerate(FLOWS)]
    assert query_rows(db, counts) == before and query_rows(db, points) == rows_before
    with gainsight_db.connect(db) as wh:  # the same from Python
        result = wh.sweep(spec)
    assert result.ok and result.summary().startswith("sweep tutorial1: 3 points: 0 ran, 3 skipped, 0 failed in ")
    assert [(p.point, p.run_name, p.status, p.run_id, p.values) for p in result.points] == [
        (i, f"tutorial1_{flow}", "skipped", runs[i], {"dataflow": flow}) for i, flow in enumerate(FLOWS)]
    assert list(result.frame()["reason"]) == [f"run {run} has the same inputs" for run in runs]
    copy = spec.with_name("copy.toml")  # another sweep of the same points
    copy.write_text(spec.read_text().replace('name = "tutorial1"', 'name = "copy"'))
    assert gsdb("sweep", copy).stdout.startswith("sweep copy: 3 points: 0 ran, 3 skipped, 0 failed in ")
    shared = "SELECT sweep, point, run_id FROM sweep_points WHERE sweep = 'copy' ORDER BY point"
    assert [run for _, _, run in query_rows(db, shared)] == runs

    forced = gsdb("sweep", spec, "--force", "-j", "2")
    assert forced.stdout.startswith("sweep tutorial1: 3 points: 3 ran, 0 skipped, 0 failed in ")
    assert all(" replaced run " in line for line in forced.stderr.splitlines())
    assert [run for _, _, run in query_rows(db, shared)] == runs, "the runs replaced are still the other sweep's points"
    [(runs_n, accesses_n, stats_n, points_n)] = before
    before = [(runs_n, accesses_n, stats_n, points_n + 3)]  # the other sweep's rows too
    assert query_rows(db, counts) == before and query_rows(db, points) == rows_before
    assert query_rows(db, "SELECT status, count(*) FROM ingests GROUP BY ALL ORDER BY ALL") == [("loaded", 3), ("replaced", 3)]


# Part B, and a sweep killed half-way --------------------------------------------------------------
PART_B = """\
name = "aspect"
topology = "tiny3.csv"
config = "base.cfg"
[axes]
array = ["4x16", "8x8", "16x4"]   # the same 64 processing elements, three aspect ratios
dataflow = ["os", "ws"]
"""


def _start(spec: Path, db: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([GSDB, "sweep", str(spec), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, GSDB_DB=str(db)))


def _first_point_ingested(proc: subprocess.Popen) -> str:
    """Wait for the first point's line (a non-terminal gets one per finished point)."""
    line = proc.stderr.readline()
    assert " ingested as run " in line, line + proc.stderr.read()
    return line


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux /proc")
def test_reduced_part_b_killed_half_way_runs_only_the_missing_points_when_started_again(tmp_path):
    """Part B (aspect ratios x dataflows) as one spec. Killed (SIGKILL) after its first point was
    ingested, the sweep keeps the points ingested; started again it runs only the others and
    removes the work folder the killed one left."""
    spec = _study(tmp_path / "study", PART_B)
    db = tmp_path / "wh" / "gainsight.duckdb"
    proc = _start(spec, db, "--jobs", "1")
    _first_point_ingested(proc)
    workers = child_processes(proc.pid)
    proc.kill()
    proc.communicate(timeout=30)  # its workers hold its stderr open until they end
    assert proc.returncode == -signal.SIGKILL
    kept = query_rows(db, "SELECT point FROM sweep_points ORDER BY point")
    assert 1 <= len(kept) < 6
    assert query_rows(db, "SELECT count(*) FROM runs") == [(len(kept),)]
    assert len(_work_folders(db)) == 1, "a killed sweep leaves its work folder"

    again = cli_runner(db)("sweep", spec, "--jobs", "2")
    assert again.stdout.startswith(f"sweep aspect: 6 points: {6 - len(kept)} ran, {len(kept)} skipped, 0 failed in ")
    assert _work_folders(db) == []
    assert all_ended(workers), "the killed sweep's workers ended with it"
    names = [f"aspect_{array}_{flow}" for array in ("4x16", "8x8", "16x4") for flow in ("os", "ws")]
    rows = query_rows(db, "SELECT p.point, r.name, p.array, p.dataflow, r.array_rows, r.array_cols FROM sweep_points p "
                     "JOIN runs r USING (run_id) ORDER BY p.point")
    assert rows == [(i, name, name.split("_")[1], name.split("_")[2], *map(int, name.split("_")[1].split("x")))
                    for i, name in enumerate(names)]
    assert query_rows(db, "SELECT count(*), count(DISTINCT name) FROM runs") == [(6, 6)]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux /proc")
def test_ctrl_c_stops_the_workers_keeps_what_was_ingested_and_leaves_no_work_folder(tmp_path):
    spec = _study(tmp_path / "study", PART_B)
    db = tmp_path / "wh" / "gainsight.duckdb"
    proc = _start(spec, db, "--jobs", "1")
    _first_point_ingested(proc)
    workers = child_processes(proc.pid)
    assert workers, "the sweep runs its points in worker processes"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and stderr.splitlines()[-1] == "gsdb: interrupted", stderr
    assert all_ended(workers)
    assert _work_folders(db) == []
    kept = query_rows(db, "SELECT count(*) FROM sweep_points")[0][0]
    assert 1 <= kept < 6 and query_rows(db, "SELECT count(*) FROM runs") == [(kept,)]


# Failing points -----------------------------------------------------------------------------------
SPARSE_SPEC = """\
name = "sparse"
topology = "sparse2.csv"
config = "sparse.cfg"
[axes]
array = ["4x16", "8x8", "16x16"]   # SCALE-Sim refuses BlockSize 8 on fewer than 8 rows
"""


def test_a_failing_point_is_reported_and_the_others_go_on_unless_failing_fast(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(SPARSE / "sparse2.csv", folder)
    shutil.copy(SPARSE / "sparse_16x16_ws.cfg", folder / "sparse.cfg")
    (folder / "spec.toml").write_text(SPARSE_SPEC)
    db = tmp_path / "wh" / "gainsight.duckdb"
    result = cli_runner(db)("sweep", folder / "spec.toml", "-j", "2", check=False)
    assert result.returncode == 1
    assert result.stdout.startswith("sweep sparse: 3 points: 2 ran, 0 skipped, 1 failed in ")
    failed = [line for line in result.stderr.splitlines() if ": failed: " in line]
    assert len(failed) == 1 and failed[0].startswith("point 1/3 sparse_4x16: failed: ")
    assert "SCALE-Sim failed: AssertionError: ERROR: Invalid block size" in failed[0]
    assert result.stderr.splitlines()[-1] == "gsdb: error: sweep sparse: 1 of 3 points failed; the first: point 1 sparse_4x16"
    assert query_rows(db, 'SELECT point, "array" FROM sweep_points ORDER BY point') == [(1, "8x8"), (2, "16x16")]
    assert _work_folders(db) == [] and len(list((db.parent / "simulations").iterdir())) == 2

    fast_db = tmp_path / "fast" / "gainsight.duckdb"
    fast = cli_runner(fast_db)("sweep", folder / "spec.toml", "-j", "1", "--fail-fast", check=False)
    assert fast.returncode == 1
    assert fast.stdout.startswith("sweep sparse: 3 points: 0 ran, 0 skipped, 1 failed, 2 not run in ")
    assert fast.stderr.splitlines()[-1] == ("gsdb: error: sweep sparse: 1 of 3 points failed, 2 not run (--fail-fast); "
                                            "the first: point 1 sparse_4x16")
    assert query_rows(fast_db, "SELECT count(*) FROM runs") == [(0,)] and _work_folders(fast_db) == []


# Bad specs ----------------------------------------------------------------------------------------
GOOD = {"name": '"study"', "topology": '"tiny3.csv"', "config": '"base.cfg"'}


def _spec_text(top: dict[str, str], axes: str) -> str:
    return "".join(f"{key} = {value}\n" for key, value in top.items()) + ("[axes]\n" + axes if axes else "")


BAD_SPECS = [
    # (top-level keys, [axes] body, words the one-line error holds)
    pytest.param(GOOD, 'dataflow = [os]\narray = ["8x8"]\n', ("not valid toml", "line 5"), id="bad-toml"),
    pytest.param({**GOOD, "dataflow": '["os"]'}, "", ("unknown key 'dataflow'",), id="unknown-key"),
    pytest.param({k: v for k, v in GOOD.items() if k != "config"}, "", ("no 'config'",), id="missing-key"),
    pytest.param(GOOD, 'dataflows = ["os"]\n', ("unknown axis 'dataflows'", "dataflow, array"), id="unknown-axis"),
    pytest.param(GOOD, "dataflow = []\n", ("axes.dataflow: an empty list",), id="empty-axis"),
    pytest.param(GOOD, 'dataflow = "os"\n', ("axes.dataflow: expected a list",), id="not-a-list"),
    pytest.param(GOOD, 'dataflow = ["os", "rs"]\n', ("axes.dataflow", "'rs'", "os, ws, is"), id="bad-dataflow"),
    pytest.param(GOOD, 'array = ["8x8", "0x4"]\n', ("axes.array", "'0x4'"), id="zero-rows"),
    pytest.param(GOOD, "array = [64]\n", ("axes.array", "ROWSxCOLS"), id="array-not-text"),
    pytest.param(GOOD, "sram_kb = [1.5]\n", ("axes.sram_kb", "1.5", "whole number"), id="fractional-size"),
    pytest.param(GOOD, "bandwidth = [0]\n", ("axes.bandwidth", "from 1"), id="zero-bandwidth"),
    pytest.param(GOOD, "ofmap_sram_kb = [true]\n", ("axes.ofmap_sram_kb", "True"), id="boolean-size"),
    pytest.param(GOOD, 'dataflow = ["os", "OS"]\n', ("axes.dataflow", "'OS' is given twice (the same as 'os')"),
                 id="same-value-twice"),
    pytest.param(GOOD, "sram_kb = [4]\nifmap_sram_kb = [8]\n", ("sram_kb and ifmap_sram_kb",), id="sram-and-buffer"),
    pytest.param({**GOOD, "topology": '"nope.csv"'}, "", ("topology 'nope.csv'", "file not found"), id="missing-topology"),
    pytest.param({**GOOD, "config": '"nope.cfg"'}, "", ("config 'nope.cfg'", "file not found"), id="missing-config"),
    pytest.param({**GOOD, "topology": '["tiny3.csv", "./tiny3.csv"]'}, "", ("listed twice",), id="topology-twice"),
    pytest.param({**GOOD, "topology": '["tiny3.csv", "copy.csv"]'}, "", ("points 1 (study_tiny3) and 2 (study_copy)",
                                                                          "the same simulation"), id="same-inputs"),
    pytest.param({**GOOD, "name": '"a/b"'}, "", ("name 'a/b'", "starts every run's name"), id="bad-name"),
    pytest.param({**GOOD, "name": '"123"'}, "", ("digits only",), id="digits-name"),
    pytest.param({**GOOD, "name": "7"}, "", ("name 7: expected text",), id="name-not-text"),
]


@pytest.mark.parametrize("top,axes,words", BAD_SPECS)
def test_a_bad_spec_is_refused_in_one_line_before_anything_runs(tmp_path, top, axes, words):
    """Everything a sweep checks before it runs, as `gsdb sweep` checks it (without a warehouse)."""
    from gainsight_db.sweeps.coordinator import prepare_sweep

    spec = _study(tmp_path / "study", _spec_text(top, axes))
    shutil.copy(spec.parent / "tiny3.csv", spec.parent / "copy.csv")
    with pytest.raises(GsdbError) as err:
        prepare_sweep(spec)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{spec}: "), message
    assert all(word.lower() in message.lower() for word in words), message


def test_a_bad_spec_leaves_the_warehouse_as_it_was_or_makes_none(part_a, tmp_path):
    _, db, gsdb, _ = part_a
    spec = _study(tmp_path / "bad", _spec_text(GOOD, "dataflow = []\n"))
    with pytest.raises(GsdbError, match="an empty list"), gainsight_db.connect(tmp_path / "new" / "w.duckdb") as wh:
        wh.sweep(spec)
    assert not (tmp_path / "new").exists(), "a refused sweep leaves no warehouse behind"
    before = warehouse_fingerprint(db)
    refused = gsdb("sweep", spec, check=False)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == f"gsdb: error: {spec}: axes.dataflow: an empty list (give at least one value, or leave the axis out)\n"
    usage = gsdb("sweep", spec, "--jobs", "0", check=False)
    assert usage.returncode == 2 and len(usage.stderr.splitlines()) == 1 and "--jobs" in usage.stderr
    unknown = gsdb("sweep", spec, "--executor", "cluster", check=False)
    assert unknown.returncode == 2 and "'cluster'" in unknown.stderr
    assert warehouse_fingerprint(db) == before


def test_names_follow_the_spec_order_with_units_and_the_topology_only_when_several(tmp_path):
    """Rule: a run's name is the sweep's, then the topology's file name (only with several
    topologies), then each axis value in the spec's order; stable and unique."""
    from gainsight_db.sweeps.spec import load_spec

    folder = tmp_path / "study"
    spec = _study(folder, _spec_text({**GOOD, "topology": '["tiny3.csv", "nets/tiny3.csv"]'},
                                     'bandwidth = [10]\narray = ["16X4"]\nifmap_sram_kb = [8, 16]\ndataflow = ["IS"]\n'))
    (folder / "nets").mkdir()
    shutil.copy(folder / "tiny3.csv", folder / "nets" / "tiny3.csv")
    points = load_spec(spec).points()
    assert [p.run_name for p in points] == [
        "study_tiny3_bw10_16x4_ifmap8kb_is", "study_tiny3_bw10_16x4_ifmap16kb_is",
        "study_nets_tiny3_bw10_16x4_ifmap8kb_is", "study_nets_tiny3_bw10_16x4_ifmap16kb_is"]
    assert points[3].values == {"bandwidth": "10", "array": "16X4", "ifmap_sram_kb": "16", "dataflow": "IS"}
    assert points[3].overrides.describe() == "array=16x4 ifmap_sram_kb=16 dataflow=is bandwidth=10"
    assert [p.topology for p in points] == ["tiny3.csv", "tiny3.csv", "nets/tiny3.csv", "nets/tiny3.csv"]
    assert [p.run_name for p in load_spec(spec).points()] == [p.run_name for p in points]


def test_a_swept_study_is_compared_by_its_axis_values(part_a, tmp_path):
    """Rule: after `gsdb sweep`, `report sweep` lists its points in order with the axis it varies
    (and no other), and `plot sweep` labels each bar by that axis value, never by run."""
    spec, db, gsdb, _ = part_a
    rows = list(csv.DictReader(io.StringIO(gsdb("report", "sweep", "tutorial1", "-f", "csv").stdout)))
    assert [(r["point"], r["dataflow"], r["run"]) for r in rows] == [
        (str(i), flow, f"tutorial1_{flow}") for i, flow in enumerate(FLOWS)]
    assert not {"array", "sram_kb", "bandwidth"} & set(rows[0])
    cycles = dict(query_rows(db, "SELECT r.dataflow, sum(c.total_cycles) FROM compute_report c JOIN runs r "
                            "USING (run_id) GROUP BY ALL"))
    assert [int(float(r["total_cycles"])) for r in rows] == [cycles[flow] for flow in FLOWS]
    with gainsight_db.connect(db, read_only=True) as wh:
        figure = wh.plot("sweep", sweep="tutorial1", metric="total_cycles", out=tmp_path / "t.svg")
    labels = [t.get_text() for ax in figure.axes for t in ax.get_xticklabels() if t.get_text()]
    assert labels == list(FLOWS)
