"""The trend across runs, on small findings documents of three schema versions: what moved,
what is missing (never 0), what changed in the configuration, and ``seams trend``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.outputs import trend
from analysis.outputs.runs import migrate, read_runs, run_id_of, run_time, with_current


def findings(version: str, *, verdict: str = "NO", structural: float | None = 3, cycles: int | None = 2,
             contexts=("a", "b"), config: dict | None = None, recent_days: float = 90, runtime_measured: bool = True) -> dict:
    doc = {
        "schema_version": version,
        "verdicts": {"bottleneck": {"verdict": verdict}},
        "recommendation": {"verdict": "NOT YET"},
        "evidence_states": {"signals": {"structural": {"state": "measured"}, "evolutionary": {"state": "measured"},
                                        "data": {"state": "not measured"},
                                        "runtime": {"state": "measured" if runtime_measured else "not measured"}}},
        "pairs": ([] if structural is None else [{"context_a": "b", "context_b": "a", "signals": {
            "structural": {"value": structural}, "evolutionary": {"value": 0}, "data": {"value": None}, "runtime": {"value": 5}}}]),
        "inputs": {"git": {"unassigned_share": 0.1}, "sql": {"configured": False, "unassigned_share": None}},
        "contexts": [{"context": c, "commits_recent": 10 + n, "asymmetry_score": None, "compute_ratio_max": None} for n, c in enumerate(contexts)],
        "settings": {"thresholds": {"recent_days": recent_days}, "weights": {}},
    }
    if version.startswith("1."):
        del doc["evidence_states"]
    if version >= "2.2":
        doc["boundaries"] = {"counts": {"import": 0, "cycle": cycles, "write_shared_table": None, "cross_context_join": None}}
        doc["config"] = config or {"fingerprint": "f1", "contexts": {c: {"paths": [f"{c}/**"]} for c in contexts},
                                   "sources": {"git": ["repo"]}, "thresholds": {"recent_days": recent_days}, "weights": {}}
    return doc


def write_run(folder: Path, run_id: str, doc: dict) -> None:
    (folder / run_id).mkdir(parents=True)
    (folder / run_id / "findings.json").write_text(json.dumps(doc), encoding="utf-8")


@pytest.fixture
def reports(tmp_path) -> Path:
    out = tmp_path / "reports"
    write_run(out, "20260105T060000Z", findings("1.1", verdict="NO", structural=4))
    write_run(out, "20260112T060000Z", findings("2.0", verdict="NO", structural=3, runtime_measured=False))
    changed = {"fingerprint": "f2", "contexts": {"a": {"paths": ["a/**", "lib/**"]}, "b": {"paths": ["b/**"]}, "c": {"paths": ["c/**"]}},
               "sources": {"git": ["repo"], "sql": ["pg.log"]}, "thresholds": {"recent_days": 60.0}, "weights": {}}
    write_run(out, "20260119T060000Z", findings("2.2", verdict="YES", structural=None, cycles=0, contexts=("a", "b", "c"),
                                                config=changed, recent_days=60))
    write_run(out, "20260126T060000Z", findings("2.2", verdict="YES", structural=1, cycles=1, contexts=("a", "b", "c"),
                                                config=changed, recent_days=60))
    (out / "20260127T060000Z.failed").mkdir()
    (out / ".20260128T060000Z.partial").mkdir()
    (out / "latest").symlink_to("20260126T060000Z")
    return out


def values(frame: pd.DataFrame, metric: str, subject: str) -> list:
    rows = frame[(frame["metric"] == metric) & (frame["subject"] == subject)]
    return rows["value"].tolist()


def test_runs_are_read_oldest_first_and_unfinished_ones_left_out(reports):
    runs, notes = read_runs(reports)
    assert [r.run_id for r in runs] == ["20260105T060000Z", "20260112T060000Z", "20260119T060000Z", "20260126T060000Z"]
    assert runs[0].at == pd.Timestamp("2026-01-05T06:00:00Z") and notes == []
    assert "written before evidence states" in runs[0].notes[0] and runs[1].notes == ()
    assert runs[1].findings["boundaries"] is None  # added in 2.1: missing, not zero
    assert run_id_of("/x/.20260128T060000Z.partial") == "20260128T060000Z" and run_time("adhoc") is None


def test_every_figure_over_the_runs_with_missing_never_drawn_as_zero(reports):
    runs, _ = read_runs(reports)
    frame = trend.trend_frame(runs)
    assert values(frame, "verdict", "bottleneck") == ["NO", "NO", "YES", "YES"]
    # pair gone while the signal was measured: 0; a signal not measured: None
    assert values(frame, "coupling.structural", "a – b") == [4, 3, 0.0, 1]
    assert values(frame, "coupling.runtime", "a – b") == [5, 5, 0.0, 5]  # 2.0 run: runtime not measured but the pair is there
    assert values(frame, "violations", "cycle") == [None, None, 0, 1]  # boundaries came with schema 2.1
    assert values(frame, "change_frequency", "c") == [None, None, 12, 12]
    assert values(frame, "unassigned_share", "sql") == [None, None, None, None]


def test_a_pair_of_a_context_not_declared_in_a_run_is_missing_there():
    runs = [r for r in (with_current([], findings("2.2", structural=2), "20260101T000000Z"))]
    later = findings("2.2", structural=None, contexts=("a", "c"))
    runs = with_current(runs, later, "20260108T000000Z")
    assert values(trend.trend_frame(runs), "coupling.structural", "a – b") == [2, None]


def test_configuration_changes_between_runs(reports):
    runs, _ = read_runs(reports)
    changes = trend.config_changes(runs).set_index("run_id")
    assert not changes.loc["20260112T060000Z", "changed"]  # neither recorded its config; thresholds and contexts alike
    assert "configuration not recorded by schema 1.1" in changes.loc["20260112T060000Z", "changes"][0]
    third = changes.loc["20260119T060000Z"]
    assert third["changed"] and not third["recorded"]
    assert "context c added" in third["changes"] and "threshold recent_days: 90 → 60" in third["changes"]
    assert not changes.loc["20260126T060000Z", "changed"] and changes.loc["20260126T060000Z", "recorded"]


def test_the_table_shows_the_change_since_the_last_and_the_first_run(reports):
    runs, _ = read_runs(reports)
    table = trend.trend_table(trend.trend_frame(runs), runs).set_index(["metric", "subject"])
    assert table.loc[("verdict", "bottleneck"), "since last"] == "=" and table.loc[("verdict", "bottleneck"), "since first"] == "NO → YES"
    assert table.loc[("coupling.structural", "a – b"), "since last"] == 1 and table.loc[("coupling.structural", "a – b"), "since first"] == -3
    assert table.loc[("violations", "cycle"), "since first"] is None  # the first run did not count violations
    assert migrate({"schema_version": "3.0", "verdicts": {}})[1][0].startswith("schema 3.0 is newer")


def test_seams_trend_prints_the_table_and_writes_the_csv(reports, tmp_path, capsys):
    csv = tmp_path / "trend.csv"
    assert cli.main(["trend", "--out", str(reports), "--csv", str(csv), "--last", "2"]) == 0
    out = capsys.readouterr().out
    assert "4 runs in" in out and "20260119T060000Z *" in out
    assert "(1 runs between the first and the last 2 are in the CSV)" in out
    assert "* configuration changed before 20260119T060000Z: context c added; threshold recent_days: 90 → 60; configuration not recorded" in out
    assert "structural coupling (import rows)  a – b" in out
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["run_id", "at", "metric", "subject", "value", "config_changed"]
    assert frame[frame["config_changed"]]["run_id"].unique().tolist() == ["20260119T060000Z"]


def test_a_history_folder_of_findings_files_and_an_empty_one(tmp_path, capsys):
    history = tmp_path / "history"
    history.mkdir()
    (history / "20260105T060000Z.json").write_text(json.dumps(findings("2.2")), encoding="utf-8")
    (history / "notes.json").write_text("[1, 2]", encoding="utf-8")
    assert cli.main(["trend", "--history", str(history)]) == 0
    captured = capsys.readouterr()
    assert "1 runs in" in captured.out and "notes.json: not a readable findings document" in captured.err
    assert cli.main(["trend", "--out", str(tmp_path / "none")]) == 2
