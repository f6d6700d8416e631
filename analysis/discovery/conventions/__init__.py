"""One module per repository convention ``seams init`` reads contexts from.

Each exposes ``detect(tree) -> list[Candidate]``: the contexts the convention names, each with
its folder and the evidence (the file that says so). :data:`DETECTORS` lists them in the order
they are trusted: a framework's own declaration (Django apps, Packwerk packs) before a folder
convention (Python packages), so when two conventions claim one folder the first wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Candidate:
    """A proposed context: its name, root folder, the convention and evidence behind it."""

    name: str
    folder: str
    convention: str
    evidence: str
    #: extra path globs (layers folded in, old names); the folder's own glob comes first
    globs: list[str] = field(default_factory=list)
    #: comments written above the context (the alternative to a fold, a rename's commit)
    notes: list[str] = field(default_factory=list)
    label: str | None = None  # Django app label, when it differs from the name
    role: str = "domain"

    @property
    def paths(self) -> list[str]:
        if not self.folder:
            return list(dict.fromkeys(self.globs))
        own = f"{self.folder}/**"
        return [own, *[g for g in dict.fromkeys(self.globs) if g != own]]


def name_of(folder: str) -> str:
    """A context name from a folder: its last part, lower case, dashes for separators."""
    last = folder.rstrip("/").rsplit("/", 1)[-1]
    return last.lower().replace("_", "-").replace(" ", "-") or "root"
