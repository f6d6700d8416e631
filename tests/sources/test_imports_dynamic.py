"""Import miner: dynamic edges, unresolved imports, parse cache and bad input, on tiny trees."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.imports import file_facts, mine_imports, resolve_module, statements


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


DYNAMIC = {
    "shop/__init__.py": "",
    "shop/settings.py": """
        INSTALLED_APPS = [
            "django.contrib.admin",
            "shop.billing.apps.BillingConfig",
        ]
        """,
    "shop/urls.py": """
        from django.urls import include, path
        urlpatterns = [path("b/", include("shop.billing.urls"))]
        """,
    "shop/loader.py": """
        import importlib


        def load():
            return importlib.import_module(".catalog", package="shop"), __import__("shop.billing")
        """,
    "shop/catalog.py": "",
    "shop/signals.py": "from django.dispatch import Signal\n\norder_paid = Signal()\n",
    "shop/billing/__init__.py": "",
    "shop/billing/apps.py": "",
    "shop/billing/urls.py": "",
    "shop/billing/handlers.py": """
        from django.dispatch import receiver
        from ..signals import order_paid


        @receiver(order_paid)
        def on_paid(sender, **kw):
            pass
        """,
    "shop/billing/tasks.py": """
        from celery import shared_task


        @shared_task(name="charge-card")
        def charge():
            pass
        """,
    "shop/orders.py": """
        from celery import current_app
        import requests
        import notinstalledanywhere.sub


        def pay():
            current_app.send_task("charge-card")
        """,
    "pyproject.toml": '[project]\nname = "shop"\ndependencies = ["Django>=4", "celery"]\n[project.scripts]\nshop = "shop.loader:load"\n',
}


@pytest.fixture
def dynamic_repo(tmp_path) -> Path:
    write(tmp_path, DYNAMIC)
    return tmp_path


def test_dynamic_edges_resolve_strings_to_modules(dynamic_repo):
    result = mine_imports(ImportsSource(dynamic_repo), Rejects())
    imports = frames.check(result.frames["imports"], "imports")
    dynamic = imports[imports["kind"] == "dynamic"]
    assert dynamic[["importer", "imported", "importer_path", "line"]].values.tolist() == [
        ["pyproject.toml", "shop.loader", "pyproject.toml", 5],
        ["shop.loader", "shop.billing", "shop/loader.py", 5],
        ["shop.loader", "shop.catalog", "shop/loader.py", 5],
        ["shop.orders", "shop.billing.tasks", "shop/orders.py", 7],
        ["shop.settings", "shop.billing.apps", "shop/settings.py", 3],
        ["shop.signals", "shop.billing.handlers", "shop/signals.py", 3],
        ["shop.urls", "shop.billing.urls", "shop/urls.py", 2],
    ]
    # the static import of the signal is still there
    assert ["shop.billing.handlers", "shop.signals", "static"] in imports[["importer", "imported", "kind"]].values.tolist()


def test_imports_leaving_the_packages_are_classified(dynamic_repo):
    result = mine_imports(ImportsSource(dynamic_repo), Rejects())
    unresolved = frames.check(result.frames["unresolved_imports"], "unresolved_imports")
    got = {(r.importer_path, r.target, r.classification) for r in unresolved.itertuples()}
    assert ("shop/loader.py", "importlib", "stdlib") in got
    assert ("shop/urls.py", "django.urls", "third_party") in got  # declared in pyproject
    assert ("shop/orders.py", "notinstalledanywhere.sub", "unresolved") in got
    assert set(unresolved["language"]) == {"python"}


def test_resolve_module_longest_prefix_and_relative():
    modules = {"shop", "shop.billing", "shop.billing.tasks"}
    assert resolve_module("shop.billing.tasks.charge", modules) == "shop.billing.tasks"
    assert resolve_module("shop.billing:main", modules) == "shop.billing"
    assert resolve_module(".tasks", modules, "shop.billing", is_package=True) == "shop.billing.tasks"
    assert resolve_module("..billing", modules, "shop.billing.tasks") == "shop.billing"
    assert resolve_module("....x", modules, "shop.billing") is None
    assert resolve_module("charge-card", modules) is None
    assert resolve_module("", modules) is None


def test_file_facts_kinds_and_pieces():
    source = textwrap.dedent('''
        import os
        x = """
        def not_code():
        """


        class A:
            @staticmethod
            def f():
                import json
                if TYPE_CHECKING:
                    import typing


        if TYPE_CHECKING:
            from a import b
        ''').encode()
    assert file_facts(source) == {"kinds": {"11": "function", "13": "type_checking", "17": "type_checking"}}
    assert file_facts(b"import os\n") == {}
    assert file_facts(b"def f(:\n    import os\n") == {"unparsed": True}
    assert statements.import_kinds(source) == {11: "function", 13: "type_checking", 17: "type_checking"}


def test_parse_cache_reparses_only_the_changed_file(dynamic_repo, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = mine_imports(ImportsSource(dynamic_repo), Rejects(), cache_dir=cache)
    parsed: list[bytes] = []
    real = statements.facts_of_files
    monkeypatch.setattr("analysis.sources.imports.graph.facts_of_files", lambda texts: parsed.extend(texts) or real(texts))
    again = mine_imports(ImportsSource(dynamic_repo), Rejects(), cache_dir=cache)
    assert parsed == []
    assert again.frames["imports"].equals(first.frames["imports"])
    (dynamic_repo / "shop/catalog.py").write_text("from . import orders\n")
    changed = mine_imports(ImportsSource(dynamic_repo), Rejects(), cache_dir=cache)
    assert parsed == [b"from . import orders\n"]
    assert ["shop.catalog", "shop.orders"] in changed.frames["imports"][["importer", "imported"]].values.tolist()
    assert not any(p.name.startswith(".") or p.suffix == ".json" for p in dynamic_repo.rglob("*") if "cache" not in p.parts)


def test_bad_input_is_counted_and_left_out(tmp_path):
    write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from . import b\nfrom . import big\n",
        "pkg/b.py": "",
        "pkg/big.py": "x = 1\n" * 100,
        "pkg/generated/__init__.py": "",
        "pkg/generated/models.py": "from pkg import a\n",
        "src/pkg/__init__.py": "",
    })
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "again")
    rejects = Rejects()
    result = mine_imports(ImportsSource(tmp_path, exclude_paths=("**/generated/**",), max_file_bytes=200), rejects)
    assert result.frames["imports"][["importer", "imported"]].values.tolist() == [["pkg.a", "pkg.b"], ["pkg.a", "pkg"]]  # the left-out module reads as its package
    assert [(r.location, r.reason.split(":")[0]) for r in rejects.records] == [("pkg/big.py:0", "too large")]
    notes = " | ".join(result.notes)
    assert "package pkg found under the repository root and src/" in notes
    assert "1 files or folders left out by exclude_paths" in notes
    assert "1 symbolic links not followed" in notes and "pkg/again" in notes
    assert result.records_read == 4  # pkg, a, b + the file too large


def test_no_python_source_is_a_clear_error(tmp_path):
    write(tmp_path, {"README.md": "hi\n", "web/app.js": "x\n"})
    with pytest.raises(SourceError, match="no Python package found.*no source of a supported language"):
        mine_imports(ImportsSource(tmp_path), Rejects())


def test_namespace_package_is_discovered(tmp_path):
    write(tmp_path, {"acme/shop/__init__.py": "", "acme/shop/a.py": "from acme.shop import b\n", "acme/shop/b.py": ""})
    result = mine_imports(ImportsSource(tmp_path), Rejects())
    assert result.frames["imports"][["importer", "imported", "importer_path"]].values.tolist() == [
        ["acme.shop.a", "acme.shop.b", "acme/shop/a.py"]]


def test_kinds_from_indentation_match_ast():
    source = textwrap.dedent('''
        import os
        from typing import TYPE_CHECKING

        DOC = """
            import not_code
        def also_not_code():
            import nope
        """


        class A:
            x = f(
          1)

            def f(self):
                import json
                if TYPE_CHECKING:
                    from a import (
                        b,
                    )
                else:
                    import c
                try:
                    import d
                except ImportError:  # not a function body
                    pass


        if typing.TYPE_CHECKING:
            import e
        elif TYPE_CHECKING:
            import g
        ''').encode()
    expected = {str(n): k for n, k in statements.import_kinds(source).items()}
    assert expected == {"17": "function", "19": "type_checking", "20": "type_checking", "21": "type_checking",
                        "23": "function", "25": "function", "31": "type_checking", "33": "type_checking"}
    lines = [n + 1 for n, text in enumerate(source.split(b"\n")) if text[:1] == b" " and b"import" in text]
    # the line continued inside brackets at a lower indentation stops the reading: ast decides
    assert statements._kinds_by_indentation(source, lines) is None
    clean = source.replace(b"    x = f(\n  1)\n", b"    x = f(1)\n\n")
    assert statements._kinds_by_indentation(clean, lines) == expected  # docstring lines get no kind
    assert file_facts(source) == file_facts(clean) == {"kinds": expected}


def test_kinds_from_indentation_give_way_when_unsure():
    tabs = b"def f():\n\timport os\n"
    assert statements._kinds_by_indentation(tabs, [2]) is None
    assert file_facts(tabs) == {"kinds": {"2": "function"}}
    other_test = b"if TYPE_CHECKING or X:\n    import os\n"
    assert statements._kinds_by_indentation(other_test, [2]) is None
    assert file_facts(other_test) == {}
    split_header = b"if (\n    TYPE_CHECKING\n):\n    import os\n"
    assert file_facts(split_header) == {"kinds": {"4": "type_checking"}}
    inline = b"if TYPE_CHECKING: import os\n"
    assert file_facts(inline) == {"kinds": {"1": "type_checking"}}


def test_only_text_that_can_hold_a_fact_is_read_with_ast(monkeypatch):
    parsed: list[bytes] = []
    real = statements.ast.parse
    monkeypatch.setattr(statements.ast, "parse", lambda text, *a, **k: parsed.append(text) or real(text, *a, **k))
    quiet = b"import inspect\nsig = inspect.signature(f)\nloop.create_task(x)\nconn.connect()\ninclude = 1\n"
    assert file_facts(quiet) == {} and parsed == []
    loud = b"import importlib\nm = importlib.import_module(  # why\n    'shop.x')\n"
    assert file_facts(loud) == {"refs": [["import_module", "shop.x", 2]]} and parsed
    assert file_facts(b"@app.task(name='t')\ndef f():\n    pass\n") == {"tasks": [["t", 1]]}
    assert file_facts(b"(INSTALLED_APPS) = ['shop']\n") == {"refs": [["installed_app", "shop", 1]]}
    receivers = b"from .signals import paid\nfrom x import receiver\n@receiver(paid)\ndef on(s):\n    pass\n"
    assert file_facts(receivers) == {"receivers": [[".signals.paid", 3]]}


def test_a_warm_run_with_nothing_changed_leaves_grimp_alone(dynamic_repo, tmp_path, monkeypatch):
    from analysis.sources.imports import graph as graph_module

    cache = tmp_path / "cache"
    first = mine_imports(ImportsSource(dynamic_repo), Rejects(), cache_dir=cache)
    builds: list[tuple] = []
    real = graph_module.grimp.build_graph
    monkeypatch.setattr(graph_module.grimp, "build_graph", lambda *a, **k: builds.append(a) or real(*a, **k))
    again = mine_imports(ImportsSource(dynamic_repo), Rejects(), cache_dir=cache)
    assert builds == [] and again.frames["imports"].equals(first.frames["imports"])
    from analysis.sources.imports import find_packages

    build = graph_module.build_import_graph(find_packages(dynamic_repo), dynamic_repo, Rejects(),
                                            cache=graph_module.ParseCache.open(cache))
    assert builds == []
    assert "shop.orders" in build.graph.modules and len(builds) == 1  # grimp's graph assembled when asked for


def test_facts_of_files_reads_further_only_the_texts_that_may_hold_a_fact(monkeypatch):
    texts = [
        b"import os\nfrom a import b\n",
        b"x = 1  # nothing_task_here\nmy_include('a.b')\n",  # the words only inside longer words
        b"import importlib\nm = importlib.import_module('shop.x')\n",
        b"from .signals import paid\nfrom x import receiver\n@receiver(paid)\ndef on(s):\n    pass\n",
        "s = 'é'\ninclude('shop.urls')\n".encode(),
        b"def f():\n    import os\n",
        b"if TYPE_CHECKING: import os\n",
        b"from a \\\nimport b\n",
        b"",
    ]
    expected = [file_facts(t) for t in texts]
    assert expected == [
        {}, {}, {"refs": [["import_module", "shop.x", 2]]}, {"receivers": [[".signals.paid", 3]]},
        {"refs": [["include", "shop.urls", 2]]}, {"kinds": {"2": "function"}}, {"kinds": {"1": "type_checking"}}, {}, {}]
    read: list[bytes] = []
    real = statements.file_facts
    monkeypatch.setattr(statements, "file_facts", lambda text: read.append(text) or real(text))
    assert statements.facts_of_files(texts) == expected
    assert read == [texts[i] for i in (2, 3, 4, 5, 6, 7)]
    assert statements.facts_of_files([]) == []


def _background_inputs(count: int) -> tuple[dict[str, bytes], dict[str, str]]:
    sources = {f"m{i}": (f"def f():\n    import m{i + 1}\nimport_module('x{i}')\n" if i % 3 else f"import m{i}\n").encode()
               for i in range(count)}
    return sources, {m: f"h{i}" for i, m in enumerate(sources)}


def test_background_facts_equal_the_facts_read_here():
    from analysis.sources.imports import graph as graph_module

    sources, hashes = _background_inputs(70)
    pending = graph_module.BackgroundFacts.start(graph_module.ParseCache(None), sources, hashes, min_files=1)
    assert pending is not None and len(pending.chunks) == graph_module.BACKGROUND_FACTS_CHUNKS
    expected = {hashes[m]: file_facts(text) for m, text in sources.items()}
    assert pending.collect() == expected
    assert graph_module.BackgroundFacts.start(graph_module.ParseCache(None), sources, hashes, min_files=71) is None


def test_background_facts_read_here_what_a_dead_fork_did_not_send():
    import signal

    from analysis.sources.imports import graph as graph_module

    sources, hashes = _background_inputs(40)
    pending = graph_module.BackgroundFacts.start(graph_module.ParseCache(None), sources, hashes, min_files=1)
    pending.taken[:] = b"\x01" * len(pending.chunks)  # as if the fork had taken every piece
    os.kill(pending.pid, signal.SIGKILL)
    assert pending.collect() == {hashes[m]: file_facts(text) for m, text in sources.items()}
    with pytest.raises(ChildProcessError):
        os.waitpid(pending.pid, os.WNOHANG)  # reaped


def test_background_facts_do_not_wait_for_a_fork_that_hangs(monkeypatch):
    import time

    from analysis.sources.imports import graph as graph_module

    sources, hashes = _background_inputs(40)
    monkeypatch.setattr(graph_module, "_send", lambda fd, facts: time.sleep(60))  # the fork hangs before sending
    monkeypatch.setattr(graph_module, "BACKGROUND_FACTS_GRACE_S", 0.5)
    pending = graph_module.BackgroundFacts.start(graph_module.ParseCache(None), sources, hashes, min_files=1)
    started = time.monotonic()
    assert pending.collect() == {hashes[m]: file_facts(text) for m, text in sources.items()}
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pending.pid, os.WNOHANG)  # killed and reaped


def _files_on_disk(tmp_path: Path, count: int) -> tuple[dict[str, str], dict[str, tuple[int, int]], dict[str, bytes]]:
    sources, _ = _background_inputs(count)
    files, stats = {}, {}
    for module, text in sources.items():
        path = tmp_path / f"{module}.py"
        path.write_bytes(text)
        files[module] = str(path)
        stats[module] = (path.stat().st_size, path.stat().st_mtime_ns)
    return files, stats, sources


def test_background_facts_reading_their_own_files_equal_the_facts_read_here(tmp_path):
    from analysis.sources.imports import graph as graph_module

    files, stats, sources = _files_on_disk(tmp_path, 70)
    read: dict[str, bytes] = {}
    hashes: dict[str, str] = {}
    pending = graph_module.BackgroundFacts.start_reading(graph_module.ParseCache(None), files, stats, read, hashes, min_files=1)
    assert pending is not None and len(pending.chunks) == graph_module.BACKGROUND_FACTS_CHUNKS
    for module, text in sources.items():  # this process reads the files after the fork started
        read[module] = text
        hashes[module] = graph_module.content_hash(text)
    expected = {hashes[m]: file_facts(text) for m, text in sources.items()}
    assert pending.collect() == expected
    assert graph_module.BackgroundFacts.start_reading(graph_module.ParseCache(None), files, stats, {}, {}, min_files=71) is None


def test_background_facts_reading_their_own_files_skip_files_known_and_keep_only_what_was_read_here(tmp_path):
    import select
    import signal

    from analysis.sources.imports import graph as graph_module

    files, stats, sources = _files_on_disk(tmp_path, 40)
    cache = graph_module.ParseCache(None)
    known = {m: graph_module.content_hash(t) for m, t in sources.items()}
    cache.files = {files[m]: [*stats[m], known[m]] for m in ("m0", "m1")}
    cache.facts = {known["m0"]: {"kinds": {}}}  # m0: facts known; m1: hash known, facts not
    pending = graph_module.BackgroundFacts.start_reading(cache, files, stats, {}, {}, min_files=1)
    assert sorted(m for chunk in pending.chunks for m, _, _ in chunk) == sorted(set(sources) - {"m0"})
    pending.stop()

    read = dict(sources)
    hashes = dict(known)
    changed = b"import_module('changed')\n"
    read["m5"], hashes["m5"] = changed, graph_module.content_hash(changed)  # the file changed between the two reads
    del read["m7"], hashes["m7"]  # left out here (unreadable)
    pending = graph_module.BackgroundFacts.start_reading(graph_module.ParseCache(None), files, stats, read, hashes, min_files=1)
    select.select([pending.pipe], [], [], 10)  # the fork read every piece (it sends once done)
    expected = {hashes[m]: file_facts(text) for m, text in read.items()}
    assert pending.collect() == expected
    pending = graph_module.BackgroundFacts.start_reading(graph_module.ParseCache(None), files, stats, read, hashes, min_files=1)
    pending.taken[:] = b"\x01" * len(pending.chunks)  # as if the fork had taken every piece, then died
    os.kill(pending.pid, signal.SIGKILL)
    assert pending.collect() == expected


@pytest.mark.parametrize("enabled", [True, False])
def test_mining_pauses_the_garbage_collector_and_restores_it_as_it_was(tmp_path, monkeypatch, enabled):
    import gc

    import analysis.sources.imports as imports_module

    write(tmp_path, {"shop/__init__.py": "", "shop/a.py": "from shop import b\n", "shop/b.py": ""})
    seen = []
    real = imports_module.build_import_graph
    monkeypatch.setattr(imports_module, "build_import_graph", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        result = mine_imports(ImportsSource(tmp_path, ("shop",)), Rejects())
        assert gc.isenabled() is enabled
        with pytest.raises(SourceError):
            mine_imports(ImportsSource(tmp_path / "missing", ("shop",)), Rejects())
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False]
    assert result.frames["imports"][["importer", "imported", "line"]].values.tolist() == [["shop.a", "shop.b", 1]]
