"""What a SCALE-Sim run's views need, computed once at ingest: `_generations` (which write owns each
read), `_layer_stats` (per-layer statistics) and `_lifetime_lengths` (the lifetimes counted by
length), one (run, layer, buffer) at a time.

At ingest they are derived from the accesses of that layer and buffer's two traces as parsed (numpy
arrays), before the accesses are appended to `accesses`: nothing is staged or copied on the way, and
each step sees only one layer and buffer (it fits in memory whatever the size of the run).

**Generations.** `_generations_of` (sql/lifetimes) defines them: per address, one per distinct write
cycle, owning every read from that cycle on until the next write; a read before any write is an
orphan, kept per (address, cycle). They are found here in numpy, where a layer's accesses already
are, two ways:
- most addresses are simple: written in one cycle, every read at or after that write, so the address
  is one generation (its write cycle, its reads, its last read). They are found from per-address
  figures over dense address indices (a minimum, maximum and count per address; no sort);
- the accesses of every other address (written in two or more cycles, read before the write, or never
  written) are keyed (address, cycle): the distinct write keys are sorted, and each read is owned by
  the last write key at or before its own within its address (a binary search).
Tests hold both to `_generations_of` and to a plain reference, on random traces.

**Statistics.** `_lifetime_lengths_of` counts the lifetimes by length, in DuckDB, from the
generations (an Arrow table); `_layer_stats_of` reads the lifetime figures off these counts
(`_lifetime_figures_of`, as run_stats does), and the dead writes and orphan reads off the generations.
The access counts it is given (reads, writes, distinct cycles with a read or a write, distinct
addresses) are counted here.

Which trace level is a write into a buffer is `_is_write` (sql/lifetimes), asked of DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from gainsight_db.loaders.scalesim_traces import insert_accesses

from gainsight_db.common.buffers import BUFFERS, LEVELS
from gainsight_db.common.errors import GsdbError
from gainsight_db.common.numpy_arrow import arrow_array, arrow_table
from gainsight_db.common.results import one_row

# The tables derive_buffer fills by run (it fills _generations too, by trace: see derive_run).
DERIVED_TABLES = ("_layer_stats", "_lifetime_lengths")

# Dense address indices are used while an address range is at most this many times the accesses
# (plus a constant); a sparser range is numbered by sorting its distinct addresses instead.
_DENSE_FACTOR = 4
_DENSE_SLACK = 1 << 16


@dataclass
class BufferFigures:
    """What numpy finds of one (layer, buffer)'s accesses before DuckDB sees them: its generations and
    its access counts."""

    generations: object  # Arrow table: addr, write_cycle, reads, last_read_cycle
    reads: int
    writes: int
    read_active_cycles: int
    write_active_cycles: int
    footprint_words: int


def write_levels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per buffer, the trace level whose accesses write into it (the other level's read it)."""
    levels = {}
    for buffer in BUFFERS:
        sram_writes, dram_writes = one_row(con, "SELECT _is_write(?, 'sram'), _is_write(?, 'dram')", [buffer, buffer])
        if sram_writes == dram_writes:
            raise RuntimeError(f"_is_write makes both levels of {buffer} {'writes' if sram_writes else 'reads'}")
        levels[buffer] = "sram" if sram_writes else "dram"
    return levels


def _roles(traces: dict, write_level: str):
    """(the write accesses, the read accesses), each (cycles, addrs)."""
    import numpy as np

    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32))
    read_level = next(level for level in LEVELS if level != write_level)
    return traces.get(write_level, empty), traces.get(read_level, empty)


def _address_indices(write_addrs, read_addrs):
    """Each access's address as an index from 0, the lowest address and, when the indices are not
    the addresses less the lowest, the address of each index."""
    import numpy as np

    both = len(write_addrs) + len(read_addrs)
    low = min(int(a.min()) for a in (write_addrs, read_addrs) if len(a))
    high = max(int(a.max()) for a in (write_addrs, read_addrs) if len(a))
    if high - low < _DENSE_FACTOR * both + _DENSE_SLACK:
        return (write_addrs - np.int32(low)).astype(np.intp), (read_addrs - np.int32(low)).astype(np.intp), low, None
    addresses, indices = np.unique(np.concatenate([write_addrs, read_addrs]), return_inverse=True)
    return indices[:len(write_addrs)], indices[len(write_addrs):], 0, addresses


def _lowest_highest(indices, cycles, size: int):
    """Per index: its lowest and highest cycle (INT32 max and min where it has none)."""
    import numpy as np

    lowest = np.full(size, np.iinfo(np.int32).max, np.int32)
    highest = np.full(size, np.iinfo(np.int32).min, np.int32)
    np.minimum.at(lowest, indices, cycles)
    np.maximum.at(highest, indices, cycles)
    return lowest, highest


def _generation_table(addr, write_cycle, reads, last_read_cycle, no_write, no_read):
    import numpy as np

    return arrow_table({
        "addr": np.asarray(addr, np.int32),
        "write_cycle": arrow_array(np.asarray(write_cycle, np.int32), no_write),
        "reads": np.asarray(reads, np.int64),
        "last_read_cycle": arrow_array(np.asarray(last_read_cycle, np.int32), no_read),
    })


