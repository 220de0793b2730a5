"""Speed and memory of the warehouse on a real SCALE-Sim workload.

Generates the workload once with the real scalesim package (ResNet-18 on a 64x64 weight-stationary
array by default; `--small` for its first three layers; `--medium` for the 3-layer network of
examples/sweep_tutorial1 on a 32x32 output-stationary array), caches it, then measures, each step in
its own process (wall time, CSV throughput, peak resident memory):

  a. floor: the fastest full parse of every trace cell, by pyarrow's CSV reader (every cell typed as a
     float, on every core) and by DuckDB (its bare scan, count(*) with every column as text, which
     types nothing); the faster of the two is the floor
  b. `gsdb ingest` of the run
  c. computing every SCALE-Sim view and report (every row and column, hashed)
  d. a plain-Python dict-based lifetime computation like GainSight's scripts (the baseline):
     per layer, lifetimes to CSV, read back for the per-buffer aggregate
  e. `gsdb export parquet`
  f. `gsdb simulate` both ways, SCALE-Sim run again in the process that ingests: its traces handed
     to DuckDB in memory, and written as CSV (`--keep-csv`) then ingested from the files; each
     split into SCALE-Sim's part and the ingest's

and prints the ratios (b+c)/a and d/(b+c). Before any step, the package's bytecode is compiled and
the cached empty warehouse made, as an installed gsdb has them after its first run (`prepare`). Each
floor, and b and c (each ingest into a new warehouse, then its views), are taken three times and
the fastest run of each used (the files are in the page cache after the first); every run's time is
printed. With `--memory-limit 1GB` it also repeats b and c once under that limit (spilling next to
the warehouse) and checks the statistics are the same.

    python benchmarks/benchmark.py [--small | --medium] [--cache DIR] [--skip-baseline] [--skip-simulate]
                                   [--memory-limit 1GB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "inputs"  # where they come from: inputs/README.md
TOPOLOGY = INPUTS / "Resnet18.csv"
CONFIG = INPUTS / "resnet18_64x64_ws.cfg"
TUTORIAL = HERE.parent / "examples" / "sweep_tutorial1"
# name: (topology, config, overrides as for gsdb simulate, run name)
WORKLOADS = {
    "resnet18": (TOPOLOGY, CONFIG, {}, None),
    "resnet18_first3": (None, CONFIG, {}, None),  # topology: topology_of
    "tutorial1_32x32_os": (TUTORIAL / "tutorial1.csv", TUTORIAL / "base.cfg", {"array": "32x32", "dataflow": "os"},
                           "tutorial1_32x32_os"),
}
VIEWS = ("lifetimes", "dead_writes", "orphan_reads", "layer_stats", "run_stats", "lifetime_histogram",
         "access_audit", "layers", "memtech", "memtech_composition")


def _gsdb() -> str:
    return str(Path(sys.executable).parent / "gsdb")


def _tree_rss_bytes(root: int) -> int:
    """The resident memory of a process and all its descendants, summed (Linux /proc; 0 elsewhere)."""
    parents, rss = {}, {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        pid = int(status.parent.name)
        parents[pid] = int(fields["PPid"])
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree, grew = tree | more, bool(more)
    return sum(rss.get(pid, 0) for pid in tree)


def measure(name: str, argv: list[str], env: dict | None = None) -> dict:
    """Run argv as a child process; its wall time, peak resident memory (from wait4: the largest of
    the process and its children) and the peak of the memory of it and its children together
    (sampled every 0.2 s)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    together = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            together[0] = max(together[0], _tree_rss_bytes(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    stop.set()
    sampler.join()
    wall = time.perf_counter() - start
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{err}")
    return {"step": name, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "peak_tree_mb": max(together[0], usage.ru_maxrss * 1024) / 2**20, "stdout": out.strip()}


def topology_of(cache: Path, workload: str) -> Path:
    """The workload's topology; for resnet18_first3, a copy of ResNet-18's first three layers in the cache."""
    if workload != "resnet18_first3":
        return WORKLOADS[workload][0]
    topology = cache / "resnet18_first3" / "Resnet18_first3.csv"
    if not topology.is_file():
        topology.parent.mkdir(parents=True, exist_ok=True)
        topology.write_text("\n".join(TOPOLOGY.read_text().splitlines()[:4]) + "\n")
    return topology


def simulation_code(workload: str, topology: Path, out: Path, keep_csv: bool) -> str:
    """The statement that runs SCALE-Sim on the workload into `out`, leaving `sim` (a Simulation)."""
    _, config, overrides, name = WORKLOADS[workload]
    return (f"sim = simulate(Path({str(topology)!r}), Path({str(config)!r}), Path({str(out)!r}), keep_csv={keep_csv}, "
            f"overrides=Overrides.parse(**{overrides!r}), name={name!r})\n")


def generate(cache: Path, workload: str) -> Path:
    """The cached SCALE-Sim run directory, made with the real scalesim package if missing."""
    folder = cache / workload
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        topology = topology_of(cache, workload)
        print(f"generating {folder.name} with scalesim (ResNet-18 takes a few minutes) ...", flush=True)
        code = ("from pathlib import Path; from gainsight_db.simulate import Overrides, simulate\n"
                + simulation_code(workload, topology, folder / "sim", True) + "print(sim.run_dir)\n")
        step = measure("generate", [sys.executable, "-c", code])
        print(f"  scalesim: {step['wall_s']:.1f} s", flush=True)
        (folder / "run_dir").write_text(step["stdout"].splitlines()[-1])
        done.write_text("ok")
    return Path((folder / "run_dir").read_text().strip())


def floor_code(run_dir: Path, reader: str) -> str:
    """A program that parses every cell of every trace once and prints the number of rows: with
    pyarrow's CSV reader (every column typed as a float, as the ingest reads a trace), or with DuckDB's
    (its bare scan: every column as text, nothing typed)."""
    files = sorted(str(p) for p in run_dir.glob("layer*/*_TRACE.csv"))
    if reader == "pyarrow":
        return (
            "import json, pyarrow as pa, pyarrow.csv as pcsv\n"
            f"files = {json.dumps(files)}\n"
            "rows = 0\n"
            "for f in files:\n"
            "    with open(f, 'rb') as handle:\n"
            "        names = [f'c{i}' for i in range(handle.readline().count(b',') + 1)]\n"
            "    table = pcsv.read_csv(f, read_options=pcsv.ReadOptions(column_names=names),\n"
            "                          convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.float64())))\n"
            "    rows += table.num_rows\n"
            "print(rows)\n"
        )
    return (
        "import duckdb, json, sys\n"
        "con = duckdb.connect()\n"
        "con.execute('SET enable_progress_bar = false')\n"
        f"files = {json.dumps(files)}\n"
        "rows = 0\n"
        "for f in files:\n"
        "    rows += con.execute(\"SELECT count(*) FROM read_csv(?, header=false, null_padding=true, all_varchar=true)\", [f]).fetchall()[0][0]\n"
        "print(rows)\n"
    )


def floor_steps(run_dir: Path) -> list[dict]:
    """a: each reader three times; the fastest run of the faster reader is the floor."""
    best = []
    for reader in ("pyarrow", "duckdb"):
        runs = [measure(f"a. floor: {reader} parses every cell", [sys.executable, "-c", floor_code(run_dir, reader)])
                for _ in range(3)]
        print(f"floor runs, {reader}: " + ", ".join(f"{r['wall_s']:.2f} s" for r in runs), flush=True)
        best.append(min(runs, key=lambda r: r["wall_s"]))
    return sorted(best, key=lambda r: r["wall_s"])


def views_code(db: Path, memory_limit: str | None) -> str:
    """Compute every view in full through the warehouse's own connection (its default settings, or
    the memory limit given), then print a checksum of lifetimes and the per-layer statistics."""
    return (
        "from pathlib import Path\n"
        "from gainsight_db.warehouse.connection import EngineSettings, open_warehouse\n"
        f"con = open_warehouse(Path({str(db)!r}), create=False, read_only=True, "
        f"settings=EngineSettings(memory_limit={memory_limit!r}))\n"
        # every column of every row is computed (hashed), nothing is kept
        f"for view in {list(VIEWS)!r}:\n"
        "    con.execute(f'SELECT count(*), sum(hash(t)) FROM (SELECT * FROM {view}) AS t').fetchone()\n"
        "print(con.execute('SELECT count(*), sum(lifetime_cycles) FROM lifetimes').fetchone())\n"
        "print(con.execute('SELECT * FROM layer_stats ORDER BY ALL').fetchall())\n"
        "print(con.execute('SELECT layer, buffer, lifetimes, lifetime_mean, lifetime_median, lifetime_p90, '\n"
        "                  'lifetime_p99, lifetime_min, lifetime_max, read_active_cycles, write_active_cycles '\n"
        "                  'FROM layer_stats ORDER BY ALL').fetchall())\n"
    )


def same_aggregates(views_stdout: str, baseline_dir: Path) -> bool:
    """The baseline's per-layer aggregate CSVs against the warehouse's layer_stats (floats to 1e-9)."""
    import csv
    import math

    ours = {(r[0], r[1]): r[2:] for r in eval(views_stdout.splitlines()[2])}
    theirs = {}
    for path in baseline_dir.glob("layer*_aggregate.csv"):
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                figures = [row[k] for k in ("lifetimes", "mean", "median", "p90", "p99", "min", "max",
                                            "read_active_cycles", "write_active_cycles")]
                theirs[(int(path.name[5:].split("_")[0]), row["buffer"])] = [float(f) if f else None for f in figures]

    def close(a, b):
        return a is None and b is None or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))

    return ours.keys() == theirs.keys() and all(
        all(close(a, b) for a, b in zip(ours[k], theirs[k])) for k in ours)


