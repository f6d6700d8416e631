"""No secret of spans held by a trace engine in any file Seams writes outside its cache, nor on
its terminal: the engine path (``format: clickhouse`` through chDB; a trace file above
``trace_store_min_mib`` through DuckDB) hands out only aggregates, and every string it names
from a span — an entry point, a span name that is a statement — is masked as the file path
masks it (:func:`analysis.core.privacy.mask_span_name`, then ``mask_identifiers``).

Secrets are planted in a root span named by a statement holding a literal, a root span whose
name and route carry a token, a queue name carrying an id, a database statement's literal and
attribute values (a user id, a URL with a token). Each trace takes two contexts along, so its
root's entry point is named in the orchestration evidence, where a secret would show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pandas as pd
import pytest
from gitrepo import git

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

#: Secrets no file Seams writes may hold, nor its terminal.
NEVER = {
    "statement as root span name": "rootstmt-secret-7c1d",
    # no digit, no quote: a name's masking of value-like parts keeps it; a statement's masking does not
    "dollar-quoted literal in a root span name": "dollarquotedsecretword",
    "db statement literal": "sess_dbstmt_9e41c0a2b7",
    "attribute user id": "user-secret-id-5521",
    "attribute url token": "tok_attr_0a9b8c7d6e",
}
#: Secrets in names: the cache may hold them (it is not the report), nothing else may.
NAMES = {
    "span name token": "resetTok3e9d7a1c5b",
    "queue name id": "replyq2d8c4b6a1e",
}
T0 = 1_700_000_000_000_000_000


def attrs(**values) -> list[dict]:
    return [{"key": k.replace("__", "."), "value": {"stringValue": v}} for k, v in values.items()]


def span(trace: int, n: int, name: str, parent: int | None, kind: int, **values) -> dict:
    start = T0 + trace * 10**9 + n * 1000
    return {"traceId": f"{trace:032x}", "spanId": f"{trace:08x}{n:08x}", "parentSpanId": f"{trace:08x}{parent:08x}" if parent else "",
            "name": name, "kind": kind, "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 900 - n * 10),
            "attributes": attrs(**values)}


def trace_spans(trace: int) -> list[dict]:
    """Three roots in turn (a statement as its name, a route with a token, a queue with an id),
    each driving orders and accounts, with a database statement under accounts."""
    root = [span(trace, 1, f"SELECT * FROM accounts_user WHERE password = '{NEVER['statement as root span name']}' "
                 f"AND note = $${NEVER['dollar-quoted literal in a root span name']}$$", None, 2,
                 enduser__id=NEVER["attribute user id"]),
            span(trace, 1, f"GET /reset/{NAMES['span name token']}", None, 2, http__route=f"/reset/{NAMES['span name token']}",
                 http__url=f"https://shop.test/reset?token={NEVER['attribute url token']}"),
            span(trace, 1, "process", None, 5, messaging__destination__name=f"billing.{NAMES['queue name id']}"),
            ][trace % 3]
    return [root,
            span(trace, 2, "orders.pay", 1, 1, code__namespace="shop.orders.views", code__function="pay"),
            span(trace, 3, "accounts.check", 2, 1, code__namespace="shop.accounts.views", code__function="check"),
            span(trace, 4, "SELECT", 3, 3, db__system="postgresql",
                 db__statement=f"SELECT * FROM accounts_session WHERE token = '{NEVER['db statement literal']}'")]


def otlp_lines(traces: int) -> bytes:
    lines = [orjson.dumps({"resourceSpans": [{"resource": {"attributes": attrs(service__name="shop")},
                                              "scopeSpans": [{"spans": trace_spans(t)}]}]}) for t in range(1, traces + 1)]
    return b"\n".join(lines) + b"\n"


CONFIG = """\
name: secrets in trace stores
sources:
  git: {{repository: repo}}
  traces:
    - {traces}
