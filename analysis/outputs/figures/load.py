"""Load over time per context, from the traces' load curves."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.outputs.figures.common import (
    FIGURE_HEIGHT,
    TICKS_CLEAR,
    is_empty,
    label,
    no_data,
)


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
    Traces within a single period, or without any self time, give a figure that says so
    rather than an empty axis.
    """
    title = "Share of self time per context" if normalized else "Self time per context"
    if is_empty(curves):
        return no_data(title)
    wide = load_by_period(curves, freq)
    if wide.empty:
        return no_data(title)
    if len(wide) < 2:
        start = pd.Timestamp(wide.index[0]).strftime("%Y-%m-%d %H:%M")
        total = float(wide.to_numpy().sum()) / 1000.0
        return no_data(f"{title} (per {freq})", f"the traces span one {freq} period only (from {start} UTC, {total:,.1f} s of self "
                                               "time): a curve over time needs two periods or more")
    if not wide.to_numpy().any():
        return no_data(f"{title} (per {freq})", "no self time in the traces: every span took 0 ms")
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
        xaxis={"title": {"text": "time (UTC)"}, **TICKS_CLEAR},
        yaxis={"title": {"text": "share of self time (%)" if normalized else f"self time per {freq} (s)"}},
    )
    return fig


# --------------------------------------------------------------------------------------
# ranking
