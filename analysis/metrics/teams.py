"""Authors, teams and ownership per bounded context, from git history.

Input:
    ``commits``, ``file_changes``, ``file_context`` as in :mod:`analysis.metrics.change`,
    and ``teams``: the config's mapping of author email or author name to team.

Authors and teams:
    An author is identified by their e-mail address, compared case-insensitively (the
    name when the address is empty). An author's team is looked up by e-mail first
    (exactly, then case-insensitively), then by name; an author in neither is in the team
    :data:`UNKNOWN_TEAM`. That team takes part in ownership like any other (it can be a
    context's main team, and its commits are cross-team for a context with a known main
    team) but is never counted as one of the distinct ``teams``: a missing mapping is not
    a team. ``unknown_authors`` in :func:`team_summary` says how much the map misses.

Time:
    The recent window is ``(now - recent_days, now]``, ``now`` given by the caller
    (``recent_days`` is the setting of that name).

Outputs:
    ``team_by_context``      context, authors, authors_recent, teams, main_team,
                             main_team_share, cross_team_share
    ``team_summary``         dict: active_authors, active_teams, cross_team_change_share,
                             unknown_authors
    ``team_context_matrix``  team, context, commits
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from analysis.metrics.change import context_touches, in_window, utc_timestamp

UNKNOWN_TEAM = "(unknown)"

TEAM_COLUMNS = ["context", "authors", "authors_recent", "teams", "main_team", "main_team_share", "cross_team_share"]
MATRIX_COLUMNS = ["team", "context", "commits"]


def team_of_author(name: str, email: str, teams: Mapping[str, str]) -> str:
    """The author's team: by e-mail (exact, then case-insensitive), then by name; else
    :data:`UNKNOWN_TEAM`."""
    return _TeamLookup(teams)(name, email)


class _TeamLookup:
    def __init__(self, teams: Mapping[str, str]):
        self.exact = dict(teams)
        self.folded = {str(k).casefold(): v for k, v in teams.items()}

    def __call__(self, name, email) -> str:
        if isinstance(email, str) and email:
            if email in self.exact:
                return str(self.exact[email])
            if email.casefold() in self.folded:
                return str(self.folded[email.casefold()])
        if isinstance(name, str) and name in self.exact:
            return str(self.exact[name])
        return UNKNOWN_TEAM


def with_authors(frame: pd.DataFrame, teams: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` (with author_name, author_email) plus ``author`` (identity) and ``team``."""
    lookup = _TeamLookup(teams)
    pairs = frame[["author_name", "author_email"]].astype(object).where(frame[["author_name", "author_email"]].notna(), "")
    keys = list(zip(pairs["author_name"], pairs["author_email"]))
    known = {k: (_author_identity(*k), lookup(*k)) for k in set(keys)}
    out = frame.copy()
    out["author"] = pd.Series([known[k][0] for k in keys], index=frame.index, dtype="string")
    out["team"] = pd.Series([known[k][1] for k in keys], index=frame.index, dtype="string")
    return out


def _author_identity(name: str, email: str) -> str:
    return email.casefold() if email else name


def team_by_context(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    teams: Mapping[str, str],
    *,
    now,
    recent_days: float = 90,
) -> pd.DataFrame:
    """Who changes each context, and how much of it its main team does.

    One row per assigned context some change touches, sorted by context. Commits are
    counted once per context (a commit touching several files of it is one commit).

    - ``authors``: distinct authors of commits touching the context, all history;
    - ``authors_recent``: the same within the recent window;
    - the *basis* is the context's commits in the recent window, or all its commits when
      it has none in the window;
    - ``teams``: distinct teams (not counting :data:`UNKNOWN_TEAM`) among the basis;
    - ``main_team``: the team with most basis commits; ties go to a known team before
      :data:`UNKNOWN_TEAM`, then to the first name in sort order;
    - ``main_team_share = basis commits by main_team / basis commits``;
    - ``cross_team_share = recent commits whose author's team != main_team / recent
      commits``; NaN when the context has no recent commit.
    """
    now = utc_timestamp(now)
    touches = context_touches(commits, file_changes, file_context)
    if touches.empty:
        return _empty_team_frame()
    touches = with_authors(touches, teams)
    touches["recent"] = in_window(touches["committed_at"], now, recent_days)
    rows = []
    for context, rows_of in touches.groupby("context", sort=True):
        recent = rows_of[rows_of["recent"]]
        basis = recent if len(recent) else rows_of
        main, main_n = _main_team(basis["team"])
        rows.append(
            {
                "context": context,
                "authors": rows_of["author"].nunique(),
                "authors_recent": recent["author"].nunique(),
                "teams": basis.loc[basis["team"] != UNKNOWN_TEAM, "team"].nunique(),
                "main_team": main,
                "main_team_share": main_n / len(basis),
                "cross_team_share": float((recent["team"] != main).mean()) if len(recent) else np.nan,
            }
        )
    out = pd.DataFrame(rows, columns=TEAM_COLUMNS)
    return out.astype(
        {
            "context": "string", "authors": "int64", "authors_recent": "int64", "teams": "int64",
            "main_team": "string", "main_team_share": "float64", "cross_team_share": "float64",
        }
    )


