"""The Python API: a warehouse opened with `connect`, whose methods do everything `gsdb` does.

    import gainsight_db as gsdb
    with gsdb.connect("wh.duckdb") as wh:
        wh.ingest("examples/scalesim_tiny_8x8_ws")
        wh.report("layers", run="tiny_8x8_ws")      # a pandas DataFrame

Read methods return pandas DataFrames; each has a twin ending in `_relation` that returns the DuckDB
relation instead (for results too large to hold, or to go on in SQL). The command line calls these
methods and only formats what they return.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import duckdb

from gainsight_db.common.errors import GsdbError, GsdbWarning
from gainsight_db.common.progress import Progress
from gainsight_db.common.sql_text import one_line, quote_identifier, quote_literal
from gainsight_db.common.staging import refuse_protected, work_folder
from gainsight_db.exports.readable import DEFAULT_PRECISION
from gainsight_db.reports import catalog
from gainsight_db.reports.queries import RunSelection, report_query, report_runs
from gainsight_db.warehouse.connection import (
    EngineSettings,
    default_db_path,
    open_warehouse,
    spill_folder,
)
from gainsight_db.warehouse.runs import RemovedRun, only_run, remove_runs, resolve_run
from gainsight_db.warehouse.sharing import SharedUse, lock_path

if TYPE_CHECKING:
    import pandas

    from gainsight_db.common.progress import SweepProgress
    from gainsight_db.loaders.scalesim_ingest import IngestResult
    from gainsight_db.sweeps.coordinator import SweepResult
    from gainsight_db.sweeps.execution import Executor

EXPORT_KINDS = ("gainsight", "parquet", "csv", "frontend", "aie")
PLOT_KINDS = ("lifetimes", "runs", "memtech", "sweep")
_MEMTECH_SETTINGS = ("clock_hz", "word_bits", "threshold_s", "node_nm", "retention_factor", "tech", "default_tech",
                     "assume")


def _warn_python(message: str) -> None:
    warnings.warn(message, GsdbWarning, stacklevel=3)


def connect(
    db: str | Path | None = None,
    *,
    read_only: bool = False,
    create: bool = True,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_dir: str | Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> Warehouse:
    """Open the warehouse file `db` (None: the command line's default, $GSDB_DB or
    warehouse/gainsight.duckdb). Writable opens create it if needed (unless create=False); read-only
    ones need it to exist.
    `threads`, `memory_limit` (e.g. "1GB") and `temp_dir` set DuckDB's resources; `warn` receives
    warnings (default: Python's warnings, as GsdbWarning)."""
    path = Path(db if db is not None else default_db_path()).absolute()
    settings = EngineSettings(threads, memory_limit, Path(temp_dir).absolute() if temp_dir is not None else None)
    # What this call creates (the file and the folders above it), removed again if the work fails.
    created = [p for p in (path, *path.parents) if not p.exists() and not p.is_symlink()]
    if not (read_only or create or path.exists()):
        raise GsdbError(f"{path}: no warehouse here")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    sharing = SharedUse(path)
    try:
        con = open_warehouse(path, create=not read_only, read_only=read_only, settings=settings)
    except BaseException:
        sharing.release()
        raise
    return Warehouse(con, path, read_only=read_only, warn=warn or _warn_python, created=created,
                     spill=spill_folder(path, settings), sharing=sharing,
                     reopen=lambda: open_warehouse(path, create=False, read_only=read_only, settings=settings))


class Warehouse:
    """An open warehouse. Use it as a context manager, or call `close()`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool,
                 warn: Callable[[str], None], created: Sequence[Path] = (), spill: Path | None = None,
                 reopen: Callable[[], duckdb.DuckDBPyConnection] | None = None,
                 sharing: SharedUse | None = None) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self._warn = warn
        self.sealed = False
        self._created = list(created)
        self._created_file = _identity(path) if created else None
        self._spill = spill if spill is not None else spill_folder(path)
        self._reopen = reopen
        self._sharing = sharing

    # Lifetime ------------------------------------------------------------------------------------
    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        holds_nothing = exc_type is not None and self._created_file is not None and self._holds_nothing()
        self.close()
        if holds_nothing:
            self._remove_created()

    def _holds_nothing(self) -> bool:
        """Whether the warehouse is still as `connect` created it: nothing ingested, set or added."""
        from gainsight_db.warehouse.schema import load_objects

        try:
            self._con.abort()
            ingests, settings = self._con.execute(
                "SELECT (SELECT count(*) FROM ingests), (SELECT count(*) FROM memtech_settings)").fetchall()[0]
            tables = {name for (name,) in self._con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary").fetchall()}
        except duckdb.Error:
            return False
        return ingests == 0 and settings == 0 and tables <= {obj.name for obj in load_objects()}

    def _remove_created(self) -> None:
        """A warehouse that this connection created, and that still holds nothing after the work in
        its `with` block failed, is removed with the folders created for it: the failed command
        leaves things as they were."""
        if _identity(self.path) != self._created_file:
            return  # not the file this connection created
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal"), lock_path(self.path)):
            leftover.unlink(missing_ok=True)
        for folder in self._created[1:]:
            try:
                folder.rmdir()  # only if empty
            except OSError:
                break

    def close(self) -> None:
        self._con.close()
        if self._sharing is not None:
            self._sharing.release()

    def __repr__(self) -> str:
        return f"<gainsight_db.Warehouse {str(self.path)!r}{' read-only' if self.read_only else ''}>"

    @property
    def protected_paths(self) -> list[Path]:
        """What no output may write over: the warehouse file, its write-ahead log and spill folder."""
        return [self.path, self.path.with_name(self.path.name + ".wal"), lock_path(self.path), self._spill]

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, for anything the methods do not cover."""
        return self._con

    def seal(self) -> None:
        """From now on, refuse every access beyond the warehouse itself: no file is read or written
        (COPY, read_csv, EXPORT DATABASE), no other database attached, no extension installed, and no
        DuckDB setting changed (which would undo this). Spilling to the spill folder goes on."""
        self._con.execute("SET enable_external_access = false")
        self._con.execute("SET lock_configuration = true")
        self.sealed = True

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise GsdbError(f"{self.path}: opened read-only; {what} needs connect(..., read_only=False)")

    def _relation(self, sql: str, params: list | dict | None = None) -> duckdb.DuckDBPyRelation:
        # A result left open by execute() (a fetchone() in a loader) would make DuckDB refuse a relation.
        self._con.abort()
        return self._con.sql(sql, params=params)

    def _one_run(self, what: str, run: Any, kind: str) -> str | int:
        """The run a command about one run is given; None means the warehouse's only run of `kind`."""
        if run is None:
            return only_run(self._con, kind, what)
        if not isinstance(run, (str, int)):
            raise GsdbError(f"{what}: give one run (a run name or id)")
        return run

    def run_id(self, run: str | int, kind: str | None = None) -> int:
        """The run id of a run given by name or id (a name shared by several runs is an error)."""
        return resolve_run(self._con, str(run), kind=kind)

    # Loading -------------------------------------------------------------------------------------
    def ingest(
        self,
        *paths: str | Path,
        config: str | Path | None = None,
        topology: str | Path | None = None,
        M: int | None = None, K: int | None = None, N: int | None = None,  # noqa: N803 (the script's names)
        m: int | None = None, k: int | None = None, n: int | None = None,
        row: int | None = None, col: int | None = None, hwid: str | None = None,
        warmup: int | None = None, iterations: int | None = None,
        clock_ghz: float = 1.25, lock_stall_factor: float = 20.0, dup_gap_fraction: float = 0.25,
        outlier_lo: float = 1.0 / 3.0, outlier_hi: float = 3.0,
        progress: Progress | None = None,
    ) -> list[IngestResult]:
        """Load SCALE-Sim run directories and AI Engine traces (.json), or folders above them, as one
        transaction; a run ingested again is replaced. The options are those of `gsdb ingest`:
        `config` and `topology` for SCALE-Sim runs whose inputs are not beside them; the GEMM
        parameters (M, K, N, m, k, n, row, col, hwid, warmup, iterations) and analysis tunables of
        AI Engine traces."""
        from gainsight_db.loaders.aie_ingest import (
            AieOptions,
            AieParameters,
            AieSettings,
        )
        from gainsight_db.loaders.ingest import ingest
        from gainsight_db.loaders.scalesim_ingest import ScalesimOptions

        self._writable("ingest")
        if not paths:
            raise GsdbError("ingest: give at least one run directory, trace or folder")
        for name, value in (("M", M), ("K", K), ("N", N), ("m", m), ("k", k), ("n", n), ("row", row), ("col", col)):
            _check_int(name, value, minimum=0)
        for name, value in (("warmup", warmup), ("iterations", iterations)):
            _check_int(name, value, minimum=None)
        tunables = {"clock_ghz": clock_ghz, "lock_stall_factor": lock_stall_factor,
                    "dup_gap_fraction": dup_gap_fraction, "outlier_lo": outlier_lo, "outlier_hi": outlier_hi}
        for name, value in tunables.items():
            _check_number(name, value, minimum=0.0)
        config_path = Path(config) if config is not None else None
        topology_path = Path(topology) if topology is not None else None
        for given, what in ((config_path, "config"), (topology_path, "topology")):
            if given is not None and not given.is_file():
                raise GsdbError(f"{given}: {what} file not found")
        aie = AieOptions(AieParameters(M, K, N, m, k, n, row, col, hwid, warmup, iterations),
                         AieSettings(**tunables))
        results = ingest(self._con, [Path(p) for p in paths], ScalesimOptions(config_path, topology_path),
                         progress, self._warn, aie)
        if any(r.replaced for r in results):
            self._compact_if_wasteful()
        return results

    def simulate(
        self, topology: str | Path, config: str | Path, *, name: str | None = None, dataflow: str | None = None,
        array: str | tuple[int, int] | None = None, sram_kb: int | str | None = None,
        bandwidth: int | str | None = None, out: str | Path | None = None, keep_csv: bool = False,
        progress: Progress | None = None,
    ) -> IngestResult:
        """Run SCALE-Sim (v3) on a topology and config and ingest the result, its traces handed over
        layer by layer: SCALE-Sim runs in a worker process (started with `spawn`; the calling script
        is not run again in it), and each layer is loaded here while it simulates the next. The
        config may be changed first: `array` ("32x16" or (32, 16)), `sram_kb` (all three buffers,
        KiB), `dataflow` ("os", "ws" or "is"), `bandwidth` (words per cycle; USER mode).
        A run simulated earlier from the same inputs (effective config, topology, scalesim version) is
        replaced. The run is named `name`, refused if another run has it, or else after the config's
        run_name, made unique if another run has it (a warning says how). SCALE-Sim writes into `out`
        (a fresh folder; default: under the warehouse's folder), and also writes its trace CSVs there
        with `keep_csv`. `progress` counts the layers simulated, then the layers ingested."""
        from gainsight_db.loaders.ingest import ingest_while_simulating
        from gainsight_db.loaders.scalesim_ingest import SimulatedInputs
        from gainsight_db.simulate import (
            Overrides,
            choose_run_name,
            default_output_folder,
            prepare_simulation,
            run_simulation_apart,
        )

        self._writable("simulate")
        overrides = Overrides.parse(array=array, sram_kb=sram_kb, dataflow=dataflow, bandwidth=bandwidth)
        inputs = prepare_simulation(Path(topology), Path(config), overrides)
        self._con.abort()
        run_name, note = choose_run_name(self._con, inputs, name)
        folder = Path(out) if out is not None else default_output_folder(self.path, run_name)
        refuse_protected(folder, self.protected_paths)
        # SCALE-Sim runs in a worker process; each layer's traces leave it as soon as the layer is
        # simulated, into shards beside the warehouse, and are loaded here while it simulates the next.
        with work_folder(self.path, "simulate") as shards:
            def simulation(layer_ready):
                return run_simulation_apart(inputs, run_name, folder, keep_csv=keep_csv, progress=progress,
                                            shards=shards, layer_ready=layer_ready)

            result, _ = ingest_while_simulating(self._con, folder / run_name, shards, simulation,
                                                SimulatedInputs(overrides.describe(), inputs.identity), progress,
                                                self._warn)
        if note:
            self._warn(note)
        if result.replaced:
            self._compact_if_wasteful("simulate")
        return result

    def sweep(
        self, spec: str | Path, *, jobs: int | None = None, executor: str | Executor = "local", force: bool = False,
        fail_fast: bool = False, progress: SweepProgress | None = None, ray_address: str | None = None,
    ) -> SweepResult:
        """Run a design-space sweep: every point of the TOML spec (`name`, `topology`, `config`,
        `[axes]` of dataflow, array, sram_kb or ifmap_sram_kb/filter_sram_kb/ofmap_sram_kb,
        bandwidth) is a SCALE-Sim run, named after the sweep and its coordinates and recorded in
        `sweep_points`. The spec is checked whole before anything runs. Points whose inputs
        (effective config, topology, scalesim version) are already in the warehouse are skipped
        unless `force` (then run again, replacing their run); the others run `jobs` at once with
        `executor`: "local" (worker processes; default jobs: the number of cores) or "ray" (Ray
        tasks on the cluster at `ray_address`, else a local Ray; default jobs: the cluster's CPUs),
        each ingested in its own transaction as it finishes. A failing point does not stop the
        others unless `fail_fast`. Returns every point's status (ran, skipped, failed, cancelled)
        and reason; `progress` hears how the sweep stands and of each finished point."""
        from gainsight_db.sweeps.coordinator import run_sweep
        from gainsight_db.sweeps.execution import make_executor

        self._writable("sweep")
        if jobs is not None:
            _check_int("jobs", jobs, minimum=1)
        options = {"ray_address": ray_address} if ray_address is not None else {}
        if options and executor != "ray":
            raise GsdbError("ray_address (--ray-address): only with the ray executor (--executor ray)")
        runner = make_executor(executor, **options) if isinstance(executor, str) else executor
        self._con.abort()
        result = run_sweep(self._con, self.path, Path(spec), runner, jobs, force=force, fail_fast=fail_fast,
                           progress=progress, protected=self.protected_paths, warn=self._warn)
        if any(point.replaced for point in result.points):
            self._compact_if_wasteful("sweep")
        return result

    def remove(self, *runs: str | int) -> list[RemovedRun]:
        """Remove runs (names or ids) and every row that belongs to them, in every table, as one
        transaction; an unknown run is an error and nothing is removed. Files on disk are left alone.
        Returns, per run, its id, name, kind and the rows removed (in total and per table)."""
        self._writable("remove")
        self._con.abort()
        removed = remove_runs(self._con, [str(run) for run in runs])
        self._compact_if_wasteful("remove")
        return removed

    # Space ---------------------------------------------------------------------------------------
    def size(self) -> dict[str, int]:
        """The warehouse file's size in bytes, and how much of it holds data and how much is free
        (left by replaced or removed runs, reused by later loads)."""
        self._con.abort()
        block, total, used, free = self._con.execute(
            "SELECT block_size, total_blocks, used_blocks, free_blocks FROM pragma_database_size() "
            "WHERE database_name = current_database()"
        ).fetchall()[0]
        return {"file_bytes": self.path.stat().st_size, "used_bytes": used * block, "free_bytes": free * block,
                "total_bytes": total * block}

    def compact(self) -> tuple[int, int]:
        """Rewrite the warehouse without its free space; returns the file size before and after (bytes).
        The copy is written beside the warehouse and moved over it only when complete, and only while
        no other connection (in this process or another) has the warehouse open."""
        from gainsight_db.common.staging import recover

        self._writable("compact")
        if self._reopen is None or self._sharing is None:
            raise GsdbError(f"{self.path}: this connection cannot compact the warehouse")
        if not self._sharing.exclusive():
            raise GsdbError(f"{self.path}: in use by another connection; compact it when nothing else has it open")
        copy = self.path.with_name(f".{self.path.name}.{os.getpid()}.compact")
        con, reopened = self._con, False
        try:
            recover(self.path)  # a copy left by a killed compaction
            con.abort()
            con.execute("CHECKPOINT")
            before = self.path.stat().st_size
            database = con.execute("SELECT current_database()").fetchall()[0][0]
            con.execute(f"ATTACH {quote_literal(str(copy))} AS _compact_copy")
            try:
                con.execute(f"COPY FROM DATABASE {quote_identifier(database)} TO _compact_copy")
            finally:
                con.execute("DETACH _compact_copy")
            con.close()
            os.replace(copy, self.path)
            self._con, reopened = self._reopen(), True
        except OSError as err:
            raise GsdbError(f"{self.path}: cannot compact: {err.strerror or err}") from err
        finally:
            copy.unlink(missing_ok=True)
            if not reopened:
                self._con = self._reopen() if _is_closed(con) else con
            self._sharing.shared()
        return before, self.path.stat().st_size

    def _compact_if_wasteful(self, what: str = "ingest") -> None:
        """A replaced or removed run leaves its old rows' space free, reused by later loads. When the
        free space is more than half the space in use (the run was a large part of the warehouse), the
        warehouse is compacted, so that re-ingesting does not keep the file near twice its size. The
        work (`what`) has committed by then: a compaction that cannot run is a warning, not a failure."""
        self._con.abort()
        self._con.execute("CHECKPOINT")  # the replaced rows' blocks become free at a checkpoint
        size = self.size()
        if 2 * size["free_bytes"] <= size["used_bytes"]:
            return
        try:
            self.compact()
        except (GsdbError, duckdb.Error) as err:
            self._warn(f"{what} done; the space of the replaced or removed run was not given back "
                       f"({one_line(err)}); run `gsdb compact` later")

    # Reading -------------------------------------------------------------------------------------
    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None, *,
            dialect: str = "duckdb") -> duckdb.DuckDBPyRelation:
        """Run SQL on the warehouse; a query returns a DuckDB relation (.df(), .arrow(), .fetchall()).
        SQL written for another engine (dialect="postgres", "spark", ...) is translated first."""
        if dialect != "duckdb":
            query = self.translate(query, dialect)
        try:
            return self._relation(query, params=params if isinstance(params, dict) or params is None else list(params))
        except duckdb.PermissionException as err:
            if not self.sealed:
                raise
            raise GsdbError(f"{self.path}: this session reads the warehouse only ({one_line(err)}); "
                            "opened writable (gsdb query --write), SQL may also read and write files") from err

    def translate(self, query: str, dialect: str) -> str:
        """`query`, written in `dialect`, as DuckDB SQL; what cannot be expressed goes to the warnings."""
        from gainsight_db.warehouse.dialects import translate

        translation = translate(query, read=dialect, write="duckdb")
        for message in translation.warnings:
            self._warn(message)
        return translation.sql

    def runs_relation(self) -> duckdb.DuckDBPyRelation:
        return self._relation(catalog.RUNS_SQL)

    def runs(self) -> pandas.DataFrame:
        """The catalog of ingested runs: id, kind, name, format, layers, dataflow, array, what `simulate`
        changed in the config (overrides), when, source."""
        return self.runs_relation().df()

    def tables_relation(self) -> duckdb.DuckDBPyRelation:
        return self._relation(catalog.tables_query(self._con))

    def tables(self) -> pandas.DataFrame:
        """Every public table and view with its row count and a one-line description."""
        return self.tables_relation().df()

    def description(self, name: str) -> str | None:
        """The documentation of table or view `name`."""
        return catalog.object_comment(self._con, name)

    def schema_relation(self, name: str) -> duckdb.DuckDBPyRelation:
        catalog.object_comment(self._con, name)  # refuses an unknown name
        return self._relation(catalog.SCHEMA_SQL, params=[name])

    def schema(self, name: str) -> pandas.DataFrame:
        """The columns of table or view `name`, with their types and meaning (units included)."""
        return self.schema_relation(name).df()

    def audit_relation(self, run: RunSelection = None, all: bool = False) -> duckdb.DuckDBPyRelation:  # noqa: A002
        sql, params = catalog.audit_query(self._con, run, all)
        return self._relation(sql, params=params)

    def audit(self, run: RunSelection = None, all: bool = False) -> pandas.DataFrame:  # noqa: A002
        """Trace access counts against SCALE-Sim's DETAILED_ACCESS_REPORT: the differences (every row
        with all=True)."""
        return self.audit_relation(run, all).df()

    def report_relation(
        self, name: str, run: RunSelection = None, layer: int | None = None, buffer: str | None = None,
        *, sweep: str | None = None, **settings: Any,
    ) -> duckdb.DuckDBPyRelation:
        level = settings.pop("level", None)
        unknown = sorted(key for key in settings if key not in _MEMTECH_SETTINGS)
        if unknown:
            raise GsdbError(f"report {name}: unknown setting(s) {', '.join(unknown)}")
        options = _memtech_options(settings)
        if options.changes_anything and name not in ("memtech", "composition"):
            given = [key for key in _MEMTECH_SETTINGS if settings.get(key) not in (None, False, (), [])]
            raise GsdbError(f"report {name}: {', '.join(given)} apply to the memtech and composition reports")
        sql, params = report_query(self._con, name, run, layer, buffer, level, sweep)  # checks every argument
        if not options.changes_anything:
            return self._relation(sql, params=params)
        from gainsight_db.reports.memtech_settings import memtech_connection

        self._con.abort()
        con = memtech_connection(self._con, report_runs(self._con, name, run, level), options)
        return con.sql(sql, params=params)

    def report(
        self, name: str, run: RunSelection = None, layer: int | None = None, buffer: str | None = None,
        *, sweep: str | None = None, **settings: Any,
    ) -> pandas.DataFrame:
        """A report as a DataFrame, as `gsdb report NAME` prints it: layers, run, lifetimes,
        histogram, memtech, composition or aie, for every run of its kind or the given run(s) (a name
        or id, or a list of them), layer and buffer; or sweep, the points of one sweep (`sweep=`, a
        sweep name; None for the warehouse's only sweep), the axes it varies and their figures.
        Settings: for aie, level= iterations|cores|aggregate|summary|kernels|stalls; for memtech and
        composition, the settings of `set_memtech` (clock_hz=, word_bits=, threshold_s=, node_nm=,
        retention_factor=, tech=, default_tech=, assume=), used for this report only: nothing is
        stored."""
        return self.report_relation(name, run, layer, buffer, sweep=sweep, **settings).df()

    def set_memtech(
        self, run: RunSelection = None, *, clock_hz: float | None = None, word_bits: int | None = None,
        threshold_s: float | None = None, node_nm: float | None = None, retention_factor: float | None = None,
        tech: str | Path | None = None, default_tech: bool = False, assume: str | Sequence[str] = (),
    ) -> None:
        """Store the memory-technology comparison's settings, as one transaction: the parameters
        for the run(s) (every SCALE-Sim run when None; others keep their values), and for the whole
        warehouse the technology figures: a technology file (`tech`, a per-bit or figures table), the
        shipped figures (`default_tech`), and assumptions (`assume`, e.g.
        "si_gain_cell.read_pj_per_bit=0.05", each a figure of kind 'assumed')."""
        from gainsight_db.reports.memtech_settings import store_memtech_options

        options = _memtech_options({"clock_hz": clock_hz, "word_bits": word_bits, "threshold_s": threshold_s,
                                    "node_nm": node_nm, "retention_factor": retention_factor, "tech": tech,
                                    "default_tech": default_tech, "assume": assume})
        if not options.changes_anything:
            raise GsdbError("memtech set: give at least one setting to store")
        self._writable("changing the memory-technology settings")
        runs = _some_runs("memtech set", run)
        run_ids = ([self.run_id(r, kind="scalesim") for r in runs] if runs else
                   [rid for (rid,) in self._con.execute("SELECT run_id FROM _memtech_params ORDER BY run_id").fetchall()])
        if options.parameters and not run_ids:
            raise GsdbError("memtech set: no SCALE-Sim run to set the parameters of (the comparison covers SCALE-Sim runs)")
        store_memtech_options(self._con, run_ids, options)

    def add_accelforge(
        self, arch: str | Path | Sequence[str | Path], buffers: dict[str, str] | Sequence[str],
        *, name: str = "accelforge", cell: str = "sram",
    ) -> pandas.DataFrame:
        """Take a technology's figures from an AccelForge spec (the optional extra
        `gainsight-db[accelforge]`, Python >= 3.12): per buffer, the area, leakage and read/write
        energy per bit of the component that holds it (`buffers`: {"ifmap": "GlobalBuffer", ...},
        or "ifmap=GlobalBuffer" strings). They become technology `name` in technology_figures (a
        technology of that name is replaced), one figure per buffer, in one transaction. Returns
        the figures stored."""
        from gainsight_db.loaders.accelforge_figures import parse_buffer_options, read_accelforge_figures
        from gainsight_db.reports.memtech_settings import store_technology

        if not isinstance(name, str) or not name.strip():
            raise GsdbError("tech accelforge: give the technology a name")
        pairs = parse_buffer_options(buffers) if not isinstance(buffers, dict) else buffers
        self._writable("adding a technology")
        figures = read_accelforge_figures(arch, pairs, name.strip(), cell=cell)
        paths = [arch] if isinstance(arch, (str, Path)) else list(arch)
        store_technology(self._con, figures, ", ".join(str(Path(p).resolve()) for p in paths))
        return self._relation("SELECT * FROM technology_figures WHERE technology = ? ORDER BY buffer, figure",
                              params=[name.strip()]).df()

    # Writing files -------------------------------------------------------------------------------
    def write(
        self, result: duckdb.DuckDBPyRelation, out: str | Path | None = None, *, format: str | None = None,  # noqa: A002
        columns: Sequence[str] | None = None, precision: int = DEFAULT_PRECISION, limit: int | None = None,
    ) -> int:
        """Write the rows of `result` (a relation from `sql` or a `*_relation` method) to the file
        `out`, or print them (out=None), a batch at a time: memory stays bounded whatever the size of
        the result. `format`: csv, json, ndjson or parquet (every digit, SI units; parquet to a file
        only), or table or markdown (for people: `precision` significant digits, thousands grouped,
        energies, times and areas in readable units); None takes it from the file's suffix (.csv,
        .json, .ndjson or .jsonl, .parquet, .md, .txt for a table), or prints a table. `columns`
        chooses and orders the columns; `limit` is the most rows a table or markdown printed shows
        (it then says how many there are). The file is written beside `out` and moved into place
        when complete (an existing file is replaced; the warehouse's files never). Returns the number
        of rows of the result."""
        from gainsight_db.exports.result_writer import format_of, write_result

        target = Path(out) if out is not None else None
        if isinstance(precision, bool) or not isinstance(precision, int):
            raise GsdbError(f"precision {precision!r}: expected an integer")
        _check_int("limit", limit, minimum=0)
        if isinstance(columns, str):
            raise GsdbError(f"columns {columns!r}: expected a list of column names")
        return write_result(result, format_of(target, format), target, columns=None if columns is None else list(columns), precision=precision, limit=limit,
                            protected=self.protected_paths)

    def export(
        self, kind: str, out: str | Path, *, run: str | int | Iterable[str | int] | None = None,
        replace: bool = False, accesses: bool = False, progress: Progress | None = None,
    ):
        """Write files for other tools into `out`, all at once:
        - "gainsight": GainSight's out/<run>/layer<i>/layer<i>_{lifetime,aggregate}_data.csv (one run);
        - "parquet" / "csv": every report table, one file per run (every run, or those given) in a folder per table;
          accesses=True adds the raw accesses;
        - "frontend": GainSight's frontend report as a JSON file (one run);
        - "aie": postprocess_aie_trace.py's files for one AI Engine run.
        An existing target is replaced only with replace=True. Returns what was written."""
        out = Path(out)
        if kind in ("parquet", "csv"):
            from gainsight_db.exports.tables import export_tables

            runs = _some_runs(f"export {kind}", run)
            run_ids = [self.run_id(r) for r in runs] if runs is not None else None
            return export_tables(self._con, out, kind, run_ids, accesses, replace, progress, self.protected_paths)
        if kind not in EXPORT_KINDS:
            raise GsdbError(f"export {kind!r}: no such export (one of: {', '.join(EXPORT_KINDS)})")
        run = self._one_run(f"export {kind}", run, kind="aie" if kind == "aie" else "scalesim")
        if accesses:
            raise GsdbError(f"export {kind}: accesses= applies to the parquet and csv exports only")
        if kind == "gainsight":
            from gainsight_db.exports.gainsight import export_gainsight

            return export_gainsight(self._con, self.run_id(run, kind="scalesim"), out, replace, self.protected_paths)
        if kind == "aie":
            from gainsight_db.exports.aie import export_aie

            return export_aie(self._con, self.run_id(run, kind="aie"), out, replace, self.protected_paths)
        import json

        from gainsight_db.common.staging import write_atomically
        from gainsight_db.exports.frontend import frontend_report

        report = frontend_report(self._con, self.run_id(run, kind="scalesim"))
        write_atomically(json.dumps(report, indent=2, allow_nan=False) + "\n", out, replace, self.protected_paths)
        return report

    def plot(self, kind: str, *, run: str | int | Iterable[str | int] | None = None, layer: int | None = None,
             out: str | Path | None = None, sweep: str | None = None, metric: str | None = None,
             by: str | None = None):
        """A picture as a matplotlib Figure, also written to `out` (.png, .svg or .pdf) when given:
        - "lifetimes": a run's lifetime distribution per buffer (all layers merged, or `layer`), on
          one log2 axis with the short-lifetime threshold and the gain cells' retention marked
          (one file per layer: `plot_lifetimes_per_layer`);
        - "runs": total cycles per layer, one stacked bar per run labelled by its config and topped
          by its total (every SCALE-Sim run, or those given);
        - "memtech": fit, area and energy per technology relative to SRAM, for one run;
        - "sweep": the points of `sweep` (None: the warehouse's only sweep) compared on `metric`,
          each labelled by its axis values: total_cycles (default), compute_cycles or stall_cycles as
          stacked bars per layer; utilisation, lifetime_mean, lifetime_median, lifetime_p90,
          lifetime_max or under_threshold_pct as bars (one per buffer for the per-buffer figures);
          lifetimes as each point's lifetime distribution per buffer. `by` (an axis the sweep varies)
          draws one panel, or row of panels, per value of that axis."""
        from gainsight_db import plots

        if out is not None:
            plots.check_picture_path(Path(out))
            refuse_protected(Path(out), self.protected_paths)
        if kind not in PLOT_KINDS:
            raise GsdbError(f"plot {kind!r}: no such picture (one of: {', '.join(PLOT_KINDS)})")
        if layer is not None and kind != "lifetimes":
            raise GsdbError(f"plot {kind}: layer= applies to the lifetimes picture only")
        if kind != "sweep" and (sweep, metric, by) != (None, None, None):
            raise GsdbError(f"plot {kind}: sweep=, metric= and by= apply to the sweep picture only")
        if kind == "sweep":
            from gainsight_db.warehouse.sweeps import resolve_sweep

            if run is not None:
                raise GsdbError("plot sweep: run= does not apply (the sweep names its runs)")
            metric = metric if metric is not None else "total_cycles"
            plots.check_sweep_metric(metric)
            self._con.abort()
            drawn = plots.plot_sweep(self._con, resolve_sweep(self._con, sweep, "plot sweep"), metric, by)
        elif kind == "runs":
            runs = _some_runs("plot runs", run)
            drawn = plots.plot_runs(self._con, [self.run_id(r, kind="scalesim") for r in runs] if runs else None)
        elif kind in ("lifetimes", "memtech"):
            run_id = self.run_id(self._one_run(f"plot {kind}", run, kind="scalesim"), kind="scalesim")
            if kind == "lifetimes":
                _check_int("layer", layer, minimum=0)
                drawn = plots.plot_lifetimes(self._con, run_id, layer)
            else:
                drawn = plots.plot_memtech(self._con, run_id)
        else:
            raise GsdbError(f"plot {kind!r}: no such picture (one of: {', '.join(PLOT_KINDS)})")
        if out is not None:
            plots.save_figure(drawn.figure, Path(out), self.protected_paths)
        return drawn.figure

    def plot_lifetimes_per_layer(self, run: str | int | None, out: str | Path, *, replace: bool = False) -> list[Path]:
        """GainSight's per-layer pictures: the lifetime picture of each layer of a SCALE-Sim run, as
        `out/layer<i>_graph.png`, all with the same axes. The folder is written all at once; an
        existing one is replaced only with replace=True and only if it is an earlier export. Returns
        the files written."""
        from gainsight_db import plots
        from gainsight_db.common.staging import staged_folder

        run_id = self.run_id(self._one_run("plot lifetimes per layer", run, kind="scalesim"), kind="scalesim")
        out = Path(out)
        names = []
        with staged_folder(out, replace, self.protected_paths) as stage:
            for name, drawn in plots.plot_lifetimes_per_layer(self._con, run_id):
                plots.save_figure(drawn.figure, stage / name)
                names.append(name)
        return [out / name for name in names]


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _is_closed(con: duckdb.DuckDBPyConnection) -> bool:
    try:
        con.execute("SELECT 1").fetchall()
    except duckdb.ConnectionException:
        return True
    return False




