"""Imports of the tree-sitter languages on bad input: sizes, exclusions, link loops, syntax
errors, encodings, duplicate names, nothing to read; the parse cache; the small pure helpers."""

from __future__ import annotations

import codecs
import os
import textwrap
from pathlib import Path

import pytest

from analysis.core.config import ImportsSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.code_imports import mine_code_imports, module_name
from analysis.sources.code_imports.facts import FileFacts
from analysis.sources.code_imports.files import source_bytes
from analysis.sources.code_imports.javascript import _match
from analysis.sources.code_imports.resolution import join, loose_json
from analysis.sources.code_imports.ruby import camelize, conventional_constant


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(textwrap.dedent(body).lstrip("\n"))


def edges(result) -> list[tuple]:
    f = result.frames["imports"]
    return sorted(zip(f["importer_path"], f["imported_path"], f["line"]))


TS_APP = {
    "src/a.ts": 'import { b } from "./b";\nimport { c } from "./c";\n',
    "src/b.ts": 'import { c } from "./c";\nexport const b = 1;\n',
    "src/c.ts": "export const c = 1;\n",
}


def test_no_source_of_a_supported_language_is_a_note_unless_one_was_named(tmp_path):
    write(tmp_path, {"README.md": "# hi\n", "app.py": "import os\n"})
    result = mine_code_imports(ImportsSource(tmp_path), Rejects())
    assert result.frames["imports"].empty and result.records_read == 0
    assert result.notes == ["no source file of another supported language; supported: java, kotlin, csharp, go, "
                            "javascript, typescript, ruby, php"]
    with pytest.raises(SourceError, match=r"no java source file to analyse under .*supported languages: java, kotlin"):
        mine_code_imports(ImportsSource(tmp_path, languages=("java",)), Rejects())


