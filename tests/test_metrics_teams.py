"""Authors, teams, ownership and cross-team changes on tiny literal histories."""

import math

import pandas as pd

from analysis import frames
from analysis.metrics.teams import (
    MATRIX_COLUMNS,
    TEAM_COLUMNS,
    UNKNOWN_TEAM,
    team_by_context,
    team_context_matrix,
    team_of_author,
    team_summary,
)

NOW = pd.Timestamp("2024-06-01T00:00:00Z")
TEAMS = {"alice@x": "payments", "Bob": "logistics", "dave@x.com": "payments"}


def history(commits, changes):
    """commits: (sha, name, email, committed_at); changes: (sha, path, context)."""
    c = frames.conform(
        pd.DataFrame(
            {
                "commit": [r[0] for r in commits],
                "author_name": [r[1] for r in commits],
                "author_email": [r[2] for r in commits],
                "authored_at": [r[3] for r in commits],
                "committed_at": [r[3] for r in commits],
                "parents": [1] * len(commits),
                "is_merge": [False] * len(commits),
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


# recent window (30 days) = (May 2, Jun 1]: c2..c5
SAMPLE = history(
    [
        ("c0", "Erin", "erin@x", "2023-12-01T00:00:00Z"),
        ("c1", "Alice", "alice@x", "2024-01-10T00:00:00Z"),
        ("c2", "Bob", "bob@x", "2024-05-10T00:00:00Z"),
        ("c3", "Alice", "alice@x", "2024-05-15T00:00:00Z"),
        ("c4", "Carol", "carol@x", "2024-05-20T00:00:00Z"),
        ("c5", "Dave", "DAVE@X.COM", "2024-05-25T00:00:00Z"),
    ],
    [
        ("c0", "billing/a.py", "billing"),
        ("c0", "legacy/l.py", "legacy"),
        ("c1", "billing/a.py", "billing"),
        ("c2", "billing/a.py", "billing"),
        ("c2", "orders/o.py", "orders"),
        ("c3", "billing/b.py", "billing"),
        ("c3", "billing/a.py", "billing"),
        ("c4", "orders/o.py", "orders"),
        ("c4", "README.md", None),
        ("c5", "billing/a.py", "billing"),
    ],
)


def as_records(frame):
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_team_lookup_by_email_then_name():
    assert team_of_author("Alice", "alice@x", TEAMS) == "payments"
    assert team_of_author("Dave", "DAVE@X.COM", TEAMS) == "payments"  # e-mail case does not matter
    assert team_of_author("Bob", "bob@x", TEAMS) == "logistics"  # by name when the e-mail is unknown
    assert team_of_author("Carol", "carol@x", TEAMS) == UNKNOWN_TEAM
    assert team_of_author("Bob", "alice@x", TEAMS) == "payments"  # e-mail wins over name


def test_team_by_context():
    out = team_by_context(*SAMPLE, TEAMS, now=NOW, recent_days=30)
    assert list(out.columns) == TEAM_COLUMNS
    billing, legacy, orders = as_records(out)
    # billing: erin, alice, bob, dave ever; recent c2 (logistics), c3 (payments), c5 (payments)
    assert billing == {"context": "billing", "authors": 4, "authors_recent": 3, "teams": 2,
                       "main_team": "payments", "main_team_share": 2 / 3, "cross_team_share": 1 / 3}
    # legacy: no recent commit -> teams and main team from all history, cross-team share NaN;
    # the unknown team is never counted as a team
    assert legacy == {"context": "legacy", "authors": 1, "authors_recent": 0, "teams": 0,
                      "main_team": UNKNOWN_TEAM, "main_team_share": 1.0, "cross_team_share": None}
    # orders: logistics (c2) ties with unknown (c4): the known team wins the tie
    assert orders == {"context": "orders", "authors": 2, "authors_recent": 2, "teams": 1,
                      "main_team": "logistics", "main_team_share": 0.5, "cross_team_share": 0.5}


def test_main_team_ties_go_to_the_first_name():
    commits, changes, context = history(
        [("c1", "Bob", "bob@x", "2024-05-30T00:00:00Z"), ("c2", "Alice", "alice@x", "2024-05-31T00:00:00Z")],
        [("c1", "s.py", "shipping"), ("c2", "s.py", "shipping")],
    )
    row = team_by_context(commits, changes, context, TEAMS, now=NOW, recent_days=30).iloc[0]
    assert row["main_team"] == "logistics"
    assert row["main_team_share"] == 0.5 and row["teams"] == 2


def test_a_commit_counts_once_per_context():
    commits, changes, context = history(
        [("c1", "Alice", "alice@x", "2024-05-30T00:00:00Z"), ("c2", "Bob", "bob@x", "2024-05-31T00:00:00Z")],
        [("c1", "a.py", "x"), ("c1", "b.py", "x"), ("c1", "c.py", "x"), ("c2", "a.py", "x")],
    )
    row = team_by_context(commits, changes, context, TEAMS, now=NOW, recent_days=30).iloc[0]
    assert row["main_team_share"] == 0.5  # not 3/4


def test_team_summary():
    out = team_summary(*SAMPLE, TEAMS, now=NOW, recent_days=30)
    # c2 bob->billing (payments) crosses, c3 no, c4 carol (unknown)->orders (logistics) crosses, c5 no
    assert out == {"active_authors": 4, "active_teams": 2, "cross_team_change_share": 0.5, "unknown_authors": 1}


def test_team_summary_identifies_authors_by_case_insensitive_email():
    commits, changes, context = history(
        [("c1", "Alice", "alice@x", "2024-05-30T00:00:00Z"), ("c2", "A. Smith", "ALICE@x", "2024-05-31T00:00:00Z")],
        [("c1", "a.py", "x"), ("c2", "a.py", "x")],
    )
    out = team_summary(commits, changes, context, TEAMS, now=NOW, recent_days=30)
    assert out["active_authors"] == 1 and out["unknown_authors"] == 0
    assert out["cross_team_change_share"] == 0.0


def test_team_context_matrix():
    out = team_context_matrix(*SAMPLE, TEAMS, now=NOW, recent_days=30)
    assert list(out.columns) == MATRIX_COLUMNS
    assert as_records(out) == [
        {"team": UNKNOWN_TEAM, "context": "orders", "commits": 1},
        {"team": "logistics", "context": "billing", "commits": 1},
        {"team": "logistics", "context": "orders", "commits": 1},
        {"team": "payments", "context": "billing", "commits": 2},
    ]


def test_empty_team_map_makes_everyone_unknown():
    out = team_summary(*SAMPLE, {}, now=NOW, recent_days=30)
    assert out["active_teams"] == 0 and out["unknown_authors"] == 4
    assert out["cross_team_change_share"] == 0.0  # every context's main team is the unknown team


def test_empty_history():
    commits, changes = frames.empty("commits"), frames.empty("file_changes")
    context = pd.Series([], dtype="string")
    assert list(team_by_context(commits, changes, context, TEAMS, now=NOW).columns) == TEAM_COLUMNS
    assert team_by_context(commits, changes, context, TEAMS, now=NOW).empty
    assert team_summary(commits, changes, context, TEAMS, now=NOW) == {
        "active_authors": 0, "active_teams": 0, "cross_team_change_share": 0.0, "unknown_authors": 0}
    assert list(team_context_matrix(commits, changes, context, TEAMS, now=NOW).columns) == MATRIX_COLUMNS


def test_nothing_recent_gives_zero_activity_and_nan_cross_team_share():
    out = team_by_context(*SAMPLE, TEAMS, now=pd.Timestamp("2025-06-01T00:00:00Z"), recent_days=30)
    assert (out["authors_recent"] == 0).all()
    assert all(math.isnan(v) for v in out["cross_team_share"])
