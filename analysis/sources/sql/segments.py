"""A large PostgreSQL stderr log read in parts, one process per idle core, with the result of one read.

:func:`read_in_parts` cuts an uncompressed ``postgres-stderr`` log into parts of about equal
size, reads the first part in this process and the others in forked worker processes
(each its own :func:`~analysis.sources.sql.formats.postgres_stderr.parse_postgres_stderr`
and :class:`~analysis.sources.sql.miner.StatementColumns`; each process also parses the
table access of a share of its queries), then joins them. The result equals the one of reading the log
from its first line to its last, row for row: it is used only when that can be shown, and
otherwise the caller reads the log in one piece (``None``).

What makes the parts independent:

- a part starts at a line that starts a record (it matches the ``log_line_prefix``), never
  inside a multi-line statement, and at a change of minute: the ``statements`` groups
  (fingerprint, user, database, tags, minute: :data:`~analysis.sources.sql.miner.GROUP_MICROS`)
  never span two parts, so their counts and duration totals are added in the order of a
  single read. Checked on what the parts read: the latest minute of the parts before a part
  is earlier than its first, and no record lacks a time;
- no statement waits for its ``duration:`` line at the end of a part
  (``log_statement`` with ``log_duration``), and no ``STATEMENT:`` line of a part belongs to
  an error at the end of a part before it
  (:class:`~analysis.sources.sql.formats.postgres_stderr.Segment`);
- line numbers (rows, rejects) are offset by the lines of the parts before; fingerprints,
  users and databases keep the order in which a single read meets them; rejects beyond
  :data:`~analysis.core.rejects.MAX_KEPT_PER_SOURCE` are counted as a single read counts them.

The prefix is checked (or inferred) on the first lines before the log is cut, as the
reader does (:func:`~analysis.sources.sql.formats.postgres_stderr.read`).
"""

from __future__ import annotations

import io
import multiprocessing
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from analysis.core.config import SqlSource
from analysis.core.errors import SourceError
from analysis.core.rejects import MAX_KEPT_PER_SOURCE, Rejects
from analysis.sources import sqltext
from analysis.sources.inputs import DAMAGED_STREAM, file_compression, open_bytes, peek
from analysis.sources.sql.formats import DETECT_LINES, NO_TIME, ReadTally, detect_format
from analysis.sources.sql.formats.postgres_prefix import INFER_LINES, infer_prefix, prefix_pattern, refuse_unfit_prefix
from analysis.sources.sql.formats.postgres_stderr import Segment, parse_postgres_stderr

if TYPE_CHECKING:
    from analysis.sources.sql.miner import StatementColumns

#: Bytes scanned after a part's nominal start for a line that starts a new minute.
MAX_CUT_SCAN_BYTES = 64 * 1024 * 1024
#: A gzip-compressed log of at most this many bytes unpacked is read in parts from memory
#: (unpacked in about 0.17 s for 64 MiB, then read like a plain log); a larger one is read
#: whole, as bzip2 and xz logs are. Its bytes are held beside the log's groups: the peak
#: grows by as much.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
#: The bytes of a log one process reads in the time the frame libraries (pandas, numpy,
#: pyarrow) take to load, about 0.35 s: the process that loads them while the workers read
#: takes that much less of the log. Measured with ``bench/sql_logs.py`` on a traced log
#: (about 40 MiB a second, statements and their table access; 2-core machine).
FRAME_LIBRARIES_BYTES = 14 * 1024 * 1024
_READ_BYTES = 1 << 20


@dataclass
class Part:
    """One part as read: its rows, tally, rejects, and what ties it to its neighbours."""

    columns: StatementColumns
    tally: ReadTally
    rejects: Rejects
    segment: Segment
    parsed: dict[str, sqltext.TableAccess] = field(default_factory=dict)
    parse_key: tuple[str, tuple[str, ...]] | None = None
    min_minute: int | None = None  # None: no rows
    max_minute: int | None = None
    untimed: bool = False


