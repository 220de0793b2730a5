"""SCALE-Sim's report CSVs (COMPUTE, BANDWIDTH, DETAILED_ACCESS, SPARSE) into typed tables.

The reports separate fields with ", " and end every line with a comma. DuckDB reads them line by
line as text; headers become clean snake_case names (`Overall Util %` -> `overall_util_pct`). Every
value is checked against what SCALE-Sim writes before it is cast: an integer column holds digits
after an optional minus (`1296`, or `9.0` where SCALE-Sim prints a float), read as BIGINT so that no
digit is lost; a fractional column holds a decimal number (`4.48`, `1e-05`). NaN, infinities, a
fraction or `1_80` in an integer column, and a negative count are refused with the file, line and
field named, as are a missing column, a duplicated LayerID and reports that disagree on the layers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from gainsight_db.loaders.input_files import literal_path, named_in, read_head
from gainsight_db.loaders.scalesim_inputs import MAX_LAYERS

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import one_line, quote_identifier, quote_literal

_INTEGER = r"-?[0-9]+(\.0+)?"
_DECIMAL = r"-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?"
_BIGINT_MAX = 2**63 - 1
_ROWS = "_report_rows"
_REPORT_LIMIT = 64 << 20  # bytes: a report of the most layers a run may have is a few MiB


@dataclass(frozen=True)
class ReportSpec:
    file_name: str
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()
    integer_columns: tuple[str, ...] = ()
    signed_columns: tuple[str, ...] = ()  # may be negative (all others may not)


_DETAILED_COUNTS = tuple(
    f"{level}_{buffer}_{what}"
    for level in ("sram", "dram")
    for buffer, what in (("ifmap", "reads"), ("filter", "reads"), ("ofmap", "writes"))
)
_DETAILED_CYCLES = tuple(
    f"{level}_{buffer}_{edge}_cycle"
    for level in ("sram", "dram")
    for buffer in ("ifmap", "filter", "ofmap")
    for edge in ("start", "stop")
)

COMPUTE = ReportSpec(
    "COMPUTE_REPORT.csv",
    "compute_report",
    required=("layer", "total_cycles", "stall_cycles", "overall_util_pct", "mapping_efficiency_pct",
              "compute_util_pct"),
    optional=("total_cycles_incl_prefetch",),  # v3 only
    integer_columns=("layer", "total_cycles", "total_cycles_incl_prefetch", "stall_cycles"),
)
BANDWIDTH = ReportSpec(
    "BANDWIDTH_REPORT.csv",
    "bandwidth_report",
    required=("layer", "avg_ifmap_sram_bw", "avg_filter_sram_bw", "avg_ofmap_sram_bw",
              "avg_ifmap_dram_bw", "avg_filter_dram_bw", "avg_ofmap_dram_bw"),
    optional=("avg_filter_metadata_sram_bw",),  # with sparsity on
    integer_columns=("layer",),
)
DETAILED = ReportSpec(
    "DETAILED_ACCESS_REPORT.csv",
    "access_report",
    required=("layer",) + _DETAILED_COUNTS + _DETAILED_CYCLES,
    integer_columns=("layer",) + _DETAILED_COUNTS + _DETAILED_CYCLES,
    signed_columns=_DETAILED_CYCLES,  # DRAM reads start before compute (prefetch): negative cycles
)
SPARSE = ReportSpec(
    "SPARSE_REPORT.csv",
    "sparse_report",
    required=("layer", "sparsity_representation", "original_filter_storage", "new_storage_filter_metadata",
              "filter_metadata_storage", "avg_filter_metadata_sram_bw"),
    text_columns=("sparsity_representation",),
    integer_columns=("layer",),
)
REQUIRED_REPORTS = (COMPUTE, BANDWIDTH, DETAILED)


def clean_column_name(header: str) -> str:
    """`Total Cycles (incl. prefetch)` -> `total_cycles_incl_prefetch`; `LayerID` -> `layer`."""
    name = header.strip().lower().replace("%", " pct")
    name = re.sub(r"[^a-z0-9]+", "_", name).strip("_")
    return "layer" if name == "layerid" else name


def _read_header(path: Path) -> list[str]:
    """The report's header fields; errors for empty, truncated, unreadable or non-UTF-8 files."""
    data = read_head(path, "report", _REPORT_LIMIT + 1)
    if len(data) > _REPORT_LIMIT:
        raise GsdbError(f"{path}: not a SCALE-Sim report (larger than {_REPORT_LIMIT >> 20} MiB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise GsdbError(f"{path}: line {line}: not UTF-8 text (byte 0x{data[err.start]:02x})") from err
    return [field.strip() for field in text.split("\n")[0].rstrip("\r").split(",")]


def _check_sql(spec: ReportSpec, clean: str, value: str) -> str:
    """SQL giving why `value` (a trimmed field, '' when empty) is not what SCALE-Sim writes in column
    `clean`, or NULL when it is."""
    if clean in spec.text_columns:
        return "NULL"
    checks = []
    if clean in spec.integer_columns:
        number = f"TRY_CAST(split_part({value}, '.', 1) AS BIGINT)"
        high = MAX_LAYERS - 1 if clean == "layer" else _BIGINT_MAX
        checks += [
            (f"NOT regexp_full_match({value}, '{_INTEGER}')", "not an integer"),
            (f"{number} IS NULL OR {number} > {high}", f"out of range (at most {high})"),
        ]
    else:
        number = f"TRY_CAST({value} AS DOUBLE)"
        checks += [
            (f"NOT regexp_full_match({value}, '{_DECIMAL}')", "not a number"),
            (f"NOT isfinite({number})", "out of range"),
        ]
    if clean not in spec.signed_columns:
        checks.append((f"{number} < 0", "negative"))
    cases = " ".join(f"WHEN {condition} THEN '{reason}'" for condition, reason in checks)
    return f"CASE WHEN {value} = '' THEN 'empty (SCALE-Sim writes a value in every field)' {cases} END"


def _value_sql(spec: ReportSpec, clean: str, value: str) -> str:
    """SQL casting a checked field to its column's type."""
    if clean in spec.text_columns:
        return f"NULLIF({value}, '')"
    if clean in spec.integer_columns:
        return f"CAST(NULLIF(split_part({value}, '.', 1), '') AS BIGINT)"
    return f"CAST(NULLIF({value}, '') AS DOUBLE)"


def _refusal(path: Path, line: int, field: int, header: str, text: str, reason: str) -> str:
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    if reason == "not an integer":
        reason = "not an integer as SCALE-Sim writes it" if _finite(text) else "not a number"
    elif reason == "not a number" and _finite(text):
        reason = "not a number as SCALE-Sim writes it"
    return f"{path}: line {line}, field {field} ({header}): {shown} is {reason}"


def _finite(text: str) -> bool:
    """Whether Python reads `text` as a finite number (it also takes `1_80`, ` 5`, `+5`)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _lines(items: list[int]) -> str:
    return ", ".join(map(str, items[:-1])) + f" and {items[-1]}"


def load_report(
    con: duckdb.DuckDBPyConnection, spec: ReportSpec, path: Path, run_id: int, warn=None
) -> int:
    """Insert one report into its table; returns the number of rows (layers) loaded."""
    headers = _read_header(path)
    known = set(spec.required) | set(spec.optional)
    chosen: dict[str, int] = {}  # clean name -> field number (1-based)
    ignored: list[str] = []
    unnamed: list[int] = []
    for index, header in enumerate(headers, start=1):
        clean = clean_column_name(header)
        if clean == "":
            unnamed.append(index)  # the empty field after each line's trailing comma
        elif clean in chosen:
            raise GsdbError(f"{path}: column {header!r} appears twice in the header")
        elif clean in known:
            chosen[clean] = index
        else:
            ignored.append(header)
    missing = [c for c in spec.required if c not in chosen]
    if missing:
        raise GsdbError(
            f"{path}: not a SCALE-Sim {spec.file_name}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(h for h in headers if h)})"
        )
    with literal_path(path) as name:
        try:
            # Each line after the header, numbered as in the file, as its trimmed fields.
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {_ROWS} AS
                SELECT line_no, list_transform(string_split(line, ','), lambda x: trim(x)) AS f
                FROM (SELECT row_number() OVER () AS line_no, line FROM read_csv({quote_literal(name)}, header = false,
                      columns = {{'line': 'VARCHAR'}}, delim = '\\x01', quote = '', escape = '', auto_detect = false))
                WHERE line_no > 1 AND trim(coalesce(line, '')) <> ''"""
            )
            return _insert_report(con, spec, path, _ROWS, run_id, headers, chosen, unnamed, ignored, warn)
        except duckdb.Error as err:
            raise GsdbError(f"{path}: bad report: {named_in(one_line(err), name, path)}") from err
        finally:
            try:
                con.execute(f"DROP TABLE IF EXISTS {_ROWS}")
            except duckdb.Error:
                pass  # the transaction already failed; rolling it back drops the table


