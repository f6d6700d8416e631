"""PostgreSQL logs through syslog (``log_destination = 'syslog'``).

Each line is a syslog header, the process, PostgreSQL's ``[N-M]`` numbering (message N of
the process, part M), then the ``log_line_prefix`` and the message::

    Feb 11 13:15:39 host postgres[10808]: [4-1] db=shop,user=app LOG:  duration: 0.2 ms  statement: SELECT 1
    Feb 11 13:15:39 host postgres[10808]: [4-2] #011FROM t

Parts 2, 3, ... continue the message (``#011`` is the TAB syslog writes octal-escaped).
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
from analysis.sources.sql.formats import ReadTally, StatementRecord
from analysis.sources.sql.formats.postgres_stderr import parse_postgres_stderr

_SYSLOG = re.compile(
    r"(?P<when>\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) "
    r"\S+ [\w\-/.]+\[(?P<pid>\d+)\]: \[(?P<n>\d+)-(?P<part>\d+)\] ?(?P<rest>.*)",
    re.S,
)
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
#: Prefix put in front of each message so the stderr reader sees time and process.
_FRONT = "%t [%p] "


def read(lines: Iterable[str], source: SqlSource, rejects: Rejects, tally: ReadTally,
         today: dt.date | None = None) -> Iterator[StatementRecord]:
    """The format reader (see :mod:`analysis.sources.sql.formats`)."""
    name = str(source.path)
    return parse_postgres_stderr(as_stderr(lines, name, rejects, today), _FRONT + source.log_line_prefix, name, rejects, tally=tally)


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
        if m.group("part") != "1":
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
