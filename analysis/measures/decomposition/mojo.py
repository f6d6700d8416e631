"""MoJo and MoJoFM: how far one partition of the same units is from another.

MoJo (Tzerpos & Holt 1999; the optimal algorithm of Wen & Tzerpos 2003) counts the Move and
Join operations that turn partition A into partition B. MoJoFM (Wen & Tzerpos 2004, "An
effectiveness measure for software clustering algorithms") scales it to a percentage of the
farthest any partition can be from B::

    tag(A_i)     = the clusters B_j sharing most units with A_i (several on a tie)
    moves        = sum_i ( |A_i| - max_j |A_i ∩ B_j| )
    groups       = size of a maximum matching between the A_i and their tags
                   (each matched B_j is a non-empty group; every other A_i joins one)
    mno(A, B)    = moves + (number of A clusters - groups)
    g(B)         = with B's cluster sizes sorted ascending, g starts at 0 and grows by one
                   at each size larger than the current g
    max_mno(B)   = n - g(B)                       (the farthest any partition is from B)
    MoJoFM(A, B) = (1 - mno(A, B) / max_mno(B)) * 100      higher is better, 100 = same
    MoJo(A, B)   = min(mno(A, B), mno(B, A))                lower is better, 0 = same

B is the reference (the truth, or the declared map). Only units both partitions place are
compared (as the reference implementation does). With one unit, or when ``max_mno`` is 0,
MoJoFM is 100 when ``mno`` is 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from typing import Any

import networkx as nx


def _common(a: Mapping[Any, Any], b: Mapping[Any, Any]) -> list[Hashable]:
    return [u for u in a if u in b and a[u] is not None and b[u] is not None]


def mno(a: Mapping[Any, Any], b: Mapping[Any, Any]) -> int:
    """Moves and joins turning partition ``a`` (unit -> cluster) into ``b``."""
    units = _common(a, b)
    overlap: dict[Hashable, Counter] = defaultdict(Counter)
    for u in units:
        overlap[a[u]][b[u]] += 1
    moves = 0
    graph = nx.Graph()
    for cluster, counts in overlap.items():
        best = max(counts.values())
        moves += sum(counts.values()) - best
        graph.add_node(("a", cluster), bipartite=0)
        for target, n in counts.items():
            if n == best:
                graph.add_edge(("a", cluster), ("b", target))
    left = [n for n in graph if n[0] == "a"]
    matching = nx.bipartite.hopcroft_karp_matching(graph, top_nodes=left) if graph.number_of_edges() else {}
    groups = sum(1 for n in matching if n[0] == "a")
    return moves + len(overlap) - groups


def max_mno(b: Mapping[Any, Any], units: list[Hashable] | None = None) -> int:
    """The farthest any partition of the same units can be from ``b``: ``n - g(B)``."""
    placed = [u for u in (units if units is not None else b) if b.get(u) is not None]
    sizes = sorted(Counter(b[u] for u in placed).values())
    g = 0
    for size in sizes:
        if g < size:
            g += 1
    return len(placed) - g


def mojofm(a: Mapping[Any, Any], b: Mapping[Any, Any]) -> float | None:
    """MoJoFM(A, B) in percent (B the reference); None when the two share no unit."""
    units = _common(a, b)
    if not units:
        return None
    distance = mno(a, b)
    farthest = max_mno(b, units)
    if farthest == 0:
        return 100.0 if distance == 0 else 0.0
    return (1 - distance / farthest) * 100


def mojo(a: Mapping[Any, Any], b: Mapping[Any, Any]) -> int:
    """The MoJo distance: ``min(mno(A, B), mno(B, A))``."""
    return min(mno(a, b), mno(b, a))
