"""Runtime coupling from tiny literal traces with hand-computed calls and chains."""

import math

import pandas as pd
import pytest

from analysis.core import frames
from analysis.mapping.span_tree import context_ancestors
from analysis.measures.coupling.runtime import call_chains, call_latency, call_rows, context_calls, sync_fan_in

T0 = pd.Timestamp("2024-03-01T12:00:00Z")


def make_spans(rows):
    """rows: (trace, span, parent, kind, start_ms, end_ms[, is_error])."""
    records = []
    for row in rows:
        trace, span, parent, kind, start, end = row[:6]
        records.append(
            {
                "trace_id": trace, "span_id": span, "parent_span_id": parent, "name": span, "kind": kind,
                "service": "shopfront", "start": T0 + pd.Timedelta(milliseconds=start),
                "end": T0 + pd.Timedelta(milliseconds=end), "duration_ms": float(end - start),
                "is_error": row[6] if len(row) > 6 else False, "link_count": 0,
            }
        )
    return frames.conform(pd.DataFrame(records), "spans")


def contexts(values):
    return pd.Series(values, dtype="string")


# trace t1:
#   a SERVER orders
#   ├─ b INTERNAL (unassigned)
#   │  └─ c INTERNAL billing (error)          orders -> billing, sync, past b
#   │     ├─ d INTERNAL notifications         billing -> notifications, sync
#   │     └─ h INTERNAL orders                billing -> orders, sync
#   └─ e PRODUCER orders
#      └─ f CONSUMER billing                  orders -> billing, async
#   g INTERNAL billing, parent missing        orphan: no call
SPANS = make_spans(
    [
        ("t1", "a", None, "SERVER", 0, 100),
        ("t1", "b", "a", "INTERNAL", 10, 90),
        ("t1", "c", "b", "INTERNAL", 20, 80, True),
        ("t1", "d", "c", "INTERNAL", 30, 50),
        ("t1", "e", "a", "PRODUCER", 90, 95),
        ("t1", "f", "e", "CONSUMER", 200, 260),
        ("t1", "g", "zz", "INTERNAL", 300, 310),
        ("t1", "h", "c", "INTERNAL", 55, 60),
    ]
)
CTX = contexts(["orders", None, "billing", "notifications", "orders", "billing", "billing", "orders"])


def test_ancestor_walk_skips_unassigned_spans_and_stops_at_orphans():
    anc = context_ancestors(SPANS, CTX)
    assert anc["context"].tolist()[:4] == [pd.NA, "orders", "orders", "billing"]
    assert anc["ancestor"].tolist()[2] == 0  # c hangs under a, past b
    assert pd.isna(anc["context"][6])  # g: parent not in the data


def test_context_calls_sync_async_and_orphans():
    calls = context_calls(SPANS, CTX)
    got = {(r.caller, r.callee, r.mode): (r.calls, r.total_ms, r.mean_ms, r.error_share) for r in calls.itertuples()}
    assert got == {
        ("orders", "billing", "sync"): (1, 60.0, 60.0, 1.0),
        ("billing", "notifications", "sync"): (1, 20.0, 20.0, 0.0),
        ("billing", "orders", "sync"): (1, 5.0, 5.0, 0.0),
        ("orders", "billing", "async"): (1, 60.0, 60.0, 0.0),
    }
    assert list(calls.columns) == ["caller", "callee", "mode", "calls", "total_ms", "mean_ms", "error_share"]


def test_calls_aggregate_and_error_share():
    spans = make_spans(
        [
            ("t1", "a", None, "SERVER", 0, 100),
            ("t1", "b", "a", "INTERNAL", 0, 10, True),
            ("t2", "a", None, "SERVER", 0, 100),
            ("t2", "b", "a", "INTERNAL", 0, 30),
            ("t2", "c", "a", "INTERNAL", 40, 60),
            ("t2", "d", "a", "INTERNAL", 60, 70),
        ]
    )
    calls = context_calls(spans, contexts(["orders", "billing", "orders", "billing", "billing", "orders"]))
    assert len(calls) == 1
    row = calls.iloc[0]
    assert (row["caller"], row["callee"], row["mode"], row["calls"]) == ("orders", "billing", "sync", 3)
    assert row.total_ms == 60.0 and row.mean_ms == 20.0
    assert row.error_share == pytest.approx(1 / 3)


def test_async_through_an_unassigned_consumer_and_under_a_producer():
    spans = make_spans(
        [
            ("t1", "p", None, "PRODUCER", 0, 5),  # orders publishes
            ("t1", "q", "p", "CONSUMER", 50, 90),  # consumer span without context
            ("t1", "r", "q", "INTERNAL", 55, 85),  # billing work under it
            ("t2", "s", None, "PRODUCER", 0, 5),  # orders publishes
            ("t2", "u", "s", "INTERNAL", 40, 60),  # billing, no consumer span at all
        ]
    )
    calls = context_calls(spans, contexts(["orders", None, "billing", "orders", "billing"]))
    assert calls[["caller", "callee", "mode", "calls"]].values.tolist() == [["orders", "billing", "async", 2]]


