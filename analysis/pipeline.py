"""The steps of one Seams run, in order: mine -> map -> measure -> decide.

``run(config)`` mines every configured source (:mod:`analysis.sources.registry`, through the
cache) and ``analyse(config, mined)`` does the rest without any I/O, returning an
:class:`Analysis` that the notebook displays and :mod:`analysis.outputs.findings`
serializes. Reading :func:`analyse` top to bottom is reading the pipeline.

A source that is not configured is *missing evidence*: the steps that need it see empty
frames, and the verdicts list it as missing instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from analysis.core.config import Config
from analysis.core.frames import Mined, SourceFrames
from analysis.core.rejects import Rejects
from analysis.decisions import verdicts as rules
from analysis.decisions.ranking import rank_candidates
from analysis.decisions.recommendation import recommend
from analysis.mapping.contexts import unassigned_share
from analysis.mapping.units import Units, map_units
from analysis.measures.contexts import context_table, coupled_pairs
from analysis.measures.data import DataEvidence, measure_data
from analysis.measures.history import HistoryEvidence, measure_history
from analysis.measures.runtime import RuntimeEvidence, measure_runtime
from analysis.measures.structure import StructureEvidence, measure_structure
from analysis.sources.registry import KINDS, configured_kinds, mine_source


@dataclass(frozen=True)
class Analysis:
    """Everything one run measured and decided."""

    config: Config
    mined: Mined
    units: Units
    history: HistoryEvidence
    structure: StructureEvidence
    data: DataEvidence
    runtime: RuntimeEvidence
    contexts: pd.DataFrame  # one row per declared context
    pairs: pd.DataFrame  # the four signals per context pair
    verdicts: dict[str, rules.Verdict]
    ranking: pd.DataFrame
    recommendation: dict
    inputs: dict[str, dict]
    rejects: Rejects = field(default_factory=Rejects)

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        return dict(self.mined.frames)


def mine(config: Config, *, use_cache: bool = True, rejects: Rejects | None = None,
         only: Iterable[str] | None = None) -> tuple[dict[str, SourceFrames], Rejects]:
    """Mine every configured source (or only the base kinds named in ``only``, with their
    companions: ``only=("git",)`` mines the history, merges, deploys and complexity); a
    source that cannot be read raises SourceError."""
    rejects = rejects if rejects is not None else Rejects()
    kinds = configured_kinds(config)
    if only is not None:
        wanted = set(only)
        kinds = tuple(k for k in kinds if k in wanted or KINDS[k].companion_of in wanted)
    return {kind: mine_source(config, kind, rejects, use_cache=use_cache) for kind in kinds}, rejects


def run(config: Config, *, use_cache: bool = True) -> Analysis:
    mined, rejects = mine(config, use_cache=use_cache)
    return analyse(config, mined, rejects)


def analyse(config: Config, mined: dict[str, SourceFrames], rejects: Rejects | None = None) -> Analysis:
    """Map, measure and decide (no I/O)."""
    rejects = rejects if rejects is not None else Rejects()
    frames = Mined.of(mined)
    units = map_units(config, frames)
    history = measure_history(config, frames, units)
    structure = measure_structure(config, frames, units)
    data = measure_data(config, frames, units)
    runtime = measure_runtime(config, frames, units)
    pairs = coupled_pairs(config, history, structure, data, runtime)
    contexts = context_table(config, history, structure, runtime)
    verdicts = decide(config, frames, history, structure, data, runtime)
    ranking = rank_candidates(contexts, pairs, data.table_contexts if frames.given("sql") else None, config.weights)
    return Analysis(
        config=config, mined=frames, units=units, history=history, structure=structure, data=data, runtime=runtime,
        contexts=contexts, pairs=pairs, verdicts=verdicts, ranking=ranking, recommendation=recommend(verdicts, ranking),
        inputs=source_inputs(config, mined, rejects, units, frames), rejects=rejects,
    )


def decide(config: Config, mined: Mined, history: HistoryEvidence, structure: StructureEvidence, data: DataEvidence,
           runtime: RuntimeEvidence) -> dict[str, rules.Verdict]:
    """The three verdicts, from the evidence as plain values (None where its source is missing)."""
    th = config.thresholds
    git = mined.given("git") and len(mined["commits"]) > 0
    teams = git and bool(config.teams)
    imports, sql, traces = mined.given("imports"), mined.given("sql"), mined.given("traces")
    to_cut = structure.edges_to_cut
    return {
        "bottleneck": rules.bottleneck(
            cross_context_change_share=history.cross_context_share_recent if git else None,
            cross_context_merge_share=history.cross_context_merge_share_recent if git else None,
            active_authors=history.team_summary["active_authors"] if git else None,
            active_teams=history.team_summary["active_teams"] if teams else None,
            cross_team_change_share=history.team_summary["cross_team_change_share"] if teams else None,
            scaling=runtime.asymmetry.to_dict("records") if traces and len(runtime.asymmetry) else None,
            deploys=history.deploys if mined.given("deploys") else None,
            thresholds=th,
        ),
        "modularize_in_place": rules.modularize_in_place(
            import_edges_to_cut=int(to_cut["edges"].sum()) if imports else None,
            context_edges_to_cut=to_cut[["source", "target", "edges", "evidence"]].to_dict("records") if imports else None,
            cycles=structure.cycles if imports else None,
            cross_context_imports=int(structure.edges["edges"].sum()) if imports else None,
            write_shared_tables=sorted(data.write_shared_tables["table"]) if sql else None,
            cross_context_joins=int(data.cross_context_joins["fingerprint"].nunique()) if sql else None,
            sync_chains=len(runtime.chains) if traces else None,
            thresholds=th,
        ),
        "observability": rules.observability(coverage=runtime.coverage if traces else None, has_sql=sql, thresholds=th),
    }


def source_inputs(config: Config, mined: dict[str, SourceFrames], rejects: Rejects, units: Units, frames: Mined) -> dict[str, dict]:
    """Per configurable source kind: whether configured, records read and rejected, unassigned share, notes."""
    unassigned = {
        "git": unassigned_share(units.file_context),
        "imports": unassigned_share(units.importer_context),
        "sql": unassigned_share(units.statement_context, frames["statements"]["executions"].to_numpy(dtype=float)),
        "traces": unassigned_share(units.span_context),
    }
    reject_sources = {"git": ["git"], "sql": [str(s.path) for s in config.sql], "traces": [str(s.path) for s in config.traces]}
    out: dict[str, dict] = {}
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
