"""What a SCALE-Sim run's views need, computed once at ingest: `_generations` (which write owns each
read) and `_layer_stats` (per-layer statistics), one (run, layer, buffer) at a time.

At ingest they are derived from the accesses of that layer and buffer's two traces as parsed (numpy
arrays), before the accesses are appended to `accesses`: nothing is staged or copied on the way, and
each step sees only one layer and buffer (it fits in memory whatever the size of the run).

**Generations.** `_generations_of` (sql/lifetimes) defines them for any accesses. Most addresses are
simple: written in one cycle, every read at or after that write, so the address is one generation
(its write cycle, its reads, its last read). Those are found here from per-address figures computed
in numpy over dense address indices (a minimum, maximum and count per address, no sort); the accesses
of every other address (written in two or more cycles, read before the write, or never written) go
through `_generations_of` in DuckDB, which handles all cases. What `_generations_of` would make of a
simple address is exactly that one generation, so the split changes nothing (tests check it against
a plain reference on random traces).

**Statistics.** `_layer_stats_of` computes the lifetime figures from the generations (an Arrow table)
in DuckDB; the access counts it is given (reads, writes, distinct cycles with a read or a write) are
counted here, over the traces' cycle arrays.

Which trace level is a write into a buffer is `_is_write` (sql/lifetimes), asked of DuckDB.
"""

from __future__ import annotations

import duckdb

from gainsight_db.loaders.scalesim_traces import insert_accesses

from gainsight_db.common.buffers import BUFFERS, LEVELS
from gainsight_db.common.results import one_row

# Dense address indices are used while an address range is at most this many times the accesses
# (plus a constant); a sparser range is numbered by sorting its distinct addresses instead.
_DENSE_FACTOR = 4
_DENSE_SLACK = 1 << 16


def _levels_by_role(con: duckdb.DuckDBPyConnection, buffer: str) -> tuple[str, str]:
    """(the level whose accesses write into `buffer`, the level whose accesses read it)."""
    sram_writes, dram_writes = one_row(con, "SELECT _is_write(?, 'sram'), _is_write(?, 'dram')", [buffer, buffer])
    if sram_writes == dram_writes:
        raise RuntimeError(f"_is_write makes both levels of {buffer} {'writes' if sram_writes else 'reads'}")
    return ("sram", "dram") if sram_writes else ("dram", "sram")


def _address_indices(write_addrs, read_addrs):
    """Each access's address as an index from 0, and the address of each index (None when the
    indices are the addresses less their minimum)."""
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


def _simple_generations(writes, reads):
    """The generations of the simple addresses (see the module's doc) as an Arrow table (addr,
    write_cycle, reads, last_read_cycle), the masks of the write and read accesses of every other
    address, and how many distinct addresses are read or written."""
    import numpy as np

    (write_cycles, write_addrs), (read_cycles, read_addrs) = writes, reads
    if not len(write_addrs) and not len(read_addrs):
        empty = np.zeros(0, bool)
        return _generation_table([], [], [], [], None), empty, empty, 0
    write_index, read_index, low, addresses = _address_indices(write_addrs, read_addrs)
    size = (int(max(write_index.max(initial=-1), read_index.max(initial=-1))) + 1)
    first_write, last_write = _lowest_highest(write_index, write_cycles, size)
    first_read, last_read = _lowest_highest(read_index, read_cycles, size)
    read_count = np.bincount(read_index, minlength=size)
    written = first_write <= last_write
    simple = written & (first_write == last_write) & ((read_count == 0) | (first_read >= first_write))
    where = np.flatnonzero(simple)
    simple_addrs = (where + low).astype(np.int32) if addresses is None else addresses[where].astype(np.int32)
    counts = read_count[where]
    table = _generation_table(simple_addrs, first_write[where], counts, last_read[where], counts == 0)
    footprint = int(np.count_nonzero(written | (read_count > 0)))
    return table, ~simple[write_index], ~simple[read_index], footprint


def _generation_table(addr, write_cycle, reads, last_read_cycle, no_read):
    import pyarrow as pa

    return pa.table({
        "addr": pa.array(addr, pa.int32()),
        "write_cycle": pa.array(write_cycle, pa.int32()),
        "reads": pa.array(reads, pa.int64()),
        "last_read_cycle": pa.array(last_read_cycle, pa.int32(), mask=no_read),
    })


