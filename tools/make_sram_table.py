"""Make gainsight_db/data/sram_cacti.csv: SRAM macro area, read/write energy and leakage from CACTI.

For every technology node in NODES_NM and every macro size in SIZES_BYTES, one SRAM with a single
64-bit read/write port is modelled by CACTI through the hwcomponents-cacti package (the SRAM model that
AccelForge uses), and the figures are written per macro and per bit. Beside the table, a sidecar
sram_cacti.source.txt cites the tool, its version, the cells it models and the points CACTI could not
model (left out, never filled in).

Runs under Python >= 3.12 with hwcomponents-cacti installed (see docs/sram_model.md):

    python tools/make_sram_table.py              # write the table and its sidecar
    python tools/make_sram_table.py --check      # regenerate in memory, compare with the committed table
    python tools/make_sram_table.py --check --node 22 --size 8192   # one point only
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.metadata
import importlib.util
import math
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

NODES_NM = (22, 32, 45, 65)
SIZES_BYTES = tuple(1024 * 2**k for k in range(14))  # 1 KiB ... 8 MiB
PORT_BITS = 64
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "gainsight_db" / "data" / "sram_cacti.csv"
COLUMNS = (
    "node_nm", "size_bytes",
    "area_um2_per_bit", "read_pj_per_bit", "write_pj_per_bit", "leakage_pw_per_bit",
    "macro_area_um2", "read_pj_per_access", "write_pj_per_access", "leakage_uw",
)
FIGURES = COLUMNS[2:]
# --check: largest relative difference between a regenerated figure and the committed one.
REL_TOL = 1e-9
# Significant digits written: more than CACTI prints (6), so the arithmetic adds no rounding of its own.
DIGITS = 12
PROG = "make_sram_table"


class ModelUnavailable(Exception):
    """hwcomponents-cacti is not installed here, or its CACTI binary does not run."""


def sidecar_path(output: Path) -> Path:
    return output.with_name(output.name.removesuffix(".csv") + ".source.txt")


def cacti_folder() -> Path:
    """The folder of the CACTI sources and binary shipped inside hwcomponents-cacti."""
    spec = importlib.util.find_spec("hwcomponents_cacti")
    if spec is None or spec.origin is None:
        raise ModelUnavailable(
            f"hwcomponents-cacti is not installed for {sys.executable} (Python {sys.version.split()[0]}): "
            "in a Python >= 3.12 venv run `pip install hwcomponents-cacti==1.0.40` (see docs/sram_model.md)")
    return Path(spec.origin).parent / "cacti"


def check_binary_runs(folder: Path) -> None:
    """CACTI run without arguments prints its usage; a binary built against a newer C library does not."""
    binary = folder / "cacti"
    rebuild = f"rebuild it with `cd {folder} && rm -rf obj_dbg && make`"
    if not binary.is_file():
        raise ModelUnavailable(f"the CACTI binary {binary} is missing: {rebuild}")
    try:
        proc = subprocess.run([str(binary)], cwd=folder, capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise ModelUnavailable(f"the CACTI binary {binary} cannot run ({exc}): {rebuild}") from None
    if "how to use CACTI" not in proc.stdout + proc.stderr:
        reason = (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}").splitlines()[0]
        raise ModelUnavailable(f"the CACTI binary {binary} cannot run ({reason}): {rebuild}")


def cacti_version(folder: Path) -> str:
    header = (folder / "version_cacti.h").read_text(encoding="utf-8", errors="replace")
    fields = dict(re.findall(r"#define\s+VER_(\w+)_CACTI\s+(\S.*?)\s*(?:/\*.*)?$", header, re.MULTILINE))
    if not {"MAJOR", "MINOR"} <= fields.keys():
        return "CACTI (version not stated in its version_cacti.h)"
    comment = ", ".join(v for k in ("COMMENT", "UPDATE") if (v := fields.get(k, "").strip('"')))
    return f"CACTI {fields['MAJOR']}.{fields['MINOR']}" + (f" ({comment})" if comment else "")


def package_settings(folder: Path) -> list[str]:
    """The lines of the package's CACTI configuration that decide what an SRAM point models."""
    wanted = ("-Data array cell type", "-Data array peripheral type", "-operating temperature",
              "-access mode", "-design objective", "-deviate", "-Optimize ED", "-Cache model",
              "-Wire inside mat", "-Wire outside mat", "-Interconnect projection", "-Add ECC")
    lines = (folder.parent / "default_cfg.cfg").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.startswith(wanted)]


