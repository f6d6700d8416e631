"""Every threshold and weight Seams decides with, with its default and the reason for it.

A setting is overridden in the config file under ``thresholds:`` or ``weights:``; an
unknown name is a configuration error that lists the valid ones. Verdict rules in
:mod:`analysis.decisions` read only these names, and ``findings.json`` records the values
used for every verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Setting:
    """One threshold or weight. ``stage`` says what a change to it needs: ``decide`` settings
    are applied to already-measured evidence (a what-if re-decides in well under a second,
    :func:`analysis.pipeline.redecide`); ``measure`` settings change what is measured, so the
    measures are run again (mining stays cached)."""

    name: str
    default: float
    reason: str
    minimum: float = 0.0
    maximum: float | None = None
    stage: str = "decide"


def _registry(*settings: Setting) -> MappingProxyType:
    return MappingProxyType({s.name: s for s in settings})


THRESHOLDS = _registry(
    # --- history window and change coupling -------------------------------------------
    Setting("recent_days", 90, "Recent window for change frequency, churn and active authors: one quarter is long enough to smooth a release cycle and short enough to reflect today's team.", 1, stage="measure"),
    Setting("trend_months", 6, "Months compared for the change-frequency trend (last N months against the N before).", 1, stage="measure"),
    Setting("coupling_min_revs", 5, "code-maat's default: a pair's average revisions must reach this before its degree means anything.", 0, stage="measure"),
    Setting("coupling_min_shared_revs", 5, "code-maat's default: fewer shared revisions than this is coincidence.", 0, stage="measure"),
    Setting("coupling_min_degree", 30, "code-maat's default minimum coupling degree (percent).", 0, 100, stage="measure"),
    Setting("coupling_days", 365, "Co-change (the evolutionary signal, and hidden coupling against imports at HEAD) counts the commits of this many days before the last one: old history would raise pairs whose code no longer exists.", 1, stage="measure"),
    Setting("coupling_max_changeset_size", 30, "code-maat's default: commits touching more files than this are bulk edits (formatting, renames) and say nothing about coupling.", 1, stage="measure"),
    # --- sufficiency: below these a verdict is INCONCLUSIVE, naming what is missing ----
    Setting("min_commits_recent", 30, "Commits in the recent window below which shares of commits are noise: about two a week over a quarter.", 1, stage="measure"),
    Setting("min_history_days", 90, "History shorter than one recent window (a shallow clone, a young repository) cannot show how the team works.", 1, stage="measure"),
    Setting("max_unassigned_file_share", 0.5, "When the context map leaves more than half of the files at HEAD unassigned (often one typo in a glob), structure and history speak about a fraction of the code.", 0, 1, stage="measure"),
    Setting("max_unassigned_change_share", 0.5, "When more than half of the recent file changes fall outside every context (old directory names, assets), coordination is judged on a minority of the work.", 0, 1, stage="measure"),
    Setting("min_load_hours", 24, "Load shape (peaks, correlation) needs at least one daily cycle of traces; minutes of traces show a test, not a load.", 0, stage="measure"),
    Setting("min_load_buckets", 12, "Load buckets (load_bucket_minutes each) below which a peak-to-median or a correlation means nothing.", 1, stage="measure"),
    Setting("min_requests_per_context", 25, "Requests (server and consumer spans) a context must have served in the traces for its total compute to be compared with another's: a few dozen; a context seen in a handful of requests makes any ratio against it meaningless.", 1, stage="measure"),
    Setting("min_team_map_coverage", 0.5, "A team map naming fewer than half of the active authors describes someone else's organisation: team figures are then not measurable.", 0, 1, stage="measure"),
    Setting("min_attributed_sql_share", 0.2, "When fewer than one in five executions (or database spans) can be tied to the context that issued them, who reads and writes which table is unknown: data coupling is not measurable.", 0, 1, stage="measure"),
    Setting("max_unassigned_span_share", 0.5, "When the span rules leave more than half of the spans without a context, the report warns and lists the commonest unmatched routes and span names, so the rules can be completed.", 0, 1, stage="measure"),
    Setting("close_call_margin", 0.1, "A deciding check within this relative distance of its threshold is a close call: a slightly different context map or window could flip it.", 0, 1),
    # --- structural / data / runtime pair coupling ------------------------------------
    Setting("structural_min_edges", 1, "A pair is structurally coupled from its first cross-context import.", 1),
    Setting("evolutionary_min_degree", 10, "Context-level co-change degree (percent) from which a pair counts as coupled in history; lower than code-maat's file-level 30 because contexts aggregate many files.", 0, 100),
    Setting("evolutionary_min_shared_commits", 5, "Shared commits below which context co-change is coincidence (code-maat's min-shared-revs).", 1, stage="measure"),
    Setting("data_min_shared_tables", 1, "A pair is data-coupled from its first shared table.", 1),
    Setting("runtime_min_calls", 10, "Cross-context calls seen in traces below which a pair is noise (a test request, a one-off job).", 1),
    # --- verdict 1: is the monolith the bottleneck? -----------------------------------
    Setting("cross_context_change_share", 0.20, "Deploy-coordination pressure when at least this share of commits touches two or more contexts: one in five changes needs several owners to agree.", 0, 1),
    Setting("min_active_authors", 12, "Team-scale pressure from this many active authors in the recent window: about two pizza teams, where a shared codebase starts to hurt.", 1),
    Setting("min_teams", 3, "Team-scale pressure needs at least this many teams actively committing.", 1),
    Setting("cross_team_change_share", 0.15, "Team-coupling pressure when at least this share of the recent commits to a context come from outside its main team.", 0, 1),
    Setting("scaling_compute_ratio", 10, "Scaling pressure when one context needs at least this many times the compute (self time) of another traced context.", 1),
    Setting("scaling_peak_to_median", 10, "Scaling pressure when a context's peak load is at least this many times its median.", 1),
    Setting("scaling_max_correlation", 0.3, "A load curve correlated below this with the rest of the system scales on its own schedule.", -1, 1),
    Setting("slow_deploy_minutes", 30, "A deploy slower than half an hour makes every cross-context change costly to ship.", 1),
    Setting("max_deploy_failure_rate", 0.15, "More than about one failed deploy in seven means shipping is risky, whatever the architecture.", 0, 1),
    Setting("min_deploys_per_week", 1, "Fewer than one deploy a week suggests releases are batched because shipping is hard.", 0),
    Setting("bottleneck_min_pressures", 2, "The monolith is the bottleneck when at least this many of the three pressures (coordination, team, scaling) hold; one pressure alone has cheaper fixes.", 1, 3),
    # --- verdict 2: can you modularize in place? --------------------------------------
    Setting("max_edges_to_cut", 40, "Modularizing in place is practical when making the context graph acyclic needs at most this many import edges cut or inverted (a few weeks of work).", 0),
    Setting("max_write_shared_tables", 5, "At most this many tables written by several contexts can be given a single owner in place.", 0),
    Setting("max_cross_context_joins", 20, "At most this many distinct cross-context join fingerprints can be replaced by in-process APIs in place.", 0),
    # --- verdict 3: do you have observability? ----------------------------------------
    Setting("min_context_span_coverage", 0.9, "Share of declared contexts that must emit spans: a context without spans is a blind spot after extraction.", 0, 1),
    Setting("min_entry_point_coverage", 0.8, "Share of entry points (routes, jobs, consumers) that must be traced.", 0, 1),
    Setting("min_entry_point_inventory_followed", 0.8, "Share of the urlconfs' include() calls, imported url lists and router registrations the entry point inventory must have followed for entry point coverage to be measured: each one not followed hides a whole list of routes (NetBox's get_model_urls() hide about 1,400 of its 1,700 routes), so an inventory that followed less is a fraction of the routes and its coverage says nothing.", 0, 1, stage="measure"),
    Setting("max_orphan_span_share", 0.02, "Share of spans whose parent is missing above which traces are broken.", 0, 1),
    Setting("max_broken_async_share", 0.05, "Share of consumer spans with no parent and no link above which traces are broken at async boundaries.", 0, 1),
    Setting("min_sql_trace_link_share", 0.3, "Share of SQL executions that must be tied to a trace (sqlcommenter traceparent) to follow a request into the database.", 0, 1),
    Setting("no_observability_span_coverage", 0.5, "Below this share of contexts with spans there is no observability to speak of.", 0, 1),
    # --- load shape ------------------------------------------------------------------
    Setting("load_bucket_minutes", 5, "Resolution of load curves: fine enough to see a burst, coarse enough to have several spans per bucket.", 1, stage="measure"),
    Setting("scorecard_window_days", 90, "Days compared on each side of a scorecard event (an extraction, a team split): one quarter holds enough deploys, incidents and months of cost to compare, and is short enough that other changes do not dominate.", 1, stage="measure"),
    Setting("scorecard_confidence", 0.95, "Confidence of the scorecard's intervals (medians, p90/p95, rates, shares): the usual 95%; below it small samples look surer than they are.", 0.5, 0.999, stage="measure"),
    Setting("load_correlation_minutes", 60, "Resolution at which load curves are correlated: hourly buckets follow the daily cycle without the noise of sparse 5-minute buckets.", 1, stage="measure"),
    # --- inferred decomposition (analysis/measures/decomposition) ------------------------
    Setting("decomposition_import_weight", 1.0, "Weight of log2(1 + import lines) between two units: imports are the dependency the code states, the baseline the other signals are scaled to.", 0, stage="measure"),
    Setting("decomposition_cochange_weight", 2.0, "Weight of the co-change degree (0..1) between two units: a pair changed together in most of its commits is as tied as one with three import lines, since changes that travel together are what a boundary must contain.", 0, stage="measure"),
    Setting("decomposition_table_weight", 0.5, "Weight of the shared-table strength between two units: sharing a table ties units less than calling each other, unless both write it (write_factor).", 0, stage="measure"),
    Setting("decomposition_write_factor", 2.0, "A unit writing a table counts this many times one reading it: write-path coupling is what blocks a split.", 1, stage="measure"),
    Setting("decomposition_max_table_users", 30, "Tables used by more units than this are infrastructure (users, sessions, settings) and say nothing of where a unit belongs.", 2, stage="measure"),
    Setting("decomposition_sync_call_weight", 1.0, "Weight of log2(1 + synchronous calls) between two units seen in traces: as strong as an import.", 0, stage="measure"),
    Setting("decomposition_async_call_weight", 0.5, "Weight of log2(1 + calls across a queue): asynchronous calls already tolerate a boundary, so they tie units half as much.", 0, stage="measure"),
    Setting("decomposition_min_shared_commits", 2, "Unit pairs changed together in fewer commits than this are not co-change edges: one shared commit is coincidence at file level.", 1, stage="measure"),
    Setting("decomposition_seed", 7, "Seed of the community algorithm: same evidence, same seed, same partition.", 0, stage="measure"),
    Setting("decomposition_pull_margin", 0.5, "A unit is pulled to another context when its edges to it outweigh those to its own by half again: smaller margins list units that sit on a boundary, not across it.", 0, stage="measure"),
    Setting("decomposition_min_gain", 0.005, "Modularity a merge or a split must add to the whole graph (half a hundredth: on saleor's 28 apps the strongest merges add about 0.01, chance pairs below 0.003) for a pair to look like one context, or a context like two.", 0, stage="measure"),
    Setting("decomposition_min_split_share", 0.2, "Each half of a context that looks like two holds at least this share of its units: a split that peels off one file is a pulled unit, not two contexts.", 0, 0.5, stage="measure"),
    Setting("better_partition_min_gain", 0.05, "An inferred partition is 'better' than the declared map when its modularity is higher by at least this much (and its ICP not worse): smaller gains are within what another seed or window gives.", 0, 1, stage="measure"),
    Setting("ned_min_units", 5, "Mono2Micro's lower bound of a non-extreme part (units): smaller parts are too small to be services.", 1, stage="measure"),
    Setting("ned_max_units", 20, "Mono2Micro's upper bound of a non-extreme part (units): larger parts are monoliths of their own.", 1, stage="measure"),
    Setting("max_ancestor_depth", 64, "Levels the trace engines (DuckDB, ClickHouse) walk up a span's parents for the nearest span with a context, one join per level: real traces are a few dozen levels deep at most; spans still walking at this depth (a deeper chain, or a parent cycle) are counted and inherit nothing.", 1, stage="measure"),
    Setting("trace_store_min_mib", 512, "A local trace file above this size (MiB) is streamed into a DuckDB database in the cache and aggregated there, in bounded memory, instead of held as one frame: at about 1 KiB of OTLP/JSON per span that is half a million spans, a frame of a few hundred MiB.", 1, stage="measure"),
)

WEIGHTS = _registry(
    Setting("boundary_clarity", 0.30, "Few dependencies to cut make a context cheap to extract."),
    Setting("write_isolation", 0.20, "Tables written by other contexts block an extraction more than anything else."),
    Setting("change_pain", 0.20, "A context changed often, with others, gains most from its own deploy cycle."),
    Setting("scaling_asymmetry", 0.20, "A context that needs a different scale gains most from its own runtime."),
    Setting("team_conflict", 0.10, "A context many teams edit gains from a single owner; weighted lower because ownership can be fixed in place."),
)


def defaults(registry: MappingProxyType) -> dict[str, float]:
    return {name: s.default for name, s in registry.items()}
