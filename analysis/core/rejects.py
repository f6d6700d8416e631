"""Rejected records: what could not be read, where, and why.

Every reader takes a :class:`Rejects` and calls :meth:`Rejects.add` for each record it
skips. Nothing is dropped silently: the counts reach ``findings.json`` (``inputs``) and the
report, and :meth:`Rejects.write` keeps the details in a CSV file with the columns
``source, location, reason, excerpt``. Excerpts are cut to 80 characters and never
reach a report (they may hold literals from the input).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

EXCERPT_CHARS = 80
#: Details kept in memory per source; counts are always exact.
MAX_KEPT_PER_SOURCE = 10_000


@dataclass
class Reject:
    source: str
    location: str
    reason: str
    excerpt: str = ""


@dataclass
class Rejects:
    """Collects rejected records for one run.

    ``location`` is a line number (``"line 12"``), a byte offset or any other pointer
    a user can follow into the source file.
    """

    records: list[Reject] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def add(self, source: str, location: str | int, reason: str, excerpt: str | bytes = "") -> None:
        source = str(source)
        self.counts[source] += 1
        if self.counts[source] > MAX_KEPT_PER_SOURCE:
            return
        if isinstance(excerpt, bytes):
            excerpt = excerpt.decode("utf-8", "replace")
        if isinstance(location, int):
            location = f"line {location}"
        self.records.append(Reject(source, str(location), reason, excerpt[:EXCERPT_CHARS]))

    def extend(self, other: Rejects) -> None:
        """Add every reject of ``other``: its kept details, and its counts beyond them."""
        for r in other.records:
            self.add(r.source, r.location, r.reason, r.excerpt)
        for source, n in other.counts.items():
            kept = sum(1 for r in other.records if r.source == source)
            if n > kept:
                self.counts[source] += n - kept

    def count(self, source: str | None = None) -> int:
        if source is None:
            return sum(self.counts.values())
        return self.counts.get(str(source), 0)

    def reasons(self, source: str | None = None) -> Counter:
        """How many kept rejects per reason (for the report)."""
        return Counter(r.reason for r in self.records if source is None or r.source == source)

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["source", "location", "reason", "excerpt"])
            for r in self.records:
                writer.writerow([r.source, r.location, r.reason, r.excerpt])
        return path
