"""Plotly figures for the report: a frame in, a figure out; nothing is written to disk.

Every figure is computed from the frames of an :class:`analysis.pipeline.Analysis` and
returns a ``plotly.graph_objects.Figure``; rendering and files are the report's job
(:mod:`analysis.report`). An empty input gives an empty figure that says "no data" rather
than an exception, so a report on a monolith without traces still renders.

Strings that come from the inputs (context names, tables, routes) are HTML-escaped before
they reach plotly: plotly draws its text through a small HTML subset (``<b>``, ``<br>``,
``<a href>``), so an unescaped name could format or link; escaped, it shows as typed.
Hover texts are passed as ``hovertext`` (never spliced into a ``hovertemplate``, where
``%{...}`` in a name would be interpreted).

Figures and the columns they read:

- :func:`context_graph` — ``pairs`` (context_a, context_b, structural, evolutionary, data,
  runtime, <signal>_coupled, signals, hidden) and ``contexts`` (context, commits, and, when
  present, commits_recent, authors, teams, instability).
- :func:`coupling_matrix` — ``pairs``, one signal.
- :func:`change_coupling_quadrant` — ``contexts`` (context, commits_recent) and ``pairs``.
- :func:`load_over_time` — ``curves`` (context, bucket, self_time_ms).
- :func:`ranking_breakdown` — ``ranking`` (rank, context, score, one column per weight in
  :data:`analysis.settings.WEIGHTS`).
"""

from __future__ import annotations

import html
import math
from typing import Iterable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from analysis.settings import WEIGHTS

SIGNALS = ("structural", "evolutionary", "data", "runtime")

#: What each signal's number counts (axis and hover wording).
SIGNAL_UNITS = {
    "structural": "import rows, both directions",
    "evolutionary": "co-change degree, %",
    "data": "shared tables",
    "runtime": "calls, both directions",
}

SIGNAL_COLOURS = {
    "structural": "#4C78A8",
    "evolutionary": "#F58518",
    "data": "#54A24B",
    "runtime": "#B279A2",
}
HIDDEN_COLOUR = "rgba(228, 87, 86, 0.35)"
NODE_COLOUR = "#2F4B7C"

#: Lane offset between signals on a graph edge, as a share of the layout's extent.
EDGE_LANE = 0.018

FIGURE_HEIGHT = 520


