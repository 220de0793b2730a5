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
