"""Long work: a progress bar on a terminal, plain lines now and then otherwise, and a
Ctrl-C that stops after the batch being read instead of in the middle of one."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

import attrs
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from replytrack.cli._output import stderr
from replytrack.protocols import InboxSource, SourceMessage

PLAIN_EVERY = 2.0  # seconds between two plain progress lines


@attrs.define
class Stop:
    """Set by the first Ctrl-C; the second one interrupts at once."""

    requested: bool = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        stderr().print("stopping after this batch (Ctrl-C again to stop at once)")


@contextmanager
def interruptible() -> Iterator[Stop]:
    """A Stop that Ctrl-C sets while the block runs."""
    stop = Stop()
    previous = signal.signal(signal.SIGINT, stop._handle)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


class Meter:
    """Counts messages; a rich progress bar on a terminal, a line every few seconds else."""

    def __init__(self, label: str, total: int | None = None, unit: str = "messages") -> None:
        self.label = label
        self.unit = unit
        self.done = 0
        self._start = self._last = time.monotonic()
        self._bar: Progress | None = None
        if sys.stderr.isatty():
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn() if total else TextColumn("{task.completed}"),
                TaskProgressColumn(show_speed=True),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=stderr(),
                transient=True,
            )
            self._task = self._bar.add_task(label, total=total)

    def __enter__(self) -> Meter:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.done:
            self._line()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.advance(self._task, count)
            return
        now = time.monotonic()
        if now - self._last >= PLAIN_EVERY:
            self._last = now
            self._line()

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = self.done / elapsed
        print(
            f"{self.label}: {self.done:,} {self.unit} ({rate:,.0f}/s)", file=sys.stderr, flush=True
        )


@attrs.define
class Metered:
    """A source read through a Meter, stopping early on Ctrl-C or after ``limit`` messages.

    It keeps the source's key, so the cursor saved is the source's own: a stopped sync
    resumes where it stopped.
    """

    source: InboxSource
    meter: Meter
    stop: Stop
    limit: int | None = None

    @property
    def key(self) -> str:
        return self.source.key

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        for count, message in enumerate(self.source.fetch(after), start=1):
            yield message
            self.meter.advance()
            if self.stop.requested or (self.limit is not None and count >= self.limit):
                return
