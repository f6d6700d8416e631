"""The steps of one Seams run, in order: mine -> map -> measure -> decide.

``run(config)`` mines every configured source (:mod:`analysis.sources.registry`, through the
cache) and ``analyse(config, mined)`` does the rest without any I/O, returning an
:class:`Analysis` that the notebook displays and :mod:`analysis.outputs.findings`
serializes. Reading :func:`analyse` top to bottom is reading the pipeline.

A source that is not configured is *missing evidence*: the steps that need it see empty
frames, and the verdicts list it as missing instead of guessing. So is a source that is
configured but cannot be read at all (a missing or damaged file, a folder that is not a git
repository): :func:`mine` keeps its error, the evidence resting on it is *not measured* with
that error as the reason, and ``inputs[kind]["error"]`` carries it to ``findings.json`` and
the report. The run does not fail; ``seams report`` exits with its own status for it.

Each source mined, the mapping, the measuring and the deciding are steps of
:mod:`analysis.core.progress` (shown by ``seams report`` and ``seams mine``, silent elsewhere).
``seams report`` runs :func:`mine` in its own process, then :func:`analyse` while the notebook's
kernel starts, and hands the :class:`Analysis` over with :func:`save_analysis` /
:func:`load_analysis`.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from analysis.core import progress
from analysis.core.config import Config
from analysis.core.errors import SeamsError
from analysis.core.evidence import Status
from analysis.core.frames import Mined, SourceFrames
from analysis.core.rejects import Rejects
from analysis.core.settings import THRESHOLDS
from analysis.decisions import verdicts as rules
from analysis.decisions.ranking import rank_candidates
from analysis.decisions.recommendation import recommend
from analysis.decisions.verdicts import DecisionInputs
from analysis.mapping.contexts import ContextMap, unassigned_prefixes, unassigned_share
from analysis.mapping.units import Units, map_units
from analysis.measures.boundaries import BoundaryEvidence, measure_boundaries
from analysis.measures.contexts import context_table, coupled_pairs, role_suggestions, signals_known
from analysis.measures.data import DataEvidence, measure_data
from analysis.measures.decomposition import DecompositionEvidence, measure_decomposition
from analysis.measures.history import HistoryEvidence, measure_history, source_code, source_files_at_head
from analysis.measures.runtime import RuntimeEvidence, measure_runtime
from analysis.measures.scorecard import ScorecardEvidence, measure_scorecard
from analysis.measures.structure import StructureEvidence, measure_structure, structure_figures, structure_status
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
    decision_inputs: DecisionInputs  # the plain values the verdicts read (what-if re-decides from them)
    verdicts: dict[str, rules.Verdict]
    ranking: pd.DataFrame
    recommendation: dict
    inputs: dict[str, dict]
    warnings: list[str] = field(default_factory=list)
    rejects: Rejects = field(default_factory=Rejects)
    boundaries: BoundaryEvidence | None = None  # the violations seams check gates on (dependencies as measured)
    scorecard: ScorecardEvidence | None = None  # the migration scorecard (deploys, incidents, costs, changes, traces)
    decomposition: DecompositionEvidence | None = None  # the inferred partitions against the declared map

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        return dict(self.mined.frames)

    @property
    def signal_states(self) -> dict[str, Status]:
        """The state of each coupling signal's evidence."""
        data = self.data.status if self.data.status.known or not self.data.schema_status.known else Status.measured(
            "from the ORM models' relations only (schema evidence): " + self.data.schema_status.reason)
        return {"structural": self.structure.status, "evolutionary": self.history.status, "data": data,
                "runtime": self.runtime.calls_status}


def mine(config: Config, *, use_cache: bool = True, rejects: Rejects | None = None,
         only: Iterable[str] | None = None, strict: bool = False) -> tuple[dict[str, SourceFrames], Rejects]:
    """Mine every configured source (or only the base kinds named in ``only``, with their
    companions: ``only=("git",)`` mines the history, merges, deploys and complexity). A
    source that cannot be read is kept as its error (``SourceFrames.errors``, missing
    evidence); ``strict``: it raises SourceError instead."""
    rejects = rejects if rejects is not None else Rejects()
    kinds = configured_kinds(config)
    if only is not None:
        wanted = set(only)
        kinds = tuple(k for k in kinds if k in wanted or KINDS[k].companion_of in wanted)
    mined = {kind: mine_reported(config, kind, rejects, use_cache=use_cache, strict=strict) for kind in kinds}
    if only is None or "traces" in set(only):
        mined = mine_trace_stores(config, mined, rejects, use_cache=use_cache, strict=strict)
    return mined, rejects


