"""The report runner on a tiny notebook, and the rendering helpers the real notebook uses."""

import ast
import datetime as dt
import os
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import plotly.graph_objects as go
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.core.errors import ConfigError, OutputError, ReportError
from analysis.outputs import render, report

REAL_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / report.NOTEBOOK_NAME

WRITE_FINDINGS = """\
import json, pathlib
from IPython.display import HTML, display
display(HTML("<p class='tiny'>tiny report &amp; <a href='#top'>top</a></p>"))
pathlib.Path(run_dir, "findings.json").write_text(json.dumps({
    "config_path": config_path, "run_dir": run_dir, "use_cache": use_cache,
    "verdicts": {"bottleneck": {"question": "Q?", "verdict": "NO", "summary": "s"}},
}))
"""


def write_notebook(path: Path, *cells: str) -> Path:
    nb = new_notebook(
        cells=[new_markdown_cell("# Tiny"),
               new_code_cell('config_path = ""\nrun_dir = ""\nuse_cache = True', metadata={"tags": ["parameters"]}),
               *(new_code_cell(c) for c in cells)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                  "language_info": {"name": "python"}},
    )
    nbformat.write(nb, path)
    return path


@pytest.fixture
def tiny_config(tmp_path) -> Path:
    path = tmp_path / "seams.yml"
    path.write_text("name: tiny\ncontexts:\n  a: {paths: ['a/**']}\n")
    return path


@pytest.fixture
def good_notebook(tmp_path) -> Path:
    return write_notebook(tmp_path / "good.ipynb", WRITE_FINDINGS)


@pytest.fixture
def failing_notebook(tmp_path) -> Path:
    return write_notebook(tmp_path / "failing.ipynb", "x = 1", "raise ValueError('planted failure')", WRITE_FINDINGS)


# --- the run ---------------------------------------------------------------------------

def test_success_publishes_the_run_and_points_latest_at_it(tmp_path, tiny_config, good_notebook):
    out = tmp_path / "reports"
    result = report.run_report(tiny_config, out, notebook=good_notebook, use_cache=False)

    assert result.run_dir == out / result.run_id
    assert sorted(p.name for p in result.run_dir.iterdir()) == ["findings.json", "report.html", "report.ipynb"]
    assert result.html == result.run_dir / "report.html"
    assert (out / "latest").is_symlink() and os.readlink(out / "latest") == result.run_id  # relative
    assert (out / "latest").resolve() == result.run_dir.resolve()
    assert sorted(p.name for p in out.iterdir()) == sorted([result.run_id, "latest"])  # no partial, no temp link
    dt.datetime.strptime(result.run_id, "%Y%m%dT%H%M%SZ")

    # parameters reached the notebook, absolute
    assert result.findings["config_path"] == str(tiny_config.resolve())
    assert result.findings["use_cache"] is False
    assert result.findings["run_dir"] == str(out / f".{result.run_id}.partial")
    assert result.verdicts == {"bottleneck": {"question": "Q?", "verdict": "NO", "summary": "s"}}

    page = result.html.read_text(encoding="utf-8")
    assert "tiny report" in page
    assert "write_text" not in page and "config_path" not in page  # code cells hidden
    assert report.external_references(page) == []
    assert "cdnjs" not in page and "require.min.js" not in page and "mathjax" not in page.lower()


