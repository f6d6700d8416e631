"""Extraction candidates, ranked, with the score broken down.

Per context, five components in [0, 1] (higher = better candidate to extract first):

- ``boundary_clarity`` = 1 - coupled signals / (4 * (n - 1)), where coupled signals counts,
  over every pair the context is in, how many of the four signals hold (coupling.pairs).
  A context coupled to no one in no signal scores 1.
- ``write_isolation`` = 1 - foreign writes / all writes involving the context, where foreign
  writes are writes by other contexts into its tables plus its writes into other contexts'
  tables (executions, from the SQL logs). 0.5 (neutral) when the context has no attributed
  writes, so missing evidence neither helps nor hurts.
- ``change_pain`` = recent commits / the largest recent commits of any context.
- ``scaling_asymmetry`` = the scaling-asymmetry score from metrics.load (0 when untraced).
- ``team_conflict`` = min(1, cross-team share / 0.5): half the recent commits from outside
  the main team is full conflict.

score = sum(weight_i * component_i) / sum(weight_i), weights from settings.WEIGHTS.
Ties are broken by context name, so the ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

COMPONENTS = ("boundary_clarity", "write_isolation", "change_pain", "scaling_asymmetry", "team_conflict")


def boundary_clarity(contexts: list[str], pairs: pd.DataFrame) -> pd.Series:
    n = len(contexts)
    coupled = pd.Series(0.0, index=contexts)
    if not pairs.empty:
        cols = [c for c in pairs.columns if c.endswith("_coupled")]
        counts = pairs[cols].sum(axis=1).astype(float)
        for side in ("context_a", "context_b"):
            coupled = coupled.add(counts.groupby(pairs[side]).sum().reindex(contexts, fill_value=0.0), fill_value=0.0)
    denom = 4.0 * max(n - 1, 1)
    return (1.0 - coupled / denom).clip(0.0, 1.0)


def write_isolation(contexts: list[str], table_contexts: pd.DataFrame | None) -> pd.Series:
    out = pd.Series(0.5, index=contexts)
    if table_contexts is None or table_contexts.empty:
        return out
    w = table_contexts[(table_contexts["writes"] > 0) & table_contexts["context"].notna()]
    for c in contexts:
        involving = w[(w["context"] == c) | (w["owner"] == c)]
        total = float(involving["writes"].sum())
        if total == 0:
            continue
        foreign = float(involving.loc[involving["context"] != involving["owner"], "writes"].sum())
        out[c] = 1.0 - foreign / total
    return out


def rank_candidates(contexts: pd.DataFrame, pairs: pd.DataFrame, table_contexts: pd.DataFrame | None,
                    weights: Mapping[str, float]) -> pd.DataFrame:
    """Columns: rank, context, score, then the five components (unweighted, in [0,1])."""
    names = list(contexts["context"])
    if not names:
        return pd.DataFrame(columns=["rank", "context", "score", *COMPONENTS])
    idx = contexts.set_index("context")
    recent = idx["commits_recent"].astype(float).fillna(0.0)
    comp = pd.DataFrame(index=names)
    comp["boundary_clarity"] = boundary_clarity(names, pairs)
    comp["write_isolation"] = write_isolation(names, table_contexts)
    comp["change_pain"] = recent / recent.max() if recent.max() > 0 else 0.0
    comp["scaling_asymmetry"] = idx["asymmetry_score"].astype(float).fillna(0.0).clip(0, 1)
    comp["team_conflict"] = (idx["cross_team_share"].astype(float).fillna(0.0) / 0.5).clip(0, 1)
    w = np.array([float(weights[c]) for c in COMPONENTS])
    comp["score"] = (comp[list(COMPONENTS)].to_numpy() @ w) / (w.sum() or 1.0)
    comp = comp.reset_index(names="context")
    comp = comp.sort_values(["score", "context"], ascending=[False, True], kind="stable").reset_index(drop=True)
    comp.insert(0, "rank", np.arange(1, len(comp) + 1))
    return comp[["rank", "context", "score", *COMPONENTS]]