def mine_reported(config: Config, kind: str, rejects: Rejects, *, use_cache: bool = True, strict: bool = False) -> SourceFrames:
    """Mine one kind as a step of the run (:mod:`analysis.core.progress`): its rows when done."""
    with progress.step(f"mining {kind}") as step:
        result = mine_source(config, kind, rejects, use_cache=use_cache, strict=strict)
        step.say(mined_counts(kind, result))
    return result


def mined_counts(kind: str, result: SourceFrames) -> str:
    """What a kind gave, in words: ``22,624 commits, 154,301 file changes`` (its error when unread)."""
    if result.unread:
        return "not read: " + "; ".join(result.errors)
    rows = [f"{len(result.frames[name]):,} {name.replace('_', ' ')}" for name in KINDS[kind].frames if name in result.frames]
    rejected = [f"{result.records_rejected:,} rejected"] if result.records_rejected else []
    return ", ".join(rows + rejected)


def mine_trace_stores(config: Config, mined: dict[str, SourceFrames], rejects: Rejects, *, use_cache: bool = True,
                      strict: bool = False) -> dict[str, SourceFrames]:
    """The traces aggregated where they live (``format: clickhouse``) or in DuckDB (a file
    above ``trace_store_min_mib``): the ``store_*`` frames joined to the ``traces`` kind
    (:func:`analysis.measures.runtime_sql.aggregate_spans`; spans are never read back). A store
    that cannot be read (an unreachable server, a table without the exporter's columns) is
    the kind's error, so the traces are missing evidence, unless ``strict``."""
    items = [t for t in config.traces if t.uses_engine()]
    if not items:
        return mined
    from analysis.core import frames as contracts
    from analysis.measures.decomposition.graph import code_units
    from analysis.measures.runtime_sql import aggregate_spans, store_frames
    from analysis.measures.scorecard import entry_spec
    from analysis.sources.cache import usable_cache_dir
    from analysis.sources.traces.store import open_store

    cmap = ContextMap.of(config)
    cache_dir = usable_cache_dir(Path(config.cache_dir))[0] if use_cache else None
    th = config.thresholds
    # what the engine looks up among the spans it holds: the spans the SQL log's statements
    # name (their traceparent), and the inventoried entry points
    sql, inventory = mined.get("sql"), mined.get("entry_points")
    sql_keys = (sql.frames["statements"][["trace_id", "parent_span_id"]].rename(columns={"parent_span_id": "span_id"})
                if sql is not None and "statements" in sql.frames else None)
    entries = inventory.frames["entry_points"] if inventory is not None and not inventory.unread else None
    # the decomposition's units of the code, for the traffic between them
    _, _, _, unit_of_namespace = code_units(contracts.Mined.of(mined), code_root=cmap.code_root,
                                            ignore_paths=config.git.ignore_paths if config.git is not None else ())
    parts, notes, errors = [], [], []
    for item in items:
        try:
            with open_store(item, rejects, cache_dir=cache_dir) as store:
                found = aggregate_spans(store, cmap, bucket_minutes=th["load_bucket_minutes"],
                                        max_depth=int(th["max_ancestor_depth"]), sampling_ratio=item.sampling_ratio,
                                        sql_keys=sql_keys, inventory=entries, unit_of_namespace=unit_of_namespace,
                                        entries=entry_spec(config, list(cmap.names)))
            parts.append(found)
            notes += [f"{item.path}: {n}" for n in found.notes]
            notes.append(f"{item.path}: {found.coverage.get('spans', 0)} spans aggregated in "
                         f"{'ClickHouse' if item.store is not None else 'DuckDB'}")
        except SeamsError as exc:
            if strict:
                raise
            errors.append(str(exc))
    base = mined.get("traces") or SourceFrames({name: contracts.empty(name) for name in KINDS["traces"].frames}, 0, 0, [],
                                               unread=True)
    read = sum(int(p.coverage.get("spans", 0)) for p in parts)
    mined["traces"] = replace(base, frames={**base.frames, **store_frames(parts)}, records_read=base.records_read + read,
                              notes=[*base.notes, *notes], errors=[*base.errors, *errors],
                              unread=base.unread and not parts)
    return mined


