"""OTLP/JSON trace reader: inline documents with known answers, bad input, and the public samples."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import TraceSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources import sqltext
from analysis.sources.traces.miner import (
    DUPLICATE_SPAN,
    NOT_A_TRACE_FILE,
    NOT_OTLP,
    mine_traces,
    parse_otlp_json,
    split_function_name,
)

NA = pd.NA
TRACE = "5b8efff798038103d269b633813fc60c"
TRACE2 = "0af7651916cd43dd8448eb211c80319c"
T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z in unix nanoseconds


def span(span_id="00f067aa0ba902b7", trace_id=TRACE, parent="", name="GET /orders", start=T0, end=T0 + 2_500_000,
         **fields) -> dict:
    """A span as the OTLP/JSON encoding writes it (times as strings)."""
    out = {"traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "name": name,
           "startTimeUnixNano": str(start), "endTimeUnixNano": str(end)}
    out.update(fields)
    return out


def attrs(**values) -> list[dict]:
    """Attributes from keyword arguments; ``__`` in a name stands for a dot."""
    out = []
    for key, value in values.items():
        any_value = value if isinstance(value, dict) else {"stringValue": value}
        out.append({"key": key.replace("__", "."), "value": any_value})
    return out


def request(*spans, service="shopfront") -> dict:
    resource = {"attributes": attrs(service__name=service)} if service else {}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "lib"}, "spans": list(spans)}]}]}


def jsonl(*messages) -> bytes:
    return b"".join(orjson.dumps(m) + b"\n" for m in messages)


def mine(tmp_path: Path, content: bytes | str, name="traces.jsonl", rejects: Rejects | None = None):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    rejects = rejects if rejects is not None else Rejects()
    result = mine_traces(TraceSource(path), rejects)
    frames.check(result.frames["spans"], "spans")
    return result, rejects, str(path)


def rejected(message) -> list[tuple[str, str]]:
    """(reason, location) of every reject filed for one message."""
    rejects = Rejects()
    parse_otlp_json(message, rejects)
    return [(r.reason, r.location) for r in rejects.records]


def one_span(message) -> dict:
    frame = frames.check(parse_otlp_json(message), "spans")
    assert len(frame) == 1
    return {column: frame[column].iloc[0] for column in frame}  # keeps <NA> as <NA>


# --------------------------------------------------------------------------------------
# the pure parser


def test_a_server_span_becomes_one_row_with_every_column():
    message = request(span(
        parent="EEE19B7EC3C1B173", kind=2, status={"code": 2},
        attributes=attrs(http__route="/orders/{id}", code__namespace="shopfront.orders.views", code__function="create"),
        links=[{"traceId": TRACE2, "spanId": "b7ad6b7169203331"}],
    ))
    row = one_span(message)
    assert row == {
        "trace_id": TRACE, "span_id": "00f067aa0ba902b7", "parent_span_id": "eee19b7ec3c1b173",
        "name": "GET /orders", "kind": "SERVER", "service": "shopfront",
        "start": pd.Timestamp("2023-11-14T22:13:20", tz="UTC"),
        "end": pd.Timestamp("2023-11-14T22:13:20.0025", tz="UTC"), "duration_ms": 2.5, "is_error": True,
        "code_namespace": "shopfront.orders.views", "code_function": "create", "http_route": "/orders/{id}",
        "db_system": NA, "db_fingerprint": NA, "db_tables": NA, "messaging_destination": NA, "link_count": 1,
        "sampling_ratio": row["sampling_ratio"], "attributes": NA,
    }
    assert np.isnan(row["sampling_ratio"])


def test_nanoseconds_are_kept_exactly_and_unknown_kinds_read_as_unspecified():
    row = one_span(request(span(kind="SPAN_KIND_SERVER", start=T0 + 1, end=T0 + 2_500_003)))
    assert row["start"].value == T0 + 1 and row["end"].value == T0 + 2_500_003
    assert one_span(request(span(kind=9)))["kind"] == "UNSPECIFIED"


def test_hex_ids_of_any_case_are_lower_cased_and_base64_ids_decoded():
    trace_bytes, span_bytes, parent_bytes = bytes.fromhex(TRACE), bytes.fromhex("00f067aa0ba902b7"), bytes.fromhex("ffeeddccbbaa9988")
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    row = one_span(request(span(trace_id=b64(trace_bytes), span_id=b64(span_bytes), parent=b64(parent_bytes))))
    assert (row["trace_id"], row["span_id"], row["parent_span_id"]) == (TRACE, "00f067aa0ba902b7", "ffeeddccbbaa9988")
    # URL-safe alphabet without padding (some exporters), and upper-case hex
    urlsafe = base64.urlsafe_b64encode(bytes.fromhex("fbff" * 8)).decode().rstrip("=")
    row = one_span(request(span(trace_id=urlsafe, span_id="00F067AA0BA902B7")))
    assert (row["trace_id"], row["span_id"]) == ("fbff" * 8, "00f067aa0ba902b7")


@pytest.mark.parametrize("parent", ["", None, "0000000000000000", "AAAAAAAAAAA="])
def test_empty_missing_or_all_zero_parent_is_a_root(parent):
    s = span(parent=parent)
    if parent is None:
        del s["parentSpanId"]
    assert one_span(request(s))["parent_span_id"] is NA


@pytest.mark.parametrize("trace_id, span_id, parent, reason", [
    (None, "00f067aa0ba902b7", "", "missing or invalid trace id"),
    ("", "00f067aa0ba902b7", "", "missing or invalid trace id"),
    ("xxxxx", "00f067aa0ba902b7", "", "missing or invalid trace id"),
    ("0" * 32, "00f067aa0ba902b7", "", "missing or invalid trace id"),
    (TRACE[:16], "00f067aa0ba902b7", "", "missing or invalid trace id"),
    (TRACE, None, "", "missing or invalid span id"),
    (TRACE, "0" * 16, "", "missing or invalid span id"),
    (TRACE, "00f067aa0ba902bz", "", "missing or invalid span id"),
    (TRACE, "00f067aa0ba902b7", "xxxxx", "invalid parent span id"),
])
def test_spans_without_readable_ids_are_rejected_with_a_reason(trace_id, span_id, parent, reason):
    s = span(trace_id=trace_id, span_id=span_id, parent=parent)
    for key, value in (("traceId", trace_id), ("spanId", span_id)):
        if value is None:
            del s[key]
    rejects = Rejects()
    frame = parse_otlp_json(request(span(span_id="1111111111111111"), s), rejects)
    assert [(r.reason, r.location) for r in rejects.records] == [(reason, "resourceSpans[0].scopeSpans[0].spans[1]")]
    assert list(frame["span_id"]) == ["1111111111111111"]  # the rest is kept


def test_times_as_numbers_or_strings_and_bad_times_are_rejected():
    numeric = span(start=0, end=0)
    numeric["startTimeUnixNano"], numeric["endTimeUnixNano"] = T0, T0 + 1_000_000
    assert one_span(request(numeric))["duration_ms"] == 1.0
    zero_length = one_span(request(span(end=T0)))
    assert zero_length["duration_ms"] == 0.0

    ends_early = span(end=T0 - 1)
    no_start = span()
    del no_start["startTimeUnixNano"]
    unset_end = span(end=0)  # proto3 default: not set
    garbage = span()
    garbage["startTimeUnixNano"] = "yesterday"
    huge = span(end=10**30)
    endless = span()
    endless["endTimeUnixNano"] = "9" * 5000
    reasons = [reason for reason, _ in rejected(request(ends_early, no_start, unset_end, garbage, huge, endless))]
    assert reasons == ["end before start", "missing or invalid start time", "missing or invalid end time",
                       "missing or invalid start time", "missing or invalid end time",
                       "missing or invalid end time"]


@pytest.mark.parametrize("kind, expected", [
    (None, "UNSPECIFIED"), (0, "UNSPECIFIED"), (1, "INTERNAL"), (2, "SERVER"), (3, "CLIENT"), (4, "PRODUCER"),
    (5, "CONSUMER"), ("SPAN_KIND_CONSUMER", "CONSUMER"), ("SPAN_KIND_CLIENT", "CLIENT"), ("3", "CLIENT"),
    (6, "UNSPECIFIED"), ("SPAN_KIND_SIDEWAYS", "UNSPECIFIED"), (True, "UNSPECIFIED"), ([2], "UNSPECIFIED"),
])
def test_kinds_as_numbers_or_names(kind, expected):
    s = span() if kind is None else span(kind=kind)
    assert one_span(request(s))["kind"] == expected


@pytest.mark.parametrize("status, is_error", [
    ({"code": 2}, True), ({"code": "STATUS_CODE_ERROR", "message": "boom"}, True), ({"code": 1}, False),
    ({"code": "STATUS_CODE_OK"}, False), ({}, False), (None, False), ({"code": 0}, False),
])
def test_error_status(status, is_error):
    s = span() if status is None else span(status=status)
    assert one_span(request(s))["is_error"] == is_error


def test_links_are_counted():
    three = [{"traceId": TRACE2, "spanId": f"{n:016x}"} for n in (1, 2, 3)]
    assert one_span(request(span(links=three)))["link_count"] == 3
    assert one_span(request(span(links=[])))["link_count"] == 0
    assert one_span(request(span()))["link_count"] == 0


def test_service_name_from_the_resource_or_unknown_service():
    assert one_span(request(span(), service="billing"))["service"] == "billing"
    assert one_span(request(span(), service=None))["service"] == "unknown_service"


def test_old_semantic_conventions():
    row = one_span(request(span(attributes=attrs(
        code__namespace="shopfront.billing.invoices", code__function="issue",
        db__system="postgresql", db__statement="SELECT id FROM invoices",
        messaging__destination="billing.events",
    ))))
    assert (row["code_namespace"], row["code_function"]) == ("shopfront.billing.invoices", "issue")
    assert row["db_system"] == "postgresql" and row["db_tables"] == "invoices:r"
    assert row["messaging_destination"] == "billing.events"


def test_new_semantic_conventions():
    row = one_span(request(span(attributes=attrs(
        code__function__name="shopfront.billing.invoices.issue",
        db__system__name="postgresql", db__query__text="SELECT id FROM invoices",
        messaging__destination__name="billing.events",
    ))))
    assert (row["code_namespace"], row["code_function"]) == ("shopfront.billing.invoices", "issue")
    assert row["db_system"] == "postgresql" and row["db_tables"] == "invoices:r"
    assert row["db_fingerprint"] == sqltext.fingerprint(sqltext.normalize("SELECT id FROM invoices"))
    assert row["messaging_destination"] == "billing.events"


def test_new_names_win_over_old_ones_and_explicit_namespace_over_a_split():
    row = one_span(request(span(attributes=attrs(
        db__statement="SELECT 1 FROM old_table", db__query__text="SELECT 1 FROM new_table",
        db__system="postgresql", db__system__name="mysql",
        messaging__destination="old.topic", messaging__destination__name="new.topic",
        code__namespace="pkg.Explicit", code__function="run", code__function__name="other.module.go",
    ))))
    assert (row["db_tables"], row["db_system"], row["messaging_destination"]) == ("new_table:r", "mysql", "new.topic")
    assert (row["code_namespace"], row["code_function"]) == ("pkg.Explicit", "run")


@pytest.mark.parametrize("qualified, expected", [
    ("pkg.mod.func", ("pkg.mod", "func")),
    ("com.example.MyHttpService.serveRequest", ("com.example.MyHttpService", "serveRequest")),
    ("GuzzleHttp\\Client::transfer", ("GuzzleHttp\\Client", "transfer")),
    ("fopen", (None, "fopen")),
    (".hidden", (None, ".hidden")),
    ("trailing.", (None, "trailing.")),
])
def test_split_function_name(qualified, expected):
    assert split_function_name(qualified) == expected


def test_int_values_as_strings_or_numbers():
    as_string = one_span(request(span(attributes=attrs(messaging__destination__name={"intValue": "42"}))))
    as_number = one_span(request(span(attributes=attrs(messaging__destination__name={"intValue": 42}))))
    assert as_string["messaging_destination"] == as_number["messaging_destination"] == "42"
    unrelated = one_span(request(span(attributes=attrs(http__response__status_code={"intValue": "200"},
                                                       http__route={"intValue": "not a number"},
                                                       messaging__destination__name={"intValue": "9" * 5000}))))
    assert unrelated["http_route"] is NA and unrelated["messaging_destination"] is NA


def test_db_statement_literals_never_reach_the_frame():
    statement = ("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
                 "WHERE c.email = 'alice@example.com' AND o.total > 4711")
    message = request(
        span(span_id="1111111111111111", name=statement, kind=3,
             attributes=attrs(db__system="postgresql", db__statement=statement)),
        span(span_id="2222222222222222", name="UPDATE stock", kind=3,
             attributes=attrs(db__system__name="postgresql",
                              db__query__text="UPDATE stock SET qty = 3 WHERE sku IN (SELECT sku FROM items WHERE id = 99)")),
    )
    frame = frames.check(parse_otlp_json(message), "spans")
    cells = [str(v) for v in frame.astype(str).to_numpy().ravel()]
    for literal in ("alice@example.com", "4711", "99", "email"):
        assert not any(literal in cell for cell in cells), literal
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["db_fingerprint"] == sqltext.fingerprint(sqltext.normalize(statement))
    assert first["db_tables"] == "customers:r,orders:r"
    assert first["name"] == "SELECT customers,orders"  # the name was the statement itself
    assert second["db_tables"] == "items:r,stock:w" and second["name"] == "UPDATE stock"


def test_the_same_statement_with_other_literals_has_the_same_fingerprint():
    frame = parse_otlp_json(request(
        span(span_id="1111111111111111", attributes=attrs(db__statement="SELECT * FROM users WHERE id = 1")),
        span(span_id="2222222222222222", attributes=attrs(db__statement="select *  from users where id = 2")),
    ))
    assert frame["db_fingerprint"].iloc[0] == frame["db_fingerprint"].iloc[1]


def test_statements_of_non_sql_databases_are_fingerprinted_without_tables():
    row = one_span(request(span(name="GET", attributes=attrs(db__system="redis", db__statement="GET session:1234"))))
    assert row["db_tables"] is NA and len(row["db_fingerprint"]) == 16 and row["name"] == "GET"


def test_attribute_values_longer_than_64_kib_are_read():
    long_statement = "INSERT INTO audit_log (payload) VALUES ('" + "x" * 70_000 + "')"  # > 64 KiB
    row = one_span(request(span(attributes=attrs(db__statement=long_statement, blob="y" * 70_000))))
    assert row["db_fingerprint"] == sqltext.fingerprint(sqltext.normalize(long_statement))
    assert row["db_tables"] == "audit_log:w"


def test_jaeger_api_v3_envelope_and_old_scope_name():
    wrapped = {"result": request(span())}
    assert one_span(wrapped)["trace_id"] == TRACE
    old = {"resourceSpans": [{"resource": {}, "instrumentationLibrarySpans": [{"spans": [span()]}]}]}
    assert one_span(old)["span_id"] == "00f067aa0ba902b7"


@pytest.mark.parametrize("message", [{}, {"resourceSpans": []}, {"resourceSpans": None}, {"result": {}},
                                     {"resourceSpans": [{"resource": {}}]}])
def test_empty_messages_are_otlp_without_spans(message):
    assert rejected(message) == [] and parse_otlp_json(message).empty


@pytest.mark.parametrize("message", [{"data": [{"traceID": "abc"}]}, [], "text", 3, {"result": 5}])
def test_other_json_is_not_otlp(message):
    assert rejected(message) == [(NOT_OTLP, "document")]


def test_malformed_structure_is_rejected_not_raised():
    message = {"resourceSpans": [5, {"scopeSpans": "nope"}, {"scopeSpans": [{"spans": {}}, 7, {"spans": [3]}]}]}
    assert [(reason, where) for reason, where in rejected(message)] == [
        ("resourceSpans entry is not an object", "resourceSpans[0]"),
        ("scopeSpans is not a list", "resourceSpans[1]"),
        ("spans is not a list", "resourceSpans[2].scopeSpans[0]"),
        ("scopeSpans entry is not an object", "resourceSpans[2].scopeSpans[1]"),
        ("span is not an object", "resourceSpans[2].scopeSpans[2].spans[0]"),
    ]
    assert rejected({"resourceSpans": "x"}) == [("resourceSpans is not a list", "resourceSpans")]


def test_reading_in_chunks_equals_one_piece(tmp_path):
    from analysis.sources.traces.miner import iter_span_chunks

    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl(*(request(span(span_id=f"{n + 1:016x}", kind=n % 6,
                                          attributes=attrs(http__route=f"/r{n}") if n % 2 else [])) for n in range(7))))
    chunks = [chunk for chunk, _ in iter_span_chunks(TraceSource(path), Rejects(), chunk_spans=3)]
    assert [len(c) for c in chunks] == [3, 3, 1]
    whole = mine_traces(TraceSource(path), Rejects()).frames["spans"]
    joined = frames.conform(pd.concat(chunks, ignore_index=True).drop(columns=["line"]), "spans")
    pd.testing.assert_frame_equal(joined, whole)
    assert len(whole) == 7 and whole["http_route"].isna().sum() == 4


# --------------------------------------------------------------------------------------
# JSON lines


def test_json_lines_file(tmp_path):
    content = jsonl(
        request(span(span_id="1111111111111111", kind=2), service="web"),
        request(span(span_id="2222222222222222", parent="1111111111111111", kind=3), service="billing"),
    )
    result, rejects, _ = mine(tmp_path, content)
    frame = result.frames["spans"]
    assert list(frame["span_id"]) == ["1111111111111111", "2222222222222222"]
    assert list(frame["parent_span_id"].astype(object)) == [NA, "1111111111111111"]
    assert list(frame["service"]) == ["web", "billing"]
    assert (result.records_read, result.records_rejected, result.notes) == (2, 0, [])


def test_single_document_spanning_the_file_reads_like_the_same_lines(tmp_path):
    message = request(span(span_id="1111111111111111"), span(span_id="2222222222222222", kind=4))
    as_document, _, _ = mine(tmp_path, json.dumps(message, indent=2), "doc.json")
    as_lines, _, _ = mine(tmp_path, jsonl(message), "lines.jsonl")
    pd.testing.assert_frame_equal(as_document.frames["spans"], as_lines.frames["spans"])
    assert as_document.records_read == 2


def test_api_v3_envelope_file(tmp_path):
    result, _, _ = mine(tmp_path, json.dumps({"result": request(span(kind=2))}, indent=1), "trace.json")
    assert list(result.frames["spans"]["kind"]) == ["SERVER"]


def test_gzip_is_read_transparently_whatever_the_name(tmp_path):
    content = jsonl(request(span(span_id="1111111111111111")), request(span(span_id="2222222222222222")))
    plain, _, _ = mine(tmp_path, content, "plain.jsonl")
    packed, _, _ = mine(tmp_path, gzip.compress(content), "packed.jsonl.gz")
    misnamed, _, _ = mine(tmp_path, gzip.compress(content), "misnamed.jsonl")
    pd.testing.assert_frame_equal(plain.frames["spans"], packed.frames["spans"])
    pd.testing.assert_frame_equal(plain.frames["spans"], misnamed.frames["spans"])


def test_gzipped_document_and_a_truncated_one(tmp_path):
    document = json.dumps(request(span(span_id="1111111111111111"), span(span_id="2222222222222222")), indent=2).encode()
    result, _, _ = mine(tmp_path, gzip.compress(document), "doc.json.gz")
    assert list(result.frames["spans"]["span_id"]) == ["1111111111111111", "2222222222222222"]
    cut, rejects, _ = mine(tmp_path, gzip.compress(document)[:-30], "cut.json.gz")
    assert len(cut.frames["spans"]) <= 1  # what was decompressed before the cut is read (test_traces_damage.py)
    assert any(r.reason.startswith("truncated or corrupt compressed stream") for r in rejects.records)
    assert any(r.reason.startswith("the document ends early (truncated)") for r in rejects.records)


def test_truncated_gzip_keeps_the_lines_before_the_cut(tmp_path):
    lines = [request(span(span_id=f"{n + 1:016x}", attributes=attrs(pad="p" * 3000 + str(n)))) for n in range(40)]
    packed = gzip.compress(jsonl(*lines))
    result, rejects, path = mine(tmp_path, packed[: len(packed) * 2 // 3], "cut.jsonl.gz")
    kept = len(result.frames["spans"])
    assert 0 < kept < 40
    reasons = [r.reason for r in rejects.records]
    assert any(r.startswith("truncated or corrupt compressed stream") for r in reasons)
    assert any("compressed stream ends early" in note for note in result.notes)
    assert result.records_rejected == rejects.count(path) >= 1


def test_truncated_last_line_is_counted_and_the_rest_read(tmp_path):
    full = jsonl(request(span(span_id="1111111111111111")), request(span(span_id="2222222222222222")))
    last = orjson.dumps(request(span(span_id="3333333333333333")))
    result, rejects, path = mine(tmp_path, full + last[: len(last) // 2])
    assert list(result.frames["spans"]["span_id"]) == ["1111111111111111", "2222222222222222"]
    assert [(r.source, r.location) for r in rejects.records] == [(path, "line 3")]
    assert rejects.records[0].reason.startswith("invalid JSON: ")
    assert (result.records_read, result.records_rejected) == (2, 1)


def test_damaged_first_line_then_good_lines(tmp_path):
    content = b'{"resourceSpans": [{"scopeSp\n' + jsonl(request(span()))
    result, rejects, _ = mine(tmp_path, content)
    assert len(result.frames["spans"]) == 1
    assert [r.location for r in rejects.records] == ["line 1"]


def test_byte_order_mark_and_blank_lines_are_skipped(tmp_path):
    result, rejects, _ = mine(tmp_path, b"\xef\xbb\xbf\n\n" + jsonl(request(span())) + b"\n  \n")
    assert len(result.frames["spans"]) == 1 and not rejects.records


# --------------------------------------------------------------------------------------
# bad input: rejects and errors, never a traceback


def test_spans_ending_before_they_start_are_rejected_and_the_rest_kept(tmp_path):
    content = jsonl(request(span(span_id="1111111111111111"), span(span_id="2222222222222222", end=T0 - 5)))
    result, rejects, path = mine(tmp_path, content)
    assert list(result.frames["spans"]["span_id"]) == ["1111111111111111"]
    assert [(r.location, r.reason) for r in rejects.records] == [
        ("line 1 resourceSpans[0].scopeSpans[0].spans[1]", "end before start")]
    assert (result.records_read, result.records_rejected) == (2, 1)


def test_duplicate_span_ids_within_a_trace_keep_the_first(tmp_path):
    content = jsonl(
        request(span(span_id="1111111111111111", name="first"), span(span_id="1111111111111111", name="second")),
        request(span(span_id="1111111111111111", name="third")),
        request(span(span_id="1111111111111111", trace_id=TRACE2, name="other trace")),
    )
    result, rejects, _ = mine(tmp_path, content)
    assert list(result.frames["spans"]["name"]) == ["first", "other trace"]
    assert [(r.location, r.reason) for r in rejects.records] == [("line 1", DUPLICATE_SPAN), ("line 2", DUPLICATE_SPAN)]
    assert (result.records_read, result.records_rejected) == (4, 2)


def test_duplicates_in_one_document_are_located_by_span_number(tmp_path):
    message = request(span(span_id="1111111111111111"), span(span_id="2222222222222222"), span(span_id="1111111111111111"))
    result, rejects, _ = mine(tmp_path, json.dumps(message, indent=2), "doc.json")
    assert len(result.frames["spans"]) == 2
    assert [(r.location, r.reason, r.excerpt) for r in rejects.records] == [
        ("document", DUPLICATE_SPAN, "? ?")]  # the ids are masked like any excerpt


def test_another_json_lines_format_read_as_otlp_is_rejected_line_by_line(tmp_path):
    content = b'{"traceID": "abc", "spans": []}\n{"traceID": "def", "spans": []}\n'
    result, rejects, _ = mine(tmp_path, content, "jaeger.jsonl")
    assert result.frames["spans"].empty and any("not OTLP/JSON, nothing read" in n for n in result.notes)
    assert [(r.location, r.reason.split(":")[0]) for r in rejects.records] == [
        ("line 1", NOT_OTLP), ("line 2", NOT_OTLP), ("file", NOT_OTLP)]


def test_another_json_document_read_as_otlp_is_one_reject(tmp_path):
    result, rejects, _ = mine(tmp_path, json.dumps({"data": [{"traceID": "abc"}]}, indent=2), "jaeger.json")
    assert result.frames["spans"].empty
    assert [(r.location, r.reason.split(":")[0]) for r in rejects.records] == [("document", NOT_OTLP), ("file", NOT_OTLP)]


def test_a_text_file_is_rejected_not_raised(tmp_path):
    path = tmp_path / "postgresql.log"
    path.write_text("2024-01-01 10:00:00 UTC [42] LOG:  statement: SELECT 1\n")
    rejects = Rejects()
    result = mine_traces(TraceSource(path, format="auto"), rejects)
    assert result.frames["spans"].empty and result.records_rejected == 1
    assert rejects.records[0].reason.startswith(NOT_A_TRACE_FILE) and rejects.records[0].location == "file"
    assert rejects.records[0].excerpt.startswith("?-?-? ?:?:? UTC [?] LOG:  statement: SELECT ?")  # masked


def test_some_foreign_lines_among_otlp_lines_are_only_rejects(tmp_path):
    result, rejects, _ = mine(tmp_path, jsonl({"log": "hello"}, request(span())))
    assert len(result.frames["spans"]) == 1
    assert [(r.location, r.reason) for r in rejects.records] == [("line 1", NOT_OTLP)]


def test_a_truncated_document_is_one_reject(tmp_path):
    document = json.dumps(request(span()), indent=2)
    result, rejects, _ = mine(tmp_path, document[:-40], "cut.json")
    assert result.frames["spans"].empty  # the one span is cut: what came before it is read (test_traces_damage.py)
    assert [(r.location, r.reason.split(":")[0], r.records) for r in rejects.records] == [
        ("line 19", "the document ends early (truncated)", 1)]


def test_a_document_that_is_not_json_is_one_reject(tmp_path):
    result, rejects, _ = mine(tmp_path, "{\n  resourceSpans: nothing\n  here\n}\n", "cut.json")
    assert result.frames["spans"].empty
    assert [(r.location, r.reason.split(":")[0]) for r in rejects.records] == [
        ("document", "neither JSON lines nor one JSON document")]


def test_an_otlp_file_whose_spans_are_all_unreadable_is_not_an_error(tmp_path):
    result, rejects, _ = mine(tmp_path, jsonl(request(span(trace_id="xxxxx"), span(span_id="xxxxx"))))
    assert result.frames["spans"].empty
    assert (result.records_read, result.records_rejected) == (2, 2)


@pytest.mark.parametrize("content", [b"", b"\n \n\t\n"])
def test_empty_file_is_an_empty_frame_and_a_note(tmp_path, content):
    result, rejects, path = mine(tmp_path, content)
    assert result.frames["spans"].empty
    assert (result.records_read, result.records_rejected) == (0, 0)
    assert result.notes == [f"{path}: empty file, no spans"]


def test_unknown_kinds_are_counted_in_the_notes(tmp_path):
    result, _, path = mine(tmp_path, jsonl(request(span(span_id="1111111111111111", kind=7),
                                                   span(span_id="2222222222222222", kind="SPAN_KIND_X"),
                                                   span(span_id="3333333333333333", kind=0),
                                                   span(span_id="4444444444444444", kind=None))))
    assert list(result.frames["spans"]["kind"]) == ["UNSPECIFIED"] * 4
    assert result.notes == [f"{path}: 2 spans had an unrecognised kind and were read as UNSPECIFIED"]


def test_missing_file_and_unreadable_gzip_are_source_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        mine_traces(TraceSource(tmp_path / "absent.jsonl"), Rejects())
    with pytest.raises(SourceError, match="not a readable gzip file"):
        mine(tmp_path, b"\x1f\x8bnot really gzip", "fake.gz")


def test_records_rejected_counts_only_this_call(tmp_path):
    rejects = Rejects()
    rejects.add("other.log", 1, "elsewhere")
    content = jsonl(request(span())) + b"{cut"
    first, _, _ = mine(tmp_path, content, rejects=rejects)
    again, _, path = mine(tmp_path, content, rejects=rejects)
    assert first.records_rejected == again.records_rejected == 1
    assert rejects.count(path) == 2 and rejects.count("other.log") == 1


# --------------------------------------------------------------------------------------
# the public samples (optional: skipped when the folder is absent)

SAMPLES = Path("/work/shared/fixtures/public/traces_otlp_json")
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="public OTLP/JSON samples not available")


@needs_samples
def test_public_samples_read_without_errors():
    for path in sorted(SAMPLES.glob("*.json*")):
        rejects = Rejects()
        result = mine_traces(TraceSource(path), rejects)
        frames.check(result.frames["spans"], "spans")
        assert result.records_read == len(result.frames["spans"]) + sum(
            1 for r in rejects.records if r.location != "file" and not r.reason.startswith((NOT_OTLP, "neither"))), path.name


@needs_samples
def test_public_spec_example():
    result = mine_traces(TraceSource(SAMPLES / "otelproto_examples_trace.json"), Rejects())
    row = result.frames["spans"].iloc[0]
    assert (row["trace_id"], row["span_id"], row["parent_span_id"]) == (
        "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "eee19b7ec3c1b173")
    assert (row["kind"], row["service"], row["duration_ms"]) == ("SERVER", "my.service", 1000.0)
    assert row["start"] == pd.Timestamp("2018-12-13T14:51:00", tz="UTC")


@needs_samples
def test_public_lines_and_combined_document_agree():
    lines = mine_traces(TraceSource(SAMPLES / "jaegerui_otlp2jaeger-multi-in.jsonl"), Rejects()).frames["spans"]
    combined = mine_traces(TraceSource(SAMPLES / "jaegerui_otlp2jaeger-multi-in-combined.json"), Rejects()).frames["spans"]
    key = ["trace_id", "span_id"]
    pd.testing.assert_frame_equal(lines.sort_values(key, ignore_index=True), combined.sort_values(key, ignore_index=True))
    assert len(lines) == 4 and lines["parent_span_id"].isna().sum() == 1
    assert lines.loc[lines["name"] == "main", "duration_ms"].item() == pytest.approx(176.321958)


@needs_samples
def test_public_jaeger_samples():
    rejects = Rejects()
    dup = mine_traces(TraceSource(SAMPLES / "jaeger_otlp2jaeger-in.json"), rejects)
    assert (len(dup.frames["spans"]), dup.records_rejected) == (1, 1)
    assert rejects.records[0].reason == DUPLICATE_SPAN
    links = mine_traces(TraceSource(SAMPLES / "jaeger_integration_link_attributes_trace.json"), Rejects()).frames["spans"]
    assert list(links["link_count"]) == [3]
    example = mine_traces(TraceSource(SAMPLES / "jaeger_integration_example_trace.json"), Rejects()).frames["spans"]
    assert sorted(example["service"].unique()) == ["example-service-1", "example-service-2", "example-service-3"]
    assert list(example["kind"]) == ["UNSPECIFIED", "UNSPECIFIED", "UNSPECIFIED", "SERVER", "CLIENT"]
    rejects = Rejects()
    snapshot = mine_traces(TraceSource(SAMPLES / "jaeger_apiv3_GetTrace_snapshot.json"), rejects)  # no times
    assert snapshot.frames["spans"].empty and [r.reason for r in rejects.records] == ["missing or invalid start time"]


@needs_samples
def test_public_go_samples_with_redacted_ids_give_real_attributes():
    """The samples' ids were redacted ("xxxxx"): the file reader rejects those spans; with
    synthetic ids put back in memory, the attributes read as expected."""
    rejects = Rejects()
    result = mine_traces(TraceSource(SAMPLES / "REDACTED_goauto_databasesql_2025_newsemconv.json"), rejects)
    assert result.frames["spans"].empty and result.records_read == result.records_rejected == 18
    message = orjson.loads((SAMPLES / "REDACTED_goauto_databasesql_2025_newsemconv.json").read_bytes())
    n = 0
    for resource in message["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for s in scope["spans"]:
                n += 1
                s.update(traceId=TRACE, spanId=f"{n:016x}", startTimeUnixNano=str(T0), endTimeUnixNano=str(T0 + n))
                s["parentSpanId"] = "ffffffffffffffff" if s.get("parentSpanId") else ""
    frame = frames.check(parse_otlp_json(message), "spans")
    db = frame[frame["db_fingerprint"].notna()]
    assert list(db["name"]) == ["SELECT contacts", "INSERT contacts", "UPDATE contacts", "DELETE contacts", "DB", "DB"]
    assert list(db["db_tables"].astype(object)) == ["contacts:r", "contacts:w", "contacts:w", "contacts:w", NA, NA]
    assert db["db_fingerprint"].iloc[1] == sqltext.fingerprint(sqltext.normalize("INSERT INTO contacts (first_name) VALUES ('Mike')"))
    assert not frame.astype(str).apply(lambda col: col.str.contains("Mike|Santa")).any().any()
    assert sorted(frame["http_route"].dropna()) == ["/delete", "/drop", "/insert", "/invalid", "/query_db", "/update"]


def test_the_job_function_of_rq_and_celery_spans_is_their_code_namespace():
    # as opentelemetry-instrumentation-rq writes a worker's span
    rq = one_span(request(span(name="perform", kind=1, attributes=attrs(
        messaging__system="Python RQ", rq__job__function="extras.webhooks.send_webhook", rq__job__id="abc"))))
    assert (rq["code_namespace"], rq["code_function"]) == ("extras.webhooks", "send_webhook")
    celery = one_span(request(span(name="run/billing.tasks.close", kind=5, attributes=attrs(celery__task_name="billing.tasks.close"))))
    assert (celery["code_namespace"], celery["code_function"]) == ("billing.tasks", "close")
    explicit = one_span(request(span(name="perform", kind=1, attributes=attrs(code__namespace="x.y", rq__job__function="a.b.c"))))
    assert explicit["code_namespace"] == "x.y"  # code.* attributes win


def test_a_consumer_after_its_producer_is_not_clock_skew():
    from analysis.sources.traces.miner import count_skewed_children

    publish = span(span_id="1" * 16, name="publish default", kind=4, start=T0, end=T0 + 1_000_000)
    consume = span(span_id="2" * 16, parent="1" * 16, name="consume default", kind=5, start=T0 + 5_000_000, end=T0 + 9_000_000)
    inner = span(span_id="3" * 16, parent="2" * 16, name="perform", kind=1, start=T0 + 6_000_000, end=T0 + 10_000_000)
    spans = frames.check(parse_otlp_json(request(publish, consume, inner)), "spans")
    assert count_skewed_children(spans) == 1  # perform ends after its consumer: that one is skew


def test_a_span_named_by_a_statement_keeps_no_literal():
    """Some instrumentations name a database span by its statement; its literals are masked as
    it is read, so they reach neither the frames nor the cache."""
    named = one_span(request(span(name="SELECT * FROM users WHERE password = 'S3CRET' AND id = 42")))
    assert named["name"] == "SELECT * FROM users WHERE password = ? AND id = ?"
    assert one_span(request(span(name="selection of products")))["name"] == "selection of products"


def test_attributes_the_context_map_names_are_kept_from_every_format(tmp_path):
    """``spans.attributes`` rules name attributes; each reader keeps exactly those (span
    attributes over resource attributes), as a sorted JSON object, and nothing else."""
    from analysis.core.config import TraceSource
    from analysis.sources.traces.miner import mine_traces

    named = frozenset({"rq.job.function", "tenant.tier"})
    message = request(span(name="perform", kind=1, attributes=attrs(rq__job__function="extras.webhooks.send", other="x")))
    message["resourceSpans"][0]["resource"]["attributes"] += attrs(tenant__tier="gold")
    frame = frames.check(parse_otlp_json(message, named=named), "spans")
    assert frame["attributes"].iloc[0] == '{"rq.job.function":"extras.webhooks.send","tenant.tier":"gold"}'
    assert frames.check(parse_otlp_json(message), "spans")["attributes"].isna().all()  # nothing named, nothing kept
    jaeger = {"data": [{"traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "processes": {"p1": {"serviceName": "w"}},
                        "spans": [{"traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "spanID": "00f067aa0ba902b7",
                                   "operationName": "perform", "startTime": 1, "duration": 2, "processID": "p1",
                                   "tags": [{"key": "rq.job.function", "type": "string", "value": "extras.jobs.run"}]}]}]}
    zipkin = [{"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "id": "00f067aa0ba902b7", "name": "perform", "timestamp": 1,
               "duration": 2, "localEndpoint": {"serviceName": "w"}, "tags": {"rq.job.function": "extras.jobs.zip"}}]
    for fmt, doc, want in (("jaeger-json", jaeger, "extras.jobs.run"), ("zipkin-json", zipkin, "extras.jobs.zip")):
        path = tmp_path / f"{fmt}.json"
        path.write_bytes(orjson.dumps(doc))
        spans = mine_traces(TraceSource(path=path, format=fmt, attributes=tuple(sorted(named))), Rejects()).frames["spans"]
        assert orjson.loads(spans["attributes"].iloc[0]) == {"rq.job.function": want}, fmt
