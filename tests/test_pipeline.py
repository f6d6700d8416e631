"""The pipeline when a source cannot be read at all: missing evidence that says why, never a
failed run; the sources that could be read are measured as usual."""

from __future__ import annotations

import json

import pytest
from gitrepo import make_repo

from analysis import pipeline
from analysis.core.config import parse_config
from analysis.core.errors import SourceError
from analysis.outputs.findings import build_findings

SECRET = "S3CRET-first-line-4111111111111111"


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    make_repo(tmp_path / "repo", {"app/a/m.py": "x = 1\n", "app/b/n.py": "import app.a.m\n"})
    (tmp_path / "broken.jsonl").write_bytes(b"\x1f\x8b" + b"not gzip at all" * 10)
    (tmp_path / "good.jsonl").write_bytes(b"")
    (tmp_path / "pg.log").write_text(f"AND password = '{SECRET}' AND card = 4111111111111111\n", encoding="utf-8")
    return parse_config({
        "sources": {"git": {"repository": "repo"}, "sql": [{"path": "pg.log", "format": "postgres-stderr"}],
                    "traces": [{"path": "broken.jsonl"}]},
        "contexts": {"a": {"paths": ["app/a/**"]}, "b": {"paths": ["app/b/**"]}},
    }, tmp_path / "seams.yml")


def test_a_source_that_cannot_be_read_is_missing_evidence_with_its_error(config):
    result = pipeline.run(config, use_cache=False)
    inputs = result.inputs
    assert inputs["git"]["configured"] and inputs["git"]["records_read"] == 1 and not inputs["git"].get("error")
    assert "gzip" in inputs["traces"]["error"] and str(config.traces[0].path) in inputs["traces"]["error"]
    assert "log_line_prefix" in inputs["sql"]["error"] or "format" in inputs["sql"]["error"]
    findings = build_findings(result)
    states = findings["evidence_states"]
    assert states["history"]["state"] in ("measured", "not measurable")  # git was read
    for key in ("runtime_calls", "load", "coverage"):
        assert states[key]["state"] == "not measured"
        assert "could not be read" in states[key]["reason"] and "gzip" in states[key]["reason"], key
    assert states["data"]["state"] == "not measured" and "could not be read" in states["data"]["reason"]
    assert findings["inputs"]["traces"]["error"] == inputs["traces"]["error"]
    assert SECRET not in json.dumps(findings) and "4111111111111111" not in json.dumps(findings)


def test_one_unreadable_file_of_a_kind_leaves_the_others_read(config, tmp_path):
    from dataclasses import replace

    from analysis.core.config import TraceSource

    both = replace(config, sql=(), traces=(*config.traces, TraceSource(tmp_path / "good.jsonl")))
    result = pipeline.run(both, use_cache=False)
    assert "gzip" in result.inputs["traces"]["error"]
    assert result.mined.given("traces")  # one file was read: the kind is measured, partly
    assert "could not be read" not in result.runtime.calls_status.reason


def test_mining_can_still_fail_on_the_first_unreadable_source(config):
    with pytest.raises(SourceError, match="gzip"):
        pipeline.mine(config, use_cache=False, only=("traces",), strict=True)
