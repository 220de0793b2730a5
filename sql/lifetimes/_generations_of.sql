-- Private: the data generations of one (run, layer, buffer): per address, one row per distinct
-- write cycle with the reads it served, plus one row per cycle of reads that came before any write
-- (orphan reads; write_cycle is NULL). Each read is owned by the latest write at or before its
-- cycle. A generation with no reads is a dead write. The definition of what _generations holds: the
-- ingest finds the same rows in numpy, where a layer's parsed accesses already are
-- (loaders/scalesim_derived.py), and tests hold it to this macro. A table macro over p_accesses, the
-- name of a table (or Arrow table) holding the level, cycle and addr of that one layer and buffer's
-- accesses, and nothing else.
-- The same owners are found three ways, by what an address's accesses are like:
-- - written in one cycle, every read at or after it (every ifmap and filter address, as a rule):
--   the address is one generation, from per-address figures (a hash aggregate).
-- - written in one cycle with a read before it, or never written: a read at or after the write is
--   the write's, an earlier one an orphan (a hash join of each read with its address's write).
-- - written in two or more cycles: ordering the address's accesses by cycle, writes before reads
--   within a cycle, the owner is the running maximum of write cycles (a window, sorted per address).
CREATE OR REPLACE MACRO _generations_of(p_accesses, p_run, p_layer, p_buffer) AS TABLE
WITH events AS (
    SELECT addr, cycle, _is_write(p_buffer, level) AS is_write
    FROM query_table(p_accesses)
),
addresses AS (
    SELECT
        addr,
        min(cycle) FILTER (WHERE is_write) AS write_cycle,
        count(*) FILTER (WHERE NOT is_write) AS reads,
        max(cycle) FILTER (WHERE NOT is_write) AS last_read_cycle,
        CASE
            WHEN min(cycle) FILTER (WHERE is_write) IS NULL THEN 'once'
            WHEN min(cycle) FILTER (WHERE is_write) < max(cycle) FILTER (WHERE is_write) THEN 'again'
            WHEN min(cycle) FILTER (WHERE NOT is_write) < min(cycle) FILTER (WHERE is_write) THEN 'once'
            ELSE 'whole'
        END AS kind
    FROM events
    GROUP BY addr
),
whole AS (
    SELECT addr, write_cycle, reads, last_read_cycle FROM addresses WHERE kind = 'whole'
),
once_reads AS (
    SELECT
        e.addr,
        e.cycle,
        CASE WHEN e.cycle >= a.write_cycle THEN a.write_cycle END AS write_cycle
    FROM events AS e
    JOIN addresses AS a ON e.addr = a.addr AND a.kind = 'once'
    WHERE NOT e.is_write
),
once AS (
    SELECT addr, write_cycle, count(*) AS reads, max(cycle) AS last_read_cycle
    FROM once_reads
    -- Orphan reads are kept apart per cycle, so orphan_reads can list each with its cycle.
    GROUP BY addr, write_cycle, CASE WHEN write_cycle IS NULL THEN cycle END
),
once_dead AS (
    SELECT addr, write_cycle, 0 AS reads, NULL::INTEGER AS last_read_cycle
    FROM addresses
    WHERE kind = 'once' AND write_cycle IS NOT NULL AND last_read_cycle < write_cycle
),
again_owned AS (
    SELECT
        e.addr,
        e.cycle,
        e.is_write,
        max(CASE WHEN e.is_write THEN e.cycle END) OVER (
            PARTITION BY e.addr
            ORDER BY e.cycle, e.is_write DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS write_cycle
    FROM events AS e
    SEMI JOIN addresses AS a ON e.addr = a.addr AND a.kind = 'again'
),
again AS (
    SELECT
        addr,
        write_cycle,
        count(*) FILTER (WHERE NOT is_write) AS reads,
        max(cycle) FILTER (WHERE NOT is_write) AS last_read_cycle
    FROM again_owned
    GROUP BY addr, write_cycle, CASE WHEN write_cycle IS NULL THEN cycle END
)
SELECT p_run AS run_id, p_layer AS layer, p_buffer AS buffer, addr, write_cycle, reads, last_read_cycle
FROM (
    SELECT * FROM whole
    UNION ALL SELECT * FROM once
    UNION ALL SELECT * FROM once_dead
    UNION ALL SELECT * FROM again
);
