"""The report's sections as HTML, in reading order: the first screen (what was analysed, the
recommendation, the three answers with the figures that decided them, what is unknown, the
next steps), one section per question opening with its verdict, the extraction candidates,
one card per context, the inputs, the glossary.

Everything here lays out what is computed elsewhere (:mod:`analysis.outputs.summary`, the
:class:`~analysis.pipeline.Analysis`); every string from the inputs is escaped, every column
takes its human label from :mod:`analysis.outputs.glossary`, long evidence shows its top rows
with the rest folded and linked as CSV (:mod:`analysis.outputs.evidence_files`), and absolute
paths of the machine are rewritten (:mod:`analysis.outputs.display_paths`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.core.evidence import Status
from analysis.outputs import figures, glossary
from analysis.outputs.display_paths import PathDisplay
from analysis.outputs.render import STYLE, Html, _text, figure, no_evidence_html, verdict_badge
from analysis.outputs.summary import Answer, Summary, summarize

#: Rows of long evidence shown before the rest is folded.
TOP_ROWS = 10
#: Rows inside a folded list (the CSV holds all).
FOLDED_ROWS = 500
#: Items of a list cell (``path:line``, writers) shown before "and N more".
CELL_ITEMS = 3
#: A sentence on a first-screen card is cut at this length (the section has it whole).
CARD_SENTENCE = 190

#: The report's own style. In print (A4): the first screen alone on page one, its three answers
#: side by side (JupyterLab keeps each output whole, which would push a first screen taller than
#: what is left of page one to page two and leave page one blank: outputs may break here, their
#: figures, cards, answers and table rows may not); tables as wide as the page; figures at 75 %,
#: or less when taller than a page (``--seams-print-zoom``, :class:`analysis.outputs.render.FigureOutput`),
#: so that a 30-context matrix fits one page whole.
PAGE_STYLE = """<style>
.seams-page { max-width: 1240px; }
.seams-page td, .seams-page li, .seams-page p { overflow-wrap: anywhere; }
.seams-page td.seams-num, .seams-page th { overflow-wrap: normal; white-space: nowrap; }
.seams-head h1 { font-size: 22px; margin: 0 0 2px; }
.seams-head p { margin: 0; color: #555; font-size: 13px; }
.seams-rec { margin: 10px 0; padding: 10px 14px; border: 1px solid #ccc; border-radius: 6px; background: #fafafa; }
.seams-rec .seams-headline { font-size: 18px; font-weight: 600; }
.seams-answers { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; }
.seams-answer { border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px; font-size: 13px; }
.seams-answer h3 { font-size: 14px; margin: 0 0 4px; }
.seams-answer p { margin: 4px 0; }
.seams-answer ul { margin: 2px 0; padding-left: 1.1em; }
.seams-fig { font-variant-numeric: tabular-nums; }
.seams-fig-fail { color: #b71c1c; }
.seams-fig-close { background: #fff8e1; }
.seams-unknown-list li { color: #555; }
.seams-steps { font-size: 13px; margin: 8px 0 0; }
.seams-steps ol { margin: 2px 0; padding-left: 1.4em; }
.seams-section-verdict { font-size: 15px; }
.seams-canvas { display: grid; grid-template-columns: repeat(auto-fill, minmax(370px, 1fr)); gap: 10px; }
.seams-card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px; font-size: 12.5px; break-inside: avoid; }
.seams-card h4 { margin: 0 0 4px; font-size: 14px; }
.seams-card dl { display: grid; grid-template-columns: max-content 1fr; gap: 1px 8px; margin: 0; }
.seams-card.seams-card dt { color: #666; white-space: nowrap; float: none; margin: 0; padding: 0; font-weight: normal; }
.seams-card.seams-card dd { margin: 0; padding: 0; float: none; }
.seams-tag { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 3px; background: #eceff1; color: #37474f; margin-left: 4px; }
.seams-download { font-size: 12px; }
@media (max-width: 900px) { .seams-answers { grid-template-columns: 1fr; } }
@media print {
  @page { size: A4; margin: 12mm; }
  .seams-page { max-width: none; }
  .jp-OutputArea-child { break-inside: auto; }
  .seams-first-screen { break-after: page; font-size: 11px; }
  .seams-first-screen .seams-answers { grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px; }
  .seams-first-screen .seams-answer, .seams-first-screen .seams-steps { font-size: 10.5px; }
  .seams-first-screen .seams-answer { padding: 5px 7px; }
  .jp-RenderedHTMLCommon table { width: 100% !important; max-width: 100%; table-layout: fixed; font-size: 9px; }
  .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon td { white-space: normal !important; overflow-wrap: anywhere !important; padding: 2px 3px; }
  .seams-figure { zoom: var(--seams-print-zoom, 0.75); }
  .seams-answer, .seams-card, .seams-rec, table.seams-table tr, .seams-figure, .js-plotly-plot, .plotly-graph-div { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  details { display: block; }
  details > summary { list-style: none; }
  a.seams-download { display: none; }
  .jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
}
</style>"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " …"


# --------------------------------------------------------------------------------------
# the first screen


def first_screen(analysis, *, version: str = "") -> Html:
    """What was analysed, the recommendation, the three answers, the next steps — one screen."""
    show = PathDisplay.of(analysis.config)
    return Html(show(summary_html(summarize(analysis), version=version)))


def summary_html(s: Summary, *, version: str = "") -> str:
    when = " · ".join(x for x in (
        f"history to {s.as_of}" if s.as_of else "",
        f"commit {s.head}" if s.head else "",
        f"{s.contexts} contexts",
        "from " + ", ".join(s.sources) if s.sources else "no source given",
        f"Seams {version}" if version else "") if x)
    head = (f'<div class="seams-head"><h1>{_e(s.monolith)}: measure before you migrate</h1>'
            f"<p>{_e(when)}</p></div>")
    first = f" <b>Extract first:</b> {_e(s.extract_first)}." if s.extract_first else ""
    rec = (f'<div class="seams-rec">{verdict_badge(s.recommendation)} <span class="seams-headline">{_e(s.headline)}</span>'
           f"{first}</div>")
    cards = "".join(_answer_card(a) for a in s.answers)
    steps = ""
    if s.next_steps:
        more = (f'<li class="seams-muted">and {s.more_steps} more in the sections below</li>' if s.more_steps else "")
        steps = ('<div class="seams-steps"><b>Next steps</b><ol>' + "".join(f"<li>{_e(x)}</li>" for x in s.next_steps)
                 + more + "</ol></div>")
    return (STYLE + PAGE_STYLE + '<div class="seams-page seams-first-screen" id="seams-summary">' + head + rec
            + f'<div class="seams-answers">{cards}</div>' + steps + "</div>")


def _answer_card(a: Answer) -> str:
    figs = []
    for f in a.figures:
        cls = "seams-fig" + ("" if f.holds else " seams-fig-fail") + (" seams-fig-close" if f.close else "")
        close = " — <b>close call</b>" if f.close else ""
        figs.append(f'<li class="{cls}">{_e(f.label)}: <b>{_e(f.value)}</b> ({_e(f.threshold)}; margin {_e(f.margin)}){close}</li>')
    unknown = [f"<li>{_e(_shorten(u, 150))}</li>" for u in a.unknown]
    if a.more_unknown:
        unknown.append(f'<li>and {a.more_unknown} more (in the section)</li>')
    return (f'<div class="seams-answer" id="seams-answer-{_e(a.key)}"><h3><a href="#seams-q-{_e(a.key)}">{_e(a.question)}</a></h3>'
            f"<p>{verdict_badge(a.verdict)} {_e(_shorten(a.sentence, CARD_SENTENCE))}</p>"
            + (f"<p><b>Decided by</b></p><ul>{''.join(figs)}</ul>" if figs else "")
            + (f'<p><b>Unknown</b></p><ul class="seams-unknown-list">{"".join(unknown)}</ul>' if unknown else "")
            + "</div>")


# --------------------------------------------------------------------------------------
# one question


def question_html(verdict, *, show: PathDisplay | None = None) -> Html:
    """A question's section head: the verdict, its explanation, the checks (value, threshold,
    margin; no evidence and why when unknown), the close call, what is missing, the rule."""
    rows = "".join(_check_row(c) for c in verdict.checks)
    table = (f'<table class="seams-table seams-checks"><thead><tr><th>check</th><th>value</th><th>threshold</th>'
             f"<th>margin</th><th>holds</th></tr></thead><tbody>{rows}</tbody></table>") if verdict.checks else ""
    close = (f'<p class="seams-close-call"><b>Close call.</b> {_e(verdict.close_call)}</p>' if verdict.close_call else "")
    missing = ("<p><b>Missing or too thin</b></p><ul>" + "".join(f"<li>{_e(m)}</li>" for m in verdict.missing) + "</ul>"
               if verdict.missing else "")
    text = (STYLE + PAGE_STYLE + f'<div class="seams-page" id="seams-q-{_e(verdict.key)}">'
            f'<h2>{_e(verdict.question)} {verdict_badge(verdict.verdict)}</h2>'
            f'<p class="seams-section-verdict">{_e(verdict.summary)}</p>{close}{table}{missing}'
            f"<details><summary>the rule</summary><p>{_e(verdict.rule)}</p></details></div>")
    return Html(show(text) if show else text)


def _check_row(check) -> str:
    from analysis.decisions.checks import format_margin, format_value

    label = _e(check.label)
    threshold = f"{_e(check.direction)} {_e(format_value(check.threshold, check.unit))}"
    if not check.known:
        why = f'<br><span class="seams-muted">{_e(check.status.state.value)}: {_e(check.status.reason)}</span>'
        return (f'<tr class="seams-unknown"><td>{label}{why}</td><td><span class="seams-no-evidence">no evidence</span></td>'
                f"<td class='seams-num'>{threshold}</td><td class='seams-num'>–</td><td>unknown</td></tr>")
    detail = f'<br><span class="seams-muted">{_e(check.detail)}</span>' if check.detail else ""
    return (f"<tr><td>{label}{detail}</td><td class='seams-num'>{_e(format_value(check.value, check.unit))}</td>"
            f"<td class='seams-num'>{threshold}</td><td class='seams-num'>{_e(format_margin(check))}</td>"
            f"<td>{'yes' if check.holds else 'no'}</td></tr>")


# --------------------------------------------------------------------------------------
# tables with human labels, the top rows shown and the rest folded and linked


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple, set)) or type(value).__name__ == "ndarray":
        items = list(value)
        if not items:
            return "none"
        shown = ", ".join(_text(v) for v in items[:CELL_ITEMS])
        return shown + (f" <span class='seams-muted'>and {len(items) - CELL_ITEMS} more</span>" if len(items) > CELL_ITEMS else "")
    return _text(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def number_text(value: float, unit: str = "") -> str:
    """A number as a reader wants it: a share as a percentage, large values without
    decimals and with thousands separators, small ones to three significant digits."""
    if unit == "%":
        return "<0.1%" if 0 < abs(value) < 0.0005 else f"{value:.1%}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _rows_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(glossary.label_with_unit(str(c)))}</th>" for c in frame.columns)
    units = [glossary.unit(str(c)) for c in frame.columns]
    body = "".join("<tr>" + "".join(
        f'<td class="seams-num">{_e(number_text(v, u))}</td>' if _numeric(v) else f"<td>{_cell(v)}</td>"
        for v, u in zip(row, units, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False, name=None))
    return f'<div class="seams-scroll"><table class="seams-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def evidence_table(frame: pd.DataFrame | None, *, status=None, empty: str, columns: Sequence[str] | None = None,
                   top: int = TOP_ROWS, link: str | None = None, what: str = "rows", show: PathDisplay | None = None) -> Html:
    """The top ``top`` rows with human column labels; the rest folded (up to
    :data:`FOLDED_ROWS`) and the whole list linked as CSV. Evidence that is not measured or
    not measurable says so instead; an empty measured table says ``empty``."""
    if status is not None and not status.known:
        text = str(no_evidence_html(status))
    elif frame is None or frame.empty:
        text = f'{STYLE}<p class="seams-muted">{_e(empty)}</p>'
    else:
        frame = frame[[c for c in columns if c in frame]] if columns else frame
        text = STYLE + _rows_html(frame.head(top))
        rest = len(frame) - top
        if rest > 0:
            folded = frame.iloc[top:top + FOLDED_ROWS]
            beyond = len(frame) - top - len(folded)
            text += (f"<details><summary>{rest} more {_e(what)}</summary>{_rows_html(folded)}"
                     + (f'<p class="seams-muted">… and {beyond} more in the CSV</p>' if beyond > 0 else "") + "</details>")
        if link:
            text += f'<p><a class="seams-download" href="{_e(link)}" download>all {len(frame)} {_e(what)} as CSV</a></p>'
    return Html(show(text) if show else text)


def facts_table(rows: Iterable[tuple[str, Any, str]]) -> Html:
    """A short two-column table of human facts: (what, value, how it was counted)."""
    body = "".join(f"<tr><td>{_e(w)}</td><td class='seams-num'>{_text(v) if not isinstance(v, str) else _e(v)}</td>"
                   f"<td class='seams-muted'>{_e(how)}</td></tr>" for w, v, how in rows)
    return Html(f'{STYLE}<table class="seams-table"><tbody>{body}</tbody></table>')


# --------------------------------------------------------------------------------------
# observability coverage, in words


def coverage_html(coverage: Mapping | None, status) -> Html:
    """The coverage figures as sentences with their counts (never raw keys)."""
    if not status.known:
        return no_evidence_html(status)
    c = dict(coverage or {})

    def share(key: str) -> str:
        v = c.get(key)
        return "–" if v is None or v != v else f"{v:.0%}"

    rows = [
        ("contexts emitting spans", f"{len(c.get('contexts_with_spans') or [])} of {c.get('contexts_declared', 0)}",
         ("without: " + ", ".join(c.get("contexts_without_spans") or [])) if c.get("contexts_without_spans") else "every context"),
        ("spans whose parent is missing", f"{c.get('orphan_spans', 0)} of {c.get('spans', 0)} ({share('orphan_span_share')})", ""),
        ("consumer spans with neither parent nor link", f"{c.get('broken_async', 0)} of {c.get('consumer_spans', 0)}",
         "no consumer span seen" if not c.get("consumer_spans") else share("broken_async_share")),
        ("SQL executions tied to a trace", share("sql_tied_to_traces_share"),
         f"by traceparent {share('sql_trace_link_share')}, seen in a database span {share('sql_seen_in_spans_share')}"),
        ("SQL executions attributed to a context", share("sql_attributed_share"), "by any rule"),
        ("spans without a context", share("unassigned_span_share"), "the span rules' reach"),
        ("inventoried entry points traced",
         f"{c.get('entry_points_declared_traced', 0)} of {c.get('entry_points_declared', 0)}"
         if c.get("entry_points_declared") else "no inventory", "what the traffic exercised"),
        ("entry points seen in the traces", c.get("entry_points_traced", 0), "routes and consumed destinations"),
    ]
    completeness = c.get("attribute_completeness") or {}
    for attribute, facts in completeness.items():
        if isinstance(facts, Mapping) and facts.get("spans"):
            rows.append((f"spans that should carry {attribute.replace('_', '.')} and do",
                         f"{facts.get('with_attribute', 0)} of {facts.get('spans', 0)}", ""))
    return facts_table(rows)


# --------------------------------------------------------------------------------------
# the context canvas: one card per context


def _count(value: Any, unit: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return '<span class="seams-no-evidence">no evidence</span>'
    return f"{_text(value)} {_e(unit)}"


def contexts_canvas(analysis) -> Html:
    """One card per context, as Spring Modulith's documenter draws a module: what it owns, who
    changes it, what it depends on and what depends on it, its load and its rank."""
    ctx = analysis.contexts.set_index("context") if len(analysis.contexts) else pd.DataFrame()
    ranking = analysis.ranking.set_index("context") if len(analysis.ranking) else pd.DataFrame()
    ownership = analysis.units.ownership
    entry = analysis.mined["entry_points"].assign(context=analysis.units.entry_point_context.to_numpy()) if len(
        analysis.mined["entry_points"]) else None
    cards = []
    for name in analysis.units.names:
        row = ctx.loc[name] if name in ctx.index else pd.Series(dtype=object)
        tables = sorted(ownership.loc[ownership["owner"] == name, "table"].astype(str)) if len(ownership) else []
        routes = entry.loc[entry["context"] == name] if entry is not None else None
        facts = [
            ("owns", f"{_count(row.get('files_at_head'), 'files')}, {_count(row.get('modules'), 'modules')}, "
                     f"{len(tables)} tables" + (f" ({_e(', '.join(tables[:CELL_ITEMS]))}{' …' if len(tables) > CELL_ITEMS else ''})" if tables else "")),
        ]
        if routes is not None:
            kinds = routes["kind"].value_counts()
            facts.append(("entry points", ", ".join(f"{int(n)} {_e(k)}s" for k, n in kinds.items()) or "none found"))
        facts += [
            ("changed by", f"{_count(row.get('commits_recent'), 'commits')} recently by {_count(row.get('authors_recent'), 'people')}"
             + (f"; main team {_e(row.get('main_team'))} ({row.get('main_team_share'):.0%})"
                if isinstance(row.get("main_team"), str) and row.get("main_team_share") == row.get("main_team_share") else "")),
            ("depends on", _names(row.get("depends_on"))),
            ("used by", _names(row.get("depended_on_by"))),
            ("load", _load(row)),
        ]
        rank = ""
        if name in ranking.index:
            r = ranking.loc[name]
            rank = (f"#{int(r['rank'])}, score {r['score']:.2f} on {int(r['components_known'])} of 5 components"
                    if bool(r.get("candidate", True)) else f"not a candidate: {_e(r.get('why_not') or '')}")
            facts.append(("extraction", rank))
        role = str(row.get("role") or "domain")
        tag = f'<span class="seams-tag">{_e(role)}</span>' if role != "domain" else ""
        dl = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in facts)
        cards.append(f'<div class="seams-card" id="seams-context-{_e(name)}"><h4>{_e(name)}{tag}</h4><dl>{dl}</dl></div>')
    text = STYLE + PAGE_STYLE + f'<div class="seams-page"><div class="seams-canvas">{"".join(cards)}</div></div>'
    return Html(PathDisplay.of(analysis.config)(text))


def _names(value: Any) -> str:
    if value is None or value is pd.NA or not hasattr(value, "__len__") or isinstance(value, str):
        return '<span class="seams-no-evidence">no evidence</span>'
    items = list(value)
    if not items:
        return "none"
    return _e(", ".join(map(str, items[:5]))) + (f" and {len(items) - 5} more" if len(items) > 5 else "")


def _load(row: pd.Series) -> str:
    requests, share = row.get("requests"), row.get("self_time_share")
    if requests is None or requests is pd.NA or (isinstance(requests, float) and requests != requests):
        spans = row.get("spans")
        if spans is not None and spans is not pd.NA and spans == 0:
            return "no span of it in the traces"
        return '<span class="seams-no-evidence">no evidence</span>'
    text = f"{requests:,.0f} requests"
    if share == share and share is not None:
        text += f", {share:.1%} of the compute"
    return text


# --------------------------------------------------------------------------------------
# inputs, evidence states, glossary


def inputs_html(analysis, *, top_notes: int = 3) -> Html:
    """Per source: read, rejected, unassigned share, and its notes (the first few; the rest folded)."""
    show = PathDisplay.of(analysis.config)
    rows = []
    for source, facts in analysis.inputs.items():
        if not facts.get("configured"):
            rows.append(f"<tr><td>{_e(source)}</td><td colspan='4' class='seams-muted'>not given</td></tr>")
            continue
        notes = [str(n) for n in facts.get("notes") or []]
        shown = "".join(f"<li>{_e(n)}</li>" for n in notes[:top_notes])
        folded = (f"<details><summary>{len(notes) - top_notes} more notes</summary><ul>"
                  + "".join(f"<li>{_e(n)}</li>" for n in notes[top_notes:]) + "</ul></details>") if len(notes) > top_notes else ""
        share = facts.get("unassigned_share")
        rows.append(f"<tr><td>{_e(source)}</td><td class='seams-num'>{_text(facts.get('records_read'))}</td>"
                    f"<td class='seams-num'>{_text(facts.get('records_rejected'))}</td>"
                    f"<td class='seams-num'>{'–' if share is None else f'{share:.0%}'}</td>"
                    f"<td><ul>{shown}</ul>{folded}</td></tr>")
    text = (f'{STYLE}<div class="seams-scroll"><table class="seams-table"><thead><tr><th>source</th><th>records read</th>'
            f"<th>rejected</th><th>in no context</th><th>notes</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
    return Html(show(text + unassigned_html(analysis.inputs.get("git") or {})))


def unassigned_html(git: Mapping[str, Any]) -> str:
    """The commonest folders of the files in no context, at HEAD and in the history (``seams init``
    prints the same), so a missing glob or an old folder name is seen at once."""
    out = ""
    for key, what in (("unassigned_prefixes", "source files at HEAD"), ("unassigned_change_prefixes", "historical changes to source files")):
        rows = git.get(key) or []
        if rows:
            frame = pd.DataFrame(rows)[["prefix", "paths", "share"]].rename(columns={"share": "path_share"})
            out += f"<p>Top folders of the {what} in no context:</p>" + _rows_html(frame)
    return out


def decomposition_html(analysis, *, links: Mapping[str, str] | None = None, show: PathDisplay | None = None) -> Html:
    """The inferred decomposition: the signals used, whether a better partition exists, each
    partition's metrics (direction in the glossary), the pulled units, contexts that look like
    two and pairs that look like one; ``partitions.csv`` linked."""
    d = getattr(analysis, "decomposition", None)
    links = links or {}
    if d is None or not d.status.known:
        return no_evidence_html(d.status if d is not None else Status.not_measured("no decomposition in this run"))
    better = d.better
    if better.get("exists"):
        verdict = (f"<p><b>A better partition exists</b>: {_e(better['candidate'])} ({better['parts']} parts) reaches modularity "
                   f"{better['modularity_candidate']:.2f} against the declared map's {better['modularity_declared']:.2f}"
                   f" (MoJoFM {number_text(better['mojofm_vs_declared'] or 0)} against the declared map, 100 being the same).</p>")
    elif better.get("exists") is False:
        verdict = (f"<p>No inferred partition beats the declared map by {better['min_gain']:g} modularity or more "
                   f"(best: {_e(better.get('candidate'))}, {better.get('modularity_candidate', 0):.2f} against "
                   f"{better.get('modularity_declared', 0):.2f}).</p>")
    else:
        verdict = f"<p class='seams-muted'>{_e(better.get('reason', ''))}</p>"
    head = f"{STYLE}<p>Unit graph: {_e(d.status.reason)}.</p>{verdict}"
    table = d.metrics.copy()
    for col in ("icp", "ned", "transactions_spanning", "traces_spanning"):
        if col in table:
            table[col] = table[col].astype(float)
    text = head + _rows_html(table.drop(columns=["resolution"], errors="ignore"))
    text += ('<p class="seams-muted">Higher is better: modularity, SM, MQ, MoJoFM. Lower is better: ICP, IFN, NED, BCP and the '
             "spanning shares (formulas in the glossary and docs/decomposition.md).</p>")
    unknown = {"transactions_spanning": "no database transaction (one trace's statements) reaches tables of two known units",
               "traces_spanning": "no trace reaches two known units (spans need a code namespace or a job function to name their unit)",
               "bcp": "no unit is reached by a route or queue"}
    for col, why in unknown.items():
        if col in table and table[col].isna().all():
            text += f'<p class="seams-muted">{_e(glossary.label(col))}: <em>not measurable</em> — {_e(why)}.</p>'

    if links.get("partitions"):
        text += f'<p><a class="seams-download" href="{_e(links["partitions"])}" download>every partition, unit by unit, as CSV</a></p>'
    from analysis.outputs.evidence_files import masked_units

    text += "<p>Units the evidence pulls to another context than the declared one:</p>"
    text += str(evidence_table(masked_units(d.pulled, d), empty="no unit is pulled to another context",
                               columns=["unit", "declared", "pulled_to", "affinity_declared", "affinity_pulled", "imports_to_pulled",
                                        "cochange_to_pulled", "tables_to_pulled", "calls_sync_to_pulled"],
                               link=links.get("pulled-units"), what="units"))
    text += "<p>Contexts that look like two:</p>" + str(evidence_table(
        d.looks_like_two, empty="no context splits in two with a gain in modularity", what="contexts"))
    text += "<p>Pairs of contexts that look like one:</p>" + str(evidence_table(
        d.looks_like_one, empty="no pair of contexts is tied more than chance predicts", what="pairs"))
    return Html(show(text) if show else text)


def states_html(states: Mapping[str, Any], *, show: PathDisplay | None = None) -> Html:
    """What each piece of evidence is: measured (over what), not measured or not measurable (why)."""
    rows = []
    for key, facts in states.items():
        if not isinstance(facts, Mapping) or "state" not in facts:
            continue
        chip = facts["state"] if facts["state"] == "measured" else f'<span class="seams-no-evidence">{_e(facts["state"])}</span>'
        rows.append(f"<tr><td>{_e(glossary.label(key))}</td><td>{chip if facts['state'] != 'measured' else 'measured'}</td>"
                    f"<td>{_e(facts.get('reason') or '')}</td></tr>")
    text = (f'{STYLE}<table class="seams-table"><thead><tr><th>evidence</th><th>state</th><th>over what, or why not</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return Html(show(text) if show else text)


def glossary_html() -> Html:
    """Every term of the report with its unit, meaning and where its formula is written."""
    rows = "".join(f"<tr><td>{_e(r['term'])}</td><td>{_e(r['unit'])}</td><td>{_e(r['meaning'])}</td>"
                   f"<td class='seams-muted'>{_e(r['formula'])}</td></tr>" for r in glossary.glossary_rows())
    return Html(f'{STYLE}<table class="seams-table"><thead><tr><th>term</th><th>unit</th><th>meaning</th>'
                f"<th>formula</th></tr></thead><tbody>{rows}</tbody></table>")


#: Why the runtime signal cannot see a context that emits no span.
NO_SPANS = "this context emits no span in the traces: its calls cannot be seen"


def signal_figures(analysis) -> list:
    """The import dependency structure matrix (levelized, cycles outlined), then one coupling
    matrix per signal (clustered, each pair's evidence on hover); an unknown signal is drawn
    as no evidence, and so is every runtime pair of a context that emits no span."""
    structure = analysis.signal_states["structural"]
    out = [figure(figures.dependency_structure_matrix(analysis.structure.edges, analysis.contexts["context"],
                                                      unknown=None if structure.known else structure.describe()))]
    silent: dict[str, str] = {}
    if "has_spans" in analysis.contexts:
        silent = {str(c): NO_SPANS for c, has in zip(analysis.contexts["context"], analysis.contexts["has_spans"])
                  if has is not pd.NA and not bool(has)}
    sources = {"structural": analysis.structure.edges, "evolutionary": getattr(analysis.history, "cochange", None),
               "data": getattr(analysis.data, "pairs", None), "runtime": getattr(analysis.runtime, "calls", None)}
    for signal in figures.SIGNALS:
        state = analysis.signal_states[signal]
        out.append(figure(figures.coupling_matrix(analysis.pairs, signal, contexts=analysis.contexts["context"],
                                                  unknown=None if state.known else state.describe(),
                                                  unmeasured=silent if signal == "runtime" else None,
                                                  evidence=figures.pair_evidence(signal, sources[signal]) if state.known else None)))
    return out


def cycles_summary(cycles: Iterable[Iterable[str]] | None, cycle_edges: Iterable[Iterable[Mapping]] | None = None,
                   *, top: int = 8) -> Html:
    """Import cycles between contexts, each tangle (strongly connected component) as its
    contexts and its heaviest import edges, the rest folded: a 13-context tangle has a
    hundred edges, and the reader needs the few that weigh."""
    components = [sorted(c) for c in (cycles or []) if c]
    if not components:
        return Html(f'{STYLE}<p class="seams-muted">no import cycle between contexts</p>')
    edges = list(cycle_edges or [[] for _ in components])
    blocks = []
    for members, inside in zip(components, edges, strict=False):
        ranked = sorted(inside, key=lambda e: (-int(e["edges"]), str(e["source"]), str(e["target"])))
        lines = [f"<li>{_e(e['source'])} → {_e(e['target'])}: {int(e['edges'])} import lines</li>" for e in ranked]
        shown = "".join(lines[:top])
        folded = (f"<details><summary>{len(lines) - top} more edges of this tangle</summary><ul>{''.join(lines[top:])}</ul>"
                  "</details>") if len(lines) > top else ""
        blocks.append(f"<p><b>A tangle of {len(members)} contexts</b> importing each other: {_e(', '.join(members))}. "
                      f"Its {len(lines)} import edges, heaviest first:</p><ul>{shown}</ul>{folded}")
    return Html(STYLE + "".join(blocks))


def candidates_html(analysis, *, link: str | None = None) -> Html:
    """The extraction ranking with human labels; folded, with why, when the recommendation
    names no context to extract (the ranking is then exploration, not advice)."""
    ranking = analysis.ranking
    if ranking is None or ranking.empty:
        return Html(f'{STYLE}<p class="seams-muted">no context to rank</p>')
    shown = ranking.assign(components_known=ranking["components_known"].map(lambda n: f"{int(n)} of 5"))
    table = evidence_table(shown, empty="no context to rank", top=len(shown), link=link, what="contexts",
                           show=PathDisplay.of(analysis.config))
    rec = analysis.recommendation or {}
    if rec.get("extract_first"):
        return table
    why = {"INCONCLUSIVE": "the evidence does not yet support a recommendation",
           "NO-GO": "the monolith is not the bottleneck",
           "NOT YET": "another step comes before any extraction"}.get(str(rec.get("verdict")), "no context is recommended")
    return Html(f"{STYLE}<p>The recommendation names no context to extract ({_e(why)}): the ranking below is for "
                f"exploration, not advice.</p><details><summary>the ranking of {len(ranking)} contexts</summary>{table}</details>")


def warnings_html(warnings: Sequence[str], *, show: PathDisplay | None = None) -> Html:
    """Warnings about the context map, one per line (none: nothing)."""
    if not warnings:
        return Html("")
    text = (f'{STYLE}<p><b>Warnings about the context map</b></p><ul>'
            + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>")
    return Html(show(text) if show else text)


__all__ = ["candidates_html", "contexts_canvas", "coverage_html", "cycles_summary", "evidence_table", "first_screen",
           "glossary_html", "inputs_html", "no_evidence_html", "question_html", "signal_figures", "states_html",
           "summary_html", "warnings_html"]


def what_if_html(before, after, *, label: str = "what if") -> Html:
    """Two analyses of the same evidence under two context maps side by side: each verdict,
    the coupled pairs per signal, the import lines to cut and the declared map's modularity."""
    def figures_of(a) -> dict[str, Any]:
        pairs = a.pairs
        d = getattr(a, "decomposition", None)
        declared = d.metrics[d.metrics["partition"] == "declared"] if d is not None and len(d.metrics) else pd.DataFrame()
        return {
            **{f"verdict: {k}": v.verdict for k, v in a.verdicts.items()},
            "contexts": len(a.config.contexts),
            **{f"pairs coupled ({s})": int(pairs[f"{s}_coupled"].fillna(False).astype(bool).sum()) if len(pairs) else 0
               for s in ("structural", "evolutionary", "data", "runtime")},
            "import lines to cut": a.decision_inputs.import_edges_to_cut,
            "write-shared tables": len(a.decision_inputs.write_shared_tables),
            "modularity of the map": float(declared["modularity"].iloc[0]) if len(declared) and declared["modularity"].notna().iloc[0] else None,
            "ICP of the map": float(declared["icp"].iloc[0]) if len(declared) and declared["icp"].notna().iloc[0] else None,
        }
    one, two = figures_of(before), figures_of(after)
    rows = "".join(f"<tr><td>{_e(k)}</td><td class='seams-num'>{_e(_text(one[k]))}</td><td class='seams-num'>{_e(_text(two.get(k)))}</td>"
                   f"<td>{'changed' if one[k] != two.get(k) else ''}</td></tr>" for k in one)
    return Html(f'{STYLE}<table class="seams-table"><thead><tr><th>figure</th><th>declared map</th><th>{_e(label)}</th><th></th>'
                f"</tr></thead><tbody>{rows}</tbody></table>")