def _distinct(cycles) -> int:
    """How many distinct values `cycles` holds (in one pass when they never step back)."""
    import numpy as np

    if not len(cycles):
        return 0
    steps = np.diff(cycles)
    if (steps >= 0).all():
        return int(np.count_nonzero(steps)) + 1
    return len(np.unique(cycles))


def _generations(con: duckdb.DuckDBPyConnection, writes, reads, levels: tuple[str, str], run_id: int, layer: int,
                 buffer: str):
    """Every generation of one (run, layer, buffer), as an Arrow table (addr, write_cycle, reads,
    last_read_cycle), and how many distinct addresses are read or written."""
    import numpy as np
    import pyarrow as pa

    simple, other_writes, other_reads, footprint = _simple_generations(writes, reads)
    if not other_writes.any() and not other_reads.any():
        return simple, footprint
    names = pa.array(LEVELS)
    _other_accesses = pa.Table.from_batches([  # noqa: F841 (read by the query)
        pa.record_batch({
            "level": pa.DictionaryArray.from_arrays(np.full(int(mask.sum()), LEVELS.index(level), np.int8), names),
            "cycle": cycles[mask],
            "addr": addrs[mask],
        })
        for (cycles, addrs), mask, level in ((writes, other_writes, levels[0]), (reads, other_reads, levels[1]))
    ])
    others = con.sql(f"SELECT addr, write_cycle, reads, last_read_cycle FROM _generations_of("
                     f"'_other_accesses', {int(run_id)}, {int(layer)}, '{buffer}')").to_arrow_table()
    return pa.concat_tables([simple, others.cast(simple.schema)]), footprint


def derive_buffer(con: duckdb.DuckDBPyConnection, run_id: int, layer: int, buffer: str, traces: dict) -> None:
    """Add one (run, layer, buffer)'s generations and statistics, from its traces' accesses
    (`traces`: level -> (cycles, addrs), numpy int32 arrays in trace order; a missing level has none)."""
    import numpy as np

    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32))
    levels = _levels_by_role(con, buffer)
    writes, reads = (traces.get(level, empty) for level in levels)
    _layer_generations, footprint = _generations(con, writes, reads, levels, run_id, layer, buffer)  # noqa: F841
    key = f"{int(run_id)}, {int(layer)}, '{buffer}'"
    con.execute(f"INSERT INTO _generations SELECT {key}, addr, write_cycle, reads, last_read_cycle "
                "FROM _layer_generations")
    counts = f"{len(reads[0])}, {len(writes[0])}, {_distinct(reads[0])}, {_distinct(writes[0])}, {footprint}"
    con.execute(f"INSERT INTO _layer_stats BY NAME SELECT * FROM _layer_stats_of('_layer_generations', {key}, "
                f"{counts})")


def load_buffer(con: duckdb.DuckDBPyConnection, run_id: int, layer: int, buffer: str, traces: dict) -> None:
    """Derive one (run, layer, buffer)'s generations and statistics from its traces' accesses
    (`traces`: level -> TraceAccesses), then append the accesses to accesses."""
    derive_buffer(con, run_id, layer, buffer, {level: (found.cycles, found.addrs) for level, found in traces.items()})
    for level, found in traces.items():
        insert_accesses(con, found, run_id, layer, buffer, level)


def derive_run(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """(Re)compute the derived rows of one run from the accesses table (upgrades, tests)."""
    import numpy as np

    for table in ("_generations", "_layer_stats"):
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    layers = con.execute("SELECT layer FROM compute_report WHERE run_id = ? ORDER BY layer", [run_id]).fetchall()
    for (layer,) in layers:
        for buffer in BUFFERS:
            traces = {}
            for level in LEVELS:
                found = con.execute("SELECT cycle, addr FROM accesses WHERE run_id = ? AND layer = ? AND buffer = ? "
                                    "AND level = ?", [run_id, layer, buffer, level]).fetchnumpy()
                traces[level] = tuple(np.asarray(found[c], np.int32) for c in ("cycle", "addr"))
            derive_buffer(con, run_id, layer, buffer, traces)


def derive_all(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the derived rows of every SCALE-Sim run (used when a warehouse is upgraded)."""
    for (run_id,) in con.execute("SELECT run_id FROM runs WHERE kind = 'scalesim' ORDER BY run_id").fetchall():
        derive_run(con, run_id)
