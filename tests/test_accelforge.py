"""Memory-technology figures from an AccelForge spec (loaders/accelforge_figures.py), with the real
AccelForge and the real hwcomponents models on the example architecture examples/accelforge/arch.yaml.

The expected figures are computed here without the loader: from the hwcomponents models called
directly with the example's attributes (CACTI's SRAM at 22 nm, its width and size), and by hand for
a small spec whose component figures are written in it. AccelForge needs Python >= 3.12: without it
these tests skip, unless GSDB_REQUIRE_ACCELFORGE=1, when they fail. The argument checks and the
"not installed" error run everywhere.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys

import pytest
from conftest import REPO

from gainsight_db.common.errors import GsdbError
from gainsight_db.loaders.accelforge_figures import (
    COLUMNS,
    NOT_INSTALLED,
    parse_buffer_options,
    read_accelforge_figures,
)

try:
    import accelforge
except ImportError as err:
    accelforge = None
    IMPORT_ERROR = f"{type(err).__name__}: {err}"

# hwcomponents' own use of logger.warn, not this project's.
pytestmark = pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")

ARCH = REPO / "examples" / "accelforge" / "arch.yaml"
BUFFERS = {"ifmap": "GlobalBuffer", "filter": "FilterBuffer", "ofmap": "OutputBuffer"}
# The example's buffers as written in arch.yaml: size (bits), SRAM port width = bits per action (bits),
# instances (the 4 x 4 PEArray holds one OutputBuffer each).
EXAMPLE = {
    "GlobalBuffer": {"size": 64 * 1024 * 8, "width": 64, "instances": 1},
    "FilterBuffer": {"size": 32 * 1024 * 8, "width": 64, "instances": 1},
    "OutputBuffer": {"size": 1024 * 8, "width": 32, "instances": 16},
}


@pytest.fixture(scope="module")
def af():
    """AccelForge, or a skip (a failure when GSDB_REQUIRE_ACCELFORGE=1)."""
    if accelforge is None:
        if os.environ.get("GSDB_REQUIRE_ACCELFORGE") == "1":
            pytest.fail(f"GSDB_REQUIRE_ACCELFORGE=1 but accelforge cannot be imported: {IMPORT_ERROR}")
        pytest.skip("accelforge is not installed (Python >= 3.12: pip install 'gainsight-db[accelforge]')")
    return accelforge


@pytest.fixture(scope="module")
def example_rows(af):
    return read_accelforge_figures(ARCH, BUFFERS)


def _by_buffer(rows):
    return {(r["buffer"], r["figure"]): r for r in rows}


def test_example_figures_are_cactis_per_bit_figures(example_rows):
    """Each buffer's four figures are the CACTI SRAM's own area, leak power and read/write energy
    (hwcomponents-cacti called directly with the component's tech node, width and size), per bit."""
    from hwcomponents_cacti import SRAM

    rows = _by_buffer(example_rows)
    assert len(example_rows) == 12 and len(rows) == 12
    for buffer, component in BUFFERS.items():
        attrs = EXAMPLE[component]
        sram = SRAM(tech_node=22e-9, width=attrs["width"], size=attrs["size"])
        expected = {
            "area_um2_per_bit": sram.area * 1e12 / attrs["size"],  # m^2 -> um^2
            "leakage_pw_per_bit": sram.leak_power * 1e12 / attrs["size"],  # W -> pW
            "read_pj_per_bit": sram.read(bits_per_action=attrs["width"]).energy * 1e12 / attrs["width"],  # J -> pJ
            "write_pj_per_bit": sram.write(bits_per_action=attrs["width"]).energy * 1e12 / attrs["width"],
        }
        for figure, value in expected.items():
            row = rows[(buffer, figure)]
            assert row["value"] == pytest.approx(value, rel=1e-9), (buffer, figure)
            assert row["size_bytes"] == attrs["size"] // 8
            assert row["node_nm"] == pytest.approx(22)
            assert row["kind"] == "model" and row["used"] is True
            assert (row["technology"], row["cell"]) == ("accelforge", "sram")
            assert f"component {component}," in row["source"]
            assert "hwcomponents-cacti" in row["source"] and "SRAM" in row["source"]
            assert row["source"].startswith(f"AccelForge {importlib.metadata.version('accelforge')}, ")


def test_example_rows_have_the_tables_columns_units_and_arithmetic(example_rows):
    units = {"area_um2_per_bit": "um^2/bit", "read_pj_per_bit": "pJ/bit", "write_pj_per_bit": "pJ/bit",
             "leakage_pw_per_bit": "pW/bit"}
    for row in example_rows:
        assert tuple(row) == COLUMNS
        assert row["unit"] == units[row["figure"]]
        assert str(ARCH) in row["source"]
    rows = _by_buffer(example_rows)
    # The notes give the numbers divided: the OutputBuffer's total area is over its 16 instances.
    assert rows[("ifmap", "area_um2_per_bit")]["note"].endswith(" um^2 / 524,288 bits")
    assert rows[("ofmap", "area_um2_per_bit")]["note"].endswith(" um^2 / (16 instances x 8,192 bits)")
    assert rows[("filter", "read_pj_per_bit")]["note"].endswith(" pJ per action / 64 bits per action")
    assert rows[("ofmap", "leakage_pw_per_bit")]["note"].endswith(" uW / (16 instances x 8,192 bits)")
    # And the note's numbers give the value (to the note's six digits).
    note = rows[("ifmap", "area_um2_per_bit")]["note"]
    area_um2 = float(note.split(" um^2")[0].replace(",", ""))
    assert area_um2 / 524288 == pytest.approx(rows[("ifmap", "area_um2_per_bit")]["value"], rel=1e-5)


def test_figures_stated_in_the_spec_are_divided_by_every_instances_bits(af, tmp_path, capfd):
    """A spec that writes its components' figures itself (no model): hand-computed per-bit figures,
    with the buffer's four instances counted, kind 'user', no node."""
    spec = tmp_path / "tiles.yaml"
    spec.write_text(
        "arch:\n"
        "  nodes:\n"
        "  - !Memory\n"
        "    name: Backing\n"
        "    size: inf\n"
        "    area: 0\n"
        "    leak_power: 0\n"
        "    actions: [{name: read, energy: 1e-12}, {name: write, energy: 1e-12}]\n"
        "    tensors: {keep: ~Intermediates, may_keep: All}\n"
        "  - !Container\n"
        "    name: Tiles\n"
        "    spatial: [{name: t, fanout: 4}]\n"
        "  - !Memory\n"
        "    name: Scratch\n"
        "    size: 2048\n"
        "    area: 5e-10\n"
        "    leak_power: 2e-7\n"
        "    bits_per_action: 16\n"
        "    actions: [{name: read, energy: 3.2e-13}, {name: write, energy: 4.8e-13}]\n"
        "    tensors: {keep: All}\n"
        "  - !Compute\n"
        "    name: MAC\n"
        "    area: 0\n"
        "    leak_power: 0\n"
        "    actions: [{name: compute, energy: 0}]\n"
    )
    rows = _by_buffer(read_accelforge_figures([spec], [("ofmap", "Scratch"), ("ifmap", "Scratch")],
                                              "tiles", cell="gain_cell"))
    # One instance: 5e-10 m^2 = 500 um^2, 2e-7 W = 200,000 pW, 0.32 and 0.48 pJ for 16 bits; four
    # instances hold 4 x 2,048 bits and have four times the area and leak power.
    expected = {"area_um2_per_bit": 500 / 2048, "leakage_pw_per_bit": 200_000 / 2048,
                "read_pj_per_bit": 0.32 / 16, "write_pj_per_bit": 0.48 / 16}
    for buffer in ("ifmap", "ofmap"):
        for figure, value in expected.items():
            row = rows[(buffer, figure)]
            assert row["value"] == pytest.approx(value, rel=1e-12)
            assert (row["technology"], row["cell"], row["kind"]) == ("tiles", "gain_cell", "user")
            assert row["node_nm"] is None and row["size_bytes"] == 256
            assert "as stated in the spec" in row["source"]
    assert rows[("ofmap", "area_um2_per_bit")]["note"] == "2,000 um^2 / (4 instances x 2,048 bits)"
    assert rows[("ofmap", "leakage_pw_per_bit")]["note"] == "0.8 uW / (4 instances x 2,048 bits)"
    assert rows[("ofmap", "write_pj_per_bit")]["note"] == "write energy 0.48 pJ per action / 16 bits per action"
    assert capfd.readouterr() == ("", "")  # AccelForge prints nothing of its own


def _error(*args, **kwargs) -> str:
    with pytest.raises(GsdbError) as err:
        read_accelforge_figures(*args, **kwargs)
    message = str(err.value)
    assert "\n" not in message and len(message) < 600
    return message


@pytest.mark.parametrize("buffers,expected", [
    ({"psum": "GlobalBuffer"}, "unknown buffer 'psum' (expected ifmap, filter, ofmap)"),
    ([("ifmap", "GlobalBuffer"), ("ifmap", "FilterBuffer")], "buffer 'ifmap' given twice (GlobalBuffer and FilterBuffer)"),
    ({}, "name at least one buffer"),
    ({"ofmap": " "}, "buffer 'ofmap': empty component name"),
])
def test_bad_buffer_mappings_are_refused_before_reading(buffers, expected):
    assert expected in _error(ARCH, buffers)


def test_buffer_options_parse_and_refuse_a_missing_equals_sign():
    assert parse_buffer_options(["ifmap=GlobalBuffer", " filter = FilterBuffer "]) == [
        ("ifmap", "GlobalBuffer"), ("filter", "FilterBuffer")]
    with pytest.raises(GsdbError, match="--buffer 'ifmap': expected BUFFER=COMPONENT"):
        parse_buffer_options(["ifmap"])


def test_a_missing_spec_file_is_named(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert _error(missing, BUFFERS) == f"{missing}: AccelForge spec not found"


def test_bad_cell_and_empty_technology_are_refused():
    assert "cell must be one of sram, gain_cell" in _error(ARCH, BUFFERS, cell="dram")
    assert "empty technology name" in _error(ARCH, BUFFERS, technology=" ")


def test_without_accelforge_the_error_names_the_extra(monkeypatch):
    """Where AccelForge is installed, it is hidden from the import; elsewhere (Python 3.11) this is
    the real situation."""
    if accelforge is not None:
        monkeypatch.setitem(sys.modules, "accelforge", None)
    assert _error(ARCH, BUFFERS) == NOT_INSTALLED
    assert NOT_INSTALLED == ("gsdb tech accelforge needs the optional extra: "
                             "pip install 'gainsight-db[accelforge]' (Python >= 3.12)")


@pytest.mark.parametrize("text,expected", [
    ("arch:\n  nodes:\n  - !Memory\n    name: A\n    size: [1\n", "not a valid AccelForge spec: while parsing a flow"),
    ("arch:\n  nodes:\n  - !Memory\n    name: A\n    sizee: 8\n", "Field sizee is not supported for Memory"),
    ("hello: 1\n", "not a valid AccelForge spec: Field hello is not supported for Spec"),
    ("- 1\n- 2\n", "not a valid AccelForge spec: Expected a dictionary"),
])
def test_a_bad_spec_is_one_line_with_accelforges_message(af, tmp_path, text, expected):
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    message = _error(spec, {"ifmap": "A"})
    assert message.startswith(f"{spec}: ") and expected in message


@pytest.mark.parametrize("component,expected", [
    ("Nope", "no component 'Nope' in the architecture (storage components: MainMemory, GlobalBuffer, "
             "FilterBuffer, OutputBuffer)"),
    ("MAC", "component 'MAC' is a Compute, not a Memory: it has no capacity"),
    ("MainMemory", "component 'MainMemory' has no finite capacity (size: inf)"),
])
def test_a_component_that_cannot_hold_the_buffer_is_named(af, component, expected):
    message = _error(ARCH, {"filter": component})
    assert message.startswith(f"{ARCH}: ") and expected in message


def test_a_component_no_model_can_price_is_named(af, tmp_path):
    spec = tmp_path / "unpriced.yaml"
    spec.write_text("arch:\n  nodes:\n  - !Memory\n    name: Buf\n    size: 1024\n    area: 1e-9\n"
                    "    leak_power: 0\n    tensors: {keep: All}\n")
    assert _error(spec, {"ifmap": "Buf"}) == (
        f"{spec}: component 'Buf' has no read energy, no write energy: the spec states none and names no "
        f"component_class for a model to price it")


def test_a_model_failure_is_one_line(af, tmp_path):
    spec = tmp_path / "unknown_class.yaml"
    spec.write_text("arch:\n  extra_attributes_for_all_component_models: {tech_node: 22e-9}\n  nodes:\n"
                    "  - !Memory\n    name: Buf\n    component_class: NoSuchMemory\n    size: 1024\n"
                    "    tensors: {keep: All}\n")
    message = _error(spec, {"ifmap": "Buf"})
    assert message.startswith(f"{spec}: AccelForge could not price the architecture's components: ")
    assert "nosuchmemory" in message.lower() and message.endswith("...")


def test_reading_leaves_accelforges_log_off_stderr(af, tmp_path, capfd):
    """AccelForge logs a warning for a spec file not named .yaml; the loader's caller sees only the error."""
    spec = tmp_path / "arch.txt"
    spec.write_text("- 1\n")
    _error(spec, {"ifmap": "A"})
    assert capfd.readouterr().err == ""


def test_gsdb_tech_accelforge_stores_the_figures_and_memtech_compares_them(af, example_rows, gsdb, db):
    """Rule: `gsdb tech accelforge` stores the figures read from the spec as one technology (replaced
    when added again), and memtech prices each buffer with its component's figures: area =
    footprint_words * word_bits * the component's area per bit. A bad component changes nothing."""
    from conftest import EXAMPLE_RUN, warehouse_fingerprint

    gsdb("ingest", EXAMPLE_RUN, "-q")
    options = [f"--buffer={b}={c}" for b, c in BUFFERS.items()]
    out = gsdb("tech", "accelforge", ARCH, *options, "--name", "af22").stdout
    assert out.strip() == "stored technology af22: 12 figures for filter, ifmap, ofmap"
    gsdb("tech", "accelforge", ARCH, *options, "--name", "af22")  # again: replaced, not added
    stored = json.loads(gsdb("query", "SELECT buffer, figure, value FROM technology_figures WHERE technology = 'af22'",
                             "-f", "json").stdout)
    assert sorted((r["buffer"], r["figure"], r["value"]) for r in stored) == \
        sorted((r["buffer"], r["figure"], r["value"]) for r in example_rows)
    per_bit = {(r["buffer"], r["figure"]): r["value"] for r in example_rows}
    rows = json.loads(gsdb("report", "memtech", "-f", "json").stdout)
    for row in rows:
        if row["technology"] == "af22" and row["buffer"] != "all":
            assert row["area_um2"] == pytest.approx(row["footprint_words"] * 16 * per_bit[(row["buffer"], "area_um2_per_bit")],
                                                    rel=1e-12)
            assert row["read_energy_j"] == pytest.approx(row["reads"] * 16 * per_bit[(row["buffer"], "read_pj_per_bit")] * 1e-12,
                                                         rel=1e-12)
            assert row["missing"] == "" and row["energy_break_even_ratio"] is None
    before = warehouse_fingerprint(db)
    failed = gsdb("tech", "accelforge", ARCH, "--buffer", "ifmap=NoSuchBuffer", "--name", "af22", check=False)
    assert failed.returncode == 1 and "NoSuchBuffer" in failed.stderr and failed.stderr.count("\n") == 1
    assert warehouse_fingerprint(db) == before
