"""All-or-nothing work on the warehouse: one transaction, rolled back on any error."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import one_line


@contextmanager
def one_transaction(con: duckdb.DuckDBPyConnection, what: str) -> Iterator[None]:
    """Run the block in one transaction: committed at its end, rolled back on any error (Ctrl-C
    included), so the warehouse is left unchanged. A DuckDB error becomes `GsdbError("<what> failed,
    nothing stored: ...")`."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException as err:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        if isinstance(err, duckdb.Error):
            raise GsdbError(f"{what} failed: {one_line(err)}") from err
        raise
