"""The two passes over the history (names, then churn), each split across the cores."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import subprocess
import tempfile
from collections.abc import Generator, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import pandas as pd

from analysis.core import frames, progress
from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Reject, Rejects
from analysis.sources.git.command import GitLog, git_command, git_environment
from analysis.sources.git.exclusions import churn_window_start, join_churn
from analysis.sources.git.parse import SOURCE, ParsedLog, parse_log, parse_log_general

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
           follow_renames: bool | None = None) -> HistoryOptions:
        mode = source.churn if churn is None else ({True: "full", False: "none"}.get(churn, churn))  # type: ignore[arg-type]  # a str is no bool key: .get gives it back, so mode is a str
        if mode not in CHURN_MODES:
            raise SourceError(SOURCE, f"unknown churn mode {mode!r}; valid modes: {', '.join(CHURN_MODES)}")
        return cls(source.since, mode, int(source.churn_days),
                   source.follow_renames if follow_renames is None else bool(follow_renames), bool(source.mailmap))


@dataclass
class MinedHistory:
    commits: pd.DataFrame
    file_changes: pd.DataFrame
    records: int
    merges: int
    rejects: list[Reject] = field(default_factory=list)
    reject_count: int = 0


def mine_range(repository: Path, options: HistoryOptions, revisions: tuple[str, ...], workers: int) -> MinedHistory:
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
    return MinedHistory(commits, file_changes, parsed.commit_records, parsed.merges, list(local.records), local.count())


def _names_pass(log: GitLog, workers: int, rejects: Rejects) -> ParsedLog:
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
            return parse_log(_counted(chunks), rejects)
    with _listing(log) as listed, closing(_split_log(log, listed)) as chunks:
        return parse_log(_counted(chunks), rejects)


def _counted(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` unchanged, their commit records counted as the step's progress (each record
    starts with ``\x1e``) when someone listens (:mod:`analysis.core.progress`)."""
    if not progress.is_listened():
        return chunks
    progress.total(None, unit="commits")
    return _counting(chunks)


def _counting(chunks: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        progress.advance(chunk.count(b"\x1e"))
        yield chunk


def _split_log(log: GitLog, listed: _Listed) -> Generator[bytes, None, None]:
    """The chunks of the split names log (:func:`_names_pass`), in the single log's order."""
    with ExitStack() as stack:
        later: list[Iterator[bytes]] | None = None
        with replace(log, max_count=SPLIT_MIN_COMMITS).stream(SPLIT_FIRST_CHUNK_BYTES) as first:
            for chunk in first:
                yield chunk
                if later is None and listed.done():  # start the later parts as soon as they are known
                    later = _later_parts(stack, log, _walk(listed))
        if later is None:
            later = _later_parts(stack, log, _walk(listed))
        for part in later:
            yield from part


def _walk(listed: _Listed) -> list[str]:
    """The listed walk, its length the names pass's expected size (:mod:`analysis.core.progress`)."""
    order = listed.commits()
    progress.total(len(order), unit="commits")
    return order


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
            proc = subprocess.Popen(git_command(log.repository, _listing_arguments(log)), stdout=out,
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
    pieces = [parse_log_general([out], rejects).file_changes for out in outputs]
    pieces = [p for p in pieces if len(p)]
    return pd.concat(pieces, ignore_index=True) if pieces else frames.empty("file_changes")


# --------------------------------------------------------------------------------------
# incremental cache


