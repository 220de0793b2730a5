-- Every memory access of every SCALE-Sim trace: one row per non-empty trace cell (not -1, not
-- CALC-mode 1.0 padding). For an on-chip buffer, GainSight's convention makes a DRAM access of
-- ifmap/filter a write into the SRAM buffer (a fill) and an SRAM access a read; for ofmap the SRAM
-- access is the write and the DRAM access the read (drain). Each row comes from one trace
-- (trace_files, through trace_id); the accesses are stored per trace row (_accesses: the row's
-- cycle and its addresses), and listed here one per row in the order of the trace's cells.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID; cycles restart at every layer.
-- @column buffer 'ifmap', 'filter' or 'ofmap'.
-- @column level 'sram' (SRAM trace) or 'dram' (DRAM trace).
-- @column cycle Cycle of the access (integer; DRAM prefetch cycles are negative; USER-mode cycles may step backwards).
-- @column addr Word address as printed in the trace (offsets per buffer come from the config).
-- @column trace_id The trace the access was read from (see trace_files).
CREATE OR REPLACE VIEW accesses AS
WITH traces AS (
    SELECT
        trace_id,
        run_id,
        CAST(layer AS SMALLINT) AS layer,
        CAST(buffer AS ENUM('ifmap', 'filter', 'ofmap')) AS buffer,
        CAST(level AS ENUM('sram', 'dram')) AS level
    FROM trace_files
)
SELECT t.run_id, t.layer, t.buffer, t.level, a.cycle, unnest(a.addrs) AS addr, a.trace_id
FROM _accesses AS a
JOIN traces AS t USING (trace_id);
