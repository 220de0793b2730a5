-- Per (run, objective): the heterogeneous composition in which each buffer picks the technology
-- that minimises the objective ('area' or 'energy', as in memtech), with the pick's area and energy
-- and those of SRAM for the same buffer. Technologies whose objective figure is unknown cannot be
-- picked; ties go to SRAM, then to the first name. Refreshes are part of the energy, so a technology
-- is allowed even where lifetimes outlast its retention. One row per buffer and a 'total' row whose
-- technology lists the picks and whose figures are the buffers' sums (empty when one is unknown).
-- @column run_id Run (see runs).
-- @column objective 'area' or 'energy': the figure the picks minimise.
-- @column buffer 'ifmap', 'filter', 'ofmap', or 'total' for the composition.
-- @column technology The technology picked ('buffer=technology, ...' on the total row).
-- @column area_um2 Area of the pick (um^2; NULL when unknown).
-- @column energy_j Energy of the pick (J; NULL when unknown).
-- @column sram_area_um2 Area with SRAM (um^2).
-- @column sram_energy_j Energy with SRAM (J).
-- @column area_vs_sram area_um2 / sram_area_um2 (ratio).
-- @column energy_vs_sram energy_j / sram_energy_j (ratio).
-- @column unpriced Technologies that could not be priced by energy for this buffer (read or write energy unknown), each with its energy break-even ratio from memtech: 'name (break-even R)', comma-separated; R is the fraction of SRAM's per-bit access energy below which it would use less energy than SRAM. The total row uses the buffers-together ('all') ratios.
CREATE OR REPLACE VIEW memtech_composition AS
WITH memtech_rows AS MATERIALIZED (
    -- memtech, computed once for the three uses below
    SELECT * FROM memtech
),
reference AS (
    SELECT technology FROM _memtech_reference
),
unpriced AS (
    SELECT run_id, CASE buffer WHEN 'all' THEN 'total' ELSE buffer END AS buffer,
           string_agg(technology || ' (break-even ' || CAST(round(energy_break_even_ratio, 4) AS VARCHAR) || ')', ', '
                      ORDER BY technology) AS unpriced
    FROM memtech_rows
    WHERE energy_break_even_ratio IS NOT NULL
    GROUP BY ALL
),
sram AS (
    SELECT run_id, buffer, area_um2 AS sram_area_um2, energy_j AS sram_energy_j
    FROM memtech_rows
    WHERE technology = (SELECT technology FROM reference)
),
candidates AS (
    SELECT m.run_id, o.objective, m.buffer, m.technology, m.area_um2, m.energy_j,
           CASE o.objective WHEN 'area' THEN m.area_um2 ELSE m.energy_j END AS objective_value,
           m.technology = (SELECT technology FROM reference) AS is_sram
    FROM memtech_rows AS m
    CROSS JOIN (VALUES ('area'), ('energy')) AS o(objective)
    WHERE m.buffer <> 'all'
),
picks AS (
    SELECT c.*,
           row_number() OVER (PARTITION BY run_id, objective, buffer ORDER BY objective_value, NOT is_sram, technology)
               AS rank
    FROM candidates AS c
    WHERE objective_value IS NOT NULL
),
chosen AS (
    SELECT p.run_id, p.objective, p.buffer, p.technology, p.area_um2, p.energy_j, s.sram_area_um2, s.sram_energy_j,
           CASE p.buffer WHEN 'ifmap' THEN 0 WHEN 'filter' THEN 1 ELSE 2 END AS position
    FROM picks AS p
    LEFT JOIN sram AS s ON s.run_id = p.run_id AND s.buffer = p.buffer
    WHERE p.rank = 1
),
totals AS (
    -- Sums in buffer order (the same last bit on every evaluation), empty when a part is unknown.
    SELECT run_id, objective, 'total' AS buffer,
           string_agg(buffer || '=' || technology, ', ' ORDER BY position) AS technology,
           CASE WHEN count(area_um2) = count(*) THEN list_sum(list(area_um2 ORDER BY position)) END AS area_um2,
           CASE WHEN count(energy_j) = count(*) THEN list_sum(list(energy_j ORDER BY position)) END AS energy_j,
           CASE WHEN count(sram_area_um2) = count(*) THEN list_sum(list(sram_area_um2 ORDER BY position)) END
               AS sram_area_um2,
           CASE WHEN count(sram_energy_j) = count(*) THEN list_sum(list(sram_energy_j ORDER BY position)) END
               AS sram_energy_j
    FROM chosen
    GROUP BY run_id, objective
)
SELECT c.run_id, c.objective, c.buffer, c.technology, c.area_um2, c.energy_j, c.sram_area_um2, c.sram_energy_j,
       c.area_um2 / nullif(c.sram_area_um2, 0) AS area_vs_sram,
       c.energy_j / nullif(c.sram_energy_j, 0) AS energy_vs_sram,
       coalesce(u.unpriced, '') AS unpriced
FROM (
    SELECT run_id, objective, buffer, technology, area_um2, energy_j, sram_area_um2, sram_energy_j FROM chosen
    UNION ALL
    SELECT * FROM totals
) AS c
LEFT JOIN unpriced AS u ON u.run_id = c.run_id AND u.buffer = c.buffer;
