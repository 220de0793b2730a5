"""The lifetime views against the plain-Python reference: on random small traces (hypothesis) and
on every bundled SCALE-Sim sample."""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SCALESIM_SAMPLES, store_accesses
from lifetime_reference import analyse, close, histogram, layer_stats
from trace_reference import BUFFERS, LEVELS, run_accesses

from gainsight_db.loaders.ingest import ingest
from gainsight_db.loaders.scalesim_derived import derive_run
from gainsight_db.warehouse.connection import open_warehouse

STAT_COLUMNS = (
    "lifetimes", "lifetime_mean", "lifetime_median", "lifetime_p90", "lifetime_p99", "lifetime_min",
    "lifetime_max", "reads", "writes", "read_active_cycles", "write_active_cycles", "read_freq_pct",
    "write_freq_pct", "footprint_words", "dead_writes", "orphan_reads",
)


def _view_stats(con, run_id=None):
    where = f"WHERE run_id = {run_id}" if run_id is not None else ""
    cursor = con.execute(f"SELECT layer, buffer, {', '.join(STAT_COLUMNS)} FROM layer_stats {where}")
    return {(r[0], r[1]): dict(zip(STAT_COLUMNS, r[2:])) for r in cursor.fetchall()}


def _assert_same_stats(view, reference):
    assert set(view) == set(reference)
    for key, expected in reference.items():
        for column in STAT_COLUMNS:
            assert close(view[key][column], expected[column]), (key, column, view[key][column], expected[column])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    con = open_warehouse(tmp_path_factory.mktemp("prop") / "w.duckdb")
    yield con
    con.close()


access = st.tuples(
    st.integers(0, 1),  # layer
    st.sampled_from(BUFFERS),
    st.sampled_from(LEVELS),
    st.integers(-6, 12),  # cycle (negative: prefetch)
    st.integers(0, 3),  # addr: few addresses, so writes, re-writes and reads collide
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(access, max_size=40))
def test_views_equal_the_reference_on_random_traces(scratch, accesses):
    """Property: lifetimes, dead_writes, orphan_reads, layer_stats and lifetime_histogram equal the
    Python reference."""
    con = scratch
    con.execute("DELETE FROM _accesses")
    con.execute("DELETE FROM trace_files")
    con.execute("DELETE FROM compute_report")
    total_cycles = {0: 13, 1: 7}
    con.executemany("INSERT INTO compute_report (run_id, layer, total_cycles) VALUES (1, ?, ?)",
                    list(total_cycles.items()))
    if accesses:
        store_accesses(con, [(1, *row) for row in accesses])
    derive_run(con, 1)  # what ingest does once the traces are in
    lifetimes, dead, orphans = analyse(accesses)
    assert con.execute(
        "SELECT layer, buffer::VARCHAR, addr, write_cycle, last_read_cycle, lifetime_cycles, reads FROM lifetimes ORDER BY ALL"
    ).fetchall() == lifetimes
    assert con.execute("SELECT layer, buffer::VARCHAR, addr, write_cycle FROM dead_writes ORDER BY ALL").fetchall() == dead
    assert con.execute("SELECT layer, buffer::VARCHAR, addr, cycle FROM orphan_reads ORDER BY ALL").fetchall() == orphans
    _assert_same_stats(_view_stats(con), layer_stats(accesses, total_cycles))
    bins = con.execute("SELECT layer, buffer, bin, lifetimes, reads FROM lifetime_histogram").fetchall()
    assert {(lay, b, k): (n, r) for lay, b, k, n, r in bins} == histogram(lifetimes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(access, max_size=40), st.sampled_from([1, 700_000_000]))
