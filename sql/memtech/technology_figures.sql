-- Every figure the memory-technology comparison can use, one cited figure per row: the shipped
-- default (gainsight_db/data/technology_figures.csv for the gain cells, and the SRAM model table
-- gainsight_db/data/sram_cacti.csv for SRAM at every size and node), a user's technology file
-- (`gsdb memtech set --tech FILE`), figures taken from an AccelForge spec (`gsdb tech accelforge`), or
-- assumptions (`gsdb memtech set --assume TECH.FIGURE=VALUE`). A row with an empty value records a
-- figure that is not known, and why, in its note. memtech_figures resolves, per run and buffer, the
-- one figure of each kind the comparison uses (see its documentation for the rules).
-- @column technology Technology name, e.g. 'sram', 'si_gain_cell'.
-- @column cell 'sram' (holds data without refresh) or 'gain_cell' (must be refreshed within its retention time).
-- @column figure One of retention_s, area_um2_per_bit, read_pj_per_bit, write_pj_per_bit, refresh_pj_per_bit, leakage_pw_per_bit.
-- @column value The figure, in `unit` (empty when not known).
-- @column unit Unit of value: 's', 'um^2/bit', 'pJ/bit' (read, write, one refresh of one bit) or 'pW/bit' (leakage).
-- @column node_nm Technology node the figure is for (nm; empty when the source gives none).
-- @column size_bytes Capacity of the macro the figure is for (bytes). Figures of one technology with sizes form a table over sizes, interpolated at each buffer's size; empty when the figure does not depend on the size.
-- @column buffer 'ifmap', 'filter' or 'ofmap' for a figure of the component holding that buffer (AccelForge); empty for every buffer.
-- @column kind 'measured' (silicon), 'model' (a model's output), 'design' (a drawn layout), 'user' (a user's technology file) or 'assumed' (given with --assume).
-- @column used Whether the comparison uses the row; other rows are cited evidence (another cell's figure, another measurement).
-- @column source Citation: paper (with DOI), tool and version, or file.
-- @column note How the value was derived from the source's numbers, or why it is unknown.
-- @column loaded_from 'default' for the shipped figures; otherwise the file or command the row came from.
-- @column loaded_at When the row was loaded (UTC).
CREATE TABLE IF NOT EXISTS technology_figures (
    technology VARCHAR NOT NULL,
    cell VARCHAR NOT NULL CHECK (cell IN ('sram', 'gain_cell')),
    figure VARCHAR NOT NULL CHECK (figure IN ('retention_s', 'area_um2_per_bit', 'read_pj_per_bit',
                                              'write_pj_per_bit', 'refresh_pj_per_bit', 'leakage_pw_per_bit')),
    value DOUBLE CHECK (value >= 0 AND (figure <> 'retention_s' OR value > 0)),
    unit VARCHAR NOT NULL,
    node_nm DOUBLE CHECK (node_nm > 0),
    size_bytes BIGINT CHECK (size_bytes > 0),
    buffer VARCHAR CHECK (buffer IN ('ifmap', 'filter', 'ofmap')),
    kind VARCHAR NOT NULL CHECK (kind IN ('measured', 'model', 'design', 'user', 'assumed')),
    used BOOLEAN NOT NULL,
    source VARCHAR,
    note VARCHAR,
    loaded_from VARCHAR,
    loaded_at TIMESTAMP
);
