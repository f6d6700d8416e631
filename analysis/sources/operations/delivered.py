"""Delivered changes: features or tickets done, one row each (instead of merged pull requests).

``mine_delivered(OperationsLog, rejects) -> SourceFrames`` (frame ``delivered``). Without this
log the scorecard counts merged pull requests from git history. The file is a CSV with a
header row (:mod:`analysis.sources.records` rules)::

    delivered_at,contexts,kind
    2025-03-04,billing,feature
    2025-03-05T16:00:00Z,"orders;billing",bug

- ``delivered_at`` (required): when it was done (released, closed);
- ``contexts`` (optional): the contexts it changed;
- ``kind`` (optional): as given (feature, bug, chore...).

Ticket numbers and titles are not read: nothing but the date, contexts and kind leaves the file.
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

COLUMNS = ("delivered_at", "contexts", "kind")


def parse_delivered_csv(lines: Iterable[str], source: str, rejects: Rejects) -> pd.DataFrame:
    """Read a delivered-changes log into a ``delivered`` frame (sorted by delivered_at)."""
    rows = []
    for line, cell, raw in csv_rows(lines, source, COLUMNS, ("delivered_at",), rejects):
        when = parse_timestamp(cell["delivered_at"])
        if when is None:
            rejects.add(source, line, f"unreadable delivered_at {cell['delivered_at'][:40]!r}", raw)
            continue
        rows.append({"delivered_at": when, "contexts": context_list(cell.get("contexts", "")) or pd.NA,
                     "kind": cell.get("kind") or pd.NA})
    if not rows:
        return frames.empty("delivered")
    return frames.conform(pd.DataFrame(rows), "delivered").sort_values("delivered_at", kind="stable").reset_index(drop=True)


def mine_delivered(source: OperationsLog, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    return mine_csv_log(source.path, "delivered", parse_delivered_csv, rejects, "delivered-changes log")
