"""gainsight-db: a DuckDB warehouse for on-chip memory profiling of AI accelerators.

    import gainsight_db as gsdb
    with gsdb.connect("wh.duckdb") as wh:
        wh.ingest("examples/scalesim_tiny_8x8_ws")
        wh.report("layers")

Importing the package is light: the API (and DuckDB) load on first use of `connect` or `Warehouse`.
"""

import importlib.util
import sys
from pathlib import Path

__all__ = ["GsdbError", "GsdbWarning", "Warehouse", "__version__", "connect"]


def _find_checkout_subpackages() -> None:
    """An installed package holds its subpackages `loaders` and `sql`; in a source checkout they sit
    beside this folder, at the repository's top. Python imports this folder when run from the
    repository root (it comes first on sys.path), so those two (and only those) are mapped here."""
    here = Path(__file__).resolve().parent
    for name in ("loaders", "sql"):
        full = f"{__name__}.{name}"
        source = here.parent / name
        if (here / name).is_dir() or not (source / "__init__.py").is_file() or full in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(full, source / "__init__.py",
                                                      submodule_search_locations=[str(source)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        spec.loader.exec_module(module)  # a docstring only
        globals()[name] = module


_find_checkout_subpackages()


def __getattr__(name: str):
    if name == "__version__":  # asked of the installed metadata (0.04 s) only when wanted
        from gainsight_db.common.version import __version__

        return __version__
    if name in ("connect", "Warehouse"):
        from gainsight_db import api

        return getattr(api, name)
    if name in ("GsdbError", "GsdbWarning"):
        from gainsight_db.common import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
