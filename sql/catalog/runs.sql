-- One row per ingested run: a SCALE-Sim run directory or an AI Engine trace. A run is identified by
-- its resolved source path; ingesting the same path again replaces the run and keeps its run_id. A run
-- made by `gsdb simulate` is also identified by its inputs (inputs_sha256): simulating the same
-- inputs again replaces it, whatever folder SCALE-Sim writes into and whatever the run is named.
-- @column run_id Identifier of the run, carried by every fact row.
-- @column kind What produced the run: 'scalesim' or 'aie'.
-- @column name Run name: the run directory's folder name (SCALE-Sim) or the trace file's stem.
-- @column source_path Absolute path the run was ingested from.
-- @column format_version Input format: 'v2' or 'v3' for SCALE-Sim (v3 reports have Total Cycles (incl. prefetch)); 'trace-event' for AI Engine traces, 'trace-event (2024 names)' when they use Event0, Event1, LockStall.
-- @column ingest_id The ingest that loaded the rows now in the warehouse (see ingests).
-- @column layer_count Number of layers (SCALE-Sim: LayerIDs in COMPUTE_REPORT.csv).
-- @column config_path Config file (.cfg) used for the run metadata, when one was given or found.
-- @column topology_path Topology file (.csv) used for layer names and shapes, when given or found.
-- @column array_rows Systolic array height in processing elements (ArrayHeight).
-- @column array_cols Systolic array width in processing elements (ArrayWidth).
-- @column ifmap_sram_kb IFMAP SRAM size in KiB (IfmapSramSzkB).
-- @column filter_sram_kb Filter SRAM size in KiB (FilterSramSzkB).
-- @column ofmap_sram_kb OFMAP SRAM size in KiB (OfmapSramSzkB).
-- @column ifmap_offset First IFMAP address in the trace address space (IfmapOffset), in words.
-- @column filter_offset First filter address (FilterOffset), in words.
-- @column ofmap_offset First OFMAP address (OfmapOffset), in words.
-- @column dataflow Dataflow: 'ws' (weight), 'os' (output) or 'is' (input stationary).
-- @column bandwidth_mode DRAM interface bandwidth mode: 'CALC' (estimated) or 'USER' (given).
-- @column dram_bandwidth DRAM bandwidth in words per cycle as given in the config (USER mode), as text.
-- @column topology_kind Topology format: 'conv' or 'gemm' (Layer Name, M, N, K).
-- @column config Every key of the config file as a JSON object {section: {key: value}}.
-- @column parameters Run parameters of other run kinds (AI Engine: M, K, N, rows, cols, ...) as JSON.
-- @column overrides What `gsdb simulate` (or a point of `gsdb sweep`) changed in the config it was given, as `key=value` pairs separated by spaces in the order array, sram_kb, ifmap_sram_kb, filter_sram_kb, ofmap_sram_kb, dataflow, bandwidth (e.g. 'array=8x16 dataflow=os'; sram_kb sets all three buffers, the others one each, in KiB; bandwidth, in words per cycle, also sets USER mode); empty for a simulation without overrides, NULL for runs not simulated by gsdb.
-- @column inputs_sha256 Identity of a simulated run's inputs: SHA-256 (hex) of the JSON document {"config": {section: {key: value}}, "scalesim": version, "topology": text} with sorted keys and no spaces, where config is the effective config (overrides applied) without [general] run_name, keys lower-cased and values trimmed as SCALE-Sim's config reader sees them, topology is the topology as given to SCALE-Sim (blank lines dropped, every row ending with a comma, newline-terminated) and version is the scalesim package's. Equal for equal inputs, whatever the run's name; NULL for runs not simulated by gsdb.
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    source_path VARCHAR NOT NULL,
    format_version VARCHAR,
    ingest_id INTEGER,
    layer_count INTEGER,
    config_path VARCHAR,
    topology_path VARCHAR,
    array_rows INTEGER,
    array_cols INTEGER,
    ifmap_sram_kb INTEGER,
    filter_sram_kb INTEGER,
    ofmap_sram_kb INTEGER,
    ifmap_offset BIGINT,
    filter_offset BIGINT,
    ofmap_offset BIGINT,
    dataflow VARCHAR,
    bandwidth_mode VARCHAR,
    dram_bandwidth VARCHAR,
    topology_kind VARCHAR,
    config JSON,
    parameters JSON,
    overrides VARCHAR,
    inputs_sha256 VARCHAR
);
