"""Change frequency, churn, trend, monthly changes and hotspots on tiny literal histories."""

import math

import pandas as pd
import pytest

from analysis.core import frames
from analysis.measures.metrics.change import (
    CHANGE_COLUMNS,
    HOTSPOT_COLUMNS,
    MONTHLY_COLUMNS,
    change_by_context,
    churn_by,
    file_hotspots,
    in_window,
    monthly_changes,
)

NOW = pd.Timestamp("2024-06-01T00:00:00Z")


def history(commits, changes):
    """commits: (sha, author, committed_at, is_merge); changes: (sha, path, context, added, deleted)."""
    c = frames.conform(
        pd.DataFrame(
            {
                "commit": [r[0] for r in commits],
                "author_name": [r[1] for r in commits],
                "author_email": [f"{r[1]}@example.com" for r in commits],
                "authored_at": [r[2] for r in commits],
                "committed_at": [r[2] for r in commits],
                "parents": [2 if r[3] else 1 for r in commits],
                "is_merge": [r[3] for r in commits],
                "subject": ["change"] * len(commits),
            }
        ),
        "commits",
    )
    fc = frames.conform(
        pd.DataFrame(
            {
                "commit": [r[0] for r in changes],
                "path": [r[1] for r in changes],
                "change_type": ["M"] * len(changes),
                "added": pd.array([r[3] for r in changes], dtype="Int64"),
                "deleted": pd.array([r[4] for r in changes], dtype="Int64"),
            }
        ),
        "file_changes",
    )
    context = pd.Series([r[2] for r in changes], dtype="string")
    return frames.check(c, "commits"), frames.check(fc, "file_changes"), context


# c1..c4 plus a merge; billing/b.py is binary (no line counts); README.md is unassigned.
SAMPLE = history(
    [
        ("c1", "alice", "2024-01-10T09:00:00Z", False),
        ("c2", "bob", "2024-03-01T09:00:00Z", False),
        ("c3", "alice", "2024-05-20T09:00:00Z", False),
        ("c4", "carol", "2024-06-01T00:00:00Z", False),
        ("m5", "carol", "2024-06-01T00:00:00Z", True),
    ],
    [
        ("c1", "billing/a.py", "billing", 10, 2),
        ("c1", "orders/o.py", "orders", 1, 1),
        ("c2", "billing/a.py", "billing", 3, 0),
        ("c2", "billing/b.py", "billing", None, None),
        ("c3", "README.md", None, 1, 0),
        ("c4", "billing/b.py", "billing", None, None),
        ("c4", "orders/o.py", "orders", 4, 4),
    ],
)


def as_records(frame):
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_change_by_context_counts_windows_churn_and_trend():
    out = change_by_context(*SAMPLE, now=NOW, recent_days=30, trend_months=2)
    assert list(out.columns) == CHANGE_COLUMNS
    # recent = (May 2, Jun 1]: c3 (unassigned only), c4.  trend: (Apr 2, Jun 1] over (Feb 2, Apr 2].
    billing, orders = as_records(out)
    assert billing == {"context": "billing", "commits": 3, "commits_recent": 1, "files": 2,
                       "churn_recent": None, "trend": 1.0}  # c4 touched only a binary file: no counts -> NaN
    assert orders == {"context": "orders", "commits": 2, "commits_recent": 1, "files": 1,
                      "churn_recent": 8.0, "trend": None}  # nothing in the earlier window -> NaN
    assert str(out["context"].dtype) == "string"
    assert out["commits"].dtype == "int64" and out["churn_recent"].dtype == "float64"


def test_churn_counts_binary_changes_as_zero_when_others_in_the_window_have_counts():
    out = change_by_context(*SAMPLE, now=NOW, recent_days=100, trend_months=2)
    billing = out.set_index("context").loc["billing"]
    # (Feb 22, Jun 1]: c2 a.py 3+0, c2 b.py NA, c4 b.py NA
    assert billing["churn_recent"] == 3.0
    assert billing["commits_recent"] == 2


def test_churn_by_counts_a_row_with_one_side_missing():
    changes = pd.DataFrame(
        {"key": ["x", "x", "y"], "added": pd.array([None, 2, None], dtype="Int64"),
         "deleted": pd.array([5, None, None], dtype="Int64")}
    )
    out = churn_by(changes, "key")
    assert out["x"] == 7.0
    assert math.isnan(out["y"])


def test_unassigned_changes_make_no_context_row():
    out = change_by_context(*SAMPLE, now=NOW)
    assert list(out["context"]) == ["billing", "orders"]


