"""Spans to contexts: which kind of rule decided, and the names no rule matches."""

import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import ContextSpec, SpanRules
from analysis.mapping.attribution import span_rule_kinds, unassigned_span_names
from analysis.mapping.contexts import ContextMap

T0 = pd.Timestamp("2024-03-01T12:00:00Z")

CMAP = ContextMap(
    (
        ContextSpec("orders", paths=("shop/orders/**",), spans=SpanRules(routes=("/orders/*",))),
        ContextSpec("billing", spans=SpanRules(code_namespaces=("shop.billing",), messaging_destinations=("invoice.*",))),
        ContextSpec("search", spans=SpanRules(span_names=("search *",), services=("search-*",))),
        ContextSpec("catalog", spans=SpanRules(routes=("/orders/catalog/*",))),
    )
)


def make_spans(rows):
    """rows: dicts of span attributes over a neutral base."""
    base = {"trace_id": "t", "parent_span_id": None, "kind": "INTERNAL", "service": "shop", "start": T0, "end": T0,
            "duration_ms": 0.0, "is_error": False, "link_count": 0}
    return frames.conform(pd.DataFrame([{**base, "span_id": f"s{n}", **r} for n, r in enumerate(rows)]), "spans")


SPANS = make_spans(
    [
        {"name": "GET /orders/{id}", "kind": "SERVER", "http_route": "/orders/*", "code_namespace": "shop.billing.api"},
        {"name": "GET /orders/{id}", "kind": "SERVER", "http_route": "/orders/<id>"},
        {"name": "GET /orders/catalog/x", "kind": "SERVER", "http_route": "/orders/catalog/x"},
        {"name": "process", "kind": "CONSUMER", "messaging_destination": "invoice.paid"},
        {"name": "search products"},
        {"name": "index", "service": "search-indexer"},
        {"name": "SELECT orders", "kind": "CLIENT"},
        {"name": "SELECT orders", "kind": "CLIENT"},
        {"name": "SELECT orders", "kind": "INTERNAL", "service": "worker"},
        {"name": "render"},
        {"name": "shop.orders.views", "code_namespace": "shop.orders.views"},
    ]
)


def test_rule_kinds_in_precedence_order():
    out = span_rule_kinds(SPANS, CMAP)
    assert out["rule"].tolist() == [
        "code_namespace",  # the namespace wins over the route
        "route",
        "route",  # the longer route glob (catalog) wins
        "messaging_destination",
        "span_name",
        "service",
        "unassigned", "unassigned", "unassigned", "unassigned",
        "code_namespace",  # derived from the path glob shop/orders/**
    ]
    assert out["context"].tolist()[:6] == ["billing", "orders", "catalog", "billing", "search", "search"]
    # the same contexts as the context map itself
    assert out["context"].astype(object).fillna("-").tolist() == CMAP.assign_spans(SPANS).astype(object).fillna("-").tolist()


def test_rule_kinds_keep_the_index_and_handle_empty():
    spans = SPANS.iloc[[4]].set_axis([99])
    assert span_rule_kinds(spans, CMAP).index.tolist() == [99]
    empty = span_rule_kinds(frames.empty("spans"), CMAP)
    assert empty.empty and list(empty.columns) == ["context", "rule"]


def test_unassigned_span_names_most_common_first():
    ctx = CMAP.assign_spans(SPANS)
    out = unassigned_span_names(SPANS, ctx)
    assert list(out.columns) == ["name", "kind", "services", "spans", "share"]
    assert out.values.tolist() == [["SELECT orders", "CLIENT", 2, 3, 0.75], ["render", "INTERNAL", 1, 1, 0.25]]
    assert unassigned_span_names(SPANS, ctx, top=1)["name"].tolist() == ["SELECT orders"]
    with pytest.raises(ValueError):
        unassigned_span_names(SPANS, ctx, top=0)


def test_unassigned_span_names_none_missing_and_empty():
    assert unassigned_span_names(SPANS, pd.Series(["x"] * len(SPANS), dtype="string")).empty
    assert unassigned_span_names(frames.empty("spans"), pd.Series([], dtype="string")).empty
    with pytest.raises(ValueError):
        unassigned_span_names(SPANS, pd.Series(["x"], dtype="string"))


