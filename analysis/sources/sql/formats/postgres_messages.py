"""PostgreSQL server messages -> executed statements, whatever the log destination.

stderr, syslog, csvlog and jsonlog all carry the same messages; this module holds what they
mean (``lc_messages`` must be English):

- ``LOG:  duration: X ms  statement: SQL`` and ``LOG:  duration: X ms  execute <name>: SQL``
  (extended protocol; also ``execute fetch from ...``): one execution of SQL lasting X ms.
- ``LOG:  statement: SQL`` / ``LOG:  execute <name>: SQL`` without a duration: one execution
  with ``duration_ms`` NaN, unless a ``LOG:  duration: X ms`` message of the same process
  follows before that process's next statement; then X is attached.
- ``parse`` / ``bind`` messages of the extended protocol: not executions (counted).
- ``ERROR`` / ``FATAL`` / ``PANIC`` followed by ``STATEMENT:  SQL`` (or, in csvlog and
  jsonlog, the error's ``query`` field): a failed statement. As in pgbadger, errors are kept
  out of the executions and counted; a ``statement:`` logged just before by
  ``log_statement`` for the same SQL in the same process is dropped.
- ``DETAIL:  parameters: ...`` (bound values: literals), other ``DETAIL``/``HINT``/
  ``CONTEXT`` messages and every other ``LOG`` message (checkpoints, connections, ...): not
  statements and not rejects.
- A ``LOG`` message that starts like a statement but cannot be read as one — a NUL byte or
  a byte that is not UTF-8 (read as U+FFFD) in ``duration:`` or ``statement:``, a duration
  followed by anything but a statement kind — is a reject (:func:`unreadable_statement`),
  never one of the other messages above. auto_explain's ``duration: X ms  plan:`` is not a
  statement.

Memory: one statement per process may wait for its duration; beyond ``max_pending``
processes the oldest is emitted without one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from analysis.sources.sql.formats import ReadTally, StatementRecord

#: Processes whose ``statement:`` may still get a ``duration:`` line; beyond this the
#: oldest is counted without a duration (bounds memory on logs with many sessions).
MAX_PENDING_STATEMENTS = 10_000

SEVERITIES = ("DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "INFO", "NOTICE", "WARNING", "ERROR", "LOG",
              "FATAL", "PANIC", "DETAIL", "HINT", "QUERY", "CONTEXT", "LOCATION", "STATEMENT")
ERRORS = frozenset({"ERROR", "FATAL", "PANIC"})

# after "LOG:  ": an optional duration, an optional statement kind (with a prepared
# statement or portal name), and the rest (the SQL, or another message)
LOG_MESSAGE = re.compile(r"(?:duration: (\d+(?:\.\d+)?) ms\s*)?(?:(statement|execute|parse|bind)(?: [^:\n]*)?:\s?)?(.*)", re.S)


_STATEMENT_START = re.compile(r"(?:duration|statement|execute)\b")
_DAMAGED = re.compile(r"[\x00\ufffd]")
_STATEMENT_WORD = re.compile(r"\bms\b|statement|execute")
#: The reasons :func:`unreadable_statement` gives.
UNREADABLE_DURATION = "duration message whose statement cannot be read (damaged or unknown bytes)"
UNREADABLE_STATEMENT = "statement message that cannot be read (damaged or unknown bytes)"


def unreadable_statement(ms: str | None, sql: str, message: str) -> str | None:
    """Why a ``LOG`` message that :data:`LOG_MESSAGE` read as no statement (its kind None)
    is a statement that cannot be read, or None when it is another message.

    ``ms``, ``sql``: the duration and the rest :data:`LOG_MESSAGE` found; ``message``: all of it.
    """
    if ms is not None:
        if not sql.strip() or sql.startswith("plan:"):  # log_duration's own line; auto_explain's plan
            return None
        return UNREADABLE_DURATION
    if _STATEMENT_START.match(message) or (_DAMAGED.search(message, 0, 48) and _STATEMENT_WORD.search(message, 0, 80)):
        return UNREADABLE_STATEMENT
    colon = message.find(":", 0, 48)
    if colon > 0 and _DAMAGED.search(message, 0, colon) and len(message[:colon].split()) <= 2:  # a damaged kind word
        return UNREADABLE_STATEMENT
    return None


class Sessions:
    """Turns one log's messages, in order, into executed statements (rules above).

    ``reject(line, reason, excerpt)``: called for a message that starts a statement but
    cannot be read (:func:`unreadable_statement`).
    """

    def __init__(self, tally: ReadTally, max_pending: int = MAX_PENDING_STATEMENTS,
                 reject: Callable[[int, str, str], None] | None = None):
        self.tally = tally
        self.max_pending = max_pending
        self.reject = reject
        self.pending: dict = {}  # pid -> a statement awaiting its duration
        self.error_pids: set = set()  # processes whose last message was an error

    def statement(self, line: int, pid, ts_us: int, user: str, database: str, application: str,
                  duration_ms: float, text: str) -> list[StatementRecord]:
        """An executed statement (``duration_ms`` NaN when the message had none)."""
        pending = self.pending
        out = []
        if pid in pending:
            out.append(pending.pop(pid))
        record = StatementRecord(line, ts_us, int(pid) if pid else None, user, database, duration_ms, text, application)
        if duration_ms != duration_ms:  # NaN: a duration line may follow
            pending[pid] = record
            if len(pending) > self.max_pending:
                out.append(pending.pop(next(iter(pending))))
        else:
            out.append(record)
        self.tally.executions += len(out)
        return out

    def duration(self, pid, duration_ms: float) -> list[StatementRecord]:
        """A ``duration: X ms`` message alone (``log_duration``): completes the waiting statement."""
        waiting = self.pending.pop(pid, None)
        if waiting is None:
            self.tally.orphan_durations += 1
            return []
        self.tally.executions += 1
        return [waiting._replace(duration_ms=duration_ms)]

    def disconnection(self, pid) -> list[StatementRecord]:
        waiting = self.pending.pop(pid, None)
        if waiting is None:
            return []
        self.tally.executions += 1
        return [waiting]

    def error(self, pid) -> None:
        self.error_pids.add(pid)

    def failed_statement(self, pid, text: str) -> bool:
        """The SQL of an error (``STATEMENT:``); False when no error of ``pid`` precedes it."""
        if pid not in self.error_pids:
            return False
        self.error_pids.discard(pid)
        self.tally.errors += 1
        waiting = self.pending.get(pid)
        if waiting is not None and waiting.text.strip() == text.strip():
            del self.pending[pid]  # logged by log_statement, then failed: not an execution
        return True

    def log(self, line: int, pid, ts_us: int, user: str, database: str, application: str,
            message: str) -> list[StatementRecord]:
        """A complete ``LOG`` message (csvlog, jsonlog: the message field)."""
        self.error_pids.discard(pid)
        ms, kind, sql = LOG_MESSAGE.match(message).group(1, 2, 3)  # type: ignore[union-attr]  # LOG_MESSAGE matches any text (every part optional)
        if kind is None:
            if ms is not None and not sql.strip():
                return self.duration(pid, float(ms))
            if message.startswith("disconnection:"):
                return self.disconnection(pid)
            reason = unreadable_statement(ms, sql, message)
            if reason is not None and self.reject is not None:
                self.reject(line, reason, message)
            return []
        if kind in ("parse", "bind"):
            self.tally.parse_bind += 1
            return []
        return self.statement(line, pid, ts_us, user, database, application,
                              float(ms) if ms is not None else math.nan, sql)

    def message(self, line: int, pid, ts_us: int, user: str, database: str, application: str,
                severity: str, message: str, query: str = "") -> list[StatementRecord]:
        """One complete message with its severity; ``query``: the failed SQL of an error record."""
        if severity == "LOG":
            return self.log(line, pid, ts_us, user, database, application, message)
        if severity in ERRORS:
            self.error(pid)
            if query:
                self.failed_statement(pid, query)
        elif severity == "STATEMENT":
            self.failed_statement(pid, message)
        return []

    def finish(self) -> list[StatementRecord]:
        """The statements still waiting for a duration (emitted without one)."""
        out = list(self.pending.values())
        self.pending.clear()
        self.tally.executions += len(out)
        return out
