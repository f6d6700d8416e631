"""The report's first screen and sections: what decided each verdict, escaping, folding and
linking long evidence, human labels, unknown shown as such."""

from __future__ import annotations

import pandas as pd

from analysis.core.evidence import Status
from analysis.decisions.checks import Check
from analysis.outputs import glossary, sections
from analysis.outputs.summary import deciding_checks

OK = Status.measured("test")
NONE = Status.not_measured("no traces given")


def test_a_yes_is_decided_by_the_checks_that_hold_nearest_first_one_per_pressure():
    checks = [Check("coordination", "coordination", 0.45, 0.2, "s", "at least", OK),
              Check("active_authors", "authors", 15, 12, "s", "at least", OK, unit="count"),
              Check("active_teams", "teams", 3, 3, "s", "at least", OK, unit="count"),
              Check("cross_team_share", "cross team", 0.3, 0.15, "s", "at least", OK),
              Check("scaling", "scaling", None, 10, "s", "at least", NONE)]
    chosen = [c.name for c in deciding_checks("YES", checks, 0.1)]
    assert chosen == ["active_teams", "coordination", "active_authors"]  # one team check before a second
    assert "scaling" not in chosen  # unknown is never a deciding figure


def test_a_no_is_decided_by_the_failing_checks_furthest_past_first():
    checks = [Check("a", "a", 30, 40, "s", "at most", OK, unit="count"),
              Check("b", "b", 14, 5, "s", "at most", OK, unit="count"),
              Check("c", "c", 25, 20, "s", "at most", OK, unit="count")]
    assert [c.name for c in deciding_checks("NO", checks, 0.1)] == ["b", "c"]


def test_long_evidence_shows_the_top_rows_folds_the_rest_and_links_the_csv():
    frame = pd.DataFrame({"table": [f"t{i}" for i in range(25)], "writers": [["a", "b", "c", "d"]] * 25,
                          "writes": range(25), "self_time_share": [0.25] * 25})
    out = sections.evidence_table(frame, empty="none", top=10, link="evidence/x.csv", what="tables")
    shown, folded = out.split("<details>")
    assert shown.count("<tr>") == 11 and "15 more tables" in folded and 'href="evidence/x.csv"' in out
    assert "Written by" in out and "Compute share (%)" in out and "25.0%" in out and "self_time_share" not in out
    assert "a, b, c <span class='seams-muted'>and 1 more</span>" in out


def test_unknown_evidence_is_said_never_drawn_as_an_empty_table():
    out = sections.evidence_table(pd.DataFrame({"x": [1]}), status=NONE, empty="nothing")
    assert "no evidence" in out and "no traces given" in out and "<table" not in out
    assert "nothing found here" in sections.evidence_table(pd.DataFrame(), status=OK, empty="nothing found here")


def test_input_strings_are_escaped_everywhere():
    evil = "<script>alert(1)</script>"
    assert evil not in sections.evidence_table(pd.DataFrame({"table": [evil]}), empty="none")
    check = Check("x", evil, None, 0.2, "s", "at least", Status.not_measurable(evil))
    assert evil not in sections._check_row(check)


def test_coverage_is_said_in_words_not_raw_keys():
    cov = {"contexts_declared": 10, "contexts_with_spans": list("abcdefgh"), "contexts_without_spans": ["search", "shipping"],
           "spans": 100, "orphan_spans": 2, "orphan_span_share": 0.02, "consumer_spans": 0,
           "attribute_completeness": {"code_function": {"with_attribute": 3, "spans": 4, "share": 0.75}}}
    out = sections.coverage_html(cov, OK)
    assert "8 of 10" in out and "search, shipping" in out and "no consumer span seen" in out
    assert "code.function" in out and "attribute_completeness" not in out and "with_attribute" not in out
    assert "no evidence" in sections.coverage_html(cov, NONE)


