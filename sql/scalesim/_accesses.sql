-- Private: the accesses of every trace, as compactly as they are stored: one row per trace row with
-- at least one access, holding the trace it was read from (trace_files.trace_id, which gives the
-- run, layer, buffer and level), the row's cycle, and the addresses it accessed, in the order of
-- its cells (idle slots and CALC padding dropped). Consecutive rows of one cycle are one row. A row
-- costs DuckDB one cycle and one trace id rather than one per access. The public view is accesses,
-- one row per access.
CREATE TABLE IF NOT EXISTS _accesses (
    trace_id INTEGER NOT NULL,
    cycle INTEGER NOT NULL,
    addrs INTEGER[] NOT NULL
);
