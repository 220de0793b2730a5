-- Reconciliation of access counts, per (run, layer, buffer, level): accesses found in the trace
-- against the count SCALE-Sim prints in DETAILED_ACCESS_REPORT.csv. They disagree in known cases
-- (OS-dataflow OFMAP SRAM writes, USER-mode and large CALC-mode DRAM reads, DRAM OFMAP writes a few
-- words over); every statistic uses the trace. Nothing is forced to agree.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer 'ifmap', 'filter' or 'ofmap'.
-- @column level 'sram' or 'dram'.
-- @column trace_count Accesses loaded from the trace file (words).
-- @column report_count The matching DETAILED_ACCESS_REPORT count (words): SRAM reads of ifmap/filter, SRAM writes of ofmap, DRAM reads of ifmap/filter, DRAM writes of ofmap.
-- @column difference trace_count - report_count (words).
-- @column matches Whether the two counts are equal.
CREATE OR REPLACE VIEW access_audit AS
WITH report AS (
    SELECT
        run_id,
        layer,
        split_part(key, '_', 2) AS buffer,
        split_part(key, '_', 1) AS level,
        report_count
    FROM access_report
    UNPIVOT (
        report_count FOR key IN (
            sram_ifmap_reads, sram_filter_reads, sram_ofmap_writes,
            dram_ifmap_reads, dram_filter_reads, dram_ofmap_writes
        )
    )
)
SELECT
    t.run_id,
    t.layer,
    t.buffer,
    t.level,
    t.accesses AS trace_count,
    r.report_count,
    t.accesses - r.report_count AS difference,
    t.accesses IS NOT DISTINCT FROM r.report_count AS matches
FROM trace_files AS t
LEFT JOIN report AS r USING (run_id, layer, buffer, level);
