"""The verdict rules, the ranking and the recommendation on small literal inputs."""

import math
from dataclasses import replace

import pandas as pd
import pytest

from analysis.core.evidence import State, Status
from analysis.core.settings import THRESHOLDS, WEIGHTS, defaults
from analysis.decisions import verdicts as rules
from analysis.decisions.checks import Check, describe, format_margin
from analysis.decisions.ranking import boundary_clarity, rank_candidates, write_isolation
from analysis.decisions.recommendation import recommend
from analysis.measures.coupling.pairs import context_pairs, partners

T = defaults(THRESHOLDS)
OK = Status.measured("test")
NONE = Status.not_measured("not given in this test")
THIN = Status.not_measurable("too little in this test")

ASYMMETRIC = [
    {"context": "ingestion", "requests": 500, "compute_ratio_max": 40.0, "compared_to": "analytics", "peak_to_median": 25.0, "correlation_with_rest": -0.1},
    {"context": "orders", "requests": 900, "compute_ratio_max": 3.0, "compared_to": "analytics", "peak_to_median": 2.0, "correlation_with_rest": 0.9},
]
FLAT = [{"context": "orders", "requests": 900, "compute_ratio_max": 2.0, "compared_to": "a", "peak_to_median": 2.0, "correlation_with_rest": 0.9}]


def coverage(**kw):
    c = dict(contexts_declared=10, contexts_with_spans=[f"c{i}" for i in range(10)], contexts_without_spans=[],
             context_span_coverage=1.0, spans=1000, orphan_spans=0, orphan_span_share=0.0, consumer_spans=10,
             broken_async=0, broken_async_share=0.0, sql_trace_link_share=0.8, sql_seen_in_spans_share=0.9,
             sql_tied_to_traces_share=0.95, sql_attributed_share=0.97)
    c.update(kw)
    return c


def inputs(**kw) -> rules.DecisionInputs:
    base = rules.DecisionInputs(
        history=OK, teams=OK, deploys_status=NONE, structure=OK, data=OK, joins=OK, load=OK, calls=OK, coverage_status=OK,
        coordination={"judged": 100, "cross_context": 30, "share": 0.3, "bulk": 2, "no_context": 5},
        merge_share=None, active_authors=20, active_teams=3, cross_team_change_share=0.2, scaling=ASYMMETRIC, deploys={},
        import_edges_to_cut=3, context_edges_to_cut=[{"source": "a", "target": "b", "edges": 3}], cycles=[["a", "b"]],
        cycle_edges=[[{"source": "a", "target": "b", "edges": 2}, {"source": "b", "target": "a", "edges": 1}]],
        cross_context_imports=50, write_shared_tables=["t1", "t2"], cross_context_joins=1, sync_chains=2,
        coverage=coverage(), sql_given=True, entry_points_status=NONE)
    return replace(base, **kw)


def share(value):
    return {"judged": 100, "cross_context": round(value * 100), "share": value, "bulk": 0, "no_context": 0}


# --------------------------------------------------------------------------------------
# 1. the bottleneck


def test_bottleneck_yes_when_two_pressures_hold():
    v = rules.bottleneck(inputs(active_authors=4), T)  # coordination + scaling, team too small
    assert v.verdict == "YES"
    assert v.evidence["pressures"] == {"coordination": True, "team": False, "scaling": True}
    assert v.evidence["asymmetric_contexts"] == ["ingestion"]
    assert any(m.startswith("deploy log: not measured") for m in v.missing)
    checks = {c.name: c for c in v.checks}
    assert checks["coordination"].value == 0.3 and checks["coordination"].margin == pytest.approx(0.1)
    assert "30 of 100 judged commits" in checks["coordination"].detail and "5 touching no context" in checks["coordination"].detail


def test_small_team_short_changes_flat_load_says_no():
    v = rules.bottleneck(inputs(coordination=share(0.05), active_authors=4, active_teams=1, cross_team_change_share=0.0, scaling=FLAT), T)
    assert v.verdict == "NO" and v.evidence["pressures_held"] == []


def test_unknown_pressures_never_pass_nor_fail():
    v = rules.bottleneck(inputs(active_authors=4, load=NONE), T)
    assert v.evidence["pressures"]["scaling"] is None
    assert v.verdict == "INCONCLUSIVE" and any(m.startswith("load from traces") for m in v.missing)
    assert {c.name: c.holds for c in v.checks}["scaling"] is None
    # with only one pressure possible, unknown load cannot reach two: NO
    assert rules.bottleneck(inputs(coordination=share(0.01), active_authors=4, load=NONE), T).verdict == "NO"


