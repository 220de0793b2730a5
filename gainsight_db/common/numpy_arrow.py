"""numpy arrays handed to Arrow (and so to DuckDB) without a copy.

`pyarrow.array` of a numpy array imports pandas the first time it runs (about 0.2 s, to check for
pandas objects); the loaders build their Arrow columns from the arrays' buffers instead.
"""

from __future__ import annotations


def arrow_array(values, nulls=None):
    """A numpy array of numbers as an Arrow array sharing its memory; `nulls`, a boolean mask, marks
    the elements that are NULL."""
    import numpy as np
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    if values.dtype.kind not in "iuf":  # (Arrow packs booleans into bits; strings have offsets)
        raise TypeError(f"arrow_array takes numbers, not {values.dtype}")
    validity = None
    if nulls is not None and np.any(nulls):
        validity = pa.py_buffer(np.packbits(~np.asarray(nulls, bool), bitorder="little"))
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [validity, pa.py_buffer(values)])


def arrow_lists(starts, values):
    """An Arrow array of lists of numbers: list i is values[starts[i]:starts[i + 1]] (the last runs
    to the end of `values`); sharing the memory of `values`."""
    import numpy as np
    import pyarrow as pa

    offsets = np.append(np.asarray(starts, np.int64), len(values))
    return pa.LargeListArray.from_arrays(arrow_array(offsets), arrow_array(values))


def arrow_table(columns: dict):
    """An Arrow table of numpy columns (as arrow_array), or of Arrow arrays."""
    import pyarrow as pa

    return pa.Table.from_arrays([c if isinstance(c, pa.Array) else arrow_array(c) for c in columns.values()],
                                names=list(columns))
