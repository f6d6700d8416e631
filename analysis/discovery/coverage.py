"""How much of the repository a proposed map covers: the share of source files at ``HEAD`` and
of historical changes to source files that fall in some context (ignored paths left out of
both), and the commonest unassigned folders (:func:`analysis.mapping.contexts.unassigned_prefixes`).

Source files are judged as the report judges the map (:func:`analysis.measures.history.source_code`):
documentation, assets and data belong to no context, so they count in neither share."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.core.config import ContextSpec
from analysis.discovery.ignores import is_ignored
from analysis.mapping.contexts import ContextMap, unassigned_prefixes
from analysis.measures.history import source_code


@dataclass(frozen=True)
class Coverage:
    files: int
    files_assigned: int
    changes: int
    changes_assigned: int
    unassigned_head: pd.DataFrame  # prefix, paths, share
    unassigned_history: pd.DataFrame
    #: per context: files at HEAD and historical changes it holds
    per_context: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["context", "files", "changes"]))

    @property
    def head_share(self) -> float | None:
        return self.files_assigned / self.files if self.files else None

    @property
    def history_share(self) -> float | None:
        return self.changes_assigned / self.changes if self.changes else None


def coverage(specs: tuple[ContextSpec, ...], files: list[str], changed: pd.Series, ignored: list[str], *, top: int = 10) -> Coverage:
    cmap = ContextMap(specs)
    head = pd.Series([f for f in files if not is_ignored(f, ignored)], dtype="string")
    head = head[source_code(head).to_numpy()].reset_index(drop=True)
    history = changed.dropna().astype("string").reset_index(drop=True)
    dropped = {p for p in pd.unique(history) if is_ignored(str(p), ignored)}
    history = history[~history.isin(dropped)]
    history = history[source_code(history).to_numpy()]
    head_ctx = cmap.assign_paths(head)
    hist_ctx = cmap.assign_paths(history.reset_index(drop=True)) if len(history) else pd.Series([], dtype="string")
    at_head, changed_in = head_ctx.value_counts(), hist_ctx.value_counts()
    per_context = pd.DataFrame({"context": [s.name for s in specs], "files": [int(at_head.get(s.name, 0)) for s in specs],
                                "changes": [int(changed_in.get(s.name, 0)) for s in specs]})
    return Coverage(len(head), int(head_ctx.notna().sum()), len(history), int(hist_ctx.notna().sum()),
                    unassigned_prefixes(head, head_ctx, top=top), unassigned_prefixes(history.reset_index(drop=True), hist_ctx, top=top),
                    per_context)
