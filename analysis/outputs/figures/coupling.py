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
from analysis.outputs.figures.labels import label_points
from analysis.outputs.figures.order import cluster_order

#: The graph draws every coupled pair up to this many contexts, the strongest beyond.
GRAPH_ALL_UP_TO = 12
#: The width (px) the graph's labels are placed for: the narrowest the report shows it.
GRAPH_WIDTH = 1100

# --------------------------------------------------------------------------------------
# context dependency graph


def graph_layout(nodes: Sequence[str], *, keep_order: bool = False) -> dict[str, tuple[float, float]]:
    """Node positions on a circle, in sorted order (``keep_order``: in the order given),
    starting at the top, clockwise.

    Deterministic by construction (no random start, unlike a spring layout): the same
    contexts with the same coupling sit in the same places in every run and every report.
    """
    ordered = list(dict.fromkeys(nodes)) if keep_order else sorted(nodes)
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


def strongest_pairs(pairs: pd.DataFrame, signal: str, top: int | None) -> pd.DataFrame:
    """The pairs coupled in ``signal``, strongest first (by value, then by the number of
    coupled signals, then by names), at most ``top``."""
    if signal not in pairs or pairs.empty:
        return pairs.iloc[0:0]
    coupled = pairs[is_coupled(pairs, signal)]
    signals = coupled["signals"].astype(float).fillna(0.0) if "signals" in coupled else 0.0
    ranked = coupled.assign(_v=coupled[signal].astype(float).fillna(0.0), _s=signals, _a=coupled["context_a"].astype(str),
                            _b=coupled["context_b"].astype(str))
    ranked = ranked.sort_values(["_v", "_s", "_a", "_b"], ascending=[False, False, True, True], kind="stable")
    ranked = ranked.drop(columns=["_v", "_s", "_a", "_b"])
    return ranked if top is None else ranked.head(top)


def graph_top(contexts: int) -> int | None:
    """How many pairs per signal the graph draws: all up to :data:`GRAPH_ALL_UP_TO` contexts,
    else the strongest ``max(12, contexts // 2)`` (every pair is in the matrices)."""
    return None if contexts <= GRAPH_ALL_UP_TO else max(12, contexts // 2)


def _closeness(pairs: pd.DataFrame) -> dict[tuple[str, str], float]:
    """How close two contexts sit on the graph's circle: coupled signals, plus each signal's
    value as a share of its largest (so a tie in signals goes to the stronger pair)."""
    out: dict[tuple[str, str], float] = {}
    if pairs.empty:
        return out
    score = pd.Series(0.0, index=pairs.index)
    for signal in SIGNALS:
        if signal not in pairs:
            continue
        coupled = is_coupled(pairs, signal)
        values = pairs[signal].astype(float).fillna(0.0).clip(lower=0)
        top = float(values.max()) or 1.0
        score = score + coupled.astype(float) + 0.25 * values / top
    for a, b, v in zip(pairs["context_a"].astype(str), pairs["context_b"].astype(str), score):
        out[(a, b)] = float(v)
    return out


def context_graph(pairs: pd.DataFrame, contexts: pd.DataFrame, *, top: int | None | bool = True) -> go.Figure:
    """The context dependency graph.

    Nodes are contexts on a circle in :func:`~analysis.outputs.figures.order.cluster_order`
    of their coupling (coupled contexts side by side, so their edges are short chords),
    sized by ``commits`` (area ∝ commits). Each signal draws its own lane on an edge, only
    where the pair is coupled in that signal, and only its ``top`` strongest pairs
    (``True``: :func:`graph_top` of the number of contexts; ``None``: all); the legend says
    how many of how many. Pairs with *hidden coupling* (coupled, but not through imports)
    among those drawn are underlaid in red. Hovering an edge's midpoint shows every
    signal's value for the pair. Context labels are placed by
    :func:`~analysis.outputs.figures.labels.place_labels`, outward first, never over each
    other. Traces, in order: hidden coupling, the four signals, edge midpoints, contexts.
    """
    title = "Context dependency graph"
    names = context_names(contexts, pairs)
    if not names:
        return no_data(title)
    pairs = pairs if not is_empty(pairs) else pd.DataFrame(columns=["context_a", "context_b", *SIGNALS, "signals", "hidden"])
    limit = graph_top(len(names)) if top is True else (None if top is False else top)
    pairs = pairs[pairs["context_a"].astype(str).isin(names) & pairs["context_b"].astype(str).isin(names)]
    positions = graph_layout(cluster_order(names, _closeness(pairs)), keep_order=True)
    extent = 2.0 if len(names) > 1 else 1.0

    fig = go.Figure()
    lanes = {signal: strongest_pairs(pairs, signal, limit) for signal in SIGNALS}
    counts = {signal: int(is_coupled(pairs, signal).sum()) if signal in pairs and len(pairs) else 0 for signal in SIGNALS}
    drawn_index = sorted(set().union(*(set(lane.index) for lane in lanes.values())))
    drawn = pairs.loc[drawn_index] if limit is not None else pairs
    hidden = drawn[drawn["hidden"].fillna(False).astype(bool)] if "hidden" in drawn else drawn.iloc[0:0]
    hx, hy = _segments(hidden, positions, 0.0)
    fig.add_trace(go.Scatter(x=hx, y=hy, mode="lines", name="hidden coupling (not in imports)",
                             line={"color": HIDDEN_COLOUR, "width": 14}, hoverinfo="skip"))
    for lane, signal in enumerate(SIGNALS):
        offset = (lane - (len(SIGNALS) - 1) / 2) * EDGE_LANE * extent
        sx, sy = _segments(lanes[signal], positions, offset)
        shown_count = len(lanes[signal])
        name = signal if shown_count == counts[signal] else f"{signal}: strongest {shown_count} of {counts[signal]} pairs"
        fig.add_trace(go.Scatter(x=sx, y=sy, mode="lines", name=name,
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
    most = max(commits) or 1.0
    sizes = [14 + 36 * math.sqrt(c / most) for c in commits]
    height = FIGURE_HEIGHT + 80 if len(names) <= GRAPH_ALL_UP_TO else FIGURE_HEIGHT + 240
    margin = {"l": 20, "r": 20, "t": 80, "b": 70}
    x_range, y_range = (-1.35, 1.35), (-1.25, 1.25)
    area_w, area_h = GRAPH_WIDTH - margin["l"] - margin["r"], height - margin["t"] - margin["b"]

    shown = [label(n) for n in names]
    unlabelled = label_points(fig, [positions[n][0] for n in names], [positions[n][1] for n in names], shown,
                              x_range=x_range, y_range=y_range, area=(area_w, area_h), marker=[s / 2 for s in sizes],
                              prefer=[positions[n] for n in names])
    fig.add_trace(go.Scatter(
        x=[positions[n][0] for n in names], y=[positions[n][1] for n in names],
        mode="markers", name="contexts", showlegend=False, text=shown,
        marker={"size": sizes, "color": NODE_COLOUR, "line": {"color": "white", "width": 1}},
        hovertext=[_context_hover(n, facts.get(n, {})) for n in names], hoverinfo="text",
    ))
    fig.update_layout(
        title=f"{title} — node size: commits; lanes: coupled signals"
              + (f"; {unlabelled} crowded labels on hover only" if unlabelled else ""),
        height=height, margin=margin,
        xaxis={"visible": False, "range": list(x_range)}, yaxis={"visible": False, "range": list(y_range)},
        legend={"orientation": "h", "y": -0.02, "yanchor": "top"},
        plot_bgcolor="white",
    )
    return fig


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
