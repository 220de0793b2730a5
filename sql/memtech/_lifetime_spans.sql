-- Per (run, buffer or 'all', lifetime length): how many lifetimes have that length and how many
-- reads they served. Lifetimes of equal length behave alike in every technology, so the comparison
-- works on these counts rather than on each lifetime (kept per layer at ingest: _lifetime_lengths).
CREATE OR REPLACE VIEW _lifetime_spans AS
SELECT
    run_id,
    coalesce(CAST(buffer AS VARCHAR), 'all') AS buffer,
    lifetime_cycles,
    CAST(sum(lifetimes) AS BIGINT) AS lifetimes,
    sum(reads) AS reads
FROM _lifetime_lengths
GROUP BY GROUPING SETS ((run_id, buffer, lifetime_cycles), (run_id, lifetime_cycles));
