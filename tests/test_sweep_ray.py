"""`gsdb sweep --executor ray`: the points run as Ray tasks on a real local Ray cluster (started once
for the module, `ray.init(num_cpus=2)`), and give, point for point, what `--executor local` gives.

The workload is test_sweep's: the example run's 3-layer network (tiny3.csv) on 64-element arrays.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import os
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest
import ray
from conftest import EXAMPLE_RUN, SCALESIM_DATA, cli_runner, query_rows

import gainsight_db
from gainsight_db.common.errors import GsdbError
from gainsight_db.sweeps.ray_executor import INSTALL_HINT, RayExecutor

INPUTS = EXAMPLE_RUN / "inputs"  # tiny3.csv and tiny_8x8_ws.cfg (8x8, 4 KiB SRAMs, ws, CALC)
SPARSE = SCALESIM_DATA / "v3_api_sparse2_16x16_ws" / "inputs"  # sparsity on, BlockSize 8

SPEC = """\
name = "aspect"
topology = "tiny3.csv"
config = "base.cfg"
[axes]
array = ["4x16", "8x8"]
dataflow = ["os", "ws"]
"""

SPARSE_SPEC = """\
name = "sparse"
topology = "sparse2.csv"
config = "sparse.cfg"
[axes]
array = ["4x16", "8x8", "16x16"]   # SCALE-Sim refuses BlockSize 8 on fewer than 8 rows
"""

# Per point (its index in the sweep, not its run id, which goes by the order points finish): what a
# sweep stored. Paths (the warehouse's folder) and the ingest's bookkeeping are left out.
BY_POINT = {
    "sweep_points": "SELECT * EXCLUDE (run_id) FROM sweep_points ORDER BY point",
    "runs": "SELECT p.point, r.* EXCLUDE (run_id, source_path, ingest_id, config_path, topology_path) "
            "FROM runs r JOIN sweep_points p USING (run_id) ORDER BY p.point",
    "layer_stats": "SELECT p.point, t.* EXCLUDE (run_id) FROM layer_stats t JOIN sweep_points p USING (run_id) "
                   "ORDER BY ALL",
    "compute_report": "SELECT p.point, t.* EXCLUDE (run_id) FROM compute_report t JOIN sweep_points p USING (run_id) "
                      "ORDER BY ALL",
    "lifetimes": "SELECT p.point, layer, buffer, count(*), sum(lifetime_cycles), sum(reads) FROM lifetimes "
                 "JOIN sweep_points p USING (run_id) GROUP BY ALL ORDER BY ALL",
    "accesses": "SELECT p.point, layer, buffer, level, count(*), sum(cycle), sum(addr) FROM accesses "
                "JOIN sweep_points p USING (run_id) GROUP BY ALL ORDER BY ALL",
}


def _by_point(db: Path) -> dict[str, list[tuple]]:
    return {table: query_rows(db, sql) for table, sql in BY_POINT.items()}


def _study(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(INPUTS / "tiny3.csv", folder / "tiny3.csv")
    shutil.copy(INPUTS / "tiny_8x8_ws.cfg", folder / "base.cfg")
    (folder / "spec.toml").write_text(SPEC)
    return folder / "spec.toml"


def _sparse_study(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(SPARSE / "sparse2.csv", folder)
    shutil.copy(SPARSE / "sparse_16x16_ws.cfg", folder / "sparse.cfg")
    (folder / "spec.toml").write_text(SPARSE_SPEC)
    return folder / "spec.toml"


def _work_left(db: Path) -> list[Path]:
    return list(db.parent.glob(f".{db.name}.*.partial"))


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster of two CPUs, started once; its address (the head node's, HOST:PORT)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The spec swept with --executor local: the reference."""
    spec = _study(tmp_path_factory.mktemp("study") / "study")
    db = tmp_path_factory.mktemp("local") / "gainsight.duckdb"
    with gainsight_db.connect(db) as wh:
        result = wh.sweep(spec, jobs=2)
    assert result.ok and result.executor == "local"
    return spec, _by_point(db)


@pytest.mark.parametrize("send_files", [None, True], ids=["shared-folder", "sent-back-in-chunks"])
def test_points_run_on_ray_equal_the_local_executors(cluster, local, tmp_path, send_files):
    """Rule: --executor ray gives, point for point, the rows --executor local gives: whether the
    workers write into the point's folder (they see it: one machine) or send the files back through
    the object store (as workers on other machines do; here in 4 KiB chunks, so every shard file
    comes back in many pieces)."""
    spec, expected = local
    db = tmp_path / "ray" / "gainsight.duckdb"
    executor = "ray" if send_files is None else RayExecutor(send_files=True, chunk_bytes=4096)
    with gainsight_db.connect(db) as wh:
        result = wh.sweep(spec, executor=executor)
    assert result.ok and result.summary().startswith("sweep aspect: 4 points: 4 ran, 0 skipped, 0 failed in ")
    assert (result.executor, result.jobs) == ("ray", 2), "by default as many points at once as the cluster has CPUs"
    workers = {p.worker for p in result.points}
    assert all(not worker.endswith(f":{os.getpid()}") for worker in workers), "the points ran in Ray's workers"
    got = _by_point(db)
    assert len(got["layer_stats"]) == 4 * 3 * 3 and len(got["accesses"]) > 4 * 3 * 3
    for table in BY_POINT:
        assert got[table] == expected[table], table
    assert [(point, name) for point, name in query_rows(db, "SELECT point, r.name FROM sweep_points JOIN runs r USING (run_id) "
                                                       "ORDER BY point")] == [
        (0, "aspect_4x16_os"), (1, "aspect_4x16_ws"), (2, "aspect_8x8_os"), (3, "aspect_8x8_ws")]
    assert _work_left(db) == []
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob(f".gainsight-db-ray.{os.getpid()}.*")), \
        "a worker's own folder goes once its files are sent"


