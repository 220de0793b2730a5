-- One row per (run, pid) of an AI Engine trace: the process's name from its last process_name
-- metadata event (ph 'M', args.name), whether it is a core, and its tile. Only processes whose name
-- contains 'core_trace' are cores; the tile is the text after the last ' for ' of the name (the
-- whole name when it has none), e.g. 'core_trace for tile2,0' -> 'tile2,0'.
-- @column run_id Run (see runs).
-- @column pid Process id in the trace (one per traced tile and trace kind).
-- @column process_name Name from the process_name metadata event (NULL when the pid has none).
-- @column tile_name Text after the last ' for ' of process_name (all of it when there is none).
-- @column is_core Whether process_name contains 'core_trace' (false when it has no name).
-- @column first_event_index Position in the file of the pid's first process_name, kernel marker or LOCK_STALL event (0-based; orders cores as the trace does).
-- @column events Trace events of this pid (count).
CREATE OR REPLACE VIEW aie_processes AS
WITH per_pid AS (
    SELECT
        run_id,
        pid,
        arg_max_null(args ->> 'name', event_index) FILTER (WHERE name = 'process_name' AND ph = 'M') AS process_name,
        min(event_index) FILTER (
            WHERE (name = 'process_name' AND ph = 'M')
               OR (name = 'INSTR_EVENT_0' AND ph = 'B')
               OR (name = 'INSTR_EVENT_1' AND ph = 'E')
               OR (name = 'LOCK_STALL' AND ph IN ('B', 'E'))
        ) AS first_event_index,
        count(*) AS events
    FROM _aie_trace_events
    WHERE pid IS NOT NULL
    GROUP BY run_id, pid
)
SELECT
    run_id,
    pid,
    process_name,
    CASE WHEN contains(process_name, ' for ') THEN string_split(process_name, ' for ')[-1] ELSE process_name END
        AS tile_name,
    coalesce(contains(process_name, 'core_trace'), false) AS is_core,
    first_event_index,
    events
FROM per_pid;
