"""The warehouse schema: the `.sql` files of `gainsight_db.sql`, one object per file.

Each file holds one CREATE statement, preceded by a comment block that documents the object and,
with `@column NAME TEXT` lines, each of its columns. Files are applied in dependency order, derived
with sqlglot from the tables and views each statement reads. The documentation is stored with
DuckDB's COMMENT ON, so `duckdb_columns()` and `gsdb schema` show it.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import duckdb

from gainsight_db.common.errors import GsdbError
from gainsight_db.common.results import one_row
from gainsight_db.common.sql_text import quote_identifier, quote_literal

# Bump when a table changes, and add the statements that upgrade the previous version to MIGRATIONS.
# Views are always re-created from their files on upgrade, so a view change needs only the bump.
SCHEMA_VERSION = 17
# Where an upgrade from 16 keeps the generations until _backfill has moved them.
_GENERATIONS_BEFORE_17 = "_generations_before_17"
MIGRATIONS: dict[int, list] = {
    # from_version: statements that bring a warehouse at from_version to from_version + 1
    1: [],  # 2 adds the lifetime views (_buffer_events, lifetimes, dead_writes, orphan_reads, layer_stats, run_stats)
    2: [],  # 3 adds the lifetime_histogram view
    3: [],  # 4 adds the AI Engine tables and views
    4: [],  # 5 adds the memory-technology tables (seeded with the default technologies) and views
    # 6 computes lifetimes and layer statistics at ingest (_generations, _layer_stats; see _backfill)
    5: ["DROP VIEW IF EXISTS _buffer_events"],
    # 7 records where each trace came from: traces may be handed over in memory by `gsdb simulate`
    6: [
        "ALTER TABLE trace_files ADD COLUMN origin VARCHAR DEFAULT 'csv'",
        "ALTER TABLE trace_files ALTER COLUMN origin SET NOT NULL",
        "ALTER TABLE trace_files ALTER COLUMN origin DROP DEFAULT",
        "ALTER TABLE trace_files ALTER COLUMN size_bytes DROP NOT NULL",
    ],
    # 8 gives memtech_composition's area and energy their own columns, and aie_aggregate_summary a
    # diagnosis (views only)
    7: [],
    # 9 records what `gsdb simulate` changed in the config, and the identity of a simulation's inputs
    8: [
        "ALTER TABLE runs ADD COLUMN IF NOT EXISTS overrides VARCHAR",
        "ALTER TABLE runs ADD COLUMN IF NOT EXISTS inputs_sha256 VARCHAR",
    ],
    9: [],  # 10 adds sweep_points (a new table, created from its file)
    10: [],  # 11 adds the sweep_summary view
    # 12 keeps every technology figure with its citation (technology_figures; `technologies` becomes
    # a view of it) and adds the node and retention factor to the settings
    11: [lambda con: _upgrade_to_technology_figures(con)],
    # 13 derives lifetimes and layer statistics from each layer's parsed traces (_generations_of and
    # _layer_stats_of read one layer and buffer's accesses), and takes total_cycles and the
    # frequencies, which need COMPUTE_REPORT.csv, out of _layer_stats into the layer_stats view (so a
    # layer is loaded as soon as SCALE-Sim has simulated it)
    12: [
        "DROP VIEW IF EXISTS layer_stats",
        "ALTER TABLE _layer_stats DROP COLUMN IF EXISTS total_cycles",
        "ALTER TABLE _layer_stats DROP COLUMN IF EXISTS read_freq_pct",
        "ALTER TABLE _layer_stats DROP COLUMN IF EXISTS write_freq_pct",
    ],
    # 14 finds most generations in numpy at ingest and gives _layer_stats_of the access counts
    # instead of the accesses (macros only)
    13: [],
    # 15 stores each access with its trace's id only (_accesses): accesses becomes a view over it and
    # trace_files, which gives every trace a trace_id
    14: [lambda con: _store_accesses_by_trace(con)],
    # 16 keeps each layer's lifetimes counted by length (_lifetime_lengths, a new table; see _backfill)
    # for lifetime_histogram, run_stats and memtech, and stores accesses a trace row at a time
    # (_accesses: the row's cycle and its addresses)
    15: [lambda con: _store_accesses_by_row(con)],
    # 17 reads each layer's lifetime figures off its lifetimes counted by length (_layer_stats_of
    # takes them; _lifetime_figures_of, shared with run_stats), and stores each generation under the
    # trace that writes into its buffer instead of with its run, layer and buffer (_generations; the
    # rows are moved in _backfill)
    16: [f"ALTER TABLE IF EXISTS _generations RENAME TO {_GENERATIONS_BEFORE_17}"],
}
# A migration step is an SQL statement, or a function of the connection for steps that depend on
# what the warehouse holds.

_BEFORE_FIGURES = "_technologies_before_12"
_PER_BIT_NUMBERS = ("retention_s", "area_um2_per_bit", "read_pj_per_bit", "write_pj_per_bit",
                    "refresh_pj_per_bit", "leakage_pw_per_bit")


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return one_row(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
                   [name])[0] > 0


def _store_accesses_by_trace(con: duckdb.DuckDBPyConnection) -> None:
    """Version 15: number the traces, move the accesses into _accesses under their trace's number,
    and drop the accesses table (its view is created from its file). A warehouse whose accesses do
    not each have exactly one trace_files row (which no ingest leaves) is refused, unchanged."""
    files = {obj.name: obj for obj in load_objects()}
    con.execute("ALTER TABLE trace_files RENAME TO _trace_files_before_15")
    con.execute(files["trace_files"].sql)
    con.execute("CREATE TABLE _accesses (trace_id INTEGER NOT NULL, cycle INTEGER NOT NULL, addr INTEGER NOT NULL)")
    con.execute("""
        INSERT INTO trace_files BY NAME
        SELECT *, CAST(row_number() OVER (ORDER BY run_id, layer, buffer, level) AS INTEGER) AS trace_id
        FROM _trace_files_before_15""")
    con.execute("DROP TABLE _trace_files_before_15")
    con.execute("""
        INSERT INTO _accesses
        SELECT t.trace_id, a.cycle, a.addr
        FROM accesses AS a
        JOIN trace_files AS t ON t.run_id = a.run_id AND t.layer = a.layer AND t.buffer = CAST(a.buffer AS VARCHAR)
            AND t.level = CAST(a.level AS VARCHAR)""")
    before, after = one_row(con, "SELECT (SELECT count(*) FROM accesses), (SELECT count(*) FROM _accesses)")
    if before != after:  # a trace recorded twice, or accesses without their trace: nothing is changed
        raise GsdbError(f"cannot upgrade to version 15: {before:,} accesses would become {after:,} (an access "
                        "without its trace_files row, or a trace recorded twice); see `gsdb audit`")
    con.execute("DROP TABLE accesses")


def _store_accesses_by_row(con: duckdb.DuckDBPyConnection) -> None:
    """Version 16: one _accesses row per run of a trace's accesses in one cycle (their addresses in a
    list, in the order they were stored) instead of one per access, as an ingest stores them; moved
    a trace at a time (so that memory stays bounded)."""
    files = {obj.name: obj for obj in load_objects()}
    con.execute("ALTER TABLE _accesses RENAME TO _accesses_before_16")
    con.execute(files["_accesses"].sql)
    traces = con.execute("SELECT DISTINCT trace_id FROM _accesses_before_16 ORDER BY trace_id").fetchall()
    for (trace_id,) in traces:
        con.execute("""
            INSERT INTO _accesses
            WITH stored AS (
                SELECT rowid AS position, trace_id, cycle, addr,
                       coalesce(cycle <> lag(cycle) OVER (ORDER BY rowid), true) AS starts_run
                FROM _accesses_before_16
                WHERE trace_id = ?
            ),
            runs AS (
                SELECT *, sum(CAST(starts_run AS INTEGER)) OVER (ORDER BY position) AS run
                FROM stored
            )
            SELECT trace_id, any_value(cycle), list(addr ORDER BY position)
            FROM runs
            GROUP BY trace_id, run
            ORDER BY run""", [trace_id])
    before, after = one_row(con, "SELECT (SELECT count(*) FROM _accesses_before_16), "
                                 "(SELECT coalesce(sum(len(addrs)), 0) FROM _accesses)")
    if before != after:
        raise GsdbError(f"cannot upgrade to version 16: {before:,} accesses would become {after:,}")
    con.execute("DROP TABLE _accesses_before_16")


def _move_generations_to_their_write_traces(con: duckdb.DuckDBPyConnection) -> None:
    """Version 17 stores each generation under the trace that writes into its buffer: the rows kept
    aside by the upgrade's step move there, in their order. Refused, with nothing changed, if a row's
    buffer has no such trace, or more than one."""
    old = _GENERATIONS_BEFORE_17
    # Each (run, layer, buffer) of the rows kept aside must have exactly one trace writing into it.
    [(no_writer, many_writers)] = con.execute(
        f"SELECT coalesce(sum(rows) FILTER (WHERE writers = 0), 0), coalesce(sum(rows) FILTER (WHERE writers > 1), 0) "
        f"FROM (SELECT g.rows, (SELECT count(*) FROM trace_files AS t WHERE t.run_id = g.run_id AND t.layer = g.layer "
        f"AND t.buffer = g.buffer AND _is_write(t.buffer, t.level)) AS writers "
        f"FROM (SELECT run_id, layer, CAST(buffer AS VARCHAR) AS buffer, count(*) AS rows FROM {old} GROUP BY ALL) AS g)"
    ).fetchall()
    for rows, what in ((no_writer, "no trace"), (many_writers, "more than one trace")):
        if rows:
            raise GsdbError(f"{rows:,} lifetime rows (_generations) have {what} writing into their buffer "
                            "(trace_files): the warehouse cannot be upgraded; re-ingest into a new warehouse")
    [(moved,)] = con.execute(
        f"INSERT INTO _generations SELECT t.trace_id, g.addr, g.write_cycle, g.reads, g.last_read_cycle "
        f"FROM {old} AS g JOIN trace_files AS t ON t.run_id = g.run_id AND t.layer = g.layer "
        f"AND t.buffer = CAST(g.buffer AS VARCHAR) AND _is_write(t.buffer, t.level) ORDER BY g.rowid").fetchall()
    [(kept,)] = con.execute(f"SELECT count(*) FROM {old}").fetchall()
    if moved != kept:  # (cannot happen after the check above)
        raise GsdbError(f"cannot upgrade to version 17: {kept:,} lifetime rows (_generations) would become {moved:,}")
    con.execute(f"DROP TABLE {old}")


def _upgrade_to_technology_figures(con: duckdb.DuckDBPyConnection) -> None:
    """Set a user's technology table aside (turned into figures by _backfill) and drop the table, so
    that `technologies` can become a view; add the settings' new columns."""
    if _table_exists(con, "technologies"):
        con.execute(f"CREATE TABLE {_BEFORE_FIGURES} AS SELECT * FROM technologies "
                    "WHERE loaded_from IS DISTINCT FROM 'default'")
        con.execute("DROP TABLE technologies")
    if _table_exists(con, "memtech_settings"):
        con.execute("ALTER TABLE memtech_settings ADD COLUMN IF NOT EXISTS node_nm DOUBLE")
        con.execute("ALTER TABLE memtech_settings ADD COLUMN IF NOT EXISTS retention_factor DOUBLE")

