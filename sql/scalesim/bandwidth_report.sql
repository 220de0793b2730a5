-- SCALE-Sim BANDWIDTH_REPORT.csv, one row per layer: average bandwidths in words per cycle.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column avg_ifmap_sram_bw Average IFMAP SRAM bandwidth (words/cycle).
-- @column avg_filter_sram_bw Average filter SRAM bandwidth (words/cycle).
-- @column avg_filter_metadata_sram_bw Average filter metadata SRAM bandwidth, sparse runs only (words/cycle).
-- @column avg_ofmap_sram_bw Average OFMAP SRAM bandwidth (words/cycle).
-- @column avg_ifmap_dram_bw Average IFMAP DRAM bandwidth (words/cycle).
-- @column avg_filter_dram_bw Average filter DRAM bandwidth (words/cycle).
-- @column avg_ofmap_dram_bw Average OFMAP DRAM bandwidth (words/cycle).
CREATE TABLE IF NOT EXISTS bandwidth_report (
    run_id INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    avg_ifmap_sram_bw DOUBLE,
    avg_filter_sram_bw DOUBLE,
    avg_filter_metadata_sram_bw DOUBLE,
    avg_ofmap_sram_bw DOUBLE,
    avg_ifmap_dram_bw DOUBLE,
    avg_filter_dram_bw DOUBLE,
    avg_ofmap_dram_bw DOUBLE
);
