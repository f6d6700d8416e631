"""The trend across runs and the migration scorecard over time.

- :func:`trend_lines` — one figure per figure family of :func:`analysis.outputs.trend.trend_frame`
  (``metric``): a line per subject (pair, context, rule, source kind) over the runs, the
  ``top`` subjects by their latest value; every run whose configuration changed carries a
  dashed line marked "configuration changed" (such a change moves the numbers on its own).
- :func:`scorecard_lines` — one scorecard metric per period and context
  (:attr:`analysis.measures.scorecard.ScorecardEvidence.table`), with its interval as error bars
  where one exists, and each ``scorecard.events`` day as a dashed line.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from analysis.outputs.figures.common import FIGURE_HEIGHT, TICKS_CLEAR, is_empty, label, no_data


def _mark_days(fig: go.Figure, days: Iterable[tuple[object, str]]) -> None:
    for x, text in days:
        fig.add_vline(x=x, line={"dash": "dash", "color": "#888", "width": 1})
        fig.add_annotation(x=x, y=1.0, yref="paper", text=label(text), showarrow=False, yanchor="bottom",
                           font={"size": 11, "color": "#555"})


def trend_lines(frame: pd.DataFrame, changes: pd.DataFrame, metric: str, *, title: str | None = None, top: int = 12) -> go.Figure:
    """Numbers of one ``metric`` over the runs (see the module docstring)."""
    title = title or metric
    rows = frame[frame["metric"] == metric] if not is_empty(frame) else frame
    numeric = rows[rows["value"].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))] if len(rows) else rows
    if is_empty(numeric):
        return no_data(title, "no run measured it")
    order = [str(r) for r in dict.fromkeys(frame["run_id"])]
    latest = numeric[numeric["run_id"] == numeric["run_id"].iloc[-1]] if len(numeric) else numeric
    ranked = latest.assign(v=latest["value"].astype(float).abs()).sort_values(["v", "subject"], ascending=[False, True])
    keep = list(dict.fromkeys([*ranked["subject"].head(top), *numeric["subject"].head(top)]))[:top]
    fig = go.Figure()
    for subject in keep:
        mine = rows[rows["subject"] == subject].set_index("run_id")["value"]
        ys = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in (mine.get(r) for r in order)]
        fig.add_trace(go.Scatter(x=order, y=ys, mode="lines+markers", name=label(subject), connectgaps=False,
                                 hovertext=[f"{label(subject)}: {y if y is not None else 'not measured'}" for y in ys], hoverinfo="text+x"))
    changed = changes.loc[changes["changed"], "run_id"].tolist() if len(changes) else []
    _mark_days(fig, [(r, "configuration changed") for r in changed if r in order])
    fig.update_layout(title=title, height=FIGURE_HEIGHT, xaxis={"title": {"text": "run"}, "type": "category", **TICKS_CLEAR},
                      yaxis={"title": {"text": label(title)}}, hovermode="x unified")
    return fig


def scorecard_lines(table: pd.DataFrame, metric: str, *, events: Iterable[tuple[object, str]] = (), title: str | None = None,
                    contexts: Iterable[str] | None = None) -> go.Figure:
    """One scorecard metric per period, a line per context (and unit), intervals as error bars."""
    title = title or metric
    rows = table[table["metric"] == metric] if not is_empty(table) else table
    if contexts is not None and len(rows):
        rows = rows[rows["context"].isin(list(contexts))]
    if is_empty(rows):
        return no_data(title, "no evidence: its source was not given or holds nothing")
    fig = go.Figure()
    for (context, unit), group in rows.groupby(["context", "unit"], sort=True):
        group = group.sort_values("period")
        has_interval = group["low"].notna() & group["high"].notna()
        error = {"type": "data", "symmetric": False, "array": (group["high"] - group["value"]).where(has_interval),
                 "arrayminus": (group["value"] - group["low"]).where(has_interval), "visible": bool(has_interval.any())}
        fig.add_trace(go.Scatter(x=group["period"], y=group["value"], mode="lines+markers", error_y=error,
                                 name=label(f"{context} ({unit})" if metric == "cost" else context),
                                 hovertext=[f"{label(context)}: {v:.3g} {label(unit)} (n = {n})" for v, n in zip(group["value"], group["n"])],
                                 hoverinfo="text+x"))
    _mark_days(fig, [(pd.Timestamp(day), text) for day, text in events])
    fig.update_layout(title=title, height=FIGURE_HEIGHT, xaxis={"title": {"text": "period (UTC)"}, **TICKS_CLEAR},
                      yaxis={"title": {"text": label(str(rows["unit"].iloc[0]) if metric != "cost" else "amount")}}, hovermode="x unified")
    return fig
