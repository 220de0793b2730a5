"""The AI Engine views against the plain-Python reference (tests/aie_reference.py) on random
multi-core traces (hypothesis): every per-core, per-iteration and aggregate value must be equal,
floats included. The window formulations of the greedy pairing, the non-overlapping pairing and the
recursive duplicate thinning are checked here against the sequential loops they replace."""

from __future__ import annotations

import itertools

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aie_compare import PARAMS, load, warehouse_aggregate, warehouse_cores, write_trace
from aie_reference import Params, Tunables, aggregate, analyse, group_events, in_order_pairs, kernel_steps

from gainsight_db.warehouse.schema import ensure_schema

_names = itertools.count()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """An in-memory warehouse (no fsync per ingest) and a folder for the trace files."""
    folder = tmp_path_factory.mktemp("aie_prop")
    con = duckdb.connect(config={"threads": 1})
    ensure_schema(con, ":memory:")
    yield con, folder
    con.close()


def _check(scratch, events, params=PARAMS, tun=Tunables()):
    con, folder = scratch
    path = write_trace(folder / f"t{next(_names)}.json", events)
    run_id = load(con, path, params, tun)
    # the steps, core by core: LOCK_STALL spans, greedy kernel pairs (through the gap), thinning and
    # non-overlapping pairing (all pairs), outlier window (kept pairs)
    for pid, info in group_events(events).items():
        stalls = con.execute(
            "SELECT begin_ts, end_ts FROM aie_lock_stalls WHERE run_id = ? AND pid = ? ORDER BY stall_index",
            [run_id, pid]).fetchall()
        assert stalls == in_order_pairs(info.stall_b, info.stall_e)
        steps = kernel_steps(info.starts, info.ends, tun)
        rough = con.execute(
            "SELECT open_ts, close_ts FROM _aie_greedy_pairs WHERE run_id = ? AND pid = ? AND kind = 'kernel' "
            "ORDER BY pair_index", [run_id, pid]).fetchall()
        assert rough == steps["rough"]
        kernels = con.execute(
            "SELECT start_ts, end_ts, kept, min_gap_cycles, window_lo, window_hi FROM aie_kernels "
            "WHERE run_id = ? AND pid = ? ORDER BY kernel_index", [run_id, pid]).fetchall()
        assert [(s, e) for s, e, *_ in kernels] == steps["pairs"]
        assert [(s, e) for s, e, kept, *_ in kernels if kept] == steps["kept"]
        assert {(g, lo, hi) for *_, g, lo, hi in kernels} <= {(steps["gap"], steps["lo"], steps["hi"])}
    expected = analyse(events, params, tun)
    assert warehouse_cores(con, run_id) == expected
    assert warehouse_aggregate(con, run_id) == aggregate(expected, params, tun)


def _raw_core(pid, starts, ends, begins, finishes):
    """A core with markers at arbitrary times (ties, repeats, zero, ends before starts)."""
    events = [{"name": "process_name", "ph": "M", "pid": pid, "args": {"name": f"core_trace for tile{pid},2"}}]
    events += [{"name": "INSTR_EVENT_0", "ph": "B", "ts": t, "pid": pid, "tid": 0, "args": {}} for t in starts]
    events += [{"name": "INSTR_EVENT_1", "ph": "E", "ts": t, "pid": pid, "tid": 1, "args": {}} for t in ends]
    events += [{"name": "LOCK_STALL", "ph": "B", "ts": t, "pid": pid, "tid": 2, "args": {}} for t in begins]
    events += [{"name": "LOCK_STALL", "ph": "E", "ts": t, "pid": pid, "tid": 2, "args": {}} for t in finishes]
    return events


small_times = st.lists(st.integers(0, 63), max_size=14) | st.lists(st.integers(0, 8), max_size=8)
raw_core = st.tuples(small_times, small_times, small_times, small_times)
params = st.builds(
    Params, M=st.integers(1, 512), K=st.integers(1, 512), N=st.integers(1, 512), m=st.just(8), k=st.just(8),
    n=st.just(8), rows=st.integers(0, 4), cols=st.integers(1, 4), hwid=st.just("npu2"),
    warmup=st.integers(0, 3), iterations=st.integers(0, 4),
)
tunables = st.builds(
    Tunables, clock_ghz=st.sampled_from([1.25, 1.0, 0.8]), lock_stall_factor=st.sampled_from([20.0, 2.0, 1.5, 0.5]),
    dup_gap_fraction=st.sampled_from([0.25, 0.1, 0.6, 1.0]), outlier_lo=st.sampled_from([1.0 / 3.0, 0.5, 0.9]),
    outlier_hi=st.sampled_from([3.0, 1.2, 2.0]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(raw_core, min_size=1, max_size=3), params, tunables, st.randoms(use_true_random=False))
def test_random_marker_soup_equals_the_reference(scratch, cores, params, tun, rnd):
    """Property: markers at small random times (many ties and repeats), events shuffled in the file."""
    events = []
    for pid, (starts, ends, begins, finishes) in enumerate(cores):
        events += _raw_core(pid, starts, ends, begins, finishes)
    metadata = [e for e in events if e["ph"] == "M"]
    rest = [e for e in events if e["ph"] != "M"]
    rnd.shuffle(rest)
    _check(scratch, metadata + rest, params, tun)


@st.composite
def realistic_core(draw, pid):
    """Kernel calls of similar length in iterations separated by long LOCK_STALLs, with duplicated,
    spurious (1-cycle) and missing markers and short stalls between calls."""
    t = draw(st.integers(0, 50))
    kernels, stalls = [], []
    if draw(st.booleans()):  # a long stall before the first kernel: an empty iteration 0
        stalls.append((t, t + draw(st.integers(3000, 6000))))
        t = stalls[-1][1] + draw(st.integers(1, 20))
    for _ in range(draw(st.integers(0, 4))):  # iterations
        for _ in range(draw(st.integers(1, 5))):  # calls
            length = draw(st.integers(90, 110)) * draw(st.sampled_from([1, 1, 1, 1, 5]))
            kernels.append((t, t + length))
            if draw(st.integers(0, 5)) == 0:
                stalls.append((t + length + 1, t + length + draw(st.integers(2, 30))))
            t += length + draw(st.integers(5, 40))
        stalls.append((t, t + draw(st.integers(2500, 5000))))
        t = stalls[-1][1] + draw(st.integers(1, 30))
    starts = [s for s, _ in kernels]
    ends = [e for _, e in kernels]
    for _ in range(draw(st.integers(0, 3))):  # duplicated or spurious markers
        pick = draw(st.sampled_from(["dup_start", "dup_end", "drop_end", "drop_start", "spurious"]))
        if pick == "dup_start" and starts:
            starts.append(draw(st.sampled_from(starts)) + draw(st.integers(0, 3)))
        elif pick == "dup_end" and ends:
            ends.append(draw(st.sampled_from(ends)) + draw(st.integers(0, 3)))
        elif pick == "drop_end" and ends:
            ends.remove(draw(st.sampled_from(ends)))
        elif pick == "drop_start" and starts:
            starts.remove(draw(st.sampled_from(starts)))
        elif pick == "spurious":
            at = draw(st.integers(0, max(t, 1)))
            starts.append(at)
            ends.append(at + 1)
    return _raw_core(pid, starts, ends, [b for b, _ in stalls], [e for _, e in stalls])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(*[realistic_core(pid) for pid in range(n)])), params)
def test_realistic_multicore_traces_equal_the_reference(scratch, cores, params):
    """Property: iteration-structured traces (the shape the rules are made for) on up to four cores."""
    _check(scratch, [e for c in cores for e in c], params)
