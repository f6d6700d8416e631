"""Trace sources held by an engine: ``format: clickhouse`` (chDB here, a server the same way),
DuckDB for large files; bad input becomes an error naming the problem or missing evidence."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import orjson
import pandas as pd
import pytest
import yaml
from chdb import session as chdb_session
from runtime_equality import assert_same_runtime

from analysis.core.config import ContextSpec, SpanRules, load_config
from analysis.core.errors import ConfigError, SourceError
from analysis.core.frames import Mined
from analysis.mapping.contexts import ContextMap
from analysis.measures.runtime_sql import aggregate_spans
from analysis.pipeline import analyse, mine
from analysis.sources.traces.store import OTEL_TRACES_DDL, ClickHouseStore, clickhouse_client, otel_rows

T0 = 1_700_000_000  # seconds


def row(trace: str, sid: str, parent: str, kind: str, start_s: float, ms: float, **attrs) -> dict:
    ns = int(round((T0 + start_s) * 1e9))
    return {"Timestamp": f"{ns // 10**9}.{ns % 10**9:09d}", "TraceId": trace, "SpanId": sid, "ParentSpanId": parent,
            "TraceState": "", "SpanName": "op", "SpanKind": kind, "ServiceName": "shop", "ResourceAttributes": {},
            "ScopeName": "", "ScopeVersion": "", "SpanAttributes": attrs, "Duration": int(ms * 1e6), "StatusCode": "Unset",
            "StatusMessage": "", "Links.TraceId": [], "Links.SpanId": [], "Links.TraceState": [], "Links.Attributes": []}


def session_with(folder: Path, rows: list[dict], ddl: str = OTEL_TRACES_DDL):
    s = chdb_session.Session(str(folder))
    s.query(ddl.format(table="default.otel_traces"))
    if rows:
        data = folder.parent / f"{folder.name}.jsonl"
        data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
        s.query(f"INSERT INTO default.otel_traces FROM INFILE '{data}' FORMAT JSONEachRow")
    return s


CMAP = ContextMap((ContextSpec(name="orders", spans=SpanRules(routes=("/orders*",))),
                   ContextSpec(name="billing", spans=SpanRules(code_namespaces=("shop.billing",)))))
ROWS = [row("t1", "a", "", "Server", 0, 10, **{"http.route": "/orders"}),
        row("t1", "b", "a", "Internal", 0.001, 4, **{"code.namespace": "shop.billing"}),
        row("t2", "c", "", "SPAN_KIND_SERVER", 3600, 10, **{"http.route": "/orders"}),
        row("t2", "d", "c", "SPAN_KIND_INTERNAL", 3600.001, 4, **{"code.namespace": "shop.billing"})]


def test_a_time_window_keeps_the_spans_within_it(tmp_path):
    store = ClickHouseStore(session=session_with(tmp_path / "s", ROWS), table="default.otel_traces",
                            since=pd.Timestamp(T0 + 1800, unit="s", tz="UTC"))
    got = aggregate_spans(store, CMAP)
    assert got.coverage["spans"] == 2 and got.coverage["traces"] == 1  # only t2, an hour later
    assert got.calls[["caller", "callee", "mode", "calls"]].values.tolist() == [["orders", "billing", "sync", 1]]


def test_a_window_with_no_span_is_said_so(tmp_path):
    store = ClickHouseStore(session=session_with(tmp_path / "s", ROWS), table="default.otel_traces",
                            since=pd.Timestamp("2030-01-01", tz="UTC"))
    got = aggregate_spans(store, CMAP)
    assert got.coverage["spans"] == 0 and got.calls.empty and got.curves.empty
    assert got.notes == ["no span in the store (or in its time window)"]


def test_sampling_keeps_whole_traces_and_scales_the_counts(tmp_path):
    rows = [row(f"t{n:03d}", "a", "", "Server", n, 10, **{"http.route": "/orders"}) for n in range(400)]
    store = ClickHouseStore(session=session_with(tmp_path / "s", rows), table="default.otel_traces", sample=0.25)
    got = aggregate_spans(store, CMAP)
    kept = got.coverage["spans"]
    assert 40 < kept < 160  # about a quarter of 400 traces, chosen by trace id (deterministic)
    assert got.curves["requests"].sum() == pytest.approx(kept * 4, abs=len(got.curves))  # each weighs 1 / 0.25
    assert bool(got.curves["scaled"].all())


def test_a_table_without_the_exporters_columns_is_one_error_naming_them(tmp_path):
    ddl = "CREATE TABLE {table} (Timestamp DateTime64(9), TraceId String, SpanName String) ENGINE = MergeTree ORDER BY tuple()"
    with pytest.raises(SourceError) as caught:
        ClickHouseStore(session=session_with(tmp_path / "s", [], ddl=ddl), table="default.otel_traces")
    message = str(caught.value)
    for column in ("SpanId", "ParentSpanId", "SpanKind", "ServiceName", "SpanAttributes", "Duration", "StatusCode", "Links.TraceId"):
        assert column in message
    named = message.split("columns", 1)[1].strip().split(", ")
    assert "TraceId" not in named and "Timestamp" not in named and "SpanName" not in named  # the table has these


def test_an_unreachable_server_is_a_source_error(monkeypatch):
    monkeypatch.setenv("SEAMS_TEST_CH_PASSWORD", "s3cret-pw")
    with pytest.raises(SourceError) as caught:
        clickhouse_client("127.0.0.1", port=9, password_env="SEAMS_TEST_CH_PASSWORD")
    assert "cannot connect" in str(caught.value) and "s3cret-pw" not in str(caught.value)


def test_the_config_never_holds_a_password(tmp_path):
    config = tmp_path / "seams.yml"
    config.write_text(yaml.safe_dump({"sources": {"traces": [{"format": "clickhouse", "host": "ch", "password": "hunter2"}]},
                                      "contexts": {"orders": {"paths": ["orders/**"]}}}))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert "password_env" in str(caught.value) and "hunter2" not in str(caught.value)


# --------------------------------------------------------------------------------------
# through the pipeline: the sample's traces in the exporter's table, and a server that is not there


@pytest.fixture(scope="module")
def sample_config(tmp_path_factory):
    from seams_sample import build_sample

    root = tmp_path_factory.mktemp("store-pipeline")
    config = Path(build_sample(root / "sample", seed=7, scale="small"))
    return config


def load_sample_spans(config: Path, folder: Path) -> None:
    """The sample's spans as the exporter's rows in ``otel_traces`` of a chDB session in ``folder/chdb``."""
    session = chdb_session.Session(str(folder / "chdb"))
    session.query(OTEL_TRACES_DDL.format(table="default.otel_traces"))
    data = folder / "rows.jsonl"
    with open(config.parent / "traces" / "otlp.jsonl", "rb") as fh:
        data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in otel_rows(fh)))
    session.query(f"INSERT INTO default.otel_traces FROM INFILE '{data}' FORMAT JSONEachRow")
    session.close()


def with_traces(config: Path, traces: list[dict], folder: Path) -> Path:
    raw = yaml.safe_load(config.read_text())
    raw["sources"] = {"traces": traces}
    raw["cache_dir"] = str(folder / "cache")
    out = config.parent / f"seams-{folder.name}.yml"
    out.write_text(yaml.safe_dump(raw))
    return out


def test_the_pipeline_reads_the_exporters_table_as_it_reads_the_file(sample_config, tmp_path):
    load_sample_spans(sample_config, tmp_path)
    from_file = load_config(with_traces(sample_config, [{"path": "traces/otlp.jsonl"}], tmp_path / "file"))
    from_store = load_config(with_traces(sample_config, [{"format": "clickhouse", "chdb": str(tmp_path / "chdb"),
                                                          "table": "default.otel_traces"}], tmp_path / "store"))
    expected = analyse(from_file, mine(from_file)[0]).runtime
    mined, _ = mine(from_store)
    assert not len(Mined.of(mined)["spans"])  # no span came back
    result = analyse(from_store, mined)
    assert_same_runtime(result.runtime, expected)
    # the spans each context owns, counted in the engine's load, not drawn as 0
    file_table = analyse(from_file, mine(from_file)[0]).contexts.set_index("context")["spans"]
    store_table = result.contexts.set_index("context")["spans"]
    assert file_table.sum() > 0 and store_table.tolist() == file_table.tolist()
    # no SQL log: the data evidence comes from the db spans, aggregated in the engine as in the file
    assert_same_data(result.data, analyse(from_file, mine(from_file)[0]).data)
    # the scorecard's request rates and p95 latency per period, from the entry spans counted and
    # ranked in the engine: the same table as from the file
    traces = result.scorecard.statuses["traces"]
    assert traces.known and "aggregated in the trace engine" in traces.reason
    file_scorecard = analyse(from_file, mine(from_file)[0]).scorecard
    pd.testing.assert_frame_equal(result.scorecard.table, file_scorecard.table)
    pd.testing.assert_frame_equal(result.scorecard.comparisons, file_scorecard.comparisons)
    assert set(file_scorecard.table["metric"]) >= {"latency_p95_ms", "throughput_rpm_p50", "throughput_rpm_p95"}


def assert_same_data(got, expected) -> None:
    assert got.status == expected.status and got.origin == expected.origin == "traces"
    assert got.attributed_share == expected.attributed_share
    for name in ("table_contexts", "shared_tables", "write_shared_tables", "pairs", "infrastructure_tables"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), obj=name)
    assert len(expected.table_contexts) > 10 and len(expected.write_shared_tables)


def test_an_unreachable_server_is_missing_evidence_not_a_crash(sample_config, tmp_path):
    config = load_config(with_traces(sample_config, [{"format": "clickhouse", "host": "127.0.0.1", "port": 9}], tmp_path))
    mined, _ = mine(config)
    assert "cannot connect" in mined["traces"].errors[0] and mined["traces"].unread
    runtime = analyse(config, mined).runtime
    assert not runtime.calls_status.known and "cannot connect" in runtime.calls_status.reason


def test_a_large_file_is_aggregated_in_duckdb_with_the_same_figures(sample_config, tmp_path):
    small = load_config(with_traces(sample_config, [{"path": "traces/otlp.jsonl"}], tmp_path / "file"))
    # as trace_store_min_mib = 1 makes it: the sample's file is larger than 1 MiB
    large = replace(small, traces=tuple(replace(t, engine_min_bytes=2**20) for t in small.traces))
    assert os.path.getsize(large.traces[0].path) > 2**20 and large.traces[0].uses_engine()
    expected = analyse(small, mine(small)[0]).runtime
    got = analyse(large, mine(large)[0])
    assert_same_runtime(got.runtime, expected)
    assert_same_data(got.data, analyse(small, mine(small)[0]).data)
    assert list((tmp_path / "file" / "cache" / "traces-duckdb").glob("*/spans.duckdb"))  # in the cache
    shutil.rmtree(tmp_path / "file" / "cache")


def test_a_whole_run_on_the_exporters_table_builds_its_findings(sample_config, tmp_path):
    from analysis.outputs.findings import build_findings, to_json_value

    load_sample_spans(sample_config, tmp_path)
    raw = yaml.safe_load(sample_config.read_text())
    raw["sources"]["traces"] = [{"format": "clickhouse", "chdb": str(tmp_path / "chdb"), "table": "default.otel_traces"}]
    raw["cache_dir"] = str(tmp_path / "cache")
    path = sample_config.parent / "seams-whole.yml"
    path.write_text(yaml.safe_dump(raw))
    config = load_config(path)
    mined, rejects = mine(config)
    result = analyse(config, mined, rejects)
    findings = to_json_value(build_findings(result))
    assert findings["inputs"]["traces"]["read"] and findings["inputs"]["traces"]["records_read"] > 1000
    assert result.runtime.calls_status.known and len(result.runtime.calls)
    # statements tie to contexts through the db spans' fingerprints aggregated in the engine
    assert (result.units.statements["method"] == "fingerprint").any()


def test_store_keys_are_checked_once_with_every_problem(tmp_path):
    config = tmp_path / "seams.yml"
    config.write_text(yaml.safe_dump({"sources": {"traces": [
        {"format": "clickhouse", "password_env": "not a name", "since": "2026-10-02", "until": "2026-10-01", "sample": 2},
        {"path": "traces.jsonl", "host": "ch"}]}, "contexts": {"orders": {"paths": ["orders/**"]}}}))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    text = str(caught.value)
    for key in ("sources.traces[0].host", "sources.traces[0].password_env", "sources.traces[0].until",
                "sources.traces[0].sample", "sources.traces[1].host"):
        assert key in text, key


def test_the_sql_log_and_the_inventory_link_to_spans_held_in_an_engine_as_to_the_file(sample_config, tmp_path):
    # the SQL log beside the spans: each statement's traceparent is looked up among the spans
    # the engine holds, and the context that issued it read back; the inventoried entry points
    # are counted there too. Every figure equals the file path's.
    raw = yaml.safe_load(sample_config.read_text())
    sql = raw["sources"]["sql"]
    both = with_traces(sample_config, [{"path": "traces/otlp.jsonl"}], tmp_path / "file")
    store = with_traces(sample_config, [{"path": "traces/otlp.jsonl"}], tmp_path / "engine")
    assert "imports" in raw["sources"]
    for path in (both, store):
        config = yaml.safe_load(path.read_text())
        config["sources"]["sql"] = sql
        config["sources"]["imports"] = raw["sources"]["imports"]  # and with them the entry point inventory
        if path == store:
            config["thresholds"] = {**(config.get("thresholds") or {}), "trace_store_min_mib": 1}
        path.write_text(yaml.safe_dump(config))
    from_file, from_store = load_config(both), load_config(store)
    expected = analyse(from_file, mine(from_file)[0])
    mined, _ = mine(from_store)
    frames = Mined.of(mined)
    assert not len(frames["spans"]) and len(frames["statements"]) and len(frames["store_sql_spans"])
    got = analyse(from_store, mined)
    want = expected.runtime.coverage
    assert want["sql_linked_to_span"] > 0 and want["sql_seen_in_spans"] > 0 and want["entry_points_declared_traced"] > 0
    for key in ("sql_statements", "sql_with_traceparent", "sql_linked_to_span", "sql_linked_to_span_share", "sql_attributed",
                "sql_attributed_share", "sql_seen_in_spans", "sql_seen_in_spans_share", "sql_tied_to_traces",
                "sql_tied_to_traces_share", "entry_points_given", "entry_points_declared", "entry_points_declared_traced",
                "entry_point_coverage", "entry_point_coverage_by_kind"):
        assert got.runtime.coverage[key] == want[key], key
    # each statement attributed to the same context by the same rule, the traceparent first
    pd.testing.assert_frame_equal(got.units.statements, expected.units.statements)
    assert (expected.units.statements["method"] == "traceparent").sum() > 100
    # so the data evidence and the table owners agree too
    pd.testing.assert_frame_equal(got.units.table_evidence, expected.units.table_evidence)
    for name in ("table_contexts", "write_shared_tables", "pairs"):
        pd.testing.assert_frame_equal(getattr(got.data, name), getattr(expected.data, name), obj=name)
    checks = {c.name: c.detail for c in got.verdicts["observability"].checks}
    assert checks == {c.name: c.detail for c in expected.verdicts["observability"].checks}


def test_span_rules_matching_few_spans_in_an_engine_warn_with_the_unmatched_routes_as_the_file_path_does(sample_config, tmp_path,
                                                                                                        monkeypatch):
    # rules that match almost nothing: the warning lists the commonest unmatched routes and span
    # names from the engine's counts, word for word as from the spans frame
    paths = {}
    for name in ("file", "engine"):
        path = with_traces(sample_config, [{"path": "traces/otlp.jsonl"}], tmp_path / name)
        config = yaml.safe_load(path.read_text())
        for context, spec in config["contexts"].items():  # only accounts' routes, and no code namespaces
            spec.pop("paths", None)
            spec["spans"] = {"routes": ["/accounts/*" if context == "accounts" else f"/none/{context}"]}
        config["thresholds"] = {**(config.get("thresholds") or {}), "max_unassigned_span_share": 0.1,
                                **({"trace_store_min_mib": 1} if name == "engine" else {})}
        path.write_text(yaml.safe_dump(config))
        paths[name] = load_config(path)
    expected = analyse(paths["file"], mine(paths["file"])[0]).warnings
    mined, _ = mine(paths["engine"])
    assert not len(Mined.of(mined)["spans"]) and len(Mined.of(mined)["store_unmatched"])
    got = analyse(paths["engine"], mined).warnings
    span_warnings = [w for w in expected if w.startswith("the span rules give a context")]
    assert len(span_warnings) == 1 and "the commonest unmatched routes: /" in span_warnings[0]
    assert [w for w in got if w.startswith("the span rules give a context")] == span_warnings
    # when the engine holds more distinct names than it reads back, the counts say over which
    from analysis.measures import runtime_sql

    monkeypatch.setattr(runtime_sql, "UNMATCHED_READ_BACK", 3)
    mined, _ = mine(paths["engine"])
    (cut,) = [w for w in analyse(paths["engine"], mined).warnings if w.startswith("the span rules give a context")]
    assert "(counted over the 3 commonest of " in cut and " distinct routes and the 3 commonest of " in cut
    assert cut.endswith("distinct names, as the trace engine read them back)")


def file_and_engine(sample_config: Path, folder: Path, engine: str, edit) -> dict:
    """The sample's config twice, ``edit(config)`` applied to each: its traces read from the
    file, and aggregated by ``engine`` (DuckDB for the same file, or chDB holding them)."""
    if engine == "chdb":
        load_sample_spans(sample_config, folder)
    paths = {}
    for name in ("file", engine):
        traces = ([{"format": "clickhouse", "chdb": str(folder / "chdb"), "table": "default.otel_traces"}]
                  if name == "chdb" else [{"path": "traces/otlp.jsonl"}])
        path = with_traces(sample_config, traces, folder / name)
        config = yaml.safe_load(path.read_text())
        edit(config)
        if name == "duckdb":
            config["thresholds"] = {**(config.get("thresholds") or {}), "trace_store_min_mib": 1}
        path.write_text(yaml.safe_dump(config))
        paths[name] = load_config(path)
    return paths


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
def test_the_decompositions_runtime_signal_from_an_engine_equals_the_file_paths(engine, sample_config, tmp_path):
    # the unit graph's calls, tables used by database spans, traces and transactions per
    # unit, aggregated in the engine: the same graph and the same partitions as from the file
    raw = yaml.safe_load(sample_config.read_text())
    paths = file_and_engine(sample_config, tmp_path, engine,
                            lambda c: c["sources"].update({"imports": raw["sources"]["imports"], "sql": raw["sources"]["sql"]}))
    expected = analyse(paths["file"], mine(paths["file"])[0]).decomposition
    mined, _ = mine(paths[engine])
    assert not len(Mined.of(mined)["spans"]) and len(Mined.of(mined)["store_unit_traces"])
    got = analyse(paths[engine], mined).decomposition
    assert got.graph.signals == expected.graph.signals and expected.graph.signals["calls"] > 10
    pd.testing.assert_frame_equal(got.graph.edges, expected.graph.edges)
    pd.testing.assert_frame_equal(got.graph.units, expected.graph.units)
    assert got.graph.labels == expected.graph.labels and len(expected.graph.labels) > 10
    assert got.graph.traces == expected.graph.traces and got.graph.transactions == expected.graph.transactions
    assert sum(expected.graph.transactions.values()) > 100
    pd.testing.assert_frame_equal(got.partitions, expected.partitions)


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
def test_the_scorecards_rates_and_latency_around_events_from_an_engine_equal_the_file_paths(engine, sample_config, tmp_path):
    # weekly periods and two events (one the monolith's, one a context's): the requests per
    # minute, and the p95 latency with its interval, of each period and each side of each event
    def edit(config: dict) -> None:
        config["scorecard"] = {"period": "week", "events": [{"date": "2026-10-30", "label": "cut-over"},
                                                            {"date": "2026-10-31", "label": "orders out", "context": "orders"}]}
        config["thresholds"] = {**(config.get("thresholds") or {}), "scorecard_window_days": 1}

    paths = file_and_engine(sample_config, tmp_path, engine, edit)
    expected = analyse(paths["file"], mine(paths["file"])[0]).scorecard
    mined, _ = mine(paths[engine])
    assert not len(Mined.of(mined)["spans"]) and len(Mined.of(mined)["store_entry_latency"])
    got = analyse(paths[engine], mined).scorecard
    pd.testing.assert_frame_equal(got.table, expected.table)
    pd.testing.assert_frame_equal(got.comparisons, expected.comparisons)
    latency = expected.comparisons[expected.comparisons["metric"] == "latency_p95_ms"]
    assert set(latency["context"]) == {"(all)", "orders"} and latency["n_before"].min() > 0 and latency["n_after"].min() > 0
    assert expected.table["period"].nunique() >= 1 and (expected.table["metric"] == "latency_p95_ms").sum() > 5
