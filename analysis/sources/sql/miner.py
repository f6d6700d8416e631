"""SQL query logs -> executed statements, queries, table access and joins.

``mine_sql_log(source, rejects)`` reads one log named by a :class:`~analysis.core.config.SqlSource`:
``source.format`` picks the reader (one per format family, in
:mod:`analysis.sources.sql.formats`: PostgreSQL stderr / syslog / csvlog / jsonlog,
pg_stat_statements as a CSV export or live through ``source.dsn``, MySQL / MariaDB general
and slow logs); ``auto`` detects it from the first lines and, when nothing fits, raises a
:class:`~analysis.core.errors.SourceError` quoting the first line. ``.gz`` and ``.bz2`` files
are decompressed while read. Every reader yields the same statement records; this module
fingerprints them and builds the frames.

Fingerprints: each logged text is stripped of its sqlcommenter comment and normalized
(:func:`analysis.sources.sqltext.normalize`, in the MySQL flavour for ``mysql-*`` formats), then
hashed (:func:`analysis.sources.sqltext.fingerprint`). Normalizing is the costly step, so it runs
once per *literal mask* (:func:`analysis.sources.sqltext.literal_mask`: the text with its literals
blanked, which executions differing only in their values share) and otherwise once per
distinct raw text (LRU); both caches are bounded (``max_cached``).

Table access: each distinct fingerprint is parsed once with sqlglot in the dialect of its
source (``mysql`` for MySQL logs, else ``source.dialect``), with ``source.search_path``
(PostgreSQL) or ``source.default_database`` (MySQL) naming the schemas whose tables are
written without a schema (:meth:`analysis.core.config.SqlSource.unqualified_schemas`,
:func:`analysis.sources.sqltext.table_access`).

Frames (contracts in :mod:`analysis.core.frames`):

``statements`` (one row per group of executions sharing fingerprint, user, database,
sqlcommenter tags and minute, in the line order of each group's first record; never any SQL
text; statements that normalize to nothing, such as an empty ``statement:``, are skipped and
counted in the notes)
    source, line, ts, user, database, duration_ms, fingerprint, trace_id, parent_span_id,
    route, controller, executions — ``ts`` the time of the group's first execution (all of
    them fall in its minute, :data:`GROUP_MICROS`, so buckets of whole minutes see the same
    counts as the executions would), ``duration_ms`` the total of the group's known durations, ``executions`` how many
    statements the row stands for; trace_id/parent_span_id from a sqlcommenter
    ``traceparent`` (``00-<32 hex trace>-<16 hex span>-<2 hex flags>``), route/controller
    from the tags. A statement with two comments (a framework's, then the database
    driver's: OpenTelemetry's Django and psycopg instrumentations) takes every tag from
    the first: it is tied to the request's span, which issued it, not to its own database
    span, so the executions of a request group together
    (:func:`analysis.sources.sqltext.comment_tags` says why).
    pg_stat_statements has no executions, only totals: one row per query
    with ``ts`` NaT, ``executions`` its ``calls`` and ``duration_ms`` their total time;
    its rows with ``toplevel`` false (run by the server inside functions and triggers) are
    not statements of the application and are only counted.
``queries`` (one row per fingerprint)
    fingerprint, normalized, operation, approximate, executions (pg_stat_statements:
    ``calls``), total_duration_ms (sum of the known durations; executions without one add
    nothing). DDL statements have operation ``DDL`` and no table access.
``table_access`` (fingerprint, table, access) and ``joins`` (fingerprint, table_a, table_b)
    from :func:`analysis.sources.sqltext.table_access`, once per distinct fingerprint.

Memory: while reading, one entry per group (a dict from its key to its row, and 8-byte
line, minute, duration and count columns), the distinct fingerprints, users, databases
and tag sets; nothing grows with the executions themselves, so a log of any size is read
in memory bounded by its distinct queries times its minutes (and its traced executions,
which each name their own span).
Counts: ``SourceFrames.records_read`` counts the statements read — executed statements in a
log (one multi-line statement is one record, however many lines it spans), rows of
pg_stat_statements (each the aggregate of its ``calls``) — and ``records_rejected`` the
records rejected, in the same unit where it can be told (with line numbers in the rejects
file). ``records_read`` used to count the log's non-empty lines; they are now
``counts["lines"]``. ``SourceFrames.counts`` holds ``lines`` (non-empty lines read),
``statements`` (= ``records_read``), ``executions`` (the executions those statements stand
for: equal to ``statements`` in a log, the sum of ``calls`` in pg_stat_statements),
``failed_statements`` (ERROR + STATEMENT, not executions) and ``nested_statements`` /
``nested_calls``: the pg_stat_statements rows the server ran inside functions and triggers
(``toplevel`` false) and their calls, which the reader keeps out of every frame
(:mod:`analysis.sources.sql.formats.pg_stat_statements`), also named in a note. The first
note names statements and lines both.
"""

