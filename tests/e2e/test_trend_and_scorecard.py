"""Scheduled runs of the sample: three runs with a code change and then a configuration change
between them read as a trend (``seams trend``, the report's trend section), and the scorecard
notebook on the sample with deploy, incident and cost logs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import papermill
import pytest
from gitrepo import git

from analysis import cli, pipeline
from analysis.core.config import load_config
from analysis.outputs.findings import build_findings, write_findings
from analysis.outputs.report import run_report

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RUN_IDS = ("20261102T060000Z", "20261109T060000Z", "20261116T060000Z")


@pytest.fixture(scope="module")
def three_runs(sample_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("trend")
    sample = root / "sample"
    shutil.copytree(sample_run.sample_dir, sample, symlinks=True, ignore=shutil.ignore_patterns(".seams-cache"))
    config = sample / "seams.yml"
    reports = root / "reports"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEAMS_CACHE_DIR", str(root / "cache"))

        def run(run_id: str) -> None:
            write_findings(build_findings(pipeline.run(load_config(config))), reports / run_id / "findings.json")

        run(RUN_IDS[0])
        # a week later: accounts imports billing (which imports accounts): a new cycle
        (sample / "repo" / "shopfront" / "accounts" / "loyalty.py").write_text("from shopfront.billing import services\n", encoding="utf-8")
        git(sample / "repo", "add", "-A")
        git(sample / "repo", "commit", "-q", "-m", "Loyalty points from invoices", date="2026-11-06T10:00:00Z")
        run(RUN_IDS[1])
        # the week after: the configuration changes (a threshold)
        config.write_text(config.read_text(encoding="utf-8").replace("thresholds: {}", "thresholds: {recent_days: 60}"), encoding="utf-8")
        run(RUN_IDS[2])
    return root, reports, config


def test_seams_trend_shows_what_moved_and_the_configuration_change(three_runs, tmp_path, capsys):
    _, reports, _ = three_runs
    csv = tmp_path / "trend.csv"
    assert cli.main(["trend", "--out", str(reports), "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert f"3 runs in {reports}, {RUN_IDS[0]} to {RUN_IDS[2]}" in out
    assert f"{RUN_IDS[2]} *" in out and f"* configuration changed before {RUN_IDS[2]}: threshold recent_days: 90 → 60" in out
    frame = pd.read_csv(csv)
    cycles = frame[(frame["metric"] == "violations") & (frame["subject"] == "cycle")]["value"].astype(float).tolist()
    assert cycles[1] > cycles[0]  # the new import closed a cycle between accounts and billing
    pair = frame[(frame["metric"] == "coupling.structural") & (frame["subject"] == "accounts – billing")]["value"].astype(float).tolist()
    assert pair[1] == pair[0] + 1
    assert frame["config_changed"].tolist().count(True) == len(frame[frame["run_id"] == RUN_IDS[2]])


def test_the_report_reads_the_runs_before_it(three_runs, tmp_path, monkeypatch):
    root, reports, config = three_runs
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(root / "cache"))
    result = run_report(config, tmp_path / "out", history=reports)
    page = result.html.read_text(encoding="utf-8")
    assert "Trend across runs" in page and "configuration changed" in page
    assert "threshold recent_days: 90 → 60" in page
    assert result.findings["schema_version"] == "2.3" and result.findings["config"]["thresholds"]["recent_days"] == 60
    assert result.findings["boundaries"]["counts"]["cycle"] > 0
    assert result.findings["scorecard"]["inputs"]["deploys"]["state"] == "not measured"


def test_the_scorecard_notebook_on_the_sample_with_its_logs(sample_run, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(sample_run.cache_dir))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "deploys.csv").write_text("timestamp,duration_s,status,contexts\n" + "".join(
        f"2026-{m:02d}-{d:02d}T10:00:00Z,{2700 if m < 9 else 480},success,{'' if m < 9 else 'billing'}\n"
        for m in (6, 7, 8, 9, 10) for d in (3, 10, 17, 24)), encoding="utf-8")
    (logs / "incidents.csv").write_text("opened_at,resolved_at,severity,contexts\n2026-07-02T08:00:00Z,2026-07-02T12:00:00Z,SEV2,billing\n"
                                        "2026-10-02T08:00:00Z,2026-10-02T09:00:00Z,SEV3,billing\n", encoding="utf-8")
    (logs / "costs.csv").write_text("month,amount,currency,contexts\n2026-08,12000,USD,\n2026-09,15000,USD,\n", encoding="utf-8")
    text = sample_run.config_path.read_text(encoding="utf-8")
    text = text.replace("    repository: repo\n    ignore_paths", f"    repository: repo\n    deploys: {logs / 'deploys.csv'}\n    ignore_paths", 1)
    text = text.replace("  traces:\n", f"  incidents: {logs / 'incidents.csv'}\n  costs: {logs / 'costs.csv'}\n  traces:\n", 1)
    text += "scorecard:\n  period: month\n  events: [{date: 2026-09-01, label: billing extracted, context: billing}]\n"
    config = sample_run.config_path.with_name("seams-scorecard.yml")
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "06-scorecard.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "06-scorecard.ipynb"), str(out),
                               parameters={"config_path": str(config), "context": "billing"}, cwd=str(ROOT),
                               kernel_name="python3", progress_bar=False)
    shown = json.dumps(json.loads(out.read_text(encoding="utf-8")))
    assert "deployment frequency" in shown and "billing extracted (2026-09-01)" in shown
    assert "45 min" in shown and "8 min" in shown  # the monolith's deploys, then billing's own


def test_the_scorecard_notebook_is_thin():
    nb = json.loads((ROOT / "notebooks" / "06-scorecard.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") for c in code)
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code)
    assert not any("def " in "".join(c["source"]) or "lambda" in "".join(c["source"]) for c in code)
