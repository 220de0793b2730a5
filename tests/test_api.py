"""The Python API (`gainsight_db.connect` and its Warehouse): the README's example as written, every
`gsdb report` equal to the API's DataFrame for the same arguments, and what the API refuses."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from aie_compare import CORE0, CORE1, PARAMS, write_trace
from conftest import EXAMPLE_RUN, REPO, cli_runner

import gainsight_db as gsdb
from gainsight_db import GsdbError


def _readme_python() -> str:
    (block,) = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    return block


def test_the_readme_example_runs_as_written_from_the_repository_root():
    """The README's Python example, run from the repository root (where the source folder gainsight_db/
    comes first on sys.path), ingests the bundled run and shows its runs and per-layer table."""
    code = _readme_python()
    (db,) = re.findall(r'gsdb\.connect\("([^"]+)"\)', code)
    target = REPO / db
    assert target.parent.name == "warehouse"  # never committed (see .gitignore)
    # A reader's own notebook warehouse at that path is set aside and put back afterwards.
    kept = [p for p in target.parent.glob(target.name + "*") if p.is_file()]
    aside = {p: p.with_name(f".{p.name}.kept-by-tests") for p in kept}
    for original, moved in aside.items():
        original.rename(moved)
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "tiny_8x8_ws" in proc.stdout and "Figure" in proc.stdout
    finally:
        for made in target.parent.glob(target.name + "*"):
            if made.is_file():
                made.unlink()
        for original, moved in aside.items():
            moved.rename(original)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The bundled run and a synthetic two-core AI Engine trace, ingested through the API."""
    folder = tmp_path_factory.mktemp("api")
    db = folder / "w.duckdb"
    trace = write_trace(folder / "gemm.json", CORE0 + CORE1)
    with gsdb.connect(db) as wh:
        wh.ingest(EXAMPLE_RUN)
        # core 1 has 2 iterations of the 1 + 2 expected: the API warns as `gsdb ingest` does
        with pytest.warns(gsdb.GsdbWarning, match=r"gemm\.json: expected 3 iterations .* detected 2 on tile1,2"):
            wh.ingest(trace, M=PARAMS.M, K=PARAMS.K, N=PARAMS.N, m=PARAMS.m, k=PARAMS.k, n=PARAMS.n,
                      row=PARAMS.rows, col=PARAMS.cols, hwid=PARAMS.hwid, warmup=PARAMS.warmup,
                      iterations=PARAMS.iterations)
    return db


def _plain(value):
    """A DataFrame cell as the JSON output writes it: None for missing, Python numbers, ISO times,
    lists for list columns."""
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _same(cli_value, api_value) -> bool:
    """Equal; floats to 1e-12 relative, since DuckDB sums doubles in parallel, in an order that may
    differ from one run of a query to the next (the last bit of a sum can change)."""
    if isinstance(cli_value, float) and isinstance(api_value, float):
        return math.isclose(cli_value, api_value, rel_tol=1e-12) or (math.isnan(cli_value) and math.isnan(api_value))
    return cli_value == api_value


CASES = [
    ("layers", {}),
    ("layers", {"run": "tiny_8x8_ws"}),
    ("layers", {"run": "1", "layer": 1, "buffer": "ofmap"}),
    ("run", {}),
    ("run", {"run": "tiny_8x8_ws", "buffer": "filter"}),
    ("lifetimes", {"run": "tiny_8x8_ws", "layer": 0, "buffer": "ifmap"}),
    ("histogram", {"run": "tiny_8x8_ws"}),
    ("histogram", {"layer": 2}),
    ("memtech", {"run": "tiny_8x8_ws"}),
    ("memtech", {"run": "tiny_8x8_ws", "clock_hz": 2e9, "word_bits": 8}),
    ("composition", {"run": "tiny_8x8_ws", "threshold_s": 1e-6}),
    ("aie", {}),
    *[("aie", {"level": level}) for level in ("iterations", "cores", "aggregate", "summary", "kernels", "stalls")],
    ("aie", {"run": "gemm", "level": "cores"}),
]


