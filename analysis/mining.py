"""Run one source's miner, with a derived, safe-to-delete Parquet cache.

``mine_source(config, kind, rejects)`` returns the :class:`~analysis.frames.SourceFrames` of
one source kind (``git``, ``imports``, ``sql``, ``traces``). Several files of one kind (two
SQL logs, say) are mined one by one and concatenated.

The cache lives under ``config.cache_dir/<kind>/<key>/``: one Parquet file per frame, the
rejects as CSV and ``meta.json`` (records read, rejected, notes). The key hashes the source's
fingerprint (the repository's HEAD and working-tree state; a file's path, size and
modification time), the miner's options and the Seams version, so a changed input or a
new Seams never reads a stale cache. Deleting the cache only costs time.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Callable

import pandas as pd

from analysis import __version__, frames
from analysis.config import Config
from analysis.errors import SeamsError, SourceError
from analysis.frames import SourceFrames
from analysis.rejects import Rejects

KINDS = ("git", "merges", "deploys", "complexity", "imports", "code_imports", "orm", "entry_points", "sql", "traces")
#: kinds mined alongside a configured source, from the same repository
COMPANIONS = {"git": ("merges", "deploys", "complexity"), "imports": ("code_imports", "orm", "entry_points")}
FRAMES_OF = {
    "merges": ("merge_files",),
    "deploys": ("deploys",),
    "complexity": ("complexity",),
    "code_imports": ("imports", "unresolved_imports"),
    "orm": ("orm_tables",),
    "entry_points": ("entry_points",),
    "git": ("commits", "file_changes"),
    "imports": ("imports", "unresolved_imports"),
    "sql": ("statements", "queries", "table_access", "joins"),
    "traces": ("spans", "span_links", "service_dependencies"),
}
CACHE_FORMAT = 2
#: processes parsing a large trace file (small files and other formats use one)
PARSE_WORKERS = max(1, min(4, os.cpu_count() or 1))


def configured_kinds(config: Config) -> tuple[str, ...]:
    """The source kinds the config declares, in pipeline order."""
    present = {"git": config.git is not None, "imports": config.imports is not None,
               "sql": bool(config.sql), "traces": bool(config.traces)}
    for base, companions in COMPANIONS.items():
        for companion in companions:
            present[companion] = present[base]
    return tuple(k for k in KINDS if present[k])


def mine_source(config: Config, kind: str, rejects: Rejects, *, use_cache: bool = True) -> SourceFrames:
    """Mine one kind of source named in the config (every file of that kind)."""
    if kind not in KINDS:
        raise SeamsError(f"unknown source kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    if kind not in configured_kinds(config):
        raise SeamsError(f"{config.path}: sources.{kind} is not configured")
    parts = [_mine_one(config, kind, item, rejects, use_cache) for item in _items(config, kind)]
    return _concat(kind, parts)


def _items(config: Config, kind: str) -> tuple:
    return {"git": (config.git,), "merges": (config.git,), "deploys": (config.git,), "complexity": (config.git,), "imports": (config.imports,),
            "code_imports": (config.imports,), "orm": (config.imports,), "entry_points": (config.imports,), "sql": config.sql, "traces": config.traces}[kind]


def _miner(kind: str) -> Callable:
    # imported lazily: a run that only needs git does not import sqlglot
    if kind == "git":
        from analysis.sources.git_history import mine_git_history
        return mine_git_history
    if kind == "imports":
        from analysis.sources.imports import mine_imports
        return mine_imports
    if kind == "merges":
        from analysis.sources.git_history import mine_merge_files
        return mine_merge_files
    if kind == "deploys":
        from analysis.sources.deploys import mine_deploys
        return mine_deploys
    if kind == "complexity":
        return _mine_complexity
    if kind == "code_imports":
        return _mine_code_imports
    if kind == "orm":
        return _mine_orm
    if kind == "entry_points":
        from analysis.sources.entry_points import mine_entry_points
        return mine_entry_points
    if kind == "sql":
        from analysis.sources.sql_log import mine_sql_log
        return mine_sql_log
    from analysis.sources.traces import mine_traces
    return mine_traces


def _mine_complexity(source, rejects: Rejects) -> SourceFrames:
    from analysis.sources.complexity import mine_complexity

    frame = mine_complexity(source.repository, None, rejects)
    return SourceFrames({"complexity": frame}, len(frame), rejects.count("complexity"), [f"{len(frame)} files measured at HEAD"])


def _mine_code_imports(source, rejects: Rejects, cache_dir=None) -> SourceFrames:
    """Other languages beside Python. With no language named in the config, a repository
    with none of them is not an error: the Python miner covers it."""
    from analysis.sources.code_imports import mine_code_imports

    try:
        return mine_code_imports(source, rejects, cache_dir=cache_dir)
    except SourceError:
        if source.languages:
            raise
        empty = {name: frames.empty(name) for name in FRAMES_OF["code_imports"]}
        return SourceFrames(empty, 0, 0, ["no source file of another supported language (Java, Kotlin, C#, Go, JS/TS, Ruby, PHP)"])


def _mine_orm(source, rejects: Rejects) -> SourceFrames:
    from analysis.sources.orm_models import mine_orm_models

    return mine_orm_models(source.repository, rejects, exclude_paths=source.exclude_paths, max_file_bytes=source.max_file_bytes)


def _mine_one(config: Config, kind: str, item, rejects: Rejects, use_cache: bool) -> SourceFrames:
    if kind == "git":
        # git history keeps its own incremental cache: new commits are appended, not re-mined
        from analysis.sources.git_history import mine_git_history

        local = Rejects()
        result = mine_git_history(item, local, cache_dir=(Path(config.cache_dir) / "git-history") if use_cache else None)
        for r in local.records:
            rejects.add(r.source, r.location, r.reason, r.excerpt)
        _add_uncounted(rejects, local)
        return result
    if _is_live(kind, item):  # a live view changes under us: read it every run, never cache it
        use_cache = False
    key = cache_key(kind, item) if use_cache else ""
    folder = Path(config.cache_dir) / kind / key
    if use_cache and (folder / "meta.json").is_file():
        cached = _read_cache(kind, folder, rejects)
        if cached is not None:
            return cached
    local = Rejects()
    if kind in ("imports", "code_imports"):  # import miners keep their own per-file parse cache
        result = _miner(kind)(item, local, cache_dir=Path(config.cache_dir) / kind / "parse")
    elif kind == "traces":  # large JSON-lines files are parsed by several processes
        result = _miner(kind)(item, local, workers=PARSE_WORKERS)
    else:
        result = _miner(kind)(item, local)
    for r in local.records:
        rejects.add(r.source, r.location, r.reason, r.excerpt)
    _add_uncounted(rejects, local)
    if use_cache:
        _write_cache(kind, folder, result, local)
    return result


def _is_live(kind: str, item) -> bool:
    return kind == "sql" and item.format == "pg-stat-statements-live"


def _add_uncounted(target: Rejects, local: Rejects) -> None:
    """Counts beyond the kept details (see rejects.MAX_KEPT_PER_SOURCE) must not be lost."""
    for source, n in local.counts.items():
        kept = sum(1 for r in local.records if r.source == source)
        if n > kept:
            target.counts[source] += n - kept


# --------------------------------------------------------------------------------------
# fingerprints


def cache_key(kind: str, item) -> str:
    h = hashlib.blake2b(digest_size=12)
    h.update(f"seams {__version__} cache {CACHE_FORMAT} {kind}\n".encode())
    h.update(repr(item).encode())
    h.update(source_fingerprint(kind, item).encode())
    return h.hexdigest()


def source_fingerprint(kind: str, item) -> str:
    if kind in ("git", "merges", "complexity"):
        return _git_state(item.repository)
    if kind == "deploys":
        log = f"|{item.deploys}|{os.stat(item.deploys).st_mtime_ns}" if item.deploys else "|tags:" + _tags_state(item.repository)
        return _git_state(item.repository) + log
    if kind in ("imports", "code_imports", "orm", "entry_points"):
        return _tree_state(item.repository, python_only=(kind == "imports"))
    st = os.stat(item.path)
    return f"{Path(item.path).resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _git_state(repo: Path) -> str:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", "HEAD"],
                             capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError("git", f"cannot run git: {exc}") from None
    return f"{Path(repo).resolve()}|{out.stdout.strip() or 'no-head'}"


def _tags_state(repo: Path) -> str:
    out = subprocess.run(["git", "-C", str(repo), "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags"],
                         capture_output=True, text=True, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
                         stdin=subprocess.DEVNULL, timeout=60)
    return hashlib.blake2b(out.stdout.encode(), digest_size=8).hexdigest()


def _tree_state(repo: Path, python_only: bool = True) -> str:
    """Path, size and mtime of every source file (cheap: stat only, no reads)."""
    h = hashlib.blake2b(digest_size=16)
    root = Path(repo).resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
        for name in sorted(filenames):
            if name.endswith(".py") or not python_only:
                p = os.path.join(dirpath, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue  # vanished between listing and stat: nothing to fingerprint
                h.update(f"{os.path.relpath(p, root)}|{st.st_size}|{st.st_mtime_ns}\n".encode("utf-8", "replace"))
    return f"{root}|{h.hexdigest()}"


# --------------------------------------------------------------------------------------
# cache files


def write_frames(result: SourceFrames, out_dir: str | Path, rejects: Rejects | None = None) -> list[Path]:
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


def _write_cache(kind: str, folder: Path, result: SourceFrames, rejects: Rejects) -> None:
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    write_frames(result, tmp, rejects)
    meta = {"records_read": result.records_read, "records_rejected": result.records_rejected,
            "notes": result.notes, "reject_counts": dict(rejects.counts)}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    try:
        os.replace(tmp, folder)
    except OSError:  # another run filled the same key first: theirs is as good
        _remove_tree(tmp)


def _read_cache(kind: str, folder: Path, rejects: Rejects) -> SourceFrames | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        loaded = {name: frames.conform(pd.read_parquet(folder / f"{name}.parquet"), name) for name in FRAMES_OF[kind]}
    except (OSError, ValueError, KeyError):
        return None  # unreadable cache: mine again
    kept = Rejects()
    with (folder / "rejects.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            kept.add(row["source"], row["location"], row["reason"], row["excerpt"])
    for r in kept.records:
        rejects.add(r.source, r.location, r.reason, r.excerpt)
    for source, n in meta.get("reject_counts", {}).items():
        shown = kept.counts.get(source, 0)
        if n > shown:
            rejects.counts[source] += n - shown
    return SourceFrames(loaded, meta["records_read"], meta["records_rejected"], list(meta["notes"]))


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _concat(kind: str, parts: list[SourceFrames]) -> SourceFrames:
    if len(parts) == 1:
        return parts[0]
    merged = {}
    for name in FRAMES_OF[kind]:
        pieces = [p.frames[name] for p in parts if len(p.frames[name])]
        merged[name] = frames.conform(pd.concat(pieces, ignore_index=True), name) if pieces else frames.empty(name)
    if kind == "sql":
        merged = _merge_sql(merged)
    return SourceFrames(merged, sum(p.records_read for p in parts), sum(p.records_rejected for p in parts),
                        [n for p in parts for n in p.notes])


def _merge_sql(merged: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Two logs can hold the same fingerprint: sum its executions, keep one access row."""
    q = merged["queries"]
    if len(q):
        agg = q.groupby("fingerprint", sort=True, as_index=False).agg(
            normalized=("normalized", "first"), operation=("operation", "first"),
            approximate=("approximate", "max"), executions=("executions", "sum"),
            total_duration_ms=("total_duration_ms", "sum"))
        merged["queries"] = frames.conform(agg, "queries")
    merged["table_access"] = merged["table_access"].drop_duplicates(ignore_index=True)
    merged["joins"] = merged["joins"].drop_duplicates(ignore_index=True)
    return merged
