"""PyDriller's per-commit fields over a window, from a throw-away shared clone (optional: ``seams[rich]``)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from analysis.core.errors import SourceError
from analysis.sources.git.command import git_environment, repository_state
from analysis.sources.git.parse import SOURCE

# --------------------------------------------------------------------------------------
# PyDriller: rich per-commit fields over a window

RICH_COMMIT_COLUMNS = ["commit", "author_name", "authored_at", "files", "added", "deleted",
                       "dmm_unit_size", "dmm_unit_complexity", "dmm_unit_interfacing"]
METHOD_CHANGE_COLUMNS = ["commit", "path", "method", "nloc", "complexity", "parameters"]


def rich_commits(repository: str | os.PathLike, since: dt.datetime | dt.date | None = None,
                 until: dt.datetime | dt.date | None = None) -> dict[str, pd.DataFrame]:
    """PyDriller's rich fields for the non-merge commits between ``since`` and ``until``.

    Returns two frames:

    - ``rich_commits``: commit, author_name, authored_at (UTC), files, added, deleted,
      dmm_unit_size, dmm_unit_complexity, dmm_unit_interfacing (PyDriller's delta
      maintainability model, 0..1, NaN when no supported source file changed);
    - ``method_changes``: commit, path, method (lizard's long name), nloc, complexity,
      parameters — one row per method a commit changed.

    This is the slow, rich path (PyDriller runs several git commands per commit): use it
    for a window of weeks, not for the whole history. PyDriller writes a setting into the
    configuration of the repository it opens, so it opens a temporary shared clone
    (``git clone --shared --bare``: no objects copied) instead of the repository itself.
    """
    from pydriller import Repository  # imported here: only this path needs it

    repository = Path(repository)
    state = repository_state(repository)
    if not state.has_commits:
        return {"rich_commits": pd.DataFrame(columns=RICH_COMMIT_COLUMNS),
                "method_changes": pd.DataFrame(columns=METHOD_CHANGE_COLUMNS)}
    commit_rows, method_rows = [], []
    with tempfile.TemporaryDirectory(prefix="seams-pydriller-") as tmp:
        clone = Path(tmp) / "clone.git"
        done = subprocess.run(["git", "clone", "--quiet", "--shared", "--bare", "--", str(repository.resolve()),
                               str(clone)], capture_output=True, env=git_environment(), stdin=subprocess.DEVNULL,
                              check=False, encoding="utf-8", errors="replace")
        if done.returncode != 0:
            raise SourceError(SOURCE, f"cannot open {repository} for PyDriller (git said: {done.stderr.strip()})")
        for c in Repository(str(clone), since=_as_datetime(since), to=_as_datetime(until), only_no_merge=True,
                            order="reverse").traverse_commits():
            commit_rows.append([c.hash, c.author.name, c.author_date, c.files, c.insertions, c.deletions,
                                c.dmm_unit_size, c.dmm_unit_complexity, c.dmm_unit_interfacing])
            for f in c.modified_files:
                for m in f.changed_methods:
                    method_rows.append([c.hash, f.new_path or f.old_path, m.long_name, m.nloc, m.complexity,
                                        len(m.parameters)])
    commits = pd.DataFrame(commit_rows, columns=RICH_COMMIT_COLUMNS)
    commits["authored_at"] = pd.to_datetime(commits["authored_at"], utc=True)
    for col in ("dmm_unit_size", "dmm_unit_complexity", "dmm_unit_interfacing"):
        commits[col] = commits[col].astype("float64")
    methods = pd.DataFrame(method_rows, columns=METHOD_CHANGE_COLUMNS)
    return {"rich_commits": commits, "method_changes": methods}


def _as_datetime(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


# --------------------------------------------------------------------------------------
# merged pull requests


