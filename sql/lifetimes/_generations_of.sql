-- Private: the data generations of one (run, layer, buffer): per address, one row per distinct
-- write cycle with the reads it served, plus one row per cycle of reads that came before any write
-- (orphan reads; write_cycle is NULL). Each read is owned by the latest write at or before its
-- cycle: ordering an address's accesses by cycle, writes before reads within a cycle, the owner is
-- the running maximum of write cycles. A generation with no reads is a dead write. Filled into
-- _generations at ingest (loaders/scalesim_derived.py). A table macro over p_accesses, the name of
-- a table shaped like accesses (at ingest, the rows of one layer and buffer being loaded), so the
-- sort only ever sees one layer and buffer, partitioned by address alone.
CREATE OR REPLACE MACRO _generations_of(p_accesses, p_run, p_layer, p_buffer) AS TABLE
WITH events AS (
    SELECT addr, cycle, _is_write(buffer, level) AS is_write
    FROM query_table(p_accesses)
    WHERE run_id = p_run AND layer = p_layer AND buffer = p_buffer
),
owned AS (
    SELECT
        addr,
        cycle,
        is_write,
        max(CASE WHEN is_write THEN cycle END) OVER (
            PARTITION BY addr
            ORDER BY cycle, is_write DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS write_cycle
    FROM events
)
SELECT
    p_run AS run_id,
    p_layer AS layer,
    p_buffer AS buffer,
    addr,
    write_cycle,
    count(*) FILTER (WHERE NOT is_write) AS reads,
    max(cycle) FILTER (WHERE NOT is_write) AS last_read_cycle
FROM owned
-- Orphan reads are kept apart per cycle, so orphan_reads can list each with its cycle.
GROUP BY addr, write_cycle, CASE WHEN write_cycle IS NULL THEN cycle END;
