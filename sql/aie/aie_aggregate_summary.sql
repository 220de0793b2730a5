-- One row per AI Engine run: the aggregate over the performance iterations common to all cores
-- (aie_aggregate), as postprocess_aie_trace.py summarises it: the iterations considered, the mean
-- runtime and mean GMAC/s (summed in iteration order, left to right, then divided by the count),
-- and the best and worst iterations by GMAC/s (the lowest index among equals). The note says why
-- there is nothing to aggregate when that is so, in the words of postprocess_aie_trace.py; the
-- diagnosis says what caused it: the iterations expected on every core (warmup + iterations)
-- against those detected on each core that differs, a core without kernel calls having 0.
-- @column run_id Run (see runs).
-- @column cores Cores of the run (count).
-- @column iterations_considered Iteration indexes present in every core's performance window, ascending.
-- @column count Iterations considered (count).
-- @column average_runtime_cycles Mean of runtime_cycles over the iterations considered (cycles).
-- @column average_gmacs_per_second Mean of gmacs_per_second over the iterations considered (GMAC/s).
-- @column best_iteration_index Iteration with the highest GMAC/s.
-- @column best_runtime_cycles Its runtime (cycles).
-- @column best_gmacs_per_second Its GMAC/s.
-- @column worst_iteration_index Iteration with the lowest GMAC/s.
-- @column worst_runtime_cycles Its runtime (cycles).
-- @column worst_gmacs_per_second Its GMAC/s.
-- @column note 'Only iterations present on all cores are considered.', 'No common perf iterations across all cores.', 'No cores to aggregate.', or that warmup and iterations are unknown.
-- @column diagnosis Why count is 0 or short of iterations, or how the iterations detected on each core differ from warmup + iterations, with the numbers (NULL when every core has warmup + iterations iterations and iterations is above 0).
CREATE OR REPLACE VIEW aie_aggregate_summary AS
WITH core_counts AS (
    SELECT run_id, count(*) AS cores FROM aie_processes WHERE is_core GROUP BY run_id
),
mismatches AS (
    SELECT run_id,
           string_agg(detected_total_iterations || ' on ' || tile_name, ', ' ORDER BY core_order) AS detected
    FROM aie_cores
    WHERE detected_total_iterations <> expected_total_iterations
    GROUP BY run_id
),
per_run AS (
    SELECT
        run_id,
        list(iteration_index ORDER BY iteration_index) AS iterations_considered,
        count(*) AS count,
        CAST(sum(runtime_cycles) AS DOUBLE) / count(*) AS average_runtime_cycles,
        list_reduce(list(gmacs_per_second ORDER BY iteration_index), lambda acc, x: acc + x) / count(*)
            AS average_gmacs_per_second,
        any_value({'i': iteration_index, 'r': runtime_cycles, 'g': gmacs_per_second}) FILTER (WHERE is_best) AS best,
        any_value({'i': iteration_index, 'r': runtime_cycles, 'g': gmacs_per_second}) FILTER (WHERE is_worst) AS worst
    FROM aie_aggregate
    GROUP BY run_id
)
SELECT
    r.run_id,
    coalesce(c.cores, 0) AS cores,
    coalesce(p.iterations_considered, []) AS iterations_considered,
    coalesce(p.count, 0) AS count,
    p.average_runtime_cycles,
    p.average_gmacs_per_second,
    p.best.i AS best_iteration_index,
    p.best.r AS best_runtime_cycles,
    p.best.g AS best_gmacs_per_second,
    p.worst.i AS worst_iteration_index,
    p.worst.r AS worst_runtime_cycles,
    p.worst.g AS worst_gmacs_per_second,
    CASE
        WHEN coalesce(c.cores, 0) = 0 THEN 'No cores to aggregate.'
        WHEN r.warmup IS NULL OR r.iterations IS NULL THEN 'Warmup and iterations are unknown: no performance window.'
        WHEN p.count IS NULL THEN 'No common perf iterations across all cores.'
        ELSE 'Only iterations present on all cores are considered.'
    END AS note,
    CASE
        WHEN coalesce(c.cores, 0) = 0 THEN
            'no process of the trace is an AI Engine core (a process_name holding ''core_trace'')'
        WHEN r.warmup IS NULL OR r.iterations IS NULL THEN
            'warmup and iterations were not given: ingest the trace again with --warmup and --iterations'
        WHEN r.iterations = 0 THEN 'iterations is 0: no performance iteration to aggregate'
        WHEN m.detected IS NOT NULL THEN
            'expected ' || (r.warmup + r.iterations)
            || CASE WHEN r.warmup + r.iterations = 1 THEN ' iteration' ELSE ' iterations' END
            || ' per core (warmup ' || r.warmup || ' + iterations ' || r.iterations || '), detected ' || m.detected || ': '
            || CASE
                   WHEN p.count IS NULL THEN 'no performance iteration is common to all cores, so there is nothing to aggregate'
                   WHEN p.count < r.iterations THEN
                       p.count || ' of the ' || r.iterations || ' performance iterations are common to all cores'
                   ELSE 'iterations from ' || (r.warmup + r.iterations) || ' on are labelled extra and left out'
               END
    END AS diagnosis
FROM aie_runs AS r
LEFT JOIN core_counts AS c ON c.run_id = r.run_id
LEFT JOIN per_run AS p ON p.run_id = r.run_id
LEFT JOIN mismatches AS m ON m.run_id = r.run_id;
