"""SQL query logs -> executed statements, queries, table access and joins.

``mine_sql_log(source, rejects)`` reads one log named by a :class:`~analysis.core.config.SqlSource`:
``source.format`` picks the reader (one per format family, in
:mod:`analysis.sources.sql.formats`: PostgreSQL stderr / syslog / csvlog / jsonlog,
pg_stat_statements as a CSV export or live through ``source.dsn``, MySQL / MariaDB general
and slow logs); ``auto`` detects it from the first lines and, when nothing fits, raises a
:class:`~analysis.core.errors.SourceError` quoting the first line. ``.gz`` and ``.bz2`` files
are decompressed while read. Every reader yields the same statement records; this module
fingerprints them into :class:`StatementColumns`, and :mod:`analysis.sources.sql.statement_frames` builds the frames.

Fingerprints: each logged text loses its end comments and is normalized
(:func:`analysis.sources.sqltext.normalize`, in the MySQL flavour for ``mysql-*`` formats), then
hashed (:func:`analysis.sources.sqltext.fingerprint`). The work is per statement *shape*, not per
execution, because a traced application makes every logged text unique (each carries its
own traceparent):

- the text with its traceparent values left out is the key of a first cache (a few ``find``
  for the common texts with one traceparent, or two: a framework's comment then the
  driver's; :func:`analysis.sources.sqltext.lift_traceparents` for more): a text met before
  costs that scan and one lookup;
- a new one: one scan takes the comments off the text's ends (:func:`analysis.sources.sqltext.end_comments`);
- the statement without them is looked up by its text (the same statement under another
  route's comment is no new work); the first time, by its *literal mask*
  (:func:`analysis.sources.sqltext.literal_mask`: the text with its literals blanked, which
  executions differing only in their values share; generated savepoint and cursor names
  made canonical first, :func:`analysis.sources.sqltext.canonical_names`), and only a new
  mask is normalized;
- the comments are looked up by their shape, the comments with the traceparent values
  left out (:func:`analysis.sources.sqltext.lift_traceparents`): only a new shape is
  decoded (URL-decoding, merging the tags of two comments); each execution's traceparent
  is read from its place, and its trace and span ids are read once per traceparent value
  (the statements of one request share their framework's).

The caches (texts, statements, masks, shapes; traceparent values, of which only the requests
running at once repeat, :data:`MAX_CACHED_TRACEPARENTS`) are bounded (``max_cached``) and
emptied when full. ``StatementColumns.normalizations`` and ``tag_decodings`` count the work done.

Parts: a PostgreSQL stderr log of :data:`PARALLEL_BYTES` or more (uncompressed, or gzip
unpacked in memory), on a machine
with a core to spare (:func:`idle_cores`: on a busy machine the workers' results and their
own caches cost more than the parts save), is read in parts, one process per idle core
(:mod:`analysis.sources.sql.segments`), when they can be shown to give the result of one
read (cut at records that start a new minute, nothing pending across a cut); otherwise whole.

Table access: each distinct fingerprint is parsed once with sqlglot (in a worker process
while the log is read, for logs of :data:`BACKGROUND_PARSE_BYTES` and more on a machine with
an idle core: :class:`BackgroundTableAccess`; on a busy one the worker would cost more than it
saves) in the dialect of its
source (``mysql`` for MySQL logs, else ``source.dialect``), with ``source.search_path``
(PostgreSQL) or ``source.default_database`` (MySQL) naming the schemas whose tables are
written without a schema (:meth:`analysis.core.config.SqlSource.unqualified_schemas`,
:func:`analysis.sources.sqltext.table_access`). With a ``cache_dir``, the table access of the
queries parsed is kept there and a later log's queries met before are not parsed again
(:mod:`analysis.sources.sql.access_cache`: the same sqlglot, dialect and search path only).

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

import gc
import multiprocessing
import os
import re
import time
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.core.config import SqlSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources import sqltext
from analysis.sources.inputs import file_compression, open_text, peek
from analysis.sources.sql import access_cache
from analysis.sources.sql.formats import DETECT_LINES, NO_TIME, ReadTally, StatementRecord, detect_format, masked_line, reader
from analysis.sources.sql.formats.postgres_stderr import PREFIX_SAMPLE_LINES, parse_postgres_stderr, prefix_pattern

if TYPE_CHECKING:
    from analysis.core.frames import SourceFrames

__all__ = [
    "mine_sql_log", "read_statements", "StatementColumns", "parse_postgres_stderr", "prefix_pattern",
    "StderrTally", "ReadTally", "StatementRecord", "PREFIX_SAMPLE_LINES",
]

#: Former name of :class:`~analysis.sources.sql.formats.ReadTally`.
StderrTally = ReadTally
#: Distinct literal masks, statement texts and comment shapes remembered (each cache emptied when full).
MAX_CACHED_TEXTS = 65_536
#: Traceparent values remembered with their ids (the requests running at once share theirs).
MAX_CACHED_TRACEPARENTS = 4_096
#: Statements longer than this are not remembered by their text (only by their literal mask).
_CACHED_TEXT_CHARS = 2_000
#: Logs from this size on have their queries parsed by a worker process while they are read
#: (:class:`BackgroundTableAccess`); below, forking costs more than it saves.
BACKGROUND_PARSE_BYTES = 32 * 1024 * 1024
#: Uncompressed PostgreSQL stderr logs from this size on are read in parts, one process per
#: idle core (:mod:`analysis.sources.sql.segments`), up to :data:`MAX_PARTS`. Measured on
#: prefixes of a real traced log, read from a new process on two cores: in parts 0.81 s
#: against 0.95 s whole at 4 MiB, 1.08 against 1.27 at 16 MiB, 1.20 against 1.66 at 32 MiB.
PARALLEL_BYTES = 4 * 1024 * 1024
MAX_PARTS = 8
#: Executions in the same minute (and with the same fingerprint, user, database and tags)
#: become one ``statements`` row.
GROUP_MICROS = 60_000_000

_TRACEPARENT_MARK = "traceparent='"
_END_COMMENTS = sqltext._END_COMMENTS
_TRACEPARENT = re.compile(r"\s*[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}\s*", re.I)
_NO_TRACE, _NO_SPAN = "0" * 32, "0" * 16
_MYSQL_FORMATS = ("mysql-general", "mysql-slow")


def mine_sql_log(source: SqlSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """Read one SQL log into ``statements``, ``queries``, ``table_access`` and ``joins``
    (the registry caches the frames; ``cache_dir``: where the table access of the queries
    parsed is kept for the next log, :mod:`analysis.sources.sql.access_cache`; None: no such cache).

    The rejects reach ``rejects`` with the literals of their excerpts masked
    (:func:`analysis.sources.sql.formats.masked_line`): the rejects file is written beside
    the report.
    """
    name = str(source.path)
    tally = ReadTally()
    read_rejects = Rejects()
    mysql = source.format in _MYSQL_FORMATS
    columns = StatementColumns(name, dialect="mysql" if mysql else "postgres")
    known_key = (_dialect(source, source.format), source.unqualified_schemas(source.format)) if source.format != "auto" else None
    known = access_cache.load(cache_dir, *known_key) if cache_dir is not None and known_key else {}
    columns.known = known
    try:
        parts = _read_in_parts(source, known)
        if parts is not None:
            columns, tally, read_rejects = parts
            fmt = "postgres-stderr"
        else:
            fmt = _read(source, columns, read_rejects, tally)
    finally:
        _masked_into(read_rejects, rejects, columns.dialect)
    key = (_dialect(source, fmt), source.unqualified_schemas(fmt))
    if cache_dir is not None and key != known_key:
        known = access_cache.load(cache_dir, *key)
    # the frame libraries (pandas, numpy, pyarrow) load here, not with this module: a log
    # read in parts starts its workers before they are loaded (analysis.sources.sql.segments)
    from analysis.sources.sql.statement_frames import mined_frames

    result = mined_frames(columns, *key, tally, rejects.count(name), fmt, known=known)
    access_cache.save(cache_dir, *key, known, columns.met)
    return result


def _dialect(source: SqlSource, fmt: str) -> str:
    """The sqlglot dialect of the queries of a log read as ``fmt``."""
    return ("mysql" if source.dialect == "postgres" else source.dialect) if fmt in _MYSQL_FORMATS else source.dialect


def _file_bytes(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _log_bytes(path: Path) -> int:
    """The bytes of the log: a gzip-compressed file's unpacked size as its trailer gives it
    (modulo 4 GiB: of its last member), any other file's size."""
    if file_compression(path) == "gzip":
        try:
            with path.open("rb") as fh:
                fh.seek(-4, os.SEEK_END)
                return int.from_bytes(fh.read(4), "little")
        except OSError:
            return 0
    return _file_bytes(path)


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _read_in_parts(source: SqlSource, known: dict[str, sqltext.TableAccess] | None = None) -> tuple[StatementColumns, ReadTally, Rejects] | None:
    """A large PostgreSQL stderr log (uncompressed or gzip) read in parts, one process per core
    (:mod:`analysis.sources.sql.segments`, the same result as one read; the queries of
    ``known`` are not parsed again); None: read it whole."""
    if source.format not in ("postgres-stderr", "auto") or _log_bytes(Path(source.path)) < PARALLEL_BYTES:
        return None
    cores = min(available_cores(), MAX_PARTS, 1 + idle_cores())
    if cores < 2:  # no core to spare: parts cost more than they save (the worker's results, its own caches)
        return None
    from analysis.sources.sql.segments import read_in_parts

    try:
        return read_in_parts(source, cores, MAX_CACHED_TEXTS, known)
    except OSError as exc:
        raise SourceError(str(source.path), f"cannot read the log: {exc}") from None


