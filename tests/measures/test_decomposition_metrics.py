"""The decomposition metrics and MoJo on small literal graphs with hand-computed values."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

from analysis.measures.decomposition import metrics
from analysis.measures.decomposition.mojo import max_mno, mno, mojo, mojofm

# a - b (2), c - d (2), b - c (1): two pairs joined by a light bridge
EDGES = pd.DataFrame({"unit_a": ["a", "c", "b"], "unit_b": ["b", "d", "c"], "weight": [2.0, 2.0, 1.0]})
TWO = {"a": 0, "b": 0, "c": 1, "d": 1}


def test_modularity_by_hand_and_as_networkx_computes_it():
    # W = 5; inside 2 + 2; degrees 5 and 5: 2/5 - (5/10)^2 twice
    assert metrics.modularity(EDGES, TWO) == pytest.approx(0.3)
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(EDGES["unit_a"], EDGES["unit_b"], EDGES["weight"]))
    assert metrics.modularity(EDGES, TWO) == pytest.approx(nx.community.modularity(graph, [{"a", "b"}, {"c", "d"}], weight="weight"))
    assert metrics.modularity(EDGES, {"a": 0, "b": 0, "c": 0, "d": 0}) == pytest.approx(0.0)


def test_structural_modularity_icp_ifn_mq_by_hand():
    # scoh = 1/2^2 each; scop = 1 / (2*2*2); SM = 1/4 - 1/8
    assert metrics.structural_modularity(EDGES, TWO) == pytest.approx(0.125)
    assert metrics.icp(EDGES, TWO) == pytest.approx(1 / 5)
    assert metrics.ifn(EDGES, TWO) == pytest.approx(1.0)  # b and c, one per part
    # CF = 2*2 / (2*2 + 1) per part
    assert metrics.mq(EDGES, TWO) == pytest.approx(1.6)
    one = {u: 0 for u in "abcd"}
    assert metrics.icp(EDGES, one) == 0 and metrics.mq(EDGES, one) == pytest.approx(1.0)
    assert metrics.structural_modularity(EDGES, one) == pytest.approx(3 / 16)


def test_ned_counts_units_in_extreme_parts():
    assert metrics.ned(TWO, 5, 20) == pytest.approx(1.0)
    assert metrics.ned(TWO, 2, 3) == pytest.approx(0.0)
    assert metrics.ned({**TWO, "e": 2}, 2, 3) == pytest.approx(1 / 5)


def test_bcp_is_the_mean_label_entropy_of_the_parts():
    labels = {"a": {"x"}, "b": {"x"}, "c": {"x", "y"}, "d": {"y"}}
    # part 0: x, x -> 0 bits; part 1: x, y, y -> H(1/3, 2/3)
    h = -(1 / 3 * math.log2(1 / 3) + 2 / 3 * math.log2(2 / 3))
    assert metrics.bcp(labels, TWO) == pytest.approx(h / 2)
    assert metrics.bcp({}, TWO) is None


def test_spanning_share_judges_groups_with_a_placed_unit():
    share, judged = metrics.spanning_share([{"a", "b"}, {"b", "c"}, {"d"}, {"z"}], TWO)
    assert (share, judged) == (pytest.approx(1 / 3), 3)


def test_a_spanning_share_is_not_measurable_when_no_group_reaches_two_units():
    # every trace reaches one known unit only (seen on NetBox: job spans carry a code namespace,
    # requests none): no partition can be seen to split a trace, so the share is not 0 but unknown
    one_each = {frozenset({"a"}): 5, frozenset({"d"}): 2}
    assert metrics.partition_metrics(EDGES, TWO, traces=one_each, transactions=one_each)["traces_spanning"] is None
    assert metrics.partition_metrics(EDGES, TWO, transactions=one_each)["transactions_spanning"] is None
    both = {frozenset({"a", "c"}): 1, frozenset({"d"}): 3}
    assert metrics.partition_metrics(EDGES, TWO, traces=both)["traces_spanning"] == pytest.approx(1 / 4)


def test_unplaced_units_and_missing_parts_are_left_out():
    assert metrics.modularity(EDGES.iloc[:0], TWO) is None
    assert metrics.icp(EDGES, {"a": 0, "b": 0, "c": None}) == 0.0  # only a-b is placed at both ends
    assert metrics.partition_metrics(EDGES, {})["parts"] == 0


def test_mojo_moves_and_joins_by_hand():
    a = {1: "A1", 2: "A1", 3: "A1", 4: "A2", 5: "A2"}
    b = {1: "B1", 2: "B1", 3: "B2", 4: "B2", 5: "B2"}
    assert mno(a, b) == 1  # move 3
    assert max_mno(b) == 3  # sizes 2, 3: g = 2; n - g
    assert mojofm(a, b) == pytest.approx(100 * (1 - 1 / 3))
    assert mojo(a, b) == 1


def test_mojo_joins_and_the_farthest_partition():
    singletons = {i: f"s{i}" for i in range(4)}
    whole = {i: "all" for i in range(4)}
    assert mno(singletons, whole) == 3  # three joins
    assert mno(whole, singletons) == 3  # three moves
    assert mojofm(singletons, whole) == 0.0 and mojofm(whole, whole) == 100.0


def test_mojo_ties_are_resolved_by_a_maximum_matching():
    a = {1: "A1", 2: "A1", 3: "A2", 4: "A2"}
    b = {1: "B1", 3: "B1", 2: "B2", 4: "B2"}
    # each A cluster ties between B1 and B2: one move each, and a matching gives both groups (no join)
    assert mno(a, b) == 2 and max_mno(b) == 2 and mojofm(a, b) == 0.0


def test_mojofm_compares_the_units_both_place():
    assert mojofm({1: "a"}, {2: "b"}) is None
    assert mojofm({1: "a", 2: "a", 9: "z"}, {1: "x", 2: "x"}) == 100.0


def test_bcp_is_the_same_whatever_the_order_of_the_labels():
    # a part holding many labels in uneven counts: a plain sum's rounding follows the order
    # in which a set of names is walked, which the hash seed decides
    names = [f"team-{i}" for i in range(23)]
    labels = {f"u{i}": names[: 1 + (i * 7) % 23] for i in range(40)}
    parts = {unit: "one" for unit in labels}
    reversed_labels = {unit: list(reversed(v)) for unit, v in reversed(list(labels.items()))}
    first = metrics.bcp(labels, parts)
    for seed in range(12):
        shuffled = dict(sorted(labels.items(), key=lambda kv: hash((seed, kv[0]))))
        shuffled = {unit: sorted(v, key=lambda n: hash((seed, n))) for unit, v in shuffled.items()}
        assert metrics.bcp(shuffled, parts) == first
    assert metrics.bcp(reversed_labels, parts) == first
