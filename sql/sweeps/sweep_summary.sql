-- One row per point of a design-space sweep (sweep_points), to compare the points: the point's axis
-- values, its cycles and utilisation over all layers, and per buffer (ifmap, filter, ofmap) the
-- lifetime figures of run_stats, the share of lifetimes under the short-lifetime threshold (memtech)
-- and the technology memtech_composition picks for the least area and for the least energy, with
-- the run's memory-technology settings (memtech_settings, else the defaults). Points whose run is no
-- longer in the warehouse are left out.
-- @column sweep Sweep name (the spec's `name`).
-- @column point Index of the point in the sweep (0-based, as sweep_points).
-- @column run_id The run made for this point (see runs).
-- @column run Name of that run.
-- @column topology The point's topology file as the spec names it.
-- @column dataflow Axis `dataflow` ('os', 'ws' or 'is'; NULL when the sweep does not vary it).
-- @column array Axis `array`: ROWSxCOLS (NULL when the sweep does not vary it).
-- @column sram_kb Axis `sram_kb`: each SRAM's size in KiB, as the spec writes it (NULL when not varied).
-- @column ifmap_sram_kb Axis `ifmap_sram_kb`: IFMAP SRAM size in KiB (NULL when not varied).
-- @column filter_sram_kb Axis `filter_sram_kb`: filter SRAM size in KiB (NULL when not varied).
-- @column ofmap_sram_kb Axis `ofmap_sram_kb`: OFMAP SRAM size in KiB (NULL when not varied).
-- @column bandwidth Axis `bandwidth`: DRAM bandwidth in words per cycle (NULL when not varied).
-- @column layers Layers of the run (count).
-- @column total_cycles Sum over layers of COMPUTE_REPORT Total Cycles (cycles).
-- @column stall_cycles Sum over layers of COMPUTE_REPORT Stall Cycles, the cycles spent waiting for DRAM (cycles).
-- @column compute_cycles total_cycles - stall_cycles: the cycles not stalled (cycles).
-- @column utilisation_pct Share of the array's PE-cycles that did a MAC over the whole run: the mean of the layers' Overall Util % weighted by their Total Cycles, which is total MACs / (PEs * total_cycles) (percent).
-- @column clock_hz Clock frequency of the run's memory-technology settings (Hz).
-- @column threshold_s Short-lifetime threshold of the run's memory-technology settings (seconds).
-- @column ifmap_lifetimes IFMAP lifetimes over all layers (count).
-- @column ifmap_lifetime_mean_cycles Mean IFMAP lifetime over all layers (cycles; NULL without lifetimes).
-- @column ifmap_lifetime_median_cycles Median IFMAP lifetime over all layers, linear interpolation (cycles).
-- @column ifmap_lifetime_p90_cycles 90th percentile IFMAP lifetime over all layers, linear interpolation (cycles).
-- @column ifmap_lifetime_max_cycles Longest IFMAP lifetime (cycles).
-- @column ifmap_under_threshold_pct Share of IFMAP lifetimes shorter than threshold_s at clock_hz (percent; NULL without lifetimes).
-- @column ifmap_area_technology Technology with the least area for the IFMAP buffer (memtech_composition).
-- @column ifmap_energy_technology Technology with the least energy for the IFMAP buffer (memtech_composition).
-- @column filter_lifetimes Filter lifetimes over all layers (count).
-- @column filter_lifetime_mean_cycles Mean filter lifetime over all layers (cycles; NULL without lifetimes).
-- @column filter_lifetime_median_cycles Median filter lifetime over all layers, linear interpolation (cycles).
-- @column filter_lifetime_p90_cycles 90th percentile filter lifetime over all layers, linear interpolation (cycles).
-- @column filter_lifetime_max_cycles Longest filter lifetime (cycles).
-- @column filter_under_threshold_pct Share of filter lifetimes shorter than threshold_s at clock_hz (percent; NULL without lifetimes).
-- @column filter_area_technology Technology with the least area for the filter buffer (memtech_composition).
-- @column filter_energy_technology Technology with the least energy for the filter buffer (memtech_composition).
-- @column ofmap_lifetimes OFMAP lifetimes over all layers (count).
-- @column ofmap_lifetime_mean_cycles Mean OFMAP lifetime over all layers (cycles; NULL without lifetimes).
-- @column ofmap_lifetime_median_cycles Median OFMAP lifetime over all layers, linear interpolation (cycles).
-- @column ofmap_lifetime_p90_cycles 90th percentile OFMAP lifetime over all layers, linear interpolation (cycles).
-- @column ofmap_lifetime_max_cycles Longest OFMAP lifetime (cycles).
-- @column ofmap_under_threshold_pct Share of OFMAP lifetimes shorter than threshold_s at clock_hz (percent; NULL without lifetimes).
-- @column ofmap_area_technology Technology with the least area for the OFMAP buffer (memtech_composition).
-- @column ofmap_energy_technology Technology with the least energy for the OFMAP buffer (memtech_composition).
CREATE OR REPLACE VIEW sweep_summary AS
WITH points AS (
    SELECT p.*, r.name AS run
    FROM sweep_points AS p
    JOIN runs AS r USING (run_id)
),
cycles AS (
    SELECT
        run_id,
        count(*) AS layers,
        sum(total_cycles) AS total_cycles,
        sum(stall_cycles) AS stall_cycles,
        sum(overall_util_pct * total_cycles) / nullif(sum(total_cycles), 0) AS utilisation_pct
    FROM compute_report
    GROUP BY run_id
),
buffer_lifetimes AS (
    SELECT
        run_id,
        any_value(lifetimes) FILTER (WHERE buffer = 'ifmap') AS ifmap_lifetimes,
        any_value(lifetime_mean) FILTER (WHERE buffer = 'ifmap') AS ifmap_lifetime_mean_cycles,
        any_value(lifetime_median) FILTER (WHERE buffer = 'ifmap') AS ifmap_lifetime_median_cycles,
        any_value(lifetime_p90) FILTER (WHERE buffer = 'ifmap') AS ifmap_lifetime_p90_cycles,
        any_value(lifetime_max) FILTER (WHERE buffer = 'ifmap') AS ifmap_lifetime_max_cycles,
        any_value(lifetimes) FILTER (WHERE buffer = 'filter') AS filter_lifetimes,
        any_value(lifetime_mean) FILTER (WHERE buffer = 'filter') AS filter_lifetime_mean_cycles,
        any_value(lifetime_median) FILTER (WHERE buffer = 'filter') AS filter_lifetime_median_cycles,
        any_value(lifetime_p90) FILTER (WHERE buffer = 'filter') AS filter_lifetime_p90_cycles,
        any_value(lifetime_max) FILTER (WHERE buffer = 'filter') AS filter_lifetime_max_cycles,
        any_value(lifetimes) FILTER (WHERE buffer = 'ofmap') AS ofmap_lifetimes,
        any_value(lifetime_mean) FILTER (WHERE buffer = 'ofmap') AS ofmap_lifetime_mean_cycles,
        any_value(lifetime_median) FILTER (WHERE buffer = 'ofmap') AS ofmap_lifetime_median_cycles,
        any_value(lifetime_p90) FILTER (WHERE buffer = 'ofmap') AS ofmap_lifetime_p90_cycles,
        any_value(lifetime_max) FILTER (WHERE buffer = 'ofmap') AS ofmap_lifetime_max_cycles
    FROM run_stats
    GROUP BY run_id
),
shares AS (
    -- under_threshold_pct is the same on every technology's row: any one gives it
    SELECT
        run_id,
        any_value(clock_hz) AS clock_hz,
        any_value(threshold_s) AS threshold_s,
        any_value(under_threshold_pct) FILTER (WHERE buffer = 'ifmap') AS ifmap_under_threshold_pct,
        any_value(under_threshold_pct) FILTER (WHERE buffer = 'filter') AS filter_under_threshold_pct,
        any_value(under_threshold_pct) FILTER (WHERE buffer = 'ofmap') AS ofmap_under_threshold_pct
    FROM memtech
    GROUP BY run_id
),
picks AS (
    SELECT
        run_id,
        any_value(technology) FILTER (WHERE objective = 'area' AND buffer = 'ifmap') AS ifmap_area_technology,
        any_value(technology) FILTER (WHERE objective = 'energy' AND buffer = 'ifmap') AS ifmap_energy_technology,
        any_value(technology) FILTER (WHERE objective = 'area' AND buffer = 'filter') AS filter_area_technology,
        any_value(technology) FILTER (WHERE objective = 'energy' AND buffer = 'filter') AS filter_energy_technology,
        any_value(technology) FILTER (WHERE objective = 'area' AND buffer = 'ofmap') AS ofmap_area_technology,
        any_value(technology) FILTER (WHERE objective = 'energy' AND buffer = 'ofmap') AS ofmap_energy_technology
    FROM memtech_composition
    GROUP BY run_id
)
SELECT
    p.sweep,
    p.point,
    p.run_id,
    p.run,
    p.topology,
    p.dataflow,
    p."array",
    p.sram_kb,
    p.ifmap_sram_kb,
    p.filter_sram_kb,
    p.ofmap_sram_kb,
    p.bandwidth,
    CAST(c.layers AS BIGINT) AS layers,
    CAST(c.total_cycles AS BIGINT) AS total_cycles,
    CAST(c.stall_cycles AS BIGINT) AS stall_cycles,
    CAST(c.total_cycles - c.stall_cycles AS BIGINT) AS compute_cycles,
    c.utilisation_pct,
    s.clock_hz,
    s.threshold_s,
    l.ifmap_lifetimes,
    l.ifmap_lifetime_mean_cycles,
    l.ifmap_lifetime_median_cycles,
    l.ifmap_lifetime_p90_cycles,
    l.ifmap_lifetime_max_cycles,
    s.ifmap_under_threshold_pct,
    t.ifmap_area_technology,
    t.ifmap_energy_technology,
    l.filter_lifetimes,
    l.filter_lifetime_mean_cycles,
    l.filter_lifetime_median_cycles,
    l.filter_lifetime_p90_cycles,
    l.filter_lifetime_max_cycles,
    s.filter_under_threshold_pct,
    t.filter_area_technology,
    t.filter_energy_technology,
    l.ofmap_lifetimes,
    l.ofmap_lifetime_mean_cycles,
    l.ofmap_lifetime_median_cycles,
    l.ofmap_lifetime_p90_cycles,
    l.ofmap_lifetime_max_cycles,
    s.ofmap_under_threshold_pct,
    t.ofmap_area_technology,
    t.ofmap_energy_technology
FROM points AS p
LEFT JOIN cycles AS c USING (run_id)
LEFT JOIN buffer_lifetimes AS l USING (run_id)
LEFT JOIN shares AS s USING (run_id)
LEFT JOIN picks AS t USING (run_id);