def read_in_parts(source: SqlSource, parts: int, max_cached: int,
                  known: dict[str, sqltext.TableAccess] | None = None) -> tuple[StatementColumns, ReadTally, Rejects] | None:
    """The columns, tally and rejects of reading ``source`` (an uncompressed or gzip-compressed
    file whose format is, or is detected as, ``postgres-stderr``) in ``parts`` parts; None
    when the log cannot be cut or the parts are not independent (see the module docstring),
    or it is compressed otherwise, or unpacked larger than :data:`MAX_UNPACKED_BYTES`: read it
    whole. The queries of ``known`` (parsed by an earlier run) are not parsed by the parts."""
    path = Path(source.path)
    compression = file_compression(path)
    if parts < 2 or compression not in (None, "gzip"):
        return None
    global _unpacked
    if compression is not None:
        _unpacked = _gunzipped(path, MAX_UNPACKED_BYTES)
        if _unpacked is None:
            return None
    try:
        return _read_log_in_parts(source, path, parts, max_cached, known)
    finally:
        _unpacked = None


def _read_log_in_parts(source: SqlSource, path: Path, parts: int, max_cached: int,
                       known: dict[str, sqltext.TableAccess] | None) -> tuple[StatementColumns, ReadTally, Rejects] | None:
    name = str(source.path)
    with _open(path) as raw, _text(raw, 0, _size(path)) as fh:
        head, _ = peek(fh, max(DETECT_LINES, INFER_LINES * 4))
    fmt = source.format if source.format != "auto" else detect_format(head[:DETECT_LINES], name)
    if fmt != "postgres-stderr":
        return None
    prefix = source.log_line_prefix
    tally = ReadTally()
    if prefix is None:
        prefix = tally.inferred_prefix = infer_prefix(head, name)
    else:
        refuse_unfit_prefix(head, prefix, name)
    pattern = prefix_pattern(prefix, name)
    if "ts" not in pattern.groupindex:
        return None  # no time in the prefix: every row shares the minute "unknown"
    # the frame libraries are loaded while the workers read: this process's part is shorter
    head_start = 0 if "pandas" in sys.modules else FRAME_LIBRARIES_BYTES
    cuts = _cuts(path, parts, pattern, head_start)
    if len(cuts) < 3:
        return None
    return _read_parts(path, name, cuts, prefix, max_cached, (source.dialect, source.unqualified_schemas(fmt)),
                       known, head_start, tally)


def _read_parts(path: Path, name: str, cuts: list[int], prefix: str, max_cached: int,
                parse_key: tuple[str, tuple[str, ...]], known: dict[str, sqltext.TableAccess] | None,
                head_start: int, tally: ReadTally) -> tuple[StatementColumns, ReadTally, Rejects] | None:
    """The parts between ``cuts`` read, the first here and the others by forked workers, then joined."""
    global _known
    context = multiprocessing.get_context("fork")
    shares = len(cuts) - 1
    _known = known or {}  # the forked workers see it without its being sent
    try:
        with context.Pool(shares - 1) as pool:
            pending = [pool.apply_async(_read_part, (path, name, cuts[i], cuts[i + 1], prefix, max_cached, parse_key, (i, shares)))
                       for i in range(1, shares)]
            if head_start:
                import analysis.sources.sql.statement_frames  # noqa: F401  (what builds the frames once the parts are read)
            first = _read_part(path, name, 0, cuts[1], prefix, max_cached, parse_key, (0, shares), tally)
            others = [p.get() for p in pending]
    finally:
        _known = {}
    return _joined([first, *others], name)


#: The queries a part need not parse (:func:`read_in_parts`' ``known``).
_known: dict[str, sqltext.TableAccess] = {}
#: A gzip-compressed log's bytes, unpacked for its parts (the forked workers share them).
_unpacked: bytes | None = None


