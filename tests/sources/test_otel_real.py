"""Real OpenTelemetry instrumentation: Seams recovers what a small real application does.

tests/fixtures/otel_app/tinyshop is a Flask application instrumented with the
OpenTelemetry SDK (Flask and sqlite3 instrumentations, manual spans with code.namespace).
A fixed request script drives it in-process; a tiny exporter writes the spans as OTLP/JSON
lines (the protobuf JSON mapping of ExportTraceServiceRequest, ids in hex as the
Collector's file exporter writes them, or base64 as protobuf's own mapping does). Seams
reads the file and must recover the module-to-module calls and the table access the
application is known to make (see the fixture's README).
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import orjson
import pandas as pd
import pytest

if os.environ.get("CI"):
    import flask  # noqa: F401
    import opentelemetry.sdk.trace  # noqa: F401  (CI installs it: fail loudly when missing)
pytest.importorskip("opentelemetry.sdk.trace")
pytest.importorskip("opentelemetry.instrumentation.flask")
pytest.importorskip("opentelemetry.instrumentation.sqlite3")
pytest.importorskip("opentelemetry.exporter.otlp.proto.common.trace_encoder")

from google.protobuf import json_format  # noqa: E402
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402

from analysis.core.config import ContextSpec, SpanRules, TraceSource  # noqa: E402
from analysis.core.frames import check, empty  # noqa: E402
from analysis.core.rejects import Rejects  # noqa: E402
from analysis.mapping.attribution import db_span_contexts  # noqa: E402
from analysis.mapping.contexts import ContextMap  # noqa: E402
from analysis.mapping.units import inherit_span_context  # noqa: E402
from analysis.measures.coupling.runtime import call_chains, call_latency, context_calls, sync_fan_in  # noqa: E402
from analysis.measures.metrics.load import load_curves, scaling_asymmetry, self_time  # noqa: E402
from analysis.measures.metrics.observability import coverage  # noqa: E402
from analysis.sources.traces.miner import mine_traces  # noqa: E402

APP_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "otel_app"
SPANS_PER_LINE = 5  # the Collector writes one export request (a batch of spans) per line


class OtlpJsonLinesExporter(SpanExporter):
    """Keeps the finished spans; ``write`` puts them in a file as OTLP/JSON lines."""

    def __init__(self) -> None:
        self.spans = []

    def export(self, spans) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def write(self, path: Path, *, hex_ids: bool) -> Path:
        with path.open("wb") as out:
            for start in range(0, len(self.spans), SPANS_PER_LINE):
                message = json_format.MessageToDict(encode_spans(self.spans[start:start + SPANS_PER_LINE]))
                if hex_ids:
                    _ids_to_hex(message)
                out.write(orjson.dumps(message) + b"\n")
        return path


def _ids_to_hex(message: dict) -> None:
    for resource in message["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if span.get(key):
                        span[key] = base64.b64decode(span[key]).hex()


def drive(app) -> None:
    """The request script: fixed order, fixed bodies."""
    client = app.test_client()
    assert client.get("/products/1").status_code == 200
    assert client.get("/products/2").status_code == 200
    for quantity in (2, 1, 3):
        assert client.post("/orders", json={"product_id": 1, "quantity": quantity}).status_code == 201
    assert client.post("/orders", json={"product_id": 2, "quantity": 0}).status_code == 400  # fails in billing
    assert client.get("/orders/1").status_code == 200


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    sys.path.insert(0, str(APP_DIR))
    try:
        from tinyshop.app import create_app

        exporter = OtlpJsonLinesExporter()
        provider = TracerProvider(resource=Resource.create({"service.name": "tinyshop"}))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        drive(create_app(provider))
        provider.shutdown()
    finally:
        sys.path.remove(str(APP_DIR))
        for name in [m for m in sys.modules if m == "tinyshop" or m.startswith("tinyshop.")]:
            del sys.modules[name]
    folder = tmp_path_factory.mktemp("otel")
    return {
        "hex": exporter.write(folder / "traces.jsonl", hex_ids=True),
        "base64": exporter.write(folder / "traces-base64.jsonl", hex_ids=False),
    }


CMAP = ContextMap(
    (
        ContextSpec("orders", tables=("orders",), spans=SpanRules(code_namespaces=("tinyshop.orders",), routes=("/orders", "/orders/*"))),
        ContextSpec("catalog", tables=("products",), spans=SpanRules(code_namespaces=("tinyshop.catalog",), routes=("/products/*",))),
        ContextSpec("billing", tables=("invoices",), spans=SpanRules(code_namespaces=("tinyshop.billing",), routes=("/invoices",))),
        ContextSpec("reporting", tables=("reports",)),  # declared, never traced
    )
)
ENTRY_POINTS = pd.DataFrame(
    {
        "kind": ["route"] * 4,
        "name": ["/products/<int:product_id>", "/orders", "/orders/<int:order_id>", "/invoices"],
        "context": ["catalog", "orders", "orders", "billing"],
    }
)


@pytest.fixture(scope="module")
def mined(exported):
    rejects = Rejects()
    result = mine_traces(TraceSource(path=exported["hex"]), rejects)
    spans = result.frames["spans"]
    context = inherit_span_context(spans, CMAP.assign_spans(spans))
    return spans, context, rejects


def test_every_span_is_read(mined):
    spans, _, rejects = mined
    check(spans, "spans")
    assert rejects.count() == 0
    # 2 product pages x 3 spans, 3 orders x 7, 1 failed order x 6 (no invoice insert), 1 order page x 3
    assert len(spans) == 36
    assert spans["trace_id"].nunique() == 7
    assert spans["kind"].value_counts().to_dict() == {"INTERNAL": 15, "CLIENT": 14, "SERVER": 7}
    assert spans["service"].unique().tolist() == ["tinyshop"]
    assert sorted(spans["http_route"].dropna().unique()) == ["/orders", "/orders/<int:order_id>", "/products/<int:product_id>"]
    assert spans["parent_span_id"].isna().sum() == 7  # one root per request


def test_base64_and_hex_ids_read_alike(exported, mined):
    other = mine_traces(TraceSource(path=exported["base64"]), Rejects()).frames["spans"]
    pd.testing.assert_frame_equal(other, mined[0])


def test_module_to_module_calls_are_recovered(mined):
    spans, context, _ = mined
    calls = context_calls(spans, context)
    got = {(r.caller, r.callee, r.mode): (r.calls, r.error_share) for r in calls.itertuples()}
    assert got == {("orders", "catalog", "sync"): (4, 0.0), ("orders", "billing", "sync"): (4, 0.25)}
    assert sync_fan_in(calls).values.tolist() == [["billing", 1, 4], ["catalog", 1, 4]]
    latency = call_latency(spans, context).set_index(["caller", "callee"])
    assert latency.loc[("orders", "billing"), "caller_spans"] == 4  # the four place_order spans
    assert 0 < latency.loc[("orders", "billing"), "wait_share"] < 1
    assert call_chains(spans, context).empty  # no chain crosses three contexts
    assert call_chains(spans, context, min_contexts=2).values.tolist() == [["orders > billing", 4], ["orders > catalog", 4]]


def test_table_access_per_context_is_recovered(mined):
    spans, context, _ = mined
    db = spans["db_system"] == "sqlite"
    assert db.sum() == 14 and spans.loc[db, "db_fingerprint"].notna().all()
    tables = pd.DataFrame({"context": context[db].to_numpy(), "table": spans.loc[db, "db_tables"].str.replace(r":[rw]", "", regex=True).to_numpy()})
    assert tables.value_counts().sort_index().to_dict() == {
        ("billing", "invoices"): 3, ("catalog", "products"): 6, ("orders", "orders"): 5,
    }
    by_fingerprint = db_span_contexts(spans, context)
    assert sorted(by_fingerprint[["context", "calls"]].itertuples(index=False, name=None)) == [
        ("billing", 3), ("catalog", 6), ("orders", 1), ("orders", 4),
    ]
    # the statement text never reaches the frame, only its fingerprint
    assert not spans.astype(str).apply(lambda col: col.str.contains("VALUES", regex=False)).any().any()


def test_load_and_coverage(mined):
    spans, context, _ = mined
    curves = load_curves(spans, context, bucket_minutes=60)
    requests = curves.groupby("context")["requests"].sum().to_dict()
    assert requests == {"billing": 0, "catalog": 2, "orders": 5}
    # in one process every child lies inside its parent: self times add up to the requests' time
    servers = spans["kind"] == "SERVER"
    assert self_time(spans).sum() == pytest.approx(spans.loc[servers, "duration_ms"].sum(), rel=1e-9)
    assert curves["self_time_ms"].sum() == pytest.approx(spans.loc[servers, "duration_ms"].sum(), rel=1e-9)
    assert set(scaling_asymmetry(curves)["context"]) == {"billing", "catalog", "orders"}

    cov = coverage(CMAP.names, spans, context, empty("statements"), pd.Series([], dtype="string"), entry_points=ENTRY_POINTS)
    assert cov["contexts_without_spans"] == ["reporting"] and cov["context_span_coverage"] == 0.75
    assert (cov["entry_points_declared"], cov["entry_points_declared_traced"]) == (4, 3)  # /invoices never requested
    assert cov["orphan_spans"] == 0 and cov["traces_with_missing_parent"] == 0
    completeness = cov["attribute_completeness"]
    assert completeness["http_route"] == {"with_attribute": 7, "spans": 7, "share": 1.0}
    assert completeness["code_namespace"] == {"with_attribute": 15, "spans": 15, "share": 1.0}
    assert completeness["db_fingerprint"] == {"with_attribute": 14, "spans": 14, "share": 1.0}
