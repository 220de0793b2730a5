"""`gsdb simulate` loads each layer while SCALE-Sim simulates the next (loaders/simulated_layers.py),
SCALE-Sim running in a worker process (simulate.run_simulation_apart): still one transaction, which an
error, Ctrl-C or the worker's death at any layer rolls back, leaving no thread and no process behind.
The simulations are real (scalesim on the example's inputs); the failures are raised where SCALE-Sim
hands a layer over, or sent to the processes as a user or the system would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import multiprocessing

from conftest import EXAMPLE_RUN, REPO, SCALESIM_DATA, all_ended, child_processes, warehouse_fingerprint

import gainsight_db
from gainsight_db.common.errors import GsdbError
from gainsight_db.loaders.ingest import ingest_while_simulating
from gainsight_db.loaders.scalesim_ingest import SimulatedInputs
from gainsight_db.loaders.trace_shards import shard_name
from gainsight_db.simulate import Overrides, prepare_simulation, run_simulation, run_simulation_apart

INPUTS = EXAMPLE_RUN / "inputs"
THREAD = "gsdb-layer-ingest"


@pytest.fixture(scope="module")
def simulated_once(tmp_path_factory):
    """A warehouse holding the example's inputs simulated once (run 1, 3 layers)."""
    folder = tmp_path_factory.mktemp("layers")
    db = folder / "w.duckdb"
    with gainsight_db.connect(db) as wh:
        wh.simulate(INPUTS / "tiny3.csv", INPUTS / "tiny_8x8_ws.cfg", out=folder / "first")
    return db


def _simulate_again(db, folder, on_layer):
    """Simulate the same inputs again into the warehouse `db` (replacing run 1), layer by layer;
    `on_layer(layer, shards, ready)` is called where SCALE-Sim hands each layer over, and passes it on
    by calling ready(layer). The layers handed over, in order."""
    inputs = prepare_simulation(INPUTS / "tiny3.csv", INPUTS / "tiny_8x8_ws.cfg")
    shards = folder / "shards"
    shards.mkdir()
    handed = []

    def simulation(ready):
        def hand_over(layer):
            handed.append(layer)
            on_layer(layer, shards, ready)

        return run_simulation(inputs, "tiny_8x8_ws", folder / "sim", shards=shards, layer_ready=hand_over)

    with gainsight_db.connect(db) as wh:
        threads = wh.connection.execute("SELECT current_setting('threads')").fetchall()
        try:
            ingest_while_simulating(wh.connection, folder / "sim" / "tiny_8x8_ws", shards, simulation,
                                    SimulatedInputs("", inputs.identity))
        finally:
            assert not [t for t in threading.enumerate() if t.name == THREAD], "the loading thread is left running"
            # DuckDB, given one thread fewer while SCALE-Sim ran, has them all back
            assert wh.connection.execute("SELECT current_setting('threads')").fetchall() == threads
    return handed


def _wait_until_loaded(shards, layer):
    """Wait (up to 60 s) until the loading thread has loaded `layer` (it deletes its shards then)."""
    deadline = time.monotonic() + 60
    while (shards / shard_name(layer, "ifmap", "sram")).exists():
        assert time.monotonic() < deadline, f"layer {layer} not loaded while SCALE-Sim went on"
        time.sleep(0.02)


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_a_simulation_stopped_after_a_layer_was_loaded_changes_nothing(simulated_once, tmp_path, failure):
    """Rule: one transaction per simulate. Ctrl-C or an error in SCALE-Sim once layer 0 is loaded
    (into the run that replaces run 1) leaves run 1 and everything else as it was, and no thread."""
    before = warehouse_fingerprint(simulated_once)

    def on_layer(layer, shards, ready):
        ready(layer)
        if layer == 1:
            _wait_until_loaded(shards, 0)  # the simulation went on while layer 0 was loaded
            raise failure("stopped at layer 1")

    expected = KeyboardInterrupt if failure is KeyboardInterrupt else GsdbError
    with pytest.raises(expected, match="stopped at layer 1"):
        _simulate_again(simulated_once, tmp_path, on_layer)
    assert warehouse_fingerprint(simulated_once) == before


