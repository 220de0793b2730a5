-- Per (run, buffer) and per run over all buffers (buffer = 'all'): the statistics of layer_stats
-- over every layer of the run together (GainSight's frontend concatenates all layers), without
-- active cycles and frequencies. The footprint counts distinct (layer, buffer, address) words.
-- The lifetime figures come from the counts of each lifetime length (_lifetime_spans, through
-- _lifetime_figures_of), which give quantile_cont's median and percentiles over every lifetime (equal
-- to the last bit of a double, which the two round differently) in little memory.
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
counts AS (
    SELECT {'run_id': run_id, 'buffer': buffer} AS key, lifetime_cycles, lifetimes
    FROM _lifetime_spans
),
lifetime_figures AS (
    SELECT key.run_id AS run_id, key.buffer AS buffer, * EXCLUDE (key)
    FROM _lifetime_figures_of('counts')
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
