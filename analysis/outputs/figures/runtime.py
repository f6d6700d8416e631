"""Plotly figures for runtime evidence: a frame in, a figure out; nothing is written to disk.

The same conventions as :mod:`analysis.outputs.figures.common` (escaped labels, hover text never spliced
into a template, a "no data" figure for an empty input). Figures and what they read:

- :func:`runtime_graph` — ``calls`` from :func:`analysis.measures.coupling.runtime.context_calls`
  (caller, callee, mode, calls, mean_ms, error_share), optionally ``latency`` from
  :func:`~analysis.measures.coupling.runtime.call_latency` (p95_ms, wait_share) and ``load`` from
  :func:`analysis.measures.metrics.load.scaling_asymmetry` (context, self_time_share).
- :func:`asymmetry_components` — ``asymmetry`` from ``scaling_asymmetry`` (context,
  score_peak, score_decorrelation, score_compute).
- :func:`coverage_gaps` — the dict of :func:`analysis.measures.metrics.observability.coverage` and
  the thresholds (:data:`analysis.core.settings.THRESHOLDS` names) it is judged against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from analysis.outputs.figures.common import FIGURE_HEIGHT, NODE_COLOUR, add_annotations, label, no_data
from analysis.outputs.figures.coupling import GRAPH_WIDTH, graph_layout, graph_top
from analysis.outputs.figures.labels import label_points

MODE_COLOURS = {"sync": "#B279A2", "async": "#72B7B2"}
COMPONENT_COLOURS = {"score_peak": "#F58518", "score_decorrelation": "#4C78A8", "score_compute": "#E45756"}
COMPONENT_NAMES = {
    "score_peak": "bursty (peak to median)",
    "score_decorrelation": "own schedule (1 - correlation) / 2",
    "score_compute": "compute ratio",
}

#: Coverage figures shown by :func:`coverage_gaps`: key, label, threshold name, whether
#: the figure is a share that must stay *below* its threshold.
COVERAGE_BARS = (
    ("context_span_coverage", "contexts emitting spans", "min_context_span_coverage", False),
    ("entry_point_coverage", "declared entry points traced", "min_entry_point_coverage", False),
    ("orphan_span_share", "orphan spans", "max_orphan_span_share", True),
    ("broken_trace_share", "traces with a missing parent", None, True),
    ("broken_async_share", "consumers without parent or link", "max_broken_async_share", True),
    ("sql_trace_link_share", "SQL with a traceparent", "min_sql_trace_link_share", False),
    ("sql_tied_share", "SQL tied to a trace or context", None, False),
    ("unassigned_span_share", "spans without a context", None, True),
)


def _number(value: float, unit: str = "") -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):,.1f}{unit}"


def runtime_graph(calls: pd.DataFrame, latency: pd.DataFrame | None = None, load: pd.DataFrame | None = None) -> go.Figure:
    """Calls between contexts as a directed graph.

    Nodes on a circle (:func:`analysis.outputs.figures.graph_layout`), sized by their share of self
    time when ``load`` is given, labelled by :func:`~analysis.outputs.figures.labels.label_points`
    (outward first, never over each other). Past twelve contexts only the
    :func:`~analysis.outputs.figures.coupling.graph_top` strongest arrows are drawn (the title
    says how many of how many). One arrow per caller, callee and mode, its width growing
    with log(calls), purple for sync and teal (dashed) for async. Hovering an arrow's
    midpoint shows calls, mean and p95 latency, the caller's wait share and the error share.
    """
    title = "Runtime calls between contexts"
    if calls is None or calls.empty:
        return no_data(title, "no cross-context calls in the traces")
    names = sorted(set(calls["caller"].astype(str)) | set(calls["callee"].astype(str)))
    if load is not None and not load.empty:
        names = sorted(set(names) | set(load["context"].dropna().astype(str)))
    positions = graph_layout(names)
    extra = {}
    if latency is not None and not latency.empty:
        extra = {(str(r.caller), str(r.callee), str(r.mode)): r for r in latency.itertuples()}
    top = float(calls["calls"].max()) or 1.0
    total = len(calls)
    limit = graph_top(len(names))
    if limit is not None:  # the strongest arrows; every call is in the matrix and the table
        calls = calls.assign(_c=calls["caller"].astype(str), _d=calls["callee"].astype(str)).sort_values(
            ["calls", "_c", "_d"], ascending=[False, True, True], kind="stable").head(limit).drop(columns=["_c", "_d"])
    fig = go.Figure()
    mid_x, mid_y, hover = [], [], []
    arrows: list[dict] = []
    for row in calls.itertuples():
        a, b, mode = str(row.caller), str(row.callee), str(row.mode)
        (x0, y0), (x1, y1) = positions[a], positions[b]
        bend = 0.06 if mode == "async" else -0.06  # the two modes of one pair side by side
        nx, ny = -(y1 - y0), x1 - x0
        x0b, y0b, x1b, y1b = x0 + bend * nx, y0 + bend * ny, x1 + bend * nx, y1 + bend * ny
        width = 1.5 + 5 * math.log1p(float(row.calls)) / math.log1p(top)
        arrows.append({"x": x1b, "y": y1b, "ax": x0b, "ay": y0b, "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "text": "",
                       "showarrow": True, "arrowhead": 3, "arrowsize": 1, "arrowwidth": width, "standoff": 14,
                       "arrowcolor": MODE_COLOURS.get(mode, "#888888")})
        lat = extra.get((a, b, mode))
        mid_x.append((x0b + x1b) / 2)
        mid_y.append((y0b + y1b) / 2)
        hover.append(
            f"{label(a)} → {label(b)} ({mode})<br>calls: {int(row.calls):,}<br>mean: {_number(row.mean_ms, ' ms')}"
            + (f"<br>p95: {_number(lat.p95_ms, ' ms')}<br>caller waits: {_number(100 * lat.wait_share, ' %')} of its time"
               if lat is not None else "")
            + f"<br>errors: {_number(100 * float(row.error_share), ' %')}"
        )
    add_annotations(fig, arrows)
    fig.add_trace(go.Scatter(x=mid_x, y=mid_y, mode="markers", name="call details", showlegend=False,
                             marker={"size": 9, "color": "rgba(120,120,120,0.35)"}, hovertext=hover, hoverinfo="text"))
    for mode, colour in MODE_COLOURS.items():  # legend entries for the arrow colours
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"{mode} calls", line={"color": colour, "width": 3}))
    shares = {}
    if load is not None and not load.empty:
        shares = {str(r.context): float(r.self_time_share) for r in load.itertuples() if pd.notna(r.self_time_share)}
    sizes = [16 + 40 * math.sqrt(shares.get(n, 0.0)) for n in names]
    fig.add_trace(go.Scatter(
        x=[positions[n][0] for n in names], y=[positions[n][1] for n in names], mode="markers",
        name="contexts", showlegend=False, text=[label(n) for n in names],
        marker={"size": sizes, "color": NODE_COLOUR, "line": {"color": "white", "width": 1}},
        hovertext=[f"{label(n)}<br>self time share: {_number(100 * shares[n], ' %') if n in shares else '–'}" for n in names],
        hoverinfo="text",
    ))
    height = FIGURE_HEIGHT + 80 if len(names) <= 12 else FIGURE_HEIGHT + 240
    margin = {"l": 20, "r": 20, "t": 80, "b": 70}
    x_range, y_range = (-1.35, 1.35), (-1.25, 1.25)
    unlabelled = label_points(fig, [positions[n][0] for n in names], [positions[n][1] for n in names], [label(n) for n in names],
                              x_range=x_range, y_range=y_range, area=(GRAPH_WIDTH - 40, height - 150),
                              marker=[s / 2 for s in sizes], prefer=[positions[n] for n in names])
    fig.update_layout(
        title=f"{title} — arrow width: calls; node size: share of self time"
              + (f"; the strongest {len(calls)} of {total} arrows" if len(calls) < total else "")
              + (f"; {unlabelled} crowded labels on hover only" if unlabelled else ""),
        height=height, margin=margin, plot_bgcolor="white", legend={"orientation": "h", "y": -0.02, "yanchor": "top"},
        xaxis={"visible": False, "range": list(x_range)}, yaxis={"visible": False, "range": list(y_range)},
    )
    return fig


def asymmetry_components(asymmetry: pd.DataFrame) -> go.Figure:
    """The scaling-asymmetry score per context, stacked by its three components.

    Each component contributes a third of the score (the score is their mean), so the bars
    stack to the score itself, in [0, 1].
    """
    title = "Scaling asymmetry and its components"
    if asymmetry is None or asymmetry.empty:
        return no_data(title, "no traced context")
    ordered = asymmetry.sort_values(["score", "context"], ascending=[True, True])
    fig = go.Figure()
    for component, colour in COMPONENT_COLOURS.items():
        values = ordered[component].astype(float) / 3
        fig.add_trace(go.Bar(
            y=[label(c) for c in ordered["context"]], x=values, orientation="h", name=COMPONENT_NAMES[component],
            marker={"color": colour},
            hovertext=[f"{label(c)}: {COMPONENT_NAMES[component]} {v:.2f} (of the score's {s:.2f})"
                       for c, v, s in zip(ordered["context"], values, ordered["score"].astype(float))],
            hoverinfo="text",
        ))
    fig.update_layout(title=title, barmode="stack", height=max(FIGURE_HEIGHT // 2, 60 + 40 * len(ordered)),
                      xaxis={"title": {"text": "score (each component weighs a third)"}, "range": [0, 1]},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def coverage_gaps(coverage: Mapping, thresholds: Mapping[str, float]) -> go.Figure:
    """Each coverage share as a bar against its threshold (a black tick where there is one).

    Green when the figure passes its threshold, red when it fails, grey without one;
    the hover names numerator and denominator. Figures that are NaN (no denominator) are
    left out and listed in the title.
    """
    title = "Observability coverage"
    if not coverage or not coverage.get("spans"):
        return no_data(title, "no spans")
    counts = {
        "context_span_coverage": (len(coverage.get("contexts_with_spans") or []), coverage.get("contexts_declared")),
        "entry_point_coverage": (coverage.get("entry_points_declared_traced"), coverage.get("entry_points_declared")),
        "orphan_span_share": (coverage.get("orphan_spans"), coverage.get("spans")),
        "broken_trace_share": (coverage.get("traces_with_missing_parent"), coverage.get("traces")),
        "broken_async_share": (coverage.get("broken_async"), coverage.get("consumer_spans")),
        "sql_trace_link_share": (coverage.get("sql_with_traceparent"), coverage.get("sql_statements")),
        "sql_tied_share": (coverage.get("sql_tied"), coverage.get("sql_statements")),
        "unassigned_span_share": (coverage.get("unassigned_spans"), coverage.get("spans")),
    }
    names, values, colours, hover, ticks, missing = [], [], [], [], [], []
    for key, text, threshold_name, at_most in COVERAGE_BARS:
        value = coverage.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            missing.append(text)
            continue
        threshold = thresholds.get(threshold_name) if threshold_name else None
        passed = None if threshold is None else (value <= threshold if at_most else value >= threshold)
        names.append(text)
        values.append(100 * float(value))
        colours.append("#9D9D9D" if passed is None else ("#54A24B" if passed else "#E45756"))
        numerator, denominator = counts.get(key, (None, None))
        rule = "" if threshold is None else f"<br>threshold: {'≤' if at_most else '≥'} {100 * threshold:.0f} %"
        hover.append(f"{text}: {100 * float(value):.1f} % ({numerator} of {denominator}){rule}")
        ticks.append(None if threshold is None else 100 * float(threshold))
    fig = go.Figure(go.Bar(y=names, x=values, orientation="h", marker={"color": colours}, hovertext=hover,
                           hoverinfo="text", name="share"))
    fig.add_trace(go.Scatter(y=[n for n, t in zip(names, ticks) if t is not None], x=[t for t in ticks if t is not None],
                             mode="markers", marker={"symbol": "line-ns-open", "size": 22, "color": "black"},
                             name="threshold", hoverinfo="skip"))
    suffix = f" (no denominator: {', '.join(missing)})" if missing else ""
    fig.update_layout(title=title + suffix, height=max(FIGURE_HEIGHT // 2, 80 + 36 * len(names)),
                      xaxis={"title": {"text": "%"}, "range": [0, 100]}, yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": -0.2})
    return fig
