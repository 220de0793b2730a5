"""gainsight-db: a DuckDB warehouse for on-chip memory profiling of AI accelerators.

    import gainsight_db as gsdb
    with gsdb.connect("wh.duckdb") as wh:
        wh.ingest("examples/scalesim_tiny_8x8_ws")
        wh.report("layers")
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("gainsight-db")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

# An installed package holds its subpackages `loaders` and `sql`; in a source checkout they sit beside
# this folder, at the repository's top. Python imports this folder when run from the repository root
# (it comes first on sys.path), so the subpackages are looked up beside it as well.
_here = Path(__file__).resolve().parent
if not (_here / "loaders").is_dir() and all((_here.parent / sub / "__init__.py").is_file() for sub in ("loaders", "sql")):
    __path__.append(str(_here.parent))  # noqa: F821 (set by the import system)
del _here

from gainsight_db.api import Warehouse, connect  # noqa: E402 (the subpackages must be findable first)
from gainsight_db.common.errors import GsdbError, GsdbWarning  # noqa: E402

__all__ = ["GsdbError", "GsdbWarning", "Warehouse", "__version__", "connect"]
