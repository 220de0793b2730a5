-- One row per orphan read: a read of a buffer address before its first write in the layer, or of
-- an address the layer never writes. Orphan reads belong to no lifetime.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer On-chip buffer: 'ifmap', 'filter' or 'ofmap'.
-- @column addr Word address.
-- @column cycle Cycle of the read (cycle).
CREATE OR REPLACE VIEW orphan_reads AS
WITH first_writes AS (
    SELECT run_id, layer, buffer, addr, min(cycle) AS first_write
    FROM _buffer_events
    WHERE is_write
    GROUP BY ALL
)
SELECT e.run_id, e.layer, e.buffer, e.addr, e.cycle
FROM _buffer_events AS e
LEFT JOIN first_writes AS f USING (run_id, layer, buffer, addr)
WHERE NOT e.is_write AND (f.first_write IS NULL OR e.cycle < f.first_write);
