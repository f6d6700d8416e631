"""The decomposition finds the sample's planted couplings on its own (PLANTED.md): catalog and
search import each other and change together, orders writes inventory's stock table and changes
with it: each pair looks like one context."""

from __future__ import annotations

import csv

import pytest


@pytest.mark.e2e
def test_the_planted_couplings_are_found(sample_run):
    d = sample_run.findings["decomposition"]
    assert d["status"]["state"] == "measured" and set(d["signals"]) == {"imports", "cochange", "tables", "calls"}
    pairs = {tuple(sorted((p["context_a"], p["context_b"]))) for p in d["looks_like_one"]}
    assert {("catalog", "search"), ("inventory", "orders")} <= pairs
    declared = next(m for m in d["metrics"] if m["partition"] == "declared")
    assert declared["parts"] == 10 and 0 < declared["modularity"] < 1 and declared["mojofm_vs_declared"] is None
    assert d["better_partition"]["exists"] in (True, False)
    verdict = sample_run.findings["verdicts"]["modularize_in_place"]
    assert verdict["evidence"]["better_partition"]["candidate"] == d["better_partition"]["candidate"]
    rows = list(csv.DictReader((sample_run.run_dir / "partitions.csv").open(encoding="utf-8")))
    assert {r["partition"] for r in rows} == {m["partition"] for m in d["metrics"]}
