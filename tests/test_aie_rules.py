"""The AI Engine rules on small synthetic traces whose answers are worked out by hand (in the
comments), one rule or situation at a time; each is also checked against the plain-Python reference.

Unless a test says otherwise: M = K = N = 64 (262144 MACs), rows x cols = 1 x 4 (65536 MACs per
core), warmup 1, iterations 2, and the reference's tunables (clock 1.25 GHz, LOCK_STALL factor 20,
duplicate gap 0.25, outlier window [1/3, 3])."""

from __future__ import annotations

import itertools
import json

import duckdb
import pytest

from aie_compare import CORE0, CORE1, CORE2, core, load, warehouse_aggregate, warehouse_cores, write_trace
from aie_reference import Params, Tunables, aggregate, analyse

from gainsight_db.common.errors import GsdbError
from gainsight_db.warehouse.schema import ensure_schema

P = Params(M=64, K=64, N=64, m=32, k=32, n=32, rows=1, cols=4, hwid="npu1", warmup=1, iterations=2)
PER_CORE = 65536.0
_names = itertools.count()

@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aie_rules")
    con = duckdb.connect(config={"threads": 1})
    ensure_schema(con, ":memory:")

    def ingest(events, params=P, tun=Tunables(), text=None, reference=True):
        path = folder / f"t{next(_names)}.json"
        if text is not None:
            path.write_text(text)
        else:
            write_trace(path, events)
        run_id = load(con, path, params, tun)
        if not reference:
            return run_id
        # every case is also the reference's answer
        expected = analyse(events, params, tun)
        assert warehouse_cores(con, run_id) == expected
        assert warehouse_aggregate(con, run_id) == aggregate(expected, params, tun)
        return run_id

    yield con, ingest
    con.close()


def _iterations(con, run_id, pid):
    return con.execute(
        """SELECT iteration_index, phase, num_kernels, avg_duration_cycles, min_duration_cycles, max_duration_cycles,
                  total_span_cycles, first_start, last_end, gmacs_per_second
           FROM aie_iterations WHERE run_id = ? AND pid = ? ORDER BY iteration_index""",
        [run_id, pid],
    ).fetchall()


def _core(con, run_id, pid):
    return con.execute(
        """SELECT tile_name, kernel_pairs, kernels, median_kernel_duration_cycles, lock_stall_boundary_count,
                  detected_total_iterations, expected_total_iterations, mismatch_note, performance_window
           FROM aie_cores WHERE run_id = ? AND pid = ?""",
        [run_id, pid],
    ).fetchone()


def test_iterations_split_by_long_lock_stalls(wh):
    con, ingest = wh
    run_id = ingest(CORE0)
    assert _core(con, run_id, 0) == ("tile0,2", 7, 7, 100.0, 3, 3, 3, None, [1, 2])
    assert _iterations(con, run_id, 0) == [
        (0, "warmup", 2, 100.0, 100, 100, 300, 1000, 1300, PER_CORE * 1.25 / 300),
        (1, "perf", 2, 100.0, 100, 100, 300, 5100, 5400, PER_CORE * 1.25 / 300),
        (2, "perf", 3, 100.0, 100, 100, 500, 8100, 8600, 163.84),
    ]
    assert con.execute(
        "SELECT begin_ts, end_ts, duration_cycles, is_boundary FROM aie_lock_stalls WHERE run_id = ? ORDER BY stall_index",
        [run_id]).fetchall() == [(1100, 1150, 50, False), (1300, 5000, 3700, True), (5400, 8000, 2600, True),
                                 (8600, 11000, 2400, True)]


