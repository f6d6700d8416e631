"""No secret of the inputs in any file Seams writes, nor on its terminal.

Distinctive secrets are planted in every place a literal can hide: SQL literals of logged
statements, the first line of a rotated log that starts inside a statement, a log whose first
line matches no prefix (an error quoting it), span attribute values (a statement, a URL, a
user id), a span name and a queue name carrying identifiers, a trace line that is not JSON, a
line with bytes that are not UTF-8, a bad configuration value, and a notebook that fails on
a source that cannot be read. Then ``seams report`` (a run that writes its report without the
unreadable log, a run whose config is wrong, a run whose notebook fails) and ``seams mine``
run, and every file they wrote — the report folders, failed ones included, ``rejects.csv``,
the executed notebooks, ``findings.json``, the cache (Parquet read back as text) — and
their stdout and stderr are searched for each secret.

The cache is derived and local, not the report: it may hold span names and the
semantic-convention names (routes, queue names) as read (docs/architecture.md, "What the cache
may hold"), never a SQL literal nor an attribute value. Everything else holds no secret at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pandas as pd
import pytest
from gitrepo import git

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

#: Secrets no file Seams writes may hold, nor its terminal.
NEVER = {
    "sql literal": "S3cretPassw0rdZq",
    "card number": "4539578763621486",
    "rotated fragment": "S3cretFragment77",
    "fragment card": "4916338506082832",
    "bad first line": "sk_live_badFirstLine9Qx7",
    "attribute user id": "user-secret-id-8841",
    "attribute url token": "tok_attr_5f2b9c1e7d3a",
    "db statement literal": "sess_dbstmt_4f60b8e2c9d1",
    "statement as span name": "stmtname-secret-2b9c",
    "invalid trace line": "invalid.line.secret@example.test",
    "bad byte line": "badbyte-secret-77aa10",
    "config value": "cfgsecret_9Qx7Lm2Pz8",
}
#: Secrets in names: the cache may hold them (it is not the report), nothing else may.
NAMES = {
    "span name token": "resetTok8f2c4a1b9d",
    "queue name id": "replyq7f3e9a2b1c",
}

PREFIX = "2024-03-01 10:00:{s:02d}.000 UTC [{pid}] shop@shop "
SQL_LOG = "\n".join([
    f"{NEVER['rotated fragment']}' AND card = '{NEVER['fragment card']}'",  # a rotated log starts inside a statement
    PREFIX.format(s=1, pid=10) + f"LOG:  duration: 1.0 ms  statement: SELECT id FROM accounts_user WHERE password = "
    f"'{NEVER['sql literal']}' AND card = {NEVER['card number']}",
    PREFIX.format(s=2, pid=10) + "LOG:  duration: 1.0 ms  statement: UPDATE orders_order SET status = 'paid' WHERE id = 7",
]) + "\n"
BAD_LOG = f"AND token = '{NEVER['bad first line']}' \x1b]0;pwned\x07\x1b[2J\nnot a log line either\n"

TRACE = "5b8efff798038103d269b633813fc60c"
T0 = 1_700_000_000_000_000_000


def attrs(**values) -> list[dict]:
    return [{"key": k.replace("__", "."), "value": {"stringValue": v}} for k, v in values.items()]


def span(n: int, name: str, parent: str = "", **values) -> dict:
    return {"traceId": TRACE, "spanId": f"{n:016x}", "parentSpanId": parent, "name": name, "kind": 2 if not parent else 1,
            "startTimeUnixNano": str(T0 + n * 1000), "endTimeUnixNano": str(T0 + n * 1000 + 500), "attributes": attrs(**values)}


def traces() -> bytes:
    good = {"resourceSpans": [{"resource": {"attributes": attrs(service__name="shop")}, "scopeSpans": [{"spans": [
        span(1, f"GET /reset/{NAMES['span name token']}", http__url=f"https://shop.test/reset?token={NEVER['attribute url token']}",
             enduser__id=NEVER["attribute user id"]),
        span(2, "orders.pay", parent=f"{1:016x}", code__namespace="shop.orders.views", code__function="pay"),
        span(3, "SELECT", parent=f"{2:016x}", db__system="postgresql",
             db__statement=f"SELECT * FROM accounts_session WHERE token = '{NEVER['db statement literal']}'"),
        span(4, f"{NAMES['queue name id']} publish", parent=f"{2:016x}",
             messaging__destination__name=f"billing.{NAMES['queue name id']}"),
        span(5, f"SELECT * FROM accounts_user WHERE password = '{NEVER['statement as span name']}'", parent=f"{2:016x}",
             db__system="postgresql"),  # a statement as the span's name, without db.statement
    ]}]}]}
    invalid = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span(9, "x", user__email=NEVER["invalid trace line"])]}]}]})
    bad_byte = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span(10, "y", note="MARK" + NEVER["bad byte line"])]}]}]})
    return b"\n".join([orjson.dumps(good), invalid[: len(invalid) - 20], bad_byte.replace(b"MARK", b"\xff\xfe")]) + b"\n"


CONFIG = """\
name: secrets
sources:
  git: {{repository: repo, ignore_paths: ["vendor/**"]}}
  imports: {{repository: repo}}
  sql:
    - {{path: rotated.log, format: postgres-stderr, log_line_prefix: "%m [%p] %u@%d "}}
    - {{path: bad.log, format: postgres-stderr, log_line_prefix: "%m [%p] %u@%d "}}
  traces:
    - {{path: traces.jsonl, format: otlp-json}}
