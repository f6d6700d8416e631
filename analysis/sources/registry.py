"""One table of the source kinds Seams mines, and the one way to mine a kind.

Each :class:`SourceKind` names the frames it produces, the config items it reads (one per
repository or per log file), its miner (imported on first use, so a run that only needs
git never imports sqlglot), the fingerprint that keys its cache and its cache policy.
Every miner has one signature: ``miner(item, rejects, *, cache_dir=None) -> SourceFrames``
(``cache_dir`` is where a miner that keeps a cache of its own keeps it).

``mine_source(config, kind, rejects)`` mines every item of one kind and concatenates the
results; an unknown kind is answered with the list of valid ones. An item that cannot be
read at all (:class:`~analysis.core.errors.SourceError`, or an ``OSError`` while reading)
raises, or with ``strict=False`` becomes an empty result carrying the error
(``SourceFrames.errors``; ``unread`` when no item of the kind could be read), so a report
shows it as missing evidence instead of failing. Kinds marked
``companion_of`` are mined whenever their base kind is configured, from the same item (a
git repository gives history, merges, deploys and complexity).

Cache policies (:mod:`analysis.sources.cache` holds the Parquet cache):

- ``frames``: the miner's frames are cached as Parquet under ``cache_dir/<kind>/<key>/``;
- ``incremental``: the miner keeps its own cache under ``cache_dir/<folder>/`` (git history
  appends new commits instead of mining again);
- a live source (``pg-stat-statements-live``) is never cached: the view changes under us.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core import frames
from analysis.core.config import Config
from analysis.core.errors import SeamsError, SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources import cache


@dataclass(frozen=True)
class SourceKind:
    """One kind of source: what it produces and how it is mined and cached."""

    name: str
    frames: tuple[str, ...]
    items: Callable[[Config], tuple]
    miner: str  # "module:function", imported on first use
    fingerprint: Callable[[Any], str]
    cache: str = "frames"  # frames | incremental
    companion_of: str | None = None
    cache_folder: str | None = None  # the folder an incremental or parse cache lives in

    def mine(self, item, rejects: Rejects, cache_dir: Path | None) -> SourceFrames:
        module, function = self.miner.split(":")
        return getattr(importlib.import_module(module), function)(item, rejects, cache_dir=cache_dir)

    def is_live(self, item) -> bool:
        return getattr(item, "format", None) == "pg-stat-statements-live"


def _git(config: Config) -> tuple:
    return (config.git,) if config.git is not None else ()


def _imports(config: Config) -> tuple:
    return (config.imports,) if config.imports is not None else ()


KINDS: dict[str, SourceKind] = {k.name: k for k in (
    SourceKind("git", ("commits", "file_changes"), _git, "analysis.sources.git.miner:mine_git_history",
               cache.git_fingerprint, cache="incremental", cache_folder="git-history"),
    SourceKind("merges", ("merge_files",), _git, "analysis.sources.git.merges:mine_merge_files",
               cache.git_fingerprint, companion_of="git"),
    SourceKind("head", ("head_files",), _git, "analysis.sources.git.head:mine_head_files",
               cache.git_fingerprint, companion_of="git"),
    SourceKind("deploys", ("deploys",), _git, "analysis.sources.git.deploys:mine_deploys",
               cache.deploys_fingerprint, companion_of="git"),
    SourceKind("complexity", ("complexity",), _git, "analysis.sources.git.complexity:mine_head_complexity",
               cache.git_fingerprint, companion_of="git"),
    SourceKind("imports", ("imports", "unresolved_imports"), _imports, "analysis.sources.imports:mine_imports",
               cache.python_tree_fingerprint, cache_folder="imports/parse"),
    SourceKind("code_imports", ("imports", "unresolved_imports"), _imports,
               "analysis.sources.code_imports:mine_code_imports", cache.tree_fingerprint, companion_of="imports",
               cache_folder="code_imports/parse"),
    SourceKind("orm", ("orm_tables", "orm_relations"), _imports, "analysis.sources.orm_models:mine_orm", cache.tree_fingerprint,
               companion_of="imports"),
    SourceKind("entry_points", ("entry_points",), _imports, "analysis.sources.entry_points:mine_entry_points",
               cache.tree_fingerprint, companion_of="imports"),
    SourceKind("sql", ("statements", "queries", "table_access", "joins"), lambda c: tuple(c.sql),
               "analysis.sources.sql.miner:mine_sql_log", cache.file_fingerprint, cache_folder="sql/parse"),
    # spans aggregated in an engine (ClickHouse, DuckDB for a large file) are not read here:
    # the pipeline aggregates them (analysis.pipeline.mine_trace_stores)
    SourceKind("traces", ("spans", "span_links", "service_dependencies"), lambda c: tuple(t for t in c.traces if not t.uses_engine()),
               "analysis.sources.traces.miner:mine_traces", cache.file_fingerprint),
    SourceKind("incidents", ("incidents",), lambda c: (c.incidents,) if c.incidents else (),
               "analysis.sources.operations.incidents:mine_incidents", cache.file_fingerprint),
    SourceKind("costs", ("costs",), lambda c: (c.costs,) if c.costs else (),
               "analysis.sources.operations.costs:mine_costs", cache.file_fingerprint),
    SourceKind("delivered", ("delivered",), lambda c: (c.delivered,) if c.delivered else (),
               "analysis.sources.operations.delivered:mine_delivered", cache.file_fingerprint),
)}

#: The source kinds a user configures (the others come with them).
BASE_KINDS = tuple(name for name, kind in KINDS.items() if kind.companion_of is None)


def source_kind(name: str) -> SourceKind:
    """The kind called ``name``; an unknown name is answered with the valid ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise SeamsError(f"unknown source kind {name!r}; valid kinds: {', '.join(KINDS)}") from None


