"""Numbers for people: how the `table` and `markdown` formats show a value, as SQL expressions that
DuckDB evaluates (so that a long result is formatted by the engine, in parallel, not row by row in
Python). csv, json and parquet keep every digit and the warehouse's SI units; none of this applies
to them.

- Integers are shown whole, with thousands grouped: `1,234,567`.
- Other numbers (floating point and decimal) are rounded to `precision` significant digits, but never
  to fewer than their integer digits, with thousands grouped and trailing zeros dropped:
  `2534.4901582734283` -> `2,534`, `270.3000000000003` -> `270.3`. Below 0.001 and from 1e15 up
  they are shown in scientific notation: `1.812e-05`.
- A non-integer column whose name ends in `_j` (joules), `_s` (seconds) or `_um2` (square
  micrometres) is shown in one unit for the whole column, named in its header (`energy_j (pJ)`):
  the largest of its units in which the median magnitude of the column's non-zero values is at
  least 1 (the smallest unit when none is; the SI unit when every value is zero or empty).
"""

from __future__ import annotations

from dataclasses import dataclass
import duckdb

DEFAULT_PRECISION = 4
MAX_PRECISION = 17  # a double has no more significant digits than this

INTEGER_TYPES = frozenset({"tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
                           "uinteger", "ubigint", "uhugeint"})
FRACTIONAL_TYPES = frozenset({"float", "double", "decimal"})
NESTED_TYPES = frozenset({"list", "struct", "map", "array", "union"})

# Column-name suffix -> its units, smallest first, as (name, size in the SI unit the column holds).
UNITS: dict[str, tuple[tuple[str, float], ...]] = {
    "_j": (("pJ", 1e-12), ("nJ", 1e-9), ("uJ", 1e-6), ("mJ", 1e-3), ("J", 1.0)),
    "_s": (("ps", 1e-12), ("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0)),
    "_um2": (("um^2", 1.0), ("mm^2", 1e6)),
}


def type_id(column_type: duckdb.DuckDBPyType) -> str:
    return str(column_type.id).lower()


def is_numeric(column_type: duckdb.DuckDBPyType) -> bool:
    return type_id(column_type) in INTEGER_TYPES | FRACTIONAL_TYPES


def units_of(name: str, column_type: duckdb.DuckDBPyType) -> tuple[tuple[str, float], ...] | None:
    """The units a column is shown in (None: it is shown as it is)."""
    if type_id(column_type) not in FRACTIONAL_TYPES:
        return None
    for suffix, units in UNITS.items():
        if name.lower().endswith(suffix):
            return units
    return None


def choose_unit(units: tuple[tuple[str, float], ...], median: float | None) -> tuple[str, float]:
    """The largest unit in which `median` (the median magnitude of a column's non-zero values) is at
    least 1; the smallest unit if there is none; the SI unit (size 1) when there is no median."""
    if median is None:
        return next(u for u in units if u[1] == 1.0)
    fitting = [unit for unit in units if median / unit[1] >= 1]
    return fitting[-1] if fitting else units[0]


def median_magnitude_sql(column: str) -> str:
    """SQL aggregate: the median magnitude of a column's non-zero, finite values."""
    value = f"abs(CAST({column} AS DOUBLE))"
    return f"quantile_disc({value}, 0.5) FILTER (WHERE {value} > 0 AND isfinite({value}))"


def number_sql(x: str, precision: int) -> str:
    """SQL turning the DOUBLE column `x` (a plain column name: it is read several times) into readable
    text (see the module's rules)."""
    if not 1 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision {precision}: expected 1 to {MAX_PRECISION} significant digits")
    scientific = f"regexp_replace(printf('%.{precision - 1}e', {x}), '\\.?0+e', 'e')"
    decimals = f"greatest(0, {precision - 1} - CAST(floor(log10(abs({x}))) AS INTEGER))"
    fixed = f"regexp_replace(printf('%,.' || {decimals} || 'f', {x}), '(\\.[0-9]*[1-9])0+$|\\.0+$', '\\1')"
    return (f"CASE WHEN {x} IS NULL THEN '' WHEN isnan({x}) THEN 'nan' "
            f"WHEN isinf({x}) THEN CASE WHEN {x} > 0 THEN 'inf' ELSE '-inf' END WHEN {x} = 0 THEN '0' "
            f"WHEN abs({x}) < 1e-3 OR abs({x}) >= 1e15 THEN {scientific} ELSE {fixed} END")


@dataclass(frozen=True)
class ShownColumn:
    """How one column is shown: its header; `value_sql`, its value (over the result's column), and
    `text_sql`, its text (over that value, by the name the caller gives it); and whether it is a
    number (right-aligned)."""

    header: str
    value_sql: str
    text_sql: str
    numeric: bool


def shown_column(name: str, column_type: duckdb.DuckDBPyType, column: str, value: str, precision: int,
                 median: float | None) -> ShownColumn:
    """How the result's column `name` (of `column_type`, read as SQL `column`) is shown, its value
    named `value` in the text's SQL; `median` is its median magnitude (see `median_magnitude_sql`),
    used by columns with units."""
    kind = type_id(column_type)
    units = units_of(name, column_type)
    if units is not None:
        unit, size = choose_unit(units, median)
        scaled = f"CAST({column} AS DOUBLE)" + ("" if size == 1.0 else f" / {size!r}")
        return ShownColumn(f"{name} ({unit})", scaled, number_sql(value, precision), True)
    if kind in INTEGER_TYPES:
        return ShownColumn(name, column, f"coalesce(printf('%,d', {value}), '')", True)
    if kind in FRACTIONAL_TYPES:
        return ShownColumn(name, f"CAST({column} AS DOUBLE)", number_sql(value, precision), True)
    return ShownColumn(name, column, f"coalesce(CAST({value} AS VARCHAR), '')", False)
