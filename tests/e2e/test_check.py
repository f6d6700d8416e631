"""``seams check`` on a small repository: the gate, the ratchet, growth refused, stale entries,
and the import-linter contract it writes holding exactly when the gate passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import git, make_repo

from analysis import cli

FILES = {
    "shop/__init__.py": "",
    "shop/orders/__init__.py": "",
    "shop/orders/models.py": "class Order:\n    pass\n",
    "shop/orders/services.py": "from shop.billing.invoices import invoice\n",
    "shop/billing/__init__.py": "",
    "shop/billing/invoices.py": "from shop.orders.models import Order\n\n\ndef invoice(order: Order):\n    return order\n",
    "shop/billing/tax.py": "import shop.orders.models\n",
    "shop/catalog/__init__.py": "",
    "shop/catalog/products.py": "X = 1\n",
}
CONFIG = """name: shop
sources:
  imports: {repository: repo, packages: [shop]}
contexts:
  orders: {paths: ["shop/orders/**"]}
  billing: {paths: ["shop/billing/**"]}
  catalog: {paths: ["shop/catalog/**"], depends_on: []}
"""


@pytest.fixture
def shop(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    make_repo(tmp_path / "repo", FILES)
    (tmp_path / "seams.yml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def check(root: Path, *extra: str) -> int:
    return cli.main(["check", "--config", str(root / "seams.yml"), *extra])


def edit(root: Path, name: str, text: str) -> None:
    (root / "repo" / name).write_text(text, encoding="utf-8")
    git(root / "repo", "add", "-A")
    git(root / "repo", "commit", "-q", "-m", f"edit {name}")


def baseline(root: Path) -> dict:
    return json.loads((root / "seams-baseline.json").read_text(encoding="utf-8"))


def test_without_a_baseline_every_violation_is_new_and_listed_with_its_line(shop, capsys):
    assert check(shop) == 1
    out = capsys.readouterr().out
    assert "imports on a cycle between contexts: 3" in out
    assert "cycle billing -> orders: shop.billing.invoices -> shop.orders.models" in out
    assert "shop/billing/invoices.py:1" in out
    assert "tables written by several contexts: not checked  [not measured: no SQL log and no traces given" in out


def test_the_gate_ratchets(shop, capsys):
    assert check(shop, "--update-baseline") == 0
    first = baseline(shop)
    assert first["summary"] == {"violations": 3, "occurrences": 3, "by_rule": {"cycle": 3}}
    assert first["pairs"] == {"billing -> orders": {"cycle": 2}, "orders -> billing": {"cycle": 1}}
    assert first["dependencies"] == {"billing": ["orders"], "orders": ["billing"]}  # catalog declares depends_on
    assert check(shop) == 0
    assert "check passed" in capsys.readouterr().out

    # a new cross-context import fails the gate, with its path:line
    edit(shop, "shop/catalog/products.py", "X = 1\nfrom shop.orders.models import Order\n")
    assert check(shop) == 1
    out = capsys.readouterr().out
    assert "new (1):\n  import catalog -> orders: shop.catalog.products -> shop.orders.models\n      shop/catalog/products.py:2" in out
    # ... and the baseline refuses to grow without --force
    assert check(shop, "--update-baseline") == 1
    assert "baseline not updated" in capsys.readouterr().out
    assert baseline(shop) == first

    # removing one ratchets the baseline: the entry is stale, then gone
    edit(shop, "shop/catalog/products.py", "X = 1\n")
    edit(shop, "shop/billing/tax.py", "X = 2\n")
    assert check(shop) == 0
    out = capsys.readouterr().out
    assert "stale: fixed since the baseline (1)" in out and "cycle billing -> orders: shop.billing.tax -> shop.orders.models" in out
    assert check(shop, "--update-baseline") == 0
    tightened = baseline(shop)
    assert tightened["summary"]["violations"] == 2 and tightened["accepted_growth"] == []

    # the fixed import may not come back
    edit(shop, "shop/billing/tax.py", "import shop.orders.models\n")
    assert check(shop) == 1
    assert "new (1):\n  cycle billing -> orders: shop.billing.tax -> shop.orders.models" in capsys.readouterr().out


def test_growth_is_accepted_only_with_force_and_recorded(shop, capsys):
    assert check(shop, "--update-baseline") == 0
    edit(shop, "shop/catalog/products.py", "X = 1\nfrom shop.orders.models import Order\nfrom shop.orders import models\n")
    assert check(shop, "--update-baseline") == 1
    assert check(shop, "--update-baseline", "--force") == 0
    doc = baseline(shop)
    assert doc["accepted_growth"][0]["violations"] == ["import catalog -> orders: shop.catalog.products -> shop.orders.models (2x)"]
    assert len(doc["accepted_growth"][0]["head"]) == 40
    assert {"rule": "import", "source": "catalog", "target": "orders", "subject": "shop.catalog.products -> shop.orders.models",
            "count": 2, "path": "shop/catalog/products.py"} in doc["violations"]
    capsys.readouterr()
    assert check(shop) == 0
    # a third import line of the same modules is growth of an existing entry
    edit(shop, "shop/catalog/products.py", "X = 1\nfrom shop.orders.models import Order\nfrom shop.orders import models\nimport shop.orders.models\n")
    assert check(shop) == 1
    assert "grown (1):\n  import catalog -> orders: shop.catalog.products -> shop.orders.models (3x) (baseline: 2)" in capsys.readouterr().out


def test_a_context_without_depends_on_may_keep_its_measured_dependencies_but_not_gain_one(shop, capsys):
    assert check(shop, "--update-baseline") == 0
    edit(shop, "shop/billing/more.py", "from shop.orders import models\n")  # billing -> orders existed: a cycle entry more
    assert check(shop) == 1
    assert "new (1):\n  cycle billing -> orders: shop.billing.more -> shop.orders.models" in capsys.readouterr().out
    edit(shop, "shop/billing/more.py", "from shop.catalog import products\n")  # billing -> catalog is new
    assert check(shop) == 1
    assert "new (1):\n  import billing -> catalog: shop.billing.more -> shop.catalog.products" in capsys.readouterr().out
    assert check(shop, "--update-baseline", "--force") == 0
    doc = baseline(shop)
    assert doc["dependencies"]["billing"] == ["catalog", "orders"]
    assert doc["accepted_growth"][0]["dependencies"] == ["billing -> catalog"]
    assert not any(v["rule"] == "import" for v in doc["violations"])  # the dependency is now as measured


def test_the_baseline_file_is_deterministic(shop, capsys):
    assert check(shop, "--update-baseline") == 0
    once = (shop / "seams-baseline.json").read_bytes()
    assert check(shop, "--update-baseline", "--no-cache") == 0
    assert (shop / "seams-baseline.json").read_bytes() == once
    lines = once.decode().splitlines()
    assert sum(ln.startswith('    {"rule": ') for ln in lines) == len(json.loads(once)["violations"]) == 3  # one per line


def test_explicit_baseline_must_exist_and_force_needs_update(shop, capsys):
    assert check(shop, "--baseline", str(shop / "nope.json")) == 2
    assert "no baseline file" in capsys.readouterr().err
    assert check(shop, "--force") == 2
    (shop / "bad.json").write_text("{}", encoding="utf-8")
    assert check(shop, "--baseline", str(shop / "bad.json")) == 2
    assert "not a Seams baseline" in capsys.readouterr().err


def test_the_contracts_hold_exactly_when_the_gate_passes(shop, capsys):
    lint = Path(sys.executable).with_name("lint-imports")
    assert check(shop, "--update-baseline", "--write-contracts", str(shop / "contracts")) == 0
    ini = (shop / "contracts" / "importlinter.ini").read_text(encoding="utf-8")
    assert "ignore_imports =\n    shop.billing.invoices -> shop.orders.models\n    shop.billing.tax -> shop.orders.models" in ini
    tach = (shop / "contracts" / "tach.toml").read_text(encoding="utf-8")
    assert 'path = "shop.billing"\ndepends_on = [{ path = "shop.orders", deprecated = true }]' in tach
    assert 'path = "shop.catalog"\ndepends_on = []' in tach

    def lint_imports() -> subprocess.CompletedProcess:
        return subprocess.run([str(lint), "--no-cache", "--config", str(shop / "contracts" / "importlinter.ini")],
                              cwd=shop / "repo", capture_output=True, text=True)

    assert lint_imports().returncode == 0
    edit(shop, "shop/catalog/products.py", "X = 1\nfrom shop.orders.models import Order\n")
    assert check(shop) == 1
    broken = lint_imports()
    assert broken.returncode == 1 and "shop.catalog.products -> shop.orders.models" in broken.stdout
