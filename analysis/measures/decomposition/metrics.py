"""How good a partition of the unit graph is: the metrics of the decomposition literature.

Plain values in and out. ``edges`` is an undirected weighted graph as a frame (``unit_a``,
``unit_b``, ``weight``; one row per pair, no self loop); ``parts`` maps every unit to its part
(a unit absent from ``parts``, or mapped to None, is left out of every metric). Each metric says
which direction is better; the docs (docs/decomposition.md) repeat it.

modularity (Newman 2004, weighted), higher is better, in [-1/2, 1)::

    Q = sum_c [ w_in(c) / W  -  resolution * (deg(c) / 2W)^2 ]

    W = total edge weight, w_in(c) = weight inside c, deg(c) = weighted degree of c's units

SM, structural modularity (Jin et al. 2019, as Mono2Micro reports it), higher is better,
in [-1, 1], on the unweighted graph::

    scoh(i)   = mu_i / N_i^2                        mu_i = edges inside part i, N_i its units
    scop(i,j) = sigma_ij / (2 N_i N_j)              sigma_ij = edges between parts i and j
    SM        = (1/K) sum_i scoh(i) - (1 / (K(K-1)/2)) sum_{i<j} scop(i,j)

ICP, inter-partition call percentage (Kalia et al. 2021, Mono2Micro), lower is better, in
[0, 1]: the share of the edge weight that crosses parts.

IFN, interface number (Jin et al. 2019), lower is better: the mean over parts of the number of
units with an edge to another part (the part's interface).

NED, non-extreme distribution (Wu et al. 2005; Mono2Micro's form), lower is better, in [0, 1]::

    NED = 1 - (units in parts of min_size..max_size units) / (all units)

    (Some papers report the complement, the share in non-extreme parts, where higher is
    better; Seams reports Mono2Micro's form and says so wherever it is shown.)

MQ, modularization quality (Mancoridis et al. 1998; the TurboMQ of Bunch), higher is better,
in [0, K]::

    CF(i) = 2 mu_i / (2 mu_i + eps_i)     mu_i = weight inside i, eps_i = weight leaving i
    MQ    = sum_i CF(i)                   (a part with no edge at all contributes 0)

BCP, business context purity (Kalia et al. 2021), lower is better, >= 0: the mean over parts
that hold a labelled unit of the entropy (bits) of the labels (business use cases: entry
points, route prefixes) of their units, each unit counting once per label.

Spanning share (CARGO's "distributed transactions", Nitin et al. 2022), lower is better, in
[0, 1]: of the groups of units that work together (one database transaction, one trace), the
share whose units fall in more than one part.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def _known(part: object) -> bool:
    return part is not None and not (isinstance(part, float) and math.isnan(part)) and part is not pd.NA


def _sizes(parts: Mapping[Any, Any]) -> Counter:
    return Counter(str(p) for p in parts.values() if _known(p))


@dataclass(frozen=True)
class _Placed:
    """The edges with both ends placed, as integer part codes (vectorized metrics)."""

    unit_a: np.ndarray
    unit_b: np.ndarray
    a: np.ndarray  # part code of each edge's ends
    b: np.ndarray
    w: np.ndarray
    names: list[str]  # part name of each code

    @property
    def k(self) -> int:
        return len(self.names)


def _placed(edges: pd.DataFrame, parts: Mapping[Any, Any]) -> _Placed:
    """Part codes of each edge's ends and its weight, edges with an unplaced end left out."""
    if not len(edges):
        empty = np.array([], dtype=np.int64)
        return _Placed(np.array([], dtype=object), np.array([], dtype=object), empty, empty, np.array([], dtype=float), [])
    clean = {u: str(p) for u, p in parts.items() if _known(p)}
    ua = edges["unit_a"].to_numpy(dtype=object)
    ub = edges["unit_b"].to_numpy(dtype=object)
    # each end's unit looked up once in an index of the placed units (-1: not placed)
    units = pd.Index(list(clean), dtype=object)
    part_of = np.array(list(clean.values()), dtype=object)
    ia, ib = units.get_indexer(ua), units.get_indexer(ub)
    keep = (ia >= 0) & (ib >= 0)
    codes, names = pd.factorize(np.concatenate([part_of[ia[keep]], part_of[ib[keep]]]))
    n = int(keep.sum())
    return _Placed(ua[keep], ub[keep], codes[:n], codes[n:], edges["weight"].to_numpy(dtype=float)[keep], [str(x) for x in names])


