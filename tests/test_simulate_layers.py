"""`gsdb simulate` loads each layer while SCALE-Sim simulates the next (loaders/simulated_layers.py):
still one transaction, which an error or Ctrl-C at any layer rolls back, leaving no thread behind.
The simulations are real (scalesim on the example's inputs); the failures are raised where SCALE-Sim
hands a layer over."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import EXAMPLE_RUN, warehouse_fingerprint

import gainsight_db
from gainsight_db.common.errors import GsdbError
from gainsight_db.loaders.ingest import ingest_while_simulating
from gainsight_db.loaders.scalesim_ingest import SimulatedInputs
from gainsight_db.loaders.trace_shards import shard_name
from gainsight_db.simulate import prepare_simulation, run_simulation

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