def test_history_that_is_not_measurable_makes_it_inconclusive():
    thin = Status.not_measurable("1 commits touching a context in the last 90 days (min_commits_recent = 30)")
    v = rules.bottleneck(inputs(history=thin, load=NONE), T)
    assert v.verdict == "INCONCLUSIVE"
    assert "git history: not measurable: 1 commits touching a context" in v.missing[0]
    assert all(c.holds is None for c in v.checks if c.name in ("coordination", "active_authors", "scaling"))


def test_no_team_map_leaves_the_team_pressure_unknown_when_authors_are_many():
    v = rules.bottleneck(inputs(teams=NONE, active_teams=None, cross_team_change_share=None, load=NONE), T)
    assert v.evidence["pressures"]["team"] is None and v.verdict == "INCONCLUSIVE"


def test_close_call_names_the_check_that_would_flip_it():
    # coordination 0.196 against 0.20, scaling held, team too small: NO rests on coordination, 2% short
    v = rules.bottleneck(inputs(coordination=share(0.196), active_authors=4), T)
    assert v.verdict == "NO"
    assert v.close_call is not None and "share of changes touching two or more contexts: 19.6%" in v.close_call
    assert "-0.4 points" in v.close_call
    far = rules.bottleneck(inputs(coordination=share(0.05), active_authors=4), T)
    assert far.close_call is None


def test_threshold_boundaries_are_inclusive():
    v = rules.bottleneck(inputs(coordination=share(0.2), active_authors=1, scaling=FLAT), T)
    assert v.evidence["pressures"]["coordination"] is True


def test_merged_pull_requests_count_for_coordination():
    v = rules.bottleneck(inputs(coordination=share(0.05), merge_share=0.4, active_authors=4, scaling=FLAT), T)
    assert {c.name: c.value for c in v.checks}["coordination"] == 0.4 and v.evidence["pressures"]["coordination"] is True


def test_a_healthy_deploy_log_vetoes_coordination_pressure_but_tags_do_not():
    healthy = {"origin": "deploy-log", "proxy": False, "pressure": False}
    v = rules.bottleneck(inputs(deploys=healthy, deploys_status=OK), T)
    assert v.evidence["pressures"]["coordination"] is False and v.evidence["deploy_veto"] is True
    assert not any(m.startswith("deploy log") for m in v.missing)
    tags = {"origin": "release-tag", "proxy": True, "pressure": False}
    v2 = rules.bottleneck(inputs(deploys=tags, deploys_status=Status.not_measurable("release tags only")), T)
    assert v2.evidence["pressures"]["coordination"] is True
    assert any("release tags only" in m for m in v2.missing)


def test_a_compute_ratio_needs_enough_requests_on_both_sides():
    # compute ratios of contexts under min_requests_per_context are NaN upstream; none left: not measurable
    few = [{"context": "a", "requests": 15, "compute_ratio_max": math.nan, "compared_to": None, "peak_to_median": 30.0,
            "correlation_with_rest": 0.0}]
    v = rules.bottleneck(inputs(scaling=few), T)
    scaling = {c.name: c for c in v.checks}["scaling"]
    assert scaling.holds is None and scaling.status.state is State.NOT_MEASURABLE


# --------------------------------------------------------------------------------------
# 2. modularize in place


def test_modularize_in_place_rules():
    assert rules.modularize_in_place(inputs(), T).verdict == "YES"
    assert rules.modularize_in_place(inputs(import_edges_to_cut=41), T).verdict == "NO"
    no = rules.modularize_in_place(inputs(write_shared_tables=[f"t{i}" for i in range(6)]), T)
    assert no.verdict == "NO" and {c.name: c.holds for c in no.checks}["write_shared_tables"] is False
    assert rules.modularize_in_place(inputs(structure=NONE, import_edges_to_cut=None), T).verdict == "INCONCLUSIVE"
    thin = rules.modularize_in_place(inputs(structure=THIN), T)
    assert thin.verdict == "INCONCLUSIVE" and "too little in this test" in thin.summary


