-- One row per kernel call of a core found by the robust pairing (see docs/definitions.md): a kernel
-- start (INSTR_EVENT_0, ph 'B') and the kernel end (INSTR_EVENT_1, ph 'E') that closes it, after
-- duplicate markers are thinned and overlaps excluded. Calls outside the outlier window around the
-- median duration are not kept (unless none would be) and belong to no iteration. A kept call's
-- iteration is the number of iteration boundaries (aie_lock_stalls.is_boundary ends) before its
-- start.
-- @column run_id Run (see runs).
-- @column pid Process id of the core (see aie_processes).
-- @column tile_name The core's tile, e.g. 'tile2,0'.
-- @column kernel_index Position among the core's paired calls in time order (0-based, outliers included).
-- @column start_ts Kernel start (cycles since the tile's trace start).
-- @column end_ts Kernel end (cycles).
-- @column duration_cycles end_ts - start_ts (cycles).
-- @column in_window Whether the duration lies in the outlier window [window_lo, window_hi].
-- @column kept Whether the call counts: in the window, or every call of the core when none is.
-- @column iteration_index Iteration of a kept call: boundaries strictly before its start (0-based; NULL when not kept).
-- @column min_gap_cycles The core's duplicate gap: markers closer than this to the last one kept were dropped (cycles).
-- @column window_lo Shortest duration in the outlier window (cycles).
-- @column window_hi Longest duration in the outlier window (cycles).
CREATE OR REPLACE VIEW aie_kernels AS
WITH boundaries AS (
    SELECT run_id, pid, end_ts, row_number() OVER (PARTITION BY run_id, pid ORDER BY end_ts) AS boundaries_up_to
    FROM (SELECT DISTINCT run_id, pid, end_ts FROM aie_lock_stalls WHERE is_boundary)
)
SELECT
    k.run_id,
    k.pid,
    p.tile_name,
    k.pair_index AS kernel_index,
    k.start_ts,
    k.end_ts,
    k.duration_cycles,
    k.in_window,
    k.kept,
    CASE WHEN k.kept THEN coalesce(b.boundaries_up_to, 0) END AS iteration_index,
    k.min_gap AS min_gap_cycles,
    k.window_lo,
    k.window_hi
FROM _aie_kernel_pairs AS k
JOIN aie_processes AS p ON p.run_id = k.run_id AND p.pid = k.pid
ASOF LEFT JOIN boundaries AS b ON b.run_id = k.run_id AND b.pid = k.pid AND k.start_ts > b.end_ts;
