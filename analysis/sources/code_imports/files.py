"""Which files of a repository are source files of a supported language, and their bytes.

The walk follows symbolic links to folders inside the repository once (a folder reached
twice through links, a link loop included, is visited once) and never leaves the
repository. Folders of installed third-party code and of version control are not the
repository's own code and are never entered: :data:`SKIPPED_FOLDERS`.
"""

from __future__ import annotations

import codecs
import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analysis.core.globs import glob_regex

#: Language of a file, by its name's ending (the longest ending wins).
EXTENSIONS: dict[str, str] = {
    ".java": "java",
    ".kt": "kotlin", ".kts": "kotlin",
    ".cs": "csharp",
    ".go": "go",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".rb": "ruby", ".rake": "ruby",
    ".php": "php",
}
LANGUAGES: tuple[str, ...] = ("java", "kotlin", "csharp", "go", "javascript", "typescript", "ruby", "php")

#: Folders holding installed dependencies, build output or version control.
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", "node_modules", "bower_components", "vendor",
                             ".venv", "__pycache__", ".gradle", ".idea", ".bundle"})
#: Generated or bundled files, skipped by name and counted (minified bundles are huge
#: single lines that say nothing about the repository's structure).
GENERATED_PATTERNS = ("*.min.js", "*.min.mjs", "*.bundle.js", "*.chunk.js", "*.d.ts.map")


@dataclass
class SourceFile:
    path: str  # repository-relative, posix
    language: str
    size: int
    mtime_ns: int = 0  # modification time when walked (0: unknown)


@dataclass
class Inventory:
    """The walk's result: the files to analyse and what was left out, by reason."""

    sources: list[SourceFile] = field(default_factory=list)
    all_files: set[str] = field(default_factory=set)  # every file seen (for path resolution)
    excluded: int = 0  # matched exclude_paths
    generated: int = 0  # matched GENERATED_PATTERNS
    too_large: list[SourceFile] = field(default_factory=list)
    link_loops: int = 0  # folders reached again through a symbolic link


def language_of(name: str) -> str | None:
    """``billing/Invoice.java`` -> ``java``; None for an unsupported name."""
    return EXTENSIONS.get(os.path.splitext(name)[1])


def _generated(patterns: Sequence[str]):
    """A test for file names matching ``patterns``: ``str.endswith`` when every pattern is
    ``*`` and a plain ending (what ``fnmatchcase`` would decide), else ``fnmatchcase``."""
    endings = tuple(p[1:] for p in patterns)
    if all(p.startswith("*") and not any(c in e for c in "*?[") for p, e in zip(patterns, endings)):
        return lambda name: name.endswith(endings)
    return lambda name: any(fnmatch.fnmatchcase(name, p) for p in patterns)


def walk_repository(repository: Path, languages: Sequence[str], exclude_paths: Sequence[str],
                    max_file_bytes: int) -> Inventory:
    """Every file of ``languages`` under ``repository``, in path order, with what was skipped."""
    root = repository.resolve()
    wanted = set(languages)
    excludes = [glob_regex(g) for g in exclude_paths]
    inventory = Inventory()
    seen_dirs: set[tuple[int, int]] = set()
    generated = _generated(GENERATED_PATTERNS)
    splitext = os.path.splitext

    def visit(folder: str, relative: str) -> None:
        try:
            st = os.stat(folder)
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            inventory.link_loops += 1
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            rel = f"{relative}{entry.name}"
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if entry.name in SKIPPED_FOLDERS:
                    continue
                if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(root):
                    continue
                visit(entry.path, rel + "/")
                continue
            if not entry.is_file(follow_symlinks=True):
                continue
            inventory.all_files.add(rel)
            language = EXTENSIONS.get(splitext(entry.name)[1])
            if language is None or language not in wanted:
                continue
            if excludes and any(r.match(rel) for r in excludes):
                inventory.excluded += 1
                continue
            if generated(entry.name):
                inventory.generated += 1
                continue
            st = entry.stat(follow_symlinks=True)
            size = st.st_size
            source = SourceFile(rel, language, size, st.st_mtime_ns)
            if size > max_file_bytes:
                inventory.too_large.append(source)
            else:
                inventory.sources.append(source)

    visit(str(root), "")
    return inventory


def source_bytes(data: bytes) -> tuple[bytes, bool]:
    """The file's text as UTF-8 bytes for the parser, and whether it was valid UTF-8.

    A UTF-8 byte order mark is dropped, UTF-16 (with its mark) is re-encoded; other bytes
    that are not UTF-8 are kept as they are (the grammars read identifiers made of ASCII,
    and names taken from them are decoded with replacement characters).
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8"), True
        except UnicodeDecodeError:
            return data, False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data, False
    return data, True
