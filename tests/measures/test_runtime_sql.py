"""The runtime aggregation as SQL equals the file path's figures: on the sample's spans loaded
into chDB under the OpenTelemetry Collector exporter's exact table, and into DuckDB, and on a
small literal set with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pandas as pd
import pytest
from chdb import session as chdb_session

from analysis.core import frames
from analysis.core.config import ContextSpec, SpanRules, load_config
from analysis.core.frames import Mined
from analysis.mapping.attribution import db_span_contexts
from analysis.mapping.contexts import ContextMap
from analysis.mapping.units import map_units
from analysis.measures.coupling import runtime
from analysis.measures.metrics import load, observability
from analysis.measures.runtime_sql import aggregate_spans
from analysis.pipeline import mine
from analysis.sources.traces.store import OTEL_TRACES_DDL, ClickHouseStore, DuckDBStore, otel_rows

COUNTS = ("spans", "orphan_spans", "root_spans", "traces", "traces_with_missing_parent", "consumer_spans",
          "broken_async", "unassigned_spans", "contexts_with_spans", "contexts_without_spans", "context_span_coverage",
          "orphan_span_share", "broken_trace_share", "broken_async_share", "broken_async_by_context",
          "entry_points_traced", "unassigned_span_share", "attribute_completeness")


def chdb_store(tmp_path: Path, rows: list[dict], **options) -> ClickHouseStore:
    """The exporter's table in a chDB session, holding ``rows`` (JSONEachRow dicts)."""
    session = chdb_session.Session(str(tmp_path / "chdb"))
    session.query(OTEL_TRACES_DDL.format(table="default.otel_traces"))
    if rows:
        data = tmp_path / "rows.jsonl"
        data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
        session.query(f"INSERT INTO default.otel_traces FROM INFILE '{data}' FORMAT JSONEachRow")
    return ClickHouseStore(session=session, table="default.otel_traces", **options)


def file_path_figures(cmap: ContextMap, spans: pd.DataFrame, links: pd.DataFrame, where: pd.Series) -> dict:
    """Today's figures, from the spans frame."""
    return {
        "calls": runtime.context_calls(spans, where, links if len(links) else None),
        "curves": load.load_curves(spans, where, bucket_minutes=5),
        "coverage": observability.coverage(cmap.names, spans, where, frames.empty("statements"), pd.Series([], dtype="string")),
        "statements": db_span_contexts(spans, where).sort_values(["fingerprint", "context"]).reset_index(drop=True),
    }


