-- Private: _generations_of materialised at ingest, one (run, layer, buffer) at a time (see
-- loaders/scalesim_derived.py). Every lifetime view reads this table (through _buffer_generations),
-- so the sort that assigns reads to writes runs once per ingest rather than on every query. Each
-- row is stored under the trace that writes into its buffer (trace_id: the trace_files row of the
-- layer and buffer whose level _is_write), which names the run, layer and buffer, and from which the
-- writes of its generations come.
CREATE TABLE IF NOT EXISTS _generations (
    trace_id INTEGER NOT NULL,
    addr INTEGER NOT NULL,
    write_cycle INTEGER,
    reads BIGINT NOT NULL,
    last_read_cycle INTEGER
);
