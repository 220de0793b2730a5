"""The vocabulary of on-chip memory every layer shares: the buffers of a systolic array and the
memory levels a trace records, in the order reports list them."""

BUFFERS = ("ifmap", "filter", "ofmap")
LEVELS = ("sram", "dram")


def buffer_order(column: str) -> str:
    """SQL that sorts a buffer column in BUFFERS' order (ifmap, filter, ofmap; anything else last)."""
    cases = " ".join(f"WHEN '{b}' THEN {i}" for i, b in enumerate(BUFFERS))
    return f"CASE CAST({column} AS VARCHAR) {cases} ELSE {len(BUFFERS)} END"
