"""``seams mine`` and ``seams report`` show their steps on stderr, never on stdout, as plain
lines when stderr is not a terminal; ``--quiet`` leaves stderr empty."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from gitrepo import git

ROOT = Path(__file__).resolve().parents[2]
TIME = r"\(\d+\.\d s\)"


def seams(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SEAMS_CACHE_DIR", None)
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def project(tmp_path) -> Path:
    """A repository of three commits (a package of two modules and their packages, then one module
    changed twice) and its config."""
    repo = tmp_path / "repo"
    (repo / "app" / "a").mkdir(parents=True)
    (repo / "app" / "b").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for package in ("app", "app/a", "app/b"):
        (repo / package / "__init__.py").write_text("")
    (repo / "app" / "a" / "m.py").write_text("x = 1\n")
    (repo / "app" / "b" / "n.py").write_text("from app.a import m\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first", date="2024-01-01T00:00:00Z")
    for n in (2, 3):
        (repo / "app" / "a" / "m.py").write_text(f"x = {n}\n")
        git(repo, "commit", "-qam", f"change {n}", date=f"2024-01-0{n}T00:00:00Z")
    (tmp_path / "seams.yml").write_text(
        "name: tiny\nsources:\n  git: {repository: repo}\n  imports: {repository: repo}\n"
        "contexts:\n  a: {paths: ['app/a/**']}\n  b: {paths: ['app/b/**']}\ncache_dir: cache\n")
    return tmp_path


def test_mine_shows_its_step_with_counts_and_a_summary_on_stderr_and_quiet_shows_nothing(project):
    done = seams("mine", "git", "--config", "seams.yml", "--out", "mined", cwd=project)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "\r" not in done.stderr  # not a terminal: plain lines, nothing redrawn
    assert re.fullmatch(rf"seams: mining git: 3 commits, 7 file changes {TIME}", lines[0]), lines
    assert re.fullmatch(r"seams: git mined: 3 files written into .*mined \(in \d+\.\d s\)", lines[1]), lines
    assert len(lines) == 2
    assert "seams:" not in done.stdout and "wrote " in done.stdout  # stdout keeps the results only

    quiet = seams("mine", "git", "--config", "seams.yml", "--out", "mined", "--quiet", cwd=project)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout == done.stdout.replace(str(project), str(project))


@pytest.mark.e2e
def test_report_shows_each_step_then_names_the_report_and_quiet_is_silent(project):
    notebook = project / "tiny.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("config_path = run_dir = history_dir = None\nuse_cache = True\nanalysis_path = None",
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import json, pathlib\nfrom analysis import pipeline\nresult = pipeline.load_analysis(analysis_path)\n"
            "pathlib.Path(run_dir, 'findings.json').write_text(json.dumps({'verdicts': {}, 'contexts': sorted(result.config.context_names)}))"),
    ]
    nbformat.write(nb, notebook)
    driver = ("import sys\nfrom pathlib import Path\nfrom analysis import cli\nfrom analysis.outputs import report\n"
              "report.default_notebook = lambda: Path(sys.argv[1])\nsys.exit(cli.main(sys.argv[2:]))\n")
    (project / "driver.py").write_text(driver)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SEAMS_CACHE_DIR", None)

    def report(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "driver.py", str(notebook), "report", "--config", "seams.yml", "--out", "reports",
                               *extra], cwd=project, env=env, capture_output=True, text=True, timeout=300)

    done = report()
    assert done.returncode == 0, done.stderr
    steps = [re.sub(r" \(\d+\.\d s\)$", "", line) for line in done.stderr.splitlines()]
    assert steps[:2] == ["seams: mining git: 3 commits, 7 file changes", "seams: mining merges: 0 merge files"]
    names = [line.split(":")[1].strip() for line in steps]
    assert names[names.index("mining imports")] and names.index("mapping units to contexts") < names.index("measuring") \
        < names.index("deciding") < names.index("running the report notebook") < names.index("rendering report.html")
    assert re.fullmatch(r"seams: mining imports: 1 imports, 0 unresolved imports", steps[names.index("mining imports")])
    assert re.fullmatch(r"seams: report written: .*/reports/\d{8}T\d{6}Z/report\.html \(in \d+\.\d s\)", done.stderr.splitlines()[-1])
    assert all(line.startswith("seams: ") for line in done.stderr.splitlines())
    assert "seams:" not in done.stdout and done.stdout.splitlines()[-1].startswith("report: ")
    findings = (project / "reports" / "latest" / "findings.json").read_text()
    assert '"contexts": ["a", "b"]' in findings  # the kernel read the analysis the command computed

    quiet = report("--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_the_report_command_spares_itself_compiling_grammars_no_notebook_schema_uses():
    code = ("import sys, time\nfrom analysis.outputs.report import skip_iri_grammars\nskip_iri_grammars()\n"
            "import nbformat\nnb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')])\n"
            "nbformat.validate(nb)\nprint(sys.modules['rfc3987_syntax'] is None, 'jsonschema' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]  # jsonschema imported and validating, without rfc3987_syntax