def run(config: Config, *, use_cache: bool = True) -> Analysis:
    mined, rejects = mine(config, use_cache=use_cache)
    return analyse(config, mined, rejects)


def analyse(config: Config, mined: dict[str, SourceFrames], rejects: Rejects | None = None) -> Analysis:
    """Map, measure and decide (no I/O)."""
    rejects = rejects if rejects is not None else Rejects()
    frames = Mined.of(mined)
    with progress.step("mapping units to contexts"):
        units = map_units(config, frames)
    with progress.step("measuring"):
        history = measure_history(config, frames, units)
        structure = measure_structure(config, frames, units)
        data = measure_data(config, frames, units)
        runtime = measure_runtime(config, frames, units)
        pairs = coupled_pairs(config, history, structure, data, runtime)
        contexts = context_table(config, history, structure, runtime, units.owned_units(frames))
        scorecard = measure_scorecard(config, frames, units)
    with progress.step("inferring partitions"):
        decomposition = measure_decomposition(config, frames, units)
    with progress.step("deciding") as deciding:
        inputs = replace(decision_inputs(config, frames, history, structure, data, runtime),
                         better_partition=decomposition_input(decomposition))
        verdicts = rules.decide(inputs, config.thresholds)
        ranking = rank_candidates(contexts, pairs, data.table_contexts, config.weights, known=known_evidence(history, structure, data, runtime))
        boundaries = measure_boundaries(config, frames, units, structure.status, data, joins_status=inputs.joins)
        deciding.say(", ".join(f"{key}: {verdict.verdict}" for key, verdict in verdicts.items()))
    return Analysis(
        config=config, mined=frames, units=units, history=history, structure=structure, data=data, runtime=runtime,
        contexts=contexts, pairs=pairs, decision_inputs=inputs, verdicts=verdicts, ranking=ranking,
        recommendation=recommend(verdicts, ranking), inputs=source_inputs(config, mined, rejects, units, frames, history, runtime),
        warnings=[*units.warnings(frames, config.thresholds['max_unassigned_span_share']), *role_suggestions(config, structure),
                  *source_warnings(mined)], rejects=rejects,
        boundaries=boundaries, scorecard=scorecard, decomposition=decomposition,
    )


def decomposition_input(decomposition: DecompositionEvidence) -> dict | None:
    """Whether a better partition than the declared map exists, as the verdict reads it (None
    when the decomposition could not be measured)."""
    if not decomposition.status.known or decomposition.better.get("exists") is None:
        return None
    return {**decomposition.better, "signals": decomposition.signals, "pulled_units": len(decomposition.pulled),
            "looks_like_two": list(decomposition.looks_like_two["context"]),
            "looks_like_one": [[a, b] for a, b in zip(decomposition.looks_like_one["context_a"], decomposition.looks_like_one["context_b"])]}


def source_warnings(mined: Mapping[str, SourceFrames]) -> list[str]:
    """What the miners asked the user to act on (a cache that could not be used), each once."""
    return list(dict.fromkeys(w for result in mined.values() for w in result.warnings))


#: What ``seams check`` mines: the import graphs and, when given, the SQL logs with the traces
#: that tie their statements to contexts (never the git history).
CHECK_KINDS = ("imports", "code_imports", "sql", "traces")


def check_boundaries(config: Config, *, baseline_dependencies: Mapping[str, Iterable[str]] | None = None,
                     use_cache: bool = True, rejects: Rejects | None = None) -> BoundaryEvidence:
    """The boundary violations ``seams check`` gates on, from the import graph and the SQL
    logs (git history is not read): mine :data:`CHECK_KINDS` through the cache (traces only
    with a SQL log, to tie its statements to contexts), map, measure structure and data, apply
    the declared and baseline dependencies."""
    rejects = rejects if rejects is not None else Rejects()
    kinds = [k for k in configured_kinds(config) if k in CHECK_KINDS and (k != "traces" or config.sql)]
    mined = {kind: mine_source(config, kind, rejects, use_cache=use_cache) for kind in kinds}
    frames = Mined.of(mined)
    units = map_units(config, frames)
    structure = structure_status(config, frames, structure_figures(frames["imports"], frames["unresolved_imports"], units.importer_context))
    data = measure_data(config, frames, units)
    return measure_boundaries(config, frames, units, structure, data, baseline_dependencies=baseline_dependencies)


