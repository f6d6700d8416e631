"""What ``seams init`` adds to each proposed context besides its paths: the tables its ORM
models declare, the route prefixes of its entry points (span rules), its owners in CODEOWNERS;
and the formats of the SQL logs and trace files given.

Tables and routes come from the readers ``seams report`` uses (:mod:`analysis.sources.orm_models`,
:mod:`analysis.sources.entry_points`); a route prefix goes to a context when at least
:data:`ROUTE_PREFIX_SHARE` of the routes under it are handled by that context's code.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from analysis.core.config import ImportsSource
from analysis.core.errors import SeamsError
from analysis.core.rejects import Rejects
from analysis.core.routes import normalize_route
from analysis.discovery.tree import RepositoryTree

ROUTE_PREFIX_SHARE = 0.8
#: route segments that name a layer or a version: the prefix takes one more segment after them
ROUTE_LAYERS = frozenset({"api", "v1", "v2", "v3", "graphql", "rest", "internal"})
CODEOWNERS_FILES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
#: folders whose routes the inventory does not follow when init reads routes (speed; tests declare no production route)
ROUTE_EXCLUDES = ("**/tests/**", "**/test/**", "**/migrations/**", "**/node_modules/**", "**/static/**")


def orm_tables(repository: Path, exclude: Iterable[str] = ()) -> pd.DataFrame:
    """The ORM reader's ``orm_tables`` (table, model, framework, kind, path, ...)."""
    from analysis.sources.orm_models import mine_orm

    return mine_orm(ImportsSource(repository=repository, exclude_paths=tuple(exclude)), Rejects()).frames["orm_tables"]


def tables_per_context(tables: pd.DataFrame, context_of: Callable[[str], str | None]) -> dict[str, list[str]]:
    """context -> the tables its models (else its migrations) declare; a table declared in two
    contexts goes to the one with its model."""
    out: dict[str, set[str]] = defaultdict(set)
    if not len(tables):
        return {}
    ranked = tables.assign(order=(tables["kind"] != "model").astype(int)).sort_values(["table", "order", "path"])
    for table, path in zip(*ranked.drop_duplicates("table")[["table", "path"]].T.to_numpy()):
        context = context_of(str(path))
        if context is not None:
            out[context].add(str(table))
    return {k: sorted(v) for k, v in out.items()}


def entry_points(repository: Path) -> pd.DataFrame:
    from analysis.sources.entry_points import mine_entry_points

    return mine_entry_points(ImportsSource(repository=repository, exclude_paths=ROUTE_EXCLUDES), Rejects()).frames["entry_points"]


def route_prefix(route: str) -> str | None:
    """``/api/dcim/devices/{pk}`` -> ``/api/dcim``; ``/orders/{id}`` -> ``/orders``; None for ``/``."""
    parts = [p for p in normalize_route(route).strip("/").split("/") if p]
    out = []
    for part in parts:
        if part.startswith("{") or "<" in part or re.search(r"[()\\^$]", part):
            break
        out.append(part)
        if part.lower() not in ROUTE_LAYERS:
            break
    if not out or out[-1].lower() in ROUTE_LAYERS:
        return None
    return "/" + "/".join(out)


def route_rules(points: pd.DataFrame, context_of: Callable[[str], str | None]) -> dict[str, list[str]]:
    """context -> route globs (``/prefix``, ``/prefix/*``) of the prefixes its code handles."""
    if not len(points):
        return {}
    routes = points[points["kind"] == "route"]
    by_prefix: dict[str, Counter] = defaultdict(Counter)
    for name, path in zip(routes["name"], routes["path"]):
        prefix = route_prefix(str(name))
        context = context_of(str(path))
        if prefix is not None:
            by_prefix[prefix][context] += 1
    out: dict[str, list[str]] = defaultdict(list)
    for prefix, counts in sorted(by_prefix.items()):
        context, n = counts.most_common(1)[0]
        if context is not None and n >= ROUTE_PREFIX_SHARE * sum(counts.values()):
            out[context] += [prefix, f"{prefix}/*"]
    return dict(out)


def parse_codeowners(text: str) -> list[tuple[str, list[str]]]:
    """(pattern, owners) per rule, in file order (the last matching rule wins)."""
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *owners = line.split()
        rules.append((pattern, owners))
    return rules


def owners_of(folder: str, rules: list[tuple[str, list[str]]]) -> list[str]:
    """The owners CODEOWNERS gives ``folder``'s files (the last rule matching it or a parent)."""
    found: list[str] = []
    for pattern, owners in rules:
        p = pattern.strip("/").removesuffix("/**").removesuffix("/*")
        if p in ("*", "**") or folder == p or folder.startswith(p + "/") or (not pattern.startswith("/") and ("/" + folder + "/").find("/" + p + "/") >= 0):
            found = owners
    return found


def codeowners(tree: RepositoryTree) -> tuple[str | None, list[tuple[str, list[str]]]]:
    for name in CODEOWNERS_FILES:
        if name in tree.file_set:
            return name, parse_codeowners(tree.text(name) or "")
    return None, []


def sql_source(path: Path) -> dict:
    """The format of a SQL log and, for PostgreSQL's stderr and syslog formats, its
    ``log_line_prefix`` inferred from the first lines; ``error`` when it cannot be told."""
    from analysis.sources.inputs import open_text, peek
    from analysis.sources.sql.formats import detect_format
    from analysis.sources.sql.formats.postgres_prefix import infer_prefix

    try:
        with open_text(path) as text:
            lines, _ = peek(text, 200)
        fmt = detect_format(lines, str(path))
        out: dict = {"format": fmt}
        if fmt == "postgres-stderr":
            out["log_line_prefix"] = infer_prefix(lines, str(path))
        return out
    except (SeamsError, OSError) as exc:
        return {"format": "auto", "error": str(exc)}


def trace_source(path: Path) -> dict:
    from analysis.sources.traces.formats import detect_format

    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError as exc:
        return {"format": "auto", "error": str(exc)}
    if head[:2] == b"\x1f\x8b":
        import gzip

        try:
            with gzip.open(path, "rb") as g:
                head = g.read(1 << 16)
        except (OSError, EOFError) as exc:
            return {"format": "auto", "error": str(exc)}
    fmt = detect_format(head, path.name)
    return {"format": fmt or "auto", **({} if fmt else {"error": "the format could not be told from the first bytes"})}
