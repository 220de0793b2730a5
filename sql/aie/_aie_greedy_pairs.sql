-- Private: per core and kind ('kernel', 'stall'), opens (starts, begins) paired with closes (ends)
-- in time order: with both lists sorted (duplicates kept), the i-th open takes the first close that
-- is later than it and later than the close the (i-1)-th open took; pairing stops at the first open
-- with no such close.
-- Window formulation: let f(i) be the number of closes at or before open i (its first candidate
-- close index). The close index taken by open i obeys j(0) = f(0), j(i) = max(j(i-1) + 1, f(i)),
-- so j(i) = i + max over k <= i of (f(k) - k); open i has a pair when j(i) < number of closes, and
-- since j grows with i every later open fails once one does.
CREATE OR REPLACE VIEW _aie_greedy_pairs AS
WITH ranked AS (
    SELECT
        run_id,
        pid,
        kind,
        is_open,
        ts,
        row_number() OVER (PARTITION BY run_id, pid, kind, is_open ORDER BY ts) - 1 AS pos,
        -- closes sort before opens at the same ts: a close at the open's own ts cannot close it
        count(*) FILTER (WHERE NOT is_open) OVER (
            PARTITION BY run_id, pid, kind ORDER BY ts, is_open ROWS UNBOUNDED PRECEDING
        ) AS closes_so_far
    FROM _aie_markers
),
opens AS (
    SELECT
        run_id,
        pid,
        kind,
        ts,
        pos,
        pos + max(closes_so_far - pos) OVER (
            PARTITION BY run_id, pid, kind ORDER BY pos ROWS UNBOUNDED PRECEDING
        ) AS close_pos
    FROM ranked
    WHERE is_open
)
SELECT
    o.run_id,
    o.pid,
    o.kind,
    o.pos AS pair_index,
    o.ts AS open_ts,
    c.ts AS close_ts,
    c.ts - o.ts AS duration_cycles
FROM opens AS o
JOIN ranked AS c
    ON c.run_id = o.run_id AND c.pid = o.pid AND c.kind = o.kind AND NOT c.is_open AND c.pos = o.close_pos;
