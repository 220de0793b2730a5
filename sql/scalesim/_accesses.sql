-- Private: the accesses of every trace, as compactly as they are stored: the trace they were read
-- from (trace_files.trace_id, which gives the run, layer, buffer and level), the cycle and the
-- address. The public view is accesses.
CREATE TABLE IF NOT EXISTS _accesses (
    trace_id INTEGER NOT NULL,
    cycle INTEGER NOT NULL,
    addr INTEGER NOT NULL
);
