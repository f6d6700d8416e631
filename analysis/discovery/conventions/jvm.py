"""Java and Kotlin: the direct sub-packages of the application's root package (the Spring
Modulith convention: each is an application module).

The root package is the package of the ``@SpringBootApplication`` class when there is one,
else the deepest package that holds every main source file's package (``src/main/java`` or
``src/main/kotlin`` trees; test trees left out) and branches. A sub-package is a context with
its path glob across every source tree of the build (``**/src/main/*/com/shop/billing/**``),
so a multi-module build's modules that share a package fold into one context.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath

from analysis.discovery.conventions import Candidate, name_of
from analysis.discovery.tree import RepositoryTree

_SOURCE_TREE = re.compile(r"(?:^|/)src/main/(?:java|kotlin)/")
_BOOT = re.compile(r"@SpringBootApplication")


def _package_of(path: str) -> str | None:
    m = _SOURCE_TREE.search(path)
    if not m:
        return None
    return str(PurePosixPath(path[m.end():]).parent).replace("/", ".")


def root_package(tree: RepositoryTree, packages: Counter) -> tuple[str | None, str]:
    for path in tree.files:
        if path.endswith((".java", ".kt")) and _SOURCE_TREE.search(path):
            text = tree.text(path) if "Application" in path else None
            if text and _BOOT.search(text):
                return _package_of(path), f"@SpringBootApplication in {path}"
    if not packages:
        return None, ""
    # deepest common prefix that covers most files and branches
    total = sum(packages.values())
    prefix: list[str] = []
    while True:
        nxt: Counter = Counter()
        for pkg, n in packages.items():
            parts = pkg.split(".")
            if parts[:len(prefix)] == prefix and len(parts) > len(prefix):
                nxt[parts[len(prefix)]] += n
        if not nxt:
            break
        head, n = nxt.most_common(1)[0]
        if n < 0.8 * total or len(nxt) > 1 and n < 0.8 * sum(nxt.values()):
            break
        prefix.append(head)
    return ".".join(prefix) or None, "the common package of the main sources"


def detect(tree: RepositoryTree) -> list[Candidate]:
    packages: Counter = Counter()
    for path in tree.files:
        if path.endswith((".java", ".kt")):
            pkg = _package_of(path)
            if pkg:
                packages[pkg] += 1
    root, evidence = root_package(tree, packages)
    if not root:
        return []
    depth = root.count(".") + 1
    subs = sorted({p.split(".")[depth] for p in packages if p.startswith(root + ".") and len(p.split(".")) > depth})
    out = []
    for sub in subs:
        rel = (root + "." + sub).replace(".", "/")
        out.append(Candidate(name=name_of(sub), folder="", convention="Java/Kotlin sub-package",
                             evidence=f"sub-package of {root} ({evidence})", globs=[f"**/src/main/*/{rel}/**"]))
    return out
