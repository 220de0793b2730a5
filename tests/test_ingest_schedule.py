"""The order in which an ingest loads a run's buffers (loaders/scalesim_ingest.py, _schedule)."""

from __future__ import annotations

from gainsight_db.loaders.scalesim_ingest import _schedule


def test_buffers_are_loaded_smallest_first_then_from_largest_to_smallest():
    """Rule: the smallest buffer (in bytes of trace files) is loaded first, then the others from the
    largest down; equal sizes go in (layer, buffer) order. Every buffer is loaded once."""
    sizes = {(0, "ifmap"): 50, (0, "filter"): 10, (0, "ofmap"): 70,
             (1, "ifmap"): 30, (1, "filter"): 30, (1, "ofmap"): 5}
    assert _schedule(sizes) == [(1, "ofmap"), (0, "ofmap"), (0, "ifmap"), (1, "filter"), (1, "ifmap"),
                                (0, "filter")]
    assert _schedule({(0, "ifmap"): 1}) == [(0, "ifmap")]
    assert _schedule({}) == []


def test_the_ingest_lists_trace_files_in_the_order_of_the_run(tmp_path):
    """Rule: whatever order the buffers are loaded in, the ingest's provenance (ingests.files) lists
    the trace files layer by layer, buffer by buffer (ifmap, filter, ofmap), SRAM before DRAM, each
    once, after the reports."""
    import duckdb

    import gainsight_db
    from conftest import EXAMPLE_RUN

    run = EXAMPLE_RUN / "tiny_8x8_ws"
    with gainsight_db.connect(tmp_path / "w.duckdb") as wh:
        wh.ingest(EXAMPLE_RUN)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        [(files,)] = con.execute("SELECT files FROM ingests").fetchall()
    finally:
        con.close()
    listed = [entry["path"] for entry in files]  # a list of structs
    traces = [path for path in listed if path.endswith("_TRACE.csv")]
    by_hand = [str((run / f"layer{layer}" / f"{buffer}_{level}_TRACE.csv").resolve())
               for layer in range(3) for buffer in ("IFMAP", "FILTER", "OFMAP") for level in ("SRAM", "DRAM")]
    assert traces == by_hand
    assert listed[-len(traces):] == traces


def test_buffers_are_stored_as_they_are_ready_of_two_ready_the_first_started(tmp_path):
    """Rule: of the buffers being parsed ahead, the ingest takes the first to be ready (so a small
    buffer is stored while a large one is still parsed); of buffers ready together, the one started
    first; a buffer whose parse failed raises its error when taken."""
    import threading

    import pytest

    from gainsight_db.loaders.scalesim_ingest import _BuffersAhead

    large_parsed = threading.Event()
    started = []

    class Parsing(_BuffersAhead):
        def _parse(self, layer, buffer):
            started.append((layer, buffer))
            if (layer, buffer) == (0, "ifmap"):
                assert large_parsed.wait(10)  # the large buffer, still being parsed
            if (layer, buffer) == (2, "ofmap"):
                raise ValueError("bad file")
            return {"parsed": (layer, buffer)}, None

    ahead = Parsing(tmp_path, [(0, "ifmap"), (1, "filter"), (1, "ofmap"), (2, "ofmap")], {}, depth=2)
    try:
        assert ahead.take() == ((1, "filter"), ({"parsed": (1, "filter")}, None))
        large_parsed.set()
        for future in list(ahead._ahead):  # both in flight are ready before the next take
            future.result()
        assert ahead.take()[0] == (0, "ifmap")  # started before (1, 'ofmap')
        assert ahead.take()[0] == (1, "ofmap")
        with pytest.raises(ValueError, match="bad file"):
            ahead.take()
    finally:
        ahead.close()
    assert started == [(0, "ifmap"), (1, "filter"), (1, "ofmap"), (2, "ofmap")]
