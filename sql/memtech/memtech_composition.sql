-- Per (run, objective): the heterogeneous composition in which each buffer picks the technology
-- that minimises the objective ('area' in um^2 or 'energy' in J, as in memtech), against SRAM for
-- every buffer. Technologies whose figure is unknown cannot be picked; ties go to SRAM, then to the
-- first name. Refreshes are part of the energy, so a technology is allowed even where lifetimes
-- outlast its retention. One row per buffer and a 'total' row whose technology lists the picks.
-- @column run_id Run (see runs).
-- @column objective 'area' or 'energy'.
-- @column buffer 'ifmap', 'filter', 'ofmap', or 'total' for the composition.
-- @column technology The technology picked ('buffer=technology, ...' on the total row).
-- @column value The objective for the pick (um^2 for area, J for energy).
-- @column sram_value The objective with SRAM (um^2 or J).
-- @column vs_sram value / sram_value (ratio).
CREATE OR REPLACE VIEW memtech_composition AS
WITH reference AS (
    SELECT min(technology) AS technology FROM technologies WHERE cell = 'sram'
),
candidates AS (
    SELECT m.run_id, o.objective, m.buffer, m.technology,
           CASE o.objective WHEN 'area' THEN m.area_um2 ELSE m.energy_j END AS value,
           m.technology = (SELECT technology FROM reference) AS is_sram
    FROM memtech AS m
    CROSS JOIN (VALUES ('area'), ('energy')) AS o(objective)
    WHERE m.buffer <> 'all'
),
picks AS (
    SELECT c.*,
           row_number() OVER (PARTITION BY run_id, objective, buffer ORDER BY value, NOT is_sram, technology) AS rank,
           max(value) FILTER (WHERE is_sram) OVER (PARTITION BY run_id, objective, buffer) AS sram_value
    FROM candidates AS c
    WHERE value IS NOT NULL
),
chosen AS (
    SELECT run_id, objective, buffer, technology, value, sram_value,
           CASE buffer WHEN 'ifmap' THEN 0 WHEN 'filter' THEN 1 ELSE 2 END AS position
    FROM picks
    WHERE rank = 1
)
SELECT run_id, objective, buffer, technology, value, sram_value, value / nullif(sram_value, 0) AS vs_sram
FROM chosen
UNION ALL
SELECT run_id, objective, 'total',
       string_agg(buffer || '=' || technology, ', ' ORDER BY position),
       sum(value), sum(sram_value), sum(value) / nullif(sum(sram_value), 0)
FROM chosen
GROUP BY run_id, objective;
