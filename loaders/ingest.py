"""`gsdb ingest`: every path given, as one transaction."""

from __future__ import annotations

from pathlib import Path

import duckdb

from gainsight_db.errors import GsdbError
from gainsight_db.loaders.discover import find_scalesim_runs
from gainsight_db.loaders.scalesim_ingest import IngestResult, ScalesimOptions, ingest_scalesim_run
from gainsight_db.loaders.sql_text import one_line
from gainsight_db.progress import Progress


def plan(paths: list[Path]) -> list[Path]:
    """The run directories to ingest, each once, in a stable order."""
    runs: dict[Path, None] = {}
    for path in paths:
        for run_dir in find_scalesim_runs(Path(path)):
            runs.setdefault(run_dir.resolve(), None)
    return list(runs)


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    scalesim: ScalesimOptions | None = None,
    progress: Progress | None = None,
    warn=None,
) -> list[IngestResult]:
    """Ingest every run found under `paths`. All or nothing: on any error the warehouse is unchanged."""
    run_dirs = plan(paths)
    scalesim = scalesim or ScalesimOptions()
    results: list[IngestResult] = []
    con.execute("BEGIN TRANSACTION")
    try:
        for run_dir in run_dirs:
            results.append(ingest_scalesim_run(con, run_dir, scalesim, progress, warn))
        con.execute("COMMIT")
    except BaseException as err:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        if isinstance(err, duckdb.Error):
            raise GsdbError(f"ingest failed: {one_line(err)}") from err
        raise
    return results
