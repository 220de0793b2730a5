-- One row per orphan read: a read of a buffer address before its first write in the layer, or of
-- an address the layer never writes. Orphan reads belong to no lifetime.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer On-chip buffer: 'ifmap', 'filter' or 'ofmap'.
-- @column addr Word address.
-- @column cycle Cycle of the read (cycle).
CREATE OR REPLACE VIEW orphan_reads AS
SELECT g.run_id, g.layer, g.buffer, g.addr, g.last_read_cycle AS cycle
FROM _buffer_generations AS g
-- one row per read: the generation row holds the reads of one address in one cycle
CROSS JOIN LATERAL range(g.reads) AS copies(i)
WHERE g.write_cycle IS NULL;