def _distinct(cycles) -> int:
    """How many distinct values `cycles` holds (in one pass when they never step back, else sorted
    first; not np.unique, which imports numpy.ma, 16 ms, on its first call)."""
    import numpy as np

    if not len(cycles):
        return 0
    if not (cycles[1:] >= cycles[:-1]).all():
        cycles = np.sort(cycles)
    return int(np.count_nonzero(cycles[1:] != cycles[:-1])) + 1


def _sorted_distinct(keys):
    """The distinct values of `keys`, sorted, and how often each occurs. A stable sort: a trace's keys
    come in long ascending runs, which it merges rather than sorts."""
    import numpy as np

    keys = np.sort(keys, kind="stable")
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, np.intp)
    return keys[starts], np.diff(np.r_[starts, len(keys)])


def _ordered_generations(write_index, write_cycles, read_index, read_cycles):
    """The generations of any accesses (address indices and cycles of the writes and of the reads):
    (index, write_cycle, reads, last_read_cycle, no_write, no_read), numpy arrays. Writes and reads
    are keyed (index, cycle) and sorted; each read is owned by the last write key at or before its own
    within its address (a binary search), and a generation's last read is the last key it owns."""
    import numpy as np

    cycles = np.concatenate([write_cycles, read_cycles])
    low = int(cycles.min())
    span = int(cycles.max()) - low + 1
    if int(max(write_index.max(initial=0), read_index.max(initial=0)) + 1) * span >= 2**62:
        # Too many indices to key in 64 bits: these addresses are numbered among themselves.
        indices, numbered = np.unique(np.concatenate([write_index, read_index]), return_inverse=True)
        if len(indices) * span >= 2**62:
            raise GsdbError(f"{len(indices):,} addresses over {span:,} cycles are too many to key in 64 bits")
        found = _ordered_generations(numbered[:len(write_index)], write_cycles, numbered[len(write_index):],
                                     read_cycles)
        return (indices[found[0]], *found[1:])
    written, _ = _sorted_distinct(write_index.astype(np.int64) * span + (write_cycles.astype(np.int64) - low))
    reads = np.sort(read_index.astype(np.int64) * span + (read_cycles.astype(np.int64) - low), kind="stable")
    owner = np.searchsorted(written, reads, side="right") - 1  # the last write key at or before
    owned = owner >= 0
    owned[owned] = written[owner[owned]] // span == reads[owned] // span  # ... of the read's own address
    owners, owned_reads = owner[owned], reads[owned]  # both ascending
    served = np.bincount(owners, minlength=len(written))
    last = np.zeros(len(written), np.int64)
    ends = np.flatnonzero(np.r_[owners[1:] != owners[:-1], True]) if len(owners) else np.zeros(0, np.intp)
    last[owners[ends]] = owned_reads[ends] % span + low
    orphans, orphan_reads = _sorted_distinct(reads[~owned])  # kept per (address, cycle)
    return (np.concatenate([written, orphans]) // span,
            np.concatenate([written % span + low, np.zeros(len(orphans), np.int64)]),
            np.concatenate([served, orphan_reads]),
            np.concatenate([last, orphans % span + low]),
            np.concatenate([np.zeros(len(written), bool), np.ones(len(orphans), bool)]),
            np.concatenate([served == 0, np.zeros(len(orphans), bool)]))


def buffer_figures(traces: dict, write_level: str) -> BufferFigures:
    """What numpy finds of one (layer, buffer)'s accesses (`traces`: level -> (cycles, addrs), numpy
    int32 arrays in trace order; a missing level has none; `write_level` from write_levels). Needs no
    connection: it may run in another thread while DuckDB stores the previous buffer."""
    import numpy as np

    writes, reads = _roles(traces, write_level)
    (write_cycles, write_addrs), (read_cycles, read_addrs) = writes, reads
    counts = dict(reads=len(read_addrs), writes=len(write_addrs), read_active_cycles=_distinct(read_cycles),
                  write_active_cycles=_distinct(write_cycles))
    if not len(write_addrs) and not len(read_addrs):
        return BufferFigures(_generation_table([], [], [], [], None, None), footprint_words=0, **counts)
    write_index, read_index, low, addresses = _address_indices(write_addrs, read_addrs)
    size = int(max(write_index.max(initial=-1), read_index.max(initial=-1))) + 1
    first_write, last_write = _lowest_highest(write_index, write_cycles, size)
    first_read, last_read = _lowest_highest(read_index, read_cycles, size)
    read_count = np.bincount(read_index, minlength=size)
    written = first_write <= last_write
    simple = written & (first_write == last_write) & ((read_count == 0) | (first_read >= first_write))
    index = np.flatnonzero(simple)
    served = read_count[index]
    used = written | (read_count > 0)
    parts = [(index, first_write[index], served, last_read[index], np.zeros(len(index), bool), served == 0)]
    if not (simple | ~used).all():  # some address is not simple: its accesses are keyed and sorted
        other_writes, other_reads = ~simple[write_index], ~simple[read_index]
        parts.append(_ordered_generations(write_index[other_writes], write_cycles[other_writes],
                                          read_index[other_reads], read_cycles[other_reads]))
        parts = [tuple(np.concatenate(c) for c in zip(*parts))]
    index, write_cycle, reads, last_read_cycle, no_write, no_read = parts[0]
    addr = index + low if addresses is None else addresses[index]
    return BufferFigures(_generation_table(addr, write_cycle, reads, last_read_cycle, no_write, no_read),
                         footprint_words=int(np.count_nonzero(used)), **counts)


