"""Speed and memory of the warehouse on a real SCALE-Sim workload.

Generates the workload once with the real scalesim package (ResNet-18 on a 64x64 weight-stationary
array by default; `--small` for its first three layers), caches it, then measures, each step in its
own process (wall time, CSV throughput, peak resident memory):

  a. floor: DuckDB reading every trace file once, with no transformation
  b. `gsdb ingest` of the run
  c. computing every SCALE-Sim view and report (every row and column, hashed)
  d. a plain-Python dict-based lifetime computation like GainSight's scripts (the baseline)
  e. `gsdb export parquet`

and prints the ratios (b+c)/a and d/(b+c). With `--memory-limit 1GB` it also repeats b and c
under that limit (spilling next to the warehouse) and checks the statistics are the same.

    python benchmarks/benchmark.py [--small] [--cache DIR] [--skip-baseline] [--memory-limit 1GB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "scalesim"
TOPOLOGY = SHARED / "topologies" / "conv_nets" / "Resnet18.csv"
CONFIG = SHARED / "configs" / "resnet18_64x64_ws.cfg"
VIEWS = ("lifetimes", "dead_writes", "orphan_reads", "layer_stats", "run_stats", "lifetime_histogram",
         "access_audit", "layers", "memtech", "memtech_composition")


def _gsdb() -> str:
    return str(Path(sys.executable).parent / "gsdb")


def measure(name: str, argv: list[str], env: dict | None = None) -> dict:
    """Run argv as a child process; its wall time and peak resident memory (from wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{err}")
    return {"step": name, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "stdout": out.strip()}


def generate(cache: Path, small: bool) -> Path:
    """The cached SCALE-Sim run directory, made with the real scalesim package if missing."""
    folder = cache / ("resnet18_first3" if small else "resnet18")
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        topology = TOPOLOGY
        if small:
            folder.mkdir(parents=True)
            lines = TOPOLOGY.read_text().splitlines()
            topology = folder / "Resnet18_first3.csv"
            topology.write_text("\n".join(lines[:4]) + "\n")
        print(f"generating {folder.name} with scalesim (ResNet-18 takes a few minutes) ...", flush=True)
        code = ("import sys; from pathlib import Path; from gainsight_db.simulate import simulate; "
                "print(simulate(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), keep_csv=True).run_dir)")
        step = measure("generate", [sys.executable, "-c", code, str(topology), str(CONFIG), str(folder / "sim")])
        print(f"  scalesim: {step['wall_s']:.1f} s", flush=True)
        (folder / "run_dir").write_text(step["stdout"].splitlines()[-1])
        done.write_text("ok")
    return Path((folder / "run_dir").read_text().strip())


def floor_code(run_dir: Path) -> str:
    files = sorted(str(p) for p in run_dir.glob("layer*/*_TRACE.csv"))
    return (
        "import duckdb, json, sys\n"
        "con = duckdb.connect()\n"
        "con.execute('SET enable_progress_bar = false')\n"
        f"files = {json.dumps(files)}\n"
        "rows = 0\n"
        "for f in files:\n"
        "    rows += con.execute(\"SELECT count(*) FROM read_csv(?, header=false, null_padding=true)\", [f]).fetchone()[0]\n"
        "print(rows)\n"
    )


def views_code(db: Path, memory_limit: str | None) -> str:
    """Compute every view in full through the warehouse's own connection (its default settings, or
    the memory limit given), then print a checksum of lifetimes and the per-layer statistics."""
    return (
        "from pathlib import Path\n"
        "from gainsight_db.warehouse import EngineSettings, open_warehouse\n"
        f"con = open_warehouse(Path({str(db)!r}), create=False, read_only=True, "
        f"settings=EngineSettings(memory_limit={memory_limit!r}))\n"
        # every column of every row is computed (hashed), nothing is kept
        f"for view in {list(VIEWS)!r}:\n"
        "    con.execute(f'SELECT count(*), sum(hash(t)) FROM (SELECT * FROM {view}) AS t').fetchone()\n"
        "print(con.execute('SELECT count(*), sum(lifetime_cycles) FROM lifetimes').fetchone())\n"
        "print(con.execute('SELECT * FROM layer_stats ORDER BY ALL').fetchall())\n"
    )


def run_pipeline(run_dir: Path, work: Path, memory_limit: str | None) -> list[dict]:
    label = f" (memory-limit {memory_limit})" if memory_limit else ""
    db = work / ("limited.duckdb" if memory_limit else "gainsight.duckdb")
    settings = ["--memory-limit", memory_limit] if memory_limit else []
    steps = [measure(f"b. ingest{label}", [_gsdb(), "ingest", str(run_dir), "--db", str(db), "-q", *settings])]
    steps.append(measure(f"c. views{label}", [sys.executable, "-c", views_code(db, memory_limit)]))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="first three ResNet-18 layers only")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="where generated workloads are kept")
    parser.add_argument("--skip-baseline", action="store_true", help="skip the slow plain-Python baseline (d)")
    parser.add_argument("--memory-limit", help="also run b and c with this DuckDB memory limit, e.g. 1GB")
    args = parser.parse_args()

    run_dir = generate(args.cache, args.small)
    csv_bytes = sum(p.stat().st_size for p in run_dir.glob("layer*/*_TRACE.csv"))
    print(f"workload: {run_dir} ({csv_bytes / 1e6:.0f} MB of trace CSV)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="gsdb-bench-", dir=args.cache))
    try:
        steps = [measure("a. floor (read every trace once)", [sys.executable, "-c", floor_code(run_dir)])]
        steps += run_pipeline(run_dir, work, None)
        if not args.skip_baseline:
            steps.append(measure("d. python dict baseline", [sys.executable, str(HERE / "python_baseline.py"), str(run_dir)]))
        steps.append(measure("e. export parquet", [_gsdb(), "export", "parquet", "--db", str(work / "gainsight.duckdb"),
                                                     "--out", str(work / "parquet"), "-q"]))
        limited = []
        if args.memory_limit:
            limited = run_pipeline(run_dir, work, args.memory_limit)
            steps += limited
        print(f"\n{'step':44} {'wall s':>8} {'MB/s CSV':>9} {'peak RSS MB':>12}")
        for s in steps:
            print(f"{s['step']:44} {s['wall_s']:8.2f} {csv_bytes / 1e6 / s['wall_s']:9.1f} {s['peak_rss_mb']:12.0f}")
        t = {s["step"][:1]: s for s in steps[: 5 if not args.skip_baseline else 4]}
        pipeline = t["b"]["wall_s"] + t["c"]["wall_s"]
        print(f"\n(b+c)/a = {pipeline / t['a']['wall_s']:.2f}")
        if "d" in t:
            print(f"d/(b+c) = {t['d']['wall_s'] / pipeline:.2f}")
            count, total = map(int, t["d"]["stdout"].split())
            sql = eval(t["c"]["stdout"].splitlines()[0])  # (count, sum) printed by the views step
            print(f"lifetimes: warehouse {sql[0]:,} (sum {sql[1]:,}), python baseline {count:,} (sum {total:,})"
                  f" -> {'same' if (count, total) == tuple(sql) else 'DIFFERENT'}")
        if limited:
            same = limited[1]["stdout"] == t["c"]["stdout"]
            print(f"results with --memory-limit {args.memory_limit}: {'same' if same else 'DIFFERENT'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
