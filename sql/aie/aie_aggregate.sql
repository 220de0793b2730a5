-- One row per (run, performance iteration present on every core of the run): the system runtime
-- of that iteration, the longest span over the cores, and the GMAC/s of the whole GEMM over it,
-- M * K * N * clock_ghz / runtime_cycles (0 when the runtime is 0; NULL when M, K or N is unknown).
-- An iteration index counts when it is in every core's performance window (a core without kernels
-- has an empty window, so then no iteration counts). Best and worst are the iterations with the
-- highest and lowest GMAC/s (the lowest index among equals). See aie_aggregate_summary for the
-- averages.
-- @column run_id Run (see runs).
-- @column iteration_index Iteration (0-based), in the performance window of every core.
-- @column cores Cores of the run (count).
-- @column runtime_cycles Longest total_span_cycles of this iteration over the cores (cycles).
-- @column gmacs_per_second M*K*N MACs over runtime_cycles at clock_ghz (GMAC/s).
-- @column is_best Whether this iteration has the highest GMAC/s of the run (first among equals).
-- @column is_worst Whether this iteration has the lowest GMAC/s of the run (first among equals).
CREATE OR REPLACE VIEW aie_aggregate AS
WITH core_counts AS (
    SELECT run_id, count(*) AS cores FROM aie_processes WHERE is_core GROUP BY run_id
),
perf AS (
    -- phase 'perf' marks exactly the iterations of a core's performance window
    SELECT run_id, iteration_index, count(*) AS cores_in_window, max(total_span_cycles) AS runtime_cycles
    FROM aie_iterations
    WHERE phase = 'perf'
    GROUP BY run_id, iteration_index
),
rated AS (
    SELECT
        p.run_id,
        p.iteration_index,
        c.cores,
        p.runtime_cycles,
        CASE
            WHEN r.gemm_m IS NULL OR r.gemm_k IS NULL OR r.gemm_n IS NULL THEN NULL
            WHEN p.runtime_cycles > 0 THEN
                (CAST(r.gemm_m AS DOUBLE) * CAST(r.gemm_k AS DOUBLE) * CAST(r.gemm_n AS DOUBLE) * s.clock_ghz)
                / CAST(p.runtime_cycles AS DOUBLE)
            ELSE 0.0
        END AS gmacs_per_second
    FROM perf AS p
    JOIN core_counts AS c ON c.run_id = p.run_id AND c.cores = p.cores_in_window
    JOIN aie_runs AS r ON r.run_id = p.run_id
    JOIN aie_settings AS s ON s.run_id = p.run_id
)
SELECT
    run_id,
    iteration_index,
    cores,
    runtime_cycles,
    gmacs_per_second,
    CASE WHEN gmacs_per_second IS NOT NULL THEN
        row_number() OVER (PARTITION BY run_id ORDER BY gmacs_per_second DESC, iteration_index) = 1 END AS is_best,
    CASE WHEN gmacs_per_second IS NOT NULL THEN
        row_number() OVER (PARTITION BY run_id ORDER BY gmacs_per_second ASC, iteration_index) = 1 END AS is_worst
FROM rated;
