import math

import pandas as pd
import pytest

from analysis.core.settings import THRESHOLDS, WEIGHTS, defaults
from analysis.decisions import verdicts as rules
from analysis.decisions.ranking import boundary_clarity, rank_candidates, write_isolation
from analysis.decisions.recommendation import recommend
from analysis.measures.coupling.pairs import context_pairs, partners

T = defaults(THRESHOLDS)

ASYMMETRIC = [
    {"context": "ingestion", "compute_ratio_max": 40.0, "compared_to": "analytics", "peak_to_median": 25.0, "correlation_with_rest": -0.1},
    {"context": "orders", "compute_ratio_max": 3.0, "compared_to": "analytics", "peak_to_median": 2.0, "correlation_with_rest": 0.9},
]
FLAT = [{"context": "orders", "compute_ratio_max": 2.0, "compared_to": "a", "peak_to_median": 2.0, "correlation_with_rest": 0.9}]


def bottleneck(**kw):
    args = dict(cross_context_change_share=0.3, active_authors=20, active_teams=3, cross_team_change_share=0.2,
                scaling=ASYMMETRIC, deploys=None, thresholds=T)
    args.update(kw)
    return rules.bottleneck(**args)


def test_bottleneck_yes_when_two_pressures_hold():
    v = bottleneck(active_authors=4)  # coordination + scaling, team too small
    assert v.verdict == "YES"
    assert v.evidence["pressures"] == {"coordination": True, "team": False, "scaling": True}
    assert v.evidence["asymmetric_contexts"] == ["ingestion"]
    assert "deploy log" in " ".join(v.missing)
    assert v.thresholds["bottleneck_min_pressures"] == 2


def test_small_team_short_changes_flat_load_says_no():
    v = bottleneck(cross_context_change_share=0.05, active_authors=4, active_teams=1, cross_team_change_share=0.0, scaling=FLAT)
    assert v.verdict == "NO"
    assert v.evidence["pressures_held"] == []


def test_missing_traces_can_make_it_inconclusive():
    v = bottleneck(cross_context_change_share=0.3, active_authors=4, scaling=None)
    assert v.evidence["pressures"]["scaling"] is None
    assert v.verdict == "INCONCLUSIVE"
    assert any("traces" in m for m in v.missing)
    # with only one pressure possible, missing traces cannot reach two: NO
    v2 = bottleneck(cross_context_change_share=0.01, active_authors=4, scaling=None)
    assert v2.verdict == "NO"


def test_threshold_boundaries_are_inclusive():
    t = dict(T, cross_context_change_share=0.3)
    v = rules.bottleneck(cross_context_change_share=0.3, active_authors=1, active_teams=1, cross_team_change_share=0,
                         scaling=FLAT, deploys=None, thresholds=t)
    assert v.evidence["pressures"]["coordination"] is True


def test_modularize_in_place_rules():
    base = dict(import_edges_to_cut=3, context_edges_to_cut=[{"source": "a", "target": "b", "edges": 3}], cycles=[["a", "b"]],
                cross_context_imports=50, write_shared_tables=["t1", "t2"], cross_context_joins=1, sync_chains=2,
                thresholds=T)
    assert rules.modularize_in_place(**base).verdict == "YES"
    assert rules.modularize_in_place(**{**base, "import_edges_to_cut": 41}).verdict == "NO"
    many = [f"t{i}" for i in range(6)]
    no = rules.modularize_in_place(**{**base, "write_shared_tables": many})
    assert no.verdict == "NO" and no.evidence["checks"]["write_shared_tables"] is False
    assert rules.modularize_in_place(**{**base, "import_edges_to_cut": None}).verdict == "INCONCLUSIVE"
    no_sql = rules.modularize_in_place(**{**base, "write_shared_tables": None, "cross_context_joins": None})
    assert no_sql.verdict == "YES" and any("SQL" in m for m in no_sql.missing)


