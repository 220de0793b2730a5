-- One row per ingested AI Engine trace: the file and the run parameters of the GEMM it traced.
-- Parameters come from ingest options (--M --K --N --m --k --n --row --col --hwid --warmup
-- --iterations) or, when not given, from a path of the form
-- {hwid}-gemm_{M}_{K}_{N}-{rows}_row_{cols}_col/traces/trace_mm_{M}_{K}_{N}.json; NULL when unknown.
-- Without M, K, N, rows and cols GMAC/s is NULL; without warmup and iterations phases, the
-- performance window and the aggregate are NULL or empty.
-- @column run_id Run (see runs).
-- @column path Absolute path of the trace JSON.
-- @column size_bytes File size (bytes).
-- @column layout How the events were laid out: 'array' (a bare JSON array) or 'traceEvents' (an object whose traceEvents member holds the array).
-- @column events Trace events loaded (count).
-- @column ts_converted Always 0: a ts that is not a JSON integer (a float, a string) is refused rather than converted (kept for queries that read it).
-- @column hwid Hardware identifier of the run (e.g. the NPU generation), as given.
-- @column gemm_m M: rows of the GEMM's output and of its left operand (elements).
-- @column gemm_k K: the GEMM's reduction dimension (elements).
-- @column gemm_n N: columns of the GEMM's output and of its right operand (elements).
-- @column tile_m m: rows of one kernel call's tile (elements).
-- @column tile_k k: reduction size of one kernel call's tile (elements).
-- @column tile_n n: columns of one kernel call's tile (elements).
-- @column rows AI Engine rows used (cores).
-- @column cols AI Engine columns used (cores).
-- @column warmup Warm-up iterations run before the measured ones (count; negative values given are stored as 0).
-- @column iterations Measured (performance) iterations after the warm-up (count; negative values given are stored as 0).
-- @column parameters_from Where the parameters came from: 'options', 'path', 'options+path', or NULL when none are known.
CREATE TABLE IF NOT EXISTS aie_runs (
    run_id INTEGER NOT NULL,
    path VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    layout VARCHAR NOT NULL,
    events BIGINT NOT NULL,
    ts_converted BIGINT NOT NULL,
    hwid VARCHAR,
    gemm_m BIGINT,
    gemm_k BIGINT,
    gemm_n BIGINT,
    tile_m BIGINT,
    tile_k BIGINT,
    tile_n BIGINT,
    rows BIGINT,
    cols BIGINT,
    warmup BIGINT,
    iterations BIGINT,
    parameters_from VARCHAR
);
