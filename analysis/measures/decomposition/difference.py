"""Where the evidence disagrees with the declared map, said unit by unit and context by context.

- ``pulled_units``: units whose edges pull them to another context than the declared one. A
  unit's *affinity* to a context is the weight of its edges to that context's units, its imports
  counted only outwards (a module importing another context's code is tied to it; a module many
  others import — a utility, a model — is not tied to its importers). A unit is pulled to the
  context where moving it would raise modularity most — its affinity less what chance predicts,
  ``w(u, c) - k_u D_c / 2W`` (``k_u`` its weighted degree, ``D_c`` the context's, ``W`` all
  weight), so a big kernel every module touches does not attract them all — when that beats
  staying, and its affinity there exceeds its affinity to its own by
  ``decomposition_pull_margin`` (relative). Each row carries the evidence per signal (import
  lines, co-change degree, table strength, calls) towards both contexts.
- ``looks_like_two``: a context whose units split (Leiden on its own edges, resolution 1,
  seeded) into two groups of at least ``decomposition_min_split_share`` of its units each, where
  the split raises the whole graph's modularity by at least ``decomposition_min_gain``.
- ``looks_like_one``: two contexts whose merge raises the whole graph's modularity by at least
  ``decomposition_min_gain``: ``dQ = w_ab / W - d_a d_b / (2 W^2)`` (W the total weight, w_ab the
  weight between them, d their weighted degrees), i.e. they are tied more than chance predicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.measures.decomposition.graph import SIGNALS
from analysis.measures.decomposition.metrics import modularity
from analysis.measures.decomposition.partition import leiden

PULLED_COLUMNS = ["unit", "declared", "pulled_to", "affinity_declared", "affinity_pulled", *[f"{s}_to_pulled" for s in SIGNALS],
                  *[f"{s}_to_declared" for s in SIGNALS]]


def _directed(edges: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([edges, edges.rename(columns={"unit_a": "unit_b", "unit_b": "unit_a"})], ignore_index=True)
    return both.rename(columns={"unit_a": "unit", "unit_b": "other"})


def outward(edges: pd.DataFrame, imports: pd.DataFrame | None, import_weight: float) -> pd.DataFrame:
    """Both directions of every edge, the import part of the weight counted from the importer only."""
    d = _directed(edges)
    if imports is None or not len(imports):
        return d
    lines = imports.rename(columns={"source": "unit", "target": "other", "lines": "out_lines"})
    d = d.merge(lines, on=["unit", "other"], how="left")
    out_lines = d["out_lines"].fillna(0.0).to_numpy(dtype=float)
    d["weight"] = d["weight"] - import_weight * np.log2(1 + d["imports"].to_numpy(dtype=float)) + import_weight * np.log2(1 + out_lines)
    d["imports"] = out_lines
    return d.drop(columns="out_lines")


def pulled_units(edges: pd.DataFrame, declared: Mapping[str, str], *, margin: float = 0.5, top: int | None = None,
                 imports: pd.DataFrame | None = None, import_weight: float = 1.0, apart: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Units pulled to another context (module docstring), strongest pull first; ``imports``
    (source, target, lines) counts imports outwards only; no unit is pulled into a context of
    ``apart`` (a shared kernel or a layer: depending on it is what it is for)."""
    if not len(edges):
        return pd.DataFrame(columns=PULLED_COLUMNS)
    both = _directed(edges)
    degree = both.groupby("unit")["weight"].sum()
    total = float(edges["weight"].sum())
    context_degree = degree.groupby(degree.index.map(lambda u: declared.get(u))).sum()
    d = outward(edges, imports, import_weight)
    d = d.assign(own=d["unit"].map(declared), context=d["other"].map(declared)).dropna(subset=["own", "context"])
    per = d.groupby(["unit", "own", "context"], as_index=False)[["weight", *SIGNALS]].sum()
    k = per["unit"].map(degree).to_numpy(dtype=float)
    dc = per["context"].map(context_degree).fillna(0.0).to_numpy(dtype=float) - np.where(per["own"] == per["context"], k, 0.0)
    per["score"] = per["weight"].to_numpy(dtype=float) - k * dc / (2 * total) if total > 0 else 0.0
    own = per[per["own"] == per["context"]].set_index("unit")
    other = per[(per["own"] != per["context"]) & ~per["context"].isin(apart)]
    other = other.sort_values(["unit", "score", "context"], ascending=[True, False, True]).drop_duplicates("unit")
    rows = []
    for r in other.itertuples(index=False):
        mine = own.loc[r.unit] if r.unit in own.index else None
        affinity_own = float(mine["weight"]) if mine is not None else 0.0
        stay = float(mine["score"]) if mine is not None else 0.0
        if r.weight <= affinity_own * (1 + margin) or r.score <= stay:
            continue
        rows.append({"unit": r.unit, "declared": r.own, "pulled_to": r.context, "affinity_declared": affinity_own,
                     "affinity_pulled": float(r.weight), **{f"{s}_to_pulled": float(getattr(r, s)) for s in SIGNALS},
                     **{f"{s}_to_declared": float(mine[s]) if mine is not None else 0.0 for s in SIGNALS}})
    out = pd.DataFrame(rows, columns=PULLED_COLUMNS)
    out = out.assign(gap=out["affinity_pulled"] - out["affinity_declared"]).sort_values(["gap", "unit"], ascending=[False, True])
    out = out.drop(columns="gap").reset_index(drop=True)
    return out.head(top) if top else out


