-- One row per AI Engine core of a run (a process whose name contains 'core_trace'): its kernel
-- calls, median kernel duration, iteration boundaries, and detected against expected iterations.
-- A core without kept kernel calls has no median, no boundaries, 0 detected iterations and the
-- note 'No valid kernel pairs detected after robust filtering.'. Otherwise, when the expected
-- count (warmup + iterations) is known and differs, the note says so. The performance window is
-- iterations [min(warmup, detected), min(min(warmup, detected) + iterations, detected)).
-- @column run_id Run (see runs).
-- @column pid Process id of the core.
-- @column tile_name The core's tile: text after the last ' for ' of its process name, e.g. 'tile2,0'.
-- @column process_name The core's process name, e.g. 'core_trace for tile2,0'.
-- @column core_order Position of the core in the trace: by its first process_name, kernel marker or LOCK_STALL event (0-based).
-- @column kernel_pairs Kernel calls found by the robust pairing, outliers included (count).
-- @column kernels Kernel calls kept (count; see aie_kernels).
-- @column median_kernel_duration_cycles Median duration of the kept calls: the middle one, or the mean of the two middle ones (cycles; NULL without kernels).
-- @column lock_stall_spans LOCK_STALL spans of the core (count; see aie_lock_stalls).
-- @column lock_stall_boundary_count Distinct ends of LOCK_STALL spans of at least lock_stall_factor * median kernel duration (count; NULL without kernels).
-- @column detected_total_iterations Iterations found: boundaries before the last kept call's start, plus one (count; 0 without kernels).
-- @column expected_total_iterations warmup + iterations of the run (count; NULL when unknown).
-- @column mismatch_note Why detected and expected differ, in the words of postprocess_aie_trace.py (NULL when they agree or expected is unknown).
-- @column perf_start_index First iteration of the performance window: min(warmup, detected) (NULL when warmup or iterations is unknown).
-- @column perf_end_index One past the last iteration of the performance window (NULL when unknown).
-- @column performance_window Iteration indexes of the performance window, ascending (empty without kernels; NULL when unknown).
CREATE OR REPLACE VIEW aie_cores AS
WITH kernels AS (
    SELECT
        run_id,
        pid,
        count(*) AS kernel_pairs,
        count(*) FILTER (WHERE kept) AS kernels,
        any_value(kernel_median) AS median_kernel_duration_cycles
    FROM _aie_kernel_pairs
    GROUP BY run_id, pid
),
iterations AS (
    SELECT run_id, pid, max(iteration_index) + 1 AS detected
    FROM aie_kernels
    WHERE kept
    GROUP BY run_id, pid
),
stalls AS (
    SELECT
        run_id,
        pid,
        count(*) AS spans,
        count(DISTINCT end_ts) FILTER (WHERE is_boundary) AS boundaries
    FROM aie_lock_stalls
    GROUP BY run_id, pid
),
counted AS (
    SELECT
        p.run_id,
        p.pid,
        p.tile_name,
        p.process_name,
        row_number() OVER (PARTITION BY p.run_id ORDER BY p.first_event_index, p.pid) - 1 AS core_order,
        coalesce(k.kernel_pairs, 0) AS kernel_pairs,
        coalesce(k.kernels, 0) AS kernels,
        k.median_kernel_duration_cycles,
        coalesce(s.spans, 0) AS lock_stall_spans,
        CASE WHEN k.kernels > 0 THEN coalesce(s.boundaries, 0) END AS lock_stall_boundary_count,
        coalesce(i.detected, 0) AS detected_total_iterations,
        r.warmup + r.iterations AS expected_total_iterations,
        CASE WHEN r.iterations IS NOT NULL THEN least(r.warmup, coalesce(i.detected, 0)) END AS perf_start_index,
        least(least(r.warmup, coalesce(i.detected, 0)) + r.iterations, coalesce(i.detected, 0)) AS perf_end_index
    FROM aie_processes AS p
    JOIN aie_runs AS r ON r.run_id = p.run_id
    LEFT JOIN kernels AS k ON k.run_id = p.run_id AND k.pid = p.pid
    LEFT JOIN iterations AS i ON i.run_id = p.run_id AND i.pid = p.pid
    LEFT JOIN stalls AS s ON s.run_id = p.run_id AND s.pid = p.pid
    WHERE p.is_core
)
SELECT
    run_id,
    pid,
    tile_name,
    process_name,
    core_order,
    kernel_pairs,
    kernels,
    median_kernel_duration_cycles,
    lock_stall_spans,
    lock_stall_boundary_count,
    detected_total_iterations,
    expected_total_iterations,
    CASE
        WHEN kernels = 0 THEN 'No valid kernel pairs detected after robust filtering.'
        WHEN detected_total_iterations < expected_total_iterations THEN
            'Detected ' || detected_total_iterations || ' iterations but expected ' || expected_total_iterations
            || '. Proceeding with available iterations.'
        WHEN detected_total_iterations > expected_total_iterations THEN
            'Detected ' || detected_total_iterations || ' iterations but expected ' || expected_total_iterations
            || '. Truncating to first ' || expected_total_iterations || ' iterations for phase labeling.'
    END AS mismatch_note,
    perf_start_index,
    perf_end_index,
    CASE WHEN perf_start_index IS NOT NULL THEN range(perf_start_index, perf_end_index) END AS performance_window
FROM counted;