def assert_equal_figures(store_figures, expected: dict) -> None:
    pd.testing.assert_frame_equal(store_figures.calls, expected["calls"], check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(store_figures.curves, expected["curves"], check_exact=False, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(store_figures.statements, expected["statements"])
    for key in COUNTS:
        got, want = store_figures.coverage[key], expected["coverage"][key]
        if isinstance(want, float) and math.isnan(want):
            assert math.isnan(got), key
        else:
            assert got == want, key


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from seams_sample import build_sample

    root = tmp_path_factory.mktemp("store-sample")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEAMS_CACHE_DIR", str(root / "cache"))
        config = load_config(build_sample(root / "sample", seed=7, scale="small"))
        mined = Mined.of(mine(config, only=["traces"])[0])
    units = map_units(config, mined)
    expected = file_path_figures(units.context_map, mined["spans"], mined["span_links"], units.span_context)
    return config, mined, units, expected


def test_sample_in_duckdb_equals_the_file_path(sample, tmp_path):
    config, mined, units, expected = sample
    store = DuckDBStore(tmp_path / "spans.duckdb")
    assert store.load_chunks([(mined["spans"], mined["span_links"])]) == len(mined["spans"])
    got = aggregate_spans(store, units.context_map)
    assert len(expected["calls"]) > 5 and (expected["calls"]["mode"] == "async").any()  # the sample has both modes
    assert_equal_figures(got, expected)
    assert got.beyond_depth == 0


def test_sample_in_the_exporters_table_in_chdb_equals_the_file_path(sample, tmp_path):
    config, mined, units, expected = sample
    with open(config.traces[0].path, "rb") as fh:
        rows = list(otel_rows(fh))
    got = aggregate_spans(chdb_store(tmp_path, rows), units.context_map)
    assert len(mined["span_links"]) > 0  # span links take part (async calls, adopted parents)
    assert_equal_figures(got, expected)


# --------------------------------------------------------------------------------------
# a small literal set with known answers

CONTEXTS = (
    ContextSpec(name="orders", spans=SpanRules(routes=("/orders*",))),
    ContextSpec(name="billing", spans=SpanRules(code_namespaces=("shop.billing",))),
    ContextSpec(name="mail", spans=SpanRules(messaging_destinations=("mail.*",))),
)
T0 = 1_700_000_000_000_000_000


def span(trace, sid, parent, kind, name, start_ms, end_ms, **attrs) -> dict:
    return {"trace": trace, "sid": sid, "parent": parent, "kind": kind, "name": name,
            "start": T0 + start_ms * 1_000_000, "end": T0 + end_ms * 1_000_000, "attrs": attrs,
            "error": attrs.pop("error", False)}


LITERAL = [
    # trace 1: orders (route) -> billing (code) -> db (inherits billing) ; orders -> producer -> consumer (mail)
    span("t1", "a", None, "Server", "GET /orders", 0, 100, **{"http.route": "/orders"}),
    span("t1", "b", "a", "Internal", "charge", 10, 60, **{"code.namespace": "shop.billing.api", "error": True}),
    span("t1", "c", "b", "Client", "SELECT", 20, 30, **{"db.system": "postgresql", "db.statement": "SELECT * FROM invoices WHERE id = 7"}),
    span("t1", "d", "a", "Producer", "send", 70, 75),
    span("t1", "e", "d", "Consumer", "receive", 200, 210, **{"messaging.destination.name": "mail.out"}),
    # trace 2: an orphan (its parent is not in the data) and a parent cycle x <-> y
    span("t2", "f", "missing", "Internal", "lost", 0, 5),
    span("t2", "x", "y", "Internal", "loop", 0, 5),
    span("t2", "y", "x", "Internal", "loop", 0, 5),
]


def literal_frame() -> tuple[pd.DataFrame, list[dict]]:
    rows, otel = [], []
    for s in LITERAL:
        attrs = s["attrs"]
        rows.append({
            "trace_id": s["trace"], "span_id": s["sid"], "parent_span_id": s["parent"], "name": s["name"],
            "kind": s["kind"].upper(), "service": "shop", "start": pd.Timestamp(s["start"], tz="UTC"),
            "end": pd.Timestamp(s["end"], tz="UTC"), "duration_ms": (s["end"] - s["start"]) / 1e6, "is_error": s["error"],
            "code_namespace": attrs.get("code.namespace"), "code_function": None, "http_route": attrs.get("http.route"),
            "db_system": attrs.get("db.system"), "db_fingerprint": "fp-invoices" if "db.statement" in attrs else None,
            "db_tables": None, "messaging_destination": attrs.get("messaging.destination.name"), "link_count": 0,
            "sampling_ratio": float("nan"), "attributes": None})
        otel.append({"Timestamp": f"{s['start'] // 10**9}.{s['start'] % 10**9:09d}", "TraceId": s["trace"], "SpanId": s["sid"],
                     "ParentSpanId": s["parent"] or "", "TraceState": "", "SpanName": s["name"], "SpanKind": s["kind"],
                     "ServiceName": "shop", "ResourceAttributes": {}, "ScopeName": "", "ScopeVersion": "",
                     "SpanAttributes": attrs, "Duration": s["end"] - s["start"],
                     "StatusCode": "Error" if s["error"] else "Unset", "StatusMessage": "",
                     "Links.TraceId": [], "Links.SpanId": [], "Links.TraceState": [], "Links.Attributes": []})
    return frames.conform(pd.DataFrame(rows), "spans"), otel


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
def test_literal_spans_give_the_known_figures(engine, tmp_path):
    spans, otel = literal_frame()
    cmap = ContextMap(CONTEXTS)
    if engine == "duckdb":
        store = DuckDBStore(tmp_path / "s.duckdb")
        store.load_chunks([(spans, frames.empty("span_links"))])
    else:
        store = chdb_store(tmp_path, otel)
    got = aggregate_spans(store, cmap, max_depth=8)
    calls = {(r.caller, r.callee, r.mode): (r.calls, r.total_ms, r.error_share) for r in got.calls.itertuples()}
    # b is billing's, called by orders' a (50 ms, an error); e is mail's, reached across the queue
    assert calls == {("orders", "billing", "sync"): (1, 50.0, 1.0), ("orders", "mail", "async"): (1, 10.0, 0.0)}
    cov = got.coverage
    # f names a parent not in the data; x and y name each other; only a is a root
    assert (cov["spans"], cov["orphan_spans"], cov["root_spans"], cov["traces"]) == (8, 1, 1, 2)
    assert cov["unassigned_spans"] == 3  # f, x, y (c inherits billing, d orders)
    assert got.beyond_depth == 2  # x and y walk their cycle until the bound
    load_by_context = got.curves.groupby("context")[["requests", "spans", "self_time_ms"]].sum()
    # a: 100 ms minus b (10-60) and d (70-75) = 45; b: 50 - c (10) = 40; c 10; d 5 (its consumer is outside it)
    assert load_by_context.loc["orders"].tolist() == [1, 2, 50.0]
    assert load_by_context.loc["billing"].tolist() == [0, 2, 50.0]
    assert load_by_context.loc["mail"].tolist() == [1, 1, 10.0]
    assert got.statements.to_dict("records")[0]["context"] == "billing"
