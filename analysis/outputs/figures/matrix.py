"""Matrices of contexts: one coupling signal per pair, and the import dependency structure matrix.

- :func:`coupling_matrix` — a symmetric heatmap of one signal, contexts in
  :func:`~analysis.outputs.figures.order.cluster_order` (clusters show as blocks on the
  diagonal); a pair without evidence (a NaN value, or a context the signal could not see)
  is a grey cell marked "–" whose hover says "not measured" and why, never a 0.
- :func:`dependency_structure_matrix` — import rows from each context (row) to each
  context (column) in levelized order (:func:`~analysis.outputs.figures.order.levelized_order`):
  dependencies on lower levels below the diagonal, import cycles outlined in red; the hover
  of a cell gives its import rows, files and first ``path:line`` locations.

Both turn their column labels upright when they do not fit side by side
(:func:`category_tick_angle`) and size their rows to the number of contexts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from analysis.outputs.figures.common import (
    FIGURE_HEIGHT,
    SIGNAL_UNITS,
    SIGNALS,
    add_shapes,
    context_names,
    is_coupled,
    is_empty,
    label,
    no_data,
    number,
)
from analysis.outputs.figures.labels import text_size
from analysis.outputs.figures.order import cluster_order, levelized_order

#: The width (px) of a matrix's plot area at the narrowest the report shows it.
MATRIX_WIDTH = 900
#: The colour of a cell without evidence, and its mark.
NO_EVIDENCE_COLOUR = "#BDBDBD"
NO_EVIDENCE_MARK = "–"
CYCLE_COLOUR = "#E45756"
DIAGONAL_COLOUR = "#EEEEEE"
LEVEL_LINE_COLOUR = "#AAAAAA"
#: Up to this many contexts a 0 is written in its cell; beyond, it is a blank (pale) cell.
ZEROS_SHOWN_UP_TO = 15
#: Import locations listed in a DSM cell's hover (the rest are counted).
EVIDENCE_SHOWN = 3


def category_tick_angle(labels: Sequence[str], width: float) -> int:
    """0 when every category label fits its column of a ``width``-px axis side by side, else
    -90 (upright, one label per column: never a slant that runs into the next label)."""
    if not labels:
        return 0
    longest = max(text_size(t)[0] for t in labels)
    return 0 if longest + 4 <= width / len(labels) else -90


def _shade_diagonal(fig: go.Figure, size: int) -> None:
    """A pale square under each diagonal cell (a context with itself), unlike a 0 and unlike
    a cell without evidence."""
    add_shapes(fig, ({"type": "rect", "x0": i - 0.5, "x1": i + 0.5, "y0": i - 0.5, "y1": i + 0.5, "xref": "x", "yref": "y",
                      "fillcolor": DIAGONAL_COLOUR, "line": {"width": 0}, "layer": "below"} for i in range(size)))


def _matrix_layout(fig: go.Figure, title: str, shown: Sequence[str], *, x_title: str, y_title: str) -> None:
    """Rows 40 px high (28 past 15 contexts), room below for upright column labels."""
    size = len(shown)
    angle = category_tick_angle(shown, MATRIX_WIDTH)
    below = max(text_size(t)[0] for t in shown) if angle else 0.0
    row = 40 if size <= 15 else 28
    fig.update_layout(
        title=title, height=int(max(FIGURE_HEIGHT, row * size + 170 + below)), plot_bgcolor="white",
        xaxis={"title": {"text": x_title}, "type": "category", "showgrid": False, "automargin": True, "tickangle": angle},
        yaxis={"title": {"text": y_title}, "type": "category", "autorange": "reversed", "showgrid": False, "automargin": True},
    )


def _key(a, b) -> tuple[str, str]:
    a, b = str(a), str(b)
    return (a, b) if a <= b else (b, a)


def _items(value) -> list:
    """A list cell as a list (a list, tuple or array; missing: empty)."""
    if value is None or isinstance(value, (str, float)):
        return [] if value is None or isinstance(value, float) else [value]
    return list(value)


def _first(items: Sequence[str], shown: int) -> str:
    listed = ", ".join(label(i) for i in items[:shown])
    return listed + (f" … and {len(items) - shown} more" if len(items) > shown else "")


def pair_evidence(signal: str, frame: pd.DataFrame | None, *, shown: int = EVIDENCE_SHOWN) -> dict[tuple[str, str], list[str]]:
    """Hover lines (escaped) with the evidence behind each pair's value in ``signal``, keyed
    by the pair in name order, from the frame that signal is measured from:

    - structural — context edges (source, target, edges, evidence): per direction the
      import rows and the first ``shown`` ``path:line`` locations;
    - evolutionary — context co-change (context_a, context_b, shared_commits): the commits
      that changed both;
    - data — data pairs (context_a, context_b, tables): the first ``shown`` tables;
    - runtime — calls (caller, callee, mode, calls): per direction and mode, the calls.
    """
    out: dict[tuple[str, str], list[str]] = {}
    if frame is None or frame.empty:
        return out
    if signal == "structural":
        for row in frame.itertuples(index=False):
            evidence = _items(getattr(row, "evidence", None))
            line = f"{label(row.source)} → {label(row.target)}: {int(row.edges)} import rows"
            out.setdefault(_key(row.source, row.target), []).append(line + (f" ({_first(evidence, shown)})" if evidence else ""))
    elif signal == "evolutionary":
        for row in frame.itertuples(index=False):
            out.setdefault(_key(row.context_a, row.context_b), []).append(f"{int(row.shared_commits)} commits changed both")
    elif signal == "data":
        for row in frame.itertuples(index=False):
            tables = sorted(str(t) for t in _items(row.tables))
            out.setdefault(_key(row.context_a, row.context_b), []).append(f"tables: {_first(tables, shown)}")
    elif signal == "runtime":
        for row in frame.sort_values(["caller", "callee", "mode"]).itertuples(index=False):
            out.setdefault(_key(row.caller, row.callee), []).append(
                f"{label(row.caller)} → {label(row.callee)} ({label(row.mode)}): {int(row.calls):,} calls")
    else:
        raise ValueError(f"unknown signal {signal!r}; valid signals: {', '.join(SIGNALS)}")
    return out


def coupling_matrix(pairs: pd.DataFrame, signal: str, *, contexts: Iterable[str] | None = None, unknown: str | None = None,
                    unmeasured: Mapping[str, str] | None = None, order: Sequence[str] | None = None,
                    evidence: Mapping[tuple[str, str], Sequence[str]] | None = None) -> go.Figure:
    """A symmetric heatmap of one signal's value per pair of contexts.

    Axes list the contexts in ``pairs`` (plus ``contexts``, when given, so that declared
    contexts without any pair still show), in ``order`` when given (contexts it leaves out
    follow by name), else clustered by the signal (:func:`cluster_order`). A missing pair of
    a measured signal is 0; the diagonal is blank. A pair whose value is NaN, or that
    involves a context of ``unmeasured`` (context -> why the signal cannot see it), has no
    evidence: a grey cell marked "–", hover "not measured" and the reason. Cell text is the
    value; hover says whether the pair is coupled by the threshold, then the pair's
    ``evidence`` lines when given (keyed by the pair in name order, see
    :func:`pair_evidence`). ``unknown``: why the
    signal is not measured at all — the figure then says "no evidence" and why, never a grid
    of zeros. Traces: the values, then the cells without evidence.
    """
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r}; valid signals: {', '.join(SIGNALS)}")
    title = f"{signal.capitalize()} coupling ({SIGNAL_UNITS[signal]})"
    if unknown is not None:
        return no_data(title, f"no evidence — {unknown}")
    unmeasured = {str(k): str(v) for k, v in (unmeasured or {}).items()}
    found = set(context_names(None, pairs))
    if contexts is not None:
        found.update(str(c) for c in contexts if c is not None and c is not pd.NA)
    if is_empty(pairs) or len(found) < 2:
        return no_data(title)

    measured = {}  # (a, b) -> (value, coupled); NaN values stay out
    flags = is_coupled(pairs, signal)
    for (a, b, value), flag in zip(pairs[["context_a", "context_b", signal]].itertuples(index=False), flags):
        if a != b and not pd.isna(value):
            measured[(str(a), str(b))] = measured[(str(b), str(a))] = (float(value), bool(flag))
    if order is not None:
        given = [str(n) for n in order if str(n) in found]
        names = given + sorted(found - set(given))
    else:
        names = cluster_order(found, {k: v[0] for k, v in measured.items()
                                      if k[0] not in unmeasured and k[1] not in unmeasured})
    nan_pairs = {(str(a), str(b)) for a, b, v in zip(pairs["context_a"], pairs["context_b"], pairs[signal]) if pd.isna(v)}
    nan_pairs |= {(b, a) for a, b in nan_pairs}

    shown = [label(n) for n in names]
    quiet_zeros = len(names) > ZEROS_SHOWN_UP_TO
    values: list[list] = []
    missing: list[list] = []
    text: list[list[str]] = []
    hover: list[list[str]] = []
    missing_hover: list[list[str]] = []
    for a, sa in zip(names, shown):
        v_row: list = []
        m_row: list = []
        t_row: list[str] = []
        h_row: list[str] = []
        mh_row: list[str] = []
        for b, sb in zip(names, shown):
            why = unmeasured.get(a) or unmeasured.get(b) or ("not measured for this pair" if (a, b) in nan_pairs else None)
            if a == b:
                v_row.append(None)
                m_row.append(None)
                t_row.append("")
                h_row.append("")
                mh_row.append("")
            elif why is not None:
                v_row.append(None)
                m_row.append(1)
                t_row.append("")
                h_row.append("")
                mh_row.append(f"{sa} ↔ {sb}<br>{signal}: no evidence (not measured)<br>{label(why)}")
            else:
                value, coupled = measured.get((a, b), (0.0, False))
                v_row.append(value)
                m_row.append(None)
                t_row.append(number(value) if value or not quiet_zeros else "")
                h_row.append("<br>".join([f"{sa} ↔ {sb}", f"{signal}: {number(value)} ({SIGNAL_UNITS[signal]})",
                                          "coupled" if coupled else "below threshold", *(evidence or {}).get(_key(a, b), [])]))
                mh_row.append("")
        values.append(v_row)
        missing.append(m_row)
        text.append(t_row)
        hover.append(h_row)
        missing_hover.append(mh_row)

    top = max([v for row in values for v in row if v is not None] + [1.0])
    fig = go.Figure(go.Heatmap(
        z=values, x=shown, y=shown, text=text, texttemplate="%{text}", hovertext=hover, hoverinfo="text",
        colorscale="Blues", zmin=0, zmax=top, name=SIGNAL_UNITS[signal],
        colorbar={"title": {"text": SIGNAL_UNITS[signal], "side": "right"}}, xgap=1, ygap=1, hoverongaps=False,
    ))
    has_missing = any(m is not None for row in missing for m in row)
    fig.add_trace(go.Heatmap(
        z=missing, x=shown, y=shown, text=[[NO_EVIDENCE_MARK if m is not None else "" for m in row] for row in missing],
        texttemplate="%{text}", hovertext=missing_hover, hoverinfo="text", name="no evidence",
        colorscale=[[0, NO_EVIDENCE_COLOUR], [1, NO_EVIDENCE_COLOUR]], zmin=0, zmax=1, showscale=False, xgap=1, ygap=1,
        hoverongaps=False,  # a cell it leaves empty hovers the values beneath
    ))
    _shade_diagonal(fig, len(names))
    suffix = f" — grey {NO_EVIDENCE_MARK}: not measured" if has_missing else ""
    x_title = "context (ordered by clustering" + ("; a blank cell is 0)" if quiet_zeros else ")")
    _matrix_layout(fig, title + suffix, shown, x_title=x_title, y_title="context")
    return fig


def dependency_structure_matrix(edges: pd.DataFrame | None, contexts: Iterable[str] = (), *,
                                unknown: str | None = None) -> go.Figure:
    """Import rows between contexts as a dependency structure matrix (DSM).

    ``edges`` as from :func:`analysis.measures.coupling.structural.context_edges` (source,
    target, edges, and when present files, evidence). Row = importing context, column =
    imported context, cell = import rows; blank = none. Order: :func:`levelized_order`
    over ``contexts`` and the edges, so every import of a lower level lies below the
    diagonal; grey lines part the levels; a red square outlines each import cycle (its
    contexts import each other), the only place marks sit above the diagonal. ``unknown``: why imports were not read.
    """
    from analysis.measures.coupling.structural import levelize

    title = "Dependency structure matrix: import rows, levelized"
    if unknown is not None:
        return no_data(title, f"no evidence — {unknown}")
    edges = edges if edges is not None else pd.DataFrame(columns=["source", "target", "edges"])
    levels = levelize(edges, [str(c) for c in contexts if c is not None and c is not pd.NA])
    names = levelized_order(levels)
    if len(names) < 2:
        return no_data(title, "fewer than two contexts")
    level_of = dict(zip(levels["unit"].astype(str), levels["level"]))
    index = {n: i for i, n in enumerate(names)}
    size = len(names)
    shown = [label(n) for n in names]
    values: list[list] = [[None] * size for _ in range(size)]
    hover: list[list[str]] = [[""] * size for _ in range(size)]
    for row in edges.itertuples(index=False):
        a, b = str(row.source), str(row.target)
        if a == b or a not in index or b not in index:
            continue
        i, j = index[a], index[b]
        rows = int(row.edges)
        values[i][j] = (values[i][j] or 0) + rows
        files = getattr(row, "files", None)
        evidence = list(getattr(row, "evidence", None) or [])
        lines = [f"<b>{shown[i]} → {shown[j]}</b> (level {level_of[a]} → level {level_of[b]})",
                 f"{rows} import rows" + (f" in {int(files)} files" if files is not None and not pd.isna(files) else "")]
        lines += [label(e) for e in evidence[:EVIDENCE_SHOWN]]
        if len(evidence) > EVIDENCE_SHOWN:
            lines.append(f"… and {len(evidence) - EVIDENCE_SHOWN} more")
        if j > i:
            lines.append("above the diagonal: part of an import cycle")
        hover[i][j] = "<br>".join(lines)
    top = max([v for r in values for v in r if v is not None] + [1])
    fig = go.Figure(go.Heatmap(
        z=values, x=shown, y=shown, text=[["" if v is None else str(v) for v in r] for r in values], texttemplate="%{text}",
        hovertext=hover, hoverinfo="text", colorscale="Blues", zmin=0, zmax=top, name="import rows",
        colorbar={"title": {"text": "import rows", "side": "right"}}, xgap=1, ygap=1, hoverongaps=False,
    ))
    _shade_diagonal(fig, size)
    shapes: list[dict] = []
    for k in range(1, size):  # a grey line wherever the level changes, across and down
        if level_of[names[k]] != level_of[names[k - 1]]:
            shapes.append({"type": "line", "x0": -0.5, "x1": size - 0.5, "y0": k - 0.5, "y1": k - 0.5, "xref": "x", "yref": "y",
                           "line": {"color": LEVEL_LINE_COLOUR, "width": 1}})
            shapes.append({"type": "line", "x0": k - 0.5, "x1": k - 0.5, "y0": -0.5, "y1": size - 0.5, "xref": "x", "yref": "y",
                           "line": {"color": LEVEL_LINE_COLOUR, "width": 1}})
    cyclic = levels[levels["cyclic"]]
    cycles = 0
    for _, members in cyclic.groupby("component"):
        spots = sorted(index[str(u)] for u in members["unit"])
        first, last = spots[0], spots[-1]
        shapes.append({"type": "rect", "x0": first - 0.5, "x1": last + 0.5, "y0": first - 0.5, "y1": last + 0.5, "xref": "x",
                       "yref": "y", "line": {"color": CYCLE_COLOUR, "width": 2}})
        cycles += 1
    add_shapes(fig, shapes)
    suffix = f" — red squares: {cycles} import cycle{'s' if cycles != 1 else ''}" if cycles else " — no import cycle"
    _matrix_layout(fig, title + suffix, shown, x_title="imported context", y_title="importing context (by level, lowest first)")
    return fig
