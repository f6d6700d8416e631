"""PostgreSQL csvlog (``log_destination = 'csvlog'``), PostgreSQL 12 to 17.

One CSV record per message (fields may span lines). The column sets, by version::

    12:      log_time, user_name, database_name, process_id, connection_from, session_id,
             session_line_num, command_tag, session_start_time, virtual_transaction_id,
             transaction_id, error_severity, sql_state_code, message, detail, hint,
             internal_query, internal_query_pos, context, query, query_pos, location,
             application_name                                               (23 columns)
    13:      + backend_type                                                 (24)
    14-17:   + leader_pid, query_id                                         (26)

The first 23 are the same in every version, so the reader takes what it needs from them
(``log_time``, ``user_name``, ``database_name``, ``process_id``, ``error_severity``,
``message``, ``query``, ``application_name``) and accepts 23 to 26 columns. Messages mean
what they mean in stderr logs (:mod:`.postgres_messages`); a failed statement is the
``query`` field of its ERROR record. A record with another number of columns, or that the
csv module cannot read, is a reject with its first line number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from analysis.core.config import SqlSource
from analysis.core.rejects import Rejects
from analysis.sources.sql.formats import Clock, ReadTally, StatementRecord
from analysis.sources.sql.formats.postgres_messages import Sessions

#: Longest field read (a whole statement can be one field: bulk inserts run to megabytes).
MAX_FIELD_CHARS = 256 * 1024 * 1024
COLUMN_COUNTS = (23, 24, 25, 26)
LOG_TIME, USER, DATABASE, PID, SEVERITY, MESSAGE, QUERY, APPLICATION = 0, 1, 2, 3, 11, 13, 19, 22


def read(lines: Iterable[str], source: SqlSource, rejects: Rejects, tally: ReadTally) -> Iterator[StatementRecord]:
    """The format reader (see :mod:`analysis.sources.sql.formats`)."""
    return parse_csvlog(lines, str(source.path), rejects, tally)


def parse_csvlog(lines: Iterable[str], source: str, rejects: Rejects, tally: ReadTally | None = None) -> Iterator[StatementRecord]:
    """Yield the executed statements of a csvlog file."""
    tally = tally if tally is not None else ReadTally()
    sessions = Sessions(tally, reject=lambda line, reason, excerpt: rejects.add(source, line, reason, excerpt))
    clock = Clock(tally)
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)
    counted = _Counted(lines, tally)
    rows = csv.reader(counted, strict=False)
    while True:
        start = counted.line_no + 1
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            rejects.add(source, start, f"csvlog record cannot be read ({exc})", counted.last)
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) not in COLUMN_COUNTS:
            rejects.add(source, start, f"csvlog record has {len(row)} columns (expected {', '.join(map(str, COLUMN_COUNTS))})", ",".join(row))
            continue
        yield from sessions.message(start, row[PID] or None, clock.stamp(row[LOG_TIME]), row[USER], row[DATABASE], row[APPLICATION],
                                    row[SEVERITY], row[MESSAGE], row[QUERY])
    yield from sessions.finish()


class _Counted:
    """Iterates lines, counting them (the csv reader's records start at line_no + 1)."""

    def __init__(self, lines: Iterable[str], tally: ReadTally):
        self._it = iter(lines)
        self.tally = tally
        self.line_no = 0
        self.last = ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._it)
        self.line_no += 1
        self.last = line
        if line.strip():
            self.tally.lines += 1
        else:
            self.tally.blank += 1
        return line.replace("\x00", "")
