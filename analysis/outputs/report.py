"""The report: run the notebook with papermill, export it to one self-contained HTML file.

``run_report(config_path, out_dir)`` is ``seams report``. Its steps, each a small function:

1. :func:`analysis.core.config.load_config` validates the config first; a
   :class:`~analysis.core.errors.ConfigError` propagates and nothing is created.
2. :func:`claim_run_dir` picks the run id, UTC ``YYYYmmddTHHMMSSZ`` (``-2``, ``-3``… when
   taken), and creates the working folder ``<out>/.<run_id>.partial/``.
3. :func:`execute_notebook` runs the notebook with papermill into ``report.ipynb``, with
   the parameters ``config_path``, ``run_dir`` (both absolute), ``use_cache`` and
   ``history_dir`` (the earlier runs the trend section reads: ``history``, else ``out_dir``); the
   kernel's working directory is the config file's folder.
4. :func:`export_html` writes ``report.html``: code hidden, plotly.js inlined once by the
   notebook, no script or style loaded from anywhere (no MathJax, require.js or mermaid
   CDN); :func:`external_references` then checks that no ``src``/``href`` points at
   ``http(s)://`` and the run fails if one does.
5. :func:`read_findings` checks that the notebook wrote ``findings.json``.
6. :func:`publish` renames the folder to ``<out>/<run_id>/`` and points ``<out>/latest``
   at it atomically (a symlink made under a temporary name, then ``os.replace``).

On any failure the working folder becomes ``<out>/<run_id>.failed/`` (with the executed
notebook, where papermill marks the failing cell), the previous run and ``latest`` are
left untouched, and :class:`~analysis.core.errors.ReportError` names the failing cell and the
kept notebook.

The notebook's rendering helpers are in :mod:`analysis.outputs.render`.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from analysis.core.config import load_config
from analysis.core.errors import ReportError

NOTEBOOK_NAME = "00-measure-before-you-migrate.ipynb"
#: The same notebook as package data (in the source tree, a link to notebooks/NOTEBOOK_NAME).
PACKAGED_NOTEBOOK = "report.ipynb"
EXECUTED_NOTEBOOK = "report.ipynb"
HTML_FILE = "report.html"
FINDINGS_FILE = "findings.json"
LATEST = "latest"
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
KERNEL_NAME = "python3"
#: The kernel's own log (start-up notices on stderr) is kept to errors; cell output is unaffected.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)


#: The lab template without the blocks that load scripts from a CDN (require.js, MathJax,
#: mermaid, the widget manager). The report uses none of them: plotly.js is inlined.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


@dataclass(frozen=True)
class RunResult:
    """A finished report run: where it is and what it found."""

    run_id: str
    run_dir: Path
    notebook: Path
    html: Path
    findings: dict
    verdicts: dict


# --------------------------------------------------------------------------------------
# the run


def default_notebook() -> Path:
    """The report notebook, shipped inside the package (``analysis/outputs/report.ipynb``)."""
    notebook = Path(str(importlib.resources.files("analysis.outputs") / PACKAGED_NOTEBOOK))
    if not notebook.is_file():
        raise ReportError(f"report notebook not found: {notebook} (a broken installation?)")
    return notebook


def run_report(config_path: str | os.PathLike, out_dir: str | os.PathLike = "reports", *,
               notebook: str | os.PathLike | None = None, use_cache: bool = True,
               history: str | os.PathLike | None = None) -> RunResult:
    """Run the report notebook on one config and publish ``<out_dir>/<run_id>/`` (see module doc)."""
    config = load_config(config_path)
    source = Path(notebook) if notebook is not None else default_notebook()
    if not source.is_file():
        raise ReportError(f"report notebook not found: {source}")
    out = Path(out_dir).resolve()
    run_id, work = claim_run_dir(out)
    try:
        executed = execute_notebook(source, work / EXECUTED_NOTEBOOK, {
            "config_path": str(Path(config_path).resolve()),
            "run_dir": str(work),
            "use_cache": bool(use_cache),
            "history_dir": str(Path(history).resolve() if history is not None else out),
        }, cwd=Path(config_path).resolve().parent)
        page = export_html(executed, work / HTML_FILE, title=f"Seams report: {config.name}")
        findings = read_findings(work / FINDINGS_FILE)
        final = publish(work, out, run_id)
    except BaseException as exc:
        kept = mark_failed(work, out, run_id)
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: keep the folder, re-raise
            raise
        raise ReportError(failure_message(exc, run_id, kept)) from exc
    return RunResult(
        run_id=run_id,
        run_dir=final,
        notebook=final / executed.name,
        html=final / page.name,
        findings=findings,
        verdicts=findings_verdicts(findings),
    )


def new_run_id(out: Path, now: dt.datetime | None = None) -> str:
    """UTC ``YYYYmmddTHHMMSSZ``, with ``-2``, ``-3``… when a run of that second exists in ``out``."""
    now = now or dt.datetime.now(dt.UTC)
    base = now.astimezone(dt.UTC).strftime(RUN_ID_FORMAT)
    n = 1
    while True:
        run_id = base if n == 1 else f"{base}-{n}"
        if not any((out / name).exists() for name in (run_id, f"{run_id}.failed", f".{run_id}.partial")):
            return run_id
        n += 1


def claim_run_dir(out: Path, now: dt.datetime | None = None) -> tuple[str, Path]:
    """Create ``<out>/.<run_id>.partial/`` for a new run id; return the id and the folder."""
    out.mkdir(parents=True, exist_ok=True)
    while True:
        run_id = new_run_id(out, now)
        work = out / f".{run_id}.partial"
        try:
            work.mkdir()
        except FileExistsError:  # another run claimed it between the check and here
            continue
        return run_id, work


def execute_notebook(source: Path, executed: Path, parameters: Mapping[str, Any], *, cwd: Path | None = None) -> Path:
    """Run ``source`` with papermill into ``executed`` (the kernel in ``cwd``, default the
    current folder); return ``executed``.

    papermill writes the executed notebook even when a cell fails (marking that cell) and
    then raises ``PapermillExecutionError``.
    """
    import papermill

    papermill.execute_notebook(
        str(source), str(executed), parameters=dict(parameters), cwd=str(cwd or Path.cwd()),
        kernel_name=KERNEL_NAME, language="python", progress_bar=False,
        extra_arguments=list(KERNEL_ARGUMENTS),
    )
    return executed


def export_html(executed: Path, page: Path, *, title: str = "Seams report") -> Path:
    """Export the executed notebook to one self-contained HTML file, code hidden.

    Raises ReportError when the written page references anything over http(s).
    """
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(
        template_name="lab", raw_template=OFFLINE_TEMPLATE,
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    page.write_text(body, encoding="utf-8")
    found = external_references(body)
    if found:
        listed = ", ".join(f"<{tag} {attr}={value!r}>" for tag, attr, value in found[:5])
        raise ReportError(f"{page}: the report would load {len(found)} external resource(s): {listed}")
    return page


class _ReferenceCollector(HTMLParser):
    """Collects ``src``/``href`` attributes of the document's elements.

    Script and style contents are raw text to the parser, so URLs inside plotly.js's
    code are not mistaken for references.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and _is_remote(value):
                self.found.append((tag, name, value))

    handle_startendtag = handle_starttag


