"""Rendering helpers for the report notebook: strings and frames in, escaped HTML out.

Every string that comes from the inputs is ``html.escape``'d. The notebook calls
:func:`verdicts_html`, :func:`recommendation_html`, :func:`table_html`, :func:`mapping_html`,
:func:`inputs_html`, :func:`cycles_html`, :func:`plotly_runtime` and :func:`figure`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

#: Rows shown per table in the report; the rest are counted, and all are in findings.json.
MAX_TABLE_ROWS = 50
#: How a missing value (None, NA, NaN) shows in a table.
MISSING = "–"



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
