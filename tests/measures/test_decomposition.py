"""The unit graph, the seeded partitions and the differences from the declared map."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.core.evidence import Status
from analysis.core.settings import THRESHOLDS
from analysis.measures.decomposition import DECLARED, decompose
from analysis.measures.decomposition.difference import looks_like_one, looks_like_two, majority_names, pulled_units
from analysis.measures.decomposition.graph import (
    UnitGraph,
    call_pairs,
    cochange_pairs,
    combine,
    import_pairs,
    relation_pairs,
    route_label,
    span_units,
    table_pairs,
    table_users,
    traffic_of_spans,
)
from analysis.measures.decomposition.partition import leiden, sweep

SETTINGS = {name: s.default for name, s in THRESHOLDS.items()}


def clique(names, weight=3.0):
    return [(a, b, weight) for i, a in enumerate(names) for b in names[i + 1:]]


def edges_of(rows):
    return pd.DataFrame(rows, columns=["unit_a", "unit_b", "weight"]).assign(
        imports=0.0, cochange=0.0, tables=0.0, calls_sync=0.0, calls_async=0.0)


# two cliques of four, one light bridge between them
TWO_CLIQUES = edges_of([*clique(list("abcd")), *clique(list("wxyz")), ("d", "w", 0.5)])


def test_leiden_finds_the_two_cliques_and_the_same_seed_gives_the_same_parts():
    parts = leiden(TWO_CLIQUES, seed=3)
    assert {frozenset(u for u in parts if parts[u] == p) for p in set(parts.values())} == {frozenset("abcd"), frozenset("wxyz")}
    assert leiden(TWO_CLIQUES, seed=3) == parts
    assert leiden(TWO_CLIQUES.iloc[:0]) == {}


def test_the_sweep_keeps_one_candidate_per_number_of_parts():
    found = sweep(TWO_CLIQUES, seed=1)
    ks = [len(set(p.values())) for _, p in found]
    assert ks == sorted(set(ks)) and 2 in ks


def test_import_pairs_fold_both_directions():
    imports = pd.DataFrame({"importer": ["a", "b", "a"], "imported": ["b", "a", "c"]})
    out = import_pairs(imports).set_index(["unit_a", "unit_b"])["imports"].to_dict()
    assert out == {("a", "b"): 2.0, ("a", "c"): 1.0}


def test_cochange_is_code_maats_degree_over_the_window():
    commits = pd.DataFrame({"commit": ["c1", "c2", "c3", "c4"],
                            "committed_at": pd.to_datetime(["2020-01-01", "2024-01-01", "2024-01-02", "2024-01-03"], utc=True)})
    changes = pd.DataFrame({"commit": ["c1", "c1", "c2", "c2", "c3", "c3", "c4"],
                            "path": ["x.py", "y.py", "x.py", "y.py", "x.py", "y.py", "x.py"]})
    out = cochange_pairs(commits, changes, {"x.py": "x", "y.py": "y"}, days=30, max_changeset_size=30, min_shared=2)
    # in the window: x in 3 commits, y in 2, shared 2: degree = 2 / 2.5
    assert out[["unit_a", "unit_b"]].values.tolist() == [["x", "y"]] and out["cochange"].iloc[0] == pytest.approx(0.8)
    assert cochange_pairs(commits, changes, {"x.py": "x", "y.py": "y"}, days=30, max_changeset_size=30, min_shared=3).empty


def spans_frame(rows):
    cols = ["trace_id", "span_id", "parent_span_id", "kind", "code_namespace", "db_tables"]
    return pd.DataFrame(rows, columns=cols).astype({"code_namespace": "string", "db_tables": "string", "parent_span_id": "string"})


def test_calls_go_to_the_nearest_ancestor_with_a_unit_sync_and_async_apart():
    spans = spans_frame([
        ("t", "1", None, "SERVER", "shop.orders.views", None),
        ("t", "2", "1", "INTERNAL", None, None),
        ("t", "3", "2", "INTERNAL", "shop.billing.api", None),
        ("t", "4", "3", "CLIENT", None, "billing_invoice:w"),
        ("t", "5", "1", "CONSUMER", "shop.mail.tasks", None),
    ])
    placed = span_units(spans, lambda ns: ns)
    assert placed.set_index("span_id").loc["3", "caller"] == "shop.orders.views"
    traffic = traffic_of_spans(spans, None, lambda ns: ns)
    calls = call_pairs(traffic.calls).set_index(["unit_a", "unit_b"])
    assert calls.loc[("shop.billing.api", "shop.orders.views"), "calls_sync"] == 1
    assert calls.loc[("shop.mail.tasks", "shop.orders.views"), "calls_async"] == 1
    users = table_users(pd.DataFrame(columns=["table", "kind", "path"]), {}, traffic.tables)
    assert users[["table", "unit", "writes"]].values.tolist() == [["billing_invoice", "shop.billing.api", True]]
    # a database span under no code unit says nothing of who uses its table
    orphan = traffic_of_spans(spans_frame([("u", "9", None, "CLIENT", None, "audit_log:w")]), None, lambda ns: ns)
    assert table_users(pd.DataFrame(columns=["table", "kind", "path"]), {}, orphan.tables).empty


def test_shared_tables_weigh_writes_more_and_skip_infrastructure():
    users = pd.DataFrame({"table": ["t", "t", "u", "u", "s", "s"], "unit": ["a", "b", "a", "c", "a", "b"],
                          "writes": [True, False, False, False, True, True], "executions": [1.0] * 6})
    out = table_pairs(users, write_factor=2.0, max_users=30, shared={"s"}).set_index(["unit_a", "unit_b"])["tables"]
    base = (1 + 0.30102999566)  # 1 + log10(2)
    assert out[("a", "b")] == pytest.approx(2 * base * base) and out[("a", "c")] == pytest.approx(base * base)


def test_combine_weights_each_signal():
    imports = pd.DataFrame({"unit_a": ["a"], "unit_b": ["b"], "imports": [3.0]})
    cochange = pd.DataFrame({"unit_a": ["a"], "unit_b": ["b"], "cochange": [0.5]})
    weights = {"imports": 1.0, "cochange": 2.0, "tables": 0.5, "calls_sync": 1.0, "calls_async": 0.5}
    out = combine({"imports": imports, "cochange": cochange}, weights)
    assert out["weight"].iloc[0] == pytest.approx(2.0 + 1.0)  # log2(4) + 2 * 0.5


def test_route_labels_skip_layers_and_versions():
    assert route_label("/api/v1/orders/{id}") == "orders" and route_label("/") is None


def test_a_unit_tied_to_another_context_is_pulled_there_with_its_evidence():
    # W = 10; a: degree 6, tie 1 to "one" (degree 7 with a), 5 to "two" (degree 13):
    # staying scores 1 - 6 * 1 / 20, moving 5 - 6 * 13 / 20: moving wins, and 5 > 1 * 1.5
    edges = edges_of([("a", "b", 1.0), ("a", "x", 5.0), ("x", "y", 4.0)]).assign(imports=[1.0, 5.0, 4.0])
    declared = {"a": "one", "b": "one", "x": "two", "y": "two"}
    out = pulled_units(edges, declared)
    assert out[["unit", "declared", "pulled_to"]].values.tolist() == [["a", "one", "two"]]
    assert out["imports_to_pulled"].iloc[0] == 5.0 and out["imports_to_declared"].iloc[0] == 1.0
    assert pulled_units(edges, declared, margin=5.0).empty
    assert pulled_units(edges, declared, apart=frozenset({"two"})).empty  # never into a shared kernel
    # a big context does not pull by its size: x's tie to "one" (4) beats its own (2) by half again,
    # but less chance's share of "one" (6 * 22 / 30) it scores -0.4 against staying's 2 - 6 * 2 / 30
    hub = edges_of([("a", "b", 9.0), ("a", "x", 4.0), ("x", "y", 2.0)])
    assert "x" not in set(pulled_units(hub, declared)["unit"])


def test_contexts_that_look_like_one_and_like_two():
    # one declared context holding both cliques: it looks like two
    declared = {u: "big" for u in "abcdwxyz"}
    two = looks_like_two(TWO_CLIQUES, declared, seed=1)
    assert two["context"].tolist() == ["big"] and set(two[["part_a", "part_b"]].iloc[0]) == {4}
    # each clique cut in half across two contexts: the halves look like one
    halves = {"a": "p", "b": "p", "c": "q", "d": "q", "w": "r", "x": "r", "y": "s", "z": "s"}
    one = looks_like_one(TWO_CLIQUES, halves)
    assert {tuple(r) for r in one[["context_a", "context_b"]].values.tolist()} == {("p", "q"), ("r", "s")}
    assert looks_like_one(TWO_CLIQUES, {u: ("left" if u in "abcd" else "right") for u in "abcdwxyz"}).empty


def test_inferred_parts_are_named_after_the_declared_context_they_hold():
    assert majority_names({"a": 0, "b": 0, "c": 1, "d": 2}, {"a": "x", "b": "x", "c": "x"}) == {0: "x", 1: "x+1", 2: "part-2"}


def test_decompose_scores_the_declared_map_and_finds_a_better_one():
    units = pd.DataFrame({"unit": list("abcdwxyz"), "kind": "module", "path": [f"{u}.py" for u in "abcdwxyz"]})
    graph = UnitGraph(units=units, edges=TWO_CLIQUES, signals={"imports": len(TWO_CLIQUES)})
    declared = {u: ("left" if u in "abcw" else "right") for u in "abcdwxyz"}  # d and w on the wrong side
    out = decompose(graph, declared, SETTINGS, Status.measured("test"))
    table = out.metrics.set_index("partition")
    assert DECLARED in table.index and out.better["exists"] is True
    best = out.candidates[out.better["candidate"]]
    assert {best[u] for u in "abcd"} == {"left"} and {best[u] for u in "wxyz"} == {"right"}
    # 2 moves; the farthest from two parts of 4: n - g = 8 - 2
    assert table.loc[out.better["candidate"], "mojofm_vs_declared"] == pytest.approx(100 * (1 - 2 / 6))
    assert set(out.pulled["unit"]) == {"d", "w"}
    assert set(out.partitions["partition"]) == {DECLARED, *out.candidates}


def test_a_module_others_import_is_not_pulled_to_its_importers():
    # u (declared in "kit") is imported 3 times from "app"'s a and imports one module of its own context
    # (weights as combine makes them: log2(1 + lines))
    edges = edges_of([("a", "u", 4.0), ("k", "u", 1.0), ("a", "b", 3.0)]).assign(imports=[15.0, 1.0, 7.0])
    imports = pd.DataFrame({"source": ["a", "u", "a"], "target": ["u", "k", "b"], "lines": [15.0, 1.0, 7.0]})
    declared = {"a": "app", "b": "app", "u": "kit", "k": "kit"}
    assert set(pulled_units(edges, declared)["unit"]) == {"u"}  # undirected, the fan-in pulls it
    assert pulled_units(edges, declared, imports=imports).empty  # outward only, it stays


def test_orm_relations_tie_the_units_defining_the_two_tables():
    relations = pd.DataFrame({"table": ["order_line", "order_line", "x"], "related_table": ["product", "order", "y"]})
    out = relation_pairs(relations, {"order_line": "m.orders", "order": "m.orders", "product": "m.catalog"})
    assert out.values.tolist() == [["m.catalog", "m.orders", 1.0]]


def test_shared_kernels_are_never_proposed_for_a_merge():
    halves = {"a": "p", "b": "p", "c": "q", "d": "q", "w": "r", "x": "r", "y": "s", "z": "s"}
    one = looks_like_one(TWO_CLIQUES, halves, apart=frozenset({"q"}))
    assert one[["context_a", "context_b"]].values.tolist() == [["r", "s"]]


def _mined(**frames):
    from analysis.core import frames as contracts
    from analysis.core.frames import Mined, SourceFrames

    kinds = {"spans": "traces", "commits": "git", "file_changes": "git", "head_files": "head", "imports": "imports"}
    by_kind: dict = {}
    for name, frame in frames.items():
        by_kind.setdefault(kinds[name], {})[name] = contracts.conform(frame, name)
    return Mined.of({kind: SourceFrames(f, 1, 0, []) for kind, f in by_kind.items()})


def test_traces_alone_give_namespaces_and_their_calls():
    from analysis.measures.decomposition.graph import build_unit_graph

    spans = pd.DataFrame({"trace_id": ["t"] * 3, "span_id": ["1", "2", "3"], "parent_span_id": [None, "1", "2"],
                          "kind": ["SERVER", "INTERNAL", "INTERNAL"], "http_route": ["/orders/{id}", None, None],
                          "code_namespace": ["shop.orders.OrderView", "shop.orders.OrderService", "shop.billing.Invoices"],
                          "name": "s", "service": "shop", "start": pd.Timestamp("2024-01-01", tz="UTC"),
                          "end": pd.Timestamp("2024-01-01", tz="UTC"), "duration_ms": 1.0, "is_error": False, "link_count": 0})
    graph = build_unit_graph(_mined(spans=spans), SETTINGS)
    assert set(graph.signals) == {"calls"} and set(graph.units["kind"]) == {"namespace"}
    assert graph.edges[["unit_a", "unit_b"]].values.tolist() == [["shop.billing.Invoices", "shop.orders.OrderService"],
                                                                  ["shop.orders.OrderService", "shop.orders.OrderView"]]
    assert graph.labels["shop.billing.Invoices"] == {"orders"} and graph.traces == {frozenset(graph.units["unit"]): 1}


def test_history_alone_gives_the_files_at_head_and_their_co_change():
    from analysis.measures.decomposition.graph import build_unit_graph

    when = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True)
    commits = pd.DataFrame({"commit": ["c1", "c2", "c3"], "committed_at": when, "authored_at": when, "parents": 1, "is_merge": False,
                            "author_name": "Ann", "author_email": "ann@example.com", "subject": "s"})
    changes = pd.DataFrame({"commit": ["c1", "c1", "c2", "c2", "c3"], "path": ["a.py", "b.py", "a.py", "b.py", "gone.py"],
                            "change_type": ["A", "A", "M", "M", "A"]})
    graph = build_unit_graph(_mined(commits=commits, file_changes=changes, head_files=pd.DataFrame({"path": ["a.py", "b.py"]})), SETTINGS)
    assert set(graph.signals) == {"cochange"} and graph.units["unit"].tolist() == ["a.py", "b.py"]
    assert graph.edges["cochange"].tolist() == [1.0]
