"""Speed and memory of `gsdb sweep` (not run by the tests; prints its figures).

1. Six points of a 3-layer network, SCALE-Sim's tutorial 1 network at a quarter of its size
   (examples/sweep_tutorial1/tutorial1_small.csv with its base.cfg: arrays 32x128, 64x64, 128x32
   times dataflows os and ws), swept with --jobs 1 and with --jobs 2 into fresh warehouses: wall
   time, speed-up, each worker's peak resident memory and the coordinator's.
2. One ResNet-18 point (inputs/Resnet18.csv on inputs/resnet18_64x64_ws.cfg: 21 layers on a 64x64
   weight-stationary array) through the sweep path: its worker's peak memory (SCALE-Sim handing each
   layer over as it finishes) and the coordinator's (the ingest), against the 3.96 GB that `gsdb
   simulate` peaked at when SCALE-Sim kept every layer's traces until its run ended
   (docs/performance.md).
3. With --simulate, the same ResNet-18 run through `gsdb simulate`, which hands each layer over the
   same way in one process: its wall time and peak memory.
4. With --executor ray, the six points of 1. again as Ray tasks on a local Ray of this machine's
   cores (`--executor ray`), with --jobs 1 and --jobs 2: wall time (and of it, the start of the
   local Ray), against the local executor's. `--executor ray --skip-local` runs only these.

Each sweep runs in its own process (the coordinator), which spawns the workers; the peaks are read
from the operating system (ru_maxrss, and wait4's for `gsdb simulate`).

    python benchmarks/sweep.py [--skip-resnet] [--skip-small] [--simulate] [--executor ray [--skip-local]] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "sweep_tutorial1"
RESNET_TOPOLOGY = HERE / "inputs" / "Resnet18.csv"
RESNET_CONFIG = HERE / "inputs" / "resnet18_64x64_ws.cfg"

SMALL_SPEC = f"""\
name = "bench"
topology = {json.dumps(str(EXAMPLE / "tutorial1_small.csv"))}
config = {json.dumps(str(EXAMPLE / "base.cfg"))}
[axes]
array = ["32x128", "64x64", "128x32"]
dataflow = ["os", "ws"]
"""

RESNET_SPEC = f"""\
name = "resnet18"
topology = {json.dumps(str(RESNET_TOPOLOGY))}
config = {json.dumps(str(RESNET_CONFIG))}
"""


def measure_sweep(spec: Path, db: Path, jobs: int, executor: str = "local") -> dict:
    """In this process: run the sweep and report its figures (what --measure prints)."""
    import gainsight_db
    from gainsight_db.sweeps.execution import make_executor, peak_rss_bytes

    started = time.perf_counter()
    runner = make_executor(executor)
    connect_s = None
    if executor == "ray":  # start the local Ray first, to tell its start from the sweep
        runner.default_jobs()
        connect_s = time.perf_counter() - started
    with gainsight_db.connect(db) as wh:
        result = wh.sweep(spec, jobs=jobs, executor=runner)
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "connect_s": connect_s,
        "coordinator_peak_mb": peak_rss_bytes() / 2**20,
        "summary": result.summary(),
        "points": [{"run": p.run_name, "status": p.status, "reason": p.reason, "simulate_s": p.simulate_s,
                    "ingest_s": p.ingest_s, "worker": p.worker,
                    "worker_peak_mb": p.peak_rss_bytes / 2**20 if p.peak_rss_bytes else None} for p in result.points],
    }


def sweep_in_child(spec: Path, db: Path, jobs: int, executor: str = "local") -> dict:
    proc = subprocess.run([sys.executable, __file__, "--measure", str(spec), "--db", str(db), "--jobs", str(jobs),
                           "--executor", executor], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"sweep {spec} --jobs {jobs} --executor {executor} failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


def workers(figures: dict) -> str:
    """Each worker's peak (the largest its points reported)."""
    peaks: dict[str, float] = {}
    for point in figures["points"]:
        if point["worker_peak_mb"]:
            peaks[point["worker"]] = max(peaks.get(point["worker"], 0.0), point["worker_peak_mb"])
    return ", ".join(f"{mb:.0f} MB" for mb in peaks.values())