def test_modularize_without_sql_rests_on_structure_and_says_so():
    v = rules.modularize_in_place(inputs(data=NONE, joins=NONE, write_shared_tables=[], cross_context_joins=None), T)
    assert v.verdict == "YES" and "not known" in v.summary
    checks = {c.name: c for c in v.checks}
    assert checks["write_shared_tables"].holds is None and checks["cross_context_joins"].holds is None
    assert any(m.startswith("data coupling: not measured") for m in v.missing)
    assert v.evidence["write_shared_tables"] is None  # unknown, never "no table is written by two contexts"


# --------------------------------------------------------------------------------------
# 3. observability


def test_observability_rules():
    assert rules.observability(inputs(), T).verdict == "YES"
    partial = rules.observability(inputs(coverage=coverage(context_span_coverage=0.8, contexts_without_spans=["search", "shipping"],
                                                           broken_async_share=0.9)), T)
    assert partial.verdict == "PARTIAL"
    assert {c.name: c.holds for c in partial.checks} == {"context_span_coverage": False, "orphan_span_share": True,
                                                         "broken_async_share": False, "sql_tied_to_traces": True,
                                                         "entry_point_coverage": None}
    assert "search" in partial.summary
    assert rules.observability(inputs(coverage=coverage(context_span_coverage=0.4)), T).verdict == "NO"
    none = rules.observability(inputs(coverage_status=NONE, coverage={}), T)
    assert none.verdict == "INCONCLUSIVE" and "not given in this test" in none.summary


def test_span_rules_that_match_nothing_are_a_map_problem_not_missing_observability():
    unmapped = rules.observability(inputs(coverage=coverage(context_span_coverage=0.0, unassigned_span_share=1.0)), T)
    assert unmapped.verdict == "INCONCLUSIVE" and "span rules leave 100% of the spans without a context" in unmapped.summary
    checks = {c.name: c for c in unmapped.checks}
    assert checks["context_span_coverage"].holds is None and checks["orphan_span_share"].holds is True
    assert any(m.startswith("contexts of the spans: not measurable") for m in unmapped.missing)
    gaps = rules.observability(inputs(coverage=coverage(context_span_coverage=0.0, unassigned_span_share=0.9,
                                                        orphan_span_share=0.3)), T)
    assert gaps.verdict == "PARTIAL"  # a known gap is a gap whatever the map
    mapped = rules.observability(inputs(coverage=coverage(context_span_coverage=0.3, unassigned_span_share=0.5)), T)
    assert mapped.verdict == "NO"  # at the limit the map is trusted: few contexts emit spans


def test_sql_tied_to_traces_counts_database_spans_and_is_not_judged_without_a_log():
    # every statement seen in a database span, none with a traceparent: tied, as the rule's words say
    v = rules.observability(inputs(coverage=coverage(sql_trace_link_share=0.0, sql_seen_in_spans_share=0.79,
                                                     sql_tied_to_traces_share=0.79)), T)
    assert v.verdict == "YES"
    no_log = rules.observability(inputs(sql_given=False), T)
    sql = {c.name: c for c in no_log.checks}["sql_tied_to_traces"]
    assert sql.holds is None and sql.status.state is State.NOT_MEASURED
    assert no_log.verdict == "YES" and "into the database" not in no_log.summary


def test_no_consumer_spans_leave_async_unjudged():
    v = rules.observability(inputs(coverage=coverage(consumer_spans=0, broken_async_share=math.nan)), T)
    assert v.verdict == "YES" and {c.name: c.holds for c in v.checks}["broken_async_share"] is None


def test_entry_point_coverage_is_judged_when_an_inventory_is_given():
    given = rules.observability(inputs(coverage=coverage(entry_point_coverage=0.5), entry_points_status=OK), T)
    assert given.verdict == "PARTIAL" and {c.name: c.holds for c in given.checks}["entry_point_coverage"] is False
    absent = rules.observability(inputs(), T)
    assert absent.verdict == "YES" and any(m.startswith("entry point inventory") for m in absent.missing)


