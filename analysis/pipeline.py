"""The steps of one Seams run, in order: mine -> map -> measure -> decide.

``run(config)`` mines every configured source (through the cache in analysis.mining) and
``analyse(config, mined)`` does the rest without any I/O, returning an :class:`Analysis`
that the notebook displays and analysis.findings serializes. Each step is a small function
below; reading them top to bottom is reading the pipeline.

A source that is not configured is *missing evidence*: the steps that need it return empty
frames, and the verdicts list it as missing instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis import frames
from analysis.attribution import attribute_statements, context_ancestors, span_parents
from analysis.config import Config
from analysis.contexts import ContextMap, unassigned_share
from analysis.coupling import data as data_coupling
from analysis.coupling import evolutionary, runtime, structural
from analysis.coupling.pairs import context_pairs
from analysis.decisions import verdicts as rules
from analysis.decisions.ranking import rank_candidates
from analysis.decisions.recommendation import recommend
from analysis.frames import SourceFrames
from analysis.metrics import change, coordination, hotspots, load, observability, teams
from analysis.ownership import infer_table_ownership, ownership_evidence
from analysis.mining import KINDS, configured_kinds, mine_source
from analysis.rejects import Rejects


@dataclass
class Analysis:
    config: Config
    frames: dict[str, pd.DataFrame]
    inputs: dict[str, dict]
    contexts: pd.DataFrame
    pairs: pd.DataFrame
    structural_edges: pd.DataFrame
    cycles: list[list[str]]
    edges_to_cut: pd.DataFrame
    cochange: pd.DataFrame
    coordination: pd.DataFrame
    team_matrix: pd.DataFrame
    table_contexts: pd.DataFrame
    shared_tables: pd.DataFrame
    write_shared_tables: pd.DataFrame
    cross_context_joins: pd.DataFrame
    calls: pd.DataFrame
    fan_in: pd.DataFrame
    chains: pd.DataFrame
    curves: pd.DataFrame
    asymmetry: pd.DataFrame
    coverage: dict
    verdicts: dict[str, rules.Verdict]
    ranking: pd.DataFrame
    recommendation: dict
    hotspots: pd.DataFrame = field(default_factory=pd.DataFrame)
    context_hotspots: pd.DataFrame = field(default_factory=pd.DataFrame)
    deploys: dict = field(default_factory=dict)
    ownership: pd.DataFrame = field(default_factory=pd.DataFrame)
    domain_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    hot_tables: pd.DataFrame = field(default_factory=pd.DataFrame)
    latency: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)
    rejects: Rejects = field(default_factory=Rejects)


# --------------------------------------------------------------------------------------
# step 1: mine


def mine(config: Config, *, use_cache: bool = True, rejects: Rejects | None = None) -> tuple[dict[str, SourceFrames], Rejects]:
    """Mine every configured source; a source that cannot be read raises SourceError."""
    rejects = rejects if rejects is not None else Rejects()
    return {kind: mine_source(config, kind, rejects, use_cache=use_cache) for kind in configured_kinds(config)}, rejects


def run(config: Config, *, use_cache: bool = True) -> Analysis:
    mined, rejects = mine(config, use_cache=use_cache)
    return analyse(config, mined, rejects)


# --------------------------------------------------------------------------------------
# steps 2-5: map, measure, decide (no I/O)


def analyse(config: Config, mined: dict[str, SourceFrames], rejects: Rejects | None = None) -> Analysis:
    rejects = rejects if rejects is not None else Rejects()
    f = _frames(mined)
    cmap = ContextMap(config.contexts)
    th = config.thresholds
    names = list(cmap.names)

    # -- map every unit to a context
    file_context = cmap.assign_paths(f["file_changes"]["path"])
    importer_context = cmap.assign_paths(f["imports"]["importer_path"])
    imported_context = cmap.assign_paths(f["imports"]["imported_path"])
    span_context = inherit_span_context(f["spans"], cmap.assign_spans(f["spans"]))
    attributed = attribute_statements(f["statements"], f["spans"], span_context, cmap)
    statement_context = attributed["context"]

    # -- history
    commits, changes = f["commits"], f["file_changes"]
    now = commits["committed_at"].max() if len(commits) else pd.Timestamp.now(tz="UTC").floor("D")
    recent_days = int(th["recent_days"])
    by_change = change.change_by_context(commits, changes, file_context, now=now, recent_days=recent_days, trend_months=int(th["trend_months"]))
    by_team = teams.team_by_context(commits, changes, file_context, config.teams, now=now, recent_days=recent_days)
    team_totals = teams.team_summary(commits, changes, file_context, config.teams, now=now, recent_days=recent_days)
    team_matrix = teams.team_context_matrix(commits, changes, file_context, config.teams, now=now, recent_days=recent_days)
    merge_context = cmap.assign_paths(f["merge_files"]["path"])
    monthly_coordination = coordination.coordination_by_month(commits, changes, file_context, f["merge_files"], merge_context)
    cross_share_recent = coordination.cross_context_share(commits, changes, file_context, now=now, recent_days=recent_days)
    merge_share_recent = coordination.cross_context_merge_share(commits, f["merge_files"], merge_context, now=now, recent_days=recent_days)
    conway = teams.conway_alignment(commits, changes, file_context, config.teams, now=now, recent_days=recent_days)
    deploy_figures = coordination.deploy_evidence(f["deploys"], now=now, recent_days=recent_days,
                                                  slow_deploy_minutes=th["slow_deploy_minutes"],
                                                  max_failure_rate=th["max_deploy_failure_rate"],
                                                  min_deploys_per_week=th["min_deploys_per_week"])
    file_hotspots = hotspots.hotspots(commits, changes, file_context, f["complexity"], now=now, recent_days=recent_days)
    by_hotspot = hotspots.context_hotspots(file_hotspots, commits, changes, file_context)
    cochange = evolutionary.context_cochange(commits, changes, file_context,
                                             max_changeset_size=int(th["coupling_max_changeset_size"]),
                                             min_shared_commits=int(th["evolutionary_min_shared_commits"]))

    # -- structure
    edges = structural.context_edges(f["imports"], importer_context, imported_context)
    stability = structural.instability(edges, names)
    cycles = structural.context_cycles(edges)
    to_cut = structural.edges_to_cut(edges, f["imports"], importer_context, imported_context)

    # -- data
    table_ctx = data_coupling.table_contexts(f["statements"], statement_context, f["table_access"], cmap)
    shared = data_coupling.shared_tables(table_ctx)
    write_shared = data_coupling.write_shared_tables(table_ctx)
    joins = data_coupling.cross_context_joins(f["statements"], statement_context, f["joins"], cmap)
    data_pairs = data_coupling.data_pairs(table_ctx, cmap)
    evidence = ownership_evidence(f["table_access"], cmap, statements=f["statements"], statement_attribution=attributed,
                                  spans=f["spans"], span_context=span_context, orm_tables=f["orm_tables"])
    owned = infer_table_ownership(evidence, cmap, tables=f["table_access"]["table"])
    events = data_coupling.domain_events(f["statements"], statement_context, f["queries"], f["table_access"], owned)
    hot = data_coupling.hot_tables(f["statements"], f["table_access"], top=20)

    # -- runtime and load
    call_rows = runtime.call_rows(f["spans"], span_context, f["span_links"])  # the ancestor walk, once
    calls = runtime.calls_of_rows(call_rows)
    if calls.empty and len(f["service_dependencies"]):  # only Jaeger's dependencies: service-level coupling
        deps = f["service_dependencies"]
        calls = runtime.service_calls(deps, cmap.assign_spans(pd.DataFrame({"service": deps["parent"]})),
                                      cmap.assign_spans(pd.DataFrame({"service": deps["child"]})))
    latency = runtime.latency_of_rows(call_rows, f["spans"])
    sampling_ratio = next((t.sampling_ratio for t in config.traces if t.sampling_ratio), None)
    fan_in = runtime.sync_fan_in(calls)
    chains = runtime.call_chains(f["spans"], span_context, min_contexts=3)
    curves = load.load_curves(f["spans"], span_context, bucket_minutes=int(th["load_bucket_minutes"]), sampling_ratio=sampling_ratio)
    asymmetry = load.scaling_asymmetry(curves, correlation_minutes=int(th["load_correlation_minutes"]))
    declared_entry_points = (f["entry_points"].assign(context=cmap.assign_paths(f["entry_points"]["path"]))[["kind", "name", "context"]]
                             if "entry_points" in mined else None)
    coverage = observability.coverage(names, f["spans"], span_context, f["statements"], attributed, entry_points=declared_entry_points)
    coverage.pop("entry_points", None)  # route templates and queue names: span attribute values stay out of reports

    # -- pairs and per-context table
    pairs = context_pairs(edges, cochange, data_pairs, calls,
                          structural_min_edges=th["structural_min_edges"], evolutionary_min_degree=th["evolutionary_min_degree"],
                          evolutionary_min_shared_commits=th["evolutionary_min_shared_commits"],
                          data_min_shared_tables=th["data_min_shared_tables"], runtime_min_calls=th["runtime_min_calls"])
    contexts = _context_table(config, names, by_change, by_team, stability, asymmetry, coverage)

    # -- decide
    kinds = set(mined)
    verdicts = {
        "bottleneck": rules.bottleneck(
            cross_context_change_share=cross_share_recent if "git" in kinds and len(commits) else None,
            cross_context_merge_share=merge_share_recent if "git" in kinds and len(commits) else None,
            active_authors=team_totals["active_authors"] if "git" in kinds and len(commits) else None,
            active_teams=team_totals["active_teams"] if config.teams and "git" in kinds and len(commits) else None,
            cross_team_change_share=team_totals["cross_team_change_share"] if config.teams and "git" in kinds and len(commits) else None,
            scaling=asymmetry.to_dict("records") if "traces" in kinds and len(asymmetry) else None,
            deploys=deploy_figures if "deploys" in kinds else None,
            thresholds=th,
        ),
        "modularize_in_place": rules.modularize_in_place(
            import_edges_to_cut=int(to_cut["edges"].sum()) if "imports" in kinds else None,
            context_edges_to_cut=_records(to_cut[["source", "target", "edges", "evidence"]]) if "imports" in kinds else None,
            cycles=cycles if "imports" in kinds else None,
            cross_context_imports=int(edges["edges"].sum()) if "imports" in kinds else None,
            write_shared_tables=sorted(write_shared["table"]) if "sql" in kinds else None,
            cross_context_joins=int(joins["fingerprint"].nunique()) if "sql" in kinds else None,
            sync_chains=len(chains) if "traces" in kinds else None,
            thresholds=th,
        ),
        "observability": rules.observability(coverage=coverage if "traces" in kinds else None, has_sql="sql" in kinds, thresholds=th),
    }
    ranking = rank_candidates(contexts, pairs, table_ctx if "sql" in kinds else None, config.weights)
    recommendation = recommend(verdicts, ranking)

    inputs = _inputs(config, mined, rejects, file_context, importer_context, f, span_context, statement_context)
    summary = {"now": now, "recent_days": recent_days, "fan_in": fan_in, "team_summary": team_totals,
               "cross_context_change_share_recent": cross_share_recent, "cross_context_merge_share_recent": merge_share_recent,
               "conway": conway, "sampling": load.sampling_note(f["spans"], sampling_ratio),
               "attribution_methods": _executions_by_method(attributed, f["statements"])}
    return Analysis(
        config=config, frames=f, inputs=inputs, contexts=contexts, pairs=pairs, structural_edges=edges, cycles=cycles,
        edges_to_cut=to_cut, cochange=cochange, coordination=monthly_coordination, team_matrix=team_matrix,
        table_contexts=table_ctx, shared_tables=shared, write_shared_tables=write_shared, cross_context_joins=joins,
        calls=calls, fan_in=fan_in, chains=chains, curves=curves, asymmetry=asymmetry, coverage=coverage,
        verdicts=verdicts, ranking=ranking, recommendation=recommendation, summary=summary, rejects=rejects,
        hotspots=file_hotspots, context_hotspots=by_hotspot, deploys=deploy_figures, ownership=owned,
        domain_events=events, hot_tables=hot, latency=latency,
    )


# --------------------------------------------------------------------------------------
# helpers


def inherit_span_context(spans: pd.DataFrame, own: pd.Series) -> pd.Series:
    """A span no rule matches belongs to its nearest ancestor's context (a db call made in
    orders' code is orders' work), unless the way up crosses an async boundary (producer ->
    consumer); spans with no such ancestor stay unassigned."""
    if own.notna().all() or spans.empty:
        return own
    parents = span_parents(spans)
    ancestors = context_ancestors(spans, own, runtime.async_links(spans, parents), parents=parents)
    # never across a queue: a consumer does not belong to whoever produced its message
    inherited = ancestors["context"].mask(ancestors["crossed"]).astype("string").set_axis(own.index)
    return own.fillna(inherited).astype("string")


def _frames(mined: dict[str, SourceFrames]) -> dict[str, pd.DataFrame]:
    """Every contract's frame; a frame two kinds produce (Python and other languages'
    imports) is their concatenation."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for result in mined.values():
        for name, frame in result.frames.items():
            parts.setdefault(name, []).append(frame)
    out = {name: frames.empty(name) for name in frames.SCHEMAS}
    for name, pieces in parts.items():
        pieces = [p for p in pieces if len(p)]
        if len(pieces) == 1:
            out[name] = pieces[0]
        elif pieces:
            out[name] = frames.conform(pd.concat(pieces, ignore_index=True), name)
    return out


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


