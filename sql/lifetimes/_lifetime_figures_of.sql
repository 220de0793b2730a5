-- Private: the lifetime figures of layer_stats and run_stats, from lifetimes counted by length.
-- p_counts names a table (or a CTE of the calling query) with columns key (any type: what the
-- figures are grouped by), lifetime_cycles and lifetimes (how many lifetimes have that length; a
-- length may take several rows). One row per key with lifetimes (a key without has no row): key,
-- lifetimes (count), lifetime_mean, lifetime_median, lifetime_p90, lifetime_p99, lifetime_min and
-- lifetime_max (cycles). The median and percentiles are quantile_cont's (linear interpolation
-- between the values at 0-based ranks floor(h) and ceil(h), h = (n - 1) * q, as pandas' quantile),
-- read off the counts: the list of every lifetime is never made. They equal quantile_cont's to the
-- last bit of a double: lo + (hi - lo) * (h - floor(h)) here, rounded otherwise there.
CREATE OR REPLACE MACRO _lifetime_figures_of(p_counts) AS TABLE
WITH ranked AS (
    -- upto: how many lifetimes are no longer than this row's length (rows of one length in any
    -- order), so the length at 0-based rank k is the shortest with upto > k; n: the key's lifetimes
    SELECT
        key,
        lifetime_cycles,
        lifetimes,
        sum(lifetimes) OVER (PARTITION BY key ORDER BY lifetime_cycles
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
        CAST(sum(lifetimes) OVER (PARTITION BY key) AS DOUBLE) AS n
    FROM query_table(p_counts)
    WHERE lifetimes > 0
),
ranks AS (
    SELECT
        key,
        sum(lifetimes) AS lifetimes,
        sum(CAST(lifetime_cycles AS HUGEINT) * lifetimes) / sum(lifetimes) AS lifetime_mean,
        min(lifetime_cycles) AS lifetime_min,
        max(lifetime_cycles) AS lifetime_max,
        (n - 1) * 0.5 AS h50, (n - 1) * 0.9 AS h90, (n - 1) * 0.99 AS h99,
        min(lifetime_cycles) FILTER (WHERE upto > floor((n - 1) * 0.5)) AS lo50,
        min(lifetime_cycles) FILTER (WHERE upto > ceil((n - 1) * 0.5)) AS hi50,
        min(lifetime_cycles) FILTER (WHERE upto > floor((n - 1) * 0.9)) AS lo90,
        min(lifetime_cycles) FILTER (WHERE upto > ceil((n - 1) * 0.9)) AS hi90,
        min(lifetime_cycles) FILTER (WHERE upto > floor((n - 1) * 0.99)) AS lo99,
        min(lifetime_cycles) FILTER (WHERE upto > ceil((n - 1) * 0.99)) AS hi99
    FROM ranked
    GROUP BY key, n
)
SELECT
    key,
    CAST(lifetimes AS BIGINT) AS lifetimes,
    CAST(lifetime_mean AS DOUBLE) AS lifetime_mean,
    lo50 + (hi50 - lo50) * (h50 - floor(h50)) AS lifetime_median,
    lo90 + (hi90 - lo90) * (h90 - floor(h90)) AS lifetime_p90,
    lo99 + (hi99 - lo99) * (h99 - floor(h99)) AS lifetime_p99,
    CAST(lifetime_min AS INTEGER) AS lifetime_min,
    CAST(lifetime_max AS INTEGER) AS lifetime_max
FROM ranks;
