"""Share of commits spanning several contexts, per month and overall."""

import math

import pandas as pd
import pytest

from analysis.core import frames
from analysis.measures.metrics.coordination import MONTHLY_COLUMNS, coordination_basis, cross_context_commits, cross_context_share


def history(commits, changes):
    """commits: (sha, committed_at, is_merge); changes: (sha, path, context)."""
    c = frames.conform(
        pd.DataFrame(
            {
                "commit": [r[0] for r in commits],
                "author_name": ["a"] * len(commits),
                "author_email": ["a@x"] * len(commits),
                "authored_at": [r[1] for r in commits],
                "committed_at": [r[1] for r in commits],
                "parents": [2 if r[2] else 1 for r in commits],
                "is_merge": [r[2] for r in commits],
                "subject": ["change"] * len(commits),
            }
        ),
        "commits",
    )
    fc = frames.conform(
        pd.DataFrame({"commit": [r[0] for r in changes], "path": [r[1] for r in changes],
                      "change_type": ["M"] * len(changes)}),
        "file_changes",
    )
    return c, fc, pd.Series([r[2] for r in changes], dtype="string")


SAMPLE_CHANGES = [
    ("c1", "billing/a.py", "billing"),
    ("c1", "orders/o.py", "orders"),
    ("c2", "billing/a.py", "billing"),
    ("c2", "billing/b.py", "billing"),
    ("c3", "README.md", None),
    ("c3", "billing/a.py", "billing"),
    ("c4", "README.md", None),
    ("c4", "setup.cfg", None),
    ("c6", "orders/o.py", "orders"),
    ("c6", "shipping/s.py", "shipping"),
    ("c6", "billing/a.py", "billing"),
]
SAMPLE = history(
    [
        ("c1", "2024-01-05T00:00:00Z", False),  # billing + orders: cross
        ("c2", "2024-01-31T23:30:00Z", False),  # two billing files: not cross (January in UTC)
        ("c3", "2024-02-03T00:00:00Z", False),  # billing + unassigned: not cross
        ("c4", "2024-02-10T00:00:00Z", False),  # unassigned only: not judged (counted apart)
        ("m5", "2024-02-11T00:00:00Z", True),   # merge, no file changes: excluded
        ("c6", "2024-03-01T00:00:00Z", False),  # three contexts: cross
    ],
    [
        ("c1", "billing/a.py", "billing"),
        ("c1", "orders/o.py", "orders"),
        ("c2", "billing/a.py", "billing"),
        ("c2", "billing/b.py", "billing"),
        ("c3", "README.md", None),
        ("c3", "billing/a.py", "billing"),
        ("c4", "README.md", None),
        ("c4", "setup.cfg", None),
        ("c6", "orders/o.py", "orders"),
        ("c6", "shipping/s.py", "shipping"),
        ("c6", "billing/a.py", "billing"),
    ],
)


def test_cross_context_commits_per_month():
    out = cross_context_commits(*SAMPLE)
    assert list(out.columns) == MONTHLY_COLUMNS
    assert list(out["month"]) == [pd.Timestamp(m, tz="UTC") for m in ("2024-01-01", "2024-02-01", "2024-03-01")]
    assert list(out["commits"]) == [2, 1, 1]  # c4 touches no context: not judged
    assert list(out["cross_context_commits"]) == [1, 0, 1]
    assert list(out["share"]) == [0.5, 0.0, 1.0]
    assert str(out["month"].dtype) == "datetime64[ns, UTC]"


def test_overall_share_excludes_merges_and_commits_touching_no_context():
    assert cross_context_share(*SAMPLE) == 2 / 4


def test_recent_share():
    # (Feb 1, Mar 1]: c3, c6 judged (c4 touches no context)
    assert cross_context_share(*SAMPLE, now=pd.Timestamp("2024-03-01T00:00:00Z"), recent_days=29) == 1 / 2


def test_recent_share_needs_both_now_and_window():
    with pytest.raises(ValueError):
        cross_context_share(*SAMPLE, now=pd.Timestamp("2024-03-01T00:00:00Z"))
    with pytest.raises(ValueError):
        cross_context_share(*SAMPLE, recent_days=30)


def test_single_commit_in_one_context():
    commits, changes, context = history([("c1", "2024-01-01T00:00:00Z", False)], [("c1", "a.py", "x"), ("c1", "b.py", "x")])
    out = cross_context_commits(commits, changes, context)
    assert list(out["commits"]) == [1] and list(out["cross_context_commits"]) == [0]
    assert cross_context_share(commits, changes, context) == 0.0


