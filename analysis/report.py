"""The report: run the notebook with papermill, export it to one self-contained HTML file.

``run_report(config_path, out_dir)`` is ``seams report``. Its steps, each a small function:

1. :func:`analysis.config.load_config` validates the config first; a
   :class:`~analysis.errors.ConfigError` propagates and nothing is created.
2. :func:`claim_run_dir` picks the run id, UTC ``YYYYmmddTHHMMSSZ`` (``-2``, ``-3``… when
   taken), and creates the working folder ``<out>/.<run_id>.partial/``.
3. :func:`execute_notebook` runs the notebook with papermill into ``report.ipynb``, with
   the parameters ``config_path``, ``run_dir`` (both absolute) and ``use_cache``; the
   kernel's working directory is the project root.
4. :func:`export_html` writes ``report.html``: code hidden, plotly.js inlined once by the
   notebook, no script or style loaded from anywhere (no MathJax, require.js or mermaid
   CDN); :func:`external_references` then checks that no ``src``/``href`` points at
   ``http(s)://`` and the run fails if one does.
5. :func:`read_findings` checks that the notebook wrote ``findings.json``.
6. :func:`publish` renames the folder to ``<out>/<run_id>/`` and points ``<out>/latest``
   at it atomically (a symlink made under a temporary name, then ``os.replace``).

On any failure the working folder becomes ``<out>/<run_id>.failed/`` (with the executed
notebook, where papermill marks the failing cell), the previous run and ``latest`` are
left untouched, and :class:`~analysis.errors.ReportError` names the failing cell and the
kept notebook.

The notebook calls the rendering helpers here: :func:`verdicts_html`,
:func:`recommendation_html`, :func:`table_html`, :func:`mapping_html`,
:func:`inputs_html`, :func:`cycles_html`, :func:`plotly_runtime` and :func:`figure`.
Every string that comes from the inputs is ``html.escape``'d.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

import analysis as _package
from analysis.config import load_config
from analysis.errors import ReportError

NOTEBOOK_NAME = "00-measure-before-you-migrate.ipynb"
EXECUTED_NOTEBOOK = "report.ipynb"
HTML_FILE = "report.html"
FINDINGS_FILE = "findings.json"
LATEST = "latest"
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
KERNEL_NAME = "python3"
#: The kernel's own log (start-up notices on stderr) is kept to errors; cell output is unaffected.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)

#: Rows shown per table in the report; the rest are counted, and all are in findings.json.
MAX_TABLE_ROWS = 50
#: How a missing value (None, NA, NaN) shows in a table.
MISSING = "–"

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


def project_root() -> Path:
    """The folder holding the ``analysis`` package (the repository, for an editable install)."""
    return Path(_package.__file__).resolve().parent.parent


def default_notebook() -> Path:
    """The report notebook: next to the package (editable install), else ``./notebooks``."""
    for folder in (project_root() / "notebooks", Path.cwd() / "notebooks"):
        candidate = folder / NOTEBOOK_NAME
        if candidate.is_file():
            return candidate
    raise ReportError(f"report notebook {NOTEBOOK_NAME} not found under {project_root() / 'notebooks'} or ./notebooks")


def run_report(config_path: str | os.PathLike, out_dir: str | os.PathLike = "reports", *,
               notebook: str | os.PathLike | None = None, use_cache: bool = True) -> RunResult:
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
        })
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
    now = now or dt.datetime.now(dt.timezone.utc)
    base = now.astimezone(dt.timezone.utc).strftime(RUN_ID_FORMAT)
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
    """Run ``source`` with papermill into ``executed``, in the project root; return ``executed``.

    papermill writes the executed notebook even when a cell fails (marking that cell) and
    then raises ``PapermillExecutionError``.
    """
    import papermill

    papermill.execute_notebook(
        str(source), str(executed), parameters=dict(parameters), cwd=str(cwd or project_root()),
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


# --------------------------------------------------------------------------------------
# rendering helpers for the notebook (strings in, escaped HTML out)


class Html(str):
    """HTML text that Jupyter displays as HTML (and that is still a plain ``str``)."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:  # the notebook's text/plain fallback: short, the HTML is beside it
        return f"<HTML, {len(self)} characters>"


