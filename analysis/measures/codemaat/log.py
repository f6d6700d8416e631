"""code-maat's input: one row per file a commit changed (its ``modifications``).

Columns of a modifications frame (code-maat's names, ``-`` written ``_``):

    rev: str (commit id) · date: str (YYYY-MM-DD) · author: str · entity: str (file path,
    or group name after :func:`analysis.measures.codemaat.grouping.apply_grouping`) ·
    loc_added: Int64|NA · loc_deleted: Int64|NA (NA for binary files, git's ``-``)

Two ways in:

- :func:`parse_git2_log` reads code-maat's ``git2`` log format, produced by::

      git log --all --numstat --date=short --pretty=format:'--%h--%ad--%aN' --no-renames

  Entries are separated by blank lines; an entry is one or more ``--rev--date--author``
  lines (only the last counts: the ones before it are merges, which list no files)
  followed by ``added<TAB>deleted<TAB>file`` lines. The file name is taken literally
  (quoted as git prints it). code-maat stops at the first entry it cannot parse; Seams
  rejects that entry (``source="code-maat log"``, ``location="line N"``) and goes on.
- :func:`modifications_from_history` turns Seams' ``commits`` and ``file_changes`` frames
  into the same shape (rev = full sha, date = UTC author date, author = author_name,
  entity = path after the change).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from analysis.core.rejects import Rejects

SOURCE = "code-maat log"
COLUMNS = ["rev", "date", "author", "entity", "loc_added", "loc_deleted"]
GIT2_COMMAND = ["git", "log", "--all", "--numstat", "--date=short", "--pretty=format:--%h--%ad--%aN", "--no-renames"]

_PRELUDE = re.compile(r"--([0-9a-f]+)--(\d{4}-\d{2}-\d{2})--([^\n]*)")
_CHANGE = re.compile(r"(\d+|-)\t(\d+|-)\t(.+)")


def empty_modifications() -> pd.DataFrame:
    return conform(pd.DataFrame({c: [] for c in COLUMNS}))


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast to the modifications columns and dtypes (str columns, Int64 line counts)."""
    out = {c: frame[c].astype("string") for c in ("rev", "date", "author", "entity")}
    for c in ("loc_added", "loc_deleted"):
        out[c] = (frame[c] if c in frame else pd.Series([pd.NA] * len(frame), index=frame.index)).astype("Int64")
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def parse_git2_log(lines: Iterable[str], rejects: Rejects | None = None) -> pd.DataFrame:
    """Read a git2 log (lines with or without their newline) into a modifications frame."""
    rejects = rejects if rejects is not None else Rejects()
    rows: list[tuple] = []
    entry: list[tuple[int, str]] = []
    number = 0
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if line.strip() == "":
            _entry_rows(entry, rows, rejects)
            entry = []
        else:
            entry.append((number, line))
    _entry_rows(entry, rows, rejects)
    if not rows:
        return empty_modifications()
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    return conform(frame)


def _entry_rows(entry: list[tuple[int, str]], rows: list[tuple], rejects: Rejects) -> None:
    if not entry:
        return
    k = 0
    head = None
    while k < len(entry) and (m := _PRELUDE.fullmatch(entry[k][1])):
        head = m
        k += 1
    if head is None:
        rejects.add(SOURCE, entry[0][0], "entry does not start with --rev--date--author", entry[0][1])
        return
    changes = []
    for number, line in entry[k:]:
        m = _CHANGE.fullmatch(line)
        if m is None:
            rejects.add(SOURCE, number, "not an added<TAB>deleted<TAB>file line", line)
            return
        a, d, name = m.groups()
        changes.append((None if a == "-" else int(a), None if d == "-" else int(d), name))
    rev, date, author = head.groups()
    rows.extend((rev, date, author, name, a, d) for a, d, name in changes)


def modifications_from_history(commits: pd.DataFrame, file_changes: pd.DataFrame) -> pd.DataFrame:
    """Seams' ``commits`` + ``file_changes`` as a modifications frame (one row per file change)."""
    if file_changes.empty:
        return empty_modifications()
    meta = commits[["commit", "author_name", "authored_at"]].drop_duplicates("commit")
    joined = file_changes.merge(meta, on="commit", how="inner", sort=False)
    frame = pd.DataFrame({
        "rev": joined["commit"], "date": joined["authored_at"].dt.strftime("%Y-%m-%d"),
        "author": joined["author_name"], "entity": joined["path"],
        "loc_added": joined["added"], "loc_deleted": joined["deleted"],
    })
    return conform(frame)
