"""Deploy history: when the monolith was deployed, how long it took and whether it worked.

Entry point: :func:`mine_deploys` returns the ``deploys`` frame (contract in
:mod:`analysis.core.frames`): deployed_at (UTC), duration_s, status, contexts, origin, label.

Two inputs, in order of preference:

1. **A deploy log** (``sources.git.deploys``), a CSV file with a header row::

       timestamp,duration_s,status,contexts
       2024-05-02T10:15:00Z,540,success,"orders;billing"
       2024-05-02T16:40:00+02:00,1260,failed,catalog

   - ``timestamp`` (required): ISO 8601; without an offset it is read as UTC; a number
     is read as seconds since the Unix epoch;
   - ``duration_s`` (optional): seconds, >= 0; empty means unknown (NaN);
   - ``status`` (optional): ``success`` (also succeeded, successful, ok, passed, done,
     deployed), ``failure`` (also failed, fail, error, errored, rolled_back, rollback,
     reverted), ``cancelled`` (also canceled, aborted, skipped), case-insensitive; empty
     means unknown (``<NA>``);
   - ``contexts`` (optional): the contexts deployed, separated by ``;``, ``|``, ``,`` or
     spaces; kept as a sorted, comma-separated list.

   Other columns are ignored. A row with a bad timestamp, a bad or negative duration, an
   unknown status or the wrong number of fields is rejected (``source`` = the file,
   ``location = "line N"``); every other row is kept (``origin = "deploy-log"``).

2. **Release tags as a proxy**, when no deploy log is given: every tag whose name matches
   ``tag_pattern`` (default: version numbers such as ``v1.2`` or ``3.20.0``), dated by
   its creator date (the tagger date of an annotated tag, the commit date of a
   lightweight one), read with::

       git -C REPO for-each-ref refs/tags --format=%(refname:strip=2)%00%(creatordate:iso-strict)

   Tags say when a release was cut, not when or whether it reached production: status,
   duration and contexts are unknown (``origin = "release-tag"``, ``label`` = the tag),
   and the notes say that a proxy was used. Tags that do not match the pattern are
   counted in the notes.

The repository is only read (optional locks off, stdin closed).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core import frames
from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.git.command import run_git
from analysis.sources.records import parse_timestamp

DEPLOY_LOG = "deploy-log"
RELEASE_TAG = "release-tag"
#: Version-number tags: v1, 1.2, v3.20.0 (pre-releases such as 3.0.0-rc1 are left out).
DEFAULT_TAG_PATTERN = r"^v?\d+(\.\d+)+$"

STATUS_WORDS = {
    "success": ("success", "succeeded", "successful", "ok", "passed", "done", "deployed"),
    "failure": ("failure", "failed", "fail", "error", "errored", "rolled_back", "rollback", "reverted"),
    "cancelled": ("cancelled", "canceled", "aborted", "skipped"),
}
_STATUS = {word: status for status, words in STATUS_WORDS.items() for word in words}
_CONTEXT_SEPARATORS = re.compile(r"[;|,\s]+")


# --------------------------------------------------------------------------------------
# pure parsing


def parse_deploy_csv(lines: Iterable[str], source: str, rejects: Rejects) -> pd.DataFrame:
    """Read a deploy log (format in the module docstring) into a ``deploys`` frame.

    Raises SourceError when the header has no ``timestamp`` column (the file is not a
    deploy log); bad rows go to ``rejects``.
    """
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return frames.empty("deploys")
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    if "timestamp" not in names:
        raise SourceError(source, f"the header {header!r} has no 'timestamp' column (expected timestamp,duration_s,status,contexts)")
    at: dict[str, int] = {name: names.index(name) for name in ("timestamp", "duration_s", "status", "contexts") if name in names}
    rows = []
    for record in reader:
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            rejects.add(source, line, f"{len(record)} fields, the header has {len(names)}", ",".join(record))
            continue
        cell = {name: record[i].strip() for name, i in at.items()}
        problem, row = _deploy_row(cell)
        if problem:
            rejects.add(source, line, problem, ",".join(record))
            continue
        rows.append(row)
    return _deploy_frame(rows)


def _deploy_row(cell: dict[str, str]) -> tuple[str | None, dict]:
    when = parse_timestamp(cell["timestamp"])
    if when is None:
        return f"unreadable timestamp {cell['timestamp'][:40]!r}", {}
    duration = np.nan
    raw = cell.get("duration_s", "")
    if raw:
        try:
            duration = float(raw)
        except ValueError:
            return f"duration_s is not a number: {raw[:40]!r}", {}
        if not np.isfinite(duration) or duration < 0:
            return f"duration_s must be a finite number >= 0, got {raw[:40]!r}", {}
    status = pd.NA
    raw = cell.get("status", "").lower().replace("-", "_").replace(" ", "_")
    if raw:
        if raw not in _STATUS:
            return f"unknown status {cell['status'][:40]!r} (expected one of {', '.join(STATUS_WORDS)} or a synonym)", {}
        status = _STATUS[raw]
    contexts = sorted({c for c in _CONTEXT_SEPARATORS.split(cell.get("contexts", "")) if c})
    return None, {"deployed_at": when, "duration_s": duration, "status": status,
                  "contexts": ",".join(contexts) if contexts else pd.NA, "origin": DEPLOY_LOG, "label": pd.NA}


def parse_tag_refs(lines: Iterable[str], tag_pattern: str = DEFAULT_TAG_PATTERN) -> tuple[pd.DataFrame, int]:
    """``for-each-ref`` lines (``name \\0 iso-date``) as release-tag deploys, plus the
    number of tags left out (name not matching ``tag_pattern``, or no date)."""
    pattern = re.compile(tag_pattern)
    rows, skipped = [], 0
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        name, _, date = line.partition("\0")
        when = parse_timestamp(date)
        if not pattern.search(name) or when is None:
            skipped += 1
            continue
        rows.append({"deployed_at": when, "duration_s": np.nan, "status": pd.NA, "contexts": pd.NA,
                     "origin": RELEASE_TAG, "label": name})
    return _deploy_frame(rows), skipped


def _deploy_frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return frames.empty("deploys")
    out = frames.conform(pd.DataFrame(rows), "deploys")
    return out.sort_values(["deployed_at", "label"], kind="stable", na_position="first").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# I/O


def mine_deploys(source: GitSource, rejects: Rejects, *, cache_dir: Path | None = None,
                 tag_pattern: str = DEFAULT_TAG_PATTERN) -> SourceFrames:
    """The deploy history of ``source``: its deploy log when one is configured, its
    release tags otherwise (see the module docstring)."""
    if source.deploys is not None:
        path = Path(source.deploys)
        before = rejects.count(str(path))
        try:
            with path.open(encoding="utf-8", errors="replace", newline="") as fh:
                deploys = parse_deploy_csv(fh, str(path), rejects)
        except OSError as exc:
            raise SourceError(str(path), f"cannot read the deploy log: {exc.strerror or exc}") from None
        rejected = rejects.count(str(path)) - before
        notes = [f"deploy history: {len(deploys)} deploys from {path.name}"]
        return SourceFrames({"deploys": deploys}, len(deploys) + rejected, rejected, notes)
    lines = _tag_lines(Path(source.repository))
    deploys, skipped = parse_tag_refs(lines, tag_pattern)
    notes = [f"no deploy log given: {len(deploys)} release tags serve as a proxy for deploys "
             "(they say when a release was cut, not its duration or outcome)"]
    if skipped:
        notes.append(f"tags left out because their names do not look like releases (pattern {tag_pattern}): {skipped}")
    return SourceFrames({"deploys": deploys}, len(deploys), 0, notes)


def _tag_lines(repo: Path) -> list[str]:
    if not repo.exists():
        raise SourceError("git", f"{repo}: no such directory")
    out = run_git(repo, "for-each-ref", "refs/tags", "--format=%(refname:strip=2)%00%(creatordate:iso-strict)",
                  text=False, timeout=300)
    if out.returncode != 0:
        raise SourceError("git", f"{repo}: not a git repository ({out.stderr.decode('utf-8', 'replace').strip()})")
    return out.stdout.decode("utf-8", "replace").splitlines()
