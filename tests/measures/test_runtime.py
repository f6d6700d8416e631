"""Runtime evidence on small literal inputs: the entry point inventory's trust, and what a
report may show of a span's names."""

from __future__ import annotations

import pandas as pd

from analysis.core import frames
from analysis.core.config import parse_config
from analysis.core.evidence import State
from analysis.core.frames import Mined, SourceFrames
from analysis.measures.runtime import inventory_status, orchestration_of

CONFIG = parse_config({"contexts": {"dcim": {"paths": ["netbox/dcim/**"]}}}, "seams.yml")


def mined(routes, counts=None):
    frame = frames.conform(pd.DataFrame({"kind": "route", "name": routes, "path": "netbox/dcim/urls.py",
                                         "line": range(1, len(routes) + 1), "framework": "django"}), "entry_points")
    return Mined.of({"entry_points": SourceFrames({"entry_points": frame}, 1, 0, [], counts or {})})


def test_an_inventory_that_followed_too_little_is_not_measurable():
    status = inventory_status(CONFIG, mined(["/dcim/sites/"], {"route_includes": 409, "route_includes_followed": 159}))
    assert status.state is State.NOT_MEASURABLE
    assert "followed 159 of 409" in status.reason and "(39%, min_entry_point_inventory_followed = 0.8)" in status.reason
    lenient = CONFIG.with_thresholds(min_entry_point_inventory_followed=0.3)
    assert inventory_status(lenient, mined(["/a/"], {"route_includes": 409, "route_includes_followed": 159})).state is State.MEASURED


def test_an_inventory_with_nothing_to_follow_or_everything_followed_is_measured():
    assert inventory_status(CONFIG, mined(["/a/", "/b/"])).reason == "2 entry points in the code"
    status = inventory_status(CONFIG, mined(["/a/"], {"route_includes": 10, "route_includes_followed": 9}))
    assert status.state is State.MEASURED and status.reason.endswith("9 of 10 include() calls and router registrations followed")


def test_no_inventory_is_not_measured():
    assert inventory_status(CONFIG, mined([])).state is State.NOT_MEASURED
    assert inventory_status(CONFIG, Mined.of({})).state is State.NOT_MEASURED



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
