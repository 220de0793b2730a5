"""Peak memory of the read commands writing a large result: 50 M lifetimes and more.

The workload is ResNet-18 on a 64x64 weight-stationary array, made once with the real scalesim
package (the run `benchmark.py` makes, shared through its cache: 26.1 M lifetimes), ingested twice
into one warehouse: the second time from a copy of the run folder made of hard links, so that it is
a second run (a run is its resolved path) without a second 1.25 GB of disk. Then each measured
command runs in its own process, as a user would run it (the real `gsdb`), and the script prints its
wall time, peak resident memory (from wait4) and output size:

  - `gsdb report lifetimes -f csv -o FILE`            (every run: >= 50 M lifetimes)
  - `gsdb report lifetimes --run R -f csv -o FILE`    (one run)
  - `gsdb query "SELECT * FROM lifetimes" -f csv -o FILE`
  - `gsdb query "SELECT * FROM lifetimes" -f parquet -o FILE`

each with the warehouse's default memory limit and with `--memory-limit` (default 256MB), and the
output's row count is checked against `count(*)`. With `--compare SRC` it also runs
`gsdb report lifetimes --run R --layer L -f csv -o FILE` for one layer (the largest with at most
`--compare-lifetimes` lifetimes) with the source tree SRC first on the Python path (an earlier
version, which read the whole result into Python, e.g. `git archive` of an earlier commit), and
with this one, each on its own copy of the warehouse.

    python benchmarks/output_memory.py [--cache DIR] [--memory-limit 256MB] [--compare /path/to/old/tree]
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
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import benchmark  # noqa: E402 (the workload generator beside this script)


def _gsdb() -> str:
    return str(Path(sys.executable).parent / "gsdb")


def _env(source: Path) -> dict[str, str]:
    """The environment that makes `gsdb` import the package from the source tree `source`."""
    return {**os.environ, "PYTHONPATH": str(source)}


def measure(name: str, argv: list[str], env: dict[str, str], output: Path | None = None) -> dict:
    """Run argv as a child process: wall time, peak resident memory (wait4), and the output file's size."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    size = output.stat().st_size if output is not None and output.exists() else None
    result = {"step": name, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "code": code,
              "bytes": size, "stdout": out.strip(), "stderr": err.strip()}
    print(f"  {name}: {wall:.1f} s, peak RSS {result['peak_rss_mb']:.0f} MB"
          + (f", {size / 1e6:.0f} MB written" if size is not None else "")
          + ("" if code == 0 else f", EXIT {code}: {err.strip()[-300:]}"), flush=True)
    return result