def test_failure_keeps_the_failed_notebook_and_leaves_latest_alone(tmp_path, tiny_config, failing_notebook):
    out = tmp_path / "reports"
    previous = out / "20200101T000000Z"
    previous.mkdir(parents=True)
    (previous / "report.html").write_text("previous")
    report.point_latest(out, previous.name)

    with pytest.raises(ReportError) as caught:
        report.run_report(tiny_config, out, notebook=failing_notebook)

    failed = [p for p in out.iterdir() if p.name.endswith(".failed")]
    assert len(failed) == 1
    kept = failed[0] / "report.ipynb"
    message = str(caught.value)
    assert "ValueError: planted failure" in message
    assert "raise ValueError('planted failure')" in message  # the failing cell's first line
    assert "cell" in message and str(kept) in message
    # papermill kept the executed notebook with the error in the failing cell
    nb = nbformat.read(kept, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.ename for e in errors] == ["ValueError"]
    assert not (failed[0] / "findings.json").exists()
    # the previous run and latest are untouched; nothing half-made is left
    assert os.readlink(out / "latest") == previous.name
    assert (previous / "report.html").read_text() == "previous"
    assert sorted(p.name for p in out.iterdir()) == sorted([previous.name, failed[0].name, "latest"])


def test_invalid_config_raises_before_anything_is_created(tmp_path, good_notebook):
    bad = tmp_path / "bad.yml"
    bad.write_text("contexts:\n  a: {paths: ['a/**']}\nthresholds: {recent_days: -3}\n")
    out = tmp_path / "reports"
    with pytest.raises(ConfigError, match="thresholds.recent_days"):
        report.run_report(bad, out, notebook=good_notebook)
    assert not out.exists()


def test_missing_notebook_raises_before_anything_is_created(tmp_path, tiny_config):
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match="not found"):
        report.run_report(tiny_config, out, notebook=tmp_path / "absent.ipynb")
    assert not out.exists()


def test_default_notebook_is_the_repository_notebook():
    assert report.default_notebook().resolve() == REAL_NOTEBOOK


def test_run_id_takes_a_suffix_when_the_second_is_taken(tmp_path):
    now = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    assert report.new_run_id(tmp_path, now) == "20240506T070809Z"
    (tmp_path / "20240506T070809Z").mkdir()
    assert report.new_run_id(tmp_path, now) == "20240506T070809Z-2"
    (tmp_path / "20240506T070809Z-2.failed").mkdir()
    (tmp_path / ".20240506T070809Z-3.partial").mkdir()
    assert report.new_run_id(tmp_path, now) == "20240506T070809Z-4"
    # a local time is converted to UTC
    cest = dt.timezone(dt.timedelta(hours=2))
    assert report.new_run_id(tmp_path / "x", dt.datetime(2024, 5, 6, 9, 8, 9, tzinfo=cest)) == "20240506T070809Z"


def test_claim_run_dir_creates_the_partial_folder(tmp_path):
    now = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    first = report.claim_run_dir(tmp_path / "out", now)
    second = report.claim_run_dir(tmp_path / "out", now)
    assert first == ("20240506T070809Z", tmp_path / "out" / ".20240506T070809Z.partial")
    assert second[0] == "20240506T070809Z-2" and second[1].is_dir()


def test_point_latest_replaces_the_link(tmp_path):
    for name in ("r1", "r2"):
        (tmp_path / name).mkdir()
    report.point_latest(tmp_path, "r1")
    report.point_latest(tmp_path, "r2")
    assert os.readlink(tmp_path / "latest") == "r2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "r1", "r2"]


def test_read_findings_requires_the_file(tmp_path):
    with pytest.raises(ReportError, match="without writing findings.json"):
        report.read_findings(tmp_path / "findings.json")
    (tmp_path / "findings.json").write_text("{not json")
    with pytest.raises(ReportError, match="not valid JSON"):
        report.read_findings(tmp_path / "findings.json")


def test_failure_message_names_the_cell():
    class Failed(Exception):
        cell_index, exec_count, source, ename, evalue = 7, 5, "\nanalysis = pipeline.run(x)\n", "SourceError", "git: boom"

    text = report.failure_message(Failed(), "RID", Path("/r/RID.failed"))
    assert text.startswith("report run RID failed in notebook cell 7 (In [5]: analysis = pipeline.run(x)): SourceError: git: boom")
    assert "/r/RID.failed" in text


# --- HTML export -----------------------------------------------------------------------