def test_a_layer_that_fails_to_load_stops_the_simulation(simulated_once, tmp_path):
    """A layer whose traces cannot be loaded is an error naming its shard; SCALE-Sim stops at the
    next layer it hands over (layer 2 is never simulated) and nothing is stored."""
    before = warehouse_fingerprint(simulated_once)
    broken = []

    def on_layer(layer, shards, ready):
        if layer == 0:
            broken.append(shards / shard_name(0, "filter", "dram"))
            broken[0].write_bytes(b"not an Arrow file")
        ready(layer)
        if layer == 0:  # until the loading thread has met the broken shard and ended
            deadline = time.monotonic() + 60
            while [t for t in threading.enumerate() if t.name == THREAD]:
                assert time.monotonic() < deadline
                time.sleep(0.02)

    with pytest.raises(GsdbError) as raised:
        handed = _simulate_again(simulated_once, tmp_path, on_layer)
        pytest.fail(f"simulated every layer: {handed}")
    assert f"{broken[0]}: cannot read this trace shard" in str(raised.value)
    assert warehouse_fingerprint(simulated_once) == before


def test_layers_are_loaded_while_the_next_are_simulated(simulated_once, tmp_path):
    """Each layer is loaded in the background as soon as it is handed over; the run loaded is the
    same as the one simulated before (the same accesses, lifetimes and statistics)."""
    loaded_early = []

    def on_layer(layer, shards, ready):
        ready(layer)
        if layer > 0:
            _wait_until_loaded(shards, layer - 1)
            loaded_early.append(layer - 1)

    copy = tmp_path / "w.duckdb"
    with gainsight_db.connect(copy) as wh:
        wh.simulate(INPUTS / "tiny3.csv", INPUTS / "tiny_8x8_ws.cfg", out=tmp_path / "first")
    assert _simulate_again(copy, tmp_path, on_layer) == [0, 1, 2]
    assert loaded_early == [0, 1]
    with gainsight_db.connect(copy) as wh, gainsight_db.connect(simulated_once, read_only=True) as first:
        for sql in ("SELECT * EXCLUDE (run_id) FROM accesses ORDER BY ALL",
                    "SELECT * EXCLUDE (run_id) FROM lifetimes ORDER BY ALL",
                    "SELECT * EXCLUDE (run_id) FROM layer_stats ORDER BY ALL",
                    "SELECT * EXCLUDE (run_id, path) FROM trace_files ORDER BY ALL"):
            ours = wh.connection.sql(sql).fetchall()
            assert ours and ours == first.connection.sql(sql).fetchall(), sql
        assert wh.connection.sql("SELECT run_id, layer_count FROM runs").fetchall() == [(1, 3)]


# SCALE-Sim in a worker process --------------------------------------------------------------------
GSDB = str(Path(sys.executable).parent / "gsdb")
# Three layers that SCALE-Sim takes several seconds over on an 8x8 array: time to interrupt it.
SLOW = ["--topology", REPO / "examples/sweep_tutorial1/tutorial1_small.csv",
        "--config", REPO / "examples/sweep_tutorial1/base.cfg", "--array", "8x8", "--dataflow", "os"]


