"""Small CSV logs kept by people (deploys, incidents, costs, delivered changes): the shared
reading rules, so every such file reads the same way.

- a header row names the columns, case-insensitively (a UTF-8 byte-order mark is ignored);
  other columns are ignored; a required column missing makes the file unreadable
  (:class:`~analysis.core.errors.SourceError`, naming the columns expected);
- a row with the wrong number of fields is rejected (``line N``), blank rows are skipped;
- timestamps are ISO 8601, read as UTC when they carry no offset, or seconds since the Unix
  epoch (:func:`parse_timestamp`);
- context lists are separated by ``;``, ``|``, ``,`` or spaces and kept sorted and
  comma-separated (:func:`context_list`), as the ``deploys`` frame keeps them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence

import pandas as pd

from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects

_CONTEXT_SEPARATORS = re.compile(r"[;|,\s]+")
_EPOCH = re.compile(r"\d+(\.\d+)?")


def parse_timestamp(text: str) -> pd.Timestamp | None:
    """An ISO 8601 timestamp (UTC when it has no offset) or epoch seconds, as UTC; None
    when unreadable."""
    text = text.strip()
    if not text or not text[0].isdigit():  # also keeps out words pandas would accept ("now", "today")
        return None
    if _EPOCH.fullmatch(text):
        return pd.Timestamp(float(text), unit="s", tz="UTC")
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if ts is pd.NaT:
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def context_list(text: str) -> str | None:
    """``"orders; billing"`` -> ``"billing,orders"``; None when none is listed."""
    contexts = sorted({c for c in _CONTEXT_SEPARATORS.split(text or "") if c})
    return ",".join(contexts) if contexts else None


def csv_rows(lines: Iterable[str], source: str, columns: Sequence[str], required: Sequence[str],
             rejects: Rejects) -> Iterator[tuple[int, dict[str, str], str]]:
    """``(line number, {column: stripped cell}, raw row)`` for every readable row; ``columns``
    are the ones read (those present), ``required`` must be in the header."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise SourceError(source, f"the header {header!r} has no {', '.join(repr(m) for m in missing)} column "
                                  f"(expected {','.join(columns)})")
    at = {name: names.index(name) for name in columns if name in names}
    for record in reader:
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            rejects.add(source, reader.line_num, f"{len(record)} fields, the header has {len(names)}", ",".join(record))
            continue
        yield reader.line_num, {name: record[i].strip() for name, i in at.items()}, ",".join(record)
