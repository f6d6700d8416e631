"""Change frequency, churn and trend per bounded context, from git history.

Input:
    ``commits`` and ``file_changes`` (contracts in :mod:`analysis.core.frames`) and
    ``file_context``, a string Series aligned row by row with ``file_changes``: the context
    of each changed path, ``<NA>`` when the path is unassigned. Unassigned changes never
    form a context row; they still count where a function says so (``file_hotspots``).
    ``file_changes`` rows whose commit is not in ``commits`` are ignored, so a caller
    restricts a metric to a period by passing a filtered ``commits`` frame.

Time:
    ``now`` is a tz-aware timestamp given by the caller (the pipeline passes the time of
    the last commit, never the wall clock). A window of ``d`` days ending at ``t`` is the
    half-open interval ``(t - d days, t]`` of ``committed_at``. The recent window is
    ``(now - recent_days, now]``; the trend compares ``(now - T, now]`` with
    ``(now - 2T, now - T]`` where ``T = trend_months * 30`` days.

Outputs:
    ``change_by_context``  context, commits, commits_recent, files, churn_recent, trend
    ``monthly_changes``    context, month, commits
    ``file_hotspots``      path, context, revisions, revisions_recent, churn

The functions :func:`context_changes`, :func:`context_touches`, :func:`in_window`,
:func:`churn_by` and :func:`utc_timestamp` are shared by the other history metrics
(teams, coordination).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.frames import typed_empty

CHANGE_COLUMNS = ["context", "commits", "commits_recent", "files", "churn_recent", "trend"]
MONTHLY_COLUMNS = ["context", "month", "commits"]
HOTSPOT_COLUMNS = ["path", "context", "revisions", "revisions_recent", "churn"]

_COMMIT_FIELDS = ["commit", "committed_at", "author_name", "author_email"]


# --------------------------------------------------------------------------------------
# shared by the history metrics


def utc_timestamp(now) -> pd.Timestamp:
    """``now`` as a UTC Timestamp; a naive timestamp is refused (its zone would be a guess)."""
    ts = pd.Timestamp(now)
    if ts.tzinfo is None:
        raise ValueError(f"now must be a tz-aware timestamp, got naive {ts!s}")
    return ts.tz_convert("UTC")


def in_window(times: pd.Series, end: pd.Timestamp, days: float) -> pd.Series:
    """True where ``end - days < time <= end`` (the window ``(end - days, end]``)."""
    start = end - pd.Timedelta(days=float(days))
    return (times > start) & (times <= end)


def aligned_context(file_changes: pd.DataFrame, file_context: pd.Series) -> pd.Series:
    """``file_context`` re-indexed onto ``file_changes`` by position, as a string Series.

    Raises ValueError when the lengths differ: the Series must describe every row.
    """
    if len(file_context) != len(file_changes):
        raise ValueError(
            f"file_context has {len(file_context)} rows, file_changes has {len(file_changes)}: "
            "the context Series must be aligned with the frame"
        )
    return pd.Series(np.asarray(file_context, dtype=object), index=file_changes.index).astype("string")


def context_changes(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series) -> pd.DataFrame:
    """Every file change with its context and its commit's time and author.

    Columns: commit, path, context (``<NA>`` = unassigned), added, deleted, committed_at,
    author_name, author_email. Rows whose commit is not in ``commits`` are dropped.
    """
    fc = file_changes[["commit", "path", "added", "deleted"]].copy()
    fc["context"] = aligned_context(file_changes, file_context)
    meta = commits[_COMMIT_FIELDS].drop_duplicates("commit")
    out = fc.merge(meta, on="commit", how="inner")
    return out[["commit", "path", "context", "added", "deleted", "committed_at", "author_name", "author_email"]]


def context_touches(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series) -> pd.DataFrame:
    """One row per (commit, assigned context) the commit touches.

    Columns: commit, context, committed_at, author_name, author_email.
    """
    ch = context_changes(commits, file_changes, file_context)
    ch = ch[ch["context"].notna()]
    return ch.drop_duplicates(["commit", "context"])[["commit", "context", "committed_at", "author_name", "author_email"]].reset_index(drop=True)


def churn_by(changes: pd.DataFrame, key: str) -> pd.Series:
    """``sum(added + deleted)`` per ``key``, NA counted as 0; NaN for a key none of whose
    changes has a count (binary files, churn not mined). Float Series indexed by ``key``."""
    counted = changes["added"].notna() | changes["deleted"].notna()
    lines = changes["added"].fillna(0).astype("int64") + changes["deleted"].fillna(0).astype("int64")
    frame = pd.DataFrame({"key": changes[key], "lines": lines, "counted": counted})
    grouped = frame.groupby("key", sort=True)
    return grouped["lines"].sum().astype("float64").where(grouped["counted"].any())


def month_start(times: pd.Series) -> pd.Series:
    """The first instant (UTC) of each timestamp's calendar month."""
    utc = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return utc.dt.to_period("M").dt.to_timestamp().dt.tz_localize("UTC").astype("datetime64[ns, UTC]")


# --------------------------------------------------------------------------------------
# metrics


