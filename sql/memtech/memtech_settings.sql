-- Per run: the parameters of the memory-technology comparison, as last set by
-- `gsdb report memtech` (runs without a row use the defaults of _memtech_params).
-- @column run_id Run (see runs).
-- @column clock_hz Clock frequency that turns cycles into seconds (Hz).
-- @column word_bits Width of one buffer word (bits).
-- @column threshold_s Lifetime threshold for the "short-lived" share (seconds).
-- @column set_at When the parameters were set (UTC).
CREATE TABLE IF NOT EXISTS memtech_settings (
    run_id INTEGER NOT NULL,
    clock_hz DOUBLE NOT NULL CHECK (clock_hz > 0),
    word_bits INTEGER NOT NULL CHECK (word_bits > 0),
    threshold_s DOUBLE NOT NULL CHECK (threshold_s > 0),
    set_at TIMESTAMP
);
