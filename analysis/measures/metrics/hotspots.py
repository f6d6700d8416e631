"""Hotspots: code that is both complicated and changed often, per file and per context.

Tornhill (*Your Code as a Crime Scene*): change frequency says where the work goes,
complexity says how hard that work is; where both are high, a codebase costs most.

Input:
    ``commits``, ``file_changes``, ``file_context`` as in :mod:`analysis.measures.metrics.change`,
    and ``complexity`` (contract in :mod:`analysis.core.frames`): the files as they are at
    HEAD. Only paths present in both count: a deleted file is no longer a hotspot, a file
    never changed in the commits given has no change frequency.

Complexity of a file:
    ``ccn_total`` where lizard parsed the file (``complexity_source = "ccn"``); elsewhere
    the indentation complexity scaled into cyclomatic units,
    ``indentation_complexity * k`` with ``k = sum(ccn_total) / sum(indentation_complexity)``
    over the files lizard parsed (``complexity_source = "indentation"``; ``k = 1`` when
    lizard parsed no file with indentation). The scaling keeps one unit across languages
    so that a YAML file and a Python module rank on the same axis.

Score of a file::

    score = (revisions / max revisions) * (complexity / max complexity)   in [0, 1]

over the files in the frame (0 when every complexity is 0).

Outputs:
    ``hotspots``          path, context, revisions, revisions_recent, churn, language,
                          nloc, complexity, complexity_source, score
    ``context_hotspots``  context, files, revisions, nloc, complexity, score, score_share,
                          top_file
    ``hotspot_trend``     path, month, revisions
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.frames import typed_empty
from analysis.measures.metrics.change import context_touches, file_hotspots, month_start

HOTSPOT_COLUMNS = ["path", "context", "revisions", "revisions_recent", "churn", "language", "nloc",
                   "complexity", "complexity_source", "score"]
CONTEXT_COLUMNS = ["context", "files", "revisions", "nloc", "complexity", "score", "score_share", "top_file"]
TREND_COLUMNS = ["path", "month", "revisions"]

_HOTSPOT_DTYPES = {
    "path": "string", "context": "string", "revisions": "int64", "revisions_recent": "int64", "churn": "float64",
    "language": "string", "nloc": "int64", "complexity": "float64", "complexity_source": "string", "score": "float64",
}
_CONTEXT_DTYPES = {
    "context": "string", "files": "int64", "revisions": "int64", "nloc": "int64", "complexity": "float64",
    "score": "float64", "score_share": "float64", "top_file": "string",
}


def indentation_scale(complexity: pd.DataFrame) -> float:
    """``k = sum(ccn_total) / sum(indentation_complexity)`` over the files lizard parsed;
    1.0 when there is none (or their indentation sums to 0)."""
    parsed = complexity[complexity["ccn_total"].notna()]
    indentation = float(parsed["indentation_complexity"].sum())
    if indentation <= 0:
        return 1.0
    return float(parsed["ccn_total"].astype("float64").sum()) / indentation


def hotspots(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    complexity: pd.DataFrame,
    *,
    now,
    recent_days: float = 90,
) -> pd.DataFrame:
    """Every file changed in ``commits`` and present in ``complexity``, scored (see the
    module docstring). ``revisions``, ``revisions_recent`` and ``churn`` are those of
    :func:`analysis.measures.metrics.change.file_hotspots`. Sorted by score descending, then
    revisions descending, then path."""
    changed = file_hotspots(commits, file_changes, file_context, now=now, recent_days=recent_days)
    measured = complexity[["path", "language", "nloc", "ccn_total", "indentation_complexity"]]
    out = changed.merge(measured, on="path", how="inner")
    if out.empty:
        return typed_empty(_HOTSPOT_DTYPES)
    by_ccn = out["ccn_total"].notna()
    scale = indentation_scale(complexity)
    out["complexity"] = np.where(by_ccn, out["ccn_total"].astype("float64").fillna(0.0),
                                 out["indentation_complexity"].to_numpy(dtype="float64") * scale)
    out["complexity_source"] = np.where(by_ccn, "ccn", "indentation")
    top_complexity = out["complexity"].max()
    out["score"] = (out["revisions"] / out["revisions"].max()) * (out["complexity"] / top_complexity if top_complexity > 0 else 0.0)
    out = out.sort_values(["score", "revisions", "path"], ascending=[False, False, True], kind="stable")
    return out[HOTSPOT_COLUMNS].astype(_HOTSPOT_DTYPES).reset_index(drop=True)


def context_hotspots(
    hotspot_files: pd.DataFrame,
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
) -> pd.DataFrame:
    """Hotspots summed per assigned context, from the output of :func:`hotspots`.

    - ``files``: the context's files in ``hotspot_files``;
    - ``revisions``: distinct commits touching the context (any of its files, present at
      HEAD or not);
    - ``nloc``, ``complexity``: sums over its files;
    - ``score``: sum of its files' scores (many hot files make a hot context);
    - ``score_share = score / sum of score over every file in hotspot_files`` (unassigned
      files included in the denominator); NaN when that sum is 0;
    - ``top_file``: its file with the highest score.

    Sorted by score descending, then context.
    """
    assigned = hotspot_files[hotspot_files["context"].notna()]
    if assigned.empty:
        return typed_empty(_CONTEXT_DTYPES)
    touches = context_touches(commits, file_changes, file_context)
    revisions = touches.groupby("context")["commit"].nunique()
    grouped = assigned.groupby("context", sort=True)
    total = float(hotspot_files["score"].sum())
    out = pd.DataFrame(
        {
            "files": grouped.size(),
            "nloc": grouped["nloc"].sum(),
            "complexity": grouped["complexity"].sum(),
            "score": grouped["score"].sum(),
            # hotspot_files is sorted by score, so the first row of each group is the hottest
            "top_file": grouped["path"].first(),
        }
    ).reset_index()
    out["revisions"] = out["context"].map(revisions).fillna(0)
    out["score_share"] = out["score"] / total if total > 0 else np.nan
    out = out.sort_values(["score", "context"], ascending=[False, True], kind="stable")
    return out[CONTEXT_COLUMNS].astype(_CONTEXT_DTYPES).reset_index(drop=True)


def hotspot_trend(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    hotspot_files: pd.DataFrame,
    *,
    top: int = 10,
) -> pd.DataFrame:
    """Revisions per calendar month (UTC, of ``committed_at``) of the ``top`` files of
    ``hotspot_files`` (its first rows: the highest scores).

    Columns: path, month (first day, 00:00 UTC), revisions (distinct commits). The grid
    is complete: each of those files for every month from the first to the last commit
    in ``commits``, 0 where the file was not changed. Sorted by the files' rank, then
    month.
    """
    paths = list(hotspot_files["path"].head(int(top)))
    empty = pd.DataFrame({"path": pd.Series(dtype="string"), "month": pd.Series(dtype="datetime64[ns, UTC]"),
                          "revisions": pd.Series(dtype="int64")})
    if not paths or commits.empty:
        return empty
    meta = commits[["commit", "committed_at"]].drop_duplicates("commit")
    changes = file_changes.loc[file_changes["path"].isin(paths), ["commit", "path"]].drop_duplicates()
    changes = changes.merge(meta, on="commit", how="inner")
    changes["month"] = month_start(changes["committed_at"])
    counts = changes.groupby(["path", "month"])["commit"].nunique()
    months = month_start(commits["committed_at"])
    grid_months = pd.date_range(months.min(), months.max(), freq="MS").astype("datetime64[ns, UTC]")
    grid = pd.MultiIndex.from_product([paths, grid_months], names=["path", "month"])
    out = counts.reindex(grid, fill_value=0).reset_index(name="revisions")
    return pd.DataFrame(
        {
            "path": out["path"].astype("string"),
            "month": out["month"].astype("datetime64[ns, UTC]"),
            "revisions": out["revisions"].astype("int64"),
        }
    )
