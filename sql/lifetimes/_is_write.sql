-- Private: whether an access (its buffer and trace level) is a write into the on-chip buffer or a
-- read out of it. GainSight's convention: ifmap/filter are filled from DRAM (DRAM trace = write) and
-- read by the array (SRAM trace = read); ofmap is written by the array (SRAM trace) and drained
-- (DRAM trace = read).
CREATE OR REPLACE MACRO _is_write(p_buffer, p_level) AS
    CASE WHEN p_buffer = 'ofmap' THEN p_level = 'sram' ELSE p_level = 'dram' END;