def first_row(db: Path, sql: str, env: dict[str, str]) -> list:
    """The first row of a query's result, asked through `gsdb query`."""
    out = subprocess.run([_gsdb(), "query", sql, "--db", str(db), "-f", "json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return list(json.loads(out)[0].values())


def warehouse(cache: Path, env: dict[str, str]) -> Path:
    """The cached warehouse holding ResNet-18 twice (made if missing)."""
    db = cache / "output_memory" / "lifetimes.duckdb"
    done = db.with_name("lifetimes.complete")
    if done.exists():
        return db
    run_dir = benchmark.generate(cache, small=False)
    copy = cache / "output_memory" / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    db.unlink(missing_ok=True)
    copy.mkdir(parents=True)
    # the run folder and the config and topology beside it, as hard links: the same bytes, another path
    subprocess.run(["cp", "-al", str(run_dir.parent), str(copy / run_dir.parent.name)], check=True)
    second = copy / run_dir.parent.name / run_dir.name
    step = measure("ingest ResNet-18 twice", [_gsdb(), "ingest", str(run_dir), str(second), "--db", str(db), "-q"], env)
    if step["code"] != 0:
        raise SystemExit("the ingest failed")
    done.write_text("ok")
    return db


def csv_rows(path: Path) -> int:
    """Lines of a CSV file without its header (the lifetimes hold no line breaks)."""
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="where the workload is kept")
    parser.add_argument("--memory-limit", default="256MB", help="DuckDB memory limit of the second round")
    parser.add_argument("--compare", type=Path, help="an earlier source tree to measure on one layer")
    parser.add_argument("--compare-lifetimes", type=int, default=3_000_000,
                        help="at most this many lifetimes in the layer of the comparison")
    args = parser.parse_args()

    env = _env(REPO)
    db = warehouse(args.cache, env)
    (total,) = first_row(db, "SELECT count(*) FROM lifetimes", env)
    run_id, run_total = first_row(db, "SELECT run_id, count(*) FROM lifetimes GROUP BY run_id ORDER BY run_id LIMIT 1",
                                  env)
    print(f"warehouse: {db} ({db.stat().st_size / 1e9:.2f} GB), {total:,} lifetimes; run {run_id}: {run_total:,}",
          flush=True)
    work = Path(tempfile.mkdtemp(prefix="output-memory-", dir=args.cache))
    results = []
    try:
        for limit in (None, args.memory_limit):
            settings = ["--memory-limit", limit] if limit else []
            label = f" --memory-limit {limit}" if limit else ""
            cases = [
                ("report lifetimes -f csv", ["report", "lifetimes", "-f", "csv"], "lt.csv", total),
                (f"report lifetimes --run {run_id} -f csv", ["report", "lifetimes", "--run", str(run_id), "-f", "csv"],
                 "run.csv", run_total),
                ("query 'SELECT * FROM lifetimes' -f csv", ["query", "SELECT * FROM lifetimes", "-f", "csv"],
                 "q.csv", total),
                ("query 'SELECT * FROM lifetimes' -f parquet", ["query", "SELECT * FROM lifetimes", "-f", "parquet"],
                 "q.parquet", total),
            ]
            for name, argv, file, rows in cases:
                out = work / file
                step = measure(name + label, [_gsdb(), *argv, "-o", str(out), "--db", str(db), *settings], env, out)
                if step["code"] == 0:
                    written = parquet_rows(out) if file.endswith(".parquet") else csv_rows(out)
                    step["rows"] = written
                    if written != rows:
                        raise SystemExit(f"{name}: {written:,} rows written, {rows:,} expected")
                results.append(step)
                out.unlink(missing_ok=True)
        if args.compare:
            layer, layer_total = first_row(db, (
                f"SELECT layer, count(*) FROM lifetimes WHERE run_id = {run_id} GROUP BY layer "
                f"HAVING count(*) <= {args.compare_lifetimes} ORDER BY count(*) DESC LIMIT 1"), env)
            argv = ["report", "lifetimes", "--run", str(run_id), "--layer", str(layer), "-f", "csv"]
            # each tree reads its own copy of the warehouse: a tree that is not earlier would upgrade it
            for label, source in (("earlier tree", args.compare.resolve()), ("this tree", REPO)):
                copy = work / f"{label.replace(' ', '_')}.duckdb"
                shutil.copyfile(db, copy)
                out = work / f"layer_{label.replace(' ', '_')}.csv"
                step = measure(f"report lifetimes --layer {layer} ({layer_total:,} lifetimes), {label}",
                               [_gsdb(), *argv, "-o", str(out), "--db", str(copy)], _env(source), out)
                copy.unlink()
                step["rows"] = csv_rows(out) if step["code"] == 0 else None
                results.append(step)
                out.unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'command':70} {'rows':>12} {'wall s':>8} {'peak RSS MB':>12} {'output MB':>10}")
    for s in results:
        rows = f"{s['rows']:,}" if s.get("rows") is not None else "failed"
        size = f"{s['bytes'] / 1e6:.0f}" if s["bytes"] else "-"
        print(f"{s['step']:70} {rows:>12} {s['wall_s']:8.1f} {s['peak_rss_mb']:12.0f} {size:>10}")


if __name__ == "__main__":
    main()
