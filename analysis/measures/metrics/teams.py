"""Authors, teams and ownership per bounded context, from git history.

Input:
    ``commits``, ``file_changes``, ``file_context`` as in :mod:`analysis.measures.metrics.change`,
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
    ``context_authors``      context, author, team, commits, share
    ``context_fragmentation``  context, commits, authors, fractal_value, main_author,
                             main_author_share
    ``cross_team_cochange``  context_a, context_b, main_team_a, main_team_b, shared_commits,
                             cross_team, outside_commits
    ``conway_alignment``     dict: cross_context_commits, judged_commits, cross_team_commits,
                             cross_team_share, pairs, cross_team_pairs
    ``active_authors``       author, author_name, team, commits, last_commit_at
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.core.frames import typed_empty
from analysis.measures.metrics.change import context_touches, in_window, utc_timestamp

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
    owners: pd.DataFrame | None = None,
) -> dict:
    """Team scale and team coupling over the recent window, as plain numbers.

    ``owners``: :func:`team_by_context` of the same arguments, when the caller has it already.

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
    if owners is None:
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
        return typed_empty({"team": "string", "context": "string", "commits": "int64"})
    touches = with_authors(touches, teams)
    counts = touches.groupby(["team", "context"], sort=True)["commit"].nunique().reset_index(name="commits")
    return counts.astype({"team": "string", "context": "string", "commits": "int64"})[MATRIX_COLUMNS]


def _empty_team_frame() -> pd.DataFrame:
    return typed_empty({"context": "string", "authors": "int64", "authors_recent": "int64", "teams": "int64",
                        "main_team": "string", "main_team_share": "float64", "cross_team_share": "float64"})


# --------------------------------------------------------------------------------------
# who works where, how fragmented, and whether co-change follows the teams (Conway)

AUTHOR_COLUMNS = ["context", "author", "team", "commits", "share"]
FRAGMENTATION_COLUMNS = ["context", "commits", "authors", "fractal_value", "main_author", "main_author_share"]
COCHANGE_COLUMNS = ["context_a", "context_b", "main_team_a", "main_team_b", "shared_commits", "cross_team", "outside_commits"]
ACTIVE_COLUMNS = ["author", "author_name", "team", "commits", "last_commit_at"]


def context_authors(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    teams: Mapping[str, str],
) -> pd.DataFrame:
    """Distinct commits per (context, author) over the commits given.

    Columns: context, author (identity, see the module docstring), team, commits,
    share = commits / the context's commits. Sorted by context, commits descending,
    author.
    """
    touches = context_touches(commits, file_changes, file_context)
    if touches.empty:
        return pd.DataFrame({"context": pd.Series(dtype="string"), "author": pd.Series(dtype="string"),
                             "team": pd.Series(dtype="string"), "commits": pd.Series(dtype="int64"),
                             "share": pd.Series(dtype="float64")})
    touches = with_authors(touches, teams)
    counts = touches.groupby(["context", "author", "team"], sort=False)["commit"].nunique().reset_index(name="commits")
    totals = touches.groupby("context")["commit"].nunique()
    counts["share"] = counts["commits"] / counts["context"].map(totals)
    counts = counts.sort_values(["context", "commits", "author"], ascending=[True, False, True], kind="stable")
    return counts.astype({"context": "string", "author": "string", "team": "string", "commits": "int64",
                          "share": "float64"})[AUTHOR_COLUMNS].reset_index(drop=True)


