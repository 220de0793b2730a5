-- Private: per (run, layer, buffer, lifetime length), how many lifetimes have that length and how
-- many reads they served: the lifetimes view grouped by length, kept at ingest, one (run, layer,
-- buffer) at a time (_lifetime_lengths_of, loaders/scalesim_derived.py). Lifetimes of equal length
-- fall in the same histogram bin and behave alike in every memory technology, so lifetime_histogram
-- and _lifetime_spans (run_stats, memtech) read these counts instead of every lifetime.
CREATE TABLE IF NOT EXISTS _lifetime_lengths (
    run_id INTEGER NOT NULL,
    layer SMALLINT NOT NULL,
    buffer ENUM('ifmap', 'filter', 'ofmap') NOT NULL,
    lifetime_cycles INTEGER NOT NULL,
    lifetimes BIGINT NOT NULL,
    reads BIGINT NOT NULL
);
