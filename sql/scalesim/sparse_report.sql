-- SCALE-Sim SPARSE_REPORT.csv (runs with sparsity support on), one row per layer.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column sparsity_representation Sparse storage format (e.g. 'ellpack_block').
-- @column original_filter_storage Dense filter storage (words).
-- @column new_storage_filter_metadata Sparse filter storage including metadata (words).
-- @column filter_metadata_storage Metadata storage alone (words).
-- @column avg_filter_metadata_sram_bw Average filter metadata SRAM bandwidth (words/cycle).
CREATE TABLE IF NOT EXISTS sparse_report (
    run_id INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    sparsity_representation VARCHAR,
    original_filter_storage DOUBLE,
    new_storage_filter_metadata DOUBLE,
    filter_metadata_storage DOUBLE,
    avg_filter_metadata_sram_bw DOUBLE
);
