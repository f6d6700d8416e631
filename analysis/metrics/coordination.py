"""Deploy coordination: how often one change spans several bounded contexts.

Input:
    ``commits``, ``file_changes``, ``file_context`` as in :mod:`analysis.metrics.change`.

Definitions:
    A commit counts when it has at least one ``file_changes`` row (merge commits have
    none and are excluded). It is *cross-context* when the distinct assigned contexts of
    its files number at least two; a commit touching only unassigned files counts but is
    never cross-context, and unassigned files never add a context.

    ``share = cross-context commits / commits`` (per month, or over a window).

Outputs:
    ``cross_context_commits``  month, commits, cross_context_commits, share
    ``cross_context_share``    float
"""

from __future__ import annotations

import pandas as pd

from analysis.metrics.change import aligned_context, in_window, month_start, utc_timestamp

MONTHLY_COLUMNS = ["month", "commits", "cross_context_commits", "share"]


def commit_contexts(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series) -> pd.DataFrame:
    """One row per commit with file changes: commit, committed_at, contexts (distinct
    assigned contexts touched), cross_context (contexts >= 2). Ordered as ``commits``."""
    ctx = aligned_context(file_changes, file_context)
    touched = pd.DataFrame({"commit": file_changes["commit"], "context": ctx})
    contexts = touched.groupby("commit")["context"].nunique()  # NA is not a context
    per_commit = commits[["commit", "committed_at"]].drop_duplicates("commit")
    per_commit = per_commit[per_commit["commit"].isin(contexts.index)].reset_index(drop=True)
    per_commit["contexts"] = per_commit["commit"].map(contexts).astype("int64")
    per_commit["cross_context"] = per_commit["contexts"] >= 2
    return per_commit


def cross_context_commits(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series) -> pd.DataFrame:
    """Commits and cross-context commits per calendar month (UTC) of ``committed_at``.

    Columns: month (first day, 00:00 UTC), commits, cross_context_commits,
    share = cross_context_commits / commits. Only months with at least one counted
    commit appear; sorted by month.
    """
    per_commit = commit_contexts(commits, file_changes, file_context)
    if per_commit.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="datetime64[ns, UTC]"),
                "commits": pd.Series(dtype="int64"),
                "cross_context_commits": pd.Series(dtype="int64"),
                "share": pd.Series(dtype="float64"),
            }
        )
    per_commit["month"] = month_start(per_commit["committed_at"])
    grouped = per_commit.groupby("month", sort=True)["cross_context"]
    out = pd.DataFrame({"commits": grouped.size(), "cross_context_commits": grouped.sum()}).reset_index()
    out["share"] = out["cross_context_commits"] / out["commits"]
    return out.astype(
        {"month": "datetime64[ns, UTC]", "commits": "int64", "cross_context_commits": "int64", "share": "float64"}
    )[MONTHLY_COLUMNS]


def cross_context_share(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    *,
    now=None,
    recent_days: float | None = None,
) -> float:
    """``cross-context commits / commits`` over all history, or over the recent window
    ``(now - recent_days, now]`` when both ``now`` and ``recent_days`` are given; 0.0
    when no commit counts. Compared with the ``cross_context_change_share`` setting."""
    if (now is None) != (recent_days is None):
        raise ValueError("give both now and recent_days for a recent share, or neither for all history")
    per_commit = commit_contexts(commits, file_changes, file_context)
    if now is not None:
        per_commit = per_commit[in_window(per_commit["committed_at"], utc_timestamp(now), recent_days)]
    if per_commit.empty:
        return 0.0
    return float(per_commit["cross_context"].mean())
