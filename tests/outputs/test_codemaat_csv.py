"""``seams codemaat`` writes code-maat's CSV byte for byte. The expected files below were
written by hand from code-maat's documented format (clojure.data.csv: header of code-maat's
column names, ``\\n`` line ends, quotes only where needed; Java's number printing) and the
analyses' definitions (docs/codemaat.md); the jar is not needed."""

from __future__ import annotations

import pytest
from gitrepo import git

from analysis import cli
from analysis.outputs.codemaat_csv import codemaat_value, csv_field, java_double

LOG = """--a1--2024-01-01--Ann
10\t2\ta.py
5\t0\tb.py

--b2--2024-01-02--Doe, Jane
3\t3\ta.py
1\t1\tb.py
-\t-\tlogo.png

--c3--2024-01-05--Ann
4\t0\ta.py

--d4--2024-02-10--Cid "C" Smith
2\t5\tb.py
7\t1\tdocs/notes, draft.md
"""

EXPECTED = {
    ("revisions",): 'entity,n-revs\na.py,3\nb.py,3\n"docs/notes, draft.md",1\nlogo.png,1\n',
    ("summary",): "statistic,value\nnumber-of-commits,4\nnumber-of-entities,4\nnumber-of-entities-changed,8\nnumber-of-authors,3\n",
    ("main-dev",): ('entity,main-dev,added,total-added,ownership\na.py,Ann,14,17,0.82\nb.py,Ann,5,8,0.63\n'
                    '"docs/notes, draft.md","Cid ""C"" Smith",7,7,1.0\nlogo.png,"Doe, Jane",0,0,0.0\n'),
    ("fragmentation",): 'entity,fractal-value,total-revs\nb.py,0.67,3\na.py,0.44,3\n"docs/notes, draft.md",0.0,1\nlogo.png,0.0,1\n',
    ("coupling", "-n", "1", "-m", "1", "-i", "10"): ('entity,coupled,degree,average-revs\na.py,b.py,66,3\na.py,logo.png,50,2\n'
                                                    'b.py,"docs/notes, draft.md",50,2\nb.py,logo.png,50,2\n'),
    ("coupling", "-n", "1", "-m", "2", "-i", "10", "--verbose-results"): (
        "entity,coupled,degree,average-revs,first-entity-revisions,second-entity-revisions,shared-revisions\na.py,b.py,66,3,3,3,2\n"),
    ("coupling",): "entity,coupled,degree,average-revs\n",  # code-maat's defaults leave nothing
    ("age", "-d", "2024-03-10"): 'entity,age-months\nb.py,1\n"docs/notes, draft.md",1\na.py,2\nlogo.png,2\n',
    ("abs-churn",): "date,added,deleted,commits\n2024-01-01,15,2,1\n2024-01-02,4,4,1\n2024-01-05,4,0,1\n2024-02-10,9,6,1\n",
    ("revisions", "-r", "2"): "entity,n-revs\na.py,3\nb.py,3\n",
}


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "git2.log"
    path.write_bytes(LOG.encode("utf-8"))
    return path


@pytest.mark.parametrize("arguments", list(EXPECTED), ids=lambda a: " ".join(a))
def test_the_csv_is_code_maats_byte_for_byte(log, capsysbinary, arguments):
    analysis, *options = arguments
    assert cli.main(["codemaat", "-l", str(log), "-c", "git2", "-a", analysis, *options]) == 0
    assert capsysbinary.readouterr().out == EXPECTED[arguments].encode("utf-8")


def test_an_outfile_gets_every_row_as_code_maat_writes_it(log, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert cli.main(["codemaat", "-l", str(log), "-a", "revisions", "-r", "2", "-o", str(out)]) == 0
    assert out.read_bytes() == EXPECTED[("revisions",)].encode("utf-8")  # code-maat applies --rows to stdout only
    assert capsys.readouterr().out == ""


def test_an_unknown_analysis_lists_the_valid_ones_and_another_format_is_refused(log, capsys):
    assert cli.main(["codemaat", "-l", str(log), "-a", "identity"]) == 2
    err = capsys.readouterr().err
    assert "invalid analysis requested: identity. Valid options are: abs-churn, age, author-churn, authors," in err
    assert cli.main(["codemaat", "-l", str(log), "-c", "svn", "-a", "revisions"]) == 2
    assert "git2 format only" in capsys.readouterr().err


def test_straight_from_a_repository(tmp_path, capsysbinary):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for n, (name, text) in enumerate([("a.py", "1\n"), ("b.py", "2\n"), ("a.py", "1\n3\n")]):
        (repo / name).write_text(text, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"c{n}", date=f"2024-01-0{n + 1}T12:00:00Z")
    assert cli.main(["codemaat", "--repo", str(repo), "-a", "entity-churn"]) == 0
    assert capsysbinary.readouterr().out == b"entity,added,deleted,commits\na.py,2,0,2\nb.py,1,0,1\n"


@pytest.mark.parametrize(("value", "text"), [
    (0.63, "0.63"), (1.0, "1.0"), (0.0, "0.0"), (0.0033, "0.0033"), (0.001, "0.001"), (0.00033, "3.3E-4"),
    (1e-4, "1.0E-4"), (12345678.0, "1.2345678E7"), (9999999.0, "9999999.0"), (-2.5e-5, "-2.5E-5"),
])
def test_java_double(value, text):
    assert java_double(value) == text


def test_values_and_quoting():
    assert [codemaat_value(v) for v in (None, 3, 2.0, "x")] == ["", "3", "2.0", "x"]
    assert [csv_field(t) for t in ("plain", "a,b", 'say "hi"', "two\nlines")] == ["plain", '"a,b"', '"say ""hi"""', '"two\nlines"']
