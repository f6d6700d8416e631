"""Rejects: counted in records, kept in detail up to a bound, written as CSV."""

from __future__ import annotations

import csv

from analysis.core import rejects as rejects_module
from analysis.core.rejects import COLUMNS, Rejects


def test_a_reject_can_stand_for_several_records(tmp_path):
    rejects = Rejects()
    rejects.add("t.jsonl", "line 3", "invalid JSON", records=12)
    rejects.add("t.jsonl", "line 9", "span is not an object")
    assert rejects.count("t.jsonl") == 13 and len(rejects.records) == 2
    merged = Rejects()
    merged.extend(rejects)
    assert merged.count("t.jsonl") == 13
    rows = list(csv.DictReader(rejects.write(tmp_path / "r.csv").open(encoding="utf-8")))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["location"], r["records"]) for r in rows] == [("line 3", "12"), ("line 9", "1")]


def test_details_are_bounded_counts_exact(monkeypatch):
    monkeypatch.setattr(rejects_module, "MAX_KEPT_PER_SOURCE", 3)
    rejects = Rejects()
    for n in range(10):
        rejects.add("a", n, "bad", records=2)
    rejects.add("b", 1, "bad")
    assert rejects.count("a") == 20 and rejects.kept("a") == 3 and rejects.kept("b") == 1
    merged = Rejects()
    merged.extend(rejects)
    assert merged.count("a") == 20 and merged.count("b") == 1