def small(work: Path, executor: str = "local") -> dict[int, dict]:
    """The six points with --jobs 1 and 2 on `executor`; their figures by jobs."""
    spec = work / "small.toml"
    spec.write_text(SMALL_SPEC)
    runs = {}
    for jobs in (1, 2):
        runs[jobs] = figures = sweep_in_child(spec, work / f"small-{executor}-j{jobs}" / "gainsight.duckdb", jobs,
                                              executor)
        simulated = sum(p["simulate_s"] for p in figures["points"])
        ingested = sum(p["ingest_s"] for p in figures["points"])
        ray_start = f", of which {figures['connect_s']:.1f} s starting a local Ray" if figures["connect_s"] else ""
        print(f"6 points, --executor {executor} --jobs {jobs}: {figures['wall_s']:.1f} s wall{ray_start} "
              f"({figures['summary']}); SCALE-Sim {simulated:.1f} s and ingest {ingested:.1f} s summed over the "
              f"points; worker peaks: {workers(figures)}; coordinator peak {figures['coordinator_peak_mb']:.0f} MB",
              flush=True)
        for point in figures["points"]:
            print(f"    {point['run']}: SCALE-Sim {point['simulate_s']:.1f} s, ingest {point['ingest_s']:.1f} s, "
                  f"worker {point['worker']} peak {point['worker_peak_mb']:.0f} MB", flush=True)
    print(f"--executor {executor}: speed-up of --jobs 2 over --jobs 1: {runs[1]['wall_s'] / runs[2]['wall_s']:.2f}",
          flush=True)
    return runs


def compare(local: dict[int, dict], ray: dict[int, dict]) -> None:
    for jobs in (1, 2):
        start = ray[jobs]["connect_s"] or 0.0
        print(f"--jobs {jobs}: --executor ray {ray[jobs]['wall_s']:.1f} s wall ({ray[jobs]['wall_s'] - start:.1f} s "
              f"without starting Ray) against --executor local {local[jobs]['wall_s']:.1f} s", flush=True)


def resnet(work: Path) -> None:
    spec = work / "resnet.toml"
    spec.write_text(RESNET_SPEC)
    print("one ResNet-18 point (SCALE-Sim takes a few minutes) ...", flush=True)
    figures = sweep_in_child(spec, work / "resnet" / "gainsight.duckdb", 1)
    (point,) = figures["points"]
    print(f"ResNet-18 64x64 ws through the sweep: {figures['wall_s']:.1f} s wall (SCALE-Sim and hand-over "
          f"{point['simulate_s']:.1f} s, ingest {point['ingest_s']:.1f} s); worker peak {point['worker_peak_mb']:.0f} MB, "
          f"coordinator peak {figures['coordinator_peak_mb']:.0f} MB (gsdb simulate holding every layer: 3.96 GB)",
          flush=True)


def simulate(work: Path) -> None:
    """`gsdb simulate` of ResNet-18, in its own process: wall time and peak memory (wait4)."""
    import os

    print("gsdb simulate of ResNet-18 (a few minutes) ...", flush=True)
    argv = [str(Path(sys.executable).parent / "gsdb"), "simulate", "--topology", str(RESNET_TOPOLOGY), "--config",
            str(RESNET_CONFIG), "--db", str(work / "simulate" / "gainsight.duckdb"), "-q"]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"gsdb simulate failed:\n{proc.stderr.read().decode()}")
    print(f"gsdb simulate of ResNet-18, each layer handed over: {time.perf_counter() - started:.1f} s wall, peak "
          f"{usage.ru_maxrss / 1024:.0f} MB (every layer held until the run ended: 3.96 GB)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-small", action="store_true", help="skip the six-point sweeps")
    parser.add_argument("--skip-resnet", action="store_true", help="skip the ResNet-18 point")
    parser.add_argument("--simulate", action="store_true", help="also measure gsdb simulate of ResNet-18")
    parser.add_argument("--executor", choices=["local", "ray"], default="local",
                        help="ray: also the six points as Ray tasks on a local Ray, against the local executor")
    parser.add_argument("--skip-local", action="store_true",
                        help="with --executor ray: only the Ray sweeps (no comparison)")
    parser.add_argument("--work", type=Path, help="folder for the warehouses (default: a temporary one, removed)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_sweep(args.measure, args.db, args.jobs, args.executor)))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="gsdb-sweep-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not args.skip_small:
            local = None if args.executor == "ray" and args.skip_local else small(work)
            if args.executor == "ray":
                ray = small(work, "ray")
                if local:
                    compare(local, ray)
        if not args.skip_resnet:
            resnet(work)
        if args.simulate:
            simulate(work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