def test_the_glossary_in_the_docs_is_the_glossary_of_the_report():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "verdicts.md").read_text(encoding="utf-8")
    assert glossary.glossary_markdown() in doc, "docs/verdicts.md's glossary differs: paste glossary.glossary_markdown()"


def test_a_large_tangle_shows_its_heaviest_edges_and_folds_the_rest():
    members = [f"c{i}" for i in range(13)]
    edges = [{"source": f"c{i}", "target": f"c{(i + 1) % 13}", "edges": i + 1} for i in range(13)]
    out = sections.cycles_summary([members], [edges], top=3)
    shown, folded = out.split("<details>")
    assert "A tangle of 13 contexts" in shown and shown.count("<li>") == 3
    assert "c12 → c0: 13 import lines" in shown and "10 more edges of this tangle" in folded
    assert "no import cycle" in sections.cycles_summary([], [])


def test_signal_figures_open_with_the_dsm_and_grey_out_the_runtime_pairs_of_a_silent_context():
    from types import SimpleNamespace

    pairs = pd.DataFrame({
        "context_a": ["a", "a", "b"], "context_b": ["b", "c", "c"],
        "structural": [2.0, 0.0, 1.0], "evolutionary": [10.0, 0.0, 0.0], "data": [1.0, 0.0, 0.0], "runtime": [12.0, 0.0, 0.0],
        "structural_coupled": [True, False, True], "evolutionary_coupled": [True, False, False],
        "data_coupled": [True, False, False], "runtime_coupled": [True, False, False], "signals": [4, 0, 1], "hidden": [False] * 3,
    })
    analysis = SimpleNamespace(
        pairs=pairs,
        contexts=pd.DataFrame({"context": ["a", "b", "c"], "has_spans": pd.array([True, True, False], dtype="boolean")}),
        structure=SimpleNamespace(edges=pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "a", "b"], "edges": [1, 1, 1],
                                                      "evidence": [["a/x.py:3"], ["b/y.py:1"], ["c/z.py:9"]]})),
        history=SimpleNamespace(cochange=pd.DataFrame({"context_a": ["a"], "context_b": ["b"], "shared_commits": [7], "degree": [10]})),
        data=SimpleNamespace(pairs=pd.DataFrame({"context_a": ["a"], "context_b": ["b"], "shared_tables": [1], "tables": [["orders"]]})),
        runtime=SimpleNamespace(calls=pd.DataFrame({"caller": ["b"], "callee": ["a"], "mode": ["sync"], "calls": [12]})),
        signal_states={"structural": OK, "evolutionary": OK, "data": NONE, "runtime": OK},
    )
    shown = sections.signal_figures(analysis)
    titles = [f.fig.layout.title.text for f in shown]
    assert titles[0].startswith("Dependency structure matrix") and "1 import cycle" in titles[0]
    assert [t.split(" ")[0] for t in titles[1:]] == ["Structural", "Evolutionary", "Data", "Runtime"]
    assert "no evidence — not measured: no traces given" in shown[3].fig.layout.annotations[0].text     # data: not measured at all
    runtime = shown[4].fig
    names = list(runtime.data[0].x)
    c = names.index("c")
    assert all(runtime.data[1].z[c][j] == 1 for j in range(3) if j != c)                 # c emits no span: grey
    assert "emits no span" in runtime.data[1].hovertext[c][names.index("a")]
    structural = shown[1].fig
    assert all(m is None for row in structural.data[1].z for m in row)                    # imports see every context
    s_names = list(structural.data[0].x)
    hover = structural.data[0].hovertext[s_names.index("b")][s_names.index("a")]         # the pair's evidence, both ways
    assert "a → b: 1 import rows (a/x.py:3)" in hover and "b → a: 1 import rows (b/y.py:1)" in hover
    e_names = list(shown[2].fig.data[0].x)
    assert "7 commits changed both" in shown[2].fig.data[0].hovertext[e_names.index("a")][e_names.index("b")]
    assert "b → a (sync): 12 calls" in runtime.data[0].hovertext[names.index("a")][names.index("b")]
