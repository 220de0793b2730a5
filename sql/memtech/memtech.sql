-- Per (run, buffer or 'all', technology): GainSight's memory-technology comparison, with each
-- buffer's figures from memtech_figures (SRAM at the buffer's size and the run's node). With
-- lifetime_s = lifetime_cycles / clock_hz, a lifetime fits a technology when lifetime_s <=
-- retention_s (always for SRAM); each lifetime needs floor(lifetime_s / retention_s) refreshes (none
-- for SRAM). Area is footprint_words * word_bits * area per bit; energy is word_bits * (reads *
-- E_read + writes * E_write + refreshes * E_refresh) plus leakage per bit * footprint_words *
-- word_bits * runtime_s. A term whose count is 0 is 0 even when its figure is unknown; otherwise a
-- figure that needs an unknown technology figure is empty, and `missing` names what was unknown.
-- Ratios compare with the reference SRAM (_memtech_reference: 'sram'). For a technology whose read
-- or write energy is unknown, energy_break_even_ratio is the per-bit energy of the unknown
-- action(s), as a fraction of the reference's at the same buffer, at which its energy equals the
-- reference's: (E_sram - X) / A, where A is what the reference spends on those actions and X what
-- the technology is known to spend (its known access energy, refresh and leakage; an unknown term
-- counted as 0, named in `missing`). The 'all' row sums the buffers' counts, areas and energies.
-- @column run_id Run (see runs).
-- @column buffer 'ifmap', 'filter', 'ofmap', or 'all' for the buffers together.
-- @column technology Technology (see technologies).
-- @column clock_hz Clock frequency used (Hz).
-- @column word_bits Word width used (bits).
-- @column threshold_s Short-lifetime threshold used (seconds).
-- @column node_nm Node of the SRAM figures and scaled areas (nm).
-- @column retention_factor Factor applied to every retention time (1 = as cited).
-- @column buffer_kb The buffer's configured size (KiB; the sum for 'all').
-- @column lifetimes Lifetimes over all layers of the run (count).
-- @column fit_lifetime_pct Share of lifetimes that fit the retention time (percent).
-- @column fit_read_pct Share of the lifetimes' reads served by lifetimes that fit (percent).
-- @column under_threshold_pct Share of lifetimes shorter than threshold_s (percent; the same for every technology).
-- @column under_threshold_read_pct Share of the lifetimes' reads served by lifetimes shorter than threshold_s (percent; the same for every technology).
-- @column refreshes Refreshes the lifetimes need, summed (count).
-- @column footprint_words Footprint summed over layers (words).
-- @column reads Reads out of the buffer(s) (accesses).
-- @column writes Writes into the buffer(s) (accesses).
-- @column runtime_s Total cycles of the run's layers / clock_hz (seconds).
-- @column area_um2 footprint_words * word_bits * area_um2_per_bit (um^2).
-- @column read_energy_j word_bits * reads * read energy per bit (J).
-- @column write_energy_j word_bits * writes * write energy per bit (J).
-- @column refresh_energy_j word_bits * refreshes * refresh energy per bit (J).
-- @column leakage_energy_j Leakage per bit * footprint_words * word_bits * runtime_s (J).
-- @column energy_j Sum of the four energies (J; empty if any is unknown).
-- @column area_vs_sram area_um2 / the reference SRAM's area_um2 (ratio).
-- @column energy_vs_sram energy_j / the reference SRAM's energy_j (ratio).
-- @column energy_break_even_ratio For a technology whose read or write energy is unknown: the per-bit energy of the unknown action(s) (energy_break_even_for), as a fraction of the reference SRAM's for this buffer, at which its energy equals SRAM's on this run; below it the technology uses less energy. 0 or less: it cannot break even (what it is known to spend alone exceeds SRAM's total). Empty when the technology's energies are known, and for the reference.
-- @column energy_break_even_for The action(s) the break-even ratio is for: 'read and write', 'read' or 'write' (the unknown ones).
-- @column energy_break_even_pj_per_bit energy_break_even_ratio * the reference SRAM's per-bit energy for this buffer of the unknown action (read when both are unknown) (pJ; empty for 'all', whose buffers' SRAM figures differ).
-- @column sram_size_clamped True when a buffer's size lies outside a size table, so the nearest size's figures were used.
-- @column assumed Figures given by assumption (`--assume`), as 'figure=value' (comma-separated).
-- @column missing Unknown technology figures that left a column empty or were counted as 0 in the break-even energy (comma-separated; empty when complete). A figure whose count is 0 in this buffer (no reads, no refreshes, no footprint) is not missing.
CREATE OR REPLACE VIEW memtech AS
WITH spans AS (
    SELECT
        s.run_id,
        s.buffer,
        f.technology,
        sum(s.lifetimes) AS lifetimes,
        sum(s.reads) AS lifetime_reads,
        sum(s.lifetimes) FILTER (WHERE f.cell = 'sram' OR s.lifetime_cycles / p.clock_hz <= f.retention_s) AS fit_lifetimes,
        sum(s.reads) FILTER (WHERE f.cell = 'sram' OR s.lifetime_cycles / p.clock_hz <= f.retention_s) AS fit_reads,
        sum(s.lifetimes) FILTER (WHERE s.lifetime_cycles / p.clock_hz < p.threshold_s) AS short_lifetimes,
        sum(s.reads) FILTER (WHERE s.lifetime_cycles / p.clock_hz < p.threshold_s) AS short_reads,
        sum(s.lifetimes * CASE WHEN f.cell = 'sram' THEN 0
                               ELSE floor(s.lifetime_cycles / p.clock_hz / f.retention_s) END) AS refreshes
    FROM _lifetime_spans AS s
    JOIN _memtech_params AS p USING (run_id)
    JOIN memtech_figures AS f ON f.run_id = s.run_id AND f.buffer = s.buffer
    GROUP BY ALL
),
per_buffer AS (
    SELECT
        f.run_id,
        f.buffer,
        f.technology,
        f.cell,
        f.retention_s IS NULL AND f.cell = 'gain_cell' AS retention_unknown,
        p.clock_hz,
        p.word_bits,
        p.threshold_s,
        p.node_nm,
        p.retention_factor,
        f.buffer_kb,
        CAST(coalesce(r.lifetimes, 0) AS BIGINT) AS lifetimes,
        CAST(coalesce(s.lifetime_reads, 0) AS BIGINT) AS lifetime_reads,
        CASE WHEN f.retention_s IS NULL AND f.cell = 'gain_cell' THEN NULL
             ELSE CAST(coalesce(s.fit_lifetimes, 0) AS BIGINT) END AS fit_lifetimes,
        CASE WHEN f.retention_s IS NULL AND f.cell = 'gain_cell' THEN NULL
             ELSE CAST(coalesce(s.fit_reads, 0) AS BIGINT) END AS fit_reads,
        CAST(coalesce(s.short_lifetimes, 0) AS BIGINT) AS short_lifetimes,
        CAST(coalesce(s.short_reads, 0) AS BIGINT) AS short_reads,
        CASE WHEN f.retention_s IS NULL AND f.cell = 'gain_cell' AND coalesce(r.lifetimes, 0) > 0 THEN NULL
             ELSE CAST(coalesce(s.refreshes, 0) AS BIGINT) END AS refreshes,
        CAST(r.footprint_words AS BIGINT) AS footprint_words,
        CAST(r.reads AS BIGINT) AS reads,
        CAST(r.writes AS BIGINT) AS writes,
        p.runtime_cycles / p.clock_hz AS runtime_s,
        f.area_um2_per_bit,
        f.read_pj_per_bit,
        f.write_pj_per_bit,
        f.refresh_pj_per_bit,
        f.leakage_pw_per_bit,
        f.sram_size_clamped,
        f.assumed
    FROM memtech_figures AS f
    JOIN _memtech_params AS p USING (run_id)
    JOIN run_stats AS r ON r.run_id = f.run_id AND r.buffer = f.buffer
    LEFT JOIN spans AS s ON s.run_id = f.run_id AND s.buffer = f.buffer AND s.technology = f.technology
),
energies AS (
    -- a term with a zero count is 0 whatever its figure
    SELECT
        *,
        CASE WHEN footprint_words = 0 THEN 0.0 ELSE footprint_words * word_bits * area_um2_per_bit END AS area_um2,
        CASE WHEN reads = 0 THEN 0.0 ELSE word_bits * reads * read_pj_per_bit * 1e-12 END AS read_energy_j,
        CASE WHEN writes = 0 THEN 0.0 ELSE word_bits * writes * write_pj_per_bit * 1e-12 END AS write_energy_j,
        CASE WHEN refreshes = 0 THEN 0.0 ELSE word_bits * refreshes * refresh_pj_per_bit * 1e-12 END AS refresh_energy_j,
        CASE WHEN footprint_words = 0 OR runtime_s = 0 THEN 0.0
             ELSE leakage_pw_per_bit * 1e-12 * footprint_words * word_bits * runtime_s END AS leakage_energy_j
    FROM per_buffer
),
buffers AS (
    SELECT *, read_energy_j + write_energy_j + refresh_energy_j + leakage_energy_j AS energy_j
    FROM energies
),
reference AS (
    SELECT run_id, buffer, area_um2, energy_j, read_energy_j, write_energy_j, read_pj_per_bit, write_pj_per_bit
    FROM buffers
    WHERE technology = (SELECT technology FROM _memtech_reference)
),
paired AS (
    -- each technology beside the reference SRAM of the same buffer: what its unknown access energies
    -- would cost at SRAM's figures (even_a) and what it is known to cost (even_x); a figure is missing
    -- where a term that needs it is empty
    SELECT
        t.*,
        t.technology = (SELECT technology FROM _memtech_reference) AS is_reference,
        s.area_um2 AS sram_area_um2,
        s.energy_j AS sram_energy_j,
        CASE WHEN t.read_energy_j IS NULL THEN s.read_energy_j ELSE 0 END
            + CASE WHEN t.write_energy_j IS NULL THEN s.write_energy_j ELSE 0 END AS even_a,
        coalesce(t.read_energy_j, 0) + coalesce(t.write_energy_j, 0) + coalesce(t.refresh_energy_j, 0)
            + coalesce(t.leakage_energy_j, 0) AS even_x,
        CASE WHEN t.read_energy_j IS NULL THEN s.read_pj_per_bit ELSE s.write_pj_per_bit END AS even_sram_pj_per_bit,
        t.retention_unknown AND t.lifetimes > 0 AS retention_missing,
        t.area_um2 IS NULL AND t.area_um2_per_bit IS NULL AS area_missing,
        t.read_energy_j IS NULL AND t.read_pj_per_bit IS NULL AS read_missing,
        t.write_energy_j IS NULL AND t.write_pj_per_bit IS NULL AS write_missing,
        t.refresh_energy_j IS NULL AND t.refresh_pj_per_bit IS NULL AS refresh_missing,
        t.leakage_energy_j IS NULL AND t.leakage_pw_per_bit IS NULL AS leakage_missing
    FROM buffers AS t
    LEFT JOIN reference AS s ON s.run_id = t.run_id AND s.buffer = t.buffer
),
everything AS (
    SELECT
        run_id, buffer, technology, is_reference, clock_hz, word_bits, threshold_s, node_nm, retention_factor,
        buffer_kb, lifetimes, lifetime_reads, fit_lifetimes, fit_reads, short_lifetimes, short_reads, refreshes,
        footprint_words, reads, writes, runtime_s, area_um2, read_energy_j, write_energy_j, refresh_energy_j,
        leakage_energy_j, energy_j, sram_size_clamped, assumed, sram_area_um2, sram_energy_j, even_a, even_x,
        even_sram_pj_per_bit, retention_missing, area_missing, read_missing, write_missing, refresh_missing,
        leakage_missing
    FROM paired
    UNION ALL
    -- the buffers together: counts, areas and energies add up (empty when a part is empty); energies
    -- and areas are added in buffer order, so that the last digit does not depend on the plan
    SELECT
        run_id, 'all', technology, any_value(is_reference), any_value(clock_hz), any_value(word_bits),
        any_value(threshold_s), any_value(node_nm), any_value(retention_factor),
        CASE WHEN bool_and(buffer_kb IS NOT NULL) THEN CAST(sum(buffer_kb) AS INTEGER) END,
        CAST(sum(lifetimes) AS BIGINT), CAST(sum(lifetime_reads) AS BIGINT),
        CASE WHEN bool_and(fit_lifetimes IS NOT NULL) THEN CAST(sum(fit_lifetimes) AS BIGINT) END,
        CASE WHEN bool_and(fit_reads IS NOT NULL) THEN CAST(sum(fit_reads) AS BIGINT) END,
        CAST(sum(short_lifetimes) AS BIGINT), CAST(sum(short_reads) AS BIGINT),
        CASE WHEN bool_and(refreshes IS NOT NULL) THEN CAST(sum(refreshes) AS BIGINT) END,
        CAST(sum(footprint_words) AS BIGINT), CAST(sum(reads) AS BIGINT), CAST(sum(writes) AS BIGINT),
        any_value(runtime_s),
        CASE WHEN bool_and(area_um2 IS NOT NULL) THEN sum(area_um2 ORDER BY buffer) END,
        CASE WHEN bool_and(read_energy_j IS NOT NULL) THEN sum(read_energy_j ORDER BY buffer) END,
        CASE WHEN bool_and(write_energy_j IS NOT NULL) THEN sum(write_energy_j ORDER BY buffer) END,
        CASE WHEN bool_and(refresh_energy_j IS NOT NULL) THEN sum(refresh_energy_j ORDER BY buffer) END,
        CASE WHEN bool_and(leakage_energy_j IS NOT NULL) THEN sum(leakage_energy_j ORDER BY buffer) END,
        CASE WHEN bool_and(energy_j IS NOT NULL) THEN sum(energy_j ORDER BY buffer) END,
        bool_or(sram_size_clamped), max(assumed),
        CASE WHEN bool_and(sram_area_um2 IS NOT NULL) THEN sum(sram_area_um2 ORDER BY buffer) END,
        CASE WHEN bool_and(sram_energy_j IS NOT NULL) THEN sum(sram_energy_j ORDER BY buffer) END,
        CASE WHEN bool_and(even_a IS NOT NULL) THEN sum(even_a ORDER BY buffer) END,
        sum(even_x ORDER BY buffer),
        NULL,
        bool_or(retention_missing), bool_or(area_missing), bool_or(read_missing), bool_or(write_missing),
        bool_or(refresh_missing), bool_or(leakage_missing)
    FROM paired
    GROUP BY run_id, technology
),
compared AS (
    SELECT
        *,
        CASE WHEN (read_missing OR write_missing) AND NOT is_reference
             THEN (sram_energy_j - even_x) / nullif(even_a, 0) END AS energy_break_even_ratio
    FROM everything
)
SELECT
    run_id,
    buffer,
    technology,
    clock_hz,
    word_bits,
    threshold_s,
    node_nm,
    retention_factor,
    buffer_kb,
    lifetimes,
    100.0 * fit_lifetimes / nullif(lifetimes, 0) AS fit_lifetime_pct,
    100.0 * fit_reads / nullif(lifetime_reads, 0) AS fit_read_pct,
    100.0 * short_lifetimes / nullif(lifetimes, 0) AS under_threshold_pct,
    100.0 * short_reads / nullif(lifetime_reads, 0) AS under_threshold_read_pct,
    refreshes,
    footprint_words,
    reads,
    writes,
    runtime_s,
    area_um2,
    read_energy_j,
    write_energy_j,
    refresh_energy_j,
    leakage_energy_j,
    energy_j,
    area_um2 / nullif(sram_area_um2, 0) AS area_vs_sram,
    energy_j / nullif(sram_energy_j, 0) AS energy_vs_sram,
    energy_break_even_ratio,
    CASE WHEN energy_break_even_ratio IS NOT NULL
         THEN CASE WHEN read_missing AND write_missing THEN 'read and write' WHEN read_missing THEN 'read'
                   ELSE 'write' END END AS energy_break_even_for,
    energy_break_even_ratio * even_sram_pj_per_bit AS energy_break_even_pj_per_bit,
    sram_size_clamped,
    coalesce(assumed, '') AS assumed,
    array_to_string(list_filter([
        CASE WHEN retention_missing THEN 'retention_s' END,
        CASE WHEN area_missing THEN 'area_um2_per_bit' END,
        CASE WHEN read_missing THEN 'read_pj_per_bit' END,
        CASE WHEN write_missing THEN 'write_pj_per_bit' END,
        CASE WHEN refresh_missing THEN 'refresh_pj_per_bit' END,
        CASE WHEN leakage_missing THEN 'leakage_pw_per_bit' END
    ], lambda x: x IS NOT NULL), ', ') AS missing
FROM compared;
