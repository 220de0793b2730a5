"""Lifetime rules (docs/definitions.md, "Lifetimes"), each pinned by a tiny hand-made run.

Every case writes a one- or two-layer SCALE-Sim run directory inline (traces given as CSV text),
ingests it with the real loader, and compares a view with rows worked out by hand.
"""

from __future__ import annotations

import pytest

from tiny_runs import make_run

from gainsight_db.loaders.ingest import ingest
from gainsight_db.warehouse.connection import open_warehouse

@pytest.fixture
def views(tmp_path):
    """Ingest a hand-made run and return a function that queries the warehouse."""
    con = open_warehouse(tmp_path / "w.duckdb")

    def load(layers, **kwargs):
        ingest(con, [make_run(tmp_path, layers, **kwargs)])

        def rows(sql):
            return con.execute(sql).fetchall()

        return rows

    yield load
    con.close()


LIFETIMES = "SELECT layer, buffer, addr, write_cycle, last_read_cycle, lifetime_cycles, reads FROM lifetimes ORDER BY ALL"
DEAD = "SELECT layer, buffer, addr, write_cycle FROM dead_writes ORDER BY ALL"
ORPHANS = "SELECT layer, buffer, addr, cycle FROM orphan_reads ORDER BY ALL"


def test_write_without_read_is_a_dead_write(views):
    """Rule: a write no read uses is a dead write, not a lifetime."""
    rows = views([{"IFMAP_DRAM": "-4.0,7.0\n"}])
    assert rows(LIFETIMES) == []
    assert rows(DEAD) == [(0, "ifmap", 7, -4)]


def test_read_before_any_write_is_an_orphan(views):
    """Rule: a read before the address's first write (or of an unwritten address) is an orphan read."""
    rows = views([{"IFMAP_DRAM": "5.0,7.0\n", "IFMAP_SRAM": "3,7,8\n9,7\n"}])
    assert rows(ORPHANS) == [(0, "ifmap", 7, 3), (0, "ifmap", 8, 3)]
    assert rows(LIFETIMES) == [(0, "ifmap", 7, 5, 9, 4, 1)]


def test_read_in_the_write_cycle_has_lifetime_zero(views):
    """Rule: a read in the write's own cycle belongs to that write: lifetime 0."""
    rows = views([{"FILTER_DRAM": "6.0,3.0\n", "FILTER_SRAM": "6,3\n"}])
    assert rows(LIFETIMES) == [(0, "filter", 3, 6, 6, 0, 1)]
    assert rows(DEAD) == [] and rows(ORPHANS) == []


def test_two_writes_before_a_read(views):
    """Rule: of two writes before a read, the first is dead and the read belongs to the second."""
    rows = views([{"IFMAP_DRAM": "1.0,4.0\n3.0,4.0\n", "IFMAP_SRAM": "10,4\n"}])
    assert rows(LIFETIMES) == [(0, "ifmap", 4, 3, 10, 7, 1)]
    assert rows(DEAD) == [(0, "ifmap", 4, 1)]


def test_reads_spanning_a_rewrite_split_into_two_lifetimes(views):
    """Rule: reads before a re-write end the first lifetime; later reads belong to the re-write."""
    rows = views([{"IFMAP_DRAM": "0.0,9.0\n10.0,9.0\n", "IFMAP_SRAM": "5,9\n8,9\n10,9\n12,9\n"}])
    assert rows(LIFETIMES) == [(0, "ifmap", 9, 0, 8, 8, 2), (0, "ifmap", 9, 10, 12, 2, 2)]


def test_writes_in_the_same_cycle_count_once(views):
    """Rule: write cycles are distinct; two writes of an address in one cycle are one write."""
    rows = views([{"OFMAP_SRAM": "4,2,2\n", "OFMAP_DRAM": "9.0,2.0\n"}])
    assert rows(LIFETIMES) == [(0, "ofmap", 2, 4, 9, 5, 1)]
    assert rows(DEAD) == []


def test_idle_lanes_are_not_accesses(views):
    """Rule: -1 (and -1.0) cells are idle slots: they make no reads, writes or orphans."""
    rows = views([{"IFMAP_DRAM": "-2.0,-1.0,5.0,-1.0\n", "IFMAP_SRAM": "1,-1,5,-1\n2,-1,-1,-1\n"}])
    assert rows(LIFETIMES) == [(0, "ifmap", 5, -2, 1, 3, 1)]
    assert rows(ORPHANS) == [] and rows(DEAD) == []


def test_negative_dram_cycles_are_prefetch_writes(views):
    """Rule: DRAM fills at negative cycles (prefetch) start lifetimes measured from that cycle."""
    rows = views([{"FILTER_DRAM": "-30.0,100.0,101.0\n", "FILTER_SRAM": "1,100\n5,101\n"}])
    assert rows(LIFETIMES) == [(0, "filter", 100, -30, 1, 31, 1), (0, "filter", 101, -30, 5, 35, 1)]