def repository_head(config: Config) -> str | None:
    """The analysed repository's HEAD commit (git history's, else the import graph's); None
    without a repository."""
    from analysis.sources.git.command import head_commit

    source = config.git or config.imports
    return head_commit(source.repository) if source is not None else None


def redecide(result: Analysis, *, thresholds: Mapping[str, float] | None = None,
             weights: Mapping[str, float] | None = None) -> Analysis:
    """The same evidence decided with other thresholds or weights (a what-if): the pairs,
    verdicts, ranking and recommendation again, nothing mined or measured again — well under a
    second on a large repository. A setting that changes what is measured (its ``stage`` is
    ``measure``: windows, bucket sizes, sufficiency) is refused: run :func:`analyse` again
    (mining stays cached)."""
    changed = {**(thresholds or {})}
    measuring = sorted(k for k in changed if k in THRESHOLDS and THRESHOLDS[k].stage == "measure")
    if measuring:
        raise SeamsError(f"{', '.join(measuring)} changes what is measured, not only what is decided: "
                         "run pipeline.analyse (or pipeline.run) again with config.with_thresholds(...)")
    config = result.config.with_thresholds(**changed) if changed else result.config
    if weights:
        config = config.with_weights(**weights)
    pairs = coupled_pairs(config, result.history, result.structure, result.data, result.runtime)
    verdicts = rules.decide(result.decision_inputs, config.thresholds)
    ranking = rank_candidates(result.contexts, pairs, result.data.table_contexts, config.weights,
                              known=known_evidence(result.history, result.structure, result.data, result.runtime))
    return replace(result, config=config, pairs=pairs, verdicts=verdicts, ranking=ranking,
                   recommendation=recommend(verdicts, ranking))


def known_evidence(history: HistoryEvidence, structure: StructureEvidence, data: DataEvidence,
                   runtime: RuntimeEvidence) -> dict:
    """What the ranking's components may rest on."""
    signals = signals_known(history, structure, data, runtime)
    return {"signals": sum(signals.values()), "data": data.status.known, "history": history.status.known,
            "load": runtime.load_status.known, "teams": history.team_status.known}


def decision_inputs(config: Config, mined: Mined, history: HistoryEvidence, structure: StructureEvidence,
                    data: DataEvidence, runtime: RuntimeEvidence) -> rules.DecisionInputs:
    """The evidence as the plain values the verdict rules read."""
    teams = history.team_summary
    to_cut = structure.edges_to_cut
    joins_status = data.status if data.origin == "sql log" else (
        Status.not_measured("joins need a SQL log: database spans do not say which tables a statement joins")
        if data.status.known else data.status)
    return rules.DecisionInputs(
        history=history.status, teams=history.team_status, deploys_status=history.deploy_status,
        structure=structure.status, data=data.status, joins=joins_status, load=runtime.load_status,
        calls=runtime.calls_status, coverage_status=runtime.coverage_status,
        coordination=history.coordination, merge_share=history.cross_context_merge_share_recent,
        active_authors=teams.get("active_authors"), active_teams=teams.get("active_teams"),
        cross_team_change_share=teams.get("cross_team_change_share"),
        scaling=runtime.asymmetry.to_dict("records"), deploys=history.deploys,
        import_edges_to_cut=int(to_cut["edges"].sum()) if structure.status.known else None,
        context_edges_to_cut=to_cut[["source", "target", "edges", "evidence"]].to_dict("records"),
        cycles=structure.cycles, cycle_edges=structure.cycle_edges,
        cross_context_imports=int(structure.edges["edges"].sum()) if mined.given("imports") else None,
        write_shared_tables=sorted(data.write_shared_tables["table"]),
        cross_context_joins=int(data.cross_context_joins["fingerprint"].nunique()) if joins_status.known else None,
        sync_chains=len(runtime.chains) if runtime.calls_status.known else None,
        coverage=runtime.coverage, sql_given=mined.given("sql"),
        entry_points_status=runtime.inventory_status,
    )


