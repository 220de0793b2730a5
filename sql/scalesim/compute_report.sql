-- SCALE-Sim COMPUTE_REPORT.csv, one row per layer, typed. Its LayerIDs define the run's layers.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID (0-based).
-- @column total_cycles_incl_prefetch Total cycles including DRAM prefetch before compute (v3 only; NULL for v2).
-- @column total_cycles Total cycles of the layer's compute (cycles).
-- @column stall_cycles Cycles stalled waiting for DRAM (cycles).
-- @column overall_util_pct Overall array utilisation (percent).
-- @column mapping_efficiency_pct Mapping efficiency of the layer onto the array (percent).
-- @column compute_util_pct Compute utilisation (percent).
CREATE TABLE IF NOT EXISTS compute_report (
    run_id INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    total_cycles_incl_prefetch BIGINT,
    total_cycles BIGINT NOT NULL,
    stall_cycles BIGINT,
    overall_util_pct DOUBLE,
    mapping_efficiency_pct DOUBLE,
    compute_util_pct DOUBLE
);
