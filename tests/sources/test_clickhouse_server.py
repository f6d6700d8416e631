"""``format: clickhouse`` through clickhouse-connect against a real ClickHouse server: the
sample's spans loaded into the OpenTelemetry Collector exporter's exact table on a server
started on loopback (``tests/clickhouse_server.py``), then every runtime figure of the report
compared with the file path's on the same spans.

Runs when a ClickHouse server binary is on this machine (``clickhouse`` or
``clickhouse-server`` on ``PATH``, or ``$SEAMS_CLICKHOUSE_BINARY``) and is recent enough (23.3 or later);
skipped, with the reason, otherwise.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from clickhouse_server import server_command, start_server, unusable
from runtime_equality import assert_same_runtime

from analysis.core.config import load_config
from analysis.core.frames import Mined
from analysis.pipeline import analyse, mine
from analysis.sources.traces.store import OTEL_TRACES_DDL, otel_rows


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    command = server_command()
    if command is None:
        pytest.skip("no ClickHouse server binary on this machine (clickhouse or clickhouse-server on PATH, "
                    "or SEAMS_CLICKHOUSE_BINARY)")
    running = start_server(tmp_path_factory.mktemp("clickhouse"), command)
    try:
        reason = unusable(running)
        if reason:
            pytest.skip(reason)
        yield running
    finally:
        running.stop()


def test_the_exporters_table_on_a_server_gives_every_figure_of_the_file(server, tmp_path):
    from seams_sample import build_sample

    sample = Path(build_sample(tmp_path / "sample", seed=7, scale="small"))
    server.query(OTEL_TRACES_DDL.format(table="default.otel_traces"))
    with open(sample.parent / "traces" / "otlp.jsonl", "rb") as fh:
        rows = b"".join(orjson.dumps(r) + b"\n" for r in otel_rows(fh))
    server.query("INSERT INTO default.otel_traces FORMAT JSONEachRow", rows)

    def config(traces: dict, name: str):
        raw = yaml.safe_load(sample.read_text())
        raw["sources"] = {"traces": [traces]}
        raw["cache_dir"] = str(tmp_path / name / "cache")
        path = sample.parent / f"seams-{name}.yml"
        path.write_text(yaml.safe_dump(raw))
        return load_config(path)

    from_file = config({"path": "traces/otlp.jsonl"}, "file")
    from_server = config({"format": "clickhouse", "host": "127.0.0.1", "port": server.http_port, "username": "default",
                          "database": "default", "table": "otel_traces"}, "server")
    expected = analyse(from_file, mine(from_file)[0]).runtime
    mined, _ = mine(from_server, strict=True)
    assert not len(Mined.of(mined)["spans"])  # no span came back
    assert_same_runtime(analyse(from_server, mined).runtime, expected)
    # Seams' intermediate tables were its session's temporary tables: nothing left on the server
    assert server.query("SELECT count() FROM system.tables WHERE database = 'default' AND name LIKE 'seams_%'").strip() == "0"
