-- Per layer, its topology row: name and shape. Layers are matched to topology rows by position; a
-- row whose name contains 'DP' (depthwise) becomes one layer per channel, as SCALE-Sim expands it.
-- Empty for runs ingested without a topology file.
-- @column run_id Run (see runs).
-- @column layer SCALE-Sim LayerID.
-- @column name Layer name from the topology (depthwise: '<name>Channel_<c>', as SCALE-Sim names it).
-- @column topology_row 0-based data row of the topology file the layer comes from.
-- @column layer_kind 'conv', 'depthwise' or 'gemm'.
-- @column ifmap_height IFMAP height (pixels; GEMM: M).
-- @column ifmap_width IFMAP width (pixels; GEMM: K).
-- @column filter_height Filter height (pixels; GEMM: 1).
-- @column filter_width Filter width (pixels; GEMM: K).
-- @column channels Input channels (depthwise layers: 1; GEMM: 1).
-- @column num_filters Number of filters (GEMM: N).
-- @column strides Stride (pixels).
-- @column gemm_m GEMM M (GEMM topologies only).
-- @column gemm_n GEMM N (GEMM topologies only).
-- @column gemm_k GEMM K (GEMM topologies only).
-- @column sparsity N:M sparsity ratio from the topology, when given (e.g. '2:4').
-- @column ofmap_height OFMAP height: ceil((ifmap_height - filter_height + strides) / strides) (pixels).
-- @column ofmap_width OFMAP width, likewise (pixels).
-- @column macs Multiply-accumulates: ofmap_height * ofmap_width * filter_height * filter_width * channels * num_filters (GEMM: M*N*K).
CREATE TABLE IF NOT EXISTS layer_shapes (
    run_id INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    name VARCHAR,
    topology_row INTEGER,
    layer_kind VARCHAR,
    ifmap_height INTEGER,
    ifmap_width INTEGER,
    filter_height INTEGER,
    filter_width INTEGER,
    channels INTEGER,
    num_filters INTEGER,
    strides INTEGER,
    gemm_m INTEGER,
    gemm_n INTEGER,
    gemm_k INTEGER,
    sparsity VARCHAR,
    ofmap_height INTEGER,
    ofmap_width INTEGER,
    macs BIGINT
);