def cov(**kw):
    c = dict(contexts_declared=10, contexts_with_spans=[f"c{i}" for i in range(10)], contexts_without_spans=[],
             context_span_coverage=1.0, spans=1000, orphan_spans=0, orphan_span_share=0.0, consumer_spans=10,
             broken_async=0, broken_async_share=0.0, sql_trace_link_share=0.8)
    c.update(kw)
    return c


def test_observability_rules():
    assert rules.observability(coverage=cov(), has_sql=True, thresholds=T).verdict == "YES"
    partial = rules.observability(coverage=cov(context_span_coverage=0.8, contexts_without_spans=["search", "shipping"],
                                               broken_async_share=0.9), has_sql=True, thresholds=T)
    assert partial.verdict == "PARTIAL"
    assert partial.evidence["checks"] == {"context_span_coverage": False, "orphan_span_share": True,
                                          "broken_async_share": False, "sql_trace_link_share": True}
    assert "search" in partial.summary
    assert rules.observability(coverage=cov(context_span_coverage=0.4), has_sql=True, thresholds=T).verdict == "NO"
    assert rules.observability(coverage=None, has_sql=True, thresholds=T).verdict == "NO"
    # no consumers at all: broken async share is NaN and not judged
    assert rules.observability(coverage=cov(broken_async_share=math.nan), has_sql=False, thresholds=T).verdict == "YES"


def S(values):
    return pd.Series(values, dtype="string")


def test_context_pairs_and_hidden_coupling():
    structural = pd.DataFrame({"source": S(["a", "b"]), "target": S(["b", "a"]), "edges": [3, 1]})
    cochange = pd.DataFrame({"context_a": S(["a", "a"]), "context_b": S(["b", "c"]), "shared_commits": [10, 6], "revs_a": [20, 20], "revs_b": [30, 10], "degree": [40, 40]})
    data = pd.DataFrame({"context_a": S(["c"]), "context_b": S(["d"]), "shared_tables": [2], "tables": [["t1", "t2"]], "executions": [5]})
    calls = pd.DataFrame({"caller": S(["d", "c", "a"]), "callee": S(["c", "d", "d"]), "mode": S(["sync", "async", "sync"]), "calls": [8, 4, 3]})
    p = context_pairs(structural, cochange, data, calls).set_index(["context_a", "context_b"])
    assert p.loc[("a", "b"), "structural"] == 4 and p.loc[("a", "b"), "structural_coupled"]
    assert not p.loc[("a", "b"), "hidden"]
    assert p.loc[("a", "c"), "evolutionary_coupled"] and p.loc[("a", "c"), "hidden"]
    assert p.loc[("c", "d"), "runtime"] == 12 and p.loc[("c", "d"), "runtime_coupled"]
    assert p.loc[("c", "d"), "signals"] == 2 and p.loc[("c", "d"), "hidden"]
    assert p.loc[("a", "d"), "runtime"] == 3 and not p.loc[("a", "d"), "runtime_coupled"]  # under runtime_min_calls
    assert not p.loc[("a", "d"), "hidden"]
    assert partners(p.reset_index(), "a") == ["b", "c"]


def test_context_pairs_empty_inputs():
    p = context_pairs(None, None, None, None)
    assert p.empty and "hidden" in p.columns


