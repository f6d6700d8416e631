"""The runtime evidence's entry points: what a report may show of a span's names."""

from __future__ import annotations

import pandas as pd

from analysis.core import frames
from analysis.measures.runtime import orchestration_of

T0 = pd.Timestamp("2024-03-01T12:00:00Z")


def spans(rows):
    base = {"parent_span_id": None, "kind": "INTERNAL", "service": "shop", "start": T0, "end": T0, "duration_ms": 0.0,
            "is_error": False, "link_count": 0, "sampling_ratio": 1.0}
    return frames.conform(pd.DataFrame([{**base, "span_id": f"s{n}", **r} for n, r in enumerate(rows)]), "spans")


def test_entry_points_of_orchestrated_traces_show_names_without_their_values():
    frame = spans([
        {"trace_id": "t1", "kind": "SERVER", "name": "GET /reset/tok8f2c4a1b", "http_route": "/reset/8f2c4a1b9d7e"},
        {"trace_id": "t1", "parent_span_id": "s0", "name": "a"},
        {"trace_id": "t1", "parent_span_id": "s0", "name": "b"},
        {"trace_id": "t2", "kind": "CONSUMER", "name": "process", "messaging_destination": "reply.7f3e9a2b1c"},
        {"trace_id": "t2", "parent_span_id": "s3", "name": "a"},
        {"trace_id": "t2", "parent_span_id": "s3", "name": "b"},
        {"trace_id": "t3", "kind": "SERVER", "name": "GET /orders/{id}", "http_route": "/orders/{id}"},
        {"trace_id": "t3", "parent_span_id": "s6", "name": "a"},
        {"trace_id": "t3", "parent_span_id": "s6", "name": "b"},
    ])
    where = pd.Series([None, "orders", "billing"] * 3, dtype="string")
    orchestration, _ = orchestration_of(frame, where)
    entries = sorted(orchestration["entry_point"])
    assert entries == ["/orders/{id}", "/reset/{…}", "reply.{…}"]
