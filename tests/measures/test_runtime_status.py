"""Whether the traces can show calls between contexts at all."""

from __future__ import annotations

import pandas as pd

from analysis.core import frames
from analysis.core.evidence import State
from analysis.core.frames import Mined, SourceFrames
from analysis.measures.runtime import calls_status


def _spans(rows):
    base = {"start": pd.Timestamp("2024-01-01", tz="UTC"), "end": pd.Timestamp("2024-01-01", tz="UTC"),
            "duration_ms": 1.0, "is_error": False, "link_count": 0, "sampling_ratio": 1.0}
    return frames.conform(pd.DataFrame([base | r for r in rows]), "spans")


def test_two_services_without_spans_inside_a_process_are_measured_between_processes_only():
    spans = _spans([
        {"trace_id": "t1", "span_id": "a", "name": "GET api/x/", "kind": "SERVER", "service": "web"},
        {"trace_id": "t1", "span_id": "b", "parent_span_id": "a", "name": "enqueue", "kind": "PRODUCER", "service": "web"},
        {"trace_id": "t1", "span_id": "c", "parent_span_id": "b", "name": "job", "kind": "CONSUMER", "service": "worker"},
    ])
    mined = Mined.of({"traces": SourceFrames({"spans": spans}, 3, 0, [])})
    where = pd.Series(["x", "x", "y"], dtype="string")
    status = calls_status(mined, spans, where, frames.empty("service_dependencies"))
    assert status.state is State.MEASURED
    assert "between processes only (2 services" in status.reason and "within one process cannot show" in status.reason
    one = spans.assign(service="web")
    assert calls_status(mined, one, where, frames.empty("service_dependencies")).state is State.NOT_MEASURABLE
    inside = spans.assign(code_namespace=pd.Series([None, "shop.y", None], dtype="string"))  # the producer: inside
    assert "between processes" not in calls_status(mined, inside, where, frames.empty("service_dependencies")).reason


def test_a_jobs_function_on_its_consumer_span_is_not_a_span_inside_the_process():
    spans = _spans([
        {"trace_id": "t1", "span_id": "a", "name": "GET api/x/", "kind": "SERVER", "service": "web"},
        {"trace_id": "t1", "span_id": "c", "parent_span_id": "a", "name": "perform", "kind": "CONSUMER", "service": "worker",
         "code_namespace": "extras.webhooks"},
    ])
    mined = Mined.of({"traces": SourceFrames({"spans": spans}, 2, 0, [])})
    status = calls_status(mined, spans, pd.Series(["x", "y"], dtype="string"), frames.empty("service_dependencies"))
    assert status.state is State.MEASURED and "between processes only" in status.reason
