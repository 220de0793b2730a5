-- Per (run, layer, buffer): GainSight's per-layer statistics (its <layer>_aggregate_data.csv).
-- Lifetime figures are over the layer's lifetimes (NULL when it has none); median and percentiles
-- interpolate linearly (quantile_cont, as pandas' quantile). Every statistic counts the trace's
-- accesses, not DETAILED_ACCESS_REPORT (see access_audit).
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer On-chip buffer: 'ifmap', 'filter' or 'ofmap'.
-- @column lifetimes Number of lifetimes (count).
-- @column lifetime_mean Mean lifetime (cycles).
-- @column lifetime_median Median lifetime, linear interpolation (cycles).
-- @column lifetime_p90 90th percentile lifetime, linear interpolation (cycles).
-- @column lifetime_p99 99th percentile lifetime, linear interpolation (cycles).
-- @column lifetime_min Shortest lifetime (cycles).
-- @column lifetime_max Longest lifetime (cycles).
-- @column reads Reads out of the buffer (accesses).
-- @column writes Writes into the buffer (accesses).
-- @column read_active_cycles Distinct cycles with at least one read (cycles).
-- @column write_active_cycles Distinct cycles with at least one write (cycles).
-- @column total_cycles The layer's Total Cycles from COMPUTE_REPORT.csv (cycles).
-- @column read_freq_pct 100 * read_active_cycles / total_cycles (percent; prefetch cycles count too, so DRAM-filled buffers can exceed 100).
-- @column write_freq_pct 100 * write_active_cycles / total_cycles (percent; can exceed 100 likewise).
-- @column footprint_words Distinct addresses read or written (words).
-- @column dead_writes Writes no read used (count; see dead_writes).
-- @column orphan_reads Reads with no earlier write (count; see orphan_reads).
CREATE OR REPLACE VIEW layer_stats AS
WITH grid AS (
    SELECT c.run_id, c.layer, b.buffer, c.total_cycles
    FROM compute_report AS c
    CROSS JOIN (VALUES ('ifmap'), ('filter'), ('ofmap')) AS b(buffer)
),
access_counts AS (
    SELECT
        run_id,
        layer,
        CAST(buffer AS VARCHAR) AS buffer,
        count(*) FILTER (WHERE NOT is_write) AS reads,
        count(*) FILTER (WHERE is_write) AS writes,
        count(DISTINCT cycle) FILTER (WHERE NOT is_write) AS read_active_cycles,
        count(DISTINCT cycle) FILTER (WHERE is_write) AS write_active_cycles,
        count(DISTINCT addr) AS footprint_words
    FROM _buffer_events
    GROUP BY ALL
),
lifetime_figures AS (
    SELECT
        run_id,
        layer,
        CAST(buffer AS VARCHAR) AS buffer,
        count(*) AS lifetimes,
        avg(lifetime_cycles) AS lifetime_mean,
        quantile_cont(lifetime_cycles, 0.5) AS lifetime_median,
        quantile_cont(lifetime_cycles, 0.9) AS lifetime_p90,
        quantile_cont(lifetime_cycles, 0.99) AS lifetime_p99,
        min(lifetime_cycles) AS lifetime_min,
        max(lifetime_cycles) AS lifetime_max
    FROM lifetimes
    GROUP BY ALL
),
dead AS (
    SELECT run_id, layer, CAST(buffer AS VARCHAR) AS buffer, count(*) AS dead_writes
    FROM dead_writes
    GROUP BY ALL
),
orphans AS (
    SELECT run_id, layer, CAST(buffer AS VARCHAR) AS buffer, count(*) AS orphan_reads
    FROM orphan_reads
    GROUP BY ALL
)
SELECT
    g.run_id,
    g.layer,
    g.buffer,
    coalesce(l.lifetimes, 0) AS lifetimes,
    l.lifetime_mean,
    l.lifetime_median,
    l.lifetime_p90,
    l.lifetime_p99,
    l.lifetime_min,
    l.lifetime_max,
    coalesce(a.reads, 0) AS reads,
    coalesce(a.writes, 0) AS writes,
    coalesce(a.read_active_cycles, 0) AS read_active_cycles,
    coalesce(a.write_active_cycles, 0) AS write_active_cycles,
    g.total_cycles,
    100.0 * coalesce(a.read_active_cycles, 0) / nullif(g.total_cycles, 0) AS read_freq_pct,
    100.0 * coalesce(a.write_active_cycles, 0) / nullif(g.total_cycles, 0) AS write_freq_pct,
    coalesce(a.footprint_words, 0) AS footprint_words,
    coalesce(d.dead_writes, 0) AS dead_writes,
    coalesce(o.orphan_reads, 0) AS orphan_reads
FROM grid AS g
LEFT JOIN access_counts AS a USING (run_id, layer, buffer)
LEFT JOIN lifetime_figures AS l USING (run_id, layer, buffer)
LEFT JOIN dead AS d USING (run_id, layer, buffer)
LEFT JOIN orphans AS o USING (run_id, layer, buffer);
