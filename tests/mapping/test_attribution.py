"""Which context issued each SQL statement: every rule, their precedence, and scale."""


import numpy as np
import pandas as pd

from analysis.core import frames
from analysis.core.config import ContextSpec, SpanRules
from analysis.mapping.attribution import METHODS, attribute_statements, controller_contexts, db_span_contexts
from analysis.mapping.contexts import ContextMap
from analysis.mapping.span_tree import context_ancestors, span_parents

T0 = pd.Timestamp("2024-03-01T12:00:00Z")

CMAP = ContextMap(
    (
        ContextSpec("orders", paths=("shopfront/orders/**",), tables=("orders_order",), spans=SpanRules(routes=("/orders/*",))),
        ContextSpec("billing", paths=("shopfront/billing/**",), tables=("billing_invoice",), spans=SpanRules(routes=("/billing/*",))),
        ContextSpec("notifications", paths=("shopfront/notifications/**",)),
    )
)


def make_spans(rows):
    """rows: (trace, span, parent, kind, db_fingerprint)."""
    return frames.conform(
        pd.DataFrame(
            [
                {
                    "trace_id": trace, "span_id": span, "parent_span_id": parent, "name": span, "kind": kind,
                    "service": "shopfront", "start": T0, "end": T0 + pd.Timedelta(milliseconds=5), "duration_ms": 5.0,
                    "is_error": False, "db_system": "postgresql" if fingerprint else None,
                    "db_fingerprint": fingerprint, "link_count": 0,
                }
                for trace, span, parent, kind, fingerprint in rows
            ]
        ),
        "spans",
    )


def make_statements(rows):
    """rows: (fingerprint, trace_id, parent_span_id, route, controller)."""
    frame = pd.DataFrame(rows, columns=["fingerprint", "trace_id", "parent_span_id", "route", "controller"])
    frame["source"], frame["line"], frame["ts"] = "postgresql.log", range(1, len(rows) + 1), T0
    frame["user"], frame["database"], frame["duration_ms"] = "shop", "shop", 1.0
    return frames.conform(frame, "statements")


def S(values):
    return pd.Series(values, dtype="string")


# trace t1: s1 SERVER orders ─┬─ s2 CLIENT db (context billing by some service rule: walked past)
#                             ├─ s3 INTERNAL unassigned
#                             └─ s4 INTERNAL notifications
#           s5 CLIENT db fp_x under s1
SPANS = make_spans(
    [
        ("t1", "s1", None, "SERVER", None),
        ("t1", "s2", "s1", "CLIENT", "fp_0"),
        ("t1", "s3", "s1", "INTERNAL", None),
        ("t1", "s4", "s1", "INTERNAL", None),
        ("t1", "s5", "s1", "CLIENT", "fp_x"),
    ]
)
SPAN_CONTEXT = S(["orders", "billing", None, "notifications", None])


def attribution_of(rows):
    out = attribute_statements(make_statements(rows), SPANS, SPAN_CONTEXT, CMAP)
    return [(None if pd.isna(c) else c, m) for c, m in zip(out["context"], out["method"])]


def test_traceparent_walks_past_db_client_and_unassigned_spans():
    assert attribution_of(
        [
            ("fp_0", "t1", "s2", None, None),  # db span with a context of its own: walk up to s1
            ("fp_1", "t1", "s3", None, None),  # unassigned span: walk up to s1
            ("fp_2", "t1", "s4", None, None),  # a span with its own context
        ]
    ) == [("orders", "traceparent"), ("orders", "traceparent"), ("notifications", "traceparent")]


def test_traceparent_beats_route_beats_controller():
    assert attribution_of(
        [
            ("fp_1", "t1", "s4", "/billing/<int:invoice_id>/", "orders.views.detail"),
            ("fp_2", None, None, "/billing/<int:invoice_id>/", "orders.views.detail"),
            ("fp_3", "t9", "s9", None, "orders.views.detail"),  # a span not in the data: fall through
        ]
    ) == [("notifications", "traceparent"), ("billing", "route"), ("orders", "controller")]


def test_route_globs_match_django_routes():
    assert attribution_of([("fp_1", None, None, "/orders/<int:order_id>/", None)]) == [("orders", "route")]
    assert attribution_of([("fp_1", None, None, "/search/", None)]) == [(None, "unattributed")]


def test_controller_as_given_and_with_the_top_package():
    assert attribution_of(
        [
            ("fp_1", None, None, None, "shopfront.billing.views.pay"),
            ("fp_2", None, None, None, "notifications.tasks.send"),
            ("fp_3", None, None, None, "search.views.query"),
        ]
    ) == [("billing", "controller"), ("notifications", "controller"), (None, "unattributed")]


def test_controller_ambiguous_between_top_packages_is_not_attributed():
    cmap = ContextMap(
        (
            ContextSpec("orders", paths=("shopfront/orders/**",)),
            ContextSpec("billing", spans=SpanRules(code_namespaces=("legacy.orders",))),
            ContextSpec("catalog", paths=("shopfront/catalog/**",)),
        )
    )
    found = controller_contexts(S(["orders.views.detail", "catalog.views.list", "orders.views.detail", None]), cmap)
    assert pd.isna(found["orders.views.detail"])
    assert found["catalog.views.list"] == "catalog"
    assert len(found) == 2


