"""pg_stat_statements: a CSV export of the view, or the view itself through a connection.

The export is what psql writes for::

    \\copy (select s.queryid, s.query, s.calls, s.total_exec_time, s.rows, r.rolname, d.datname
           from pg_stat_statements s left join pg_roles r on r.oid = s.userid
           left join pg_database d on d.oid = s.dbid) to 'pgss.csv' csv header

Columns read by name from the header: ``query`` and ``calls`` (required),
``total_exec_time`` (PostgreSQL 13+) or ``total_time`` (12 and before) in milliseconds,
and, when present, ``rolname`` / ``usename`` / ``userid`` (user) and ``datname`` /
``dbname`` / ``dbid`` (database). ``queryid`` and ``rows`` may be there and are not needed:
the query text is normalized again so that its fingerprint matches the logs'.

Each row is one aggregate :class:`~analysis.sources.sql.formats.StatementRecord`:
``executions`` = calls, ``duration_ms`` = the total time, no timestamp. A row whose
``calls`` or time is not a number is a reject; a header without ``query`` and ``calls``
raises :class:`~analysis.core.errors.SourceError`.

Live (``pg-stat-statements-live``): the same columns are read from ``SqlSource.dsn`` with
psycopg (imported only then; ``pip install "psycopg[binary]"``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator

from analysis.core.config import SqlSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.sql.formats import NO_TIME, ReadTally, StatementRecord
from analysis.sources.sql.formats.postgres_csvlog import MAX_FIELD_CHARS

_USER_COLUMNS = ("rolname", "usename", "user", "userid")
_DATABASE_COLUMNS = ("datname", "dbname", "database", "dbid")
_TIME_COLUMNS = ("total_exec_time", "total_time")

LIVE_QUERY = (
    "select s.query, s.calls, s.{time} as total_time, r.rolname, d.datname "
    "from pg_stat_statements s left join pg_roles r on r.oid = s.userid "
    "left join pg_database d on d.oid = s.dbid"
)


def read(lines: Iterable[str], source: SqlSource, rejects: Rejects, tally: ReadTally) -> Iterator[StatementRecord]:
    """The format reader (see :mod:`analysis.sources.sql.formats`)."""
    return parse_pg_stat_statements_csv(lines, str(source.path), rejects, tally)


def parse_pg_stat_statements_csv(lines: Iterable[str], source: str, rejects: Rejects,
                                 tally: ReadTally | None = None) -> Iterator[StatementRecord]:
    """Yield one aggregate record per row of a pg_stat_statements CSV export."""
    tally = tally if tally is not None else ReadTally()
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)
    numbered = _numbered(lines, tally)
    rows = csv.reader(line for _, line in numbered)
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        return
    if "query" not in header or "calls" not in header:
        raise SourceError(source, f"pg_stat_statements CSV needs the columns query and calls (header: {','.join(header)[:200]!r})")
    col = {name: i for i, name in enumerate(header)}
    time_col = next((col[c] for c in _TIME_COLUMNS if c in col), None)
    user_col = next((col[c] for c in _USER_COLUMNS if c in col), None)
    db_col = next((col[c] for c in _DATABASE_COLUMNS if c in col), None)
    for row in rows:
        line_no = numbered.line_no - _extra_lines(row)
        if not row:
            continue
        if len(row) != len(header):
            rejects.add(source, line_no, f"pg_stat_statements row has {len(row)} columns (header: {len(header)})", ",".join(row))
            continue
        try:
            calls = int(float(row[col["calls"]]))
            total = float(row[time_col]) if time_col is not None and row[time_col] != "" else math.nan
        except ValueError:
            rejects.add(source, line_no, "pg_stat_statements row: calls or total time is not a number", ",".join(row))
            continue
        if calls <= 0:
            continue
        tally.executions += calls
        yield StatementRecord(line_no, NO_TIME, None, row[user_col] if user_col is not None else "",
                              row[db_col] if db_col is not None else "", total, row[col["query"]], "", calls)


def _extra_lines(row: list[str]) -> int:
    return sum(field.count("\n") for field in row)


class _numbered:
    """Iterates (line number, line), keeping the number of the last line read."""

    def __init__(self, lines: Iterable[str], tally: ReadTally):
        self._it = iter(lines)
        self.tally = tally
        self.line_no = 0

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, str]:
        line = next(self._it)
        self.line_no += 1
        if line.strip():
            self.tally.lines += 1
        else:
            self.tally.blank += 1
        return self.line_no, line.replace("\x00", "")


def read_live(source: SqlSource, rejects: Rejects, tally: ReadTally) -> Iterator[StatementRecord]:
    """One aggregate record per row of the live view at ``source.dsn``."""
    if not source.dsn:
        raise SourceError(str(source.path), "pg-stat-statements-live needs a dsn (a PostgreSQL connection string)")
    try:
        import psycopg
    except ImportError:
        raise SourceError(str(source.path), 'reading pg_stat_statements live needs psycopg: pip install "psycopg[binary]"') from None
    try:
        with psycopg.connect(source.dsn, autocommit=True) as conn:
            version = conn.info.server_version
            time_column = "total_exec_time" if version >= 130000 else "total_time"
            rows = conn.execute(LIVE_QUERY.format(time=time_column)).fetchall()
    except psycopg.Error as exc:
        raise SourceError(str(source.path), f"cannot read pg_stat_statements: {str(exc).strip().splitlines()[0]}") from None
    for n, (query, calls, total, user, database) in enumerate(rows, 1):
        tally.lines += 1
        if not calls:
            continue
        tally.executions += int(calls)
        yield StatementRecord(n, NO_TIME, None, user or "", database or "",
                              float(total) if total is not None else math.nan, query or "", "", int(calls))