def test_duplicates_spurious_markers_and_outliers(wh):
    con, ingest = wh
    run_id = ingest(CORE1)
    assert con.execute(
        """SELECT start_ts, end_ts, in_window, kept, iteration_index, min_gap_cycles, window_lo, window_hi
           FROM aie_kernels WHERE run_id = ? ORDER BY kernel_index""", [run_id]).fetchall() == [
        (1000, 1100, True, True, 0, 25, 33, 300),
        (1200, 1300, True, True, 0, 25, 33, 300),
        (1400, 1401, False, False, None, 25, 33, 300),
        (5100, 5200, True, True, 1, 25, 33, 300),
        (5300, 5900, False, False, None, 25, 33, 300),
    ]
    assert _core(con, run_id, 1) == (
        "tile1,2", 5, 3, 100.0, 1, 2, 3, "Detected 2 iterations but expected 3. Proceeding with available iterations.", [1])
    assert _iterations(con, run_id, 1) == [
        (0, "warmup", 2, 100.0, 100, 100, 300, 1000, 1300, PER_CORE * 1.25 / 300),
        (1, "perf", 1, 100.0, 100, 100, 100, 5100, 5200, 819.2),
    ]


def test_trace_starting_mid_kernel_and_a_missing_end(wh):
    con, ingest = wh
    run_id = ingest(CORE2)
    assert con.execute(
        "SELECT start_ts, end_ts, kept FROM aie_kernels WHERE run_id = ? ORDER BY kernel_index", [run_id]).fetchall() == [
        (1000, 1100, True), (1200, 1300, True), (1400, 1800, False), (4100, 4200, True), (4300, 4400, True)]
    assert con.execute("SELECT DISTINCT min_gap_cycles FROM aie_kernels WHERE run_id = ?", [run_id]).fetchall() == [(75,)]
    assert con.execute("SELECT count(*) FROM aie_lock_stalls WHERE run_id = ?", [run_id]).fetchone()[0] == 1
    assert _core(con, run_id, 2)[1:6] == (5, 4, 100.0, 1, 2)
    assert [row[:3] + row[6:9] for row in _iterations(con, run_id, 2)] == [
        (0, "warmup", 2, 300, 1000, 1300), (1, "perf", 2, 300, 4100, 4400)]


def test_cores_with_different_iteration_counts_aggregate_over_common_perf_iterations(wh):
    """Performance windows: core 0 [1, 2], core 1 [1], core 2 [1]: only iteration 1 is common. Its
    runtime is the longest span, max(300, 100, 300) = 300 cycles: 262144 * 1.25 / 300 GMAC/s."""
    con, ingest = wh
    run_id = ingest(CORE0 + CORE1 + CORE2)
    assert [c[0] for c in con.execute(
        "SELECT tile_name FROM aie_cores WHERE run_id = ? ORDER BY core_order", [run_id]).fetchall()] == [
        "tile0,2", "tile1,2", "tile2,2"]
    rate = 262144.0 * 1.25 / 300
    assert con.execute(
        "SELECT iteration_index, cores, runtime_cycles, gmacs_per_second, is_best, is_worst FROM aie_aggregate WHERE run_id = ?",
        [run_id]).fetchall() == [(1, 3, 300, rate, True, True)]
    assert con.execute(
        """SELECT cores, iterations_considered, count, average_runtime_cycles, average_gmacs_per_second,
                  best_iteration_index, worst_iteration_index, note FROM aie_aggregate_summary WHERE run_id = ?""",
        [run_id]).fetchone() == (3, [1], 1, 300.0, rate, 1, 1, "Only iterations present on all cores are considered.")


def test_aggregate_average_best_and_worst(wh):
    """warmup 0, iterations 3 on core 0 alone: runtimes 300, 300, 500 -> mean 366.67; GMAC/s
    1092.27, 1092.27, 655.36: best is the first of the two equal ones (0), worst is 2."""
    con, ingest = wh
    params = Params(**{**P.__dict__, "warmup": 0, "iterations": 3})
    run_id = ingest(CORE0, params)
    fast, slow = 262144.0 * 1.25 / 300, 262144.0 * 1.25 / 500
    assert con.execute(
        """SELECT iterations_considered, average_runtime_cycles, average_gmacs_per_second, best_iteration_index,
                  best_gmacs_per_second, worst_iteration_index, worst_runtime_cycles FROM aie_aggregate_summary
           WHERE run_id = ?""", [run_id]).fetchone() == (
        [0, 1, 2], 1100 / 3, (fast + fast + slow) / 3, 0, fast, 2, 500)


