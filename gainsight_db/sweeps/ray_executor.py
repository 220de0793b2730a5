"""`--executor ray`: the points run as Ray tasks, on an existing Ray cluster or on a local Ray.

- **Cluster**: with an address (`--ray-address HOST:PORT`, or Ray's own `RAY_ADDRESS`) the sweep
  connects to that cluster as a Ray driver; without one it starts a local Ray with the machine's
  cores. Either is let go when the sweep ends (a local Ray is stopped; a cluster keeps running). In
  a process where Ray is already initialised (a notebook, the tests), that Ray is used and left as it
  was. An address where nothing answers is refused at once, in one line.
- **Tasks**: each point is one Ray task of one CPU running `run_point`; at most `jobs` are in flight
  (default: the cluster's CPUs), and results come back as points finish. A task is not retried: a
  point whose worker died is reported as failed, like any other failure, with a one-line reason.
  Closing `execute` early (Ctrl-C, `--fail-fast`) cancels the running tasks, killing their workers,
  and submits no more.
- **Where the files go**: a worker that sees the point's folder (`task.folder`, in the work folder
  beside the warehouse: on this machine, or on a file system every node mounts at the same path)
  runs the point there, as the local executor does. A worker that does not (another machine, no
  shared file system) runs the point in a work folder of its own temporary directory and streams
  SCALE-Sim's output and the shards back through Ray's object store in chunks of `CHUNK_BYTES`,
  which the coordinator writes into `task.folder` before it hands the point over; at most
  `_CHUNKS_AHEAD` chunks per point wait in the object store, so memory stays bounded whatever the
  size of a point. The worker's folder is removed when the point is sent (one left by a killed
  worker is removed by the next point run on that node).
- **Versions**: a point's identity includes scalesim's version, so a worker whose scalesim is not
  the coordinator's refuses the point (its run would not be what the identity says).

Ray is an optional dependency (`pip install "gainsight-db[ray]"`); it is imported only when a sweep
runs on it. Ray's own logging is kept off the command's output (no worker output forwarded, no
dashboard, warnings only).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import importlib.util
import logging
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import one_line
from gainsight_db.common.staging import work_folder
from gainsight_db.simulate import inputs_identity
from gainsight_db.sweeps.execution import PointOutcome, PointTask, run_point

INSTALL_HINT = '--executor ray needs Ray: pip install "gainsight-db[ray]"'
CHUNK_BYTES = 32 * 2**20  # a file sent back through the object store goes in pieces of this size
_CHUNKS_AHEAD = 4  # chunks a worker may have sent that the coordinator has not yet taken
_WAIT_S = 0.5  # how long one wait for a result lasts (Ctrl-C is seen between two)
_PROBE_S = 5.0  # how long the check that something answers at the cluster's address may take
# Bounds on Ray's own connection attempts (it otherwise retries for minutes), unless set already.
_CONNECT_LIMITS = {"RAY_gcs_server_port_wait_time_s": "1", "RAY_py_gcs_connect_timeout_s": "5"}


def make_executor(ray_address: str | None = None) -> RayExecutor:
    """The executor, checked before anything runs: Ray is installed, and something answers at
    `ray_address`."""
    try:
        installed = importlib.util.find_spec("ray") is not None
    except ValueError:  # a module entry without a spec: `import ray` fails
        installed = False
    if not installed:
        raise GsdbError(INSTALL_HINT)
    if ray_address:
        _probe(ray_address)
    return RayExecutor(ray_address)


def _import_ray():
    try:
        import ray
    except ImportError:
        raise GsdbError(INSTALL_HINT) from None
    return ray


# In the worker ------------------------------------------------------------------------------------
def _check_scalesim(task: PointTask) -> None:
    """A node with another scalesim than the coordinator's would make results that do not match the
    point's identity (which includes the version): refused."""
    version = importlib.metadata.version("scalesim")
    if inputs_identity(task.inputs.sections, task.inputs.topology_text, version) != task.inputs.identity:
        raise GsdbError(f"the Ray worker on {socket.gethostname()} has scalesim {version}, not the version of the "
                        "gsdb sweep command: install the same version on every node")


