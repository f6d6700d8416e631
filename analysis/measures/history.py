"""History evidence: change, teams, coordination, deploys, hotspots and co-change, from git.

``measure_history(config, mined, units) -> HistoryEvidence``. ``now`` is the last commit's
time (today, floored to the day, without commits): every recent window ends there, so the
same history gives the same figures whenever it is analysed.

Each part carries its :class:`~analysis.core.evidence.Status`:

- ``status`` — the history itself: *not measured* without ``sources.git``; *not measurable*
  when the recent window holds fewer judged commits than ``min_commits_recent``, the history
  spans fewer than ``min_history_days`` (a shallow clone, a young repository, a ``since`` in
  the future), or the context map leaves more than ``max_unassigned_file_share`` of the source
  files at HEAD or ``max_unassigned_change_share`` of the recent changes to source files
  unassigned (source files: :data:`SOURCE_SUFFIXES`; documentation and assets do not count);
- ``team_status`` — *not measured* without a team map (``teams:`` or ``sources.git.team_map``),
  *not measurable* when the map names fewer than ``min_team_map_coverage`` of the active authors;
- ``deploy_status`` — *measured* from a deploy log, *not measurable* from release tags (cadence
  only), *not measured* with neither.

The coordination share's denominator is stated in ``coordination``
(:func:`analysis.measures.metrics.coordination.coordination_basis`): commits touching at least
one context, bulk commits left out. Co-change counts the last ``coupling_days`` of history
(``cochange_window``), so pairs whose code no longer exists do not count as hidden coupling.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import State, Status
from analysis.core.frames import Mined
from analysis.mapping.units import Units
from analysis.measures.coupling import evolutionary
from analysis.measures.metrics import change, coordination, hotspots, teams


@dataclass(frozen=True)
class HistoryEvidence:
    status: Status
    team_status: Status
    deploy_status: Status
    now: pd.Timestamp
    recent_days: int
    window: dict  # first and last commit, the recent window, history days
    sufficiency: dict  # what the history status was judged on
    coordination: dict  # the recent window's commit basis (coordination_basis)
    by_context: pd.DataFrame  # change_by_context
    teams_by_context: pd.DataFrame  # team_by_context
    team_summary: dict
    team_matrix: pd.DataFrame
    coordination_by_month: pd.DataFrame
    cross_context_share_recent: float | None
    cross_context_merge_share_recent: float | None
    conway: dict
    deploys: dict
    hotspots: pd.DataFrame
    context_hotspots: pd.DataFrame
    cochange: pd.DataFrame
    cochange_window: dict  # since, until, commits


def measure_history(config: Config, mined: Mined, units: Units) -> HistoryEvidence:
    th = config.thresholds
    commits, changes, where = mined["commits"], mined["file_changes"], units.file_context
    now = commits["committed_at"].max() if len(commits) else pd.Timestamp.now(tz="UTC").floor("D")
    recent = int(th["recent_days"])
    bulk = int(th["coupling_max_changeset_size"])
    window = {"now": now, "recent_days": recent}
    basis = coordination.coordination_basis(commits, changes, where, max_changeset_size=bulk, **window)
    spans = history_window(commits, now, recent)
    sufficiency = history_sufficiency(commits, changes, where, basis, spans, units.head_contexts(mined))
    status = history_status(config, mined, sufficiency)
    by_team = teams.team_by_context(commits, changes, where, config.teams, **window)
    team_summary = teams.team_summary(commits, changes, where, config.teams, owners=by_team, **window)
    team_status = team_map_status(config, team_summary, th["min_team_map_coverage"], status)
    if not team_status.known:  # one team of everyone is not a finding: unknown, never 1 and 0
        by_team = by_team.assign(main_team=pd.NA, main_team_share=float("nan"), cross_team_share=float("nan"), teams=pd.NA)
        team_summary = {**team_summary, "active_teams": None, "cross_team_change_share": None}
    file_hotspots = hotspots.hotspots(commits, changes, where, mined["complexity"], **window)
    since = now - pd.Timedelta(days=float(th["coupling_days"]))
    in_cochange = commits[commits["committed_at"] > since]
    cochange_changes = changes[changes["commit"].isin(in_cochange["commit"])]
    deploys = coordination.deploy_evidence(mined["deploys"], slow_deploy_minutes=th["slow_deploy_minutes"],
                                           max_failure_rate=th["max_deploy_failure_rate"],
                                           min_deploys_per_week=th["min_deploys_per_week"], **window)
    merge_share = coordination.cross_context_merge_share(commits, mined["merge_files"], units.merge_context, **window)
    return HistoryEvidence(
        status=status,
        team_status=team_status,
        deploy_status=deploy_status(mined, deploys),
        now=now,
        recent_days=recent,
        window=spans,
        sufficiency=sufficiency,
        coordination=basis,
        by_context=change.change_by_context(commits, changes, where, trend_months=int(th["trend_months"]), **window),
        teams_by_context=by_team,
        team_summary=team_summary,
        team_matrix=teams.team_context_matrix(commits, changes, where, config.teams, **window),
        coordination_by_month=coordination.coordination_by_month(commits, changes, where, mined["merge_files"],
                                                                  units.merge_context, max_changeset_size=bulk),
        cross_context_share_recent=basis["share"],
        cross_context_merge_share_recent=None if pd.isna(merge_share) else float(merge_share),
        conway=teams.conway_alignment(commits, changes, where, config.teams, **window) if team_status.known else {},
        deploys=deploys,
        hotspots=file_hotspots,
        context_hotspots=hotspots.context_hotspots(file_hotspots, commits, changes, where),
        cochange=evolutionary.context_cochange(in_cochange, cochange_changes, where[cochange_changes.index],
                                               max_changeset_size=bulk,
                                               min_shared_commits=int(th["evolutionary_min_shared_commits"])),
        cochange_window={"since": since, "until": now, "commits": len(in_cochange), "days": int(th["coupling_days"])},
    )


def history_window(commits: pd.DataFrame, now: pd.Timestamp, recent_days: int) -> dict:
    """The time the history covers: first and last commit, the recent window, days."""
    if commits.empty:
        return {"first_commit": None, "last_commit": None, "history_days": 0.0, "commits": 0,
                "recent_from": None, "recent_to": None}
    first = commits["committed_at"].min()
    return {"first_commit": first, "last_commit": now, "history_days": (now - first).total_seconds() / 86400,
            "commits": len(commits), "recent_from": now - pd.Timedelta(days=recent_days), "recent_to": now}


#: File name endings of source code: the unassigned shares that judge a context map count these
#: files only (documentation, static assets, translations and data belong to no context and
#: say nothing about whether the map's globs are right). A history with none counts every file.
SOURCE_SUFFIXES = (".py", ".pyi", ".java", ".kt", ".kts", ".scala", ".cs", ".go", ".js", ".jsx", ".mjs", ".cjs", ".ts",
                   ".tsx", ".rb", ".php", ".rs", ".c", ".cc", ".cpp", ".h", ".hpp", ".swift", ".ex", ".exs", ".erl",
                   ".clj", ".sql")


def source_code(paths: pd.Series) -> pd.Series:
    """Whether each path is a source file (:data:`SOURCE_SUFFIXES`), all True when none is."""
    code = paths.astype("string").str.lower().str.endswith(SOURCE_SUFFIXES).fillna(False).astype(bool)
    return code if code.any() else pd.Series(True, index=paths.index)


def source_files_at_head(head: pd.Series) -> pd.Series:
    """The contexts of the source files among ``head`` (context per file at HEAD, indexed by path)."""
    if head.empty:
        return head
    return head[source_code(pd.Series(head.index, dtype="string")).to_numpy()]


def history_sufficiency(commits: pd.DataFrame, changes: pd.DataFrame, where: pd.Series, basis: dict, spans: dict,
                        head: pd.Series) -> dict:
    """The figures the history's status is judged on (see the module docstring); ``head`` is
    the context of each file at HEAD, indexed by path."""
    at_head = source_files_at_head(head)
    recent_commits = commits.loc[change.in_window(commits["committed_at"], basis["window_end"],
                                                  (basis["window_end"] - basis["window_start"]).days), "commit"]
    recent = changes["commit"].isin(recent_commits).to_numpy() & source_code(changes["path"]).to_numpy()
    recent_where = where[recent]
    return {
        "judged_commits_recent": basis["judged"],
        "history_days": round(float(spans["history_days"]), 3),
        "source_files_at_head": len(at_head),
        "unassigned_file_share": float(at_head.isna().mean()) if len(at_head) else None,
        "changes_recent": int(len(recent_where)),
        "unassigned_change_share": float(recent_where.isna().mean()) if len(recent_where) else None,
    }


def history_status(config: Config, mined: Mined, figures: dict) -> Status:
    """Measured, not measured or not measurable (see the module docstring)."""
    th = config.thresholds
    if not mined.given("git"):
        return Status.not_measured(mined.missing("no git history given (sources.git)", "git"))
    if not len(mined["commits"]):
        since = f" since {config.git.since.isoformat()}" if config.git and config.git.since else ""
        return Status.not_measurable(f"no commits{since} in the repository")
    problems = []
    if figures["judged_commits_recent"] < th["min_commits_recent"]:
        problems.append(f"{figures['judged_commits_recent']} commits touching a context in the last "
                        f"{th['recent_days']:g} days (min_commits_recent = {th['min_commits_recent']:g})")
    if figures["history_days"] < th["min_history_days"]:
        problems.append(f"{figures['history_days']:.0f} days of history (min_history_days = {th['min_history_days']:g}; "
                        "a shallow clone or a young repository)")
    unassigned_files = figures["unassigned_file_share"]
    if unassigned_files is not None and unassigned_files > th["max_unassigned_file_share"]:
        problems.append(f"{unassigned_files:.0%} of the source files at HEAD in no context "
                        f"(max_unassigned_file_share = {th['max_unassigned_file_share']:g}): check the contexts' path globs")
    unassigned_changes = figures["unassigned_change_share"]
    if unassigned_changes is not None and unassigned_changes > th["max_unassigned_change_share"]:
        problems.append(f"{unassigned_changes:.0%} of the recent changes to source files in no context "
                        f"(max_unassigned_change_share = {th['max_unassigned_change_share']:g})")
    if problems:
        return Status.not_measurable("; ".join(problems))
    return Status.measured(f"{figures['judged_commits_recent']} commits touching a context in the last "
                           f"{th['recent_days']:g} days, {figures['history_days']:.0f} days of history")


def team_map_status(config: Config, summary: dict, min_coverage: float, history: Status) -> Status:
    """Teams are judged from the authors of the history: without a measured history they are not either."""
    if not config.teams:
        return Status.not_measured("no team map (teams: or sources.git.team_map)")
    if history.state is State.NOT_MEASURED:
        return Status.not_measured(f"teams are read from the history: {history.reason}")
    if not summary.get("active_authors"):
        return Status.not_measurable("no active author in the recent window")
    active = summary.get("active_authors") or 0
    unknown = summary.get("unknown_authors") or 0
    if active and (active - unknown) / active < min_coverage:
        return Status.not_measurable(f"the team map names {active - unknown} of {active} active authors "
                                     f"(min_team_map_coverage = {min_coverage:g})")
    return Status.measured(f"{active - unknown} of {active} active authors in the team map")


def deploy_status(mined: Mined, deploys: dict) -> Status:
    if not mined.given("deploys") or not deploys or deploys.get("origin") is None:
        return Status.not_measured(mined.missing("no deploy log (sources.git.deploys) and no release tags", "deploys"))
    if deploys.get("proxy"):
        return Status.not_measurable("release tags only: they give the cadence, not deploy durations or outcomes")
    return Status.measured("the deploy log")