_COLUMN_DOC = re.compile(r"^@column\s+(\w+)\s+(.*)$")


@dataclass(frozen=True)
class SqlObject:
    """One table or view, as its `.sql` file defines it."""

    name: str
    kind: str  # 'table', 'view' or 'macro' (private table macros only)
    path: str  # path inside the package, e.g. 'scalesim/accesses.sql'
    sql: str
    doc: str
    column_docs: dict[str, str] = field(default_factory=dict)
    depends_on: frozenset[str] = frozenset()

    @property
    def public(self) -> bool:
        return not self.name.startswith("_")


def _parse_doc(text: str) -> tuple[str, dict[str, str]]:
    doc_lines: list[str] = []
    columns: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            if stripped:
                break  # the doc block ends at the statement
            continue
        body = stripped[2:].strip()
        match = _COLUMN_DOC.match(body)
        if match:
            columns[match.group(1)] = match.group(2).strip()
        elif body:
            doc_lines.append(body)
    return " ".join(doc_lines), columns


def _parse_object(path: str, text: str) -> SqlObject:
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as err:
        raise GsdbError(f"{path}: cannot parse: {err}") from err
    if len(statements) != 1 or not isinstance(statements[0], exp.Create):
        raise GsdbError(f"{path}: expected exactly one CREATE statement")
    create = statements[0]
    kind = str(create.args.get("kind", "")).lower()
    if kind not in ("table", "view", "macro"):
        raise GsdbError(f"{path}: only tables, views and table macros are supported, found {kind!r}")
    name = create.this.find(exp.Table).name
    if kind == "macro" and not name.startswith("_"):
        raise GsdbError(f"{path}: a macro is a private helper; its name must start with '_'")
    ctes = {cte.alias_or_name for cte in create.find_all(exp.CTE)}
    reads = {t.name for t in create.find_all(exp.Table)} - ctes - {name, ""}
    # Private macros are called like functions (scalar or table); they are dependencies too.
    reads |= {f.name for f in create.find_all(exp.Anonymous) if f.name.startswith("_") and f.name != name}
    doc, column_docs = _parse_doc(text)
    return SqlObject(name, kind, path, text, doc, column_docs, frozenset(reads))


