"""The `gsdb` application: every command is registered here, group by group."""

from __future__ import annotations

from typing import Annotated

import duckdb
import typer

from gainsight_db.cli import catalog, export, ingest, maintenance, memtech, plot, report, sweep, tech
from gainsight_db.common.version import __version__


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gainsight-db {__version__} (DuckDB {duckdb.__version__})")
        raise typer.Exit()


def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show versions.")] = False,
) -> None:
    pass


# One example per command, shown at the end of its help (tests/test_cli_style.py checks that every
# command has one and that it parses).
EXAMPLES: dict[str, str] = {
    "gsdb": "gsdb ingest examples/scalesim_tiny_8x8_ws && gsdb report layers",
    "ingest": "gsdb ingest examples/scalesim_tiny_8x8_ws",
    "simulate": "gsdb simulate --topology net.csv --config scale.cfg --dataflow os --array 32x32 --name net_32x32_os",
    "sweep": "gsdb sweep examples/sweep_tutorial1/part_a.toml --jobs 2",
    "query": "gsdb query \"SELECT layer, buffer, count(*) FROM lifetimes GROUP BY ALL\" -f csv",
    "sql": "gsdb sql layer_stats --dialect spark",
    "runs": "gsdb runs -f json",
    "tables": "gsdb tables",
    "schema": "gsdb schema lifetimes",
    "audit": "gsdb audit --run tiny_8x8_ws --all",
    "compact": "gsdb compact --db warehouse/gainsight.duckdb",
    "rm": "gsdb rm tiny_8x8_ws 3",
    "report": "gsdb report layers --run tiny_8x8_ws",
    "report lifetimes": "gsdb report lifetimes --run tiny_8x8_ws --layer 0 -f csv -o lifetimes.csv",
    "report layers": "gsdb report layers --run tiny_8x8_ws --buffer ifmap",
    "report run": "gsdb report run --run tiny_8x8_ws",
    "report histogram": "gsdb report histogram --run tiny_8x8_ws --layer 0",
    "report memtech": "gsdb report memtech --run tiny_8x8_ws --clock-hz 1e9 --assume si_gain_cell.read_pj_per_bit=0.05",
    "memtech": "gsdb memtech set --clock-hz 2e9 --node-nm 45",
    "tech": "gsdb tech accelforge examples/accelforge/arch.yaml --buffer ifmap=GlobalBuffer",
    "tech accelforge": "gsdb tech accelforge examples/accelforge/arch.yaml --buffer ifmap=GlobalBuffer "
                       "--buffer filter=FilterBuffer --buffer ofmap=OutputBuffer",
    "memtech set": "gsdb memtech set --run tiny_8x8_ws --clock-hz 2e9 --retention-factor 0.5",
    "report composition": "gsdb report composition --run tiny_8x8_ws",
    "report sweep": "gsdb report sweep tutorial1 -f csv -o tutorial1.csv",
    "report aie": "gsdb report aie --level summary",
    "export": "gsdb export parquet -o tables",
    "export gainsight": "gsdb export gainsight --run tiny_8x8_ws -o processed",
    "export parquet": "gsdb export parquet -o tables --replace",
    "export csv": "gsdb export csv --run tiny_8x8_ws -o tables-csv",
    "export frontend": "gsdb export frontend --run tiny_8x8_ws -o frontend.json",
    "export aie": "gsdb export aie --run whole_array -o aie-files",
    "plot": "gsdb plot lifetimes --run tiny_8x8_ws -o lifetimes.png",
    "plot lifetimes": "gsdb plot lifetimes --run tiny_8x8_ws -o lifetimes.png",
    "plot runs": "gsdb plot runs -o cycles.svg",
    "plot memtech": "gsdb plot memtech --run tiny_8x8_ws -o memtech.pdf",
    "plot sweep": "gsdb plot sweep tutorial1 --metric total_cycles --by dataflow -o tutorial1.png",
}


def build_command():
    """The `gsdb` command as click runs it: the application, with each command's example at the end
    of its help and flags shown without a value type (they take none)."""
    from typer._click.core import Context  # the click that typer bundles

    command = typer.main.get_command(build_app())

    def walk(cmd, path: str):
        yield cmd, path
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, f"{path} {name}".strip())

    for cmd, path in walk(command, ""):
        example = EXAMPLES.get(path or "gsdb")
        if example is not None:
            cmd.epilog = f"Example: {example}"
        for param in (*cmd.params, cmd.get_help_option(Context(cmd))):
            if getattr(param, "is_flag", False):
                param.metavar = ""
    return command


def build_app() -> typer.Typer:
    """The `gsdb` command with every command and group."""
    app = typer.Typer(
        name="gsdb",
        help="gainsight-db: a DuckDB warehouse for on-chip memory profiling of AI accelerators.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_root)
    app.command()(ingest.ingest)
    app.command()(ingest.simulate)
    app.command()(sweep.sweep)
    app.command()(catalog.query)
    app.command("sql")(catalog.sql_definition)
    app.command()(catalog.runs)
    app.command()(catalog.tables)
    app.command()(catalog.schema)
    app.command()(catalog.audit)
    app.command()(maintenance.rm)
    app.command()(maintenance.compact)
    app.add_typer(report.app, name="report")
    app.add_typer(export.app, name="export")
    app.add_typer(plot.app, name="plot")
    app.add_typer(memtech.app, name="memtech")
    app.add_typer(tech.app, name="tech")
    return app