def simulate_steps(workload: str, topology: Path, work: Path) -> list[dict]:
    """f: SCALE-Sim's own simulation (its traces kept in memory, nothing written or ingested), then
    `gsdb simulate` of the same workload into a fresh warehouse (SCALE-Sim in a worker process, each
    layer handed over and loaded while SCALE-Sim simulates the next)."""
    code = ("from pathlib import Path\nfrom gainsight_db.simulate import Overrides, simulate\n"
            + simulation_code(workload, topology, work / "sim_alone", False))
    alone = measure("f. SCALE-Sim alone", [sys.executable, "-c", code])
    shutil.rmtree(work / "sim_alone", ignore_errors=True)
    _, config, overrides, name = WORKLOADS[workload]
    options = [f"--{key}={value}" for key, value in overrides.items()] + ([f"--name={name}"] if name else [])
    simulated = measure("f. gsdb simulate", [_gsdb(), "simulate", "--topology", str(topology), "--config", str(config),
                                             *options, "--db", str(work / "simulated.duckdb"), "-q"])
    print(f"\ngsdb simulate: {simulated['wall_s']:.1f} s (SCALE-Sim alone {alone['wall_s']:.1f} s: "
          f"{simulated['wall_s'] / alone['wall_s']:.2f} times), peak RSS {simulated['peak_rss_mb']:.0f} MB "
          f"(its processes together {simulated['peak_tree_mb']:.0f} MB)")
    return [alone, simulated]