def test_initial_long_stall_core_without_kernels_and_other_processes(wh):
    """Core 5 stalls 3000 cycles before its first kernel (boundary 3000 >= 20 x 100): iteration 0 is
    empty. Core 6 has no kernel markers. A mem_trace and a shim_trace pid with kernel-like markers are
    not cores. One core without kernels leaves no perf iteration common to all cores."""
    con, ingest = wh
    not_cores = [
        {"name": "process_name", "ph": "M", "pid": 7, "args": {"name": "mem_trace for tile5,2"}},
        {"name": "INSTR_EVENT_0", "ph": "B", "ts": 10, "pid": 7, "tid": 0, "args": {}},
        {"name": "INSTR_EVENT_1", "ph": "E", "ts": 20, "pid": 7, "tid": 0, "args": {}},
        {"name": "process_name", "ph": "M", "pid": 8, "args": {"name": "shim_trace for tile5,0"}},
    ]
    events = (core(5, "tile5,2", kernels=[(3100, 3200), (3300, 3400)], stalls=[(0, 3000)])
              + core(6, "tile6,2", stalls=[(0, 5000)], other=[("PORT_RUNNING_0", "B", 5), ("PORT_RUNNING_0", "E", 9)])
              + not_cores)
    run_id = ingest(events)
    assert _core(con, run_id, 5) == (
        "tile5,2", 2, 2, 100.0, 1, 2, 3, "Detected 2 iterations but expected 3. Proceeding with available iterations.", [1])
    assert _iterations(con, run_id, 5) == [
        (0, "warmup", 0, 0.0, 0, 0, 0, None, None, 0.0),
        (1, "perf", 2, 100.0, 100, 100, 300, 3100, 3400, PER_CORE * 1.25 / 300),
    ]
    assert _core(con, run_id, 6) == (
        "tile6,2", 0, 0, None, None, 0, 3, "No valid kernel pairs detected after robust filtering.", [])
    assert _iterations(con, run_id, 6) == []
    assert con.execute("SELECT pid FROM aie_cores WHERE run_id = ? ORDER BY pid", [run_id]).fetchall() == [(5,), (6,)]
    assert con.execute("SELECT count(*), any_value(note) FROM aie_aggregate_summary WHERE run_id = ?",
                       [run_id]).fetchone() == (1, "No common perf iterations across all cores.")
    assert con.execute("SELECT count(*) FROM aie_aggregate WHERE run_id = ?", [run_id]).fetchone()[0] == 0


def test_trace_without_cores(wh):
    con, ingest = wh
    run_id = ingest([{"name": "process_name", "ph": "M", "pid": 3, "args": {"name": "memtile_trace for tile0,1"}},
                     {"name": "PORT_RUNNING_0", "ph": "B", "ts": 4, "pid": 3, "tid": 0, "args": {}}])
    assert con.execute("SELECT count(*) FROM aie_cores WHERE run_id = ?", [run_id]).fetchone()[0] == 0
    assert con.execute("SELECT cores, count, note, diagnosis FROM aie_aggregate_summary WHERE run_id = ?",
                       [run_id]).fetchone() == (0, 0, "No cores to aggregate.",
                                                "no process of the trace is an AI Engine core (a process_name holding 'core_trace')")


def test_more_iterations_than_expected(wh):
    """warmup 0, iterations 1 against 3 detected: phases perf, extra, extra, and the truncation note."""
    con, ingest = wh
    run_id = ingest(CORE0, Params(**{**P.__dict__, "warmup": 0, "iterations": 1}))
    assert _core(con, run_id, 0)[5:] == (
        3, 1, "Detected 3 iterations but expected 1. Truncating to first 1 iterations for phase labeling.", [0])
    assert [r[1] for r in _iterations(con, run_id, 0)] == ["perf", "extra", "extra"]


