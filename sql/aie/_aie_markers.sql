-- Private: the events the kernel and iteration analysis reads, per core: kernel starts
-- (INSTR_EVENT_0 with ph 'B'), kernel ends (INSTR_EVENT_1 with ph 'E'), and LOCK_STALL begins and
-- ends. kind is 'kernel' or 'stall'; is_open is true for a start/begin.
CREATE OR REPLACE VIEW _aie_markers AS
SELECT
    e.run_id,
    e.pid,
    CASE WHEN e.name = 'LOCK_STALL' THEN 'stall' ELSE 'kernel' END AS kind,
    e.ph = 'B' AS is_open,
    e.ts
FROM _aie_trace_events AS e
JOIN aie_processes AS p ON p.run_id = e.run_id AND p.pid = e.pid AND p.is_core
WHERE (e.name = 'INSTR_EVENT_0' AND e.ph = 'B')
   OR (e.name = 'INSTR_EVENT_1' AND e.ph = 'E')
   OR (e.name = 'LOCK_STALL' AND e.ph IN ('B', 'E'));
