"""Trace files read by DuckDB itself (analysis.sources.traces.engine_load): the same spans, values
and rejects as Seams' Python readers, or the Python readers when DuckDB cannot read a file alike."""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.core.config import ContextSpec, SpanRules, TraceSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.mapping.contexts import ContextMap
from analysis.measures.runtime_sql import aggregate_spans
from analysis.sources.traces import iter_span_chunks
from analysis.sources.traces.store import DuckDBStore, load_file, otel_rows

COLUMNS = ("trace_id, span_id, parent_span_id, kind, name, service, start_ns, end_ns, duration_ms, is_error, "
           "code_namespace, code_function, http_route, db_system, db_key, db_example, db_tables, messaging_destination, "
           "link_count, sampling_ratio, attributes")
T0 = 1_700_000_000_000_000_000
TRACE = "6513270E269E0D37F2A74DE452E6B438"  # upper case: read as lower case by both


def sv(key: str, value) -> dict:
    kind = "stringValue" if isinstance(value, str) else "boolValue" if isinstance(value, bool) else \
        "intValue" if isinstance(value, int) else "doubleValue"
    return {"key": key, "value": {kind: value}}


def span(sid: str, parent: str | None, name: str, kind: int | None, start_ms: float, ms: float, attrs=(), **more) -> dict:
    out = {"traceId": more.pop("trace", TRACE), "spanId": sid, "name": name,
           "startTimeUnixNano": str(T0 + int(start_ms * 1e6)), "endTimeUnixNano": str(T0 + int((start_ms + ms) * 1e6)),
           "attributes": list(attrs), **more}
    if parent is not None:
        out["parentSpanId"] = parent
    if kind is not None:
        out["kind"] = kind
    return out


