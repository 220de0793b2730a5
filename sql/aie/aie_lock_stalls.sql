-- One row per LOCK_STALL span of a core: begins and ends paired in time order (each begin takes the
-- first unused end later than it; an end not after the current begin is skipped; a begin left
-- without an end, as at the end of a trace, is no span). A span is an iteration boundary when it
-- lasts at least lock_stall_factor (aie_settings) times the core's median kernel duration (never
-- on a core without kernels); the iteration boundary is the span's end.
-- @column run_id Run (see runs).
-- @column pid Process id of the core (see aie_processes).
-- @column tile_name The core's tile, e.g. 'tile2,0'.
-- @column stall_index Position of the span among the core's spans in time order (0-based).
-- @column begin_ts LOCK_STALL begin (cycles since the tile's trace start).
-- @column end_ts LOCK_STALL end (cycles).
-- @column duration_cycles end_ts - begin_ts (cycles).
-- @column is_boundary Whether the span ends an iteration: duration_cycles >= lock_stall_factor * median_kernel_duration_cycles.
CREATE OR REPLACE VIEW aie_lock_stalls AS
WITH medians AS (
    SELECT DISTINCT run_id, pid, kernel_median FROM _aie_kernel_pairs
)
SELECT
    g.run_id,
    g.pid,
    p.tile_name,
    g.stall_index,
    g.begin_ts,
    g.end_ts,
    g.duration_cycles,
    coalesce(g.duration_cycles >= s.lock_stall_factor * m.kernel_median, false) AS is_boundary
FROM _aie_stall_spans AS g
JOIN aie_processes AS p ON p.run_id = g.run_id AND p.pid = g.pid
JOIN aie_settings AS s ON s.run_id = g.run_id
LEFT JOIN medians AS m ON m.run_id = g.run_id AND m.pid = g.pid;
