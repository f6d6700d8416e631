"""PostgreSQL stderr logs (``log_destination = 'stderr'``, also through ``logging_collector``).

Each line starts with the server's ``log_line_prefix`` (``SqlSource.log_line_prefix``; the
escapes read are listed in :func:`prefix_pattern`), then a severity and a message::

    2026-10-25 13:04:05.123 UTC [4913] app@shop LOG:  duration: 0.215 ms  statement: SELECT ...
    <TAB>continuation of a multi-line statement

What the messages mean is in :mod:`.postgres_messages`. Here:

- continuation lines start with a TAB (PostgreSQL inserts one after every newline of a
  message) or other whitespace and belong to the record before them;
- ``STATEMENT:`` lines after a non-error record (e.g. a temporary-file notice) are context;
- empty lines are skipped; any other line that does not match the prefix is a reject
  (``line N``, "line does not match log_line_prefix ..."): garbage, a truncated line, a line
  of another format mixed in. It ends the statement before it, and the continuation lines
  after it are its own (they go with the rejected record, never glued to another);
- a ``LOG`` line that starts a statement but cannot be read (a NUL byte, a byte that is
  not UTF-8 in ``duration:`` or ``statement:``) is a reject too, with its continuation lines
  (:func:`~.postgres_messages.unreadable_statement`). If none of the first ``sample_lines`` (200) non-empty lines
  match, the prefix is wrong for this file and a :class:`~analysis.core.errors.SourceError`
  quoting the first line is raised, without reading further.

The prefix is ``SqlSource.log_line_prefix``, or, when none is configured, the one inferred
from the first lines (:func:`~.postgres_prefix.infer_prefix`, named in the notes); a
configured prefix that reads fewer than half of the first messages while another reads
more is refused with an error naming that one (:func:`~.postgres_prefix.refuse_unfit_prefix`).
A line whose text before the severity the prefix does not name (`` app=web`` after
``%u@%d``, a field folded into ``%a``) is a reject saying so, never read with that text in
a field. One space after the severity (``LOG: duration: 0.054 ms statement: ...``, as in
pgbadger's ``pg-timezones.log``) is read like two; ``format: auto`` recognises it too.

Timestamps (``%m``, ``%t``, ``%n``) are converted to UTC: the zone printed after them is an
abbreviation (UTC, GMT, CET, MSK, EST, ...: :data:`~analysis.sources.sql.formats.TIMEZONE_OFFSETS`)
or a numeric offset (``+02``, ``-0330``); an unknown abbreviation is read as UTC and named
in the tally. Without a timestamp in the prefix ``ts`` is NaT; without ``%u`` / ``%d`` /
``%a``, user / database / application are empty.

Speed: a file is read in blocks split at newlines
(:func:`~analysis.sources.inputs.text_lines`), one compiled regex per line (prefix,
severity and message at once; its first alternative reads the common ``LOG:  duration: X
ms  statement: SQL`` line whole), seconds converted once per distinct second
(:class:`~analysis.sources.sql.formats.Clock`), the statement being read kept in local
variables and records built as tuples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from analysis.core.config import SqlSource
from analysis.core.errors import SourceError
from analysis.core.privacy import Masked
from analysis.core.rejects import Rejects
from analysis.sources.inputs import peek, text_lines
from analysis.sources.sql.formats import _SCALE, NO_TIME, Clock, ReadTally, StatementRecord, epoch_micros, masked_line
from analysis.sources.sql.formats.postgres_messages import LOG_MESSAGE, MAX_PENDING_STATEMENTS, Sessions, unreadable_statement
from analysis.sources.sql.formats.postgres_prefix import (
    INFER_LINES,
    SEVERITY_AT,
    folds_fields,
    infer_prefix,
    prefix_pattern,
    refuse_unfit_prefix,
)

__all__ = ["read", "parse_postgres_stderr", "prefix_pattern", "PREFIX_SAMPLE_LINES", "Segment"]

#: Non-empty lines read before deciding that ``log_line_prefix`` does not fit the file.
PREFIX_SAMPLE_LINES = 200

_FAST_LOG = r"LOG:\s+duration: (?P<fast_ms>\d+(?:\.\d+)?) ms\s*(?:statement|execute(?: [^:\n]*)?):\s?(?P<fast_sql>.*)"


def read(lines: Iterable[str], source: SqlSource, rejects: Rejects, tally: ReadTally) -> Iterator[StatementRecord]:
    """The format reader (see :mod:`analysis.sources.sql.formats`); without a configured
    ``log_line_prefix``, the prefix is inferred from the first lines
    (:func:`~.postgres_prefix.infer_prefix`) and named in ``tally.inferred_prefix``."""
    name = str(source.path)
    prefix = source.log_line_prefix
    head, lines = peek(lines, INFER_LINES * 4)
    if prefix is None:
        prefix = tally.inferred_prefix = infer_prefix(head, name)
    else:
        refuse_unfit_prefix(head, prefix, name)
    return parse_postgres_stderr(lines, prefix, name, rejects, tally=tally)


def parse_postgres_stderr(
    lines: Iterable[str],
    log_line_prefix: str,
    source: str,
    rejects: Rejects,
    *,
    tally: ReadTally | None = None,
    sample_lines: int = PREFIX_SAMPLE_LINES,
    max_pending: int = MAX_PENDING_STATEMENTS,
    segment: Segment | None = None,
) -> Iterator[StatementRecord]:
    """Yield the executed statements of a PostgreSQL stderr log (rules in the module docstring).

    A record comes out once its continuation lines are read; a ``statement:`` waiting for
    its ``duration:`` line comes out later, so the order is not strictly by line.

    ``segment``: ``lines`` are a part of a log that starts at a record of the log, not its
    beginning (:mod:`analysis.sources.sql.segments`), and what would tie the part to the
    parts around it is noted in ``segment``; unless it is the first part, the prefix is
    known to fit (no line is held back to decide it).
    """
    pattern = prefix_pattern(log_line_prefix, source)
    tally = tally if tally is not None else ReadTally()
    # the same pattern with a first alternative for the common line, ``LOG:  duration: X ms
    # statement: SQL`` (or ``execute <name>:``), read in one match instead of two
    fast = re.compile(pattern.pattern.replace("(?P<severity>", "(?:" + _FAST_LOG + "|(?P<severity>", 1)
                      .replace(r":\s+(?P<message>.*)", r":\s+(?P<message>.*))"), re.S)
    sessions = Sessions(tally, max_pending)
    clock = Clock(tally)
    names = pattern.groupindex
    wanted = [g if g in names else None for g in ("pid", "ts", "tz", "epoch", "user", "database", "application")]
    index = fast.groupindex
    positions = {g: index[g] - 1 for g in wanted if g}  # into Match.groups()
    i_sev, i_msg, i_fms, i_fsql = (index[g] - 1 for g in ("severity", "message", "fast_ms", "fast_sql"))

    match_line = fast.match
    micros = clock.micros
    pending = sessions.pending
    error_pids = sessions.error_pids
    new_record = tuple.__new__
    match_log = LOG_MESSAGE.match
    i_pid, i_ts, i_tz, i_epoch, i_user, i_db, i_app = (positions.get(g, -1) if g else -1 for g in wanted)
    nan = math.nan
    scale = _SCALE
    last_text, last_zone, last_micros = None, None, NO_TIME  # most lines repeat the second before

    # the statement being read (c_line 0: none; its continuation lines are then dropped):
    # line, pid, ts, user, database, application, duration, first line of SQL, further lines
    c_line = 0
    c_pid = None
    c_user = c_db = c_app = c_sql = ""  # read only while c_line is set (all set with it)
    c_ts = NO_TIME
    c_ms = nan
    c_more: list | None = None
    error_text: list | None = None  # [pid, parts] of a STATEMENT: after an error
    matched_any = segment is not None and not segment.first
    orphan_statements = segment.orphan_statement_pids if segment is not None and not segment.first else None
    held: list[tuple[int, str]] = []  # lines held back until the prefix is known to fit
    first_line: str | None = None
    reason = f"line does not match log_line_prefix '{log_line_prefix}'"
    unmatched_reason = f"text before the severity does not match log_line_prefix '{log_line_prefix}'"
    folded_reason = f"text before the severity that log_line_prefix '{log_line_prefix}' does not name, after its %a"
    has_severity = SEVERITY_AT.search
    n_lines = n_blank = 0

    for line_no, line in enumerate(text_lines(lines), 1):
        if not line or line.isspace():
            n_blank += 1
            continue
        n_lines += 1
        if line[0] == "\t" and matched_any:  # PostgreSQL's continuation of a multi-line message
            if c_line:
                if c_more is None:
                    c_more = [c_sql]
                c_more.append(line[1:])
            elif error_text is not None:
                error_text[1].append(line[1:])
            continue
        m = match_line(line)
        if m is None:
            if matched_any:
                if line[0] == " ":  # continuation indented with spaces (a re-wrapped log)
                    if c_line:
                        if c_more is None:
                            c_more = [c_sql]
                        c_more.append(line)
                    elif error_text is not None:
                        error_text[1].append(line)
                    continue
                # a record of its own that cannot be read: it ends the statement before, and
                # its continuation lines are its own (dropped with it, never glued to another)
                rejects.add(source, line_no, unmatched_reason if has_severity(line) else reason, line)
            else:
                if first_line is None:
                    first_line = line
                held.append((line_no, line))
                if len(held) >= sample_lines:
                    break
                continue
        elif not matched_any:
            matched_any = True
            for held_no, held_line in held:
                rejects.add(source, held_no, reason, held_line)
            held.clear()
        if c_line:
            text = c_sql if c_more is None else "\n".join(c_more)
            if c_ms == c_ms and c_pid not in pending:  # the common case, inlined
                tally.executions += 1
                yield new_record(StatementRecord, (c_line, c_ts, int(c_pid) if c_pid else None, c_user,
                                                   c_db, c_ms, text, c_app, 1))
            else:
                yield from sessions.statement(c_line, c_pid, c_ts, c_user, c_db, c_app, c_ms, text)
            c_line = 0
            c_more = None
        elif error_text is not None:
            sessions.failed_statement(error_text[0], "\n".join(error_text[1]))
            error_text = None
        if m is None:
            continue

        values = m.groups()
        pid = values[i_pid] if i_pid >= 0 else None
        ms = values[i_fms]
        if ms is not None:  # the common line, ``LOG:  duration: X ms  statement: SQL``
            sql = values[i_fsql]
        elif values[i_sev] == "LOG":
            ms, kind, sql = match_log(values[i_msg]).group(1, 2, 3)  # type: ignore[union-attr]  # LOG_MESSAGE matches any text (every part optional)
            if kind is None:
                if pid in error_pids:
                    error_pids.discard(pid)
                if ms is not None and not sql.strip():  # log_duration: completes the statement before
                    yield from sessions.duration(pid, float(ms))
                elif values[i_msg].startswith("disconnection:"):
                    yield from sessions.disconnection(pid)
                elif (unreadable := unreadable_statement(ms, sql, values[i_msg])) is not None:
                    rejects.add(source, line_no, unreadable, line)  # its continuation lines go with it
                continue
            if kind == "parse" or kind == "bind":
                if pid in error_pids:
                    error_pids.discard(pid)
                tally.parse_bind += 1
                continue
        else:
            severity = values[i_sev]
            if severity in ("ERROR", "FATAL", "PANIC"):
                sessions.error(pid)
            elif severity == "STATEMENT":
                if pid in error_pids:
                    error_text = [pid, [values[i_msg]]]
                elif orphan_statements is not None:  # an error of the part before may own it
                    orphan_statements.add(pid)
            continue
        if pid in error_pids:
            error_pids.discard(pid)
        c_app = (values[i_app] or "") if i_app >= 0 else ""
        if "=" in c_app and folds_fields(c_app):  # fields the prefix does not name, read as the application
            rejects.add(source, line_no, folded_reason, line)
            continue
        if i_ts >= 0:
            second = values[i_ts]
            zone = values[i_tz] if i_tz >= 0 else None
            if second[:19] != last_text or zone != last_zone or last_micros == NO_TIME:
                last_text, last_zone, last_micros = second[:19], zone, micros(second[:19], zone)  # counts an unreadable time
            fraction = second[20:26]
            if last_micros == NO_TIME:
                c_ts = NO_TIME
            else:
                c_ts = last_micros + int(fraction) * scale[len(fraction)] if fraction else last_micros
        elif i_epoch >= 0:
            c_ts = epoch_micros(float(values[i_epoch]))
        else:
            c_ts = NO_TIME
        c_line, c_pid, c_sql = line_no, pid, sql
        c_user = (values[i_user] or "") if i_user >= 0 else ""
        c_db = (values[i_db] or "") if i_db >= 0 else ""
        c_ms = float(ms) if ms is not None else nan

    tally.lines += n_lines
    tally.blank += n_blank
    if not matched_any and first_line is not None:
        try:
            hint = f"; the first lines fit log_line_prefix '{infer_prefix([line for _, line in held], source)}'"
        except SourceError:
            hint = ""
        raise SourceError(
            source,
            Masked(f"log_line_prefix '{log_line_prefix}' does not match; first line: '{masked_line(first_line[:120])}'{hint}"),
        )
    if c_line:
        yield from sessions.statement(c_line, c_pid, c_ts, c_user, c_db, c_app, c_ms,
                                      c_sql if c_more is None else "\n".join(c_more))
    elif error_text is not None:
        sessions.failed_statement(error_text[0], "\n".join(error_text[1]))
    if segment is not None:
        segment.pending_at_end = len(sessions.pending)
        segment.error_pids_at_end = set(error_pids)
    yield from sessions.finish()


@dataclass
class Segment:
    """What ties a part of a log read on its own (``parse_postgres_stderr(segment=)``) to the
    parts around it: statements still waiting for their duration line at its end, processes
    whose last message was an error, and processes with a ``STATEMENT:`` line no error of
    the part itself explains (an error at the end of the part before may)."""

    first: bool = False  # the log's first part: its first lines decide whether the prefix fits
    pending_at_end: int = 0
    error_pids_at_end: set = field(default_factory=set)
    orphan_statement_pids: set = field(default_factory=set)
