"""``age``: months since each entity last changed.

Input: a modifications frame. Columns ``entity, age_months``: the whole months between
the latest ``date`` before now (dates are days at 00:00 UTC; ``Options.age_time_now``, or
the current UTC time) and now, counted like Joda-Time's ``Months.monthsBetween`` (a month
is complete when the day of month — and time of day — is reached again; from the 31st to
the last day of a shorter month counts as complete). Entities changed only on or after
now are left out. Sorted by age_months ascending.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd

from analysis.measures.codemaat.options import Options


def months_between(start: dt.datetime, end: dt.datetime) -> int:
    """Joda-Time's month difference for ``start <= end`` (both timezone-aware, same zone)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    last_day = calendar.monthrange(end.year, end.month)[1]
    if end.day == last_day and start.day > end.day:
        start = start.replace(day=end.day)
    start_rem = start - start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end_rem = end - end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if end_rem < start_rem:
        months -= 1
    return months


def _now(options: Options) -> dt.datetime:
    if options.age_time_now is None:
        return dt.datetime.now(dt.UTC)
    d = options.age_time_now
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)


def age(modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    now = _now(options)
    latest: dict[str, dt.datetime] = {}
    for entity, date in zip(modifications["entity"].astype(object), modifications["date"].astype(object)):
        when = dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC)
        if when < now and (entity not in latest or when > latest[entity]):
            latest[entity] = when
    rows = sorted((e, months_between(t, now)) for e, t in latest.items())
    frame = pd.DataFrame(rows, columns=["entity", "age_months"]).astype({"entity": "string", "age_months": "int64"})
    return frame.sort_values("age_months", kind="stable").reset_index(drop=True)
