"""The installed version of gainsight-db, recorded with every ingest and export."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gainsight-db")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
