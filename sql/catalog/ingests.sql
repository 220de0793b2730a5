-- One row per ingest of a run: when, from which files (with size and SHA-256), how many rows, and
-- with which versions. A failed ingest leaves no row (and no other change). When a run is ingested
-- again, its earlier ingest rows stay, with status 'replaced'.
-- @column ingest_id Identifier of the ingest.
-- @column run_id The run this ingest loaded.
-- @column started_at When the ingest started (UTC).
-- @column finished_at When the ingest finished (UTC).
-- @column status 'loaded' for the ingest whose rows are in the warehouse, 'replaced' once a later ingest of the same run replaced them.
-- @column source_path Absolute path ingested.
-- @column loader Loader that read the files ('scalesim' or 'aie').
-- @column files Every file read: path, size in bytes and SHA-256 of its contents.
-- @column rows_loaded Fact rows written by this ingest (all tables).
-- @column gainsight_db_version gainsight-db version that ran the ingest.
-- @column duckdb_version DuckDB library version that ran the ingest (2.x files cannot be read by 1.x).
CREATE TABLE IF NOT EXISTS ingests (
    ingest_id INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    source_path VARCHAR NOT NULL,
    loader VARCHAR NOT NULL,
    files STRUCT(path VARCHAR, size_bytes BIGINT, sha256 VARCHAR)[],
    rows_loaded BIGINT NOT NULL,
    gainsight_db_version VARCHAR NOT NULL,
    duckdb_version VARCHAR NOT NULL
);