#: Selectors doubled (``.seams-table.seams-table``) to win over the lab theme's
#: right-aligned ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``.
STYLE = """<style>
.seams-scroll { overflow-x: auto; max-width: 100%; }
table.seams-table.seams-table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 13px; }
table.seams-table.seams-table th, table.seams-table.seams-table td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
table.seams-table.seams-table th { background: #f4f4f4; }
table.seams-table.seams-table td.seams-num { text-align: right; font-variant-numeric: tabular-nums; }
table.seams-table.seams-table ul { margin: 0; padding-left: 1.2em; }
.seams-verdict { display: inline-block; padding: 2px 8px; border-radius: 4px; font-weight: bold; color: white; background: #37474f; white-space: nowrap; }
.seams-verdict-go { background: #2e7d32; }
.seams-verdict-no-go { background: #c62828; }
.seams-verdict-not-yet { background: #ef6c00; }
.seams-verdict-inconclusive { background: #757575; }
.seams-muted { color: #666; }
.seams-recommendation h3 { margin-top: 0.2em; }
</style>"""


def _text(value: Any) -> str:
    """A value as escaped text: lists joined, mappings as ``key: value``, numbers rounded,
    a missing value as ``–``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return html.escape(value.isoformat())
    if isinstance(value, Mapping):
        return "; ".join(f"{html.escape(str(k))}: {_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)) or type(value).__name__ == "ndarray":
        return ", ".join(_text(v) for v in value) if len(value) else "none"
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        return _text(value.item())
    return html.escape(str(value))


def _float_text(value: float) -> str:
    """Whole numbers without decimals, tiny ones in 3 significant digits, others to 3 decimals."""
    if math.isnan(value):
        return MISSING
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:.0f}"
    if abs(value) < 1e-3:
        return f"{value:.3g}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _is_number(value: Any) -> bool:
    """A number to right-align (missing values are not: they show as ``–``)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return not math.isnan(value)
    if isinstance(value, int):
        return True
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    return kind in ("i", "u") or (kind == "f" and not math.isnan(float(value)))


def _slug(value: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in value.strip().lower()).strip("-")


def verdict_badge(verdict: str) -> str:
    """The verdict word in a badge. The recommendation's words are coloured (GO green, NO-GO
    red, NOT YET amber, INCONCLUSIVE grey); a question's answer (YES, NO, PARTIAL) is not,
    since "yes" is good news for one question and bad news for another."""
    return f'<span class="seams-verdict seams-verdict-{html.escape(_slug(str(verdict)))}">{html.escape(str(verdict))}</span>'


