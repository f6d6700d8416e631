"""History evidence: change, teams, coordination, deploys, hotspots and co-change, from git.

``measure_history(config, mined, units) -> HistoryEvidence``. ``now`` is the last commit's
time (today, floored to the day, without commits): every recent window ends there, so the
same history gives the same figures whenever it is analysed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.config import Config
from analysis.core.frames import Mined
from analysis.mapping.units import Units
from analysis.measures.coupling import evolutionary
from analysis.measures.metrics import change, coordination, hotspots, teams


@dataclass(frozen=True)
class HistoryEvidence:
    now: pd.Timestamp
    recent_days: int
    by_context: pd.DataFrame  # change_by_context
    teams_by_context: pd.DataFrame  # team_by_context
    team_summary: dict
    team_matrix: pd.DataFrame
    coordination_by_month: pd.DataFrame
    cross_context_share_recent: float
    cross_context_merge_share_recent: float | None
    conway: dict
    deploys: dict
    hotspots: pd.DataFrame
    context_hotspots: pd.DataFrame
    cochange: pd.DataFrame


def measure_history(config: Config, mined: Mined, units: Units) -> HistoryEvidence:
    th = config.thresholds
    commits, changes, where = mined["commits"], mined["file_changes"], units.file_context
    now = commits["committed_at"].max() if len(commits) else pd.Timestamp.now(tz="UTC").floor("D")
    recent = int(th["recent_days"])
    window = {"now": now, "recent_days": recent}
    file_hotspots = hotspots.hotspots(commits, changes, where, mined["complexity"], **window)
    return HistoryEvidence(
        now=now,
        recent_days=recent,
        by_context=change.change_by_context(commits, changes, where, trend_months=int(th["trend_months"]), **window),
        teams_by_context=teams.team_by_context(commits, changes, where, config.teams, **window),
        team_summary=teams.team_summary(commits, changes, where, config.teams, **window),
        team_matrix=teams.team_context_matrix(commits, changes, where, config.teams, **window),
        coordination_by_month=coordination.coordination_by_month(commits, changes, where, mined["merge_files"], units.merge_context),
        cross_context_share_recent=coordination.cross_context_share(commits, changes, where, **window),
        cross_context_merge_share_recent=coordination.cross_context_merge_share(commits, mined["merge_files"], units.merge_context, **window),
        conway=teams.conway_alignment(commits, changes, where, config.teams, **window),
        deploys=coordination.deploy_evidence(mined["deploys"], slow_deploy_minutes=th["slow_deploy_minutes"],
                                             max_failure_rate=th["max_deploy_failure_rate"],
                                             min_deploys_per_week=th["min_deploys_per_week"], **window),
        hotspots=file_hotspots,
        context_hotspots=hotspots.context_hotspots(file_hotspots, commits, changes, where),
        cochange=evolutionary.context_cochange(commits, changes, where,
                                               max_changeset_size=int(th["coupling_max_changeset_size"]),
                                               min_shared_commits=int(th["evolutionary_min_shared_commits"])),
    )
