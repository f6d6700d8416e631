"""PostgreSQL logs through syslog (``log_destination = 'syslog'``).

Each line is a syslog header, the process, PostgreSQL's ``[N-M]`` numbering (message N of
the process, part M), then the ``log_line_prefix`` and the message::

    Feb 11 13:15:39 host postgres[10808]: [4-1] db=shop,user=app LOG:  duration: 0.2 ms  statement: SELECT 1
    Feb 11 13:15:39 host postgres[10808]: [4-2] #011FROM t

Parts 2, 3, ... continue the message (``#011`` is the TAB syslog writes octal-escaped),
unless a part starts a message of its own (a severity near its start): Heroku's logplex
lines, ``2019-03-14T00:22:56+00:00 app[postgres.4882]: [GREEN] [15-2]  sql_error_code =
00000 DETAIL:  ...``, have no host, a ``postgres.`` before the pid, the database's colour,
and number a message's DETAIL, CONTEXT and STATEMENT as its parts.
The header's time and pid are put in front of every message. The classic header has no
year and no zone: the time is read as UTC in the current year (the year before for dates
after today); RFC 5424 headers carry both. Lines are turned into stderr lines (prefix with the header's
timestamp and pid in front) and read by :mod:`.postgres_stderr`; lines without the syslog
shape are rejects.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from analysis.core.config import SqlSource
from analysis.core.rejects import Rejects
from analysis.sources.inputs import peek
from analysis.sources.sql.formats import ReadTally, StatementRecord
from analysis.sources.sql.formats.postgres_prefix import INFER_LINES, infer_prefix, refuse_unfit_prefix
from analysis.sources.sql.formats.postgres_stderr import parse_postgres_stderr

_SYSLOG = re.compile(
    r"(?P<when>\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) "
    r"(?:\S+ )?[\w\-/.]+\[(?:[\w-]+\.)?(?P<pid>\d+)\]:? (?:\[[A-Z_]+\] )?\[(?P<n>\d+)-(?P<part>\d+)\] ?(?P<rest>.*)",
    re.S,
)
#: A part after the first that starts a message of its own (Heroku numbers a message and its
#: DETAIL, CONTEXT and STATEMENT as parts of one): a severity near its start.
_OWN_MESSAGE = re.compile(r"[^\t].{0,80}?\b(?:LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION):  ")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
#: Prefix put in front of each message so the stderr reader sees time and process.
_FRONT = "%t [%p] "


def read(lines: Iterable[str], source: SqlSource, rejects: Rejects, tally: ReadTally,
         today: dt.date | None = None) -> Iterator[StatementRecord]:
    """The format reader (see :mod:`analysis.sources.sql.formats`); without a configured
    ``log_line_prefix``, the server's prefix is inferred from the first messages
    (:func:`~.postgres_prefix.infer_prefix`)."""
    name = str(source.path)
    stderr_lines: Iterable[str] = as_stderr(lines, name, rejects, today)
    head, stderr_lines = peek(stderr_lines, INFER_LINES * 4)
    if source.log_line_prefix is not None:
        prefix = _FRONT + source.log_line_prefix
        refuse_unfit_prefix(head, prefix, name, front=_FRONT)
    else:
        prefix = infer_prefix(head, name, front=_FRONT)
        tally.inferred_prefix = prefix[len(_FRONT):] if prefix.startswith(_FRONT) else prefix
    return parse_postgres_stderr(stderr_lines, prefix, name, rejects, tally=tally)


def as_stderr(lines: Iterable[str], source: str, rejects: Rejects, today: dt.date | None = None) -> Iterator[str]:
    """The syslog lines as stderr lines (``%t [%p] `` + the server's prefix and message).

    Line numbers are kept: a line that is not syslog-shaped is rejected here and replaced
    by an empty line (which the stderr reader skips).
    """
    today = today or dt.datetime.now(dt.UTC).date()
    cache: dict[str, str] = {}
    for line_no, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            yield ""
            continue
        m = _SYSLOG.match(line)
        if m is None:
            rejects.add(source, line_no, "line is not a PostgreSQL syslog line (host process[pid]: [N-M])", line)
            yield ""
            continue
        rest = m.group("rest").replace("#011", "\t")
        if m.group("part") != "1" and _OWN_MESSAGE.match(rest) is None:
            yield "\t" + rest.lstrip("\t")
            continue
        when = m.group("when")
        stamp = cache.get(when)
        if stamp is None:
            stamp = cache[when] = _stamp(when, today)
        yield f"{stamp} [{m.group('pid')}] {rest}"


def _stamp(when: str, today: dt.date) -> str:
    if when[:4].isdigit():  # RFC 5424 / ISO
        t = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        if t.tzinfo is not None:
            t = t.astimezone(dt.UTC).replace(tzinfo=None)
        return t.strftime("%Y-%m-%d %H:%M:%S") + " UTC"
    month, day, clock = _MONTHS.get(when[:3], 1), int(when[4:6]), when[7:]
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return f"{year:04d}-{month:02d}-{day:02d} {clock} UTC"
