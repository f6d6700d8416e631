"""Cross-context import edges, Martin's Ca/Ce/I, cycles and edges to cut."""

import itertools
import math

import networkx as nx
import pandas as pd
import pytest

from analysis.core import frames
from analysis.measures.coupling.structural import (
    CUT_COLUMNS,
    EDGE_COLUMNS,
    INSTABILITY_COLUMNS,
    context_cycles,
    context_edges,
    edges_to_cut,
    import_edges_to_cut,
    instability,
)


def imports_of(rows):
    """rows: (importer_path, line, importer_context, imported_context)."""
    frame = frames.conform(
        pd.DataFrame(
            {
                "importer": [r[0].removesuffix(".py").replace("/", ".") for r in rows],
                "imported": [f"{r[3]}.mod" for r in rows],
                "importer_path": [r[0] for r in rows],
                "imported_path": [f"{r[3]}/mod.py" for r in rows],
                "line": [r[1] for r in rows],
                "kind": ["static"] * len(rows),
            }
        ),
        "imports",
    )
    return frame, pd.Series([r[2] for r in rows], dtype="string"), pd.Series([r[3] for r in rows], dtype="string")


def weighted(pairs):
    """Import rows realising context edges with the given weights: {(source, target): rows}."""
    rows = []
    for (source, target), n in sorted(pairs.items()):
        rows += [(f"{source}/m.py", line, source, target) for line in range(1, n + 1)]
    return imports_of(rows)


TWO_CYCLE = imports_of(
    [
        ("a/x.py", 10, "A", "B"),
        ("a/x.py", 2, "A", "B"),
        ("a/y.py", 2, "A", "B"),
        ("b/z.py", 5, "B", "A"),
        ("a/x.py", 3, "A", "A"),  # inside one context
        ("a/y.py", 7, "A", None),  # to an unassigned module
        ("n/q.py", 1, None, "B"),  # from an unassigned module
    ]
)


def test_context_edges_one_row_per_ordered_pair_of_different_contexts():
    out = context_edges(*TWO_CYCLE)
    assert list(out.columns) == EDGE_COLUMNS
    assert out.to_dict("records") == [
        {"source": "A", "target": "B", "edges": 3, "files": 2, "evidence": ["a/x.py:2", "a/x.py:10", "a/y.py:2"]},
        {"source": "B", "target": "A", "edges": 1, "files": 1, "evidence": ["b/z.py:5"]},
    ]


def test_context_edges_empty_and_unassigned_only():
    assert list(context_edges(*imports_of([])).columns) == EDGE_COLUMNS
    assert context_edges(*imports_of([("a/x.py", 1, None, None), ("a/x.py", 2, "A", "A")])).empty


def test_context_edges_need_aligned_series():
    imports, src, dst = TWO_CYCLE
    with pytest.raises(ValueError, match="aligned"):
        context_edges(imports, src.iloc[:2], dst)


def test_instability_ca_ce_i():
    edges = context_edges(*weighted({("A", "B"): 1, ("A", "C"): 2, ("B", "C"): 1}))
    out = instability(edges, ["A", "B", "C", "D"])
    assert list(out.columns) == INSTABILITY_COLUMNS
    rows = out.set_index("context")
    assert list(rows["ca"]) == [0, 1, 2, 0]
    assert list(rows["ce"]) == [2, 1, 0, 0]
    assert list(rows["instability"][:3]) == [1.0, 0.5, 0.0]
    assert math.isnan(rows.loc["D", "instability"])  # isolated
    assert rows.loc["A", "depends_on"] == ["B", "C"] and rows.loc["A", "depended_on_by"] == []
    assert rows.loc["C", "depended_on_by"] == ["A", "B"]


def test_instability_counts_contexts_not_import_rows():
    out = instability(context_edges(*TWO_CYCLE), ["A", "B"]).set_index("context")
    assert list(out["ca"]) == [1, 1] and list(out["ce"]) == [1, 1] and list(out["instability"]) == [0.5, 0.5]


