"""The package's layers: each may import only the layers below it. From the bottom: common (used by
all), loaders and sql, warehouse, the services (reports, exports, plots, simulate, sweeps), the API, and the
command line on top, the only place that speaks typer."""

from __future__ import annotations

import ast

import pytest
from conftest import REPO

# Layer of each part; a module may import gainsight_db modules of its own layer or lower ones.
LAYERS = {
    "common": 0,
    "loaders": 1,
    "warehouse": 2,
    "reports": 3, "exports": 3, "plots": 3, "simulate": 3, "sweeps": 3,
    "api": 4,
    "cli": 5,
}


def _part(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "gainsight_db" or len(parts) < 2:
        return None
    return parts[1]


def _sources():
    for root, prefix in ((REPO / "gainsight_db", "gainsight_db"), (REPO / "loaders", "gainsight_db.loaders")):
        for path in sorted(root.rglob("*.py")):
            name = ".".join((prefix, *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
            yield name, path


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


SOURCES = [(name, path) for name, path in _sources() if _part(name) in LAYERS]


def test_every_module_belongs_to_a_layer():
    """A new top-level module must be placed in a layer (or be the package root or __main__)."""
    orphans = [name for name, _ in _sources() if _part(name) not in LAYERS and name not in
               ("gainsight_db", "gainsight_db.__main__")]
    assert orphans == []


@pytest.mark.parametrize("name,path", SOURCES, ids=[n for n, _ in SOURCES])
def test_a_module_imports_no_layer_above_its_own(name, path):
    own = LAYERS[_part(name)]
    above = sorted({m for m in _imports(path) if _part(m) in LAYERS and LAYERS[_part(m)] > own})
    assert above == [], f"{name} (layer {own}) imports {above}"
    if _part(name) != "cli":
        assert not [m for m in _imports(path) if m.split(".")[0] in ("typer", "click")], f"{name} imports typer"