def test_no_commits():
    commits, changes = frames.empty("commits"), frames.empty("file_changes")
    context = pd.Series([], dtype="string")
    assert math.isnan(cross_context_share(commits, changes, context))  # unknown, never 0
    out = cross_context_commits(commits, changes, context)
    assert out.empty and list(out.columns) == MONTHLY_COLUMNS


def test_empty_window_share_is_unknown():
    assert math.isnan(cross_context_share(*SAMPLE, now=pd.Timestamp("2030-01-01T00:00:00Z"), recent_days=30))


def test_the_basis_states_every_count_and_leaves_bulk_commits_out():
    bulk = [("c7", f"billing/f{i}.py", "billing") for i in range(3)] + [("c7", "orders/o.py", "orders")]
    commits, changes, context = history([*[(c, "2024-03-01T00:00:00Z", False) for c in ("c1", "c3", "c4", "c7")]],
                                        [r for r in [*SAMPLE_CHANGES, *bulk] if r[0] in ("c1", "c3", "c4", "c7")])
    basis = coordination_basis(commits, changes, context, now=pd.Timestamp("2024-03-02T00:00:00Z"), recent_days=10,
                               max_changeset_size=3)
    assert {k: basis[k] for k in ("commits", "bulk", "no_context", "judged", "cross_context")} == {
        "commits": 4, "bulk": 1, "no_context": 1, "judged": 2, "cross_context": 1}
    assert basis["share"] == 0.5
    assert cross_context_share(commits, changes, context, max_changeset_size=3) == 0.5
    assert cross_context_share(commits, changes, context) == 2 / 3  # without the bulk rule c7 is cross-context


# --------------------------------------------------------------------------------------
# merged pull requests


from analysis.measures.metrics.coordination import (  # noqa: E402
    BY_MONTH_COLUMNS,
    DEPLOY_COLUMNS,
    MERGE_COLUMNS,
    coordination_by_month,
    cross_context_merge_share,
    cross_context_merges,
    deploy_evidence,
    deploys_by_month,
)

MERGES = history(
    [
        ("c1", "2024-01-05T00:00:00Z", False),  # billing + orders: cross
        ("m2", "2024-01-20T00:00:00Z", True),   # PR with billing + orders: cross
        ("m3", "2024-02-02T00:00:00Z", True),   # PR with billing + unassigned: not cross
        ("m4", "2024-02-15T00:00:00Z", True),   # merge without merge files (empty merge): not counted
        ("c5", "2024-02-20T00:00:00Z", False),  # billing only
        ("m6", "2024-03-03T00:00:00Z", True),   # PR with orders + shipping: cross, in a month without commits
    ],
    [("c1", "billing/a.py", "billing"), ("c1", "orders/o.py", "orders"), ("c5", "billing/a.py", "billing")],
)
MERGE_FILES = pd.DataFrame({
    "commit": ["m2", "m2", "m3", "m3", "c5", "m6", "m6"],
    "path": ["billing/a.py", "orders/o.py", "billing/a.py", "README.md", "billing/a.py", "orders/o.py", "shipping/s.py"],
}).astype("string")
MERGE_CONTEXT = pd.Series(["billing", "orders", "billing", None, "billing", "orders", "shipping"], dtype="string")


def test_cross_context_merges_per_month():
    commits, _, _ = MERGES
    out = cross_context_merges(commits, MERGE_FILES, MERGE_CONTEXT)
    assert list(out.columns) == MERGE_COLUMNS
    assert list(out["month"]) == [pd.Timestamp(m, tz="UTC") for m in ("2024-01-01", "2024-02-01", "2024-03-01")]
    assert list(out["merges"]) == [1, 1, 1]  # c5 is not a merge; m4 has no files
    assert list(out["cross_context_merges"]) == [1, 0, 1]
    assert list(out["share"]) == [1.0, 0.0, 1.0]


def test_merge_share_overall_recent_and_empty():
    commits, _, _ = MERGES
    assert cross_context_merge_share(commits, MERGE_FILES, MERGE_CONTEXT) == 2 / 3
    # (Feb 1, Mar 1]: m3 only
    assert cross_context_merge_share(commits, MERGE_FILES, MERGE_CONTEXT, now=pd.Timestamp("2024-03-01T00:00:00Z"), recent_days=29) == 0.0
    assert math.isnan(cross_context_merge_share(commits, MERGE_FILES.iloc[:0], MERGE_CONTEXT.iloc[:0]))
    with pytest.raises(ValueError):
        cross_context_merge_share(commits, MERGE_FILES, MERGE_CONTEXT, recent_days=30)


