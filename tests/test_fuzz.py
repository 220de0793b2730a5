"""Fuzzing the loaders: mutated copies of the real SCALE-Sim runs and AI Engine traces of tests/data
(tests/fuzz_mutations.py), each ingested in-process into a copy of a warehouse that already holds a
good run, and judged against a strict, independent reading of the mutated input (tests/fuzz_oracle.py).

Every case must end in one of:
  - accepted: the input is valid and the warehouse's rows for the run (reports, accesses; AI Engine
    events and per-core results) equal the oracle's;
  - refused: a GsdbError whose message is one line naming the mutated file (or, for files that
    disagree, the run folder), with every row of every table of the warehouse unchanged;
  - refused although valid: allowed (e.g. a value beyond what the warehouse stores), except for kinds
    whose input is still exactly what the tool writes (`must_accept`).
Failures: an invalid input accepted (a silent wrong accept), valid input accepted with other values,
a refusal that is not one line, does not name the file or changed the warehouse, and any exception
other than GsdbError.

The default run (GSDB_FUZZ_CASES=2 cases per kind, GSDB_FUZZ_SEED=13) is what CI runs; raise
GSDB_FUZZ_CASES for a longer local run. `test_fuzz_summary`, last, prints the outcome counts per kind;
GSDB_FUZZ_REPORT=FILE.json also writes every case's outcome there, and the failures grouped by kind
with an example each to FILE.md.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import fuzz_mutations as fm
import numpy as np
import pytest
from aie_compare import PARAMS, warehouse_cores
from aie_reference import analyse
from conftest import AIE_DATA, SCALESIM_SAMPLES, copy_run, warehouse_fingerprint
from fuzz_oracle import (
    BUFFERS,
    LEVELS,
    Invalid,
    ScalesimRun,
    aie_events,
    read_aie_events,
    read_scalesim_run,
)

import gainsight_db
from gainsight_db import GsdbError

CASES = fm.cases()
AIE_OPTIONS = dict(M=PARAMS.M, K=PARAMS.K, N=PARAMS.N, m=PARAMS.m, k=PARAMS.k, n=PARAMS.n, row=PARAMS.rows,
                   col=PARAMS.cols, hwid=PARAMS.hwid, warmup=PARAMS.warmup, iterations=PARAMS.iterations)
GOOD_RUN = "v3_api_tiny_8x8_ws"
GOOD_TRACE = "Xilinx_mlir-aie__section-4b__trace_4b.json"

OK_OUTCOMES = ("accepted", "refused", "refused-valid")
FAILURES = ("wrong-accept", "wrong-values", "bad-refusal", "crash")


@dataclass
class Outcome:
    case: str
    kind: str
    family: str
    sample: str
    outcome: str  # one of OK_OUTCOMES or FAILURES
    ok: bool
    mutation: str
    oracle: str  # 'valid' or why the input is invalid
    gsdb: str  # what gsdb did: the error, or the differences found
    seconds: float
    documented: str = ""  # the docs' rule that accepts this input, if any

    def explain(self) -> str:
        note = f"\n  note: the oracle is strict, but {self.documented}" if self.documented else ""
        return (f"{self.outcome}: {self.kind} on {self.sample}\n  mutation: {self.mutation}\n"
                f"  oracle: {self.oracle}\n  gsdb: {self.gsdb}{note}")


RESULTS: dict[str, Outcome] = {}


# The template warehouse ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, str]:
    """A warehouse holding a good SCALE-Sim run and a good AI Engine trace, and its fingerprint."""
    root = tmp_path_factory.mktemp("fuzz_template")
    run_dir = copy_run(GOOD_RUN, root / "data")
    trace = root / "data" / GOOD_TRACE
    shutil.copyfile(AIE_DATA / GOOD_TRACE, trace)
    db = root / "wh" / "gainsight.duckdb"
    with gainsight_db.connect(db) as wh:
        wh.ingest(run_dir)
        wh.ingest(trace, **AIE_OPTIONS)
    return db, warehouse_fingerprint(db)


def _copy_warehouse(template_db: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for source in template_db.parent.iterdir():
        if source.name.startswith(template_db.name):  # the file and a WAL, if any
            shutil.copy2(source, folder / source.name)
    return folder / template_db.name


# What the warehouse holds, next to the oracle -----------------------------------------------------
def _column(header: str) -> str:
    """The warehouse's column for a SCALE-Sim report header (docs: `Overall Util %` -> overall_util_pct)."""
    out = "".join(ch if ch.isalnum() else "_" for ch in header.lower().replace("%", " pct"))
    return "_".join(part for part in out.split("_") if part)


