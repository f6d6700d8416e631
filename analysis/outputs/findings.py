"""``findings.json``: the machine-readable result of a run (documented in docs/findings.md).

``build_findings(analysis)`` turns an :class:`analysis.pipeline.Analysis` into plain JSON
values; ``write_findings(findings, path)`` writes it atomically. The document holds no
timestamps of the run itself and no input literals (SQL appears only as fingerprints), so
the same inputs and config give the same bytes.

Bump ``SCHEMA_VERSION``'s major number when a key is removed or changes meaning; the minor
number when keys are added.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.version import __version__

SCHEMA_VERSION = "1.1"


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
            "thresholds": v.thresholds, "evidence": v.evidence, "missing": v.missing}


def _pairs(pairs: pd.DataFrame) -> list[dict]:
    out = []
    for r in pairs.to_dict("records"):
        out.append({
            "context_a": r["context_a"], "context_b": r["context_b"],
            "signals": {s: {"value": r[s], "coupled": r[f"{s}_coupled"]} for s in ("structural", "evolutionary", "data", "runtime")},
            "coupled_signals": r["signals"], "hidden": r["hidden"],
        })
    return out


def _ranking(ranking: pd.DataFrame) -> list[dict]:
    comps = [c for c in ranking.columns if c not in ("rank", "context", "score")]
    return [{"rank": r["rank"], "context": r["context"], "score": r["score"], "components": {c: r[c] for c in comps}}
            for r in ranking.to_dict("records")]


HOTSPOT_FILES = 25


def _unresolved(frame) -> dict:
    """Counts of imports naming nothing in the repository, by language and classification."""
    if frame is None or not len(frame):
        return {}
    counts = frame.groupby(["language", "classification"]).size()
    return {lang: {cls: int(n) for (l2, cls), n in counts.items() if l2 == lang} for lang in sorted(set(frame["language"]))}


def build_findings(analysis) -> dict:
    a = analysis
    doc = {
        "schema_version": SCHEMA_VERSION,
        "seams_version": __version__,
        "monolith": a.config.name,
        "as_of": a.history.now,
        "verdicts": {k: _verdict(v) for k, v in a.verdicts.items()},
        "recommendation": a.recommendation,
        "ranking": _ranking(a.ranking),
        "contexts": a.contexts,
        "pairs": _pairs(a.pairs),
        "structure": {
            "unresolved_imports": _unresolved(a.mined["unresolved_imports"]),
            "context_edges": a.structure.edges,
            "cycles": a.structure.cycles,
            "edges_to_cut": a.structure.edges_to_cut,
        },
        "history": {
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
            "cross_context_joins": a.data.cross_context_joins,
            "attribution_methods": a.data.attribution_methods,
            "table_ownership": a.units.ownership,
            "domain_events": a.data.domain_events,
            "hot_tables": a.data.hot_tables,
        },
        "runtime": {
            "calls": a.runtime.calls,
            "sync_fan_in": a.runtime.fan_in,
            "call_chains": a.runtime.chains,
            "scaling_asymmetry": a.runtime.asymmetry,
            "call_latency": a.runtime.latency,
            "sampling": a.runtime.sampling,
        },
        "coverage": a.runtime.coverage,
        "inputs": a.inputs,
        "settings": {"thresholds": dict(a.config.thresholds), "weights": dict(a.config.weights)},
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