def test_coordination_by_month_puts_commits_and_merges_side_by_side():
    commits, changes, context = MERGES
    out = coordination_by_month(commits, changes, context, MERGE_FILES, MERGE_CONTEXT)
    assert list(out.columns) == BY_MONTH_COLUMNS
    rows = out.astype(object).where(out.notna(), None).to_dict("records")
    assert [(r["commits"], r["cross_context_commits"], r["commit_share"], r["merges"], r["cross_context_merges"], r["merge_share"])
            for r in rows] == [(1, 1, 1.0, 1, 1, 1.0), (1, 0, 0.0, 1, 0, 0.0), (0, 0, None, 1, 1, 1.0)]
    without = coordination_by_month(commits, changes, context)
    assert list(without["merges"]) == [0, 0] and without["merge_share"].isna().all()
    assert list(without["commits"]) == [1, 1]


# --------------------------------------------------------------------------------------
# deploys


def deploys(rows, origin="deploy-log"):
    """rows: (deployed_at, duration_s, status, contexts)."""
    return frames.conform(pd.DataFrame({
        "deployed_at": [r[0] for r in rows], "duration_s": [r[1] for r in rows], "status": [r[2] for r in rows],
        "contexts": [r[3] for r in rows], "origin": [origin] * len(rows), "label": [None] * len(rows),
    }), "deploys")


DEPLOYS = deploys([
    ("2024-01-10T00:00:00Z", 600.0, "success", "billing,orders"),
    ("2024-01-20T00:00:00Z", 1200.0, "failure", "orders"),
    ("2024-02-05T00:00:00Z", float("nan"), "success", None),
    ("2024-02-06T00:00:00Z", 3000.0, "cancelled", "a,b,c"),
])


def test_deploys_by_month():
    out = deploys_by_month(DEPLOYS)
    assert list(out.columns) == DEPLOY_COLUMNS
    jan, feb = out.to_dict("records")
    assert (jan["deploys"], jan["failures"], jan["failure_rate"], jan["cross_context_deploys"]) == (2, 1, 0.5, 1)
    assert jan["median_duration_s"] == 900.0 and jan["p90_duration_s"] == pytest.approx(1140.0)  # 600 + 0.9 * 600
    # cancelled is no outcome: 0 failures of 1 judged; the unknown duration is left out
    assert (feb["deploys"], feb["failures"], feb["failure_rate"], feb["cross_context_deploys"]) == (2, 0, 0.0, 1)
    assert feb["median_duration_s"] == 3000.0
    assert deploys_by_month(deploys([])).empty


def test_deploy_evidence_from_a_deploy_log():
    out = deploy_evidence(DEPLOYS, now=pd.Timestamp("2024-02-10T00:00:00Z"), recent_days=14)
    # window (Jan 27, Feb 10]: the two February deploys
    assert out["origin"] == "deploy-log" and out["proxy"] is False
    assert out["deploys"] == 2 and out["deploys_per_week"] == 1.0
    assert out["median_duration_s"] == 3000.0 and out["failure_rate"] == 0.0
    assert out["cross_context_deploy_share"] == 1.0
    assert (out["slow"], out["failing"], out["infrequent"], out["pressure"]) == (True, False, False, True)
    fast = deploy_evidence(DEPLOYS, now=pd.Timestamp("2024-02-10T00:00:00Z"), recent_days=14, slow_deploy_minutes=60)
    assert (fast["slow"], fast["pressure"]) == (False, False)


def test_deploy_evidence_from_release_tags_is_a_proxy_for_cadence_only():
    tags = deploys([("2024-02-01T00:00:00Z", float("nan"), None, None)], origin="release-tag")
    out = deploy_evidence(tags, now=pd.Timestamp("2024-02-10T00:00:00Z"), recent_days=14)
    assert out["proxy"] is True and out["origin"] == "release-tag"
    assert out["deploys_per_week"] == 0.5
    assert (out["slow"], out["failing"], out["infrequent"], out["pressure"]) == (None, None, True, True)
    assert "proxy" in out["note"]


def test_deploy_evidence_without_deploys():
    out = deploy_evidence(deploys([]), now=pd.Timestamp("2024-02-10T00:00:00Z"))
    assert out["origin"] is None and out["pressure"] is None and out["deploys"] == 0
