"""Trace and SQL coverage figures on tiny literal frames with hand-counted answers."""

import math

import pandas as pd
import pytest

from analysis.core import frames
from analysis.measures.metrics.observability import coverage

T0 = pd.Timestamp("2024-03-01T12:00:00Z")


def make_spans(rows):
    """rows: dicts with trace_id, span_id, kind and optional attributes."""
    base = {"name": "op", "service": "shopfront", "start": T0, "end": T0, "duration_ms": 0.0, "is_error": False, "link_count": 0}
    return frames.conform(pd.DataFrame([{**base, **r} for r in rows]), "spans")


def make_statements(rows):
    """rows: (trace_id, parent_span_id)."""
    frame = pd.DataFrame(rows, columns=["trace_id", "parent_span_id"])
    frame["source"], frame["line"], frame["ts"], frame["user"], frame["database"] = "log", 1, T0, "u", "d"
    frame["duration_ms"], frame["fingerprint"] = 1.0, "fp"
    return frames.conform(frame, "statements")


def S(values):
    return pd.Series(values, dtype="string")


SPANS = make_spans(
    [
        {"trace_id": "t1", "span_id": "a", "kind": "SERVER", "http_route": "/orders/*"},
        {"trace_id": "t1", "span_id": "b", "parent_span_id": "a", "kind": "INTERNAL", "code_namespace": "shopfront.orders"},
        {"trace_id": "t1", "span_id": "c", "parent_span_id": "b", "kind": "INTERNAL"},
        {"trace_id": "t1", "span_id": "d", "parent_span_id": "c", "kind": "CLIENT", "db_system": "postgresql", "db_fingerprint": "fp"},
        {"trace_id": "t1", "span_id": "e", "parent_span_id": "c", "kind": "CLIENT", "db_system": "postgresql"},
        {"trace_id": "t1", "span_id": "f", "parent_span_id": "zz", "kind": "INTERNAL"},  # orphan
        {"trace_id": "t2", "span_id": "g", "kind": "SERVER", "http_route": "/orders/*"},  # same route again
        {"trace_id": "t2", "span_id": "h", "kind": "SERVER"},  # no route
        {"trace_id": "t3", "span_id": "i", "kind": "CONSUMER", "messaging_destination": "billing.invoice"},  # broken
        {"trace_id": "t4", "span_id": "j", "kind": "CONSUMER", "messaging_destination": "billing.invoice", "link_count": 1},
        {"trace_id": "t4", "span_id": "k", "parent_span_id": "j", "kind": "PRODUCER"},
        {"trace_id": "t4", "span_id": "l", "parent_span_id": "k", "kind": "CONSUMER", "messaging_destination": "mail.send"},
        {"trace_id": "t5", "span_id": "m", "parent_span_id": "gone", "kind": "CONSUMER"},  # orphan and broken
        {"trace_id": "t1", "span_id": "n", "parent_span_id": "a", "kind": "SERVER", "http_route": "/billing/*"},
    ]
)
SPAN_CONTEXT = S(["orders", "orders", None, None, None, "orders", "orders", None, "billing", "billing", "billing", "notifications", None, "billing"])
STATEMENTS = make_statements([("t1", "d"), ("t1", "missing"), ("t9", "x"), (None, None), (None, None)])
ATTRIBUTION = pd.DataFrame({"context": S(["orders", None, None, "billing", None]), "method": S(["traceparent", "unattributed", "unattributed", "route", "unattributed"])})


