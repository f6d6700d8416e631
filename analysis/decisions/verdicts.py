"""The three go/no-go questions, each a documented rule over named thresholds.

Each rule takes the evidence as plain values (:class:`DecisionInputs`: figures, and the
:class:`~analysis.core.evidence.Status` of each source) and the thresholds, and returns a
:class:`Verdict`: the outcome, the rule, every :class:`~analysis.decisions.checks.Check` with
its value, threshold and margin, the evidence that is missing or too thin (and why), and —
when a deciding check lies within ``close_call_margin`` of its threshold — the close call,
naming the check that would flip it. An unknown check never passes nor fails.

1. ``bottleneck`` — *Is the monolith actually the bottleneck?*  YES / NO / INCONCLUSIVE.
   Three pressures:

   - coordination: the larger of the share of judged commits (touching at least one context,
     bulk commits left out) and the share of merged pull requests touching two or more
     contexts, in the recent window, >= ``cross_context_change_share`` — unless a deploy log
     shows fast, reliable, frequent deploys, which makes such changes cheap to ship;
   - team: active authors >= ``min_active_authors``, active teams >= ``min_teams`` and the
     share of commits made outside a context's main team >= ``cross_team_change_share``
     (fewer authors than needed is enough to say no; teams need a team map);
   - scaling: some context served enough requests and needs >= ``scaling_compute_ratio`` times
     the compute of another, with a bursty load (peak-to-median >= ``scaling_peak_to_median``)
     or one on its own schedule (correlation with the rest < ``scaling_max_correlation``);
     unknown when the traces cover too little time to show a load shape.

   YES when at least ``bottleneck_min_pressures`` hold; INCONCLUSIVE when fewer hold but the
   pressures that cannot be judged could still reach that number; NO otherwise.

2. ``modularize_in_place`` — *Can you modularize in place?*  YES / NO / INCONCLUSIVE.
   INCONCLUSIVE unless the import graph was measured. Otherwise NO when a known check fails
   (import lines to cut for an acyclic context graph <= ``max_edges_to_cut``, write-shared
   tables <= ``max_write_shared_tables``, cross-context join fingerprints <=
   ``max_cross_context_joins``), YES when every known check holds; unknown data checks are
   listed, and the verdict says it rests on what was measured.

3. ``observability`` — *Do you have observability?*  YES / PARTIAL / NO / INCONCLUSIVE.
   INCONCLUSIVE without spans (absence of traces given is not absence of tracing). NO when
   fewer than ``no_observability_span_coverage`` of the contexts emit spans. YES when every
   known check holds: contexts emitting spans >= ``min_context_span_coverage``, orphan spans
   <= ``max_orphan_span_share``, consumers without parent or link <= ``max_broken_async_share``,
   SQL tied to traces (by traceparent, or seen in a database client span of the traces) >=
   ``min_sql_trace_link_share`` (not measured without a SQL log: "into the database" is then
   not judged), and, with an entry-point inventory, entry points traced >=
   ``min_entry_point_coverage`` — not measurable when the inventory followed fewer than
   ``min_entry_point_inventory_followed`` of its include() calls and router registrations
   (:func:`analysis.measures.runtime.inventory_status`). PARTIAL otherwise. Coverage measures what
   the traffic in the traces exercised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from analysis.core.evidence import Status
from analysis.decisions.checks import Check, describe

QUESTIONS = {
    "bottleneck": "Is the monolith actually the bottleneck?",
    "modularize_in_place": "Can you modularize in place?",
    "observability": "Do you have observability?",
}
OUTCOMES = {
    "bottleneck": ("YES", "NO", "INCONCLUSIVE"),
    "modularize_in_place": ("YES", "NO", "INCONCLUSIVE"),
    "observability": ("YES", "PARTIAL", "NO", "INCONCLUSIVE"),
}


@dataclass(frozen=True)
class DecisionInputs:
    """Everything the rules read, as plain values (see :func:`analysis.pipeline.decision_inputs`)."""

    history: Status
    teams: Status
    deploys_status: Status
    structure: Status
    data: Status
    joins: Status
    load: Status
    calls: Status
    coverage_status: Status
    coordination: dict  # judged, cross_context, share, bulk, no_context, window
    merge_share: float | None
    active_authors: int | None
    active_teams: int | None
    cross_team_change_share: float | None
    scaling: list[dict]  # per context: context, requests, compute_ratio_max, compared_to, peak_to_median, correlation_with_rest
    deploys: dict
    import_edges_to_cut: int | None
    context_edges_to_cut: list[dict]
    cycles: list[list[str]]
    cycle_edges: list[list[dict]]
    cross_context_imports: int | None
    write_shared_tables: list[str]
    cross_context_joins: int | None
    sync_chains: int | None
    coverage: dict
    sql_given: bool
    entry_points_status: Status
    #: whether a better partition than the declared map exists (analysis.measures.decomposition): evidence
    #: for the reader, never a check (None: not measured)
    better_partition: dict | None = None


@dataclass(frozen=True)
class Verdict:
    key: str
    verdict: str
    rule: str
    thresholds: dict[str, float]
    evidence: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    summary: str = ""
    checks: list[Check] = field(default_factory=list)
    close_call: str | None = None

    @property
    def question(self) -> str:
        return QUESTIONS[self.key]


def _pick(thresholds: Mapping[str, float], *names: str) -> dict[str, float]:
    return {n: float(thresholds[n]) for n in names}


def _close_call(deciding: list[Check], margin: float) -> str | None:
    """The deciding check nearest its threshold, when within ``margin``; None otherwise."""
    close = sorted((c for c in deciding if c.close(margin)), key=lambda c: c.relative_margin or 0.0)
    if not close:
        return None
    c = close[0]
    where = "sits exactly on its threshold" if not c.margin else f"is within {c.relative_margin:.0%} of its threshold"
    return f"close call: {describe(c)} — it decides the verdict and {where}: a slightly different map or window could flip it"


def _missing(*statuses: tuple[str, Status]) -> list[str]:
    return [f"{what}: {s.describe()}" for what, s in statuses if not s.known]


# --------------------------------------------------------------------------------------
# 1. the bottleneck


def bottleneck(inputs: DecisionInputs, thresholds: Mapping[str, float]) -> Verdict:
    t = _pick(thresholds, "cross_context_change_share", "min_active_authors", "min_teams", "cross_team_change_share",
              "scaling_compute_ratio", "scaling_peak_to_median", "scaling_max_correlation", "bottleneck_min_pressures",
              "close_call_margin")
    basis = inputs.coordination
    share = basis.get("share")
    merge = inputs.merge_share
    value = max((x for x in (share, merge) if x is not None), default=None)
    which = "merged pull requests" if merge is not None and share is not None and merge > share else "commits"
    coordination = Check(
        "coordination", "share of changes touching two or more contexts", value, t["cross_context_change_share"],
        "cross_context_change_share", "at least", inputs.history if value is not None else _no_value(inputs.history, "no commit touches a context"),
        detail=(f"the larger share, {which}; commits {_pct(share)}: {basis.get('cross_context', 0)} of {basis.get('judged', 0)} "
                f"judged commits cross contexts ({basis.get('no_context', 0)} touching no context and {basis.get('bulk', 0)} "
                "bulk commits left out)"
                + (f"; merged pull requests {merge:.1%}" if merge is not None else "; no merged pull request counted")))
    authors = Check("active_authors", "active authors in the recent window", _num(inputs.active_authors),
                    t["min_active_authors"], "min_active_authors", "at least", inputs.history, unit="count")
    teams = Check("active_teams", "active teams", _num(inputs.active_teams), t["min_teams"], "min_teams", "at least",
                  inputs.teams, unit="count")
    cross_team = Check("cross_team_share", "share of commits from outside a context's main team",
                       inputs.cross_team_change_share, t["cross_team_change_share"], "cross_team_change_share", "at least",
                       inputs.teams)
    scaling, asymmetric = _scaling_check(inputs, t)

    deploy_veto = inputs.deploys.get("origin") == "deploy-log" and inputs.deploys.get("pressure") is False
    pressures: dict[str, bool | None] = {
        "coordination": None if coordination.holds is None else bool(coordination.holds and not deploy_veto),
        "team": _team_pressure(authors, teams, cross_team),
        "scaling": scaling.holds,
    }
    held = [k for k, v in pressures.items() if v]
    unknown = [k for k, v in pressures.items() if v is None]
    need = int(t["bottleneck_min_pressures"])
    if len(held) >= need:
        verdict = "YES"
    elif len(held) + len(unknown) >= need:
        verdict = "INCONCLUSIVE"
    else:
        verdict = "NO"
    checks = [coordination, authors, teams, cross_team, scaling]
    by_pressure = {"coordination": [coordination], "team": [c for c in (authors, teams, cross_team) if c.known],
                   "scaling": [scaling]}
    deciding: list[Check] = []
    if verdict == "YES" and len(held) == need:
        deciding = [c for k in held for c in by_pressure[k]]
    elif verdict == "NO" and len(held) + 1 >= need:
        deciding = [c for k, v in pressures.items() if v is False for c in by_pressure[k] if c.holds is False]
    missing = _missing(("git history", inputs.history), ("team map", inputs.teams), ("load from traces", inputs.load),
                       ("deploy log", inputs.deploys_status))
    evidence = {
        "pressures": pressures, "pressures_held": held, "pressures_unknown": unknown,
        "coordination": {k: v for k, v in basis.items()}, "cross_context_merge_share": merge,
        "deploy_veto": deploy_veto, "deploys": inputs.deploys, "asymmetric_contexts": sorted(asymmetric),
    }
    summary = {
        "YES": f"{len(held)} of 3 pressures hold ({', '.join(held)}): the monolith is in the way.",
        "NO": f"only {len(held)} of 3 pressures hold{(' (' + ', '.join(held) + ')') if held else ''}: don't migrate for this.",
        "INCONCLUSIVE": (f"{len(held)} of 3 pressures hold and {len(unknown)} cannot be judged "
                         f"({', '.join(unknown)}): measure more before deciding."),
    }[verdict]
    rule = (f"YES when at least {need:g} of the pressures coordination (share of changes touching two or more contexts >= "
            f"{t['cross_context_change_share']:g}, unless a deploy log shows fast, reliable, frequent deploys), team "
            f"(>= {t['min_active_authors']:g} active authors in >= {t['min_teams']:g} teams and cross-team share >= "
            f"{t['cross_team_change_share']:g}) and scaling (compute ratio >= {t['scaling_compute_ratio']:g} with "
            f"peak-to-median >= {t['scaling_peak_to_median']:g} or correlation < {t['scaling_max_correlation']:g}) hold; "
            "INCONCLUSIVE when the pressures that cannot be judged could still reach it; NO otherwise.")
    return Verdict("bottleneck", verdict, rule, t, evidence, missing, summary, checks,
                   _close_call(deciding, t["close_call_margin"]))


def _tangles(cycles: list[list[str]]) -> str:
    """Import cycles said by their size: one tangle of 13 contexts is not "1 cycle"."""
    sizes = sorted((len(c) for c in cycles if c), reverse=True)
    if not sizes:
        return "no import cycle between contexts"
    tangles = ", ".join(str(n) for n in sizes)
    noun = "a tangle" if len(sizes) == 1 else f"{len(sizes)} tangles"
    return f"{noun} of contexts importing each other in a cycle ({tangles} contexts)"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _num(value) -> float | None:
    return None if value is None else float(value)


def _no_value(status: Status, reason: str) -> Status:
    return status if not status.known else Status.not_measurable(reason)


def _team_pressure(authors: Check, teams: Check, cross_team: Check) -> bool | None:
    if authors.holds is False:
        return False  # too few authors: no team pressure, whatever the teams
    parts = [authors.holds, teams.holds, cross_team.holds]
    if any(p is False for p in parts):
        return False
    if any(p is None for p in parts):
        return None
    return True


def _scaling_check(inputs: DecisionInputs, t: Mapping[str, float]) -> tuple[Check, list[str]]:
    """The scaling pressure as one check: the largest compute ratio of a context whose load is
    bursty or on its own schedule, against ``scaling_compute_ratio``."""
    if not inputs.load.known:
        return Check("scaling", "compute ratio of a context with a load of its own", None, t["scaling_compute_ratio"],
                     "scaling_compute_ratio", "at least", inputs.load, unit="ratio"), []
    shaped, asymmetric, best_any = [], [], None
    for row in inputs.scaling:
        ratio, peak, corr = row.get("compute_ratio_max"), row.get("peak_to_median"), row.get("correlation_with_rest")
        if not _known(ratio):
            continue
        best_any = ratio if best_any is None else max(best_any, ratio)
        if (_known(peak) and peak >= t["scaling_peak_to_median"]) or (_known(corr) and corr < t["scaling_max_correlation"]):
            shaped.append(row)
            if ratio >= t["scaling_compute_ratio"]:
                asymmetric.append(str(row["context"]))
    top = max(shaped, key=lambda r: r["compute_ratio_max"], default=None)
    if top is None:
        detail = "no context's load is bursty or on its own schedule" if best_any is not None else \
            "no two contexts served enough requests to compare their compute"
        status = inputs.load if best_any is not None else Status.not_measurable(
            "no two contexts served min_requests_per_context requests each")
        return Check("scaling", "compute ratio of a context with a load of its own", 0.0 if best_any is not None else None,
                     t["scaling_compute_ratio"], "scaling_compute_ratio", "at least", status, unit="ratio", detail=detail), []
    detail = (f"{top['context']}: {top['compute_ratio_max']:,.3g} times the compute of {top.get('compared_to')}, "
              f"peak-to-median {_fmt(top.get('peak_to_median'))}, correlation with the rest {_fmt(top.get('correlation_with_rest'))}")
    return Check("scaling", "compute ratio of a context with a load of its own", float(top["compute_ratio_max"]),
                 t["scaling_compute_ratio"], "scaling_compute_ratio", "at least", inputs.load, unit="ratio",
                 detail=detail), asymmetric


def _known(x: Any) -> TypeGuard[float]:
    """A measured number: not None, not NaN."""
    return x is not None and x == x


def _fmt(x: Any) -> str:
    return "–" if not _known(x) else f"{x:,.3g}"


# --------------------------------------------------------------------------------------
# 2. modularize in place


def modularize_in_place(inputs: DecisionInputs, thresholds: Mapping[str, float]) -> Verdict:
    t = _pick(thresholds, "max_edges_to_cut", "max_write_shared_tables", "max_cross_context_joins", "close_call_margin")
    cut = Check("edges_to_cut", "import lines to cut or invert for an acyclic context graph", _num(inputs.import_edges_to_cut),
                t["max_edges_to_cut"], "max_edges_to_cut", "at most", inputs.structure, unit="count",
                detail=f"{inputs.cross_context_imports or 0} cross-context import lines; {_tangles(inputs.cycles)}")
    shared = Check("write_shared_tables", "tables written by two or more contexts",
                   float(len(inputs.write_shared_tables)) if inputs.data.known else None,
                   t["max_write_shared_tables"], "max_write_shared_tables", "at most", inputs.data, unit="count")
    joins = Check("cross_context_joins", "join fingerprints across contexts", _num(inputs.cross_context_joins),
                  t["max_cross_context_joins"], "max_cross_context_joins", "at most", inputs.joins, unit="count")
    checks = [cut, shared, joins]
    known = [c for c in checks if c.known]
    failed = [c for c in known if c.holds is False]
    if not inputs.structure.known:
        verdict = "INCONCLUSIVE"
    elif failed:
        verdict = "NO"
    else:
        verdict = "YES"
    deciding = known if verdict == "YES" else (failed if len(failed) == 1 else [])
    missing = _missing(("import graph", inputs.structure), ("data coupling", inputs.data), ("cross-context joins", inputs.joins),
                       ("synchronous call chains", inputs.calls))
    unknown = [c.label for c in checks if not c.known]
    evidence = {
        "cross_context_imports": inputs.cross_context_imports, "cycles": inputs.cycles, "cycle_edges": inputs.cycle_edges,
        "import_edges_to_cut": inputs.import_edges_to_cut, "context_edges_to_cut": inputs.context_edges_to_cut,
        "write_shared_tables": inputs.write_shared_tables if inputs.data.known else None,
        "cross_context_joins": inputs.cross_context_joins, "sync_chains_3plus": inputs.sync_chains,
        "better_partition": inputs.better_partition,
    }
    rests = f" (on what was measured: {', '.join(unknown)} not known)" if unknown else ""
    summary = {
        "YES": (f"{inputs.import_edges_to_cut} import lines to change for an acyclic context graph"
                + (f" and {len(inputs.write_shared_tables)} write-shared tables" if inputs.data.known else "")
                + f": strict module boundaries in place are within reach{rests}."),
        "NO": f"too entangled to fix in place cheaply: {', '.join(c.label for c in failed)} over threshold.",
        "INCONCLUSIVE": f"the structure cannot be judged: {inputs.structure.describe()}.",
    }[verdict] + _better_partition(inputs.better_partition)
    rule = (f"INCONCLUSIVE without a measured import graph; NO when a known check fails — import lines to cut for an acyclic "
            f"context graph <= {t['max_edges_to_cut']:g}, write-shared tables <= {t['max_write_shared_tables']:g}, "
            f"cross-context join fingerprints <= {t['max_cross_context_joins']:g}; YES when every known check holds.")
    return Verdict("modularize_in_place", verdict, rule, t, evidence, missing, summary, checks,
                   _close_call(deciding, t["close_call_margin"]))


def _better_partition(better: dict | None) -> str:
    """A sentence on whether a better partition than the declared map exists (evidence only: it
    never changes the outcome; the decomposition section shows the candidate)."""
    if not better or better.get("exists") is None:
        return ""
    if better["exists"]:
        return (f" A better partition exists: {better['candidate']} ({better['parts']} parts) has modularity "
                f"{better['modularity_candidate']:.2f} against the declared map's {better['modularity_declared']:.2f}; "
                "moving the pulled modules may cut coupling before any extraction.")
    return f" No partition found beats the declared map by {better['min_gain']:g} modularity or more: its boundaries fit the evidence."


# --------------------------------------------------------------------------------------
# 3. observability


#: What entry point coverage is, said wherever it is judged: an untraced route may be one the traffic never hit.
EXERCISED = "entry point coverage measures what the traffic in the traces exercised, not what is instrumented"


def observability(inputs: DecisionInputs, thresholds: Mapping[str, float]) -> Verdict:
    t = _pick(thresholds, "min_context_span_coverage", "max_orphan_span_share", "max_broken_async_share",
              "min_sql_trace_link_share", "no_observability_span_coverage", "min_entry_point_coverage",
              "min_entry_point_inventory_followed", "close_call_margin", "max_unassigned_span_share")
    cov = inputs.coverage or {}
    spans_status = inputs.coverage_status
    consumers = cov.get("consumer_spans") or 0
    unassigned, limit = cov.get("unassigned_span_share"), t["max_unassigned_span_share"]
    map_status = spans_status
    if spans_status.known and _known(unassigned) and unassigned > limit:
        map_status = Status.not_measurable(
            f"the span rules leave {unassigned:.0%} of the spans without a context (max_unassigned_span_share = {limit:g}): "
            "which contexts emit spans is then a question of the map, not of the instrumentation — complete the span "
            "rules (the map warning lists the commonest unmatched routes and span names)")
    context_cov = Check("context_span_coverage", "share of contexts emitting spans", cov.get("context_span_coverage"),
                        t["min_context_span_coverage"], "min_context_span_coverage", "at least", map_status,
                        detail=f"{len(cov.get('contexts_with_spans') or [])} of {cov.get('contexts_declared', 0)} contexts")
    orphans = Check("orphan_span_share", "share of spans whose parent is missing", cov.get("orphan_span_share"),
                    t["max_orphan_span_share"], "max_orphan_span_share", "at most", spans_status,
                    detail=f"{cov.get('orphan_spans', 0)} of {cov.get('spans', 0)} spans")
    broken = Check("broken_async_share", "share of consumer spans with neither parent nor link", cov.get("broken_async_share"),
                   t["max_broken_async_share"], "max_broken_async_share", "at most",
                   spans_status if consumers else _no_value(spans_status, "no consumer span in the traces: no async boundary seen"),
                   detail=f"{cov.get('broken_async', 0)} of {consumers} consumer spans")
    sql_status = spans_status if inputs.sql_given else Status.not_measured(
        "no SQL log given: whether statements can be tied to traces is not measured")
    sql = Check("sql_tied_to_traces", "share of SQL executions tied to a trace", cov.get("sql_tied_to_traces_share"),
                t["min_sql_trace_link_share"], "min_sql_trace_link_share", "at least", sql_status,
                detail=(f"by traceparent {_share(cov.get('sql_trace_link_share'))}, seen in a database span of the traces "
                        f"{_share(cov.get('sql_seen_in_spans_share'))}; attributed to a context by any rule "
                        f"{_share(cov.get('sql_attributed_share'))}"))
    entry = Check("entry_point_coverage", "share of the inventoried entry points traced", cov.get("entry_point_coverage"),
                  t["min_entry_point_coverage"], "min_entry_point_coverage", "at least",
                  inputs.entry_points_status if spans_status.known else spans_status,
                  detail=f"{cov.get('entry_points_declared_traced', 0)} of {cov.get('entry_points_declared', 0)}: {EXERCISED}")
    checks = [context_cov, orphans, broken, sql, entry]
    known = [c for c in checks if c.known]
    failed = [c for c in known if c.holds is False]
    floor = t["no_observability_span_coverage"]
    if not spans_status.known or (not context_cov.known and not failed):
        verdict = "INCONCLUSIVE"
    elif not context_cov.known:  # gaps are known, but not whether the contexts are traced at all
        verdict = "PARTIAL"
    elif (context_cov.value or 0.0) < floor:
        verdict = "NO"
    elif failed:
        verdict = "PARTIAL"
    else:
        verdict = "YES"
    deciding = known if verdict == "YES" else (failed if verdict == "PARTIAL" and len(failed) == 1 else [])
    missing = _missing(("traces", spans_status), ("contexts of the spans", context_cov.status if spans_status.known else Status.measured("")), ("SQL tied to traces", sql.status), ("entry point inventory", entry.status),
                       ("async boundaries", broken.status))
    evidence = {k: cov.get(k) for k in (
        "contexts_declared", "contexts_with_spans", "contexts_without_spans", "context_span_coverage", "spans", "orphan_spans",
        "orphan_span_share", "consumer_spans", "broken_async", "broken_async_share", "entry_points_traced",
        "sql_statements", "sql_with_traceparent", "sql_trace_link_share", "sql_seen_in_spans_share",
        "sql_tied_to_traces_share", "sql_attributed_share", "unassigned_span_share", "attribute_completeness",
        "entry_points_declared", "entry_points_declared_traced", "entry_point_coverage", "entry_point_coverage_by_kind")}
    gaps = ", ".join(c.label for c in failed)
    without = cov.get("contexts_without_spans") or []
    summary = {
        "YES": "every known check holds: contexts are traced and traces hold together"
               + (" across async boundaries" if broken.known else "") + (" and into the database" if sql.known else "") + ".",
        "PARTIAL": f"gaps: {gaps}" + (f"; no spans from {', '.join(without)}" if without else "")
                   + (f" ({EXERCISED})" if entry in failed else "") + ".",
        "NO": f"only {_share(context_cov.value)} of contexts emit spans.",
        "INCONCLUSIVE": f"observability cannot be judged: {(spans_status if not spans_status.known else map_status).describe()}.",
    }[verdict]
    rule = (f"INCONCLUSIVE without spans, or when the span rules leave over {limit:.0%} of the spans without a context and "
            f"no other check fails (PARTIAL when one does); NO when under {floor:.0%} of contexts emit spans; YES when every known check "
            f"holds — contexts emitting spans >= {t['min_context_span_coverage']:.0%}, orphan spans <= "
            f"{t['max_orphan_span_share']:.0%}, consumers without parent or link <= {t['max_broken_async_share']:.0%}, SQL "
            f"tied to traces (by traceparent or seen in a database span) >= {t['min_sql_trace_link_share']:.0%}, and, with an "
            f"entry point inventory that followed its includes, >= {t['min_entry_point_coverage']:.0%} of routes, jobs and "
            "consumers traced; PARTIAL otherwise. Coverage measures what the traffic in the traces exercised.")
    return Verdict("observability", verdict, rule, t, evidence, missing, summary, checks,
                   _close_call(deciding, t["close_call_margin"]))


def _share(x: Any) -> str:
    return "–" if not _known(x) else f"{x:.0%}"


def decide(inputs: DecisionInputs, thresholds: Mapping[str, float]) -> dict[str, Verdict]:
    """The three verdicts."""
    return {"bottleneck": bottleneck(inputs, thresholds),
            "modularize_in_place": modularize_in_place(inputs, thresholds),
            "observability": observability(inputs, thresholds)}


__all__ = ["DecisionInputs", "OUTCOMES", "QUESTIONS", "Verdict", "bottleneck", "decide", "modularize_in_place",
           "observability"]