_REPORT_TABLES = {
    "COMPUTE_REPORT.csv": ("compute_report", ("Total Cycles (incl. prefetch)", "Total Cycles", "Stall Cycles",
                                              "Overall Util %", "Mapping Efficiency %", "Compute Util %")),
    "BANDWIDTH_REPORT.csv": ("bandwidth_report", ("Avg IFMAP SRAM BW", "Avg FILTER SRAM BW",
                                                  "Avg FILTER Metadata SRAM BW", "Avg OFMAP SRAM BW",
                                                  "Avg IFMAP DRAM BW", "Avg FILTER DRAM BW", "Avg OFMAP DRAM BW")),
    "DETAILED_ACCESS_REPORT.csv": ("access_report", tuple(
        f"{level} {buffer} {what}"
        for level in ("SRAM", "DRAM")
        for buffer, count in (("IFMAP", "Reads"), ("Filter", "Reads"), ("OFMAP", "Writes"))
        for what in ("Start Cycle", "Stop Cycle", count)
    )),
}


def _warehouse_accesses(con, run_id: int) -> np.ndarray:
    buffer = " ".join(f"WHEN '{b}' THEN {i}" for i, b in enumerate(BUFFERS))
    level = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(LEVELS))
    got = con.execute(
        f"""SELECT layer, CASE buffer {buffer} END AS b, CASE level {level} END AS v, cycle, addr
            FROM accesses WHERE run_id = ? ORDER BY ALL""",
        [run_id],
    ).fetchnumpy()
    return np.column_stack([np.asarray(got[c], dtype=np.int64) for c in ("layer", "b", "v", "cycle", "addr")]) \
        if len(got["layer"]) else np.empty((0, 5), dtype=np.int64)


def _multiset_difference(got: np.ndarray, expected: np.ndarray) -> tuple[list, list]:
    """Rows stored but not expected and rows expected but not stored, each as (row, times)."""
    rows = np.concatenate([got, expected])
    sign = np.concatenate([np.ones(len(got), dtype=np.int64), -np.ones(len(expected), dtype=np.int64)])
    order = np.lexsort(rows.T[::-1])
    rows, sign = rows[order], sign[order]
    starts = np.flatnonzero(np.concatenate([[True], np.any(rows[1:] != rows[:-1], axis=1)]))
    unique, balance = rows[starts], np.add.reduceat(sign, starts)
    extra = [(tuple(unique[i].tolist()), int(balance[i])) for i in np.flatnonzero(balance > 0)]
    missing = [(tuple(unique[i].tolist()), int(-balance[i])) for i in np.flatnonzero(balance < 0)]
    return extra, missing


def _access_differences(got: np.ndarray, expected: np.ndarray) -> list[str]:
    if got.shape == expected.shape and np.array_equal(got, expected):
        return []

    def name(r):
        return f"layer {r[0]} {BUFFERS[r[1]]} {LEVELS[r[2]]} cycle {r[3]} addr {r[4]}"
    extra, missing = _multiset_difference(got, expected)
    out = [f"accesses: {got.shape[0]} stored, {expected.shape[0]} expected"]
    out += [f"stored but not expected: {name(r)} (x{n})" for r, n in extra[:2]]
    out += [f"expected but not stored: {name(r)} (x{n})" for r, n in missing[:2]]
    return out


