"""SQL in other engines' dialects, through sqlglot: queries written for Postgres, Spark, ... run
on the warehouse, and the warehouse's views can be printed for another engine."""

from __future__ import annotations

from dataclasses import dataclass

from gainsight_db.common.errors import GsdbError


@dataclass(frozen=True)
class Translation:
    sql: str
    warnings: list[str]


def _dialect(name: str):
    from sqlglot.dialects.dialect import Dialect

    try:
        return Dialect.get_or_raise(name)
    except ValueError as err:
        raise GsdbError(f"dialect {name!r}: {err}") from err


def translate(sql: str, read: str, write: str, pretty: bool = False) -> Translation:
    """`sql` (one or more statements in dialect `read`) rewritten for dialect `write`, with what
    sqlglot reports it could not express in `write`."""
    import sqlglot
    from sqlglot import ErrorLevel, exp

    source, target = _dialect(read), _dialect(write)
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=source) if s is not None]
    except sqlglot.errors.ParseError as err:
        first = str(err).splitlines()[0] if str(err) else "syntax error"
        raise GsdbError(f"cannot parse the SQL as {read}: {first}") from err
    if not statements:
        raise GsdbError("no SQL statement given")
    warnings: list[str] = []
    texts = []
    for statement in statements:
        generator = target.generator(unsupported_level=ErrorLevel.IGNORE, pretty=pretty)
        texts.append(generator.generate(statement))
        warnings.extend(generator.unsupported_messages)
        if write != "duckdb" and any(j.args.get("method", "").upper() == "ASOF" for j in statement.find_all(exp.Join)):
            warnings.append(f"ASOF JOIN is written as is; check that {write} supports it")
    return Translation(";\n".join(texts), sorted(set(warnings)))


def object_sql(name: str) -> str:
    """The CREATE statement of a warehouse table or view, as its schema file holds it."""
    from gainsight_db.warehouse.schema import load_objects

    for obj in load_objects():
        if obj.name == name:
            return obj.sql
    public = ", ".join(sorted(o.name for o in load_objects() if o.public))
    raise GsdbError(f"{name}: no such table or view in the schema (one of: {public})")