def _context_table(config, names, by_change, by_team, stability, asymmetry, coverage) -> pd.DataFrame:
    base = pd.DataFrame({"context": pd.Series(names, dtype="string")})
    out = base
    for part in (by_change, by_team, stability, asymmetry):
        if part is not None and len(part.columns):
            p = part.copy()
            p["context"] = p["context"].astype("string")
            out = out.merge(p, on="context", how="left")
    owned = {c.name: len(c.tables) for c in config.contexts}
    out["tables_owned"] = out["context"].map(owned).astype("int64")
    with_spans = set(coverage.get("contexts_with_spans") or [])
    out["has_spans"] = out["context"].isin(with_spans)
    for col in ("commits", "commits_recent", "files", "authors", "authors_recent", "teams", "ca", "ce"):
        if col in out:
            out[col] = out[col].fillna(0).astype("int64")
    if "score" in out:
        out = out.rename(columns={"score": "asymmetry_score"})
    for col in ("load_share", "self_time_share", "peak_to_median", "correlation_with_rest", "compute_ratio_max", "asymmetry_score", "trend", "cross_team_share", "churn_recent", "instability"):
        if col not in out:
            out[col] = float("nan")
    return out


def _executions_by_method(attributed: pd.DataFrame, statements: pd.DataFrame) -> dict[str, int]:
    """Executions per attribution method, most first."""
    counts = statements["executions"].groupby(attributed["method"].to_numpy(dtype=object)).sum()
    return {str(k): int(v) for k, v in counts.sort_values(ascending=False, kind="stable").items()}


def _inputs(config, mined, rejects, file_context, importer_context, f, span_context, statement_context) -> dict[str, dict]:
    """Per source kind: whether configured, records read and rejected, unassigned share, notes."""
    unassigned = {
        "git": unassigned_share(file_context),
        "imports": unassigned_share(importer_context),
        "sql": unassigned_share(statement_context, f["statements"]["executions"].to_numpy(dtype=float)),
        "traces": unassigned_share(span_context),
    }
    reject_sources = {"git": ["git"], "sql": [str(s.path) for s in config.sql], "traces": [str(s.path) for s in config.traces]}
    out = {}
    for kind in KINDS:
        if kind not in mined:
            out[kind] = {"configured": False, "records_read": 0, "records_rejected": 0, "unassigned_share": None, "notes": []}
            continue
        m = mined[kind]
        counted = sum(rejects.count(s) for s in reject_sources.get(kind, [kind]))
        out[kind] = {
            "configured": True,
            "records_read": int(m.records_read),
            "records_rejected": int(max(counted, m.records_rejected)),
            "unassigned_share": float(unassigned[kind]) if kind in unassigned else None,
            "notes": list(m.notes),
        }
    return out