def test_on_an_existing_cluster_a_failing_point_is_reported_and_the_others_finish(cluster, tmp_path):
    """`gsdb sweep --executor ray --ray-address HOST:PORT`, a separate process connecting to the
    running cluster: the point SCALE-Sim refuses fails with SCALE-Sim's reason, the others are
    ingested; failing fast, the queued points are not run."""
    spec = _sparse_study(tmp_path / "study")
    db = tmp_path / "wh" / "gainsight.duckdb"
    result = cli_runner(db)("sweep", spec, "--executor", "ray", "--ray-address", cluster, "-j", "2", check=False)
    assert result.returncode == 1
    assert result.stdout.startswith("sweep sparse: 3 points: 2 ran, 0 skipped, 1 failed in ")
    lines = result.stderr.splitlines()
    failed = [line for line in lines if ": failed: " in line]
    assert failed == [line for line in lines if line.startswith("point 1/3")] and len(failed) == 1, result.stderr
    assert failed[0].startswith("point 1/3 sparse_4x16: failed: ")
    assert "SCALE-Sim failed: AssertionError: ERROR: Invalid block size" in failed[0], "the worker's reason, unwrapped"
    assert sum(" ingested as run " in line for line in lines) == 2
    assert lines[-1] == "gsdb: error: sweep sparse: 1 of 3 points failed; the first: point 1 sparse_4x16"
    assert len(lines) == 4, "nothing of Ray's own on stderr: " + result.stderr
    assert query_rows(db, 'SELECT point, "array" FROM sweep_points ORDER BY point') == [(1, "8x8"), (2, "16x16")]
    assert _work_left(db) == []

    fast_db = tmp_path / "fast" / "gainsight.duckdb"
    with gainsight_db.connect(fast_db) as wh:
        fast = wh.sweep(spec, executor="ray", jobs=1, fail_fast=True)
    assert [p.status for p in fast.points] == ["failed", "cancelled", "cancelled"]
    assert "Invalid block size" in fast.points[0].reason and fast.points[1].reason.startswith("not run")
    assert query_rows(fast_db, "SELECT count(*) FROM runs") == [(0,)] and _work_left(fast_db) == []


def test_a_worker_with_another_scalesim_is_refused(cluster, tmp_path):
    """A point's identity includes scalesim's version: a worker whose scalesim makes another identity
    of the same inputs (here: the point's identity made with another version) does not run it."""
    from gainsight_db.simulate import inputs_identity, prepare_simulation
    from gainsight_db.sweeps.execution import PointTask

    study = _study(tmp_path / "study").parent
    inputs = prepare_simulation(study / "tiny3.csv", study / "base.cfg")
    other = inputs_identity(inputs.sections, inputs.topology_text, "2.0.0")
    (tmp_path / "point").mkdir()
    task = PointTask(0, "older", dataclasses.replace(inputs, identity=other), tmp_path / "point")
    [(done, error)] = list(RayExecutor().execute([task], 1))
    assert done is task and isinstance(error, GsdbError)
    assert str(error).startswith("the Ray worker on ")
    assert f"has scalesim {importlib.metadata.version('scalesim')}, not the version of the gsdb sweep" in str(error)
    assert list((tmp_path / "point").iterdir()) == [], "nothing was run"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_bad_ray_address_is_one_line_at_once(tmp_path):
    spec = _study(tmp_path / "study")
    db = tmp_path / "wh" / "gainsight.duckdb"
    gsdb = cli_runner(db)
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()
    refused = gsdb("sweep", spec, "--executor", "ray", "--ray-address", address, check=False)
    assert time.monotonic() - started < 20
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == f"gsdb: error: --ray-address {address}: no Ray cluster answers there (Connection refused)\n"
    malformed = gsdb("sweep", spec, "--executor", "ray", "--ray-address", "headnode", check=False)
    assert malformed.returncode == 1 and malformed.stderr.startswith("gsdb: error: --ray-address headnode: expected HOST:PORT")
    local = gsdb("sweep", spec, "--ray-address", address, check=False)
    assert local.returncode == 1
    assert local.stderr == "gsdb: error: ray_address (--ray-address): only with the ray executor (--executor ray)\n"
    assert not db.exists() and not db.parent.exists(), "a refused sweep leaves no warehouse behind"


def test_without_ray_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    spec = _study(tmp_path / "study")
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as where it is not installed
    with pytest.raises(GsdbError) as err, gainsight_db.connect(tmp_path / "wh" / "gainsight.duckdb") as wh:
        wh.sweep(spec, executor="ray")
    assert str(err.value) == INSTALL_HINT == '--executor ray needs Ray: pip install "gainsight-db[ray]"'
    assert not (tmp_path / "wh").exists()
