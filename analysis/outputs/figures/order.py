"""Orders of contexts for matrices and circles, so that structure shows instead of the alphabet.

- :func:`cluster_order` — a seriation: average-linkage agglomerative clustering of the
  contexts by a pair weight (coupling), the dendrogram's leaves read left to right, each
  merge joining its two clusters at their most strongly coupled ends. Strongly coupled
  contexts end up side by side, so a matrix shows its clusters as blocks on the diagonal
  and a circle draws their edges as short chords. Deterministic: ties go by name.
- :func:`grid_order` — the same for the rows and the columns of a rectangular grid (teams ×
  contexts), by the cosine similarity of their profiles.
- :func:`levelized_order` — the order of a dependency structure matrix: levels from the
  bottom up (:func:`analysis.measures.coupling.structural.levelize`), the members of one
  import cycle (strongly connected component) next to each other, then by name; every
  dependency on a lower level then lies below the diagonal, and what lies above it is a
  cycle (Lattix, Structure101; Sangal et al., "Using dependency models to manage complex
  software architecture", OOPSLA 2005).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd


def _weight(weights: Mapping[tuple[str, str], float], a: str, b: str) -> float:
    value = weights.get((a, b), weights.get((b, a), 0.0))
    return 0.0 if value is None or pd.isna(value) else float(value)


def cluster_order(names: Iterable[str], weights: Mapping[tuple[str, str], float]) -> list[str]:
    """``names`` ordered by average-linkage clustering on ``weights`` (see the module docstring).

    ``weights[(a, b)]`` is the coupling of a pair, either way round (missing or NaN: 0;
    higher: closer). Clusters merge by the highest mean weight between their members
    (kept up to date by the Lance-Williams formula, so a few hundred names take well under
    a second); ties (as between uncoupled contexts) merge the clusters whose first names
    sort first. When two clusters merge, the one whose first name sorts first goes left,
    each possibly reversed so that the two most coupled ends meet.
    """
    ordered = sorted(dict.fromkeys(str(n) for n in names))
    size = len(ordered)
    if size < 3:
        return ordered
    index = {n: i for i, n in enumerate(ordered)}
    strength = np.zeros((size, size))
    for (a, b), value in weights.items():
        a, b = str(a), str(b)
        if a in index and b in index and a != b and value is not None and not pd.isna(value):
            strength[index[a], index[b]] = strength[index[b], index[a]] = float(value)
    # slot i holds the cluster whose first name is ordered[i]: merging i < j into i keeps that true
    linkage = strength.copy()
    upper = np.triu(np.ones((size, size), dtype=bool), k=1)
    active = np.ones(size, dtype=bool)
    members = np.ones(size)
    sequences: list[list[int]] = [[i] for i in range(size)]
    for _ in range(size - 1):
        live = np.where(upper & active[:, None] & active[None, :], linkage, -np.inf)
        i, j = (int(k) for k in np.unravel_index(int(np.argmax(live)), live.shape))  # the first maximum, row-major
        left, right = sequences[i], sequences[j]
        sequences[i] = max(
            (left + right, left + right[::-1], left[::-1] + right, left[::-1] + right[::-1]),
            key=lambda seq: strength[seq[len(left) - 1], seq[len(left)]],
        )  # max keeps the first of equals: no reversal without a reason
        merged = (members[i] * linkage[i] + members[j] * linkage[j]) / (members[i] + members[j])
        linkage[i, :] = linkage[:, i] = merged
        members[i] += members[j]
        active[j] = False
    return [ordered[k] for k in sequences[0]]


def levelized_order(levels: pd.DataFrame) -> list[str]:
    """Units of a :func:`~analysis.measures.coupling.structural.levelize` frame (unit, level,
    component) in DSM order: by level, the members of one component together (components
    by their first member's name), then by name."""
    if levels.empty:
        return []
    first = levels.groupby("component")["unit"].transform("min")
    ordered = levels.assign(_first=first.astype(str), _unit=levels["unit"].astype(str))
    return ordered.sort_values(["level", "_first", "_unit"], kind="stable")["_unit"].tolist()


def grid_order(grid: pd.DataFrame) -> tuple[list, list]:
    """The rows and the columns of a non-negative grid (teams × contexts, tables × contexts),
    each in :func:`cluster_order` of the cosine similarity of their profiles (NaN as 0), so
    that rows alike sit together and so do columns; ties keep the grid's own order."""
    values = grid.to_numpy(dtype=float, na_value=0.0)

    def order(matrix: np.ndarray, labels: list) -> list:
        norms = np.linalg.norm(matrix, axis=1)
        norms[norms == 0] = 1.0
        unit = matrix / norms[:, None]
        similarity = unit @ unit.T
        keys = [f"{k:08d}" for k in range(len(labels))]  # names that sort in the grid's order
        weights = {(keys[a], keys[b]): float(similarity[a, b]) for a in range(len(labels)) for b in range(a + 1, len(labels))
                   if similarity[a, b] > 0}
        return [labels[int(k)] for k in cluster_order(keys, weights)]

    return order(values, list(grid.index)), order(values.T, list(grid.columns))