def idle_cores() -> int:
    """Cores no other process is running on now: those this process may run on less the
    processes running (:func:`running_now`, this one counted: it takes a core); where that
    cannot be read, less the one-minute load average, rounded down. 0 when neither can be
    read. The load average lags: for a minute after a busy spell it counts cores that are idle."""
    running = running_now()
    if running is not None:
        return max(0, available_cores() - running)
    try:
        return max(0, int(available_cores() - os.getloadavg()[0]))
    except OSError:
        return 0


def running_now(looks: int = 3, apart_s: float = 0.005) -> int | None:
    """The processes running at this instant (Linux: the running count of ``/proc/loadavg``,
    this process included), the fewest of ``looks`` looks ``apart_s`` apart so that one
    passing process does not count; None where it cannot be read."""
    counts = []
    try:
        for look in range(looks):
            if look:
                time.sleep(apart_s)
            with open("/proc/loadavg", encoding="ascii") as fh:
                counts.append(int(fh.read().split()[3].split("/")[0]))
    except (OSError, ValueError, IndexError):
        return None
    return min(counts)


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
            if _log_bytes(Path(source.path)) >= BACKGROUND_PARSE_BYTES and idle_cores() >= 1:
                columns.parse_in_background(_dialect(source, fmt), source.unqualified_schemas(fmt))
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
        self._by_mask: dict[str, int] = {}  # literal mask -> fingerprint index
        self._by_text: dict[str, tuple[int, str | None, str | None, int]] = {}  # text without traceparent values -> _shape_of
        self._by_shape: dict[str, tuple[str | None, str | None, int]] = {}  # comments without traceparents -> tags
        self._by_sql: dict[str, int] = {}  # statement without its end comments -> fingerprint index
        self._traceparent_ids: dict[str, tuple[str, ...]] = {}  # traceparent value -> (trace id, span id), () if none
        self.records = 0  # statement records added (empty ones included)
        self.executions = 0  # the executions they stand for
        self.empty = 0
        self.without_duration = 0
        self.normalizations = 0
        self.tag_decodings = 0
        self._background: BackgroundTableAccess | None = None
        #: table access already parsed, by normalized text (a part read by a worker process)
        self.parsed: dict[str, sqltext.TableAccess] = {}
        self.parsed_key: tuple[str, tuple[str, ...]] | None = None  # (dialect, search path) they were parsed in
        #: table access kept by an earlier run (:mod:`analysis.sources.sql.access_cache`): not sent to the background parser
        self.known: dict[str, sqltext.TableAccess] = {}
        #: the table access of each query of the frames, by normalized text (what the cache keeps)
        self.met: dict[str, sqltext.TableAccess] = {}

    def parse_in_background(self, dialect: str, search_path: tuple[str, ...]) -> None:
        """Parse the table access of each new query in a worker process while the log is
        still being read (:class:`BackgroundTableAccess`); :meth:`frames` takes the results."""
        self._background = BackgroundTableAccess(dialect, search_path)

    # ----------------------------------------------------------------------------------
    # reading

    def add(self, record: StatementRecord) -> None:
        self.add_all((record,))

    def add_all(self, records: Iterable[StatementRecord]) -> None:
        """Add every record of ``records`` (the loop of :meth:`add`, with its lookups bound once).

        Per record, the text with its traceparent values left out
        (:func:`analysis.sources.sqltext.lift_traceparents`: what the executions of one
        statement shape with the same literals share) is looked up in a cache of what it
        stands for: its fingerprint, route, controller and which traceparent counts. Only a
        text not met before is read in full (:meth:`_shape_of`); each execution then reads
        its own traceparent from its place.
        """
        by_shape, tag_index = self._by_text, self._tag_index
        groups, count, duration_of = self._groups, self.count, self.duration
        users, databases = self._users, self._databases
        add_line, add_ts, add_count, add_duration = self.line.append, self.ts.append, count.append, duration_of.append
        add_fp, add_user, add_database, add_tags = self.fp.append, self.user.append, self.database.append, self.tags.append
        lift, traceparent_of, shape_of = sqltext.lift_traceparents, _TRACEPARENT.fullmatch, self._shape_of
        mark, mark_length = _TRACEPARENT_MARK, len(_TRACEPARENT_MARK)
        tag_rows, add_tag_row, set_tag, set_group = self.tag_rows, self.tag_rows.append, tag_index.setdefault, groups.setdefault
        read_ids: dict[str, tuple[str, ...]] = self._traceparent_ids  # () when it names no trace
        ids_of, max_ids = read_ids.get, min(self.max_cached, MAX_CACHED_TRACEPARENTS)
        empty = without_duration = n_records = n_executions = 0
        # Reading makes no reference cycles (tuples, strings, dicts), so the cycle collector
        # would only walk every object of the process again and again as the groups grow.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for line, ts_us, _, user, database, duration, text, _, executions in records:
                n_records += 1
                n_executions += executions
                # sqltext.lift_traceparents, inlined for the common texts: one traceparent, or two
                # (a framework's comment, then the driver's)
                values: tuple[str, ...] = ()
                key = text
                begin = text.find(mark)
                if begin >= 0:
                    begin += mark_length
                    end = text.find("'", begin)
                    if end >= 0:
                        second = text.find(mark, end)
                        if second < 0:
                            key = text[:begin] + text[end:]
                            values = (text[begin:end],)
                        else:
                            second += mark_length
                            second_end = text.find("'", second)
                            if second_end >= 0 and text.find(mark, second_end) < 0:
                                key = text[:begin] + text[end:second] + text[second_end:]
                                values = (text[begin:end], text[second:second_end])
                            else:
                                key, values = lift(text)
                known = by_shape.get(key)
                if known is None:
                    known = shape_of(key, text, len(values))
                fp, route, controller, at = known
                if fp < 0:
                    empty += 1
                    continue
                tags = 0
                ids = None
                if at >= 0:  # the ids of a traceparent, read once for the statements of a request
                    value = values[at]
                    ids = ids_of(value)
                    if ids is None:
                        if (t := traceparent_of(value)) is not None and \
                                (trace_id := t.group(1).lower()) != _NO_TRACE and (span_id := t.group(2).lower()) != _NO_SPAN:
                            ids = (trace_id, span_id)
                        else:
                            ids = ()
                        if len(read_ids) >= max_ids:
                            read_ids.clear()
                        read_ids[value] = ids
                if ids:
                    row: tuple | None = (ids[0], ids[1], route, controller)
                elif route is not None or controller is not None:
                    row = (None, None, route, controller)
                else:
                    row = None
                if row is not None:  # one lookup: a traced row is new most of the time
                    tags = set_tag(row, len(tag_rows))
                    if tags == len(tag_rows):
                        add_tag_row(row)
                minute = ts_us if ts_us == NO_TIME else ts_us - ts_us % GROUP_MICROS
                new = len(count)
                g = set_group((fp, user, database, tags, minute), new)
                if g == new:  # a new group, inlined
                    add_line(line)
                    add_ts(ts_us)
                    add_count(executions)
                    add_duration(duration)
                    add_fp(fp)
                    add_user(users[user] if user in users else users.setdefault(user, len(users)))
                    add_database(databases[database] if database in databases else databases.setdefault(database, len(databases)))
                    add_tags(tags)
                    if duration != duration:
                        without_duration += 1
                    continue
                count[g] += executions
                if duration == duration:
                    total = duration_of[g]
                    duration_of[g] = duration if total != total else total + duration
                else:
                    without_duration += 1
        finally:
            if collecting:
                gc.enable()
            self.records += n_records
            self.executions += n_executions
            self.empty += empty
            self.without_duration += without_duration

    def forget_groups(self) -> None:
        """Drop what only reading needs (the groups' keys, the caches); no record may be
        added afterwards. What a part read by a worker sends back is then its rows."""
        self._groups = {}
        self._tag_index = {}
        self._by_mask, self._by_text, self._by_shape, self._by_sql = {}, {}, {}, {}
        self._traceparent_ids = {}

    def join(self, other: StatementColumns, lines_before: int) -> None:
        """Append the rows of ``other``, the part of the log that follows the one read here
        and starts ``lines_before`` lines into it (:mod:`analysis.sources.sql.segments`):
        its lines offset, its fingerprints, users, databases and tags renumbered (new ones
        after those met here, in its order). No group of ``other`` may share a minute with
        one read here (the caller checks it); no record may be added afterwards."""
        fp_map = []
        for fp, normalized in zip(other.fingerprints, other.normalized):
            index = self._fp_index.get(fp)
            if index is None:
                index = self._fp_index[fp] = len(self.fingerprints)
                self.fingerprints.append(fp)
                self.normalized.append(normalized)
            fp_map.append(index)
        user_map = [self._users.setdefault(u, len(self._users)) for u in other._users]
        database_map = [self._databases.setdefault(d, len(self._databases)) for d in other._databases]
        tag_offset = len(self.tag_rows) - 1
        self.tag_rows.extend(other.tag_rows[1:])
        self.line.extend(array("q", [line + lines_before for line in other.line]))
        self.ts.extend(other.ts)
        self.duration.extend(other.duration)
        self.count.extend(other.count)
        self.fp.extend(array("i", [fp_map[code] for code in other.fp]))
        self.user.extend(array("i", [user_map[code] for code in other.user]))
        self.database.extend(array("i", [database_map[code] for code in other.database]))
        self.tags.extend(array("i", [code + tag_offset if code else 0 for code in other.tags]))
        self.records += other.records
        self.executions += other.executions
        self.empty += other.empty
        self.without_duration += other.without_duration
        self.normalizations += other.normalizations
        self.tag_decodings += other.tag_decodings

    def user_labels(self) -> list[str]:
        """The users, in the order of their codes (``user``)."""
        return list(self._users)

    def database_labels(self) -> list[str]:
        """The databases, in the order of their codes (``database``)."""
        return list(self._databases)

    def take_parsed(self, dialect: str, search_path: tuple[str, ...]) -> dict[str, sqltext.TableAccess]:
        """The table access parsed while the log was read, in ``dialect`` and ``search_path``
        (by the parts' processes, by the background worker: stopped here), by normalized text."""
        parsed: dict[str, sqltext.TableAccess] = {}
        if self.parsed and self.parsed_key == (dialect, search_path):
            parsed.update(self.parsed)
        if self._background is not None:
            if self._background.key == (dialect, search_path):
                parsed.update(self._background.results())
            self._background.close()
            self._background = None
        return parsed

    def _fingerprint_of(self, sql: str) -> int:
        """The fingerprint index of a statement (without its end comments) not met before
        verbatim: by its literal mask when it has one (texts sharing a mask normalize alike),
        else normalized; remembered under its text (bounded caches, emptied when full)."""
        canonical = sqltext.canonical_names(sql)  # generated cursor names would make every mask new
        key = sqltext.literal_mask(canonical) if self.dialect == "postgres" else None
        if key is None:
            fp = self._fingerprint(canonical)
        else:
            found = self._by_mask.get(key)
            if found is not None:
                fp = found
            else:
                fp = self._fingerprint(canonical)
                if len(self._by_mask) >= self.max_cached:
                    self._by_mask.clear()
                self._by_mask[key] = fp
        return fp

    def _shape_of(self, key: str, text: str, traceparents: int) -> tuple[int, str | None, str | None, int]:
        """(fingerprint index, route, controller, which of the text's traceparents counts: -1
        none) of a text met for the first time under ``key`` (the text without its
        traceparent values), remembered under it when it is not too long."""
        start = text.find("/*")
        if start > 0 and text.find(_TRACEPARENT_MARK, 0, start) < 0 and _END_COMMENTS.fullmatch(text, start):
            # sqltext.end_comments' common case, every traceparent in the comments at the end:
            # the key's end is their shape, and their values are the text's
            sql, comments = text[:start].rstrip(), text[start:]
            shape: str | None = key[start:]
        else:
            sql, comments = sqltext.end_comments(text)
            shape = None
        fp = self._by_sql.get(sql)  # the statement met before with other comments (another route)
        if fp is None:
            fp = self._fingerprint_of(sql)
            if len(sql) < _CACHED_TEXT_CHARS:
                if len(self._by_sql) >= self.max_cached:
                    self._by_sql.clear()
                self._by_sql[sql] = fp
        route = controller = None
        at = -1
        if comments:
            before = 0  # traceparent values before the comments (the statement may hold the word, in a literal)
            if shape is None:
                shape, values = sqltext.lift_traceparents(comments)
                before = traceparents - len(values)
            route, controller, at_comment = self._by_shape.get(shape) or self._decode(shape)
            if at_comment >= 0:
                at = before + at_comment
        known = (fp, route, controller, at)
        if len(key) < _CACHED_TEXT_CHARS:
            if len(self._by_text) >= self.max_cached:
                self._by_text.clear()
            self._by_text[key] = known
        return known

    def _fingerprint(self, sql: str) -> int:
        """Index of the fingerprint of ``sql`` normalized, -1 when it normalizes to nothing."""
        self.normalizations += 1
        normalized = sqltext.normalize(sql, dialect=self.dialect)
        if not normalized:
            return -1
        fp = sqltext.fingerprint(normalized)
        index = self._fp_index.get(fp)
        if index is None:
            index = self._fp_index[fp] = len(self.fingerprints)
            self.fingerprints.append(fp)
            self.normalized.append(normalized)
            if self._background is not None and normalized not in self.known:
                self._background.add(normalized)
        return index

    def _tag_row_of(self, comments: str) -> int:
        """The tag row of a statement's end comments (what :meth:`add_all` does inline). Each
        execution of a traced statement has its own traceparent; the rest of its comments
        (route, controller, driver) has few shapes, so it is decoded (URL-decoded, merged)
        once per shape and the traceparent is read from its place
        (:func:`analysis.sources.sqltext.lift_traceparents`)."""
        shape, values = sqltext.lift_traceparents(comments)
        route, controller, at = self._by_shape.get(shape) or self._decode(shape)
        t = _TRACEPARENT.fullmatch(values[at]) if at >= 0 else None
        if t is not None and t.group(1).lower() != _NO_TRACE and t.group(2).lower() != _NO_SPAN:
            return self._tag_row((t.group(1).lower(), t.group(2).lower(), route, controller))
        if route is None and controller is None:
            return 0
        return self._tag_row((None, None, route, controller))

    def _tag_row(self, row: tuple) -> int:
        index = self._tag_index.get(row)
        if index is None:
            index = self._tag_index[row] = len(self.tag_rows)
            self.tag_rows.append(row)
        return index

    def _decode(self, shape: str) -> tuple[str | None, str | None, int]:
        """(route, controller, which traceparent value counts: -1 none) of a comments' shape."""
        self.tag_decodings += 1
        bodies = sqltext.comment_bodies(shape)
        tags, body = sqltext.tags_with_traceparent_at(bodies)
        at = sum(b.count("traceparent='") for b in bodies[:body]) if body >= 0 else -1
        decoded = (tags.get("route"), tags.get("controller"), at)
        if len(self._by_shape) >= self.max_cached:
            self._by_shape.clear()
        self._by_shape[shape] = decoded
        return decoded

