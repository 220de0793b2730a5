-- One row per (core, iteration): the kept kernel calls of the iteration (see aie_kernels), their
-- durations and span, the per-core GMAC/s, and the phase. Every iteration from 0 to the last one
-- with a call is listed; an iteration without calls (e.g. a long LOCK_STALL before the first
-- kernel) has 0 kernels, zero durations and span, no first_start/last_end and 0 GMAC/s.
-- GMAC/s = (M * K * N / max(1, rows * cols)) * clock_ghz / total_span_cycles (0 when the span is 0),
-- computed in double precision in that order; NULL when M, K, N, rows or cols is unknown.
-- Phase: 'warmup' before the performance window, 'perf' inside it, 'extra' after it (see aie_cores).
-- @column run_id Run (see runs).
-- @column pid Process id of the core.
-- @column tile_name The core's tile, e.g. 'tile2,0'.
-- @column iteration_index Iteration (0-based).
-- @column phase 'warmup', 'perf' or 'extra' (NULL when warmup or iterations is unknown).
-- @column num_kernels Kept kernel calls in the iteration (count).
-- @column avg_duration_cycles Mean kernel duration (cycles; 0.0 without calls).
-- @column min_duration_cycles Shortest kernel duration (cycles; 0 without calls).
-- @column max_duration_cycles Longest kernel duration (cycles; 0 without calls).
-- @column total_span_cycles Last call's end minus first call's start (cycles; 0 without calls).
-- @column first_start Start of the iteration's first call (cycles since the tile's trace start; NULL without calls).
-- @column last_end End of the iteration's last call (cycles; NULL without calls).
-- @column gmacs_per_second The core's share of the GEMM (M*K*N / (rows*cols) MACs) over the span at clock_ghz (GMAC/s).
CREATE OR REPLACE VIEW aie_iterations AS
WITH grid AS (
    SELECT run_id, pid, tile_name, perf_start_index, perf_end_index,
           unnest(range(detected_total_iterations)) AS iteration_index
    FROM aie_cores
),
calls AS (
    SELECT
        run_id,
        pid,
        iteration_index,
        count(*) AS num_kernels,
        CAST(sum(duration_cycles) AS DOUBLE) / count(*) AS avg_duration_cycles,
        min(duration_cycles) AS min_duration_cycles,
        max(duration_cycles) AS max_duration_cycles,
        min(start_ts) AS first_start,
        max(end_ts) AS last_end
    FROM aie_kernels
    WHERE kept
    GROUP BY run_id, pid, iteration_index
),
spans AS (
    SELECT
        g.run_id,
        g.pid,
        g.tile_name,
        g.iteration_index,
        CASE
            WHEN g.perf_start_index IS NULL THEN NULL
            WHEN g.iteration_index >= g.perf_start_index AND g.iteration_index < g.perf_end_index THEN 'perf'
            WHEN g.iteration_index < g.perf_start_index THEN 'warmup'
            ELSE 'extra'
        END AS phase,
        coalesce(c.num_kernels, 0) AS num_kernels,
        coalesce(c.avg_duration_cycles, 0.0) AS avg_duration_cycles,
        coalesce(c.min_duration_cycles, 0) AS min_duration_cycles,
        coalesce(c.max_duration_cycles, 0) AS max_duration_cycles,
        coalesce(c.last_end - c.first_start, 0) AS total_span_cycles,
        c.first_start,
        c.last_end
    FROM grid AS g
    LEFT JOIN calls AS c ON c.run_id = g.run_id AND c.pid = g.pid AND c.iteration_index = g.iteration_index
)
SELECT
    t.*,
    CASE
        WHEN r.gemm_m IS NULL OR r.gemm_k IS NULL OR r.gemm_n IS NULL OR r.rows IS NULL OR r.cols IS NULL THEN NULL
        WHEN t.total_span_cycles > 0 THEN
            ((CAST(r.gemm_m AS DOUBLE) * CAST(r.gemm_k AS DOUBLE) * CAST(r.gemm_n AS DOUBLE)
              / CAST(greatest(1, r.rows * r.cols) AS DOUBLE)) * s.clock_ghz) / CAST(t.total_span_cycles AS DOUBLE)
        ELSE 0.0
    END AS gmacs_per_second
FROM spans AS t
JOIN aie_runs AS r ON r.run_id = t.run_id
JOIN aie_settings AS s ON s.run_id = t.run_id;
