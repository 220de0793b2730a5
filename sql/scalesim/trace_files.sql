-- One row per trace loaded (a trace CSV, or the same trace handed over in memory by `gsdb simulate`):
-- where its accesses came from and what was dropped on the way.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column buffer 'ifmap', 'filter' or 'ofmap'.
-- @column level 'sram' or 'dram'.
-- @column path Absolute path of the trace CSV (for an in-memory trace, where SCALE-Sim writes it; the file exists only with `gsdb simulate --keep-csv`).
-- @column size_bytes File size (bytes); NULL for an in-memory trace.
-- @column trace_rows Rows (cycles) in the trace: lines of the file, or rows of the in-memory matrix.
-- @column accesses Accesses loaded into accesses (cells that are not empty, -1 or padding).
-- @column empty_slots Cells equal to -1 (an idle lane), not accesses.
-- @column empty_cells Empty cells (ragged or blank), not accesses.
-- @column padding_cells CALC-mode 1.0 padding cells in DRAM rows (a trailing run of two or more 1.0), not accesses.
-- @column origin 'csv' (parsed from the file) or 'memory' (SCALE-Sim's trace matrix, handed over as SCALE-Sim made it, never as text, by `gsdb simulate` or `gsdb sweep`).
-- @column trace_id The trace's id, unique in the warehouse: its accesses are the rows of accesses with this trace_id.
CREATE TABLE IF NOT EXISTS trace_files (
    run_id INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    buffer VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    size_bytes BIGINT,
    trace_rows BIGINT NOT NULL,
    accesses BIGINT NOT NULL,
    empty_slots BIGINT NOT NULL,
    empty_cells BIGINT NOT NULL,
    padding_cells BIGINT NOT NULL,
    origin VARCHAR NOT NULL,
    trace_id INTEGER NOT NULL
);
