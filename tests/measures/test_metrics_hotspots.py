"""Hotspots: change frequency x complexity, on a tiny literal history."""

import pandas as pd
import pytest

from analysis.core import frames
from analysis.measures.metrics.hotspots import (
    CONTEXT_COLUMNS,
    HOTSPOT_COLUMNS,
    TREND_COLUMNS,
    context_hotspots,
    hotspot_trend,
    hotspots,
    indentation_scale,
)

NOW = pd.Timestamp("2024-03-31T00:00:00Z")


def history(commits, changes):
    """commits: (sha, committed_at); changes: (sha, path, context)."""
    c = frames.conform(pd.DataFrame({
        "commit": [r[0] for r in commits], "author_name": ["a"] * len(commits), "author_email": ["a@x"] * len(commits),
        "authored_at": [r[1] for r in commits], "committed_at": [r[1] for r in commits],
        "parents": [1] * len(commits), "is_merge": [False] * len(commits), "subject": ["s"] * len(commits),
    }), "commits")
    fc = frames.conform(pd.DataFrame({"commit": [r[0] for r in changes], "path": [r[1] for r in changes],
                                      "change_type": ["M"] * len(changes), "added": [1] * len(changes),
                                      "deleted": [0] * len(changes)}), "file_changes")
    return c, fc, pd.Series([r[2] for r in changes], dtype="string")


def complexity(rows):
    """rows: (path, language, nloc, ccn_total, indentation_complexity)."""
    return frames.conform(pd.DataFrame({
        "path": [r[0] for r in rows], "language": [r[1] for r in rows], "nloc": [r[2] for r in rows],
        "ccn_total": pd.array([r[3] for r in rows], dtype="Int64"), "ccn_max": pd.array([r[3] for r in rows], dtype="Int64"),
        "functions": [0] * len(rows), "indentation_complexity": [r[4] for r in rows],
    }), "complexity")


SAMPLE = history(
    [("c1", "2024-01-05T00:00:00Z"), ("c2", "2024-01-20T00:00:00Z"), ("c3", "2024-03-02T00:00:00Z"),
     ("c4", "2024-03-10T00:00:00Z")],
    [("c1", "core/a.py", "core"), ("c1", "b.yml", None), ("c2", "core/a.py", "core"), ("c3", "core/a.py", "core"),
     ("c3", "core/c.py", "core"), ("c4", "core/gone.py", "core")],
)
COMPLEXITY = complexity([
    ("core/a.py", "python", 40, 4, 10.0),
    ("core/c.py", "python", 60, 6, 20.0),
    ("b.yml", "text", 5, None, 5.0),
    ("core/never_changed.py", "python", 9, 9, 9.0),
])


def records(frame):
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_indentation_scale_is_ccn_per_indentation_of_parsed_files():
    assert indentation_scale(COMPLEXITY) == pytest.approx((4 + 6 + 9) / (10 + 20 + 9))
    assert indentation_scale(complexity([("x.txt", "text", 3, None, 4.0)])) == 1.0


def test_file_hotspots():
    c, fc, ctx = SAMPLE
    cx = COMPLEXITY[COMPLEXITY["path"] != "core/never_changed.py"]  # k = 10 / 30
    out = hotspots(c, fc, ctx, cx, now=NOW, recent_days=30)
    assert list(out.columns) == HOTSPOT_COLUMNS
    # revisions a=3, c=1, b=1; complexity a=4, c=6, b=5/3 (indentation 5 scaled by 1/3)
    # score = rev/3 * complexity/6; gone.py is not at HEAD, never_changed.py has no revision
    assert list(out["path"]) == ["core/a.py", "core/c.py", "b.yml"]
    assert list(out["score"]) == pytest.approx([2 / 3, 1 / 3, 5 / 54])
    assert list(out["complexity"]) == pytest.approx([4, 6, 5 / 3])
    assert list(out["complexity_source"]) == ["ccn", "ccn", "indentation"]
    assert list(out["revisions"]) == [3, 1, 1] and list(out["revisions_recent"]) == [1, 1, 0]
    assert out["context"].isna().tolist() == [False, False, True]


def test_context_hotspots():
    c, fc, ctx = SAMPLE
    cx = COMPLEXITY[COMPLEXITY["path"] != "core/never_changed.py"]
    files = hotspots(c, fc, ctx, cx, now=NOW)
    out = context_hotspots(files, c, fc, ctx)
    assert list(out.columns) == CONTEXT_COLUMNS
    (core,) = records(out)
    # revisions count every commit touching core, gone.py's c4 included
    assert core["files"] == 2 and core["revisions"] == 4 and core["nloc"] == 100 and core["complexity"] == 10.0
    assert core["score"] == pytest.approx(1.0)
    assert core["score_share"] == pytest.approx(1.0 / (1.0 + 5 / 54))
    assert core["top_file"] == "core/a.py"


def test_hotspot_trend_is_a_complete_monthly_grid_of_the_top_files():
    c, fc, ctx = SAMPLE
    files = hotspots(c, fc, ctx, COMPLEXITY, now=NOW)
    out = hotspot_trend(c, fc, files, top=2)
    assert list(out.columns) == TREND_COLUMNS
    assert list(out["path"]) == ["core/a.py"] * 3 + ["core/c.py"] * 3
    assert list(out["month"]) == [pd.Timestamp(m, tz="UTC") for m in ("2024-01-01", "2024-02-01", "2024-03-01")] * 2
    assert list(out["revisions"]) == [2, 0, 1, 0, 0, 1]


def test_zero_complexity_everywhere_scores_zero():
    c, fc, ctx = history([("c1", "2024-01-05T00:00:00Z")], [("c1", "const.py", "x")])
    out = hotspots(c, fc, ctx, complexity([("const.py", "python", 3, 0, 0.0)]), now=NOW)
    assert list(out["score"]) == [0.0]
    assert context_hotspots(out, c, fc, ctx)["score_share"].isna().all()


def test_empty_inputs():
    c, fc = frames.empty("commits"), frames.empty("file_changes")
    ctx = pd.Series([], dtype="string")
    out = hotspots(c, fc, ctx, frames.empty("complexity"), now=NOW)
    assert out.empty and list(out.columns) == HOTSPOT_COLUMNS
    assert list(context_hotspots(out, c, fc, ctx).columns) == CONTEXT_COLUMNS
    assert hotspot_trend(c, fc, out).empty
    # history without complexity (e.g. every file deleted since)
    c1, fc1, ctx1 = SAMPLE
    assert hotspots(c1, fc1, ctx1, frames.empty("complexity"), now=NOW).empty
