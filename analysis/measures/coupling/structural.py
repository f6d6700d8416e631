"""Structural coupling: imports that cross bounded contexts.

Input:
    ``imports`` (contract in :mod:`analysis.core.frames`: importer, imported, importer_path,
    imported_path, line, kind) and two string Series aligned row by row with it:
    ``importer_context`` and ``imported_context`` (``<NA>`` = unassigned). A caller that
    wants to ignore some import kinds (``type_checking``) filters the rows first.

Outputs:
    ``context_edges``  source, target, edges, files, evidence
    ``instability``    context, ca, ce, instability, depends_on, depended_on_by
    ``context_cycles`` list of strongly connected groups of contexts
    ``edges_to_cut``   source, target, edges, evidence

Formulas (Robert C. Martin, *Agile Software Development*, 2002, "stability metrics",
with the context as the package):

    Ca (afferent coupling)  = number of distinct other contexts that import the context
    Ce (efferent coupling)  = number of distinct other contexts the context imports
    I  (instability)        = Ce / (Ca + Ce), NaN when Ca + Ce = 0

``I = 0`` is a maximally stable context (only depended on), ``I = 1`` a maximally
unstable one (only depending).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd

from analysis.core.frames import typed_empty

EDGE_COLUMNS = ["source", "target", "edges", "files", "evidence"]
INSTABILITY_COLUMNS = ["context", "ca", "ce", "instability", "depends_on", "depended_on_by"]
CUT_COLUMNS = ["source", "target", "edges", "evidence"]


def _aligned(imports: pd.DataFrame, context: pd.Series, name: str) -> pd.Series:
    if len(context) != len(imports):
        raise ValueError(f"{name} has {len(context)} rows, imports has {len(imports)}: it must be aligned with the frame")
    return pd.Series(np.asarray(context, dtype=object), index=imports.index).astype("string")


def _evidence(paths: pd.Series, lines: pd.Series) -> list[str]:
    """Distinct ``path:line`` locations, sorted by path then line number."""
    return [f"{p}:{n}" for p, n in sorted(set(zip(paths.astype(str), lines.astype(int))))]


def context_edges(imports: pd.DataFrame, importer_context: pd.Series, imported_context: pd.Series) -> pd.DataFrame:
    """Import rows between different assigned contexts, per ordered pair.

    One row per (source, target) with source != target, both assigned, sorted by source,
    target:

    - ``edges``: number of import rows from a source module to a target module;
    - ``files``: distinct importer files among them;
    - ``evidence``: every distinct ``path:line`` of those imports (importer file and
      line), sorted by path, then line number.

    Imports inside one context and imports from or to unassigned modules make no row.
    """
    src = _aligned(imports, importer_context, "importer_context")
    dst = _aligned(imports, imported_context, "imported_context")
    keep = (src.notna() & dst.notna() & (src != dst)).fillna(False).astype(bool)
    rows = pd.DataFrame(
        {"source": src[keep], "target": dst[keep], "path": imports.loc[keep, "importer_path"], "line": imports.loc[keep, "line"]}
    )
    if rows.empty:
        return _empty_edges()
    # one pass over the rows (a frame per pair costs seconds over thousands of import lines)
    by_pair: dict[tuple[str, str], list[tuple]] = {}
    for source, target, path, line in zip(rows["source"].astype(object), rows["target"].astype(object),
                                          rows["path"].astype(object), rows["line"].astype(object), strict=True):
        by_pair.setdefault((str(source), str(target)), []).append((path, line))
    out = [
        {
            "source": source,
            "target": target,
            "edges": len(found),
            "files": len({path for path, _ in found if not pd.isna(path)}),
            "evidence": [f"{p}:{n}" for p, n in sorted({(str(path), int(line)) for path, line in found})],
        }
        for (source, target), found in sorted(by_pair.items())
    ]
    return pd.DataFrame(out, columns=EDGE_COLUMNS).astype(
        {"source": "string", "target": "string", "edges": "int64", "files": "int64"}
    )


def _empty_edges() -> pd.DataFrame:
    return typed_empty({"source": "string", "target": "string", "edges": "int64", "files": "int64", "evidence": object})


def _dependencies(edges_df: pd.DataFrame) -> pd.DataFrame:
    pairs = edges_df[["source", "target"]].astype(object)
    return pairs[pairs["source"] != pairs["target"]].drop_duplicates()


def instability(edges_df: pd.DataFrame, contexts: Iterable[str]) -> pd.DataFrame:
    """Martin's Ca, Ce and I for every context (see the module docstring).

    ``edges_df`` has at least source and target (as from :func:`context_edges`). One row
    per context in ``contexts`` or in ``edges_df``, sorted by context; an isolated
    context has ``ca = ce = 0`` and ``instability = NaN``. ``depends_on`` (targets) and
    ``depended_on_by`` (sources) are sorted lists of context names.
    """
    deps = _dependencies(edges_df)
    names = sorted(set(map(str, contexts)) | set(deps["source"]) | set(deps["target"]))
    depends_on = {c: sorted(deps.loc[deps["source"] == c, "target"]) for c in names}
    depended_on_by = {c: sorted(deps.loc[deps["target"] == c, "source"]) for c in names}
    ca = np.array([len(depended_on_by[c]) for c in names], dtype="int64")
    ce = np.array([len(depends_on[c]) for c in names], dtype="int64")
    total = ca + ce
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(total > 0, ce / np.where(total > 0, total, 1), np.nan)
    return pd.DataFrame(
        {
            "context": pd.Series(names, dtype="string"),
            "ca": ca,
            "ce": ce,
            "instability": value.astype("float64"),
            "depends_on": pd.Series([depends_on[c] for c in names], dtype=object),
            "depended_on_by": pd.Series([depended_on_by[c] for c in names], dtype=object),
        }
    )


def _graph(edges_df: pd.DataFrame) -> nx.DiGraph:
    graph = nx.DiGraph()
    weights = edges_df["edges"] if "edges" in edges_df else pd.Series(1, index=edges_df.index)
    for source, target, weight in zip(edges_df["source"].astype(str), edges_df["target"].astype(str), weights):
        if source == target:
            continue
        previous = graph.get_edge_data(source, target, {"weight": 0})["weight"]
        graph.add_edge(source, target, weight=previous + int(weight))
    return graph


def context_cycles(edges_df: pd.DataFrame) -> list[list[str]]:
    """Groups of contexts that depend on each other in a cycle.

    The strongly connected components of the context graph (networkx) with more than
    one context; each sorted, the list sorted.
    """
    graph = _graph(edges_df)
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def _greedy_order(graph: nx.DiGraph) -> list[str]:
    """Eades, Lin and Smyth's ordering (1993), weighted: peel sinks to the back and
    sources to the front; otherwise move the context with the largest
    ``out-weight - in-weight`` to the front (ties: first name)."""
    g = graph.copy()
    front: list[str] = []
    back: list[str] = []
    while g:
        changed = True
        while changed:
            changed = False
            sinks = sorted(n for n in g if g.out_degree(n) == 0)
            for n in sinks:
                back.insert(0, n)
                g.remove_node(n)
                changed = True
            sources = sorted(n for n in g if g.in_degree(n) == 0)
            for n in sources:
                front.append(n)
                g.remove_node(n)
                changed = True
        if g:
            best = min(
                g,
                key=lambda n: (-(g.out_degree(n, weight="weight") - g.in_degree(n, weight="weight")), n),
            )
            front.append(best)
            g.remove_node(best)
    return front + back


def _exact_order(graph: nx.DiGraph) -> list[str]:
    """An ordering with the least backward weight, by dynamic programming over subsets.

    ``best[S]`` = least weight of edges pointing backwards when the contexts in ``S`` come
    first; appending ``v`` after ``S`` adds the weight of ``v``'s edges into ``S``.
    O(2^n * n): only for small components. Ties go to the first context in name order.
    """
    nodes = sorted(graph)
    n = len(nodes)
    into = []  # into[v][S] = weight of edges from v to contexts in S
    for v in nodes:
        w = [graph[v][u]["weight"] if graph.has_edge(v, u) else 0 for u in nodes]
        table = [0] * (1 << n)
        for subset in range(1, 1 << n):
            low = subset & -subset
            table[subset] = table[subset ^ low] + w[low.bit_length() - 1]
        into.append(table)
    best: list[int | None] = [0] + [None] * ((1 << n) - 1)
    last = [0] * (1 << n)
    for subset in range(1 << n):
        reached = best[subset]
        if reached is None:
            continue
        for i in range(n):
            bit = 1 << i
            if subset & bit:
                continue
            cost = reached + into[i][subset]
            grown = subset | bit
            known = best[grown]
            if known is None or cost < known:
                best[grown], last[grown] = cost, i
    order, subset = [], (1 << n) - 1
    while subset:
        i = last[subset]
        order.append(nodes[i])
        subset ^= 1 << i
    return order[::-1]


def _feedback_arcs(graph: nx.DiGraph, exact_max_contexts: int) -> list[tuple[str, str]]:
    """A small, minimal set of edges whose removal leaves ``graph`` acyclic.

    Per strongly connected component, the backward edges of an ordering of its contexts:
    the exact least-weight ordering (:func:`_exact_order`) when the component has at most
    ``exact_max_contexts`` contexts, else Eades–Lin–Smyth's (:func:`_greedy_order`). Then
    each chosen edge, heaviest first (ties by name), is put back if that closes no cycle,
    so no chosen edge is superfluous.
    """
    chosen: list[tuple[str, str]] = []
    for component in sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1):
        sub = graph.subgraph(component)
        order = _exact_order(sub) if len(component) <= exact_max_contexts else _greedy_order(sub)
        position = {n: i for i, n in enumerate(order)}
        chosen += [(u, v) for u, v in sub.edges if position[u] > position[v]]
    remaining = graph.copy()
    remaining.remove_edges_from(chosen)
    kept: list[tuple[str, str]] = []
    for u, v in sorted(chosen, key=lambda e: (-graph[e[0]][e[1]]["weight"], e)):
        if nx.has_path(remaining, v, u):
            kept.append((u, v))
        else:
            remaining.add_edge(u, v, **graph[u][v])
    return sorted(kept)


def edges_to_cut(
    edges_df: pd.DataFrame,
    imports: pd.DataFrame,
    importer_context: pd.Series,
    imported_context: pd.Series,
    *,
    exact_max_contexts: int = 12,
) -> pd.DataFrame:
    """Context edges whose removal (cut or inverted) makes the context graph acyclic.

    A feedback arc set weighted by import rows (``edges``), deterministic. Contexts are
    ordered per strongly connected component so that the edges pointing backwards weigh
    least; those edges are cut. A component of at most ``exact_max_contexts`` contexts is
    ordered exactly (dynamic programming over subsets, O(2^n * n), so the cut is a
    minimum); a larger one by Eades, Lin and Smyth's greedy heuristic ("A fast and
    effective heuristic for the feedback arc set problem", 1993). Then every chosen edge
    that closes no cycle on its own is put back (heaviest first), so the result is
    always minimal: no edge can be dropped from it.

    Columns: source, target, edges (import rows of the pair in ``edges_df``), evidence
    (every ``path:line`` of those imports in ``imports``, sorted). Sorted by source,
    target; empty when the graph has no cycle.
    """
    graph = _graph(edges_df)
    cut = _feedback_arcs(graph, exact_max_contexts)
    if not cut:
        return typed_empty({"source": "string", "target": "string", "edges": "int64", "evidence": object})
    lines = context_edges(imports, importer_context, imported_context)
    evidence = {(s, t): e for s, t, e in zip(lines["source"], lines["target"], lines["evidence"])}
    return pd.DataFrame(
        {
            "source": pd.Series([u for u, _ in cut], dtype="string"),
            "target": pd.Series([v for _, v in cut], dtype="string"),
            "edges": pd.Series([graph[u][v]["weight"] for u, v in cut], dtype="int64"),
            "evidence": pd.Series([evidence.get((u, v), []) for u, v in cut], dtype=object),
        }
    )


def import_edges_to_cut(
    edges_df: pd.DataFrame,
    imports: pd.DataFrame,
    importer_context: pd.Series,
    imported_context: pd.Series,
    *,
    exact_max_contexts: int = 12,
) -> int:
    """Total import rows in :func:`edges_to_cut`: how many imports must change for an
    acyclic context graph (compared with the ``max_edges_to_cut`` setting)."""
    cut = edges_to_cut(edges_df, imports, importer_context, imported_context, exact_max_contexts=exact_max_contexts)
    return int(cut["edges"].sum())


# --------------------------------------------------------------------------------------
# levelization and the dependency structure matrix


def levelize(edges_df: pd.DataFrame, units: Iterable[str] = ()) -> pd.DataFrame:
    """Level of every unit in the dependency graph (``source`` depends on ``target``).

    Units in one strongly connected component share a level and a ``component`` number;
    ``level`` = 0 for a unit that depends on nothing else, else 1 + the highest level of
    the components it depends on (John Lakos, *Large-Scale C++ Software Design*, 1996).
    Columns: unit, level, component (int64), cyclic (bool: in a component of more than one
    unit). Sorted by level, then unit.
    """
    graph = _graph(edges_df) if len(edges_df) else nx.DiGraph()
    graph.add_nodes_from(map(str, units))
    condensed = nx.condensation(graph)
    level: dict[int, int] = {}
    for c in reversed(list(nx.topological_sort(condensed))):
        level[c] = 1 + max((level[d] for d in condensed.successors(c)), default=-1)
    members = condensed.graph["mapping"]
    sizes = {c: len(condensed.nodes[c]["members"]) for c in condensed}
    rows = sorted((level[members[u]], u, members[u], sizes[members[u]] > 1) for u in graph)
    return pd.DataFrame({
        "unit": pd.Series([r[1] for r in rows], dtype="string"),
        "level": pd.Series([r[0] for r in rows], dtype="int64"),
        "component": pd.Series([r[2] for r in rows], dtype="int64"),
        "cyclic": pd.Series([r[3] for r in rows], dtype="bool"),
    })


def dependency_matrix(edges_df: pd.DataFrame, units: Iterable[str] = ()) -> pd.DataFrame:
    """Dependency structure matrix ordered by levelization.

    Square frame, rows and columns the units in :func:`levelize` order (lowest level
    first); cell ``[a, b]`` = import rows from ``a`` to ``b`` (``edges`` column, 1 per row
    when absent), 0 elsewhere. Every dependency on a lower level lies below the diagonal,
    so the marks above it are the cycles.
    """
    order = list(levelize(edges_df, units)["unit"])
    matrix = pd.DataFrame(0, index=pd.Index(order, name="source"), columns=pd.Index(order, name="target"), dtype="int64")
    if len(edges_df):
        weights = edges_df["edges"] if "edges" in edges_df else pd.Series(1, index=edges_df.index)
        for s, t, w in zip(edges_df["source"].astype(str), edges_df["target"].astype(str), weights):
            if s != t:
                matrix.loc[s, t] += int(w)
    return matrix


def module_edges(imports: pd.DataFrame, importer_context: pd.Series, imported_context: pd.Series, context: str) -> pd.DataFrame:
    """Import rows between modules of one context, per ordered module pair.

    Columns: source, target (modules), edges (import rows), evidence (``path:line``),
    sorted by source, target; for :func:`dependency_matrix` within a context.
    """
    src = _aligned(imports, importer_context, "importer_context")
    dst = _aligned(imports, imported_context, "imported_context")
    keep = ((src == context) & (dst == context) & (imports["importer"] != imports["imported"])).fillna(False).astype(bool)
    rows = imports[keep.to_numpy()]
    if rows.empty:
        return _empty_edges().drop(columns=["files"])
    out = [{"source": s, "target": t, "edges": len(g), "evidence": _evidence(g["importer_path"], g["line"])}
           for (s, t), g in rows.groupby(["importer", "imported"], sort=True)]
    return pd.DataFrame(out).astype({"source": "string", "target": "string", "edges": "int64"})


def context_modules(imports: pd.DataFrame, importer_context: pd.Series, imported_context: pd.Series, context: str) -> list[str]:
    """Every module of ``context`` seen at either end of an import row, sorted."""
    src = _aligned(imports, importer_context, "importer_context")
    dst = _aligned(imports, imported_context, "imported_context")
    names = set(imports.loc[(src == context).fillna(False).to_numpy(), "importer"].astype(str))
    names |= set(imports.loc[(dst == context).fillna(False).to_numpy(), "imported"].astype(str))
    return sorted(names)
