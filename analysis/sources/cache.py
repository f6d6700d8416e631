"""The derived, safe-to-delete Parquet cache of mined frames, and the fingerprints that key it.

A mined source is kept under ``<cache_dir>/<kind>/<key>/``: one Parquet file per frame,
the rejects as CSV and ``meta.json`` (records read, rejected, notes, the miner's counts, reject counts). The
key hashes the kind, the config item (its options), the source's fingerprint and the Seams
version, so a changed input, changed options or a new Seams never read a stale cache.
Deleting the cache only costs time; an unreadable cache folder is mined again. A cache
folder that cannot be used — ``cache_dir`` is a file, or cannot be created or written (a
read-only disk) — is a warning (:func:`usable_cache_dir`) and the run mines without a cache;
a cache folder that cannot be written in the middle of a run is skipped the same way.

Fingerprints are cheap: a repository's ``HEAD`` (git, run through
:mod:`analysis.sources.git.command` like every git command), a source tree's paths, sizes
and modification times (stat only, no reads), a file's path, size and modification time.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.core.version import __version__
from analysis.sources.git.command import run_git

#: 4: spans.db_tables marks each table read or written; pg_stat_statements' nested statements counted apart;
#: 5: Django tables as Django names them today (app labels, many-to-many tables, migrations replayed, test apps apart);
#: 6: entry points through DRF routers, function includes and root prefixes, test-only code apart, the inventory's counts;
#: 7: reject excerpts masked, rejects counted in records (the rejects file has a records column)
#: 8: SQL records_read counts statements (lines in counts); fingerprints read client placeholders
#: and generated savepoint / cursor names alike
#: 9: spans keep the attributes the context map names (the attributes column)
CACHE_FORMAT = 9


def cache_key(kind: str, item, fingerprint: str) -> str:
    h = hashlib.blake2b(digest_size=12)
    h.update(f"seams {__version__} cache {CACHE_FORMAT} {kind}\n".encode())
    h.update(repr(item).encode())
    h.update(fingerprint.encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------------
# fingerprints


def git_fingerprint(item) -> str:
    """The repository's resolved path and ``HEAD`` (``no-head`` in an empty repository)."""
    repo = Path(item.repository)
    out = run_git(repo, "rev-parse", "--verify", "-q", "HEAD", timeout=60)
    return f"{repo.resolve()}|{out.stdout.strip() or 'no-head'}"


def deploys_fingerprint(item) -> str:
    """HEAD, and the deploy log's modification time or the release tags."""
    if item.deploys:
        log = f"|{item.deploys}|{os.stat(item.deploys).st_mtime_ns}"
    else:
        tags = run_git(item.repository, "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags", timeout=60)
        log = "|tags:" + hashlib.blake2b(tags.stdout.encode(), digest_size=8).hexdigest()
    return git_fingerprint(item) + log


def python_tree_fingerprint(item) -> str:
    return _tree_state(Path(item.repository), python_only=True)


def tree_fingerprint(item) -> str:
    return _tree_state(Path(item.repository), python_only=False)


def file_fingerprint(item) -> str:
    st = os.stat(item.path)
    return f"{Path(item.path).resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _tree_state(repo: Path, python_only: bool) -> str:
    """Path, size and mtime of every source file (cheap: stat only, no reads)."""
    h = hashlib.blake2b(digest_size=16)
    root = repo.resolve()
    prefix = len(str(root).rstrip(os.sep) + os.sep)  # a path's part below root, as os.path.relpath gives it, cheaper
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
        for name in sorted(filenames):
            if name.endswith(".py") or not python_only:
                p = os.path.join(dirpath, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue  # vanished between listing and stat: nothing to fingerprint
                h.update(f"{p[prefix:]}|{st.st_size}|{st.st_mtime_ns}\n".encode("utf-8", "replace"))
    return f"{root}|{h.hexdigest()}"


# --------------------------------------------------------------------------------------
# the cache files


def usable_cache_dir(folder: Path) -> tuple[Path | None, str | None]:
    """``(folder, None)`` when the cache can live in ``folder`` (created if missing, and a
    file written and removed there to be sure), else ``(None, warning)``: the cache is
    derived, so the run goes on without it."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        return None, f"cache_dir {folder} is not a folder: running without a cache (only time is lost)"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return None, (f"cache_dir {folder} cannot be written ({exc.strerror or type(exc).__name__}): "
                      "running without a cache (only time is lost)")
    return folder, None


def save_frames(result: SourceFrames, out_dir: str | Path, rejects: Rejects | None = None) -> list[Path]:
    """Write each frame as ``<name>.parquet`` (and the rejects as ``rejects.csv``) into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in result.frames.items():
        path = out / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    if rejects is not None:
        written.append(rejects.write(out / "rejects.csv"))
    return written


def write_frames(folder: Path, result: SourceFrames, rejects: Rejects) -> str | None:
    """Fill one cache folder (written beside it, then renamed into place); a warning when it
    cannot be written (the run goes on: the cache is derived)."""
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        save_frames(result, tmp, rejects)
        meta = {"records_read": result.records_read, "records_rejected": result.records_rejected,
                "notes": result.notes, "counts": result.counts, "reject_counts": dict(rejects.counts)}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        return f"the cache folder {folder.parent} cannot be written ({exc.strerror or type(exc).__name__}): not cached"
    try:
        os.replace(tmp, folder)
    except OSError:  # another run filled the same key first: theirs is as good
        shutil.rmtree(tmp, ignore_errors=True)
    return None


def read_frames(folder: Path, names: tuple[str, ...]) -> tuple[SourceFrames, Rejects] | None:
    """The frames and rejects kept in ``folder``; None when absent or unreadable."""
    if not (folder / "meta.json").is_file():
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        loaded = {name: frames.conform(pd.read_parquet(folder / f"{name}.parquet"), name) for name in names}
        kept = Rejects()
        with (folder / "rejects.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                kept.add(row["source"], row["location"], row["reason"], row["excerpt"], int(row.get("records") or 1))
    except (OSError, ValueError, KeyError):
        return None  # unreadable cache: mine again
    for source, n in meta.get("reject_counts", {}).items():
        shown = kept.counts.get(source, 0)
        if n > shown:
            kept.counts[source] += n - shown
    counts = {str(k): int(v) for k, v in meta.get("counts", {}).items()}
    return SourceFrames(loaded, meta["records_read"], meta["records_rejected"], list(meta["notes"]), counts), kept