def scalesim_differences(con, run_id: int, expected: ScalesimRun) -> list[str]:
    out = []
    version, layers = con.execute("SELECT format_version, layer_count FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if (version, layers) != (expected.format_version, len(expected.layers)):
        out.append(f"runs: format {version}, {layers} layers; expected {expected.format_version}, "
                   f"{len(expected.layers)} layers")
    for name, (table, headers) in _REPORT_TABLES.items():
        report = expected.reports[name]
        columns = [_column(h) for h in headers]
        got = con.execute(f"SELECT layer, {', '.join(columns)} FROM {table} WHERE run_id = ? ORDER BY ALL",
                          [run_id]).fetchall()
        want = [(layer, *(values[report.columns.index(h)] if h in report.columns else None for h in headers))
                for layer, values in sorted(report.rows.items())]
        if [r[0] for r in got] != [r[0] for r in want]:
            out.append(f"{table}: rows of layers {[r[0] for r in got]} stored, of {[r[0] for r in want]} expected")
        else:
            for g, w in zip(got, want):
                if g != w:
                    diffs = [f"{c} stored {a!r}, expected {b!r}" for c, a, b in zip(("layer", *columns), g, w) if a != b]
                    out.append(f"{table} row of layer {w[0]}: {'; '.join(diffs)}")
                    break
    return out + _access_differences(_warehouse_accesses(con, run_id), expected.accesses)


def _warehouse_events(con, run_id: int) -> list[tuple]:
    rows = con.execute(
        "SELECT event_index, raw_name, name, ph, ts, pid, tid, args FROM aie_events WHERE run_id = ? ORDER BY event_index",
        [run_id],
    ).fetchall()
    return [(i, raw, name, ph, ts, pid, tid, json.loads(args) if args is not None else None)
            for i, raw, name, ph, ts, pid, tid, args in rows]


def aie_differences(con, run_id: int, events: list[dict]) -> list[str]:
    got = _warehouse_events(con, run_id)
    want = [(i, e.raw_name, e.name, e.ph, e.ts, e.pid, e.tid, e.args) for i, e in enumerate(aie_events(events))]
    out = []
    if got != want:
        out.append(f"events: {len(got)} stored, {len(want)} expected")
        fields = ("index", "raw_name", "name", "ph", "ts", "pid", "tid", "args")
        for g, w in zip(got, want):
            if g != w:
                diffs = [f"{f} stored {a!r}, expected {b!r}" for f, a, b in zip(fields, g, w) if a != b]
                out.append(f"event {w[0]}: {'; '.join(diffs)}")
                break
        return out
    try:
        cores = warehouse_cores(con, run_id)
    except AssertionError as err:  # the helper's own check of the stored cores
        return [f"aie_cores: {err or 'a core without kernels has a median or boundary count'}"]
    reference = analyse(events, PARAMS)
    if cores != reference:
        out.append(f"per-core results differ from tests/aie_reference.py: stored "
                   f"{[(c['tile_name'], c['detected_total_iterations']) for c in cores]}, expected "
                   f"{[(c['tile_name'], c['detected_total_iterations']) for c in reference]}")
    return out


@functools.lru_cache(maxsize=None)
def _pristine(family: str, sample: str):
    """The oracle's reading of an unmutated sample: what a wrongly accepted input is shown against."""
    if family == "aie":
        return read_aie_events(AIE_DATA / sample)
    return read_scalesim_run(SCALESIM_SAMPLES[sample])


def _what_was_stored(con, run_id: int, case: fm.Case) -> str:
    """For an input the oracle refuses: how the stored run differs from the unmutated sample's."""
    pristine = _pristine(case.kind.family, case.sample)
    if case.kind.family == "aie":
        diffs = aie_differences(con, run_id, pristine)
    else:
        diffs = scalesim_differences(con, run_id, pristine)
    if not diffs:
        return "accepted, storing exactly the unmutated sample's values"
    return "accepted; against the unmutated sample: " + " | ".join(diffs)


# One case -----------------------------------------------------------------------------------------
def run_case(case: fm.Case, template: tuple[Path, str], tmp_path: Path) -> Outcome:
    started = time.perf_counter()
    template_db, before = template
    family = case.kind.family
    if family == "aie":
        target = tmp_path / "data" / case.sample
        target.parent.mkdir(parents=True)
        shutil.copyfile(AIE_DATA / case.sample, target)
        target.chmod(0o644)
        options = AIE_OPTIONS
    else:
        target = copy_run(case.sample, tmp_path / "data")
        options = {}
    mutation = case.kind.mutate(target, case.rng())

    try:
        expected = read_aie_events(target) if family == "aie" else read_scalesim_run(target)
        invalid = None
    except Invalid as err:
        expected, invalid = None, str(err).replace(str(tmp_path), "<case>")

    db = _copy_warehouse(template_db, tmp_path / "wh")
    warnings: list[str] = []
    error: GsdbError | None = None
    crash = None
    differences: list[str] | None = None
    stored = ""
    with gainsight_db.connect(db, warn=warnings.append) as wh:
        try:
            results = wh.ingest(target, **options)
        except GsdbError as err:
            error = err
        except Exception as err:  # anything but GsdbError is a crash
            frame = traceback.extract_tb(err.__traceback__)[-1]
            crash = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''} " \
                    f"(at {Path(frame.filename).name}:{frame.lineno})"
        else:
            if len(results) != 1:
                differences = [f"{len(results)} runs ingested from one input"]
            elif invalid is None:
                compare = aie_differences if family == "aie" else scalesim_differences
                differences = compare(wh.connection, results[0].run_id, expected)
            else:
                stored = _what_was_stored(wh.connection, results[0].run_id, case)

    if crash is not None:
        outcome, gsdb = "crash", crash
    elif error is not None:
        message = str(error)
        problems = []
        if len(message.splitlines()) != 1:
            problems.append(f"the message has {len(message.splitlines())} lines")
        named = any(str(p) in message for p in (mutation.path, mutation.path.resolve())) or mutation.path.name in message
        run_named = any(str(p) in message for p in (target, target.resolve()))
        if not named and not (mutation.run_level and run_named):
            problems.append("the message does not name the mutated file")
        if warehouse_fingerprint(db) != before:
            problems.append("the warehouse changed")
        if problems:
            outcome = "bad-refusal"
        else:
            outcome = "refused" if invalid else "refused-valid"
        gsdb = f"refused: {message}" + (f" [{'; '.join(problems)}]" if problems else "")
    elif invalid is not None:
        outcome, gsdb = "wrong-accept", stored
    elif differences:
        outcome, gsdb = "wrong-values", "accepted with other values: " + " | ".join(differences)
    else:
        outcome, gsdb = "accepted", "accepted, values equal the oracle's"
    if warnings:
        gsdb += f" (warnings: {' | '.join(warnings)})"
    ok = outcome in ("accepted", "refused") or (outcome == "refused-valid" and not case.kind.must_accept)
    gsdb = gsdb.replace(str(tmp_path), "<case>")
    return Outcome(case.id, case.kind.name, family, case.sample, outcome, ok,
                   mutation.what, invalid or "valid", gsdb, round(time.perf_counter() - started, 3),
                   case.kind.documented if outcome == "wrong-accept" else "")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fuzz_case(case: fm.Case, template, tmp_path):
    outcome = run_case(case, template, tmp_path)
    RESULTS[case.id] = outcome
    if outcome.ok:
        shutil.rmtree(tmp_path / "data", ignore_errors=True)  # keep only the failures' inputs
    assert outcome.ok, outcome.explain()


