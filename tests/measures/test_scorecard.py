"""The migration scorecard on small deploy, incident and cost logs and a four-commit history,
every expected value worked out by hand (billing is extracted on 2025-04-01: its deploys
stop being the monolith's 45-minute ones)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from gitrepo import git

from analysis import pipeline
from analysis.core.config import load_config
from analysis.core.rejects import Rejects
from analysis.measures.metrics.intervals import poisson_interval, quantile_interval, quantile_ranks
from analysis.sources.operations import parse_costs_csv, parse_delivered_csv, parse_incidents_csv

DEPLOYS = """timestamp,duration_s,status,contexts
2025-03-03T10:00:00Z,2700,success,
2025-03-10T10:00:00Z,3000,success,
2025-03-17T10:00:00Z,2400,failure,
2025-03-24T10:00:00Z,2880,success,
2025-04-02T10:00:00Z,480,success,billing
2025-04-09T10:00:00Z,540,success,billing
2025-04-16T10:00:00Z,420,failure,billing
2025-04-23T10:00:00Z,600,success,billing
2025-04-30T10:00:00Z,3000,success,orders
"""
INCIDENTS = """opened_at,resolved_at,severity,contexts
2025-03-05T08:00:00Z,2025-03-05T12:00:00Z,SEV2,billing
2025-03-12T08:00:00Z,2025-03-12T14:00:00Z,SEV1,billing;orders
2025-03-20T08:00:00Z,2025-03-20T10:00:00Z,SEV3,orders
2025-03-28T08:00:00Z,2025-03-29T08:00:00Z,SEV2,
2025-04-10T08:00:00Z,2025-04-10T09:00:00Z,SEV3,billing
2025-04-25T08:00:00Z,,SEV2,orders
"""
COSTS = """month,amount,currency,contexts
2025-02,12000,USD,
2025-03,12000,USD,
2025-03,500,EUR,
2025-04,11000,USD,
2025-04,4000,USD,billing
2025-05,11000,USD,
2025-05,4000,USD,billing
"""
#: (date, file): one commit before the first deploy (left out), then billing, orders, billing, orders
COMMITS = [("2025-03-01T10:00:00Z", "shop/billing/a.py"), ("2025-03-09T10:00:00Z", "shop/billing/a.py"),
           ("2025-03-16T10:00:00Z", "shop/orders/b.py"), ("2025-04-05T10:00:00Z", "shop/billing/a.py"),
           ("2025-04-20T10:00:00Z", "shop/orders/b.py")]
CONFIG = """name: shop
sources:
  git: {repository: repo, deploys: deploys.csv}
  incidents: incidents.csv
  costs: costs.csv
contexts:
  billing: {paths: ["shop/billing/**"]}
  orders: {paths: ["shop/orders/**"]}
scorecard:
  period: month
  events: [{date: 2025-04-01, label: billing extracted, context: billing}]
