"""What code-maat does to the modifications before an analysis, in its order:

1. :func:`apply_grouping` — the architectural grouping file (``-g``): each line is
   ``path => Name`` (a plain path ``p`` becomes the regex ``^p/``, its dots unescaped as in
   code-maat) or ``^regex$ => Name``. An entity takes the name of the first group whose
   regex is found in it (regex search, ASCII ``\\w`` like Java); entities in no group are
   dropped. Several files of one group in one commit stay several rows.
2. :func:`sliding_window` — the temporal period (``-t N``): every run of N consecutive
   calendar days (from the first to the last date, empty days included) becomes one
   logical change set whose rev is the latest date with commits in it; each file appears
   once per window (the first row of it kept). Windows without commits are dropped; with
   fewer days than N there is no window at all. Meant for coupling and soc only.
3. :func:`apply_team_map` — the team map CSV (``-p``, header ``author,team``): authors are
   replaced by their team; authors not in the map are kept as they are.

Seams' own context config is accepted too: :func:`grouping_from_contexts` turns declared
contexts' path globs into groups.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.core.globs import glob_regex
from analysis.measures.codemaat.errors import CodeMaatError
from analysis.measures.codemaat.log import conform

_GROUP_LINE = re.compile(r"((?:[\w/\\.\-]+)|(?:\^.+\$))\s+=>\s+([^\n]+)", re.ASCII)


@dataclass(frozen=True)
class Group:
    pattern: re.Pattern
    name: str


def parse_grouping(text: str) -> list[Group]:
    """Read a code-maat grouping file; every unreadable line is listed in one error."""
    groups, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _GROUP_LINE.fullmatch(line)
        if m is None:
            bad.append(f"line {number}: {line[:60]!r}")
            continue
        path, name = m.groups()
        regex = path if path.startswith("^") else f"^{path}/"
        try:
            groups.append(Group(re.compile(regex, re.ASCII), name))
        except re.error as exc:
            bad.append(f"line {number}: {path!r} is not a valid regex ({exc})")
    if bad:
        raise CodeMaatError("invalid group specification (expected 'path => Name' or '^regex$ => Name'): "
                            + "; ".join(bad))
    return groups


def grouping_from_contexts(contexts: Sequence) -> list[Group]:
    """Groups from Seams' declared contexts (:class:`analysis.core.config.ContextSpec`): a file
    belongs to the first context one of whose path globs matches it."""
    return [Group(re.compile("^(?:" + "|".join(glob_regex(g).pattern for g in c.paths) + ")"), c.name)
            for c in contexts if c.paths]


def apply_grouping(modifications: pd.DataFrame, groups: Sequence[Group]) -> tuple[pd.DataFrame, int]:
    """Rename entities to their group; drop rows in no group. Returns (rows, rows dropped)."""
    if modifications.empty:
        return modifications, 0
    names = {}
    for entity in pd.unique(modifications["entity"].astype(object)):
        names[entity] = next((g.name for g in groups if g.pattern.search(entity)), None)
    mapped = modifications["entity"].astype(object).map(names)
    keep = mapped.notna()
    out = modifications.loc[keep].copy()
    out["entity"] = mapped[keep].astype("string")
    return conform(out), int((~keep).sum())


def parse_team_map(text: str) -> dict[str, str]:
    """Read a team map CSV with the header ``author,team``."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "author" not in reader.fieldnames or "team" not in reader.fieldnames:
        raise CodeMaatError(f"team map: expected a CSV header with author,team (found {reader.fieldnames})")
    return {row["author"]: row["team"] for row in reader}


def apply_team_map(modifications: pd.DataFrame, teams: dict[str, str]) -> pd.DataFrame:
    """Replace each author by their team; authors not in ``teams`` stay themselves."""
    if modifications.empty or not teams:
        return modifications
    out = modifications.copy()
    out["author"] = out["author"].astype(object).map(lambda a: teams.get(a, a)).astype("string")
    return out


def sliding_window(modifications: pd.DataFrame, days: int) -> pd.DataFrame:
    """code-maat's temporal period: change sets over sliding windows of ``days`` days."""
    if days < 1:
        raise CodeMaatError(f"temporal period must be a whole number of days from 1 (found {days})")
    if modifications.empty:
        return modifications
    by_day: dict[str, list[int]] = {}
    for pos, date in enumerate(modifications["date"].astype(object)):
        by_day.setdefault(date, []).append(pos)
    first = dt.date.fromisoformat(min(by_day))
    last = dt.date.fromisoformat(max(by_day))
    calendar = [(first + dt.timedelta(days=k)).isoformat() for k in range((last - first).days + 1)]
    day_rows = [by_day.get(d, []) for d in calendar]
    entities = modifications["entity"].astype(object).tolist()
    picked: list[int] = []
    revs: list[str] = []
    for start in range(len(calendar) - days + 1):
        window = range(start, start + days)
        if not any(day_rows[k] for k in window):
            continue
        latest = max(calendar[k] for k in window if day_rows[k])
        seen = set()
        for k in window:
            for pos in day_rows[k]:
                if entities[pos] not in seen:
                    seen.add(entities[pos])
                    picked.append(pos)
                    revs.append(latest)
    out = modifications.iloc[picked].copy()
    out["rev"] = pd.array(revs, dtype="string")
    return conform(out)


def read_text(path) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def prepare(modifications: pd.DataFrame, *, groups: Iterable[Group] | None = None,
            temporal_period: int | None = None, teams: dict[str, str] | None = None) -> pd.DataFrame:
    """Grouping, then temporal period, then team map — code-maat's order."""
    if groups is not None:
        modifications, _ = apply_grouping(modifications, list(groups))
    if temporal_period is not None:
        modifications = sliding_window(modifications, temporal_period)
    if teams:
        modifications = apply_team_map(modifications, teams)
    return modifications