def test_fingerprint_seen_from_exactly_one_context():
    assert attribution_of(
        [
            ("fp_a", "t1", "s3", None, None),  # orders by traceparent
            ("fp_a", None, None, None, None),  # same fingerprint: orders
            ("fp_x", None, None, None, None),  # seen only in db span s5, under orders
            ("fp_b", None, None, "/orders/1/", None),  # orders
            ("fp_b", None, None, "/billing/1/", None),  # billing
            ("fp_b", None, None, None, None),  # two contexts: ambiguous
            ("fp_0", None, None, None, None),  # db span s2 hangs under orders
        ]
    ) == [
        ("orders", "traceparent"),
        ("orders", "fingerprint"),
        ("orders", "fingerprint"),
        ("orders", "route"),
        ("billing", "route"),
        (None, "unattributed"),
        ("orders", "fingerprint"),
    ]


def test_db_span_contexts_use_the_nearest_ancestor():
    out = db_span_contexts(SPANS, SPAN_CONTEXT)
    assert out.values.tolist() == [["fp_0", "orders", 1], ["fp_x", "orders", 1]]
    orphan = make_spans([("t1", "db", "gone", "CLIENT", "fp_z")])
    assert db_span_contexts(orphan, S(["orders"])).empty


def test_result_is_aligned_with_the_statements_index():
    statements = make_statements([("fp_1", "t1", "s3", None, None), ("fp_2", None, None, None, None)])
    statements.index = [10, 20]
    out = attribute_statements(statements, SPANS, SPAN_CONTEXT, CMAP)
    assert out.index.tolist() == [10, 20] and list(out.columns) == ["context", "method"]
    assert set(out["method"]) <= set(METHODS)


def test_empty_inputs():
    out = attribute_statements(frames.empty("statements"), frames.empty("spans"), S([]), CMAP)
    assert out.empty and list(out.columns) == ["context", "method"]
    no_spans = attribute_statements(make_statements([("fp_1", "t1", "s1", "/orders/1/", None)]), frames.empty("spans"), S([]), CMAP)
    assert no_spans.values.tolist() == [["orders", "route"]]
    assert db_span_contexts(frames.empty("spans"), S([])).empty


def test_span_parents_and_ancestors_on_pathological_trees():
    spans = make_spans(
        [
            ("t1", "a", None, "SERVER", None),
            ("t1", "b", "a", "INTERNAL", None),
            ("t1", "b", "a", "INTERNAL", None),  # duplicate span id: the first is the one looked up
            ("t1", "c", "b", "INTERNAL", None),
            ("t1", "d", "d", "INTERNAL", None),  # its own parent
            ("t1", "e", "f", "INTERNAL", None),  # cycle e <-> f
            ("t1", "f", "e", "INTERNAL", None),
        ]
    )
    assert span_parents(spans).tolist() == [-1, 0, 0, 1, -1, 6, 5]
    anc = context_ancestors(spans, S(["orders", None, None, "billing", "x", None, None]))
    assert [None if pd.isna(c) else c for c in anc["context"]] == [None, "orders", "orders", "orders", None, None, None]


def test_deep_chain_resolves_in_few_rounds():
    n = 5000  # one trace, a single chain; only the root has a context
    rows = [("t1", f"s{i}", f"s{i - 1}" if i else None, "INTERNAL", None) for i in range(n)]
    anc = context_ancestors(make_spans(rows), S(["orders"] + [None] * (n - 1)))
    assert anc["context"].isna().sum() == 1 and anc["ancestor"].iloc[-1] == 0


def test_hundred_thousand_random_statements_are_attributed():
    rng = np.random.default_rng(7)
    n_spans, n_statements = 20_000, 100_000
    trace = np.repeat([f"{i:032x}" for i in range(n_spans // 4)], 4)
    span = np.array([f"{i:016x}" for i in range(n_spans)])
    parent = np.where(np.arange(n_spans) % 4 == 0, None, np.roll(span, 1)).astype(object)
    spans = frames.conform(
        pd.DataFrame({"trace_id": trace, "span_id": span, "parent_span_id": parent, "name": "x", "kind": "INTERNAL",
                      "service": "shopfront", "start": T0, "end": T0, "duration_ms": 0.0, "is_error": False, "link_count": 0}),
        "spans",
    )
    span_context = S(rng.choice(["orders", "billing", None], n_spans))
    pick = rng.integers(0, n_spans, n_statements)
    traced = rng.random(n_statements) < 0.5
    statements = make_statements(
        list(
            zip(
                rng.choice([f"fp{i}" for i in range(300)], n_statements),
                np.where(traced, trace[pick], None),
                np.where(traced, span[pick], None),
                rng.choice(["/orders/<int:id>/", None], n_statements),
                rng.choice(["billing.views.pay", None], n_statements),
            )
        )
    )
    out = attribute_statements(statements, spans, span_context, CMAP)
    assert len(out) == n_statements and out["context"].notna().mean() > 0.5
