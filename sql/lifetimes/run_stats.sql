-- Per (run, buffer) and per run over all buffers (buffer = 'all'): the statistics of layer_stats
-- over every layer of the run together (GainSight's frontend concatenates all layers), without
-- active cycles and frequencies. The footprint counts distinct (layer, buffer, address) words.
-- The lifetime figures come from the counts of each lifetime length (_lifetime_spans), which give
-- the same median and percentiles as quantile_cont over every lifetime in little memory.
-- @column run_id Run (see runs).
-- @column buffer 'ifmap', 'filter', 'ofmap', or 'all' for the buffers together.
-- @column lifetimes Number of lifetimes (count).
-- @column lifetime_mean Mean lifetime (cycles).
-- @column lifetime_median Median lifetime, linear interpolation (cycles).
-- @column lifetime_p90 90th percentile lifetime, linear interpolation (cycles).
-- @column lifetime_p99 99th percentile lifetime, linear interpolation (cycles).
-- @column lifetime_min Shortest lifetime (cycles).
-- @column lifetime_max Longest lifetime (cycles).
-- @column reads Reads out of the buffer(s) (accesses).
-- @column writes Writes into the buffer(s) (accesses).
-- @column footprint_words Sum over layers of distinct addresses read or written (words).
-- @column dead_writes Writes no read used (count).
-- @column orphan_reads Reads with no earlier write (count).
CREATE OR REPLACE VIEW run_stats AS
WITH per_layer AS (
    SELECT run_id, buffer, sum(reads) AS reads, sum(writes) AS writes,
           sum(footprint_words) AS footprint_words, sum(dead_writes) AS dead_writes,
           sum(orphan_reads) AS orphan_reads
    FROM layer_stats
    GROUP BY GROUPING SETS ((run_id, buffer), (run_id))
),
ranked AS (
    -- upto: how many lifetimes are no longer than this length, so the length at 0-based rank k (in
    -- sorted order) is the shortest with upto > k; n: the lifetimes of the (run, buffer)
    SELECT
        run_id,
        buffer,
        lifetime_cycles,
        lifetimes,
        sum(lifetimes) OVER (PARTITION BY run_id, buffer ORDER BY lifetime_cycles
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
        CAST(sum(lifetimes) OVER (PARTITION BY run_id, buffer) AS DOUBLE) AS n
    FROM _lifetime_spans
),
ranks AS (
    -- quantile_cont's linear interpolation between ranks floor(h) and ceil(h), h = (n - 1) * q,
    -- from the lengths' counts: no list of every lifetime is held in memory
    SELECT
        run_id,
        buffer,
        sum(lifetimes) AS lifetimes,
        sum(lifetime_cycles * lifetimes) / sum(lifetimes) AS lifetime_mean,
        min(lifetime_cycles) AS lifetime_min,
        max(lifetime_cycles) AS lifetime_max,
        (n - 1) * 0.5 AS h50, (n - 1) * 0.9 AS h90, (n - 1) * 0.99 AS h99,
        min(lifetime_cycles) FILTER (WHERE upto > floor((n - 1) * 0.5)) AS lo50,
        min(lifetime_cycles) FILTER (WHERE upto > ceil((n - 1) * 0.5)) AS hi50,
        min(lifetime_cycles) FILTER (WHERE upto > floor((n - 1) * 0.9)) AS lo90,
        min(lifetime_cycles) FILTER (WHERE upto > ceil((n - 1) * 0.9)) AS hi90,
        min(lifetime_cycles) FILTER (WHERE upto > floor((n - 1) * 0.99)) AS lo99,
        min(lifetime_cycles) FILTER (WHERE upto > ceil((n - 1) * 0.99)) AS hi99
    FROM ranked
    GROUP BY run_id, buffer, n
),
lifetime_figures AS (
    SELECT
        run_id,
        buffer,
        CAST(lifetimes AS BIGINT) AS lifetimes,
        CAST(lifetime_mean AS DOUBLE) AS lifetime_mean,
        lo50 + (hi50 - lo50) * (h50 - floor(h50)) AS lifetime_median,
        lo90 + (hi90 - lo90) * (h90 - floor(h90)) AS lifetime_p90,
        lo99 + (hi99 - lo99) * (h99 - floor(h99)) AS lifetime_p99,
        lifetime_min,
        lifetime_max
    FROM ranks
)
SELECT
    p.run_id,
    coalesce(p.buffer, 'all') AS buffer,
    coalesce(l.lifetimes, 0) AS lifetimes,
    l.lifetime_mean,
    l.lifetime_median,
    l.lifetime_p90,
    l.lifetime_p99,
    l.lifetime_min,
    l.lifetime_max,
    CAST(p.reads AS BIGINT) AS reads,
    CAST(p.writes AS BIGINT) AS writes,
    CAST(p.footprint_words AS BIGINT) AS footprint_words,
    CAST(p.dead_writes AS BIGINT) AS dead_writes,
    CAST(p.orphan_reads AS BIGINT) AS orphan_reads
FROM per_layer AS p
LEFT JOIN lifetime_figures AS l
    ON l.run_id = p.run_id AND l.buffer = coalesce(p.buffer, 'all');