class BackgroundTableAccess:
    """The table access of queries (:func:`analysis.sources.sqltext.table_access`), parsed by
    one worker process while the log is still being read.

    Parsing with sqlglot costs milliseconds per query; a log with a thousand distinct
    queries spends about a second on it, which a second core does beside the reading. The
    worker is forked (it shares the loaded modules); queries are sent in batches of
    ``batch``. Used for logs of :data:`BACKGROUND_PARSE_BYTES` and more, when a core the
    process may run on is idle (:func:`idle_cores`: on a busy machine forking, sending the
    queries and the results cost about 0.15 s of CPU for nothing gained); the results equal
    those parsed in the process.
    """

    def __init__(self, dialect: str, search_path: tuple[str, ...], batch: int = 64):
        self.key = (dialect, search_path)
        self.batch = batch
        self._waiting: list[str] = []
        self._sent: list = []
        # the worker's collections skip what it was forked with (and leave those pages shared)
        self._pool = multiprocessing.get_context("fork").Pool(1, initializer=gc.freeze)

    def add(self, normalized: str) -> None:
        self._waiting.append(normalized)
        if len(self._waiting) >= self.batch:
            self._send()

    def _send(self) -> None:
        texts, self._waiting = self._waiting, []
        self._sent.append((texts, self._pool.apply_async(_table_accesses, (texts, *self.key))))

    def results(self) -> dict[str, sqltext.TableAccess]:
        """Every query's table access, by its normalized text."""
        if self._waiting:
            self._send()
        found: dict[str, sqltext.TableAccess] = {}
        for texts, pending in self._sent:
            found.update(zip(texts, pending.get()))
        return found

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


def _table_accesses(texts: list[str], dialect: str, search_path: tuple[str, ...]) -> list[sqltext.TableAccess]:
    return [sqltext.table_access(t, dialect, search_path) for t in texts]
