"""PostgreSQL stderr logs -> executed statements, queries, table access and joins.

Reads the text PostgreSQL writes with ``log_destination = 'stderr'`` (also through
``logging_collector``), plain or compressed (``.gz``, ``.bz2``, chosen by suffix). The
statements come from ``log_min_duration_statement = 0`` (``duration: X ms  statement: ...``)
and/or ``log_statement = 'all'`` (``statement: ...``, optionally followed by a
``duration: X ms`` line from ``log_duration``). ``lc_messages`` must be English.

Each line starts with the server's ``log_line_prefix`` (given in the config, see
:func:`prefix_pattern` for the escapes read), then a severity and a message::

    2026-10-25 13:04:05.123 UTC [4913] app@shop LOG:  duration: 0.215 ms  statement: SELECT ...
    <TAB>continuation of a multi-line statement

Records, and what they count for:

- ``LOG:  duration: X ms  statement: SQL`` and ``LOG:  duration: X ms  execute <name>: SQL``
  (extended protocol; also ``execute fetch from ...``): one execution of SQL lasting X ms.
- ``LOG:  statement: SQL`` / ``LOG:  execute <name>: SQL`` without a duration: one execution
  with ``duration_ms`` NaN, unless a ``LOG:  duration: X ms`` line of the same process
  follows before that process's next statement; then X is attached.
- ``parse`` / ``bind`` records of the extended protocol: not executions (counted in notes).
- ``ERROR`` / ``FATAL`` / ``PANIC`` followed by ``STATEMENT:  SQL``: a failed statement. As
  in pgbadger, errors are kept out of the executions and counted in the notes; a
  ``statement:`` line logged just before by ``log_statement`` for the same SQL is dropped.
- ``DETAIL:  parameters: ...`` (bound values: literals), other ``DETAIL``/``HINT``/
  ``CONTEXT`` records and every other ``LOG`` line (checkpoints, connections, ...): not
  statements and not rejects. ``STATEMENT:`` lines after a non-error record (e.g. a
  temporary-file notice) are context, not executions.
- Continuation lines start with a TAB (PostgreSQL inserts one after every newline of a
  message) or other whitespace and belong to the record before them.
- Empty lines are skipped. Any other line that does not match the prefix is a reject
  (``line N``, "line does not match log_line_prefix ..."). If none of the first
  ``sample_lines`` (200) non-empty lines match, the prefix is wrong for this file and a
  :class:`~analysis.errors.SourceError` quoting the first line is raised instead.

Timestamps (``%m``, ``%t``, ``%n``) are converted to UTC: the zone printed after them is
an abbreviation (UTC, GMT, CET, MSK, EST, ...: :data:`TIMEZONE_OFFSETS`) or a numeric offset
(``+02``, ``-0330``); an unknown abbreviation is read as UTC and named in the notes. A
prefix without a timestamp gives ``ts`` NaT; without ``%u`` / ``%d``, empty user / database.

Frames (contracts in :mod:`analysis.frames`):

``statements`` (one row per execution, in line order; never any SQL text; statements that
normalize to nothing, such as an empty ``statement:``, are skipped and counted in the notes)
    source, line, ts, user, database, duration_ms, fingerprint, trace_id, parent_span_id,
    route, controller — trace_id/parent_span_id from a sqlcommenter ``traceparent``
    (``00-<32 hex trace>-<16 hex span>-<2 hex flags>``), route/controller from the tags.
``queries`` (one row per fingerprint)
    fingerprint, normalized, operation, approximate, executions,
    total_duration_ms (sum of the known durations; executions without one add nothing).
``table_access`` (fingerprint, table, access) and ``joins`` (fingerprint, table_a, table_b)
    from :func:`analysis.sqltext.table_access`, once per distinct fingerprint.

Memory grows with the number of distinct fingerprints and of processes with a statement
waiting for its duration, not with the file; the statements frame has one row per
execution. ``SourceFrames.records_read`` counts the non-empty lines read,
``records_rejected`` the lines rejected.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, TextIO

import pandas as pd

from analysis import frames, sqltext
from analysis.config import SqlSource
from analysis.errors import SourceError
from analysis.frames import SourceFrames
from analysis.rejects import Rejects

#: Non-empty lines read before deciding that ``log_line_prefix`` does not fit the file.
PREFIX_SAMPLE_LINES = 200
#: Processes whose ``statement:`` may still get a ``duration:`` line; beyond this the
#: oldest is counted without a duration (bounds memory on logs with many sessions).
MAX_PENDING_STATEMENTS = 10_000
#: Statements shorter than this are remembered (fingerprint cache) when repeated verbatim.
_CACHED_TEXT_CHARS = 2_000

SEVERITIES = ("DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "INFO", "NOTICE", "WARNING", "ERROR", "LOG",
              "FATAL", "PANIC", "DETAIL", "HINT", "QUERY", "CONTEXT", "LOCATION", "STATEMENT")
_ERRORS = frozenset({"ERROR", "FATAL", "PANIC"})

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

_TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
_TZ = r"(?: (?P<tz>[A-Za-z][A-Za-z0-9_/]*|[+-]\d\d(?::?\d\d)?))?"
# escape -> (regex, group name or None); text fields are lazy so the literal after them decides
_ESCAPES: dict[str, tuple[str, str | None]] = {
    "m": (rf"(?P<ts>{_TS}\.\d+){_TZ}", "ts"),
    "t": (rf"(?P<ts>{_TS}){_TZ}", "ts"),
    "n": (r"(?P<epoch>\d+(?:\.\d+)?)", "epoch"),
    "s": (rf"{_TS}(?: [A-Za-z][A-Za-z0-9_/]*|[+-]\d\d(?::?\d\d)?)?", None),
    "p": (r"(?P<pid>\d+)", "pid"),
    "P": (r"\d*", None),
    "u": (r"(?P<user>.*?)", "user"),
    "d": (r"(?P<database>.*?)", "database"),
    "a": (r".*?", None),
    "h": (r"\S*?", None),
    "r": (r"\S*?", None),
    "b": (r".*?", None),
    "i": (r".*?", None),
    "l": (r"\d+", None),
    "c": (r"[0-9a-fA-F]+\.[0-9a-fA-F]+", None),
    "v": (r"(?:\d+/\d+)?", None),
    "x": (r"\d+", None),
    "e": (r"[0-9A-Z]{5}", None),
    "Q": (r"-?\d+", None),
}
_MESSAGE = r"(?P<severity>" + "|".join(SEVERITIES) + r"):\s+(?P<message>.*)"

# after "LOG:  ": an optional duration, an optional statement kind (with a prepared
# statement or portal name), and the rest (the SQL, or another message)
_LOG_MESSAGE = re.compile(r"(?:duration: (\d+(?:\.\d+)?) ms\s*)?(?:(statement|execute|parse|bind)(?: [^:\n]*)?:\s?)?(.*)", re.S)
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")


@dataclass(frozen=True)
class StatementRecord:
    """One executed statement as logged (``text`` still holds its literals)."""

    line: int
    ts: dt.datetime | None
    pid: int | None
    user: str
    database: str
    duration_ms: float
    text: str


@dataclass
class StderrTally:
    """What the parser saw besides executions; reported in the notes."""

    lines: int = 0
    blank: int = 0
    executions: int = 0
    errors: int = 0
    parse_bind: int = 0
    orphan_durations: int = 0
    unknown_timezones: set[str] = field(default_factory=set)


def prefix_pattern(log_line_prefix: str, source: str = "<log_line_prefix>") -> re.Pattern:
    """A regex for one log line: ``log_line_prefix``, then ``SEVERITY:  message``.

    Escapes read: ``%m %t %n %s`` (timestamps), ``%p %P`` (process ids), ``%u`` (user),
    ``%d`` (database), ``%a %h %r %b %i`` (application, host, host(port), backend type,
    command tag), ``%l %c %v %x %e %Q`` (line, session, transaction ids, SQLSTATE, query
    id), ``%%``, and ``%q``: what follows it only appears for session processes, so the
    rest of the prefix is optional. Padding (``%-10u``) is accepted. Unknown escapes raise
    :class:`SourceError`.
    """
    parts: list[str] = []
    optional_from: int | None = None
    seen: set[str] = set()
    i = 0
    while i < len(log_line_prefix):
        c = log_line_prefix[i]
        if c != "%":
            parts.append(re.escape(c))
            i += 1
            continue
        m = re.match(r"%(-?\d+)?(.)", log_line_prefix[i:])
        if m is None:
            raise SourceError(source, f"log_line_prefix '{log_line_prefix}' ends with a lone '%'")
        padding, esc = m.groups()
        i += m.end()
        if esc == "%":
            parts.append("%")
        elif esc == "q":
            optional_from = len(parts) if optional_from is None else optional_from
        elif esc in _ESCAPES:
            regex, group = _ESCAPES[esc]
            if group is not None:
                if group in seen:  # a field printed twice: capture it once
                    regex = re.sub(r"\(\?P<\w+>", "(?:", regex)
                seen.add(group)
                if esc in "mt":
                    seen.add("tz")
            parts.append(rf"\s*{regex}\s*" if padding else regex)
        else:
            raise SourceError(source, f"log_line_prefix '{log_line_prefix}' has the unknown escape %{esc}")
    if optional_from is not None:
        parts[optional_from:] = ["(?:" + "".join(parts[optional_from:]) + ")?"]
    return re.compile("".join(parts) + _MESSAGE, re.S)


def parse_postgres_stderr(
    lines: Iterable[str],
    log_line_prefix: str,
    source: str,
    rejects: Rejects,
    *,
    tally: StderrTally | None = None,
    sample_lines: int = PREFIX_SAMPLE_LINES,
    max_pending: int = MAX_PENDING_STATEMENTS,
) -> Iterator[StatementRecord]:
    """Yield the executed statements of a PostgreSQL stderr log (rules in the module docstring).

    A record comes out once its continuation lines are read; a ``statement:`` waiting for
    its ``duration:`` line comes out later, so the order is not strictly by line. Lines
    that fit no record go to ``rejects``; ``tally`` (if given) receives the other counts.
    """
    pattern = prefix_pattern(log_line_prefix, source)
    tally = tally if tally is not None else StderrTally()
    names = pattern.groupindex
    pid_group = "pid" if "pid" in names else None
    user_group = "user" if "user" in names else None
    database_group = "database" if "database" in names else None
    ts_group = "ts" if "ts" in names else None
    epoch_group = "epoch" if "epoch" in names else None
    tz_group = "tz" if "tz" in names else None
    match_line = pattern.match
    match_log = _LOG_MESSAGE.match

    pending: dict[str | None, StatementRecord] = {}  # per process: a statement awaiting its duration
    error_pids: set[str | None] = set()  # processes whose last record was an error
    # the record being read: [kind, line, pid, ts, user, database, duration, parts]; None when
    # the current record is not a statement (its continuation lines are dropped)
    current: list | None = None
    matched_any = False
    held: list[tuple[int, str]] = []  # lines held back until the prefix is known to fit
    first_line: str | None = None
    reason = f"line does not match log_line_prefix '{log_line_prefix}'"

    def finish(record: list) -> list[StatementRecord]:
        kind, line_no, pid, ts, user, database, duration, parts = record
        text = parts[0] if len(parts) == 1 else "\n".join(parts)
        if kind == "error":
            tally.errors += 1
            waiting = pending.get(pid)
            if waiting is not None and waiting.text.strip() == text.strip():
                del pending[pid]  # logged by log_statement, then failed: not an execution
            return []
        out = []
        waiting = pending.pop(pid, None)
        if waiting is not None:
            out.append(waiting)
        statement = StatementRecord(line_no, ts, int(pid) if pid else None, user, database, duration, text)
        if duration != duration:  # NaN: a duration line may follow
            pending[pid] = statement
            if len(pending) > max_pending:
                out.append(pending.pop(next(iter(pending))))
        else:
            out.append(statement)
        tally.executions += len(out)
        return out

    for line_no, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line or line.isspace():
            tally.blank += 1
            continue
        tally.lines += 1
        if line[0] == "\t" and matched_any:  # PostgreSQL's continuation of a multi-line message
            if current is not None:
                current[7].append(line[1:])
            continue
        m = match_line(line)
        if m is None:
            if matched_any:
                if line[0] == " ":  # continuation indented with spaces (a re-wrapped log)
                    if current is not None:
                        current[7].append(line)
                else:
                    rejects.add(source, line_no, reason, line)
                continue
            if first_line is None:
                first_line = line
            held.append((line_no, line))
            if len(held) >= sample_lines:
                break
            continue
        if not matched_any:
            matched_any = True
            for held_no, held_line in held:
                rejects.add(source, held_no, reason, held_line)
            held.clear()
        if current is not None:
            yield from finish(current)
            current = None

        severity = m.group("severity")
        pid = m.group(pid_group) if pid_group else None
        if severity == "LOG":
            error_pids.discard(pid)
            message = m.group("message")
            g = match_log(message)
            ms, kind, sql = g.group(1, 2, 3)
            if kind is None:
                if ms is not None and not sql.strip():  # log_duration: completes the statement before
                    waiting = pending.pop(pid, None)
                    if waiting is None:
                        tally.orphan_durations += 1
                    else:
                        tally.executions += 1
                        yield _with_duration(waiting, float(ms))
                elif message.startswith("disconnection:") and pid in pending:
                    tally.executions += 1
                    yield pending.pop(pid)
                continue
            if kind in ("parse", "bind"):
                tally.parse_bind += 1
                continue
            if ts_group:
                ts = _timestamp(m.group(ts_group), m.group(tz_group) if tz_group else None, tally)
            elif epoch_group:
                ts = dt.datetime.fromtimestamp(float(m.group(epoch_group)), tz=dt.timezone.utc)
            else:
                ts = None
            current = [
                "execution", line_no, pid, ts, (m.group(user_group) or "") if user_group else "",
                (m.group(database_group) or "") if database_group else "",
                float(ms) if ms is not None else math.nan, [sql],
            ]
        elif severity in _ERRORS:
            error_pids.add(pid)
        elif severity == "STATEMENT" and pid in error_pids:
            error_pids.discard(pid)
            current = ["error", line_no, pid, None, "", "", math.nan, [m.group("message")]]

    if not matched_any and first_line is not None:
        raise SourceError(
            source,
            f"log_line_prefix '{log_line_prefix}' does not match; first line: '{first_line[:120]}'",
        )
    if current is not None:
        yield from finish(current)
    tally.executions += len(pending)
    yield from pending.values()


def _with_duration(record: StatementRecord, duration: float) -> StatementRecord:
    return StatementRecord(record.line, record.ts, record.pid, record.user, record.database, duration, record.text)


def _timestamp(ts: str | None, tz: str | None, tally: StderrTally) -> dt.datetime | None:
    """UTC time of a ``%m`` / ``%t`` timestamp and the zone printed after it."""
    if not ts:
        return None
    tz = tz or "UTC"
    base = _second_utc(ts[:19], tz)
    if base is None:
        tally.unknown_timezones.add(tz)
        base = _second_utc(ts[:19], "UTC")
    if len(ts) > 20:  # offsets are whole minutes, so the fraction carries over unchanged
        base = base.replace(microsecond=int(ts[20:26].ljust(6, "0")))
    return base


@lru_cache(maxsize=8192)
def _second_utc(ts: str, tz: str) -> dt.datetime | None:
    hours = _offset_hours(tz)
    if hours is None:
        return None
    local = dt.datetime(int(ts[0:4]), int(ts[5:7]), int(ts[8:10]), int(ts[11:13]), int(ts[14:16]), int(ts[17:19]))
    return (local - dt.timedelta(hours=hours)).replace(tzinfo=dt.timezone.utc)


def _offset_hours(tz: str) -> float | None:
    if tz[0] in "+-":
        digits = tz[1:].replace(":", "")
        hours = int(digits[:2]) + (int(digits[2:4]) / 60 if len(digits) >= 4 else 0)
        return hours if tz[0] == "+" else -hours
    return TIMEZONE_OFFSETS.get(tz.upper())


# --------------------------------------------------------------------------------------
# mining


def open_log(path: Path) -> TextIO:
    """Open a log as text, decompressing ``.gz`` / ``.bz2``; undecodable bytes become U+FFFD."""
    kwargs = {"encoding": "utf-8", "errors": "replace", "newline": "\n"}
    if path.suffix == ".gz":
        return gzip.open(path, "rt", **kwargs)
    if path.suffix == ".bz2":
        return bz2.open(path, "rt", **kwargs)
    return open(path, "rt", **kwargs)


def mine_sql_log(source: SqlSource, rejects: Rejects) -> SourceFrames:
    """Read one PostgreSQL stderr log into ``statements``, ``queries``, ``table_access``, ``joins``."""
    name = str(source.path)
    if source.format != "postgres-stderr":
        raise SourceError(name, f"unsupported SQL log format {source.format!r} (expected postgres-stderr)")
    tally = StderrTally()
    statements = _StatementColumns(name)
    try:
        with open_log(Path(source.path)) as fh:
            for record in parse_postgres_stderr(fh, source.log_line_prefix, name, rejects, tally=tally):
                statements.add(record)
    except (OSError, EOFError) as exc:
        raise SourceError(name, f"cannot read the log: {exc}") from None
    return statements.frames(source.dialect, tally, rejects.count(name))


class _StatementColumns:
    """Accumulates the statements frame row by row and the per-fingerprint aggregates."""

    def __init__(self, source: str):
        self.source = source
        self.rows: list[tuple] = []
        self.queries: dict[str, list] = {}  # fingerprint -> [normalized, executions, total_ms]
        self.empty = 0
        self.without_duration = 0

    def add(self, record: StatementRecord) -> None:
        tags, normalized, fp = _fingerprinted(record.text)
        if not normalized:
            self.empty += 1
            return
        trace_id = parent_span_id = None
        if tags:
            traceparent = tags.get("traceparent")
            if traceparent:
                t = _TRACEPARENT.fullmatch(traceparent.strip().lower())
                if t and t.group(1) != "0" * 32 and t.group(2) != "0" * 16:
                    trace_id, parent_span_id = t.group(1), t.group(2)
            route, controller = tags.get("route"), tags.get("controller")
        else:
            route = controller = None
        duration = record.duration_ms
        self.rows.append((record.line, record.ts, record.user, record.database, duration, fp, trace_id, parent_span_id, route, controller))
        q = self.queries.get(fp)
        if q is None:
            q = self.queries[fp] = [normalized, 0, 0.0]
        q[1] += 1
        if duration == duration:
            q[2] += duration
        else:
            self.without_duration += 1

    def frames(self, dialect: str, tally: StderrTally, rejected: int) -> SourceFrames:
        columns = [c for c in frames.SCHEMAS["statements"] if c != "source"]
        statements = pd.DataFrame.from_records(self.rows, columns=columns)
        statements.insert(0, "source", self.source)
        statements["ts"] = pd.to_datetime(statements["ts"], utc=True)
        statements = frames.conform(statements, "statements").sort_values("line", kind="stable").reset_index(drop=True)

        query_rows, access_rows, join_rows = [], [], []
        for fp, (normalized, executions, total) in self.queries.items():
            access = sqltext.table_access(normalized, dialect)
            query_rows.append((fp, normalized, access.operation, access.approximate, executions, total))
            access_rows += [(fp, t, "read") for t in sorted(access.reads)] + [(fp, t, "write") for t in sorted(access.writes)]
            join_rows += [(fp, a, b) for a, b in sorted(access.joins)]
        queries = _frame(query_rows, "queries")
        return SourceFrames(
            frames={
                "statements": statements,
                "queries": queries,
                "table_access": _frame(access_rows, "table_access"),
                "joins": _frame(join_rows, "joins"),
            },
            records_read=tally.lines,
            records_rejected=rejected,
            notes=self._notes(tally, queries, rejected),
        )

    def _notes(self, tally: StderrTally, queries: pd.DataFrame, rejected: int) -> list[str]:
        if tally.lines == 0:
            return [f"{self.source}: the log is empty"]
        n = len(self.rows)
        notes = [f"{self.source}: {n} executed statements, {len(queries)} distinct queries from {tally.lines} log lines"]
        if n == 0:
            notes.append(f"{self.source}: no statements found (is log_min_duration_statement = 0 or log_statement = 'all' set?)")
        if tally.errors:
            notes.append(f"{self.source}: {tally.errors} failed statements (ERROR + STATEMENT), not counted as executions")
        if tally.parse_bind:
            notes.append(f"{self.source}: {tally.parse_bind} parse/bind records of the extended protocol ignored (only execute counts)")
        if self.empty:
            notes.append(f"{self.source}: {self.empty} empty statements skipped")
        if self.without_duration:
            notes.append(f"{self.source}: {self.without_duration} statements logged without a duration")
        approximate = int(queries["approximate"].sum()) if len(queries) else 0
        if approximate:
            notes.append(f"{self.source}: tables of {approximate} of {len(queries)} queries found by a token scan (sqlglot could not parse them)")
        if tally.unknown_timezones:
            notes.append(f"{self.source}: unknown time zone abbreviations read as UTC: {', '.join(sorted(tally.unknown_timezones))}")
        if rejected:
            notes.append(f"{self.source}: {rejected} lines rejected (see the rejects file)")
        return notes


@lru_cache(maxsize=4096)
def _fingerprint_cached(text: str) -> tuple[dict[str, str], str, str]:
    return _fingerprint_uncached(text)


def _fingerprint_uncached(text: str) -> tuple[dict[str, str], str, str]:
    sql, tags = sqltext.strip_sqlcommenter(text)
    normalized = sqltext.normalize(sql)
    return tags, normalized, sqltext.fingerprint(normalized) if normalized else ""


def _fingerprinted(text: str) -> tuple[dict[str, str], str, str]:
    """(sqlcommenter tags, normalized text, fingerprint) of one logged statement."""
    if len(text) < _CACHED_TEXT_CHARS:
        return _fingerprint_cached(text)
    return _fingerprint_uncached(text)


def _frame(rows: list[tuple], name: str) -> pd.DataFrame:
    columns = list(frames.SCHEMAS[name])
    if not rows:
        return frames.empty(name)
    return frames.conform(pd.DataFrame(rows, columns=columns), name)

