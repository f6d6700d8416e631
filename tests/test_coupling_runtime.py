"""Runtime coupling from tiny literal traces with hand-computed calls and chains."""

import pandas as pd
import pytest

from analysis import frames
from analysis.attribution import context_ancestors
from analysis.coupling.runtime import call_chains, context_calls, sync_fan_in

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

