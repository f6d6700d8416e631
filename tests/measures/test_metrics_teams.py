"""Authors, teams, ownership and cross-team changes on tiny literal histories."""

import math

import pandas as pd
import pytest

from analysis.core import frames
from analysis.measures.metrics.teams import (
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


# --------------------------------------------------------------------------------------
# authors per context, fragmentation, Conway alignment, active authors


from analysis.measures.metrics.teams import (  # noqa: E402
    ACTIVE_COLUMNS,
    AUTHOR_COLUMNS,
    COCHANGE_COLUMNS,
    FRAGMENTATION_COLUMNS,
    active_authors,
    context_authors,
    context_fragmentation,
    conway_alignment,
    cross_team_cochange,
)


def test_context_authors():
    out = context_authors(*SAMPLE, TEAMS)
    assert list(out.columns) == AUTHOR_COLUMNS
    billing = [r for r in as_records(out) if r["context"] == "billing"]
    # billing: c0 erin, c1 + c3 alice, c2 bob, c5 dave (e-mail folded) -> 5 commits
    assert billing == [
        {"context": "billing", "author": "alice@x", "team": "payments", "commits": 2, "share": 0.4},
        {"context": "billing", "author": "bob@x", "team": "logistics", "commits": 1, "share": 0.2},
        {"context": "billing", "author": "dave@x.com", "team": "payments", "commits": 1, "share": 0.2},
        {"context": "billing", "author": "erin@x", "team": UNKNOWN_TEAM, "commits": 1, "share": 0.2},
    ]


def test_context_fragmentation_is_code_maats_fractal_value():
    out = context_fragmentation(*SAMPLE)
    assert list(out.columns) == FRAGMENTATION_COLUMNS
    billing, orders, legacy = as_records(out)
    # billing: 5 commits by erin 1, alice 2, bob 1, dave 1 -> 1 - (1 + 4 + 1 + 1) / 25
    assert billing["context"] == "billing" and billing["commits"] == 5 and billing["authors"] == 4
    assert billing["fractal_value"] == pytest.approx(0.72)
    assert billing["main_author"] == "alice@x" and billing["main_author_share"] == 0.4
    # orders: bob 1, carol 1 -> 1 - 2 * (1/2)^2; the tie goes to the first author in sort order
    assert orders["context"] == "orders" and orders["fractal_value"] == pytest.approx(0.5)
    assert orders["main_author"] == "bob@x"
    # legacy: one author owns it all
    assert legacy["context"] == "legacy" and legacy["fractal_value"] == 0.0 and legacy["main_author_share"] == 1.0


def test_cross_team_cochange():
    out = cross_team_cochange(*SAMPLE, TEAMS, now=NOW, recent_days=30)
    assert list(out.columns) == COCHANGE_COLUMNS
    # c0 couples billing (payments) with legacy (unknown main team): cannot be judged;
    # c2 (bob, logistics) couples billing (payments) with orders (logistics): cross-team
    assert as_records(out) == [
        {"context_a": "billing", "context_b": "legacy", "main_team_a": "payments", "main_team_b": UNKNOWN_TEAM,
         "shared_commits": 1, "cross_team": None, "outside_commits": 0},
        {"context_a": "billing", "context_b": "orders", "main_team_a": "payments", "main_team_b": "logistics",
         "shared_commits": 1, "cross_team": True, "outside_commits": 0},
    ]


def test_cross_team_cochange_counts_authors_of_a_third_team_and_skips_bulk_edits():
    commits, changes, context = history(
        [("c1", "Carol", "carol@x", "2024-05-20T00:00:00Z"),  # unknown team edits two payments contexts
         ("c2", "Alice", "alice@x", "2024-05-21T00:00:00Z"),
         ("c3", "Alice", "alice@x", "2024-05-22T00:00:00Z")],  # 3 paths: a bulk edit below
        [("c1", "a/x.py", "a"), ("c1", "b/y.py", "b"), ("c2", "a/x.py", "a"), ("c2", "b/y.py", "b"),
         ("c3", "a/x.py", "a"), ("c3", "b/y.py", "b"), ("c3", "b/z.py", "b")],
    )
    out = cross_team_cochange(commits, changes, context, TEAMS, now=NOW, recent_days=30, max_changeset_size=2)
    assert as_records(out) == [{"context_a": "a", "context_b": "b", "main_team_a": "payments", "main_team_b": "payments",
                                "shared_commits": 2, "cross_team": False, "outside_commits": 1}]


def test_conway_alignment():
    out = conway_alignment(*SAMPLE, TEAMS, now=NOW, recent_days=30)
    # recent cross-context commits: c2 only (billing/payments + orders/logistics)
    assert out == {"cross_context_commits": 1, "judged_commits": 1, "cross_team_commits": 1,
                   "cross_team_share": 1.0, "pairs": 1, "cross_team_pairs": 1}
    none = conway_alignment(*SAMPLE, TEAMS, now=NOW, recent_days=30, max_changeset_size=1)
    assert none["cross_context_commits"] == 0 and math.isnan(none["cross_team_share"])


def test_active_authors():
    out = active_authors(SAMPLE[0], TEAMS, now=NOW, days=30)
    assert list(out.columns) == ACTIVE_COLUMNS
    assert list(out["author"]) == ["alice@x", "bob@x", "carol@x", "dave@x.com"]
    assert list(out["team"]) == ["payments", "logistics", UNKNOWN_TEAM, "payments"]
    assert len(out) == team_summary(*SAMPLE, TEAMS, now=NOW, recent_days=30)["active_authors"]
    assert out.loc[out["author"] == "dave@x.com", "last_commit_at"].iloc[0] == pd.Timestamp("2024-05-25T00:00:00Z")


def test_new_team_metrics_on_an_empty_history():
    commits, changes = frames.empty("commits"), frames.empty("file_changes")
    context = pd.Series([], dtype="string")
    assert list(context_authors(commits, changes, context, TEAMS).columns) == AUTHOR_COLUMNS
    assert list(context_fragmentation(commits, changes, context).columns) == FRAGMENTATION_COLUMNS
    assert cross_team_cochange(commits, changes, context, TEAMS, now=NOW).empty
    assert conway_alignment(commits, changes, context, TEAMS, now=NOW)["cross_context_commits"] == 0
    assert active_authors(commits, TEAMS, now=NOW).empty