def test_instability_of_no_edges():
    out = instability(context_edges(*imports_of([])), ["B", "A"])
    assert list(out["context"]) == ["A", "B"] and list(out["ca"]) == [0, 0]


def test_cycles():
    assert context_cycles(context_edges(*TWO_CYCLE)) == [["A", "B"]]
    edges = context_edges(*weighted({("A", "B"): 2, ("B", "C"): 3, ("C", "A"): 1, ("C", "D"): 5,
                                     ("E", "F"): 1, ("F", "E"): 1}))
    assert context_cycles(edges) == [["A", "B", "C"], ["E", "F"]]
    assert context_cycles(context_edges(*weighted({("A", "B"): 1, ("B", "C"): 1}))) == []


def test_two_cycle_cuts_the_lighter_direction_with_its_import_lines():
    out = edges_to_cut(context_edges(*TWO_CYCLE), *TWO_CYCLE)
    assert list(out.columns) == CUT_COLUMNS
    assert out.to_dict("records") == [{"source": "B", "target": "A", "edges": 1, "evidence": ["b/z.py:5"]}]
    assert import_edges_to_cut(context_edges(*TWO_CYCLE), *TWO_CYCLE) == 1


@pytest.mark.parametrize(
    "weights, cut",
    [
        ({("A", "B"): 2, ("B", "C"): 3, ("C", "A"): 1, ("C", "D"): 5}, [("C", "A", 1)]),
        ({("A", "B"): 1, ("B", "C"): 3, ("C", "A"): 2}, [("A", "B", 1)]),
        ({("A", "B"): 3, ("B", "C"): 1, ("C", "A"): 3}, [("B", "C", 1)]),
        # two cycles through B: cutting the two light edges (2 rows) beats the heavy ones (10)
        ({("A", "B"): 1, ("B", "A"): 5, ("B", "C"): 1, ("C", "B"): 5}, [("A", "B", 1), ("B", "C", 1)]),
    ],
)
@pytest.mark.parametrize("exact_max_contexts", [12, 0], ids=["exact", "greedy"])
def test_cycles_are_cut_at_their_lightest_edges(weights, cut, exact_max_contexts):
    data = weighted(weights)
    out = edges_to_cut(context_edges(*data), *data, exact_max_contexts=exact_max_contexts)
    assert [(r.source, r.target, r.edges) for r in out.itertuples()] == cut
    total = import_edges_to_cut(context_edges(*data), *data, exact_max_contexts=exact_max_contexts)
    assert total == sum(n for _, _, n in cut)
    s, t, n = cut[0]
    assert out.loc[0, "evidence"] == [f"{s}/m.py:{line}" for line in range(1, n + 1)]


KNOT = {("A", "D"): 3, ("D", "C"): 4, ("B", "A"): 2, ("B", "C"): 2, ("B", "D"): 1, ("C", "B"): 4}


def test_small_components_get_the_minimum_cut():
    # every cycle (B-A-D-C-B, B-C-B, B-D-C-B) runs through C->B: cutting it (4 rows) is the minimum
    data = weighted(KNOT)
    out = edges_to_cut(context_edges(*data), *data)
    assert [(r.source, r.target, r.edges) for r in out.itertuples()] == [("C", "B", 4)]


def test_large_components_get_the_greedy_cut():
    # Eades-Lin-Smyth orders A, D, C, B here (largest out - in weight first, ties by name),
    # so the edges leaving B point backwards: 5 rows instead of 4
    data = weighted(KNOT)
    out = edges_to_cut(context_edges(*data), *data, exact_max_contexts=3)
    assert [(r.source, r.target, r.edges) for r in out.itertuples()] == [("B", "A", 2), ("B", "C", 2), ("B", "D", 1)]


