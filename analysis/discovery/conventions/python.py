"""Python packages: the direct sub-packages of the repository's main package.

The main package is the top-level package (a folder with ``__init__.py`` at the root, or under
``src/``) holding the most Python files; each of its sub-packages with at least
:data:`MIN_FILES` Python files is a context. Test packages are left out.
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath

from analysis.discovery.conventions import Candidate, name_of
from analysis.discovery.tree import RepositoryTree
from analysis.sources.django_project import TEST_FOLDERS

MIN_FILES = 2


def main_package(tree: RepositoryTree) -> str | None:
    """The folder of the top-level package with the most Python files (``src/shop``, ``shop``)."""
    counts: Counter = Counter()
    for path in tree.files:
        if not path.endswith(".py"):
            continue
        parts = PurePosixPath(path).parts
        base = 1 if parts[0] == "src" and len(parts) > 2 else 0
        if len(parts) > base + 1:
            top = "/".join(parts[:base + 1])
            if f"{top}/__init__.py" in tree.file_set and parts[base] not in TEST_FOLDERS:
                counts[top] += 1
    return counts.most_common(1)[0][0] if counts else None


def detect(tree: RepositoryTree) -> list[Candidate]:
    package = main_package(tree)
    if package is None:
        return []
    out = []
    for folder in tree.children(package):
        name = folder.rsplit("/", 1)[-1]
        if name in TEST_FOLDERS or f"{folder}/__init__.py" not in tree.file_set:
            continue
        if sum(1 for f in tree.under(folder) if f.endswith(".py")) >= MIN_FILES:
            out.append(Candidate(name=name_of(folder), folder=folder, convention="Python package",
                                 evidence=f"sub-package of {package}"))
    return out
