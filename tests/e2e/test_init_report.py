"""seams init's file runs ``seams report`` as it is: init on the sample's repository, with its SQL
log and traces, then the real report (notebook, HTML, findings.json) from that file alone."""

from __future__ import annotations

import csv

import pytest

from analysis.cli import main


@pytest.mark.e2e
def test_init_then_report_on_the_sample(sample_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    sample = sample_run.sample_dir
    config = tmp_path / "proposed" / "seams.yml"
    assert main(["init", str(sample / "repo"), "--sql", str(sample / "logs" / "postgresql.log"),
                 "--traces", str(sample / "traces" / "otlp.jsonl"), "--out", str(config)]) == 0
    printed = capsys.readouterr().out
    assert "contexts proposed (django)" in printed and "coverage:" in printed
    assert main(["report", "--config", str(config), "--out", str(tmp_path / "reports")]) == 0
    run = next(p for p in (tmp_path / "reports").iterdir() if p.is_dir() and p.name != "latest")
    import json

    findings = json.loads((run / "findings.json").read_text(encoding="utf-8"))
    assert findings["schema_version"] == "2.3" and findings["decomposition"]["status"]["state"] == "measured"
    assert set(findings["config"]["contexts"]) >= {"orders", "billing", "catalog", "accounts"}
    rows = list(csv.DictReader((run / "partitions.csv").open(encoding="utf-8")))
    assert {r["partition"] for r in rows} >= {"declared"} and {r["unit_kind"] for r in rows} == {"module"}
    assert "Is there a better partition?" in (run / "report.html").read_text(encoding="utf-8")
