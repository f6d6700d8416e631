"""The runtime aggregation as SQL equals the file path's figures: on the sample's spans loaded
into chDB under the OpenTelemetry Collector exporter's exact table, and into DuckDB, and on a
small literal set with known answers."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from chdb import session as chdb_session

from analysis.core import frames
from analysis.core.config import ContextSpec, SpanRules, load_config
from analysis.core.frames import Mined
from analysis.core.privacy import mask_span_name
from analysis.mapping.attribution import db_span_contexts
from analysis.mapping.contexts import ContextMap
from analysis.mapping.units import map_units
from analysis.measures.coupling import runtime
from analysis.measures.metrics import load, observability
from analysis.measures.runtime import orchestration_of
from analysis.measures.runtime_sql import aggregate_spans, interpolate, percentile_ranks
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
        "latency": runtime.call_latency(spans, where, links if len(links) else None),
        "chains": runtime.call_chains(spans, where, min_contexts=2),  # the sample has no chain of three
        "orchestration": orchestration_of(spans, where),
    }


def assert_equal_figures(store_figures, expected: dict) -> None:
    pd.testing.assert_frame_equal(store_figures.calls, expected["calls"], check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(store_figures.curves, expected["curves"], check_exact=False, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(store_figures.statements, expected["statements"])
    # latency: percentiles, the slowest call and the counts exactly; sums of milliseconds to the last bits
    pd.testing.assert_frame_equal(store_figures.latency, expected["latency"], check_exact=False, rtol=1e-9)
    for column in ("caller", "callee", "mode", "calls", "caller_spans", "p50_ms", "p95_ms", "max_ms"):
        assert store_figures.latency[column].tolist() == expected["latency"][column].tolist(), column
    pd.testing.assert_frame_equal(store_figures.chains, expected["chains"])
    pd.testing.assert_frame_equal(store_figures.orchestration, expected["orchestration"][0])
    pd.testing.assert_frame_equal(store_figures.orchestrated, expected["orchestration"][1])
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
    got = aggregate_spans(store, units.context_map, chain_min_contexts=2)
    assert len(expected["latency"]) > 5 and len(expected["chains"]) > 5 and len(expected["orchestration"][0]) > 5
    assert len(expected["calls"]) > 5 and (expected["calls"]["mode"] == "async").any()  # the sample has both modes
    assert_equal_figures(got, expected)
    assert got.beyond_depth == 0


def test_sample_in_the_exporters_table_in_chdb_equals_the_file_path(sample, tmp_path):
    config, mined, units, expected = sample
    with open(config.traces[0].path, "rb") as fh:
        rows = list(otel_rows(fh))
    got = aggregate_spans(chdb_store(tmp_path, rows), units.context_map, chain_min_contexts=2)
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


def literal_frame(spans: list[dict] = LITERAL) -> tuple[pd.DataFrame, list[dict]]:
    """The spans as a file reader gives them (a name that is a statement masked) and as the
    exporter's rows (names as the application set them)."""
    rows, otel = [], []
    for s in spans:
        attrs = s["attrs"]
        rows.append({
            "trace_id": s["trace"], "span_id": s["sid"], "parent_span_id": s["parent"], "name": mask_span_name(s["name"]),
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
    # the db span as a statement of billing's, once; its tables read from the statement by ClickHouse's store
    # (the DuckDB store holds the reader's tables: none in this frame)
    assert got.db_statements[["context", "executions"]].values.tolist() == [["billing", 1]]
    fingerprint = got.db_statements["fingerprint"].iloc[0]
    assert got.db_tables.values.tolist() == ([] if engine == "duckdb" else [[fingerprint, "invoices", "read"]])


def literal_store(engine: str, spans: pd.DataFrame, otel: list[dict], tmp_path: Path):
    if engine == "duckdb":
        store = DuckDBStore(tmp_path / "s.duckdb")
        store.load_chunks([(spans, frames.empty("span_links"))])
        return store
    return chdb_store(tmp_path, otel)


# three traces: orders -> billing (twice, 10 ms each: a tie) -> mail; orders -> billing (40 ms);
# a root no rule matches, named by a statement holding a secret, -> billing -> mail
CALLS = [
    span("t1", "a", None, "Server", "GET /orders", 0, 100, **{"http.route": "/orders"}),
    span("t1", "b", "a", "Internal", "charge", 10, 20, **{"code.namespace": "shop.billing"}),
    span("t1", "m", "b", "Internal", "notify", 12, 15, **{"messaging.destination.name": "mail.q"}),
    span("t1", "b2", "a", "Internal", "charge", 30, 40, **{"code.namespace": "shop.billing"}),
    span("t2", "a", None, "Server", "GET /orders", 0, 50, **{"http.route": "/orders"}),
    span("t2", "b", "a", "Internal", "charge", 5, 45, **{"code.namespace": "shop.billing"}),
    span("t3", "r", None, "Server", "SELECT * FROM users WHERE token = 'S3CRET-TOKEN'", 0, 30),
    span("t3", "h", "r", "Internal", "charge", 0, 20, **{"code.namespace": "shop.billing"}),
    span("t3", "i", "h", "Internal", "notify", 5, 9, **{"messaging.destination.name": "mail.q"}),
]


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
def test_latency_chains_and_orchestration_of_literal_spans(engine, tmp_path):
    spans, otel = literal_frame(CALLS)
    cmap = ContextMap(CONTEXTS)
    got = aggregate_spans(literal_store(engine, spans, otel, tmp_path), cmap, chain_min_contexts=3)
    latency = {(r.caller, r.callee, r.mode): r for r in got.latency.itertuples()}
    billing = latency[("orders", "billing", "sync")]  # b, b2 (10 ms each) and t2's b (40 ms), under a (100) and a (50)
    assert (billing.calls, billing.caller_spans, billing.p50_ms, billing.max_ms, billing.caller_ms) == (3, 2, 10.0, 40.0, 150.0)
    assert billing.p95_ms == float(np.percentile([10.0, 10.0, 40.0], 95)) and billing.p95_ms == pytest.approx(37.0)
    assert billing.wait_share == pytest.approx(60 / 150)
    mail = latency[("billing", "mail", "sync")]  # m (3 ms) under b (10), i (4 ms) under h (20)
    assert (mail.calls, mail.caller_spans, mail.p50_ms, mail.max_ms, mail.caller_ms) == (2, 2, 3.5, 4.0, 30.0)
    assert mail.p95_ms == pytest.approx(3.95)
    assert got.chains.values.tolist() == [["orders > billing > mail", 1]]
    two = aggregate_spans(literal_store(engine, spans, otel, tmp_path / "again"), cmap, chain_min_contexts=2)
    assert two.chains.values.tolist() == [["orders > billing", 2], ["billing > mail", 1], ["orders > billing > mail", 1]]
    rows = {(r.entry_point, None if pd.isna(r.entry_context) else r.entry_context, r.contexts): r.traces
            for r in got.orchestration.itertuples()}
    assert rows == {("/orders", "orders", ("billing", "mail", "orders")): 1.0, ("/orders", "orders", ("billing", "orders")): 1.0,
                    ("SELECT * FROM users WHERE token = ?", None, ("billing", "mail")): 1.0}  # the secret masked
    assert got.orchestrated.values.tolist() == [["billing", "mail", 2.0], ["billing", "orders", 2.0], ["mail", "orders", 1.0]]
    # and the file path, on the spans as its readers give them, says the same
    where = cmap.assign_spans(spans)
    pd.testing.assert_frame_equal(got.latency, runtime.call_latency(spans, where))
    pd.testing.assert_frame_equal(got.chains, runtime.call_chains(spans, where, min_contexts=3))
    pd.testing.assert_frame_equal(got.orchestration, orchestration_of(spans, where)[0])
    pd.testing.assert_frame_equal(got.orchestrated, orchestration_of(spans, where)[1])


def test_percentiles_from_two_order_statistics_are_numpys_bit_for_bit():
    rng = random.Random(17)
    for n in [1, 2, 3, 4, 5, 19, 20, 21, 40, 41, 100, 101, 1000, 1001]:
        for _ in range(20):
            values = sorted(rng.choice([rng.random() * 1000, float(rng.randint(0, 5)), 1e-3 * rng.randint(1, 9)]) for _ in range(n))
            for q in (0, 1, 5, 50, 90, 95, 99, 100):
                lo, hi, gamma = percentile_ranks(n, q)
                assert 0 <= lo <= hi <= n - 1
                assert interpolate(values[lo], values[hi], gamma) == float(np.percentile(values, q)), (n, q)


# an auto-instrumented monolith: framework server spans and db client spans of one service
AUTO = [
    span("t1", "a", None, "Server", "GET /orders", 0, 100, **{"http.route": "/orders"}),
    span("t1", "b", "a", "Client", "SELECT", 10, 20, **{"db.system": "postgresql", "db.statement": "SELECT 1"}),
    span("t2", "c", None, "Server", "GET /mail", 0, 100, **{"http.route": "/mail"}),
]


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
def test_spans_that_cannot_show_a_call_inside_a_process_are_said_so_as_the_file_path_says(engine, tmp_path):
    from analysis.measures.runtime_store import store_calls_status

    cmap = ContextMap(CONTEXTS)
    for case, rows in {"auto": AUTO, "inside": LITERAL}.items():
        spans, otel = literal_frame(rows)
        got = aggregate_spans(literal_store(engine, spans, otel, tmp_path / case), cmap)
        with_context = got.coverage["spans"] - got.coverage["unassigned_spans"]
        status = store_calls_status(got.coverage, got.coverage["spans"], with_context, 1, True)
        assert (got.coverage["inside_spans"], got.coverage["services"]) == ((0, 1) if case == "auto" else (4, 1)), case
        assert status.state.value == ("not measurable" if case == "auto" else "measured"), case


# a SQL log's statements and an entry point inventory, looked up among the spans an engine holds

LINKED = [
    *LITERAL,
    # a db span whose own code names billing, called from orders' request: orders' code issued it
    span("t1", "g", "a", "Client", "SELECT", 80, 90, **{"db.system": "postgresql", "code.namespace": "shop.billing.db"}),
    # under the producer: its own context is none (never across the queue), orders' code issued it
    span("t1", "q", "d", "Internal", "serialize", 71, 72),
]


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
def test_statements_and_entry_points_are_looked_up_among_the_spans_as_the_file_path_does(engine, tmp_path):
    from analysis.mapping.attribution import attribute_statements
    from analysis.mapping.units import span_contexts

    spans, otel = literal_frame(LINKED)
    cmap = ContextMap(CONTEXTS)
    named = [("t1", "a"), ("t1", "c"), ("t1", "e"), ("t1", "g"), ("t1", "q"), ("t2", "f"), ("t9", "zz"), (None, None)]
    statements = frames.conform(pd.DataFrame({
        "trace_id": [t for t, _ in named], "parent_span_id": [s for _, s in named],
        "fingerprint": [f"fp{i}" for i in range(len(named))], "executions": [1] * len(named), "source": "log",
        "line": range(len(named)), "ts": pd.Timestamp(T0, tz="UTC"), "user": "app", "database": "shop",
        "duration_ms": 1.0}), "statements")
    inventory = pd.DataFrame({"kind": ["route", "job", "job", "consumer", "consumer"],
                              "name": ["/orders/", "shop.billing.api", "reports.nightly", "mail.out", "receive"]})
    got = aggregate_spans(literal_store(engine, spans, otel, tmp_path), cmap, max_depth=8,
                          sql_keys=statements[["trace_id", "parent_span_id"]].rename(columns={"parent_span_id": "span_id"}),
                          inventory=inventory)
    # f is held but has no context; zz is not held; the statement without a traceparent asks nothing
    issued = {(r.trace_id, r.span_id): (None if pd.isna(r.context) else r.context) for r in got.sql_spans.itertuples()}
    assert issued == {("t1", "a"): "orders", ("t1", "c"): "billing", ("t1", "e"): "mail", ("t1", "g"): "orders",
                      ("t1", "q"): "orders", ("t2", "f"): None}
    from_engine = attribute_statements(statements, frames.empty("spans"), pd.Series([], dtype="string"), cmap,
                                       linked_spans=got.sql_spans)
    from_file = attribute_statements(statements, spans, span_contexts(cmap, spans), cmap)
    pd.testing.assert_frame_equal(from_engine, from_file)
    assert from_file["context"].tolist()[:5] == ["orders", "billing", "mail", "orders", "orders"]
    # the inventory: the route once normalized, billing's job by its namespace, the consumer by
    # destination and by name; a job no span shows
    from analysis.measures.runtime_store import store_entry_counts

    traced = observability.entry_point_matches(inventory, store_entry_counts(got.entry_keys))
    pd.testing.assert_frame_equal(traced, observability.entry_point_traces(inventory, spans))
    assert traced["spans"].tolist() == [1, 1, 0, 1, 1]
