-- One row per event of an ingested AI Engine trace (every event is kept: kernel markers, stalls,
-- DMA and port activity, metadata), with its process and thread names. Names written before
-- mid-2024 are mapped to today's (Event0 -> INSTR_EVENT_0, Event1 -> INSTR_EVENT_1, LockStall ->
-- LOCK_STALL); raw_name keeps the original. ts counts cycles from the start of each tile's trace
-- (tiles share no clock).
-- @column run_id Run (see runs).
-- @column event_index Position of the event in the file (0-based).
-- @column name Event name, with 2024-era names mapped to today's.
-- @column raw_name Event name as written in the file.
-- @column ph Phase: 'B' (begin), 'E' (end), 'M' (metadata), or another trace-event phase.
-- @column ts Timestamp (cycles since the tile's trace start; NULL for metadata events without one).
-- @column pid Process id (one per traced tile and trace kind; see aie_processes).
-- @column tid Thread id within the process (one per traced event slot).
-- @column args The event's args object as JSON (metadata events: {"name": ...}).
-- @column process_name Name of the event's process (from its process_name metadata event).
-- @column thread_name Name of the event's thread (from its thread_name metadata event), usually the event slot's name.
CREATE OR REPLACE VIEW aie_events AS
WITH threads AS (
    SELECT run_id, pid, tid, arg_max_null(args ->> 'name', event_index) AS thread_name
    FROM _aie_trace_events
    WHERE name = 'thread_name' AND ph = 'M'
    GROUP BY run_id, pid, tid
)
SELECT
    e.run_id,
    e.event_index,
    e.name,
    e.raw_name,
    e.ph,
    e.ts,
    e.pid,
    e.tid,
    e.args,
    p.process_name,
    t.thread_name
FROM _aie_trace_events AS e
LEFT JOIN aie_processes AS p ON p.run_id = e.run_id AND p.pid = e.pid
LEFT JOIN threads AS t ON t.run_id = e.run_id AND t.pid = e.pid AND t.tid = e.tid;
