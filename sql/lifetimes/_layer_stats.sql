-- Private: _layer_stats_of materialised at ingest, one (run, layer, buffer) at a time (see
-- loaders/scalesim_derived.py). The public view is layer_stats.
CREATE TABLE IF NOT EXISTS _layer_stats (
    run_id INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    buffer VARCHAR NOT NULL,
    lifetimes BIGINT NOT NULL,
    lifetime_mean DOUBLE,
    lifetime_median DOUBLE,
    lifetime_p90 DOUBLE,
    lifetime_p99 DOUBLE,
    lifetime_min INTEGER,
    lifetime_max INTEGER,
    reads BIGINT NOT NULL,
    writes BIGINT NOT NULL,
    read_active_cycles BIGINT NOT NULL,
    write_active_cycles BIGINT NOT NULL,
    footprint_words BIGINT NOT NULL,
    dead_writes BIGINT NOT NULL,
    orphan_reads BIGINT NOT NULL
);
