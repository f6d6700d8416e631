"""The table access of queries parsed before, kept in Seams' cache directory between runs.

Parsing a query with sqlglot (:func:`analysis.sources.sqltext.table_access`) costs about a
millisecond; a log of an application's day holds the same few hundred queries as the day
before, so a scheduled run keeps what it parsed (``cache_dir``, the registry's
``sql/parse`` folder: :mod:`analysis.sources.registry`) and the next run parses only the
queries it has not met. The registry caches the frames of a log already read; this cache
serves a new log of the same application.

One JSON file per (sqlglot version, :data:`ACCESS_FORMAT`, dialect, search path): a result
is used only by the code and the parser that would compute it again, so what a run reads
from the cache equals what it would parse. The keys are normalized texts (literals are
placeholders: no value of the log is kept); at most :data:`MAX_ENTRIES` are kept, the most
recently met first. Safe to delete; an unreadable file is an empty cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import sqlglot

from analysis.sources.sqltext import TableAccess

#: Bumped when the rules of :func:`analysis.sources.sqltext.table_access` change.
ACCESS_FORMAT = 1
#: Queries kept (the most recently met first): reading the file costs about 10 microseconds per query
#: whether the log holds it or not, parsing one about a millisecond.
MAX_ENTRIES = 5_000


def cache_file(folder: Path, dialect: str, search_path: tuple[str, ...]) -> Path:
    """The file of the table access parsed by this code in ``dialect`` with ``search_path``."""
    key = json.dumps([ACCESS_FORMAT, sqlglot.__version__, dialect, list(search_path)])
    return folder / f"table-access-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def load(folder: Path | None, dialect: str, search_path: tuple[str, ...]) -> dict[str, TableAccess]:
    """The table access kept for ``dialect`` and ``search_path`` (empty: none, or unreadable)."""
    if folder is None:
        return {}
    try:
        data = json.loads(cache_file(folder, dialect, search_path).read_bytes())
        return {text: TableAccess(op, frozenset(reads), frozenset(writes), frozenset((a, b) for a, b in joins),
                                  bool(approximate), bool(ddl))
                for text, (op, reads, writes, joins, approximate, ddl) in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save(folder: Path | None, dialect: str, search_path: tuple[str, ...], known: dict[str, TableAccess],
         met: dict[str, TableAccess]) -> None:
    """Keep ``met`` (the queries of this run) with ``known`` (those kept before), when this run
    met a query not kept; a cache that cannot be written is left as it is (only time is lost)."""
    if folder is None or all(text in known for text in met):
        return
    entries = dict(met)
    for text, access in known.items():
        if len(entries) >= MAX_ENTRIES:
            break
        entries.setdefault(text, access)
    data = {text: [a.operation, sorted(a.reads), sorted(a.writes), sorted(a.joins), a.approximate, a.ddl]
            for text, a in list(entries.items())[:MAX_ENTRIES]}
    path = cache_file(folder, dialect, search_path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
