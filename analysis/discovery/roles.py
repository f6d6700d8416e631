"""A shared kernel: a context every other imports and that imports none of the others is
proposed as ``role: shared`` (its imports are not coupling to cut, its tables are
infrastructure).

Imports are read by a regular expression over the source text (Python ``import`` / ``from``
statements, Java and Kotlin ``import``), enough to count which contexts import which; the
measured import graph (grimp, tree-sitter) is what ``seams report`` uses. A context is shared
when at least :data:`MIN_IMPORTED_BY` of the other contexts import it and it imports at most
:data:`MAX_IMPORTS` of them (a stray import from a kernel into a domain is a bug to fix, not a
reason to call it a domain).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import PurePosixPath

from analysis.discovery.tree import RepositoryTree

MIN_IMPORTED_BY = 0.75
MAX_IMPORTS = 0.1
_PY = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.]*))", re.M)
_JVM = re.compile(r"^\s*import\s+(?:static\s+)?([A-Za-z_][\w.]*)", re.M)


def module_paths(tree: RepositoryTree) -> dict[str, str]:
    """dotted module or class name -> file, for Python (under the root or ``src/``) and Java/Kotlin files."""
    out: dict[str, str] = {}
    for path in tree.files:
        p = PurePosixPath(path)
        if p.suffix == ".py":
            parts = list(p.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and parts[0] == "src":
                parts = parts[1:]
            if parts:
                out[".".join(parts)] = path
        elif p.suffix in (".java", ".kt"):
            m = re.search(r"(?:^|/)src/main/(?:java|kotlin)/(.*)$", str(p.with_suffix("")))
            if m:
                out[m.group(1).replace("/", ".")] = path
    return out


def context_imports(tree: RepositoryTree, context_of: Callable[[str], str | None]) -> dict[str, set[str]]:
    """context -> the other contexts its files import."""
    modules = module_paths(tree)
    out: dict[str, set[str]] = defaultdict(set)
    for path in tree.files:
        suffix = PurePosixPath(path).suffix
        if suffix not in (".py", ".java", ".kt"):
            continue
        own = context_of(path)
        if own is None:
            continue
        text = tree.text(path) or ""
        names = [a or b for a, b in _PY.findall(text)] if suffix == ".py" else _JVM.findall(text)
        for name in names:
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                target = modules.get(".".join(parts[:end]))
                if target is not None:
                    other = context_of(target)
                    if other is not None and other != own:
                        out[own].add(other)
                    break
    return out


def shared_contexts(edges: dict[str, set[str]], names: list[str]) -> list[str]:
    """Contexts imported by most others that import almost none of them (module docstring)."""
    if len(names) < 3:
        return []
    imported_by: dict[str, int] = defaultdict(int)
    for targets in edges.values():
        for t in targets:
            imported_by[t] += 1
    others = len(names) - 1
    return [n for n in names if imported_by[n] >= MIN_IMPORTED_BY * others and len(edges.get(n, ())) <= MAX_IMPORTS * others]
