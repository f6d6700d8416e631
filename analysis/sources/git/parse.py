"""Parsing ``git log`` output into the ``commits`` and ``file_changes`` frames (pure: text in, frames out).

The record format, the fast names reader and the general reader are described in
:mod:`analysis.sources.git.miner`."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core import frames
from analysis.core.rejects import Rejects

RECORD_MARK = "\x1e"

HEADER_FIELDS = 7  # sha, parents, author name, author email, author date, commit date, subject

_STATUS = re.compile(r"[A-Z][0-9]*")

_NUMSTAT = re.compile(r"(\d+|-)\t(\d+|-)\t(.*)", re.DOTALL)

_CHANGE_TYPES = {"A": "A", "M": "M", "D": "D", "R": "R", "T": "M", "C": "A"}

SOURCE = "git"


_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


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
    return parse_log(chunks, rejects if rejects is not None else Rejects()).frames


@dataclass
class ParsedLog:
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


def _text(values: Sequence[str | None]) -> pa.Array:
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


def parse_log(chunks: Iterable[str | bytes], rejects: Rejects) -> ParsedLog:
    """Parse with the fast names reader; any record it does not know sends the whole log to
    the general reader (:func:`parse_log_general`), so both give the same frames and rejects."""
    seen: list[bytes] = []
    chunks = iter(chunks)
    parsed = _parse_names(chunks, seen, rejects)
    if parsed is None:
        return parse_log_general(itertools.chain(seen, chunks), rejects)
    return parsed


#: Status letters the fast names reader knows, and the change type each one reads as.
_FAST_TYPES = {"M": "M", "A": "A", "D": "D", "T": "M", "R": "R", "C": "A"}
#: Statuses of two-field entries (status, path) whose letter is already the change type.
_SAME_TYPE = frozenset("MAD")
#: Statuses of two-field entries and the change type each reads as.
_PLAIN_TYPES = {letter: kind for letter, kind in _FAST_TYPES.items() if letter not in "RC"}
_RECORD_CUT = b"\0" + RECORD_MARK.encode()


def _parse_names(chunks: Iterator[str | bytes], seen: list[bytes], rejects: Rejects) -> ParsedLog | None:
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
    return ParsedLog(commits, file_changes, cols.commit_count, cols.merges)


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
    rows: list[tuple[str, str | None, str]] = []
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


def parse_log_general(chunks: Iterable[str | bytes], rejects: Rejects) -> ParsedLog:
    cols = _Columns(counts=True)
    assert cols.added is not None and cols.deleted is not None  # counts=True: both lists exist
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
        sha = token[1:]
        header = [sha] + [next(tokens, None) for _ in range(HEADER_FIELDS - 1)]
        token, statuses, stats, problem = _read_entries(tokens)
        if header[-1] is None:
            rejects.add(SOURCE, f"commit {sha[:40]}", "truncated commit record")
            continue
        if not _SHA.fullmatch(sha):
            rejects.add(SOURCE, f"commit {sha[:40]}", "not a commit id", sha)
            continue
        n = cols.commit_count
        cols.header += header  # type: ignore[arg-type]  # last field there: next() gave no None, every field is a str
        if " " in header[1]:  # type: ignore[operator]  # as above
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
    return ParsedLog(commits, file_changes, records, cols.merges)


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
    :func:`analysis.core.frames.conform` then only confirms the contract's dtypes.
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


def in_commit_order(changes: pd.DataFrame, commits: pd.DataFrame) -> pd.DataFrame:
    """File changes of kept commits only, ordered like ``commits`` (stable within a commit)."""
    rank = pd.Series(range(len(commits)), index=pd.Index(commits["commit"].astype(object)))
    order = changes["commit"].astype(object).map(rank)
    keep = order.notna()  # changes of rejected commits go with them
    changes = changes.loc[keep].assign(_rank=order[keep]).sort_values("_rank", kind="stable")
    return frames.conform(changes, "file_changes")


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