@pytest.mark.parametrize("name,arguments", CASES, ids=[f"{n}-{'-'.join(map(str, a.values()))}" for n, a in CASES])
def test_every_report_equals_the_api_dataframe(warehouse, name, arguments):
    """`gsdb report NAME --opt V ... -f json` gives the same columns, rows and values as
    `Warehouse.report(NAME, opt=V, ...)`."""
    flags = [item for key, value in arguments.items() for item in (f"--{key.replace('_', '-')}", str(value))]
    printed = json.loads(cli_runner(warehouse)("report", name, *flags, "-f", "json").stdout)
    with gsdb.connect(warehouse) as wh:
        frame = wh.report(name, **arguments)
    assert len(frame) > 0, "a case must report something"
    assert [list(row) for row in printed] == [list(frame.columns)] * len(printed)
    rows = [[_plain(v) for v in row] for row in frame.itertuples(index=False)]
    assert len(rows) == len(printed)
    mismatches = [(i, c) for i, (got, want) in enumerate(zip(printed, rows))
                  for c, (g, w) in enumerate(zip(got.values(), want)) if not _same(g, w)]
    assert mismatches == []


def test_read_methods_return_dataframes_and_relations(warehouse):
    with gsdb.connect(warehouse, read_only=True) as wh:
        runs = wh.runs()
        assert list(runs["name"]) == ["tiny_8x8_ws", "gemm"] and list(runs["kind"]) == ["scalesim", "aie"]
        relation = wh.sql("SELECT buffer, count(*) AS n FROM accesses GROUP BY ALL ORDER BY n")
        assert relation.fetchall() == [tuple(r) for r in relation.df().itertuples(index=False)]
        assert relation.arrow().read_all().num_rows == 3
        assert wh.sql("SELECT ?::INTEGER + 1 AS x", [41]).fetchall() == [(42,)]
        assert wh.sql("SELECT 1 AS x FROM (SELECT 1) AS t(y) LIMIT 1", dialect="postgres").fetchall() == [(1,)]
        tables = wh.tables().set_index("name")
        assert tables.loc["accesses", "rows"] == wh.sql("SELECT count(*) FROM accesses").fetchall()[0][0]
        assert list(wh.schema("lifetimes").columns) == ["column", "type", "description"]
        assert wh.audit(all=True)["run"].eq("tiny_8x8_ws").all()
        with pytest.raises(GsdbError, match="opened read-only"):
            wh.ingest(EXAMPLE_RUN)
        # a report computes with the settings it is given, storing nothing: a read-only warehouse is enough
        assert set(wh.report("memtech", run="tiny_8x8_ws", clock_hz=3e9)["clock_hz"]) == {3e9}
        assert set(wh.report("memtech", run="tiny_8x8_ws")["clock_hz"]) == {1e9}
        with pytest.raises(GsdbError, match="opened read-only"):
            wh.set_memtech("tiny_8x8_ws", clock_hz=3e9)


def test_plots_are_figures_and_files_only_when_asked(warehouse, tmp_path):
    with gsdb.connect(warehouse, read_only=True) as wh:
        figure = wh.plot("lifetimes", run="tiny_8x8_ws")
        assert type(figure).__name__ == "Figure" and len(figure.axes) == 3
        assert list(tmp_path.iterdir()) == []
        wh.plot("runs", out=tmp_path / "runs.svg")
        assert (tmp_path / "runs.svg").read_text().lstrip().startswith("<?xml")
        with pytest.raises(GsdbError, match="no such picture"):
            wh.plot("pie", run="tiny_8x8_ws")


@pytest.mark.parametrize("call,message", [
    (lambda wh: wh.report("nope"), "no such report"),
    (lambda wh: wh.report("layers", layer=99), "no such layer"),
    (lambda wh: wh.report("run", layer=0), "has no layer filter"),
    (lambda wh: wh.report("layers", buffer="psum"), "buffer 'psum'"),
    (lambda wh: wh.report("aie", level="boundaries"), "unknown level"),
    (lambda wh: wh.report("layers", colour="red"), "unknown setting"),
    (lambda wh: wh.report("memtech", run="tiny_8x8_ws", clock_hz=float("inf")), "finite number"),
    (lambda wh: wh.report("memtech", run="tiny_8x8_ws", word_bits=0), ">= 1"),
    (lambda wh: wh.ingest(EXAMPLE_RUN, M=2.5), "M 2.5: expected an integer"),
    (lambda wh: wh.ingest(), "at least one"),
    (lambda wh: wh.export("zip", "x", run=1), "no such export"),
    (lambda wh: wh.export("gainsight", "x", run=[1, 2]), "give one run"),
])
def test_the_api_refuses_bad_arguments_in_one_line(warehouse, call, message):
    with gsdb.connect(warehouse) as wh:
        with pytest.raises(GsdbError, match=message) as failure:
            call(wh)
    assert "\n" not in str(failure.value)