def _run_remote(task: PointTask, send_files: bool | None, chunk_bytes: int) -> Iterator[tuple]:
    """What a Ray task runs (a generator, each item an object of its own): the point's files as
    ("folder", relative path) and ("file", relative path, bytes, first chunk?) when they are sent
    back, then ("outcome", PointOutcome) with paths inside `task.folder`."""
    _check_scalesim(task)
    if send_files is None:
        send_files = not task.folder.is_dir()
    if not send_files:
        yield ("outcome", run_point(task))
        return
    with work_folder(Path(tempfile.gettempdir()) / "gainsight-db-ray", "point") as local:
        folder = local / "point"
        folder.mkdir()
        outcome = run_point(dataclasses.replace(task, folder=folder))
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_dir():
                yield ("folder", relative)
                continue
            with path.open("rb") as stream:
                first = True
                while True:
                    chunk = stream.read(chunk_bytes)
                    if chunk or first:
                        yield ("file", relative, chunk, first)
                    if len(chunk) < chunk_bytes:
                        break
                    first = False

        def there(path: Path) -> Path:
            return task.folder / path.relative_to(folder)

        yield ("outcome", dataclasses.replace(outcome, run_dir=there(outcome.run_dir), config=there(outcome.config),
                                              topology=there(outcome.topology), shards=there(outcome.shards)))


def _write_item(folder: Path, item: tuple) -> None:
    """Write one sent-back piece of a point into its folder."""
    target = folder / item[1]
    if folder not in target.parents:
        raise GsdbError(f"{item[1]}: a point's file outside its folder")
    if item[0] == "folder":
        target.mkdir(parents=True, exist_ok=True)
        return
    _, _, chunk, first = item
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb" if first else "ab") as stream:
        stream.write(chunk)


# In the coordinator -------------------------------------------------------------------------------
def _probe(address: str) -> None:
    """Refuse at once an address where nothing listens (Ray would retry for minutes)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise GsdbError(f"--ray-address {address}: expected HOST:PORT (the head node's address, port 6379 by default)")
    try:
        socket.create_connection((host, int(port)), timeout=_PROBE_S).close()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        if isinstance(err, TimeoutError) or isinstance(err, socket.timeout):
            reason = f"no answer within {_PROBE_S:.0f} s"
        raise GsdbError(f"--ray-address {address}: no Ray cluster answers there ({reason})") from None


@contextlib.contextmanager
def _core_messages_held() -> Iterator[None]:
    """While connecting to a cluster, Ray's core writes each failed attempt straight to the standard
    error (file descriptor 2): it goes to a temporary file instead, written out only if the
    connection succeeds, so that a failure is the command's one error line."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        connected = False
        try:
            yield
            connected = True
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if connected:
                held.seek(0)
                sys.stderr.write(held.read().decode("utf-8", "replace"))
                sys.stderr.flush()


def _wants_token(error: BaseException | None) -> bool:
    """Whether connecting failed because the cluster uses token authentication and no token was given."""
    while error is not None:
        if "InvalidAuthToken" in str(error) or type(error).__name__ == "AuthenticationError":
            return True
        error = error.__cause__ or error.__context__
    return False


