-- Per (run, buffer, technology): the per-bit figures the memory-technology comparison uses for that
-- buffer of that run, resolved from technology_figures with the run's parameters (_memtech_params).
-- For each figure, among the technology's rows marked used: an assumption (kind 'assumed') first,
-- then a figure for this buffer (one value, whatever its size), then one for every buffer; within
-- that, a table over sizes (rows for every buffer with size_bytes, at the run's node) is interpolated linearly in log2(size) at the buffer's
-- configured size (IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB; for a run without a config, the
-- size that holds the buffer's largest layer footprint, footprint_words * word_bits / 8 bytes)
-- between the two nearest sizes, and outside the table takes the nearest size and sets
-- sram_size_clamped. An area given at another
-- node is scaled by the square of the feature size, (node_nm / its node)^2; other figures from
-- another node are used as given; `derivation` says which. Retention times are multiplied by the
-- run's retention_factor.
-- @column run_id Run (see runs).
-- @column buffer 'ifmap', 'filter' or 'ofmap'.
-- @column technology Technology (see technology_figures).
-- @column cell 'sram' or 'gain_cell'.
-- @column buffer_kb The buffer's configured size (KiB; empty when the run has no config).
-- @column node_nm Node the comparison is made at (nm).
-- @column retention_s Retention time after the retention factor (seconds; empty for SRAM, or unknown).
-- @column area_um2_per_bit Area per bit (um^2).
-- @column read_pj_per_bit Energy to read one bit (pJ).
-- @column write_pj_per_bit Energy to write one bit (pJ).
-- @column refresh_pj_per_bit Energy to refresh one bit once (pJ; 0 for SRAM).
-- @column leakage_pw_per_bit Static power per stored bit (pW).
-- @column sram_size_clamped True when the buffer's size lies outside a size table a figure was taken from, so the nearest size's figure was used.
-- @column assumed The figures given by assumption, as 'figure=value' (comma-separated; empty when none).
-- @column derivation How figures were derived: interpolation size, scaled areas, figures from another node, the retention factor (semicolon-separated).
CREATE OR REPLACE VIEW memtech_figures AS
WITH buffers AS (
    SELECT run_id, 'ifmap' AS buffer, ifmap_sram_kb AS buffer_kb FROM runs WHERE kind = 'scalesim'
    UNION ALL
    SELECT run_id, 'filter', filter_sram_kb FROM runs WHERE kind = 'scalesim'
    UNION ALL
    SELECT run_id, 'ofmap', ofmap_sram_kb FROM runs WHERE kind = 'scalesim'
),
footprints AS (
    -- without a configured size, a buffer is sized to hold its largest layer's footprint
    SELECT run_id, buffer, max(footprint_words) AS words FROM layer_stats GROUP BY ALL
),
contexts AS (
    SELECT b.run_id, b.buffer, b.buffer_kb,
           coalesce(CAST(b.buffer_kb AS DOUBLE) * 1024,
                    CAST(nullif(f.words, 0) AS DOUBLE) * p.word_bits / 8) AS buffer_bytes,
           p.node_nm, p.retention_factor, t.technology, t.cell
    FROM buffers AS b
    JOIN _memtech_params AS p USING (run_id)
    LEFT JOIN footprints AS f ON f.run_id = b.run_id AND f.buffer = b.buffer
    CROSS JOIN (SELECT technology, min(cell) AS cell FROM technology_figures GROUP BY technology) AS t
),
candidates AS (
    -- the rows that could give each figure, ranked by precedence; only the best class is kept
    SELECT c.*, f.figure, f.value, f.node_nm AS figure_node_nm, f.size_bytes, f.kind,
           f.size_bytes IS NOT NULL AND f.buffer IS NULL AS in_table,
           dense_rank() OVER (PARTITION BY c.run_id, c.buffer, c.technology, f.figure
                              ORDER BY f.kind <> 'assumed', f.buffer IS NULL,
                                       f.size_bytes IS NOT NULL AND f.buffer IS NULL) AS class
    FROM contexts AS c
    JOIN technology_figures AS f
        ON f.technology = c.technology AND f.used
       AND (f.buffer IS NULL OR f.buffer = c.buffer)
       -- a table over sizes is read at the run's node; any other figure is one value
       AND (f.size_bytes IS NULL OR f.buffer IS NOT NULL OR f.node_nm IS NULL OR f.node_nm = c.node_nm)
),
resolved AS (
    SELECT
        run_id, buffer, buffer_kb, node_nm, retention_factor, technology, cell, figure,
        bool_or(in_table) AS sized,
        any_value(kind) AS kind,
        any_value(value) FILTER (WHERE NOT in_table) AS fixed_value,
        any_value(figure_node_nm) FILTER (WHERE NOT in_table) AS fixed_node_nm,
        any_value(buffer_bytes) AS buffer_bytes,
        max(size_bytes) FILTER (WHERE in_table AND size_bytes <= buffer_bytes) AS lo_size,
        arg_max(value, size_bytes) FILTER (WHERE in_table AND size_bytes <= buffer_bytes) AS lo_value,
        min(size_bytes) FILTER (WHERE in_table AND size_bytes >= buffer_bytes) AS hi_size,
        arg_min(value, size_bytes) FILTER (WHERE in_table AND size_bytes >= buffer_bytes) AS hi_value
    FROM candidates
    WHERE class = 1
    GROUP BY run_id, buffer, buffer_kb, node_nm, retention_factor, technology, cell, figure
),
valued AS (
    SELECT
        *,
        CASE WHEN figure = 'retention_s' THEN retention_factor ELSE 1 END * CASE
            WHEN NOT sized THEN
                CASE WHEN figure = 'area_um2_per_bit' AND fixed_node_nm IS NOT NULL AND fixed_node_nm <> node_nm
                         THEN fixed_value * (node_nm / fixed_node_nm) ^ 2
                     ELSE fixed_value END
            WHEN lo_size IS NOT NULL AND hi_size IS NOT NULL THEN
                CASE WHEN lo_size = hi_size THEN lo_value
                     ELSE lo_value + (hi_value - lo_value) * (log2(buffer_bytes) - log2(lo_size))
                                                            / (log2(hi_size) - log2(lo_size)) END
            ELSE coalesce(lo_value, hi_value)
        END AS value,
        sized AND buffer_bytes IS NOT NULL AND (lo_size IS NULL OR hi_size IS NULL) AS clamped,
        CASE WHEN sized AND buffer_bytes IS NOT NULL AND lo_size IS NULL THEN hi_size
             WHEN sized AND buffer_bytes IS NOT NULL AND hi_size IS NULL THEN lo_size END AS clamped_to
    FROM resolved
),
notes AS (
    SELECT
        run_id, buffer, technology,
        string_agg(CASE WHEN kind = 'assumed' THEN figure || '=' || CAST(value AS VARCHAR) END, ', ' ORDER BY figure)
            AS assumed,
        list_filter([
            max(CASE WHEN sized AND buffer_bytes IS NULL THEN 'no configured buffer size and no footprint: figures over sizes unknown' END),
            max(CASE WHEN sized AND buffer_kb IS NULL AND buffer_bytes IS NOT NULL
                     THEN 'no configured buffer size: sized to its largest layer footprint, '
                          || printf('%.6g', buffer_bytes / 1024) || ' KiB' END),
            max(CASE WHEN sized AND NOT clamped AND lo_size = hi_size
                     THEN 'size table at ' || printf('%.6g', buffer_bytes / 1024) || ' KiB, ' || printf('%g', node_nm) || ' nm' END),
            max(CASE WHEN sized AND NOT clamped AND lo_size <> hi_size
                     THEN 'interpolated at ' || printf('%.6g', buffer_bytes / 1024) || ' KiB between ' || (lo_size // 1024) || ' and '
                          || (hi_size // 1024) || ' KiB, ' || printf('%g', node_nm) || ' nm' END),
            max(CASE WHEN clamped THEN 'size ' || printf('%.6g', buffer_bytes / 1024) || ' KiB outside the size table: figures of '
                                       || (clamped_to // 1024) || ' KiB used' END),
            max(CASE WHEN NOT sized AND figure = 'area_um2_per_bit' AND fixed_node_nm IS NOT NULL
                          AND fixed_node_nm <> node_nm
                     THEN 'area scaled from ' || printf('%g', fixed_node_nm) || ' nm by (' || printf('%g', node_nm) || '/'
                          || printf('%g', fixed_node_nm) || ')^2' END),
            string_agg(CASE WHEN NOT sized AND figure NOT IN ('area_um2_per_bit', 'retention_s')
                                 AND fixed_node_nm IS NOT NULL AND fixed_node_nm <> node_nm AND fixed_value IS NOT NULL
                            THEN figure END, ', ' ORDER BY figure)
                || ' as measured at ' || printf('%g', max(CASE WHEN NOT sized AND figure NOT IN ('area_um2_per_bit', 'retention_s')
                                                                  AND fixed_node_nm <> node_nm THEN fixed_node_nm END))
                || ' nm (not scaled)',
            max(CASE WHEN figure = 'retention_s' AND retention_factor <> 1 AND value IS NOT NULL
                     THEN 'retention x ' || printf('%g', retention_factor) END)
        ], lambda x: x IS NOT NULL) AS parts
    FROM valued
    GROUP BY run_id, buffer, technology
)
SELECT
    c.run_id,
    c.buffer,
    c.technology,
    c.cell,
    c.buffer_kb,
    c.node_nm,
    max(v.value) FILTER (WHERE v.figure = 'retention_s') AS retention_s,
    max(v.value) FILTER (WHERE v.figure = 'area_um2_per_bit') AS area_um2_per_bit,
    max(v.value) FILTER (WHERE v.figure = 'read_pj_per_bit') AS read_pj_per_bit,
    max(v.value) FILTER (WHERE v.figure = 'write_pj_per_bit') AS write_pj_per_bit,
    max(v.value) FILTER (WHERE v.figure = 'refresh_pj_per_bit') AS refresh_pj_per_bit,
    max(v.value) FILTER (WHERE v.figure = 'leakage_pw_per_bit') AS leakage_pw_per_bit,
    coalesce(bool_or(v.clamped), false) AS sram_size_clamped,
    coalesce(any_value(n.assumed), '') AS assumed,
    coalesce(array_to_string(any_value(n.parts), '; '), '') AS derivation
FROM contexts AS c
LEFT JOIN valued AS v USING (run_id, buffer, technology)
LEFT JOIN notes AS n USING (run_id, buffer, technology)
GROUP BY c.run_id, c.buffer, c.technology, c.cell, c.buffer_kb, c.node_nm;
