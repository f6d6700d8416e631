"""The context map: which bounded context each unit belongs to.

A *unit* is what a source sees: a repository path (git history, imports), a table (SQL),
a span (traces). Units are assigned by the rules declared in the config
(:class:`analysis.core.config.ContextSpec`); a unit no rule matches is *unassigned* (``<NA>``),
counted and reported, never dropped.

Rules and precedence (the most specific rule wins):

- paths: globs over posix repository paths (``*`` within a segment, ``**`` across
  segments). Among matching globs the one with the longest literal text wins.
- tables: exact names under the search path: a declared name and an observed one are both
  read by :func:`analysis.core.config.table_key` (lower case, the schema dropped when it is in
  ``ContextMap.search_path``, which :func:`analysis.mapping.units.map_units` takes from the
  config's SQL sources) and must then be equal. A declared ``public.audit_log`` is the
  observed ``audit_log``; a declared ``orders`` is the ``orders`` of a search-path schema,
  never ``billing.orders``.
- shared (infrastructure) tables: a table owned by a context with ``role: shared``, or one
  a ``shared_tables`` glob names (:meth:`ContextMap.shared_table_rule`) and no domain or layer
  context declares, or a table of the database's system catalogs. Globs are matched over
  :func:`~analysis.core.config.table_key` names.
- spans: in order, a rule on a named attribute (``spans.attributes``: ``rq.job.function:
  ["extras.*"]``, any attribute the instrumentation writes), code namespace prefix
  (declared, or derived from a path glob ``pkg/sub/**`` as ``pkg.sub``; the function a
  background job runs counts as one), ``http.route`` glob, messaging destination glob, span
  name glob, service name glob; within a kind the longest pattern wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from analysis.core.config import DEFAULT_SEARCH_PATH, SYSTEM_CATALOG_TABLES, Config, ContextSpec, table_key
from analysis.core.globs import glob_regex
from analysis.core.routes import normalize_pattern, normalize_route

UNASSIGNED = "(unassigned)"


def _specificity(pattern: str) -> int:
    return len(pattern.replace("*", "").replace("?", ""))


def namespace_of_glob(glob: str) -> str | None:
    """``shopfront/billing/**`` -> ``shopfront.billing``; None for globs with wildcards inside."""
    stem = glob[:-3] if glob.endswith("/**") else None
    if not stem or any(ch in stem for ch in "*?[]"):
        return None
    return stem.strip("/").replace("/", ".") or None


@dataclass(frozen=True)
class ContextMap:
    contexts: tuple[ContextSpec, ...]
    #: schemas whose tables are named without a schema (:attr:`analysis.core.config.Config.table_search_path`)
    search_path: tuple[str, ...] = DEFAULT_SEARCH_PATH
    #: globs of infrastructure tables (:attr:`analysis.core.config.Config.shared_table_globs`)
    shared_tables: tuple[str, ...] = ()
    #: whether ``shared_tables`` are Seams' defaults (the config has no ``shared_tables`` key)
    shared_tables_by_default: bool = False
    #: where the code sources (imports, ORM models, entry points) are read from, relative to
    #: the git repository the path globs are written for (``netbox/`` when ``imports`` points
    #: at ``<checkout>/netbox``); "" when both are the same folder
    code_root: str = ""

    @classmethod
    def of(cls, config: Config) -> ContextMap:
        """The map a config declares, with its search path, shared tables and code root."""
        return cls(config.contexts, search_path=config.table_search_path, shared_tables=config.shared_table_globs,
                   shared_tables_by_default=config.shared_tables is None, code_root=config.code_root)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.contexts)

    # ---- paths --------------------------------------------------------------------
    def context_of_path(self, path: str) -> str | None:
        return _path_lookup(self.contexts)(path)

    def assign_paths(self, paths: pd.Series) -> pd.Series:
        """Context of each path (``<NA>`` when unassigned); evaluated once per distinct path."""
        lookup = _path_lookup(self.contexts)
        uniq = pd.unique(paths.dropna())
        mapping = {p: lookup(p) for p in uniq}
        return paths.map(mapping).astype("string")

    def assign_code_paths(self, paths: pd.Series) -> pd.Series:
        """Context of each path of the code sources (relative to ``imports.repository``): the
        globs are the repository's, so a code source read from a sub-folder is prefixed with it."""
        if not self.code_root:
            return self.assign_paths(paths)
        return self.assign_paths(self.code_root + paths.astype("string"))

    # ---- tables -------------------------------------------------------------------
    def table_key(self, table: str) -> str:
        """``table`` as declared and observed names are compared (:func:`analysis.core.config.table_key`)."""
        return table_key(table, self.search_path)

    def declared_tables(self) -> dict[str, str]:
        """Declared table (as :meth:`table_key` writes it) -> the context that declares it."""
        return dict(_table_owners(self.contexts, self.search_path))

    def owner_of_table(self, table: str) -> str | None:
        return _table_owners(self.contexts, self.search_path).get(self.table_key(table))

    def assign_tables(self, tables: pd.Series) -> pd.Series:
        uniq = pd.unique(tables.dropna())
        return tables.map({t: self.owner_of_table(t) for t in uniq}).astype("string")

    def role_of(self, context: str | None) -> str | None:
        """The declared role of a context (domain, layer, shared); None for no context."""
        return next((c.role for c in self.contexts if c.name == context), None)

    def shared_table_rule(self, table: str) -> str | None:
        """The ``shared_tables`` glob naming ``table`` (its :meth:`table_key`), unless a domain
        or layer context declares the table, or the system catalog glob naming it
        (:data:`~analysis.core.config.SYSTEM_CATALOG_TABLES`, always shared); None otherwise."""
        key = self.table_key(table)
        catalog = next((g for g in SYSTEM_CATALOG_TABLES if fnmatchcase(key, g)), None)
        if catalog is not None:
            return catalog
        declared = self.owner_of_table(key)
        if declared is not None and self.role_of(declared) != "shared":
            return None
        return next((g for g in self.shared_tables if fnmatchcase(key, g)), None)

    # ---- spans --------------------------------------------------------------------
    def assign_spans(self, spans: pd.DataFrame) -> pd.Series:
        """Context of each span by the span rules (most specific first); ``<NA>`` if none."""
        rules = _span_rules(self.contexts)
        cols = ["code_namespace", "http_route", "messaging_destination", "name", "service", "attributes"]
        present = spans.reindex(columns=cols)
        if len(present) == 0:
            return pd.Series([], index=spans.index, dtype="string")
        # each distinct combination of the six values is matched once, then mapped back
        combined = np.zeros(len(present), dtype=np.int64)
        for col in cols:
            codes, uniques = pd.factorize(present[col])
            combined, _ = pd.factorize(combined * (len(uniques) + 1) + (codes.astype(np.int64) + 1))
            combined = combined.astype(np.int64)
        distinct, first, back = np.unique(combined, return_index=True, return_inverse=True)
        rows = present.iloc[first]
        keys = rows.astype(object).where(rows.notna(), None)
        found = np.array([_match_span(rules, row) for row in keys.itertuples(index=False, name=None)] + [None], dtype=object)
        return pd.Series(found[:-1][back.reshape(-1)], index=spans.index, dtype="string")


def _path_lookup(contexts: tuple[ContextSpec, ...]):
    return _compiled_paths(contexts)


@lru_cache(maxsize=64)
def _compiled_paths(contexts: tuple[ContextSpec, ...]):
    rules = sorted(
        ((_specificity(g), glob_regex(g), c.name) for c in contexts for g in c.paths),
        key=lambda r: -r[0],
    )

    @cache
    def lookup(path: str) -> str | None:
        for _, rx, name in rules:
            if rx.match(path):
                return name
        return None

    return lookup


@lru_cache(maxsize=64)
def _table_owners(contexts: tuple[ContextSpec, ...], search_path: tuple[str, ...]) -> dict[str, str]:
    return {table_key(t, search_path): c.name for c in contexts for t in c.tables}


def namespaces_of_glob(glob: str) -> list[str]:
    """The module namespaces a path glob may be imported as: the whole path and each shorter
    tail (``netbox/extras/**`` -> ``netbox.extras``, ``extras``): a source root below the
    repository (Django's folder of ``manage.py``) drops the leading folders."""
    full = namespace_of_glob(glob)
    if full is None:
        return []
    parts = full.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


@lru_cache(maxsize=64)
def _span_rules(contexts: tuple[ContextSpec, ...]):
    declared = [(n, c.name) for c in contexts for n in c.spans.code_namespaces]
    from_paths = [(n, c.name) for c in contexts for g in c.paths for n in namespaces_of_glob(g)]
    owners: dict[str, set[str]] = {}
    tails = [(".".join(n.split(".")[i:]), name) for n, name in declared for i in range(len(n.split(".")))]
    for n, name in from_paths + tails:
        owners.setdefault(n, set()).add(name)
    taken = {n for n, _ in declared}
    # a namespace two contexts' paths could both mean is nobody's; a declared one always wins
    namespaces = declared + sorted({(n, c) for n, c in from_paths if len(owners[n]) == 1 and n not in taken})
    namespaces.sort(key=lambda r: -len(r[0]))

    def globs(attr: str):
        rs = [(normalize_pattern(p) if attr == "routes" else p, c.name) for c in contexts for p in getattr(c.spans, attr)]
        return sorted(rs, key=lambda r: -_specificity(r[0]))

    attributes = sorted(((attr, p, c.name) for c in contexts for attr, patterns in c.spans.attributes for p in patterns),
                        key=lambda r: (-_specificity(r[1]), r[0]))
    return namespaces, globs("routes"), globs("messaging_destinations"), globs("span_names"), globs("services"), attributes


def _match_span(rules, row) -> str | None:
    namespaces, routes, destinations, names, services, attribute_rules = rules
    code_ns, route, destination, name, service, attributes = row
    if attributes and attribute_rules:  # rules on a named attribute are the most explicit: first
        values = json.loads(attributes)
        for attr, pattern, ctx in attribute_rules:
            value = values.get(attr)
            if value is not None and fnmatchcase(value, pattern):
                return ctx
    if code_ns:
        for prefix, ctx in namespaces:
            if code_ns == prefix or code_ns.startswith(prefix + "."):
                return ctx
    for value, patterns in ((normalize_route(route) if route else route, routes), (destination, destinations), (name, names),
                            (service, services)):
        if value:
            for pattern, ctx in patterns:
                if fnmatchcase(value, pattern):
                    return ctx
    return None


def unassigned_share(assigned: pd.Series, weights: Iterable[float] | None = None) -> float:
    """Share of units (optionally weighted) with no context; 0.0 for no units."""
    if len(assigned) == 0:
        return 0.0
    missing = assigned.isna()
    if weights is None:
        return float(missing.mean())
    w = pd.Series(list(weights), index=assigned.index, dtype="float64")
    total = w.sum()
    return float(w[missing].sum() / total) if total else 0.0


#: folders of an unassigned path counted as its prefix (``saleor/dashboard/...`` -> ``saleor/dashboard/``)
UNASSIGNED_PREFIX_DEPTH = 2


def unassigned_prefixes(paths: pd.Series, assigned: pd.Series, *, depth: int = UNASSIGNED_PREFIX_DEPTH, top: int = 10) -> pd.DataFrame:
    """The commonest folders (their first ``depth`` parts) of the paths with no context: prefix,
    paths, share (of all ``paths``). ``paths`` and ``assigned`` are aligned row by row; a file at
    the root is its own prefix's ``(root)``."""
    columns = ["prefix", "paths", "share"]
    if not len(paths):
        return pd.DataFrame(columns=columns)
    missing = paths[assigned.isna().to_numpy()].astype(str)
    if not len(missing):
        return pd.DataFrame(columns=columns)
    parts = missing.str.split("/")
    prefix = parts.map(lambda p: "(root)" if len(p) == 1 else "/".join(p[:min(depth, len(p) - 1)]) + "/")
    counts = prefix.value_counts()
    frame = pd.DataFrame({"prefix": counts.index.astype(str), "paths": counts.to_numpy(dtype="int64")})
    frame = frame.sort_values(["paths", "prefix"], ascending=[False, True]).head(top)
    return frame.assign(share=frame["paths"] / len(paths)).reset_index(drop=True)[columns]