def verdicts_html(analysis) -> Html:
    """The three verdicts as one table: question, verdict, summary, the evidence that
    decided it, the evidence that is missing, and the rule with its thresholds."""
    rows = []
    for key, v in analysis.verdicts.items():
        thresholds = _text(dict(getattr(v, "thresholds", {}) or {}))
        rule = html.escape(str(getattr(v, "rule", "")))
        missing = getattr(v, "missing", []) or []
        rows.append(
            "<tr>"
            f"<td><b>{html.escape(str(getattr(v, 'question', key)))}</b></td>"
            f"<td>{verdict_badge(getattr(v, 'verdict', ''))}</td>"
            f"<td>{html.escape(str(getattr(v, 'summary', '')))}</td>"
            f"<td>{_list_html(f'{html.escape(str(k))}: {_text(x)}' for k, x in (getattr(v, 'evidence', {}) or {}).items())}</td>"
            f"<td>{_list_html(html.escape(str(m)) for m in missing) if missing else '<span class=seams-muted>nothing</span>'}</td>"
            f"<td><details><summary>rule</summary><p>{rule}</p><p class='seams-muted'>{thresholds}</p></details></td>"
            "</tr>"
        )
    if not rows:
        return Html(STYLE + '<p class="seams-muted">no verdicts</p>')
    head = "".join(f"<th>{h}</th>" for h in ("question", "verdict", "summary", "evidence", "missing evidence", "rule"))
    return Html(f'{STYLE}<table class="seams-table seams-verdicts"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _list_html(items: Iterable[str]) -> str:
    """Already-escaped items as a bullet list."""
    items = list(items)
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else ""


def recommendation_html(analysis) -> Html:
    """The overall recommendation: verdict, headline, what to extract first, reasons, next steps."""
    rec = analysis.recommendation or {}
    parts = [STYLE, '<div class="seams-recommendation">']
    parts.append(f"<h3>{verdict_badge(rec.get('verdict', ''))} {html.escape(str(rec.get('headline', '')))}</h3>")
    first = rec.get("extract_first")
    if first:
        parts.append(f"<p><b>Extract first:</b> {html.escape(str(first))}</p>")
    if rec.get("reasons"):
        parts.append("<p><b>Why</b></p>" + _list_html(html.escape(str(r)) for r in rec["reasons"]))
    if rec.get("next_steps"):
        parts.append("<p><b>Next steps</b></p><ol>" + "".join(f"<li>{html.escape(str(s))}</li>" for s in rec["next_steps"]) + "</ol>")
    parts.append("</div>")
    return Html("".join(parts))


def table_html(frame: pd.DataFrame | None, *, max_rows: int = MAX_TABLE_ROWS, empty: str = "no rows") -> Html:
    """A frame as an HTML table, every header and cell escaped; at most ``max_rows`` rows."""
    if frame is None or len(frame) == 0:
        return Html(f'{STYLE}<p class="seams-muted">{html.escape(empty)}</p>')
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False, name=None):
        cells = "".join(
            f'<td class="seams-num">{_text(v)}</td>' if _is_number(v) else f"<td>{_text(v)}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    more = len(frame) - len(shown)
    note = f'<p class="seams-muted">… and {more} more rows (all in findings.json)</p>' if more > 0 else ""
    return Html(f'{STYLE}<div class="seams-scroll"><table class="seams-table"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table></div>{note}')


def flatten(mapping: Mapping, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level with dotted keys."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def mapping_html(mapping: Mapping | None, *, key: str = "measure", value: str = "value") -> Html:
    """A (possibly nested) mapping as a two-column table, nested keys dotted."""
    flat = flatten(mapping or {})
    return table_html(pd.DataFrame({key: list(flat), value: pd.Series(list(flat.values()), dtype=object)}),
                      max_rows=len(flat) or 1, empty="nothing measured")


def inputs_html(inputs: Mapping[str, Mapping] | None) -> Html:
    """Per source: records read, rejected, unassigned share, notes and the rejects file."""
    columns = ("configured", "records_read", "records_rejected", "unassigned_share", "notes", "rejects_file")
    rows = [{"source": source, **{c: (facts or {}).get(c) for c in columns}} for source, facts in (inputs or {}).items()]
    frame = pd.DataFrame(rows, columns=["source", *columns]).astype(object)
    return table_html(frame, max_rows=len(rows) or 1, empty="no sources configured")


def cycles_html(cycles: Iterable[Iterable[str]] | None) -> Html:
    """Import cycles between contexts, each as ``a → b → … → a``."""
    rows = [list(c) for c in (cycles or []) if c]
    frame = pd.DataFrame({"contexts": [len(c) for c in rows], "cycle": [" → ".join([*c, c[0]]) for c in rows]})
    return table_html(frame, empty="no import cycles between contexts")


# --------------------------------------------------------------------------------------
# plotly output that works offline in the exported page


class PlotlyRuntime:
    """plotly.js as an HTML output: two script elements, nothing visible."""

    def _repr_html_(self) -> str:
        from plotly.offline import get_plotlyjs

        return f"<script>window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>\n<script>{get_plotlyjs()}</script>"

    def __repr__(self) -> str:
        return "<plotly.js, inlined>"


def plotly_runtime() -> PlotlyRuntime:
    """plotly.js, inlined once: display this before the first figure.

    Figures shown through :func:`figure` reference ``window.Plotly`` and carry no copy of
    the library, so the exported page holds plotly.js exactly once and loads nothing.
    """
    return PlotlyRuntime()


class FigureOutput:
    """A plotly figure as a display bundle: plotly JSON for JupyterLab, HTML for the export.

    The HTML is ``fig.to_html(include_plotlyjs=False)``: it draws with the plotly.js
    that :func:`plotly_runtime` put in the page.
    """

    config = {"displaylogo": False, "responsive": True}

    def __init__(self, fig) -> None:
        self.fig = fig

    def html(self) -> str:
        height = self.fig.layout.height or 520
        return self.fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                                config=self.config, default_width="100%", default_height=f"{height}px")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {
            "application/vnd.plotly.v1+json": {**json.loads(self.fig.to_json()), "config": self.config},
            "text/html": self.html(),
            "text/plain": repr(self),
        }

    def __repr__(self) -> str:
        title = self.fig.layout.title.text if self.fig.layout.title and self.fig.layout.title.text else "untitled"
        return f"<figure: {title}>"


def figure(fig) -> FigureOutput:
    """Wrap a figure for display in the notebook (see :class:`FigureOutput`)."""
    return FigureOutput(fig)
