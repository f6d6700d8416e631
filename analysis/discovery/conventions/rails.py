"""Rails: Packwerk packs (a ``package.yml`` below the root), else engines (a ``*.gemspec`` under
``engines/``, ``components/`` or ``gems/``), else the namespaces of ``app/models`` (a folder
``app/models/<ns>/``), each with every ``app/*/<ns>/`` folder (controllers, services, jobs).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from analysis.discovery.conventions import Candidate, name_of
from analysis.discovery.tree import RepositoryTree

ENGINE_FOLDERS = ("engines", "components", "gems")


def detect(tree: RepositoryTree) -> list[Candidate]:
    packs = [str(PurePosixPath(f).parent) for f in tree.files if f.endswith("/package.yml")]
    packs = [p for p in packs if p not in ("", ".")]
    if packs:
        return [Candidate(name=name_of(p), folder=p, convention="Packwerk pack", evidence=f"{p}/package.yml") for p in sorted(packs)]
    engines = sorted({str(PurePosixPath(f).parent) for f in tree.files
                      if f.endswith(".gemspec") and PurePosixPath(f).parts[0] in ENGINE_FOLDERS and f.count("/") == 2})
    if engines:
        return [Candidate(name=name_of(e), folder=e, convention="Rails engine", evidence=f"gemspec in {e}") for e in engines]
    if not any(f.startswith("app/models/") for f in tree.files):
        return []
    out = []
    for folder in tree.children("app/models"):
        ns = folder.rsplit("/", 1)[-1]
        if ns == "concerns":
            continue
        others = [f"app/{kind}/{ns}/**" for kind in sorted({f.split("/")[1] for f in tree.files if f.startswith("app/")})
                  if f"app/{kind}/{ns}" in tree.folders and kind != "models"]
        model = f"app/models/{ns}.rb"
        extra = [model] if model in tree.file_set else []
        out.append(Candidate(name=name_of(ns), folder=folder, convention="Rails app/models namespace",
                             evidence=f"{folder}/", globs=[*others, *extra]))
    return out