from __future__ import annotations

import re
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.core import frames
from analysis.core.config import SqlSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources import sqltext
from analysis.sources.inputs import open_text, peek
from analysis.sources.sql.formats import DETECT_LINES, NO_TIME, ReadTally, StatementRecord, detect_format, masked_line, reader
from analysis.sources.sql.formats.postgres_stderr import PREFIX_SAMPLE_LINES, parse_postgres_stderr, prefix_pattern

__all__ = [
    "mine_sql_log", "read_statements", "StatementColumns", "parse_postgres_stderr", "prefix_pattern",
    "StderrTally", "ReadTally", "StatementRecord", "PREFIX_SAMPLE_LINES",
]

#: Former name of :class:`~analysis.sources.sql.formats.ReadTally`.
StderrTally = ReadTally
#: Distinct literal masks / raw texts whose fingerprint is remembered.
MAX_CACHED_TEXTS = 65_536
#: Raw texts longer than this are not remembered by the raw-text cache.
_CACHED_TEXT_CHARS = 2_000
#: Texts shorter than this skip even the literal mask when repeated verbatim.
_VERBATIM_CHARS = 64
#: Executions in the same minute (and with the same fingerprint, user, database and tags)
#: become one ``statements`` row.
GROUP_MICROS = 60_000_000

_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
_MYSQL_FORMATS = ("mysql-general", "mysql-slow")


