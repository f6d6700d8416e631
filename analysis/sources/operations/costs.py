"""The infrastructure cost log: what running the monolith cost, month by month.

``mine_costs(OperationsLog, rejects) -> SourceFrames`` (frame ``costs``). The file is a CSV with
a header row (:mod:`analysis.sources.records` rules)::

    month,amount,currency,contexts
    2025-03,12000,USD,
    2025-03,1800.50,USD,billing

- ``month`` (required): ``YYYY-MM`` or any ISO date in the month (kept as its first day, UTC);
- ``amount`` (required): a number (a dot for decimals, no thousands separator), >= 0;
- ``currency`` (optional): as given (amounts in different currencies are never added up);
- ``contexts`` (optional): the contexts the amount is for; empty = the whole monolith.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.config import OperationsLog
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.operations.common import mine_csv_log
from analysis.sources.records import context_list, csv_rows, parse_timestamp

COLUMNS = ("month", "amount", "currency", "contexts")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> pd.Timestamp | None:
    """``2025-03`` or a date in March 2025 -> 2025-03-01 00:00 UTC; None when unreadable."""
    m = _MONTH.fullmatch(text.strip())
    when = pd.Timestamp(year=int(m.group(1)), month=int(m.group(2)), day=1, tz="UTC") if m and 1 <= int(m.group(2)) <= 12 \
        else parse_timestamp(text)
    return None if when is None else when.normalize().replace(day=1)


def parse_costs_csv(lines: Iterable[str], source: str, rejects: Rejects) -> pd.DataFrame:
    """Read a cost log into a ``costs`` frame (sorted by month, contexts)."""
    rows = []
    for line, cell, raw in csv_rows(lines, source, COLUMNS, ("month", "amount"), rejects):
        month = parse_month(cell["month"])
        if month is None:
            rejects.add(source, line, f"unreadable month {cell['month'][:40]!r}", raw)
            continue
        try:
            amount = float(cell["amount"])
        except ValueError:
            rejects.add(source, line, f"amount is not a number: {cell['amount'][:40]!r}", raw)
            continue
        if not math.isfinite(amount) or amount < 0:
            rejects.add(source, line, f"amount must be a finite number >= 0, got {cell['amount'][:40]!r}", raw)
            continue
        rows.append({"month": month, "amount": amount, "currency": cell.get("currency") or pd.NA,
                     "contexts": context_list(cell.get("contexts", "")) or pd.NA})
    if not rows:
        return frames.empty("costs")
    out = frames.conform(pd.DataFrame(rows), "costs")
    return out.sort_values(["month", "contexts"], kind="stable", na_position="first").reset_index(drop=True)


def mine_costs(source: OperationsLog, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    return mine_csv_log(source.path, "costs", parse_costs_csv, rejects, "cost log")