def executed_notebook(path: Path, html_output: str) -> Path:
    cell = new_code_cell("x", outputs=[new_output("display_data", data={"text/html": html_output, "text/plain": "x"})])
    nbformat.write(new_notebook(cells=[cell]), path)
    return path


def test_export_html_hides_code_and_loads_nothing(tmp_path):
    page = report.export_html(executed_notebook(tmp_path / "r.ipynb", "<b>result</b>"), tmp_path / "r.html")
    text = page.read_text()
    assert "<b>result</b>" in text
    assert report.external_references(text) == []
    assert "<script src" not in text


def test_export_html_refuses_an_external_resource(tmp_path):
    nb = executed_notebook(tmp_path / "r.ipynb", '<img src="https://example.com/pixel.png">')
    with pytest.raises(ReportError, match="external resource"):
        report.export_html(nb, tmp_path / "r.html")


@pytest.mark.parametrize("page, found", [
    ('<script src="https://cdn.example/x.js"></script>', [("script", "src", "https://cdn.example/x.js")]),
    ("<link rel=stylesheet href='//cdn.example/x.css'>", [("link", "href", "//cdn.example/x.css")]),
    ('<A HREF=" HTTP://example.com">x</A>', [("a", "href", " HTTP://example.com")]),
    ('<img src="data:image/png;base64,AAAA"><a href="#top">t</a><a href="report.ipynb">nb</a>', []),
    ("<script>var s = '<a href=\"https://plotly.com\">';</script>", []),  # inside script code: not an element
    ('<style>a { background: red }</style><p>https://example.com as text</p>', []),
])
def test_external_references(page, found):
    assert report.external_references(page) == found


# --- rendering helpers -----------------------------------------------------------------

def fake_analysis():
    from analysis.core.evidence import Status
    from analysis.decisions.checks import Check

    checks = [Check("share", "share of <script>x</script> changes", 0.25, 0.2, "s", "at least", Status.measured(), detail="over <b>"),
              Check("teams", "teams", None, 3, "min_teams", "at least", Status.not_measured("no team map <here>"), unit="count")]
    verdict = SimpleNamespace(
        key="bottleneck", question="Is <the> monolith the bottleneck?", verdict="NOT YET",
        rule="YES when a < b", thresholds={"min_teams": 3.0}, evidence={}, checks=checks, close_call="close call: <x>",
        missing=["deploy log & more"], summary="2 of 3 <pressures>",
    )
    recommendation = {"verdict": "GO", "headline": "Extract <billing>", "extract_first": "billing&co",
                      "reasons": ["r <1>"], "next_steps": ["step <a>"]}
    return SimpleNamespace(verdicts={"bottleneck": verdict}, recommendation=recommendation)


def test_verdicts_html_escapes_every_input_string():
    text = render.verdicts_html(fake_analysis())
    assert isinstance(text, str) and text._repr_html_() == text
    assert "Is &lt;the&gt; monolith the bottleneck?" in text
    assert "share of &lt;script&gt;x&lt;/script&gt; changes" in text and "over &lt;b&gt;" in text
    assert "<script>x" not in text
    assert "2 of 3 &lt;pressures&gt;" in text and "deploy log &amp; more" in text and "close call: &lt;x&gt;" in text
    assert "YES when a &lt; b" in text
    assert "25.0%" in text and "+5.0 points" in text  # value and margin of the measured check
    assert "no evidence</span> (not measured: no team map &lt;here&gt;)" in text  # never a number for the unknown one
    assert 'seams-verdict-not-yet">NOT YET<' in text


def test_verdicts_html_without_verdicts():
    assert "no verdicts" in render.verdicts_html(SimpleNamespace(verdicts={}))


def test_recommendation_html_escapes():
    text = render.recommendation_html(fake_analysis())
    assert "Extract &lt;billing&gt;" in text and "billing&amp;co" in text
    assert "<li>r &lt;1&gt;</li>" in text and "<li>step &lt;a&gt;</li>" in text
    assert 'seams-verdict-go">GO<' in text


