-- SCALE-Sim DETAILED_ACCESS_REPORT.csv, one row per layer: first/last access cycle and access count
-- per buffer and level as SCALE-Sim reports them (compare with the traces in access_audit).
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column sram_ifmap_start_cycle First IFMAP SRAM read (cycle).
-- @column sram_ifmap_stop_cycle Last IFMAP SRAM read (cycle).
-- @column sram_ifmap_reads IFMAP SRAM reads (words).
-- @column sram_filter_start_cycle First filter SRAM read (cycle).
-- @column sram_filter_stop_cycle Last filter SRAM read (cycle).
-- @column sram_filter_reads Filter SRAM reads (words).
-- @column sram_ofmap_start_cycle First OFMAP SRAM write (cycle).
-- @column sram_ofmap_stop_cycle Last OFMAP SRAM write (cycle).
-- @column sram_ofmap_writes OFMAP SRAM writes (words).
-- @column dram_ifmap_start_cycle First IFMAP DRAM read (cycle; negative = prefetch).
-- @column dram_ifmap_stop_cycle Last IFMAP DRAM read (cycle).
-- @column dram_ifmap_reads IFMAP DRAM reads (words).
-- @column dram_filter_start_cycle First filter DRAM read (cycle; negative = prefetch).
-- @column dram_filter_stop_cycle Last filter DRAM read (cycle).
-- @column dram_filter_reads Filter DRAM reads (words).
-- @column dram_ofmap_start_cycle First OFMAP DRAM write (cycle).
-- @column dram_ofmap_stop_cycle Last OFMAP DRAM write (cycle).
-- @column dram_ofmap_writes OFMAP DRAM writes (words).
CREATE TABLE IF NOT EXISTS access_report (
    run_id INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    sram_ifmap_start_cycle BIGINT,
    sram_ifmap_stop_cycle BIGINT,
    sram_ifmap_reads BIGINT,
    sram_filter_start_cycle BIGINT,
    sram_filter_stop_cycle BIGINT,
    sram_filter_reads BIGINT,
    sram_ofmap_start_cycle BIGINT,
    sram_ofmap_stop_cycle BIGINT,
    sram_ofmap_writes BIGINT,
    dram_ifmap_start_cycle BIGINT,
    dram_ifmap_stop_cycle BIGINT,
    dram_ifmap_reads BIGINT,
    dram_filter_start_cycle BIGINT,
    dram_filter_stop_cycle BIGINT,
    dram_filter_reads BIGINT,
    dram_ofmap_start_cycle BIGINT,
    dram_ofmap_stop_cycle BIGINT,
    dram_ofmap_writes BIGINT
);
