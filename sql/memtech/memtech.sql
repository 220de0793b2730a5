-- Per (run, buffer or 'all', technology): GainSight's memory-technology comparison. With
-- lifetime_s = lifetime_cycles / clock_hz, a lifetime fits a technology when
-- lifetime_s <= retention_s (always for SRAM); each lifetime needs floor(lifetime_s / retention_s)
-- refreshes (none for SRAM). Area is footprint_words * word_bits * area per bit; energy is
-- word_bits * (reads * E_read + writes * E_write + refreshes * E_refresh) plus leakage per bit *
-- footprint_words * word_bits * runtime_s. A figure that needs an unknown technology figure is
-- empty, and `missing` names what was unknown. Ratios compare with the SRAM row (the first
-- technology with cell 'sram' by name). Parameters come from memtech_settings (defaults: 1 GHz,
-- 16-bit words, 1 us threshold).
-- @column run_id Run (see runs).
-- @column buffer 'ifmap', 'filter', 'ofmap', or 'all' for the buffers together.
-- @column technology Technology (see technologies).
-- @column clock_hz Clock frequency used (Hz).
-- @column word_bits Word width used (bits).
-- @column threshold_s Short-lifetime threshold used (seconds).
-- @column lifetimes Lifetimes over all layers of the run (count).
-- @column fit_lifetime_pct Share of lifetimes that fit the retention time (percent).
-- @column fit_read_pct Share of the lifetimes' reads served by lifetimes that fit (percent).
-- @column under_threshold_pct Share of lifetimes shorter than threshold_s (percent; the same for every technology).
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
-- @column area_vs_sram area_um2 / the SRAM row's area_um2 (ratio).
-- @column energy_vs_sram energy_j / the SRAM row's energy_j (ratio).
-- @column missing Unknown technology figures that left a column empty (comma-separated; empty when complete).
CREATE OR REPLACE VIEW memtech AS
WITH spans AS (
    SELECT
        s.run_id,
        s.buffer,
        t.technology,
        sum(s.lifetimes) AS lifetimes,
        sum(s.reads) AS lifetime_reads,
        sum(s.lifetimes) FILTER (WHERE t.cell = 'sram' OR s.lifetime_cycles / p.clock_hz <= t.retention_s) AS fit_lifetimes,
        sum(s.reads) FILTER (WHERE t.cell = 'sram' OR s.lifetime_cycles / p.clock_hz <= t.retention_s) AS fit_reads,
        sum(s.lifetimes) FILTER (WHERE s.lifetime_cycles / p.clock_hz < p.threshold_s) AS short_lifetimes,
        sum(s.lifetimes * CASE WHEN t.cell = 'sram' THEN 0
                               ELSE floor(s.lifetime_cycles / p.clock_hz / t.retention_s) END) AS refreshes
    FROM _lifetime_spans AS s
    JOIN _memtech_params AS p USING (run_id)
    CROSS JOIN technologies AS t
    GROUP BY ALL
),
figures AS (
    SELECT
        r.run_id,
        r.buffer,
        t.technology,
        t.cell,
        p.clock_hz,
        p.word_bits,
        p.threshold_s,
        r.lifetimes,
        CASE WHEN t.cell = 'gain_cell' AND t.retention_s IS NULL THEN NULL
             ELSE 100.0 * coalesce(s.fit_lifetimes, 0) / nullif(r.lifetimes, 0) END AS fit_lifetime_pct,
        CASE WHEN t.cell = 'gain_cell' AND t.retention_s IS NULL THEN NULL
             ELSE 100.0 * coalesce(s.fit_reads, 0) / nullif(s.lifetime_reads, 0) END AS fit_read_pct,
        100.0 * coalesce(s.short_lifetimes, 0) / nullif(r.lifetimes, 0) AS under_threshold_pct,
        CASE WHEN t.cell = 'gain_cell' AND t.retention_s IS NULL THEN NULL
             ELSE CAST(coalesce(s.refreshes, 0) AS BIGINT) END AS refreshes,
        r.footprint_words,
        r.reads,
        r.writes,
        p.runtime_cycles / p.clock_hz AS runtime_s,
        t.retention_s,
        t.area_um2_per_bit,
        t.read_pj_per_bit,
        t.write_pj_per_bit,
        t.refresh_pj_per_bit,
        t.leakage_pw_per_bit
    FROM run_stats AS r
    JOIN _memtech_params AS p USING (run_id)
    CROSS JOIN technologies AS t
    LEFT JOIN spans AS s ON s.run_id = r.run_id AND s.buffer = r.buffer AND s.technology = t.technology
),
energies AS (
    SELECT
        *,
        footprint_words * word_bits * area_um2_per_bit AS area_um2,
        word_bits * reads * read_pj_per_bit * 1e-12 AS read_energy_j,
        word_bits * writes * write_pj_per_bit * 1e-12 AS write_energy_j,
        word_bits * refreshes * refresh_pj_per_bit * 1e-12 AS refresh_energy_j,
        leakage_pw_per_bit * 1e-12 * footprint_words * word_bits * runtime_s AS leakage_energy_j
    FROM figures
),
totals AS (
    SELECT *, read_energy_j + write_energy_j + refresh_energy_j + leakage_energy_j AS energy_j
    FROM energies
),
reference AS (
    SELECT min(technology) AS technology FROM technologies WHERE cell = 'sram'
)
SELECT
    t.run_id,
    t.buffer,
    t.technology,
    t.clock_hz,
    t.word_bits,
    t.threshold_s,
    t.lifetimes,
    t.fit_lifetime_pct,
    t.fit_read_pct,
    t.under_threshold_pct,
    t.refreshes,
    t.footprint_words,
    t.reads,
    t.writes,
    t.runtime_s,
    t.area_um2,
    t.read_energy_j,
    t.write_energy_j,
    t.refresh_energy_j,
    t.leakage_energy_j,
    t.energy_j,
    t.area_um2 / nullif(s.area_um2, 0) AS area_vs_sram,
    t.energy_j / nullif(s.energy_j, 0) AS energy_vs_sram,
    array_to_string(list_filter([
        CASE WHEN t.cell = 'gain_cell' AND t.retention_s IS NULL THEN 'retention_s' END,
        CASE WHEN t.area_um2_per_bit IS NULL THEN 'area_um2_per_bit' END,
        CASE WHEN t.read_pj_per_bit IS NULL THEN 'read_pj_per_bit' END,
        CASE WHEN t.write_pj_per_bit IS NULL THEN 'write_pj_per_bit' END,
        CASE WHEN t.refresh_pj_per_bit IS NULL THEN 'refresh_pj_per_bit' END,
        CASE WHEN t.leakage_pw_per_bit IS NULL THEN 'leakage_pw_per_bit' END
    ], lambda x: x IS NOT NULL), ', ') AS missing
FROM totals AS t
LEFT JOIN totals AS s
    ON s.run_id = t.run_id AND s.buffer = t.buffer AND s.technology = (SELECT technology FROM reference);