def model_point(point: tuple[int, int]) -> tuple[tuple[int, int], dict[str, float] | None, str | None]:
    """CACTI's figures for one node (nm) and size (bytes): (point, row, None), or (point, None, why not)."""
    node_nm, size_bytes = point
    from hwcomponents_cacti import SRAM

    # n / 1e9 comes back to exactly n nm inside the package; 22e-9 would come back as 22.000000000000004
    # and be interpolated (with a weight of 4e-16) between the 22 nm and the 32 nm runs.
    tech_node_m = node_nm / 1e9
    bits = 8 * size_bytes
    try:
        sram = SRAM(tech_node=tech_node_m, width=PORT_BITS, size=bits)
        if sram.tech_node != node_nm:
            return point, None, f"the package interpolated between nodes for {node_nm} nm ({sram.tech_node})"
        area_m2 = sram.area
        leak_w = sram.leak_power
        read_j = sram.read().energy
        write_j = sram.write().energy
    except Exception as exc:  # CACTI's failure for this point is recorded, not raised
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return point, None, f"{type(exc).__name__}: {message}"
    per_macro = {
        "macro_area_um2": area_m2 * 1e12,
        "read_pj_per_access": read_j * 1e12,
        "write_pj_per_access": write_j * 1e12,
        "leakage_uw": leak_w * 1e6,
    }
    bad = {k: v for k, v in per_macro.items() if not (math.isfinite(v) and v > 0)}
    if bad:
        return point, None, "CACTI returned a non-positive or non-finite figure: " + ", ".join(
            f"{k}={v!r}" for k, v in bad.items())
    row = {
        "area_um2_per_bit": per_macro["macro_area_um2"] / bits,
        "read_pj_per_bit": per_macro["read_pj_per_access"] / PORT_BITS,
        "write_pj_per_bit": per_macro["write_pj_per_access"] / PORT_BITS,
        "leakage_pw_per_bit": per_macro["leakage_uw"] * 1e6 / bits,
        **per_macro,
    }
    return point, {k: float(f"{v:.{DIGITS}g}") for k, v in row.items()}, None


def model_points(points: list[tuple[int, int]], jobs: int) -> tuple[dict, dict]:
    """Every point through CACTI, `jobs` at a time: (rows by point, failure reasons by point)."""
    rows, failures = {}, {}
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(points)))) as pool:
        for point, row, failure in pool.map(model_point, points):
            if row is None:
                failures[point] = failure
            else:
                rows[point] = row
    return rows, failures


def format_figure(value: float) -> str:
    return repr(value)


def write_table(output: Path, rows: dict, failures: dict, folder: Path, command: str) -> None:
    """The table (sorted by node then size) and its sidecar, each written whole or not at all."""
    output.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(COLUMNS)]
    for node_nm, size_bytes in sorted(rows):
        row = rows[node_nm, size_bytes]
        lines.append(",".join([str(node_nm), str(size_bytes), *(format_figure(row[k]) for k in FIGURES)]))
    write_whole(output, "\n".join(lines) + "\n")
    write_whole(sidecar_path(output), source_text(output, rows, failures, folder, command))