def _insert_report(con, spec: ReportSpec, path: Path, rows: str, run_id: int, headers: list[str],
                   chosen: dict[str, int], unnamed: list[int], ignored: list[str], warn) -> int:
    """Check the report's lines (in the table `rows`: line_no, f) and insert them."""
    ragged = con.execute(
        f"SELECT line_no, len(f) FROM {rows} WHERE len(f) <> {len(headers)} ORDER BY line_no LIMIT 1"
    ).fetchone()
    if ragged:
        raise GsdbError(f"{path}: line {ragged[0]} has {ragged[1]} columns but the header has {len(headers)}")
    for index in unnamed:
        filled = con.execute(f"SELECT min(line_no) FROM {rows} WHERE f[{index}] <> ''").fetchone()[0]
        if filled:
            raise GsdbError(f"{path}: line {filled}: column {index} has no name but holds a value")
    layer = chosen["layer"]
    missing_layer = con.execute(f"SELECT min(line_no) FROM {rows} WHERE f[{layer}] = ''").fetchone()[0]
    if missing_layer:
        raise GsdbError(f"{path}: line {missing_layer}: no LayerID")
    checks = " UNION ALL ".join(
        f"SELECT line_no, {index} AS field, f[{index}] AS text, {_check_sql(spec, clean, f'f[{index}]')} AS reason "
        f"FROM {rows}"
        for clean, index in chosen.items()
    )
    bad = con.execute(
        f"SELECT line_no, field, text, reason FROM ({checks}) WHERE reason IS NOT NULL ORDER BY line_no, field LIMIT 1"
    ).fetchone()
    if bad:
        line, field, text, reason = bad
        raise GsdbError(_refusal(path, line, field, headers[field - 1], text, reason))
    duplicate = con.execute(
        f"""SELECT layer, list(line_no ORDER BY line_no) FROM
              (SELECT line_no, {_value_sql(spec, 'layer', f'f[{layer}]')} AS layer FROM {rows})
            GROUP BY layer HAVING count(*) > 1 ORDER BY min(line_no) LIMIT 1"""
    ).fetchone()
    if duplicate:
        raise GsdbError(f"{path}: LayerID {duplicate[0]} appears more than once (lines {_lines(duplicate[1])})")
    if ignored and warn:
        warn(f"{path}: ignored unknown column(s) {', '.join(ignored)}")
    selects = [f"{int(run_id)} AS run_id"] + [
        f"{_value_sql(spec, clean, f'f[{index}]')} AS {quote_identifier(clean)}" for clean, index in chosen.items()
    ]
    inserted = con.execute(f"INSERT INTO {spec.table} BY NAME SELECT {', '.join(selects)} FROM {rows}").fetchone()[0]
    if inserted == 0:
        raise GsdbError(f"{path}: the report has no rows")
    return int(inserted)


