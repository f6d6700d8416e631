"""The SYNTHETIC shop's PostgreSQL 15 stderr log, rendered from simulated log events.

Server settings the text follows::

    log_destination = 'stderr'
    log_line_prefix = '%m [%p] %q%u@%d '
    log_min_duration_statement = 0
    log_timezone = 'UTC'

So every record starts with ``2026-10-25 13:04:05.123 UTC [4121] user@db `` for session
processes, and with only ``2026-10-25 13:04:05.123 UTC [61] `` for background processes
(checkpointer, autovacuum: ``%q`` stops the prefix there); a backend that has not read its
startup packet yet writes ``[unknown]@[unknown]``. A message of several lines continues on
lines that start with a TAB, as PostgreSQL writes them. Records are in timestamp order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from seams_sample.simulator import LogEvent

LOG_LINE_PREFIX = "%m [%p] %q%u@%d "


def render_log(events: Iterable[LogEvent]) -> Iterator[str]:
    """The log's text, one record (possibly several lines) at a time, each ending in a newline."""
    seconds: dict[int, str] = {}
    for ev in events:
        sec, ns = divmod(ev.ts, 10**9)
        stamp = seconds.get(sec)
        if stamp is None:
            stamp = dt.datetime.fromtimestamp(sec, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            seconds[sec] = stamp
        prefix = f"{stamp}.{ns // 1_000_000:03d} UTC [{ev.pid}] " + (f"{ev.session} " if ev.session else "")
        out = []
        for severity, message in ev.entries:
            out.append(f"{prefix}{severity}:  {message.replace(chr(10), chr(10) + chr(9))}\n")
        yield "".join(out)


def write_log(events: Iterable[LogEvent], path: Path) -> int:
    """Write the log to ``path``; returns the number of lines written."""
    lines = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for record in render_log(events):
            fh.write(record)
            lines += record.count("\n")
    return lines
