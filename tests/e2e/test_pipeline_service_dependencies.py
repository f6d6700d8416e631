"""A team with only Jaeger's /api/dependencies still gets service-level runtime coupling."""

import json

from analysis import pipeline
from analysis.core.config import parse_config


def test_dependencies_alone_give_runtime_pairs(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    deps = {"data": [{"parent": "shop-web", "child": "billing-api", "callCount": 120},
                     {"parent": "shop-web", "child": "mailer", "callCount": 3},
                     {"parent": "billing-api", "child": "billing-api", "callCount": 50}]}
    (tmp_path / "deps.json").write_text(json.dumps(deps), encoding="utf-8")
    config = parse_config({
        "sources": {"traces": [{"path": "deps.json", "format": "jaeger-dependencies"}]},
        "contexts": {
            "orders": {"spans": {"services": ["shop-web"]}},
            "billing": {"spans": {"services": ["billing-api"]}},
            "notifications": {"spans": {"services": ["mailer"]}},
        },
    }, tmp_path / "seams.yml")
    result = pipeline.run(config, use_cache=False)
    calls = {(r.caller, r.callee): r.calls for r in result.runtime.calls.itertuples()}
    assert calls == {("orders", "billing"): 120, ("orders", "notifications"): 3}
    pairs = result.pairs.set_index(["context_a", "context_b"])
    assert pairs.loc[("billing", "orders"), "runtime_coupled"]
    assert not pairs.loc[("notifications", "orders"), "runtime_coupled"]  # 3 calls < runtime_min_calls