def test_parent_in_another_trace_is_not_a_parent():
    spans = make_spans([("t1", "a", None, "SERVER", 0, 10), ("t2", "b", "a", "INTERNAL", 0, 5)])
    assert context_calls(spans, contexts(["orders", "billing"])).empty


def test_parent_cycle_makes_no_call_and_does_not_hang():
    spans = make_spans([("t1", "a", "b", "INTERNAL", 0, 10), ("t1", "b", "a", "INTERNAL", 0, 10), ("t1", "c", "c", "INTERNAL", 0, 1)])
    assert context_calls(spans, contexts([None, None, "orders"])).empty
    assert call_chains(spans, contexts([None, None, "orders"]), min_contexts=1)["chain"].tolist() == ["orders"]


def test_empty_and_unassigned_inputs():
    empty = frames.empty("spans")
    calls = context_calls(empty, contexts([]))
    assert calls.empty and list(calls.columns) == ["caller", "callee", "mode", "calls", "total_ms", "mean_ms", "error_share"]
    assert sync_fan_in(calls).empty
    assert call_chains(empty, contexts([])).empty
    assert context_calls(SPANS, contexts([None] * len(SPANS))).empty


def test_sync_fan_in_counts_distinct_sync_callers():
    calls = pd.DataFrame(
        {
            "caller": contexts(["orders", "catalog", "orders", "billing", "orders"]),
            "callee": contexts(["billing", "billing", "billing", "notifications", "notifications"]),
            "mode": contexts(["sync", "sync", "async", "sync", "sync"]),
            "calls": [5, 2, 100, 1, 1],
        }
    )
    fan_in = sync_fan_in(calls)
    assert fan_in.values.tolist() == [["billing", 2, 7], ["notifications", 2, 2]]


def test_call_chains_root_to_leaf_with_min_contexts():
    # a second trace repeating orders > billing > notifications
    more = make_spans(
        [
            ("t9", "a", None, "SERVER", 0, 100),
            ("t9", "b", "a", "INTERNAL", 0, 50),
            ("t9", "c", "b", "INTERNAL", 0, 20),
            ("t9", "d", "c", "INTERNAL", 0, 10),
        ]
    )
    spans = pd.concat([SPANS, more], ignore_index=True)
    ctx = pd.concat([CTX, contexts(["orders", "billing", "billing", "notifications"])], ignore_index=True)
    chains = call_chains(spans, ctx)
    assert chains.values.tolist() == [["orders > billing > notifications", 2]]
    # orders > billing > orders spans two contexts; the async consumer f starts its own chain
    two = call_chains(spans, ctx, min_contexts=2)
    assert two.values.tolist() == [["orders > billing > notifications", 2], ["orders > billing > orders", 1]]
    one = dict(call_chains(spans, ctx, min_contexts=1).values.tolist())
    assert one["billing"] == 1  # f (after the queue) and g (orphan) in t1, one trace
    assert one["orders"] == 1  # e: its consumer is async, so e is a leaf



# ------------------------------------------------------------------ span links and latency


def make_links(rows):
    """rows: (trace, span, linked_trace, linked_span)."""
    frame = pd.DataFrame(rows, columns=["trace_id", "span_id", "linked_trace_id", "linked_span_id"])
    return frames.conform(frame, "span_links")


# t1: p PRODUCER orders
# t2: c CONSUMER (unassigned root) linking t1/p; w INTERNAL billing under c   -> orders -> billing, async
# t3: s SERVER search; x INTERNAL catalog under s, x also links t1/p          -> search -> catalog sync,
#                                                                               orders -> catalog async
# t4: y SERVER billing, links a span not in the data and itself               -> nothing
# t5: q SERVER orders; r INTERNAL (unassigned) under q links t5/q (its parent) -> nothing
LINKED = make_spans(
    [
        ("t1", "p", None, "PRODUCER", 0, 5),
        ("t2", "c", None, "CONSUMER", 100, 200),
        ("t2", "w", "c", "INTERNAL", 110, 190),
        ("t3", "s", None, "SERVER", 0, 50),
        ("t3", "x", "s", "INTERNAL", 10, 40, True),
        ("t4", "y", None, "SERVER", 0, 10),
        ("t5", "q", None, "SERVER", 0, 10),
        ("t5", "r", "q", "INTERNAL", 1, 2),
    ]
)
LINKED_CTX = contexts(["orders", None, "billing", "search", "catalog", "billing", "orders", None])
LINKS = make_links(
    [
        ("t2", "c", "t1", "p"),
        ("t3", "x", "t1", "p"),
        ("t4", "y", "t9", "zz"),
        ("t4", "y", "t4", "y"),
        ("t5", "r", "t5", "q"),
        ("t2", "c", "t1", "p"),  # a repeated link counts once
    ]
)


