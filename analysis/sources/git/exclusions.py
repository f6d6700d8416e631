"""What is left out of the history, each counted: bots, bulk commits, ignored paths, churn outside its window."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.core import frames
from analysis.core.globs import glob_regex


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