def test_ofmap_is_written_in_sram_and_read_by_the_drain(views):
    """Rule: for ofmap the SRAM trace writes and the DRAM trace reads (drains)."""
    rows = views([{"OFMAP_SRAM": "10,20000000\n", "OFMAP_DRAM": "25.0,20000000.0\n30.0,20000000.0\n"}])
    assert rows(LIFETIMES) == [(0, "ofmap", 20000000, 10, 30, 20, 2)]


def test_a_lifetime_never_spans_layers(views):
    """Rule: cycles restart at every layer; a write in one layer serves no read in the next."""
    rows = views([{"IFMAP_DRAM": "0.0,6.0\n"}, {"IFMAP_SRAM": "50,6\n"}])
    assert rows(LIFETIMES) == []
    assert rows(DEAD) == [(0, "ifmap", 6, 0)]
    assert rows(ORPHANS) == [(1, "ifmap", 6, 50)]


def test_buffers_are_separate(views):
    """Rule: the same address in two buffers is two addresses."""
    rows = views([{"IFMAP_DRAM": "0.0,3.0\n", "FILTER_SRAM": "4,3\n"}])
    assert rows(LIFETIMES) == []
    assert rows(DEAD) == [(0, "ifmap", 3, 0)]
    assert rows(ORPHANS) == [(0, "filter", 3, 4)]


def test_histogram_bins_are_powers_of_two(views):
    """Rule: lifetime 0 is bin 0; a lifetime L >= 1 is in bin k with 2^(k-1) <= L < 2^k."""
    spans = [0, 1, 2, 3, 4, 7, 8, 1023, 1024, 2**30 - 1, 2**30]
    fill = "0.0," + ",".join(f"{100 + i}.0" for i in range(len(spans))) + "\n"
    reads = "".join(f"{span},{100 + i}\n" for i, span in enumerate(spans))
    rows = views([{"IFMAP_DRAM": fill, "IFMAP_SRAM": reads}])
    # bin: (lo, hi, lifetimes), worked out by hand from the spans above
    expected = {
        0: (0, 1, 1), 1: (1, 2, 1), 2: (2, 4, 2), 3: (4, 8, 2), 4: (8, 16, 1),
        10: (512, 1024, 1), 11: (1024, 2048, 1), 30: (2**29, 2**30, 1), 31: (2**30, 2**31, 1),
    }
    got = rows("SELECT bin, bin_lo_cycles, bin_hi_cycles, lifetimes, lifetime_pct FROM lifetime_histogram ORDER BY bin")
    assert [(b, lo, hi, n) for b, lo, hi, n, _ in got] == [(b, *v) for b, v in sorted(expected.items())]
    assert [round(pct, 9) for *_, pct in got] == [round(100 * v[2] / len(spans), 9) for _, v in sorted(expected.items())]


def test_figures_from_counts_equal_quantile_cont_over_every_lifetime(tmp_path):
    """Rule: _lifetime_figures_of reads each key's count, mean, percentiles, min and max off lifetimes
    counted by length, as quantile_cont and avg give them over the list of every lifetime, whatever
    the order of the rows and when one length takes several rows."""
    con = open_warehouse(tmp_path / "w.duckdb")
    # key 1: lengths 0 x2 (in two rows), 3 x1, 10 x4 (in two rows, apart); key 2: one lifetime of 7;
    # key 3: no lifetimes, so no row
    con.execute("CREATE TEMP TABLE counts (key INTEGER, lifetime_cycles INTEGER, lifetimes BIGINT)")
    con.execute("INSERT INTO counts VALUES (1, 10, 1), (1, 0, 1), (2, 7, 1), (1, 3, 1), (1, 0, 1), (1, 10, 3), "
                "(3, 5, 0)")
    every = [0, 0, 3, 10, 10, 10, 10]
    # quantile_cont: h = (n - 1) q; n = 7: h50 = 3 -> 10; h90 = 5.4 -> 10; h99 = 5.94 -> 10
    assert con.execute("SELECT * FROM _lifetime_figures_of('counts') ORDER BY key").fetchall() == [
        (1, 7, sum(every) / 7, 10.0, 10.0, 10.0, 0, 10),
        (2, 1, 7.0, 7.0, 7.0, 7.0, 7, 7),
    ]
    con.execute("CREATE TEMP TABLE spread (key INTEGER, lifetime_cycles INTEGER, lifetimes BIGINT)")
    # 0 x3, 4 x1, 100 x1: n = 5, h50 = 2 -> 0; h90 = 3.6 -> 4 + (100 - 4) * 0.6 = 61.6;
    # h99 = 3.96 -> 4 + 96 * 0.96 = 96.16
    con.execute("INSERT INTO spread VALUES (9, 100, 1), (9, 0, 2), (9, 4, 1), (9, 0, 1)")
    key, n, mean, median, p90, p99, low, high = con.execute("SELECT * FROM _lifetime_figures_of('spread')").fetchone()
    assert (key, n, mean, median, low, high) == (9, 5, 104 / 5, 0.0, 0, 100)
    assert p90 == pytest.approx(61.6) and p99 == pytest.approx(96.16)
    expected = con.execute("SELECT quantile_cont(v, [0.5, 0.9, 0.99]) FROM (VALUES (0), (0), (0), (4), (100)) t(v)"
                           ).fetchone()[0]
    assert [median, p90, p99] == expected
    con.close()
