"""Git history: which commits changed which files, by whom and when.

Entry point: :func:`mine_git_history` returns the ``commits`` and ``file_changes`` frames
(contracts in :mod:`analysis.frames`):

- ``commits``: commit, author_name, author_email, authored_at, committed_at (UTC),
  parents, is_merge, subject — one row per commit reachable from ``HEAD``, oldest first
  (by committer date; commits with the same date keep git's parent-before-child order).
- ``file_changes``: commit, path, old_path, change_type (A, M, D, R), added, deleted — one
  row per file a non-merge commit touched, in commit order.

How it is mined (the fast path)
-------------------------------

Change frequency and change coupling need file names, not line counts, so the history is
read in two passes:

1. **names** — ``git log --name-status`` over the whole history (no blob is diffed unless
   rename detection asks for it), streamed and parsed while git writes. With two cores or
   more, the first :data:`SPLIT_MIN_COMMITS` commits are logged while ``git rev-list``
   lists the walk, and the rest of a longer history is cut in two contiguous ranges
   logged by two processes at once; their outputs, one after the other, are byte for
   byte the single log's (:func:`_names_pass`);
2. **churn** — line counts (``--raw --numstat``, where git diffs every blob) only for the
   commits that need them: none (``churn: none``), the ``churn_days`` before the last
   commit (``churn: recent``, the default) or all (``churn: full``). The commit list is cut
   into contiguous ranges fed to several ``git log --no-walk=unsorted --stdin`` processes
   at once, one per core, and their counts are joined to the names by (commit, path).

Both passes run read-only (``HEAD`` is resolved once, so every process walks the same
commits)::

    git --no-pager -C REPO -c core.quotepath=off log HEAD --no-color --no-ext-diff
        --no-textconv --no-show-signature --encoding=UTF-8 --root -z
        (--name-status | --raw --numstat) (-M | --no-renames) [--since=DATE]
        --format=%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%s --

(``%aN``/``%aE`` instead of ``%an``/``%ae`` when ``mailmap`` is on: git then maps names
and emails through the repository's ``.mailmap``.) git runs with ``GIT_FLUSH=0``: writing
into a pipe it would otherwise flush after every commit, and those small writes and the
reader's wake-ups cost about 0.2 s of system time over 22,600 commits. The names pass is
read in 1 MiB pieces, each parsed and turned into Arrow columns while git writes the
next, so what is left when git exits is one piece, a sort and the frames' assembly.
With ``-z`` every field and every path
is terminated by a NUL byte, so paths with spaces, braces, ``=>`` or newlines survive
intact. One commit record is::

    \\x1e SHA \\0 PARENTS \\0 AUTHOR \\0 EMAIL \\0 AUTHOR-DATE \\0 COMMIT-DATE \\0 SUBJECT \\0
    \\n                                      (only when change entries follow)
    M \\0 path \\0   R087 \\0 old \\0 new \\0                    (--name-status)
    :100644 100644 1a2b3c4 5d6e7f8 M \\0 path \\0             (--raw; R/C entries carry
    :100644 100644 1a2b3c4 5d6e7f8 R087 \\0 old \\0 new \\0     old and new paths)
    3 \\t 1 \\t path \\0                                       (--numstat, same order as --raw)
    3 \\t 1 \\t \\0 old \\0 new \\0                              (a rename)
    - \\t - \\t path \\0                                       (a binary file: counts unknown)

The change type comes from the status entry (``T``, a type change, is read as ``M``; ``C``,
a copy, as ``A`` with its source in ``old_path``); the line counts from the numstat entry at
the same position. Commits without line counts have ``added`` and ``deleted`` ``<NA>``.

Renames (``follow_renames``): with ``-M`` git pairs a deleted and an added file whose
contents are at least 50 % alike into one ``R`` row (``old_path`` set), so a moved file's
later history continues under its new path and the move itself is one change, not two.
With ``--no-renames`` the move is a ``D`` and an ``A`` row and nothing links them; names
are then cheaper to mine (git diffs no blobs at all).

Merge commits are kept in ``commits`` (``is_merge`` True) but list no file changes: like
``git log`` without ``-m``, their changes are counted once, in the commits that made them.

Exclusions, each counted in the notes: commits whose author name or email matches one of
``exclude_authors`` (globs: ``*`` any text, ``?`` one character, everything else literal,
case-insensitive; the defaults match common bots) or whose subject matches one of the
``exclude_messages`` regexes (``re.search``: bulk formatting, mass renames) are left out of
both frames; file changes whose path matches an ``ignore_paths`` glob
(:func:`analysis.contexts.glob_regex`) are dropped.

Text is decoded as UTF-8; bytes that are not (an author name written in Latin-1, a path
in a legacy encoding) become U+FFFD and the record is kept. A record that cannot be read
is rejected (``source="git"``, ``location="commit <sha>"``).

Incremental cache (``cache_dir``): the mined history is kept as Parquet segments under
``cache_dir/<repository and options key>/``. A re-run at the same ``HEAD`` reads them back;
when ``HEAD`` has moved forward (the cached head is an ancestor), only ``OLDHEAD..HEAD`` is
mined and appended as one more segment, so the cost grows with the new commits, not with
the history; a rewritten history is mined again from scratch. Exclusions and ignored paths
are applied after the cache, so changing them never re-mines.

The repository is never written: no checkout, no config change, optional locks off
(``GIT_OPTIONAL_LOCKS=0``), stdin closed or fed from a temporary file outside it, and
variables that would point git at another repository (``GIT_DIR``, ``GIT_WORK_TREE``, ...)
removed from its environment.

:func:`rich_commits` is the other door: PyDriller's per-commit fields (delta maintainability,
changed methods) over a chosen window, read from a throw-away shared clone because
PyDriller writes to the configuration of the repository it opens.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis import frames
from analysis.config import GitSource
from analysis.contexts import glob_regex
from analysis.errors import SourceError
from analysis.frames import SourceFrames
from analysis.rejects import Reject, Rejects

SOURCE = "git"
RECORD_MARK = "\x1e"
HEADER_FIELDS = 7  # sha, parents, author name, author email, author date, commit date, subject
CHUNK_BYTES = 1 << 20  # large reads: the parser keeps pace with git and the pipe stays full
CHURN_MODES = ("recent", "full", "none")
#: Commits below which the churn pass runs as one process (starting more costs more than it saves).
PARALLEL_MIN_COMMITS = 200
#: Ranges per worker in the churn pass: smaller ranges balance uneven commits across cores.
RANGES_PER_WORKER = 4
#: Commits the names pass reads in its first git process while ``git rev-list`` lists the
#: walk; a longer history has the rest logged by two more processes at once (with one core,
#: one process reads everything).
SPLIT_MIN_COMMITS = 4000
#: Share of the commits after the first :data:`SPLIT_MIN_COMMITS`, the newer ones, in the
#: first of the two parts. Whether newer or older commits cost git more depends on the
#: repository (the fastest share was about 0.4 on hugo, 0.6 on spring-boot, either on saleor).
SPLIT_FIRST_SHARE = 0.5
#: Pieces read from the first process of a split names pass: small enough to start the
#: other two soon after the listing ends.
SPLIT_FIRST_CHUNK_BYTES = 1 << 18
CACHE_FORMAT = 1

#: Variables that would make git read another repository than the one asked for.
_REPOSITORY_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
)

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_STATUS = re.compile(r"[A-Z][0-9]*")
_NUMSTAT = re.compile(r"(\d+|-)\t(\d+|-)\t(.*)", re.DOTALL)
_CHANGE_TYPES = {"A": "A", "M": "M", "D": "D", "R": "R", "T": "M", "C": "A"}


def log_format(mailmap: bool = False) -> str:
    """The ``--format`` of a commit record; ``mailmap`` maps names and emails (``%aN``, ``%aE``)."""
    name, email = ("%aN", "%aE") if mailmap else ("%an", "%ae")
    return f"%x1e%H%x00%P%x00{name}%x00{email}%x00%aI%x00%cI%x00%s"


LOG_FORMAT = log_format(False)


# --------------------------------------------------------------------------------------
# pure parsing


def parse_git_log(chunks: Iterable[str | bytes], rejects: Rejects | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``git log -z`` output (format above) into ``(commits, file_changes)``.

    ``chunks`` is the text in pieces of any size (bytes as git prints them, or str); a
    piece may end anywhere, even inside a UTF-8 character. Records that cannot be read
    go to ``rejects`` (when given) and are left out; a commit whose header reads but
    whose change entries do not is kept, and its file changes are rejected.
    """
    return _parse_log(chunks, rejects if rejects is not None else Rejects()).frames


