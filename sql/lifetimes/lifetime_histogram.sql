-- Per (run, layer, buffer): how many lifetimes fall in each log2-spaced bin, for plotting lifetime
-- distributions on a log axis. Bin 0 holds lifetimes of 0 cycles; bin k >= 1 holds lifetimes in
-- [2^(k-1), 2^k) cycles. The bins are the same for every layer and run, so rows can be summed
-- across layers or runs. Only bins with at least one lifetime appear.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer On-chip buffer: 'ifmap', 'filter' or 'ofmap'.
-- @column bin Bin number: 0 for lifetime 0, else 1 + floor(log2(lifetime)).
-- @column bin_lo_cycles Smallest lifetime in the bin (cycles, inclusive).
-- @column bin_hi_cycles End of the bin (cycles, exclusive).
-- @column lifetimes Lifetimes in the bin (count).
-- @column reads Reads served by the bin's lifetimes (count).
-- @column lifetime_pct Share of the (run, layer, buffer)'s lifetimes in the bin (percent).
-- @column read_pct Share of the (run, layer, buffer)'s lifetime reads in the bin (percent).
CREATE OR REPLACE VIEW lifetime_histogram AS
WITH lengths AS (
    -- lifetimes of equal length fall in the same bin: each length, counted at ingest, is binned once
    SELECT run_id, layer, CAST(buffer AS VARCHAR) AS buffer, lifetime_cycles, lifetimes, reads
    FROM _lifetime_lengths
),
binned AS (
    SELECT
        run_id,
        layer,
        buffer,
        -- floor(log2(x)) in floating point, corrected by one where rounding lands on the wrong side
        -- of a power of two.
        CASE
            WHEN lifetime_cycles = 0 THEN 0
            ELSE 1 + CAST(floor(log2(lifetime_cycles)) AS INTEGER)
                 - CASE WHEN CAST(pow(2, floor(log2(lifetime_cycles))) AS BIGINT) > lifetime_cycles THEN 1 ELSE 0 END
                 + CASE WHEN CAST(pow(2, floor(log2(lifetime_cycles)) + 1) AS BIGINT) <= lifetime_cycles THEN 1 ELSE 0 END
        END AS bin,
        lifetimes,
        reads
    FROM lengths
),
counted AS (
    SELECT run_id, layer, buffer, bin, sum(lifetimes) AS lifetimes, sum(reads) AS reads
    FROM binned
    GROUP BY ALL
)
SELECT
    run_id,
    layer,
    buffer,
    bin,
    CASE WHEN bin = 0 THEN 0 ELSE CAST(pow(2, bin - 1) AS BIGINT) END AS bin_lo_cycles,
    CAST(pow(2, bin) AS BIGINT) AS bin_hi_cycles,
    CAST(lifetimes AS BIGINT) AS lifetimes,
    CAST(reads AS BIGINT) AS reads,
    100.0 * lifetimes / sum(lifetimes) OVER (PARTITION BY run_id, layer, buffer) AS lifetime_pct,
    100.0 * reads / sum(reads) OVER (PARTITION BY run_id, layer, buffer) AS read_pct
FROM counted;