def line(spans: list[dict], service: str | None = "shop", resource=()) -> bytes:
    attrs = ([sv("service.name", service)] if service else []) + list(resource)
    return orjson.dumps({"resourceSpans": [{"resource": {"attributes": attrs},
                                            "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}) + b"\n"


#: spans of every shape the native path takes: links, statements (one named by its SQL),
#: sampling by attribute and trace state, named and resource attributes, kinds absent or 0-5,
#: errors as numbers and names, ids in upper case, parents absent, empty or all zeros
VARIED = [
    line([span("00000000000000a1", None, "GET /orders/{id}", 2, 0, 10, [sv("http.route", "/orders/{id}"), sv("tier", "gold")],
               status={"code": 2}),
          span("00000000000000A2", "00000000000000a1", "handle", 1, 1, 4,
               [sv("code.namespace", "shop.billing.views"), sv("code.function", "pay"), sv("sampling.probability", 0.5)]),
          span("00000000000000a3", "00000000000000a1", "SELECT * FROM orders WHERE id = 7", 3, 2, 1,
               [sv("db.system", "postgresql"), sv("db.statement", "SELECT * FROM orders WHERE id = 7")],
               status={"code": "STATUS_CODE_ERROR"}),
          span("00000000000000a4", "", "publish", 4, 3, 1, [sv("messaging.destination.name", "invoices"),
                                                           sv("code.function.name", "shop.cart.send")],
               traceState="ot=th:8"),
          span("00000000000000a5", "0000000000000000", "consume", 5, 5, 2, [sv("messaging.destination", "invoices"),
                                                                          sv("rq.job.function", "shop.jobs.run"),
                                                                          sv("http.route", "")],
               links=[{"traceId": TRACE, "spanId": "00000000000000a4"}]),
          span("00000000000000a6", "00000000000000a5", "job", None, 6, 1, [sv("celery.task_name", "shop.tasks.mail"),
                                                                          sv("db.system", "redis"), sv("db.statement", "GET k")],
               status={"code": 1})],
         resource=[sv("tier", "silver"), sv("sampling.probability", "0.25")]),
    b"\n",
    line([span("00000000000000b1", None, "GET /cart", 0, 20, 3, [sv("http.route", "/cart"), sv("http.status_code", 500)],
               trace="1" * 32, status={})], service=None),
    line([span("00000000000000c1", None, "main", 1, 30, 2, [sv("code.function", "main"), sv("code.namespace", "shop.cli")],
               trace="2" * 32, links=[])], service="cli"),
]
CMAP = ContextMap((ContextSpec(name="orders", spans=SpanRules(routes=("/orders*",))),
                   ContextSpec(name="billing", spans=SpanRules(code_namespaces=("shop.billing",))),
                   ContextSpec(name="cart", spans=SpanRules(routes=("/cart*",), code_namespaces=("shop.cart",)))))


#: links the reader counts but cannot follow (no span id, not an object)
ODD_LINKS = line([span("00000000000000e1", None, "odd links", 1, 40, 1, trace="3" * 32,
                       links=[{"traceId": TRACE}, 7, {"traceId": TRACE, "spanId": "00000000000000a1"}])])


def both(path: Path, tmp_path: Path, **options) -> tuple[DuckDBStore, Rejects, DuckDBStore, Rejects, str]:
    """``path`` loaded by :func:`load_file` and by the Python readers, each into a store."""
    source = TraceSource(path, **options)
    native, native_rejects = DuckDBStore(tmp_path / "native.duckdb"), Rejects()
    how = load_file(native, source, native_rejects)
    python, python_rejects = DuckDBStore(tmp_path / "python.duckdb"), Rejects()
    python.load_chunks(iter_span_chunks(source, python_rejects))
    return native, native_rejects, python, python_rejects, how


def spans_of(store: DuckDBStore) -> pd.DataFrame:
    return store.frame(f"SELECT {COLUMNS} FROM seams_t ORDER BY trace_id, span_id")


def links_of(store: DuckDBStore) -> list:
    if not store.has_links:
        return []
    return store.frame("SELECT trace_id, span_id, linked_trace_id, linked_span_id FROM seams_links ORDER BY ord").values.tolist()


def test_duckdb_reads_otlp_lines_into_the_same_spans_as_the_python_reader(tmp_path):
    path = tmp_path / "varied.jsonl"
    path.write_bytes(b"".join(VARIED) + ODD_LINKS)
    native, native_rejects, python, python_rejects, how = both(path, tmp_path, attributes=("tier",))
    assert how == "duckdb"
    got, want = spans_of(native), spans_of(python)
    assert len(got) == 9
    pd.testing.assert_frame_equal(got, want)
    assert links_of(native) == links_of(python) == [[TRACE.lower(), "00000000000000a5", TRACE.lower(), "00000000000000a4"],
                                                    ["3" * 32, "00000000000000e1", TRACE.lower(), "00000000000000a1"]]
    assert got.set_index("span_id").loc["00000000000000e1", "link_count"] == 3
    assert native_rejects.count() == python_rejects.count() == 0
    # what the attributes decided, as the reader decides it
    by_id = got.set_index("span_id")
    assert by_id.loc["00000000000000a3", "name"] == "SELECT orders" and by_id.loc["00000000000000a3", "db_tables"] == "orders:r"
    assert by_id.loc["00000000000000a2", "sampling_ratio"] == 0.5 and by_id.loc["00000000000000a4", "sampling_ratio"] == 0.5
    assert by_id.loc["00000000000000a1", "sampling_ratio"] == 0.25  # the resource's
    assert by_id.loc["00000000000000a1", "attributes"] == '{"tier":"gold"}'
    assert by_id.loc["00000000000000b1", "service"] == "unknown_service"
    assert set(got.loc[got["is_error"], "span_id"]) == {"00000000000000a1", "00000000000000a3"}
    assert pd.isna(by_id.loc["00000000000000a4", "parent_span_id"]) and pd.isna(by_id.loc["00000000000000a5", "parent_span_id"])
    figures, expected = aggregate_spans(native, CMAP), aggregate_spans(python, CMAP)
    pd.testing.assert_frame_equal(figures.calls, expected.calls)
    pd.testing.assert_frame_equal(figures.curves, expected.curves)
    assert figures.coverage == expected.coverage


@pytest.mark.parametrize("odd", [
    pytest.param(line([span("00000000000000d1", None, "x", 1, 0, 1, trace="ZXhhbXBsZS10cmFjZS1pZA==")]), id="base64-id"),
    pytest.param(line([span("00000000000000d1", None, "x", "SPAN_KIND_SERVER", 0, 1)]), id="kind-name"),
    pytest.param(line([span("00000000000000d1", None, "x", 9, 0, 1)]), id="unknown-kind"),
    pytest.param(line([span("00000000000000a1", None, "again", 1, 0, 1)]), id="duplicate"),
    pytest.param(line([span("00000000000000d1", None, "x", 1, 5, -2)]), id="end-before-start"),
    pytest.param(line([span("0000000000000000", None, "x", 1, 0, 1)]), id="zero-span-id"),
    pytest.param(line([span("00000000000000d1", "abc", "x", 1, 0, 1)]), id="bad-parent"),
    pytest.param(line([{**span("00000000000000d1", None, "x", 1, 0, 1), "startTimeUnixNano": 1.5e18}]), id="float-time"),
    pytest.param(line([span("00000000000000d1", None, "x", 1, 0, 1, [sv("http.route", "r" * (2**20 + 1))])]), id="oversized"),
    pytest.param(line([span("00000000000000d1", None, "x", 1, 0, 1, links=[{"traceId": "q" * 32, "spanId": "1" * 16}])]),
                 id="odd-link-id"),
    pytest.param(b'{"foo": 1}\n', id="not-otlp"),
    pytest.param(b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 5}]}]}]}\n', id="wrong-type"),
    pytest.param(b'{"resourceSpans": [{"scopeSpans": [{"spans": [null]}]}]}\n', id="null-span"),
    pytest.param(b'{"resourceSpans": [\n', id="invalid-json"),
    pytest.param(orjson.dumps({"result": orjson.loads(line([span("00000000000000d1", None, "x", 1, 0, 1)]))}) + b"\n",
                 id="api-v3-envelope"),
])
def test_a_file_duckdb_cannot_read_alike_goes_to_the_python_readers(odd, tmp_path):
    path = tmp_path / "odd.jsonl"
    path.write_bytes(VARIED[0] + odd)
    native, native_rejects, python, python_rejects, how = both(path, tmp_path)
    assert how == "python"
    pd.testing.assert_frame_equal(spans_of(native), spans_of(python))
    assert native_rejects.records == python_rejects.records and native_rejects.counts == python_rejects.counts


