"""Orders of contexts for matrices and circles, so that structure shows instead of the alphabet.

- :func:`cluster_order` — a seriation: average-linkage agglomerative clustering of the
  contexts by a pair weight (coupling), the dendrogram's leaves read left to right, each
  merge joining its two clusters at their most strongly coupled ends. Strongly coupled
  contexts end up side by side, so a matrix shows its clusters as blocks on the diagonal
  and a circle draws their edges as short chords. Deterministic: ties go by name.
- :func:`levelized_order` — the order of a dependency structure matrix: levels from the
  bottom up (:func:`analysis.measures.coupling.structural.levelize`), the members of one
  import cycle (strongly connected component) next to each other, then by name; every
  dependency on a lower level then lies below the diagonal, and what lies above it is a
  cycle (Lattix, Structure101; Sangal et al., "Using dependency models to manage complex
  software architecture", OOPSLA 2005).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd


def _weight(weights: Mapping[tuple[str, str], float], a: str, b: str) -> float:
    value = weights.get((a, b), weights.get((b, a), 0.0))
    return 0.0 if value is None or pd.isna(value) else float(value)


def cluster_order(names: Iterable[str], weights: Mapping[tuple[str, str], float]) -> list[str]:
    """``names`` ordered by average-linkage clustering on ``weights`` (see the module docstring).

    ``weights[(a, b)]`` is the coupling of a pair, either way round (missing or NaN: 0;
    higher: closer). Clusters merge by the highest mean weight between their members; ties
    (as between uncoupled contexts) merge the clusters whose first names sort first. When
    two clusters merge, the one whose first name sorts first goes left, each possibly
    reversed so that the two most coupled ends meet.
    """
    clusters: list[list[str]] = [[n] for n in sorted(dict.fromkeys(str(n) for n in names))]
    if len(clusters) < 3:
        return [c[0] for c in clusters]

    def linkage(x: list[str], y: list[str]) -> float:
        return sum(_weight(weights, a, b) for a in x for b in y) / (len(x) * len(y))

    while len(clusters) > 1:
        best: tuple[float, int, int] | None = None
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                score = linkage(clusters[i], clusters[j])
                if best is None or score > best[0]:
                    best = (score, i, j)
        assert best is not None
        _, i, j = best
        left, right = clusters[i], clusters[j]
        joined = max(
            (left + right, left + right[::-1], left[::-1] + right, left[::-1] + right[::-1]),
            key=lambda seq: _weight(weights, seq[len(left) - 1], seq[len(left)]),
        )  # max keeps the first of equals: no reversal without a reason
        clusters = [c for k, c in enumerate(clusters) if k not in (i, j)] + [joined]
        clusters.sort(key=min)
    return clusters[0]


def levelized_order(levels: pd.DataFrame) -> list[str]:
    """Units of a :func:`~analysis.measures.coupling.structural.levelize` frame (unit, level,
    component) in DSM order: by level, the members of one component together (components
    by their first member's name), then by name."""
    if levels.empty:
        return []
    first = levels.groupby("component")["unit"].transform("min")
    ordered = levels.assign(_first=first.astype(str), _unit=levels["unit"].astype(str))
    return ordered.sort_values(["level", "_first", "_unit"], kind="stable")["_unit"].tolist()