def context_fragmentation(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
) -> pd.DataFrame:
    """Ownership fragmentation of each context: code-maat's fractal value (``fragmentation``,
    after D'Ambros, Gall, Lanza and Pinzger) with the context as the entity::

        fractal_value = 1 - sum_i (n_i / N) ** 2

    ``n_i`` = distinct commits by author i touching the context, ``N`` = distinct commits
    touching it. 0 for a single author; towards 1 for many authors with small shares.
    code-maat counts revisions per file and prints two decimals; here the value is kept
    unrounded.

    Columns: context, commits (N), authors, fractal_value, main_author (most commits;
    ties to the first in sort order), main_author_share. Sorted by fractal_value
    descending, then commits descending, then context (code-maat's order).
    """
    touches = context_touches(commits, file_changes, file_context)
    if touches.empty:
        return pd.DataFrame({"context": pd.Series(dtype="string"), "commits": pd.Series(dtype="int64"),
                             "authors": pd.Series(dtype="int64"), "fractal_value": pd.Series(dtype="float64"),
                             "main_author": pd.Series(dtype="string"), "main_author_share": pd.Series(dtype="float64")})
    touches = with_authors(touches, {})
    rows = []
    for context, rows_of in touches.groupby("context", sort=True):
        per_author = rows_of.groupby("author")["commit"].nunique()
        total = int(rows_of["commit"].nunique())
        ranked = sorted(per_author.items(), key=lambda kv: (-kv[1], kv[0]))
        rows.append({
            "context": context, "commits": total, "authors": len(per_author),
            "fractal_value": 1.0 - float(((per_author / total) ** 2).sum()),
            "main_author": ranked[0][0], "main_author_share": ranked[0][1] / total,
        })
    out = pd.DataFrame(rows, columns=FRAGMENTATION_COLUMNS)
    out = out.sort_values(["fractal_value", "commits", "context"], ascending=[False, False, True], kind="stable")
    return out.astype({"context": "string", "commits": "int64", "authors": "int64", "fractal_value": "float64",
                       "main_author": "string", "main_author_share": "float64"}).reset_index(drop=True)


def _cross_context_touches(commits, file_changes, file_context, teams, max_changeset_size):
    """Touches (commit, context, author, team) of commits that touch two or more contexts
    and at most ``max_changeset_size`` distinct paths."""
    known = file_changes["commit"].isin(commits["commit"])
    sizes = file_changes.loc[known, ["commit", "path"]].drop_duplicates().groupby("commit").size()
    touches = context_touches(commits, file_changes, file_context)
    touches = touches[touches["commit"].map(sizes).fillna(0) <= max_changeset_size]
    spans = touches.groupby("commit")["context"].transform("size")
    return with_authors(touches[spans >= 2].reset_index(drop=True), teams)


def cross_team_cochange(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    teams: Mapping[str, str],
    *,
    now,
    recent_days: float = 90,
    max_changeset_size: int = 30,
) -> pd.DataFrame:
    """Co-change between contexts, seen through the teams that own them (Conway's law).

    One row per pair of assigned contexts (a < b) changed together by at least one
    commit of ``commits`` with at most ``max_changeset_size`` distinct paths (bulk edits
    say nothing about coupling; setting ``coupling_max_changeset_size``):

    - ``main_team_a``, ``main_team_b``: the contexts' main teams as in
      :func:`team_by_context` (same ``now`` and ``recent_days``);
    - ``shared_commits``: commits touching both;
    - ``cross_team``: the main teams differ (the coupling crosses a team boundary, so
      every such change needs two teams); ``<NA>`` when either main team is
      :data:`UNKNOWN_TEAM` (cannot be judged);
    - ``outside_commits``: shared commits whose author's team is neither main team.

    Sorted by shared_commits descending, then context_a, context_b.
    """
    touches = _cross_context_touches(commits, file_changes, file_context, teams, max_changeset_size)
    if touches.empty:
        return typed_empty(dict(zip(COCHANGE_COLUMNS, ["string", "string", "string", "string", "int64", "boolean", "int64"])))
    owners = team_by_context(commits, file_changes, file_context, teams, now=now, recent_days=recent_days)
    main = dict(zip(owners["context"], owners["main_team"]))
    pairs = touches.merge(touches[["commit", "context"]], on="commit", suffixes=("_a", "_b"))
    pairs = pairs[pairs["context_a"] < pairs["context_b"]].copy()
    pairs["main_team_a"] = pairs["context_a"].map(main)
    pairs["main_team_b"] = pairs["context_b"].map(main)
    pairs["outside"] = (pairs["team"] != pairs["main_team_a"]) & (pairs["team"] != pairs["main_team_b"])
    grouped = pairs.groupby(["context_a", "context_b", "main_team_a", "main_team_b"], sort=False)
    out = pd.DataFrame({"shared_commits": grouped["commit"].nunique(), "outside_commits": grouped["outside"].sum()}).reset_index()
    unknown = (out["main_team_a"] == UNKNOWN_TEAM) | (out["main_team_b"] == UNKNOWN_TEAM)
    out["cross_team"] = pd.array(np.where(unknown, None, out["main_team_a"] != out["main_team_b"]), dtype="boolean")
    out = out.sort_values(["shared_commits", "context_a", "context_b"], ascending=[False, True, True], kind="stable")
    return out.astype({"context_a": "string", "context_b": "string", "main_team_a": "string", "main_team_b": "string",
                       "shared_commits": "int64", "outside_commits": "int64"})[COCHANGE_COLUMNS].reset_index(drop=True)


