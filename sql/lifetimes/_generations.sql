-- Private: _generations_of materialised at ingest, one (run, layer, buffer) at a time (see
-- loaders/scalesim_derived.py). Every lifetime view reads this table, so the sort that assigns reads
-- to writes runs once per ingest rather than on every query.
CREATE TABLE IF NOT EXISTS _generations (
    run_id INTEGER NOT NULL,
    layer SMALLINT NOT NULL,
    buffer ENUM('ifmap', 'filter', 'ofmap') NOT NULL,
    addr INTEGER NOT NULL,
    write_cycle INTEGER,
    reads BIGINT NOT NULL,
    last_read_cycle INTEGER
);
