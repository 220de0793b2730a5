-- Private: every event of every ingested AI Engine trace, as read from the trace-event JSON (see the
-- public view aie_events, which adds process and thread names). Event names from traces written
-- before mid-2024 are mapped to today's (Event0 -> INSTR_EVENT_0, Event1 -> INSTR_EVENT_1,
-- LockStall -> LOCK_STALL); raw_name keeps the name as written. ts is an integer cycle count: a
-- float ts is truncated toward zero and a string holding an integer is read as that integer.
CREATE TABLE IF NOT EXISTS _aie_trace_events (
    run_id INTEGER NOT NULL,
    event_index BIGINT NOT NULL,
    name VARCHAR,
    raw_name VARCHAR,
    ph VARCHAR,
    ts BIGINT,
    pid BIGINT,
    tid BIGINT,
    args JSON
);