def _simulating(db: Path, out: Path) -> subprocess.Popen:
    """`gsdb simulate` of SLOW into `db`, in its own session (as a terminal runs it), once its worker
    has handed layer 0 over (its shards are in the work folder beside the warehouse)."""
    proc = subprocess.Popen([GSDB, "simulate", "--db", str(db), *map(str, SLOW), "--output", str(out), "-q"],
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list(db.parent.glob(f".{db.name}.*.simulate_*.partial/*layer0*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no layer handed over in 120 s"
        time.sleep(0.02)
    return proc


def _worker_of(proc: subprocess.Popen) -> list[int]:
    workers = [pid for pid in child_processes(proc.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(workers) == 1, "SCALE-Sim runs in one worker process"
    return workers


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux /proc")
def test_ctrl_c_while_simulating_ends_the_worker_and_changes_nothing(simulated_once, tmp_path):
    """Rule: Ctrl-C (SIGINT to the terminal's whole process group) during `gsdb simulate` is one line
    and exit 130; the worker running SCALE-Sim ends too (it prints nothing), the warehouse is as it
    was and no work folder is left."""
    db = tmp_path / "w.duckdb"
    db.write_bytes(simulated_once.read_bytes())
    before = warehouse_fingerprint(db)
    proc = _simulating(db, tmp_path / "sim")
    children = child_processes(proc.pid)
    _worker_of(proc)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr) == (130, "gsdb: interrupted\n")
    assert all_ended(children, 10.0), "a process of the simulation outlived it"
    assert warehouse_fingerprint(db) == before
    assert not list(db.parent.glob(f".{db.name}.*.partial"))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux /proc")
def test_a_killed_worker_is_one_error_line_and_changes_nothing(simulated_once, tmp_path):
    """Rule: if the process running SCALE-Sim dies (killed, out of memory), `gsdb simulate` says so in
    one line naming the topology, exits 1 and leaves the warehouse as it was."""
    db = tmp_path / "w.duckdb"
    db.write_bytes(simulated_once.read_bytes())
    before = warehouse_fingerprint(db)
    proc = _simulating(db, tmp_path / "sim")
    [worker] = _worker_of(proc)
    os.kill(worker, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert stderr == (f"gsdb: error: {SLOW[1]}: the process running SCALE-Sim ended unexpectedly "
                      "(exit code -9: killed, or out of memory?)\n")
    assert warehouse_fingerprint(db) == before
    assert not list(db.parent.glob(f".{db.name}.*.partial"))


def test_a_script_without_a_main_guard_simulates_once(tmp_path):
    """Rule: the worker runs a function of the package, not the caller's script again: a script
    that simulates at its top level (no `if __name__ == "__main__"`) makes one run."""
    script = tmp_path / "study.py"
    script.write_text(
        "import gainsight_db\n"
        f"with gainsight_db.connect({str(tmp_path / 'w.duckdb')!r}) as wh:\n"
        f"    wh.simulate({str(INPUTS / 'tiny3.csv')!r}, {str(INPUTS / 'tiny_8x8_ws.cfg')!r}, out={str(tmp_path / 'o')!r})\n"
        "print('simulated')\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert (done.returncode, done.stdout, done.stderr) == (0, "simulated\n", "")
    with gainsight_db.connect(tmp_path / "w.duckdb", read_only=True) as wh:
        assert wh.connection.sql("SELECT name, layer_count FROM runs").fetchall() == [("tiny_8x8_ws", 3)]


def test_simulate_takes_duckdbs_resources_and_checks_them_before_scalesim_runs(tmp_path):
    """Rule: `gsdb simulate` takes --threads/--memory-limit/--temp-dir as `gsdb ingest` does; a bad
    value is one line before SCALE-Sim runs (no output folder), a good one simulates."""
    db = tmp_path / "w.duckdb"
    args = [GSDB, "simulate", "--db", str(db), "--topology", str(INPUTS / "tiny3.csv"),
            "--config", str(INPUTS / "tiny_8x8_ws.cfg"), "-q"]
    bad = subprocess.run([*args, "--memory-limit", "banana", "--output", str(tmp_path / "bad")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and len(bad.stderr.splitlines()) == 1 and "Memory must have a number" in bad.stderr
    assert not (tmp_path / "bad").exists()
    good = subprocess.run([*args, "--memory-limit", "200MB", "--threads", "1", "--temp-dir", str(tmp_path / "spill"),
                           "--output", str(tmp_path / "good")], capture_output=True, text=True, timeout=300)
    assert (good.returncode, good.stderr) == (0, "")
    with gainsight_db.connect(db, read_only=True) as wh:
        assert wh.connection.sql("SELECT layer_count FROM runs").fetchall() == [(3,)]



def test_scalesims_own_failure_in_the_worker_is_its_one_line(simulated_once, tmp_path):
    """Rule: an error SCALE-Sim raises in the worker reaches the user as one line naming the
    topology, as if it had run in the command's process; nothing is stored."""
    sparse = SCALESIM_DATA / "v3_api_sparse2_16x16_ws" / "inputs"
    db = tmp_path / "w.duckdb"
    db.write_bytes(simulated_once.read_bytes())
    before = warehouse_fingerprint(db)
    done = subprocess.run([GSDB, "simulate", "--db", str(db), "--topology", str(sparse / "sparse2.csv"),
                           "--config", str(sparse / "sparse_16x16_ws.cfg"), "--array", "4x16", "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.startswith(f"gsdb: error: {sparse / 'sparse2.csv'}: SCALE-Sim failed: AssertionError: "
                                  "ERROR: Invalid block size") and len(done.stderr.splitlines()) == 1, done.stderr
    assert warehouse_fingerprint(db) == before


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_a_caller_that_stops_at_a_layer_ends_the_worker(tmp_path, failure):
    """Rule: whatever stops the caller while it hears of a layer (an interruption, a failed load)
    is raised as it is, and the worker running SCALE-Sim has ended when it is."""
    inputs = prepare_simulation(INPUTS / "tiny3.csv", INPUTS / "tiny_8x8_ws.cfg", Overrides())
    shards = tmp_path / "shards"
    shards.mkdir()
    heard = []

    def layer_ready(layer):
        heard.append(layer)
        raise failure(f"stopped at layer {layer}")

    with pytest.raises(failure, match="stopped at layer 0"):
        run_simulation_apart(inputs, "tiny_8x8_ws", tmp_path / "sim", shards=shards, layer_ready=layer_ready)
    assert heard == [0]
    assert multiprocessing.active_children() == []