def _gunzipped(path: Path, limit: int) -> bytes | None:
    """The bytes of a gzip-compressed file unpacked in memory; None when they are more than
    ``limit`` or the stream is damaged (the log is then read whole, which names the damage)."""
    try:
        with open_bytes(path) as fh:
            data = fh.read(limit + 1)
    except (SourceError, *DAMAGED_STREAM):
        return None
    return data if len(data) <= limit else None


def _open(path: Path) -> IO[bytes]:
    """The log's bytes: the file's, or those unpacked in memory."""
    return io.BytesIO(_unpacked) if _unpacked is not None else path.open("rb")


def _size(path: Path) -> int:
    return len(_unpacked) if _unpacked is not None else path.stat().st_size


def _cuts(path: Path, parts: int, pattern: re.Pattern, head_start: int = 0) -> list[int]:
    """Byte offsets 0 < ... < size: where each part starts, then the file's size. Each cut is
    the record that starts a new minute nearest to where parts of equal size would be cut;
    the first part is ``head_start`` bytes shorter than the others (its process has other
    work to do first: :data:`FRAME_LIBRARIES_BYTES`). A part without such a record is joined
    to the one before."""
    size = _size(path)
    share = (size + head_start) / parts
    cuts = [0]
    with _open(path) as fh:
        for k in range(1, parts):
            at = _nearest_minute_start(fh, max(int(share * k) - head_start, cuts[-1]), cuts[-1], pattern)
            if at is not None and cuts[-1] < at < size:
                cuts.append(at)
    return [*cuts, size]


def _nearest_minute_start(fh: IO[bytes], target: int, low: int, pattern: re.Pattern) -> int | None:
    """The offset of the record that starts a new minute nearest to ``target``: the first
    after it, or the last between ``low`` (a cut: the start of a line) and it when that one
    is nearer. None: none within :data:`MAX_CUT_SCAN_BYTES` after ``target``."""
    after = next(_minute_starts(fh, target, target + MAX_CUT_SCAN_BYTES, pattern), None)
    reach = after - target if after is not None else MAX_CUT_SCAN_BYTES
    before = max(_minute_starts(fh, max(low, target - reach), target, pattern), default=None)  # the last: they ascend
    if before is not None and before > low and (after is None or target - before < after - target):
        return before
    return after


def _minute_starts(fh: IO[bytes], offset: int, end: int, pattern: re.Pattern) -> Iterator[int]:
    """The offsets, from ``offset`` up to ``end``, of the lines that start a ``LOG`` record
    whose minute differs from the record before it (both read after ``offset``; a line cut
    at ``offset`` is skipped unless ``offset`` is 0)."""
    fh.seek(offset)
    if offset:
        fh.readline()  # the rest of a line cut in the middle, or the line before a cut
    at = fh.tell()
    last = None
    index = pattern.groupindex
    zone = index.get("tz")
    while at < end:
        raw = fh.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace").rstrip("\n").removesuffix("\r")
        if line and not line[0].isspace():
            m = pattern.match(line)
            if m is not None and m.group("ts"):
                minute = (m.group("ts")[:16], m.group(zone) if zone else None)
                if last is not None and minute != last and m.group("severity") == "LOG":
                    yield at  # not the STATEMENT or DETAIL line of a message before
                last = minute
        at += len(raw)


class _ByteRange(io.RawIOBase):
    """Bytes ``start`` to ``end`` of an open binary file."""

    def __init__(self, fh: IO[bytes], start: int, end: int):
        super().__init__()
        fh.seek(start)
        self._fh = fh
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._left)
        if n <= 0:
            return 0
        data = self._fh.read(n)
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


def _text(fh: IO[bytes], start: int, end: int) -> IO[str]:
    raw = io.BufferedReader(_ByteRange(fh, start, end), _READ_BYTES)
    # a part starts at a line: only the file's own start may hold a byte-order mark
    return io.TextIOWrapper(raw, encoding="utf-8-sig" if start == 0 else "utf-8", errors="replace", newline="\n")


