-- One row per data lifetime: a write into an on-chip buffer address followed by at least one read
-- before the address is written again. Per (run, layer, buffer, addr) the distinct write cycles
-- w1 < w2 < ... split time into intervals [wi, wi+1); a read at cycle r belongs to the interval with
-- wi <= r < wi+1 (a read in the write's own cycle belongs to that write). Lifetimes never span
-- layers (cycles restart at every layer). Intervals without reads are dead_writes; reads before
-- the first write, or of an address never written in the layer, are orphan_reads. Computed once at
-- ingest (_generations, from _generations_of; read through _buffer_generations).
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer On-chip buffer: 'ifmap', 'filter' or 'ofmap'.
-- @column addr Word address.
-- @column write_cycle Cycle of the write that starts the lifetime (cycle; may be negative for DRAM prefetch).
-- @column last_read_cycle Cycle of the last read before the next write (cycle).
-- @column lifetime_cycles last_read_cycle - write_cycle (cycles; 0 when the only read is in the write's cycle).
-- @column reads Reads served by this write (count).
CREATE OR REPLACE VIEW lifetimes AS
SELECT
    run_id,
    layer,
    buffer,
    addr,
    write_cycle,
    last_read_cycle,
    last_read_cycle - write_cycle AS lifetime_cycles,
    reads
FROM _buffer_generations
WHERE write_cycle IS NOT NULL AND reads > 0;
