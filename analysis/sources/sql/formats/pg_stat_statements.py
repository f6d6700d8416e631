"""pg_stat_statements: a CSV export of the view, or the view itself through a connection.

The export is what psql writes for (PostgreSQL 14+; drop ``s.toplevel`` before 14)::

    \\copy (select s.queryid, s.query, s.calls, s.total_exec_time, s.rows, s.toplevel, r.rolname, d.datname
           from pg_stat_statements s left join pg_roles r on r.oid = s.userid
           left join pg_database d on d.oid = s.dbid) to 'pgss.csv' csv header

Columns read by name from the header: ``query`` and ``calls`` (required),
``total_exec_time`` (PostgreSQL 13+) or ``total_time`` (12 and before) in milliseconds,
``toplevel`` (PostgreSQL 14+: ``t`` / ``f``), and, when present, ``rolname`` / ``usename`` /
``userid`` (user) and ``datname`` / ``dbname`` / ``dbid`` (database). ``queryid`` and ``rows``
may be there and are not needed: the query text is normalized again so that its
fingerprint matches the logs'.

Each row is one aggregate :class:`~analysis.sources.sql.formats.StatementRecord`:
``executions`` = calls, ``duration_ms`` = the total time, no timestamp. A row whose
``calls`` or time is not a number is a reject; a header without ``query`` and ``calls``
raises :class:`~analysis.core.errors.SourceError`.

Statements the server runs by itself: with ``pg_stat_statements.track = all``, PostgreSQL
14+ also counts the statements run inside functions, procedures and triggers, foreign-key
checks among them (``SELECT 1 FROM ONLY "public"."t" x WHERE "id" OPERATOR(pg_catalog.=)
$1 FOR KEY SHARE OF x``), in rows with ``toplevel = false``. They are not the
application's statements (the statement that caused them is counted in its own top-level
row), so the reader keeps them out of the records it yields: they never reach
``statements``, ``queries`` or ``table_access``, are attributed to no context, and are
counted on the :class:`~analysis.sources.sql.formats.ReadTally` (``nested_statements``,
``nested_calls``), which the miner reports in a note and in ``SourceFrames.counts``.
Without a ``toplevel`` column (PostgreSQL 13 and before, or an export that leaves it out)
every row is top level.

Live (``pg-stat-statements-live``): the same columns are read from ``SqlSource.dsn`` with
psycopg (imported only then; ``pip install "psycopg[binary]"``); :func:`live_query` names
the columns of the server's version and :func:`parse_live_rows` reads its rows.
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

_TRUE = frozenset({"t", "true", "1", "yes", "on"})

LIVE_QUERY = (
    "select s.query, s.calls, s.{time} as total_time, r.rolname, d.datname, {toplevel} "
    "from pg_stat_statements s left join pg_roles r on r.oid = s.userid "
    "left join pg_database d on d.oid = s.dbid"
)


def live_query(server_version: int) -> str:
    """The query reading the view on a server of ``server_version`` (``conn.info.server_version``:
    130000 for 13.0): the total time is ``total_exec_time`` from 13, ``toplevel`` exists from 14."""
    time_column = "total_exec_time" if server_version >= 130000 else "total_time"
    toplevel = "s.toplevel" if server_version >= 140000 else "true as toplevel"
    return LIVE_QUERY.format(time=time_column, toplevel=toplevel)


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
    toplevel_col = col.get("toplevel")
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
        if toplevel_col is not None and row[toplevel_col].strip().lower() not in _TRUE:
            _count_nested(tally, calls)
            continue
        tally.executions += calls
        yield StatementRecord(line_no, NO_TIME, None, row[user_col] if user_col is not None else "",
                              row[db_col] if db_col is not None else "", total, row[col["query"]], "", calls)


def _count_nested(tally: ReadTally, calls: int) -> None:
    """Count a row the server ran inside a function or trigger (``toplevel`` false)."""
    tally.nested_statements += 1
    tally.nested_calls += calls


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
    """One aggregate record per top-level row of the live view at ``source.dsn``."""
    if not source.dsn:
        raise SourceError(str(source.path), "pg-stat-statements-live needs a dsn (a PostgreSQL connection string)")
    try:
        import psycopg
    except ImportError:
        raise SourceError(str(source.path), 'reading pg_stat_statements live needs psycopg: pip install "psycopg[binary]"') from None
    try:
        with psycopg.connect(source.dsn, autocommit=True) as conn:
            rows = conn.execute(live_query(conn.info.server_version)).fetchall()
    except psycopg.Error as exc:
        raise SourceError(str(source.path), f"cannot read pg_stat_statements: {str(exc).strip().splitlines()[0]}") from None
    return parse_live_rows(rows, tally)


def parse_live_rows(rows: Iterable[tuple], tally: ReadTally) -> Iterator[StatementRecord]:
    """One aggregate record per top-level row ``(query, calls, total_time, rolname, datname,
    toplevel)`` of :func:`live_query`; rows with ``toplevel`` false are counted, not yielded."""
    for n, (query, calls, total, user, database, toplevel) in enumerate(rows, 1):
        tally.lines += 1
        if not calls:
            continue
        if toplevel is False:
            _count_nested(tally, int(calls))
            continue
        tally.executions += int(calls)
        yield StatementRecord(n, NO_TIME, None, user or "", database or "",
                              float(total) if total is not None else math.nan, query or "", "", int(calls))
