-- One row per point of a design-space sweep (`gsdb sweep SPEC.toml`): the run made for the point and
-- its coordinates. Every axis a spec can vary has a column named as the axis, holding the point's
-- value as the spec writes it (text: array '8x16', sram_kb '256'); an axis the sweep does not vary
-- is NULL. Group by an axis column to compare the points along it. (sweep, point) identifies a row.
-- @column sweep Sweep name (the spec's `name`).
-- @column point Index of the point in the sweep (0-based): topologies in the spec's order, then the axes in the spec's order, the last axis varying fastest.
-- @column run_id The run made for this point (see runs).
-- @column topology The point's topology file as the spec names it (relative paths as written).
-- @column dataflow Axis `dataflow`: 'os', 'ws' or 'is'.
-- @column array Axis `array`: systolic array as ROWSxCOLS, e.g. '64x64'.
-- @column sram_kb Axis `sram_kb`: size of each of the IFMAP, filter and OFMAP SRAMs, in KiB.
-- @column ifmap_sram_kb Axis `ifmap_sram_kb`: IFMAP SRAM size in KiB.
-- @column filter_sram_kb Axis `filter_sram_kb`: filter SRAM size in KiB.
-- @column ofmap_sram_kb Axis `ofmap_sram_kb`: OFMAP SRAM size in KiB.
-- @column bandwidth Axis `bandwidth`: DRAM bandwidth in words per cycle (USER bandwidth mode).
-- @column inputs_sha256 Identity of the point's inputs, as runs.inputs_sha256 (effective config, topology, scalesim version): a point whose identity is already in the warehouse is not run again.
CREATE TABLE IF NOT EXISTS sweep_points (
    sweep VARCHAR NOT NULL,
    point INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    topology VARCHAR NOT NULL,
    dataflow VARCHAR,
    "array" VARCHAR,
    sram_kb VARCHAR,
    ifmap_sram_kb VARCHAR,
    filter_sram_kb VARCHAR,
    ofmap_sram_kb VARCHAR,
    bandwidth VARCHAR,
    inputs_sha256 VARCHAR NOT NULL
);
