-- Private: every access seen from its on-chip buffer, as a write into it or a read out of it.
-- GainSight's convention: ifmap/filter are filled from DRAM (DRAM trace = write) and read by the
-- array (SRAM trace = read); ofmap is written by the array (SRAM trace) and drained (DRAM = read).
CREATE OR REPLACE VIEW _buffer_events AS
SELECT
    run_id,
    layer,
    buffer,
    addr,
    cycle,
    CASE WHEN buffer = 'ofmap' THEN level = 'sram' ELSE level = 'dram' END AS is_write
FROM accesses;