# What sqlglot finds in the .sql files (each object's kind and the objects it reads), kept beside them
# with a digest of their text so that opening a new warehouse need not parse them again. Used only
# while the digest matches; `python -m gainsight_db.warehouse.schema` rewrites it, and a test checks
# that the shipped one is current.
INDEX_FILE = "objects.index"


def _sql_files() -> dict[str, str]:
    """Every schema file's text, by its path inside the package ('scalesim/accesses.sql')."""
    root = resources.files("gainsight_db.sql")
    return {
        f"{folder.name}/{item.name}": item.read_text(encoding="utf-8")
        for folder in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
        for item in sorted(folder.iterdir(), key=lambda p: p.name)
        if item.name.endswith(".sql")
    }


def _digest(files: dict[str, str]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path, text in sorted(files.items()):
        digest.update(f"{path}\0{text}\0".encode())
    return digest.hexdigest()


def index_text(objects: tuple[SqlObject, ...], files: dict[str, str]) -> str:
    """The index of the schema files: their digest, then one line per object in the order they are
    applied (path, kind, objects it reads)."""
    lines = [f"# {INDEX_FILE}: written by `python -m gainsight_db.warehouse.schema`; do not edit.",
             f"sha256 {_digest(files)}"]
    lines += [" ".join([obj.path, obj.kind, *sorted(obj.depends_on)]) for obj in objects]
    return "\n".join(lines) + "\n"


def _from_index(files: dict[str, str]) -> tuple[SqlObject, ...] | None:
    """The objects as the index describes them, or None when it is missing or not that of `files`."""
    try:
        text = resources.files("gainsight_db.sql").joinpath(INDEX_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    if not lines or lines[0] != f"sha256 {_digest(files)}":
        return None
    objects = []
    for line in lines[1:]:
        path, kind, *reads = line.split()
        doc, column_docs = _parse_doc(files[path])
        name = path.rsplit("/", 1)[1].removesuffix(".sql")
        objects.append(SqlObject(name, kind, path, files[path], doc, column_docs, frozenset(reads)))
    return tuple(objects)


def analyse_objects(files: dict[str, str]) -> tuple[SqlObject, ...]:
    """Every schema object parsed with sqlglot, in an order where each comes after the objects it reads."""
    objects: dict[str, SqlObject] = {}
    for path, text in files.items():
        obj = _parse_object(path, text)
        if obj.name != path.rsplit("/", 1)[1].removesuffix(".sql"):  # the loaders find the schema's objects by file name
            raise GsdbError(f"{obj.path}: defines {obj.name}; a schema file is named after its object")
        if obj.name in objects:
            raise GsdbError(f"{obj.path}: {obj.name} is also defined in {objects[obj.name].path}")
        objects[obj.name] = obj
    sorter = graphlib.TopologicalSorter()
    for obj in objects.values():
        unknown = obj.depends_on - objects.keys()
        if unknown:
            raise GsdbError(f"{obj.path}: reads {', '.join(sorted(unknown))}, defined in no schema file")
        sorter.add(obj.name, *sorted(obj.depends_on))
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as err:
        raise GsdbError(f"schema files depend on each other in a cycle: {err.args[1]}") from err
    return tuple(objects[name] for name in order)


@cache
def load_objects() -> tuple[SqlObject, ...]:
    """Every schema object, in an order where each comes after the objects it reads: from the index
    when it is that of the files, else parsed with sqlglot."""
    files = _sql_files()
    return _from_index(files) or analyse_objects(files)


def _apply_object(con: duckdb.DuckDBPyConnection, obj: SqlObject) -> None:
    """Create (or replace) one object, with its doc and its columns' docs as comments: one call
    (a public view has tens of column comments; a call each cost a new warehouse 0.1 s)."""
    statements = [obj.sql]
    if obj.public:
        statements.append(f"COMMENT ON {obj.kind.upper()} {quote_identifier(obj.name)} IS {quote_literal(obj.doc)}")
        statements += [f"COMMENT ON COLUMN {quote_identifier(obj.name)}.{quote_identifier(column)} IS {quote_literal(text)}"
                       for column, text in obj.column_docs.items()]
    con.execute("\n;\n".join(statements))


def _seed(con: duckdb.DuckDBPyConnection) -> None:
    """Reference data a new (or upgraded) warehouse starts with: the default technology figures."""
    from gainsight_db.loaders.technologies import DEFAULT, default_figures, replace_figures

    if one_row(con, "SELECT count(*) FROM technology_figures")[0] == 0:
        replace_figures(con, default_figures(), DEFAULT)


def _backfill(con: duckdb.DuckDBPyConnection, from_version: int) -> None:
    """Fill tables that an upgrade added and that ingest would have filled."""
    if from_version < 6:
        from gainsight_db.loaders.scalesim_derived import derive_all

        derive_all(con)
    if _table_exists(con, _GENERATIONS_BEFORE_17):  # (set aside from version 6 on, when _generations came)
        _move_generations_to_their_write_traces(con)
    if 6 <= from_version < 16:  # (before 6, derive_all has filled it)
        con.execute("DELETE FROM _lifetime_lengths")
        con.execute("INSERT INTO _lifetime_lengths SELECT run_id, layer, buffer, lifetime_cycles, count(*), sum(reads) "
                    "FROM lifetimes GROUP BY ALL")
    if from_version < 12 and _table_exists(con, _BEFORE_FIGURES):
        from gainsight_db.loaders.technologies import per_bit_figures, replace_figures

        rows = con.execute(f"SELECT * FROM {_BEFORE_FIGURES}").fetchall()
        if rows:  # a user's table, as it was loaded
            columns = [d[0] for d in con.execute(f"SELECT * FROM {_BEFORE_FIGURES} LIMIT 0").description]
            records = [dict(zip(columns, row)) for row in rows]
            figures = per_bit_figures([{c: r[c] for c in ("technology", "cell", *_PER_BIT_NUMBERS, "source")}
                                       for r in records], "technology table")
            replace_figures(con, figures, records[0]["loaded_from"])
        con.execute(f"DROP TABLE {_BEFORE_FIGURES}")


def stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version recorded in the warehouse, or None for a database gainsight-db never set up."""
    exists = one_row(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_schema_meta' AND schema_name = 'main'"
    )[0]
    if not exists:
        return None
    row = one_row(con, "SELECT value FROM _schema_meta WHERE key = 'schema_version'")
    return int(row[0]) if row else None


def _user_tables(con: duckdb.DuckDBPyConnection) -> int:
    return one_row(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal"
    )[0]


def refuse_newer(version: int, where: str) -> None:
    """A warehouse written by a newer gainsight-db is refused, untouched."""
    if version > SCHEMA_VERSION:
        raise GsdbError(
            f"{where}: warehouse schema version {version} is newer than this gainsight-db "
            f"supports ({SCHEMA_VERSION}); upgrade gainsight-db"
        )


def ensure_schema(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Create the schema in a new warehouse, upgrade an older one, or refuse one it cannot use."""
    version = stored_version(con)
    if version == SCHEMA_VERSION:
        return
    if version is None and _user_tables(con):
        raise GsdbError(f"{where}: not a gainsight-db warehouse (it has tables but no schema version)")
    if version is not None:
        refuse_newer(version, where)
        missing = [v for v in range(version, SCHEMA_VERSION) if v not in MIGRATIONS]
        if missing:
            raise GsdbError(
                f"{where}: warehouse schema version {version} cannot be upgraded to {SCHEMA_VERSION} "
                f"(no migration from version {missing[0]}); re-ingest into a new warehouse"
            )
    con.execute("BEGIN TRANSACTION")
    try:
        if version is not None:
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step]:
                    statement(con) if callable(statement) else con.execute(statement)
        for obj in load_objects():
            _apply_object(con, obj)
        _seed(con)
        if version is not None:
            _backfill(con, version)
        con.execute("DELETE FROM _schema_meta WHERE key = 'schema_version'")
        con.execute("INSERT INTO _schema_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _write_index() -> None:
    """Rewrite the schema files' index (sql/objects.index) from what sqlglot finds in them."""
    files = _sql_files()
    target = resources.files("gainsight_db.sql").joinpath(INDEX_FILE)
    with resources.as_file(target) as path:
        path.write_text(index_text(analyse_objects(files), files), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    _write_index()
