"""Partial inputs through `seams report`: every piece of evidence says what it is, and nothing
that was not measured is shown as a number, a zero or a passed check."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from analysis.outputs.report import run_report

pytestmark = pytest.mark.e2e

SHAPES = {
    "git": ["git"], "git-imports": ["git", "imports"], "traces": ["traces"],
    "traces-sql": ["traces", "sql"], "sql": ["sql"],
}
SIGNAL_OF = {"structural": "imports", "evolutionary": "git", "data": None, "runtime": "traces"}


@pytest.fixture(scope="module")
def shapes(sample_run, tmp_path_factory):
    raw = yaml.safe_load(sample_run.config_path.read_text(encoding="utf-8"))
    out = {}
    for name, kinds in SHAPES.items():
        config = dict(raw, sources={k: v for k, v in raw["sources"].items() if k in kinds})
        path = sample_run.sample_dir / f"seams-{name}.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        reports = tmp_path_factory.mktemp(f"reports-{name}")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SEAMS_CACHE_DIR", str(sample_run.cache_dir))
            result = run_report(path, reports)
        out[name] = (result.findings, result.html.read_text(encoding="utf-8"))
    out["everything"] = (sample_run.findings, sample_run.html.read_text(encoding="utf-8"))
    return out


def states(findings):
    return {k: v["state"] for k, v in findings["evidence_states"].items() if isinstance(v, dict) and "state" in v}


EXPECTED = {  # evidence -> state per shape (m: measured, n: not measured)
    "git": {"history": "m", "structure": "n", "data": "n", "runtime_calls": "n", "load": "n", "coverage": "n"},
    "git-imports": {"history": "m", "structure": "m", "data": "n", "runtime_calls": "n", "load": "n", "coverage": "n"},
    "traces": {"history": "n", "structure": "n", "data": "m", "runtime_calls": "m", "load": "m", "coverage": "m"},
    "traces-sql": {"history": "n", "structure": "n", "data": "m", "runtime_calls": "m", "load": "m", "coverage": "m"},
    "sql": {"history": "n", "structure": "n", "runtime_calls": "n", "load": "n", "coverage": "n"},
    "everything": {"history": "m", "structure": "m", "data": "m", "runtime_calls": "m", "load": "m", "coverage": "m"},
}
WORD = {"m": "measured", "n": "not measured"}


@pytest.mark.parametrize("shape", list(EXPECTED))
def test_every_piece_of_evidence_says_what_it_is(shapes, shape):
    findings, _ = shapes[shape]
    found = states(findings)
    for evidence, state in EXPECTED[shape].items():
        assert found[evidence] == WORD[state], (shape, evidence, findings["evidence_states"][evidence])
    if shape == "traces":
        assert findings["evidence_states"]["data"]["origin"] == "traces"  # database spans, no SQL log
    if EXPECTED[shape]["history"] == "n":  # teams are read from the history: no git, no team figure (never 0 of 0)
        assert found["teams"] == "not measured", findings["evidence_states"]["teams"]
        checks = {c["name"]: c for c in findings["verdicts"]["bottleneck"]["checks"]}
        for name in ("active_authors", "active_teams", "cross_team_share"):
            assert checks[name]["state"] == "not measured" and checks[name]["value"] is None, (shape, checks[name])


@pytest.mark.parametrize("shape", list(EXPECTED))
def test_nothing_unmeasured_is_a_number_or_a_passed_check(shapes, shape):
    findings, page = shapes[shape]
    signal_state = {s: v["state"] for s, v in findings["evidence_states"]["signals"].items()}
    for pair in findings["pairs"]:
        for signal, facts in pair["signals"].items():
            if signal_state[signal] != "measured":
                assert facts["value"] is None and facts["coupled"] is None, (shape, pair["context_a"], pair["context_b"], signal)
        if signal_state["structural"] != "measured":
            assert pair["hidden"] is None
    for verdict in findings["verdicts"].values():
        for check in verdict["checks"]:
            if check["state"] != "measured":
                assert check["holds"] is None and check["margin"] is None, (shape, check["name"])
    for signal, state in signal_state.items():
        title = f"{signal.capitalize()} coupling"
        if state != "measured":
            assert re.search(re.escape(title) + r".{0,400}no evidence", page, re.S), (shape, signal)
    if signal_state["data"] != "measured":
        assert "no table is written by more than one context" not in page  # never said without evidence
    if states(findings)["teams"] != "measured" or findings["evidence_states"]["history"]["state"] != "measured":
        assert all(c.get("main_team_share") is None for c in findings["contexts"])
    unknown_counts = {"history": ("commits", "commits_recent", "authors", "files_at_head"), "structure": ("ca", "ce", "modules")}
    for family, columns in unknown_counts.items():
        if findings["evidence_states"][family]["state"] != "measured":
            assert all(c[col] is None for c in findings["contexts"] for col in columns), (shape, family)
    if findings["evidence_states"]["coverage"]["state"] != "measured":
        assert all(c["spans"] is None for c in findings["contexts"]), shape


def test_verdicts_follow_from_what_was_measured(shapes):
    verdict = {name: {k: v["verdict"] for k, v in f["verdicts"].items()} for name, (f, _) in shapes.items()}
    assert verdict["git"]["modularize_in_place"] == "INCONCLUSIVE" and verdict["git"]["observability"] == "INCONCLUSIVE"
    assert verdict["git-imports"]["modularize_in_place"] in ("YES", "NO")
    assert verdict["traces"]["bottleneck"] == "INCONCLUSIVE"  # coordination and team cannot be judged without git
    assert verdict["sql"]["observability"] == "INCONCLUSIVE"
    assert verdict["everything"]["bottleneck"] == "YES" and shapes["everything"][0]["recommendation"]["verdict"] == "GO"
    for name, (f, _) in shapes.items():
        if verdict[name]["bottleneck"] == "INCONCLUSIVE":
            assert f["recommendation"]["verdict"] == "INCONCLUSIVE" and f["recommendation"]["extract_first"] is None
            assert any(s.startswith(("Provide the ", "Complete the ")) for s in f["recommendation"]["next_steps"])
    json.dumps(verdict)
