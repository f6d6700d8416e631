"""Jaeger ``/api/dependencies``: service-level runtime coupling without spans.

Shape: an array of ``{"parent": "svc-a", "child": "svc-b", "callCount": 30489}``, or the
query API response ``{"data": [...]}`` around it. Rows naming the same pair are summed.
Result: the ``service_dependencies`` frame (``parent, child, call_count``), sorted by
call count descending, then parent, child. A row without a text ``parent`` and
``child`` or a non-negative integer ``callCount`` is rejected (``[n]``).
"""

from __future__ import annotations

from typing import IO

import pandas as pd

from analysis.core import frames
from analysis.core.rejects import Rejects
from analysis.sources.traces.formats.documents import at, json_values
from analysis.sources.traces.formats.spans import TraceReadStats

NOT_DEPENDENCIES = "not Jaeger dependencies JSON (no list of parent, child, callCount)"
#: Every record of the format has this key once: the records a lost line held.
DEPENDENCY_KEY = b'"callCount"'


def read_dependencies(stream: IO[bytes], source: str, rejects: Rejects, stats: TraceReadStats) -> pd.DataFrame:
    rows: list[tuple[str, str, int]] = []
    for line, value in json_values(stream, source, rejects, stats, DEPENDENCY_KEY):
        stats.messages += 1
        if value.__class__ is dict and value.get("data").__class__ is list:
            value = value["data"]
        if value.__class__ is dict and "parent" in value:
            value = [value]
        if value.__class__ is not list:
            rejects.add(source, at(line, "document"), NOT_DEPENDENCIES)
            continue
        for n, row in enumerate(value):
            parent = row.get("parent") if row.__class__ is dict else None
            child = row.get("child") if row.__class__ is dict else None
            count = row.get("callCount") if row.__class__ is dict else None
            if parent.__class__ is not str or not parent or child.__class__ is not str or not child:
                rejects.add(source, at(line, f"[{n}]"), "dependency without a parent and a child service")
            elif count.__class__ is not int or count < 0:
                rejects.add(source, at(line, f"[{n}]"), "dependency without a non-negative integer callCount")
            else:
                rows.append((parent, child, count))
    if not rows:
        return frames.empty("service_dependencies")
    frame = pd.DataFrame(rows, columns=["parent", "child", "call_count"])
    summed = frame.groupby(["parent", "child"], as_index=False, sort=False)["call_count"].sum()
    summed = summed.sort_values(["call_count", "parent", "child"], ascending=[False, True, True])
    return frames.conform(summed, "service_dependencies")