def test_span_links_are_async_calls_across_traces():
    calls = context_calls(LINKED, LINKED_CTX, links=LINKS)
    got = {(r.caller, r.callee, r.mode): (r.calls, r.total_ms, r.error_share) for r in calls.itertuples()}
    assert got == {
        ("orders", "billing", "async"): (1, 80.0, 0.0),  # through the unassigned consumer c
        ("orders", "catalog", "async"): (1, 30.0, 1.0),  # x's extra link
        ("search", "catalog", "sync"): (1, 30.0, 1.0),
    }
    # without the links only the synchronous parent call remains
    plain = context_calls(LINKED, LINKED_CTX)
    assert plain[["caller", "callee", "mode", "calls"]].values.tolist() == [["search", "catalog", "sync", 1]]


def test_link_parent_with_a_context_of_its_own():
    # the consumer itself belongs to billing: orders -> billing directly over the link
    ctx = contexts(["orders", "billing", "billing", "search", "catalog", "billing", "orders", None])
    calls = context_calls(LINKED, ctx, links=LINKS.iloc[:1])
    assert calls[["caller", "callee", "mode", "calls", "total_ms"]].values.tolist() == [
        ["orders", "billing", "async", 1, 100.0],  # c itself; w is billing under billing: no call
        ["search", "catalog", "sync", 1, 30.0],
    ]


def test_link_cycle_across_traces_does_not_hang():
    spans = make_spans([("t1", "a", None, "CONSUMER", 0, 5), ("t2", "b", None, "CONSUMER", 0, 5), ("t2", "k", "b", "INTERNAL", 1, 2)])
    links = make_links([("t1", "a", "t2", "b"), ("t2", "b", "t1", "a")])
    calls = context_calls(spans, contexts([None, None, "billing"]), links=links)
    assert calls.empty


def test_empty_links_frame_changes_nothing():
    assert context_calls(SPANS, CTX, links=frames.empty("span_links")).equals(context_calls(SPANS, CTX))


def test_call_latency_wait_share_and_percentiles():
    spans = make_spans(
        [
            ("t1", "a", None, "SERVER", 0, 100),
            ("t1", "b1", "a", "INTERNAL", 10, 30),
            ("t1", "b2", "a", "INTERNAL", 40, 50),
            ("t2", "a", None, "SERVER", 0, 50),
            ("t2", "b3", "a", "INTERNAL", 0, 10),
            ("t2", "m", "a", "PRODUCER", 10, 11),
            ("t2", "n", "m", "CONSUMER", 60, 90),
        ]
    )
    ctx = contexts(["orders", "billing", "billing", "orders", "billing", "orders", "mail"])
    out = call_latency(spans, ctx).set_index(["caller", "callee", "mode"])
    sync = out.loc[("orders", "billing", "sync")]
    assert (sync["calls"], sync["caller_spans"], sync["caller_ms"]) == (3, 2, 150.0)
    assert sync["p50_ms"] == 10.0 and sync["p95_ms"] == pytest.approx(19.0) and sync["max_ms"] == 20.0
    assert sync["wait_share"] == pytest.approx(40 / 150)
    async_row = out.loc[("orders", "mail", "async")]
    assert async_row["calls"] == 1 and async_row["caller_ms"] == 1.0  # m, the producer span, is the caller
    assert math.isnan(async_row["wait_share"])
    assert call_latency(frames.empty("spans"), contexts([])).empty


def test_call_rows_name_the_caller_span():
    rows = call_rows(SPANS, CTX)
    by_callee = {SPANS["span_id"][r.callee_span]: SPANS["span_id"][r.caller_span] for r in rows.itertuples()}
    assert by_callee == {"c": "a", "d": "c", "h": "c", "f": "e"}


def test_service_dependencies_become_sync_context_calls():
    from analysis.measures.coupling.runtime import service_calls

    deps = pd.DataFrame({"parent": ["web", "web", "worker", "web"], "child": ["billing-svc", "worker", "billing-svc", "web"],
                         "call_count": [10, 4, 6, 99]})
    parent_ctx = pd.Series(["orders", "orders", "ingestion", "orders"], dtype="string")
    child_ctx = pd.Series(["billing", "ingestion", "billing", "orders"], dtype="string")
    out = service_calls(deps, parent_ctx, child_ctx)
    assert out[["caller", "callee", "mode", "calls"]].values.tolist() == [
        ["ingestion", "billing", "sync", 6], ["orders", "billing", "sync", 10], ["orders", "ingestion", "sync", 4]]
    assert out["mean_ms"].isna().all()
    assert service_calls(deps.iloc[:0], parent_ctx.iloc[:0], child_ctx.iloc[:0]).empty
