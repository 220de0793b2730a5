"""Files for other tools: GainSight's per-layer CSVs and frontend report, postprocess_aie_trace.py's
files, and Parquet or CSV datasets of every report table."""