def check_layer_ids(con: duckdb.DuckDBPyConnection, run_id: int, compute: Path) -> None:
    """COMPUTE_REPORT.csv (`compute`) numbers the layers 0, 1, ... as SCALE-Sim does (a gap would
    leave a layer's traces unread)."""
    first, last, count = con.execute(
        "SELECT min(layer), max(layer), count(*) FROM compute_report WHERE run_id = ?", [run_id]
    ).fetchall()[0]
    if count and (first != 0 or last != count - 1):
        raise GsdbError(f"{compute}: LayerIDs run from {first} to {last} over {count} rows; SCALE-Sim numbers "
                        "layers 0, 1, ... without gaps")


def check_reports_layers(con: duckdb.DuckDBPyConnection, run_id: int, compute: Path,
                         others: list[tuple[ReportSpec, Path]]) -> None:
    """The other reports list exactly the LayerIDs of COMPUTE_REPORT.csv (`compute`)."""

    def first_only_in(table: str, other: str) -> int | None:
        return con.execute(
            f"SELECT min(layer) FROM (SELECT layer FROM {table} WHERE run_id = $1 "
            f"EXCEPT SELECT layer FROM {other} WHERE run_id = $1)",
            [run_id],
        ).fetchone()[0]

    for spec, path in others:
        missing = first_only_in("compute_report", spec.table)
        if missing is not None:
            raise GsdbError(f"{path}: no row for LayerID {missing}, which {compute} has")
        extra = first_only_in(spec.table, "compute_report")
        if extra is not None:
            raise GsdbError(f"{path}: LayerID {extra} is not in {compute}")


def report_format_version(con: duckdb.DuckDBPyConnection, run_id: int) -> str:
    """'v3' when COMPUTE_REPORT has Total Cycles (incl. prefetch), else 'v2'."""
    has_prefetch = con.execute(
        "SELECT count(total_cycles_incl_prefetch) FROM compute_report WHERE run_id = ?", [run_id]
    ).fetchone()[0]
    return "v3" if has_prefetch else "v2"
