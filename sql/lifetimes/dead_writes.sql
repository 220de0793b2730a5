-- One row per dead write: a write into a buffer address that no read used before the address was
-- written again (or the layer ended). Writes at the same cycle count once.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer On-chip buffer: 'ifmap', 'filter' or 'ofmap'.
-- @column addr Word address.
-- @column write_cycle Cycle of the unused write (cycle).
CREATE OR REPLACE VIEW dead_writes AS
SELECT run_id, layer, buffer, addr, write_cycle
FROM _buffer_generations
WHERE write_cycle IS NOT NULL AND reads = 0;
