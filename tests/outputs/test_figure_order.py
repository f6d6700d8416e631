import pandas as pd

from analysis.measures.coupling.structural import levelize
from analysis.outputs.figures.order import cluster_order, levelized_order


def test_cluster_order_puts_coupled_contexts_side_by_side():
    # two clusters, {a, c, e} and {b, d}, interleaved by the alphabet
    weights = {("a", "c"): 5, ("c", "e"): 4, ("a", "e"): 3, ("b", "d"): 6, ("e", "b"): 0.5}
    order = cluster_order(["a", "b", "c", "d", "e"], weights)
    assert order == ["a", "c", "e", "b", "d"]
    blocks = [set(order[:3]), set(order[3:])]
    assert {"b", "d"} in blocks and {"a", "c", "e"} in blocks
    assert abs(order.index("e") - order.index("b")) == 1      # the clusters meet at their one link


def test_cluster_order_reads_weights_either_way_round_and_ignores_nan():
    assert cluster_order(["x", "y", "z"], {("z", "x"): 3.0, ("x", "y"): float("nan")}) == \
        cluster_order(["x", "y", "z"], {("x", "z"): 3.0})


def test_cluster_order_without_coupling_is_alphabetical_and_small_inputs_pass_through():
    assert cluster_order(["c", "a", "b", "d"], {}) == ["a", "b", "c", "d"]
    assert cluster_order(["b", "a"], {("a", "b"): 1}) == ["a", "b"]
    assert cluster_order([], {}) == []
    assert cluster_order(["a", "a", "b", "c"], {}) == ["a", "b", "c"]


def test_levelized_order_keeps_a_cycle_together_and_levels_bottom_up():
    # app -> (x <-> z) -> base; m depends on nothing, same level as base; "n" sits between x and z by name
    edges = pd.DataFrame({"source": ["app", "x", "z", "x", "n"], "target": ["x", "z", "x", "base", "base"], "edges": 1})
    levels = levelize(edges, ["m"])
    order = levelized_order(levels)
    assert order[:2] == ["base", "m"]                         # level 0, by name
    assert order.index("app") == len(order) - 1               # the top level last
    x, z = order.index("x"), order.index("z")
    assert abs(x - z) == 1                                     # the cycle's members are adjacent, "n" not between
    assert levelized_order(levels.iloc[0:0]) == []


def test_grid_order_brings_alike_rows_and_columns_together():
    from analysis.outputs.figures.order import grid_order

    # teams t1 and t3 work in a and c; t2 in b; by the alphabet they interleave
    grid = pd.DataFrame({"a": [5, 0, 4], "b": [0, 7, 0], "c": [3, 0, 6]}, index=["t1", "t2", "t3"])
    rows, columns = grid_order(grid)
    assert abs(rows.index("t1") - rows.index("t3")) == 1 and rows[1] != "t2"
    assert abs(columns.index("a") - columns.index("c")) == 1 and columns[1] != "b"
    assert grid_order(grid) == (rows, columns)
    empty_rows, _ = grid_order(pd.DataFrame({"a": [0, 0, 0]}, index=["z", "y", "x"]))
    assert empty_rows == ["z", "y", "x"]                                     # nothing alike: the grid's order
