"""Co-change between contexts and between files, code-maat's degree."""

import pandas as pd
import pytest

from analysis.core import frames
from analysis.measures.coupling.evolutionary import CONTEXT_COLUMNS, FILE_COLUMNS, context_cochange, file_cochange


def history(changes, contexts=None):
    """changes: (sha, path) rows; commits are made for every sha, in order of appearance."""
    shas = list(dict.fromkeys(sha for sha, _ in changes))
    commits = frames.conform(
        pd.DataFrame(
            {
                "commit": shas,
                "author_name": ["a"] * len(shas),
                "author_email": ["a@x"] * len(shas),
                "authored_at": pd.date_range("2024-01-01", periods=len(shas), freq="D", tz="UTC"),
                "committed_at": pd.date_range("2024-01-01", periods=len(shas), freq="D", tz="UTC"),
                "parents": [1] * len(shas),
                "is_merge": [False] * len(shas),
                "subject": ["change"] * len(shas),
            }
        ),
        "commits",
    )
    fc = frames.conform(
        pd.DataFrame({"commit": [r[0] for r in changes], "path": [r[1] for r in changes], "change_type": ["M"] * len(changes)}),
        "file_changes",
    )
    context = pd.Series([(contexts or {}).get(p.split("/")[0]) for _, p in changes], dtype="string")
    return commits, fc, context


CONTEXTS = {"billing": "billing", "orders": "orders", "shipping": "shipping"}
SAMPLE = history(
    [
        ("c1", "billing/a.py"), ("c1", "orders/o.py"),
        ("c2", "billing/a.py"), ("c2", "orders/o.py"), ("c2", "README.md"),
        ("c3", "billing/b.py"),
        ("c4", "orders/o.py"), ("c4", "shipping/s.py"),
        # c5 is a bulk edit of 4 files
        ("c5", "billing/a.py"), ("c5", "orders/o.py"), ("c5", "shipping/s.py"), ("c5", "setup.cfg"),
    ],
    CONTEXTS,
)


def rows(frame):
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_context_cochange_excludes_bulk_commits_from_everything():
    out = context_cochange(*SAMPLE, max_changeset_size=3, min_shared_commits=1)
    assert list(out.columns) == CONTEXT_COLUMNS
    # revs: billing {c1,c2,c3}=3, orders {c1,c2,c4}=3, shipping {c4}=1
    # billing-orders: 2 / 3 * 100 = 66.7 -> 66 (truncated); orders-shipping: 1 / 2 * 100 = 50
    assert rows(out) == [("billing", "orders", 2, 3, 3, 66), ("orders", "shipping", 1, 3, 1, 50)]
    assert str(out["context_a"].dtype) == "string" and out["degree"].dtype == "int64"


def test_context_cochange_with_the_bulk_commit_kept():
    out = context_cochange(*SAMPLE, max_changeset_size=4, min_shared_commits=1)
    # revs: billing 4, orders 4, shipping 2; shared b-o 3 (75), o-s 2 / 3 (66), b-s 1 / 3 (33)
    assert rows(out) == [
        ("billing", "orders", 3, 4, 4, 75),
        ("orders", "shipping", 2, 4, 2, 66),
        ("billing", "shipping", 1, 4, 2, 33),
    ]


def test_context_cochange_drops_pairs_below_min_shared_commits():
    assert rows(context_cochange(*SAMPLE, max_changeset_size=3, min_shared_commits=2)) == [("billing", "orders", 2, 3, 3, 66)]
    assert context_cochange(*SAMPLE, max_changeset_size=3).empty  # default 5


def test_context_cochange_ties_sorted_by_name():
    commits, changes, context = history(
        [("c1", "b/1"), ("c1", "c/1"), ("c2", "a/1"), ("c2", "b/2")], {"a": "a", "b": "b", "c": "c"}
    )
    # b has 2 revisions, a and c one each; both pairs: 1 / 1.5 -> 66
    out = context_cochange(commits, changes, context, min_shared_commits=1)
    assert rows(out) == [("a", "b", 1, 1, 2, 66), ("b", "c", 1, 2, 1, 66)]


def test_context_cochange_empty_single_and_unassigned():
    empty = context_cochange(frames.empty("commits"), frames.empty("file_changes"), pd.Series([], dtype="string"))
    assert empty.empty and list(empty.columns) == CONTEXT_COLUMNS
    single = history([("c1", "billing/a.py"), ("c1", "billing/b.py")], CONTEXTS)
    assert context_cochange(*single, min_shared_commits=1).empty
    unassigned = history([("c1", "billing/a.py"), ("c1", "docs/x.md")], CONTEXTS)
    assert context_cochange(*unassigned, min_shared_commits=1).empty


def test_context_cochange_ignores_changes_of_commits_not_given():
    commits, changes, context = SAMPLE
    out = context_cochange(commits[commits["commit"] != "c1"], changes, context, max_changeset_size=3, min_shared_commits=1)
    # without c1: billing {c2,c3}, orders {c2,c4}, shipping {c4}
    assert rows(out) == [("orders", "shipping", 1, 2, 1, 66), ("billing", "orders", 1, 2, 2, 50)]


def test_context_cochange_needs_an_aligned_context():
    commits, changes, context = SAMPLE
    with pytest.raises(ValueError, match="aligned"):
        context_cochange(commits, changes, context.iloc[:3])


# code-maat's own example (logical_coupling_test.clj): rev 1 = A, B, C; rev 2 = A, B
CODE_MAAT = history([("r1", "A"), ("r1", "B"), ("r1", "C"), ("r2", "A"), ("r2", "B")])
LOW = {"min_revs": 1, "min_shared_revs": 1, "min_coupling": 50, "max_coupling": 100, "max_changeset_size": 10}


def test_file_cochange_matches_code_maat():
    out = file_cochange(*CODE_MAAT[:2], **LOW)
    assert list(out.columns) == FILE_COLUMNS
    assert rows(out) == [("A", "B", 100, 2), ("A", "C", 66, 2), ("B", "C", 66, 2)]


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"min_coupling": 67}, [("A", "B", 100, 2)]),  # 66.7 < 67
        ({"min_coupling": 66.6}, [("A", "B", 100, 2), ("A", "C", 66, 2), ("B", "C", 66, 2)]),  # 66.7 >= 66.6
        ({"max_coupling": 99}, [("A", "C", 66, 2), ("B", "C", 66, 2)]),
        ({"min_revs": 2}, [("A", "B", 100, 2)]),  # A-C average 1.5 < 2
        ({"min_shared_revs": 2}, [("A", "B", 100, 2)]),
        ({"max_changeset_size": 2}, [("A", "B", 100, 1)]),  # r1 is a bulk edit
    ],
)
def test_file_cochange_thresholds(override, expected):
    assert rows(file_cochange(*CODE_MAAT[:2], **{**LOW, **override})) == expected


def test_file_cochange_defaults_and_empty():
    assert file_cochange(*CODE_MAAT[:2]).empty  # default min_revs 5
    single = history([("r1", "This/is/a/single/entity")])
    assert file_cochange(*single[:2], **LOW).empty
    out = file_cochange(frames.empty("commits"), frames.empty("file_changes"))
    assert out.empty and list(out.columns) == FILE_COLUMNS
