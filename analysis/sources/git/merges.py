"""The files of each merged pull request (a merge's first-parent diff)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.git.command import repository_state, run_git
from analysis.sources.git.exclusions import drop_ignored_paths
from analysis.sources.git.parse import SOURCE

MERGE_FILES_ARGS = ("log", "HEAD", "--merges", "--diff-merges=first-parent", "--name-only", "-z", "--no-renames",
                    "--format=%x1e%H")


def parse_merge_files(text: str) -> pd.DataFrame:
    """The ``merge_files`` frame from ``git log --merges --diff-merges=first-parent
    --name-only -z --format=%x1e%H``: each record is a merge's sha, then the NUL-separated
    paths it brought into its first parent (the merged pull request's files)."""
    rows: list[tuple[str, str]] = []
    for record in text.split("\x1e"):
        parts = [p for p in record.split("\x00") if p.strip()]
        if not parts:
            continue
        sha, paths = parts[0].strip(), parts[1:]
        rows += [(sha, p.lstrip("\n")) for p in paths]
    return frames.conform(pd.DataFrame(rows, columns=["commit", "path"]), "merge_files")


def mine_merge_files(source: GitSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """The files each merge commit brought in, so coordination can be judged per merged
    pull request as well as per commit. One ``git log`` process; merges only. A history
    without merges (squash or rebase merges, a depth-1 clone) gives an empty frame; a merge
    whose every file is ignored (``ignore_paths``) is left out."""
    state = repository_state(Path(source.repository))
    if not state.head:
        return SourceFrames({"merge_files": frames.empty("merge_files")}, 0, 0, ["no commits: no merges"])
    out = run_git(source.repository, *MERGE_FILES_ARGS)
    if out.returncode != 0:
        raise SourceError(SOURCE, f"{source.repository}: git log of merges failed: {out.stderr.strip()[:200]}")
    merged, _ = drop_ignored_paths(parse_merge_files(out.stdout), source.ignore_paths)
    merges = merged["commit"].nunique()
    return SourceFrames({"merge_files": merged}, int(merges), 0, [f"{merges} merge commits with their pull requests' files"])
