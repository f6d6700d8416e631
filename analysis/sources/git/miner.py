"""Git history: which commits changed which files, by whom and when.

Entry point: :func:`mine_git_history` returns the ``commits`` and ``file_changes`` frames
(contracts in :mod:`analysis.core.frames`):

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
(:func:`analysis.mapping.contexts.glob_regex`) are dropped.

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

import os
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.config import GitSource
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.git.command import RepositoryState, repository_state
from analysis.sources.git.exclusions import Exclusions, churn_window_start, exclude_commits, mask_churn_outside
from analysis.sources.git.parse import SOURCE
from analysis.sources.git.passes import HistoryOptions, MinedHistory, default_workers, mine_range
from analysis.sources.git.segments import cached_mine, combine_segments


def mine_git_history(source: GitSource, rejects: Rejects, *, churn: str | bool | None = None,
                     follow_renames: bool | None = None, cache_dir: str | os.PathLike | None = None,
                     workers: int | None = None) -> SourceFrames:
    """Mine the history reachable from ``HEAD`` into ``commits`` and ``file_changes``.

    Options come from ``source`` (see :class:`analysis.core.config.GitSource`); ``churn``
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
    state = repository_state(repository)
    if not state.has_commits:
        empty = {"commits": frames.empty("commits"), "file_changes": frames.empty("file_changes")}
        return SourceFrames(empty, 0, 0, [f"{repository}: no commits (HEAD has no history yet)"])
    assert state.head is not None  # has_commits

    workers = workers or default_workers()
    if cache_dir is not None:
        segments, how = cached_mine(repository, state, options, Path(cache_dir), workers)
    else:
        segments, how = [mine_range(repository, options, (state.head,), workers)], "mined"
    mined = combine_segments(segments)
    for r in mined.rejects:
        rejects.add(r.source, r.location, r.reason, r.excerpt, r.records)
    shown = sum(r.records for r in mined.rejects)
    if mined.reject_count > shown:
        rejects.counts[SOURCE] += mined.reject_count - shown

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


def _notes(source: GitSource, options: HistoryOptions, state: RepositoryState, mined: MinedHistory,
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


