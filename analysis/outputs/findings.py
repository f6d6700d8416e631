"""``findings.json``: the machine-readable result of a run (documented in docs/findings.md).

``build_findings(analysis)`` turns an :class:`analysis.pipeline.Analysis` into plain JSON
values; ``write_findings(findings, path)`` writes it atomically. The document holds no
timestamps of the run itself and no input literals (SQL appears only as fingerprints), so
the same inputs and config give the same bytes.

Bump ``SCHEMA_VERSION``'s major number when a key is removed or changes meaning; the minor
number when keys are added.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.version import __version__

SCHEMA_VERSION = "2.3"
#: scorecard periods kept in findings.json (the latest ones; the notebook shows them all)
SCORECARD_PERIODS = 24


def to_json_value(value: Any) -> Any:
    """Plain JSON values from pandas/numpy ones; NaN and NA become null."""
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        seq = list(value)
        if isinstance(value, (set, frozenset)):
            seq = sorted(seq, key=str)
        return [to_json_value(v) for v in seq]
    if isinstance(value, pd.DataFrame):
        return [to_json_value(r) for r in value.to_dict("records")]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else round(f, 6)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (int, str)):
        return value
    if hasattr(value, "item"):
        return to_json_value(value.item())
    return str(value)


def _verdict(v) -> dict:
    return {"question": v.question, "verdict": v.verdict, "summary": v.summary, "rule": v.rule,
            "thresholds": v.thresholds, "checks": [c.to_json() for c in v.checks], "close_call": v.close_call,
            "evidence": v.evidence, "missing": v.missing}


SIGNALS = ("structural", "evolutionary", "data", "runtime")


def _pairs(pairs: pd.DataFrame, states: dict[str, dict]) -> list[dict]:
    out = []
    for r in pairs.to_dict("records"):
        out.append({
            "context_a": r["context_a"], "context_b": r["context_b"],
            "signals": {s: {"value": r[s], "coupled": r[f"{s}_coupled"], "state": states[s]["state"]} for s in SIGNALS},
            "orchestrated_traces": r.get("orchestrated"),
            "coupled_signals": r["signals"], "hidden": r["hidden"],
        })
    return out


def _ranking(ranking: pd.DataFrame) -> list[dict]:
    from analysis.decisions.ranking import COMPONENTS

    return [{"rank": r["rank"], "context": r["context"], "score": r["score"], "score_max": r["score_max"],
             "components_known": r["components_known"],
             "components": {c: r[c] for c in COMPONENTS}, "candidate": r["candidate"], "why_not": r["why_not"]}
            for r in ranking.to_dict("records")]


def evidence_states(a) -> dict[str, dict]:
    """The state of every piece of evidence: measured, not measured (no source) or not
    measurable (too little of it), with the reason or the basis."""
    return {
        "history": a.history.status.to_json(),
        "teams": a.history.team_status.to_json(),
        "deploys": a.history.deploy_status.to_json(),
        "structure": a.structure.status.to_json(),
        "data": {**a.data.status.to_json(), "origin": a.data.origin},
        "schema": a.data.schema_status.to_json(),
        "runtime_calls": a.runtime.calls_status.to_json(),
        "load": a.runtime.load_status.to_json(),
        "coverage": a.runtime.coverage_status.to_json(),
        "entry_points": a.runtime.inventory_status.to_json(),
        "signals": {signal: status.to_json() for signal, status in a.signal_states.items()},
    }


HOTSPOT_FILES = 25


def _unresolved(frame) -> dict:
    """Counts of imports naming nothing in the repository, by language and classification."""
    if frame is None or not len(frame):
        return {}
    counts = frame.groupby(["language", "classification"]).size()
    return {lang: {cls: int(n) for (l2, cls), n in counts.items() if l2 == lang} for lang in sorted(set(frame["language"]))}


def config_snapshot(config) -> dict:
    """What the run was configured with, for comparing runs (docs/findings.md, ``config``):
    the contexts as declared, each source kind with the names of its items (file or folder
    names, never their folders), the scorecard, thresholds and weights; ``fingerprint`` hashes
    the rest, so two runs with the same configuration have the same fingerprint."""
    sources: dict[str, list[str]] = {}
    if config.git is not None:
        sources["git"] = [Path(config.git.repository).name]
        if config.git.deploys is not None:
            sources["deploys"] = [Path(config.git.deploys).name]
    if config.imports is not None:
        sources["imports"] = [Path(config.imports.repository).name]
    for kind in ("sql", "traces"):
        if getattr(config, kind):
            sources[kind] = [Path(item.path).name for item in getattr(config, kind)]
    for kind in ("incidents", "costs", "delivered"):
        if getattr(config, kind) is not None:
            sources[kind] = [Path(getattr(config, kind).path).name]
    contexts = {c.name: {"paths": list(c.paths), "tables": list(c.tables), "role": c.role,
                         "depends_on": None if c.depends_on is None else list(c.depends_on),
                         "spans": {k: list(v) for k, v in vars(c.spans).items() if v}} for c in config.contexts}
    snapshot = {"contexts": contexts, "sources": sources, "teams": len(set(config.teams.values())),
                "scorecard": {"period": config.scorecard.period,
                              "events": [{"date": e.date.isoformat(), "label": e.label, "context": e.context} for e in config.scorecard.events]},
                "thresholds": dict(config.thresholds), "weights": dict(config.weights)}
    text = json.dumps(to_json_value(snapshot), sort_keys=True, ensure_ascii=False)
    return {"fingerprint": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], **snapshot}


def boundaries_section(boundaries) -> dict | None:
    """The violations ``seams check`` gates on, with dependencies as measured (no baseline)."""
    if boundaries is None:
        return None
    from analysis.decisions.gate import pair_counts
    from analysis.outputs.baseline import entries_of

    entries = entries_of(boundaries.violations)
    return {"rules": {rule: status.to_json() for rule, status in boundaries.rules.items()}, "counts": boundaries.counts(),
            "pairs": pair_counts(entries),
            "violations": [{"rule": e.rule, "source": e.source, "target": e.target, "subject": e.subject, "count": e.count}
                           for e in entries]}


def scorecard_section(scorecard) -> dict | None:
    """The migration scorecard: its inputs' states, the latest periods, DORA, before/after."""
    if scorecard is None:
        return None
    table = scorecard.table
    if len(table):
        latest = sorted(table["period"].unique())[-SCORECARD_PERIODS:]
        table = table[table["period"].isin(latest)]
    return {"period": scorecard.period, "inputs": {k: v.to_json() for k, v in scorecard.statuses.items()},
            "changes_origin": scorecard.changes_origin, "table": table, "dora": scorecard.dora,
            "comparisons": scorecard.comparisons}


