import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.core.errors import ReportError
from analysis.core.version import __version__
from analysis.outputs.report import RunResult


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def git_repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    (repo / "app" / "a").mkdir(parents=True)
    env = {"GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": "ann@example.com", "GIT_COMMITTER_NAME": "Ann",
           "GIT_COMMITTER_EMAIL": "ann@example.com", "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    for n in (1, 2):
        write(repo / "app" / "a" / "m.py", f"x = {n}\n")
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(repo), "commit", "-qm", f"change {n}"], check=True, env=env)
    return repo


def test_bad_config_exits_2_naming_file_and_key_without_traceback(tmp_path, capsys):
    config = write(tmp_path / "seams.yml", "contexts:\n  a: {paths: ['a/**']}\nthresholds: {recent_dayz: 3}\n")
    code = cli.main(["report", "--config", str(config), "--out", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == 2
    assert str(config) in err and "thresholds.recent_dayz" in err
    assert "Traceback" not in err
    assert not (tmp_path / "reports").exists()


def test_missing_config_file_exits_2(tmp_path, capsys):
    assert cli.main(["mine", "git", "--config", str(tmp_path / "nope.yml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "nope.yml" in err and "no such file" in err and "Traceback" not in err


def test_repository_that_is_not_a_git_repository_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    config = write(tmp_path / "seams.yml", "sources:\n  git: {repository: plain}\ncontexts:\n  a: {paths: ['a/**']}\ncache_dir: cache\n")
    code = cli.main(["mine", "git", "--config", str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "not a git repository" in err and str(tmp_path / "plain") in err
    assert "Traceback" not in err


def test_mining_a_source_the_config_does_not_declare_exits_2(tmp_path, capsys):
    config = write(tmp_path / "seams.yml", "contexts:\n  a: {paths: ['a/**']}\n")
    assert cli.main(["mine", "sql", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "sources.sql is not configured" in capsys.readouterr().err


def test_mine_git_writes_parquet_and_rejects(tmp_path, git_repo, capsys):
    config = write(tmp_path / "seams.yml", f"sources:\n  git: {{repository: {git_repo}}}\ncontexts:\n  a: {{paths: ['app/a/**']}}\ncache_dir: cache\n")
    out = tmp_path / "out"
    assert cli.main(["mine", "git", "--config", str(config), "--out", str(out), "--no-cache"]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["commits.parquet", "file_changes.parquet", "rejects.csv"]
    assert len(pd.read_parquet(out / "commits.parquet")) == 2
    assert f"wrote {out / 'commits.parquet'} (2 rows)" in printed
    assert "git: 2 records read, 0 rejected" in printed


def fake_result(tmp_path) -> RunResult:
    run_dir = tmp_path / "reports" / "20240101T000000Z"
    findings = {
        "verdicts": {
            "bottleneck": {"question": "Is the monolith actually the bottleneck?", "verdict": "YES", "summary": "3 of 3 pressures hold."},
            "observability": {"question": "Do you have observability?", "verdict": "PARTIAL", "summary": "2 contexts untraced."},
        },
        "recommendation": {"verdict": "GO", "headline": "Extract ingestion first."},
    }
    return RunResult("20240101T000000Z", run_dir, run_dir / "report.ipynb", run_dir / "report.html", findings, findings["verdicts"])


def test_report_prints_verdicts_headline_and_html_path(tmp_path, monkeypatch, capsys):
    calls = []

    def run_report(config, out, *, use_cache=True, notebook=None):
        calls.append((config, out, use_cache))
        return fake_result(tmp_path)

    monkeypatch.setattr("analysis.outputs.report.run_report", run_report)
    assert cli.main(["report", "--config", "c.yml", "--no-cache"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert calls == [(Path("c.yml"), Path("reports"), False)]
    assert out == [
        "Is the monolith actually the bottleneck?", "  YES: 3 of 3 pressures hold.",
        "Do you have observability?", "  PARTIAL: 2 contexts untraced.",
        "Recommendation: GO — Extract ingestion first.",
        f"report: {tmp_path / 'reports' / '20240101T000000Z' / 'report.html'}",
    ]


def test_failed_report_run_exits_1_without_traceback(monkeypatch, capsys):
    def run_report(*args, **kwargs):
        raise ReportError("report run X failed in notebook cell 4: ValueError: boom\nthe executed notebook is kept at /r/X.failed/report.ipynb")

    monkeypatch.setattr("analysis.outputs.report.run_report", run_report)
    assert cli.main(["report", "--config", "c.yml"]) == 1
    err = capsys.readouterr().err
    assert "cell 4" in err and "/r/X.failed/report.ipynb" in err and "Traceback" not in err


def test_interrupt_exits_130(monkeypatch, capsys):
    def run_report(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("analysis.outputs.report.run_report", run_report)
    assert cli.main(["report", "--config", "c.yml"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_sample_passes_its_options(tmp_path, monkeypatch, capsys):
    import seams_sample

    calls = []

    def build_sample(out, seed=7, scale="small", overwrite=False, profile="shop", contexts=30):
        calls.append((out, seed, scale, overwrite, profile, contexts))
        return out / "seams.yml"

    monkeypatch.setattr(seams_sample, "build_sample", build_sample, raising=False)
    assert cli.main(["sample", "--out", str(tmp_path), "--seed", "3", "--scale", "full", "--force"]) == 0
    assert calls == [(tmp_path, 3, "full", True, "shop", 30)]
    assert cli.main(["sample", "--out", str(tmp_path), "--profile", "wide", "--contexts", "12"]) == 0
    assert calls[-1] == (tmp_path, 7, "small", False, "wide", 12)
    assert f"sample written: {tmp_path / 'seams.yml'}" in capsys.readouterr().out
    assert cli.main(["sample", "--out", str(tmp_path), "--overwrite"]) == 0
    assert calls[-1] == (tmp_path, 7, "small", True, "shop", 30)


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"seams {__version__}"


@pytest.mark.parametrize("argv", [["frobnicate"], [], ["mine", "logs", "--config", "c", "--out", "o"], ["report"]])
def test_usage_errors_exit_2_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert "usage: seams" in capsys.readouterr().err


def test_module_entry_point_runs_without_traceback(tmp_path):
    config = write(tmp_path / "seams.yml", "contexts: []\n")
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", "report", "--config", str(config)],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert proc.returncode == 2
    assert "contexts" in proc.stderr and "Traceback" not in proc.stderr


def test_messages_quoting_input_are_printed_masked_and_escaped(monkeypatch, capsys):
    def run_report(*args, **kwargs):
        raise ReportError("report run X failed: ValueError: first line: 'AND password = 'S3CRET' AND y' \x1b]0;pwned\x07\x1b[2J")

    monkeypatch.setattr("analysis.outputs.report.run_report", run_report)
    assert cli.main(["report", "--config", "c.yml"]) == 1
    err = capsys.readouterr().err
    assert "report run X failed: ValueError: first line: '" in err
    assert "S3CRET" not in err and "\x1b" not in err and "\x07" not in err and "\\x1b[2J" in err


def test_an_out_that_is_a_file_exits_2_with_one_message(tmp_path, git_repo, capsys):
    config = write(tmp_path / "seams.yml", f"sources:\n  git: {{repository: {git_repo}}}\ncontexts:\n  a: {{paths: ['a/**']}}\n"
                   "cache_dir: cache\n")
    out = write(tmp_path / "reports", "a file")
    assert cli.main(["report", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"seams: {out}") and "not a folder" in err and "Traceback" not in err
    assert cli.main(["mine", "git", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"seams: {out}") and "not a folder" in err and "Traceback" not in err


def test_a_report_written_with_sources_that_failed_exits_3(tmp_path, monkeypatch, capsys):
    def run_report(*args, **kwargs):
        result = fake_result(tmp_path)
        result.findings["inputs"] = {"git": {"configured": True, "error": None},
                                     "traces": {"configured": True, "error": "/t/x.jsonl.gz: not a readable gzip file"}}
        return result

    monkeypatch.setattr("analysis.outputs.report.run_report", run_report)
    assert cli.main(["report", "--config", "c.yml"]) == cli.EXIT_SOURCES_FAILED == 3
    captured = capsys.readouterr()
    assert "report: " in captured.out
    assert "seams: warning: traces could not be read: /t/x.jsonl.gz: not a readable gzip file" in captured.err
