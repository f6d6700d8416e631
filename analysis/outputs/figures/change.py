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
from analysis.outputs.figures.coupling import GRAPH_WIDTH, coupling_per_context
from analysis.outputs.figures.labels import Box, label_points, text_size

#: The width (px) the quadrant's labels are placed for: the narrowest the report shows it.
QUADRANT_WIDTH = 1100
#: The quadrant's marker radius (px).
QUADRANT_MARKER = 6


def change_coupling_quadrant(contexts: pd.DataFrame, pairs: pd.DataFrame) -> go.Figure:
    """Change frequency against coupling, one point per context, split at the medians.

    x = coupling (coupled signals summed over partners, see :func:`coupling_per_context`),
    y = ``commits_recent``. Dashed lines at the median of each axis cut four quadrants,
    each line captioned with what it is and its value: changed often and loosely coupled
    (top left) is where extraction pays soonest; changed often and tangled (top right)
    hurts most and costs most. Point labels are annotations placed by
    :func:`analysis.outputs.figures.labels.place_labels` (beside the point, else on a leader
    line), never across a median line or a quadrant's caption; a label with no room is left
    to the hover, and the title says how many.
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
        x=x, y=y, mode="markers", text=[label(n) for n in names],
        hovertext=hover, hoverinfo="text", name="contexts", marker={"size": 2 * QUADRANT_MARKER, "color": NODE_COLOUR},
    ))
    mx, my = float(pd.Series(x).median()), float(pd.Series(y).median())
    x_pad = max(max(x) - min(x), 1.0) * 0.08
    y_pad = max(max(y) - min(y), 1.0) * 0.16
    x_range = (min(x) - x_pad, max(x) + x_pad)
    y_range = (min(y) - y_pad, max(y) + y_pad)
    height = FIGURE_HEIGHT if len(names) <= 20 else FIGURE_HEIGHT + 120
    margin = {"l": 70, "r": 130, "t": 90, "b": 60}
    area_w, area_h = QUADRANT_WIDTH - margin["l"] - margin["r"], height - margin["t"] - margin["b"]

    line = {"color": "grey", "dash": "dash", "width": 1}
    fig.add_shape(type="line", xref="x", yref="paper", x0=mx, x1=mx, y0=0, y1=1, line=line)
    fig.add_shape(type="line", xref="paper", yref="y", x0=0, x1=1, y0=my, y1=my, line=line)
    caption = {"color": "#555", "size": 11}
    fig.add_annotation(x=mx, y=1, xref="x", yref="paper", yanchor="bottom", showarrow=False, font=caption,
                       text=f"median coupling: {number(mx)}")
    fig.add_annotation(x=1, y=my, xref="paper", yref="y", xanchor="left", showarrow=False, font=caption, align="left",
                       text=f"median recent<br>commits: {number(my)}")
    corners = (
        (0.0, 0.0, "left", "top", "changed often, loosely coupled"),
        (1.0, 0.0, "right", "top", "changed often, tangled"),
        (0.0, 1.0, "left", "bottom", "quiet, loosely coupled"),
        (1.0, 1.0, "right", "bottom", "quiet, tangled"),
    )
    obstacles = []
    for cx, cy, xanchor, yanchor, text in corners:  # cx, cy: share of the area from its top left
        fig.add_annotation(x=cx, y=1 - cy, xref="paper", yref="paper", text=text, showarrow=False,
                           xanchor=xanchor, yanchor=yanchor, font={"color": "grey", "size": 11})
        w, h = text_size(text)
        left = cx * area_w - (w if xanchor == "right" else 0)
        top = cy * area_h - (h if yanchor == "bottom" else 0)
        obstacles.append(Box(left, top, left + w, top + h))

    line_x = (mx - x_range[0]) / (x_range[1] - x_range[0]) * area_w  # the median lines: no label across them
    line_y = (y_range[1] - my) / (y_range[1] - y_range[0]) * area_h
    obstacles += [Box(line_x - 1.5, 0, line_x + 1.5, area_h), Box(0, line_y - 1.5, area_w, line_y + 1.5)]
    hidden = label_points(fig, x, y, [label(n) for n in names], x_range=x_range, y_range=y_range, area=(area_w, area_h),
                          marker=QUADRANT_MARKER, obstacles=obstacles)
    fig.update_layout(
        title=title + (f" — {hidden} crowded labels on hover only" if hidden else ""),
        height=height, showlegend=False, margin=margin,
        xaxis={"title": {"text": "coupling (coupled signals summed over partners)"}, "range": list(x_range), "zeroline": False},
        yaxis={"title": {"text": "recent commits"}, "range": list(y_range), "zeroline": False},
    )
    return fig


# --------------------------------------------------------------------------------------
# co-change network


def cochange_network(edges: pd.DataFrame, *, group_of: Mapping[str, str] | None = None, title: str = "Change coupling",
                     seed: int = 7) -> go.Figure:
    """Change coupling as a network: ``edges`` has ``a, b, degree`` (a file or context pair and
    its co-change degree, %); a line per pair, wider for a higher degree. With ``group_of``
    (node -> context) nodes are coloured by group and named on hover only (files are many);
    without it, nodes are labelled (placed so that no two labels meet). The layout is
    networkx's spring layout, seeded."""
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
    xs, ys = [float(layout[n][0]) for n in nodes], [float(layout[n][1]) for n in nodes]
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers", text=[label(n) for n in nodes],
        hovertext=[f"{label(n)} ({label(g)})" for n, g in zip(nodes, groups, strict=True)],
        hoverinfo="text", marker={"size": 12, "color": pd.Series(groups).astype("category").cat.codes, "colorscale": "Turbo"},
        showlegend=False))
    x_pad, y_pad = max(max(xs) - min(xs), 0.5) * 0.12, max(max(ys) - min(ys), 0.5) * 0.12
    x_range, y_range = (min(xs) - x_pad, max(xs) + x_pad), (min(ys) - y_pad, max(ys) + y_pad)
    margin = {"l": 20, "r": 20, "t": 80, "b": 20}
    unlabelled = 0
    if group_of is None:  # contexts: labelled, placed so that no two labels meet
        unlabelled = label_points(fig, xs, ys, [label(n) for n in nodes], x_range=x_range, y_range=y_range,
                                  area=(GRAPH_WIDTH - 40, FIGURE_HEIGHT - 100), marker=6.0)
    fig.update_layout(title=title + (f" — {unlabelled} crowded labels on hover only" if unlabelled else ""), margin=margin,
                      xaxis={"visible": False, "range": list(x_range)}, yaxis={"visible": False, "range": list(y_range)},
                      height=FIGURE_HEIGHT)
    return fig
