"""Design-space sweeps (`gsdb sweep SPEC.toml`): many SCALE-Sim runs from one spec, run in parallel
and ingested one by one.

- `spec`: the TOML spec, read and checked, and the points it makes (one run each).
- `execution`: running points in worker processes, and the seam other executors plug into.
- `coordinator`: what is run and what is skipped, and the ingest of each finished point with its
  `sweep_points` row.
"""