def derive_buffer(con: duckdb.DuckDBPyConnection, run_id: int, layer: int, buffer: str, traces: dict,
                  write_level: str, write_trace_id: int | None, figures: BufferFigures | None = None) -> None:
    """Add one (run, layer, buffer)'s generations and statistics, from its traces' accesses
    (`traces`: level -> (cycles, addrs), as for buffer_figures) and, if already found, their
    `figures`. The generations are stored under `write_trace_id`, the trace_files row of the trace
    that writes into the buffer (None only for a buffer without accesses)."""
    figures = figures or buffer_figures(traces, write_level)
    _layer_generations = figures.generations  # noqa: F841 (read by the queries)
    key = f"{int(run_id)}, {int(layer)}, '{buffer}'"
    if _layer_generations.num_rows:
        if write_trace_id is None:
            raise GsdbError(f"run {run_id} layer {layer} {buffer}: accesses but no {write_level} trace in trace_files")
        con.execute(f"INSERT INTO _generations SELECT {int(write_trace_id)}, addr, write_cycle, reads, last_read_cycle "
                    "FROM _layer_generations")
    # The lifetimes counted by length (a few thousand rows where the generations are a million) are
    # kept, and the layer's lifetime figures read off them.
    _layer_lengths = con.sql(f"SELECT * FROM _lifetime_lengths_of('_layer_generations', {key})").to_arrow_table()
    con.execute("INSERT INTO _lifetime_lengths BY NAME SELECT * FROM _layer_lengths")
    counts = ", ".join(str(int(n)) for n in (figures.reads, figures.writes, figures.read_active_cycles,
                                            figures.write_active_cycles, figures.footprint_words))
    con.execute(f"INSERT INTO _layer_stats BY NAME SELECT * FROM _layer_stats_of('_layer_generations', "
                f"'_layer_lengths', {key}, {counts})")


def load_buffer(con: duckdb.DuckDBPyConnection, run_id: int, layer: int, buffer: str, traces: dict,
                write_level: str, figures: BufferFigures | None = None) -> None:
    """Derive one (run, layer, buffer)'s generations and statistics from its traces' accesses
    (`traces`: level -> (trace_id, TraceAccesses), each trace recorded in trace_files, the level that
    writes into the buffer among them; `figures` as for derive_buffer), then append the accesses to
    accesses."""
    derive_buffer(con, run_id, layer, buffer, {level: (found.cycles, found.addrs) for level, (_, found) in
                                               traces.items()}, write_level, traces[write_level][0], figures)
    for trace_id, found in traces.values():
        insert_accesses(con, found, trace_id)


def derive_run(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """(Re)compute the derived rows of one run from the accesses table (upgrades, tests)."""
    import numpy as np

    con.execute("DELETE FROM _generations WHERE trace_id IN (SELECT trace_id FROM trace_files WHERE run_id = ?)",
                [run_id])
    for table in DERIVED_TABLES:
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    layers = con.execute("SELECT layer FROM compute_report WHERE run_id = ? ORDER BY layer", [run_id]).fetchall()
    writing = write_levels(con)
    trace_ids = dict(((layer, buffer, level), trace_id) for layer, buffer, level, trace_id in con.execute(
        "SELECT layer, buffer, level, min(trace_id) FROM trace_files WHERE run_id = ? GROUP BY ALL", [run_id]).fetchall())
    for (layer,) in layers:
        for buffer in BUFFERS:
            traces = {}
            for level in LEVELS:
                found = con.execute("SELECT cycle, unnest(addrs) AS addr FROM _accesses WHERE trace_id IN (SELECT trace_id FROM "
                                    "trace_files WHERE run_id = ? AND layer = ? AND buffer = ? AND level = ?)",
                                    [run_id, layer, buffer, level]).fetchnumpy()
                traces[level] = tuple(np.asarray(found[c], np.int32) for c in ("cycle", "addr"))
            derive_buffer(con, run_id, layer, buffer, traces, writing[buffer],
                          trace_ids.get((layer, buffer, writing[buffer])))


def derive_all(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the derived rows of every SCALE-Sim run (used when a warehouse is upgraded)."""
    for (run_id,) in con.execute("SELECT run_id FROM runs WHERE kind = 'scalesim' ORDER BY run_id").fetchall():
        derive_run(con, run_id)