def run_pipeline(run_dir: Path, work: Path, memory_limit: str | None, runs: int = 1) -> list[dict]:
    """b and c, `runs` times (each ingest into a new warehouse, then its views); the fastest of each."""
    label = f" (memory-limit {memory_limit})" if memory_limit else ""
    settings = ["--memory-limit", memory_limit] if memory_limit else []
    ingests, views = [], []
    for run in range(runs):
        db = work / (f"limited{run}.duckdb" if memory_limit else f"gainsight{run}.duckdb")
        ingests.append(measure(f"b. ingest{label}", [_gsdb(), "ingest", str(run_dir), "--db", str(db), "-q", *settings]))
        views.append(measure(f"c. views{label}", [sys.executable, "-c", views_code(db, memory_limit)]))
        views[-1]["db"] = db
    if runs > 1:
        for name, taken in (("ingest", ingests), ("views", views)):
            print(f"{name} runs{label}: " + ", ".join(f"{r['wall_s']:.2f} s" for r in taken), flush=True)
    return [min(ingests, key=lambda r: r["wall_s"]), min(views, key=lambda r: r["wall_s"])]


def prepare(work: Path) -> float:
    """What an installed gsdb has before its first ingest, made before anything is measured: the
    package's bytecode (pip compiles it when it installs a package; an editable install run with
    PYTHONDONTWRITEBYTECODE=1 would compile every module again in every process measured), and the
    cached empty warehouse a new warehouse is copied from (made once per schema: docs/performance.md).
    Returns the seconds the first warehouse took to open."""
    import compileall
    import importlib

    for package in ("gainsight_db", "gainsight_db.loaders", "gainsight_db.sql"):
        compileall.compile_dir(Path(importlib.import_module(package).__file__).parent, quiet=2)
    first = measure("first warehouse", [sys.executable, "-c", "import sys, gainsight_db\n"
                                        "gainsight_db.connect(sys.argv[1]).close()", str(work / "first.duckdb")])
    for path in work.glob("first.duckdb*"):
        path.unlink()
    return first["wall_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--small", action="store_true", help="first three ResNet-18 layers only")
    sizes.add_argument("--medium", action="store_true", help="the 3-layer tutorial network on a 32x32 os array")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="where generated workloads are kept")
    parser.add_argument("--skip-baseline", action="store_true", help="skip the slow plain-Python baseline (d)")
    parser.add_argument("--skip-simulate", action="store_true", help="skip running SCALE-Sim twice (f)")
    parser.add_argument("--memory-limit", help="also run b and c with this DuckDB memory limit, e.g. 1GB")
    args = parser.parse_args()

    workload = "resnet18_first3" if args.small else "tutorial1_32x32_os" if args.medium else "resnet18"
    run_dir = generate(args.cache, workload)
    csv_bytes = sum(p.stat().st_size for p in run_dir.glob("layer*/*_TRACE.csv"))
    print(f"workload: {run_dir} ({csv_bytes / 1e6:.0f} MB of trace CSV)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="gsdb-bench-", dir=args.cache))
    try:
        first = prepare(work)
        print(f"first warehouse opened in {first:.2f} s (bytecode compiled, empty warehouse cached)", flush=True)
        floors = floor_steps(run_dir)
        steps = [floors[0]]
        steps += run_pipeline(run_dir, work, None, runs=3)
        if not args.skip_baseline:
            steps.append(measure("d. python dict baseline", [sys.executable, str(HERE / "python_baseline.py"), str(run_dir),
                                                             str(work / "baseline")]))
        steps.append(measure("e. export parquet", [_gsdb(), "export", "parquet", "--db", str(steps[2]["db"]),
                                                     "--output", str(work / "parquet"), "-q"]))
        simulated = [] if args.skip_simulate else simulate_steps(workload, topology_of(args.cache, workload), work)
        limited = []
        if args.memory_limit:
            limited = run_pipeline(run_dir, work, args.memory_limit)
            steps += limited
        steps += simulated + floors[1:]
        print(f"\n{'step':44} {'wall s':>8} {'MB/s CSV':>9} {'peak RSS MB':>12} {'all processes MB':>17}")
        for s in steps:
            print(f"{s['step']:44} {s['wall_s']:8.2f} {csv_bytes / 1e6 / s['wall_s']:9.1f} {s['peak_rss_mb']:12.0f} "
                  f"{s['peak_tree_mb']:17.0f}")
        t = {s["step"][:1]: s for s in steps[: 5 if not args.skip_baseline else 4]}
        pipeline = t["b"]["wall_s"] + t["c"]["wall_s"]
        print(f"\n(b+c)/a = {pipeline / t['a']['wall_s']:.2f}")
        if "d" in t:
            print(f"d/(b+c) = {t['d']['wall_s'] / pipeline:.2f}")
            count, total = map(int, t["d"]["stdout"].split())
            sql = eval(t["c"]["stdout"].splitlines()[0])  # (count, sum) printed by the views step
            print(f"lifetimes: warehouse {sql[0]:,} (sum {sql[1]:,}), python baseline {count:,} (sum {total:,})"
                  f" -> {'same' if (count, total) == tuple(sql) else 'DIFFERENT'}")
            print(f"per-layer aggregates (lifetime count, mean, median, p90, p99, min, max, active cycles): "
                  f"{'same' if same_aggregates(t['c']['stdout'], work / 'baseline') else 'DIFFERENT'}")
        if limited:
            same = limited[1]["stdout"] == t["c"]["stdout"]
            print(f"results with --memory-limit {args.memory_limit}: {'same' if same else 'DIFFERENT'}")
        if simulated:
            simulated_views = measure("c. views (simulated in memory)", [sys.executable, "-c", views_code(work / "simulated.duckdb", None)])
            same = simulated_views["stdout"] == t["c"]["stdout"]
            print(f"results of the run simulated in memory: {'same' if same else 'DIFFERENT'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