def test_ranking_components_and_order():
    contexts = pd.DataFrame({"context": S(["a", "b", "c"]), "commits_recent": [10, 5, 0],
                             "asymmetry_score": [0.0, 0.9, float("nan")], "cross_team_share": [0.5, 0.0, 0.25]})
    pairs = context_pairs(pd.DataFrame({"source": S(["a"]), "target": S(["c"]), "edges": [2]}), None, None,
                          pd.DataFrame({"caller": S(["a"]), "callee": S(["c"]), "mode": S(["sync"]), "calls": [50]}))
    clarity = boundary_clarity(["a", "b", "c"], pairs)
    assert clarity.to_dict() == {"a": 1 - 2 / 8, "b": 1.0, "c": 1 - 2 / 8}
    tc = pd.DataFrame({"table": S(["t_a", "t_a", "t_b"]), "owner": S(["a", "a", "b"]), "context": S(["a", "c", "b"]),
                       "reads": [0, 0, 0], "writes": [30, 10, 5]})
    iso = write_isolation(["a", "b", "c"], tc)
    assert iso["a"] == pytest.approx(0.75) and iso["b"] == 1.0 and iso["c"] == 0.0
    r = rank_candidates(contexts, pairs, tc, defaults(WEIGHTS))
    assert list(r.columns) == ["rank", "context", "score", "boundary_clarity", "write_isolation", "change_pain", "scaling_asymmetry", "team_conflict"]
    row_b = r.set_index("context").loc["b"]
    expected_b = (0.3 * 1.0 + 0.2 * 1.0 + 0.2 * 0.5 + 0.2 * 0.9 + 0.1 * 0.0) / 1.0
    assert row_b["score"] == pytest.approx(expected_b)
    assert list(r["context"]) == ["b", "a", "c"] and list(r["rank"]) == [1, 2, 3]


def verdicts(b="YES", m="YES", o="PARTIAL", asymmetric=("ingestion",)):
    def v(key, verdict, **evidence):
        return rules.Verdict(key, verdict, "rule", {}, evidence, [], "summary")
    return {"bottleneck": v("bottleneck", b, asymmetric_contexts=list(asymmetric)),
            "modularize_in_place": v("modularize_in_place", m, context_edges_to_cut=[{"source": "ingestion", "target": "catalog", "edges": 2}]),
            "observability": v("observability", o)}


RANK = pd.DataFrame({"rank": [1, 2], "context": ["billing", "ingestion"], "score": [0.8, 0.7]})


def test_recommendation_rule_order():
    go = recommend(verdicts(), RANK)
    assert go["verdict"] == "GO" and go["extract_first"] == "ingestion"  # first asymmetric, not first ranked
    assert any("2 import lines" in s for s in go["next_steps"])
    assert any("observability" in s for s in go["next_steps"])
    assert recommend(verdicts(b="NO"), RANK)["verdict"] == "NO-GO"
    assert recommend(verdicts(b="NO"), RANK)["extract_first"] is None
    assert recommend(verdicts(b="INCONCLUSIVE"), RANK)["verdict"] == "INCONCLUSIVE"
    assert recommend(verdicts(o="NO"), RANK)["verdict"] == "NOT YET"
    in_place = recommend(verdicts(asymmetric=()), RANK)
    assert in_place["verdict"] == "NOT YET" and "Modularize in place" in in_place["headline"]
    assert recommend(verdicts(m="NO", asymmetric=()), RANK)["extract_first"] == "billing"


def test_merged_pull_requests_count_for_coordination():
    v = bottleneck(cross_context_change_share=0.05, cross_context_merge_share=0.4, active_authors=4, scaling=FLAT)
    assert v.evidence["coordination_share"] == 0.4 and v.evidence["pressures"]["coordination"] is True


def test_a_healthy_deploy_log_vetoes_coordination_pressure_but_tags_do_not():
    healthy = {"origin": "deploy-log", "proxy": False, "pressure": False}
    v = bottleneck(deploys=healthy)
    assert v.evidence["pressures"]["coordination"] is False and v.evidence["deploy_veto"] is True
    assert not any("deploy log" in m for m in v.missing)
    tags = {"origin": "release-tag", "proxy": True, "pressure": False}
    v2 = bottleneck(deploys=tags)
    assert v2.evidence["pressures"]["coordination"] is True
    assert any("release tags used as a proxy" in m for m in v2.missing)


def test_entry_point_coverage_is_judged_when_an_inventory_is_given():
    given = rules.observability(coverage=cov(entry_points_given=True, entry_point_coverage=0.5), has_sql=True, thresholds=T)
    assert given.verdict == "PARTIAL" and given.evidence["checks"]["entry_point_coverage"] is False
    assert not any("entry point inventory" in m for m in given.missing)
    absent = rules.observability(coverage=cov(), has_sql=True, thresholds=T)
    assert absent.verdict == "YES" and any("entry point inventory" in m for m in absent.missing)
