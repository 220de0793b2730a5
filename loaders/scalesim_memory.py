"""The traces of a SCALE-Sim run still in memory: the numpy matrices the `scalesim` package (3.0.0)
keeps for each layer and would write to its trace CSVs, handed to the loader without the text round
trip. Each layer's simulation objects are released once its six traces have been taken, so memory
falls as the ingest goes on.
"""

from __future__ import annotations

from gainsight_db.errors import GsdbError
from gainsight_db.loaders.scalesim_traces import BUFFERS, LEVELS


def _matrix(memory_system, buffer: str, level: str):
    """What scalesim's save_traces writes for this buffer and level (same objects, same order)."""
    if level == "sram":
        return getattr(memory_system, f"{buffer}_trace_matrix")
    return getattr(memory_system, f"{buffer}_buf").get_trace_matrix()


class InMemoryTraces:
    """Trace matrices by (layer, buffer, level), each to be taken once."""

    def __init__(self, layer_sims) -> None:
        self._memory = {int(sim.layer_id): sim.memory_system for sim in layer_sims}
        self._left = {layer: {(b, lv) for b in BUFFERS for lv in LEVELS} for layer in self._memory}

    @classmethod
    def of_run(cls, scalesim_run) -> "InMemoryTraces":
        """Take the per-layer simulations out of a finished `scalesim.scale_sim.scalesim` run."""
        layers = list(scalesim_run.runner.single_layer_sim_object_list)
        scalesim_run.runner.single_layer_sim_object_list.clear()
        return cls(layers)

    @property
    def layers(self) -> list[int]:
        return sorted(self._memory)

    def take(self, layer: int, buffer: str, level: str):
        """The matrix (cycle in column 0, addresses after it); the layer is dropped after its last."""
        left = self._left.get(layer)
        if left is None or (buffer, level) not in left:
            raise GsdbError(f"SCALE-Sim layer {layer}: no {buffer} {level} trace in memory (or taken already)")
        matrix = _matrix(self._memory[layer], buffer, level)
        left.discard((buffer, level))
        if not left:
            del self._memory[layer], self._left[layer]
        return matrix