def _some_runs(kind: str, run: Any) -> list[str | int] | None:
    """None (every run), one run, or several; an empty list is an error, not every run."""
    if run is None:
        return None
    runs = [run] if isinstance(run, (str, int)) else list(run)
    if not runs:
        raise GsdbError(f"{kind}: an empty list of runs (give None for every run)")
    return runs


def _check_int(name: str, value: Any, minimum: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise GsdbError(f"{name} {value!r}: expected an integer")
    if minimum is not None and value < minimum:
        raise GsdbError(f"{name} {value!r}: expected an integer >= {minimum}")


def _check_number(name: str, value: Any, minimum: float, strict: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GsdbError(f"{name} {value!r}: expected a finite number")
    if value < minimum or (strict and value == minimum):
        raise GsdbError(f"{name} {value!r}: expected a number {'>' if strict else '>='} {minimum:g}")



def _memtech_options(settings: dict):
    """The memory-technology settings given as keywords, checked, as MemtechOptions."""
    from gainsight_db.reports.memtech_settings import MemtechOptions

    _check_number("clock_hz", settings.get("clock_hz"), minimum=0.0, strict=True)
    _check_int("word_bits", settings.get("word_bits"), minimum=1)
    _check_number("threshold_s", settings.get("threshold_s"), minimum=0.0, strict=True)
    _check_number("node_nm", settings.get("node_nm"), minimum=0.0, strict=True)
    _check_number("retention_factor", settings.get("retention_factor"), minimum=0.0, strict=True)
    tech = settings.get("tech")
    if tech is not None and not Path(tech).is_file():
        raise GsdbError(f"{tech}: technology file not found")
    assume = settings.get("assume") or ()
    assume = (assume,) if isinstance(assume, str) else tuple(assume)
    if not all(isinstance(a, str) for a in assume):
        raise GsdbError("assume: expected 'technology.figure=value' strings")
    options = MemtechOptions(
        clock_hz=settings.get("clock_hz"), word_bits=settings.get("word_bits"), threshold_s=settings.get("threshold_s"),
        node_nm=settings.get("node_nm"), retention_factor=settings.get("retention_factor"),
        tech=Path(tech) if tech is not None else None, default_tech=bool(settings.get("default_tech")), assume=assume,
    )
    options.check()
    return options
