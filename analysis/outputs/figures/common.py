"""Plotly figures for the report: a frame in, a figure out; nothing is written to disk.

Every figure is computed from the frames of an :class:`analysis.pipeline.Analysis` and
returns a ``plotly.graph_objects.Figure``; rendering and files are the report's job
(:mod:`analysis.outputs.report`). An empty input gives an empty figure that says "no data" rather
than an exception, so a report on a monolith without traces still renders.

Strings that come from the inputs (context names, tables, routes) are HTML-escaped before
they reach plotly: plotly draws its text through a small HTML subset (``<b>``, ``<br>``,
``<a href>``), so an unescaped name could format or link; escaped, it shows as typed.
Hover texts are passed as ``hovertext`` (never spliced into a ``hovertemplate``, where
``%{...}`` in a name would be interpreted).

Figures (one module per topic) and the columns they read:

- :func:`context_graph` — ``pairs`` (context_a, context_b, structural, evolutionary, data,
  runtime, <signal>_coupled, signals, hidden) and ``contexts`` (context, commits, and, when
  present, commits_recent, authors, teams, instability).
- :func:`coupling_matrix` — ``pairs``, one signal.
- :func:`change_coupling_quadrant` — ``contexts`` (context, commits_recent) and ``pairs``.
- :func:`load_over_time` — ``curves`` (context, bucket, self_time_ms).
- :func:`ranking_breakdown` — ``ranking`` (rank, context, score, one column per weight in
  :data:`analysis.core.settings.WEIGHTS`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping

import pandas as pd
import plotly.graph_objects as go

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

#: An x axis whose first tick label sits at the corner (a date, a run): outside ticks push
#: the labels down, clear of the y axis's lowest label.
TICKS_CLEAR = {"ticks": "outside", "ticklen": 8}


def label(value) -> str:
    """An input-derived value as plotly text: HTML-escaped, so it shows as typed.

    Only ``&``, ``<`` and ``>`` are escaped: those are the entities plotly decodes back
    (``&quot;`` would show literally).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=False)


def no_data(title: str, reason: str = "no data") -> go.Figure:
    """An empty figure with a centred annotation (an empty input, or evidence not measured:
    then the reason, wrapped, never an empty grid or axis)."""
    import textwrap

    fig = go.Figure()
    fig.update_layout(
        title=title,
        height=FIGURE_HEIGHT // 2,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": "<br>".join(label(line) for line in textwrap.wrap(reason, 70)) or label(reason),
                      "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False, "font": {"size": 15}}],
    )
    return fig


def is_empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or len(frame) == 0


def is_coupled(pairs: pd.DataFrame, signal: str) -> pd.Series:
    """Whether each pair is coupled in ``signal`` (the pair frame's flag, else value > 0)."""
    flag = f"{signal}_coupled"
    if flag in pairs:
        return pairs[flag].fillna(False).astype(bool)
    return pairs[signal].fillna(0).astype(float) > 0


def number(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.2f}"


def context_names(contexts: pd.DataFrame | None, pairs: pd.DataFrame | None) -> list[str]:
    names: set[str] = set()
    if contexts is not None and len(contexts):
        names.update(str(c) for c in contexts["context"].dropna())
    if pairs is not None and len(pairs):
        names.update(str(c) for c in pairs["context_a"].dropna())
        names.update(str(c) for c in pairs["context_b"].dropna())
    return sorted(names)


def add_shapes(fig: go.Figure, shapes: Iterable[Mapping]) -> None:
    """Append ``shapes`` (each the keyword arguments of ``fig.add_shape``) to ``fig``'s layout
    in one assignment, in their order: the same figure as ``add_shape`` one at a time, which
    validates every shape already there again on each call (n shapes, n² validations: most of
    the time of a 30-context matrix)."""
    new = tuple(go.layout.Shape(**dict(shape)) for shape in shapes)
    if new:
        fig.layout.shapes = (*fig.layout.shapes, *new)


def add_annotations(fig: go.Figure, annotations: Iterable[Mapping]) -> None:
    """Append ``annotations`` (each the keyword arguments of ``fig.add_annotation``) in one
    assignment, as :func:`add_shapes` does shapes."""
    new = tuple(go.layout.Annotation(**dict(note)) for note in annotations)
    if new:
        fig.layout.annotations = (*fig.layout.annotations, *new)


def warm_up() -> None:
    """Build and serialise one small figure, nothing shown: what plotly does once per process
    before its first figure (reading its validators, importing its colour scales and data
    frame helpers) then costs nothing to the report's first figures. The report notebook calls
    it while it waits for the analysis the command computes, when the kernel would be idle."""
    fig = go.Figure(go.Heatmap(z=[[1, None]], x=["a", "b"], y=["a"], text=[["1", ""]], texttemplate="%{text}",
                               colorscale="Blues", colorbar={"title": {"text": "a", "side": "right"}}, xgap=1, ygap=1))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers+text", text=["a"], hovertext=["a"], hoverinfo="text",
                             marker={"size": [3], "color": "#888", "line": {"color": "white", "width": 1}}))
    fig.add_trace(go.Bar(x=[1], y=["a"], orientation="h", name="a"))
    add_shapes(fig, [{"type": "rect", "x0": 0, "x1": 1, "y0": 0, "y1": 1, "line": {"width": 0}, "layer": "below"}])
    add_annotations(fig, [{"x": 0, "y": 0, "text": "a", "showarrow": True, "ax": 1, "ay": 1, "axref": "pixel", "ayref": "pixel"}])
    fig.update_layout(title="a", height=100, plot_bgcolor="white", margin={"l": 1, "r": 1, "t": 1, "b": 1},
                      xaxis={"tickangle": -90, "showgrid": False}, yaxis={"autorange": "reversed"}, legend={"orientation": "h"})
    fig.to_json()
    fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False)
