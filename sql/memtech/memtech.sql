-- Per (run, buffer or 'all', technology): GainSight's memory-technology comparison, with each
-- buffer's figures from memtech_figures (SRAM at the buffer's size and the run's node). With
-- lifetime_s = lifetime_cycles / clock_hz, a lifetime fits a technology when lifetime_s <=
-- retention_s (always for SRAM); each lifetime needs floor(lifetime_s / retention_s) refreshes (none
-- for SRAM). Area is footprint_words * word_bits * area per bit; energy is word_bits * (reads *
-- E_read + writes * E_write + refreshes * E_refresh) plus leakage per bit * footprint_words *
-- word_bits * runtime_s. A term whose count is 0 is 0 even when its figure is unknown; otherwise a
-- figure that needs an unknown technology figure is empty, and `missing` names what was unknown.
-- Ratios compare with the reference SRAM (_memtech_reference: 'sram'). For a technology without a
-- read or write energy, energy_break_even_ratio is the per-bit access energy, as a fraction of the
-- reference's at the same buffer, at which its energy equals the reference's:
-- (E_sram - X) / A, where A is the reference's read and write energy and X the technology's
-- refresh and leakage energy (an unknown term counted as 0, named in `missing`). The 'all' row sums
-- the buffers' counts, areas and energies.
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
-- @column energy_break_even_ratio For a technology without a read or write energy: the per-bit read and write energy, as a fraction of the reference SRAM's for this buffer, at which its energy equals SRAM's on this run; below it the technology uses less energy. 0 or less: it cannot break even (its refresh and leakage alone exceed SRAM's total). Empty when the technology's energies are known.
-- @column energy_break_even_pj_per_bit energy_break_even_ratio * the reference SRAM's read energy per bit for this buffer (pJ; empty for 'all', whose buffers' SRAM figures differ).
-- @column sram_size_clamped True when a buffer's size lies outside a size table, so the nearest size's figures were used.
-- @column assumed Figures given by assumption (`--assume`), as 'figure=value' (comma-separated).
-- @column missing Unknown technology figures that left a column empty or were counted as 0 in the break-even energy (comma-separated; empty when complete).
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
everything AS (
    SELECT
        run_id, buffer, technology, cell, retention_unknown, clock_hz, word_bits, threshold_s, node_nm,
        retention_factor, buffer_kb, lifetimes, lifetime_reads, fit_lifetimes, fit_reads, short_lifetimes,
        short_reads, refreshes, footprint_words, reads, writes, runtime_s, area_um2, read_energy_j, write_energy_j,
        refresh_energy_j, leakage_energy_j, energy_j, sram_size_clamped, assumed,
        read_pj_per_bit IS NULL OR write_pj_per_bit IS NULL AS access_energy_unknown,
        area_um2_per_bit IS NULL AS area_unknown,
        refresh_pj_per_bit IS NULL AS refresh_unknown,
        leakage_pw_per_bit IS NULL AS leakage_unknown,
        read_pj_per_bit IS NULL AS read_unknown,
        write_pj_per_bit IS NULL AS write_unknown
    FROM buffers
    UNION ALL
    -- the buffers together: counts, areas and energies add up (empty when a part is empty)
    SELECT
        run_id, 'all', technology, any_value(cell), bool_or(retention_unknown), any_value(clock_hz),
        any_value(word_bits), any_value(threshold_s), any_value(node_nm), any_value(retention_factor),
        CASE WHEN bool_and(buffer_kb IS NOT NULL) THEN CAST(sum(buffer_kb) AS INTEGER) END,
        CAST(sum(lifetimes) AS BIGINT), CAST(sum(lifetime_reads) AS BIGINT),
        CASE WHEN bool_and(fit_lifetimes IS NOT NULL) THEN CAST(sum(fit_lifetimes) AS BIGINT) END,
        CASE WHEN bool_and(fit_reads IS NOT NULL) THEN CAST(sum(fit_reads) AS BIGINT) END,
        CAST(sum(short_lifetimes) AS BIGINT), CAST(sum(short_reads) AS BIGINT),
        CASE WHEN bool_and(refreshes IS NOT NULL) THEN CAST(sum(refreshes) AS BIGINT) END,
        CAST(sum(footprint_words) AS BIGINT), CAST(sum(reads) AS BIGINT), CAST(sum(writes) AS BIGINT),
        any_value(runtime_s),
        CASE WHEN bool_and(area_um2 IS NOT NULL) THEN sum(area_um2) END,
        CASE WHEN bool_and(read_energy_j IS NOT NULL) THEN sum(read_energy_j) END,
        CASE WHEN bool_and(write_energy_j IS NOT NULL) THEN sum(write_energy_j) END,
        CASE WHEN bool_and(refresh_energy_j IS NOT NULL) THEN sum(refresh_energy_j) END,
        CASE WHEN bool_and(leakage_energy_j IS NOT NULL) THEN sum(leakage_energy_j) END,
        CASE WHEN bool_and(energy_j IS NOT NULL) THEN sum(energy_j) END,
        bool_or(sram_size_clamped), max(assumed),
        bool_or(read_pj_per_bit IS NULL OR write_pj_per_bit IS NULL), bool_or(area_um2_per_bit IS NULL),
        bool_or(refresh_pj_per_bit IS NULL), bool_or(leakage_pw_per_bit IS NULL),
        bool_or(read_pj_per_bit IS NULL), bool_or(write_pj_per_bit IS NULL)
    FROM buffers
    GROUP BY run_id, technology
),
reference AS (
    SELECT e.run_id, e.buffer, e.area_um2, e.energy_j, e.read_energy_j + e.write_energy_j AS access_energy_j,
           f.read_pj_per_bit
    FROM everything AS e
    LEFT JOIN memtech_figures AS f ON f.run_id = e.run_id AND f.buffer = e.buffer AND f.technology = e.technology
    WHERE e.technology = (SELECT technology FROM _memtech_reference)
),
compared AS (
    SELECT
        t.*,
        t.area_um2 / nullif(s.area_um2, 0) AS area_vs_sram,
        t.energy_j / nullif(s.energy_j, 0) AS energy_vs_sram,
        CASE WHEN t.access_energy_unknown THEN
            (s.energy_j - coalesce(t.refresh_energy_j, 0) - coalesce(t.leakage_energy_j, 0)) / nullif(s.access_energy_j, 0)
        END AS energy_break_even_ratio,
        s.read_pj_per_bit AS sram_read_pj_per_bit
    FROM everything AS t
    LEFT JOIN reference AS s ON s.run_id = t.run_id AND s.buffer = t.buffer
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
    area_vs_sram,
    energy_vs_sram,
    energy_break_even_ratio,
    energy_break_even_ratio * sram_read_pj_per_bit AS energy_break_even_pj_per_bit,
    sram_size_clamped,
    coalesce(assumed, '') AS assumed,
    array_to_string(list_filter([
        CASE WHEN retention_unknown THEN 'retention_s' END,
        CASE WHEN area_unknown THEN 'area_um2_per_bit' END,
        CASE WHEN read_unknown THEN 'read_pj_per_bit' END,
        CASE WHEN write_unknown THEN 'write_pj_per_bit' END,
        CASE WHEN refresh_unknown AND cell = 'gain_cell' THEN 'refresh_pj_per_bit' END,
        CASE WHEN leakage_unknown THEN 'leakage_pw_per_bit' END
    ], lambda x: x IS NOT NULL), ', ') AS missing
FROM compared;