# The summary --------------------------------------------------------------------------------------
def summary_lines(results: dict[str, Outcome]) -> list[str]:
    columns = OK_OUTCOMES + FAILURES
    per_kind: dict[str, Counter] = {}
    for r in results.values():
        per_kind.setdefault(r.kind, Counter())[r.outcome] += 1
    width = max([len(k) + 1 for k in per_kind] + [10])
    head = f"{'kind':<{width}} {'cases':>5} " + " ".join(f"{c:>13}" for c in columns)
    lines = [head, "-" * len(head)]
    totals: Counter = Counter()
    for family in ("trace", "report", "aie"):
        kinds = [k for k in fm.KINDS.values() if k.family == family and k.name in per_kind]
        family_total: Counter = Counter()
        for k in kinds:
            counts = per_kind[k.name]
            family_total.update(counts)
            mark = "*" if k.must_accept else ("+" if k.documented else " ")
            lines.append(f"{k.name + mark:<{width}} {sum(counts.values()):>5} "
                         + " ".join(f"{counts[c] or '':>13}" for c in columns))
        if kinds:
            lines.append(f"{'= ' + family:<{width}} {sum(family_total.values()):>5} "
                         + " ".join(f"{family_total[c] or '':>13}" for c in columns))
        totals.update(family_total)
    lines.append(f"{'= all':<{width}} {sum(totals.values()):>5} " + " ".join(f"{totals[c] or '':>13}" for c in columns))
    lines.append("(* must_accept: the input stays what the tool writes, refusing it is a failure; "
                 "+ docs/definitions.md accepts this input, the oracle does not)")
    return lines