class _TokenNotice(logging.Filter):
    """Ray's notice that a Ray it starts uses token authentication: not the command's output."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Token authentication is enabled")


_TOKEN_NOTICE = _TokenNotice()


def _failure(ray, error: BaseException) -> BaseException:
    """A failed task's error as the point's: the worker's GsdbError (or other exception) itself, or a
    one-line GsdbError for Ray's own failures (the worker died, the task was cancelled)."""
    if isinstance(error, ray.exceptions.RayTaskError):
        cause = getattr(error, "cause", None)
        if isinstance(cause, BaseException) and not isinstance(cause, ray.exceptions.RayError):
            return cause
    if isinstance(error, ray.exceptions.TaskCancelledError):
        return GsdbError("the Ray task running this point was cancelled")
    if isinstance(error, ray.exceptions.OutOfMemoryError):
        return GsdbError("Ray stopped the worker running this point: its node was out of memory")
    if isinstance(error, (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError)):
        return GsdbError(f"the Ray worker running this point died ({type(error).__name__})")
    return GsdbError(f"Ray failed to run this point: {type(error).__name__}: {one_line(error)}".rstrip(": "))


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, *, send_files: bool | None = None,
                 chunk_bytes: int = CHUNK_BYTES):
        """`address`: the cluster's (HOST:PORT, as `ray start --head` prints it); None for Ray's
        RAY_ADDRESS, or else a local Ray. `send_files`: True to have every point's files sent back
        through the object store, False never; None (default) when the worker cannot see the
        point's folder. `chunk_bytes`: the size of the pieces they are sent in."""
        self.address = address
        self.send_files = send_files
        self.chunk_bytes = chunk_bytes
        self._ray = None
        self._started = False  # this executor called ray.init, and calls ray.shutdown at the end

    def default_jobs(self) -> int:
        """The cluster's CPUs (connecting to it)."""
        ray = self._connect()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _connect(self):
        if self._ray is not None:
            return self._ray
        loaded = sys.modules.get("ray")
        if loaded is not None and loaded.is_initialized():
            self._ray = loaded  # the caller's Ray, left as it is
            return loaded
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        remote = address is not None and address not in ("auto", "local") and "://" not in address
        if remote:
            _probe(address)
        # Ray reads its settings when it is imported: the bounds go first.
        limits = {key: value for key, value in _CONNECT_LIMITS.items() if key not in os.environ} if remote else {}
        os.environ.update(limits)
        try:
            ray = _import_ray()
            logging.getLogger("ray._private.authentication.authentication_token_setup").addFilter(_TOKEN_NOTICE)
            with _core_messages_held() if remote else contextlib.nullcontext():
                ray.init(address=address or "local", log_to_driver=False, include_dashboard=False,
                         logging_level=logging.WARNING, configure_logging=True)
        except (ConnectionError, RuntimeError, ValueError) as err:
            where = f"--ray-address {address}" if remote else "a local Ray"
            if _wants_token(err):
                raise GsdbError(f"{where}: the cluster asks for its authentication token: run with RAY_AUTH_MODE=token "
                                "and the cluster's token in ~/.ray/auth_token or RAY_AUTH_TOKEN") from None
            raise GsdbError(f"{where}: cannot connect: {one_line(err) or type(err).__name__}") from None
        finally:
            for key in limits:
                os.environ.pop(key, None)
        self._ray, self._started = ray, True
        return ray

    def _disconnect(self) -> None:
        if self._started and self._ray is not None:
            self._ray.shutdown()
        self._ray, self._started = None, False

    def execute(self, tasks: Sequence[PointTask], jobs: int) -> Iterator[tuple[PointTask, PointOutcome | BaseException]]:
        if not tasks:
            self._disconnect()
            return
        ray = self._connect()
        remote = ray.remote(_run_remote).options(
            num_cpus=1, max_retries=0, num_returns="streaming", _generator_backpressure_num_objects=_CHUNKS_AHEAD)
        queued = list(tasks)
        running: dict = {}  # generator -> its task

        def submit() -> None:
            while queued and len(running) < jobs:
                task = queued.pop(0)
                running[remote.remote(task, self.send_files, self.chunk_bytes)] = task

        try:
            submit()
            while running:
                ready, _ = ray.wait(list(running), num_returns=1, timeout=_WAIT_S)
                for stream in ready:
                    task = running[stream]
                    try:
                        item = ray.get(next(stream))
                    except StopIteration:
                        item = GsdbError("the Ray task running this point ended without its result")
                    except ray.exceptions.RayError as err:
                        item = _failure(ray, err)
                    if isinstance(item, tuple) and item[0] != "outcome":
                        try:
                            _write_item(task.folder, item)
                            continue
                        except (GsdbError, OSError) as err:
                            ray.cancel(stream, force=True)
                            item = GsdbError(f"{task.folder}: cannot write the point's files sent back by "
                                             f"its worker: {one_line(err)}")
                    del running[stream]
                    submit()
                    yield task, (item[1] if isinstance(item, tuple) else item)
        finally:
            queued.clear()
            for stream in running:
                try:
                    ray.cancel(stream, force=True)
                except Exception:  # already finished, or Ray going away
                    pass
            self._disconnect()