contexts:
  orders: {{paths: ["shop/orders/**"], tables: [orders_order], spans: {{code_namespaces: [shop.orders]}}}}
  accounts: {{paths: ["shop/accounts/**"], tables: [accounts_user, accounts_session]}}
{extra}"""

FAILING_NOTEBOOK_CELL = """\
from analysis import pipeline
from analysis.core.config import load_config
pipeline.mine(load_config(config_path), use_cache=use_cache, strict=True)
"""

DRIVER = """\
import sys
from pathlib import Path
from analysis import cli
from analysis.outputs import report
if sys.argv[1] != "-":
    report.default_notebook = lambda: Path(sys.argv[1])
sys.exit(cli.main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("secrets-everywhere")
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for n, folder in enumerate(("shop/orders", "shop/accounts", "shop/orders", "vendor")):
        (repo / folder).mkdir(parents=True, exist_ok=True)
        (repo / folder / "__init__.py").write_text("")
        (repo / folder / f"m{n}.py").write_text("from shop.accounts import m1\n" if "orders" in folder else "x = 1\n")
        (repo / "shop" / "__init__.py").write_text("")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"change {n}", date=f"2024-01-0{n + 1}T10:00:00Z")
    (root / "rotated.log").write_text(SQL_LOG, encoding="utf-8")
    (root / "bad.log").write_text(BAD_LOG, encoding="utf-8")
    (root / "traces.jsonl").write_bytes(traces())
    (root / "seams.yml").write_text(CONFIG.format(extra=""), encoding="utf-8")
    (root / "wrong.yml").write_text(CONFIG.format(extra="").replace("format: otlp-json", f"format: {NEVER['config value']}"),
                                    encoding="utf-8")
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nbformat.write(new_notebook(cells=[new_code_cell('config_path = ""\nrun_dir = ""\nuse_cache = True', metadata={"tags": ["parameters"]}),
                                       new_code_cell(FAILING_NOTEBOOK_CELL)],
                                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}),
                   root / "failing.ipynb")
    (root / "driver.py").write_text(DRIVER, encoding="utf-8")
    return root