def conway_alignment(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    teams: Mapping[str, str],
    *,
    now,
    recent_days: float = 90,
    max_changeset_size: int = 30,
) -> dict:
    """How often a change that spans contexts also spans teams, over the recent window.

    Among commits in ``(now - recent_days, now]`` touching two or more contexts (and at
    most ``max_changeset_size`` paths):

    - ``cross_context_commits``: how many;
    - ``judged_commits``: those whose contexts all have a known main team
      (:func:`team_by_context`);
    - ``cross_team_commits``: judged commits whose contexts have two or more distinct
      main teams;
    - ``cross_team_share = cross_team_commits / judged_commits`` (NaN when none is
      judged): the share of cross-context changes that need several teams, i.e. where
      the context boundaries and the team boundaries disagree;
    - ``pairs``, ``cross_team_pairs``: context pairs co-changed in the window, and those
      whose main teams differ (from :func:`cross_team_cochange`).
    """
    now = utc_timestamp(now)
    recent = commits[in_window(commits["committed_at"], now, recent_days)]
    touches = _cross_context_touches(recent, file_changes, file_context, teams, max_changeset_size)
    summary = {"cross_context_commits": 0, "judged_commits": 0, "cross_team_commits": 0,
               "cross_team_share": float("nan"), "pairs": 0, "cross_team_pairs": 0}
    if touches.empty:
        return summary
    owners = team_by_context(commits, file_changes, file_context, teams, now=now, recent_days=recent_days)
    touches["main_team"] = touches["context"].map(dict(zip(owners["context"], owners["main_team"])))
    per_commit = touches.groupby("commit")["main_team"].agg(
        judged=lambda s: bool((s != UNKNOWN_TEAM).all()), owners="nunique")
    judged = per_commit[per_commit["judged"]]
    pairs = cross_team_cochange(recent, file_changes, file_context, teams, now=now, recent_days=recent_days,
                                max_changeset_size=max_changeset_size)
    summary.update(
        cross_context_commits=int(len(per_commit)),
        judged_commits=int(len(judged)),
        cross_team_commits=int((judged["owners"] >= 2).sum()),
        cross_team_share=float((judged["owners"] >= 2).mean()) if len(judged) else float("nan"),
        pairs=int(len(pairs)),
        cross_team_pairs=int(pairs["cross_team"].fillna(False).sum()),
    )
    return summary


def active_authors(
    commits: pd.DataFrame,
    teams: Mapping[str, str],
    *,
    now,
    days: float = 90,
) -> pd.DataFrame:
    """Authors with at least one commit (merges included) in ``(now - days, now]``.

    Columns: author (identity), author_name (the name on their latest commit in the
    window), team, commits, last_commit_at. Sorted by commits descending, then author.
    ``len()`` of the result is the ``active_authors`` of :func:`team_summary` for the same
    window.
    """
    now = utc_timestamp(now)
    recent = commits[in_window(commits["committed_at"], now, days)]
    if recent.empty:
        return pd.DataFrame({"author": pd.Series(dtype="string"), "author_name": pd.Series(dtype="string"),
                             "team": pd.Series(dtype="string"), "commits": pd.Series(dtype="int64"),
                             "last_commit_at": pd.Series(dtype="datetime64[ns, UTC]")})
    people = with_authors(recent, teams).sort_values("committed_at", kind="stable")
    grouped = people.groupby("author", sort=False)
    out = pd.DataFrame({
        "author_name": grouped["author_name"].last(),
        "team": grouped["team"].last(),
        "commits": grouped["commit"].nunique(),
        "last_commit_at": grouped["committed_at"].max(),
    }).reset_index()
    out = out.sort_values(["commits", "author"], ascending=[False, True], kind="stable")
    return out.astype({"author": "string", "author_name": "string", "team": "string", "commits": "int64",
                       "last_commit_at": "datetime64[ns, UTC]"})[ACTIVE_COLUMNS].reset_index(drop=True)
