-- Per (run, buffer) and per run over all buffers (buffer = 'all'): the statistics of layer_stats
-- over every layer of the run together (GainSight's frontend concatenates all layers), without
-- active cycles and frequencies. The footprint counts distinct (layer, buffer, address) words.
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
lifetime_figures AS (
    SELECT
        run_id,
        CAST(buffer AS VARCHAR) AS buffer,
        count(*) AS lifetimes,
        avg(lifetime_cycles) AS lifetime_mean,
        quantile_cont(lifetime_cycles, 0.5) AS lifetime_median,
        quantile_cont(lifetime_cycles, 0.9) AS lifetime_p90,
        quantile_cont(lifetime_cycles, 0.99) AS lifetime_p99,
        min(lifetime_cycles) AS lifetime_min,
        max(lifetime_cycles) AS lifetime_max
    FROM lifetimes
    GROUP BY GROUPING SETS ((run_id, buffer), (run_id))
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
    ON l.run_id = p.run_id AND l.buffer IS NOT DISTINCT FROM p.buffer;