contexts:
  orders: {{paths: ["shop/orders/**"], spans: {{code_namespaces: [shop.orders]}}}}
  accounts: {{paths: ["shop/accounts/**"], tables: [accounts_user, accounts_session], spans: {{code_namespaces: [shop.accounts]}}}}
{extra}"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    from chdb import session as chdb_session

    from analysis.sources.traces.store import OTEL_TRACES_DDL, otel_rows

    root = tmp_path_factory.mktemp("secrets-in-stores")
    repo = root / "repo"
    for n, folder in enumerate(("shop/orders", "shop/accounts")):
        (repo / folder).mkdir(parents=True)
        (repo / "shop" / "__init__.py").write_text("")
        (repo / folder / "__init__.py").write_text("")
        (repo / folder / f"m{n}.py").write_text("x = 1\n")
        if n == 0:
            git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"change {n}", date=f"2024-01-0{n + 1}T10:00:00Z")
    # a file above 1 MiB (trace_store_min_mib = 1): aggregated in DuckDB
    (root / "traces.jsonl").write_bytes(otlp_lines(1500))
    assert (root / "traces.jsonl").stat().st_size > 2**20
    session = chdb_session.Session(str(root / "chdb"))
    session.query(OTEL_TRACES_DDL.format(table="default.otel_traces"))
    rows = root / "rows.jsonl"
    rows.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in otel_rows(otlp_lines(30).splitlines())))
    session.query(f"INSERT INTO default.otel_traces FROM INFILE '{rows}' FORMAT JSONEachRow")
    session.close()
    rows.unlink()
    (root / "chdb.yml").write_text(CONFIG.format(traces=f"{{format: clickhouse, chdb: {root / 'chdb'}, table: default.otel_traces}}",
                                                 extra=""), encoding="utf-8")
    (root / "duckdb.yml").write_text(CONFIG.format(traces="{path: traces.jsonl, format: otlp-json}",
                                                   extra="thresholds: {trace_store_min_mib: 1}\n"), encoding="utf-8")
    return root


def seams(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEAMS_CACHE_DIR": str(project / "cache")}
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], cwd=project, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def runs(project: Path) -> dict[str, subprocess.CompletedProcess]:
    return {engine: seams(project, "report", "--config", str(project / f"{engine}.yml"), "--out", str(project / f"reports-{engine}"))
            for engine in ("chdb", "duckdb")}


INPUTS = ("repo", "traces.jsonl", "chdb", "chdb.yml", "duckdb.yml", "cache")  # the engine's own database and Seams' cache


def test_both_engines_wrote_a_report_naming_the_entry_points_masked(runs, project):
    for engine, run in runs.items():
        assert run.returncode == 0, run.stderr
        latest = project / f"reports-{engine}" / "latest"
        findings = orjson.loads((latest / "findings.json").read_bytes())
        orchestration = findings["runtime"]["orchestration"]
        entries = {row["entry_point"] for row in orchestration}
        # the three roots: a statement (its literal masked), a route template, a queue (its id masked)
        assert entries == {"SELECT * FROM accounts_user WHERE password = ? AND note = ?", "/reset/{…}", "billing.{…}"}, (engine, entries)
        assert {tuple(row["contexts"]) for row in orchestration} == {("accounts", "orders")}
        assert any(p.suffix == ".csv" for p in latest.rglob("*"))


def test_no_secret_outside_the_cache_nor_on_the_terminal(runs, project):
    leaks = []
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        if path.relative_to(project).parts[0] in INPUTS:
            continue
        text = pd.read_parquet(path).astype(str).to_csv() if path.suffix == ".parquet" else path.read_bytes().decode("utf-8", "replace")
        leaks += [f"{what} in {path.relative_to(project)}" for what, secret in {**NEVER, **NAMES}.items() if secret in text]
    for engine, run in runs.items():
        leaks += [f"{what} on the terminal ({engine})" for what, secret in {**NEVER, **NAMES}.items()
                  if secret in run.stdout + run.stderr]
    assert leaks == []