def _main_team(team_per_commit: pd.Series) -> tuple[str, int]:
    counts = team_per_commit.value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] == UNKNOWN_TEAM, kv[0]))
    return str(ranked[0][0]), int(ranked[0][1])


def team_summary(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    teams: Mapping[str, str],
    *,
    now,
    recent_days: float = 90,
) -> dict:
    """Team scale and team coupling over the recent window, as plain numbers.

    - ``active_authors``: distinct authors of commits (merges included) in the window;
    - ``active_teams``: distinct teams of those authors, not counting :data:`UNKNOWN_TEAM`;
    - ``cross_team_change_share = recent commits touching at least one context whose
      main_team (see :func:`team_by_context`) differs from the author's team / recent
      commits touching at least one assigned context``; 0.0 when there is none;
    - ``unknown_authors``: active authors in no team of the map.
    """
    now = utc_timestamp(now)
    recent_commits = commits[in_window(commits["committed_at"], now, recent_days)]
    people = with_authors(recent_commits, teams)
    summary = {
        "active_authors": int(people["author"].nunique()),
        "active_teams": int(people.loc[people["team"] != UNKNOWN_TEAM, "team"].nunique()),
        "cross_team_change_share": 0.0,
        "unknown_authors": int(people.loc[people["team"] == UNKNOWN_TEAM, "author"].nunique()),
    }
    touches = context_touches(commits, file_changes, file_context)
    touches = touches[in_window(touches["committed_at"], now, recent_days)]
    if touches.empty:
        return summary
    owners = team_by_context(commits, file_changes, file_context, teams, now=now, recent_days=recent_days)
    touches = with_authors(touches, teams)
    main = touches["context"].map(dict(zip(owners["context"], owners["main_team"])))
    crossing = (touches["team"] != main).groupby(touches["commit"]).any()
    summary["cross_team_change_share"] = float(crossing.mean())
    return summary


def team_context_matrix(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    teams: Mapping[str, str],
    *,
    now,
    recent_days: float = 90,
) -> pd.DataFrame:
    """Distinct recent commits per (team, context): who works where.

    Columns: team (:data:`UNKNOWN_TEAM` included), context, commits (> 0). Sorted by
    team, context.
    """
    now = utc_timestamp(now)
    touches = context_touches(commits, file_changes, file_context)
    touches = touches[in_window(touches["committed_at"], now, recent_days)]
    if touches.empty:
        return pd.DataFrame(
            {"team": pd.Series(dtype="string"), "context": pd.Series(dtype="string"), "commits": pd.Series(dtype="int64")}
        )
    touches = with_authors(touches, teams)
    counts = touches.groupby(["team", "context"], sort=True)["commit"].nunique().reset_index(name="commits")
    return counts.astype({"team": "string", "context": "string", "commits": "int64"})[MATRIX_COLUMNS]


def _empty_team_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "context": pd.Series(dtype="string"),
            "authors": pd.Series(dtype="int64"),
            "authors_recent": pd.Series(dtype="int64"),
            "teams": pd.Series(dtype="int64"),
            "main_team": pd.Series(dtype="string"),
            "main_team_share": pd.Series(dtype="float64"),
            "cross_team_share": pd.Series(dtype="float64"),
        }
    )
