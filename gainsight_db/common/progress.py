"""Progress reporting for long work: a rich progress bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, Protocol


class Progress(Protocol):
    def start(self, total: int, description: str) -> None: ...
    def advance(self, amount: int, description: str | None = None) -> None: ...


class NoProgress:
    """Reports nothing (not a terminal, --quiet, or tests)."""

    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, amount: int, description: str | None = None) -> None:
        pass


class _RichProgress:
    def __init__(self, bar) -> None:
        self._bar = bar
        self._task = None

    def start(self, total: int, description: str) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(description, total=total)

    def advance(self, amount: int, description: str | None = None) -> None:
        if self._task is None:
            return
        if description:
            self._bar.update(self._task, description=description)
        self._bar.advance(self._task, amount)


@contextmanager
def progress_bar(enabled: bool = True, counts_bytes: bool = True) -> Iterator[Progress]:
    """A progress bar on stderr when enabled and stderr is a terminal; it counts bytes (with a
    transfer speed) or, with counts_bytes=False, steps."""
    if not enabled or not sys.stderr.isatty():
        yield NoProgress()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as RichProgress

    amount = (DownloadColumn(), TransferSpeedColumn()) if counts_bytes else (MofNCompleteColumn(),)
    with RichProgress(
        TextColumn("{task.description}"), BarColumn(), *amount,
        TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    ) as bar:
        yield _RichProgress(bar)
