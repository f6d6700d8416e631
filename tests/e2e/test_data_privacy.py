"""No literal of a SQL log reaches a frame, a metric, findings.json or the data-coupling notebook.

A PostgreSQL stderr log full of distinctive secrets (emails, card numbers, tokens, an
address) in string literals, dollar quotes, ``E''`` strings, IN lists, bound parameters,
error details, comments and a literal over two lines goes through the miner, the whole
pipeline, the ownership and data-coupling metrics, ``findings.json`` and
``notebooks/03-data-coupling.ipynb``; every output is searched for every secret.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import pipeline
from analysis.core.config import load_config
from analysis.mapping.attribution import attribute_statements
from analysis.mapping.contexts import ContextMap
from analysis.mapping.ownership import infer_table_ownership, ownership_evidence
from analysis.measures.coupling import data
from analysis.outputs.findings import build_findings

ROOT = Path(__file__).resolve().parents[2]

SECRETS = [
    "alice.secret@example.com", "bob.hidden@example.net", "carol.private@example.org", "dave.comment@example.com",
    "4111111111111111", "5500000000000004", "340000000000009", "tok_live_9f8e7d6c5b4a", "abc123XYZ",
    "ghp_SECRETtoken1234567890", "221B Secret Street", "erin.multi@example.com",
]

P = "2024-03-01 10:00:0{s}.000 UTC [{pid}] shop@shop "
LOG = "\n".join([
    P.format(s=0, pid=100) + "LOG:  duration: 0.5 ms  statement: INSERT INTO orders_order (email, card) "
    "VALUES ('alice.secret@example.com', '4111111111111111')",
    P.format(s=1, pid=100) + "LOG:  duration: 0.5 ms  statement: UPDATE billing_invoice SET token = 'tok_live_9f8e7d6c5b4a' "
    "WHERE id = 42 /*controller='orders.views',route='%2Forders'*/",
    P.format(s=2, pid=101) + "LOG:  duration: 0.2 ms  execute <unnamed>: SELECT * FROM orders_order o "
    "JOIN billing_invoice i ON i.order_id = o.id WHERE o.email = $1",
    P.format(s=2, pid=101) + "DETAIL:  parameters: $1 = 'bob.hidden@example.net'",
    P.format(s=3, pid=102) + "ERROR:  duplicate key value violates unique constraint \"orders_email\"",
    P.format(s=3, pid=102) + "DETAIL:  Key (email)=(carol.private@example.org) already exists.",
    P.format(s=3, pid=102) + "STATEMENT:  INSERT INTO orders_order (email) VALUES ('carol.private@example.org')",
    P.format(s=4, pid=103) + "LOG:  duration: 1.0 ms  statement: SELECT id FROM billing_invoice WHERE card IN "
    "('5500000000000004', '340000000000009') AND note = E'sk\\'abc123XYZ'",
    P.format(s=5, pid=103) + "LOG:  duration: 1.0 ms  statement: INSERT INTO orders_order (note) "
    "VALUES ($$ghp_SECRETtoken1234567890$$) -- dave.comment@example.com",
    P.format(s=6, pid=103) + "LOG:  duration: 1.0 ms  statement: UPDATE orders_order SET address = 'line one",
    "\tFlat 9, 221B Secret Street', email = 'erin.multi@example.com' WHERE id = 7",
    P.format(s=7, pid=104) + "LOG:  statement: DELETE FROM billing_invoice WHERE email = 'alice.secret@example.com'",
    P.format(s=7, pid=104) + "LOG:  duration: 0.3 ms",
]) + "\n"

CONFIG = """\
name: secrets
sources:
  sql:
    - path: postgresql.log
      format: postgres-stderr
      log_line_prefix: "%m [%p] %q%u@%d "
contexts:
  orders:
    paths: ["shop/orders/**"]
    tables: [orders_order]
    spans:
      routes: ["/orders", "/orders/*"]
  billing:
    paths: ["shop/billing/**"]
    tables: [billing_invoice]
"""


@pytest.fixture(scope="module")
def secret_config(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("secrets")
    (folder / "postgresql.log").write_text(LOG, encoding="utf-8")
    (folder / "seams.yml").write_text(CONFIG, encoding="utf-8")
    return folder / "seams.yml"


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_the_log_really_holds_every_secret():
    assert _leaks(LOG) == SECRETS


def test_no_secret_in_frames_metrics_or_findings(secret_config, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    config = load_config(secret_config)
    result = pipeline.run(config, use_cache=False)
    f = result.frames
    assert len(f["statements"]) == 7  # the failed INSERT is not an execution
    cmap = ContextMap(config.contexts)
    attributed = attribute_statements(f["statements"], f["spans"], cmap.assign_spans(f["spans"]), cmap)
    assert (attributed["method"] == "controller").sum() + (attributed["method"] == "route").sum() == 1
    evidence = ownership_evidence(f["table_access"], cmap, statements=f["statements"], statement_attribution=attributed)
    owned = infer_table_ownership(evidence, cmap, tables=f["table_access"]["table"], use_declared=False)
    outputs = [
        *f.values(), result.data.table_contexts, result.data.shared_tables, result.data.write_shared_tables,
        result.data.cross_context_joins, result.pairs, result.contexts, result.ranking, evidence, owned,
        data.table_load(f["statements"], f["table_access"]), data.hot_tables(f["statements"], f["table_access"]),
        data.db_time_by_context(f["statements"], attributed),
        data.domain_events(f["statements"], attributed, f["queries"], f["table_access"], owned),
    ]
    text = "\n".join(frame.astype(str).to_csv() for frame in outputs)
    assert "orders_order" in text and "billing_invoice" in text  # the outputs are not empty
    assert _leaks(text) == []
    findings = json.dumps(build_findings(result), default=str)
    assert "billing_invoice" in findings
    assert _leaks(findings) == []


@pytest.mark.e2e
def test_no_secret_in_the_executed_notebook(secret_config, tmp_path, monkeypatch):
    from analysis.outputs.report import execute_notebook

    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    executed = execute_notebook(ROOT / "notebooks" / "03-data-coupling.ipynb", tmp_path / "03.ipynb",
                                {"config_path": str(secret_config), "use_cache": False})
    text = executed.read_text(encoding="utf-8")
    assert "orders.order.inserted" in text  # the notebook got as far as the domain events
    assert _leaks(text) == []