def mine_sql_log(source: SqlSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """Read one SQL log into ``statements``, ``queries``, ``table_access`` and ``joins``
    (``cache_dir`` is unused: the registry caches the frames).

    The rejects reach ``rejects`` with the literals of their excerpts masked
    (:func:`analysis.sources.sql.formats.masked_line`): the rejects file is written beside
    the report.
    """
    name = str(source.path)
    tally = ReadTally()
    read_rejects = Rejects()
    mysql = source.format in _MYSQL_FORMATS
    columns = StatementColumns(name, dialect="mysql" if mysql else "postgres")
    try:
        fmt = _read(source, columns, read_rejects, tally)
    finally:
        _masked_into(read_rejects, rejects, columns.dialect)
    dialect = ("mysql" if source.dialect == "postgres" else source.dialect) if fmt in _MYSQL_FORMATS else source.dialect
    return columns.frames(dialect, source.unqualified_schemas(fmt), tally, rejects.count(name), fmt)


def _read(source: SqlSource, columns: StatementColumns, rejects: Rejects, tally: ReadTally) -> str:
    """Read the log into ``columns``; the format read."""
    name = str(source.path)
    if source.format == "pg-stat-statements-live":
        from analysis.sources.sql.formats.pg_stat_statements import read_live

        columns.add_all(read_live(source, rejects, tally))
        return source.format
    damage: list[BaseException] = []
    try:
        with open_text(source.path, damage=damage) as fh:
            fmt = source.format
            lines: Iterable[str] = fh
            if fmt == "auto":
                head, lines = peek(fh, DETECT_LINES)
                fmt = detect_format(head, name)
                columns.dialect = "mysql" if fmt in _MYSQL_FORMATS else "postgres"
            columns.add_all(read_statements(lines, fmt, source, rejects, tally))
    except OSError as exc:
        raise SourceError(name, f"cannot read the log: {exc}") from None
    if damage:  # what was read before the damage is kept; the rest is one reject
        where = tally.lines + tally.blank + 1
        rejects.add(name, where, f"truncated or corrupt compressed stream: {damage[0]}")
        tally.count(f"compressed stream ends early at line {where}: the rest of the log is not read")
    return fmt


def _masked_into(read: Rejects, rejects: Rejects, dialect: str) -> None:
    """Add the rejects of ``read`` to ``rejects``, each excerpt's literals masked."""
    for r in read.records:
        rejects.add(r.source, r.location, r.reason, masked_line(r.excerpt, dialect))
    for source, n in read.counts.items():
        kept = sum(1 for r in read.records if r.source == source)
        if n > kept:
            rejects.counts[source] += n - kept


def read_statements(lines: Iterable[str], fmt: str, source: SqlSource, rejects: Rejects,
                    tally: ReadTally) -> Iterator[StatementRecord]:
    """The statement records of ``lines`` read as ``fmt`` (one of the reader formats)."""
    return reader(fmt)(lines, source, rejects, tally)


class StatementColumns:
    """Accumulates the statements as compact columns and the per-fingerprint aggregates."""

    def __init__(self, source: str, dialect: str = "postgres", max_cached: int = MAX_CACHED_TEXTS):
        self.source = source
        self.dialect = dialect
        self.max_cached = max_cached
        # one entry per group of executions (see GROUP_MICROS); key: (fp, user, database, tags, minute)
        self._groups: dict[tuple[int, str, str, int, int], int] = {}
        self.line = array("q")
        self.ts = array("q")  # the time of the group's first execution, in microseconds (NO_TIME when unknown)
        self.duration = array("d")  # total of the known durations (NaN: none known)
        self.count = array("q")  # executions in the group
        self.fp = array("i")
        self.user = array("i")
        self.database = array("i")
        self.tags = array("i")  # 0: no tags, n: tag_rows[n]
        self.tag_rows: list[tuple] = [(None, None, None, None)]
        self._tag_index: dict[tuple, int] = {(None, None, None, None): 0}
        self.fingerprints: list[str] = []
        self.normalized: list[str] = []
        self._fp_index: dict[str, int] = {}
        self._users: dict[str, int] = {}
        self._databases: dict[str, int] = {}
        self._by_mask: dict[str, int] = {}
        self._verbatim: dict[str, int] = {}  # short texts seen verbatim before (BEGIN, COMMIT, ...)
        self._by_text: OrderedDict[str, tuple[int, dict]] = OrderedDict()
        self.records = 0  # statement records added (empty ones included)
        self.executions = 0  # the executions they stand for
        self.empty = 0
        self.without_duration = 0
        self.normalizations = 0

    # ----------------------------------------------------------------------------------
    # reading

    def add(self, record: StatementRecord) -> None:
        self.add_all((record,))

    def add_all(self, records: Iterable[StatementRecord]) -> None:
        """Add every record of ``records`` (the loop of :meth:`add`, with its lookups bound once)."""
        verbatim, by_mask = self._verbatim, self._by_mask
        groups, count, duration_of = self._groups, self.count, self.duration
        mask = sqltext.literal_mask if self.dialect == "postgres" else None
        max_cached = self.max_cached
        empty = without_duration = n_records = n_executions = 0
        try:
            for line, ts_us, _, user, database, duration, text, _, executions in records:
                n_records += 1
                n_executions += executions
                tags: dict | None = None
                fp = verbatim.get(text)
                if fp is not None:
                    pass
                elif mask is not None and (key := mask(text)) is not None:  # no comment, so no tags
                    fp = by_mask.get(key)
                    if fp is None:
                        fp = self._remember_mask(key, text)
                    if len(text) < _VERBATIM_CHARS:
                        if len(verbatim) >= max_cached:
                            verbatim.clear()
                        verbatim[text] = fp
                elif mask is not None and "/*" in text and (tagged := _tagged_mask(text)) is not None:
                    # a sqlcommenter comment: the statement without it shares the mask of its
                    # untagged executions (the same normalized text); the tags are its own
                    key, tags = tagged
                    fp = by_mask.get(key)
                    if fp is None:
                        fp = self._remember_mask(key, text)
                else:
                    fp, tags = self._cached_fingerprint(text)
                if fp < 0:
                    empty += 1
                    continue
                minute = ts_us if ts_us == NO_TIME else ts_us - ts_us % GROUP_MICROS
                group_key = (fp, user, database, self._tag_row(tags) if tags else 0, minute)
                g = groups.get(group_key)
                if g is None:
                    g = groups[group_key] = len(count)
                    self._new_group(line, ts_us, group_key)
                count[g] += executions
                if duration == duration:
                    known = duration_of[g]
                    duration_of[g] = duration if known != known else known + duration
                else:
                    without_duration += 1
        finally:
            self.records += n_records
            self.executions += n_executions
            self.empty += empty
            self.without_duration += without_duration

    def _new_group(self, line: int, ts_us: int, key: tuple[int, str, str, int, int]) -> None:
        fp, user_name, database_name, tags, _ = key
        user = self._users.setdefault(user_name, len(self._users))
        database = self._databases.setdefault(database_name, len(self._databases))
        self.line.append(line)
        self.ts.append(ts_us)
        self.duration.append(float("nan"))
        self.count.append(0)
        self.fp.append(fp)
        self.user.append(user)
        self.database.append(database)
        self.tags.append(tags)

    def _remember_mask(self, key: str, text: str) -> int:
        """Fingerprint ``text`` and remember it under its literal mask ``key`` (bounded cache)."""
        fp = self._fingerprint(text)[0]
        if len(self._by_mask) >= self.max_cached:
            self._by_mask.clear()
        self._by_mask[key] = fp
        return fp

    def _cached_fingerprint(self, text: str) -> tuple[int, dict]:
        if len(text) >= _CACHED_TEXT_CHARS:
            return self._fingerprint(text)
        cache = self._by_text
        hit = cache.get(text)
        if hit is not None:
            cache.move_to_end(text)
            return hit
        hit = cache[text] = self._fingerprint(text)
        if len(cache) > self.max_cached:
            cache.popitem(last=False)
        return hit

    def _fingerprint(self, text: str) -> tuple[int, dict]:
        """(index of the fingerprint or -1 when the text normalizes to nothing, sqlcommenter tags)."""
        self.normalizations += 1
        sql, tags = sqltext.strip_sqlcommenter(text)
        normalized = sqltext.normalize(sql, dialect=self.dialect)
        if not normalized:
            return -1, tags
        fp = sqltext.fingerprint(normalized)
        index = self._fp_index.get(fp)
        if index is None:
            index = self._fp_index[fp] = len(self.fingerprints)
            self.fingerprints.append(fp)
            self.normalized.append(normalized)
        return index, tags

    def _tag_row(self, tags: dict) -> int:
        trace_id = parent_span_id = None
        traceparent = tags.get("traceparent")
        if traceparent:
            t = _TRACEPARENT.fullmatch(traceparent.strip().lower())
            if t and t.group(1) != "0" * 32 and t.group(2) != "0" * 16:
                trace_id, parent_span_id = t.group(1), t.group(2)
        row = (trace_id, parent_span_id, tags.get("route"), tags.get("controller"))
        index = self._tag_index.get(row)
        if index is None:
            index = self._tag_index[row] = len(self.tag_rows)
            self.tag_rows.append(row)
        return index

    # ----------------------------------------------------------------------------------
    # frames

    def statements_frame(self) -> pd.DataFrame:
        """The ``statements`` frame (one row per group), in line order, checked against its contract.

        The repeated strings (source, user, database, fingerprint) are categoricals over
        their distinct values (a string dtype for :func:`analysis.core.frames.check`); the
        nullable tags are pyarrow-backed ``string`` arrays built from codes. Numbers are read
        from the accumulated arrays without an intermediate list.
        """
        n = len(self.line)
        line = np.frombuffer(self.line, dtype=np.int64) if n else np.zeros(0, np.int64)
        order = None
        if n > 1 and (np.diff(line) < 0).any():
            order = np.argsort(line, kind="stable")

        def arranged(values: np.ndarray) -> np.ndarray:
            return values if order is None else values[order]

        def codes_of(codes: array) -> np.ndarray:
            return arranged(np.frombuffer(codes, dtype=np.int32)) if n else np.zeros(0, np.int32)

        def coded(codes: np.ndarray, labels: list) -> pd.Categorical:
            return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype="str"), validate=False)

        tag_codes = codes_of(self.tags)
        out = {
            "source": coded(np.zeros(n, np.int8), [self.source]),
            "line": arranged(line),
            "ts": _utc_times(arranged(np.frombuffer(self.ts, dtype=np.int64)) if n else np.zeros(0, np.int64)),
            "user": coded(codes_of(self.user), list(self._users)),
            "database": coded(codes_of(self.database), list(self._databases)),
            "duration_ms": arranged(np.frombuffer(self.duration, dtype=np.float64)) if n else np.zeros(0),
            "fingerprint": coded(codes_of(self.fp), self.fingerprints),
        }
        count = arranged(np.frombuffer(self.count, dtype=np.int64)) if n else np.zeros(0, np.int64)
        for i, col in enumerate(("trace_id", "parent_span_id", "route", "controller")):
            labels: dict[str, int] = {}
            row_codes = np.array([-1 if row[i] is None else labels.setdefault(row[i], len(labels)) for row in self.tag_rows],
                                 dtype=np.int32)
            out[col] = _nullable_strings(row_codes[tag_codes] if labels else None, list(labels), n)
        out["executions"] = count
        return frames.check(pd.DataFrame(out), "statements")

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """Executions and total known duration (ms) per fingerprint index, from the groups."""
        n = len(self.fingerprints)
        if not len(self.fp):
            return np.zeros(n, np.int64), np.zeros(n)
        codes = np.frombuffer(self.fp, dtype=np.int32)
        count = np.frombuffer(self.count, dtype=np.int64)
        duration = np.frombuffer(self.duration, dtype=np.float64)
        known = ~np.isnan(duration)
        executions = np.zeros(n, np.int64)
        np.add.at(executions, codes, count)
        return executions, np.bincount(codes[known], weights=duration[known], minlength=n)

    def frames(self, dialect: str, search_path: tuple[str, ...], tally: ReadTally, rejected: int,
               fmt: str = "postgres-stderr") -> SourceFrames:
        statements = self.statements_frame()
        executions, total_ms = self.totals()
        query_rows, access_rows, join_rows = [], [], []
        for i, fp in enumerate(self.fingerprints):
            if not executions[i]:
                continue
            normalized = self.normalized[i]
            access = sqltext.table_access(normalized, dialect, search_path)
            query_rows.append((fp, normalized, access.operation, access.approximate, int(executions[i]), float(total_ms[i])))
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
            records_read=self.records,
            records_rejected=rejected,
            notes=self._notes(tally, queries, rejected, fmt),
            counts={"lines": tally.lines, "statements": self.records, "executions": self.executions,
                    "failed_statements": tally.errors,
                    "nested_statements": tally.nested_statements, "nested_calls": tally.nested_calls},
        )

    def _notes(self, tally: ReadTally, queries: pd.DataFrame, rejected: int, fmt: str) -> list[str]:
        if tally.lines == 0:
            return [f"{self.source}: the log is empty"]
        n = len(self.line)
        if self.records == self.executions:
            read = f"{self.records} executed statements"
        else:  # pg_stat_statements: one row per query
            read = f"{self.records} statements ({self.executions} executions)"
        notes = [f"{self.source}: {read} read from {tally.lines} lines, {len(queries)} distinct queries ({fmt})"]
        if n == 0:
            notes.append(f"{self.source}: no statements found (is log_min_duration_statement = 0 or log_statement = 'all' set?)")
        if tally.errors:
            notes.append(f"{self.source}: {tally.errors} failed statements (ERROR + STATEMENT), not counted as executions")
        if tally.nested_statements:
            notes.append(f"{self.source}: {tally.nested_statements} statements run by the server inside functions and triggers "
                         f"(toplevel = false; {tally.nested_calls} calls) kept apart: not the application's statements")
        if tally.parse_bind:
            notes.append(f"{self.source}: {tally.parse_bind} parse/bind records of the extended protocol ignored (only execute counts)")
        if self.empty:
            notes.append(f"{self.source}: {self.empty} empty statements skipped")
        if self.without_duration:
            notes.append(f"{self.source}: {self.without_duration} statements logged without a duration")
        for what, count in sorted(tally.other.items()):
            notes.append(f"{self.source}: {count} {what}")
        approximate = int(queries["approximate"].sum()) if len(queries) else 0
        if approximate:
            notes.append(f"{self.source}: tables of {approximate} of {len(queries)} queries found by a token scan (sqlglot could not parse them)")
        ddl = int((queries["operation"] == "DDL").sum()) if len(queries) else 0
        if ddl:
            notes.append(f"{self.source}: {ddl} DDL queries kept apart (no table access)")
        if tally.inferred_prefix is not None:
            notes.append(f"{self.source}: log_line_prefix inferred from the first lines: '{tally.inferred_prefix}'")
        if tally.unreadable_times:
            notes.append(f"{self.source}: {tally.unreadable_times} records whose time cannot be read, kept without a time")
        if tally.unknown_timezones:
            notes.append(f"{self.source}: unknown time zone abbreviations read as UTC: {', '.join(sorted(tally.unknown_timezones))}")
        if rejected:
            notes.append(f"{self.source}: {rejected} records rejected (see the rejects file)")
        return notes