def test_generations_found_in_two_steps_equal_those_of_the_sql_definition(scratch, accesses, spread):
    """Property: the generations ingest stores (simple addresses found in numpy, the others by
    _generations_of) are exactly those _generations_of finds over all of a layer and buffer's accesses,
    whether the addresses are close together or far apart (`spread` multiplies them)."""
    con = scratch
    accesses = [(layer, buffer, level, cycle, addr * spread) for layer, buffer, level, cycle, addr in accesses]
    con.execute("DELETE FROM _accesses")
    con.execute("DELETE FROM trace_files")
    con.execute("DELETE FROM compute_report")
    con.executemany("INSERT INTO compute_report (run_id, layer, total_cycles) VALUES (1, ?, 20)", [(0,), (1,)])
    if accesses:
        store_accesses(con, [(1, *row) for row in accesses])
    derive_run(con, 1)
    stored = con.execute("SELECT layer, buffer::VARCHAR, addr, write_cycle, reads, last_read_cycle "
                         "FROM _buffer_generations ORDER BY ALL").fetchall()
    defined = []
    for layer in (0, 1):
        for buffer in BUFFERS:
            con.execute(f"CREATE OR REPLACE TEMP VIEW _these AS SELECT level, cycle, addr FROM accesses "
                        f"WHERE layer = {layer} AND buffer = '{buffer}'")
            defined += con.execute(f"SELECT layer, buffer::VARCHAR, addr, write_cycle, reads, last_read_cycle "
                                   f"FROM _generations_of('_these', 1, {layer}, '{buffer}')").fetchall()
    assert stored == sorted(defined, key=lambda row: tuple((v is None, v) for v in row))


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    con = open_warehouse(tmp_path_factory.mktemp("samples") / "w.duckdb")
    ingest(con, list(SCALESIM_SAMPLES.values()))
    yield con
    con.close()


@pytest.mark.parametrize("sample", sorted(SCALESIM_SAMPLES))
def test_layer_stats_equal_the_reference_on_bundled_samples(samples, sample):
    """End to end: per-layer statistics of each bundled run equal the reference computed from its CSVs."""
    run_dir = SCALESIM_SAMPLES[sample]
    run_id = samples.execute("SELECT run_id FROM runs WHERE source_path = ?", [str(run_dir.resolve())]).fetchone()[0]
    total_cycles = dict(samples.execute(
        "SELECT layer, total_cycles FROM compute_report WHERE run_id = ?", [run_id]).fetchall())
    accesses = run_accesses(run_dir, total_cycles)
    _assert_same_stats(_view_stats(samples, run_id), layer_stats(accesses, total_cycles))


def test_addresses_too_many_to_key_in_64_bits_are_numbered_among_themselves():
    """Rule: the (address, cycle) keys of the ordered path fit 64 bits whatever the address indices:
    indices too large are numbered among themselves first, giving the same generations."""
    import numpy as np

    from gainsight_db.loaders.scalesim_derived import _ordered_generations

    cycles_w = np.array([-2**31, 5, 7], np.int32)
    cycles_r = np.array([6, 2**31 - 1, -2**31], np.int32)
    near = _ordered_generations(np.array([0, 1, 1]), cycles_w, np.array([1, 1, 2]), cycles_r)
    far = _ordered_generations(np.array([0, 2**40, 2**40]), cycles_w, np.array([2**40, 2**40, 2**41]), cycles_r)
    index = {0: 0, 1: 2**40, 2: 2**41}
    assert [index[i] for i in near[0].tolist()] == far[0].tolist()
    for a, b in zip(near[1:], far[1:]):
        assert a.tolist() == b.tolist()
    # by hand: address 0 written at -2^31, never read; address 1 written at 5 and 7, read at 6 (5's)
    # and 2^31-1 (7's); address 2 read at -2^31 with no write (an orphan)
    rows = sorted(zip(near[0].tolist(), near[1].tolist(), near[2].tolist(), near[3].tolist(), near[4].tolist(),
                      near[5].tolist()))
    assert rows == [(0, -2**31, 0, 0, False, True), (1, 5, 1, 6, False, False), (1, 7, 1, 2**31 - 1, False, False),
                    (2, 0, 1, -2**31, True, False)]


def test_distinct_cycles_are_counted_near_the_32_bit_limits():
    """Rule: distinct cycles are counted by comparing neighbours, never by differences that wrap."""
    import numpy as np

    from gainsight_db.loaders.scalesim_derived import _distinct

    assert _distinct(np.array([0, 2**31 - 1, -2, 0], np.int32)) == 3
    assert _distinct(np.array([-2**31, -2**31, 2**31 - 1], np.int32)) == 2
    assert _distinct(np.array([], np.int32)) == 0