@dataclass
class _ParsedLog:
    commits: pd.DataFrame
    file_changes: pd.DataFrame
    commit_records: int  # commit records seen, kept or rejected
    merges: int

    @property
    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self.commits, self.file_changes


class _Columns:
    """What a reader collected, column by column, in git's order.

    ``header`` holds the header fields of each commit record read since the last
    :meth:`seal`, one after the other (:data:`HEADER_FIELDS` per commit: sha, parents,
    author name, author email, author date, commit date, subject). Each file change is one
    item of ``position`` (its commit's index, counted from 0 in git's order over the whole
    log), ``path``, ``old`` (None unless renamed or copied) and ``kind`` (change type);
    ``added`` and ``deleted`` are None when no line counts were read. :meth:`seal` turns
    these lists into typed arrays (:class:`_Batch`); the fast reader seals after each piece
    of the stream, so that work is done while git is still writing.
    """

    def __init__(self, counts: bool = False) -> None:
        self.batches: list[_Batch] = []
        self.sealed_commits = 0
        self.merges = 0
        self.counts = counts
        self._clear()

    def _clear(self) -> None:
        self.header: list[str] = []
        self.position: list[int] = []
        self.path: list[str] = []
        self.old: list[str | None] = []
        self.kind: list[str] = []
        self.added: list[int | None] | None = [] if self.counts else None
        self.deleted: list[int | None] | None = [] if self.counts else None

    @property
    def commit_count(self) -> int:
        return self.sealed_commits + len(self.header) // HEADER_FIELDS

    def seal(self) -> None:
        """Move what was read since the last call into a :class:`_Batch`."""
        if not self.header:
            return
        sha, parents, name, email, authored_raw, committed_raw, subject = (
            self.header[k::HEADER_FIELDS] for k in range(HEADER_FIELDS))
        self.batches.append(_Batch(
            sha=_text(sha), parents=_text(parents), name=_text(name), email=_text(email), subject=_text(subject),
            authored_raw=authored_raw, committed_raw=committed_raw,
            authored=_utc(authored_raw).as_unit("ns"), committed=_utc(committed_raw).as_unit("ns"),
            position=np.asarray(self.position, dtype=np.int64), path=_text(self.path), old=_text(self.old),
            kind=_text(self.kind), added=self.added, deleted=self.deleted))
        self.sealed_commits += len(sha)
        self._clear()


@dataclass
class _Batch:
    """Commits and file changes of consecutive records: header texts as Arrow strings,
    dates parsed (NaT where unreadable; the texts kept for the reject), change positions
    as in :class:`_Columns`."""

    sha: pa.Array
    parents: pa.Array
    name: pa.Array
    email: pa.Array
    subject: pa.Array
    authored_raw: list[str]
    committed_raw: list[str]
    authored: pd.DatetimeIndex
    committed: pd.DatetimeIndex
    position: np.ndarray
    path: pa.Array
    old: pa.Array
    kind: pa.Array
    added: list[int | None] | None
    deleted: list[int | None] | None


def _text(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.large_string())


def _tokens(chunks: Iterable[str | bytes]) -> Iterator[str]:
    """The NUL-terminated fields of the stream, decoded (invalid UTF-8 becomes U+FFFD).

    Each chunk is decoded once up to its last NUL (a NUL never occurs inside a UTF-8
    sequence), so a field cut between chunks is joined before it is decoded.
    """
    rest = b""
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogatepass")
        cut = chunk.rfind(b"\0")
        if cut < 0:
            rest += chunk
            continue
        parts = (rest + chunk[:cut]).decode("utf-8", "replace").split("\0")
        rest = chunk[cut + 1:]
        yield from parts
    if rest:
        yield rest.decode("utf-8", "replace")


def _parse_log(chunks: Iterable[str | bytes], rejects: Rejects) -> _ParsedLog:
    """Parse with the fast names reader; any record it does not know sends the whole log to
    the general reader (:func:`_parse_log_general`), so both give the same frames and rejects."""
    seen: list[bytes] = []
    chunks = iter(chunks)
    parsed = _parse_names(chunks, seen, rejects)
    if parsed is None:
        return _parse_log_general(itertools.chain(seen, chunks), rejects)
    return parsed


#: Status letters the fast names reader knows, and the change type each one reads as.
_FAST_TYPES = {"M": "M", "A": "A", "D": "D", "T": "M", "R": "R", "C": "A"}
#: Statuses of two-field entries (status, path) whose letter is already the change type.
_SAME_TYPE = frozenset("MAD")
#: Statuses of two-field entries and the change type each reads as.
_PLAIN_TYPES = {letter: kind for letter, kind in _FAST_TYPES.items() if letter not in "RC"}
_RECORD_CUT = b"\0" + RECORD_MARK.encode()


def _parse_names(chunks: Iterator[str | bytes], seen: list[bytes], rejects: Rejects) -> _ParsedLog | None:
    """Fast reader for well-formed ``--name-status`` logs; None when it meets anything else.

    Each piece of the stream is cut after its last complete record (a NUL followed by the
    record mark) and decoded once; :func:`_read_records` splits it into records and each
    record into fields with ``str.split``, and copies a commit's paths with slices when its
    entries are all two-field ones (``M``, ``A``, ``D``, ``T``). The raw bytes read go to
    ``seen`` so the caller can hand the whole log to the general reader when this one gives
    up (numstat or raw entries, an unknown status, a truncated record, a field that is not
    a commit id, a record mark inside a field).
    """
    cols = _Columns()
    rest = b""
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogatepass")
        seen.append(chunk)
        buf = rest + chunk if rest else chunk
        cut = buf.rfind(_RECORD_CUT)
        if cut < 0:
            rest = buf
            continue
        rest = buf[cut + 1:]
        if not _read_piece(buf[:cut + 1], cols):
            return None
    if rest and not _read_piece(rest, cols):
        return None
    commits, file_changes = _frames_of(cols, rejects)
    return _ParsedLog(commits, file_changes, cols.commit_count, cols.merges)


