"""Checks every input CSV gets before DuckDB reads it (present, readable, not empty, not truncated),
and the name under which DuckDB reads exactly that file."""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from gainsight_db.common.errors import GsdbError

# The characters that make DuckDB's file readers expand a path as a glob pattern (FileSystem::HasGlob).
_GLOB_CHARACTERS = frozenset("*?[")
_PLAIN_SUFFIX = re.compile(r"\.[A-Za-z0-9]+")


def read_head(path: Path, what: str, limit: int) -> bytes:
    """The first `limit` bytes of a text file that must exist, hold something, and end with a newline
    (SCALE-Sim ends every file with one, so a file cut short is caught here). `what` names the file
    kind in messages ('trace', 'report')."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(limit)
            if size:
                handle.seek(size - 1)
                last = handle.read(1)
    except FileNotFoundError as err:
        reason = "broken symbolic link" if path.is_symlink() else f"{what} file is missing"
        raise GsdbError(f"{path}: {reason}") from err
    except OSError as err:
        raise GsdbError(f"{path}: cannot read {what}: {err.strerror}") from err
    if size == 0 or not head.strip():
        raise GsdbError(f"{path}: {what} file is empty")
    if last != b"\n":
        raise GsdbError(f"{path}: {what} is truncated (the last line does not end with a newline)")
    return head


@contextmanager
def literal_path(path: Path | str) -> Iterator[str]:
    """The name to give DuckDB's file readers (read_csv, read_json, read_text, ...) for exactly the
    file `path` and no other: DuckDB expands `*`, `?` and `[...]` in a name as a glob pattern (there
    is no option to turn that off) and looks a relative name up on its file_search_path.

    Use it as `with literal_path(path) as name:` and put `name` (quoted with `quote_literal`) in the
    statements that read the file, inside the block. A path holding none of the glob characters is
    given as itself, made absolute: nothing is created. Any other is reached through a symbolic link
    with a plain name (`input` and the file's last suffix, when that is plain, so that a reader that
    goes by the suffix, e.g. for compression, sees the same one) in a private temporary folder,
    removed when the block ends. The file is not checked or opened here. DuckDB's own messages may
    mention `name`; `named_in` puts the path back."""
    absolute = os.path.abspath(path)
    if not _GLOB_CHARACTERS.intersection(absolute):
        yield absolute
        return
    folder = tempfile.mkdtemp(prefix="gsdb-")
    try:
        if _GLOB_CHARACTERS.intersection(folder):
            raise GsdbError(f"{path}: cannot read a file whose name holds {''.join(sorted(_GLOB_CHARACTERS))} "
                            f"through the temporary folder {folder}, whose name holds them too (set TMPDIR)")
        suffix = Path(absolute).suffix
        link = os.path.join(folder, "input" + (suffix if _PLAIN_SUFFIX.fullmatch(suffix) else ""))
        os.symlink(absolute, link)
        try:
            yield link
        finally:
            os.unlink(link)
    finally:
        os.rmdir(folder)


def named_in(message: str, name: str, path: Path | str) -> str:
    """A DuckDB message about the file read as `name` (from `literal_path`), naming `path` instead."""
    return message.replace(name, str(path)) if name != str(path) else message