#: pulled units kept in findings.json (strongest first; the whole list is evidence/pulled-units.csv)
PULLED_UNITS = 50


def decomposition_section(decomposition) -> dict | None:
    """(2.3) The inferred decomposition: its state, the signals it used, every partition's
    metrics (the declared map first), whether a better partition exists, the difference in
    words, and each partition's parts with their unit counts (``partitions.csv`` has them unit
    by unit)."""
    if decomposition is None:
        return None
    from analysis.outputs.evidence_files import masked_units

    d = decomposition
    sizes = d.partitions.groupby(["partition", "part"]).size() if len(d.partitions) else pd.Series(dtype="int64")
    parts = {name: {str(part): int(n) for (pname, part), n in sizes.items() if pname == name} for name in d.metrics["partition"]} \
        if len(d.metrics) else {}
    return {
        "status": d.status.to_json(), "signals": d.graph.signals, "units": len(d.graph.units), "edges": len(d.graph.edges),
        "metrics": d.metrics, "better_partition": d.better, "parts": parts,
        "pulled_units": masked_units(d.pulled.head(PULLED_UNITS), d),
        "looks_like_two": d.looks_like_two.drop(columns=["part_a_units", "part_b_units"]) if len(d.looks_like_two) else [],
        "looks_like_one": d.looks_like_one,
        "partitions_file": "partitions.csv" if d.status.known and len(d.partitions) else None,
    }


def build_findings(analysis) -> dict:
    a = analysis
    states = evidence_states(a)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "seams_version": __version__,
        "monolith": a.config.name,
        "as_of": a.history.now,
        "evidence_states": states,
        "warnings": a.warnings,
        "verdicts": {k: _verdict(v) for k, v in a.verdicts.items()},
        "recommendation": a.recommendation,
        "ranking": _ranking(a.ranking),
        "contexts": a.contexts,
        "pairs": _pairs(a.pairs, states["signals"]),
        "structure": {
            "unresolved_imports": _unresolved(a.mined["unresolved_imports"]),
            "context_edges": a.structure.edges,
            "cycles": a.structure.cycles,
            "cycle_edges": a.structure.cycle_edges,
            "figures": a.structure.figures,
            "edges_to_cut": a.structure.edges_to_cut,
        },
        "history": {
            "window": a.history.window,
            "sufficiency": a.history.sufficiency,
            "coordination": a.history.coordination,
            "cochange_window": a.history.cochange_window,
            "cross_context_change_share_recent": a.history.cross_context_share_recent,
            "coordination_by_month": a.history.coordination_by_month,
            "teams": a.history.team_summary,
            "context_cochange": a.history.cochange,
            "cross_context_merge_share_recent": a.history.cross_context_merge_share_recent,
            "conway_alignment": a.history.conway,
            "deploys": a.history.deploys,
            "context_hotspots": a.history.context_hotspots,
            "file_hotspots": a.history.hotspots.head(HOTSPOT_FILES) if len(a.history.hotspots) else [],
        },
        "data": {
            "shared_tables": a.data.shared_tables,
            "write_shared_tables": a.data.write_shared_tables,
            "infrastructure_tables": a.data.infrastructure_tables,
            "notes": a.data.notes,
            "cross_context_joins": a.data.cross_context_joins,
            "attribution_methods": a.data.attribution_methods,
            "attributed_share": a.data.attributed_share,
            "schema_pairs": a.data.schema_pairs,
            "table_ownership": a.units.ownership,
            "domain_events": a.data.domain_events,
            "hot_tables": a.data.hot_tables,
        },
        "runtime": {
            "calls": a.runtime.calls,
            "sync_fan_in": a.runtime.fan_in,
            "call_chains": a.runtime.chains,
            "orchestration": a.runtime.orchestration,
            "window": a.runtime.window,
            "scaling_asymmetry": a.runtime.asymmetry,
            "call_latency": a.runtime.latency,
            "sampling": a.runtime.sampling,
        },
        "coverage": a.runtime.coverage,
        "inputs": a.inputs,
        "settings": {"thresholds": dict(a.config.thresholds), "weights": dict(a.config.weights)},
        "config": config_snapshot(a.config),
        "boundaries": boundaries_section(a.boundaries),
        "scorecard": scorecard_section(a.scorecard),
        "decomposition": decomposition_section(getattr(a, "decomposition", None)),
    }
    return to_json_value(doc)


def write_findings(findings: dict, path: str | os.PathLike) -> Path:
    """Write atomically (temp file + rename): a reader never sees half a document."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(findings, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_findings(path: str | os.PathLike) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
