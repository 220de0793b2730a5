-- Private: the definition of the table _aie_kernel_pairs (filled from it at ingest, one run at a
-- time). Per core, the kernel (start, end) pairs after the robust pairing, one row per pair, with
-- whether the pair is kept (inside the outlier window) and the per-core figures of each step:
-- 1. Preliminary median d of the greedy kernel pairs (_aie_greedy_pairs), truncated to an integer,
--    at least 1 (1 when there are none); gap = max(1, trunc(dup_gap_fraction * d)).
-- 2. Starts and ends are each thinned: in time order, a timestamp is kept only when it is at least
--    gap after the last one KEPT (which also drops exact repeats). This is sequential, so it is a
--    recursive CTE. A timestamp at least gap after its predecessor is always kept (the last kept one
--    is not later than the predecessor), so the timestamps split into clusters at such steps, every
--    cluster's first timestamp is kept, and within a cluster the kept ones are the chain from its
--    first through "the first timestamp at least gap later": the recursion follows that chain, all
--    clusters at once, for as many steps as the longest chain.
-- 3. Pairing without overlap: start with the first kept start >= 0 (a start must be later than the
--    previous end, initially -1), pair it with the first kept end later than it, then take the first
--    start later than that end, and so on, until starts or ends run out. Window formulation: merge
--    the distinct timestamps of both lists; a timestamp holding only a start leaves a kernel open,
--    one holding only an end leaves none open, one holding both flips the state (it ends the open
--    kernel or starts one). A start is taken when no kernel is open before it, an end when one is;
--    a two-kind timestamp is always taken, as whichever is needed. Each taken start pairs with the
--    next taken timestamp (always an end).
-- 4. Outlier window around the median m of the pairs' durations (the mean of the two middle values
--    for an even count): lo = max(1, trunc(outlier_lo * m)), hi = max(lo + 1, trunc(outlier_hi * m));
--    pairs with lo <= duration <= hi are kept, or all pairs when none would be.
CREATE OR REPLACE VIEW _aie_kernel_pairs_def AS
WITH RECURSIVE
cores AS (
    SELECT DISTINCT run_id, pid FROM _aie_markers WHERE kind = 'kernel'
),
rough AS (
    SELECT run_id, pid, list_sort(list(duration_cycles)) AS d
    FROM _aie_greedy_pairs
    WHERE kind = 'kernel'
    GROUP BY run_id, pid
),
gaps AS (
    SELECT
        c.run_id,
        c.pid,
        CAST(greatest(1, trunc(s.dup_gap_fraction * CAST(coalesce(
            greatest(1, CAST(trunc((r.d[(len(r.d) + 1) // 2] + r.d[len(r.d) // 2 + 1]) / 2) AS BIGINT)), 1
        ) AS DOUBLE))) AS BIGINT) AS min_gap
    FROM cores AS c
    JOIN aie_settings AS s ON s.run_id = c.run_id
    LEFT JOIN rough AS r ON r.run_id = c.run_id AND r.pid = c.pid
),
distinct_marks AS (
    SELECT DISTINCT run_id, pid, is_open, ts FROM _aie_markers WHERE kind = 'kernel'
),
stepped AS (
    SELECT
        m.run_id,
        m.pid,
        m.is_open,
        m.ts,
        g.min_gap,
        m.ts - lag(m.ts) OVER (PARTITION BY m.run_id, m.pid, m.is_open ORDER BY m.ts) AS step
    FROM distinct_marks AS m
    JOIN gaps AS g ON g.run_id = m.run_id AND g.pid = m.pid
),
clustered AS (
    SELECT
        *,
        sum(CASE WHEN step IS NULL OR step >= min_gap THEN 1 ELSE 0 END) OVER (
            PARTITION BY run_id, pid, is_open ORDER BY ts ROWS UNBOUNDED PRECEDING
        ) AS cluster
    FROM stepped
),
links AS MATERIALIZED (
    SELECT a.run_id, a.pid, a.is_open, a.ts, b.ts AS next_ts
    FROM clustered AS a
    ASOF JOIN clustered AS b
        ON b.run_id = a.run_id AND b.pid = a.pid AND b.is_open = a.is_open AND b.cluster = a.cluster
        AND b.ts >= a.ts + a.min_gap
),
thinned(run_id, pid, is_open, ts) AS (
    SELECT run_id, pid, is_open, min(ts)
    FROM clustered
    GROUP BY run_id, pid, is_open, cluster
    UNION ALL
    SELECT l.run_id, l.pid, l.is_open, l.next_ts
    FROM thinned AS t
    JOIN links AS l ON l.run_id = t.run_id AND l.pid = t.pid AND l.is_open = t.is_open AND l.ts = t.ts
),
stamps AS (
    SELECT run_id, pid, ts, bool_or(is_open) AS has_start, bool_or(NOT is_open) AS has_end
    FROM thinned
    WHERE ts >= 0
    GROUP BY run_id, pid, ts
),
grouped AS (
    -- group = number of single-kind timestamps so far; within a group, the rows after the first are
    -- two-kind timestamps (all rows of group 0 are)
    SELECT
        *,
        count(*) FILTER (WHERE NOT (has_start AND has_end)) OVER (
            PARTITION BY run_id, pid ORDER BY ts ROWS UNBOUNDED PRECEDING
        ) AS grp
    FROM stamps
),
states AS (
    SELECT
        *,
        -- a kernel is open after this timestamp: the group's single-kind timestamp sets the state
        -- (none open before any), each two-kind timestamp since flips it
        (grp > 0 AND first_value(has_start) OVER g)
            <> ((row_number() OVER g - CASE WHEN grp > 0 THEN 1 ELSE 0 END) % 2 = 1) AS open_after
    FROM grouped
    WINDOW g AS (PARTITION BY run_id, pid, grp ORDER BY ts ROWS UNBOUNDED PRECEDING)
),
taken AS (
    SELECT
        run_id,
        pid,
        ts,
        CASE
            WHEN has_start AND has_end THEN (CASE WHEN open_before THEN 'end' ELSE 'start' END)
            WHEN has_start AND NOT open_before THEN 'start'
            WHEN has_end AND open_before THEN 'end'
        END AS role
    FROM (
        SELECT *, coalesce(lag(open_after) OVER (PARTITION BY run_id, pid ORDER BY ts), false) AS open_before
        FROM states
    )
),
pairs AS (
    SELECT run_id, pid, start_ts, end_ts, end_ts - start_ts AS duration_cycles
    FROM (
        SELECT run_id, pid, role, ts AS start_ts, lead(ts) OVER (PARTITION BY run_id, pid ORDER BY ts) AS end_ts
        FROM taken
        WHERE role IS NOT NULL
    )
    WHERE role = 'start' AND end_ts IS NOT NULL
),
windows AS (
    SELECT
        p.run_id,
        p.pid,
        CAST(greatest(1, trunc(s.outlier_lo * p.m)) AS BIGINT) AS lo,
        greatest(CAST(greatest(1, trunc(s.outlier_lo * p.m)) AS BIGINT) + 1, CAST(trunc(s.outlier_hi * p.m) AS BIGINT)) AS hi
    FROM (
        SELECT run_id, pid, list_sort(list(duration_cycles)) AS d,
               (d[(len(d) + 1) // 2] + d[len(d) // 2 + 1]) / 2 AS m
        FROM pairs
        GROUP BY run_id, pid
    ) AS p
    JOIN aie_settings AS s ON s.run_id = p.run_id
),
flagged AS (
    SELECT
        p.*,
        w.lo,
        w.hi,
        p.duration_cycles BETWEEN w.lo AND w.hi AS in_window
    FROM pairs AS p
    JOIN windows AS w ON w.run_id = p.run_id AND w.pid = p.pid
),
decided AS (
    SELECT *, in_window OR NOT bool_or(in_window) OVER (PARTITION BY run_id, pid) AS kept
    FROM flagged
),
medians AS (
    -- median of the kept pairs' durations: the middle one, or the mean of the two middle ones
    SELECT run_id, pid, count(*) AS kept_count, list_sort(list(duration_cycles)) AS d,
           (d[(len(d) + 1) // 2] + d[len(d) // 2 + 1]) / 2 AS kernel_median
    FROM decided
    WHERE kept
    GROUP BY run_id, pid
)
SELECT
    d.run_id,
    d.pid,
    row_number() OVER (PARTITION BY d.run_id, d.pid ORDER BY d.start_ts) - 1 AS pair_index,
    d.start_ts,
    d.end_ts,
    d.duration_cycles,
    d.in_window,
    d.kept,
    g.min_gap,
    d.lo AS window_lo,
    d.hi AS window_hi,
    k.kept_count,
    k.kernel_median
FROM decided AS d
JOIN gaps AS g ON g.run_id = d.run_id AND g.pid = d.pid
JOIN medians AS k ON k.run_id = d.run_id AND k.pid = d.pid;
