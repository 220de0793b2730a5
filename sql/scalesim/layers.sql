-- One row per SCALE-Sim layer: the compute report with the layer's topology name and shape.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID (0-based).
-- @column name Layer name from the topology (NULL without a topology).
-- @column layer_kind 'conv', 'depthwise' or 'gemm' (NULL without a topology).
-- @column total_cycles Total cycles of the layer (COMPUTE_REPORT Total Cycles; cycles).
-- @column total_cycles_incl_prefetch Total cycles including prefetch (v3 only; cycles).
-- @column stall_cycles Stall cycles (cycles).
-- @column overall_util_pct Overall utilisation (percent).
-- @column mapping_efficiency_pct Mapping efficiency (percent).
-- @column compute_util_pct Compute utilisation (percent).
-- @column macs Multiply-accumulates of the layer (NULL without a topology).
CREATE OR REPLACE VIEW layers AS
SELECT
    c.run_id,
    c.layer,
    s.name,
    s.layer_kind,
    c.total_cycles,
    c.total_cycles_incl_prefetch,
    c.stall_cycles,
    c.overall_util_pct,
    c.mapping_efficiency_pct,
    c.compute_util_pct,
    s.macs
FROM compute_report AS c
LEFT JOIN layer_shapes AS s USING (run_id, layer);
