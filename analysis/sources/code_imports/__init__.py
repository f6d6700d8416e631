"""Imports of Java, Kotlin, C#, Go, JavaScript, TypeScript, Ruby and PHP, read with tree-sitter.

Entry point: :func:`mine_code_imports` returns two frames (contracts in
:mod:`analysis.core.frames`):

``imports`` — one row per dependency of a file on another file of the repository:
    importer, imported: the files' module names (Java and Kotlin: the package and the
    file's stem, ``com.shop.billing.Invoice``; elsewhere the repository-relative path
    without its extension, ``/`` read as ``.``: ``src.billing.invoice``) ·
    importer_path, imported_path: repository-relative posix paths · line: of the import
    statement, or the first line naming the dependency where the language needs no
    statement (same package or namespace, autoloaded constants) · kind: ``static``
    (``type_checking`` for TypeScript's ``import type``).

``unresolved_imports`` — one row per import naming nothing in the repository:
    importer_path · line · target (as written) · language · classification
    (``stdlib``, ``third_party``, ``unresolved``).

How each language is read and resolved is documented in its module: :mod:`.jvm`
(Java, Kotlin), :mod:`.csharp`, :mod:`.golang`, :mod:`.javascript` (JavaScript,
TypeScript), :mod:`.ruby`, :mod:`.php`. Files are parsed with the grammars of the
``tree-sitter-language-pack`` wheel (bundled, nothing downloaded).

Bad input: files over ``max_file_bytes`` are skipped and rejected (``source="code_imports"``,
``location=<path>``); files matching ``exclude_paths`` or a generated-file pattern
(:data:`.files.GENERATED_PATTERNS`) are skipped and counted in the notes; a file with a
syntax error is rejected at the error's line (``<path>:<line>``) and the rest of it is
still analysed (tree-sitter recovers around errors); bytes that are not UTF-8 are read
as they are (counted in the notes); folders reached again through symbolic links are
visited once. No file of a wanted language: :class:`~analysis.core.errors.SourceError`.

Speed: each file's extracted facts are cached in one file under ``<cache_dir>/code_imports/``
by the hash of its content, with each file's size and modification time, so a re-run reads
and parses only the files that changed (resolution, which needs every file, is redone and
is cheap). The analysed code is never run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.code_imports.csharp import extract_csharp, resolve_csharp
from analysis.sources.code_imports.facts import FactsCache, FileFacts, paused_gc, read_facts
from analysis.sources.code_imports.files import LANGUAGES, source_bytes, walk_repository
from analysis.sources.code_imports.golang import extract_go, resolve_go
from analysis.sources.code_imports.javascript import extract_javascript, resolve_javascript
from analysis.sources.code_imports.jvm import extract_java, extract_kotlin, resolve_jvm
from analysis.sources.code_imports.php import extract_php, resolve_php
from analysis.sources.code_imports.resolution import Repo, Resolution
from analysis.sources.code_imports.ruby import extract_ruby, resolve_ruby

__all__ = ["mine_code_imports", "LANGUAGES", "FAMILIES", "module_name"]

SOURCE = "code_imports"

EXTRACTORS: dict[str, Callable] = {
    "java": extract_java, "kotlin": extract_kotlin, "csharp": extract_csharp, "go": extract_go,
    "javascript": extract_javascript, "typescript": extract_javascript, "ruby": extract_ruby, "php": extract_php,
}
#: Languages resolved together (a Kotlin file may import a Java class, a TS file a JS one).
FAMILIES: dict[str, tuple[tuple[str, ...], Callable[[Repo, Resolution], None]]] = {
    "jvm": (("java", "kotlin"), resolve_jvm),
    "csharp": (("csharp",), resolve_csharp),
    "go": (("go",), resolve_go),
    "javascript": (("javascript", "typescript"), resolve_javascript),
    "ruby": (("ruby",), resolve_ruby),
    "php": (("php",), resolve_php),
}
_MULTI_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")


def module_name(path: str, facts: FileFacts | None) -> str:
    """``com.shop.Invoice`` for a Java/Kotlin file of package ``com.shop``; else the dotted path."""
    folder, _, name = path.rpartition("/")
    stem = next((name[: -len(s)] for s in _MULTI_SUFFIXES if name.endswith(s)), None)
    if stem is None:
        dot = name.rfind(".")
        stem = name[:dot] if dot > 0 else name
    if facts is not None and facts.language in ("java", "kotlin") and facts.namespaces and facts.namespaces[0]:
        return f"{facts.namespaces[0]}.{stem}"
    return f"{folder.replace('/', '.')}.{stem}" if folder else stem


def mine_code_imports(source: ImportsSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """Mine the file-to-file dependencies of the repository's non-Python sources.

    ``source.languages`` picks languages (empty: every supported one found); unknown
    names raise :class:`SourceError` listing the valid ones. A repository with no file
    of a named language raises SourceError too; with no language named, a repository
    with none of them (a Python-only monolith) gives empty frames and a note. ``records_read`` counts the
    files analysed; ``records_rejected`` the rejects this call added.
    """
    repository = Path(source.repository)
    if not repository.is_dir():
        raise SourceError(SOURCE, f"{repository} does not exist or is not a directory")
    unknown = sorted(set(source.languages) - set(LANGUAGES))
    if unknown:
        raise SourceError(SOURCE, f"unknown language {', '.join(map(repr, unknown))}; "
                                  f"supported: {', '.join(LANGUAGES)}")
    wanted = tuple(source.languages) or LANGUAGES
    rejected_before = rejects.count(SOURCE)
    inventory = walk_repository(repository, wanted, source.exclude_paths, source.max_file_bytes)
    for skipped in inventory.too_large:
        rejects.add(SOURCE, skipped.path, f"skipped: {skipped.size} bytes, over max_file_bytes "
                                          f"({source.max_file_bytes})")
    if not inventory.sources:
        n_skipped = len(inventory.too_large) + inventory.excluded + inventory.generated
        why = f" ({n_skipped} skipped by size or pattern)" if n_skipped else ""
        if not source.languages:  # a Python-only monolith: nothing to read here, not an error
            empty = {"imports": frames.empty("imports"), "unresolved_imports": frames.empty("unresolved_imports")}
            return SourceFrames(empty, 0, rejects.count(SOURCE) - rejected_before,
                                [f"no source file of another supported language{why}; supported: {', '.join(LANGUAGES)}"])
        raise SourceError(SOURCE, f"no {' or '.join(wanted)} source file to analyse under {repository}{why}; "
                                  f"supported languages: {', '.join(LANGUAGES)}")

    with paused_gc():  # many long-lived containers and no cycles: the collector would rescan them again and again
        cache = FactsCache(cache_dir)
        facts_by_path, not_utf8 = _read_facts(repository, inventory, cache, rejects)
        cache.save()
        language_of = {path: f.language for path, f in facts_by_path.items()}
        out = Resolution(language_of)
        for languages, resolve in FAMILIES.values():
            family = {p: f for p, f in facts_by_path.items() if f.language in languages}
            if family:
                resolve(Repo(repository.resolve(), family, inventory.all_files), out)

        imports = _imports_frame(out, facts_by_path)
        unresolved = _unresolved_frame(out, language_of)
        notes = _notes(facts_by_path, out, inventory, cache, not_utf8)
    return SourceFrames(
        frames={"imports": imports, "unresolved_imports": unresolved},
        records_read=len(facts_by_path),
        records_rejected=rejects.count(SOURCE) - rejected_before,
        notes=notes,
    )


def _read_facts(repository: Path, inventory, cache: FactsCache, rejects: Rejects) -> tuple[dict[str, FileFacts], int]:
    """Each source file's facts (from the cache when its size and time, or its content, are
    known; else parsed), and how many files were not UTF-8."""
    facts_by_path: dict[str, FileFacts] = {}
    not_utf8 = 0
    for file in inventory.sources:
        known = cache.known(file.path, file.size, file.mtime_ns) if file.mtime_ns else None
        facts = cache.get(known[0]) if known is not None else None
        if facts is not None:
            assert known is not None  # facts come from the cache only through known
            cache.record(file.path, file.size, file.mtime_ns, *known)
            not_utf8 += not known[1]
        else:
            try:
                raw = (repository / file.path).read_bytes()
            except OSError as exc:
                rejects.add(SOURCE, file.path, f"unreadable: {exc.strerror or exc}")
                continue
            data, utf8 = source_bytes(raw)
            not_utf8 += not utf8
            key = cache.key(data, file.language, file.path)
            facts = cache.get(key)
            if facts is None:
                facts = read_facts(data, file.language, file.path, EXTRACTORS[file.language])
                cache.put(key, facts)
            if len(raw) == file.size:
                cache.record(file.path, file.size, file.mtime_ns, key, utf8)
        if facts.error:
            rejects.add(SOURCE, f"{file.path}:{facts.error[0]}", facts.error[1])
        facts_by_path[file.path] = facts
    return facts_by_path, not_utf8


def _imports_frame(out: Resolution, facts: dict[str, FileFacts]) -> pd.DataFrame:
    names: dict[str, str] = {}

    def name(path: str) -> str:
        if path not in names:
            names[path] = module_name(path, facts.get(path))
        return names[path]

    # sorted here (stable, as the frame's sort was) and built column by column: no per-row pandas work
    keys = sorted(out.edges, key=lambda k: (k[0], k[2], k[1]))
    columns: dict[str, list] = {"importer": [name(a) for a, _, _ in keys], "imported": [name(b) for _, b, _ in keys],
               "importer_path": [a for a, _, _ in keys], "imported_path": [b for _, b, _ in keys],
               "line": [line for _, _, line in keys], "kind": [out.edges[k] for k in keys]}
    return frames.conform(_frame(columns), "imports")


def _unresolved_frame(out: Resolution, language_of: dict[str, str]) -> pd.DataFrame:
    keys = sorted(out.unresolved, key=lambda k: (k[0], k[1], k[2]))
    columns: dict[str, list] = {"importer_path": [p for p, _, _ in keys], "line": [line for _, line, _ in keys],
               "target": [t for _, _, t in keys], "language": [language_of[p] for p, _, _ in keys],
               "classification": [out.unresolved[k] for k in keys]}
    return frames.conform(_frame(columns), "unresolved_imports")


def _frame(columns: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.array(v, dtype="int64" if c == "line" else "string") for c, v in columns.items()})


def _notes(facts: dict[str, FileFacts], out: Resolution, inventory, cache: FactsCache, not_utf8: int) -> list[str]:
    files = Counter(f.language for f in facts.values())
    language_of = {p: f.language for p, f in facts.items()}
    edges = Counter(language_of[a] for a, _, _ in out.edges)
    classes: dict[str, Counter] = defaultdict(Counter)
    for (path, _, _), classification in out.unresolved.items():
        classes[language_of[path]][classification] += 1
    notes = []
    for language in LANGUAGES:
        if files[language]:
            c = classes[language]
            notes.append(f"{language}: {files[language]} files, {edges[language]} edges, "
                         f"{sum(c.values())} imports outside the repository "
                         f"({c['stdlib']} stdlib, {c['third_party']} third party, {c['unresolved']} unresolved)")
    notes.append(f"{cache.misses} files parsed, {cache.hits} read from the parse cache")
    skipped = {"over max_file_bytes (rejected)": len(inventory.too_large), "matching exclude_paths": inventory.excluded,
               "generated (by name)": inventory.generated, "not valid UTF-8 (read as bytes)": not_utf8,
               "folders reached again through a symbolic link (visited once)": inventory.link_loops}
    notes.extend(f"{n} files {what}" if "folders" not in what else f"{n} {what}"
                 for what, n in skipped.items() if n)
    return notes