def test_an_untrustworthy_entry_point_inventory_never_decides_the_observability_verdict():
    thin = Status.not_measurable("the entry point inventory followed 159 of 409 include() calls (39%)")
    verdict = rules.observability(inputs(coverage=coverage(entry_point_coverage=0.01), entry_points_status=thin), T)
    entry = {c.name: c for c in verdict.checks}["entry_point_coverage"]
    assert verdict.verdict == "YES" and entry.holds is None and entry.status.state is State.NOT_MEASURABLE
    assert any(m.startswith("entry point inventory") and "159 of 409" in m for m in verdict.missing)
    assert verdict.thresholds["min_entry_point_inventory_followed"] == 0.8
    judged = rules.observability(inputs(coverage=coverage(entry_point_coverage=0.01), entry_points_status=OK), T)
    assert judged.verdict == "PARTIAL" and "coverage measures what the traffic in the traces exercised" in judged.summary
    assert "coverage measures what the traffic in the traces exercised" in {c.name: c for c in judged.checks}["entry_point_coverage"].detail


def test_check_margins_and_relative_distance():
    c = Check("x", "x", 0.196, 0.2, "s", "at least", OK)
    assert c.holds is False and c.margin == pytest.approx(-0.004) and c.relative_margin == pytest.approx(0.02)
    assert c.close(0.1) and not c.close(0.01)
    assert Check("y", "y", None, 0.2, "s", "at least", NONE).holds is None


def test_margins_read_in_full_never_in_scientific_notation():
    lines = Check("cut", "import lines to cut", 1988, 40, "s", "at most", OK, unit="count")
    assert format_margin(lines) == "-1,948" and "-1,948" in describe(lines)
    assert format_margin(Check("r", "r", 2.5, 2.0, "s", "at least", OK, unit="ratio")) == "+0.5"
    assert format_margin(Check("r", "r", 4200.0, 10.0, "s", "at least", OK, unit="ratio")) == "+4,190"


def test_a_check_without_a_source_has_no_figure_even_when_a_default_zero_reached_it():
    zero = Check("active_teams", "active teams", 0.0, 2, "min_teams", "at least", NONE, unit="count")
    assert zero.holds is None and zero.margin is None
    assert zero.to_json()["value"] is None and zero.to_json()["state"] == "not measured"
    assert Check("x", "x", 0.0, 2, "s", "at least", OK).to_json()["value"] == 0.0  # a measured zero stays a zero


# --------------------------------------------------------------------------------------
# pairs and ranking


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


def test_unknown_signals_are_never_zero_nor_hidden_coupling():
    cochange = pd.DataFrame({"context_a": S(["a"]), "context_b": S(["c"]), "shared_commits": [10], "revs_a": [20], "revs_b": [10], "degree": [40]})
    p = context_pairs(None, cochange, None, None, known={"structural": False, "data": False, "runtime": False}).set_index(["context_a", "context_b"])
    row = p.loc[("a", "c")]
    assert row["evolutionary_coupled"] and math.isnan(row["structural"]) and math.isnan(row["data"]) and math.isnan(row["runtime"])
    assert row["structural_coupled"] is pd.NA and row["data_coupled"] is pd.NA and row["runtime_coupled"] is pd.NA
    assert row["hidden"] is pd.NA  # no import graph: nothing can be said to be hidden from it
    assert row["signals"] == 1


def test_orchestrated_traces_count_as_runtime_coupling():
    together = pd.DataFrame({"context_a": S(["billing"]), "context_b": S(["inventory"]), "traces": [12.0]})
    p = context_pairs(None, None, None, None, orchestrated=together).set_index(["context_a", "context_b"])
    assert p.loc[("billing", "inventory"), "runtime"] == 0 and p.loc[("billing", "inventory"), "orchestrated"] == 12
    assert p.loc[("billing", "inventory"), "runtime_coupled"]


def test_context_pairs_empty_inputs():
    p = context_pairs(None, None, None, None)
    assert p.empty and "hidden" in p.columns


def contexts_frame(**kw):
    base = {"context": S(["a", "b", "c"]), "role": S(["domain"] * 3), "files_at_head": [5, 5, 5], "commits_recent": [10, 5, 0],
            "asymmetry_score": [0.0, 0.9, float("nan")], "cross_team_share": [0.5, 0.0, 0.25]}
    base.update(kw)
    return pd.DataFrame(base)


