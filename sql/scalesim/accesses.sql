-- Every memory access of every SCALE-Sim trace: one row per non-empty trace cell (not -1, not
-- CALC-mode 1.0 padding). For an on-chip buffer, GainSight's convention makes a DRAM access of
-- ifmap/filter a write into the SRAM buffer (a fill) and an SRAM access a read; for ofmap the SRAM
-- access is the write and the DRAM access the read (drain).
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID; cycles restart at every layer.
-- @column buffer 'ifmap', 'filter' or 'ofmap'.
-- @column level 'sram' (SRAM trace) or 'dram' (DRAM trace).
-- @column cycle Cycle of the access (integer; DRAM prefetch cycles are negative; USER-mode cycles may step backwards).
-- @column addr Word address as printed in the trace (offsets per buffer come from the config).
CREATE TABLE IF NOT EXISTS accesses (
    run_id INTEGER NOT NULL,
    layer SMALLINT NOT NULL,
    buffer ENUM('ifmap', 'filter', 'ofmap') NOT NULL,
    level ENUM('sram', 'dram') NOT NULL,
    cycle INTEGER NOT NULL,
    addr INTEGER NOT NULL
);