def configured_kinds(config: Config) -> tuple[str, ...]:
    """The source kinds the config declares, companions included, in pipeline order."""
    return tuple(name for name, kind in KINDS.items() if kind.items(config))


def mine_source(config: Config, kind: str, rejects: Rejects, *, use_cache: bool = True, strict: bool = True) -> SourceFrames:
    """Mine every item of one kind named in the config, through the cache; ``strict=False``:
    an item that cannot be read is kept as its error (see the module docstring)."""
    spec = source_kind(kind)
    items = spec.items(config)
    if not items:
        raise SeamsError(f"{config.path}: sources.{spec.companion_of or kind} is not configured")
    root, warning = cache.usable_cache_dir(Path(config.cache_dir)) if use_cache else (None, None)
    parts = [_mine_item(spec, item, rejects, root) if strict else _mine_or_fail(spec, item, rejects, root)
             for item in items]
    result = _concat(spec, parts)
    if warning:
        result.warnings.insert(0, warning)
    return result


def _mine_or_fail(spec: SourceKind, item, rejects: Rejects, root: Path | None) -> SourceFrames:
    try:
        return _mine_item(spec, item, rejects, root)
    except SourceError as exc:
        return SourceFrames.failed(spec.frames, str(exc))
    except OSError as exc:
        where = getattr(item, "path", None) or getattr(item, "repository", None) or spec.name
        return SourceFrames.failed(spec.frames, str(SourceError(str(where), f"cannot be read ({exc.strerror or exc})")))


def _mine_item(spec: SourceKind, item, rejects: Rejects, root: Path | None) -> SourceFrames:
    own_cache = root / spec.cache_folder if root is not None and spec.cache_folder else None
    local = Rejects()
    if spec.cache == "incremental" or root is None or spec.is_live(item):
        result = spec.mine(item, local, own_cache)
    else:
        folder = root / spec.name / cache.cache_key(spec.name, item, spec.fingerprint(item))
        cached = cache.read_frames(folder, spec.frames)
        if cached is not None:
            result, local = cached
        else:
            result = spec.mine(item, local, own_cache)
            unwritten = cache.write_frames(folder, result, local)
            if unwritten:
                result.warnings.append(unwritten)
    rejects.extend(local)
    return result


def _concat(spec: SourceKind, parts: list[SourceFrames]) -> SourceFrames:
    if len(parts) == 1:
        return parts[0]
    merged = {}
    for name in spec.frames:
        pieces = [p.frames[name] for p in parts if len(p.frames[name])]
        merged[name] = frames.conform(pd.concat(pieces, ignore_index=True), name) if pieces else frames.empty(name)
    if spec.name == "sql":
        merged = _merge_sql(merged)
    counts: dict[str, int] = {}
    for part in parts:
        for what, n in part.counts.items():
            counts[what] = counts.get(what, 0) + n
    return SourceFrames(merged, sum(p.records_read for p in parts), sum(p.records_rejected for p in parts),
                        [n for p in parts for n in p.notes], counts, list(dict.fromkeys(w for p in parts for w in p.warnings)),
                        [e for p in parts for e in p.errors], all(p.unread for p in parts))


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