def _read_piece(piece: bytes, cols: _Columns) -> bool:
    """Read whole records (:func:`_read_records`), check their commit ids and seal them."""
    if not _read_records(piece.decode("utf-8", "replace"), cols):
        return False
    if not all(map(_SHA.fullmatch, cols.header[0::HEADER_FIELDS])):
        return False
    cols.seal()
    return True


def _read_records(text: str, cols: _Columns) -> bool:
    """Append the records of ``text`` (whole records: a record mark first, a NUL last) to
    ``cols``; False when ``text`` holds anything the fast reader does not know.

    Every record must end with a NUL and every status entry must have its paths inside the
    record, so a record mark that is not a record's start (inside a field, or opening a
    path) is caught and the general reader, which reads entry by entry, decides."""
    pieces = text.split(RECORD_MARK)
    if pieces[0]:
        return False
    header = cols.header
    same = _SAME_TYPE
    n = cols.commit_count - 1
    for k in range(1, len(pieces)):
        h = pieces[k].split("\0", HEADER_FIELDS)
        if len(h) <= HEADER_FIELDS:
            return False  # truncated header, or a record mark inside a header field
        entries = h.pop()
        header += h
        n += 1
        merge = " " in h[1]
        if merge:
            cols.merges += 1
        if not entries:
            continue
        if entries[-1] != "\0":
            return False
        tokens = (entries[1:] if entries[0] == "\n" else entries).split("\0")
        tokens.pop()
        statuses = tokens[0::2]
        if not len(tokens) & 1 and same.issuperset(statuses):
            if not merge:  # a merge's changes are counted in the commits that made them
                count = len(statuses)
                cols.position.extend(itertools.repeat(n, count))
                cols.path.extend(tokens[1::2])
                cols.old.extend(itertools.repeat(None, count))
                cols.kind.extend(statuses)
        elif not _read_entries_one_by_one(tokens, n, cols, merge):
            return False
    return True


def _read_entries_one_by_one(tokens: list[str], n: int, cols: _Columns, merge: bool) -> bool:
    """Read one record's entries (type changes, renames, copies); False on anything else."""
    rows = []
    i, end = 0, len(tokens)
    while i < end:
        tok = tokens[i].lstrip("\n")
        kind = _PLAIN_TYPES.get(tok)
        if kind is not None:
            if i + 1 >= end:
                return False
            rows.append((tokens[i + 1], None, kind))
            i += 2
            continue
        letter, score = tok[:1], tok[1:]
        if (letter != "R" and letter != "C") or not (score.isascii() and (score == "" or score.isdigit())) \
                or i + 2 >= end:
            return False  # also an unknown status or a plain status with a score: the general reader says which
        rows.append((tokens[i + 2], tokens[i + 1], _FAST_TYPES[letter]))
        i += 3
    if not merge:  # a merge's changes are counted in the commits that made them
        for path, old, kind in rows:
            cols.position.append(n)
            cols.path.append(path)
            cols.old.append(old)
            cols.kind.append(kind)
    return True


def _parse_log_general(chunks: Iterable[str | bytes], rejects: Rejects) -> _ParsedLog:
    cols = _Columns(counts=True)
    records = stray = 0
    tokens = _tokens(chunks)
    token = next(tokens, None)
    while token is not None:
        if token[:1] == "\n":
            token = token.lstrip("\n")
        if token[:1] != RECORD_MARK:
            stray += 1
            token = next(tokens, None)
            continue
        if stray:
            rejects.add(SOURCE, f"before commit {token[1:41]}", f"{stray} unreadable fields between records")
            stray = 0
        records += 1
        header = [token[1:]] + [next(tokens, None) for _ in range(HEADER_FIELDS - 1)]
        token, statuses, stats, problem = _read_entries(tokens)
        sha = header[0]
        if header[-1] is None:
            rejects.add(SOURCE, f"commit {sha[:40]}", "truncated commit record")
            continue
        if not _SHA.fullmatch(sha):
            rejects.add(SOURCE, f"commit {sha[:40]}", "not a commit id", sha)
            continue
        n = cols.commit_count
        cols.header += header
        if " " in header[1]:
            cols.merges += 1
            continue  # a merge's changes are counted in the commits that made them
        if problem is None:
            changes, problem = _pair_entries(statuses, stats)
        if problem is not None:
            rejects.add(SOURCE, f"commit {sha}", f"file changes not read: {problem}")
            continue
        for path, old, change_type, added, deleted in changes:
            cols.position.append(n)
            cols.path.append(path)
            cols.old.append(old)
            cols.kind.append(change_type)
            cols.added.append(added)
            cols.deleted.append(deleted)
    if stray:
        rejects.add(SOURCE, "end of log", f"{stray} unreadable fields after the last record")
    commits, file_changes = _frames_of(cols, rejects)
    return _ParsedLog(commits, file_changes, records, cols.merges)


def _read_entries(tokens: Iterator[str]):
    """Read change entries up to the next record; return (next token, statuses, stats, problem)."""
    statuses: list[tuple[str, str | None, str]] = []  # (status letter, old path, path)
    stats: list[tuple[int | None, int | None, str | None, str]] = []  # (added, deleted, old, path)
    problem = None
    for entry in tokens:
        if entry[:1] == "\n":
            entry = entry.lstrip("\n")
        first = entry[:1]
        if first == RECORD_MARK:
            return entry, statuses, stats, problem
        if problem is not None:
            continue
        if first == ":" or (first.isupper() and _STATUS.fullmatch(entry)):
            letter = (entry.rsplit(" ", 1)[-1] if first == ":" else entry)[:1]
            path = next(tokens, None)
            if letter == "R" or letter == "C":
                new = next(tokens, None)
                if new is None:
                    problem = "truncated change entry"
                else:
                    statuses.append((letter, path, new))
            elif path is None:
                problem = "truncated change entry"
            else:
                statuses.append((letter, None, path))
        elif m := _NUMSTAT.fullmatch(entry):
            a, d, path = m.groups()
            old = None
            if path == "":  # a rename: old and new path follow as fields of their own
                old, path = next(tokens, None), next(tokens, None)
            if path is None:
                problem = "truncated numstat entry"
            else:
                stats.append((None if a == "-" else int(a), None if d == "-" else int(d), old, path))
        else:
            problem = f"unreadable change entry {entry[:40]!r}"
    return None, statuses, stats, problem


def _pair_entries(statuses, stats):
    """Join status and numstat entries of one commit by position; return (rows, problem)."""
    if stats and not statuses:
        return [], "line counts without change status (git log needs --raw or --name-status)"
    if stats and len(stats) != len(statuses):
        return [], f"{len(statuses)} status entries but {len(stats)} numstat entries"
    rows = []
    for n, (letter, old, path) in enumerate(statuses):
        change_type = _CHANGE_TYPES.get(letter)
        if change_type is None:
            return [], f"unknown change status {letter!r} for {path!r}"
        added = deleted = None
        if stats:
            added, deleted, stat_old, stat_path = stats[n]
            if stat_path != path:
                return [], f"numstat path {stat_path!r} does not match status path {path!r}"
        rows.append((path, old, change_type, added, deleted))
    return rows, None


