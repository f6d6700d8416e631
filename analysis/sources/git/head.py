"""The files of the repository at ``HEAD``, exactly as git lists them.

``git ls-tree -r --full-tree HEAD`` names every blob of the tree HEAD points at; submodules
(their files live in another repository) are left out, and so are the paths the history
ignores (``ignore_paths``), so that "files at HEAD" means the same files in every figure.
Replaying the history's changes cannot give this list: deletions made by merges and renames
out of a folder would leave ghosts behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.git.command import run_git
from analysis.sources.git.exclusions import drop_ignored_paths
from analysis.sources.git.parse import SOURCE


def head_paths(repository: str | os.PathLike) -> list[str]:
    """Every file path (blobs only) of ``HEAD``'s tree, repository-relative and posix; an
    empty list for a repository without commits."""
    repo = Path(repository)
    if run_git(repo, "rev-parse", "--verify", "-q", "HEAD^{tree}").returncode != 0:
        if run_git(repo, "rev-parse", "--git-dir").returncode != 0:
            raise SourceError(SOURCE, f"{repo}: not a git repository")
        return []
    out = run_git(repo, "ls-tree", "-r", "-z", "--full-tree", "HEAD", text=False, timeout=600)
    if out.returncode != 0:
        raise SourceError(SOURCE, f"{repo}: git ls-tree failed: {out.stderr.decode('utf-8', 'replace').strip()}")
    paths = []
    for record in out.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        if meta.split(b" ")[1:2] == [b"blob"]:
            paths.append(path.decode("utf-8", "surrogateescape").encode("utf-8", "replace").decode("utf-8"))
    return paths


def mine_head_files(source: GitSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """The ``head_files`` frame of ``source.repository`` (its ``ignore_paths`` left out)."""
    paths = head_paths(source.repository)
    frame = frames.conform(pd.DataFrame({"path": paths}), "head_files")
    frame, ignored = drop_ignored_paths(frame, source.ignore_paths)
    note = f"{len(frame)} files at HEAD" + (f" ({ignored} more ignored by ignore_paths)" if ignored else "")
    return SourceFrames({"head_files": frame.reset_index(drop=True)}, len(paths), 0, [note])