def test_gzip_and_whole_documents_go_to_the_python_readers(tmp_path):
    import gzip

    packed = tmp_path / "t.jsonl.gz"
    packed.write_bytes(gzip.compress(VARIED[0]))
    document = tmp_path / "doc.json"
    document.write_bytes(orjson.dumps(orjson.loads(VARIED[0]), option=orjson.OPT_INDENT_2))
    for path in (packed, document):
        native, _, python, _, how = both(path, tmp_path / f"db-{path.stem}")
        assert how == "python" and len(spans_of(native)) == 6
        pd.testing.assert_frame_equal(spans_of(native), spans_of(python))


# --------------------------------------------------------------------------------------
# Parquet exports of the exporter's otel_traces


def write_parquet(path: Path, rows: list[dict]) -> None:
    """``rows`` (the exporter's rows, as :func:`otel_rows` gives them) as a Parquet file
    with the exporter's column names and types."""
    texts = pa.map_(pa.string(), pa.string())
    table = pa.table({
        "Timestamp": pa.array([int(r["Timestamp"].replace(".", "")) for r in rows], pa.timestamp("ns", tz="UTC")),
        **{c: pa.array([r[c] for r in rows], pa.string()) for c in ("TraceId", "SpanId", "ParentSpanId", "TraceState",
                                                                      "SpanName", "SpanKind", "ServiceName")},
        "ResourceAttributes": pa.array([list(r["ResourceAttributes"].items()) for r in rows], texts),
        "ScopeName": pa.array([r["ScopeName"] for r in rows], pa.string()),
        "SpanAttributes": pa.array([list(r["SpanAttributes"].items()) for r in rows], texts),
        "Duration": pa.array([r["Duration"] for r in rows], pa.uint64()),
        "StatusCode": pa.array([r["StatusCode"] for r in rows], pa.string()),
        "Links.TraceId": pa.array([r["Links.TraceId"] for r in rows], pa.list_(pa.string())),
        "Links.SpanId": pa.array([r["Links.SpanId"] for r in rows], pa.list_(pa.string())),
    })
    pq.write_table(table, path)


