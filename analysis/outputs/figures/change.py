"""Change frequency against coupling: the quadrant of contexts."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from analysis.mapping.contexts import UNASSIGNED
from analysis.outputs.figures.common import (
    FIGURE_HEIGHT,
    NODE_COLOUR,
    is_empty,
    label,
    no_data,
    number,
)
from analysis.outputs.figures.coupling import coupling_per_context


def change_coupling_quadrant(contexts: pd.DataFrame, pairs: pd.DataFrame) -> go.Figure:
    """Change frequency against coupling, one point per context, split at the medians.

    x = coupling (coupled signals summed over partners, see :func:`coupling_per_context`),
    y = ``commits_recent``. Dashed lines at the median of each axis cut four quadrants:
    changed often and loosely coupled (top left) is where extraction pays soonest;
    changed often and tangled (top right) hurts most and costs most.
    """
    title = "Change frequency × coupling"
    if is_empty(contexts):
        return no_data(title)
    names = [str(c) for c in contexts["context"]]
    per = coupling_per_context(pairs, names).set_index("context")
    x = [float(per.loc[n, "coupling"]) for n in names]
    y = [float(v) if pd.notna(v) else 0.0 for v in contexts["commits_recent"]]
    hover = [f"<b>{label(n)}</b><br>recent commits: {number(yy)}<br>coupled partners: {int(per.loc[n, 'partners'])}"
             f"<br>coupled signals: {number(xx)}" for n, xx, yy in zip(names, x, y)]
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


def cochange_network(edges: pd.DataFrame, *, group_of: Mapping[str, str] | None = None, title: str = "Change coupling",
                     seed: int = 7) -> go.Figure:
    """Change coupling as a network: ``edges`` has ``a, b, degree`` (a file or context pair and
    its co-change degree, %); a line per pair, wider for a higher degree. With ``group_of``
    (node -> context) nodes are coloured by group and named on hover only (files are many);
    without it, nodes are labelled. The layout is networkx's spring layout, seeded."""
    import networkx as nx

    if is_empty(edges):
        return no_data(title, "no pair passes the thresholds")
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(edges["a"], edges["b"], edges["degree"], strict=True))
    layout = nx.spring_layout(graph, seed=seed, weight="weight")
    fig = go.Figure()
    for a, b, degree in zip(edges["a"], edges["b"], edges["degree"], strict=True):
        (xa, ya), (xb, yb) = layout[a], layout[b]
        fig.add_trace(go.Scatter(x=[xa, xb], y=[ya, yb], mode="lines", line={"width": 1 + degree / 20, "color": "#999"},
                                 hoverinfo="skip", showlegend=False))
    nodes = list(graph.nodes)
    groups = [group_of.get(n, UNASSIGNED) if group_of else n for n in nodes]
    fig.add_trace(go.Scatter(
        x=[layout[n][0] for n in nodes], y=[layout[n][1] for n in nodes], mode="markers+text" if group_of is None else "markers",
        text=[label(n) for n in nodes], hovertext=[f"{label(n)} ({label(g)})" for n, g in zip(nodes, groups, strict=True)],
        hoverinfo="text", marker={"size": 12, "color": pd.Series(groups).astype("category").cat.codes, "colorscale": "Turbo"},
        showlegend=False))
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False}, height=FIGURE_HEIGHT)
    return fig