def write_whole(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def size_label(size_bytes: int) -> str:
    return f"{size_bytes // 2**20} MiB" if size_bytes >= 2**20 else f"{size_bytes // 2**10} KiB"


def source_text(output: Path, rows: dict, failures: dict, folder: Path, command: str) -> str:
    versions = {name: importlib.metadata.version(name) for name in ("hwcomponents-cacti", "hwcomponents")}
    total = len(NODES_NM) * len(SIZES_BYTES)
    missing = [f"  {node} nm, {size_label(size)} ({size} bytes): {failures[node, size]}"
               for node, size in sorted(failures)] or ["  none: CACTI modelled every point."]
    settings = [f"  {line}" for line in package_settings(folder)]
    return "\n".join([
        f"{output.name}: SRAM macro figures from a model (CACTI), not measurements.",
        "",
        f"Tool: {cacti_version(folder)}, run through hwcomponents-cacti {versions['hwcomponents-cacti']}"
        f" (hwcomponents {versions['hwcomponents']}), class hwcomponents_cacti.SRAM (CACTI cache type \"ram\"),",
        "the CACTI binary built from the sources shipped in that package (`rm -rf obj_dbg && make` in its cacti/).",
        "Cells and settings: the package's default_cfg.cfg, of which these lines decide what is modelled:",
        *settings,
        f"Port: one {PORT_BITS}-bit read/write port, one bank: SRAM(tech_node=node_nm / 1e9, width={PORT_BITS},"
        " size=8 * size_bytes).",
        "Each point is one CACTI run at the exact node and size: the nodes are CACTI's own technology files",
        "(no interpolation between nodes) and the sizes need no scaling by the package (width >= 32 bits,",
        "depth >= 64 words).",
        f"Points: nodes {', '.join(map(str, NODES_NM))} nm x sizes {size_label(SIZES_BYTES[0])} to"
        f" {size_label(SIZES_BYTES[-1])} in powers of two; {len(rows)} of {total} points in the table.",
        "",
        "Columns (all per macro of size_bytes with one port; per-bit figures divide by the macro's bits,"
        f" 8 * size_bytes, or by the port's {PORT_BITS} bits for an access):",
        "  node_nm: technology node, nm. size_bytes: macro capacity, bytes.",
        "  area_um2_per_bit: macro area / bits, um^2. macro_area_um2: CACTI's area, um^2.",
        f"  read_pj_per_bit, write_pj_per_bit: dynamic energy of one {PORT_BITS}-bit access / {PORT_BITS}, pJ.",
        f"  read_pj_per_access, write_pj_per_access: CACTI's dynamic read/write energy of one {PORT_BITS}-bit"
        " access, pJ.",
        "  leakage_pw_per_bit: macro standby leakage / bits, pW. leakage_uw: CACTI's standby leakage, uW.",
        f"Figures are written to {DIGITS} significant digits; CACTI itself prints 6.",
        "",
        "Points left out (CACTI could not model them):",
        *missing,
        "",
        f"Regenerate (Python >= 3.12 with hwcomponents-cacti, see docs/sram_model.md): {command}",
        "Check the committed table against the model: python tools/make_sram_table.py --check",
        f"Generated: {datetime.date.today().isoformat()}",
        "",
    ])


def read_table(path: Path) -> dict[tuple[int, int], dict[str, float]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {(int(r["node_nm"]), int(r["size_bytes"])): {k: float(r[k]) for k in FIGURES}
                for r in csv.DictReader(f)}


def differences(committed: dict, rows: dict, failures: dict, points: list[tuple[int, int]]) -> list[str]:
    """One line per point whose regenerated figures differ from the committed ones."""
    lines = []
    for point in points:
        where = f"{point[0]} nm, {point[1]} bytes"
        old, new = committed.get(point), rows.get(point)
        if old is None and new is None:
            continue  # left out of both: CACTI fails there, as the sidecar says
        if old is None:
            lines.append(f"{where}: not in the committed table, now modelled")
        elif new is None and point not in failures:
            lines.append(f"{where}: in the committed table, but not a point of this script")
        elif new is None:
            lines.append(f"{where}: in the committed table, now CACTI fails ({failures[point]})")
        else:
            changed = [f"{k} {old[k]!r} -> {new[k]!r}" for k in FIGURES
                       if not math.isclose(old[k], new[k], rel_tol=REL_TOL, abs_tol=0.0)]
            if changed:
                lines.append(f"{where}: " + "; ".join(changed))
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT,
                        help="the table to write (or, with --check, to compare with); the sidecar goes beside it")
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and compare with the table; exit 1 on any difference")
    parser.add_argument("--node", type=int, action="append", choices=NODES_NM, metavar="NM",
                        help="with --check: only this node (repeatable)")
    parser.add_argument("--size", type=int, action="append", choices=SIZES_BYTES, metavar="BYTES",
                        help="with --check: only this size in bytes (repeatable)")
    parser.add_argument("--jobs", "-j", type=int, default=min(2, os.cpu_count() or 1),
                        help="CACTI runs at a time (default: up to 2)")
    args = parser.parse_args(argv)
    if (args.node or args.size) and not args.check:
        parser.error("--node and --size select points for --check only: the table is written whole")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        folder = cacti_folder()
        check_binary_runs(folder)
    except ModelUnavailable as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    if args.check and not args.output.is_file():
        print(f"{PROG}: error: {args.output}: no such table to check", file=sys.stderr)
        return 2
    points = [(n, s) for n in (args.node or NODES_NM) for s in (args.size or SIZES_BYTES)]
    rows, failures = model_points(points, args.jobs)
    if args.check:
        try:
            committed = read_table(args.output)
        except (KeyError, ValueError) as exc:
            print(f"{PROG}: error: {args.output}: not a table of this script ({exc})", file=sys.stderr)
            return 2
        if not (args.node or args.size):
            points += sorted(set(committed) - set(points))
        lines = differences(committed, rows, failures, points)
        for line in lines:
            print(line)
        print(f"{args.output.name}: {len(points) - len(lines)} of {len(points)} points match"
              f" (relative tolerance {REL_TOL:g})", file=sys.stderr)
        return 1 if lines else 0
    command = "python tools/make_sram_table.py" + (
        "" if args.output.resolve() == DEFAULT_OUTPUT else f" --output {args.output}")
    write_table(args.output, rows, failures, folder, command)
    for (node, size), why in sorted(failures.items()):
        print(f"{PROG}: left out {node} nm, {size} bytes: {why}", file=sys.stderr)
    print(f"wrote {args.output} ({len(rows)} points) and {sidecar_path(args.output).name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
