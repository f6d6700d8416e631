"""PostgreSQL jsonlog (``log_destination = 'jsonlog'``, PostgreSQL 15+), one JSON object per line.

Keys read: ``timestamp`` (``2026-10-25 13:04:05.123 UTC``), ``user``, ``dbname``, ``pid``,
``error_severity``, ``message``, ``statement`` (the SQL of a failed statement),
``application_name``. Messages mean what they mean in stderr logs
(:mod:`.postgres_messages`). CloudNativePG wraps csvlog fields in a JSON line
(``{"record": {"log_time": ..., "user_name": ..., "error_severity": ...}}``); those are read
too. A line that is not a JSON object with ``error_severity`` and ``message`` is a reject.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from analysis.core.config import SqlSource
from analysis.core.rejects import Rejects
from analysis.sources.sql.formats import NO_TIME, Clock, ReadTally, StatementRecord
from analysis.sources.sql.formats.postgres_messages import Sessions

#: jsonlog key -> (key in a CloudNativePG record)
_KEYS = {"timestamp": "log_time", "user": "user_name", "dbname": "database_name", "pid": "process_id",
         "error_severity": "error_severity", "message": "message", "statement": "query",
         "application_name": "application_name"}


def read(lines: Iterable[str], source: SqlSource, rejects: Rejects, tally: ReadTally) -> Iterator[StatementRecord]:
    """The format reader (see :mod:`analysis.sources.sql.formats`)."""
    return parse_jsonlog(lines, str(source.path), rejects, tally)


def parse_jsonlog(lines: Iterable[str], source: str, rejects: Rejects, tally: ReadTally | None = None) -> Iterator[StatementRecord]:
    """Yield the executed statements of a jsonlog file."""
    tally = tally if tally is not None else ReadTally()
    sessions = Sessions(tally, reject=lambda line, reason, excerpt: rejects.add(source, line, reason, excerpt))
    clock = Clock(tally)
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            tally.blank += 1
            continue
        tally.lines += 1
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            rejects.add(source, line_no, "line is not a JSON object", line)
            continue
        if isinstance(obj, dict) and isinstance(obj.get("record"), dict):
            inner = obj["record"]
            obj = {k: inner.get(v) for k, v in _KEYS.items()}
        if not isinstance(obj, dict) or not isinstance(obj.get("error_severity"), str) or not isinstance(obj.get("message"), str):
            rejects.add(source, line_no, "JSON line without error_severity and message", line)
            continue
        stamp = obj.get("timestamp")
        if stamp:
            ts_us = clock.stamp(str(stamp))
        else:  # every jsonlog record has one: its absence is counted like an unreadable one
            ts_us = NO_TIME
            tally.unreadable_times += 1
        pid = obj.get("pid")
        yield from sessions.message(line_no, str(pid) if pid is not None else None, ts_us,
                                    str(obj.get("user") or ""), str(obj.get("dbname") or ""),
                                    str(obj.get("application_name") or ""), obj["error_severity"], obj["message"],
                                    str(obj.get("statement") or ""))
    yield from sessions.finish()
