"""Boundary violations from small frames: imports not allowed, cycles of the allowed graph,
write-shared tables and joins; dependencies as declared or as measured at the baseline."""

import pandas as pd

from analysis.measures.boundaries import allowed_dependencies, import_violations, join_violations, module_imports, write_shared_violations


def imports(rows):
    frame = pd.DataFrame(rows, columns=["importer", "imported", "importer_path", "line"])
    return frame.assign(imported_path="x.py", kind="static")


def contexts(values):
    return pd.Series(values, dtype="string")


def modules():
    rows = [("s.a.m", "s.b.n", "s/a/m.py", 3), ("s.a.m", "s.b.n", "s/a/m.py", 9), ("s.b.n", "s.a.k", "s/b/n.py", 1),
            ("s.c.q", "s.a.k", "s/c/q.py", 2), ("s.a.m", "s.a.k", "s/a/m.py", 4), ("s.x", "s.a.k", "s/x.py", 1)]
    return module_imports(imports(rows), contexts(["a", "a", "b", "c", "a", None]), contexts(["b", "b", "a", "a", "a", "a"]))


def test_module_imports_group_import_rows_per_module_pair_with_every_line():
    m = modules()
    assert m[["source", "target", "importer", "imported", "count"]].values.tolist() == [
        ["a", "b", "s.a.m", "s.b.n", 2], ["b", "a", "s.b.n", "s.a.k", 1], ["c", "a", "s.c.q", "s.a.k", 1]]
    assert m["evidence"].tolist()[0] == ["s/a/m.py:3", "s/a/m.py:9"]


def test_an_edge_outside_the_allowed_ones_is_an_import_violation_and_allowed_edges_on_a_cycle_are_cycle_violations():
    allowed = {"a": {"b"}, "b": {"a"}, "c": set()}
    out = import_violations(modules(), allowed, shared=set())
    assert out[["rule", "source", "target", "subject", "count"]].values.tolist() == [
        ["cycle", "a", "b", "s.a.m -> s.b.n", 2], ["cycle", "b", "a", "s.b.n -> s.a.k", 1], ["import", "c", "a", "s.c.q -> s.a.k", 1]]


def test_a_declared_direction_leaves_only_the_wrong_edge():
    out = import_violations(modules(), {"a": {"b"}, "b": set(), "c": {"a"}}, shared=set())
    assert out[["rule", "source", "target"]].values.tolist() == [["import", "b", "a"]]


def test_edges_into_a_shared_kernel_never_close_a_cycle_but_its_own_edges_out_do():
    out = import_violations(modules(), {"a": {"b"}, "b": {"a"}, "c": {"a"}}, shared={"a"})
    assert out[["rule", "source", "target"]].values.tolist() == [["cycle", "a", "b"]]


def test_allowed_dependencies_declared_then_baseline_then_as_measured_now():
    measured = {"a": ["b"], "b": ["a"], "c": ["a"], "d": []}
    allowed, unknown = allowed_dependencies(["a", "b", "c", "d"], measured, {"c": set()}, {"d"}, {"a": [], "b": ["a"]})
    assert allowed == {"a": {"d"}, "b": {"a", "d"}, "c": {"d"}, "d": set()} and unknown == ["d"]
    without, none = allowed_dependencies(["a", "b"], measured, {}, set(), None)
    assert without == {"a": {"b"}, "b": {"a"}} and none == []


def test_write_shared_tables_name_every_writer_but_the_owner_and_joins_their_fingerprint():
    shared = pd.DataFrame({"table": ["outbox", "audit"], "owner": pd.Series(["n", None], dtype="string"),
                           "writers": [["a", "b", "n"], ["a", "b"]], "writes": [9, 4]})
    out = write_shared_violations(shared)
    assert out[["source", "target", "subject"]].astype(object).where(out[["source", "target", "subject"]].notna(), None).values.tolist() == [
        ["a", "n", "outbox"], ["b", "n", "outbox"], ["a", None, "audit"], ["b", None, "audit"]]
    joins = pd.DataFrame({"fingerprint": ["f1"], "table_a": ["orders"], "context_a": ["o"], "table_b": ["users"], "context_b": ["u"],
                          "executions": [5], "issued_by": [["o"]]})
    assert join_violations(joins)[["source", "target", "subject", "evidence"]].values.tolist() == [
        ["o", "u", "f1: orders JOIN users", ["issued by o"]]]