def _read_part(path: Path, name: str, start: int, end: int, prefix: str, max_cached: int,
               parse_key: tuple[str, tuple[str, ...]], share: tuple[int, int], tally: ReadTally | None = None) -> Part:
    """Bytes ``start`` to ``end`` of the log read, and the table access (in ``parse_key``'s
    dialect and search path) of its queries whose fingerprint falls to it: ``share`` (i, n),
    the fingerprint modulo n is i. Each query is then parsed about once, by one of the
    processes; the few no part was given are parsed after the join."""
    from analysis.sources.sql.miner import GROUP_MICROS, StatementColumns

    tally = tally if tally is not None else ReadTally()
    rejects = Rejects()
    segment = Segment(first=start == 0)
    columns = StatementColumns(name, dialect="postgres", max_cached=max_cached)
    with _open(path) as fh:
        columns.add_all(parse_postgres_stderr(_text(fh, start, end), prefix, name, rejects, tally=tally, segment=segment))
    columns.forget_groups()
    part = Part(columns, tally, rejects, segment)
    if len(columns.ts):
        part.untimed = NO_TIME in columns.ts
        if not part.untimed:  # an untimed part is read whole anyway (_joined)
            first, last = min(columns.ts), max(columns.ts)
            part.min_minute, part.max_minute = first - first % GROUP_MICROS, last - last % GROUP_MICROS
    index, shares = share
    part.parsed = {n: sqltext.table_access(n, *parse_key)
                   for fp, n in zip(columns.fingerprints, columns.normalized) if int(fp, 16) % shares == index and n not in _known}
    part.parse_key = parse_key
    return part


def _joined(parts: list[Part], name: str) -> tuple[StatementColumns, ReadTally, Rejects] | None:
    """The parts as one read, or None when they are not independent."""
    latest: int | None = None
    errors_before: set = set()
    for i, part in enumerate(parts):
        if part.untimed:
            return None
        if i and (part.segment.orphan_statement_pids & errors_before):
            return None
        if i < len(parts) - 1 and part.segment.pending_at_end:
            return None
        if part.min_minute is not None:
            if latest is not None and part.min_minute <= latest:
                return None
            latest = part.max_minute
        errors_before |= part.segment.error_pids_at_end
    first = parts[0]
    columns, tally, rejects = first.columns, first.tally, first.rejects
    columns.parsed, columns.parsed_key = first.parsed, first.parse_key
    lines_before = tally.lines + tally.blank
    for part in parts[1:]:
        columns.join(part.columns, lines_before)
        columns.parsed.update(part.parsed)
        _add_tally(tally, part.tally)
        _add_rejects(rejects, part.rejects, name, lines_before)
        lines_before += part.tally.lines + part.tally.blank
    return columns, tally, rejects


def _add_tally(into: ReadTally, other: ReadTally) -> None:
    for key in ("lines", "blank", "executions", "errors", "parse_bind", "orphan_durations", "nested_statements",
                "nested_calls", "unreadable_times"):
        setattr(into, key, getattr(into, key) + getattr(other, key))
    into.unknown_timezones |= other.unknown_timezones
    for what, n in other.other.items():
        into.count(what, n)


_LINE = re.compile(r"line (\d+)\Z")


def _add_rejects(into: Rejects, other: Rejects, name: str, lines_before: int) -> None:
    """``other``'s rejects after ``into``'s, their line numbers offset; kept in detail up to
    the limit a single read keeps, counted beyond it."""
    for r in other.records:
        m = _LINE.match(r.location)
        location = f"line {int(m.group(1)) + lines_before}" if m else r.location
        into.counts[r.source] += r.records
        if into.kept(r.source) < MAX_KEPT_PER_SOURCE:
            into._kept[r.source] = into.kept(r.source) + 1
            into.records.append(type(r)(r.source, location, r.reason, r.excerpt, r.records))
    for source, n in other.counts.items():
        kept = sum(r.records for r in other.records if r.source == source)
        if n > kept:
            into.counts[source] += n - kept
