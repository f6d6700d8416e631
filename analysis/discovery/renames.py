"""The old names of each context's folders, from git's rename history.

A file renamed from ``saleor/cart/models.py`` to ``saleor/checkout/models.py`` says the folder
``saleor/cart`` is an old name of ``saleor/checkout`` (the part below the folder is the same on
both sides). An old folder that no longer exists at ``HEAD`` and that at least
:data:`MIN_RENAMED_FILES` files left for one context's folder is folded into that context (its
history counts as the context's), commented with the commit that renamed most of them. Two
rounds follow chains (``a`` -> ``b`` -> ``c``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import pandas as pd

from analysis.core.globs import glob_regex
from analysis.discovery.conventions import Candidate

MIN_RENAMED_FILES = 2


@dataclass(frozen=True)
class OldName:
    old: str
    new: str
    context: str
    files: int
    commit: str
    date: str


def _folders(candidate: Candidate) -> list[str]:
    out = [candidate.folder] if candidate.folder else []
    out += [g[:-3] for g in candidate.globs if g.endswith("/**") and "*" not in g[:-3]]
    return out


def old_names(changes: pd.DataFrame, candidates: list[Candidate], alive: frozenset[str]) -> list[OldName]:
    renames = changes[changes["status"] == "R"] if len(changes) else changes
    if not len(renames):
        return []
    found: list[OldName] = []
    targets = {f: c.name for c in candidates for f in _folders(c)}
    # globs with wildcards (``**/src/main/*/com/shop/billing/**``): the folder a path matches them in
    patterns = [(re.compile(glob_regex(g[:-3]).pattern.removesuffix(r"\Z") + "(?=/)"), c.name)
                for c in candidates for g in c.globs if g.endswith("/**") and "*" in g[:-3]]
    pairs = list(zip(renames["old_path"].astype(str), renames["path"].astype(str), renames["commit"], renames["date"]))
    for _ in range(2):
        counts: Counter = Counter()
        commits: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for old, new, commit, date in pairs:
            hits = _prefixes(new, targets)
            if not hits:
                for rx, name in patterns:
                    m = rx.match(new)
                    if m:
                        targets.setdefault(m.group(0), name)
                        hits = [m.group(0)]
                        break
            for folder in hits:
                rel = new[len(folder) + 1:]
                if old.endswith("/" + rel):
                    before = old[: -len(rel) - 1]
                    if before != folder and before not in alive and not before.startswith(folder + "/") and before not in targets:
                        counts[(before, folder)] += 1
                        commits[(before, folder)][(commit, date)] += 1
                break
        best: dict[str, tuple[int, str]] = {}
        for (before, folder), n in counts.items():
            if n >= MIN_RENAMED_FILES and (before not in best or n > best[before][0]):
                best[before] = (n, folder)
        if not best:
            break
        for before, (n, folder) in sorted(best.items()):
            (commit, date), _ = commits[(before, folder)].most_common(1)[0]
            found.append(OldName(before, folder, targets[folder], n, commit, date))
            targets[before] = targets[folder]
    return found


def _prefixes(path: str, targets: dict[str, str]) -> list[str]:
    """The deepest target folder ``path`` lies in (as a one-element list), else none."""
    parts = path.split("/")
    for end in range(len(parts) - 1, 0, -1):
        folder = "/".join(parts[:end])
        if folder in targets:
            return [folder]
    return []


def fold_old_names(candidates: list[Candidate], found: list[OldName]) -> None:
    by_name = {c.name: c for c in candidates}
    for o in found:
        c = by_name[o.context]
        c.globs.append(f"{o.old}/**")
        c.notes.append(f"{o.old}/ is an old name of {o.new}/: {o.files} files renamed, most in {o.commit[:10]} ({o.date})")
