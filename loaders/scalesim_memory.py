"""The traces of a SCALE-Sim run still in memory: the numpy matrices the `scalesim` package (3.0.0)
keeps for each layer and would write to its trace CSVs, handed to the loader without the text round
trip. Only the traces are kept from each layer's simulation (its operand and demand matrices are
let go at once), and each trace is let go once taken, so memory falls as the ingest goes on.

SCALE-Sim itself keeps every layer's matrices until its run ends. `hand_over_layer` takes a layer's
traces as soon as the layer is simulated and lets the rest of it go, so that a simulation holds
about one layer at a time (the traces then go to shard files, `trace_shards`).
"""

from __future__ import annotations

from gainsight_db.common.buffers import BUFFERS
from gainsight_db.common.errors import GsdbError


def _trace_sources(memory_system) -> dict[tuple[str, str], object]:
    """What scalesim's save_traces writes for each buffer and level: the matrix, or (OFMAP DRAM, which
    its write buffer assembles on request) the bound method that makes it."""
    sources = {}
    for buffer in BUFFERS:
        sources[(buffer, "sram")] = getattr(memory_system, f"{buffer}_trace_matrix")
        dram = getattr(memory_system, f"{buffer}_buf")
        sources[(buffer, "dram")] = dram.get_trace_matrix if buffer == "ofmap" else dram.get_trace_matrix()
    return sources


def hand_over_layer(layer_sim):
    """The traces of a layer SCALE-Sim has just simulated, as (buffer, level, matrix), one at a time,
    each let go by SCALE-Sim's objects once handed over.

    The layer's report figures are computed first, from the same state SCALE-Sim computes them from
    when it writes its reports at the end of the run (it keeps them, and does not compute them
    again); its operand, compute and memory state is then dropped. The reports are unchanged."""
    layer_sim.calc_report_data()
    sources = _trace_sources(layer_sim.memory_system)
    layer_sim.memory_system = layer_sim.compute_system = layer_sim.op_mat_obj = None
    for key in list(sources):
        source = sources.pop(key)
        yield (*key, source() if callable(source) else source)
        del source


class InMemoryTraces:
    """Trace matrices by (layer, buffer, level), each to be taken once."""

    def __init__(self, layer_sims) -> None:
        self._sources = {int(sim.layer_id): _trace_sources(sim.memory_system) for sim in layer_sims}

    @classmethod
    def of_run(cls, scalesim_run) -> "InMemoryTraces":
        """Take the traces out of a finished `scalesim.scale_sim.scalesim` run, releasing the rest."""
        layers = scalesim_run.runner.single_layer_sim_object_list
        traces = cls(layers)
        layers.clear()
        return traces

    @property
    def layers(self) -> list[int]:
        return sorted(self._sources)

    def take(self, layer: int, buffer: str, level: str):
        """The matrix (cycle in column 0, addresses after it); the layer is dropped after its last."""
        sources = self._sources.get(layer, {})
        if (buffer, level) not in sources:
            raise GsdbError(f"SCALE-Sim layer {layer}: no {buffer} {level} trace in memory (or taken already)")
        source = sources.pop((buffer, level))
        if not sources:
            del self._sources[layer]
        return source() if callable(source) else source
