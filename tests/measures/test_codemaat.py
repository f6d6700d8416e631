"""code-maat analyses on a small log whose answers were computed by hand (and agree with
the code-maat 1.0.1 jar row for row)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd
import pytest

from analysis.core.rejects import Rejects
from analysis.measures.codemaat import (
    ANALYSES,
    CodeMaatError,
    Options,
    explain,
    modifications_from_history,
    parse_git2_log,
    parse_grouping,
    parse_team_map,
    prepare,
    run,
    sliding_window,
)
from analysis.measures.codemaat.age import months_between
from analysis.measures.codemaat.options import centi

LOG = """--a1--2024-01-01--Ann
10\t2\ta.py
5\t0\tb.py

--b2--2024-01-02--Bob
3\t3\ta.py
1\t1\tb.py
-\t-\tlogo.png

--c3--2024-01-05--Ann
4\t0\ta.py

--d4--2024-02-10--Cid
2\t5\tb.py
7\t1\tc/d.py
"""
LOOSE = Options(min_revs=0, min_shared_revs=0, min_coupling=0)


@pytest.fixture(scope="module")
def mods():
    return parse_git2_log(LOG.splitlines())


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(x.item() if hasattr(x, "item") else x for x in r) for r in frame.itertuples(index=False)]


def test_parse_git2_log(mods):
    assert list(mods.columns) == ["rev", "date", "author", "entity", "loc_added", "loc_deleted"]
    assert len(mods) == 8
    assert mods.loc[4, ["entity"]].tolist() == ["logo.png"] and mods["loc_added"].isna().sum() == 1
    assert mods["rev"].tolist()[:3] == ["a1", "a1", "b2"]


def test_parse_git2_keeps_only_the_last_prelude_and_rejects_bad_entries():
    rejects = Rejects()
    text = ["--ff--2024-01-01--Merger", "--a1--2024-01-02--Ann", "1\t1\tpath with spaces {x => y}.py", "",
            "--zz--2024-01-03--Bad", "1\t1\tlost.py", "", "--b2--2024-01-04--Bob", "oops", "", ""]
    m = parse_git2_log(text, rejects)
    assert rows(m[["rev", "author", "entity"]]) == [("a1", "Ann", "path with spaces {x => y}.py")]
    assert [(r.location, r.reason[:20]) for r in rejects.records] == [
        ("line 5", "entry does not start"), ("line 9", "not an added<TAB>del")]
    assert parse_git2_log([]).empty


def test_coupling_with_loose_thresholds(mods):
    assert rows(run("coupling", mods, LOOSE)) == [
        ("a.py", "b.py", 66, 3), ("a.py", "logo.png", 50, 2), ("b.py", "c/d.py", 50, 2), ("b.py", "logo.png", 50, 2)]


def test_coupling_defaults_remove_everything_and_explain_says_why(mods):
    assert run("coupling", mods).empty
    why = explain("coupling", mods)
    assert "4 pairs removed: average revisions below min_revs=5" in why
    assert why[-1] == "0 pairs kept"


def test_coupling_max_changeset_size_and_fractional_average(mods):
    opts = Options(min_revs=0, min_shared_revs=0, min_coupling=0, max_changeset_size=2, verbose_results=True)
    assert rows(run("coupling", mods, opts)) == [("b.py", "c/d.py", 66, 2, 2, 1, 1), ("a.py", "b.py", 50, 2, 2, 2, 1)]
    assert rows(run("coupling", mods, Options(min_revs=0, min_shared_revs=0, min_coupling=60, max_changeset_size=2))) == [
        ("b.py", "c/d.py", 66, 2)]
    assert len(run("coupling", mods, Options(min_revs=0, min_shared_revs=0, min_coupling=0, max_coupling=65))) == 3


def test_soc(mods):
    assert rows(run("soc", mods, Options(min_revs=0))) == [("b.py", 4), ("a.py", 3), ("logo.png", 2), ("c/d.py", 1)]
    assert rows(run("soc", mods, Options(min_revs=2))) == [("b.py", 4), ("a.py", 3)]  # strictly above min_revs


def test_revisions_authors_summary(mods):
    assert rows(run("revisions", mods)) == [("a.py", 3), ("b.py", 3), ("c/d.py", 1), ("logo.png", 1)]
    assert rows(run("authors", mods)) == [("b.py", 3, 3), ("a.py", 2, 3), ("c/d.py", 1, 1), ("logo.png", 1, 1)]
    assert rows(run("summary", mods)) == [("number-of-commits", 4), ("number-of-entities", 4),
                                          ("number-of-entities-changed", 8), ("number-of-authors", 3)]


def test_churn_analyses(mods):
    assert rows(run("entity-churn", mods)) == [("a.py", 17, 5, 3), ("b.py", 8, 6, 3), ("c/d.py", 7, 1, 1),
                                               ("logo.png", 0, 0, 1)]
    assert rows(run("abs-churn", mods)) == [("2024-01-01", 15, 2, 1), ("2024-01-02", 4, 4, 1),
                                            ("2024-01-05", 4, 0, 1), ("2024-02-10", 9, 6, 1)]
    assert rows(run("author-churn", mods)) == [("Ann", 19, 2, 2), ("Bob", 4, 4, 1), ("Cid", 9, 6, 1)]
    assert rows(run("entity-ownership", mods)) == [
        ("a.py", "Ann", 14, 2), ("a.py", "Bob", 3, 3), ("b.py", "Ann", 5, 0), ("b.py", "Bob", 1, 1),
        ("b.py", "Cid", 2, 5), ("c/d.py", "Cid", 7, 1), ("logo.png", "Bob", 0, 0)]


def test_main_developers(mods):
    assert rows(run("main-dev", mods)) == [("a.py", "Ann", 14, 17, 0.82), ("b.py", "Ann", 5, 8, 0.63),
                                           ("c/d.py", "Cid", 7, 7, 1.0), ("logo.png", "Bob", 0, 0, 0.0)]
    assert rows(run("refactoring-main-dev", mods)) == [("a.py", "Bob", 3, 5, 0.6), ("b.py", "Cid", 5, 6, 0.83),
                                                       ("c/d.py", "Cid", 1, 1, 1.0), ("logo.png", "Bob", 0, 0, 0.0)]
    assert rows(run("main-dev-by-revs", mods)) == [("a.py", "Ann", 2, 3, 0.67), ("b.py", "Ann", 1, 3, 0.33),
                                                   ("c/d.py", "Cid", 1, 1, 1.0), ("logo.png", "Bob", 1, 1, 1.0)]


def test_effort_and_fragmentation(mods):
    assert rows(run("entity-effort", mods)) == [
        ("a.py", "Ann", 2, 3), ("a.py", "Bob", 1, 3), ("b.py", "Ann", 1, 3), ("b.py", "Bob", 1, 3),
        ("b.py", "Cid", 1, 3), ("c/d.py", "Cid", 1, 1), ("logo.png", "Bob", 1, 1)]
    assert rows(run("fragmentation", mods)) == [("b.py", 0.67, 3), ("a.py", 0.44, 3), ("c/d.py", 0.0, 1),
                                                ("logo.png", 0.0, 1)]


def test_communication(mods):
    assert rows(run("communication", mods)) == [
        ("Bob", "Ann", 2, 3, 66), ("Ann", "Bob", 2, 3, 66), ("Cid", "Ann", 1, 2, 50), ("Ann", "Cid", 1, 2, 50),
        ("Cid", "Bob", 1, 3, 33), ("Bob", "Cid", 1, 3, 33)]


def test_age(mods):
    assert rows(run("age", mods, Options(age_time_now=dt.date(2024, 3, 1)))) == [
        ("b.py", 0), ("c/d.py", 0), ("a.py", 1), ("logo.png", 1)]
    early = run("age", mods, Options(age_time_now=dt.date(2024, 1, 2)))
    assert rows(early) == [("a.py", 0), ("b.py", 0)]  # changes on "now" itself are not before it
    assert run("age", mods, Options(age_time_now=dt.date(2023, 1, 1))).empty


def test_months_between_counts_like_joda():
    utc = dt.UTC
    d = lambda *a: dt.datetime(*a, tzinfo=utc)  # noqa: E731
    assert months_between(d(2024, 1, 31), d(2024, 2, 29)) == 1  # end of a shorter month completes it
    assert months_between(d(2023, 1, 31), d(2023, 2, 27)) == 0
    assert months_between(d(2024, 1, 15), d(2024, 2, 15)) == 1
    assert months_between(d(2024, 1, 15), d(2025, 1, 14)) == 11


def test_centi_is_two_significant_digits_half_up():
    assert centi(Fraction(5, 8)) == 0.63 and centi(Fraction(1, 3)) == 0.33 and centi(Fraction(1, 300)) == 0.0033
    assert centi(Fraction(1, 1)) == 1.0 and centi(0) == 0.0 and centi(Fraction(1, 8)) == 0.13


def test_grouping_file(mods):
    groups = parse_grouping("c => Core\n\n^.*\\.py$ => Python\n")
    grouped = prepare(mods, groups=groups)
    assert rows(run("revisions", grouped)) == [("Python", 6), ("Core", 1)]
    assert rows(run("coupling", grouped, LOOSE)) == [("Core", "Python", 40, 3)]
    assert explain("coupling", grouped, LOOSE, dropped_by_grouping=1)[0].startswith("1 modifications matched no")
    with pytest.raises(CodeMaatError, match=r"line 2: 'no arrow here'"):
        parse_grouping("a => A\nno arrow here\n")


def test_team_map(mods):
    teams = parse_team_map("author,team\nAnn,Red\nBob,Red\n")
    assert rows(run("authors", prepare(mods, teams=teams))) == [
        ("b.py", 2, 3), ("a.py", 1, 3), ("c/d.py", 1, 1), ("logo.png", 1, 1)]
    with pytest.raises(CodeMaatError, match="author,team"):
        parse_team_map("name,group\nAnn,Red\n")


def test_sliding_window_of_days(mods):
    w = sliding_window(mods, 2)
    assert w["rev"].tolist() == ["2024-01-02"] * 6 + ["2024-01-05"] * 2 + ["2024-02-10"] * 2
    # change sets {a, b, logo} (two windows share the rev 2024-01-02), {a}, {b, c/d}
    assert rows(run("coupling", w, LOOSE)) == [("a.py", "logo.png", 66, 2), ("b.py", "c/d.py", 66, 2),
                                               ("b.py", "logo.png", 66, 2), ("a.py", "b.py", 50, 2)]
    # the shared rev holds 6 rows (duplicates count towards max_changeset_size): left out
    assert rows(run("coupling", w, Options(min_revs=0, min_shared_revs=0, min_coupling=0, max_changeset_size=5))) == [
        ("b.py", "c/d.py", 100, 1)]
    assert rows(run("soc", w, Options(min_revs=0))) == [("a.py", 12), ("b.py", 11), ("logo.png", 10), ("c/d.py", 1)]
    assert sliding_window(mods, 100).empty  # fewer days than one window
    with pytest.raises(CodeMaatError):
        sliding_window(mods, 0)


def test_unknown_analysis_lists_the_valid_ones(mods):
    with pytest.raises(CodeMaatError, match="Valid options are: abs-churn, age, author-churn"):
        run("hotspots", mods)
    assert len(ANALYSES) == 16


def test_empty_input_gives_empty_results_and_an_explanation():
    empty = parse_git2_log([])
    for name in ANALYSES:
        if name in ("abs-churn", "author-churn", "entity-churn", "entity-ownership", "main-dev", "refactoring-main-dev"):
            assert run(name, empty).empty
        elif name != "summary":
            assert run(name, empty, Options(age_time_now=dt.date(2024, 1, 1))).empty, name
    assert "no modifications to analyse" in explain("coupling", empty)[0]


def test_churn_without_counts_raises():
    history = parse_git2_log(LOG.splitlines()).assign(loc_added=pd.NA, loc_deleted=pd.NA)
    with pytest.raises(CodeMaatError, match="no line counts"):
        run("entity-churn", history)


def test_options_are_checked():
    with pytest.raises(CodeMaatError, match="min_revs=-1"):
        Options(min_revs=-1)


def test_modifications_from_history():
    commits = pd.DataFrame({"commit": ["c1"], "author_name": ["Ann"],
                            "authored_at": pd.to_datetime(["2024-01-01T23:30:00Z"], utc=True)})
    changes = pd.DataFrame({"commit": ["c1", "c1"], "path": ["a.py", "b.bin"], "old_path": [pd.NA, pd.NA],
                            "change_type": ["M", "A"], "added": pd.array([1, pd.NA], dtype="Int64"),
                            "deleted": pd.array([0, pd.NA], dtype="Int64")})
    m = modifications_from_history(commits, changes)
    assert rows(m[["rev", "date", "author", "entity"]]) == [("c1", "2024-01-01", "Ann", "a.py"),
                                                            ("c1", "2024-01-01", "Ann", "b.bin")]
    assert rows(run("entity-churn", m)) == [("a.py", 1, 0, 1), ("b.bin", 0, 0, 1)]
