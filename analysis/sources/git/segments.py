"""The incremental cache: the mined history as Parquet segments, ``OLDHEAD..HEAD`` appended."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.rejects import Reject
from analysis.sources.git.command import RepositoryState, run_git
from analysis.sources.git.parse import in_commit_order
from analysis.sources.git.passes import HistoryOptions, MinedHistory, mine_range

#: 2: reject excerpts masked and counted in records
CACHE_FORMAT = 2


def _cache_folder(cache_dir: Path, repository: Path, options: HistoryOptions, shallow: bool) -> Path:
    h = hashlib.blake2b(digest_size=12)
    h.update(f"git history cache {CACHE_FORMAT}|{repository.resolve()}|{options!r}|shallow={shallow}".encode())
    return Path(cache_dir) / h.hexdigest()


def _read_segments(folder: Path) -> tuple[dict, list[MinedHistory]] | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        segments = []
        for seg in meta["segments"]:
            commits = frames.conform(pd.read_parquet(folder / f"{seg['name']}.commits.parquet"), "commits")
            changes = frames.conform(pd.read_parquet(folder / f"{seg['name']}.file_changes.parquet"), "file_changes")
            kept = [Reject(*r) for r in seg["rejects"]]
            segments.append(MinedHistory(commits, changes, seg["records"], seg["merges"], kept, seg["reject_count"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable cache: mine again
    return meta, segments


def _write_segment(folder: Path, meta: dict | None, head: str, mined: MinedHistory) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    segments = list(meta["segments"]) if meta else []
    name = f"{len(segments) + 1:04d}-{head[:12]}"
    for part, frame in (("commits", mined.commits), ("file_changes", mined.file_changes)):
        tmp = folder / f"{name}.{part}.parquet.tmp{os.getpid()}"
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, folder / f"{name}.{part}.parquet")
    segments.append({"name": name, "head": head, "records": mined.records, "merges": mined.merges,
                     "reject_count": mined.reject_count,
                     "rejects": [[r.source, r.location, r.reason, r.excerpt, r.records] for r in mined.rejects]})
    tmp = folder / f"meta.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps({"format": CACHE_FORMAT, "head": head, "segments": segments}, indent=1),
                   encoding="utf-8")
    os.replace(tmp, folder / "meta.json")  # the segment counts only once meta.json names it


def _is_ancestor(repository: Path, old: str, new: str) -> bool:
    return run_git(repository, "merge-base", "--is-ancestor", old, new).returncode == 0


def cached_mine(repository: Path, state: RepositoryState, options: HistoryOptions, cache_dir: Path,
                 workers: int) -> tuple[list[MinedHistory], str]:
    """Segments covering the history up to HEAD, and how they were obtained (for the notes)."""
    assert state.head is not None  # called for a repository with commits only
    folder = _cache_folder(cache_dir, repository, options, state.shallow)
    cached = _read_segments(folder) if (folder / "meta.json").is_file() else None
    if cached is not None:
        meta, segments = cached
        if meta["head"] == state.head:
            return segments, "cache"
        if _is_ancestor(repository, meta["head"], state.head):
            new = mine_range(repository, options, (state.head, f"^{meta['head']}"), workers)
            _write_segment(folder, meta, state.head, new)
            return [*segments, new], f"cache plus {len(new.commits)} new commits"
    shutil.rmtree(folder, ignore_errors=True)
    mined = mine_range(repository, options, (state.head,), workers)
    _write_segment(folder, None, state.head, mined)
    return [mined], "mined"


def combine_segments(segments: list[MinedHistory]) -> MinedHistory:
    if len(segments) == 1:
        return segments[0]
    commits = pd.concat([s.commits for s in segments], ignore_index=True)
    commits = commits.drop_duplicates("commit").sort_values("committed_at", kind="stable")
    commits = frames.conform(commits, "commits")
    changes = pd.concat([s.file_changes for s in segments], ignore_index=True)
    return MinedHistory(commits, in_commit_order(changes, commits), sum(s.records for s in segments),
                  sum(s.merges for s in segments), [r for s in segments for r in s.rejects],
                  sum(s.reject_count for s in segments))


# --------------------------------------------------------------------------------------
# entry point