def modularity(edges: pd.DataFrame, parts: Mapping[Any, Any], resolution: float = 1.0) -> float | None:
    """Newman's weighted modularity (higher is better); None without edge weight."""
    e = _placed(edges, parts)
    total = float(e.w.sum())
    if total <= 0:
        return None
    same = e.a == e.b
    inside = np.bincount(e.a[same], weights=e.w[same], minlength=e.k)
    degree = np.bincount(e.a, weights=e.w, minlength=e.k) + np.bincount(e.b, weights=e.w, minlength=e.k)
    return float(np.sum(inside / total - resolution * (degree / (2 * total)) ** 2))


def structural_modularity(edges: pd.DataFrame, parts: Mapping[Any, Any]) -> float | None:
    """SM (higher is better) on the unweighted graph; None without parts."""
    sizes = _sizes(parts)
    k = len(sizes)
    if not k:
        return None
    e = _placed(edges, parts)
    same = e.a == e.b
    mu = np.bincount(e.a[same], minlength=e.k)
    cohesion = sum(mu[i] / sizes[name] ** 2 for i, name in enumerate(e.names)) / k
    if k == 1:
        return float(cohesion)
    lo, hi = np.minimum(e.a[~same], e.b[~same]), np.maximum(e.a[~same], e.b[~same])
    pairs = Counter(zip(lo.tolist(), hi.tolist()))
    coupling = sum(n / (2 * sizes[e.names[i]] * sizes[e.names[j]]) for (i, j), n in pairs.items())
    return float(cohesion - coupling / (k * (k - 1) / 2))


def icp(edges: pd.DataFrame, parts: Mapping[Any, Any]) -> float | None:
    """Share of the edge weight crossing parts (lower is better); None without edge weight."""
    e = _placed(edges, parts)
    total = float(e.w.sum())
    if total <= 0:
        return None
    return float(e.w[e.a != e.b].sum() / total)


def ifn(edges: pd.DataFrame, parts: Mapping[Any, Any]) -> float | None:
    """Mean number of interface units per part (lower is better); None without parts."""
    sizes = _sizes(parts)
    if not sizes:
        return None
    e = _placed(edges, parts)
    cross = e.a != e.b
    interface = set(zip(e.unit_a[cross].tolist(), e.a[cross].tolist())) | set(zip(e.unit_b[cross].tolist(), e.b[cross].tolist()))
    return float(len(interface) / len(sizes))


def ned(parts: Mapping[Any, Any], min_size: int = 5, max_size: int = 20) -> float | None:
    """1 - share of units in parts of ``min_size``..``max_size`` units (lower is better)."""
    sizes = _sizes(parts)
    total = sum(sizes.values())
    if not total:
        return None
    fine = sum(n for n in sizes.values() if min_size <= n <= max_size)
    return float(1 - fine / total)


def mq(edges: pd.DataFrame, parts: Mapping[Any, Any]) -> float | None:
    """TurboMQ: the sum of the parts' cluster factors (higher is better)."""
    if not _sizes(parts):
        return None
    e = _placed(edges, parts)
    same = e.a == e.b
    inside = np.bincount(e.a[same], weights=e.w[same], minlength=e.k)
    leaving = np.bincount(e.a[~same], weights=e.w[~same], minlength=e.k) + np.bincount(e.b[~same], weights=e.w[~same], minlength=e.k)
    inside, denominator = inside.astype(float), (2 * inside + leaving).astype(float)
    factors = np.divide(2 * inside, denominator, out=np.zeros(e.k, dtype=float), where=denominator > 0)
    return float(factors.sum())