def test_a_failed_first_use_leaves_no_warehouse_behind(tmp_path):
    """A warehouse that `connect` created is removed again, with its folder, when the work in its
    `with` block fails: the failed command leaves things as they were."""
    db = tmp_path / "new" / "w.duckdb"
    with pytest.raises(GsdbError):
        with gsdb.connect(db) as wh:
            wh.ingest(tmp_path / "missing")
    assert list(tmp_path.iterdir()) == []


def test_connect_without_a_path_opens_the_command_lines_default(tmp_path, monkeypatch):
    monkeypatch.setenv("GSDB_DB", str(tmp_path / "env.duckdb"))
    with gsdb.connect() as wh:
        assert wh.path == tmp_path / "env.duckdb" and wh.runs().empty
    assert Path(tmp_path / "env.duckdb").is_file()


def test_a_failure_after_work_was_committed_keeps_the_warehouse(tmp_path, monkeypatch):
    """Only a warehouse that still holds nothing is removed when its `with` block fails; and it is
    the file this connection created, whatever the working folder is by then."""
    first, second = tmp_path / "a", tmp_path / "b"
    second.mkdir()
    other = gsdb.connect(second / "w.duckdb")
    other.ingest(EXAMPLE_RUN)
    other.close()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GsdbError, match="no such report"):
        with gsdb.connect(Path("a") / "w.duckdb") as wh:
            wh.ingest(EXAMPLE_RUN)
            wh.report("layer")  # a typo, after the ingest
    assert (first / "w.duckdb").is_file()
    with pytest.raises(GsdbError):
        with gsdb.connect("w.duckdb") as wh:
            monkeypatch.chdir(second)
            wh.report("layer")
    assert (second / "w.duckdb").is_file() and not (tmp_path / "w.duckdb").exists()
    with gsdb.connect(second / "w.duckdb", read_only=True) as wh:
        assert list(wh.runs()["name"]) == ["tiny_8x8_ws"]


def test_compaction_waits_for_the_warehouse_to_be_unshared(tmp_path):
    """Compaction moves a new file over the warehouse: never while another connection has it open
    or is waiting to open it (it would go on with the old file)."""
    db = tmp_path / "w.duckdb"
    with gsdb.connect(db) as wh:
        wh.ingest(EXAMPLE_RUN)
    first = gsdb.connect(db)
    waiting = subprocess.Popen([sys.executable, "-c", f"import gainsight_db as g; w = g.connect({str(db)!r}, "
                                "read_only=True); print(list(w.runs()['name']), flush=True)"],
                               stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)  # the other process now waits for the writer to close
        with pytest.raises(GsdbError, match="in use by another connection"):
            first.compact()
        first.close()
        assert waiting.communicate(timeout=60)[0] == "['tiny_8x8_ws']\n"
    finally:
        waiting.kill()
    with gsdb.connect(db) as wh:
        assert wh.compact()[1] > 0 and list(wh.runs()["name"]) == ["tiny_8x8_ws"]
        second = gsdb.connect(db)  # the same process shares DuckDB's open database
        with pytest.raises(GsdbError, match="in use by another connection"):
            wh.compact()
        second.close()


def test_sql_takes_named_parameters_and_runs_lists_are_never_empty(warehouse, tmp_path):
    with gsdb.connect(warehouse, read_only=True) as wh:
        assert wh.sql("SELECT $x::INTEGER * 2 AS y", {"x": 21}).fetchall() == [(42,)]
        with pytest.raises(GsdbError, match="empty list of runs"):
            wh.export("csv", tmp_path / "none", run=[])
        with pytest.raises(GsdbError, match="empty list of runs"):
            wh.plot("runs", run=[])


def test_a_refused_report_stores_no_setting(warehouse):
    with gsdb.connect(warehouse) as wh:
        before = wh.sql("SELECT * FROM memtech_settings ORDER BY ALL").fetchall()
        with pytest.raises(GsdbError, match="no layer filter"):
            wh.report("memtech", run="tiny_8x8_ws", layer=0, clock_hz=5e9)
        assert wh.sql("SELECT * FROM memtech_settings ORDER BY ALL").fetchall() == before
