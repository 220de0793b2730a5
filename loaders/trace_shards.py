"""SCALE-Sim's trace matrices handed over through files, one layer at a time.

A simulation that hands each layer over as soon as SCALE-Sim finishes it (`gsdb simulate`, and every
point of `gsdb sweep`, in its worker process) writes the layer's six trace matrices to a shard folder
and lets them go; the process that ingests the run reads them back from there. A shard is an Arrow
IPC file, `layer<i>_<buffer>_<level>.arrow`, holding the matrix exactly as SCALE-Sim made it: one
record batch with one column `row`, a fixed-size list per trace row (cycle first, then the
addresses), of the matrix's own type. Nothing is converted on the way: the ingest reads each shard
memory-mapped, as the same numpy matrix, and `matrix_accesses` applies every trace rule to it
exactly as to the matrix in SCALE-Sim's memory (`ShardTraces` takes the place of `InMemoryTraces`).
"""

from __future__ import annotations

import re
from pathlib import Path

from gainsight_db.common.buffers import BUFFERS, LEVELS
from gainsight_db.common.errors import GsdbError

_SHARD = re.compile(r"layer(\d+)_(ifmap|filter|ofmap)_(sram|dram)\.arrow")


def shard_name(layer: int, buffer: str, level: str) -> str:
    return f"layer{int(layer)}_{buffer}_{level}.arrow"


def write_shard(folder: Path, layer: int, buffer: str, level: str, matrix) -> int:
    """Write one trace matrix to its shard in `folder`; the bytes written."""
    import numpy as np
    import pyarrow as pa

    matrix = np.ascontiguousarray(matrix)
    if matrix.ndim != 2 or matrix.shape[1] < 1:
        raise GsdbError(f"SCALE-Sim layer {layer}: the {buffer} {level} trace is a {matrix.shape} array, not a "
                        "SCALE-Sim trace")
    rows = pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), matrix.shape[1])
    batch = pa.record_batch({"row": rows})
    path = folder / shard_name(layer, buffer, level)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return path.stat().st_size


def write_layer(folder: Path, layer: int, traces) -> int:
    """Write a layer's six traces, given as (buffer, level, matrix) one at a time (each matrix may be
    let go once written); the bytes written."""
    written = 0
    for buffer, level, matrix in traces:
        written += write_shard(folder, layer, buffer, level, matrix)
        del matrix
    return written


def _read_shard(path: Path):
    """The matrix of a shard, memory-mapped (no copy)."""
    import pyarrow as pa

    try:
        with pa.ipc.open_file(pa.memory_map(str(path), "r")) as reader:
            table = reader.read_all()
    except (OSError, pa.ArrowInvalid) as err:
        raise GsdbError(f"{path}: cannot read this trace shard: {err}") from err
    column = table.column("row")
    if column.num_chunks != 1:
        raise GsdbError(f"{path}: a trace shard holds one record batch, this one {column.num_chunks}")
    rows = column.chunk(0)
    width = rows.type.list_size
    return rows.flatten().to_numpy(zero_copy_only=True).reshape(len(rows), width)


class ShardTraces:
    """The trace matrices of a run in a shard folder, by (layer, buffer, level), each to be taken
    once (as `InMemoryTraces`)."""

    def __init__(self, folder: Path, layer: int | None = None) -> None:
        """The shards in `folder`: every layer's, or only those of `layer` (while the simulation
        writes the next layer's)."""
        self.folder = Path(folder)
        found: dict[int, set[tuple[str, str]]] = {}
        for path in self.folder.iterdir():
            match = _SHARD.fullmatch(path.name)
            if match and (layer is None or int(match.group(1)) == layer):
                found.setdefault(int(match.group(1)), set()).add((match.group(2), match.group(3)))
        every = {(buffer, level) for buffer in BUFFERS for level in LEVELS}
        incomplete = [layer for layer, traces in found.items() if traces != every]
        if incomplete:
            raise GsdbError(f"{self.folder}: layer {min(incomplete)} has not all six trace shards")
        self._left = {layer: set(traces) for layer, traces in found.items()}

    @property
    def layers(self) -> list[int]:
        return sorted(self._left)

    def take(self, layer: int, buffer: str, level: str):
        """The matrix (cycle in column 0, addresses after it), read memory-mapped from its shard."""
        left = self._left.get(layer, set())
        if (buffer, level) not in left:
            raise GsdbError(f"SCALE-Sim layer {layer}: no {buffer} {level} trace shard in {self.folder} "
                            "(or taken already)")
        left.discard((buffer, level))
        if not left:
            del self._left[layer]
        return _read_shard(self.folder / shard_name(layer, buffer, level))
