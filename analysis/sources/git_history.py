"""Git history: which commits changed which files, by whom and when.

Entry point: :func:`mine_git_history` returns the ``commits`` and ``file_changes`` frames
(contracts in :mod:`analysis.frames`):

- ``commits``: commit, author_name, author_email, authored_at, committed_at (UTC),
  parents, is_merge, subject — one row per commit reachable from ``HEAD``, oldest first
  (by committer date; commits with the same date keep git's parent-before-child order).
- ``file_changes``: commit, path, old_path, change_type (A, M, D, R), added, deleted — one
  row per file a non-merge commit touched, in commit order.

What it reads: the output of one streamed ``git log`` process, run read-only::

    git --no-pager -C REPO -c core.quotepath=off log HEAD --no-color --no-ext-diff
        --no-textconv --encoding=UTF-8 --root -z --raw [--numstat] (-M | --no-renames)
        [--since=DATE] --format=%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%s --

With ``-z`` every field and every path is terminated by a NUL byte, so paths with spaces,
braces, ``=>`` or newlines survive intact. One commit record is::

    \\x1e SHA \\0 PARENTS \\0 AUTHOR \\0 EMAIL \\0 AUTHOR-DATE \\0 COMMIT-DATE \\0 SUBJECT \\0
    \\n                                      (only when change entries follow)
    :100644 100644 1a2b3c4 5d6e7f8 M \\0 path \\0             (--raw; R/C entries carry
    :100644 100644 1a2b3c4 5d6e7f8 R087 \\0 old \\0 new \\0     old and new paths)
    3 \\t 1 \\t path \\0                                       (--numstat, same order as --raw)
    3 \\t 1 \\t \\0 old \\0 new \\0                              (a rename)
    - \\t - \\t path \\0                                       (a binary file: counts unknown)

``--name-status`` entries (``M \\0 path \\0``, ``R087 \\0 old \\0 new \\0``) are read as well.
The change type comes from the status entry (``T``, a type change, is read as ``M``; ``C``,
a copy, as ``A`` with its source in ``old_path``); the line counts from the numstat entry at
the same position. Without churn only the status entries are asked for, and ``added`` and
``deleted`` are ``<NA>``.

Merge commits are kept in ``commits`` (``is_merge`` True) but list no file changes: like
``git log`` without ``-m``, their changes are counted once, in the commits that made them.

Text is decoded as UTF-8; bytes that are not (an author name written in Latin-1, a path
in a legacy encoding) become U+FFFD and the record is kept. Paths matching one of the
source's ``ignore_paths`` globs (:func:`analysis.contexts.glob_regex`) are dropped and
counted in the notes, not as rejects. A record that cannot be read is rejected
(``source="git"``, ``location="commit <sha>"``).

The repository is never written: no checkout, no config change, optional locks off
(``GIT_OPTIONAL_LOCKS=0``), stdin closed, and variables that would point git at another
repository (``GIT_DIR``, ``GIT_WORK_TREE``, ...) removed from its environment.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import pandas as pd

from analysis import frames
from analysis.config import GitSource
from analysis.contexts import glob_regex
from analysis.errors import SourceError
from analysis.frames import SourceFrames
from analysis.rejects import Rejects

SOURCE = "git"
RECORD_MARK = "\x1e"
LOG_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%s"
HEADER_FIELDS = 7  # sha, parents, author name, author email, author date, commit date, subject
CHUNK_BYTES = 1 << 16

#: Variables that would make git read another repository than the one asked for.
_REPOSITORY_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
)

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_STATUS = re.compile(r"[A-Z][0-9]*")
_NUMSTAT = re.compile(r"(\d+|-)\t(\d+|-)\t(.*)", re.DOTALL)
_CHANGE_TYPES = {"A": "A", "M": "M", "D": "D", "R": "R", "T": "M", "C": "A"}



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


def _tokens(chunks: Iterable[str | bytes]) -> Iterator[str]:
    """The NUL-terminated fields of the stream, decoded (invalid UTF-8 becomes U+FFFD)."""
    rest = b""
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogatepass")
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        for part in parts:
            yield part.decode("utf-8", "replace")
    if rest:
        yield rest.decode("utf-8", "replace")


def _parse_log(chunks: Iterable[str | bytes], rejects: Rejects) -> _ParsedLog:
    commit_rows: list[list[str]] = []
    change_rows: list[tuple] = []
    records = merges = 0
    tokens = _tokens(chunks)
    token = next(tokens, None)
    stray = 0
    while token is not None:
        token = token.lstrip("\n")
        if not token.startswith(RECORD_MARK):
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
        if any(field is None for field in header):
            rejects.add(SOURCE, f"commit {sha[:40]}", "truncated commit record")
            continue
        if not _SHA.fullmatch(sha):
            rejects.add(SOURCE, f"commit {sha[:40]}", "not a commit id", sha)
            continue
        commit_rows.append(header)
        is_merge = len(header[1].split()) > 1
        if is_merge:
            merges += 1
            continue  # a merge's changes are counted in the commits that made them
        changes, problem = _pair_entries(statuses, stats) if problem is None else ([], problem)
        if problem is not None:
            rejects.add(SOURCE, f"commit {sha}", f"file changes not read: {problem}")
            continue
        change_rows.extend((sha, *c) for c in changes)
    if stray:
        rejects.add(SOURCE, "end of log", f"{stray} unreadable fields after the last record")
    commits, file_changes = _frames(commit_rows, change_rows, rejects)
    return _ParsedLog(commits, file_changes, records, merges)


def _read_entries(tokens: Iterator[str]):
    """Read change entries up to the next record; return (next token, statuses, stats, problem)."""
    statuses: list[tuple[str, str | None, str]] = []  # (status letter, old path, path)
    stats: list[tuple[int | None, int | None, str | None, str]] = []  # (added, deleted, old, path)
    problem = None
    token = next(tokens, None)
    while token is not None:
        entry = token.lstrip("\n")
        if entry.startswith(RECORD_MARK):
            return entry, statuses, stats, problem
        if problem is None:
            if entry.startswith(":") or _STATUS.fullmatch(entry):
                status = entry.rsplit(" ", 1)[-1] if entry.startswith(":") else entry
                first = next(tokens, None)
                second = next(tokens, None) if status[:1] in ("R", "C") else None
                if first is None or (status[:1] in ("R", "C") and second is None):
                    problem = "truncated change entry"
                elif second is None:
                    statuses.append((status[:1], None, first))
                else:
                    statuses.append((status[:1], first, second))
            elif m := _NUMSTAT.fullmatch(entry):
                added, deleted = (None if v == "-" else int(v) for v in m.group(1, 2))
                old, path = None, m.group(3)
                if path == "":  # a rename: old and new path follow as fields of their own
                    old, path = next(tokens, None), next(tokens, None)
                if path is None:
                    problem = "truncated numstat entry"
                else:
                    stats.append((added, deleted, old, path))
            else:
                problem = f"unreadable change entry {entry[:40]!r}"
        token = next(tokens, None)
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


def _frames(commit_rows, change_rows, rejects: Rejects) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.DataFrame(commit_rows, columns=["commit", "parent_ids", "author_name", "author_email",
                                             "authored_raw", "committed_raw", "subject"], dtype=object)
    raw["authored_at"] = _utc(raw["authored_raw"])
    raw["committed_at"] = _utc(raw["committed_raw"])
    bad = raw["authored_at"].isna() | raw["committed_at"].isna()
    for sha, a, c in raw.loc[bad, ["commit", "authored_raw", "committed_raw"]].itertuples(index=False):
        rejects.add(SOURCE, f"commit {sha}", "unreadable author or commit date", f"{a} {c}")
    raw = raw.loc[~bad]
    raw["parents"] = raw["parent_ids"].map(lambda p: len(p.split()))
    raw["is_merge"] = raw["parents"] > 1
    # git prints children first; reversed, then stably sorted by date: oldest first
    raw = raw.iloc[::-1].sort_values("committed_at", kind="stable")
    commits = frames.conform(raw, "commits")

    changes = pd.DataFrame(change_rows, dtype=object,
                           columns=["commit", "path", "old_path", "change_type", "added", "deleted"])
    rank = pd.Series(range(len(commits)), index=commits["commit"].astype(object))
    changes["_rank"] = changes["commit"].map(rank)
    changes = changes.loc[changes["_rank"].notna()]  # changes of rejected commits go with them
    changes = changes.sort_values("_rank", kind="stable")
    return commits, frames.conform(changes, "file_changes")


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def drop_ignored_paths(file_changes: pd.DataFrame, globs: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Drop file changes whose ``path`` (after the change) matches one of ``globs``.

    Returns the kept rows and how many were dropped. A rename out of an ignored folder is
    kept: what counts is where the file lives after the commit.
    """
    if not globs or file_changes.empty:
        return file_changes, 0
    patterns = [glob_regex(g) for g in globs]
    paths = pd.unique(file_changes["path"])
    ignored = {p for p in paths if any(rx.match(p) for rx in patterns)}
    drop = file_changes["path"].isin(ignored)
    return file_changes.loc[~drop].reset_index(drop=True), int(drop.sum())


