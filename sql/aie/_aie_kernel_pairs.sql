-- Private: _aie_kernel_pairs_def materialised at ingest (one run at a time, with the run's
-- aie_settings at that moment): the robust kernel pairs of every core. The public view is aie_kernels.
CREATE TABLE IF NOT EXISTS _aie_kernel_pairs (
    run_id INTEGER NOT NULL,
    pid BIGINT NOT NULL,
    pair_index BIGINT NOT NULL,
    start_ts BIGINT NOT NULL,
    end_ts BIGINT NOT NULL,
    duration_cycles BIGINT NOT NULL,
    in_window BOOLEAN NOT NULL,
    kept BOOLEAN NOT NULL,
    min_gap BIGINT NOT NULL,
    window_lo BIGINT NOT NULL,
    window_hi BIGINT NOT NULL,
    kept_count BIGINT NOT NULL,
    kernel_median DOUBLE NOT NULL
);
