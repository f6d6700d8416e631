"""The incident log: when each incident was opened and resolved, how severe, where.

``mine_incidents(OperationsLog, rejects) -> SourceFrames`` (frame ``incidents``). The file is a
CSV with a header row (:mod:`analysis.sources.records` rules)::

    opened_at,resolved_at,severity,contexts
    2025-03-02T09:10:00Z,2025-03-02T11:40:00Z,SEV2,billing
    2025-03-09T22:00:00+01:00,,SEV1,"orders;billing"

- ``opened_at`` (required): ISO 8601 or epoch seconds;
- ``resolved_at`` (optional): the same; empty while the incident is open; before
  ``opened_at`` is rejected;
- ``severity`` (optional): kept as given (SEV1, P2, major...);
- ``contexts`` (optional): the contexts affected.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.config import OperationsLog
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.operations.common import mine_csv_log
from analysis.sources.records import context_list, csv_rows, parse_timestamp

COLUMNS = ("opened_at", "resolved_at", "severity", "contexts")


def parse_incidents_csv(lines: Iterable[str], source: str, rejects: Rejects) -> pd.DataFrame:
    """Read an incident log into an ``incidents`` frame (sorted by opened_at)."""
    rows = []
    for line, cell, raw in csv_rows(lines, source, COLUMNS, ("opened_at",), rejects):
        opened = parse_timestamp(cell["opened_at"])
        if opened is None:
            rejects.add(source, line, f"unreadable opened_at {cell['opened_at'][:40]!r}", raw)
            continue
        resolved = None
        if cell.get("resolved_at"):
            resolved = parse_timestamp(cell["resolved_at"])
            if resolved is None:
                rejects.add(source, line, f"unreadable resolved_at {cell['resolved_at'][:40]!r}", raw)
                continue
            if resolved < opened:
                rejects.add(source, line, "resolved_at is before opened_at", raw)
                continue
        rows.append({"opened_at": opened, "resolved_at": resolved if resolved is not None else pd.NaT,
                     "severity": cell.get("severity") or pd.NA, "contexts": context_list(cell.get("contexts", "")) or pd.NA})
    if not rows:
        return frames.empty("incidents")
    return frames.conform(pd.DataFrame(rows), "incidents").sort_values("opened_at", kind="stable").reset_index(drop=True)


def mine_incidents(source: OperationsLog, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    return mine_csv_log(source.path, "incidents", parse_incidents_csv, rejects, "incident log")
