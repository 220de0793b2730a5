-- One row per AI Engine run: the tunables of the kernel and iteration analysis, set at ingest
-- (--clock-ghz, --lock-stall-factor, --dup-gap-fraction, --outlier-lo, --outlier-hi). The defaults
-- are those of KULeuven's postprocess_aie_trace.py. The kernel pairing (duplicate gap, outlier
-- window) is computed with them at ingest; to analyse a trace with other tunables, ingest it again
-- with other options.
-- @column run_id Run (see runs).
-- @column clock_ghz AI Engine clock used to turn cycles into time (GHz; default 1.25).
-- @column lock_stall_factor A LOCK_STALL span ends an iteration when it lasts at least this many times the core's median kernel duration (ratio; default 20).
-- @column dup_gap_fraction Kernel start (end) markers closer than this fraction of the preliminary median kernel duration to the last one kept are dropped as duplicates (ratio; default 0.25).
-- @column outlier_lo Kernels shorter than this fraction of the median duration are outliers (ratio; default 1/3).
-- @column outlier_hi Kernels longer than this multiple of the median duration are outliers (ratio; default 3).
CREATE TABLE IF NOT EXISTS aie_settings (
    run_id INTEGER NOT NULL,
    clock_ghz DOUBLE NOT NULL,
    lock_stall_factor DOUBLE NOT NULL,
    dup_gap_fraction DOUBLE NOT NULL,
    outlier_lo DOUBLE NOT NULL,
    outlier_hi DOUBLE NOT NULL
);