def test_trend_grows_when_recent_months_are_busier():
    commits, changes, context = history(
        [("c1", "a", "2024-02-15T00:00:00Z", False), ("c2", "a", "2024-04-15T00:00:00Z", False),
         ("c3", "a", "2024-05-15T00:00:00Z", False), ("c4", "a", "2024-05-30T00:00:00Z", False)],
        [("c1", "p", "x", 1, 0), ("c2", "p", "x", 1, 0), ("c3", "p", "x", 1, 0), ("c4", "p", "x", 1, 0)],
    )
    # T = 60 days: last (Apr 2, Jun 1] holds c2..c4, before (Feb 2, Apr 2] holds c1
    out = change_by_context(commits, changes, context, now=NOW, recent_days=90, trend_months=2)
    assert out.loc[0, "trend"] == 3.0


def test_single_commit():
    commits, changes, context = history([("c1", "a", "2024-05-31T00:00:00Z", False)], [("c1", "p.py", "x", 2, 1)])
    out = change_by_context(commits, changes, context, now=NOW)
    assert as_records(out) == [{"context": "x", "commits": 1, "commits_recent": 1, "files": 1,
                                "churn_recent": 3.0, "trend": None}]


def test_empty_history_gives_empty_frames_with_columns():
    commits, changes = frames.empty("commits"), frames.empty("file_changes")
    context = pd.Series([], dtype="string")
    assert list(change_by_context(commits, changes, context, now=NOW).columns) == CHANGE_COLUMNS
    assert change_by_context(commits, changes, context, now=NOW).empty
    assert list(monthly_changes(commits, changes, context).columns) == MONTHLY_COLUMNS
    assert list(file_hotspots(commits, changes, context, now=NOW, recent_days=90).columns) == HOTSPOT_COLUMNS


def test_window_is_open_at_its_start_and_closed_at_now():
    times = pd.Series(pd.to_datetime(["2024-05-02T00:00:00Z", "2024-05-02T00:00:01Z", "2024-06-01T00:00:00Z",
                                      "2024-06-01T00:00:01Z"], utc=True))
    assert list(in_window(times, NOW, 30)) == [False, True, True, False]


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="tz-aware"):
        change_by_context(*SAMPLE, now=pd.Timestamp("2024-06-01"))


def test_context_series_must_cover_every_change():
    commits, changes, context = SAMPLE
    with pytest.raises(ValueError, match="aligned"):
        change_by_context(commits, changes, context.iloc[:-1], now=NOW)


def test_monthly_changes_is_a_complete_grid_of_calendar_months():
    out = monthly_changes(*SAMPLE)
    assert list(out.columns) == MONTHLY_COLUMNS
    months = list(pd.date_range("2024-01-01", "2024-06-01", freq="MS", tz="UTC"))
    assert list(out["month"]) == months * 2
    assert list(out["context"]) == ["billing"] * 6 + ["orders"] * 6
    assert list(out["commits"]) == [1, 0, 1, 0, 0, 1] + [1, 0, 0, 0, 0, 1]
    assert str(out["month"].dtype) == "datetime64[ns, UTC]"


def test_monthly_changes_uses_utc_calendar_months():
    commits, changes, context = history(
        [("c1", "a", "2024-01-31T23:30:00Z", False), ("c2", "a", "2024-02-01T00:00:00Z", False)],
        [("c1", "p", "x", 1, 0), ("c2", "p", "x", 1, 0)],
    )
    out = monthly_changes(commits, changes, context)
    assert list(out["commits"]) == [1, 1]
    assert list(out["month"]) == [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-02-01", tz="UTC")]


def test_file_hotspots_ranks_paths_by_revisions():
    out = file_hotspots(*SAMPLE, now=NOW, recent_days=30)
    assert list(out.columns) == HOTSPOT_COLUMNS
    assert as_records(out) == [
        {"path": "billing/a.py", "context": "billing", "revisions": 2, "revisions_recent": 0, "churn": 15.0},
        {"path": "billing/b.py", "context": "billing", "revisions": 2, "revisions_recent": 1, "churn": None},
        {"path": "orders/o.py", "context": "orders", "revisions": 2, "revisions_recent": 1, "churn": 10.0},
        {"path": "README.md", "context": None, "revisions": 1, "revisions_recent": 1, "churn": 1.0},
    ]


def test_unassigned_shares_judge_source_files_only():
    from analysis.measures.history import source_files_at_head

    head = pd.Series(["app", None, None], index=["app/a.py", "docs/x.md", "static/s.css"], dtype="string")
    assert list(source_files_at_head(head)) == ["app"]  # docs and assets are no one's
    docs_only = pd.Series([None], index=["README.md"], dtype="string")
    assert source_files_at_head(docs_only).isna().all()  # no source at all: every file counts