def test_table_html_escapes_cells_and_headers_and_limits_rows():
    frame = pd.DataFrame({"<h>": ["<b>a</b>", None, "c"], "n": [1.5, float("nan"), 3.0],
                          "evidence": [["x.py:1", "y.py:2"], [], ["z<.py:3"]]})
    text = render.table_html(frame, max_rows=2)
    assert "<th>&lt;h&gt;</th>" in text
    assert "<td>&lt;b&gt;a&lt;/b&gt;</td>" in text and "<b>a</b>" not in text
    assert '<td class="seams-num">1.5</td>' in text and "<td>x.py:1, y.py:2</td>" in text
    assert "<td>none</td>" in text and "<td>–</td>" in text
    assert "z&lt;.py" not in text  # third row cut
    assert "and 1 more rows" in text


def test_table_html_empty():
    assert "nothing here" in render.table_html(pd.DataFrame(), empty="nothing here")
    assert "no rows" in render.table_html(None)


def test_mapping_html_flattens_nested_keys():
    text = render.mapping_html({"spans": 10, "entry_points": {"http_routes": {"traced": 3}}, "without": ["<s>"]})
    assert "<td>entry_points.http_routes.traced</td>" in text
    assert '<td class="seams-num">3</td>' in text and "<td>&lt;s&gt;</td>" in text


def test_inputs_html_one_row_per_source():
    text = render.inputs_html({"git": {"configured": True, "records_read": 12, "records_rejected": 1, "unassigned_share": 0.25, "notes": ["<n>"]},
                               "sql": {"configured": False, "records_read": 0, "records_rejected": 0, "unassigned_share": None, "notes": []}})
    assert text.count("<tr>") == 3
    assert "<td>git</td><td>yes</td>" in text and "&lt;n&gt;" in text


def test_cycles_are_shown_with_their_real_edges_never_an_invented_path():
    edges = [[{"source": "catalog", "target": "<search>", "edges": 2}, {"source": "<search>", "target": "catalog", "edges": 1}]]
    text = render.cycles_html([["catalog", "<search>"]], edges)
    assert "&lt;search&gt;, catalog" in text
    assert "catalog → &lt;search&gt;: 2 import lines" in text and "&lt;search&gt; → catalog: 1 import lines" in text
    # a component of three with only these two edges: no arrow a → c is drawn
    three = render.cycles_html([["a", "b", "c"]], [[{"source": "a", "target": "b", "edges": 1}, {"source": "b", "target": "a", "edges": 1},
                                                   {"source": "b", "target": "c", "edges": 1}, {"source": "c", "target": "b", "edges": 1}]])
    assert "a → c" not in three and "c → a" not in three
    assert "no import cycles" in render.cycles_html([])


def test_evidence_that_was_not_measured_is_said_never_an_empty_table():
    from analysis.core.evidence import Status

    none = render.evidence_html(Status.not_measured("no SQL log given"), pd.DataFrame(), empty="no table is written by two contexts")
    assert "no evidence" in none and "not measured: no SQL log given" in none and "no table is written" not in none
    found = render.evidence_html(Status.measured(), pd.DataFrame(), empty="no table is written by two contexts")
    assert "no table is written by two contexts" in found


def test_figure_output_references_the_single_inlined_plotly():
    fig = go.Figure(go.Scatter(x=[1], y=[2], text=["a"]))
    bundle = render.figure(fig)._repr_mimebundle_()
    assert set(bundle) == {"application/vnd.plotly.v1+json", "text/html", "text/plain"}
    html = bundle["text/html"]
    assert 'class="plotly-graph-div"' in html and "Plotly.newPlot" in html
    assert len(html) < 50_000  # no copy of plotly.js
    assert report.external_references(html) == [] and "<script src" not in html
    assert bundle["application/vnd.plotly.v1+json"]["data"][0]["type"] == "scatter"

    runtime = render.plotly_runtime()
    assert runtime._repr_html_().count("<script>") == 2 and len(runtime._repr_html_()) > 1_000_000
    assert repr(runtime) == "<plotly.js, inlined>"