def test_lock_stall_factor_is_a_parameter(wh):
    """With factor 30 (threshold 3000 cycles) only the 3700-cycle stall ends an iteration."""
    con, ingest = wh
    run_id = ingest(CORE0, P, Tunables(lock_stall_factor=30.0))
    assert _core(con, run_id, 0)[4:6] == (1, 2)
    assert [r[2] for r in _iterations(con, run_id, 0)] == [2, 5]


def test_median_of_an_even_count_and_clock(wh):
    """Kernels of 100 and 103 cycles: median 101.5 (mean of the two middle ones); window
    [int(101.5/3), int(3*101.5)] = [33, 304]. At 1.0 GHz: 65536 * 1.0 / 303 GMAC/s."""
    con, ingest = wh
    run_id = ingest(core(0, "tile0,2", kernels=[(0, 100), (200, 303)]), P, Tunables(clock_ghz=1.0))
    assert _core(con, run_id, 0)[3] == 101.5
    assert con.execute("SELECT DISTINCT window_lo, window_hi FROM aie_kernels WHERE run_id = ?", [run_id]).fetchall() == [
        (33, 304)]
    assert _iterations(con, run_id, 0)[0][3:] == (101.5, 100, 103, 303, 0, 303, PER_CORE / 303)


def test_unknown_parameters(wh):
    """Without M, K, N, rows, cols, warmup and iterations: no GMAC/s, no phase, no expected count."""
    con, ingest = wh
    unknown = Params(M=None, K=None, N=None, m=None, k=None, n=None, rows=None, cols=None, hwid=None,
                     warmup=None, iterations=None)
    run_id = ingest(CORE0, unknown, reference=False)  # the reference needs every parameter
    assert _core(con, run_id, 0)[5:] == (3, None, None, None)
    assert {(r[1], r[9]) for r in _iterations(con, run_id, 0)} == {(None, None)}
    assert con.execute("SELECT note, diagnosis FROM aie_aggregate_summary WHERE run_id = ?", [run_id]).fetchone() == (
        "Warmup and iterations are unknown: no performance window.",
        "warmup and iterations were not given: ingest the trace again with --warmup and --iterations")


def test_old_event_names_give_the_same_results(wh):
    con, ingest = wh
    old = core(0, "tile0,2",
               kernels=[(1000, 1100), (1200, 1300), (5100, 5200), (5300, 5400), (8100, 8200), (8300, 8400), (8500, 8600)],
               stalls=[(1100, 1150), (1300, 5000), (5400, 8000), (8600, 11000)], old_names=True)
    assert _iterations(con, ingest(old), 0) == _iterations(con, ingest(CORE0), 0)


def test_float_and_string_timestamps_are_refused(wh):
    """mlir-aie writes ts as a JSON integer: a float (1000.9, even 1000.0) or a string holding an
    integer (" 1100") is refused, not truncated or converted as int() would in the reference."""
    con, ingest = wh
    assert CORE0[1]["name"] == "INSTR_EVENT_0" and CORE0[1]["ts"] == 1000
    for value in (1000.9, 1000.0, " 1100", "1100"):
        events = json.loads(json.dumps(CORE0))
        events[1]["ts"] = value
        with pytest.raises(GsdbError, match=r"event 1 \(INSTR_EVENT_0.*\): ts .* is not an integer cycle count"):
            ingest(events)