def looks_like_one(edges: pd.DataFrame, declared: Mapping[str, str], *, min_gain: float = 0.01,
                   apart: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Pairs of contexts whose merge raises modularity by ``min_gain`` or more: context_a,
    context_b, weight_between, modularity_gain. Contexts in ``apart`` (shared kernels and
    layers, tied to every domain by design) are never proposed for a merge."""
    columns = ["context_a", "context_b", "weight_between", "modularity_gain"]
    if not len(edges):
        return pd.DataFrame(columns=columns)
    pa = edges["unit_a"].map(declared)
    pb = edges["unit_b"].map(declared)
    keep = pa.notna() & pb.notna()
    pa, pb, w = pa[keep].to_numpy(dtype=object), pb[keep].to_numpy(dtype=object), edges.loc[keep, "weight"].to_numpy(dtype=float)
    total = float(w.sum())
    if total <= 0:
        return pd.DataFrame(columns=columns)
    degree: dict[str, float] = defaultdict(float)
    between: dict[tuple[str, str], float] = defaultdict(float)
    for x, y, weight in zip(pa, pb, w):
        degree[x] += weight
        degree[y] += weight
        if x != y:
            between[tuple(sorted((x, y)))] += weight
    rows = []
    for (a, b), wab in between.items():
        if a in apart or b in apart:
            continue
        gain = wab / total - degree[a] * degree[b] / (2 * total ** 2)
        if gain >= min_gain:
            rows.append((a, b, wab, gain))
    return pd.DataFrame(rows, columns=columns).sort_values(["modularity_gain", "context_a"], ascending=[False, True]).reset_index(drop=True)


def looks_like_two(edges: pd.DataFrame, declared: Mapping[str, str], *, min_share: float = 0.2, min_gain: float = 0.01,
                   seed: int = 7) -> pd.DataFrame:
    """Contexts whose own edges split them in two (module docstring): context, units, part_a,
    part_b (units in each), modularity_gain, part_a_units, part_b_units (a few names each)."""
    columns = ["context", "units", "part_a", "part_b", "modularity_gain", "part_a_units", "part_b_units"]
    if not len(edges):
        return pd.DataFrame(columns=columns)
    placed = {u: c for u, c in declared.items() if c is not None}
    base = modularity(edges, placed)
    rows = []
    ctx_of_a, ctx_of_b = edges["unit_a"].map(placed), edges["unit_b"].map(placed)
    for context in sorted(set(placed.values())):
        inner = edges[(ctx_of_a == context) & (ctx_of_b == context)]
        members = [u for u, c in placed.items() if c == context]
        if len(inner) < 2 or len(members) < 4:
            continue
        split = leiden(inner, resolution=1.0, seed=seed)
        sizes = pd.Series(split).value_counts()
        if len(sizes) < 2:
            continue
        first, second = sizes.index[0], sizes.index[1]
        if sizes.iloc[1] < min_share * len(members):
            continue
        # the rest of the context's units stay with the first group
        trial = dict(placed)
        for u in members:
            if split.get(u) == second:
                trial[u] = f"{context}\x00b"
        gain = (modularity(edges, trial) or 0.0) - (base or 0.0)
        if gain >= min_gain:
            part_a = sorted(u for u in members if split.get(u, first) != second)
            part_b = sorted(u for u in members if split.get(u) == second)
            rows.append((context, len(members), len(part_a), len(part_b), gain, part_a[:5], part_b[:5]))
    return pd.DataFrame(rows, columns=columns).sort_values(["modularity_gain", "context"], ascending=[False, True]).reset_index(drop=True)


def majority_names(parts: Mapping[str, int], declared: Mapping[str, str]) -> dict[int, str]:
    """A name for each inferred part: the declared context most of its units belong to
    (``+n`` when several parts share it), else ``part-<n>``."""
    frame = pd.DataFrame({"part": list(parts.values()), "context": [declared.get(u) for u in parts]})
    names: dict[int, str] = {}
    seen: dict[str, int] = defaultdict(int)
    for part, group in frame.groupby("part", sort=True):
        counts = group["context"].dropna().value_counts()
        base = str(counts.index[0]) if len(counts) else f"part-{part}"
        seen[base] += 1
        names[int(part)] = base if seen[base] == 1 else f"{base}+{seen[base] - 1}"
    return names