def test_coverage_figures():
    cov = coverage(["orders", "billing", "notifications", "search"], SPANS, SPAN_CONTEXT, STATEMENTS, ATTRIBUTION)
    assert cov["contexts_declared"] == 4
    assert cov["contexts_with_spans"] == ["billing", "notifications", "orders"]
    assert cov["contexts_without_spans"] == ["search"]
    assert cov["context_span_coverage"] == 0.75
    assert (cov["spans"], cov["orphan_spans"], cov["root_spans"]) == (14, 2, 5)
    assert cov["orphan_span_share"] == 2 / 14
    assert (cov["consumer_spans"], cov["broken_async"]) == (4, 2)
    assert cov["broken_async_share"] == 0.5
    assert cov["entry_points_traced"] == 4  # /orders/*, /billing/*, billing.invoice, mail.send
    assert cov["entry_points"] == {"http_routes": ["/billing/*", "/orders/*"], "messaging_destinations": ["billing.invoice", "mail.send"]}
    assert (cov["sql_statements"], cov["sql_with_traceparent"], cov["sql_linked_to_span"], cov["sql_attributed"]) == (5, 3, 1, 2)
    assert cov["sql_trace_link_share"] == 0.6
    assert cov["sql_linked_to_span_share"] == 0.2
    assert cov["sql_attributed_share"] == 0.4
    assert (cov["unassigned_spans"], cov["unassigned_span_share"]) == (5, 5 / 14)
    assert cov["attribute_completeness"] == {
        "http_route": {"with_attribute": 3, "spans": 4, "share": 0.75},
        "code_namespace": {"with_attribute": 1, "spans": 3, "share": 1 / 3},
        "db_fingerprint": {"with_attribute": 1, "spans": 2, "share": 0.5},
        "messaging_destination": {"with_attribute": 3, "spans": 5, "share": 0.6},  # i, j, l of i, j, k, l, m
        "code_function": {"with_attribute": 0, "spans": 1, "share": 0.0},  # b has a namespace, no function
        "service": {"with_attribute": 14, "spans": 14, "share": 1.0},
    }
    # t1 holds the orphan f, t5 the orphan m: two of five traces
    assert (cov["traces"], cov["traces_with_missing_parent"], cov["broken_trace_share"]) == (5, 2, 0.4)
    # tied: three with a trace id, plus the route-attributed fourth statement
    assert (cov["sql_tied"], cov["sql_tied_share"]) == (4, 0.8)
    assert cov["entry_points_given"] is False and math.isnan(cov["entry_point_coverage"])


def test_attribution_may_be_given_as_a_series():
    cov = coverage(["orders"], SPANS, SPAN_CONTEXT, STATEMENTS, ATTRIBUTION["context"])
    assert cov["sql_attributed"] == 2


def test_no_consumers_means_no_broken_async_share():
    spans = make_spans([{"trace_id": "t1", "span_id": "a", "kind": "SERVER"}])
    cov = coverage(["orders"], spans, S(["orders"]), frames.empty("statements"), S([]))
    assert cov["consumer_spans"] == 0 and math.isnan(cov["broken_async_share"])
    assert cov["context_span_coverage"] == 1.0 and cov["orphan_span_share"] == 0.0
    assert math.isnan(cov["sql_trace_link_share"]) and cov["sql_statements"] == 0


def test_empty_inputs_give_zeros_and_nan():
    cov = coverage([], frames.empty("spans"), S([]), frames.empty("statements"), pd.DataFrame({"context": S([]), "method": S([])}))
    assert cov["spans"] == 0 and cov["orphan_spans"] == 0 and cov["entry_points_traced"] == 0
    assert cov["contexts_with_spans"] == [] and cov["contexts_without_spans"] == []
    for key in ("context_span_coverage", "orphan_span_share", "broken_async_share", "sql_trace_link_share",
                "sql_linked_to_span_share", "sql_attributed_share", "unassigned_span_share"):
        assert math.isnan(cov[key]), key
    assert all(math.isnan(v["share"]) and v["spans"] == 0 for v in cov["attribute_completeness"].values())


def test_contexts_with_spans_counts_only_declared_ones():
    spans = make_spans([{"trace_id": "t1", "span_id": "a", "kind": "SERVER"}])
    cov = coverage(["orders", "billing"], spans, S(["legacy"]), frames.empty("statements"), S([]))
    assert cov["contexts_with_spans"] == [] and cov["context_span_coverage"] == 0.0


def test_broken_async_is_counted_per_context():
    from analysis.measures.metrics.observability import coverage as cov
    T = pd.Timestamp("2026-10-30T10:00:00Z")
    spans = frames.conform(pd.DataFrame({
        "trace_id": ["t1", "t1", "t2", "t3"], "span_id": ["p", "c", "c2", "c3"], "parent_span_id": [None, "p", None, None],
        "name": "x", "kind": ["PRODUCER", "CONSUMER", "CONSUMER", "CONSUMER"], "service": "s", "start": T, "end": T,
        "duration_ms": 0.0, "is_error": False, "link_count": [0, 0, 0, 1]}), "spans")
    ctx = pd.Series(["orders", "notifications", "notifications", "ingestion"], dtype="string")
    out = cov(["orders", "notifications", "ingestion"], spans, ctx, frames.empty("statements"), pd.Series([], dtype="string"))
    assert out["broken_async_by_context"] == {"ingestion": {"consumers": 1, "broken": 0},
                                              "notifications": {"consumers": 2, "broken": 1}}
    assert out["broken_async"] == 1 and out["broken_async_share"] == pytest.approx(1 / 3)


# ------------------------------------------------------------------ declared entry points


