"""MySQL and MariaDB query logs: the general log and the slow log.

General log (``general_log = ON``, ``log_output = FILE``)::

    2016-06-07T19:07:02.558713Z    4 Query	SELECT 1            MySQL 5.7+ / 8: ISO time on every line
    061226 15:42:36	     11 Query       SELECT ...          MySQL 5.6 / MariaDB: YYMMDD H:MM:SS ...
    		     11 Query       SELECT ...                  ... only when the second changes

``Query`` and ``Execute`` entries are executions (no duration: the general log has none);
``Connect user@host on db`` and ``Init DB db`` set the thread's user and database; other
commands (``Quit``, ``Prepare``, ``Close stmt``, ...) are not statements. The server's
banner lines are skipped. A line that does not start an entry continues the statement
before (multi-line SQL) when it is a plausible continuation (:func:`continues`); otherwise
it is a reject and is never glued to a statement: a line after an entry that is no
statement, a line with control characters or bytes that are not UTF-8 (outside a string
literal the statement left open), a line shaped like an entry that cannot be read (its own
continuation lines go with it).

Slow log (``slow_query_log = ON``)::

    # Time: 2016-07-20T18:13:25.698433Z          (or # Time: 071218 11:48:27)
    # User@Host: root[root] @ localhost [127.0.0.1]  Id:     3
    # Query_time: 0.003464  Lock_time: 0.000324 Rows_sent: 1000  Rows_examined: 2000
    use shop;
    SET timestamp=1469038405;
    SELECT * FROM facturas LIMIT 0, 1000;

One execution per ``# Query_time`` block, lasting Query_time seconds; its time is the
block's ``SET timestamp=`` (else the last ``# Time:``); ``use db;`` sets the database.
That framing (``# Time``, ``use``, ``SET timestamp``) is never part of a statement,
wherever it stands in the block. Other ``#`` lines (Thread_id, QC_Hit, InnoDB statistics,
...) are details. Lines between blocks that belong to no block are rejects, and so are
statement lines that are no plausible text (:func:`continues`); a block with no
statement is counted.

Times without a zone (the old format) are read as UTC. The statements are normalized
the MySQL way (see :func:`analysis.sources.sqltext.normalize`) and parsed with the ``mysql``
dialect of sqlglot.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator

from analysis.core.config import SqlSource
from analysis.core.rejects import Rejects
from analysis.sources.sql.formats import NO_TIME, Clock, ReadTally, StatementRecord, epoch_micros

_BANNER = re.compile(r"^(?:\S+, Version: .*started with:|Tcp port: .*|Time\s+Id\s+Command\s+Argument\s*)$")
_COMMANDS = ("Query|Execute|Connect|Init DB|Quit|Prepare|Close stmt|Reset stmt|Field List|Statistics|Ping|Change user"
             "|Binlog Dump|Table Dump|Set option|Shutdown|Refresh|Processlist|Kill|Debug|Create DB|Drop DB|Sleep"
             "|Fetch|Long Data|Daemon|Register Slave|Connect Out|Delayed insert|Error|Time")
_GENERAL = re.compile(
    r"(?:(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(?P<zone>Z|[+-]\d\d:?\d\d)?|(?P<old>\d{6} [ \d]\d:\d\d:\d\d))?"
    rf"\s+(?P<thread>\d+) (?P<command>{_COMMANDS})\b[ \t]*(?P<argument>.*)",
    re.S,
)
_CONNECT = re.compile(r"(?P<user>[^@\s]*)@\S*(?: as \S+)? on ?(?P<db>\S*)")
_USE = re.compile(r"use `?([^`;\s]+)`?;?\s*$", re.I)
_SET_TIMESTAMP = re.compile(r"SET timestamp=(\d+(?:\.\d+)?);?\s*$", re.I)
_TIME = re.compile(r"# Time: (?:(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(?P<zone>Z|[+-]\d\d:?\d\d)?|(?P<old>\d{6} [ \d]\d:\d\d:\d\d))")
_USER_HOST = re.compile(r"# User@Host: (?P<user>[^\[\s]*)(?:\[[^\]]*\])? @")
_QUERY_TIME = re.compile(r"# Query_time: (?P<seconds>\d+(?:\.\d+)?)")


#: Characters no SQL text holds outside a string literal: control characters but TAB and
#: CR, and U+FFFD (a byte that is not UTF-8).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
#: The start of a general log entry or of another log's line: a line shaped so is no SQL text.
_ENTRY_LIKE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\d{6} [ \d]\d:\d\d|\s+\d+ [A-Z][a-z]+(?: [a-zA-Z]+)?(?:\t|$)|# (?:Time|User@Host|Query_time):")
_CLOSED_LITERALS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`", re.S)


def continues(parts: list[str], line: str) -> bool:
    """Whether ``line`` can be the next line of the statement whose lines are ``parts``.

    Inside a string literal the statement left open, any line is (binary values are logged
    as they are); elsewhere a line with :data:`_NOT_TEXT` characters, or shaped like the
    start of a log entry, is not.
    """
    if _NOT_TEXT.search(line) is None and _ENTRY_LIKE.match(line) is None:
        return True
    rest = _CLOSED_LITERALS.sub("", "\n".join(parts))
    return "'" in rest or '"' in rest or "`" in rest


def _micros(clock: Clock, iso: str | None, zone: str | None, old: str | None) -> int:
    if iso:
        return clock.micros(iso.replace("T", " "), _zone(zone))
    if old:
        year, month, day = 2000 + int(old[0:2]), old[2:4], old[4:6]
        hour, rest = old[7:].strip().split(":", 1)
        return clock.micros(f"{year:04d}-{month}-{day} {int(hour):02d}:{rest}", "UTC")
    return NO_TIME


def _zone(zone: str | None) -> str:
    if not zone or zone == "Z":
        return "UTC"
    return zone


def read_general(lines: Iterable[str], source: SqlSource, rejects: Rejects, tally: ReadTally) -> Iterator[StatementRecord]:
    """The general-log reader (see :mod:`analysis.sources.sql.formats`)."""
    return parse_mysql_general(lines, str(source.path), rejects, tally)


def parse_mysql_general(lines: Iterable[str], source: str, rejects: Rejects, tally: ReadTally | None = None) -> Iterator[StatementRecord]:
    """Yield the executed statements of a MySQL / MariaDB general log."""
    tally = tally if tally is not None else ReadTally()
    clock = Clock(tally)
    threads: dict[str, tuple[str, str]] = {}  # thread id -> (user, database)
    ts = NO_TIME
    current: list | None = None  # [line, ts, thread, parts]
    seen_entry = False

    def finish(record: list) -> StatementRecord:
        line_no, when, thread, parts = record
        user, database = threads.get(thread, ("", ""))
        tally.executions += 1
        return StatementRecord(line_no, when, int(thread), user, database, math.nan, "\n".join(parts).strip())

    skipping = False  # reading the continuation lines of a rejected entry
    for line_no, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            tally.blank += 1
            continue
        tally.lines += 1
        m = _GENERAL.match(line)
        if m is None:
            if _BANNER.match(line):
                continue
            if current is not None and continues(current[3], line):
                current[3].append(line)
                continue
            if skipping and _NOT_TEXT.search(line) is None and _ENTRY_LIKE.match(line) is None:
                continue  # part of the rejected entry
            if _ENTRY_LIKE.match(line):
                reason = "line shaped like a MySQL general log entry that cannot be read"
                if current is not None:  # a new record: the statement before ends here
                    yield finish(current)
                    current = None
                skipping = True
            elif current is not None:
                reason = "line with control characters or bytes that are not UTF-8: not part of the statement before"
            elif seen_entry:
                reason = "line after an entry that is not a statement (no Query or Execute before it)"
            else:
                reason = "line is not a MySQL general log entry"
            rejects.add(source, line_no, reason, line)
            continue
        seen_entry = True
        skipping = False
        if current is not None:
            yield finish(current)
            current = None
        if m.group("iso") or m.group("old"):
            ts = _micros(clock, m.group("iso"), m.group("zone"), m.group("old"))
        thread, command, argument = m.group("thread"), m.group("command"), m.group("argument")
        if command in ("Query", "Execute"):
            current = [line_no, ts, thread, [argument]]
        elif command == "Connect":
            c = _CONNECT.match(argument.strip())
            if c:
                threads[thread] = (c.group("user"), c.group("db"))
        elif command == "Init DB":
            threads[thread] = (threads.get(thread, ("", ""))[0], argument.strip())
        elif command == "Quit":
            threads.pop(thread, None)
    if current is not None:
        yield finish(current)


def read_slow(lines: Iterable[str], source: SqlSource, rejects: Rejects, tally: ReadTally) -> Iterator[StatementRecord]:
    """The slow-log reader (see :mod:`analysis.sources.sql.formats`)."""
    return parse_mysql_slow(lines, str(source.path), rejects, tally)


def parse_mysql_slow(lines: Iterable[str], source: str, rejects: Rejects, tally: ReadTally | None = None) -> Iterator[StatementRecord]:
    """Yield the executed statements of a MySQL / MariaDB slow query log."""
    tally = tally if tally is not None else ReadTally()
    clock = Clock(tally)
    ts = NO_TIME
    user = ""
    database = ""
    block: dict | None = None  # the block being read: line, ts, duration, user, parts

    def finish(b: dict) -> Iterator[StatementRecord]:
        text = "\n".join(b["parts"]).strip()
        if text:
            tally.executions += 1
            yield StatementRecord(b["line"], b["ts"], None, b["user"], b["database"], b["duration"], text)
        else:
            tally.count("slow log entries without a statement")

    for line_no, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            tally.blank += 1
            continue
        tally.lines += 1
        if line.startswith("#"):
            if block is not None and block["parts"]:
                yield from finish(block)
                block = None
            t = _TIME.match(line)
            if t:
                ts = _micros(clock, t.group("iso"), t.group("zone"), t.group("old"))
                u = _USER_HOST.search(line)  # some versions put both on one line
                if u:
                    user = u.group("user")
                continue
            u = _USER_HOST.match(line)
            if u:
                user = u.group("user")
                continue
            q = _QUERY_TIME.match(line)
            if q:
                if block is not None:  # the block before had no statement
                    tally.count("slow log entries without a statement")
                block = {"line": line_no, "ts": ts, "duration": float(q.group("seconds")) * 1000.0, "user": user,
                         "database": database, "parts": []}
            continue
        if _BANNER.match(line):
            continue
        if block is None:
            rejects.add(source, line_no, "line outside a slow log entry (no # Query_time before it)", line)
            continue
        use = _USE.match(line)
        if use:  # framing, never part of the statement
            database = block["database"] = use.group(1)
            continue
        stamp = _SET_TIMESTAMP.match(line)
        if stamp:
            block["ts"] = epoch_micros(float(stamp.group(1)))
            continue
        if not continues(block["parts"], line):
            rejects.add(source, line_no, "line with control characters or bytes that are not UTF-8: not part of a statement", line)
            continue
        block["parts"].append(line)
    if block is not None:
        yield from finish(block)