def _tagged_mask(text: str) -> tuple[str, dict] | None:
    """(literal mask of the text without its sqlcommenter comment, the tags), or None when
    it has no such comment or no mask (:func:`analysis.sources.sqltext.literal_mask`)."""
    sql, tags = sqltext.strip_sqlcommenter(text)
    if sql is text:
        return None
    key = sqltext.literal_mask(sql)
    return None if key is None else (key, tags)


def _nullable_strings(codes: np.ndarray | None, labels: list[str], n: int) -> pd.api.extensions.ExtensionArray:
    """A ``string`` array of ``labels[code]`` (code -1 or ``codes`` None: NA), built in pyarrow."""
    if codes is None:
        return pd.array(pa.nulls(n, pa.large_string()), dtype="string")
    indices = pa.array(codes, mask=codes < 0)
    return pd.array(pa.DictionaryArray.from_arrays(indices, pa.array(labels, pa.large_string())).cast(pa.large_string()),
                    dtype="string")


def _utc_times(micros: np.ndarray) -> pd.Series:
    """``datetime64[ns, UTC]`` of microseconds since the epoch (:data:`NO_TIME`: NaT)."""
    known = micros != NO_TIME
    if known.all() and (len(micros) == 0 or (micros.min() > -_MAX_NS_MICROS and micros.max() < _MAX_NS_MICROS)):
        nanos = micros * 1000
    elif not known.any() or (np.abs(micros[known]) < _MAX_NS_MICROS).all():
        nanos = np.where(known, micros * 1000 * known, np.iinfo(np.int64).min)
    else:  # beyond the nanosecond range (years before 1677 or after 2262): let pandas say so
        return pd.Series(micros.view("datetime64[us]")).dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
    return pd.Series(nanos.view("datetime64[ns]")).dt.tz_localize("UTC")


#: Microseconds beyond which nanoseconds overflow 64 bits.
_MAX_NS_MICROS = (2**63 - 1) // 1000


def _frame(rows: list[tuple], name: str) -> pd.DataFrame:
    columns = list(frames.SCHEMAS[name])
    if not rows:
        return frames.empty(name)
    return frames.conform(pd.DataFrame(rows, columns=columns), name)

