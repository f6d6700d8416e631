"""Rejected records: what could not be read, where, and why.

Every reader takes a :class:`Rejects` and calls :meth:`Rejects.add` for each record it
skips. Nothing is dropped silently: the counts reach ``findings.json`` (``inputs``) and the
report, and :meth:`Rejects.write` keeps the details in a CSV file with the columns
``source, location, reason, excerpt, records``. ``records`` says how many records one
reject stands for: a JSON line that cannot be read loses every span on it, so the reader
files one reject for the line and counts the spans it held (an estimate when the line is
not JSON); counts are in records, never in physical lines.

An excerpt helps find the record, never to read its values: every excerpt is masked here,
once for every reader, by :func:`analysis.core.privacy.mask_excerpt` (control characters
escaped; string, number and dollar-quoted literals, words holding a digit, e-mail
addresses, UUIDs and JSON values replaced by ``?``, as fingerprints mask SQL), then cut to
80 characters. Reasons and locations are escaped and bounded too. ``rejects.csv`` sits
beside the report, so it holds no literal of the input.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from analysis.core.privacy import escape_controls, mask_excerpt, safe_message

EXCERPT_CHARS = 80
#: Characters of a reason or a location kept.
REASON_CHARS = 300
#: The columns of the rejects file.
COLUMNS = ("source", "location", "reason", "excerpt", "records")
#: Details kept in memory per source; counts are always exact.
MAX_KEPT_PER_SOURCE = 10_000


@dataclass
class Reject:
    source: str
    location: str
    reason: str
    excerpt: str = ""
    records: int = 1


@dataclass
class Rejects:
    """Collects rejected records for one run.

    ``location`` is a line number (``"line 12"``), a byte offset or any other pointer
    a user can follow into the source file.
    """

    records: list[Reject] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    _kept: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def add(self, source: str, location: str | int, reason: str, excerpt: str | bytes = "", records: int = 1) -> None:
        """File one reject standing for ``records`` records (at least one is counted); the
        excerpt is masked (see the module docstring)."""
        source = str(source)
        records = max(1, int(records))
        self.counts[source] += records
        if self.kept(source) >= MAX_KEPT_PER_SOURCE:
            return
        if isinstance(location, int):
            location = f"line {location}"
        self._kept[source] = self.kept(source) + 1
        self.records.append(Reject(source, escape_controls(str(location))[:REASON_CHARS],
                                   safe_message(reason, REASON_CHARS),
                                   mask_excerpt(excerpt, EXCERPT_CHARS) if excerpt else "", records))

    def kept(self, source: str) -> int:
        """How many rejects of ``source`` are kept in detail."""
        return self._kept.get(str(source), 0)

    def extend(self, other: Rejects) -> None:
        """Add every reject of ``other``: its kept details, and its counts beyond them."""
        for r in other.records:
            self.add(r.source, r.location, r.reason, r.excerpt, r.records)
        for source, n in other.counts.items():
            kept = sum(r.records for r in other.records if r.source == source)
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
            writer.writerow(COLUMNS)
            for r in self.records:
                writer.writerow([r.source, r.location, r.reason, r.excerpt, r.records])
        return path
