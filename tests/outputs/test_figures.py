import pandas as pd
import plotly.graph_objects as go
import pytest

from analysis.outputs import figures

PAIR_COLUMNS = ["context_a", "context_b", "structural", "evolutionary", "data", "runtime",
                "structural_coupled", "evolutionary_coupled", "data_coupled", "runtime_coupled", "signals", "hidden"]


def make_pairs(rows):
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


@pytest.fixture
def pairs():
    return make_pairs([
        # a, b, struct, evo, data, runtime, flags x4, signals, hidden
        ("billing", "catalog", 3, 25.0, 1, 0, True, True, True, False, 3, False),
        ("billing", "orders", 0, 12.0, 2, 40, False, True, True, True, 3, True),
        ("catalog", "orders", 1, 0.0, 0, 5, True, False, False, False, 1, False),
    ])


@pytest.fixture
def contexts():
    return pd.DataFrame({
        "context": ["billing", "catalog", "orders", "search"],
        "commits": [10, 40, 5, 0],
        "commits_recent": [3, 20, 1, 0],
    })


def empty_pairs():
    return make_pairs([])


def annotation_texts(fig):
    return [a.text for a in fig.layout.annotations]


# --- escaping --------------------------------------------------------------------------

def test_label_escapes_markup_that_plotly_would_render():
    assert figures.label("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert figures.label("it's \"q\"") == "it's \"q\""  # plotly would show &quot; literally
    assert figures.label(None) == ""
    assert figures.label(float("nan")) == ""


# --- context graph ---------------------------------------------------------------------

def test_context_graph_traces_and_lanes(pairs, contexts):
    fig = figures.context_graph(pairs, contexts)
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names == ["hidden coupling (not in imports)", "structural", "evolutionary", "data", "runtime", "pair details", "contexts"]
    by_name = {t.name: t for t in fig.data}
    # a segment is (x0, x1, None): 3 values per coupled pair
    assert len(by_name["structural"].x) == 3 * 2      # billing-catalog, catalog-orders
    assert len(by_name["evolutionary"].x) == 3 * 2    # billing-catalog, billing-orders
    assert len(by_name["data"].x) == 3 * 2
    assert len(by_name["runtime"].x) == 3 * 1         # only billing-orders reaches the threshold
    assert len(by_name["hidden coupling (not in imports)"].x) == 3 * 1
    nodes = by_name["contexts"]
    assert list(nodes.text) == ["billing", "catalog", "orders", "search"]  # search: declared, no pair
    sizes = dict(zip(nodes.text, nodes.marker.size))
    assert sizes["catalog"] > sizes["billing"] > sizes["orders"] > sizes["search"] == 14
    assert len(by_name["pair details"].x) == 3


def test_context_graph_layout_is_deterministic(pairs, contexts):
    one = figures.context_graph(pairs, contexts)
    two = figures.context_graph(pairs.sample(frac=1, random_state=3), contexts.iloc[::-1])
    assert list(one.data[-1].x) == list(two.data[-1].x)
    assert list(one.data[-1].y) == list(two.data[-1].y)


def test_graph_layout_puts_sorted_contexts_on_a_circle():
    pos = figures.graph_layout(["c", "a", "d", "b"])
    assert list(pos) == ["a", "b", "c", "d"]
    assert pos["a"] == pytest.approx((0.0, 1.0))   # top
    assert pos["b"] == pytest.approx((1.0, 0.0))   # then clockwise
    assert pos["c"] == pytest.approx((0.0, -1.0))
    assert figures.graph_layout(["only"]) == {"only": (0.0, 0.0)}
    assert figures.graph_layout([]) == {}


def test_context_graph_escapes_names_in_text_and_hover(contexts):
    p = make_pairs([("<img src=x onerror=alert(1)>", "billing", 2, 0.0, 0, 0, True, False, False, False, 1, False)])
    fig = figures.context_graph(p, contexts)
    nodes = fig.data[-1]
    assert "&lt;img src=x onerror=alert(1)&gt;" in nodes.text
    assert all("<img" not in h for h in nodes.hovertext)
    assert all("<img" not in h for h in fig.data[-2].hovertext)


def test_context_graph_single_context():
    fig = figures.context_graph(empty_pairs(), pd.DataFrame({"context": ["only"], "commits": [3]}))
    assert list(fig.data[-1].text) == ["only"]
    assert all(len(t.x) == 0 for t in fig.data[:5])


def test_context_graph_empty_says_no_data():
    fig = figures.context_graph(empty_pairs(), pd.DataFrame({"context": [], "commits": []}))
    assert len(fig.data) == 0
    assert annotation_texts(fig) == ["no data"]


# --- coupling matrix -------------------------------------------------------------------

def test_coupling_matrix_is_symmetric_with_blank_diagonal(pairs):
    fig = figures.coupling_matrix(pairs, "runtime")
    heat = fig.data[0]
    # clustered: billing-orders (40 calls) first, catalog joins at orders (5), not at billing (0)
    assert list(heat.x) == list(heat.y) == ["billing", "orders", "catalog"]
    z = [list(row) for row in heat.z]
    assert z == [[None, 40.0, 0.0], [40.0, None, 5.0], [0.0, 5.0, None]]
    assert "below threshold" in heat.hovertext[0][2] and "coupled" in heat.hovertext[0][1]
    assert fig.layout.xaxis.title.text == "context (ordered by clustering)" and fig.layout.yaxis.title.text == "context"
    assert "calls" in fig.layout.title.text


def test_coupling_matrix_includes_declared_contexts_without_pairs(pairs):
    fig = figures.coupling_matrix(pairs, "data", contexts=["billing", "catalog", "orders", "search"],
                                  order=["billing", "catalog", "orders", "search"])
    assert list(fig.data[0].x) == ["billing", "catalog", "orders", "search"]
    assert list(fig.data[0].z[3]) == [0.0, 0.0, 0.0, None]
    clustered = figures.coupling_matrix(pairs, "data", contexts=["billing", "catalog", "orders", "search"])
    # billing-orders (2 tables) first; catalog (1 table with billing) joins billing's end; search last
    assert list(clustered.data[0].x) == ["orders", "billing", "catalog", "search"]


def test_coupling_matrix_rejects_unknown_signal(pairs):
    with pytest.raises(ValueError, match="structural, evolutionary, data, runtime"):
        figures.coupling_matrix(pairs, "vibes")


def test_coupling_matrix_empty_says_no_data():
    fig = figures.coupling_matrix(empty_pairs(), "structural")
    assert len(fig.data) == 0 and annotation_texts(fig) == ["no data"]


# --- quadrant --------------------------------------------------------------------------

def test_coupling_per_context_counts_partners_and_signals(pairs, contexts):
    per = figures.coupling_per_context(pairs, contexts["context"]).set_index("context")
    assert per.loc["billing"].tolist() == [2, 6]   # partners catalog + orders; 3 + 3 signals
    assert per.loc["catalog"].tolist() == [2, 4]
    assert per.loc["orders"].tolist() == [2, 4]
    assert per.loc["search"].tolist() == [0, 0]


def test_change_coupling_quadrant_points_and_median_lines(pairs, contexts):
    fig = figures.change_coupling_quadrant(contexts, pairs)
    assert len(fig.data) == 1
    points = fig.data[0]
    assert list(points.x) == [6, 4, 4, 0] and list(points.y) == [3, 20, 1, 0]
    assert list(points.text) == ["billing", "catalog", "orders", "search"]
    vertical, horizontal = fig.layout.shapes
    assert vertical.x0 == vertical.x1 == 4.0          # median of 6, 4, 4, 0
    assert horizontal.y0 == horizontal.y1 == 2.0      # median of 3, 20, 1, 0
    assert fig.layout.yaxis.title.text == "recent commits"
    assert "coupling" in fig.layout.xaxis.title.text
    assert "changed often, loosely coupled" in annotation_texts(fig)


def test_change_coupling_quadrant_without_pairs(contexts):
    fig = figures.change_coupling_quadrant(contexts, empty_pairs())
    assert list(fig.data[0].x) == [0, 0, 0, 0]


def test_change_coupling_quadrant_empty_says_no_data():
    fig = figures.change_coupling_quadrant(pd.DataFrame({"context": [], "commits_recent": []}), empty_pairs())
    assert annotation_texts(fig) == ["no data"]


# --- load over time --------------------------------------------------------------------

@pytest.fixture
def curves():
    ts = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:05", "2024-01-01 03:10", "2024-01-01 00:05"], utc=True)
    return pd.DataFrame({"context": ["a", "a", "a", "b"], "bucket": ts, "requests": [1, 1, 1, 1],
                         "spans": [1, 1, 1, 1], "self_time_ms": [1000.0, 500.0, 2000.0, 6000.0]})


def test_load_by_period_sums_and_fills_gaps(curves):
    wide = figures.load_by_period(curves, "1h")
    assert list(wide.columns) == ["b", "a"]  # largest total first
    assert wide["a"].tolist() == [1500.0, 0.0, 0.0, 2000.0]
    assert wide["b"].tolist() == [6000.0, 0.0, 0.0, 0.0]


def test_load_over_time_stacked_areas(curves):
    fig = figures.load_over_time(curves, "1h")
    assert [t.name for t in fig.data] == ["b", "a"]
    assert all(t.stackgroup == "load" for t in fig.data)
    assert list(fig.data[1].y) == [1.5, 0.0, 0.0, 2.0]   # seconds
    assert fig.layout.yaxis.title.text == "self time per 1h (s)"
    assert fig.layout.xaxis.title.text == "time (UTC)"


def test_load_over_time_normalized(curves):
    fig = figures.load_over_time(curves, "1h", normalized=True)
    assert fig.data[0].groupnorm == "percent"
    assert fig.layout.yaxis.title.text == "share of self time (%)"


def test_load_over_time_empty_says_no_data():
    empty = pd.DataFrame({"context": [], "bucket": pd.to_datetime([], utc=True), "self_time_ms": []})
    assert annotation_texts(figures.load_over_time(empty)) == ["no data"]
    assert annotation_texts(figures.load_over_time(empty, normalized=True)) == ["no data"]


# --- ranking ---------------------------------------------------------------------------

@pytest.fixture
def ranking():
    return pd.DataFrame({
        "rank": [2, 1], "context": ["b", "a"], "score": [0.3, 0.6],
        "boundary_clarity": [0.5, 1.0], "write_isolation": [0.0, 0.5], "change_pain": [1.0, 0.25],
        "scaling_asymmetry": [0.0, 1.0], "team_conflict": [0.0, 0.0],
    })


def test_ranking_breakdown_one_bar_segment_per_component(ranking):
    fig = figures.ranking_breakdown(ranking)
    assert [t.name for t in fig.data] == ["boundary clarity", "write isolation", "change pain", "scaling asymmetry", "team conflict"]
    assert fig.layout.barmode == "stack"
    assert list(fig.data[0].y) == ["a", "b"]            # rank order
    assert list(fig.data[0].x) == [1.0, 0.5]            # as given without weights
    assert fig.layout.yaxis.title.text == "context"


def test_ranking_breakdown_weighted_bars_add_up_to_the_score(ranking):
    weights = {"boundary_clarity": 0.3, "write_isolation": 0.2, "change_pain": 0.2, "scaling_asymmetry": 0.2, "team_conflict": 0.1}
    fig = figures.ranking_breakdown(ranking, weights)
    totals = [sum(t.x[i] for t in fig.data) for i in range(2)]
    # a: 0.3*1 + 0.2*0.5 + 0.2*0.25 + 0.2*1 = 0.65 ; b: 0.3*0.5 + 0.2*1 = 0.35 (weights sum to 1)
    assert totals == pytest.approx([0.65, 0.35])
    assert fig.layout.xaxis.title.text == "weighted score"


def test_ranking_breakdown_empty_says_no_data():
    assert annotation_texts(figures.ranking_breakdown(pd.DataFrame(columns=["rank", "context", "score"]))) == ["no data"]
    no_components = pd.DataFrame({"rank": [1], "context": ["a"], "score": [1.0]})
    assert annotation_texts(figures.ranking_breakdown(no_components)) == ["no score components in the ranking"]


def test_load_over_time_with_a_single_period_says_so_instead_of_an_axis():
    ts = pd.to_datetime(["2024-01-01 10:05", "2024-01-01 10:40"], utc=True)
    curves = pd.DataFrame({"context": ["a", "b"], "bucket": ts, "self_time_ms": [1500.0, 500.0]})
    fig = figures.load_over_time(curves, "1h")
    assert len(fig.data) == 0
    (text,) = annotation_texts(fig)
    assert "one 1h period only" in text and "2024-01-01 10:00" in text and "2.0 s" in text
    assert len(figures.load_over_time(curves, "5min").data) == 2   # two 5-minute periods make a curve (10:05 and 10:40, gaps 0)


def test_load_over_time_without_self_time_says_so():
    ts = pd.to_datetime(["2024-01-01 10:05", "2024-01-01 12:40"], utc=True)
    curves = pd.DataFrame({"context": ["a", "a"], "bucket": ts, "self_time_ms": [0.0, 0.0]})
    fig = figures.load_over_time(curves, "1h")
    assert len(fig.data) == 0 and "no self time" in annotation_texts(fig)[0]


# --- label geometry --------------------------------------------------------------------

def test_matrix_ticks_turn_upright_only_when_the_labels_do_not_fit_side_by_side(pairs):
    assert figures.coupling_matrix(pairs, "data").layout.xaxis.tickangle == 0
    many = make_pairs([(f"context-{i:02d}", f"context-{i + 1:02d}", 1, 0.0, 0, 0, True, False, False, False, 1, False)
                       for i in range(30)])
    fig = figures.coupling_matrix(many, "structural")
    assert fig.layout.xaxis.tickangle == -90 and fig.layout.xaxis.automargin
    assert fig.data[0].colorbar.title.side == "right"   # beside the ticks, never across them


def test_change_coupling_quadrant_says_what_its_lines_are_and_labels_each_point_once(pairs, contexts):
    fig = figures.change_coupling_quadrant(contexts, pairs)
    texts = annotation_texts(fig)
    assert "median coupling: 4" in texts and "median recent<br>commits: 2" in texts
    assert sorted(t for t in texts if t in {"billing", "catalog", "orders", "search"}) == ["billing", "catalog", "orders", "search"]


def test_change_coupling_quadrant_crowded_points_get_leader_lines_or_hover():
    names = [f"context-{i:02d}" for i in range(24)]
    contexts = pd.DataFrame({"context": names, "commits": 1, "commits_recent": [5] * 24})   # all on one spot
    fig = figures.change_coupling_quadrant(contexts, empty_pairs())
    labelled = [a for a in fig.layout.annotations if a.text in names]
    assert any(a.showarrow for a in labelled)                      # leader lines
    hidden = len(names) - len(labelled)
    assert (f"{hidden} crowded labels on hover only" in fig.layout.title.text) == (hidden > 0)


# --- no evidence against 0, and the dependency structure matrix ------------------------

def test_coupling_matrix_draws_a_pair_without_evidence_unlike_a_zero(pairs):
    unknown_pair = pairs.copy()
    unknown_pair.loc[1, "runtime"] = float("nan")          # billing-orders: not measured
    fig = figures.coupling_matrix(unknown_pair, "runtime", order=["billing", "catalog", "orders"])
    values, missing = fig.data
    assert missing.name == "no evidence" and missing.showscale is False
    assert values.z[0][2] is None and missing.z[0][2] == 1 and missing.text[0][2] == "–"
    assert "not measured" in missing.hovertext[0][2]
    assert values.z[0][1] == 0.0 and values.text[0][1] == "0" and missing.z[0][1] is None   # a measured 0 stays a 0
    assert missing.colorscale[0][1] == "#BDBDBD"                 # grey, not the scale's 0 (white)
    assert "not measured" in fig.layout.title.text


def test_coupling_matrix_marks_every_pair_of_a_context_the_signal_cannot_see(pairs, contexts):
    fig = figures.coupling_matrix(pairs, "runtime", contexts=contexts["context"], order=["billing", "catalog", "orders", "search"],
                                  unmeasured={"search": "emits no spans"})
    values, missing = fig.data
    assert [missing.z[3][j] for j in range(3)] == [1, 1, 1] and missing.z[3][3] is None   # the diagonal stays blank
    assert [values.z[j][3] for j in range(3)] == [None, None, None]
    assert "emits no spans" in missing.hovertext[0][3]
    plain = figures.coupling_matrix(pairs, "runtime")
    assert all(m is None for row in plain.data[1].z for m in row) and "not measured" not in plain.layout.title.text


def structure_edges():
    # api -> (orders <-> billing) -> core; 2 rows api->orders with evidence
    return pd.DataFrame({
        "source": ["api", "orders", "billing", "orders"], "target": ["orders", "billing", "orders", "core"],
        "edges": [2, 1, 3, 1], "files": [1, 1, 2, 1],
        "evidence": [["api/v.py:3", "api/v.py:9"], ["orders/m.py:1"], ["billing/a.py:1", "billing/b.py:2", "billing/b.py:5", "billing/c.py:7"],
                     ["orders/m.py:2"]],
    })


def test_dependency_structure_matrix_is_levelized_with_cycles_outlined():
    fig = figures.dependency_structure_matrix(structure_edges(), ["api", "billing", "core", "orders", "lonely"])
    heat = fig.data[0]
    assert list(heat.y) == ["core", "lonely", "billing", "orders", "api"]   # level 0, the cycle together, the top
    order = list(heat.y)
    z = {(order[i], order[j]): heat.z[i][j] for i in range(5) for j in range(5) if heat.z[i][j] is not None}
    assert z == {("api", "orders"): 2, ("orders", "billing"): 1, ("billing", "orders"): 3, ("orders", "core"): 1}
    above = [(a, b) for (a, b) in z if order.index(b) > order.index(a)]
    assert above == [("billing", "orders")]                                  # above the diagonal: only inside the cycle
    red = [s for s in fig.layout.shapes if s.line.color == "#E45756"]
    assert len(red) == 1 and (red[0].x0, red[0].x1) == (1.5, 3.5)           # the billing-orders block
    assert "1 import cycle" in fig.layout.title.text
    # levels: core, lonely (0) | billing, orders (1) | api (2): lines after rows 2 and 4, across and down
    parts = sorted({s.y0 for s in fig.layout.shapes if s.type == "line" and s.y0 == s.y1})
    assert parts == [1.5, 3.5]
    assert sorted({s.x0 for s in fig.layout.shapes if s.type == "line" and s.x0 == s.x1}) == [1.5, 3.5]
    i, j = order.index("billing"), order.index("orders")
    assert "billing/a.py:1" in heat.hovertext[i][j] and "… and 1 more" in heat.hovertext[i][j]
    assert "part of an import cycle" in heat.hovertext[i][j]


def test_dependency_structure_matrix_unknown_and_acyclic():
    assert "no evidence — no import graph" in annotation_texts(figures.dependency_structure_matrix(None, ["a", "b"], unknown="no import graph"))[0]
    edges = pd.DataFrame({"source": ["a<b>"], "target": ["c"], "edges": [1]})
    fig = figures.dependency_structure_matrix(edges, [])
    assert list(fig.data[0].x) == ["c", "a&lt;b&gt;"] and "no import cycle" in fig.layout.title.text


def test_a_wide_coupling_matrix_leaves_zeros_blank_but_keeps_no_evidence_marked():
    names = [f"c{i:02d}" for i in range(16)]
    rows = [(a, b, 0, 0.0, 0, 3 if (a, b) == ("c00", "c01") else 0, False, False, False, False, 0, False)
            for i, a in enumerate(names) for b in names[i + 1:]]
    fig = figures.coupling_matrix(make_pairs(rows), "runtime", order=names, unmeasured={"c15": "emits no spans"})
    values, missing = fig.data
    assert values.z[0][2] == 0.0 and values.text[0][2] == ""            # a 0: pale and blank
    assert values.text[0][1] == "3"
    assert missing.text[0][15] == "–" and values.z[0][15] is None         # no evidence: grey and marked
    assert "a blank cell is 0" in fig.layout.xaxis.title.text


# --- the dependency graph at scale ----------------------------------------------------

def many_pairs(n):
    """A chain c00-c01-...; the structural value of pair i is i + 1; every pair coupled in structure only."""
    names = [f"c{i:02d}" for i in range(n)]
    return make_pairs([(names[i], names[i + 1], i + 1, 0.0, 0, 0, True, False, False, False, 1, False) for i in range(n - 1)])


def test_the_graph_draws_only_the_strongest_pairs_per_signal_past_twelve_contexts():
    pairs = many_pairs(30)
    contexts = pd.DataFrame({"context": sorted(set(pairs["context_a"]) | set(pairs["context_b"])), "commits": 1})
    fig = figures.context_graph(pairs, contexts)
    structural = next(t for t in fig.data if t.name.startswith("structural"))
    assert structural.name == "structural: strongest 15 of 29 pairs"
    assert len(structural.x) == 3 * 15
    details = next(t for t in fig.data if t.name == "pair details")
    shown = sorted(int(h.split("structural: ")[1].split(" ")[0]) for h in details.hovertext)
    assert shown == list(range(15, 30))                                  # the 15 strongest: values 15..29
    assert all("c" in h and "↔" in h for h in details.hovertext)        # each pair's evidence on hover
    assert len(figures.context_graph(many_pairs(8), contexts.head(8)).data[1].x) == 3 * 7   # small: every pair


def test_the_graph_labels_every_context_once_and_seats_coupled_contexts_side_by_side():
    import math

    pairs = many_pairs(30)
    contexts = pd.DataFrame({"context": sorted(set(pairs["context_a"]) | set(pairs["context_b"])), "commits": range(30)})
    fig = figures.context_graph(pairs, contexts)
    labels = [a for a in fig.layout.annotations if a.text.startswith("c")]
    assert sorted(a.text for a in labels) == list(contexts["context"])   # none left to the hover here
    node = fig.data[-1]
    at = {t: (x, y) for t, x, y in zip(node.text, node.x, node.y)}
    neighbour = 2 * math.sin(math.pi / 30)                                # chord between neighbours on the circle
    for i in range(29):                                                   # a chain: every link between neighbours
        a, b = at[f"c{i:02d}"], at[f"c{i + 1:02d}"]
        assert math.dist(a, b) == pytest.approx(neighbour)


def placed_boxes(fig, names):
    """The figure's label annotations for ``names``."""
    return [a for a in fig.layout.annotations if a.text in names]


def test_runtime_graph_labels_each_context_once_as_annotations():
    names = [f"ctx-{i:02d}" for i in range(20)]
    calls = pd.DataFrame({"caller": names, "callee": names[1:] + names[:1], "mode": "sync", "calls": 5,
                          "mean_ms": 1.0, "error_share": 0.0})
    fig = figures.runtime_graph(calls)
    labels = placed_boxes(fig, names)
    assert sorted(a.text for a in labels) == names
    contexts = next(t for t in fig.data if t.name == "contexts")
    assert contexts.mode == "markers"                      # no plotly text labels left to collide
    assert fig.layout.height > 600                         # taller past twelve contexts
    assert "the strongest 12 of 20 arrows" in fig.layout.title.text
    strongest = calls.assign(calls=range(1, 21))           # ctx-19 -> ctx-00 the strongest, ctx-00 -> ctx-01 the weakest
    details = next(t for t in figures.runtime_graph(strongest).data if t.name == "call details")
    assert len(details.hovertext) == 12 and "ctx-19 → ctx-00" in details.hovertext[0]
    assert not any(h.startswith("ctx-00 → ctx-01") for h in details.hovertext)


def test_cochange_network_labels_contexts_but_not_files():
    edges = pd.DataFrame({"a": ["a<x>", "b", "c"], "b": ["b", "c", "a<x>"], "degree": [30.0, 20.0, 10.0]})
    fig = figures.cochange_network(edges)
    assert sorted(a.text for a in fig.layout.annotations) == ["a&lt;x&gt;", "b", "c"]
    files = figures.cochange_network(edges, group_of={"a<x>": "one", "b": "one", "c": "two"})
    assert len(files.layout.annotations) == 0               # files are many: named on hover only
    assert figures.cochange_network(edges).to_json() == fig.to_json()   # seeded layout: the same figure twice


def test_team_context_heatmap_is_ordered_by_clustering_not_alphabetically():
    from analysis.outputs.figures import explore

    matrix = pd.DataFrame({"team": ["t1", "t1", "t2", "t3", "t3"], "context": ["a", "c", "b", "a", "c"],
                           "commits": [5, 3, 7, 4, 6]})
    fig = explore.team_context_heatmap(matrix, 90)
    heat = fig.data[0]
    columns, rows = list(heat.x), list(heat.y)
    assert abs(rows.index("t1") - rows.index("t3")) == 1 and rows[1] != "t2"
    assert abs(columns.index("a") - columns.index("c")) == 1 and columns[1] != "b"


def test_pair_evidence_lists_what_each_signal_rests_on():
    import numpy as np

    edges = structure_edges()
    lines = figures.pair_evidence("structural", edges, shown=2)
    assert lines[("billing", "orders")] == ["orders → billing: 1 import rows (orders/m.py:1)",
                                            "billing → orders: 3 import rows (billing/a.py:1, billing/b.py:2 … and 2 more)"]
    tables = pd.DataFrame({"context_a": ["b"], "context_b": ["a"], "tables": [np.array(["t<1>", "s", "u", "v"])]})
    assert figures.pair_evidence("data", tables, shown=3)[("a", "b")] == ["tables: s, t&lt;1&gt;, u … and 1 more"]
    calls = pd.DataFrame({"caller": ["x", "y"], "callee": ["y", "x"], "mode": ["sync", "async"], "calls": [1200, 3]})
    assert figures.pair_evidence("runtime", calls)[("x", "y")] == ["x → y (sync): 1,200 calls", "y → x (async): 3 calls"]
    assert figures.pair_evidence("evolutionary", None) == {}
    with pytest.raises(ValueError, match="valid signals"):
        figures.pair_evidence("vibes", calls)


def test_the_no_evidence_layer_never_hides_the_hover_of_the_values_beneath(pairs):
    fig = figures.coupling_matrix(pairs, "runtime", unmeasured={"catalog": "emits no spans"})
    values, missing = fig.data
    assert missing.hoverongaps is False and values.hoverongaps is False


def test_change_coupling_quadrant_labels_keep_off_the_median_lines():
    # coupling: a, b 4 signals; c, d 2 (the median); e 0. "a" sits just under the horizontal
    # median of recent commits (5): its label above would cross the line
    pairs = make_pairs([("a", "b", 1, 20.0, 1, 20, True, True, True, True, 4, False),
                        ("c", "d", 1, 20.0, 0, 0, True, True, False, False, 2, False)])
    contexts = pd.DataFrame({"context": ["a", "b", "c", "d", "e"], "commits": 1, "commits_recent": [4.5, 9, 5, 1, 5]})
    fig = figures.change_coupling_quadrant(contexts, pairs)
    assert list(fig.data[0].x) == [4, 4, 2, 2, 0]
    (label_a,) = [a for a in fig.layout.annotations if a.text == "a"]
    assert (label_a.yshift is not None and label_a.yshift < 0) or (label_a.showarrow and label_a.ay > 0)   # below it
    (label_b,) = [a for a in fig.layout.annotations if a.text == "b"]
    assert label_b.yshift > 0 and label_b.xshift == 0                           # far from the lines: just above


def test_shapes_and_annotations_added_at_once_make_the_figure_added_one_at_a_time_makes():
    import plotly.graph_objects as go

    from analysis.outputs.figures.common import add_annotations, add_shapes

    shapes = [{"type": "rect", "x0": i - 0.5, "x1": i + 0.5, "y0": 0, "y1": 1, "line": {"width": 0}} for i in range(3)]
    notes = [{"x": i, "y": 1, "text": f"n{i}", "showarrow": False} for i in range(2)]
    one_by_one, at_once = go.Figure(), go.Figure()
    for fig in (one_by_one, at_once):
        fig.add_shape(type="line", x0=0, x1=1, y0=0, y1=0)  # one there before
        fig.add_annotation(x=0, y=0, text="first")
    for shape in shapes:
        one_by_one.add_shape(**shape)
    for note in notes:
        one_by_one.add_annotation(**note)
    add_shapes(at_once, shapes)
    add_annotations(at_once, notes)
    add_shapes(at_once, [])
    assert at_once.to_plotly_json() == one_by_one.to_plotly_json()
    assert [s.x0 for s in at_once.layout.shapes] == [0, -0.5, 0.5, 1.5]
    assert [a.text for a in at_once.layout.annotations] == ["first", "n0", "n1"]
