"""The exploratory notebooks' figures (change history, structure, data coupling, runtime), so
that no notebook cell builds a figure by hand: each takes the frame a measure returns and
gives a figure, or the "no data" figure saying why there is nothing to draw."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from analysis.outputs.figures.common import label, no_data
from analysis.outputs.figures.order import grid_order

UNATTRIBUTED = "(unattributed)"


def hotspot_treemap(hotspots: pd.DataFrame, *, unassigned: str = "(no context)") -> go.Figure:
    """Files at HEAD nested in their context: size = lines of code, colour = hotspot score."""
    title = "Hotspots: size = lines of code, colour = change frequency × complexity"
    drawn = hotspots[hotspots["nloc"] > 0] if len(hotspots) else hotspots
    if drawn.empty:
        return no_data("Hotspots", "no file changed in the history is present at HEAD")
    drawn = drawn.assign(context=drawn["context"].fillna(unassigned).map(label), file=drawn["path"].map(label))
    return px.treemap(drawn, path=[px.Constant("repository"), "context", "file"], values="nloc", color="score",
                      color_continuous_scale="OrRd", hover_data=["revisions", "complexity"], title=title,
                      labels={"nloc": "lines of code", "score": "hotspot score"})


def hotspot_trend(trend: pd.DataFrame, top: int) -> go.Figure:
    """Revisions per month of the hottest files."""
    if trend.empty:
        return no_data("Hotspot trend", "no hotspot changed in the history")
    return px.line(trend.assign(path=trend["path"].map(label)), x="month", y="revisions", color="path",
                   title=f"Revisions per month of the {top} hottest files", labels={"revisions": "revisions (commits)"})


def team_context_heatmap(team_matrix: pd.DataFrame, recent_days: int) -> go.Figure:
    """Commits per team (rows) and context (columns) in the recent window, teams and contexts
    ordered by clustering (:func:`~analysis.outputs.figures.order.grid_order`)."""
    if team_matrix.empty:
        return no_data("Team × context", "no commit in the recent window")
    grid = team_matrix.pivot(index="team", columns="context", values="commits").fillna(0)
    rows, columns = grid_order(grid)
    grid = grid.loc[rows, columns]
    grid.index = [label(t) for t in grid.index]
    grid.columns = [label(c) for c in grid.columns]
    return px.imshow(grid, text_auto=True, color_continuous_scale="Blues", aspect="auto",
                     labels={"x": "context", "y": "team", "color": "commits"},
                     title=f"Commits per team and context, last {recent_days} days")


def coordination_over_time(by_month: pd.DataFrame) -> go.Figure:
    """The share of commits and of merged pull requests touching two or more contexts, per month."""
    if by_month.empty:
        return no_data("Coordination over time", "no commit with file changes")
    shares = by_month.melt(id_vars="month", value_vars=["commit_share", "merge_share"], var_name="unit", value_name="share")
    shares["unit"] = shares["unit"].map({"commit_share": "commits", "merge_share": "merged pull requests"})
    fig = px.line(shares.dropna(), x="month", y="share", color="unit", markers=True,
                  title="Share of commits and merged pull requests touching two or more contexts")
    fig.update_yaxes(tickformat=".0%", title="share touching two or more contexts")
    return fig


def deploys_per_month(deploy_months: pd.DataFrame, *, proxy: bool) -> go.Figure:
    """Deploys per month (release tags as a proxy when there is no deploy log)."""
    if deploy_months.empty:
        return no_data("Deploys per month", "no deploy log and no release tags")
    return px.bar(deploy_months, x="month", y="deploys", hover_data=["failure_rate", "median_duration_s"],
                  title="Deploys per month" + (" (release tags as a proxy)" if proxy else ""))


def dependency_matrix(dsm: pd.DataFrame, *, title: str, row: str = "importing", column: str = "imported",
                      text: bool = True) -> go.Figure:
    """A dependency structure matrix as computed by ``structural.dependency_matrix``
    (levelized order kept): import rows from each row to each column."""
    if dsm.empty:
        return no_data(title, "no import between these units")
    return px.imshow(dsm, text_auto=text, color_continuous_scale="Blues", aspect="auto",
                     labels={"x": column, "y": row, "color": "import rows"}, title=title)


def table_access_heatmap(table_contexts: pd.DataFrame) -> go.Figure:
    """Executions per table (rows) and issuing context (columns), both ordered by clustering
    (:func:`~analysis.outputs.figures.order.grid_order`): tables used by the same contexts together."""
    if table_contexts.empty:
        return no_data("Executions per table and issuing context", "no statement touched a table")
    access = table_contexts.assign(context=table_contexts["context"].fillna(UNATTRIBUTED),
                                   executions=table_contexts["reads"] + table_contexts["writes"])
    matrix = access.pivot_table(index="table", columns="context", values="executions", aggfunc="sum", fill_value=0)
    rows, columns = grid_order(matrix)
    matrix = matrix.loc[rows, columns]
    return px.imshow(matrix, aspect="auto", color_continuous_scale="Blues", height=max(400, 18 * len(matrix)),
                     labels={"x": "issuing context", "y": "table", "color": "executions"},
                     title="Executions per table and issuing context")


def table_load(load: pd.DataFrame, tables: pd.Series) -> go.Figure:
    """Database time per bucket of the given tables."""
    drawn = load[load["table"].isin(tables)] if len(load) else load
    if drawn.empty:
        return no_data("Database time per hour", "no timed statement on these tables")
    return px.line(drawn, x="bucket", y="total_duration_ms", color="table", title="Database time per hour, hottest tables",
                   labels={"total_duration_ms": "database time (ms)", "bucket": "time (UTC)"})


def db_time_by_context(db_time: pd.DataFrame) -> go.Figure:
    """Database time per issuing context."""
    if db_time.empty:
        return no_data("Database time per issuing context", "no timed statement")
    return px.bar(db_time.fillna({"context": UNATTRIBUTED}), x="context", y="total_duration_ms",
                  title="Database time per issuing context", labels={"total_duration_ms": "database time (ms)"})


def compute_ratio_heatmap(ratios: pd.DataFrame) -> go.Figure:
    """Self time of the row context / of the column context (blank: not comparable)."""
    if ratios.empty:
        return no_data("Compute ratio between contexts", "fewer than two contexts served enough requests")
    heat = px.imshow(ratios.map(lambda v: None if v != v else round(float(v), 2)), text_auto=True, aspect="auto",
                     color_continuous_scale="Reds", labels={"x": "compared to", "y": "context", "color": "ratio (×)"},
                     title="Compute ratio: self time of the row context / of the column context")
    heat.update_xaxes(ticktext=[label(c) for c in ratios.columns], tickvals=list(range(len(ratios.columns))))
    heat.update_yaxes(ticktext=[label(c) for c in ratios.index], tickvals=list(range(len(ratios.index))))
    return heat
