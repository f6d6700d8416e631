"""Boundary contracts: import-linter and tach text from a context graph, run by lint-imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analysis.outputs.contracts import context_module_prefixes, contract_violations, import_linter_contract, tach_toml, target_levels


def edges(rows):
    return pd.DataFrame(rows, columns=["source", "target", "edges"])


def cut_frame(rows):
    return pd.DataFrame(rows, columns=["source", "target", "edges", "evidence"])


def test_prefixes_cover_each_context_and_nothing_else():
    got = context_module_prefixes({
        "billing": ["shop.billing", "shop.billing.a", "shop.billing.b"],
        "catalog": ["shop.catalog", "shop.pricing"],
        "web": ["shop", "shop.web.views"],
    })
    assert got == {"billing": ["shop.billing"], "catalog": ["shop.catalog", "shop.pricing"], "web": ["shop.web"]}
    assert context_module_prefixes({}) == {}


def test_layers_from_levelization_without_the_edges_to_cut():
    mods = {"web": ["shop.web"], "billing": ["shop.billing"], "catalog": ["shop.catalog"]}
    e = edges([["web", "billing", 2], ["billing", "catalog", 3], ["catalog", "billing", 1]])
    cut = cut_frame([["catalog", "billing", 1, ["shop/catalog.py:4"]]])
    assert target_levels(e, cut, mods) == {"catalog": 0, "billing": 1, "web": 2}
    text = import_linter_contract(mods, e, cut, ["shop"])
    assert "type = layers\nlayers =\n    shop.web\n    shop.billing\n    shop.catalog\n" in text
    assert contract_violations(cut).values.tolist() == [["catalog", "billing", "shop/catalog.py", 4]]
    toml = tach_toml(mods, e, cut)
    assert 'path = "shop.catalog"\ndepends_on = []' in toml
    assert 'path = "shop.web"\ndepends_on = ["shop.billing"]' in toml


def test_forbidden_when_a_context_has_several_prefixes_and_independence_when_no_edges():
    mods = {"a": ["p.a1", "p.a2"], "b": ["p.b"]}
    text = import_linter_contract(mods, edges([["a", "b", 1]]), cut_frame([]), ["p"])
    assert "type = forbidden\nsource_modules =\n    p.b\nforbidden_modules =\n    p.a1\n    p.a2\n" in text
    assert "source_modules =\n    p.a1" not in text  # a depends only on a lower level
    text = import_linter_contract(mods, edges([]), cut_frame([]), ["p"])
    assert "type = independence" in text
    assert contract_violations(cut_frame([])).empty


FIXTURE = {
    "shop/__init__.py": "",
    "shop/web.py": "from shop import billing\n",
    "shop/billing.py": "from shop import catalog\n",
    "shop/catalog.py": "x = 1\n\nfrom shop import billing\n",
}


def test_emitted_contract_runs_with_lint_imports_and_reports_the_known_violation(tmp_path):
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        if os.environ.get("CI"):
            pytest.fail("lint-imports (import-linter) is not installed")
        pytest.skip("lint-imports not installed")
    for name, text in FIXTURE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    mods = {"web": ["shop.web"], "billing": ["shop.billing"], "catalog": ["shop.catalog"]}
    e = edges([["web", "billing", 1], ["billing", "catalog", 1], ["catalog", "billing", 1]])
    cut = cut_frame([["catalog", "billing", 1, ["shop/catalog.py:3"]]])
    config = tmp_path / "contracts.ini"
    config.write_text(import_linter_contract(mods, e, cut, ["shop"]))
    run = subprocess.run([lint, "--config", str(config), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 broken" in run.stdout
    assert "shop.catalog -> shop.billing (l.3)" in run.stdout
    # without the import line to cut, the contract is kept
    (tmp_path / "shop/catalog.py").write_text("x = 1\n")
    run = subprocess.run([lint, "--config", str(config), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
