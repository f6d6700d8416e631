"""Share of commits spanning several contexts, per month and overall."""

import pandas as pd
import pytest

from analysis import frames
from analysis.metrics.coordination import MONTHLY_COLUMNS, cross_context_commits, cross_context_share


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


SAMPLE = history(
    [
        ("c1", "2024-01-05T00:00:00Z", False),  # billing + orders: cross
        ("c2", "2024-01-31T23:30:00Z", False),  # two billing files: not cross (January in UTC)
        ("c3", "2024-02-03T00:00:00Z", False),  # billing + unassigned: not cross
        ("c4", "2024-02-10T00:00:00Z", False),  # unassigned only: counted, never cross
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
    assert list(out["commits"]) == [2, 2, 1]
    assert list(out["cross_context_commits"]) == [1, 0, 1]
    assert list(out["share"]) == [0.5, 0.0, 1.0]
    assert str(out["month"].dtype) == "datetime64[ns, UTC]"


def test_overall_share_excludes_merges():
    assert cross_context_share(*SAMPLE) == 2 / 5


def test_recent_share():
    # (Feb 1, Mar 1]: c3, c4, c6
    assert cross_context_share(*SAMPLE, now=pd.Timestamp("2024-03-01T00:00:00Z"), recent_days=29) == 1 / 3


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
    assert cross_context_share(commits, changes, context) == 0.0
    out = cross_context_commits(commits, changes, context)
    assert out.empty and list(out.columns) == MONTHLY_COLUMNS


def test_empty_window_share_is_zero():
    assert cross_context_share(*SAMPLE, now=pd.Timestamp("2030-01-01T00:00:00Z"), recent_days=30) == 0.0