def test_route_rules_match_django_routes_as_the_instrumentation_writes_them():
    from analysis.core.config import ContextSpec, SpanRules
    from analysis.mapping.contexts import ContextMap

    cmap = ContextMap((ContextSpec("dcim", spans=SpanRules(routes=("/api/dcim/*", "/dcim/*"))),
                       ContextSpec("ipam", spans=SpanRules(routes=("api/ipam/*",)))))
    spans = pd.DataFrame({"http_route": pd.Series(["api/dcim/devices/$", "api/dcim/devices/(?P<pk>[^/.]+)/$",
                                                   "dcim/devices/<int:pk>/", "api/ipam/prefixes/<int:pk>/available-ips/",
                                                   "api/circuits/circuits/$"], dtype="string")})
    assert list(cmap.assign_spans(spans).astype(object)) == ["dcim", "dcim", "dcim", "ipam", pd.NA]


def test_unassigned_span_names_show_no_value_and_group_by_shape():
    spans = make_spans([{"name": "GET /reset/tok8f2c4a1b"}, {"name": "GET /reset/tok91ab3c2d"}, {"name": "render"}])
    out = unassigned_span_names(spans, pd.Series([None] * 3, dtype="string"))
    assert out[["name", "spans"]].values.tolist() == [["GET /reset/{…}", 2], ["render", 1]]


def test_rules_on_a_named_attribute_come_first_and_read_the_kept_attributes():
    from analysis.core.config import parse_config
    from analysis.mapping.contexts import ContextMap

    config = parse_config({"contexts": {
        "extras": {"paths": ["netbox/extras/**"], "spans": {"attributes": {"rq.job.function": ["extras.*"]}}},
        "tenancy": {"spans": {"attributes": {"tenant.tier": ["gold", "silver"]}}},
        "dcim": {"paths": ["netbox/dcim/**"], "spans": {"code_namespaces": ["extras.webhooks"]}},
    }}, "seams.yml")
    cmap = ContextMap(config.contexts)
    spans = pd.DataFrame({
        "code_namespace": pd.Series(["extras.webhooks", "extras.webhooks", None, None], dtype="string"),
        "attributes": pd.Series(['{"rq.job.function":"extras.webhooks.send"}', None, '{"tenant.tier":"gold"}',
                                 '{"tenant.tier":"bronze"}'], dtype="string")})
    # the attribute rule wins over a declared code namespace; without the attribute the namespace decides
    assert list(cmap.assign_spans(spans).astype(object)) == ["extras", "dcim", "tenancy", pd.NA]
    assert config.contexts[1].spans.attributes == (("tenant.tier", ("gold", "silver")),)  # a context of span rules only


def test_trace_sources_keep_the_attributes_the_rules_name(tmp_path):
    from analysis.core.config import parse_config

    traces = tmp_path / "t.jsonl"
    traces.write_text("{}\n")
    config = parse_config({"sources": {"traces": [{"path": str(traces)}]}, "contexts": {
        "a": {"spans": {"attributes": {"rq.job.function": ["a.*"], "tenant.tier": ["x"]}}},
        "b": {"spans": {"attributes": {"rq.job.function": ["b.*"]}}}}}, tmp_path / "seams.yml")
    assert config.traces[0].attributes == ("rq.job.function", "tenant.tier")


def test_code_read_from_a_sub_folder_is_matched_by_the_repositorys_globs(tmp_path):
    from analysis.core.config import parse_config
    from analysis.mapping.contexts import ContextMap

    checkout = tmp_path / "netbox-checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "netbox" / "dcim").mkdir(parents=True)
    raw = {"sources": {"git": {"repository": str(checkout)}, "imports": {"repository": str(checkout / "netbox")}},
           "contexts": {"dcim": {"paths": ["netbox/dcim/**"]}}}
    config = parse_config(raw, tmp_path / "seams.yml")
    assert config.code_root == "netbox/"
    cmap = ContextMap(config.contexts, code_root=config.code_root)
    paths = pd.Series(["dcim/models.py", "ipam/models.py"], dtype="string")
    assert list(cmap.assign_code_paths(paths).astype(object)) == ["dcim", pd.NA]
    same = parse_config({**raw, "sources": {"git": {"repository": str(checkout)}, "imports": {"repository": str(checkout)}}},
                        tmp_path / "seams.yml")
    assert same.code_root == ""
