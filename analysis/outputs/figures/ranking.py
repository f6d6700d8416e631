"""The extraction-candidate ranking, its score broken into weighted components."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from analysis.core.settings import WEIGHTS
from analysis.outputs.figures.common import (
    FIGURE_HEIGHT,
    is_empty,
    label,
    no_data,
)


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
    if is_empty(ranking):
        return no_data(title)
    components = ranking_components(ranking)
    if not components:
        return no_data(title, "no score components in the ranking")
    ordered = ranking.sort_values("rank", kind="stable") if "rank" in ranking else ranking
    names = [label(c) for c in ordered["context"]]
    total_weight = sum(float(weights.get(c, 0.0)) for c in components) if weights is not None else 0.0
    fig = go.Figure()
    for component in components:
        factor = float(weights.get(component, 0.0)) / total_weight if weights is not None and total_weight > 0 else 1.0
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
