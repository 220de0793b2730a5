-- The technology the comparison's ratios and break-even energies are relative to: the one named
-- 'sram' if there is one, else the first technology with cell 'sram' by name.
CREATE OR REPLACE VIEW _memtech_reference AS
SELECT coalesce(max(technology) FILTER (WHERE technology = 'sram'),
                min(technology) FILTER (WHERE cell = 'sram')) AS technology
FROM technology_figures;