# --------------------------------------------------------------------------------------
# I/O edge: running git


def git_environment() -> dict[str, str]:
    """The environment git runs in: read-only (no optional locks), never prompting."""
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
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
    """One ``git log`` run over ``repository`` (options as in the module docstring)."""

    repository: Path
    since: dt.date | None = None
    churn: bool = True
    follow_renames: bool = True

    def arguments(self) -> list[str]:
        args = ["log", "HEAD", "--no-color", "--no-ext-diff", "--no-textconv", "--encoding=UTF-8", "--root",
                "-z", "--raw"]
        if self.churn:
            args.append("--numstat")
        args.append("-M" if self.follow_renames else "--no-renames")
        if self.since is not None:
            args.append(f"--since={self.since.isoformat()} 00:00:00 +0000")
        args += [f"--format={LOG_FORMAT}", "--"]
        return args

    @contextmanager
    def stream(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Iterator[bytes]]:
        """The log's stdout in chunks, read while git writes it.

        git's stderr goes to a temporary file outside the repository (so a chatty git
        cannot block on a full pipe); a non-zero exit raises :class:`SourceError` once
        the output is consumed. Leaving the block early stops git.
        """
        with tempfile.TemporaryFile() as errors:
            try:
                proc = subprocess.Popen(_git_command(self.repository, self.arguments()), stdout=subprocess.PIPE,
                                        stderr=errors, stdin=subprocess.DEVNULL, env=git_environment())
            except FileNotFoundError:
                raise SourceError(SOURCE, "the git command was not found on PATH") from None
            try:
                yield _read_chunks(proc, errors, chunk_bytes)
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                proc.stdout.close()