def _frames_of(cols: _Columns, rejects: Rejects) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed ``commits`` and ``file_changes`` from the columns a reader collected.

    Commits whose author or commit date cannot be read are rejected with their changes.
    git prints children first: the commits are reversed, then stably sorted by commit
    date (oldest first); the changes follow their commits, in git's order within one.
    Text columns are Arrow strings taken in that order without a row-wise pass;
    :func:`analysis.frames.conform` then only confirms the contract's dtypes.
    """
    cols.seal()
    batches = cols.batches
    if not batches:
        return frames.empty("commits"), frames.empty("file_changes")

    def joined(name: str):
        parts = [getattr(b, name) for b in batches]
        if len(parts) == 1:
            return parts[0]
        if isinstance(parts[0], pa.Array):
            return pa.concat_arrays(parts)
        if isinstance(parts[0], pd.DatetimeIndex):
            return parts[0].append(parts[1:])
        if isinstance(parts[0], np.ndarray):
            return np.concatenate(parts)
        return None if parts[0] is None else list(itertools.chain.from_iterable(parts))

    authored, committed = joined("authored"), joined("committed")
    bad = np.asarray(authored.isna()) | np.asarray(committed.isna())
    if bad.any():
        sha, authored_raw, committed_raw = joined("sha"), joined("authored_raw"), joined("committed_raw")
        for i in np.flatnonzero(bad):
            rejects.add(SOURCE, f"commit {sha[i].as_py()}", "unreadable author or commit date",
                        f"{authored_raw[i]} {committed_raw[i]}")
    kept = np.flatnonzero(~bad)[::-1]
    order = kept[np.argsort(committed.asi8[kept], kind="stable")]
    take = pa.array(order, type=pa.int64())
    shas, parent_ids = joined("sha"), joined("parents")
    parent_count = (pc.count_substring(parent_ids, " ").to_numpy()
                    + pc.not_equal(parent_ids, "").to_numpy(zero_copy_only=False))[order]
    commits = frames.conform(pd.DataFrame({
        "commit": _strings(shas, take),
        "author_name": _strings(joined("name"), take),
        "author_email": _strings(joined("email"), take),
        "authored_at": authored.take(order),
        "committed_at": committed.take(order),
        "parents": parent_count,
        "is_merge": parent_count > 1,
        "subject": _strings(joined("subject"), take),
    }), "commits")

    rank = np.full(len(shas), -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    position = joined("position")
    at = rank[position]
    chosen = np.flatnonzero(at >= 0)  # changes of rejected commits go with them
    chosen = chosen[np.argsort(at[chosen], kind="stable")]
    rows = pa.array(chosen, type=pa.int64())
    file_changes = frames.conform(pd.DataFrame({
        "commit": _strings(shas, pa.array(position[chosen], type=pa.int64())),
        "path": _strings(joined("path"), rows),
        "old_path": _strings(joined("old"), rows),
        "change_type": _strings(joined("kind"), rows),
        "added": _counts(joined("added"), chosen),
        "deleted": _counts(joined("deleted"), chosen),
    }), "file_changes")
    return commits, file_changes


def _strings(values: pa.Array, take: pa.Array) -> pd.api.extensions.ExtensionArray:
    """``values`` (null for a missing one) at the positions ``take``, as a string array."""
    return pd.array(values.take(take), dtype="string")


def _counts(values: list[int | None] | None, take: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Line counts at the positions ``take`` as Int64; all missing when none were read."""
    if values is None:
        return pd.arrays.IntegerArray(np.zeros(len(take), dtype=np.int64), np.ones(len(take), dtype=bool))
    return pd.array(values, dtype="Int64").take(take)


