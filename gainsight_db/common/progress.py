"""Progress reporting for long work: a rich progress bar on a terminal, nothing otherwise.

Whoever starts a piece of work says what it counts: `start(total, description, unit)` with unit
`BYTES` (shown as a size with a transfer speed) or a plural noun (`"layers"`, `"files"`), shown as
`done/total noun`.

A sweep reports where it stands as a whole (`SweepTally`) and a line per finished point
(`sweep_progress`): a live line on a terminal, one line per point elsewhere.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
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


# Sweeps ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepTally:
    """Where a sweep stands: its points done (ran, skipped, failed, not run), running, and its times."""

    sweep: str
    total: int  # points in the sweep
    ran: int = 0
    skipped: int = 0
    failed: int = 0
    cancelled: int = 0  # not run: the sweep stopped first (--fail-fast)
    running: int = 0
    elapsed_s: float = 0.0
    left_s: float | None = None  # estimate of the time left (None until a point has run)
    activity: str = ""  # what the coordinator is doing, e.g. 'ingesting tutorial1_os'

    @property
    def done(self) -> int:
        return self.ran + self.skipped + self.failed + self.cancelled


class SweepProgress(Protocol):
    def update(self, tally: SweepTally) -> None: ...
    def point_finished(self, line: str, failed: bool) -> None: ...


class NoSweepProgress:
    """Reports nothing."""

    def update(self, tally: SweepTally) -> None:
        pass

    def point_finished(self, line: str, failed: bool) -> None:
        pass


class _SweepLines:
    """One line on stderr per finished point (all of them, or only the failed ones)."""

    def __init__(self, failures_only: bool) -> None:
        self._failures_only = failures_only

    def update(self, tally: SweepTally) -> None:
        pass

    def point_finished(self, line: str, failed: bool) -> None:
        if failed or not self._failures_only:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class _SweepBar:
    """One line on a terminal: a bar of the points done, with the counts and times; failed points
    are printed above it as they fail."""

    def __init__(self, bar) -> None:
        self._bar = bar
        self._task = None
        self._tally: SweepTally | None = None
        self._at = time.monotonic()

    def update(self, tally: SweepTally) -> None:
        self._tally, self._at = tally, time.monotonic()
        if self._task is None:
            self._task = self._bar.add_task(f"sweep {tally.sweep}", total=tally.total)
        self._bar.update(self._task, completed=tally.done, state=self.state())

    def state(self) -> str:
        tally = self._tally
        if tally is None:
            return ""
        since = time.monotonic() - self._at  # the clocks go on between updates
        parts = [f"{tally.done}/{tally.total} points", f"{tally.running} running", f"{tally.failed} failed",
                 f"{_clock(tally.elapsed_s + since)} elapsed"]
        if tally.left_s is not None and tally.done < tally.total:
            parts.append(f"~{_clock(max(0.0, tally.left_s - since))} left")
        if tally.activity:
            parts.append(tally.activity)
        return "  ".join(parts)

    def point_finished(self, line: str, failed: bool) -> None:
        if failed:
            self._bar.console.print(line, markup=False, highlight=False)


@contextmanager
def sweep_progress(enabled: bool = True) -> Iterator[SweepProgress]:
    """How a sweep reports on stderr: on a terminal one live line (points done of total, running,
    failed, elapsed, estimate of the time left) with failed points printed above it; elsewhere one
    line per finished point. Not `enabled` (--quiet): only the failed points."""
    if not enabled:
        yield _SweepLines(failures_only=True)
        return
    if not sys.stderr.isatty():
        yield _SweepLines(failures_only=False)
        return
    from rich.console import Console
    from rich.progress import BarColumn, ProgressColumn, TextColumn
    from rich.progress import Progress as RichProgress
    from rich.text import Text

    class StateColumn(ProgressColumn):
        def render(self, task) -> Text:
            return Text(display.state())

    with RichProgress(TextColumn("{task.description}"), BarColumn(bar_width=20), StateColumn(),
                      console=Console(stderr=True), transient=True) as bar:
        display = _SweepBar(bar)
        yield display
