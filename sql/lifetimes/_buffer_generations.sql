-- Private: _generations with the run, layer and buffer of each row, from the trace it is stored
-- under (trace_files): the rows lifetimes, dead_writes and orphan_reads select from.
CREATE OR REPLACE VIEW _buffer_generations AS
SELECT t.run_id, t.layer, t.buffer, g.addr, g.write_cycle, g.reads, g.last_read_cycle
FROM _generations AS g
JOIN (
    -- typed once per trace, not once per row
    SELECT trace_id, run_id, CAST(layer AS SMALLINT) AS layer, CAST(buffer AS ENUM('ifmap', 'filter', 'ofmap')) AS buffer
    FROM trace_files
) AS t USING (trace_id);
