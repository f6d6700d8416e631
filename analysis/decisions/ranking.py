"""Extraction candidates, ranked, with the score broken down and what it rests on.

Per context, five components in [0, 1] (higher = better candidate to extract first), each
*unknown* (NaN) when the evidence it needs was not measured:

- ``boundary_clarity`` = 1 - coupled signals / (known signals * (n - 1)), where coupled
  signals counts, over every pair the context is in, how many of the *known* signals hold
  (:mod:`analysis.measures.coupling.pairs`); unknown when no signal is known;
- ``write_isolation`` = 1 - foreign writes / all writes involving the context, where foreign
  writes are writes by other contexts into its tables plus its writes into other contexts'
  tables (executions), shared infrastructure tables left out; 1 for a context that only
  reads; unknown without data evidence and for a context no statement was attributed to;
- ``change_pain`` = recent commits / the largest recent commits of any context; unknown
  without measured history;
- ``scaling_asymmetry`` = the scaling-asymmetry score from the load module; unknown when the
  load shape is not measurable;
- ``team_conflict`` = min(1, cross-team share / 0.5): half the recent commits from outside
  the main team is full conflict; unknown without a team map.

``score`` = the weighted mean of the components (weights from settings.WEIGHTS) with every
unknown component counted as 0 — unknown evidence never helps a candidate — and
``score_max`` the same with every unknown counted as 1: the score the context could reach.
``components_known`` says how many components the score rests on. A context with no known
component has no score and is not ranked. Contexts marked ``role: layer`` or
``role: shared`` in the config, and contexts that own no unit (no file, module, table or span),
are never extraction candidates (``candidate`` False, with ``why_not``). Candidates are ranked
by score, ties broken by name, so the ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

COMPONENTS = ("boundary_clarity", "write_isolation", "change_pain", "scaling_asymmetry", "team_conflict")
#: The per-context columns that count the units a context owns (see analysis.mapping.units).
OWNED_UNITS = ("files_at_head", "modules", "owned_tables", "spans")
RANKING_COLUMNS = ["rank", "context", "score", "score_max", "components_known", *COMPONENTS, "candidate", "why_not"]


def boundary_clarity(contexts: list[str], pairs: pd.DataFrame, known_signals: int) -> pd.Series:
    n = len(contexts)
    if known_signals == 0:
        return pd.Series(float("nan"), index=contexts)
    coupled = pd.Series(0.0, index=contexts)
    if not pairs.empty:
        cols = [c for c in pairs.columns if c.endswith("_coupled")]
        counts = pairs[cols].fillna(False).astype(int).sum(axis=1).astype(float)
        for side in ("context_a", "context_b"):
            coupled = coupled.add(counts.groupby(pairs[side]).sum().reindex(contexts, fill_value=0.0), fill_value=0.0)
    denom = known_signals * max(n - 1, 1)
    return (1.0 - coupled / denom).clip(0.0, 1.0)


def write_isolation(contexts: list[str], table_contexts: pd.DataFrame | None) -> pd.Series:
    out = pd.Series(float("nan"), index=contexts)
    if table_contexts is None or table_contexts.empty:
        return out
    attributed = table_contexts[table_contexts["context"].notna()]
    if "infrastructure" in attributed:  # shared infrastructure (sessions, content types) blocks no extraction
        attributed = attributed[~attributed["infrastructure"].astype(bool)]
    w = attributed[attributed["writes"] > 0]
    readers = set(attributed.loc[attributed["reads"] > 0, "context"])
    for c in contexts:
        involving = w[(w["context"] == c) | (w["owner"] == c)]
        total = float(involving["writes"].sum())
        if total == 0:
            if c in readers:
                out[c] = 1.0  # it only reads: nothing to untangle
            continue
        foreign = float(involving.loc[involving["context"] != involving["owner"], "writes"].sum())
        out[c] = 1.0 - foreign / total
    return out


def rank_candidates(contexts: pd.DataFrame, pairs: pd.DataFrame, table_contexts: pd.DataFrame | None,
                    weights: Mapping[str, float], *, known: Mapping[str, bool | int] | None = None) -> pd.DataFrame:
    """Columns: rank (candidates only; ``<NA>`` otherwise), context, score, score_max, components_known,
    the five components (unweighted, in [0,1], NaN when unknown), candidate, why_not.

    ``known`` says which evidence was measured: ``signals`` (how many of the four coupling
    signals), ``data``, ``history``, ``load``, ``teams``; absent keys count as measured."""
    facts: dict[str, bool | int] = {"signals": 4, "data": True, "history": True, "load": True, "teams": True} | dict(known or {})
    names = list(contexts["context"])
    if not names:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    idx = contexts.set_index("context")
    comp = pd.DataFrame(index=names)
    comp["boundary_clarity"] = boundary_clarity(names, pairs, int(facts["signals"]))
    comp["write_isolation"] = write_isolation(names, table_contexts if facts["data"] else None)
    recent = idx["commits_recent"].astype(float)
    comp["change_pain"] = (recent / recent.max()).fillna(0.0) if facts["history"] and recent.max() > 0 else float("nan")
    asym = idx["asymmetry_score"].astype(float).clip(0, 1) if "asymmetry_score" in idx else pd.Series(float("nan"), index=names)
    comp["scaling_asymmetry"] = asym if facts["load"] else float("nan")
    cross = idx["cross_team_share"].astype(float) if "cross_team_share" in idx else pd.Series(float("nan"), index=names)
    comp["team_conflict"] = (cross / 0.5).clip(0, 1) if facts["teams"] else float("nan")
    values = comp[list(COMPONENTS)].to_numpy(dtype=float)
    w = np.array([float(weights[c]) for c in COMPONENTS])
    present = ~np.isnan(values)
    total = w.sum() or 1.0
    known_part = np.nansum(values * w, axis=1)
    comp["score"] = np.where(present.any(axis=1), known_part / total, np.nan)
    comp["score_max"] = np.where(present.any(axis=1), (known_part + (~present * w).sum(axis=1)) / total, np.nan)
    comp["components_known"] = present.sum(axis=1).astype("int64")
    role = idx["role"].astype(str) if "role" in idx else pd.Series("domain", index=names)
    unit_columns = [c for c in OWNED_UNITS if c in idx]
    owns = idx[unit_columns].fillna(0).sum(axis=1) if unit_columns else pd.Series(1, index=names)
    why = pd.Series("", index=names, dtype=object)
    why[role != "domain"] = role[role != "domain"].map(lambda r: f"role: {r}")
    why[(owns == 0) & (why == "")] = "owns no unit (no file, module, table or span)"
    why[comp["score"].isna() & (why == "")] = "no component known"
    comp["candidate"] = why == ""
    comp["why_not"] = why.replace("", None)
    comp = comp.reset_index(names="context")
    comp = comp.sort_values(["candidate", "score", "context"], ascending=[False, False, True], kind="stable", na_position="last")
    comp = comp.reset_index(drop=True)
    ranks = np.arange(1, len(comp) + 1)
    comp.insert(0, "rank", pd.array(np.where(comp["candidate"], ranks, 0), dtype="Int64"))
    comp.loc[~comp["candidate"], "rank"] = pd.NA
    return comp[RANKING_COLUMNS]