# --- the real notebook is thin ---------------------------------------------------------

def test_report_notebook_is_thin_and_committed_without_outputs():
    nb = nbformat.read(REAL_NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1
    assert {n.targets[0].id for n in ast.parse(parameters[0].source).body} == {"config_path", "run_dir", "use_cache", "what_if", "history_dir",
                                                                               "analysis_path"}
    for cell in code:
        assert cell.get("outputs") == [] and cell.get("execution_count") is None
        tree = ast.parse(cell.source)
        assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))], cell.source
    assert "write_findings(findings" in code[-1].source
    sources = [c.source for c in code]
    first_screen = next(i for i, s in enumerate(sources) if "sections.first_screen(" in s)
    first_figure = next(i for i, s in enumerate(sources) if "figure(" in s and "figures." in s)
    assert first_screen < first_figure
    # no figure or table built in a cell: every output comes from the package's functions
    assert not any("go.Figure" in s or "px." in s or ".to_html(" in s for s in sources)
    assert sum("plotly_runtime()" in s for s in sources) == 1
    assert nb.metadata.kernelspec.name == "python3"


def test_failure_message_masks_the_input_it_quotes():
    class Failed(Exception):
        cell_index, exec_count, ename = 3, 2, "SourceError"
        source = "result = pipeline.run(config)"
        evalue = "db.log: first line: 'AND password = 'S3CRET' AND card = 4111111111111111' \x1b[2J"

    text = report.failure_message(Failed(), "RID", Path("/r/RID.failed"))
    assert "S3CRET" not in text and "4111111111111111" not in text and "\x1b" not in text
    assert "(In [2]: result = pipeline.run(config)): SourceError: db.log: first line: '" in text
    plain = report.failure_message(ValueError("bad value 'tok_9f8e7d6c' \x1b[2J"), "RID", Path("/r/RID.failed"))
    assert "tok_9f8e7d6c" not in plain and "\x1b" not in plain


# --- where the run is written ------------------------------------------------------------

def test_an_out_that_is_a_file_is_one_clear_error(tmp_path, tiny_config, good_notebook):
    out = tmp_path / "reports"
    out.write_text("a file")
    with pytest.raises(OutputError) as caught:
        report.run_report(tiny_config, out, notebook=good_notebook)
    assert str(out) in str(caught.value) and "not a folder" in str(caught.value)
    assert out.read_text() == "a file"


def test_an_out_that_cannot_be_written_is_one_clear_error(tmp_path, tiny_config, good_notebook):
    if os.geteuid() != 0:
        parent = tmp_path / "locked"
        parent.mkdir()
        parent.chmod(0o500)
        out = parent / "reports"
    elif os.path.isdir("/sys/kernel"):
        out = Path("/sys/seams-reports")
    else:
        pytest.skip("no folder that root cannot write into")
    with pytest.raises(OutputError) as caught:
        report.run_report(tiny_config, out, notebook=good_notebook)
    assert str(out) in str(caught.value) and "cannot be written" in str(caught.value)


def test_inputs_html_shows_the_error_of_a_source_that_could_not_be_read():
    text = render.inputs_html({"traces": {"configured": True, "records_read": 0, "records_rejected": 0, "unassigned_share": None,
                                          "notes": [], "error": "x.gz: not a readable <gzip> file"}})
    assert "<th>error</th>" in text and "x.gz: not a readable &lt;gzip&gt; file" in text


# --- runs that are interrupted, fail, or leave folders behind ------------------------------

SLOW = """\
import pathlib, time
pathlib.Path(run_dir, "started").write_text("x")
time.sleep(60)
"""

