"""Partitions of the unit graph found by a seeded community algorithm.

Leiden (Traag, Waltman & van Eck 2019) through ``leidenalg`` over ``igraph``, maximizing the
resolution-parametrised modularity (``RBConfigurationVertexPartition``) on the weighted,
undirected unit graph. Chosen over networkx's Louvain because Leiden guarantees connected
communities (Louvain can return a community that falls apart into pieces with no edge between
them, which as a proposed module would be nonsense), because it runs in C++ (a 4,000-module
graph in well under a second) and because its seed makes it deterministic. Same graph, same
seed, same partition.

A *resolution sweep* (``RESOLUTIONS``; higher resolution, more and smaller parts) gives a few
candidates; candidates with the same number of parts are kept once (the one with the higher
modularity). Isolated units (no edge) are not placed: they carry no evidence of where they
belong, and are listed as such.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: resolutions tried, coarse to fine
RESOLUTIONS = (0.25, 0.5, 1.0, 2.0, 4.0)
#: Leiden iterations (leidenalg's default): further iterations rarely move a node and cost as much again
N_ITERATIONS = 2


def leiden(edges: pd.DataFrame, *, resolution: float = 1.0, seed: int = 7) -> dict[str, int]:
    """unit -> part (numbered by decreasing size, then by first unit) for every unit with an edge."""
    import igraph as ig
    import leidenalg

    if not len(edges):
        return {}
    names = sorted(set(edges["unit_a"]) | set(edges["unit_b"]))
    index = {n: i for i, n in enumerate(names)}
    graph = ig.Graph(n=len(names), edges=list(zip(edges["unit_a"].map(index), edges["unit_b"].map(index))), directed=False)
    graph.es["weight"] = edges["weight"].astype(float).tolist()
    found = leidenalg.find_partition(graph, leidenalg.RBConfigurationVertexPartition, weights="weight",
                                     resolution_parameter=resolution, seed=seed, n_iterations=N_ITERATIONS)
    groups = [sorted(names[i] for i in members) for members in found]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return {unit: part for part, group in enumerate(groups) for unit in group}


def sweep(edges: pd.DataFrame, *, seed: int = 7, resolutions: Sequence[float] = RESOLUTIONS) -> list[tuple[float, dict[str, int]]]:
    """(resolution, partition) per distinct number of parts, coarse to fine."""
    from analysis.measures.decomposition.metrics import modularity

    best: dict[int, tuple[float, float, dict[str, int]]] = {}
    for resolution in resolutions:
        parts = leiden(edges, resolution=resolution, seed=seed)
        if not parts:
            continue
        k = len(set(parts.values()))
        q = modularity(edges, parts) or 0.0
        if k not in best or q > best[k][1]:
            best[k] = (resolution, q, parts)
    return [(r, p) for _, (r, _, p) in sorted(best.items())]