ENTRY_SPANS = make_spans(
    [
        {"trace_id": "t1", "span_id": "a", "kind": "SERVER", "http_route": "/orders/<int:order_id>/"},
        {"trace_id": "t2", "span_id": "b", "kind": "SERVER", "http_route": "/orders/<int:order_id>/"},
        {"trace_id": "t2", "span_id": "c", "parent_span_id": "b", "kind": "INTERNAL", "http_route": "/cart/"},  # not SERVER
        {"trace_id": "t3", "span_id": "d", "kind": "INTERNAL", "name": "close_invoices",
         "code_namespace": "billing.tasks", "code_function": "close_invoices"},
        {"trace_id": "t4", "span_id": "e", "kind": "CONSUMER", "messaging_destination": "invoice.paid"},
        {"trace_id": "t5", "span_id": "f", "kind": "PRODUCER", "messaging_destination": "mail.send"},  # producer only
    ]
)
ENTRY_POINTS = pd.DataFrame(
    {
        "kind": ["route", "route", "route", "job", "job", "consumer", "consumer", "route"],
        "name": ["/orders/{order_id}", "/cart/", "/search", "billing.tasks.close_invoices", "search.reindex",
                 "invoice.paid", "mail.send", "/orders/{order_id}"],  # the last repeats the first
        "context": ["orders", "orders", "search", "billing", "search", "billing", "notifications", "orders"],
    }
)


def test_entry_point_traces_by_kind():
    from analysis.measures.metrics.observability import entry_point_traces
    out = entry_point_traces(ENTRY_POINTS, ENTRY_SPANS)
    assert list(out.columns) == ["kind", "name", "context", "spans", "traced"]
    assert out[["name", "spans", "traced"]].values.tolist() == [
        ["/orders/{order_id}", 2, True],
        ["/cart/", 0, False],
        ["/search", 0, False],
        ["billing.tasks.close_invoices", 1, True],
        ["search.reindex", 0, False],
        ["invoice.paid", 1, True],
        ["mail.send", 0, False],
    ]
    with pytest.raises(ValueError, match="route, job, consumer"):
        entry_point_traces(pd.DataFrame({"kind": ["cron"], "name": ["x"], "context": ["y"]}), ENTRY_SPANS)
    assert entry_point_traces(ENTRY_POINTS.iloc[0:0], ENTRY_SPANS).empty
    assert not entry_point_traces(ENTRY_POINTS, frames.empty("spans"))["traced"].any()


def test_coverage_with_declared_entry_points():
    ctx = S(["orders"] * 3 + ["billing"] * 2 + ["notifications"])
    cov = coverage(["orders"], ENTRY_SPANS, ctx, frames.empty("statements"), S([]), entry_points=ENTRY_POINTS)
    assert cov["entry_points_given"] is True
    assert (cov["entry_points_declared"], cov["entry_points_declared_traced"]) == (7, 3)
    assert cov["entry_point_coverage"] == pytest.approx(3 / 7)
    assert cov["entry_point_coverage_by_kind"] == {
        "route": {"declared": 3, "traced": 1, "share": pytest.approx(1 / 3)},
        "job": {"declared": 2, "traced": 1, "share": 0.5},
        "consumer": {"declared": 2, "traced": 1, "share": 0.5},
    }
    none = coverage(["orders"], ENTRY_SPANS, ctx, frames.empty("statements"), S([]), entry_points=ENTRY_POINTS.iloc[0:0])
    assert none["entry_points_given"] is True and none["entry_points_declared"] == 0
    assert math.isnan(none["entry_point_coverage"]) and none["entry_point_coverage_by_kind"] == {}


def test_unknown_service_counts_as_missing():
    spans = make_spans([{"trace_id": "t1", "span_id": "a", "kind": "SERVER", "service": "unknown_service:python"},
                        {"trace_id": "t1", "span_id": "b", "parent_span_id": "a", "kind": "INTERNAL"}])
    cov = coverage([], spans, S([None, None]), frames.empty("statements"), S([]))
    assert cov["attribute_completeness"]["service"] == {"with_attribute": 1, "spans": 2, "share": 0.5}
    assert (cov["traces"], cov["traces_with_missing_parent"], cov["broken_trace_share"]) == (1, 0, 0.0)


def test_sql_figures_count_executions_not_rows():
    # the same five statements with the first standing for 3 executions and the fourth for 2
    folded = STATEMENTS.assign(executions=[3, 1, 1, 2, 1])
    cov = coverage(["orders", "billing"], SPANS, SPAN_CONTEXT, folded, ATTRIBUTION)
    assert (cov["sql_statements"], cov["sql_with_traceparent"], cov["sql_linked_to_span"], cov["sql_attributed"]) == (8, 5, 3, 5)
    assert (cov["sql_tied"], cov["sql_tied_share"]) == (7, 7 / 8)
    assert cov["sql_trace_link_share"] == 5 / 8