DRIVER = """\
import sys
from pathlib import Path
from analysis import cli
from analysis.outputs import report
report.default_notebook = lambda: Path(sys.argv[1])
sys.exit(cli.main(["report", "--config", sys.argv[2], "--out", sys.argv[3]]))
"""


def start_report(tmp_path, notebook: Path, config: Path, out: Path):
    import subprocess
    import sys

    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen([sys.executable, str(driver), str(notebook), str(config), str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kernels_of(run_dir_marker: str) -> list[str]:
    import subprocess

    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if "ipykernel" in line and run_dir_marker in line]


@pytest.mark.parametrize("signal_name, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_during_the_run_leaves_a_failed_folder_and_latest_untouched(tmp_path, tiny_config, signal_name, code):
    import signal
    import time

    out = tmp_path / "reports"
    previous = out / "20200101T000000Z"
    previous.mkdir(parents=True)
    report.point_latest(out, previous.name)
    process = start_report(tmp_path, write_notebook(tmp_path / "slow.ipynb", SLOW), tiny_config, out)
    deadline = time.monotonic() + 60
    while not list(out.glob(".*.partial/started")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(out.glob(".*.partial/started")), process.communicate(timeout=30)
    process.send_signal(getattr(signal, signal_name))
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.endswith(".partial")], names
    assert len([n for n in names if n.endswith(".failed")]) == 1
    assert os.readlink(out / "latest") == previous.name
    assert "interrupted" in stderr or "terminated" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt caught" not in stderr and "zmq" not in stderr
    time.sleep(1)
    assert kernels_of(str(tmp_path)) == []


def test_a_successful_run_prints_nothing_from_the_kernel(tmp_path, tiny_config):
    # what the kernel process writes on its own stderr (its log, "KeyboardInterrupt caught in
    # kernel" when jupyter_client interrupts it to shut it down, a zmq traceback) stays out
    noise = "import os\nos.write(2, b'KeyboardInterrupt caught in kernel. zmq Traceback\\n')"
    notebook = write_notebook(tmp_path / "good.ipynb", noise, WRITE_FINDINGS)
    process = start_report(tmp_path, notebook, tiny_config, tmp_path / "reports")
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "KeyboardInterrupt" not in stderr and "zmq" not in stderr and "Traceback" not in stderr
    assert all(line.startswith("seams: ") for line in stderr.splitlines())  # the run's own steps only
    assert stdout.splitlines()[-1].startswith("report: ")


def test_a_full_disk_says_the_notebook_is_incomplete(tmp_path, tiny_config, good_notebook, monkeypatch):
    import errno

    def execute(source, executed, parameters, **kwargs):
        executed.write_text('{"cells": [{"cell_type": "code", "source": "x"', encoding="utf-8")  # cut by the full disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "execute_notebook", execute)
    with pytest.raises(ReportError) as caught:
        report.run_report(tiny_config, tmp_path / "reports", notebook=good_notebook)
    message = str(caught.value)
    assert "no space left on the device" in message and "incomplete" in message
    assert "is kept at" not in message


def test_stale_partial_folders_are_removed_and_failed_runs_kept_to_a_bound(tmp_path, tiny_config, good_notebook, failing_notebook):
    import json
    import subprocess
    import sys

    out = tmp_path / "reports"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    for name, pid in ((".20200101T000000Z.partial", int(dead)), (".20200101T000001Z.partial", os.getpid())):
        (out / name).mkdir()
        (out / name / report.RUN_MARKER).write_text(json.dumps({"pid": pid, "host": os.uname().nodename}))
    for n in range(report.KEEP_FAILED_RUNS + 3):
        (out / f"2020010{1 + n // 60}T00{n % 60:02d}00Z.failed").mkdir()
    result = report.run_report(tiny_config, out, notebook=good_notebook)
    names = sorted(p.name for p in out.iterdir())
    assert ".20200101T000000Z.partial" not in names  # its process is gone
    assert ".20200101T000001Z.partial" in names  # a run still going (this process)
    assert len([n for n in names if n.endswith(".failed")]) == report.KEEP_FAILED_RUNS
    assert sorted(p.name for p in result.run_dir.iterdir()) == ["findings.json", "report.html", "report.ipynb"]
    with pytest.raises(ReportError):
        report.run_report(tiny_config, out, notebook=failing_notebook)
    failed = sorted(p.name for p in out.iterdir() if p.name.endswith(".failed"))
    assert len(failed) == report.KEEP_FAILED_RUNS and failed[-1].startswith(result.run_id[:8])  # the newest is kept
    assert not (out / failed[-1] / report.RUN_MARKER).exists()


def test_every_notebook_runs_on_the_sample_as_jupyterlab_opens_it_and_builds_no_figure_by_hand():
    """``make lab`` builds the sample into data/sample and opens notebooks/: a notebook's default
    config_path, read from its own folder (the kernel's working folder in JupyterLab), is the
    sample's; and no cell builds a figure itself (every figure comes from analysis.outputs)."""
    root = REAL_NOTEBOOK.resolve().parents[1]
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    sample = re.search(r"^SAMPLE\s*:=\s*(\S+)", makefile, re.M).group(1)
    assert re.search(r"^lab: .*\$\(SAMPLE\)/seams.yml", makefile, re.M)
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        default = next(n.value.value for n in ast.parse(params.source).body if n.targets[0].id == "config_path")
        assert (path.parent / default).resolve() == (root / sample / "seams.yml").resolve(), path.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not re.search(r"\b(px|go)\.[A-Za-z]+\(|import plotly", cell.source), (path.name, cell.source[:200])


# --- the analysis handed to the kernel ---------------------------------------------------


def test_the_kernel_is_handed_only_the_mined_frames_the_report_reads_and_findings_do_not_change(tmp_path, monkeypatch):
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from gitrepo import make_repo

    from analysis import pipeline
    from analysis.core.config import parse_config
    from analysis.outputs.findings import build_findings

    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    make_repo(tmp_path / "repo", {"app/__init__.py": "", "app/a/__init__.py": "", "app/b/__init__.py": "",
                                  "app/a/m.py": "x = 1\n", "app/b/n.py": "import app.a.m\n"})
    config = parse_config({"sources": {"git": {"repository": "repo"}, "imports": {"repository": "repo"}},
                           "contexts": {"a": {"paths": ["app/a/**"]}, "b": {"paths": ["app/b/**"]}}}, tmp_path / "seams.yml")
    result = pipeline.run(config, use_cache=False)
    assert len(result.mined["file_changes"]) and len(result.mined["imports"])
    handed = pipeline.load_analysis(pipeline.save_analysis(report.handed(result), tmp_path / "analysis.pickle"))
    assert sorted(handed.mined.frames) == sorted(report.HANDED_FRAMES)
    with pytest.raises(KeyError):
        handed.mined["file_changes"]  # a cell reading a frame not handed fails, never sees an empty one
    assert handed.mined.kinds == result.mined.kinds and handed.mined.counts == result.mined.counts
    assert len(handed.mined["commits"]) == len(result.mined["commits"]) == 1
    assert json.dumps(build_findings(handed), sort_keys=True, default=str) == json.dumps(build_findings(result), sort_keys=True, default=str)
    assert len(result.mined["file_changes"])  # the command's analysis is left whole


def test_igraph_is_imported_without_its_drawing_back_ends_which_import_as_ever_afterwards():
    import subprocess
    import sys

    code = ("import sys\nfrom analysis.outputs import report\nreport.igraph_without_drawing()\n"
            "print('igraph' in sys.modules, 'matplotlib' in sys.modules, 'plotly' in sys.modules)\n"
            "import plotly, matplotlib\nprint('imported')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.stdout.split("\n")[:2] == ["True False False", "imported"]
