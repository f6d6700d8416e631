"""What resolvers share: the repository as resolution sees it, and the rows they produce.

A resolver reads the :class:`FileFacts` of its language family and adds to a
:class:`Resolution`:

- an **edge** (importer file, imported file, line, kind) for every dependency that lands
  on a file of the repository — the line is the import statement's, or, for a dependency
  without one (same package, same namespace, autoloaded constant), the first line that
  names the dependency;
- an **unresolved** row (importer file, line, target, classification) for every import
  that names nothing in the repository: ``stdlib``, ``third_party``, or ``unresolved``
  when it looks like the repository's own (its package, namespace, path or alias is the
  repository's) but no file was found.

A file depending on itself is not an edge; the same edge on the same line is kept once.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.sources.code_imports.facts import FileFacts

STDLIB, THIRD_PARTY, UNRESOLVED = "stdlib", "third_party", "unresolved"


@dataclass
class Repo:
    """The analysed files of one language family with their facts, and every file seen."""

    root: Path
    facts: dict[str, FileFacts]  # path -> facts, only the family's analysed files
    all_files: set[str]

    def read_text(self, path: str) -> str | None:
        """A configuration file of the repository (go.mod, package.json ...), or None."""
        if path not in self.all_files:
            return None
        try:
            return (self.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def read_json(self, path: str) -> dict | None:
        """A JSON (or JSON-with-comments, like tsconfig.json) object file, or None."""
        raw = self.read_text(path)
        if raw is None:
            return None
        value = loose_json(raw)
        return value if isinstance(value, dict) else None


@dataclass
class Resolution:
    language_of: dict[str, str]  # path -> language (for unresolved rows)
    edges: dict[tuple[str, str, int], str] = field(default_factory=dict)
    unresolved: dict[tuple[str, int, str], str] = field(default_factory=dict)

    def edge(self, importer: str, imported: str, line: int, kind: str = "static") -> None:
        if importer == imported:
            return
        key = (importer, imported, line)
        if key not in self.edges or kind == "static":
            self.edges[key] = kind

    def unresolved_import(self, importer: str, line: int, target: str, classification: str) -> None:
        self.unresolved.setdefault((importer, line, target), classification)


_LINE_COMMENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING_COMMA = re.compile(r'("(?:\\.|[^"\\])*")|,(\s*[}\]])')


def loose_json(raw: str):
    """Parse JSON that may hold comments and trailing commas (tsconfig.json); None if unreadable."""
    try:
        return json.loads(raw)
    except ValueError:
        pass
    stripped = _LINE_COMMENT.sub(lambda m: m.group(1) or "", raw)
    stripped = _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), stripped)
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def join(folder: str, relative: str) -> str | None:
    """``a/b`` + ``../c`` -> ``a/c``; None when the result leaves the repository."""
    joined = posixpath.normpath(posixpath.join(folder, relative)) if folder else posixpath.normpath(relative)
    if joined == ".":
        return ""
    if joined.startswith("../") or joined == ".." or joined.startswith("/"):
        return None
    return joined


def folder_of(path: str) -> str:
    return posixpath.dirname(path)


def nearest(path: str, name: str, files: set[str]) -> str | None:
    """The closest ``name`` in the folder of ``path`` or above it (``tsconfig.json``, ``go.mod``)."""
    folder = folder_of(path)
    while True:
        candidate = f"{folder}/{name}" if folder else name
        if candidate in files:
            return candidate
        if not folder:
            return None
        folder = folder_of(folder)


def repository_roots(namespaces: set[str], group_depth: int, separator: str = ".") -> set[str]:
    """The repository's own name roots: its namespaces grouped by their first
    ``group_depth`` segments, each group cut to its longest common prefix.

    ``{org.springframework.samples.petclinic.owner, org.springframework.samples.petclinic.vet}``
    -> ``{org.springframework.samples.petclinic}`` (so ``org.springframework.web`` is not
    the repository's). An import under a root that names no file is ``unresolved``.
    """
    groups: dict[tuple[str, ...], list[list[str]]] = {}
    for namespace in namespaces:
        if namespace:
            parts = namespace.split(separator)
            groups.setdefault(tuple(parts[:group_depth]), []).append(parts)
    roots = set()
    for members in groups.values():
        common = members[0]
        for parts in members[1:]:
            n = 0
            while n < min(len(common), len(parts)) and common[n] == parts[n]:
                n += 1
            common = common[:n]
        roots.add(separator.join(common))
    return roots


def under(name: str, roots: set[str], separator: str = ".") -> bool:
    """Whether ``name`` is one of ``roots`` or lies below one (``a.b.c`` under ``a.b``)."""
    parts = name.split(separator)
    return any(separator.join(parts[:n]) in roots for n in range(1, len(parts) + 1))
