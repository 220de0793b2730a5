-- The memory technologies the comparison covers, one row per technology, with the figures the
-- memtech view needs and where each comes from. The warehouse starts with the shipped default table
-- (gainsight_db/data/technologies.csv, every figure cited); `gsdb report memtech --tech FILE`
-- replaces it with a user's own. An empty figure is unknown, and memtech leaves whatever needs it
-- empty too.
-- @column technology Technology name (unique), e.g. 'sram', 'si_gain_cell'.
-- @column cell 'sram' (holds data without refresh) or 'gain_cell' (must be refreshed within retention_s).
-- @column retention_s Retention time of a gain cell (seconds; empty for SRAM, or unknown).
-- @column area_um2_per_bit Cell area per bit (um^2 per bit).
-- @column read_pj_per_bit Energy to read one bit (pJ).
-- @column write_pj_per_bit Energy to write one bit (pJ).
-- @column refresh_pj_per_bit Energy to refresh one bit once (pJ; 0 for SRAM).
-- @column leakage_pw_per_bit Static power per stored bit (pW).
-- @column source Citation for the row's figures, and how derived figures were derived.
-- @column loaded_from File the row was loaded from ('default' for the shipped table).
-- @column loaded_at When the row was loaded (UTC).
CREATE TABLE IF NOT EXISTS technologies (
    technology VARCHAR NOT NULL,
    cell VARCHAR NOT NULL CHECK (cell IN ('sram', 'gain_cell')),
    retention_s DOUBLE CHECK (retention_s > 0),
    area_um2_per_bit DOUBLE CHECK (area_um2_per_bit >= 0),
    read_pj_per_bit DOUBLE CHECK (read_pj_per_bit >= 0),
    write_pj_per_bit DOUBLE CHECK (write_pj_per_bit >= 0),
    refresh_pj_per_bit DOUBLE CHECK (refresh_pj_per_bit >= 0),
    leakage_pw_per_bit DOUBLE CHECK (leakage_pw_per_bit >= 0),
    source VARCHAR,
    loaded_from VARCHAR,
    loaded_at TIMESTAMP
);
