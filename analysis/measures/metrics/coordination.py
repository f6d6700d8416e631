"""Deploy coordination: how often one change spans several bounded contexts.

Input:
    ``commits``, ``file_changes``, ``file_context`` as in :mod:`analysis.measures.metrics.change`.

Definitions:
    A commit is *judged* when it has at least one ``file_changes`` row (merge commits have
    none), touches at least one declared context (a commit touching only unassigned files
    says nothing about the contexts: it is counted apart) and is not a bulk commit (more
    files than ``max_changeset_size``, the ``coupling_max_changeset_size`` setting: a
    formatting or renaming sweep, excluded as from co-change). It is *cross-context* when
    the distinct assigned contexts of its files number at least two; unassigned files never
    add a context.

    ``share = cross-context commits / judged commits`` (per month, or over a window);
    :func:`coordination_basis` states every count of that denominator.

Merged pull requests:
    Where a team merges pull requests with merge commits, the merge is the unit that
    ships together. ``merge_files`` (contract in :mod:`analysis.core.frames`: commit, path)
    lists the files each merge commit brought into its first parent, and
    ``merge_context`` is aligned with it row by row. A merge counts when it is in
    ``commits`` with ``is_merge`` and has at least one ``merge_files`` row; it is
    cross-context when its files' distinct assigned contexts number at least two.
    ``merge_share = cross-context merges / merges``. (Squash- and rebase-merged pull
    requests leave ordinary commits and are counted as commits.)

Deploys:
    From the ``deploys`` frame (a deploy log, or release tags as a proxy; see
    :mod:`analysis.sources.git.deploys`): deploys per month, failure rate
    ``failures / (successes + failures)`` (cancelled and unknown outcomes left out),
    median and 90th percentile of the known durations (linear interpolation, numpy's
    default), and the share of deploys that list two or more contexts.
    :func:`deploy_evidence` condenses the recent window into the plain values the
    bottleneck verdict reads.

Outputs:
    ``cross_context_commits``  month, commits, cross_context_commits, share
    ``cross_context_share``    float
    ``cross_context_merges``   month, merges, cross_context_merges, share
    ``cross_context_merge_share``  float (NaN when no merge counts)
    ``coordination_by_month``  month, commits, cross_context_commits, commit_share, merges,
                               cross_context_merges, merge_share
    ``deploys_by_month``       month, deploys, failures, failure_rate, median_duration_s,
                               p90_duration_s, cross_context_deploys
    ``deploy_evidence``        dict (see the function)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.core.frames import typed_empty
from analysis.measures.metrics.change import aligned_context, in_window, month_start, utc_timestamp

MONTHLY_COLUMNS = ["month", "commits", "cross_context_commits", "share"]


def commit_contexts(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series,
                    max_changeset_size: float | None = None) -> pd.DataFrame:
    """One row per commit with file changes: commit, committed_at, files, contexts
    (distinct assigned contexts touched), bulk (files > max_changeset_size), judged
    (contexts >= 1 and not bulk), cross_context (judged and contexts >= 2). Ordered as
    ``commits``."""
    ctx = aligned_context(file_changes, file_context)
    touched = pd.DataFrame({"commit": file_changes["commit"], "context": ctx})
    grouped = touched.groupby("commit")
    contexts = grouped["context"].nunique()  # NA is not a context
    files = grouped.size()
    per_commit = commits[["commit", "committed_at"]].drop_duplicates("commit")
    # a hash look-up of each commit in the grouped index (Series.isin on strings is several times slower)
    per_commit = per_commit[contexts.index.get_indexer(per_commit["commit"]) >= 0].reset_index(drop=True)
    per_commit["files"] = per_commit["commit"].map(files).astype("int64")
    per_commit["contexts"] = per_commit["commit"].map(contexts).astype("int64")
    per_commit["bulk"] = per_commit["files"] > max_changeset_size if max_changeset_size is not None else False
    per_commit["judged"] = (per_commit["contexts"] >= 1) & ~per_commit["bulk"]
    per_commit["cross_context"] = per_commit["judged"] & (per_commit["contexts"] >= 2)
    return per_commit


def coordination_basis(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series, *, now,
                       recent_days: float, max_changeset_size: float | None = None) -> dict:
    """The recent window's commits, every count of the coordination share stated:

    ``commits`` (with file changes, in ``(now - recent_days, now]``), ``bulk`` (left out:
    more files than ``max_changeset_size``), ``no_context`` (left out: only unassigned
    files), ``judged`` (the denominator), ``cross_context`` (the numerator), ``share``
    (None when nothing is judged), ``window_start`` and ``window_end``."""
    end = utc_timestamp(now)
    per_commit = commit_contexts(commits, file_changes, file_context, max_changeset_size)
    recent = per_commit[in_window(per_commit["committed_at"], end, float(recent_days))]
    judged = int(recent["judged"].sum())
    cross = int(recent["cross_context"].sum())
    return {
        "commits": len(recent),
        "bulk": int(recent["bulk"].sum()),
        "no_context": int(((recent["contexts"] == 0) & ~recent["bulk"]).sum()),
        "judged": judged,
        "cross_context": cross,
        "share": cross / judged if judged else None,
        "window_start": end - pd.Timedelta(days=float(recent_days)),
        "window_end": end,
    }


def cross_context_commits(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series,
                          max_changeset_size: float | None = None) -> pd.DataFrame:
    """Judged commits and cross-context commits per calendar month (UTC) of ``committed_at``.

    Columns: month (first day, 00:00 UTC), commits (judged), cross_context_commits,
    share = cross_context_commits / commits. Only months with at least one judged commit
    appear; sorted by month.
    """
    per_commit = commit_contexts(commits, file_changes, file_context, max_changeset_size)
    per_commit = per_commit[per_commit["judged"]]
    if per_commit.empty:
        return typed_empty({"month": "datetime64[ns, UTC]", "commits": "int64", "cross_context_commits": "int64", "share": "float64"})
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
    max_changeset_size: float | None = None,
) -> float:
    """``cross-context commits / judged commits`` over all history, or over the recent window
    ``(now - recent_days, now]`` when both ``now`` and ``recent_days`` are given; NaN when
    no commit is judged (unknown, never 0). Compared with the ``cross_context_change_share``
    setting."""
    if (now is None) != (recent_days is None):
        raise ValueError("give both now and recent_days for a recent share, or neither for all history")
    per_commit = commit_contexts(commits, file_changes, file_context, max_changeset_size)
    if now is not None:
        per_commit = per_commit[in_window(per_commit["committed_at"], utc_timestamp(now), float(recent_days or 0))]
    per_commit = per_commit[per_commit["judged"]]
    if per_commit.empty:
        return float("nan")
    return float(per_commit["cross_context"].mean())


# --------------------------------------------------------------------------------------
# merged pull requests

MERGE_COLUMNS = ["month", "merges", "cross_context_merges", "share"]
BY_MONTH_COLUMNS = ["month", "commits", "cross_context_commits", "commit_share", "merges", "cross_context_merges", "merge_share"]
DEPLOY_COLUMNS = ["month", "deploys", "failures", "failure_rate", "median_duration_s", "p90_duration_s", "cross_context_deploys"]


def merge_contexts(commits: pd.DataFrame, merge_files: pd.DataFrame, merge_context: pd.Series) -> pd.DataFrame:
    """One row per merge commit of ``commits`` with ``merge_files`` rows: commit,
    committed_at, contexts (distinct assigned contexts of its files), cross_context
    (contexts >= 2). Ordered as ``commits``."""
    ctx = aligned_context(merge_files, merge_context)
    touched = pd.DataFrame({"commit": merge_files["commit"], "context": ctx})
    contexts = touched.groupby("commit")["context"].nunique()
    merges = commits.loc[commits["is_merge"].astype(bool), ["commit", "committed_at"]].drop_duplicates("commit")
    merges = merges[merges["commit"].isin(contexts.index)].reset_index(drop=True)
    merges["contexts"] = merges["commit"].map(contexts).astype("int64")
    merges = merges[merges["contexts"] >= 1].reset_index(drop=True)  # a merge of unassigned files only says nothing
    merges["cross_context"] = merges["contexts"] >= 2
    return merges


def cross_context_merges(commits: pd.DataFrame, merge_files: pd.DataFrame, merge_context: pd.Series) -> pd.DataFrame:
    """Merged pull requests and cross-context ones per calendar month (UTC) of the merge's
    ``committed_at``. Columns: month, merges, cross_context_merges, share. Only months
    with a counted merge appear; sorted by month."""
    per_merge = merge_contexts(commits, merge_files, merge_context)
    if per_merge.empty:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns, UTC]"), "merges": pd.Series(dtype="int64"),
                             "cross_context_merges": pd.Series(dtype="int64"), "share": pd.Series(dtype="float64")})
    per_merge["month"] = month_start(per_merge["committed_at"])
    grouped = per_merge.groupby("month", sort=True)["cross_context"]
    out = pd.DataFrame({"merges": grouped.size(), "cross_context_merges": grouped.sum()}).reset_index()
    out["share"] = out["cross_context_merges"] / out["merges"]
    return out.astype({"month": "datetime64[ns, UTC]", "merges": "int64", "cross_context_merges": "int64",
                       "share": "float64"})[MERGE_COLUMNS]


def cross_context_merge_share(
    commits: pd.DataFrame,
    merge_files: pd.DataFrame,
    merge_context: pd.Series,
    *,
    now=None,
    recent_days: float | None = None,
) -> float:
    """``cross-context merges / merges`` over all history, or over ``(now - recent_days,
    now]`` when both are given; NaN when no merge counts (no merge commits: the team
    squashes or rebases, or merge files were not mined)."""
    if (now is None) != (recent_days is None):
        raise ValueError("give both now and recent_days for a recent share, or neither for all history")
    per_merge = merge_contexts(commits, merge_files, merge_context)
    if now is not None:
        per_merge = per_merge[in_window(per_merge["committed_at"], utc_timestamp(now), float(recent_days or 0))]
    if per_merge.empty:
        return float("nan")
    return float(per_merge["cross_context"].mean())


def coordination_by_month(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    merge_files: pd.DataFrame | None = None,
    merge_context: pd.Series | None = None,
    max_changeset_size: float | None = None,
) -> pd.DataFrame:
    """Commits and merged pull requests side by side, per month.

    Columns: month, commits, cross_context_commits, commit_share, merges,
    cross_context_merges, merge_share; the union of the months of
    :func:`cross_context_commits` and :func:`cross_context_merges`, counts 0 and shares
    NaN where a month has none. Without ``merge_files`` the merge columns are 0 / NaN.
    """
    by_commit = cross_context_commits(commits, file_changes, file_context, max_changeset_size).rename(columns={"share": "commit_share"})
    if merge_files is None:
        merge_files = pd.DataFrame({"commit": pd.Series(dtype="string"), "path": pd.Series(dtype="string")})
        merge_context = pd.Series(dtype="string")
    by_merge = cross_context_merges(commits, merge_files, merge_context).rename(columns={"share": "merge_share"})
    out = by_commit.merge(by_merge, on="month", how="outer").sort_values("month", kind="stable")
    for col in ("commits", "cross_context_commits", "merges", "cross_context_merges"):
        out[col] = out[col].fillna(0)
    return out.astype({"month": "datetime64[ns, UTC]", "commits": "int64", "cross_context_commits": "int64",
                       "commit_share": "float64", "merges": "int64", "cross_context_merges": "int64",
                       "merge_share": "float64"})[BY_MONTH_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# deploys


def _context_count(contexts: pd.Series) -> pd.Series:
    """Contexts listed per deploy (comma-separated; NA = none listed)."""
    return contexts.fillna("").astype(object).map(lambda s: len([c for c in s.split(",") if c]))


def _duration_stats(durations: pd.Series) -> tuple[float, float]:
    known = durations.dropna().to_numpy(dtype="float64")
    if not len(known):
        return float("nan"), float("nan")
    return float(np.median(known)), float(np.percentile(known, 90))


def deploys_by_month(deploys: pd.DataFrame) -> pd.DataFrame:
    """Deploy frequency, outcome and duration per calendar month (UTC) of ``deployed_at``.

    Columns: month, deploys, failures, failure_rate (``failures / (successes + failures)``,
    NaN when no outcome is known), median_duration_s, p90_duration_s (NaN without known
    durations), cross_context_deploys (deploys listing two or more contexts). Only months
    with a deploy appear; sorted by month.
    """
    if deploys.empty:
        return typed_empty(dict(zip(DEPLOY_COLUMNS, ["datetime64[ns, UTC]", "int64", "int64", "float64", "float64", "float64", "int64"])))
    d = deploys.assign(month=month_start(deploys["deployed_at"]), contexts_n=_context_count(deploys["contexts"]))
    rows = []
    for month, group in d.groupby("month", sort=True):
        failures = int((group["status"] == "failure").sum())
        judged = int(group["status"].isin(["success", "failure"]).sum())
        median, p90 = _duration_stats(group["duration_s"])
        rows.append({"month": month, "deploys": len(group), "failures": failures,
                     "failure_rate": failures / judged if judged else np.nan, "median_duration_s": median,
                     "p90_duration_s": p90, "cross_context_deploys": int((group["contexts_n"] >= 2).sum())})
    return pd.DataFrame(rows, columns=DEPLOY_COLUMNS).astype({
        "month": "datetime64[ns, UTC]", "deploys": "int64", "failures": "int64", "failure_rate": "float64",
        "median_duration_s": "float64", "p90_duration_s": "float64", "cross_context_deploys": "int64"})


def deploy_evidence(
    deploys: pd.DataFrame,
    *,
    now,
    recent_days: float = 90,
    slow_deploy_minutes: float = 30,
    max_failure_rate: float = 0.15,
    min_deploys_per_week: float = 1.0,
) -> dict:
    """The deploy evidence for the bottleneck verdict, over ``(now - recent_days, now]``.

    Keys (None where the input cannot tell):

    - ``origin``: ``deploy-log``, ``release-tag`` or None (no deploys at all);
    - ``proxy``: True when release tags stand in for a deploy log;
    - ``window_days``, ``deploys`` (in the window), ``deploys_per_week = deploys /
      (recent_days / 7)``;
    - ``median_duration_s``, ``p90_duration_s``: over known durations in the window;
    - ``failure_rate = failures / (successes + failures)`` in the window;
    - ``cross_context_deploy_share``: deploys listing >= 2 contexts / deploys listing any;
    - ``slow``: ``median_duration_s >= slow_deploy_minutes * 60``;
    - ``failing``: ``failure_rate >= max_failure_rate``;
    - ``infrequent``: ``deploys_per_week < min_deploys_per_week``;
    - ``pressure``: True when any of slow, failing, infrequent is True; False when at
      least one is known and none is True; None when none is known. With release tags
      only ``infrequent`` can be known (cadence, not pain), and ``proxy`` says so;
    - ``thresholds``: the three thresholds used; ``note``: one sentence for the report.

    Defaults: 30 minutes is where a deploy stops being a routine step in a working day;
    15 % is DORA's upper bound for elite change failure rates; once a week is DORA's
    lower bound for high performers' deployment frequency.
    """
    now = utc_timestamp(now)
    thresholds = {"slow_deploy_minutes": float(slow_deploy_minutes), "max_failure_rate": float(max_failure_rate),
                  "min_deploys_per_week": float(min_deploys_per_week)}
    evidence = {"origin": None, "proxy": False, "window_days": float(recent_days), "deploys": 0,
                "deploys_per_week": None, "median_duration_s": None, "p90_duration_s": None, "failure_rate": None,
                "cross_context_deploy_share": None, "slow": None, "failing": None, "infrequent": None,
                "pressure": None, "thresholds": thresholds,
                "note": "no deploy log and no release tags: deploy frequency and duration are unknown"}
    if deploys.empty:
        return evidence
    origin = "deploy-log" if (deploys["origin"] == "deploy-log").any() else str(deploys["origin"].iloc[0])
    proxy = origin != "deploy-log"
    recent = deploys[(deploys["origin"] == origin) & in_window(deploys["deployed_at"], now, recent_days)]
    per_week = len(recent) / (float(recent_days) / 7.0)
    median, p90 = _duration_stats(recent["duration_s"])
    failures = int((recent["status"] == "failure").sum())
    judged = int(recent["status"].isin(["success", "failure"]).sum())
    listed = _context_count(recent["contexts"])
    failure_rate = failures / judged if judged else None
    slow = None if math.isnan(median) else bool(median >= slow_deploy_minutes * 60)
    failing = None if failure_rate is None else bool(failure_rate >= max_failure_rate)
    infrequent = bool(per_week < min_deploys_per_week)
    flags = [f for f in (slow, failing, infrequent) if f is not None]
    evidence.update(
        origin=origin, proxy=proxy, deploys=int(len(recent)), deploys_per_week=per_week,
        median_duration_s=None if math.isnan(median) else median, p90_duration_s=None if math.isnan(p90) else p90,
        failure_rate=failure_rate,
        cross_context_deploy_share=float((listed >= 2).sum() / (listed >= 1).sum()) if (listed >= 1).any() else None,
        slow=slow, failing=failing, infrequent=infrequent, pressure=any(flags) if flags else None,
        note=(f"release tags serve as a proxy for deploys ({len(recent)} in the last {recent_days:g} days): "
              "they show the release cadence, not deploy duration or outcome" if proxy
              else f"{len(recent)} deploys in the last {recent_days:g} days from the deploy log"),
    )
    return evidence