def _read_chunks(proc: subprocess.Popen, errors, chunk_bytes: int) -> Iterator[bytes]:
    while chunk := proc.stdout.read(chunk_bytes):
        yield chunk
    if proc.wait() != 0:
        errors.seek(0)
        said = errors.read().decode("utf-8", "replace").strip()
        raise SourceError(SOURCE, f"git log failed with exit code {proc.returncode} (git said: {said})")


@dataclass(frozen=True)
class _RepositoryState:
    has_commits: bool
    shallow: bool


def _repository_state(repository: Path) -> _RepositoryState:
    if not repository.is_dir():
        raise SourceError(SOURCE, f"{repository} does not exist or is not a directory")
    shallow = run_git(repository, "rev-parse", "--is-shallow-repository")
    if shallow.returncode != 0:
        raise SourceError(SOURCE, f"{repository} is not a git repository (git said: {shallow.stderr.strip()})")
    head = run_git(repository, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    return _RepositoryState(has_commits=head.returncode == 0, shallow=shallow.stdout.strip() == "true")


# --------------------------------------------------------------------------------------
# entry point


def mine_git_history(source: GitSource, rejects: Rejects, *, churn: bool = True,
                     follow_renames: bool = True) -> SourceFrames:
    """Mine the history reachable from ``HEAD`` into ``commits`` and ``file_changes``.

    ``churn`` asks git for line counts (``--numstat``; otherwise ``added``/``deleted`` are
    ``<NA>``); ``follow_renames`` turns rename detection on (``-M``: one ``R`` row with
    ``old_path``) or off (``--no-renames``: a ``D`` and an ``A`` row). ``source.since``
    keeps commits whose committer date is on or after that day, 00:00 UTC.

    ``records_read`` counts commit records; ``records_rejected`` the rejects added for
    ``"git"`` by this call. Raises :class:`SourceError` when the path is not a git
    repository or git fails; an empty repository gives empty frames and a note.
    """
    repository = Path(source.repository)
    rejected_before = rejects.count(SOURCE)
    state = _repository_state(repository)
    if not state.has_commits:
        empty = {"commits": frames.empty("commits"), "file_changes": frames.empty("file_changes")}
        return SourceFrames(empty, 0, 0, [f"{repository}: no commits (HEAD has no history yet)"])

    log = GitLog(repository, since=source.since, churn=churn, follow_renames=follow_renames)
    with log.stream() as chunks:
        parsed = _parse_log(chunks, rejects)
    file_changes, ignored = drop_ignored_paths(parsed.file_changes, source.ignore_paths)

    notes = []
    if source.since is not None:
        notes.append(f"history since {source.since.isoformat()}")
    if parsed.merges:
        notes.append(f"{parsed.merges} merge commits: kept in commits, their file changes are counted "
                     "in the commits that made them")
    if source.ignore_paths:
        notes.append(f"{ignored} file changes ignored by ignore_paths")
    if state.shallow:
        oldest = parsed.commits["committed_at"].min() if len(parsed.commits) else None
        notes.append(f"shallow clone: history before {oldest:%Y-%m-%d} is missing" if oldest is not None
                     else "shallow clone: part of the history is missing")
    return SourceFrames(
        frames={"commits": parsed.commits, "file_changes": file_changes},
        records_read=parsed.commit_records,
        records_rejected=rejects.count(SOURCE) - rejected_before,
        notes=notes,
    )
