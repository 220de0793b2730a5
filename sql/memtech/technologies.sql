-- One row per technology of the comparison: which figures are known and which are not, and where
-- they come from. The figures themselves, with a citation each, are in technology_figures; the
-- values used for each buffer of a run are in memtech_figures.
-- @column technology Technology name.
-- @column cell 'sram' (holds data without refresh) or 'gain_cell' (must be refreshed within its retention time).
-- @column known Figures with a value the comparison uses (comma-separated; 'by size' after those given over a table of sizes, 'per buffer' after those given for single buffers).
-- @column unknown Figures with no value the comparison could use (comma-separated).
-- @column evidence Rows of cited figures the comparison does not use (count; see technology_figures where used is false).
-- @column sources The citations of the figures used (semicolon-separated).
-- @column loaded_from Where the figures came from ('default' for the shipped ones; comma-separated).
CREATE OR REPLACE VIEW technologies AS
WITH names AS (
    SELECT col0 AS figure, col1 AS position
    FROM (VALUES ('retention_s', 1), ('area_um2_per_bit', 2), ('read_pj_per_bit', 3), ('write_pj_per_bit', 4),
                 ('refresh_pj_per_bit', 5), ('leakage_pw_per_bit', 6))
),
per_figure AS (
    SELECT t.technology, t.cell, n.figure, n.position,
           count(f.value) FILTER (WHERE f.used) AS known_rows,
           bool_or(f.size_bytes IS NOT NULL) FILTER (WHERE f.used AND f.value IS NOT NULL) AS by_size,
           bool_or(f.buffer IS NOT NULL) FILTER (WHERE f.used AND f.value IS NOT NULL) AS per_buffer
    FROM (SELECT technology, min(cell) AS cell FROM technology_figures GROUP BY technology) AS t
    CROSS JOIN names AS n
    LEFT JOIN technology_figures AS f ON f.technology = t.technology AND f.figure = n.figure
    WHERE NOT (t.cell = 'sram' AND n.figure = 'retention_s')
    GROUP BY ALL
)
SELECT
    p.technology,
    p.cell,
    coalesce(string_agg(p.figure || CASE WHEN p.by_size THEN ' by size' WHEN p.per_buffer THEN ' per buffer' ELSE '' END,
                        ', ' ORDER BY p.position) FILTER (WHERE p.known_rows > 0), '') AS known,
    coalesce(string_agg(p.figure, ', ' ORDER BY p.position) FILTER (WHERE p.known_rows = 0), '') AS unknown,
    (SELECT count(*) FROM technology_figures AS f WHERE f.technology = p.technology AND NOT f.used) AS evidence,
    (SELECT string_agg(DISTINCT f.source, '; ') FROM technology_figures AS f
     WHERE f.technology = p.technology AND f.used AND f.value IS NOT NULL) AS sources,
    (SELECT string_agg(DISTINCT f.loaded_from, ', ') FROM technology_figures AS f WHERE f.technology = p.technology)
        AS loaded_from
FROM per_figure AS p
GROUP BY p.technology, p.cell;