def _in_commit_order(changes: pd.DataFrame, commits: pd.DataFrame) -> pd.DataFrame:
    """File changes of kept commits only, ordered like ``commits`` (stable within a commit)."""
    rank = pd.Series(range(len(commits)), index=pd.Index(commits["commit"].astype(object)))
    order = changes["commit"].astype(object).map(rank)
    keep = order.notna()  # changes of rejected commits go with them
    changes = changes.loc[keep].assign(_rank=order[keep]).sort_values("_rank", kind="stable")
    return frames.conform(changes, "file_changes")


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def drop_ignored_paths(file_changes: pd.DataFrame, globs: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Drop file changes whose ``path`` (after the change) matches one of ``globs``.

    Returns the kept rows and how many were dropped. A rename out of an ignored folder is
    kept: what counts is where the file lives after the commit.
    """
    if not globs or file_changes.empty:
        return file_changes, 0
    patterns = re.compile("|".join(f"(?:{glob_regex(g).pattern})" for g in globs))
    ignored = {p for p in file_changes["path"].unique().tolist() if patterns.match(p)}
    drop = file_changes["path"].isin(ignored)
    return file_changes.loc[~drop].reset_index(drop=True), int(drop.sum())


def author_pattern(globs: Sequence[str]) -> re.Pattern | None:
    """One case-insensitive regex for author globs: ``*`` any text, ``?`` one character,
    everything else (brackets too: ``*[bot]*``) literal; the whole name or email must match."""
    if not globs:
        return None
    parts = ["".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in g) for g in globs]
    return re.compile("|".join(f"(?:{p})" for p in parts) + r"\Z", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Exclusions:
    """How many commits and file changes each exclusion rule left out."""

    by_author: int = 0
    by_message: int = 0
    file_changes_of_excluded: int = 0
    ignored_paths: int = 0


def exclude_commits(commits: pd.DataFrame, file_changes: pd.DataFrame, *, authors: Sequence[str] = (),
                    messages: Sequence[str] = (), ignore_paths: Sequence[str] = ()
                    ) -> tuple[pd.DataFrame, pd.DataFrame, Exclusions]:
    """Leave out commits by ``authors`` (globs over name or email) or with a subject matching
    ``messages`` (regexes, ``re.search``), with their file changes, then file changes whose
    path matches ``ignore_paths``. A commit matching both rules counts as excluded by author."""
    by_author = pd.Series(False, index=commits.index)
    rx = author_pattern(authors)
    if rx is not None and len(commits):
        names = set(commits["author_name"].unique().tolist()) | set(commits["author_email"].unique().tolist())
        hit = {x for x in names if rx.match(x)}
        by_author = commits["author_name"].isin(hit) | commits["author_email"].isin(hit)
    by_message = pd.Series(False, index=commits.index)
    if messages and len(commits):
        msg = re.compile("|".join(f"(?:{m})" for m in messages))
        hit = {s for s in commits["subject"].unique().tolist() if msg.search(s)}
        by_message = commits["subject"].isin(hit) & ~by_author
    drop = by_author | by_message
    excluded_shas = commits.loc[drop, "commit"]
    changes_drop = file_changes["commit"].isin(excluded_shas)
    kept_commits = commits.loc[~drop].reset_index(drop=True)
    kept_changes = file_changes.loc[~changes_drop].reset_index(drop=True)
    kept_changes, ignored = drop_ignored_paths(kept_changes, ignore_paths)
    return kept_commits, kept_changes, Exclusions(int(by_author.sum()), int(by_message.sum()),
                                                  int(changes_drop.sum()), ignored)


def churn_window_start(commits: pd.DataFrame, churn_days: int) -> pd.Timestamp | None:
    """First committer time of the recent churn window: ``churn_days`` before the last commit."""
    if commits.empty:
        return None
    return commits["committed_at"].max() - pd.Timedelta(days=churn_days)


def mask_churn_outside(file_changes: pd.DataFrame, commits: pd.DataFrame, start: pd.Timestamp | None) -> pd.DataFrame:
    """Set ``added``/``deleted`` to NA for commits committed before ``start``."""
    if start is None or file_changes.empty:
        return file_changes
    old = commits.loc[commits["committed_at"] < start, "commit"]
    outside = file_changes["commit"].isin(old)
    if not outside.any():
        return file_changes
    out = file_changes.copy()
    out.loc[outside, ["added", "deleted"]] = pd.NA
    return out


def join_churn(file_changes: pd.DataFrame, counted: pd.DataFrame) -> pd.DataFrame:
    """Take ``added``/``deleted`` from ``counted`` (same commit and path) into ``file_changes``."""
    if counted.empty:
        return file_changes
    counts = counted[["commit", "path", "added", "deleted"]].drop_duplicates(["commit", "path"])
    merged = file_changes.drop(columns=["added", "deleted"]).merge(counts, on=["commit", "path"], how="left",
                                                                   sort=False)
    return frames.conform(merged, "file_changes")


# --------------------------------------------------------------------------------------
# I/O edge: running git


def git_environment() -> dict[str, str]:
    """The environment git runs in: read-only (no optional locks), never prompting, its
    output fully buffered (``GIT_FLUSH=0``: into a pipe git would otherwise flush after
    every commit, one write and one wake-up of the reader per commit)."""
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_FLUSH="0")
    return env


def _git_command(repository: Path, args: Sequence[str]) -> list[str]:
    return ["git", "--no-pager", "-C", str(repository), "-c", "core.quotepath=off", *args]


def run_git(repository: str | os.PathLike, *args: str) -> subprocess.CompletedProcess:
    """Run a short git command in ``repository``; stdout and stderr as text (U+FFFD for bad bytes)."""
    try:
        return subprocess.run(_git_command(Path(repository), args), capture_output=True, env=git_environment(),
                              stdin=subprocess.DEVNULL, check=False, encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise SourceError(SOURCE, "the git command was not found on PATH") from None


@dataclass(frozen=True)
class GitLog:
    """One ``git log`` run over ``repository`` (options as in the module docstring).

    ``revisions`` is the commit range (``("HEAD",)``, or ``("HEAD", "^OLD")`` for the
    commits since OLD); ``max_count`` keeps only the walk's first commits; ``commits``
    instead lists exact commits, read from stdin with ``--no-walk=unsorted`` (used to
    split the names and churn passes across processes).
    """

    repository: Path
    since: dt.date | None = None
    churn: bool = True
    follow_renames: bool = True
    mailmap: bool = False
    revisions: tuple[str, ...] = ("HEAD",)
    commits: tuple[str, ...] | None = None
    max_count: int | None = None

    def arguments(self) -> list[str]:
        args = ["log"]
        args += ["--no-walk=unsorted", "--stdin"] if self.commits is not None else list(self.revisions)
        args += ["--no-color", "--no-ext-diff", "--no-textconv", "--no-show-signature", "--encoding=UTF-8",
                 "--root", "-z"]
        args += ["--raw", "--numstat"] if self.churn else ["--name-status"]
        args.append("-M" if self.follow_renames else "--no-renames")
        if self.commits is None:
            args += self.limits()
            if self.max_count is not None:
                args.append(f"--max-count={self.max_count}")
        args += [f"--format={log_format(self.mailmap)}", "--"]
        return args

    def limits(self) -> list[str]:
        """Options besides the revisions that choose which commits the walk shows."""
        return [] if self.since is None else [f"--since={self.since.isoformat()} 00:00:00 +0000"]

    @contextmanager
    def _stdin(self):
        if self.commits is None:
            yield subprocess.DEVNULL
            return
        with tempfile.TemporaryFile() as fh:  # outside the repository; no pipe to deadlock on
            fh.write("".join(f"{c}\n" for c in self.commits).encode())
            fh.seek(0)
            yield fh

    @contextmanager
    def _running(self) -> Iterator[tuple[subprocess.Popen, object]]:
        """git started (stdout a pipe, stderr a temporary file outside the repository);
        killed if still running when the block is left."""
        with tempfile.TemporaryFile() as errors, self._stdin() as stdin:
            try:
                proc = subprocess.Popen(_git_command(self.repository, self.arguments()), stdout=subprocess.PIPE,
                                        stderr=errors, stdin=stdin, env=git_environment())
            except FileNotFoundError:
                raise SourceError(SOURCE, "the git command was not found on PATH") from None
            _widen_pipe(proc.stdout)
            try:
                yield proc, errors
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                proc.stdout.close()

    @contextmanager
    def stream(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Iterator[bytes]]:
        """The log's stdout in chunks, read while git writes it.

        git's stderr goes to a temporary file outside the repository (so a chatty git
        cannot block on a full pipe); a non-zero exit raises :class:`SourceError` once
        the output is consumed. Leaving the block early stops git.
        """
        with self._running() as (proc, errors):
            yield _read_chunks(proc, errors, chunk_bytes)

    def output(self) -> bytes:
        """The whole stdout (for the parallel churn pass); raises :class:`SourceError` on failure."""
        with self.stream(1 << 20) as chunks:
            return b"".join(chunks)

    @contextmanager
    def drained(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Iterator[bytes]]:
        """Like :meth:`stream`, but a thread reads git's output as it comes, so git never
        waits for the caller; the chunks are yielded in order whenever the caller gets to
        them, and git's failure is raised there. Leaving the block early stops git."""
        done = object()
        pieces: queue.SimpleQueue = queue.SimpleQueue()
        with self._running() as (proc, errors):
            def drain() -> None:
                try:
                    for chunk in _read_chunks(proc, errors, chunk_bytes):
                        pieces.put(chunk)
                    pieces.put(done)
                except BaseException as error:  # raised on the reading side
                    pieces.put(error)

            reader = threading.Thread(target=drain, name="git-log-reader", daemon=True)
            reader.start()

            def chunks() -> Iterator[bytes]:
                while (item := pieces.get()) is not done:
                    if isinstance(item, BaseException):
                        raise item
                    yield item

            try:
                yield chunks()
            finally:
                if reader.is_alive() and proc.poll() is None:
                    proc.kill()  # the reader then meets the end of the pipe
                reader.join()


