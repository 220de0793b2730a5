"""A trace handed over as SCALE-Sim's numpy matrix loads exactly as the CSV SCALE-Sim writes from it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load_trace, load_trace_matrix

from gainsight_db.common.errors import GsdbError
from gainsight_db.loaders.scalesim_derived import load_buffer
from gainsight_db.loaders.scalesim_traces import TraceIds, matrix_accesses, record_trace
from gainsight_db.warehouse.connection import open_warehouse

# SCALE-Sim's own writers: SRAM traces with '%i', DRAM traces (read/write buffers) with '%s'.
WRITER_FORMAT = {"sram": "%i", "dram": "%s"}

CASES = {
    # Rule: -1 is an idle lane; SRAM cells are written truncated, so 7.9 is address 7.
    "sram": (np.array([[0.0, 5.0, -1.0, 7.9], [1.0, -1.0, -1.0, 2.0]]),
             [(0, 5), (0, 7), (1, 2)], {"trace_rows": 2, "empty_slots": 3, "padding_cells": 0}),
    # Rule: a trailing run of two or more 1.0 in a DRAM row is padding; a single trailing 1.0 is address 1.
    "dram": (np.array([[-3.0, 4.0, 1.0, 1.0], [2.0, 6.0, -1.0, 1.0], [5.0, 1.0, 1.0, 1.0]]),
             [(-3, 4), (2, 6), (2, 1)], {"trace_rows": 3, "empty_slots": 1, "padding_cells": 5}),
}


def _loaded(con) -> list[tuple[int, int]]:
    rows = con.execute("SELECT cycle, addr FROM accesses ORDER BY cycle, addr").fetchall()
    con.execute("DELETE FROM _accesses")
    con.execute("DELETE FROM trace_files")
    return rows


@pytest.mark.parametrize("level", ["sram", "dram"])
def test_a_matrix_loads_like_the_csv_written_from_it(level, db, tmp_path):
    matrix, expected, counts = CASES[level]
    csv = tmp_path / "TRACE.csv"
    np.savetxt(csv, matrix, fmt=WRITER_FORMAT[level], delimiter=",")
    con = open_warehouse(db)
    try:
        from_matrix = load_trace_matrix(con, matrix, "in memory", 1, 0, "ifmap", level)
        matrix_rows = _loaded(con)
        from_csv = load_trace(con, csv, 1, 0, "ifmap", level)
        csv_rows = _loaded(con)
    finally:
        con.close()
    assert matrix_rows == csv_rows == sorted(expected)
    assert from_matrix == from_csv
    assert from_matrix.accesses == len(expected)
    assert {k: getattr(from_matrix, k) for k in counts} == counts


@pytest.mark.parametrize("matrix, problem", [
    (np.arange(4.0), "not a SCALE-Sim trace"),
    (np.zeros((3, 1)), "not a SCALE-Sim trace"),
    (None, "not a SCALE-Sim trace"),
    (np.array([[0.0, np.nan]]), "row 1, column 2: nan is not a number"),
    (np.array([[0.0, 5.0], [1.0, np.inf]]), "row 2, column 2: inf is not a number"),
])
def test_an_unusable_matrix_is_named_in_a_one_line_error(matrix, problem, db):
    con = open_warehouse(db)
    try:
        with pytest.raises(GsdbError) as err:
            load_trace_matrix(con, matrix, "layer0/IFMAP_SRAM_TRACE.csv (in memory)", 1, 0, "ifmap", "sram")
        assert con.execute("SELECT count(*) FROM accesses").fetchone()[0] == 0
    finally:
        con.close()
    message = str(err.value)
    assert message.startswith("layer0/IFMAP_SRAM_TRACE.csv (in memory): ") and problem in message
    assert "\n" not in message


@pytest.mark.parametrize("level", ["sram", "dram"])
def test_a_matrix_is_let_go_once_loaded_inside_the_ingest_transaction(level, db):
    """Rule: a run's traces are loaded in one transaction, each let go once loaded: nothing keeps a
    loaded matrix, or the accesses taken from it, alive until the transaction ends (DuckDB reads
    them as Arrow, without a copy)."""
    import gc
    import weakref

    con = open_warehouse(db)
    try:
        con.execute("BEGIN TRANSACTION")
        matrix = np.array([[0.0, 5.0, 7.0], [1.0, 6.0, 8.0]])
        found = matrix_accesses(matrix, "in memory", level)
        kept = [weakref.ref(a) for a in (matrix, found.cycles, found.addrs)]
        trace_id = record_trace(con, TraceIds(con).take(), 1, 0, "ifmap", level, "in memory", None, found.stats, "memory")
        # the buffer's other trace, empty (a buffer is loaded with both)
        other = "dram" if level == "sram" else "sram"
        empty = matrix_accesses(np.zeros((0, 2)), "in memory", other)
        other_id = record_trace(con, TraceIds(con).take(), 1, 0, "ifmap", other, "in memory", None, empty.stats, "memory")
        load_buffer(con, 1, 0, "ifmap", {level: (trace_id, found), other: (other_id, empty)}, "dram")
        del matrix, found
        gc.collect()
        assert con.execute("SELECT count(*) FROM accesses").fetchall() == [(4,)]
        assert [ref() for ref in kept] == [None] * 3, "kept alive by the connection"
        con.execute("ROLLBACK")
    finally:
        con.close()


def test_a_file_as_scalesim_writes_it_and_one_read_line_by_line_give_the_same_accesses(tmp_path, db):
    """Rule: a trace in SCALE-Sim's own form (parsed by pyarrow) and the same cells in another form
    (CRLF line ends, `5.00`, a short row: checked and read line by line) load the same accesses, and
    the rules (idle slots, CALC padding, empty cells) are the same for both."""
    written = "-3.0,4.0,1.0,1.0\n2.0,6.0,-1.0,1.0\n5.0,7.0,8.0,9.0\n"
    other = "-3.0,4.0,1.0,1.0\r\n2.0,6.00,-1.0,1.0\r\n5.0,7.0,8.0\r\n"  # the last row short: 9 is missing
    # by hand: row -3 is padding after 4; row 2 has an idle slot and a single 1.0 (address 1)
    expected = {"written": [(-3, 4), (2, 1), (2, 6), (5, 7), (5, 8), (5, 9)],
                "other": [(-3, 4), (2, 1), (2, 6), (5, 7), (5, 8)]}
    con = open_warehouse(db)
    try:
        found = {}
        for name, text in (("written", written), ("other", other)):
            path = tmp_path / f"{name}.csv"
            path.write_bytes(text.encode())
            found[name] = load_trace(con, path, 1, 0, "ifmap", "dram")
            assert _loaded(con) == expected[name]
    finally:
        con.close()
    assert (found["written"].padding_cells, found["written"].empty_slots, found["written"].empty_cells) == (2, 1, 0)
    assert (found["other"].padding_cells, found["other"].empty_slots, found["other"].empty_cells) == (2, 1, 1)