def test_a_parquet_export_gives_the_runtime_figures_of_the_same_spans_in_otlp_json(tmp_path):
    jsonl = tmp_path / "spans.jsonl"
    lines = [text for text in VARIED if text.strip()]
    jsonl.write_bytes(b"".join(lines))
    rows = list(otel_rows(lines))
    # the exporter keeps only span attributes as text: drop the sampling ratio that is a double in OTLP
    for r in rows:
        r["SpanAttributes"].pop("sampling.probability", None)
    write_parquet(tmp_path / "spans.parquet", rows)
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(jsonl.read_bytes().replace(b',{"key":"sampling.probability","value":{"doubleValue":0.5}}', b""))
    from_parquet, rejects = DuckDBStore(tmp_path / "p.duckdb"), Rejects()
    assert load_file(from_parquet, TraceSource(tmp_path / "spans.parquet", format="otel-parquet", attributes=("tier",)),
                     rejects) == "duckdb"
    from_json = DuckDBStore(tmp_path / "j.duckdb")
    from_json.load_chunks(iter_span_chunks(TraceSource(plain, attributes=("tier",)), Rejects()))
    assert rejects.count() == 0
    pd.testing.assert_frame_equal(spans_of(from_parquet), spans_of(from_json))
    assert links_of(from_parquet) == links_of(from_json) != []
    figures, expected = aggregate_spans(from_parquet, CMAP), aggregate_spans(from_json, CMAP)
    assert len(expected.calls) and len(expected.curves)
    pd.testing.assert_frame_equal(figures.calls, expected.calls)
    pd.testing.assert_frame_equal(figures.curves, expected.curves)
    pd.testing.assert_frame_equal(figures.statements, expected.statements)
    assert figures.coverage == expected.coverage


def test_parquet_rows_with_bad_ids_or_twice_are_rejected_and_counted(tmp_path):
    rows = list(otel_rows([VARIED[0]]))
    rows[1]["TraceId"] = "not-an-id"
    rows[2]["SpanId"] = "0" * 16
    rows[3]["ParentSpanId"] = "xyz"
    rows.append(dict(rows[0], SpanName="again"))  # the first one is kept
    write_parquet(tmp_path / "t.parquet", rows)
    store, rejects = DuckDBStore(tmp_path / "t.duckdb"), Rejects()
    load_file(store, TraceSource(tmp_path / "t.parquet", format="otel-parquet"), rejects)
    assert sorted((r.reason, r.records) for r in rejects.records) == [
        ("duplicate span id", 1), ("invalid parent span id", 1), ("missing or invalid span id", 1),
        ("missing or invalid trace id", 1)]
    got = spans_of(store)
    assert len(got) == 3 and "again" not in set(got["name"])


def test_a_parquet_file_without_the_exporters_columns_is_one_error_naming_them(tmp_path):
    pq.write_table(pa.table({"TraceId": ["a"], "SpanId": ["b"]}), tmp_path / "x.parquet")
    with pytest.raises(SourceError) as caught:
        load_file(DuckDBStore(tmp_path / "x.duckdb"), TraceSource(tmp_path / "x.parquet", format="otel-parquet"), Rejects())
    assert "Timestamp" in str(caught.value) and "SpanAttributes" in str(caught.value)


def test_a_parquet_source_is_always_aggregated_in_an_engine(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1")
    assert TraceSource(path, format="otel-parquet", engine_min_bytes=2**30).uses_engine()
    assert not TraceSource(path, engine_min_bytes=2**30).uses_engine()