def test_ranking_components_and_order():
    pairs = context_pairs(pd.DataFrame({"source": S(["a"]), "target": S(["c"]), "edges": [2]}), None, None,
                          pd.DataFrame({"caller": S(["a"]), "callee": S(["c"]), "mode": S(["sync"]), "calls": [50]}))
    clarity = boundary_clarity(["a", "b", "c"], pairs, 4)
    assert clarity.to_dict() == {"a": 1 - 2 / 8, "b": 1.0, "c": 1 - 2 / 8}
    tc = pd.DataFrame({"table": S(["t_a", "t_a", "t_b"]), "owner": S(["a", "a", "b"]), "context": S(["a", "c", "b"]),
                       "reads": [0, 0, 0], "writes": [30, 10, 5]})
    iso = write_isolation(["a", "b", "c"], tc)
    assert iso["a"] == pytest.approx(0.75) and iso["b"] == 1.0 and iso["c"] == 0.0
    r = rank_candidates(contexts_frame(), pairs, tc, defaults(WEIGHTS))
    row_b = r.set_index("context").loc["b"]
    expected_b = (0.3 * 1.0 + 0.2 * 1.0 + 0.2 * 0.5 + 0.2 * 0.9 + 0.1 * 0.0) / 1.0
    assert row_b["score"] == pytest.approx(expected_b) and row_b["components_known"] == 5
    assert list(r["context"]) == ["b", "a", "c"] and list(r["rank"]) == [1, 2, 3]
    # c has no load measured (NaN score component): its score rests on the four known components
    row_c = r.set_index("context").loc["c"]
    assert row_c["components_known"] == 4 and math.isnan(row_c["scaling_asymmetry"])
    assert row_c["score_max"] == pytest.approx(row_c["score"] + 0.2)


def test_unknown_components_are_unknown_and_the_score_rests_on_the_rest():
    r = rank_candidates(contexts_frame(), context_pairs(None, None, None, None), None, defaults(WEIGHTS),
                        known={"signals": 0, "data": False, "history": True, "load": False, "teams": False}).set_index("context")
    assert math.isnan(r.loc["a", "boundary_clarity"]) and math.isnan(r.loc["a", "write_isolation"])
    assert math.isnan(r.loc["a", "team_conflict"]) and r.loc["a", "components_known"] == 1
    # change pain alone (1.0, weight 0.2); the four unknown count as 0 in the score, as 1 in score_max
    assert r.loc["a", "score"] == pytest.approx(0.2) and r.loc["a", "score_max"] == pytest.approx(1.0)


def test_layers_shared_kernels_and_empty_contexts_are_not_candidates():
    frame = contexts_frame(role=S(["layer", "domain", "shared"]), files_at_head=[5, 0, 5])
    r = rank_candidates(frame, context_pairs(None, None, None, None), None, defaults(WEIGHTS)).set_index("context")
    assert not r["candidate"].any()
    assert r.loc["a", "why_not"] == "role: layer" and r.loc["c", "why_not"] == "role: shared"
    assert r.loc["b", "why_not"].startswith("owns no unit") and r["rank"].isna().all()


# --------------------------------------------------------------------------------------
# the recommendation


def verdicts(b="YES", m="YES", o="PARTIAL", asymmetric=("ingestion",)):
    def v(key, verdict, missing=(), **evidence):
        return rules.Verdict(key, verdict, "rule", {}, evidence, list(missing), "summary")
    no_traces = ["traces: not measured: no spans given (sources.traces)"] if o == "INCONCLUSIVE" else []
    return {"bottleneck": v("bottleneck", b, asymmetric_contexts=list(asymmetric)),
            "modularize_in_place": v("modularize_in_place", m, context_edges_to_cut=[{"source": "ingestion", "target": "catalog", "edges": 2}]),
            "observability": v("observability", o, no_traces)}


RANK = pd.DataFrame({"rank": [1, 2], "context": ["billing", "ingestion"], "score": [0.8, 0.7], "candidate": [True, True]})


def test_recommendation_rule_order():
    go = recommend(verdicts(), RANK)
    assert go["verdict"] == "GO" and go["extract_first"] == "ingestion"  # first asymmetric, not first ranked
    assert any("2 import lines" in s for s in go["next_steps"])
    assert recommend(verdicts(b="NO"), RANK)["verdict"] == "NO-GO"
    assert recommend(verdicts(b="NO"), RANK)["extract_first"] is None
    assert recommend(verdicts(b="INCONCLUSIVE"), RANK)["verdict"] == "INCONCLUSIVE"
    assert recommend(verdicts(o="NO"), RANK)["verdict"] == "NOT YET"
    in_place = recommend(verdicts(asymmetric=()), RANK)
    assert in_place["verdict"] == "NOT YET" and "Modularize in place" in in_place["headline"]
    assert recommend(verdicts(m="NO", asymmetric=()), RANK)["extract_first"] == "billing"