thresholds: {scorecard_window_days: 30}
"""


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory):
    root = tmp_path_factory.mktemp("scorecard")
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for n, (when, name) in enumerate(COMMITS):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(f"x = {n}\n", encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"change {n}", date=when)
    for name, text in (("deploys.csv", DEPLOYS), ("incidents.csv", INCIDENTS), ("costs.csv", COSTS), ("seams.yml", CONFIG)):
        (root / name).write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEAMS_CACHE_DIR", str(root / "cache"))
        return pipeline.run(load_config(root / "seams.yml")).scorecard


def cell(table: pd.DataFrame, period: str, context: str, metric: str, unit: str | None = None) -> pd.Series:
    rows = table[(table["period"] == pd.Timestamp(period, tz="UTC")) & (table["context"] == context) & (table["metric"] == metric)]
    if unit is not None:
        rows = rows[rows["unit"] == unit]
    assert len(rows) == 1, (period, context, metric, rows)
    return rows.iloc[0]


def test_the_inputs_are_measured_and_traces_are_not(scorecard):
    states = {k: v.state.value for k, v in scorecard.statuses.items()}
    assert states == {"deploys": "measured", "lead_time": "measured", "incidents": "measured", "costs": "measured",
                      "changes": "not measurable", "traces": "not measured"}  # four commits, no pull request
    assert not scorecard.table["metric"].isin(["latency_p95_ms", "throughput_rpm_p50", "changes"]).any()  # missing, never 0


def test_deploy_time_per_month_and_context(scorecard):
    t = scorecard.table
    march, april = "2025-03-01", "2025-04-01"
    assert cell(t, march, "(all)", "deploy_time_median_min")["value"] == pytest.approx(46.5)  # 40 45 48 50
    assert cell(t, march, "(all)", "deploy_time_p90_min")["value"] == pytest.approx(49.4)  # 48 + 0.7 * 2
    assert cell(t, march, "billing", "deploy_time_median_min")["value"] == pytest.approx(46.5)  # monolith deploys ship billing
    assert cell(t, april, "billing", "deploy_time_median_min")["value"] == pytest.approx(8.5)  # 7 8 9 10
    assert cell(t, april, "billing", "deploy_time_p90_min")["value"] == pytest.approx(9.7)
    assert cell(t, april, "orders", "deploy_time_median_min")["value"] == pytest.approx(50.0)
    assert cell(t, april, "(all)", "deploy_time_median_min")["value"] == pytest.approx(9.0)  # 7 8 9 10 50
    assert cell(t, april, "(all)", "deploy_time_p90_min")["value"] == pytest.approx(34.0)  # 10 + 0.6 * 40
    assert cell(t, march, "(all)", "deploys")["value"] == 4 and cell(t, april, "(all)", "deploys")["value"] == 5
    # March is covered from the 3rd (29 days), April whole (30 days)
    assert cell(t, march, "(all)", "deploys_per_week")["value"] == pytest.approx(4 * 7 / 29)
    assert cell(t, april, "billing", "deploys_per_week")["value"] == pytest.approx(4 * 7 / 30)
    assert cell(t, march, "(all)", "change_failure_rate")["value"] == pytest.approx(0.25)
    assert cell(t, april, "(all)", "change_failure_rate")["value"] == pytest.approx(0.2)
    median = cell(t, march, "(all)", "deploy_time_median_min")
    assert median["n"] == 4 and math.isnan(median["low"]) and math.isnan(median["high"])  # 4 values bound no median


def test_incidents_time_to_restore_and_cost(scorecard):
    t = scorecard.table
    march, april = "2025-03-01", "2025-04-01"
    assert cell(t, march, "(all)", "incidents")["value"] == 4 and cell(t, april, "(all)", "incidents")["value"] == 2
    assert cell(t, march, "billing", "incidents")["value"] == 2 and cell(t, march, "orders", "incidents")["value"] == 2
    assert cell(t, march, "(all)", "time_to_restore_median_h")["value"] == pytest.approx(5.0)  # 2 4 6 24
    assert cell(t, march, "orders", "time_to_restore_median_h")["value"] == pytest.approx(4.0)  # 2 6
    assert cell(t, april, "(all)", "time_to_restore_median_h")["value"] == pytest.approx(1.0)  # the other is still open
    assert cell(t, "2025-02-01", "(all)", "cost", "USD")["value"] == 12000
    assert cell(t, april, "(all)", "cost", "USD")["value"] == 15000
    assert cell(t, april, "billing", "cost", "USD")["value"] == 4000
    assert cell(t, march, "(all)", "cost", "EUR")["value"] == 500  # never added to dollars
    assert cell(t, march, "(all)", "lead_time_median_h")["value"] == pytest.approx(108.0)  # 24 h and 192 h
    assert cell(t, april, "(all)", "lead_time_median_h")["value"] == pytest.approx(168.0)  # 96 h and 240 h
    assert cell(t, april, "billing", "lead_time_median_h")["value"] == pytest.approx(96.0)


def test_before_and_after_the_extraction(scorecard):
    c = scorecard.comparisons
    assert set(c["event"]) == {"billing extracted"} and set(c["date"]) == {"2025-04-01"}

    def row(context: str, metric: str, unit: str | None = None):
        rows = c[(c["context"] == context) & (c["metric"] == metric)]
        rows = rows[rows["unit"] == unit] if unit else rows
        assert len(rows) == 1
        return rows.iloc[0]

    deploy_time = row("billing", "deploy_time_median_min")
    assert (deploy_time["before"], deploy_time["after"], deploy_time["change"]) == pytest.approx((46.5, 8.5, -38.0))
    assert (deploy_time["n_before"], deploy_time["n_after"]) == (4, 4)
    assert deploy_time["note"] == "n = 4 before, 4 after: too few values for a 95% interval — the change may be noise"
    frequency = row("(all)", "deploys_per_week")
    assert (frequency["before"], frequency["after"]) == pytest.approx((4 * 7 / 29, 5 * 7 / 30))
    low, high = poisson_interval(4)
    assert (frequency["before_low"], frequency["before_high"]) == pytest.approx((low * 7 / 29, high * 7 / 29))
    assert frequency["note"] == "the 95% intervals overlap: the change may be noise"
    incidents = row("(all)", "incidents_per_month")  # covered from Mar 5 (27 days) and to Apr 25 (25 days)
    assert (incidents["before"], incidents["after"]) == pytest.approx((4 * 30 / 27, 2 * 30 / 25))
    assert (row("(all)", "time_to_restore_median_h")["before"], row("(all)", "time_to_restore_median_h")["after"]) == (5.0, 1.0)
    cost = row("(all)", "cost", "USD")
    assert (cost["before"], cost["after"], cost["n_before"], cost["n_after"]) == (12000, 15000, 1, 1)
    euro = row("(all)", "cost", "EUR")
    assert euro["before"] == 500 and pd.isna(euro["after"]) and euro["note"].startswith("no evidence after")
    failure = row("(all)", "change_failure_rate")
    assert (failure["before"], failure["after"]) == pytest.approx((0.25, 0.2))
    assert not c["metric"].isin(["latency_p95_ms", "changes_per_week"]).any()


def test_dora_keys(scorecard):
    d = scorecard.dora.set_index("key")
    assert d.loc["deployment frequency", "value"] == pytest.approx(9 * 7 / 59)  # Mar 3 to Apr 30
    assert d.loc["change failure rate", "value"] == pytest.approx(2 / 9)
    assert d.loc["time to restore service", "value"] == pytest.approx(4.0)  # 1 2 4 6 24
    assert d.loc["lead time for changes", "value"] == pytest.approx(144.0)  # 24 96 192 240
    assert set(d["state"]) == {"measured"}


def test_intervals():
    assert quantile_ranks(5, 0.5) == (None, None) and quantile_ranks(10, 0.5) == (2, 9)
    assert quantile_interval(list(range(1, 11)), 0.5) == (2.0, 9.0)
    assert poisson_interval(0)[1] == pytest.approx(3.688879, abs=1e-5)
    assert poisson_interval(10) == pytest.approx((4.795389, 18.390356), abs=1e-5)


def test_the_logs_reject_what_they_cannot_read():
    rejects = Rejects()
    incidents = parse_incidents_csv(["opened_at,resolved_at,severity,contexts", "2025-01-02,2025-01-01,SEV1,a",
                                     "soon,,SEV2,", "2025-01-03T00:00:00+02:00,,, b | a"], "i.csv", rejects)
    assert incidents["opened_at"].tolist() == [pd.Timestamp("2025-01-02T22:00:00Z")] and incidents["contexts"].tolist() == ["a,b"]
    costs = parse_costs_csv(["Month,Amount", "2025-13,5", "2025-02-17,-1", "2025-02,7.5"], "c.csv", rejects)
    assert costs[["month", "amount"]].values.tolist() == [[pd.Timestamp("2025-02-01", tz="UTC"), 7.5]]
    delivered = parse_delivered_csv(["delivered_at,contexts,kind,title", "2025-02-03,billing,feature,secret title"], "d.csv", rejects)
    assert delivered.columns.tolist() == ["delivered_at", "contexts", "kind"]
    assert [(r.source, r.location) for r in rejects.records] == [("i.csv", "line 2"), ("i.csv", "line 3"), ("c.csv", "line 2"),
                                                                 ("c.csv", "line 3")]
