"""Progress reporting for long work: a rich progress bar on a terminal, nothing otherwise.

Whoever starts a piece of work says what it counts: `start(total, description, unit)` with unit
`BYTES` (shown as a size with a transfer speed) or a plural noun (`"layers"`, `"files"`), shown as
`done/total noun`.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, Protocol

BYTES = "bytes"


class Progress(Protocol):
    def start(self, total: int, description: str, unit: str) -> None: ...
    def advance(self, amount: int, description: str | None = None) -> None: ...


class NoProgress:
    """Reports nothing (not a terminal, --quiet, or tests)."""

    def start(self, total: int, description: str, unit: str) -> None:
        pass

    def advance(self, amount: int, description: str | None = None) -> None:
        pass


class _RichProgress:
    def __init__(self, bar) -> None:
        self._bar = bar
        self._task = None

    def start(self, total: int, description: str, unit: str) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(description, total=total, unit=unit)

    def advance(self, amount: int, description: str | None = None) -> None:
        if self._task is None:
            return
        if description:
            self._bar.update(self._task, description=description)
        self._bar.advance(self._task, amount)


def _amount_columns():
    """How much is done, in the unit of the task: a size and a speed for bytes, `done/total unit`
    for anything else."""
    from rich.progress import DownloadColumn, ProgressColumn, TransferSpeedColumn
    from rich.text import Text

    class AmountColumn(ProgressColumn):
        def __init__(self) -> None:
            super().__init__()
            self._size = DownloadColumn()

        def render(self, task) -> Text:
            unit = task.fields.get("unit", BYTES)
            if unit == BYTES:
                return self._size.render(task)
            total = "?" if task.total is None else f"{int(task.total):,}"
            return Text(f"{int(task.completed):,}/{total} {unit}", style="progress.download")

    class SpeedColumn(ProgressColumn):
        def __init__(self) -> None:
            super().__init__()
            self._speed = TransferSpeedColumn()

        def render(self, task) -> Text:
            return self._speed.render(task) if task.fields.get("unit", BYTES) == BYTES else Text("")

    return AmountColumn(), SpeedColumn()


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Progress]:
    """A progress bar on stderr when enabled and stderr is a terminal, counting in the unit each
    piece of work starts with."""
    if not enabled or not sys.stderr.isatty():
        yield NoProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("{task.description}"), BarColumn(), *_amount_columns(),
        TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    ) as bar:
        yield _RichProgress(bar)