def failures_markdown(results: dict[str, Outcome]) -> str:
    """The failures grouped by kind, with one example each: what the loader fixes are checked against."""
    by_kind: dict[str, list[Outcome]] = {}
    for r in results.values():
        if not r.ok:
            by_kind.setdefault(r.kind, []).append(r)
    out = [f"# Fuzz failures: {sum(map(len, by_kind.values()))} of {len(results)} cases, {len(by_kind)} kinds", ""]
    for name, failed in by_kind.items():
        kinds = Counter(r.outcome for r in failed)
        cases = sum(r.kind == name for r in results.values())
        changed = [r for r in failed if r.outcome != "wrong-accept" or "exactly the unmutated" not in r.gsdb]
        example = (changed or failed)[0]
        stored = sum(r.outcome == "wrong-accept" and r in changed for r in failed)
        also = f"; {stored} of the wrong accepts stored values other than the unmutated sample's" if stored else ""
        out += [f"## {name}: {len(failed)} of {cases} failed "
                f"({', '.join(f'{n} {k}' for k, n in kinds.items())}{also})", "",
                f"- sample: `{example.sample}`", f"- mutation: {example.mutation}", f"- oracle: {example.oracle}",
                f"- gsdb: {example.gsdb}"]
        if example.documented:
            out.append(f"- note: {example.documented}")
        out.append("")
    return "\n".join(out)


def test_fuzz_summary(request):
    """Last: every case of the run has an outcome; the table of outcomes per kind goes to the terminal
    (and every outcome to $GSDB_FUZZ_REPORT when set)."""
    selected = {item.callspec.id for item in request.session.items
                if item.originalname == "test_fuzz_case" and item.module is request.module}
    missing = selected - set(RESULTS)
    assert not missing, f"{len(missing)} case(s) without an outcome, e.g. {sorted(missing)[:5]}"
    elapsed = sum(r.seconds for r in RESULTS.values())  # the cases themselves, not the rest of the session
    lines = summary_lines(RESULTS)
    failed = sum(not r.ok for r in RESULTS.values())
    lines.append(f"{len(RESULTS)} fuzz cases taking {elapsed:.1f} s ({failed} failed), "
                 f"GSDB_FUZZ_CASES={os.environ.get('GSDB_FUZZ_CASES', fm.DEFAULT_CASES)} "
                 f"GSDB_FUZZ_SEED={os.environ.get('GSDB_FUZZ_SEED', fm.DEFAULT_SEED)}")
    report = os.environ.get("GSDB_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps([asdict(r) for r in RESULTS.values()], indent=1) + "\n")
        Path(report).with_suffix(".md").write_text(failures_markdown(RESULTS))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)