def _is_remote(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//"))


def external_references(page: str) -> list[tuple[str, str, str]]:
    """Every ``(tag, attribute, url)`` in ``page`` whose src/href points at http(s)://."""
    collector = _ReferenceCollector()
    collector.feed(page)
    collector.close()
    return collector.found


def read_findings(path: Path) -> dict:
    """The findings the notebook wrote; ReportError when it wrote none."""
    if not path.is_file():
        raise ReportError(f"the notebook finished without writing {path.name}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})") from None


def findings_verdicts(findings: Mapping) -> dict:
    """The verdicts in ``findings`` keyed by verdict key (a list of verdicts is keyed by ``key``)."""
    verdicts = findings.get("verdicts", {})
    if isinstance(verdicts, list):
        return {str(v.get("key", n)): v for n, v in enumerate(verdicts)}
    return dict(verdicts) if isinstance(verdicts, Mapping) else {}


def publish(work: Path, out: Path, run_id: str) -> Path:
    """Rename the working folder to ``<out>/<run_id>`` and point ``<out>/latest`` at it."""
    final = out / run_id
    work.rename(final)
    try:
        point_latest(out, run_id)
    except OSError:
        final.rename(work)  # so that mark_failed finds it where it expects
        raise
    return final


def point_latest(out: Path, run_id: str) -> Path:
    """Make ``<out>/latest`` a relative symlink to ``run_id``, replacing the old one atomically."""
    link = out / LATEST
    temporary = out / f".{LATEST}.{run_id}.tmp"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(run_id, temporary, target_is_directory=True)
    os.replace(temporary, link)
    return link


def mark_failed(work: Path, out: Path, run_id: str) -> Path:
    """Rename a failed run's folder to ``<out>/<run_id>.failed``; return it."""
    failed = out / f"{run_id}.failed"
    if work.exists():
        work.rename(failed)
    return failed


def failure_message(exc: BaseException, run_id: str, kept: Path) -> str:
    """What failed, in which cell, and where the executed notebook is kept."""
    notebook = kept / EXECUTED_NOTEBOOK
    where = f"the executed notebook is kept at {notebook}" if notebook.is_file() else f"the run's files are kept in {kept}"
    cell_index = getattr(exc, "cell_index", None)
    if cell_index is not None:  # papermill.PapermillExecutionError
        first_line = next((ln for ln in str(getattr(exc, "source", "")).splitlines() if ln.strip()), "")
        return (f"report run {run_id} failed in notebook cell {cell_index} (In [{getattr(exc, 'exec_count', '?')}]"
                f"{': ' + first_line.strip() if first_line else ''}): {getattr(exc, 'ename', 'Error')}: "
                f"{getattr(exc, 'evalue', '')}\n{where}")
    return f"report run {run_id} failed: {type(exc).__name__}: {exc}\n{where}"