def bcp(labels: Mapping[Any, Iterable[str]], parts: Mapping[Any, Any]) -> float | None:
    """Mean label entropy (bits) of the parts holding a labelled unit (lower is better)."""
    per_part: dict[Hashable, Counter] = defaultdict(Counter)
    for unit, names in labels.items():
        part = parts.get(unit)
        if not _known(part):
            continue
        for name in set(names):
            per_part[part][name] += 1
    entropies = []
    for counts in per_part.values():
        n = sum(counts.values())
        if n:
            entropies.append(-math.fsum(c / n * math.log2(c / n) for c in counts.values()))
    # fsum rounds once, whatever the order: the labels' set order varies with the hash seed
    return math.fsum(entropies) / len(entropies) if entropies else None


def spanning_share(groups: Iterable[Iterable[Hashable]] | Mapping[frozenset, int], parts: Mapping[Any, Any]) -> tuple[float | None, int]:
    """(share of groups whose placed units fall in two or more parts, groups judged); a group
    with no placed unit is not judged. ``groups`` may be a mapping of distinct groups to how
    many times each was seen. Lower is better."""
    counted = groups.items() if isinstance(groups, Mapping) else ((g, 1) for g in groups)
    judged = spanning = 0
    for group, n in counted:
        placed = {p for u in group if _known(p := parts.get(u))}
        if not placed:
            continue
        judged += n
        spanning += n if len(placed) > 1 else 0
    return (spanning / judged if judged else None), judged


#: name -> (label, better direction) for every metric of :func:`partition_metrics`
METRICS = {
    "parts": ("parts", None),
    "modularity": ("modularity", "higher"),
    "sm": ("structural modularity (SM)", "higher"),
    "icp": ("inter-partition weight (ICP)", "lower"),
    "ifn": ("interface units per part (IFN)", "lower"),
    "ned": ("units in extreme parts (NED)", "lower"),
    "mq": ("modularization quality (MQ)", "higher"),
    "bcp": ("business context entropy (BCP)", "lower"),
    "transactions_spanning": ("transactions spanning parts", "lower"),
    "traces_spanning": ("traces spanning parts", "lower"),
}


def spans_units(groups: Iterable[Iterable[Hashable]] | Mapping[frozenset, int] | None) -> bool:
    """Whether any group holds two or more units: when every trace (or transaction) reaches one
    known unit only, no partition can be seen to split it, so its spanning share says nothing
    (not measurable) rather than 0."""
    if not groups:
        return False
    return any(len(set(g)) > 1 for g in (groups.keys() if isinstance(groups, Mapping) else groups))


def _spanning(groups: Iterable[Iterable[Hashable]] | Mapping[frozenset, int] | None, parts: Mapping[Any, Any]) -> float | None:
    held = groups if isinstance(groups, Mapping) or groups is None else [list(g) for g in groups]
    return spanning_share(held, parts)[0] if held is not None and spans_units(held) else None


def partition_metrics(edges: pd.DataFrame, parts: Mapping[Any, Any], *,
                      labels: Mapping[Any, Iterable[str]] | None = None,
                      transactions: Iterable[Iterable[Hashable]] | Mapping[frozenset, int] | None = None,
                      traces: Iterable[Iterable[Hashable]] | Mapping[frozenset, int] | None = None,
                      ned_min_size: int = 5, ned_max_size: int = 20) -> dict[str, float | int | None]:
    """Every metric of this module for one partition (None: not measurable from what was given)."""
    return {
        "parts": len(_sizes(parts)),
        "modularity": modularity(edges, parts),
        "sm": structural_modularity(edges, parts),
        "icp": icp(edges, parts),
        "ifn": ifn(edges, parts),
        "ned": ned(parts, ned_min_size, ned_max_size),
        "mq": mq(edges, parts),
        "bcp": bcp(labels, parts) if labels else None,
        "transactions_spanning": _spanning(transactions, parts),
        "traces_spanning": _spanning(traces, parts),
    }