def source_inputs(config: Config, mined: dict[str, SourceFrames], rejects: Rejects, units: Units, frames: Mined,
                  history: HistoryEvidence, runtime: RuntimeEvidence) -> dict[str, dict]:
    """Per source kind: whether configured, records read and rejected, unassigned share, the
    time window it covers (first and last commit, statement, span), notes."""
    head = source_files_at_head(units.head_contexts(frames))  # the map is judged on source files
    changes = frames["file_changes"]["path"]
    code = source_code(changes).to_numpy()
    prefixes = {"unassigned_prefixes": unassigned_prefixes(pd.Series(head.index, dtype="string"), head).to_dict("records"),
                "unassigned_change_prefixes": unassigned_prefixes(changes[code].reset_index(drop=True),
                                                                  units.file_context[code].reset_index(drop=True)).to_dict("records")}
    unassigned = {
        "git": unassigned_share(units.file_context),
        "imports": unassigned_share(units.importer_context),
        "sql": unassigned_share(units.statement_context, frames["statements"]["executions"].to_numpy(dtype=float)),
        "traces": ((runtime.coverage["unassigned_span_share"] if runtime.coverage.get("spans") else 0.0)
                   if len(frames["store_coverage"]) and not len(frames["spans"])
                   else unassigned_share(units.span_context)),  # aggregated in a trace engine: its count
    }
    reject_sources = {"git": ["git"], "sql": [str(s.path) for s in config.sql], "traces": [str(s.path) for s in config.traces],
                      **{kind: [str(log.path)] for kind in ("incidents", "costs", "delivered") if (log := getattr(config, kind))}}
    statements = frames["statements"]
    windows = {
        "git": {"first": history.window["first_commit"], "last": history.window["last_commit"]},
        "sql": {"first": statements["ts"].min() if len(statements) else None, "last": statements["ts"].max() if len(statements) else None},
        "traces": {"first": runtime.window["first_span"], "last": runtime.window["last_span"]},
    }
    out: dict[str, dict] = {}
    for kind in KINDS:
        if kind not in mined:
            out[kind] = {"configured": False, "records_read": 0, "records_rejected": 0, "unassigned_share": None, "notes": [],
                         "error": None, "read": False}
            continue
        m = mined[kind]
        counted = sum(rejects.count(s) for s in reject_sources.get(kind, [kind]))
        out[kind] = {
            "configured": True,
            "records_read": int(m.records_read),
            "records_rejected": int(max(counted, m.records_rejected)),
            "unassigned_share": float(unassigned[kind]) if kind in unassigned and not m.unread else None,
            "window": windows.get(kind),
            "counts": dict(m.counts),
            "notes": list(m.notes),
            "error": "; ".join(m.errors) if m.errors else None,
            "read": not m.unread,
            **(prefixes if kind == "git" else {}),
        }
    return out


#: Seconds between two looks for the analysis :func:`load_analysis` waits for.
HANDOVER_POLL_SECONDS = 0.05


def save_analysis(result: Analysis, path: Path) -> Path:
    """Write ``result`` for :func:`load_analysis` (a pickle: written whole under a temporary
    name, then renamed into place). Only for handing a run's analysis from ``seams report`` to
    its own kernel, through a private temporary folder; not a format to keep."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)
    return path


def handover_failed(path: Path, reason: str) -> None:
    """Tell a kernel waiting in :func:`load_analysis` that the analysis will not come."""
    path.with_name(path.name + ".failed").write_text(reason, encoding="utf-8")


def load_analysis(path: str | os.PathLike) -> Analysis:
    """The analysis :func:`save_analysis` wrote at ``path``, waiting until it is there (the
    command that computes it runs meanwhile). Raises :class:`SeamsError` when that command
    says it failed, or is gone (this process's parent changed) before writing it."""
    path = Path(path)
    parent = os.getppid()
    failed = path.with_name(path.name + ".failed")
    while not path.exists():
        if failed.exists():
            raise SeamsError(f"the analysis was not computed: {failed.read_text(encoding='utf-8', errors='replace')}")
        if os.getppid() != parent:
            raise SeamsError("the seams command computing the analysis is gone")
        time.sleep(HANDOVER_POLL_SECONDS)
    with open(path, "rb") as fh:
        result = pickle.load(fh)  # noqa: S301 (written by this run's own command, in its private folder)
    if not isinstance(result, Analysis):
        raise SeamsError(f"{path}: not an analysis")
    return result
