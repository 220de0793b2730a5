-- Private: _generations with the run, layer and buffer of each row, from the trace it is stored
-- under (trace_files): the rows lifetimes, dead_writes and orphan_reads select from.
CREATE OR REPLACE VIEW _buffer_generations AS
SELECT
    t.run_id,
    CAST(t.layer AS SMALLINT) AS layer,
    CAST(t.buffer AS ENUM('ifmap', 'filter', 'ofmap')) AS buffer,
    g.addr,
    g.write_cycle,
    g.reads,
    g.last_read_cycle
FROM _generations AS g
JOIN trace_files AS t USING (trace_id);