def label(value) -> str:
    """An input-derived value as plotly text: HTML-escaped, so it shows as typed.

    Only ``&``, ``<`` and ``>`` are escaped: those are the entities plotly decodes back
    (``&quot;`` would show literally).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=False)


def no_data(title: str, reason: str = "no data") -> go.Figure:
    """An empty figure with a centred annotation (used when an input frame is empty)."""
    fig = go.Figure()
    fig.update_layout(
        title=title,
        height=FIGURE_HEIGHT // 2,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": label(reason), "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                      "showarrow": False, "font": {"size": 16}}],
    )
    return fig


def _is_empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or len(frame) == 0


def _coupled(pairs: pd.DataFrame, signal: str) -> pd.Series:
    """Whether each pair is coupled in ``signal`` (the pair frame's flag, else value > 0)."""
    flag = f"{signal}_coupled"
    if flag in pairs:
        return pairs[flag].fillna(False).astype(bool)
    return pairs[signal].fillna(0).astype(float) > 0


def _number(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.2f}"


def _context_names(contexts: pd.DataFrame | None, pairs: pd.DataFrame | None) -> list[str]:
    names: set[str] = set()
    if not _is_empty(contexts):
        names.update(str(c) for c in contexts["context"].dropna())
    if not _is_empty(pairs):
        names.update(str(c) for c in pairs["context_a"].dropna())
        names.update(str(c) for c in pairs["context_b"].dropna())
    return sorted(names)


# --------------------------------------------------------------------------------------
# context dependency graph


def graph_layout(nodes: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Node positions on a circle, in sorted order, starting at the top, clockwise.

    Deterministic by construction (no random start, unlike a spring layout) and readable
    for the handful of contexts a monolith declares: every label has room, and the same
    context sits in the same place in every run and every report.
    """
    ordered = sorted(nodes)
    if not ordered:
        return {}
    if len(ordered) == 1:
        return {ordered[0]: (0.0, 0.0)}
    step = 2 * math.pi / len(ordered)
    return {name: (math.sin(i * step), math.cos(i * step)) for i, name in enumerate(ordered)}


def _segments(pairs: pd.DataFrame, positions: Mapping[str, tuple[float, float]], offset: float) -> tuple[list, list]:
    """Line segments (x, y with None separators) for each pair, shifted ``offset`` sideways."""
    xs: list = []
    ys: list = []
    for a, b in zip(pairs["context_a"], pairs["context_b"]):
        (x0, y0), (x1, y1) = positions[a], positions[b]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        nx_, ny_ = -(y1 - y0) / length * offset, (x1 - x0) / length * offset
        xs += [x0 + nx_, x1 + nx_, None]
        ys += [y0 + ny_, y1 + ny_, None]
    return xs, ys


def _pair_hover(row: pd.Series) -> str:
    lines = [f"<b>{label(row['context_a'])} ↔ {label(row['context_b'])}</b>"]
    for signal in SIGNALS:
        if signal in row:
            state = "coupled" if bool(row.get(f"{signal}_coupled", False)) else "below threshold"
            lines.append(f"{signal}: {_number(row[signal])} ({SIGNAL_UNITS[signal]}) — {state}")
    if bool(row.get("hidden", False)):
        lines.append("hidden coupling: coupled, but not through imports")
    return "<br>".join(lines)


def _context_hover(name: str, facts: Mapping) -> str:
    lines = [f"<b>{label(name)}</b>"]
    for column, wording in (("commits", "commits"), ("commits_recent", "recent commits"),
                            ("authors", "authors"), ("teams", "teams"), ("instability", "instability")):
        if column in facts:
            lines.append(f"{wording}: {_number(facts[column])}")
    return "<br>".join(lines)


def context_graph(pairs: pd.DataFrame, contexts: pd.DataFrame) -> go.Figure:
    """The context dependency graph.

    Nodes are contexts on a circle (:func:`graph_layout`), sized by ``commits`` (area ∝
    commits). Each signal draws its own
    lane on an edge, only where the pair is coupled in that signal; pairs with *hidden
    coupling* (coupled, but not through imports) are underlaid in red. Hovering an edge's
    midpoint shows every signal's value. Traces, in order: hidden coupling, the four
    signals, edge midpoints, contexts.
    """
    title = "Context dependency graph"
    names = _context_names(contexts, pairs)
    if not names:
        return no_data(title)
    pairs = pairs if not _is_empty(pairs) else pd.DataFrame(columns=["context_a", "context_b", *SIGNALS, "signals", "hidden"])
    positions = graph_layout(names)
    xs_all = [p[0] for p in positions.values()]
    ys_all = [p[1] for p in positions.values()]
    extent = max(max(xs_all) - min(xs_all), max(ys_all) - min(ys_all), 1.0)
    drawn = pairs[pairs["context_a"].isin(positions) & pairs["context_b"].isin(positions)]

    fig = go.Figure()
    hidden = drawn[drawn["hidden"].fillna(False).astype(bool)] if "hidden" in drawn else drawn.iloc[0:0]
    hx, hy = _segments(hidden, positions, 0.0)
    fig.add_trace(go.Scatter(x=hx, y=hy, mode="lines", name="hidden coupling (not in imports)",
                             line={"color": HIDDEN_COLOUR, "width": 14}, hoverinfo="skip"))
    for lane, signal in enumerate(SIGNALS):
        coupled = drawn[_coupled(drawn, signal)] if signal in drawn else drawn.iloc[0:0]
        offset = (lane - (len(SIGNALS) - 1) / 2) * EDGE_LANE * extent
        sx, sy = _segments(coupled, positions, offset)
        fig.add_trace(go.Scatter(x=sx, y=sy, mode="lines", name=signal,
                                 line={"color": SIGNAL_COLOURS[signal], "width": 2.5}, hoverinfo="skip"))

    mid_x = [(positions[a][0] + positions[b][0]) / 2 for a, b in zip(drawn["context_a"], drawn["context_b"])]
    mid_y = [(positions[a][1] + positions[b][1]) / 2 for a, b in zip(drawn["context_a"], drawn["context_b"])]
    fig.add_trace(go.Scatter(x=mid_x, y=mid_y, mode="markers", name="pair details", showlegend=False,
                             marker={"size": 9, "color": "rgba(120,120,120,0.35)"},
                             hovertext=[_pair_hover(row) for _, row in drawn.iterrows()], hoverinfo="text"))

    facts = {}
    if not _is_empty(contexts):
        facts = {str(r["context"]): r for _, r in contexts.iterrows()}
    commits = [float(facts[n]["commits"]) if n in facts and "commits" in facts[n] and pd.notna(facts[n]["commits"]) else 0.0 for n in names]
    top = max(commits) or 1.0
    sizes = [14 + 36 * math.sqrt(c / top) for c in commits]
    fig.add_trace(go.Scatter(
        x=[positions[n][0] for n in names], y=[positions[n][1] for n in names],
        mode="markers+text", name="contexts", showlegend=False,
        text=[label(n) for n in names],
        textposition=["bottom center" if positions[n][1] < -0.01 else "top center" for n in names],  # outward
        marker={"size": sizes, "color": NODE_COLOUR, "line": {"color": "white", "width": 1}},
        hovertext=[_context_hover(n, facts.get(n, {})) for n in names], hoverinfo="text",
    ))
    fig.update_layout(
        title=f"{title} — node size: commits; lanes: coupled signals",
        height=FIGURE_HEIGHT + 80,
        xaxis={"visible": False, "range": [-1.35, 1.35]}, yaxis={"visible": False, "range": [-1.2, 1.25]},
        legend={"orientation": "h", "y": -0.05},
        plot_bgcolor="white",
    )
    return fig


# --------------------------------------------------------------------------------------
# coupling matrix


def coupling_matrix(pairs: pd.DataFrame, signal: str, *, contexts: Iterable[str] | None = None) -> go.Figure:
    """A symmetric heatmap of one signal's value per pair of contexts.

    Axes list the contexts in ``pairs`` (plus ``contexts``, when given, so that declared
    contexts without any pair still show), sorted. A missing pair is 0; the diagonal is
    blank. Cell text is the value; hover says whether the pair is coupled by the threshold.
    """
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r}; valid signals: {', '.join(SIGNALS)}")
    title = f"{signal.capitalize()} coupling ({SIGNAL_UNITS[signal]})"
    names = set(_context_names(None, pairs))
    if contexts is not None:
        names.update(str(c) for c in contexts if c is not None and c is not pd.NA)
    names = sorted(names)
    if _is_empty(pairs) or len(names) < 2:
        return no_data(title)

    index = {n: i for i, n in enumerate(names)}
    size = len(names)
    values: list[list] = [[0.0] * size for _ in range(size)]
    coupled: list[list] = [[False] * size for _ in range(size)]
    for i in range(size):
        values[i][i] = None
    flags = _coupled(pairs, signal)
    for (a, b, value), flag in zip(pairs[["context_a", "context_b", signal]].itertuples(index=False), flags):
        if a == b or a not in index or b not in index:
            continue
        v = 0.0 if pd.isna(value) else float(value)
        i, j = index[a], index[b]
        values[i][j] = values[j][i] = v
        coupled[i][j] = coupled[j][i] = bool(flag)

    shown = [label(n) for n in names]
    text = [["" if v is None else _number(v) for v in row] for row in values]
    hover = [[
        "" if values[i][j] is None else
        f"{shown[i]} ↔ {shown[j]}<br>{signal}: {_number(values[i][j])} ({SIGNAL_UNITS[signal]})<br>"
        + ("coupled" if coupled[i][j] else "below threshold")
        for j in range(size)] for i in range(size)]
    fig = go.Figure(go.Heatmap(
        z=values, x=shown, y=shown, text=text, texttemplate="%{text}", hovertext=hover, hoverinfo="text",
        colorscale="Blues", zmin=0, zmax=max([v for row in values for v in row if v is not None] + [1.0]),
        colorbar={"title": {"text": SIGNAL_UNITS[signal]}}, xgap=1, ygap=1,
    ))
    fig.update_layout(
        title=title, height=max(FIGURE_HEIGHT, 40 * size + 160), plot_bgcolor="white",
        xaxis={"title": {"text": "context"}, "type": "category", "showgrid": False},
        yaxis={"title": {"text": "context"}, "type": "category", "autorange": "reversed", "showgrid": False},
    )
    return fig


# --------------------------------------------------------------------------------------
# change frequency × coupling


def coupling_per_context(pairs: pd.DataFrame | None, names: Iterable[str]) -> pd.DataFrame:
    """Per context: ``partners`` (contexts coupled in at least one signal) and ``coupling``
    (coupled signals summed over partners, 0..4 per partner)."""
    names = list(names)
    out = pd.DataFrame({"context": names, "partners": 0, "coupling": 0})
    if _is_empty(pairs) or not names:
        return out
    signals = pairs["signals"] if "signals" in pairs else sum(_coupled(pairs, s).astype(int) for s in SIGNALS if s in pairs)
    linked = pd.DataFrame({"a": pairs["context_a"], "b": pairs["context_b"], "signals": pd.Series(signals).fillna(0).astype(int).to_numpy()})
    linked = linked[linked["signals"] > 0]
    both = pd.concat([linked.rename(columns={"a": "context", "b": "other"}),
                      linked.rename(columns={"b": "context", "a": "other"})])
    stats = both.groupby("context").agg(partners=("other", "nunique"), coupling=("signals", "sum"))
    out = out.set_index("context")
    out.update(stats)
    return out.reset_index().astype({"partners": "int64", "coupling": "int64"})


def change_coupling_quadrant(contexts: pd.DataFrame, pairs: pd.DataFrame) -> go.Figure:
    """Change frequency against coupling, one point per context, split at the medians.

    x = coupling (coupled signals summed over partners, see :func:`coupling_per_context`),
    y = ``commits_recent``. Dashed lines at the median of each axis cut four quadrants:
    changed often and loosely coupled (top left) is where extraction pays soonest;
    changed often and tangled (top right) hurts most and costs most.
    """
    title = "Change frequency × coupling"
    if _is_empty(contexts):
        return no_data(title)
    names = [str(c) for c in contexts["context"]]
    per = coupling_per_context(pairs, names).set_index("context")
    x = [float(per.loc[n, "coupling"]) for n in names]
    y = [float(v) if pd.notna(v) else 0.0 for v in contexts["commits_recent"]]
    hover = [f"<b>{label(n)}</b><br>recent commits: {_number(yy)}<br>coupled partners: {int(per.loc[n, 'partners'])}"
             f"<br>coupled signals: {_number(xx)}" for n, xx, yy in zip(names, x, y)]
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="markers+text", text=[label(n) for n in names], textposition="top center",
        hovertext=hover, hoverinfo="text", name="contexts", marker={"size": 12, "color": NODE_COLOUR},
    ))
    mx, my = float(pd.Series(x).median()), float(pd.Series(y).median())
    line = {"color": "grey", "dash": "dash", "width": 1}
    fig.add_shape(type="line", xref="x", yref="paper", x0=mx, x1=mx, y0=0, y1=1, line=line)
    fig.add_shape(type="line", xref="paper", yref="y", x0=0, x1=1, y0=my, y1=my, line=line)
    corners = (
        (0.01, 0.99, "left", "top", "changed often, loosely coupled"),
        (0.99, 0.99, "right", "top", "changed often, tangled"),
        (0.01, 0.01, "left", "bottom", "quiet, loosely coupled"),
        (0.99, 0.01, "right", "bottom", "quiet, tangled"),
    )
    for cx, cy, xanchor, yanchor, text in corners:
        fig.add_annotation(x=cx, y=cy, xref="paper", yref="paper", text=text, showarrow=False,
                           xanchor=xanchor, yanchor=yanchor, font={"color": "grey", "size": 11})
    pad = max(max(x) - min(x), 1.0) * 0.1
    fig.update_layout(
        title=title, height=FIGURE_HEIGHT, showlegend=False,
        xaxis={"title": {"text": "coupling (coupled signals summed over partners)"}, "range": [min(x) - pad, max(x) + pad]},
        yaxis={"title": {"text": "recent commits"}},
    )
    return fig


# --------------------------------------------------------------------------------------
# load over time


def load_by_period(curves: pd.DataFrame, freq: str = "1h") -> pd.DataFrame:
    """Self time per context and period: index = period start (UTC), one column per context.

    ``freq`` is a pandas offset alias (``"5min"``, ``"1h"``, ``"1D"``); periods without
    spans are 0, so the areas do not interpolate across gaps.
    """
    frame = curves[["context", "bucket", "self_time_ms"]].dropna(subset=["context", "bucket"])
    wide = frame.pivot_table(index="bucket", columns="context", values="self_time_ms", aggfunc="sum", fill_value=0.0)
    wide.index = pd.DatetimeIndex(wide.index)
    wide = wide.resample(freq).sum()
    order = wide.sum().sort_values(ascending=False, kind="stable").index
    return wide[order]


def load_over_time(curves: pd.DataFrame, freq: str = "1h", *, normalized: bool = False) -> go.Figure:
    """Self time per context over time, as stacked areas.

    Absolute: seconds of self time per period. ``normalized=True``: each period's share of
    self time per context (percent; stacks to 100), which shows a context whose load curve
    has a shape of its own. Contexts are stacked by total self time, the largest first.
    """
    title = "Share of self time per context" if normalized else "Self time per context"
    if _is_empty(curves):
        return no_data(title)
    wide = load_by_period(curves, freq)
    if wide.empty:
        return no_data(title)
    fig = go.Figure()
    for context in wide.columns:
        seconds = wide[context] / 1000.0
        fig.add_trace(go.Scatter(
            x=wide.index, y=seconds, mode="lines", name=label(context), stackgroup="load",
            groupnorm="percent" if normalized else None, line={"width": 0.5},
            hovertext=[f"{label(context)}: {s:.1f} s" for s in seconds], hoverinfo="text+x",
        ))
    fig.update_layout(
        title=f"{title} (per {freq})", height=FIGURE_HEIGHT, hovermode="x unified",
        xaxis={"title": {"text": "time (UTC)"}},
        yaxis={"title": {"text": "share of self time (%)" if normalized else f"self time per {freq} (s)"}},
    )
    return fig


# --------------------------------------------------------------------------------------
# ranking


def ranking_components(ranking: pd.DataFrame) -> list[str]:
    """The score components present in ``ranking``, in the order of the weights' registry."""
    return [name for name in WEIGHTS if name in ranking.columns]


def ranking_breakdown(ranking: pd.DataFrame, weights: Mapping[str, float] | None = None) -> go.Figure:
    """Extraction candidates as stacked horizontal bars, one segment per score component.

    Bars are in rank order, the first candidate on top. Without ``weights`` the segments
    are the component columns as given. With ``weights`` (the ranking's components are
    unweighted, in [0, 1]; score = Σ wᵢ·cᵢ / Σ wᵢ, see :mod:`analysis.decisions.ranking`)
    each segment is ``wᵢ·cᵢ / Σ wᵢ``, so a bar's length is the context's score.
    """
    title = "Extraction candidates: score by component"
    if _is_empty(ranking):
        return no_data(title)
    components = ranking_components(ranking)
    if not components:
        return no_data(title, "no score components in the ranking")
    ordered = ranking.sort_values("rank", kind="stable") if "rank" in ranking else ranking
    names = [label(c) for c in ordered["context"]]
    total_weight = sum(float(weights.get(c, 0.0)) for c in components) if weights is not None else 0.0
    fig = go.Figure()
    for component in components:
        factor = float(weights.get(component, 0.0)) / total_weight if total_weight > 0 else 1.0
        values = ordered[component].astype(float).fillna(0.0) * factor
        pretty = component.replace("_", " ")
        fig.add_trace(go.Bar(
            x=values.tolist(), y=names, orientation="h", name=pretty,
            hovertext=[f"{n}<br>{pretty}: {v:.3f}" for n, v in zip(names, values)], hoverinfo="text",
        ))
    fig.update_layout(
        title=title, barmode="stack", height=max(FIGURE_HEIGHT // 2, 36 * len(names) + 160),
        xaxis={"title": {"text": "weighted score" if weights is not None else "score"}},
        yaxis={"title": {"text": "context"}, "type": "category", "autorange": "reversed"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0, "traceorder": "normal"},
        margin={"t": 100},
    )
    return fig
