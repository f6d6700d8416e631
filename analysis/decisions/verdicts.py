"""The three go/no-go questions, each a documented rule over named thresholds.

Each function takes the evidence as plain values (``None`` when the source that would give it
is missing) and the thresholds mapping, and returns a :class:`Verdict` carrying the rule, the
thresholds it used, the evidence that decided it and the evidence that was missing.

1. ``bottleneck`` — *Is the monolith actually the bottleneck?*  YES / NO / INCONCLUSIVE.
   Three pressures, each holding or not:

   - coordination: share of commits (or of merged pull requests, the larger) touching two
     or more contexts >= ``cross_context_change_share``, unless a deploy log shows fast,
     reliable, frequent deploys (``deploys["pressure"] is False``), which makes such
     changes cheap to ship;
   - team: active authors >= ``min_active_authors`` and active teams >= ``min_teams`` and the
     share of commits made outside a context's main team >= ``cross_team_change_share``;
   - scaling: some traced context needs >= ``scaling_compute_ratio`` times the compute of
     another, and its load is either bursty (peak-to-median >= ``scaling_peak_to_median``)
     or on its own schedule (correlation with the rest < ``scaling_max_correlation``).

   YES when at least ``bottleneck_min_pressures`` hold; INCONCLUSIVE when fewer hold but the
   pressures whose evidence is missing could still reach it; NO otherwise.

2. ``modularize_in_place`` — *Can you modularize in place?*  YES / NO / INCONCLUSIVE.
   YES when the import edges to cut for an acyclic context graph <= ``max_edges_to_cut``,
   write-shared tables <= ``max_write_shared_tables`` and cross-context join fingerprints
   <= ``max_cross_context_joins``; NO when any is exceeded; INCONCLUSIVE without an import
   graph. Missing SQL evidence is listed, and the verdict rests on structure alone.

3. ``observability`` — *Do you have observability?*  YES / PARTIAL / NO.
   NO without traces or when the share of contexts emitting spans <
   ``no_observability_span_coverage``. YES when every check passes: context span coverage >=
   ``min_context_span_coverage``, orphan span share <= ``max_orphan_span_share``, broken
   async share <= ``max_broken_async_share``, SQL tied to traces >= ``min_sql_trace_link_share``.
   PARTIAL otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

QUESTIONS = {
    "bottleneck": "Is the monolith actually the bottleneck?",
    "modularize_in_place": "Can you modularize in place?",
    "observability": "Do you have observability?",
}
OUTCOMES = {
    "bottleneck": ("YES", "NO", "INCONCLUSIVE"),
    "modularize_in_place": ("YES", "NO", "INCONCLUSIVE"),
    "observability": ("YES", "PARTIAL", "NO"),
}


@dataclass(frozen=True)
class Verdict:
    key: str
    verdict: str
    rule: str
    thresholds: dict[str, float]
    evidence: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def question(self) -> str:
        return QUESTIONS[self.key]


def _pick(thresholds: Mapping[str, float], *names: str) -> dict[str, float]:
    return {n: float(thresholds[n]) for n in names}


def _known(x: Any) -> TypeGuard[float]:
    """A measured number (not None, not NaN)."""
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def bottleneck(
    *,
    cross_context_change_share: float | None,
    cross_context_merge_share: float | None = None,
    active_authors: int | None,
    active_teams: int | None,
    cross_team_change_share: float | None,
    scaling: list[dict] | None,
    deploys: dict | None,
    thresholds: Mapping[str, float],
) -> Verdict:
    """Rule 1 (see module docstring). ``scaling`` holds one dict per traced context with
    ``context, compute_ratio_max, compared_to, peak_to_median, correlation_with_rest``."""
    t = _pick(thresholds, "cross_context_change_share", "min_active_authors", "min_teams",
              "cross_team_change_share", "scaling_compute_ratio", "scaling_peak_to_median",
              "scaling_max_correlation", "bottleneck_min_pressures")
    missing: list[str] = []
    pressures: dict[str, bool | None] = {}

    shares: list[float] = [x for x in (cross_context_change_share, cross_context_merge_share) if _known(x)]
    coordination_share = max(shares) if shares else None
    deploy_veto = deploys is not None and deploys.get("origin") == "deploy-log" and deploys.get("pressure") is False
    if coordination_share is not None:
        pressures["coordination"] = coordination_share >= t["cross_context_change_share"] and not deploy_veto
    else:
        pressures["coordination"] = None
        missing.append("git history (share of changes spanning contexts)")

    if _known(active_authors):
        big = active_authors >= t["min_active_authors"]
        if _known(active_teams) and _known(cross_team_change_share):
            pressures["team"] = big and active_teams >= t["min_teams"] and cross_team_change_share >= t["cross_team_change_share"]
        else:
            pressures["team"] = None if big else False
            missing.append("team map (authors to teams)")
    else:
        pressures["team"] = None
        missing.append("git history (active authors)")

    asymmetric: list[str] = []
    if scaling:
        for row in scaling:
            ratio, peak, corr = row.get("compute_ratio_max"), row.get("peak_to_median"), row.get("correlation_with_rest")
            if _known(ratio) and ratio >= t["scaling_compute_ratio"] and (
                (_known(peak) and peak >= t["scaling_peak_to_median"]) or (_known(corr) and corr < t["scaling_max_correlation"])
            ):
                asymmetric.append(row["context"])
        pressures["scaling"] = bool(asymmetric)
    else:
        pressures["scaling"] = None
        missing.append("traces (load per context)")
    if not deploys or deploys.get("origin") is None:
        missing.append("deploy log (deploy frequency and duration; not given)")
    elif deploys.get("proxy"):
        missing.append("deploy log (release tags used as a proxy: cadence only)")

    held = [k for k, v in pressures.items() if v]
    unknown = [k for k, v in pressures.items() if v is None]
    need = int(t["bottleneck_min_pressures"])
    if len(held) >= need:
        verdict = "YES"
    elif len(held) + len(unknown) >= need:
        verdict = "INCONCLUSIVE"
    else:
        verdict = "NO"
    top = max(scaling or [], key=lambda r: r.get("compute_ratio_max") or 0, default=None)
    evidence = {
        "pressures": pressures,
        "pressures_held": held,
        "cross_context_change_share": cross_context_change_share,
        "cross_context_merge_share": cross_context_merge_share,
        "coordination_share": coordination_share,
        "deploy_veto": deploy_veto,
        "active_authors": active_authors,
        "active_teams": active_teams,
        "cross_team_change_share": cross_team_change_share,
        "asymmetric_contexts": sorted(asymmetric),
        "max_compute_ratio": None if top is None else {"context": top["context"], "ratio": top.get("compute_ratio_max"), "compared_to": top.get("compared_to")},
        "deploys": deploys,
    }
    summary = {
        "YES": f"{len(held)} of 3 pressures hold ({', '.join(held)}): the monolith is in the way.",
        "NO": f"only {len(held)} of 3 pressures hold{(' (' + ', '.join(held) + ')') if held else ''}: don't migrate for this.",
        "INCONCLUSIVE": f"{len(held)} of 3 pressures hold and {len(unknown)} cannot be judged ({', '.join(unknown)}).",
    }[verdict]
    rule = (f"YES when at least {need} of the pressures coordination (cross-context change share >= "
            f"{t['cross_context_change_share']:g}), team (>= {t['min_active_authors']:g} active authors in >= {t['min_teams']:g} teams "
            f"and cross-team change share >= {t['cross_team_change_share']:g}) and scaling (compute ratio >= "
            f"{t['scaling_compute_ratio']:g} with peak-to-median >= {t['scaling_peak_to_median']:g} or correlation < "
            f"{t['scaling_max_correlation']:g}) hold; coordination uses the larger of the commit and merged-PR shares, and a "
            "deploy log showing fast, reliable, frequent deploys vetoes it; INCONCLUSIVE when missing evidence could still "
            "reach it; NO otherwise.")
    return Verdict("bottleneck", verdict, rule, t, evidence, missing, summary)


def modularize_in_place(
    *,
    import_edges_to_cut: int | None,
    context_edges_to_cut: list[dict] | None,
    cycles: list[list[str]] | None,
    cross_context_imports: int | None,
    write_shared_tables: list[str] | None,
    cross_context_joins: int | None,
    sync_chains: int | None,
    thresholds: Mapping[str, float],
) -> Verdict:
    """Rule 2 (see module docstring)."""
    t = _pick(thresholds, "max_edges_to_cut", "max_write_shared_tables", "max_cross_context_joins")
    missing: list[str] = []
    if import_edges_to_cut is None:
        missing.append("import graph (cross-context imports and cycles)")
    if write_shared_tables is None:
        missing.append("SQL logs (shared tables and joins)")
    if sync_chains is None:
        missing.append("traces (synchronous call chains)")
    checks: dict[str, bool] = {}
    if import_edges_to_cut is not None:
        checks["edges_to_cut"] = import_edges_to_cut <= t["max_edges_to_cut"]
    if write_shared_tables is not None:
        checks["write_shared_tables"] = len(write_shared_tables) <= t["max_write_shared_tables"]
        checks["cross_context_joins"] = (cross_context_joins or 0) <= t["max_cross_context_joins"]
    if import_edges_to_cut is None:
        verdict = "INCONCLUSIVE"
    elif all(checks.values()):
        verdict = "YES"
    else:
        verdict = "NO"
    failed = [k for k, ok in checks.items() if not ok]
    evidence = {
        "cross_context_imports": cross_context_imports,
        "cycles": cycles or [],
        "import_edges_to_cut": import_edges_to_cut,
        "context_edges_to_cut": context_edges_to_cut or [],
        "write_shared_tables": write_shared_tables,
        "cross_context_joins": cross_context_joins,
        "sync_chains_3plus": sync_chains,
        "checks": checks,
    }
    summary = {
        "YES": (f"{import_edges_to_cut} import lines to change for an acyclic context graph and "
                f"{len(write_shared_tables or [])} write-shared tables: strict module boundaries in place are within reach."),
        "NO": f"too entangled to fix in place cheaply: {', '.join(failed)} over threshold.",
        "INCONCLUSIVE": "no import graph: the structure cannot be judged.",
    }[verdict]
    rule = (f"YES when import lines to cut for an acyclic context graph <= {t['max_edges_to_cut']:g}, write-shared tables "
            f"<= {t['max_write_shared_tables']:g} and cross-context join fingerprints <= {t['max_cross_context_joins']:g}; "
            "NO when any is exceeded; INCONCLUSIVE without an import graph.")
    return Verdict("modularize_in_place", verdict, rule, t, evidence, missing, summary)


def observability(*, coverage: Mapping[str, Any] | None, has_sql: bool, thresholds: Mapping[str, float]) -> Verdict:
    """Rule 3 (see module docstring). ``coverage`` is metrics.observability.coverage's dict."""
    t = _pick(thresholds, "min_context_span_coverage", "max_orphan_span_share", "max_broken_async_share",
              "min_sql_trace_link_share", "no_observability_span_coverage", "min_entry_point_coverage")
    missing = []
    if not coverage or not coverage.get("entry_points_given"):
        missing.append("entry point inventory (routes, jobs, consumers: needs sources.imports)")
    if not coverage or not coverage.get("spans"):
        rule = "NO without traces."
        return Verdict("observability", "NO", rule, t, {"spans": 0}, ["traces"] + missing,
                       "no traces were given: nothing can be followed across contexts.")
    checks: dict[str, bool] = {}
    checks["context_span_coverage"] = coverage["context_span_coverage"] >= t["min_context_span_coverage"]
    checks["orphan_span_share"] = coverage["orphan_span_share"] <= t["max_orphan_span_share"]
    broken = coverage.get("broken_async_share")
    if _known(broken):
        checks["broken_async_share"] = broken <= t["max_broken_async_share"]
    if coverage.get("entry_points_given") and _known(coverage.get("entry_point_coverage")):
        checks["entry_point_coverage"] = coverage["entry_point_coverage"] >= t["min_entry_point_coverage"]
    if has_sql:
        checks["sql_trace_link_share"] = coverage.get("sql_trace_link_share", 0.0) >= t["min_sql_trace_link_share"]
    else:
        missing.append("SQL logs (statements tied to traces)")
    if coverage["context_span_coverage"] < t["no_observability_span_coverage"]:
        verdict = "NO"
    elif all(checks.values()):
        verdict = "YES"
    else:
        verdict = "PARTIAL"
    failed = [k for k, ok in checks.items() if not ok]
    keys = ("contexts_declared", "contexts_with_spans", "contexts_without_spans", "context_span_coverage", "spans",
            "orphan_spans", "orphan_span_share", "consumer_spans", "broken_async", "broken_async_share",
            "entry_points_traced", "sql_statements", "sql_with_traceparent", "sql_trace_link_share",
            "sql_linked_to_span_share", "sql_attributed_share", "unassigned_span_share", "attribute_completeness",
            "entry_points_declared", "entry_points_declared_traced", "entry_point_coverage", "entry_point_coverage_by_kind")
    evidence = {k: coverage.get(k) for k in keys}
    evidence["checks"] = checks
    summary = {
        "YES": "every context is traced and traces hold together across async boundaries and into the database.",
        "PARTIAL": f"gaps: {', '.join(failed)}" + (f"; no spans from {', '.join(coverage.get('contexts_without_spans') or [])}" if coverage.get("contexts_without_spans") else "") + ".",
        "NO": f"only {coverage['context_span_coverage']:.0%} of contexts emit spans.",
    }[verdict]
    rule = (f"NO without traces or when under {t['no_observability_span_coverage']:.0%} of contexts emit spans; YES when "
            f">= {t['min_context_span_coverage']:.0%} of contexts emit spans, orphan spans <= {t['max_orphan_span_share']:.0%}, "
            f"consumers without parent or link <= {t['max_broken_async_share']:.0%} and SQL tied to traces >= "
            f"{t['min_sql_trace_link_share']:.0%} (and, with an entry point inventory, >= {t['min_entry_point_coverage']:.0%} of "
            "routes, jobs and consumers traced); PARTIAL otherwise.")
    return Verdict("observability", verdict, rule, t, evidence, missing, summary)
