-- One row per dead write: a write into a buffer address that no read used before the address was
-- written again (or the layer ended). Writes at the same cycle count once.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer On-chip buffer: 'ifmap', 'filter' or 'ofmap'.
-- @column addr Word address.
-- @column write_cycle Cycle of the unused write (cycle).
CREATE OR REPLACE VIEW dead_writes AS
SELECT DISTINCT e.run_id, e.layer, e.buffer, e.addr, e.cycle AS write_cycle
FROM _buffer_events AS e
ANTI JOIN lifetimes AS l
    ON e.run_id = l.run_id AND e.layer = l.layer AND e.buffer = l.buffer AND e.addr = l.addr
    AND e.cycle = l.write_cycle
WHERE e.is_write;
