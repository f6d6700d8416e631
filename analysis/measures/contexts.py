"""What is known per context and per pair of contexts, gathered from the evidence families.

- :func:`coupled_pairs` — the four signals per context pair and which of them count as
  coupled (:func:`analysis.measures.coupling.pairs.context_pairs`, with the thresholds);
- :func:`context_table` — one row per declared context: change, teams, instability, load and
  whether it emits spans.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.config import Config
from analysis.measures.coupling.pairs import context_pairs
from analysis.measures.data import DataEvidence
from analysis.measures.history import HistoryEvidence
from analysis.measures.runtime import RuntimeEvidence
from analysis.measures.structure import StructureEvidence

_COUNTS = ("commits", "commits_recent", "files", "authors", "authors_recent", "teams", "ca", "ce")
_FIGURES = ("load_share", "self_time_share", "peak_to_median", "correlation_with_rest", "compute_ratio_max",
            "asymmetry_score", "trend", "cross_team_share", "churn_recent", "instability")


def coupled_pairs(config: Config, history: HistoryEvidence, structure: StructureEvidence, data: DataEvidence,
                  runtime: RuntimeEvidence) -> pd.DataFrame:
    th = config.thresholds
    return context_pairs(structure.edges, history.cochange, data.pairs, runtime.calls,
                         structural_min_edges=th["structural_min_edges"], evolutionary_min_degree=th["evolutionary_min_degree"],
                         evolutionary_min_shared_commits=th["evolutionary_min_shared_commits"],
                         data_min_shared_tables=th["data_min_shared_tables"], runtime_min_calls=th["runtime_min_calls"])


def context_table(config: Config, history: HistoryEvidence, structure: StructureEvidence, runtime: RuntimeEvidence) -> pd.DataFrame:
    names = [c.name for c in config.contexts]
    out = pd.DataFrame({"context": pd.Series(names, dtype="string")})
    for part in (history.by_context, history.teams_by_context, structure.instability, runtime.asymmetry):
        if part is not None and len(part.columns):
            p = part.copy()
            p["context"] = p["context"].astype("string")
            out = out.merge(p, on="context", how="left")
    owned = {c.name: len(c.tables) for c in config.contexts}
    out["tables_owned"] = out["context"].map(owned).astype("int64")
    with_spans = set(runtime.coverage.get("contexts_with_spans") or [])
    out["has_spans"] = out["context"].isin(with_spans)
    for col in _COUNTS:
        if col in out:
            out[col] = out[col].fillna(0).astype("int64")
    if "score" in out:
        out = out.rename(columns={"score": "asymmetry_score"})
    for col in _FIGURES:
        if col not in out:
            out[col] = float("nan")
    return out
