"""Readers of SQL query logs, one module per format family; all yield :class:`StatementRecord`.

=============================  ======================================================  ==========================
format (``SqlSource.format``)  what it reads                                           module
=============================  ======================================================  ==========================
``postgres-stderr``            PostgreSQL ``log_destination = 'stderr'`` text           :mod:`.postgres_stderr`
``postgres-syslog``            the same messages through syslog (``[N-M]`` numbering)    :mod:`.postgres_syslog`
``postgres-csvlog``            ``log_destination = 'csvlog'`` (PostgreSQL 12 to 17)      :mod:`.postgres_csvlog`
``postgres-jsonlog``           ``log_destination = 'jsonlog'`` (PostgreSQL 15+)          :mod:`.postgres_jsonlog`
``pg-stat-statements-csv``     ``\\copy (select ... from pg_stat_statements) to ... csv  :mod:`.pg_stat_statements`
                               header``
``pg-stat-statements-live``    the view itself, read through a connection (``dsn``)      :mod:`.pg_stat_statements`
``mysql-general``              MySQL / MariaDB general query log                         :mod:`.mysql`
``mysql-slow``                 MySQL / MariaDB slow query log                            :mod:`.mysql`
=============================  ======================================================  ==========================

Compressed files are decompressed while read (:func:`analysis.sources.inputs.open_text`); bytes
that are not UTF-8 become U+FFFD. ``auto`` picks the format from the first lines
(:func:`detect_format`) and names what it saw when none fits (or what it is, for a shape
Seams does not read: a Google Cloud Logging export). Without a configured
``log_line_prefix``, the stderr and syslog readers infer it from the first lines
(:mod:`.postgres_prefix`) and the notes name it.

A reader is ``read(lines, source, rejects, tally) -> Iterator[StatementRecord]``: pure
over an iterable of text lines (``source`` is the :class:`~analysis.core.config.SqlSource`
for its options, ``source.path`` names the log in rejects), yielding one record per
executed statement (or, for pg_stat_statements, one aggregate per query with
``executions`` = calls). Lines it cannot read go to ``rejects`` with their line number;
counts of everything else go to the :class:`ReadTally`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from analysis.core.errors import SourceError
from analysis.sources.sqltext import mask_literals

#: ``StatementRecord.ts_us`` when the log gave no time (becomes NaT).
NO_TIME = -(2**63)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class StatementRecord(NamedTuple):
    """One executed statement as logged (``text`` still holds its literals).

    ``ts_us``: microseconds since 1970-01-01 UTC, or :data:`NO_TIME`. ``duration_ms``: NaN
    when not logged. ``executions``: 1, except for pg_stat_statements aggregates
    (``calls``), whose ``duration_ms`` is then the total over those calls.
    """

    line: int
    ts_us: int
    pid: int | None
    user: str
    database: str
    duration_ms: float
    text: str
    application: str = ""
    executions: int = 1

    @property
    def ts(self) -> dt.datetime | None:
        """The timestamp as an aware UTC datetime (None when unknown)."""
        return None if self.ts_us == NO_TIME else _EPOCH + dt.timedelta(microseconds=self.ts_us)


@dataclass
class ReadTally:
    """What a reader saw besides executions; reported in the notes."""

    lines: int = 0
    blank: int = 0
    executions: int = 0
    errors: int = 0
    parse_bind: int = 0
    orphan_durations: int = 0
    #: pg_stat_statements rows the server ran inside functions and triggers (``toplevel``
    #: false), kept out of the records, and their calls
    nested_statements: int = 0
    nested_calls: int = 0
    unknown_timezones: set[str] = field(default_factory=set)
    #: records whose time the reader could not read (kept with no time: ``ts`` NaT)
    unreadable_times: int = 0
    #: the ``log_line_prefix`` inferred from the first lines (none configured)
    inferred_prefix: str | None = None
    other: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        self.other[what] = self.other.get(what, 0) + n


# --------------------------------------------------------------------------------------
# time


#: Hours east of UTC for the zone abbreviations PostgreSQL prints with ``%m`` / ``%t``.
#: Ambiguous ones take their most common meaning (CST: US Central, IST: India).
TIMEZONE_OFFSETS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "IST": 5.5, "CET": 1, "CEST": 2,
    "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "TRT": 3, "SAST": 2, "EAT": 3, "WAT": 1, "CAT": 2,
    "PKT": 5, "ICT": 7, "WIB": 7, "SGT": 8, "HKT": 8, "PHT": 8, "AWST": 8, "JST": 9, "KST": 9,
    "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5,
    "BRT": -3, "ART": -3, "CLT": -4, "CLST": -3, "COT": -5, "PET": -5,
}


class Clock:
    """Turns ``YYYY-MM-DD HH:MM:SS[.ffffff] [zone]`` (or ``T`` between date and time) into
    microseconds since the epoch, UTC.

    The second and zone are converted once and cached (logs repeat them thousands of
    times); only the fraction is parsed per record. An unknown zone is read as UTC and
    named in ``tally.unknown_timezones``; a time that cannot be read (no such date, not
    digits) is :data:`NO_TIME` and counted in ``tally.unreadable_times``, never dropped
    silently.
    """

    def __init__(self, tally: ReadTally, max_cached: int = 65_536):
        self.tally = tally
        self.unknown = tally.unknown_timezones
        self.max_cached = max_cached
        self._seconds: dict[tuple[str, str], int] = {}

    def micros(self, ts: str | None, tz: str | None = None) -> int:
        if not ts:
            return NO_TIME
        key = (ts[:19], tz or "UTC")
        base = self._seconds.get(key)
        if base is None:
            base = self._second(*key)
        if base == NO_TIME:
            self.tally.unreadable_times += 1
            return NO_TIME
        if len(ts) > 19:
            frac = ts[20:26] if ts[19] == "." else ""
            if not frac.isdigit():
                self.tally.unreadable_times += 1
                return NO_TIME
            return base + int(frac) * _SCALE[len(frac)]
        return base

    def stamp(self, stamp: str) -> int:
        """The microseconds of a whole timestamp with its zone: ``2026-10-25 13:04:05.123 UTC``,
        ``... +02``, or ISO 8601 ``2026-10-25T13:04:05.123Z`` / ``...+02:00``."""
        if len(stamp) > 19 and stamp[10:11] == "T":
            if stamp.endswith("Z"):
                return self.micros(stamp[:-1], "UTC")
            zone = _ISO_ZONE.search(stamp, 19)
            if zone:
                return self.micros(stamp[:zone.start()], zone.group())
            return self.micros(stamp, None)
        ts, _, tz = stamp.rpartition(" ")
        if not ts:
            return self.micros(stamp, None)
        return self.micros(ts, tz)

    def _second(self, ts: str, tz: str) -> int:
        hours = offset_hours(tz)
        if hours is None:
            self.unknown.add(tz)
            hours = 0
        try:
            if len(ts) < 19 or ts[4] != "-" or ts[10] not in " T" or not ts[17:19].isdigit():
                raise ValueError(ts)
            local = dt.datetime(int(ts[0:4]), int(ts[5:7]), int(ts[8:10]), int(ts[11:13]), int(ts[14:16]), int(ts[17:19]))
        except ValueError:
            return NO_TIME
        value = int((local - dt.timedelta(hours=hours)).replace(tzinfo=dt.UTC).timestamp()) * 1_000_000
        if len(self._seconds) >= self.max_cached:
            self._seconds.clear()
        self._seconds[(ts, tz)] = value
        return value


_SCALE = {1: 100_000, 2: 10_000, 3: 1_000, 4: 100, 5: 10, 6: 1}
_ISO_ZONE = re.compile(r"[+-]\d\d(?::?\d\d)?$")


def offset_hours(tz: str) -> float | None:
    """Hours east of UTC of a zone abbreviation or a numeric offset (``+02``, ``-0330``)."""
    if not tz:
        return 0
    if tz[0] in "+-":
        digits = tz[1:].replace(":", "")
        if not digits.isdigit():
            return None
        hours = int(digits[:2]) + (int(digits[2:4]) / 60 if len(digits) >= 4 else 0)
        return hours if tz[0] == "+" else -hours
    return TIMEZONE_OFFSETS.get(tz.upper())


def epoch_micros(seconds: float) -> int:
    """Microseconds of an epoch-seconds value (``%n``, ``SET timestamp=``)."""
    return NO_TIME if math.isnan(seconds) else int(round(seconds * 1_000_000))


_SEVERITY_MARK = re.compile(r"\b(?:LOG|ERROR|STATEMENT|DETAIL|FATAL|WARNING|PANIC|NOTICE|INFO|HINT|CONTEXT|QUERY|DEBUG[1-5]):\s")


def masked_line(line: str, dialect: str = "postgres") -> str:
    """A log line as Seams may show it (messages, the rejects file): the literals of its
    message masked (:func:`analysis.sources.sqltext.mask_literals`); the part before a
    PostgreSQL severity (the ``log_line_prefix``: time, process, user, database) is kept,
    so a wrong prefix can be seen. Without a severity the whole line is masked."""
    m = _SEVERITY_MARK.search(line) if dialect not in ("mysql", "mariadb") else None
    if m is None:
        return mask_literals(line, dialect)
    return line[: m.end()] + mask_literals(line[m.end():], dialect)


# --------------------------------------------------------------------------------------
# registry and detection

Reader = Callable[..., Iterator[StatementRecord]]


def reader(fmt: str) -> Reader:
    """The reader function of a format name (see the table above)."""
    if fmt == "postgres-stderr":
        from analysis.sources.sql.formats.postgres_stderr import read
    elif fmt == "postgres-syslog":
        from analysis.sources.sql.formats.postgres_syslog import read
    elif fmt == "postgres-csvlog":
        from analysis.sources.sql.formats.postgres_csvlog import read
    elif fmt == "postgres-jsonlog":
        from analysis.sources.sql.formats.postgres_jsonlog import read
    elif fmt == "pg-stat-statements-csv":
        from analysis.sources.sql.formats.pg_stat_statements import read
    elif fmt == "mysql-general":
        from analysis.sources.sql.formats.mysql import read_general as read
    elif fmt == "mysql-slow":
        from analysis.sources.sql.formats.mysql import read_slow as read
    else:
        raise SourceError(fmt, f"unknown SQL log format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return read


FORMATS = ("postgres-stderr", "postgres-syslog", "postgres-csvlog", "postgres-jsonlog",
           "pg-stat-statements-csv", "pg-stat-statements-live", "mysql-general", "mysql-slow")

#: Lines looked at by :func:`detect_format`.
DETECT_LINES = 50

#: Logs of a shape Seams does not read, told apart so the error can say what they are.
_UNREAD_SHAPES: dict[str, str] = {
    "cloud-logging": "a Google Cloud Logging export (Cloud SQL: JSON lines whose textPayload holds the stderr line), "
                     "which Seams does not read: export the server's log as stderr text, csvlog or jsonlog",
}
_SIGNS: list[tuple[str, re.Pattern]] = [
    ("cloud-logging", re.compile(r'^\{.*"textPayload"\s*:')),
    ("postgres-jsonlog", re.compile(r'\{.*"(?:error_severity|message)"\s*:', re.S)),
    ("postgres-csvlog", re.compile(r'^"?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Za-z+\-0-9:]+"?,"?[^,]*"?,"?[^,]*"?,\d+,')),
    ("pg-stat-statements-csv", re.compile(r"^(?:[a-z_]+,)*(?:queryid|query),(?:[a-z_]+,)*(?:query|calls)\b")),
    ("postgres-syslog", re.compile(r"^(?:\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) (?:\S+ )?[\w\-/.]+\[(?:[\w-]+\.)?\d+\]:? (?:\[[A-Z_]+\] )?\[\d+-\d+\]")),
    ("mysql-slow", re.compile(r"^# (?:Time: |User@Host: |Query_time: )")),
    ("mysql-general", re.compile(r"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)|\d{6} [ \d]\d:\d\d:\d\d)?\s+\d+ (?:Query|Connect|Init DB|Quit|Prepare|Execute)\b")),
    ("postgres-stderr", re.compile(r"\b(?:LOG|ERROR|STATEMENT|DETAIL|FATAL|WARNING): ")),
]


def detect_format(lines: list[str], source: str) -> str:
    """The format of a log from its first lines; :class:`SourceError` naming them if none fits."""
    sample = [ln.rstrip("\r\n") for ln in lines[:DETECT_LINES] if ln.strip()]
    if not sample:
        return "postgres-stderr"  # empty: any reader reports an empty log
    votes: dict[str, int] = {}
    for line in sample:
        for fmt, sign in _SIGNS:
            if sign.search(line):
                votes[fmt] = votes.get(fmt, 0) + 1
                break
    if not votes:
        raise SourceError(source, "cannot tell the SQL log format from its first lines (expected one of "
                          f"{', '.join(f for f in FORMATS if f != 'pg-stat-statements-live')}); "
                          f"first line: {masked_line(sample[0][:120])!r}; set sources.sql[].format")
    found = max(votes, key=lambda f: (votes[f], -[s[0] for s in _SIGNS].index(f)))
    if found in _UNREAD_SHAPES:
        raise SourceError(source, f"the first lines are {_UNREAD_SHAPES[found]}")
    return found