def seams(project: Path, *args: str, notebook: str = "-") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEAMS_CACHE_DIR": str(project / "cache")}
    return subprocess.run([sys.executable, str(project / "driver.py"), notebook, *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def runs(project: Path) -> dict[str, subprocess.CompletedProcess]:
    config = str(project / "seams.yml")
    return {
        "report": seams(project, "report", "--config", config, "--out", str(project / "reports")),
        "report again (cached)": seams(project, "report", "--config", config, "--out", str(project / "reports")),
        "wrong config": seams(project, "report", "--config", str(project / "wrong.yml"), "--out", str(project / "reports")),
        "failing notebook": seams(project, "report", "--config", config, "--out", str(project / "reports"),
                                  notebook=str(project / "failing.ipynb")),
        "mine sql": seams(project, "mine", "sql", "--config", config, "--out", str(project / "mined-sql")),
        "mine traces": seams(project, "mine", "traces", "--config", config, "--out", str(project / "mined-traces")),
    }


INPUTS = ("repo", "rotated.log", "bad.log", "traces.jsonl", "seams.yml", "wrong.yml", "failing.ipynb", "driver.py")


def written_files(project: Path) -> dict[Path, str]:
    """Every file Seams wrote under the project folder, as text (Parquet read back)."""
    out: dict[Path, str] = {}
    for path in sorted(project.rglob("*")):
        if not path.is_file() or path.relative_to(project).parts[0] in INPUTS:
            continue
        if path.suffix == ".parquet":
            out[path] = pd.read_parquet(path).astype(str).to_csv()
        else:
            out[path] = path.read_bytes().decode("utf-8", "replace")
    return out


def test_the_runs_ended_as_documented(runs, project):
    assert runs["report"].returncode == 3, runs["report"].stderr  # written, one log could not be read
    assert runs["report again (cached)"].returncode == 3
    assert runs["wrong config"].returncode == 2 and "sources.traces[0].format" in runs["wrong config"].stderr
    assert runs["failing notebook"].returncode == 1 and ".failed" in runs["failing notebook"].stderr
    assert runs["mine sql"].returncode == 2  # seams mine stops at the log that cannot be read
    assert runs["mine traces"].returncode == 0
    reports = project / "reports"
    assert any(p.name.endswith(".failed") for p in reports.iterdir())
    assert (reports / "latest" / "rejects.csv").is_file() and (project / "cache").is_dir()


def test_the_outputs_are_not_empty(runs, project):
    files = written_files(project)
    findings = (project / "reports" / "latest" / "findings.json").read_text(encoding="utf-8")
    assert "accounts_user" in findings and "bad.log" in findings  # the unreadable log is named with its error
    rejects = (project / "reports" / "latest" / "rejects.csv").read_text(encoding="utf-8")
    assert "rotated.log" in rejects and "traces.jsonl" in rejects
    cached_names = "\n".join(text for path, text in files.items() if "cache" in path.parts)
    assert NAMES["span name token"] in cached_names  # span names are in the cache, as documented


def test_no_secret_in_any_file_seams_wrote_nor_on_its_terminal(runs, project):
    leaks = []
    for path, text in written_files(project).items():
        in_cache = "cache" in path.relative_to(project).parts or path.relative_to(project).parts[0].startswith("mined-")
        for what, secret in {**NEVER, **({} if in_cache else NAMES)}.items():
            if secret in text:
                leaks.append(f"{what} in {path.relative_to(project)}")
    for name, run in runs.items():
        for what, secret in {**NEVER, **NAMES}.items():
            if secret in run.stdout + run.stderr:
                leaks.append(f"{what} on the terminal of {name}")
        assert "\x1b" not in run.stderr and "\x07" not in run.stderr, name
    assert leaks == []


def test_no_sample_secret_in_the_sample_runs_files_nor_its_cache(sample_run, sample_secrets):
    """The sample plants its secrets in SQL literals, DETAIL parameters and span attribute
    values: none may reach any file of the run (rejects.csv included) nor the cache."""
    folders = [sample_run.reports_dir, sample_run.cache_dir]
    leaks = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = (pd.read_parquet(path).astype(str).to_csv() if path.suffix == ".parquet"
                    else path.read_bytes().decode("utf-8", "replace"))
            leaks += [f"{secret!r} in {path}" for secret in sample_secrets if secret in text]
    assert (sample_run.run_dir / "rejects.csv").is_file() and any(sample_run.cache_dir.rglob("*.parquet"))
    assert leaks == []
