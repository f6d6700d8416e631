"""Go: each package folder directly under ``internal/`` and each command under ``cmd/``
(wherever the module's ``go.mod`` lies)."""

from __future__ import annotations

from pathlib import PurePosixPath

from analysis.discovery.conventions import Candidate, name_of
from analysis.discovery.tree import RepositoryTree


def detect(tree: RepositoryTree) -> list[Candidate]:
    modules = [str(PurePosixPath(f).parent) for f in tree.files if PurePosixPath(f).name == "go.mod"]
    out = []
    for module in sorted(modules):
        base = "" if module == "." else module + "/"
        for kind in ("internal", "cmd"):
            for folder in tree.children(base + kind):
                if any(f.endswith(".go") for f in tree.under(folder)):
                    name = name_of(folder) if kind == "internal" else f"cmd-{name_of(folder)}"
                    out.append(Candidate(name=name, folder=folder, convention=f"Go {kind}/ package", evidence=f"{base}go.mod"))
    return out
