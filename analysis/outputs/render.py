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
.seams-no-evidence { display: inline-block; padding: 0 6px; border: 1px dashed #999; border-radius: 3px; color: #555; background: repeating-linear-gradient(45deg, #f4f4f4, #f4f4f4 4px, #fff 4px, #fff 8px); }
.seams-close-call { background: #fff8e1; border-left: 4px solid #f9a825; padding: 4px 8px; }
tr.seams-unknown td { color: #555; }
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
    """The three verdicts, each with its checks: what was measured against which threshold,
    the margin, and — for a check whose evidence is missing — ``no evidence`` and why (never a
    number). A close call and the evidence that is missing follow; the rule is folded."""
    blocks = []
    for key, v in analysis.verdicts.items():
        checks = getattr(v, "checks", []) or []
        rows = "".join(_check_row(c) for c in checks)
        table = (f'<table class="seams-table seams-checks"><thead><tr><th>check</th><th>value</th><th>threshold</th>'
                 f'<th>margin</th><th>holds</th></tr></thead><tbody>{rows}</tbody></table>') if checks else ""
        close = getattr(v, "close_call", None)
        missing = getattr(v, "missing", []) or []
        blocks.append(
            f'<div class="seams-verdict-block"><h3>{html.escape(str(getattr(v, "question", key)))} '
            f'{verdict_badge(getattr(v, "verdict", ""))}</h3>'
            f"<p>{html.escape(str(getattr(v, 'summary', '')))}</p>"
            + (f'<p class="seams-close-call"><b>Close call.</b> {html.escape(close)}</p>' if close else "")
            + table
            + (f"<p><b>Missing or too thin:</b></p>{_list_html(html.escape(str(m)) for m in missing)}" if missing else "")
            + f"<details><summary>rule</summary><p>{html.escape(str(getattr(v, 'rule', '')))}</p></details></div>"
        )
    if not blocks:
        return Html(STYLE + '<p class="seams-muted">no verdicts</p>')
    return Html(STYLE + "".join(blocks))


def _check_row(check) -> str:
    from analysis.decisions.checks import format_margin, format_value

    label = html.escape(check.label) + (f'<br><span class="seams-muted">{html.escape(check.detail)}</span>' if check.detail else "")
    if not check.known:
        state = html.escape(check.status.state.value)
        reason = html.escape(check.status.reason)
        return (f'<tr class="seams-unknown"><td>{label}</td><td colspan="4"><span class="seams-no-evidence">no evidence</span> '
                f'({state}: {reason})</td></tr>')
    holds = "yes" if check.holds else "no"
    return (f"<tr><td>{label}</td><td class='seams-num'>{html.escape(format_value(check.value, check.unit))}</td>"
            f"<td class='seams-num'>{html.escape(check.direction)} {html.escape(format_value(check.threshold, check.unit))}</td>"
            f"<td class='seams-num'>{html.escape(format_margin(check))}</td><td>{holds}</td></tr>")


def evidence_html(status, frame: pd.DataFrame | None, *, empty: str, max_rows: int = MAX_TABLE_ROWS) -> Html:
    """A table of evidence, or — when its source was not given or holds too little — "no
    evidence" and why: an empty table then means *nothing found*, never *nothing looked at*."""
    if not status.known:
        return no_evidence_html(status)
    return table_html(frame, max_rows=max_rows, empty=empty)


def no_evidence_html(status) -> Html:
    return Html(f'{STYLE}<p class="seams-no-evidence-block"><span class="seams-no-evidence">no evidence</span> '
                f'— {html.escape(status.state.value)}: {html.escape(status.reason)}</p>')


def states_html(states: Mapping[str, Any]) -> Html:
    """What each piece of evidence is: measured (over what), not measured or not measurable (why)."""
    rows = [{"evidence": k.replace("_", " "), "state": v.get("state"), "why / over what": v.get("reason")}
            for k, v in states.items() if isinstance(v, Mapping) and "state" in v]
    return table_html(pd.DataFrame(rows), max_rows=len(rows) or 1, empty="no evidence states")


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
    """Per source: records read, rejected, unassigned share, notes, the error of a source that
    could not be read, and the rejects file."""
    columns = ("configured", "records_read", "records_rejected", "unassigned_share", "notes", "error", "rejects_file")
    rows = [{"source": source, **{c: (facts or {}).get(c) for c in columns}} for source, facts in (inputs or {}).items()]
    frame = pd.DataFrame(rows, columns=["source", *columns]).astype(object)
    return table_html(frame, max_rows=len(rows) or 1, empty="no sources configured")


def cycles_html(cycles: Iterable[Iterable[str]] | None, cycle_edges: Iterable[Iterable[Mapping]] | None = None) -> Html:
    """Import cycles between contexts: each strongly connected component as its set of
    contexts and its real import edges (``a → b: n import lines``), never an invented path."""
    components = [sorted(c) for c in (cycles or []) if c]
    edges = list(cycle_edges or [[] for _ in components])
    if not components:
        return Html(f'{STYLE}<p class="seams-muted">no import cycles between contexts</p>')
    rows = []
    for members, inside in zip(components, edges, strict=False):
        arrows = [f"{html.escape(str(e['source']))} → {html.escape(str(e['target']))}: {int(e['edges'])} import lines"
                  for e in inside]
        rows.append(f"<tr><td class='seams-num'>{len(members)}</td><td>{html.escape(', '.join(members))}</td>"
                    f"<td>{_list_html(arrows) if arrows else ''}</td></tr>")
    return Html(f'{STYLE}<table class="seams-table"><thead><tr><th>contexts</th><th>in the cycle</th>'
                f'<th>the import edges between them</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


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


#: Figures are printed at this scale (an A4 page is narrower than a screen)...
PRINT_ZOOM = 0.75
#: ... or smaller, to fit this height: an A4 page less the print margins (1,032 CSS pixels)
#: and a line of text.
PRINT_PAGE_HEIGHT_PX = 1000


class FigureOutput:
    """A plotly figure as a display bundle: plotly JSON for JupyterLab, HTML for the export.

    The HTML is ``fig.to_html(include_plotlyjs=False)``: it draws with the plotly.js
    that :func:`plotly_runtime` put in the page.
    """

    config = {"displaylogo": False, "responsive": True}

    def __init__(self, fig) -> None:
        self.fig = fig

    def html(self) -> str:
        """The figure's HTML in a ``seams-figure`` box whose ``--seams-print-zoom`` scales it in
        print to fit one page whole (:data:`PRINT_ZOOM`, less for a taller figure)."""
        height = self.fig.layout.height or 520
        zoom = math.floor(min(PRINT_ZOOM, PRINT_PAGE_HEIGHT_PX / height) * 100) / 100
        drawn = self.fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                                 config=self.config, default_width="100%", default_height=f"{height}px")
        return f'<div class="seams-figure" style="--seams-print-zoom: {zoom}">{drawn}</div>'

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


# --------------------------------------------------------------------------------------
# the migration scorecard and the trend


def figure_cell(metric: str, value, unit: str, n=None, low=None, high=None) -> str:
    """One scorecard figure as read: ``44.2 min [42.2–47.4] (n 9)``; shares as percents, counts
    and costs bare; ``—`` when unknown. The interval is shown where one exists."""
    from analysis.measures.metrics.delivery import METRICS

    if value is None or pd.isna(value):
        return "—"
    statistic = METRICS[metric][3] if metric in METRICS else "quantile"

    def number(x) -> str:
        x = float(x)
        if statistic == "share":
            return f"{x:.0%}"
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"

    known = low is not None and high is not None and not (pd.isna(low) or pd.isna(high))
    interval = f" [{number(low)}–{number(high)}]" if known else ""
    if statistic in ("count", "sum"):
        return f"{number(value)} {unit}".strip() if statistic == "sum" else number(value)
    shown_unit = {"share": "", "rate": f"{unit}"}.get(statistic, unit)
    count = f" (n {int(n)})" if statistic in ("quantile", "share") and n is not None and not pd.isna(n) else ""
    return f"{number(value)}{' ' + shown_unit if shown_unit else ''}{interval}{count}"


def scorecard_view(table: pd.DataFrame, context: str = "(all)") -> pd.DataFrame:
    """One context's scorecard as stakeholders read it: a row per period (oldest first), a
    column per metric (its label; costs per currency), each cell from :func:`figure_cell`; a
    metric with no figure in any period has no column."""
    from analysis.measures.metrics.delivery import METRICS

    rows = table[table["context"] == context]
    if rows.empty:
        return pd.DataFrame()
    labels = [METRICS[m][0] + (f" ({u})" if m == "cost" else "") for m, u in zip(rows["metric"], rows["unit"])]
    cells = [figure_cell(m, v, "" if m == "cost" else u, n, lo, hi)
             for m, v, u, n, lo, hi in zip(rows["metric"], rows["value"], rows["unit"], rows["n"], rows["low"], rows["high"])]
    frame = pd.DataFrame({"period": rows["period"].dt.strftime("%Y-%m-%d").to_numpy(), "label": labels, "cell": cells})
    order = list(dict.fromkeys(labels))
    wide = frame.pivot_table(index="period", columns="label", values="cell", aggfunc="first")
    return wide[[c for c in order if c in wide.columns]].sort_index().fillna("—").reset_index().rename(columns={"period": f"{context}: period"})


def comparison_view(comparisons: pd.DataFrame) -> pd.DataFrame:
    """Before/after rows as stakeholders read them: event, context, metric (its label),
    before, after (each with interval and n), change, and what to make of it."""
    from analysis.measures.metrics.delivery import METRICS

    if comparisons.empty:
        return comparisons
    c = comparisons
    return pd.DataFrame({
        "event": c["event"] + " (" + c["date"] + ")", "context": c["context"],
        "metric": [METRICS[m][0] for m in c["metric"]],
        "before": [figure_cell(m, v, u, n, lo, hi) for m, v, u, n, lo, hi in
                   zip(c["metric"], c["before"], c["unit"], c["n_before"], c["before_low"], c["before_high"])],
        "after": [figure_cell(m, v, u, n, lo, hi) for m, v, u, n, lo, hi in
                  zip(c["metric"], c["after"], c["unit"], c["n_after"], c["after_low"], c["after_high"])],
        "change": ["—" if pd.isna(d) else f"{d:+.0%}".replace("%", " points") if m == "change_failure_rate" else f"{d:+,.3g}"
                   for m, d in zip(c["metric"], c["change"])],
        "note": c["note"],
    })
