"""SCALE-Sim's report CSVs (COMPUTE, BANDWIDTH, DETAILED_ACCESS, SPARSE) into typed tables.

The reports separate fields with ", " and end every line with a comma. DuckDB reads them as text;
headers become clean snake_case names (`Overall Util %` -> `overall_util_pct`), values are cast to
the table's types, and a missing column or a non-numeric cell stops the ingest with the file named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from gainsight_db.loaders.input_files import read_head

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.sql_text import one_line, quote_identifier, quote_literal


@dataclass(frozen=True)
class ReportSpec:
    file_name: str
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()
    integer_columns: tuple[str, ...] = ()


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
    required=("layer", "total_cycles"),
    optional=("total_cycles_incl_prefetch", "stall_cycles", "overall_util_pct", "mapping_efficiency_pct",
              "compute_util_pct"),
    integer_columns=("layer", "total_cycles", "total_cycles_incl_prefetch", "stall_cycles"),
)
BANDWIDTH = ReportSpec(
    "BANDWIDTH_REPORT.csv",
    "bandwidth_report",
    required=("layer",),
    optional=("avg_ifmap_sram_bw", "avg_filter_sram_bw", "avg_filter_metadata_sram_bw", "avg_ofmap_sram_bw",
              "avg_ifmap_dram_bw", "avg_filter_dram_bw", "avg_ofmap_dram_bw"),
    integer_columns=("layer",),
)
DETAILED = ReportSpec(
    "DETAILED_ACCESS_REPORT.csv",
    "access_report",
    required=("layer",) + _DETAILED_COUNTS,
    optional=_DETAILED_CYCLES,
    integer_columns=("layer",) + _DETAILED_COUNTS + _DETAILED_CYCLES,
)
SPARSE = ReportSpec(
    "SPARSE_REPORT.csv",
    "sparse_report",
    required=("layer",),
    optional=("sparsity_representation", "original_filter_storage", "new_storage_filter_metadata",
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
    """The report's header fields; errors for empty, truncated or unreadable files."""
    first = read_head(path, "report", 1 << 16).split(b"\n")[0]
    try:
        return [field.strip() for field in first.decode("utf-8").rstrip("\r\n").split(",")]
    except UnicodeDecodeError as err:
        raise GsdbError(f"{path}: not a SCALE-Sim report (not text)") from err


def load_report(
    con: duckdb.DuckDBPyConnection, spec: ReportSpec, path: Path, run_id: int, warn=None
) -> int:
    """Insert one report into its table; returns the number of rows (layers) loaded."""
    headers = _read_header(path)
    fields = [f"f{i}" for i in range(len(headers))]
    columns = ", ".join(f"'{f}': 'VARCHAR'" for f in fields)
    source = (
        f"read_csv({quote_literal(str(path))}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"columns = {{{columns}}})"
    )
    known = set(spec.required) | set(spec.optional)
    chosen: dict[str, str] = {}
    ignored: list[str] = []
    unnamed: list[str] = []
    for field, header in zip(fields, headers):
        clean = clean_column_name(header)
        if clean == "":
            unnamed.append(field)  # the empty field after each line's trailing comma
        elif clean in known and clean not in chosen:
            chosen[clean] = field
        else:
            ignored.append(header)
    missing = [c for c in spec.required if c not in chosen]
    if missing:
        raise GsdbError(
            f"{path}: not a SCALE-Sim {spec.file_name}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(h for h in headers if h)})"
        )
    try:
        for field in unnamed:
            filled = con.execute(
                f"SELECT count(*) FROM {source} WHERE trim(coalesce({field}, '')) <> ''"
            ).fetchone()[0]
            if filled:
                raise GsdbError(f"{path}: a column has no name but holds values")
    except duckdb.Error as err:
        raise GsdbError(f"{path}: bad report: {one_line(err)}") from err
    if ignored and warn:
        warn(f"{path}: ignored unknown column(s) {', '.join(ignored)}")
    selects = [str(int(run_id)) + " AS run_id"]
    for clean, field in chosen.items():
        value = f"NULLIF(trim({field}), '')"
        if clean in spec.text_columns:
            expr = value
        elif clean in spec.integer_columns:
            expr = f"CAST(CAST({value} AS DOUBLE) AS BIGINT)"
        else:
            expr = f"CAST({value} AS DOUBLE)"
        selects.append(f"{expr} AS {quote_identifier(clean)}")
    try:
        before = con.execute(f"SELECT count(*) FROM {spec.table} WHERE run_id = ?", [run_id]).fetchone()[0]
        con.execute(f"INSERT INTO {spec.table} BY NAME SELECT {', '.join(selects)} FROM {source}")
        after = con.execute(f"SELECT count(*) FROM {spec.table} WHERE run_id = ?", [run_id]).fetchone()[0]
    except duckdb.Error as err:
        raise GsdbError(f"{path}: bad report: {one_line(err)}") from err
    rows = after - before
    if rows == 0:
        raise GsdbError(f"{path}: the report has no rows")
    nulls = con.execute(
        f"SELECT count(*) FROM {spec.table} WHERE run_id = ? AND layer IS NULL", [run_id]
    ).fetchone()[0]
    if nulls:
        raise GsdbError(f"{path}: {nulls} row(s) have no LayerID")
    return rows


def report_format_version(con: duckdb.DuckDBPyConnection, run_id: int) -> str:
    """'v3' when COMPUTE_REPORT has Total Cycles (incl. prefetch), else 'v2'."""
    has_prefetch = con.execute(
        "SELECT count(total_cycles_incl_prefetch) FROM compute_report WHERE run_id = ?", [run_id]
    ).fetchone()[0]
    return "v3" if has_prefetch else "v2"
