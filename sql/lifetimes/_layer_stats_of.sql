-- Private: layer_stats for one (run, layer, buffer), from its accesses (p_accesses, as for
-- _generations_of) and its generations (p_generations, the name of a table, or Arrow table, holding
-- the _generations_of rows of that layer and buffer). Filled into _layer_stats at ingest
-- (loaders/scalesim_derived.py). It needs nothing of the run's reports, so a layer can be loaded as
-- soon as it is simulated; what needs COMPUTE_REPORT.csv (total cycles, frequencies) is in the
-- layer_stats view.
CREATE OR REPLACE MACRO _layer_stats_of(p_accesses, p_generations, p_run, p_layer, p_buffer) AS TABLE
WITH events AS (
    SELECT cycle, _is_write(p_buffer, level) AS is_write
    FROM query_table(p_accesses)
),
generations AS (
    SELECT addr, write_cycle, reads, last_read_cycle
    FROM query_table(p_generations)
),
access_counts AS (
    SELECT
        count(*) FILTER (WHERE NOT is_write) AS reads,
        count(*) FILTER (WHERE is_write) AS writes,
        count(DISTINCT cycle) FILTER (WHERE NOT is_write) AS read_active_cycles,
        count(DISTINCT cycle) FILTER (WHERE is_write) AS write_active_cycles
    FROM events
),
generation_figures AS (
    SELECT
        count(DISTINCT addr) AS footprint_words,
        count(*) FILTER (WHERE write_cycle IS NOT NULL AND reads = 0) AS dead_writes,
        coalesce(sum(reads) FILTER (WHERE write_cycle IS NULL), 0) AS orphan_reads,
        count(*) FILTER (WHERE write_cycle IS NOT NULL AND reads > 0) AS lifetimes,
        avg(last_read_cycle - write_cycle) FILTER (WHERE write_cycle IS NOT NULL AND reads > 0) AS lifetime_mean,
        quantile_cont(last_read_cycle - write_cycle, 0.5) FILTER (WHERE write_cycle IS NOT NULL AND reads > 0) AS lifetime_median,
        quantile_cont(last_read_cycle - write_cycle, 0.9) FILTER (WHERE write_cycle IS NOT NULL AND reads > 0) AS lifetime_p90,
        quantile_cont(last_read_cycle - write_cycle, 0.99) FILTER (WHERE write_cycle IS NOT NULL AND reads > 0) AS lifetime_p99,
        min(last_read_cycle - write_cycle) FILTER (WHERE write_cycle IS NOT NULL AND reads > 0) AS lifetime_min,
        max(last_read_cycle - write_cycle) FILTER (WHERE write_cycle IS NOT NULL AND reads > 0) AS lifetime_max
    FROM generations
)
SELECT
    CAST(p_run AS INTEGER) AS run_id,
    CAST(p_layer AS INTEGER) AS layer,
    CAST(p_buffer AS VARCHAR) AS buffer,
    g.lifetimes,
    g.lifetime_mean,
    g.lifetime_median,
    g.lifetime_p90,
    g.lifetime_p99,
    g.lifetime_min,
    g.lifetime_max,
    a.reads,
    a.writes,
    a.read_active_cycles,
    a.write_active_cycles,
    g.footprint_words,
    g.dead_writes,
    CAST(g.orphan_reads AS BIGINT) AS orphan_reads
FROM access_counts AS a, generation_figures AS g;