def change_by_context(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    *,
    now,
    recent_days: float = 90,
    trend_months: float = 6,
) -> pd.DataFrame:
    """Change frequency, churn and trend of each context.

    One row per assigned context that some change touches, sorted by context:

    - ``commits``: distinct commits touching the context, all history;
    - ``commits_recent``: the same within ``(now - recent_days, now]``;
    - ``files``: distinct paths of the context changed at any time;
    - ``churn_recent``: ``sum(added + deleted)`` over the context's file changes in the
      recent window, NA (binary, not mined) counted as 0; NaN when no change in the
      window has a count (or the window is empty);
    - ``trend``: ``commits in (now - T, now] / commits in (now - 2T, now - T]`` with
      ``T = trend_months * 30`` days; NaN when the earlier window has no commits.

    ``recent_days`` and ``trend_months`` are the settings of the same names.
    """
    now = utc_timestamp(now)
    ch = context_changes(commits, file_changes, file_context)
    ch = ch[ch["context"].notna()]
    if ch.empty:
        return _empty_change()
    span = float(trend_months) * 30
    recent = in_window(ch["committed_at"], now, recent_days)
    last = in_window(ch["committed_at"], now, span)
    before = in_window(ch["committed_at"], now - pd.Timedelta(days=span), span)

    by_context = ch.groupby("context", sort=True)
    names = by_context.size().index
    total = by_context["commit"].nunique()

    def distinct_commits(mask: pd.Series) -> pd.Series:
        return ch[mask].groupby("context")["commit"].nunique().reindex(names, fill_value=0)

    recent_n = distinct_commits(recent)
    last_n = distinct_commits(last)
    before_n = distinct_commits(before)
    churn = churn_by(ch[recent], "context").reindex(names)
    trend = (last_n / before_n.where(before_n > 0)).astype("float64")
    return pd.DataFrame(
        {
            "context": pd.Series(names, dtype="string"),
            "commits": total.to_numpy(dtype="int64"),
            "commits_recent": recent_n.to_numpy(dtype="int64"),
            "files": by_context["path"].nunique().to_numpy(dtype="int64"),
            "churn_recent": churn.to_numpy(dtype="float64"),
            "trend": trend.to_numpy(dtype="float64"),
        }
    )


def monthly_changes(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series) -> pd.DataFrame:
    """Distinct commits per assigned context and calendar month (UTC) of ``committed_at``.

    Columns: context, month (first day of the month, 00:00 UTC), commits. The grid is
    complete: every context that some change touches, for every month from the first to
    the last commit in ``commits``, with 0 where the context was not changed. Sorted by
    context, month.
    """
    touches = context_touches(commits, file_changes, file_context)
    if touches.empty:
        return typed_empty({"context": "string", "month": "datetime64[ns, UTC]", "commits": "int64"})
    touches["month"] = month_start(touches["committed_at"])
    counts = touches.groupby(["context", "month"])["commit"].nunique()
    all_months = month_start(commits["committed_at"])
    months = pd.date_range(all_months.min(), all_months.max(), freq="MS").astype("datetime64[ns, UTC]")
    grid = pd.MultiIndex.from_product([sorted(touches["context"].unique()), months], names=["context", "month"])
    counts = counts.reindex(grid, fill_value=0).reset_index(name="commits")
    return pd.DataFrame(
        {
            "context": counts["context"].astype("string"),
            "month": counts["month"].astype("datetime64[ns, UTC]"),
            "commits": counts["commits"].astype("int64"),
        }
    )


def file_hotspots(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    *,
    now,
    recent_days: float = 90,
) -> pd.DataFrame:
    """Revisions and churn of every changed path, assigned or not.

    Columns: path, context (``<NA>`` = unassigned), revisions (distinct commits touching
    the path, all history), revisions_recent (within ``(now - recent_days, now]``),
    churn (``sum(added + deleted)`` over all history, NA counted as 0; NaN when no change
    of the path has a count). Paths are as recorded after each change (a rename starts a
    new path). Sorted by revisions descending, then path.
    """
    now = utc_timestamp(now)
    ch = context_changes(commits, file_changes, file_context)
    if ch.empty:
        return typed_empty({"path": "string", "context": "string", "revisions": "int64", "revisions_recent": "int64", "churn": "float64"})
    ch = ch.assign(recent=in_window(ch["committed_at"], now, recent_days))
    by_path = ch.groupby("path", sort=True)
    names = by_path.size().index
    recent_n = ch[ch["recent"]].groupby("path")["commit"].nunique().reindex(names, fill_value=0)
    churn = churn_by(ch, "path").reindex(names)
    out = pd.DataFrame(
        {
            "path": pd.Series(names, dtype="string"),
            "context": by_path["context"].first().reindex(names).to_numpy(dtype=object),
            "revisions": by_path["commit"].nunique().to_numpy(dtype="int64"),
            "revisions_recent": recent_n.to_numpy(dtype="int64"),
            "churn": churn.to_numpy(dtype="float64"),
        }
    )
    out["context"] = out["context"].astype("string")
    return out.sort_values(["revisions", "path"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _empty_change() -> pd.DataFrame:
    return typed_empty({"context": "string", "commits": "int64", "commits_recent": "int64", "files": "int64",
                        "churn_recent": "float64", "trend": "float64"})
