"""One command line: the same option names, `--run` rules and error style in every command, an
example in every command's help, SQL from stdin or a file, and no warehouse left by a failed start."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE_RUN, SCALESIM_SAMPLES

GSDB = str(Path(sys.executable).parent / "gsdb")


def _commands():
    """Every command of `gsdb` (groups and leaves) with its path, e.g. ('export parquet', cmd)."""
    from gainsight_db.cli.app import build_command

    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, f"{path} {name}".strip())

    return list(walk(build_command(), ""))


COMMANDS = _commands()
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not getattr(cmd, "commands", None)]


def test_every_command_has_an_example_that_parses():
    """Rule: each command's help ends with one example, and the example's options are the command's."""
    from typer._click.core import Context

    for path, cmd in COMMANDS:
        assert cmd.epilog and cmd.epilog.startswith("Example: gsdb "), path or "gsdb"
        first = cmd.epilog.removeprefix("Example: ").split("&&")[0]
        words = shlex.split(first)[1:]
        if not getattr(cmd, "commands", None):
            assert " ".join(words[: len(path.split())]) == path, f"{path}: example runs another command"
            words = words[len(path.split()):]
            cmd.make_context(path, words, parent=Context(COMMANDS[0][1]))  # raises on an unknown option


def test_every_output_path_option_is_output_o():
    """Rule: an option naming where to write is spelled --output/-o in every command."""
    outputs = {path: p.opts for path, cmd in LEAVES for p in cmd.params if p.name in ("out", "output")}
    assert outputs and all(sorted(opts) == ["--output", "-o"] for opts in outputs.values()), outputs
    for path in ("export gainsight", "export parquet", "plot runs", "simulate", "report layers", "query"):
        assert path in outputs


def test_every_run_option_is_a_name_or_id_repeated_where_several_runs_are_covered():
    """Rule: --run is repeatable in commands covering several runs, single in commands about one run."""
    single = {"export gainsight", "export frontend", "export aie", "plot lifetimes", "plot memtech"}
    seen = set()
    for path, cmd in LEAVES:
        for p in cmd.params:
            if "--run" in p.opts:
                seen.add(path)
                assert p.multiple == (path not in single), path
                assert not p.required, path
    assert single <= seen and {"report layers", "report memtech", "audit", "export parquet"} <= seen


def test_flags_show_no_value_type_in_help():
    """Rule: a flag takes no value, and its help does not suggest one (no `<bool>`)."""
    for args in (("ingest", "--help"), ("export", "parquet", "--help")):
        shown = subprocess.run([GSDB, *args], capture_output=True, text=True, env=dict(os.environ, COLUMNS="200"))
        assert shown.returncode == 0 and "--quiet" in shown.stdout and "<bool>" not in shown.stdout
        assert "Example: gsdb" in shown.stdout


@pytest.mark.parametrize("args,text", [
    (("report", "layers", "--bogus"), "No such option: --bogus"),
    (("report", "layers", "--format", "xml"), "'xml' is not one of"),
    (("nosuch",), "No such command 'nosuch'"),
    (("ingest",), "Missing argument"),
    (("export", "csv", "-q"), "Missing option '--output'"),
    (("query", "SELECT 1", "--file", "x.sql"), "give the SQL as an argument"),
    (("export", "csv", "-o", "x", "--quiet", "true"), "unexpected extra argument"),
])
def test_usage_errors_are_one_line_with_exit_code_2(gsdb, args, text):
    """Rule: a usage error is one `gsdb: error:` line naming the command's help, exit code 2."""
    result = gsdb(*args, check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gsdb: error: ") and text in result.stderr
    assert "--help`" in result.stderr


def test_other_errors_are_one_line_with_exit_code_1(gsdb, db):
    result = gsdb("report", "layers", check=False)
    assert result.returncode == 1 and result.stderr.startswith("gsdb: error: ") and result.stderr.count("\n") == 1


def test_a_failed_ingest_of_a_missing_path_creates_no_warehouse(tmp_path, gsdb, db):
    """Rule: a command that fails before storing anything leaves no warehouse file or folder behind."""
    result = gsdb("ingest", tmp_path / "no-such-run", check=False)
    assert result.returncode == 1 and "no-such-run" in result.stderr
    assert not db.exists() and not db.parent.exists()


@pytest.fixture
def two_runs(gsdb):
    gsdb("ingest", EXAMPLE_RUN, SCALESIM_SAMPLES["v3_api_tiny_8x16_os"], "-q")
    return gsdb


def _runs_in(csv_text: str) -> set[str]:
    lines = csv_text.splitlines()
    column = lines[0].split(",").index("run_id")
    return {line.split(",")[column] for line in lines[1:]}


def test_run_repeats_and_defaults_to_every_run(two_runs):
    """Rule: `--run` repeated covers those runs; without it, a report covers every run."""
    assert _runs_in(two_runs("report", "layers", "-f", "csv").stdout) == {"1", "2"}
    assert _runs_in(two_runs("report", "layers", "--run", "2", "-f", "csv").stdout) == {"2"}
    assert _runs_in(two_runs("report", "layers", "--run", "2", "--run", "1", "-f", "csv").stdout) == {"1", "2"}
    memtech = two_runs("report", "memtech", "-f", "csv").stdout.splitlines()
    names = {line.split(",")[0] for line in memtech[1:]}
    assert memtech[0].startswith("run,") and names == {"tiny_8x8_ws", "tiny_8x16_os"}


def test_a_command_about_one_run_uses_the_only_run_or_lists_them(gsdb, tmp_path):
    """Rule: without --run, a one-run command takes the warehouse's only run; with several it lists them."""
    gsdb("ingest", EXAMPLE_RUN, "-q")
    gsdb("export", "frontend", "-o", tmp_path / "f.json")
    assert '"tiny_8x8_ws"' in (tmp_path / "f.json").read_text() or "tiny_8x8_ws" in (tmp_path / "f.json").read_text()
    gsdb("ingest", SCALESIM_SAMPLES["v3_api_tiny_8x16_os"], "-q")
    result = gsdb("export", "frontend", "-o", tmp_path / "g.json", check=False)
    assert result.returncode == 1 and "2 SCALE-Sim runs" in result.stderr and "1 tiny_8x8_ws" in result.stderr
    assert not (tmp_path / "g.json").exists()


def test_an_unknown_layer_is_an_error_not_an_empty_table(gsdb):
    """Rule: a LayerID the run does not have is refused (the example run has LayerIDs 0-2)."""
    gsdb("ingest", EXAMPLE_RUN, "-q")
    result = gsdb("report", "layers", "--layer", "7", check=False)
    assert result.returncode == 1 and "layer 7: no such layer" in result.stderr and "0 to 2" in result.stderr
    assert gsdb("report", "layers", "--layer", "2", "-f", "csv").stdout.count("\n") == 1 + 3  # three buffers


def test_query_reads_sql_from_stdin_or_a_file(gsdb, db, tmp_path):
    gsdb("ingest", EXAMPLE_RUN, "-q")
    env = dict(os.environ, GSDB_DB=str(db))
    piped = subprocess.run([GSDB, "query", "-", "-f", "csv"], input="SELECT count(*) AS n FROM runs",
                           capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and piped.stdout == "n\n1\n"
    sql = tmp_path / "q.sql"
    sql.write_text("SELECT 6 * 7 AS answer\n")
    assert gsdb("query", "--file", sql, "-f", "csv").stdout == "answer\n42\n"
    missing = gsdb("query", "--file", tmp_path / "none.sql", check=False)
    assert missing.returncode == 1 and "none.sql" in missing.stderr