@pytest.mark.parametrize("exact_max_contexts", [12, 0], ids=["exact", "greedy"])
def test_cut_leaves_an_acyclic_graph_and_no_superfluous_edge(exact_max_contexts):
    names = "ABCDE"
    weights = {(s, t): 1 + (3 * i + 5 * j) % 7 for (i, s), (j, t) in itertools.product(enumerate(names), repeat=2) if s != t}
    data = weighted(weights)
    edges = context_edges(*data)
    cut = {(r.source, r.target) for r in edges_to_cut(edges, *data, exact_max_contexts=exact_max_contexts).itertuples()}
    graph = nx.DiGraph(list(weights))
    graph.remove_edges_from(cut)
    assert nx.is_directed_acyclic_graph(graph)
    for edge in cut:
        assert not nx.is_directed_acyclic_graph(nx.DiGraph([*graph.edges, edge]))
    again = {(r.source, r.target) for r in edges_to_cut(edges, *data, exact_max_contexts=exact_max_contexts).itertuples()}
    assert again == cut  # deterministic


def test_nothing_to_cut_without_cycles():
    data = weighted({("A", "B"): 4, ("B", "C"): 1})
    out = edges_to_cut(context_edges(*data), *data)
    assert out.empty and list(out.columns) == CUT_COLUMNS
    assert import_edges_to_cut(context_edges(*data), *data) == 0
    empty = imports_of([])
    assert import_edges_to_cut(context_edges(*empty), *empty) == 0


def test_levelize_and_dsm_put_dependencies_below_the_diagonal():
    from analysis.measures.coupling.structural import dependency_matrix, levelize

    edges = pd.DataFrame({"source": ["web", "web", "billing", "catalog", "orders"],
                          "target": ["billing", "catalog", "catalog", "orders", "catalog"],
                          "edges": [2, 1, 3, 1, 4]})
    lv = levelize(edges, ["lonely"])
    assert lv[["unit", "level", "cyclic"]].values.tolist() == [
        ["catalog", 0, True], ["lonely", 0, False], ["orders", 0, True], ["billing", 1, False], ["web", 2, False]]
    dsm = dependency_matrix(edges, ["lonely"])
    assert list(dsm.index) == ["catalog", "lonely", "orders", "billing", "web"]
    assert dsm.loc["web", "billing"] == 2 and dsm.loc["orders", "catalog"] == 4 and dsm.loc["catalog", "orders"] == 1
    assert int(dsm.values.sum()) == 11
    # only the cycle's edge lies above the diagonal
    above = [(r, c) for i, r in enumerate(dsm.index) for j, c in enumerate(dsm.columns) if j > i and dsm.iloc[i, j]]
    assert above == [("catalog", "orders")]


def test_levelize_empty():
    from analysis.measures.coupling.structural import dependency_matrix, levelize

    empty = pd.DataFrame({"source": [], "target": [], "edges": []})
    assert levelize(empty).empty and dependency_matrix(empty).shape == (0, 0)


def test_module_edges_within_one_context():
    from analysis.measures.coupling.structural import context_modules, module_edges

    imports = frames.conform(pd.DataFrame([
        ["s.b.x", "s.b.y", "s/b/x.py", "s/b/y.py", 3, "static"],
        ["s.b.x", "s.b.y", "s/b/x.py", "s/b/y.py", 9, "function"],
        ["s.b.x", "s.c.z", "s/b/x.py", "s/c/z.py", 4, "static"],
    ], columns=["importer", "imported", "importer_path", "imported_path", "line", "kind"]), "imports")
    src = pd.Series(["b", "b", "b"])
    dst = pd.Series(["b", "b", "c"])
    got = module_edges(imports, src, dst, "b")
    assert got[["source", "target", "edges"]].values.tolist() == [["s.b.x", "s.b.y", 2]]
    assert got["evidence"].tolist() == [["s/b/x.py:3", "s/b/x.py:9"]]
    assert context_modules(imports, src, dst, "b") == ["s.b.x", "s.b.y"]
    assert module_edges(imports, src, dst, "zzz").empty
