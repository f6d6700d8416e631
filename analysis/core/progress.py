"""How far a long step has come, said by the code that knows and shown by whoever listens.

The steps of a run (mining each source, mapping, measuring, deciding, rendering) open a
:func:`step`; code deep inside a step that knows its size (the git miner its commits, a log
reader its bytes) calls :func:`total` and :func:`advance`. Nothing is shown unless a caller
listens (:func:`listening`): ``seams report`` and ``seams mine`` pass a terminal display
(:mod:`analysis.outputs.progress`); the notebooks, the tests and the library listen to
nothing, and every call here is then a cheap no-op.

The listener is held in a :class:`contextvars.ContextVar`, so a step run in a thread of its
own (``contextvars.copy_context().run``) reports to the same listener and a run inside a run
(a test) keeps its own. This module prints nothing and imports no other Seams module.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


class Listener(Protocol):
    """What a display implements: a step started, moved on, finished."""

    def started(self, step: Step) -> None: ...

    def advanced(self, step: Step) -> None: ...

    def finished(self, step: Step) -> None: ...


@dataclass
class Step:
    """One step of a run: its name, what it counts (``unit``), how many it expects (``size``,
    None while unknown), how many are done, when it started and, once finished, its result in
    words (``detail``) and its duration."""

    name: str
    unit: str = ""
    size: int | None = None
    done: int = 0
    started_at: float = field(default_factory=time.perf_counter)
    seconds: float | None = None
    detail: str = ""
    failed: bool = False

    @property
    def elapsed(self) -> float:
        return self.seconds if self.seconds is not None else time.perf_counter() - self.started_at

    def say(self, detail: str) -> None:
        """What the step found, in words, shown when it finishes (``22,624 commits``)."""
        self.detail = detail


_listener: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("seams_progress_listener", default=None)
_current: contextvars.ContextVar[Step | None] = contextvars.ContextVar("seams_progress_step", default=None)


@contextlib.contextmanager
def listening(listener: Listener | None) -> Iterator[None]:
    """Meanwhile, steps report to ``listener`` (None: to nobody)."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


@contextlib.contextmanager
def step(name: str, *, unit: str = "", size: int | None = None) -> Iterator[Step]:
    """A step of the run: announced, timed, finished (marked failed when an error leaves it)."""
    listener = _listener.get()
    current = Step(name, unit=unit, size=size)
    token = _current.set(current)
    if listener is not None:
        listener.started(current)
    try:
        yield current
    except BaseException:
        current.failed = True
        raise
    finally:
        current.seconds = time.perf_counter() - current.started_at
        _current.reset(token)
        if listener is not None:
            listener.finished(current)


def total(size: int | None, unit: str | None = None) -> None:
    """The current step expects ``size`` units (None: not known yet); ``unit``: what they
    are, e.g. ``commits``, ``B`` (bytes)."""
    current = _current.get()
    if current is None:
        return
    current.size = max(int(size), 0) if size is not None else None
    if unit is not None:
        current.unit = unit
    listener = _listener.get()
    if listener is not None:
        listener.advanced(current)


def extend(n: int, unit: str | None = None) -> None:
    """The current step expects ``n`` units more than it has done or expected (a step reading
    several files learns each one's size as it opens it)."""
    current = _current.get()
    if current is None:
        return
    total((current.size if current.size is not None else current.done) + max(int(n), 0), unit)


def advance(n: int) -> None:
    """``n`` more units of the current step are done."""
    current = _current.get()
    if current is None or n <= 0:
        return
    current.done += int(n)
    listener = _listener.get()
    if listener is not None:
        listener.advanced(current)


def is_listened() -> bool:
    """Whether anyone listens to the current step (so counting is worth its cost)."""
    return _current.get() is not None and _listener.get() is not None