@pytest.mark.parametrize("layout", ["one line", "one event per line", "pretty", "traceEvents object"])
def test_file_layouts_give_the_same_results(wh, layout):
    con, ingest = wh
    text = {
        "one line": json.dumps(CORE0),
        "one event per line": "[" + ",\n".join(json.dumps(e) for e in CORE0) + "]\n",
        "pretty": json.dumps(CORE0, indent=4),
        "traceEvents object": json.dumps({"displayTimeUnit": "ns", "traceEvents": CORE0}),
    }[layout]
    run_id = ingest(CORE0, text=text)
    assert _iterations(con, run_id, 0) == _iterations(con, ingest(CORE0), 0)
    expected_layout = "traceEvents" if layout == "traceEvents object" else "array"
    assert con.execute("SELECT layout, events FROM aie_runs WHERE run_id = ?", [run_id]).fetchone() == (
        expected_layout, len(CORE0))


def _ingest_warned(con, folder, events, params):
    """Ingest a synthetic trace in-process; returns its run id and the warnings of the ingest."""
    from aie_compare import options

    from gainsight_db.loaders.ingest import ingest

    path = write_trace(folder / f"t{next(_names)}.json", events)
    warnings = []
    (result,) = ingest(con, [path], aie=options(params), warn=warnings.append)
    return result.run_id, path, warnings


def _diagnosis(con, run_id):
    return con.execute("SELECT count, diagnosis FROM aie_aggregate_summary WHERE run_id = ?", [run_id]).fetchall()[0]


@pytest.mark.parametrize("warmup, iterations, count, diagnosis", [
    # cores 0, 1, 2 have 3, 2 and 2 iterations (aie_compare). Expected 1 + 2 = 3: the windows are
    # {1, 2}, {1} and {1}, so 1 of the 2 performance iterations is common to all cores.
    (1, 2, 1, "expected 3 iterations per core (warmup 1 + iterations 2), detected 2 on tile1,2, 2 on tile2,2: "
              "1 of the 2 performance iterations are common to all cores"),
    # expected 2 + 3 = 5: core 0's window is {2}; cores 1 and 2, with 2 iterations, have an empty one
    (2, 3, 0, "expected 5 iterations per core (warmup 2 + iterations 3), detected 3 on tile0,2, 2 on tile1,2, "
              "2 on tile2,2: no performance iteration is common to all cores, so there is nothing to aggregate"),
    # expected 0 + 1 = 1: every core has more; iteration 0 is the performance window of each
    (0, 1, 1, "expected 1 iteration per core (warmup 0 + iterations 1), detected 3 on tile0,2, 2 on tile1,2, "
              "2 on tile2,2: iterations from 1 on are labelled extra and left out"),
    (1, 0, 0, "iterations is 0: no performance iteration to aggregate"),
], ids=["fewer", "none-common", "more", "zero-iterations"])
def test_the_summary_says_why_iterations_are_missing_and_the_ingest_warns(
        wh, tmp_path, warmup, iterations, count, diagnosis):
    """Issue 14: a mismatch between the iterations expected (warmup + iterations) and those detected
    on each core, or no performance iteration common to all cores, is said on stderr at ingest and
    in the summary's diagnosis, with the numbers; an ingest that finds what it expects says nothing."""
    con, _ = wh
    params = Params(**{**P.__dict__, "warmup": warmup, "iterations": iterations})
    expected = analyse(CORE0 + CORE1 + CORE2, params)  # the reference's detected counts back the numbers above
    assert [c["detected_total_iterations"] for c in expected] == [3, 2, 2]
    assert aggregate(expected, params).get("count", 0) == count
    run_id, path, warnings = _ingest_warned(con, tmp_path, CORE0 + CORE1 + CORE2, params)
    assert _diagnosis(con, run_id) == (count, diagnosis)
    assert warnings == [f"{path}: {diagnosis}"]


def test_no_diagnosis_and_no_warning_when_every_core_has_the_iterations_expected(wh, tmp_path):
    """Core 0 alone: 3 iterations detected, warmup 1 + iterations 2 expected."""
    con, _ = wh
    run_id, _, warnings = _ingest_warned(con, tmp_path, CORE0, P)
    assert _diagnosis(con, run_id) == (2, None) and warnings == []
