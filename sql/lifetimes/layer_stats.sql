-- Per (run, layer, buffer): GainSight's per-layer statistics (its <layer>_aggregate_data.csv).
-- Lifetime figures are over the layer's lifetimes (NULL when it has none); median and percentiles
-- interpolate linearly (quantile_cont, as pandas' quantile). Every statistic counts the trace's
-- accesses, not DETAILED_ACCESS_REPORT (see access_audit). Computed once at ingest (_layer_stats_of),
-- but for total_cycles and the frequencies, which come from COMPUTE_REPORT.csv (compute_report).
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
SELECT
    s.run_id,
    s.layer,
    s.buffer,
    s.lifetimes,
    s.lifetime_mean,
    s.lifetime_median,
    s.lifetime_p90,
    s.lifetime_p99,
    s.lifetime_min,
    s.lifetime_max,
    s.reads,
    s.writes,
    s.read_active_cycles,
    s.write_active_cycles,
    CAST(c.total_cycles AS BIGINT) AS total_cycles,
    100.0 * s.read_active_cycles / nullif(c.total_cycles, 0) AS read_freq_pct,
    100.0 * s.write_active_cycles / nullif(c.total_cycles, 0) AS write_freq_pct,
    s.footprint_words,
    s.dead_writes,
    s.orphan_reads
FROM _layer_stats AS s
LEFT JOIN compute_report AS c ON c.run_id = s.run_id AND c.layer = s.layer;
