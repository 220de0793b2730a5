"""Ingesting one SCALE-Sim run directory: reports, config and topology, and every trace."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from gainsight_db.loaders import catalog
from gainsight_db.loaders.provenance import FileLedger
from gainsight_db.loaders.scalesim_derived import BufferFigures, buffer_figures, load_buffer, write_levels
from gainsight_db.loaders.scalesim_inputs import (
    RunConfig,
    Topology,
    find_config,
    find_topology,
    read_config,
    read_topology,
)
from gainsight_db.loaders.scalesim_memory import InMemoryTraces
from gainsight_db.loaders.trace_shards import ShardTraces
from gainsight_db.loaders.scalesim_reports import (
    COMPUTE,
    REQUIRED_REPORTS,
    SPARSE,
    check_layer_ids,
    check_reports_layers,
    load_report,
    report_format_version,
)
from gainsight_db.loaders.scalesim_traces import (
    matrix_accesses,
    parse_as_written,
    read_trace,
    TraceIds,
    record_trace,
    trace_path,
)

from gainsight_db.common.buffers import BUFFERS, LEVELS
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.progress import BYTES, NoProgress, Progress


@dataclass(frozen=True)
class ScalesimOptions:
    config: Path | None = None
    topology: Path | None = None


@dataclass(frozen=True)
class SimulatedInputs:
    """What `gsdb simulate` records about a run it made (the `runs` columns of the same names)."""

    overrides: str
    inputs_sha256: str


@dataclass(frozen=True)
class IngestResult:
    run_id: int
    name: str
    kind: str
    source_path: str
    layers: int
    accesses: int
    rows_loaded: int
    replaced: bool
    audit_differences: int
    detail: str = ""  # a one-line summary for kinds other than SCALE-Sim


def _layer_ids(con: duckdb.DuckDBPyConnection, run_id: int, path: Path) -> list[int]:
    rows = con.execute(
        "SELECT layer, count(*) FROM compute_report WHERE run_id = ? GROUP BY layer ORDER BY layer", [run_id]
    ).fetchall()
    duplicated = [layer for layer, n in rows if n > 1]
    if duplicated:
        raise GsdbError(f"{path}: LayerID {duplicated[0]} appears more than once")
    negative = [layer for layer, _ in rows if layer < 0]
    if negative:
        raise GsdbError(f"{path}: negative LayerID {negative[0]}")
    return [layer for layer, _ in rows]


def _resolve_inputs(
    run_dir: Path, layer_count: int, options: ScalesimOptions, warn
) -> tuple[RunConfig | None, Topology | None]:
    config = read_config(options.config) if options.config else find_config(run_dir, warn)
    if options.topology:
        topology = read_topology(options.topology)
        if len(topology.layers) != layer_count:
            raise GsdbError(
                f"{options.topology}: has {len(topology.layers)} layers (depthwise rows expanded) but "
                f"{run_dir / 'COMPUTE_REPORT.csv'} has {layer_count}"
            )
    else:
        topology = find_topology(run_dir, layer_count, warn)
    return config, topology


def _insert_shapes(con: duckdb.DuckDBPyConnection, run_id: int, topology: Topology) -> int:
    rows = [
        (run_id, layer, s.name, s.topology_row, s.layer_kind, s.ifmap_height, s.ifmap_width, s.filter_height,
         s.filter_width, s.channels, s.num_filters, s.strides, s.gemm_m, s.gemm_n, s.gemm_k, s.sparsity,
         s.ofmap_height, s.ofmap_width, s.macs)
        for layer, s in enumerate(topology.layers)
    ]
    con.executemany(f"INSERT INTO layer_shapes VALUES ({', '.join('?' * 19)})", rows)
    return len(rows)


@dataclass
class LoadedTraces:
    """The traces of a run loaded before its reports (`gsdb simulate` loads each layer as soon as
    SCALE-Sim has simulated it): the run id claimed for them, and what was loaded."""

    run_id: int
    replaced: bool
    started_at: object
    layers: list[int] = field(default_factory=list)
    accesses: int = 0
    rows_loaded: int = 0


def claim_simulated_run(con: duckdb.DuckDBPyConnection, run_dir: Path, simulated: SimulatedInputs) -> LoadedTraces:
    """Claim the run id of a run about to be simulated into `run_dir`, before any of it is loaded (the
    caller owns the transaction); its traces are then loaded with `load_layer`."""
    started_at = catalog.utc_now()
    run_id, replaced = catalog.claim_run_id(con, "scalesim", str(run_dir.resolve()), simulated.inputs_sha256)
    return LoadedTraces(run_id, replaced, started_at)


class _BuffersAhead:
    """Each (layer, buffer)'s two trace files parsed, and what numpy finds of their accesses
    (buffer_figures), up to `depth` buffers ahead in as many threads, while DuckDB stores a buffer
    parsed before (pyarrow and numpy release the GIL). Buffers are started in the order given;
    `take()` returns the first to be ready of those in flight (of two ready at once, the one started
    first), so DuckDB stores a small buffer while a large one is still being parsed, and starts on the
    next buffer. It returns ((layer, buffer), {level: what `parse_as_written` made of the file, None
    for a file it leaves to `read_trace`}, the figures, or None unless both files were parsed), and
    raises the error of a buffer that failed."""

    def __init__(self, run_dir: Path, buffers: list[tuple[int, str]], writing: dict[str, str], depth: int = 2) -> None:
        self._run_dir = run_dir
        self._buffers = list(buffers)
        self._writing = writing
        self._pool = ThreadPoolExecutor(max_workers=depth, thread_name_prefix="gsdb-parse")
        self._ahead: dict[Future, int] = {}  # buffer in flight -> its place in the order
        self._next = 0
        for _ in range(depth):
            self._submit()

    def _parse(self, layer: int, buffer: str):
        found = {level: parse_as_written(trace_path(self._run_dir, layer, buffer, level), level) for level in LEVELS}
        if any(parsed is None for parsed in found.values()):
            return found, None
        return found, buffer_figures({level: (f.cycles, f.addrs) for level, f in found.items()}, self._writing[buffer])

    def _submit(self) -> None:
        if self._next < len(self._buffers):
            self._ahead[self._pool.submit(self._parse, *self._buffers[self._next])] = self._next
            self._next += 1

    def take(self) -> tuple[tuple[int, str], tuple[dict, BufferFigures | None]]:
        if not self._ahead:
            raise RuntimeError("every buffer has been taken")
        done, _ = wait(self._ahead, return_when=FIRST_COMPLETED)
        first = min(done, key=self._ahead.__getitem__)
        place = self._ahead.pop(first)
        parsed = first.result()  # a buffer that failed stops the ingest here, before another is started
        self._submit()
        return self._buffers[place], parsed

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def load_layer(con: duckdb.DuckDBPyConnection, run_dir: Path, run_id: int, layer: int,
               in_memory: InMemoryTraces | ShardTraces | None, ledger: FileLedger | None = None,
               advance=None, writing: dict[str, str] | None = None,
               trace_ids: TraceIds | None = None) -> tuple[int, int]:
    """Load one layer's six traces (from its trace files, checked by the caller, or from SCALE-Sim's
    memory or shards), a buffer at a time (`load_buffer_traces`). `advance(size)` hears of each trace
    file read; `writing` is write_levels(con), asked for if not given; `trace_ids`, the run's (made if
    not given). Returns (accesses, rows loaded)."""
    writing = writing or write_levels(con)
    trace_ids = trace_ids or TraceIds(con)
    accesses = rows_loaded = 0
    for buffer in BUFFERS:
        found, rows = load_buffer_traces(con, run_dir, run_id, layer, buffer, in_memory, ledger, advance,
                                         writing, trace_ids)
        accesses += found
        rows_loaded += rows
    return accesses, rows_loaded


def load_buffer_traces(con: duckdb.DuckDBPyConnection, run_dir: Path, run_id: int, layer: int, buffer: str,
                       in_memory: InMemoryTraces | ShardTraces | None, ledger: FileLedger | None,
                       advance, writing: dict[str, str], trace_ids: TraceIds,
                       parsed: tuple[dict, BufferFigures | None] = ({}, None),
                       first_id: int | None = None) -> tuple[int, int]:
    """Load one (layer, buffer)'s two traces: parsed together, its lifetimes and statistics derived
    from them, and only then appended to accesses (scalesim_derived). `parsed`: what _BuffersAhead
    made of its trace files, if it was asked. The traces take the next ids of `trace_ids`, or
    `first_id` and the one after, in LEVELS order. Returns (accesses, rows loaded)."""
    files, figures = parsed
    found = {}
    accesses = rows_loaded = 0
    for level in LEVELS:
        path = trace_path(run_dir, layer, buffer, level)
        size = None
        if in_memory is None:  # the caller checked every trace file before any was loaded
            size = path.stat().st_size
            trace = read_trace(con, path, level, files.get(level))
            if ledger is not None:
                ledger.add(path, trace.sha256)
        else:
            matrix = in_memory.take(layer, buffer, level)
            trace = matrix_accesses(matrix, f"{path} (in memory)", level)
            del matrix
        stats = trace.stats
        trace_id = trace_ids.take() if first_id is None else first_id + LEVELS.index(level)
        record_trace(con, trace_id, run_id, layer, buffer, level, path, size, stats,
                     "csv" if in_memory is None else "memory")
        found[level] = (trace_id, trace)
        accesses += stats.accesses
        rows_loaded += stats.accesses + 1
        if advance is not None and size is not None:
            advance(size)
    del files, parsed
    load_buffer(con, run_id, layer, buffer, found, writing[buffer], figures)
    return accesses, rows_loaded


def _schedule(sizes: dict[tuple[int, str], int]) -> list[tuple[int, str]]:
    """The order a run's buffers are parsed in, from the bytes of their trace files: the smallest
    first, so that DuckDB has something to store soon, then the others from the largest to the
    smallest, so that the last to be parsed, and stored once parsing is done, are quick. (Two stages,
    parsing ahead and storing, overlap best so; each buffer is loaded on its own, in any order.)"""
    by_size = sorted(sizes, key=lambda key: (-sizes[key], key))
    return by_size[-1:] + by_size[:-1]


def ingest_scalesim_run(
    con: duckdb.DuckDBPyConnection,
    run_dir: Path,
    options: ScalesimOptions,
    progress: Progress | None = None,
    warn=None,
    in_memory: InMemoryTraces | ShardTraces | None = None,
    simulated: SimulatedInputs | None = None,
    loaded: LoadedTraces | None = None,
) -> IngestResult:
    """Load one run directory; the caller owns the transaction. With `in_memory`, the trace matrices
    come from SCALE-Sim's memory or its shards (the run directory then needs only the reports). With
    `loaded`, the traces were loaded already (`load_layer`, under the run id `loaded` claimed), and
    must be those of every layer of the reports. A run `simulated` by gsdb replaces the run simulated
    from the same inputs, if any."""
    progress = progress or NoProgress()
    run_dir = run_dir.resolve()
    source_path = str(run_dir)
    started_at = loaded.started_at if loaded else catalog.utc_now()
    for spec in REQUIRED_REPORTS:
        report = run_dir / spec.file_name
        if not report.is_file():
            raise GsdbError(f"{report}: report is missing from the SCALE-Sim run directory")

    with FileLedger() as ledger:
        if loaded:
            run_id, replaced = loaded.run_id, loaded.replaced
        else:
            run_id, replaced = catalog.claim_run_id(con, "scalesim", source_path,
                                                    simulated.inputs_sha256 if simulated else None)
        ingest_id = catalog.next_ingest_id(con)
        reports = [(spec, run_dir / spec.file_name) for spec in REQUIRED_REPORTS]
        if (run_dir / SPARSE.file_name).is_file():
            reports.append((SPARSE, run_dir / SPARSE.file_name))
        compute = run_dir / COMPUTE.file_name
        ledger.add(compute)
        rows_loaded = load_report(con, COMPUTE, compute, run_id, warn)
        check_layer_ids(con, run_id, compute)
        layers = _layer_ids(con, run_id, compute)
        # The trace files are parsed from here on, while the other reports and inputs are read.
        trace_files = None if loaded or in_memory is not None else _TraceFiles(run_dir, layers, write_levels(con))
        try:
            for spec, report in reports[1:]:
                ledger.add(report)
                rows_loaded += load_report(con, spec, report, run_id, warn)
            # Every report lists the layers of COMPUTE_REPORT.csv, each once (load_report refuses repeats).
            check_reports_layers(con, run_id, compute, reports[1:])

            config, topology = _resolve_inputs(run_dir, len(layers), options, warn)
            if config:
                ledger.add(config.path)
            if topology:
                ledger.add(topology.path)
                rows_loaded += _insert_shapes(con, run_id, topology)

            if loaded:
                _check_simulated_layers(run_dir, layers, loaded.layers)
                accesses = loaded.accesses
                rows_loaded += loaded.rows_loaded
            elif trace_files is not None:
                accesses, loaded_rows = _load_trace_files(con, run_dir, run_id, trace_files, ledger, progress)
                rows_loaded += loaded_rows
            else:
                accesses, loaded_rows = _load_in_memory(con, run_dir, run_id, layers, in_memory, ledger, progress)
                rows_loaded += loaded_rows
        finally:
            if trace_files is not None:
                trace_files.close()

        run_columns: dict[str, object] = {
            "run_id": run_id,
            "kind": "scalesim",
            "name": run_dir.name,
            "source_path": source_path,
            "format_version": report_format_version(con, run_id),
            "ingest_id": ingest_id,
            "layer_count": len(layers),
        }
        if config:
            run_columns.update(config.columns())
        if topology:
            run_columns.update({"topology_path": str(topology.path), "topology_kind": topology.kind})
        if simulated:
            run_columns.update({"overrides": simulated.overrides, "inputs_sha256": simulated.inputs_sha256})
        catalog.record_run(con, run_columns)
        catalog.record_ingest(
            con, ingest_id=ingest_id, run_id=run_id, started_at=started_at, source_path=source_path,
            loader="scalesim", files=ledger.entries(), rows_loaded=rows_loaded,
        )
    differences = con.execute(
        "SELECT count(*) FROM access_audit WHERE run_id = ? AND NOT matches", [run_id]
    ).fetchone()[0]
    return IngestResult(run_id, run_dir.name, "scalesim", source_path, len(layers), accesses, rows_loaded,
                        replaced, int(differences))


def _check_simulated_layers(run_dir: Path, layers: list[int], simulated: list[int]) -> None:
    """The layers of the reports must be those SCALE-Sim handed over."""
    if simulated != layers:
        raise GsdbError(f"{run_dir / 'COMPUTE_REPORT.csv'}: layers {layers} but SCALE-Sim simulated layers {simulated}")


class _TraceFiles:
    """A run's trace files: each checked to be there, then parsed two buffers ahead (_BuffersAhead)
    in the order of _schedule, from the moment this is made. `close()` stops the parsing."""

    def __init__(self, run_dir: Path, layers: list[int], writing: dict[str, str]) -> None:
        self.layers = layers
        self.writing = writing
        # Each (layer, buffer)'s trace files, in the order of the run.
        self.files = {(layer, buffer): [trace_path(run_dir, layer, buffer, level) for level in LEVELS]
                      for layer in layers for buffer in BUFFERS}
        self.paths = [path for pair in self.files.values() for path in pair]
        for path in self.paths:
            if not path.is_file():
                what = "is a folder, not a trace file" if path.is_dir() else "trace file is missing"
                raise GsdbError(f"{path}: {what}")
        self.size = {path: path.stat().st_size for path in self.paths}
        self.order = _schedule({key: sum(self.size[path] for path in pair) for key, pair in self.files.items()})
        self.ahead = _BuffersAhead(run_dir, self.order, writing)

    def close(self) -> None:
        self.ahead.close()


def _load_trace_files(con: duckdb.DuckDBPyConnection, run_dir: Path, run_id: int, trace_files: _TraceFiles,
                      ledger: FileLedger, progress: Progress) -> tuple[int, int]:
    """Load every layer's trace files as they are parsed; (accesses, rows loaded), progress in bytes
    read."""
    accesses = rows_loaded = 0
    trace_ids = TraceIds(con)
    progress.start(sum(trace_files.size.values()), f"ingesting {run_dir.name}", BYTES)
    # Buffers are stored as they are parsed; their traces are numbered, and listed in the ingest's
    # files, in the order of the run.
    first_id = {key: trace_ids.take(len(LEVELS)) for key in trace_files.files}
    ledger.expect(trace_files.paths)
    layer_count = len(trace_files.layers)
    for _ in trace_files.order:
        (layer, buffer), parsed = trace_files.ahead.take()
        progress.advance(0, f"ingesting {run_dir.name} layer {layer + 1}/{layer_count} {buffer}")
        found, rows = load_buffer_traces(con, run_dir, run_id, layer, buffer, None, ledger, progress.advance,
                                         trace_files.writing, trace_ids, parsed, first_id[layer, buffer])
        accesses += found
        rows_loaded += rows
    return accesses, rows_loaded


def _load_in_memory(con: duckdb.DuckDBPyConnection, run_dir: Path, run_id: int, layers: list[int],
                    in_memory: InMemoryTraces | ShardTraces, ledger: FileLedger,
                    progress: Progress) -> tuple[int, int]:
    """Load every layer's traces from SCALE-Sim's memory or shards; (accesses, rows loaded), progress
    in layers ingested."""
    accesses = rows_loaded = 0
    writing = write_levels(con)
    trace_ids = TraceIds(con)
    _check_simulated_layers(run_dir, layers, in_memory.layers)
    progress.start(len(layers), f"ingesting {run_dir.name}", "layers")
    for layer in layers:
        progress.advance(0, f"ingesting {run_dir.name} layer {layer + 1}/{len(layers)}")  # LayerIDs are 0, 1, ...
        found, rows = load_layer(con, run_dir, run_id, layer, in_memory, ledger, progress.advance, writing,
                                 trace_ids)
        accesses += found
        rows_loaded += rows
        progress.advance(1)
    return accesses, rows_loaded
