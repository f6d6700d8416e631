"""The steps of a run as ``seams report`` and ``seams mine`` show them, on stderr.

:class:`TerminalProgress` listens to :mod:`analysis.core.progress`. Every finished step is one
line, ``seams: <step>: <what it found> (<seconds> s)``; a failed step says ``failed``. On a
terminal (stderr a TTY) the running step is also drawn in place, with a tqdm-style bar
(``tqdm.format_meter``) when the step knows its size (a history's commits, a log's bytes), and
the finished line replaces it; elsewhere (a pipe, a cron log, a file) only the finished lines
are written, each once, nothing redrawn. ``quiet`` (``--quiet``) shows nothing. Progress never
goes to stdout, which may carry data.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from analysis.core.privacy import safe_message
from analysis.core.progress import Step

#: Least seconds between two redraws of the running step on a terminal.
REDRAW_SECONDS = 0.1
#: Width of the line drawn in place on a terminal.
LINE_WIDTH = 100
PREFIX = "seams: "


class TerminalProgress:
    """A :class:`analysis.core.progress.Listener` writing to ``stream`` (default stderr)."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, tty: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(tty if tty is not None else (isatty() if callable(isatty) else False))
        self.started_at = time.perf_counter()
        self._drawn_at = 0.0
        self._drawn = False

    # the listener

    def started(self, step: Step) -> None:
        if self.tty and not self.quiet:
            self._draw(step, force=True)

    def advanced(self, step: Step) -> None:
        if self.tty and not self.quiet:
            self._draw(step)

    def finished(self, step: Step) -> None:
        if self.quiet:
            return
        self._clear()
        self.line(finished_line(step))

    # what a command adds

    def line(self, text: str) -> None:
        """One line on the stream (made safe), unless quiet."""
        if self.quiet:
            return
        self._clear()
        self.stream.write(safe_message(PREFIX + text, 2_000) + "\n")
        self.stream.flush()

    def summary(self, text: str) -> None:
        """The last line of a run, with the time it took since this display was made."""
        self.line(f"{text} (in {time.perf_counter() - self.started_at:.1f} s)")

    # drawing in place

    def _draw(self, step: Step, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._drawn_at < REDRAW_SECONDS:
            return
        self._drawn_at = now
        text = running_line(step)[: LINE_WIDTH - 1]
        self.stream.write("\r" + text.ljust(LINE_WIDTH - 1))
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * (LINE_WIDTH - 1) + "\r")
            self._drawn = False


def finished_line(step: Step) -> str:
    """``<step>: <detail> (<seconds> s)``, or ``<step>: failed (...)``."""
    detail = "failed" if step.failed else step.detail
    return f"{step.name}{': ' + detail if detail else ''} ({step.elapsed:.1f} s)"


def running_line(step: Step) -> str:
    """The running step as drawn on a terminal: a tqdm meter when its size is known, else
    what is done so far and the time."""
    if step.size:
        from tqdm import tqdm

        scale = step.unit == "B"
        return PREFIX + tqdm.format_meter(min(step.done, step.size), step.size, step.elapsed, ncols=LINE_WIDTH - 1 - len(PREFIX),
                                          prefix=step.name, unit=step.unit or "it", unit_scale=scale,
                                          unit_divisor=1024 if scale else 1000)
    done = f" {step.done:,} {step.unit}" if step.done else ""
    return f"{PREFIX}{step.name}…{done} ({step.elapsed:.1f} s)"