def _widen_pipe(pipe) -> None:
    """Let git run ahead of the parser by up to 1 MiB (Linux; elsewhere the default stays)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # a smaller pipe only means less overlap between git and the parser


def _read_chunks(proc: subprocess.Popen, errors, chunk_bytes: int) -> Iterator[bytes]:
    while chunk := proc.stdout.read(chunk_bytes):
        yield chunk
    if proc.wait() != 0:
        errors.seek(0)
        said = errors.read().decode("utf-8", "replace").strip()
        raise SourceError(SOURCE, f"git log failed with exit code {proc.returncode} (git said: {said})")


@dataclass(frozen=True)
class _RepositoryState:
    head: str | None
    shallow: bool

    @property
    def has_commits(self) -> bool:
        return self.head is not None


def _repository_state(repository: Path) -> _RepositoryState:
    if not repository.is_dir():
        raise SourceError(SOURCE, f"{repository} does not exist or is not a directory")
    # one process: the shallow flag on the first line, HEAD's commit on the second (exit
    # code 1 and no second line when HEAD has no commit yet)
    out = run_git(repository, "rev-parse", "--is-shallow-repository", "--verify", "--quiet", "HEAD^{commit}")
    lines = out.stdout.split()
    if out.returncode not in (0, 1) or not lines or lines[0] not in ("true", "false"):
        raise SourceError(SOURCE, f"{repository} is not a git repository (git said: {out.stderr.strip()})")
    sha = lines[1] if out.returncode == 0 and len(lines) > 1 else None
    return _RepositoryState(head=sha, shallow=lines[0] == "true")


def default_workers() -> int:
    """Processes for the churn pass: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def split_ranges(commits: Sequence[str], parts: int) -> list[tuple[str, ...]]:
    """Cut ``commits`` into at most ``parts`` contiguous, non-empty ranges of near-equal size."""
    parts = max(1, min(parts, len(commits)))
    size, extra = divmod(len(commits), parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        if end > start:
            out.append(tuple(commits[start:end]))
        start = end
    return out


# --------------------------------------------------------------------------------------
# mining: names pass, parallel churn pass


@dataclass(frozen=True)
class HistoryOptions:
    """What changes the mined frames (and so the cache key)."""

    since: dt.date | None = None
    churn: str = "recent"
    churn_days: int = 365
    follow_renames: bool = True
    mailmap: bool = True

    @classmethod
    def of(cls, source: GitSource, churn: str | bool | None = None,
           follow_renames: bool | None = None) -> "HistoryOptions":
        mode = source.churn if churn is None else ({True: "full", False: "none"}.get(churn, churn))
        if mode not in CHURN_MODES:
            raise SourceError(SOURCE, f"unknown churn mode {mode!r}; valid modes: {', '.join(CHURN_MODES)}")
        return cls(source.since, mode, int(source.churn_days),
                   source.follow_renames if follow_renames is None else bool(follow_renames), bool(source.mailmap))


@dataclass
class _Mined:
    commits: pd.DataFrame
    file_changes: pd.DataFrame
    records: int
    merges: int
    rejects: list[Reject] = field(default_factory=list)
    reject_count: int = 0


def _mine(repository: Path, options: HistoryOptions, revisions: tuple[str, ...], workers: int) -> _Mined:
    """Names pass over ``revisions``, then the churn pass over the commits that need counts."""
    local = Rejects()
    names = GitLog(repository, since=options.since, churn=False, follow_renames=options.follow_renames,
                   mailmap=options.mailmap, revisions=revisions)
    parsed = _names_pass(names, workers, local)
    commits, file_changes = parsed.commits, parsed.file_changes
    wanted = _churn_commits(commits, options)
    if wanted:
        counted = _churn_pass(repository, options, wanted, workers, local)
        file_changes = join_churn(file_changes, counted)
    return _Mined(commits, file_changes, parsed.commit_records, parsed.merges, list(local.records), local.count())


def _names_pass(log: GitLog, workers: int, rejects: Rejects) -> _ParsedLog:
    """Read the names log ``log``; with two cores or more, over up to three git processes.

    The first :data:`SPLIT_MIN_COMMITS` commits of the walk are logged at once (``git log
    --max-count``) and parsed while git writes them; meanwhile ``git rev-list`` lists the
    whole walk in the same order. A longer history has its remaining commits cut in two
    contiguous parts (:data:`SPLIT_FIRST_SHARE` of them, the newer, first), each logged by
    its own ``git log --no-walk=unsorted --stdin`` as soon as the list is known; both run
    together, a thread reading each so that neither waits for the parser, which takes them
    in order after the first. git writes a commit's record the same whichever way the
    commit was chosen (``-M`` compares a commit with its parent only), so the parts'
    output, one after the other, is byte for byte the single log's: the same frames,
    rejects and counts. ``log.revisions`` must name commits, not refs that may move.
    """
    if workers < 2:
        with log.stream() as chunks:
            return _parse_log(chunks, rejects)
    with _listing(log) as listed, closing(_split_log(log, listed)) as chunks:
        return _parse_log(chunks, rejects)


def _split_log(log: GitLog, listed: _Listed) -> Iterator[bytes]:
    """The chunks of the split names log (:func:`_names_pass`), in the single log's order."""
    with ExitStack() as stack:
        later: list[Iterator[bytes]] | None = None
        with replace(log, max_count=SPLIT_MIN_COMMITS).stream(SPLIT_FIRST_CHUNK_BYTES) as first:
            for chunk in first:
                yield chunk
                if later is None and listed.done():  # start the later parts as soon as they are known
                    later = _later_parts(stack, log, listed.commits())
        if later is None:
            later = _later_parts(stack, log, listed.commits())
        for part in later:
            yield from part


def _later_parts(stack: ExitStack, log: GitLog, order: list[str]) -> list[Iterator[bytes]]:
    """Start logging the commits after the first :data:`SPLIT_MIN_COMMITS`, in two parts."""
    rest = order[SPLIT_MIN_COMMITS:]
    if not rest:
        return []
    cut = max(1, round(len(rest) * SPLIT_FIRST_SHARE))
    return [stack.enter_context(replace(log, commits=tuple(part)).drained()) for part in (rest[:cut], rest[cut:])
            if part]


@dataclass
class _Listed:
    """A running ``git rev-list``: :meth:`done` when it has exited, :meth:`commits` its list
    (waiting for it; :class:`SourceError` with what git said when it failed)."""

    proc: subprocess.Popen
    out: IO[bytes]
    errors: IO[bytes]

    def done(self) -> bool:
        return self.proc.poll() is not None

    def commits(self) -> list[str]:
        if self.proc.wait() != 0:
            self.errors.seek(0)
            said = self.errors.read().decode("utf-8", "replace").strip()
            raise SourceError(SOURCE, f"git rev-list failed with exit code {self.proc.returncode} (git said: {said})")
        self.out.seek(0)
        return self.out.read().decode("ascii", "replace").split()


@contextmanager
def _listing(log: GitLog) -> Iterator[_Listed]:
    """``git rev-list`` of ``log``'s walk (its revisions and limits), written to a temporary
    file outside the repository; stopped if still running when the block is left."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(_git_command(log.repository, _listing_arguments(log)), stdout=out,
                                    stderr=errors, stdin=subprocess.DEVNULL, env=git_environment())
        except FileNotFoundError:
            raise SourceError(SOURCE, "the git command was not found on PATH") from None
        try:
            yield _Listed(proc, out, errors)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _listing_arguments(log: GitLog) -> list[str]:
    return ["rev-list", *log.revisions, *log.limits(), "--"]


def _churn_commits(commits: pd.DataFrame, options: HistoryOptions) -> list[str]:
    """Non-merge commits that need line counts, newest first (git's order, for locality)."""
    if options.churn == "none" or commits.empty:
        return []
    chosen = commits.loc[~commits["is_merge"]]
    if options.churn == "recent":
        chosen = chosen.loc[chosen["committed_at"] >= churn_window_start(commits, options.churn_days)]
    return chosen["commit"].astype(object).tolist()[::-1]


def _churn_pass(repository: Path, options: HistoryOptions, wanted: list[str], workers: int,
                rejects: Rejects) -> pd.DataFrame:
    parts = 1 if len(wanted) < PARALLEL_MIN_COMMITS or workers <= 1 else workers * RANGES_PER_WORKER
    logs = [GitLog(repository, churn=True, follow_renames=options.follow_renames, mailmap=options.mailmap,
                   commits=r) for r in split_ranges(wanted, parts)]
    if len(logs) == 1:
        outputs = [logs[0].output()]
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            outputs = list(pool.map(GitLog.output, logs))
    pieces = [_parse_log_general([out], rejects).file_changes for out in outputs]
    pieces = [p for p in pieces if len(p)]
    return pd.concat(pieces, ignore_index=True) if pieces else frames.empty("file_changes")


# --------------------------------------------------------------------------------------
# incremental cache


def _cache_folder(cache_dir: Path, repository: Path, options: HistoryOptions, shallow: bool) -> Path:
    h = hashlib.blake2b(digest_size=12)
    h.update(f"git history cache {CACHE_FORMAT}|{repository.resolve()}|{options!r}|shallow={shallow}".encode())
    return Path(cache_dir) / h.hexdigest()


def _read_segments(folder: Path) -> tuple[dict, list[_Mined]] | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        segments = []
        for seg in meta["segments"]:
            commits = frames.conform(pd.read_parquet(folder / f"{seg['name']}.commits.parquet"), "commits")
            changes = frames.conform(pd.read_parquet(folder / f"{seg['name']}.file_changes.parquet"), "file_changes")
            kept = [Reject(*r) for r in seg["rejects"]]
            segments.append(_Mined(commits, changes, seg["records"], seg["merges"], kept, seg["reject_count"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable cache: mine again
    return meta, segments


def _write_segment(folder: Path, meta: dict | None, head: str, mined: _Mined) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    segments = list(meta["segments"]) if meta else []
    name = f"{len(segments) + 1:04d}-{head[:12]}"
    for part, frame in (("commits", mined.commits), ("file_changes", mined.file_changes)):
        tmp = folder / f"{name}.{part}.parquet.tmp{os.getpid()}"
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, folder / f"{name}.{part}.parquet")
    segments.append({"name": name, "head": head, "records": mined.records, "merges": mined.merges,
                     "reject_count": mined.reject_count,
                     "rejects": [[r.source, r.location, r.reason, r.excerpt] for r in mined.rejects]})
    tmp = folder / f"meta.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps({"format": CACHE_FORMAT, "head": head, "segments": segments}, indent=1),
                   encoding="utf-8")
    os.replace(tmp, folder / "meta.json")  # the segment counts only once meta.json names it


def _is_ancestor(repository: Path, old: str, new: str) -> bool:
    return run_git(repository, "merge-base", "--is-ancestor", old, new).returncode == 0


def _cached_mine(repository: Path, state: _RepositoryState, options: HistoryOptions, cache_dir: Path,
                 workers: int) -> tuple[list[_Mined], str]:
    """Segments covering the history up to HEAD, and how they were obtained (for the notes)."""
    folder = _cache_folder(cache_dir, repository, options, state.shallow)
    cached = _read_segments(folder) if (folder / "meta.json").is_file() else None
    if cached is not None:
        meta, segments = cached
        if meta["head"] == state.head:
            return segments, "cache"
        if _is_ancestor(repository, meta["head"], state.head):
            new = _mine(repository, options, (state.head, f"^{meta['head']}"), workers)
            _write_segment(folder, meta, state.head, new)
            return [*segments, new], f"cache plus {len(new.commits)} new commits"
    shutil.rmtree(folder, ignore_errors=True)
    mined = _mine(repository, options, (state.head,), workers)
    _write_segment(folder, None, state.head, mined)
    return [mined], "mined"


def _combine(segments: list[_Mined]) -> _Mined:
    if len(segments) == 1:
        return segments[0]
    commits = pd.concat([s.commits for s in segments], ignore_index=True)
    commits = commits.drop_duplicates("commit").sort_values("committed_at", kind="stable")
    commits = frames.conform(commits, "commits")
    changes = pd.concat([s.file_changes for s in segments], ignore_index=True)
    return _Mined(commits, _in_commit_order(changes, commits), sum(s.records for s in segments),
                  sum(s.merges for s in segments), [r for s in segments for r in s.rejects],
                  sum(s.reject_count for s in segments))


# --------------------------------------------------------------------------------------
# entry point


def mine_git_history(source: GitSource, rejects: Rejects, *, churn: str | bool | None = None,
                     follow_renames: bool | None = None, cache_dir: str | os.PathLike | None = None,
                     workers: int | None = None) -> SourceFrames:
    """Mine the history reachable from ``HEAD`` into ``commits`` and ``file_changes``.

    Options come from ``source`` (see :class:`analysis.config.GitSource`); ``churn``
    (``"recent"``, ``"full"``, ``"none"``, or True/False for full/none) and
    ``follow_renames`` override it. ``source.since`` keeps commits whose committer date is
    on or after that day, 00:00 UTC. ``cache_dir`` turns the incremental cache on;
    ``workers`` caps the churn pass's processes (default: the available cores); with one,
    the names pass is a single process too.

    ``records_read`` counts commit records; ``records_rejected`` the rejects added for
    ``"git"`` by this call. Raises :class:`SourceError` when the path is not a git
    repository or git fails; an empty repository gives empty frames and a note.
    """
    options = HistoryOptions.of(source, churn, follow_renames)
    repository = Path(source.repository)
    state = _repository_state(repository)
    if not state.has_commits:
        empty = {"commits": frames.empty("commits"), "file_changes": frames.empty("file_changes")}
        return SourceFrames(empty, 0, 0, [f"{repository}: no commits (HEAD has no history yet)"])

    workers = workers or default_workers()
    if cache_dir is not None:
        segments, how = _cached_mine(repository, state, options, Path(cache_dir), workers)
    else:
        segments, how = [_mine(repository, options, (state.head,), workers)], "mined"
    mined = _combine(segments)
    for r in mined.rejects:
        rejects.add(r.source, r.location, r.reason, r.excerpt)
    if mined.reject_count > len(mined.rejects):
        rejects.counts[SOURCE] += mined.reject_count - len(mined.rejects)

    window = churn_window_start(mined.commits, options.churn_days) if options.churn == "recent" else None
    file_changes = mask_churn_outside(mined.file_changes, mined.commits, window)
    commits, file_changes, excluded = exclude_commits(
        mined.commits, file_changes, authors=source.exclude_authors, messages=source.exclude_messages,
        ignore_paths=source.ignore_paths)
    notes = _notes(source, options, state, mined, commits, excluded, window, how)
    return SourceFrames(
        frames={"commits": commits, "file_changes": file_changes},
        records_read=mined.records,
        records_rejected=mined.reject_count,
        notes=notes,
    )


def _notes(source: GitSource, options: HistoryOptions, state: _RepositoryState, mined: _Mined,
           commits: pd.DataFrame, excluded: Exclusions, window, how: str) -> list[str]:
    notes = []
    if source.since is not None:
        notes.append(f"history since {source.since.isoformat()}")
        if mined.commits.empty:
            notes.append(f"no commits since {source.since.isoformat()}")
    if mined.merges:
        notes.append(f"{mined.merges} merge commits: kept in commits, their file changes are counted "
                     "in the commits that made them")
    if excluded.by_author:
        notes.append(f"{excluded.by_author} commits by excluded authors left out (exclude_authors)")
    if excluded.by_message:
        notes.append(f"{excluded.by_message} commits left out by their message (exclude_messages)")
    if excluded.file_changes_of_excluded:
        notes.append(f"{excluded.file_changes_of_excluded} file changes of excluded commits left out")
    if source.ignore_paths:
        notes.append(f"{excluded.ignored_paths} file changes ignored by ignore_paths")
    if not options.follow_renames:
        notes.append("renames not followed: a moved file is a deletion and an addition")
    if options.churn == "none":
        notes.append("line churn not mined (churn: none)")
    elif window is not None and len(mined.commits) and window > mined.commits["committed_at"].min():
        notes.append(f"line churn mined for the last {options.churn_days} days only "
                     f"(commits from {window:%Y-%m-%d}; churn: recent)")
    if state.shallow:
        oldest = mined.commits["committed_at"].min() if len(mined.commits) else None
        notes.append(f"shallow clone: history before {oldest:%Y-%m-%d} is missing" if oldest is not None
                     else "shallow clone: part of the history is missing")
    if how != "mined" and how != "cache":
        notes.append(f"history from the incremental cache ({how})")
    return notes


# --------------------------------------------------------------------------------------
# PyDriller: rich per-commit fields over a window

RICH_COMMIT_COLUMNS = ["commit", "author_name", "authored_at", "files", "added", "deleted",
                       "dmm_unit_size", "dmm_unit_complexity", "dmm_unit_interfacing"]
METHOD_CHANGE_COLUMNS = ["commit", "path", "method", "nloc", "complexity", "parameters"]


def rich_commits(repository: str | os.PathLike, since: dt.datetime | dt.date | None = None,
                 until: dt.datetime | dt.date | None = None) -> dict[str, pd.DataFrame]:
    """PyDriller's rich fields for the non-merge commits between ``since`` and ``until``.

    Returns two frames:

    - ``rich_commits``: commit, author_name, authored_at (UTC), files, added, deleted,
      dmm_unit_size, dmm_unit_complexity, dmm_unit_interfacing (PyDriller's delta
      maintainability model, 0..1, NaN when no supported source file changed);
    - ``method_changes``: commit, path, method (lizard's long name), nloc, complexity,
      parameters — one row per method a commit changed.

    This is the slow, rich path (PyDriller runs several git commands per commit): use it
    for a window of weeks, not for the whole history. PyDriller writes a setting into the
    configuration of the repository it opens, so it opens a temporary shared clone
    (``git clone --shared --bare``: no objects copied) instead of the repository itself.
    """
    from pydriller import Repository  # imported here: only this path needs it

    repository = Path(repository)
    state = _repository_state(repository)
    if not state.has_commits:
        return {"rich_commits": pd.DataFrame(columns=RICH_COMMIT_COLUMNS),
                "method_changes": pd.DataFrame(columns=METHOD_CHANGE_COLUMNS)}
    commit_rows, method_rows = [], []
    with tempfile.TemporaryDirectory(prefix="seams-pydriller-") as tmp:
        clone = Path(tmp) / "clone.git"
        done = subprocess.run(["git", "clone", "--quiet", "--shared", "--bare", "--", str(repository.resolve()),
                               str(clone)], capture_output=True, env=git_environment(), stdin=subprocess.DEVNULL,
                              check=False, encoding="utf-8", errors="replace")
        if done.returncode != 0:
            raise SourceError(SOURCE, f"cannot open {repository} for PyDriller (git said: {done.stderr.strip()})")
        for c in Repository(str(clone), since=_as_datetime(since), to=_as_datetime(until), only_no_merge=True,
                            order="reverse").traverse_commits():
            commit_rows.append([c.hash, c.author.name, c.author_date, c.files, c.insertions, c.deletions,
                                c.dmm_unit_size, c.dmm_unit_complexity, c.dmm_unit_interfacing])
            for f in c.modified_files:
                for m in f.changed_methods:
                    method_rows.append([c.hash, f.new_path or f.old_path, m.long_name, m.nloc, m.complexity,
                                        len(m.parameters)])
    commits = pd.DataFrame(commit_rows, columns=RICH_COMMIT_COLUMNS)
    commits["authored_at"] = pd.to_datetime(commits["authored_at"], utc=True)
    for col in ("dmm_unit_size", "dmm_unit_complexity", "dmm_unit_interfacing"):
        commits[col] = commits[col].astype("float64")
    methods = pd.DataFrame(method_rows, columns=METHOD_CHANGE_COLUMNS)
    return {"rich_commits": commits, "method_changes": methods}


def _as_datetime(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------------------
# merged pull requests


MERGE_FILES_ARGS = ("log", "HEAD", "--merges", "--diff-merges=first-parent", "--name-only", "-z", "--no-renames",
                    "--format=%x1e%H")


def parse_merge_files(text: str) -> pd.DataFrame:
    """The ``merge_files`` frame from ``git log --merges --diff-merges=first-parent
    --name-only -z --format=%x1e%H``: each record is a merge's sha, then the NUL-separated
    paths it brought into its first parent (the merged pull request's files)."""
    rows: list[tuple[str, str]] = []
    for record in text.split("\x1e"):
        parts = [p for p in record.split("\x00") if p.strip()]
        if not parts:
            continue
        sha, paths = parts[0].strip(), parts[1:]
        rows += [(sha, p.lstrip("\n")) for p in paths]
    return frames.conform(pd.DataFrame(rows, columns=["commit", "path"]), "merge_files")


def mine_merge_files(source: GitSource, rejects: Rejects) -> SourceFrames:
    """The files each merge commit brought in, so coordination can be judged per merged
    pull request as well as per commit. One ``git log`` process; merges only."""
    state = _repository_state(Path(source.repository))
    if not state.head:
        return SourceFrames({"merge_files": frames.empty("merge_files")}, 0, 0, ["no commits: no merges"])
    out = run_git(source.repository, *MERGE_FILES_ARGS)
    if out.returncode != 0:
        raise SourceError(SOURCE, f"{source.repository}: git log of merges failed: {out.stderr.strip()[:200]}")
    merged = parse_merge_files(out.stdout)
    if source.ignore_paths:
        merged = merged[~merged["path"].map(lambda p: any(glob_regex(g).match(p) for g in source.ignore_paths))].reset_index(drop=True)
    merges = merged["commit"].nunique()
    return SourceFrames({"merge_files": merged}, int(merges), 0, [f"{merges} merge commits with their pull requests' files"])
