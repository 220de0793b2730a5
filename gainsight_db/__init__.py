"""gainsight-db: a DuckDB warehouse for on-chip memory profiling of AI accelerators."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gainsight-db")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
