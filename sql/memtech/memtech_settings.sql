-- Per run: the stored parameters of the memory-technology comparison, as last set by
-- `gsdb memtech set` or `Warehouse.set_memtech` (reports never store them). A run without a row, or
-- an empty column, uses the default of _memtech_params.
-- @column run_id Run (see runs).
-- @column clock_hz Clock frequency that turns cycles into seconds (Hz; default 1e9).
-- @column word_bits Width of one buffer word (bits; default 16).
-- @column threshold_s Lifetime threshold for the "short-lived" share (seconds; default 1e-6).
-- @column node_nm Technology node of the SRAM figures and of scaled areas (nm; default 22).
-- @column retention_factor Factor applied to every gain cell's retention time, for cells slower than the cited ones (retention varies across cells; default 1).
-- @column set_at When the parameters were set (UTC).
CREATE TABLE IF NOT EXISTS memtech_settings (
    run_id INTEGER NOT NULL,
    clock_hz DOUBLE NOT NULL CHECK (clock_hz > 0),
    word_bits INTEGER NOT NULL CHECK (word_bits > 0),
    threshold_s DOUBLE NOT NULL CHECK (threshold_s > 0),
    node_nm DOUBLE CHECK (node_nm > 0),
    retention_factor DOUBLE CHECK (retention_factor > 0 AND retention_factor <= 1),
    set_at TIMESTAMP
);