def test_only_candidates_are_named_and_unjudged_observability_is_said():
    ranked = RANK.assign(candidate=[False, True])
    rec = recommend(verdicts(m="NO", asymmetric=(), o="INCONCLUSIVE"), ranked)
    assert rec["extract_first"] == "ingestion" and "Observability was not judged" in rec["headline"]
    assert any(s.startswith("Provide traces") for s in rec["next_steps"])


def test_margin_is_positive_on_the_passing_side_for_both_directions():
    most = Check("m", "m", 0.3, 0.5, "s", "at most", OK)
    assert most.holds is True and most.margin == pytest.approx(0.2)
    over = Check("m", "m", 0.7, 0.5, "s", "at most", OK)
    assert over.holds is False and over.margin == pytest.approx(-0.2)
    least = Check("l", "l", 0.7, 0.5, "s", "at least", OK)
    assert least.holds is True and least.margin == pytest.approx(0.2)


def test_next_steps_never_ask_to_provide_what_was_read():
    from analysis.decisions.recommendation import next_step

    unmapped = verdicts(m="NO", asymmetric=(), o="INCONCLUSIVE")
    unmapped["observability"] = rules.Verdict("observability", "INCONCLUSIVE", "rule", {}, {}, [
        "contexts of the spans: not measurable: the span rules leave 100% of the spans without a context"],
        "observability cannot be judged: not measurable: the span rules leave 100% of the spans without a context.")
    rec = recommend(unmapped, RANK)
    assert "no traces were given" not in rec["headline"] and "span rules leave 100%" in rec["headline"]
    assert "Complete the contexts of the spans: not measurable: the span rules leave 100% of the spans without a context" in rec["next_steps"]
    assert not any(s.startswith("Provide traces") for s in rec["next_steps"])

    assert next_step("deploy log: not measured: no deploy log given") == "Provide the deploy log: not measured: no deploy log given"
    assert next_step("git history: not measurable: 65% of the files at HEAD in no context").startswith(
        "Complete the git history: not measurable")


def test_cycles_are_said_by_their_size_and_coordination_names_both_shares():
    v = rules.modularize_in_place(inputs(cycles=[["a", "b", "c"], ["d", "e"]]), T)
    edges = {c.name: c for c in v.checks}["edges_to_cut"]
    assert "2 tangles of contexts importing each other in a cycle (3, 2 contexts)" in edges.detail
    b = rules.bottleneck(inputs(), T)
    detail = {c.name: c for c in b.checks}["coordination"].detail
    assert detail.startswith("the larger share, commits; commits 30.0%: 30 of 100 judged commits")


def test_next_steps_name_what_to_instrument_and_what_to_untangle():
    o = rules.observability(inputs(coverage=coverage(
        context_span_coverage=0.8, contexts_with_spans=[f"c{i}" for i in range(8)], contexts_without_spans=["search", "shipping"],
        broken_async=9, broken_async_share=0.9, sql_tied_to_traces_share=0.1)), T)
    m = rules.modularize_in_place(inputs(write_shared_tables=[f"t{i}" for i in range(8)]), T)
    v = verdicts()
    v["observability"], v["modularize_in_place"] = o, m
    steps = recommend(v, RANK)["next_steps"]
    assert "Instrument search, shipping: no span comes from them." in steps
    assert "Carry the trace context through the queues: 9 of 10 consumer spans have neither a parent nor a link to their producer." in steps
    assert any(s.startswith("Tie SQL to traces") and "10% of the executions" in s for s in steps)
    assert ("Give each of the 8 tables written by several contexts one writing owner (t0, t1, t2 and 5 more tables); "
            "the others read it or react to its events.") in steps


def test_an_inconclusive_recommendation_names_what_to_measure():
    b = rules.bottleneck(inputs(teams=NONE, load=THIN, active_teams=None, cross_team_change_share=None), T)
    assert b.verdict == "INCONCLUSIVE" and set(b.evidence["pressures_unknown"]) == {"team", "scaling"}
    v = verdicts()
    v["bottleneck"] = b
    headline = recommend(v, RANK)["headline"]
    assert headline == ("Measure more before deciding: who works in which team (a team map) and a day or more of traces "
                        "(load) are missing.")
