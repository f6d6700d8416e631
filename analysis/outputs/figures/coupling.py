"""Coupling between contexts: the dependency graph (one lane per signal) and one matrix per signal."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from analysis.outputs.figures.common import (
    EDGE_LANE,
    FIGURE_HEIGHT,
    HIDDEN_COLOUR,
    NODE_COLOUR,
    SIGNAL_COLOURS,
    SIGNAL_UNITS,
    SIGNALS,
    context_names,
    is_coupled,
    is_empty,
    label,
    no_data,
    number,
)
from analysis.outputs.figures.labels import text_size

#: The width (px) of a matrix's plot area at the narrowest the report shows it.
MATRIX_WIDTH = 900

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
            flag = row.get(f"{signal}_coupled", False)
            if flag is pd.NA or (isinstance(flag, float) and math.isnan(flag)):
                lines.append(f"{signal}: no evidence (not measured)")
                continue
            state = "coupled" if bool(flag) else "below threshold"
            lines.append(f"{signal}: {number(row[signal])} ({SIGNAL_UNITS[signal]}) — {state}")
    hidden = row.get("hidden", False)
    if hidden is not pd.NA and bool(hidden):
        lines.append("hidden coupling: coupled, but not through imports")
    return "<br>".join(lines)


def _context_hover(name: str, facts: Mapping) -> str:
    lines = [f"<b>{label(name)}</b>"]
    for column, wording in (("commits", "commits"), ("commits_recent", "recent commits"),
                            ("authors", "authors"), ("teams", "teams"), ("instability", "instability")):
        if column in facts:
            lines.append(f"{wording}: {number(facts[column])}")
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
    names = context_names(contexts, pairs)
    if not names:
        return no_data(title)
    pairs = pairs if not is_empty(pairs) else pd.DataFrame(columns=["context_a", "context_b", *SIGNALS, "signals", "hidden"])
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
        coupled = drawn[is_coupled(drawn, signal)] if signal in drawn else drawn.iloc[0:0]
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
    if not is_empty(contexts):
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


def coupling_matrix(pairs: pd.DataFrame, signal: str, *, contexts: Iterable[str] | None = None,
                    unknown: str | None = None) -> go.Figure:
    """A symmetric heatmap of one signal's value per pair of contexts.

    Axes list the contexts in ``pairs`` (plus ``contexts``, when given, so that declared
    contexts without any pair still show), sorted. A missing pair of a measured signal is 0;
    the diagonal is blank. Cell text is the value; hover says whether the pair is coupled by
    the threshold. ``unknown``: why the signal is not measured — the figure then says
    "no evidence" and why, never a grid of zeros.
    """
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r}; valid signals: {', '.join(SIGNALS)}")
    title = f"{signal.capitalize()} coupling ({SIGNAL_UNITS[signal]})"
    if unknown is not None:
        return no_data(title, f"no evidence — {unknown}")
    found = set(context_names(None, pairs))
    if contexts is not None:
        found.update(str(c) for c in contexts if c is not None and c is not pd.NA)
    names = sorted(found)
    if is_empty(pairs) or len(names) < 2:
        return no_data(title)

    index = {n: i for i, n in enumerate(names)}
    size = len(names)
    values: list[list] = [[0.0] * size for _ in range(size)]
    coupled: list[list] = [[False] * size for _ in range(size)]
    for i in range(size):
        values[i][i] = None
    flags = is_coupled(pairs, signal)
    for (a, b, value), flag in zip(pairs[["context_a", "context_b", signal]].itertuples(index=False), flags):
        if a == b or a not in index or b not in index:
            continue
        v = 0.0 if pd.isna(value) else float(value)
        i, j = index[a], index[b]
        values[i][j] = values[j][i] = v
        coupled[i][j] = coupled[j][i] = bool(flag)

    shown = [label(n) for n in names]
    text = [["" if v is None else number(v) for v in row] for row in values]
    hover = [[
        "" if values[i][j] is None else
        f"{shown[i]} ↔ {shown[j]}<br>{signal}: {number(values[i][j])} ({SIGNAL_UNITS[signal]})<br>"
        + ("coupled" if coupled[i][j] else "below threshold")
        for j in range(size)] for i in range(size)]
    fig = go.Figure(go.Heatmap(
        z=values, x=shown, y=shown, text=text, texttemplate="%{text}", hovertext=hover, hoverinfo="text",
        colorscale="Blues", zmin=0, zmax=max([v for row in values for v in row if v is not None] + [1.0]),
        colorbar={"title": {"text": SIGNAL_UNITS[signal], "side": "right"}}, xgap=1, ygap=1,
    ))
    fig.update_layout(
        title=title, height=max(FIGURE_HEIGHT, 40 * size + 160), plot_bgcolor="white",
        xaxis={"title": {"text": "context"}, "type": "category", "showgrid": False, "automargin": True,
               "tickangle": category_tick_angle(shown, MATRIX_WIDTH)},
        yaxis={"title": {"text": "context"}, "type": "category", "autorange": "reversed", "showgrid": False, "automargin": True},
    )
    return fig


def category_tick_angle(labels: Sequence[str], width: float) -> int:
    """0 when every category label fits its column of a ``width``-px axis side by side, else
    -90 (upright, one label per column: never a slant that runs into the next label)."""
    if not labels:
        return 0
    longest = max(text_size(t)[0] for t in labels)
    return 0 if longest + 4 <= width / len(labels) else -90


# --------------------------------------------------------------------------------------
# change frequency × coupling


def coupling_per_context(pairs: pd.DataFrame | None, names: Iterable[str]) -> pd.DataFrame:
    """Per context: ``partners`` (contexts coupled in at least one signal) and ``coupling``
    (coupled signals summed over partners, 0..4 per partner)."""
    names = list(names)
    out = pd.DataFrame({"context": names, "partners": 0, "coupling": 0})
    if pairs is None or pairs.empty or not names:
        return out
    signals = pairs["signals"] if "signals" in pairs else sum(is_coupled(pairs, s).astype(int) for s in SIGNALS if s in pairs)
    linked = pd.DataFrame({"a": pairs["context_a"], "b": pairs["context_b"], "signals": pd.Series(signals).fillna(0).astype(int).to_numpy()})
    linked = linked[linked["signals"] > 0]
    both = pd.concat([linked.rename(columns={"a": "context", "b": "other"}),
                      linked.rename(columns={"b": "context", "a": "other"})])
    stats = both.groupby("context").agg(partners=("other", "nunique"), coupling=("signals", "sum"))
    out = out.set_index("context")
    out.update(stats)
    return out.reset_index().astype({"partners": "int64", "coupling": "int64"})
