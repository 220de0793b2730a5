"""One set of output options for every read command: --format table|csv|json|ndjson|markdown and
--output FILE."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import enum
import io
import json
import math
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb

from gainsight_db.common.staging import refuse_protected


class OutputFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    markdown = "markdown"


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        integral = math.isfinite(value) and value == int(value) and abs(value) < 1e16
        return f"{value:.1f}" if integral else repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=_json_value)
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], markdown: bool) -> str:
    cells = [[_text(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(_is_number(r[i]) or r[i] is None for r in rows) for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        padded = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return ("| " + " | ".join(padded) + " |") if markdown else "  ".join(padded).rstrip()

    if markdown:
        rule = "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2))
                              for w, num in zip(widths, numeric)) + "|"
    else:
        rule = "  ".join("-" * w for w in widths)
    out = [line(list(columns)), rule] + [line(r) for r in cells]
    if not markdown:
        out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: OutputFormat) -> str:
    fmt = OutputFormat(fmt)
    if fmt in (OutputFormat.table, OutputFormat.markdown):
        return _table(columns, rows, markdown=fmt is OutputFormat.markdown)
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_text(v) for v in row] for row in rows])
        return buffer.getvalue()
    records = [dict(zip(columns, row)) for row in rows]
    if fmt is OutputFormat.json:
        return json.dumps(records, indent=2, default=_json_value) + "\n"
    return "".join(json.dumps(r, default=_json_value) + "\n" for r in records)


def emit(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: OutputFormat, output: Path | None,
         protected: Iterable[Path] = ()) -> None:
    if output is not None:
        refuse_protected(output, protected)
    text = render(columns, rows, fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def emit_relation(relation: duckdb.DuckDBPyRelation | None, fmt: OutputFormat, output: Path | None,
                  protected: Iterable[Path] = ()) -> None:
    """Print (or write to `output`, never one of the `protected` paths) a relation's rows in format
    `fmt`; a statement without a result (relation None) prints nothing."""
    if output is not None:
        refuse_protected(output, protected)
    if relation is None:
        return
    emit(relation.columns, relation.fetchall(), fmt, output, protected)
