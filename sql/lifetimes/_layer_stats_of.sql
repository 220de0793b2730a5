-- Private: layer_stats for one (run, layer, buffer), from its generations (p_generations, the name of
-- a table, or Arrow table, holding the _generations_of rows of that layer and buffer: addr,
-- write_cycle, reads, last_read_cycle), its lifetimes counted by length (p_lengths, the name of a
-- table, CTE or Arrow table with the _lifetime_lengths_of rows of that layer and buffer:
-- lifetime_cycles, lifetimes; its lifetime figures come from these through _lifetime_figures_of) and
-- what the loader counts of its accesses as it parses the traces: p_reads and p_writes, the reads and
-- writes; p_read_active_cycles and p_write_active_cycles, the distinct cycles with at least one read,
-- and with at least one write; p_footprint_words, the distinct addresses read or written. Filled into
-- _layer_stats at ingest (loaders/scalesim_derived.py). It needs nothing of the run's reports, so a
-- layer can be loaded as soon as it is simulated; what needs COMPUTE_REPORT.csv (total cycles,
-- frequencies) is in the layer_stats view.
CREATE OR REPLACE MACRO _layer_stats_of(p_generations, p_lengths, p_run, p_layer, p_buffer, p_reads, p_writes,
                                        p_read_active_cycles, p_write_active_cycles, p_footprint_words) AS TABLE
WITH generation_figures AS (
    SELECT
        count(*) FILTER (WHERE write_cycle IS NOT NULL AND reads = 0) AS dead_writes,
        coalesce(sum(reads) FILTER (WHERE write_cycle IS NULL), 0) AS orphan_reads
    FROM query_table(p_generations)
),
counts AS (
    SELECT 0 AS key, lifetime_cycles, lifetimes
    FROM query_table(p_lengths)
),
lifetime_figures AS (
    SELECT * FROM _lifetime_figures_of('counts')
)
SELECT
    CAST(p_run AS INTEGER) AS run_id,
    CAST(p_layer AS INTEGER) AS layer,
    CAST(p_buffer AS VARCHAR) AS buffer,
    coalesce(l.lifetimes, 0) AS lifetimes,
    l.lifetime_mean,
    l.lifetime_median,
    l.lifetime_p90,
    l.lifetime_p99,
    l.lifetime_min,
    l.lifetime_max,
    CAST(p_reads AS BIGINT) AS reads,
    CAST(p_writes AS BIGINT) AS writes,
    CAST(p_read_active_cycles AS BIGINT) AS read_active_cycles,
    CAST(p_write_active_cycles AS BIGINT) AS write_active_cycles,
    CAST(p_footprint_words AS BIGINT) AS footprint_words,
    g.dead_writes,
    CAST(g.orphan_reads AS BIGINT) AS orphan_reads
FROM generation_figures AS g
LEFT JOIN lifetime_figures AS l ON true;
