"""seams init on small repositories of each convention: the contexts it proposes, and a file
that Seams' own config reader accepts and the pipeline runs as it is."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from gitrepo import git, make_repo

from analysis.cli import main
from analysis.core.config import load_config
from analysis.discovery.propose import propose
from analysis.discovery.tree import parse_name_status
from analysis.discovery.writer import config_text, write_proposal
from analysis.mapping.contexts import unassigned_prefixes

APPS = "from django.apps import AppConfig\n\n\nclass {cls}Config(AppConfig):\n    name = \"shop.{name}\"\n"
MODEL = "from django.db import models\n\n\nclass {cls}(models.Model):\n    name = models.CharField(max_length=10)\n"


def django_repo(path: Path) -> Path:
    files = {
        "manage.py": "",
        "shop/__init__.py": "",
        "shop/settings.py": 'INSTALLED_APPS = ["django.contrib.auth", "shop.orders", "shop.billing", "shop.catalog", "shop.common", "shop.graphql"]\n',
        "shop/urls.py": 'from django.urls import include, path\n\nurlpatterns = [path("orders/", include("shop.orders.urls")), '
                        'path("billing/", include("shop.billing.urls"))]\n',
        "shop/common/__init__.py": "", "shop/common/apps.py": APPS.format(cls="Common", name="common"),
        "shop/common/money.py": "def add(a, b):\n    return a + b\n",
        "shop/graphql/__init__.py": "", "shop/graphql/api.py": "SCHEMA = None\n",
        "shop/graphql/orders/__init__.py": "", "shop/graphql/orders/schema.py": "from shop.orders.models import Order\n",
        "shop/graphql/billing/__init__.py": "", "shop/graphql/billing/schema.py": "from shop.billing.models import Invoice\n",
        "shop/static/logo.svg": "<svg/>",
        "shop/orders/migrations/__init__.py": "",
        "poetry.lock": "",
        "README.md": "# Shop\n", "docs/guide.md": "# Guide\n",  # documentation: in no context, and not counted against the map
    }
    for name, cls in (("orders", "Order"), ("billing", "Invoice"), ("catalog", "Product")):
        files |= {f"shop/{name}/__init__.py": "", f"shop/{name}/apps.py": APPS.format(cls=cls, name=name),
                  f"shop/{name}/models.py": MODEL.format(cls=cls), f"shop/{name}/services.py": "from shop.common.money import add\n",
                  f"shop/{name}/views.py": "def index(request):\n    return None\n",
                  f"shop/{name}/urls.py": 'from django.urls import path\n\nfrom . import views\n\nurlpatterns = [path("", views.index)]\n'}
    # the orders app was called cart: its files are renamed in a second commit
    cart = {k.replace("shop/orders/", "shop/cart/"): v for k, v in files.items() if k.startswith("shop/orders/") and "migrations" not in k}
    first = {k: v for k, v in files.items() if not k.startswith("shop/orders/")} | cart
    make_repo(path, first)
    git(path, "mv", "shop/cart", "shop/orders")
    for name, text in files.items():
        if name.startswith("shop/orders/"):
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_text(text, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "cart becomes orders", date="2024-02-01T00:00:00Z")
    return path


def contexts(proposal) -> dict[str, list[str]]:
    return {c.name: c.paths for c in proposal.candidates}


def test_django_apps_layers_renames_shared_kernel_tables_and_routes(tmp_path):
    repo = django_repo(tmp_path / "shop")
    p = propose(repo)
    found = contexts(p)
    assert set(found) == {"orders", "billing", "catalog", "common", "graphql", "project"}
    assert found["orders"] == ["shop/orders/**", "shop/graphql/orders/**", "shop/cart/**"]  # layer folded, old name
    assert found["billing"] == ["shop/billing/**", "shop/graphql/billing/**"]
    roles = {c.name: c.role for c in p.candidates}
    assert roles["graphql"] == "layer" and roles["common"] == "shared" and roles["project"] == "shared" and roles["orders"] == "domain"
    assert p.tables["orders"] == ["orders_order"] and p.tables["billing"] == ["billing_invoice"]
    assert p.routes.get("orders") == ["/orders", "/orders/*"] and p.routes.get("billing") == ["/billing", "/billing/*"]
    assert [(o.old, o.context) for o in p.old_names] == [("shop/cart", "orders")]
    ignored = {pattern for pattern, *_ in p.ignores}
    assert {"**/migrations/**", "**/*.svg", "**/*.lock", "**/static/**"} <= ignored
    # manage.py alone lies outside every context (migrations, the svg and the lock file are ignored;
    # README.md and docs/ are not source files)
    assert (p.coverage.files, p.coverage.files_assigned) == (31, 30)
    per = p.coverage.per_context.set_index("context")
    # orders: its 6 files (its migrations ignored) and its graphql folder's 2; in the history the 6 added
    # as shop/cart/, their 6 renames and the 2 graphql files
    assert per.loc["orders"].tolist() == [8, 14] and per.loc["graphql"].tolist() == [2, 2]
    assert p.coverage.unassigned_head.values.tolist() == [["(root)", 1, pytest.approx(1 / 31)]]


def test_the_written_file_loads_and_runs_as_it_is(tmp_path):
    repo = django_repo(tmp_path / "shop")
    out = tmp_path / "conf" / "seams.yml"
    printed = write_proposal(repo, out)
    assert "coverage: 97% of 31 source files at HEAD" in printed
    config = load_config(out)
    assert set(config.context_names) == {"orders", "billing", "catalog", "common", "graphql", "project"}
    assert config.git is not None and "**/migrations/**" in config.git.ignore_paths
    from analysis import pipeline

    result = pipeline.run(config, use_cache=False)
    assert result.structure.status.known and result.decomposition is not None
    assert result.inputs["git"]["unassigned_prefixes"] == [{"prefix": "(root)", "paths": 1, "share": pytest.approx(1 / 31)}]
    with pytest.raises(Exception, match="already exists"):
        write_proposal(repo, out)
    with pytest.raises(Exception, match="inside the analysed repository"):
        write_proposal(repo, repo / "seams.yml")


def test_the_command_writes_and_prints(tmp_path, capsys):
    repo = django_repo(tmp_path / "shop")
    assert main(["init", str(repo), "--out", str(tmp_path / "seams.yml")]) == 0
    assert "6 contexts proposed (django)" in capsys.readouterr().out
    assert main(["init", str(repo), "--out", str(tmp_path / "seams.yml")]) == 2


def test_python_packages_of_the_main_package_and_codeowners(tmp_path):
    repo = make_repo(tmp_path / "r", {
        "pkg/__init__.py": "", "pkg/a/__init__.py": "", "pkg/a/x.py": "", "pkg/a/y.py": "",
        "pkg/b/__init__.py": "", "pkg/b/z.py": "import pkg.a.x\n", "pkg/b/w.py": "", "pkg/tests/__init__.py": "", "pkg/tests/t.py": "",
        ".github/CODEOWNERS": "* @acme/everyone\n/pkg/a/ @acme/team-a\n",
    })
    p = propose(repo)
    assert contexts(p) == {"a": ["pkg/a/**"], "b": ["pkg/b/**"]}
    assert p.owners == {"a": ["@acme/team-a"], "b": ["@acme/everyone"]}
    text = config_text(p, tmp_path)
    assert "# owners (.github/CODEOWNERS): @acme/team-a" in text and '#   "acme/team-a": []' in text


def test_java_sub_packages_of_the_spring_boot_root(tmp_path):
    base = "src/main/java/com/shop"
    repo = make_repo(tmp_path / "j", {
        f"{base}/ShopApplication.java": "package com.shop;\n@SpringBootApplication\npublic class ShopApplication {}\n",
        f"{base}/billing/Invoice.java": "package com.shop.billing;\nimport com.shop.orders.Order;\nclass Invoice {}\n",
        f"{base}/orders/Order.java": "package com.shop.orders;\nclass Order {}\n",
        f"{base}/orders/internal/Line.java": "package com.shop.orders.internal;\nclass Line {}\n",
        "src/test/java/com/shop/orders/OrderTest.java": "class OrderTest {}\n",
    })
    p = propose(repo)
    assert contexts(p) == {"billing": ["**/src/main/*/com/shop/billing/**"], "orders": ["**/src/main/*/com/shop/orders/**"]}


def test_rails_packs_and_app_models_namespaces(tmp_path):
    packs = make_repo(tmp_path / "packs", {"packs/payments/package.yml": "enforce_dependencies: true\n",
                                           "packs/payments/app/models/charge.rb": "", "packs/orders/package.yml": "",
                                           "packs/orders/app/models/order.rb": "", "app/models/user.rb": ""})
    assert contexts(propose(packs)) == {"orders": ["packs/orders/**"], "payments": ["packs/payments/**"]}
    namespaces = make_repo(tmp_path / "ns", {"app/models/billing/invoice.rb": "class Billing::Invoice < ApplicationRecord\nend\n",
                                             "app/models/billing.rb": "module Billing\nend\n",
                                             "app/controllers/billing/invoices_controller.rb": "",
                                             "app/models/concerns/x.rb": "", "app/models/orders/order.rb": ""})
    assert contexts(propose(namespaces)) == {
        "billing": ["app/models/billing/**", "app/controllers/billing/**", "app/models/billing.rb"],
        "orders": ["app/models/orders/**"]}


def test_go_internal_and_cmd(tmp_path):
    repo = make_repo(tmp_path / "g", {"go.mod": "module example.com/shop\n", "internal/billing/charge.go": "package billing\n",
                                      "internal/orders/order.go": "package orders\n", "cmd/server/main.go": "package main\n",
                                      "internal/empty/README.md": ""})
    assert contexts(propose(repo)) == {"billing": ["internal/billing/**"], "orders": ["internal/orders/**"], "cmd-server": ["cmd/server/**"]}


def test_js_workspaces(tmp_path):
    repo = make_repo(tmp_path / "js", {"package.json": '{"workspaces": ["packages/*"]}',
                                       "packages/core/package.json": '{"name": "@acme/core"}', "packages/core/src/index.ts": "",
                                       "packages/web/package.json": '{"name": "web-app"}', "packages/web/src/app.tsx": "",
                                       "node_modules/x/package.json": "{}"})
    assert contexts(propose(repo)) == {"core": ["packages/core/**"], "web-app": ["packages/web/**"]}


def test_a_repository_without_convention_proposes_nothing_and_says_so(tmp_path):
    repo = make_repo(tmp_path / "e", {"README.md": "hello\n"})
    p = propose(repo)
    assert p.candidates == [] and p.coverage.head_share == 0.0
    with pytest.raises(Exception, match="contexts"):  # the config reader refuses a map with no context
        write_proposal(repo, tmp_path / "seams.yml")


def test_name_status_parsing_keeps_renames():
    raw = "\x01abc 2024-01-02\x00\nR100\x00a/x.py\x00b/x.py\x00M\x00c.py\x00\x01def 2024-01-01\x00\nA\x00a/x.py\x00"
    out = parse_name_status(raw).fillna("-")
    assert out.values.tolist() == [["abc", "2024-01-02", "R", "b/x.py", "a/x.py"], ["abc", "2024-01-02", "M", "c.py", "-"],
                                   ["def", "2024-01-01", "A", "a/x.py", "-"]]


def test_unassigned_prefixes_count_the_folders_in_no_context():
    paths = pd.Series(["a/b/c.py", "a/b/d.py", "a/e.py", "top.txt", "x/y/z/w.py"], dtype="string")
    assigned = pd.Series([None, None, None, None, "ctx"], dtype="string")
    out = unassigned_prefixes(paths, assigned)
    assert out.values.tolist() == [["a/b/", 2, 0.4], ["(root)", 1, 0.2], ["a/", 1, 0.2]]


def test_old_names_of_a_java_package_moved_across_modules(tmp_path):
    old = "legacy/src/main/java/org/old/billing"
    repo = make_repo(tmp_path / "j", {
        "src/main/java/com/shop/ShopApplication.java": "package com.shop;\n@SpringBootApplication\nclass ShopApplication {}\n",
        "src/main/java/com/shop/orders/Order.java": "package com.shop.orders;\nclass Order {}\n",
        f"{old}/Invoice.java": "package org.old.billing;\nclass Invoice {}\n", f"{old}/Refund.java": "package org.old.billing;\nclass Refund {}\n",
    })
    (repo / "src/main/java/com/shop/billing").mkdir(parents=True)
    git(repo, "mv", f"{old}/Invoice.java", f"{old}/Refund.java", "src/main/java/com/shop/billing/")
    git(repo, "commit", "-q", "-m", "billing joins the shop", date="2024-03-01T00:00:00Z")
    p = propose(repo)
    assert contexts(p)["billing"] == ["**/src/main/*/com/shop/billing/**", f"{old}/**"]
    # every change but the application class's (in the root package, no context's) is assigned, the old folder's too
    assert (p.coverage.changes, p.coverage.changes_assigned) == (6, 5)