def test_a_missing_repository_and_an_unknown_language_are_errors(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        mine_code_imports(ImportsSource(tmp_path / "nope"), Rejects())
    write(tmp_path, TS_APP)
    with pytest.raises(SourceError, match=r"unknown language 'cobol'; supported: java, kotlin, csharp"):
        mine_code_imports(ImportsSource(tmp_path, languages=("typescript", "cobol")), Rejects())


def test_a_file_over_the_size_limit_is_skipped_and_rejected(tmp_path):
    write(tmp_path, {**TS_APP, "src/huge.ts": "export const x = 1;\n" + "// padding\n" * 20})
    rejects = Rejects()
    result = mine_code_imports(ImportsSource(tmp_path, max_file_bytes=100), rejects)
    assert [(r.location, r.reason) for r in rejects.records] == [
        ("src/huge.ts", "skipped: 240 bytes, over max_file_bytes (100)")]
    assert result.records_read == 3 and result.records_rejected == 1
    assert edges(result) == [("src/a.ts", "src/b.ts", 1), ("src/a.ts", "src/c.ts", 2), ("src/b.ts", "src/c.ts", 1)]


def test_when_every_file_is_skipped_the_error_says_so(tmp_path):
    write(tmp_path, TS_APP)
    with pytest.raises(SourceError, match=r"\(3 skipped by size or pattern\)"):
        mine_code_imports(ImportsSource(tmp_path, max_file_bytes=10, languages=("typescript",)), Rejects())
    result = mine_code_imports(ImportsSource(tmp_path, max_file_bytes=10), Rejects())
    assert "(3 skipped by size or pattern)" in result.notes[0] and result.records_rejected == 3


def test_excluded_paths_are_counted_and_their_files_are_still_landed_on(tmp_path):
    write(tmp_path, {**TS_APP, "src/generated/api.ts": 'import { a } from "../a";\n',
                     "src/d.ts": 'import { api } from "./generated/api";\n'})
    result = mine_code_imports(ImportsSource(tmp_path, exclude_paths=("**/generated/**",)), Rejects())
    assert "1 files matching exclude_paths" in result.notes
    assert ("src/d.ts", "src/generated/api.ts", 1) in edges(result)
    assert not any(e[0].startswith("src/generated/") for e in edges(result))


def test_symbolic_link_loops_are_visited_once(tmp_path):
    repo = tmp_path / "repo"
    write(repo, TS_APP)
    write(tmp_path / "outside", {"x.ts": 'import "./y";\n'})
    os.symlink(repo / "src", repo / "src" / "loop")  # src/loop -> src
    os.symlink(tmp_path / "outside", repo / "elsewhere")  # leaves the repository: not followed
    result = mine_code_imports(ImportsSource(repo), Rejects())
    assert result.records_read == 3
    assert "1 folders reached again through a symbolic link (visited once)" in result.notes
    assert edges(result) == [("src/a.ts", "src/b.ts", 1), ("src/a.ts", "src/c.ts", 2), ("src/b.ts", "src/c.ts", 1)]


def test_a_syntax_error_is_rejected_with_its_line_and_the_rest_is_read(tmp_path):
    write(tmp_path, {**TS_APP, "src/a.ts": 'import { b } from "./b";\nconst = = ;\nimport { c } from "./c";\n'})
    rejects = Rejects()
    result = mine_code_imports(ImportsSource(tmp_path), rejects)
    assert [r.location for r in rejects.records] == ["src/a.ts:2"]
    assert rejects.records[0].reason.startswith("syntax error")
    assert ("src/a.ts", "src/b.ts", 1) in edges(result) and ("src/a.ts", "src/c.ts", 3) in edges(result)


def test_non_utf8_and_utf16_sources_are_read(tmp_path):
    write(tmp_path, {
        "src/a.ts": b'// caf\xe9\nimport { b } from "./b";\n',
        "src/b.ts": codecs.BOM_UTF16_LE + 'import { c } from "./c";\n'.encode("utf-16-le"),
        "src/c.ts": codecs.BOM_UTF8 + b"export const c = 1;\n",
    })
    rejects = Rejects()
    result = mine_code_imports(ImportsSource(tmp_path), rejects)
    assert edges(result) == [("src/a.ts", "src/b.ts", 2), ("src/b.ts", "src/c.ts", 1)]
    assert "1 files not valid UTF-8 (read as bytes)" in result.notes
    assert rejects.count() == 0


def test_the_same_class_under_two_source_roots_lands_on_both(tmp_path):
    write(tmp_path, {
        "main/java/com/shop/Clock.java": "package com.shop;\npublic class Clock {}\n",
        "test/java/com/shop/Clock.java": "package com.shop;\npublic class Clock {}\n",
        "main/java/com/shop/Order.java": "package com.shop;\n\npublic class Order { Clock clock; }\n",
    })
    result = mine_code_imports(ImportsSource(tmp_path), Rejects())
    assert edges(result) == [("main/java/com/shop/Order.java", "main/java/com/shop/Clock.java", 3),
                             ("main/java/com/shop/Order.java", "test/java/com/shop/Clock.java", 3)]
    assert set(result.frames["imports"]["imported"]) == {"com.shop.Clock"}  # same name, two paths


def test_a_rerun_parses_only_the_changed_file_and_gives_the_same_frames(tmp_path):
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    write(repo, TS_APP)
    cold = mine_code_imports(ImportsSource(repo), Rejects(), cache_dir=cache)
    assert "3 files parsed, 0 read from the parse cache" in cold.notes
    warm = mine_code_imports(ImportsSource(repo), Rejects(), cache_dir=cache)
    assert "0 files parsed, 3 read from the parse cache" in warm.notes
    assert warm.frames["imports"].equals(cold.frames["imports"])
    (repo / "src/b.ts").write_text("export const b = 2;\n")
    changed = mine_code_imports(ImportsSource(repo), Rejects(), cache_dir=cache)
    assert "1 files parsed, 2 read from the parse cache" in changed.notes
    assert edges(changed) == [("src/a.ts", "src/b.ts", 1), ("src/a.ts", "src/c.ts", 2)]
    uncached = mine_code_imports(ImportsSource(repo), Rejects())
    assert changed.frames["imports"].equals(uncached.frames["imports"])
    assert sorted(p.name for p in repo.rglob("*")) == ["a.ts", "b.ts", "c.ts", "src"]  # nothing written


def test_syntax_errors_are_rejected_again_from_the_cache(tmp_path):
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    write(repo, {**TS_APP, "src/c.ts": "export const = ;\n"})
    for _ in range(2):
        rejects = Rejects()
        mine_code_imports(ImportsSource(repo), rejects, cache_dir=cache)
        assert [r.location for r in rejects.records] == ["src/c.ts:1"]


# --------------------------------------------------------------------------------------
# pure helpers


def test_module_names():
    assert module_name("src/main/java/com/shop/Invoice.java", FileFacts("java", namespaces=["com.shop"])) == "com.shop.Invoice"
    assert module_name("Invoice.java", FileFacts("java")) == "Invoice"
    assert module_name("packages/core/src/index.d.ts", FileFacts("typescript")) == "packages.core.src.index"
    assert module_name("main.go", None) == "main"


def test_source_bytes():
    assert source_bytes(b"abc") == (b"abc", True)
    assert source_bytes(codecs.BOM_UTF8 + b"abc") == (b"abc", True)
    assert source_bytes(codecs.BOM_UTF16_BE + "ab".encode("utf-16-be")) == (b"ab", True)
    assert source_bytes(b"caf\xe9") == (b"caf\xe9", False)
    assert source_bytes(b"") == (b"", True)


def test_loose_json_reads_tsconfig_comments_and_trailing_commas():
    assert loose_json('{"a": 1}') == {"a": 1}
    assert loose_json('{\n // c\n "a": "http://x", /* b */ "b": [1,],\n}') == {"a": "http://x", "b": [1]}
    assert loose_json("{oops") is None


def test_join_stays_inside_the_repository():
    assert join("a/b", "../c") == "a/c"
    assert join("a", "./b/../c") == "a/c"
    assert join("a", "../../x") is None
    assert join("", "x") == "x"


def test_paths_patterns():
    assert _match("@app/*", "@app/cart/x") == "cart/x"
    assert _match("@app/*", "@other/x") is None
    assert _match("config", "config") == ""
    assert _match("*.svg", "logo.svg") == "logo"


def test_zeitwerk_names():
    assert camelize("user_profile") == "UserProfile"
    assert camelize("v2") == "V2"
    assert conventional_constant("app/models/billing/invoice.rb") == "Billing::Invoice"
    assert conventional_constant("app/models/concerns/billable.rb") == "Billable"
    assert conventional_constant("engines/pay/app/services/pay/charge.rb") == "Pay::Charge"
    assert conventional_constant("lib/shop/tax.rb") == "Shop::Tax"
    assert conventional_constant("config/routes.rb") is None
    assert conventional_constant("app/models") is None
