"""Import miner: exact edges, lines and kinds from a tiny package tree, never running it."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.imports import find_packages, import_kinds, mine_imports, module_files
from analysis.sources.imports.external import named_modules


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"))


def executing(marker: Path, what: str) -> str:
    """An ``__init__.py`` that leaves a file behind and raises if anything runs it."""
    return f"open({str(marker)!r}, 'a').write({what!r})\nraise RuntimeError('{what} was executed')\n"


@pytest.fixture
def shop(tmp_path) -> tuple[Path, Path]:
    repo, marker = tmp_path / "repo", tmp_path / "executed.txt"
    write(repo, {
        "shop/__init__.py": executing(marker, "shop"),
        "shop/orders.py": """
            from __future__ import annotations
            from typing import TYPE_CHECKING

            from . import billing
            from shop.billing.invoices import make_invoice

            if TYPE_CHECKING:
                from shop.catalog import Product


            def place():
                from .catalog import lookup
                return lookup
            """,
        "shop/billing/__init__.py": executing(marker, "shop.billing"),
        "shop/billing/invoices.py": """
            import os
            from ..catalog import (
                lookup,
            )
            from . import taxes
            """,
        "shop/billing/taxes.py": "",
        "shop/catalog.py": "def lookup():\n    pass\n",
        "shop/broken.py": "from . import catalog\ndef f(:\n    pass\n",
        "shop/legacy.py": b'x = "\xe9"\nfrom . import catalog\n',
        "shop/scripts/run.py": "import shop.catalog\n",  # no __init__.py: not a module of shop
        "src/tools/__init__.py": "",
        "src/tools/cli.py": "import shop.orders\n",
        "README.md": "not python\n",
    })
    return repo, marker


def imports_frame(rows) -> pd.DataFrame:
    cols = ["importer", "imported", "importer_path", "imported_path", "line", "kind"]
    return frames.conform(pd.DataFrame(rows, columns=cols), "imports")


def _loaded(*tops: str) -> list[str]:
    return sorted(m for m in sys.modules if m.split(".")[0] in tops)


def _tree_state(path: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")}


def test_mines_exact_edges_lines_and_kinds_without_running_the_code(shop):
    repo, marker = shop
    path_before, before = list(sys.path), _tree_state(repo)
    rejects = Rejects()
    result = mine_imports(ImportsSource(repo), rejects)

    pd.testing.assert_frame_equal(frames.check(result.frames["imports"], "imports"), imports_frame([
        ["shop.billing.invoices", "shop.catalog", "shop/billing/invoices.py", "shop/catalog.py", 2, "static"],
        ["shop.billing.invoices", "shop.billing.taxes", "shop/billing/invoices.py", "shop/billing/taxes.py", 5,
         "static"],
        ["shop.orders", "shop.billing", "shop/orders.py", "shop/billing/__init__.py", 4, "static"],
        ["shop.orders", "shop.billing.invoices", "shop/orders.py", "shop/billing/invoices.py", 5, "static"],
        ["shop.orders", "shop.catalog", "shop/orders.py", "shop/catalog.py", 8, "type_checking"],
        ["shop.orders", "shop.catalog", "shop/orders.py", "shop/catalog.py", 12, "function"],
        ["tools.cli", "shop.orders", "src/tools/cli.py", "shop/orders.py", 1, "static"],
    ]))
    assert sorted((r.location, r.reason.split(":")[0]) for r in rejects.records) == [
        ("shop/broken.py:2", "syntax error"), ("shop/legacy.py:1", "syntax error")]
    assert "utf-8" in next(r.reason for r in rejects.records if r.location.startswith("shop/legacy"))
    # shop, orders, billing, invoices, taxes, catalog + tools, cli; plus the two files left out
    assert (result.records_read, result.records_rejected) == (10, 2)
    assert result.notes[0] == "8 modules in 2 packages: shop, tools"
    assert not marker.exists()
    assert sys.path == path_before and _loaded("shop", "tools") == []
    assert _tree_state(repo) == before


def test_named_subpackage_limits_rows_and_runs_no_parent(shop):
    repo, marker = shop
    result = mine_imports(ImportsSource(repo, ("shop.billing",)), Rejects())
    assert result.frames["imports"][["importer", "imported", "line"]].values.tolist() == [
        ["shop.billing.invoices", "shop.billing.taxes", 5]]
    assert result.notes[0] == "3 modules in 1 packages: shop.billing"
    assert (result.records_read, result.records_rejected) == (3, 2)  # the unreadable files lie outside
    assert not marker.exists()
    assert _loaded("shop") == []


def test_a_clean_package_has_no_rejects(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "from .a import x\n", "pkg/a.py": "x = 1\n"})
    rejects = Rejects()
    result = mine_imports(ImportsSource(tmp_path), rejects)
    assert result.frames["imports"][["importer", "imported", "importer_path", "line"]].values.tolist() == [
        ["pkg", "pkg.a", "pkg/__init__.py", 1]]
    assert (result.records_read, result.records_rejected, rejects.count()) == (2, 0, 0)
    assert result.notes == ["2 modules in 1 packages: pkg"]


def test_an_import_of_a_missing_module_is_unresolved_not_an_edge_to_the_top_package(tmp_path):
    write(tmp_path, {
        "shop/__init__.py": "VERSION = 1\n",
        "shop/orders/__init__.py": "",
        "shop/orders/tasks.py": """
            from ..models import Order
            from .. import VERSION
            from shop.missing import x
            import shop.gone.deeper
            from . import (
                absent,
            )
            import shop
            """,
        "shop/orders/sub/__init__.py": "from ...models import Order\n",
    })
    result = mine_imports(ImportsSource(tmp_path), Rejects())
    assert result.frames["imports"][["importer", "imported", "line"]].values.tolist() == [
        ["shop.orders.tasks", "shop", 2], ["shop.orders.tasks", "shop.orders", 5], ["shop.orders.tasks", "shop", 8]]
    unresolved = frames.check(result.frames["unresolved_imports"], "unresolved_imports")
    assert unresolved[["importer_path", "line", "target", "classification"]].values.tolist() == [
        ["shop/orders/sub/__init__.py", 1, "shop.models", "unresolved"],
        ["shop/orders/tasks.py", 1, "shop.models", "unresolved"],
        ["shop/orders/tasks.py", 3, "shop.missing", "unresolved"],
        ["shop/orders/tasks.py", 4, "shop.gone.deeper", "unresolved"],
    ]


def test_named_modules_resolves_relative_imports_against_the_importer():
    assert named_modules("from ..models import Order", "shop.orders.tasks", False) == ["shop.models"]
    assert named_modules("from ..models import Order", "shop.orders", True) == ["shop.models"]
    assert named_modules("from . import (", "shop.orders", True) == ["shop.orders"]
    assert named_modules("from .. import x", "shop.orders.tasks", False) == ["shop"]
    assert named_modules("from ... import x", "shop.orders.tasks", False) is None  # above the top package
    assert named_modules("import shop.a, os", "shop.b", False) == ["shop.a", "os"]
    assert named_modules("x = 1; import os", "shop.b", False) is None


def test_a_package_without_imports_gives_an_empty_frame(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "x = 1\n"})
    result = mine_imports(ImportsSource(tmp_path), Rejects())
    assert len(result.frames["imports"]) == 0
    frames.check(result.frames["imports"], "imports")


def test_an_already_loaded_module_of_the_same_name_is_not_analysed(tmp_path):
    # Seams' own package is called "analysis": a repository with one of that name must win
    import analysis

    write(tmp_path, {"analysis/__init__.py": "", "analysis/x.py": "from analysis import y\n", "analysis/y.py": ""})
    result = mine_imports(ImportsSource(tmp_path), Rejects())
    assert result.frames["imports"][["importer", "imported", "importer_path"]].values.tolist() == [
        ["analysis.x", "analysis.y", "analysis/x.py"]]
    assert sys.modules["analysis"] is analysis
    assert "analysis.x" not in sys.modules


def test_no_package_raises(tmp_path):
    write(tmp_path, {"script.py": "import os\n", "docs/readme.md": "x"})
    with pytest.raises(SourceError, match="no Python package found under"):
        mine_imports(ImportsSource(tmp_path), Rejects())


def test_missing_or_invalid_named_package_raises(tmp_path):
    write(tmp_path, {"pkg/__init__.py": ""})
    with pytest.raises(SourceError, match="package 'other' not found"):
        mine_imports(ImportsSource(tmp_path, ("other",)), Rejects())
    with pytest.raises(SourceError, match="not a Python package name"):
        mine_imports(ImportsSource(tmp_path, ("pkg/sub",)), Rejects())


def test_find_packages_prefers_the_root_and_reads_src(tmp_path):
    write(tmp_path, {"a/__init__.py": "", "src/a/__init__.py": "", "src/b/__init__.py": "",
                     "c/__init__.py": "", "not-a-name/__init__.py": "", "plain/x.py": ""})
    found = find_packages(tmp_path)
    assert [(p.name, p.root.relative_to(tmp_path.resolve()).as_posix()) for p in found] == [
        ("a", "."), ("c", "."), ("b", "src")]


def test_module_files_skip_folders_without_init_inside_a_package(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/m.py": "", "pkg/sub/__init__.py": "", "pkg/sub/n.py": "",
                     "pkg/loose/x.py": "", "pkg/.hidden.py": "", "pkg/two.dots.py": "", "pkg/data.txt": ""})
    assert [p.relative_to(tmp_path).as_posix() for p in module_files(tmp_path / "pkg")] == [
        "pkg/__init__.py", "pkg/m.py", "pkg/sub/__init__.py", "pkg/sub/n.py"]


def test_import_kinds_by_line():
    source = textwrap.dedent("""
        import a
        import typing
        if typing.TYPE_CHECKING:
            import b
            def hinted():
                import c
        else:
            import d
        class K:
            import e
            def method(self):
                from f import (
                    g,
                )
        async def job():
            if TYPE_CHECKING:
                import h
        try:
            import i
        except ImportError:
            pass
        """).lstrip("\n")
    assert import_kinds(source) == {
        4: "type_checking", 6: "type_checking", 12: "function", 13: "function", 14: "function", 17: "type_checking"}
    assert import_kinds("") == {}
    with pytest.raises(SyntaxError):
        import_kinds("def f(:\n")


# --------------------------------------------------------------------------------------
# source roots: where the code is imported from

DJANGO_PROJECT = {
    "README.md": "# a project\n",
    "proj/manage.py": "import os\n",
    "proj/proj/__init__.py": "", "proj/proj/settings.py": "INSTALLED_APPS = ['dcim', 'ipam']\n",
    "proj/dcim/__init__.py": "", "proj/dcim/models.py": "class Device: ...\n",
    "proj/ipam/__init__.py": "", "proj/ipam/models.py": "from dcim.models import Device\nfrom . import views\n",
    "proj/ipam/views.py": "import dcim\n",
}


def edges_of(result):
    static = result.frames["imports"][result.frames["imports"]["kind"] != "dynamic"]  # INSTALLED_APPS edges aside
    return sorted(static[["importer_path", "imported_path"]].itertuples(index=False, name=None))


def test_the_folder_of_manage_py_is_a_source_root(tmp_path):
    write(tmp_path, DJANGO_PROJECT)
    result = mine_imports(ImportsSource(tmp_path), Rejects())
    assert edges_of(result) == [("proj/ipam/models.py", "proj/dcim/models.py"), ("proj/ipam/models.py", "proj/ipam/views.py"),
                                ("proj/ipam/views.py", "proj/dcim/__init__.py")]
    assert "source roots: proj/ (the folder of manage.py)" in result.notes
    assert result.frames["unresolved_imports"].empty  # dcim.models is not left unresolved


def test_roots_can_be_named_and_an_empty_list_turns_detection_off(tmp_path):
    write(tmp_path, DJANGO_PROJECT)
    named = mine_imports(ImportsSource(tmp_path, roots=("proj",)), Rejects())
    assert edges_of(named) == edges_of(mine_imports(ImportsSource(tmp_path), Rejects()))
    assert "source roots: proj/ (imports.roots)" in named.notes
    off = mine_imports(ImportsSource(tmp_path, roots=()), Rejects())  # apps become the namespace proj.dcim
    assert set(off.frames["unresolved_imports"]["target"]) == {"dcim.models", "dcim"}
    assert set(off.frames["unresolved_imports"]["classification"]) == {"internal"}
    assert any("set imports.roots" in n for n in off.notes)
    assert edges_of(off) == [("proj/ipam/models.py", "proj/ipam/views.py")]  # only the relative import resolves


def test_roots_from_pyproject_and_bare_sibling_imports(tmp_path):
    write(tmp_path / "a", {"pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['lib']\n",
                           "lib/shop/__init__.py": "", "lib/shop/orders.py": "import billing\n",
                           "lib/billing/__init__.py": ""})
    a = mine_imports(ImportsSource(tmp_path / "a"), Rejects())
    assert edges_of(a) == [("lib/shop/orders.py", "lib/billing/__init__.py")]
    assert "source roots: lib/ (pyproject.toml [tool.pytest.ini_options] pythonpath)" in a.notes
    write(tmp_path / "b", {"app/orders/__init__.py": "", "app/orders/models.py": "from billing.models import Invoice\n",
                           "app/billing/__init__.py": "", "app/billing/models.py": "class Invoice: ...\n"})
    b = mine_imports(ImportsSource(tmp_path / "b"), Rejects())
    assert edges_of(b) == [("app/orders/models.py", "app/billing/models.py")]
    assert "its packages import each other by their bare names" in " ".join(b.notes)


def test_a_missed_root_makes_structure_not_measurable(tmp_path):
    from analysis.core.config import parse_config
    from analysis.core.evidence import State
    from analysis.core.frames import Mined
    from analysis.mapping.units import map_units
    from analysis.measures.structure import measure_structure

    write(tmp_path, {**DJANGO_PROJECT, **{f"proj/ipam/v{n}.py": "from dcim.models import Device\n" for n in range(3)}})
    config = parse_config({"sources": {"imports": {"repository": str(tmp_path), "roots": []}},
                           "contexts": {"dcim": {"paths": ["proj/dcim/**"]}, "ipam": {"paths": ["proj/ipam/**"]}}}, tmp_path / "s.yml")
    mined = Mined.of({"imports": mine_imports(config.imports, Rejects())})
    structure = measure_structure(config, mined, map_units(config, mined))
    assert structure.status.state is State.NOT_MEASURABLE
    assert "imports name modules of the repository that could not be resolved" in structure.status.reason
    assert structure.figures["unresolved_internal_imports"] == 5  # dcim.models x4, dcim x1: dcim is a folder of the repository
