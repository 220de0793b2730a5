-- Private: _aie_stall_spans_def materialised at ingest (one run at a time). The public view is
-- aie_lock_stalls.
CREATE TABLE IF NOT EXISTS _aie_stall_spans (
    run_id INTEGER NOT NULL,
    pid BIGINT NOT NULL,
    stall_index BIGINT NOT NULL,
    begin_ts BIGINT NOT NULL,
    end_ts BIGINT NOT NULL,
    duration_cycles BIGINT NOT NULL
);
