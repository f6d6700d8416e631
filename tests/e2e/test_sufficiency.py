"""Verdicts never reached from negligible evidence: the pipeline on small real repositories and
trace files built by the test, with known answers."""

from __future__ import annotations

import datetime as dt
import time

import orjson
import pytest
from gitrepo import git, make_repo

from analysis import pipeline
from analysis.core.config import parse_config
from analysis.core.errors import SeamsError
from analysis.core.evidence import State

CONTEXTS = {"orders": {"paths": ["shop/orders/**"], "spans": {"services": ["orders"]}},
            "billing": {"paths": ["shop/billing/**"], "spans": {"services": ["billing"]}}}


def config_of(tmp_path, sources, contexts=CONTEXTS, **extra):
    return parse_config({"sources": sources, "contexts": contexts, **extra}, tmp_path / "seams.yml")


def run(config, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    return pipeline.run(config, use_cache=False)


def history(tmp_path, commits: int, days_apart: float = 1.0):
    """A repository of ``commits`` commits alternating between orders and billing, every
    ``days_apart`` days up to 2024-06-01, half of them touching both."""
    repo = make_repo(tmp_path / "repo", {"shop/__init__.py": "", "shop/orders/__init__.py": "", "shop/billing/__init__.py": "",
                                         "shop/orders/a.py": "x = 0\n", "shop/billing/b.py": "y = 0\n"})
    end = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    for n in range(1, commits):
        when = (end - dt.timedelta(days=days_apart * (commits - n))).isoformat()
        for path in (["shop/orders/a.py", "shop/billing/b.py"] if n % 2 else ["shop/orders/a.py"]):
            (repo / path).write_text(f"x = {n}\n")
        git(repo, "add", "-A")
        git(repo, "-c", f"user.name=dev{n % 3}", "commit", "-q", "-m", f"change {n}", date=when)
    return repo


def test_a_one_commit_repository_is_inconclusive_and_says_why(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", {"shop/orders/a.py": "x = 1\n", "shop/billing/b.py": "y = 1\n"})
    result = run(config_of(tmp_path, {"git": {"repository": str(repo)}}), tmp_path, monkeypatch)
    assert result.history.status.state is State.NOT_MEASURABLE
    assert "min_commits_recent = 30" in result.history.status.reason and "min_history_days = 90" in result.history.status.reason
    assert result.verdicts["bottleneck"].verdict == "INCONCLUSIVE"
    assert result.recommendation["verdict"] == "INCONCLUSIVE"
    assert any("git history: not measurable" in m for m in result.verdicts["bottleneck"].missing)


def test_a_shallow_clone_of_five_commits_is_inconclusive(tmp_path, monkeypatch):
    repo = history(tmp_path, 40, days_apart=3)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "5", f"file://{repo}", str(shallow))
    result = run(config_of(tmp_path, {"git": {"repository": str(shallow)}}), tmp_path, monkeypatch)
    assert len(result.frames["commits"]) == 5
    assert result.history.status.state is State.NOT_MEASURABLE
    assert result.verdicts["bottleneck"].verdict == "INCONCLUSIVE"


def test_since_in_the_future_is_inconclusive(tmp_path, monkeypatch):
    repo = history(tmp_path, 40)
    for since in ("2150-01-01", "2030-01-01"):
        result = run(config_of(tmp_path, {"git": {"repository": str(repo), "since": since}}), tmp_path, monkeypatch)
        assert result.frames["commits"].empty
        assert result.history.status.state is State.NOT_MEASURABLE and f"no commits since {since}" in result.history.status.reason
        assert result.verdicts["bottleneck"].verdict == "INCONCLUSIVE"


def test_a_map_that_leaves_every_file_unassigned_is_inconclusive_and_warned(tmp_path, monkeypatch):
    repo = history(tmp_path, 60)
    typo = {"orders": {"paths": ["shopp/orders/**"]}, "billing": {"paths": ["shopp/billing/**"]}}
    config = config_of(tmp_path, {"git": {"repository": str(repo)}, "imports": {"repository": str(repo)}}, contexts=typo)
    result = run(config, tmp_path, monkeypatch)
    assert result.history.status.state is State.NOT_MEASURABLE and "100% of the source files at HEAD in no context" in result.history.status.reason
    assert result.structure.status.state is not State.MEASURED
    assert result.verdicts["modularize_in_place"].verdict == "INCONCLUSIVE"  # never "YES, 0 import lines to change"
    assert result.recommendation["verdict"] == "INCONCLUSIVE"
    assert any("context orders: its paths match no file of the repository (shopp/orders/**)" == w for w in result.warnings)
    assert not result.ranking["candidate"].any()  # a context that owns no unit is never ranked


def test_a_context_whose_files_a_more_specific_one_claims_is_warned_and_not_ranked(tmp_path, monkeypatch):
    repo = history(tmp_path, 60)
    contexts = {**CONTEXTS, "shop": {"paths": ["shop/orders/**"]}}  # same glob: the first declared wins
    result = run(config_of(tmp_path, {"git": {"repository": str(repo)}}, contexts=contexts), tmp_path, monkeypatch)
    assert any(w.startswith("context shop: every file its paths match (2) is claimed by a more specific context") for w in result.warnings)
    row = result.ranking.set_index("context").loc["shop"]
    assert not row["candidate"] and row["why_not"].startswith("owns no unit")


def test_enough_history_is_measured_and_the_coordination_basis_is_stated(tmp_path, monkeypatch):
    repo = history(tmp_path, 120)
    result = run(config_of(tmp_path, {"git": {"repository": str(repo)}}), tmp_path, monkeypatch)
    assert result.history.status.known
    basis = result.history.coordination
    assert basis["judged"] == 90 and basis["cross_context"] == 45 and basis["share"] == 0.5  # 90 days, every other commit
    assert result.history.team_status.state is State.NOT_MEASURED  # no team map
    assert result.contexts["main_team_share"].isna().all() and result.contexts["cross_team_share"].isna().all()
    bottleneck = result.verdicts["bottleneck"]
    assert {c.name: c.holds for c in bottleneck.checks}["coordination"] is True


def test_what_if_redecides_without_measuring_again(tmp_path, monkeypatch):
    repo = history(tmp_path, 120)
    result = run(config_of(tmp_path, {"git": {"repository": str(repo)}}), tmp_path, monkeypatch)
    started = time.perf_counter()
    stricter = pipeline.redecide(result, thresholds={"cross_context_change_share": 0.6}, weights={"change_pain": 0.5})
    assert time.perf_counter() - started < 1.0
    assert {c.name: c.holds for c in stricter.verdicts["bottleneck"].checks}["coordination"] is False
    assert stricter.history is result.history and stricter.config.weights["change_pain"] == 0.5
    with pytest.raises(SeamsError, match="recent_days changes what is measured"):
        pipeline.redecide(result, thresholds={"recent_days": 30})


def spans_file(tmp_path, services, seconds: float, internal: bool):
    """One trace per second for ``seconds``: a SERVER span of the first service, a db CLIENT
    span under it, and (``internal``) an INTERNAL child in the second service's code."""
    lines = []
    t0 = 1_700_000_000 * 10**9
    for n in range(int(seconds)):
        trace = f"{n + 1:032x}"
        start = t0 + n * 10**9
        root = {"traceId": trace, "spanId": f"{n + 1:08x}00000001", "name": "GET /orders", "kind": 2,
                "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 50_000_000),
                "attributes": [{"key": "http.route", "value": {"stringValue": "/orders"}}]}
        db = {"traceId": trace, "spanId": f"{n + 1:08x}00000002", "parentSpanId": root["spanId"], "name": "SELECT", "kind": 3,
              "startTimeUnixNano": str(start + 1), "endTimeUnixNano": str(start + 10_000_000),
              "attributes": [{"key": "db.system", "value": {"stringValue": "postgresql"}},
                             {"key": "db.statement", "value": {"stringValue": "SELECT * FROM orders_order WHERE id = 1"}}]}
        spans = [root, db]
        if internal:
            spans.append({"traceId": trace, "spanId": f"{n + 1:08x}00000003", "parentSpanId": root["spanId"], "name": "charge",
                          "kind": 1, "startTimeUnixNano": str(start + 20_000_000), "endTimeUnixNano": str(start + 30_000_000),
                          "attributes": [{"key": "code.namespace", "value": {"stringValue": "shop.billing.api"}}]})
        lines.append(orjson.dumps({"resourceSpans": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": services[0]}}]}, "scopeSpans": [{"spans": spans}]}]}))
    path = tmp_path / "traces.jsonl"
    path.write_bytes(b"\n".join(lines))
    return path


TRACE_CONTEXTS = {"orders": {"paths": ["shop/orders/**"], "spans": {"routes": ["/orders"]}},
                  "billing": {"paths": ["shop/billing/**"], "spans": {"code_namespaces": ["shop.billing"]}}}


def test_an_auto_instrumented_monolith_cannot_show_calls_between_contexts(tmp_path, monkeypatch):
    path = spans_file(tmp_path, ["shop"], seconds=7, internal=False)
    result = run(config_of(tmp_path, {"traces": [{"path": str(path)}]}, contexts=TRACE_CONTEXTS), tmp_path, monkeypatch)
    assert result.runtime.calls_status.state is State.NOT_MEASURABLE
    assert "code.namespace" in result.runtime.calls_status.reason and "module.identifier" in result.runtime.calls_status.reason
    assert result.pairs.empty or result.pairs["runtime_coupled"].isna().all()  # never "not coupled"
    # seven seconds of traces: one load bucket, no load shape
    assert result.runtime.load_status.state is State.NOT_MEASURABLE and "7 seconds" in result.runtime.load_status.reason
    scaling = {c.name: c for c in result.verdicts["bottleneck"].checks}["scaling"]
    assert scaling.holds is None


def test_spans_inside_the_process_make_calls_measurable(tmp_path, monkeypatch):
    path = spans_file(tmp_path, ["shop"], seconds=12, internal=True)
    result = run(config_of(tmp_path, {"traces": [{"path": str(path)}]}, contexts=TRACE_CONTEXTS), tmp_path, monkeypatch)
    assert result.runtime.calls_status.known
    calls = result.runtime.calls.set_index(["caller", "callee"])
    assert calls.loc[("orders", "billing"), "calls"] == 12
    # data coupling from the database spans alone: orders reads orders_order
    assert result.data.origin == "traces" and result.data.status.known
    assert result.data.table_contexts[["table", "context", "reads", "writes"]].values.tolist() == [["orders_order", "orders", 12, 0]]


def test_layer_that_imports_everything_is_suggested_a_role(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", {
        "shop/__init__.py": "", "shop/orders/__init__.py": "", "shop/orders/models.py": "x = 1\n",
        "shop/billing/__init__.py": "", "shop/billing/models.py": "y = 1\n",
        "shop/catalog/__init__.py": "", "shop/catalog/models.py": "z = 1\n",
        "shop/api/__init__.py": "", "shop/api/views.py": "from shop.orders import models\nfrom shop.billing import models as b\n"
                                                           "from shop.catalog import models as c\n"})
    contexts = {n: {"paths": [f"shop/{n}/**"]} for n in ("orders", "billing", "catalog", "api")}
    result = run(config_of(tmp_path, {"imports": {"repository": str(repo), "packages": ["shop"]}}, contexts=contexts), tmp_path, monkeypatch)
    assert any(w.startswith("context api imports 3 of the 3 other contexts and none imports it: it looks like a layer")
               for w in result.warnings)
    layered = {**contexts, "api": {"paths": ["shop/api/**"], "role": "layer"}}
    again = run(config_of(tmp_path, {"imports": {"repository": str(repo), "packages": ["shop"]}}, contexts=layered), tmp_path, monkeypatch)
    assert not any("looks like a layer" in w for w in again.warnings)
    assert again.ranking.set_index("context").loc["api", "why_not"] == "role: layer"


def test_orm_foreign_keys_are_schema_evidence_of_data_coupling_without_a_log(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", {
        "shop/__init__.py": "", "shop/orders/__init__.py": "", "shop/billing/__init__.py": "",
        "shop/orders/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n"
                                 "    invoice = models.ForeignKey('billing.Invoice', on_delete=models.CASCADE)\n",
        "shop/billing/models.py": "from django.db import models\n\n\nclass Invoice(models.Model):\n    total = models.IntegerField()\n",
    })
    contexts = {"orders": {"paths": ["shop/orders/**"], "tables": ["orders_order"]},
                "billing": {"paths": ["shop/billing/**"], "tables": ["billing_invoice"]}}
    result = run(config_of(tmp_path, {"imports": {"repository": str(repo), "packages": ["shop"]}}, contexts=contexts), tmp_path, monkeypatch)
    assert not result.data.status.known and result.data.schema_status.known
    assert result.data.schema_pairs[["context_a", "context_b", "relations"]].values.tolist() == [["billing", "orders", 1]]
    assert result.signal_states["data"].known and "schema evidence" in result.signal_states["data"].reason
    pair = result.pairs.set_index(["context_a", "context_b"]).loc[("billing", "orders")]
    assert pair["data"] == 1 and pair["data_coupled"]
