"""What-if context maps: the declared map with a module moved, two contexts merged, one split,
or an inferred partition taken as the map. Each returns a new :class:`~analysis.core.config.Config`
(the original is never changed); ``pipeline.analyse(new_config, mined)`` then measures coupling
and decides the verdicts again on the frames already mined (nothing is read twice), the way
``pipeline.redecide`` re-decides with other thresholds.

A move adds the unit's own path as a glob of the target context: a path is more specific than a
folder's ``**`` glob, and the most specific glob wins (:class:`analysis.mapping.contexts.ContextMap`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from analysis.core.config import Config, ContextSpec, SpanRules
from analysis.core.errors import SeamsError


def _known(config: Config, *names: str) -> None:
    unknown = [n for n in names if n not in config.context_names]
    if unknown:
        raise SeamsError(f"no context named {', '.join(unknown)}; the contexts are: {', '.join(config.context_names)}")


def _with(config: Config, contexts: Sequence[ContextSpec]) -> Config:
    names = {c.name for c in contexts}
    fixed = tuple(replace(c, depends_on=None if c.depends_on is None else tuple(d for d in c.depends_on if d in names and d != c.name))
                  for c in contexts)
    return replace(config, contexts=fixed)


def move(config: Config, moves: Mapping[str, str]) -> Config:
    """``{path or glob: context}``: each to that context (repository paths, as the globs are written)."""
    _known(config, *moves.values())
    added: dict[str, list[str]] = defaultdict(list)
    for glob, context in moves.items():
        added[context].append(glob)
    moved = set(moves)
    return _with(config, [replace(c, paths=tuple(p for p in c.paths if p not in moved) + tuple(added.get(c.name, ())))
                          for c in config.contexts])


def merge(config: Config, a: str, b: str, into: str | None = None) -> Config:
    """Contexts ``a`` and ``b`` as one (named ``into``, default ``a``): paths, tables and span rules together."""
    _known(config, a, b)
    name = into or a
    first, second = (next(c for c in config.contexts if c.name == n) for n in (a, b))
    spans = SpanRules(**{k: tuple(dict.fromkeys((*getattr(first.spans, k), *getattr(second.spans, k))))
                         for k in ("code_namespaces", "routes", "services", "span_names", "messaging_destinations")},
                      attributes=first.spans.attributes + second.spans.attributes)
    merged = ContextSpec(name, tuple(dict.fromkeys(first.paths + second.paths)), tuple(dict.fromkeys(first.tables + second.tables)),
                         spans, role=first.role)
    out = []
    for c in config.contexts:
        if c.name == a:
            out.append(merged)
        elif c.name != b:
            out.append(replace(c, depends_on=None if c.depends_on is None else tuple(name if d in (a, b) else d for d in c.depends_on)))
    return _with(config, out)


def split(config: Config, context: str, paths: Sequence[str], new: str, tables: Sequence[str] = ()) -> Config:
    """A new context ``new`` taking ``paths`` (and ``tables``) out of ``context``."""
    _known(config, context)
    if new in config.context_names:
        raise SeamsError(f"a context named {new} exists already")
    out = []
    for c in config.contexts:
        if c.name == context:
            out.append(replace(c, tables=tuple(t for t in c.tables if t not in tables)))
            out.append(ContextSpec(new, tuple(paths), tuple(tables)))
        else:
            out.append(c)
    return _with(config, out)


def from_partition(config: Config, paths: Mapping[str, str], *, keep_tables: bool = True) -> Config:
    """A map whose contexts are the parts of a partition (``{file path: part}``, as
    ``partitions.csv`` and the decomposition's units give them), each owning its units' paths;
    declared tables follow the context most of their old context's paths went to."""
    by_part: dict[str, list[str]] = defaultdict(list)
    for path, part in sorted(paths.items()):
        by_part[str(part)].append(path)
    tables: dict[str, list[str]] = defaultdict(list)
    inherited: dict[str, list[ContextSpec]] = defaultdict(list)
    if keep_tables:
        from analysis.mapping.contexts import ContextMap

        cmap = ContextMap(config.contexts)
        votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for path, part in paths.items():
            old = cmap.context_of_path(path)
            if old is not None:
                votes[old][str(part)] += 1
        for c in config.contexts:
            if votes.get(c.name):
                best = max(sorted(votes[c.name]), key=lambda p: votes[c.name][p])
                tables[best] += list(c.tables)
                inherited[best].append(c)
    out = []
    for part, globs in sorted(by_part.items()):
        # a file's spans: its module as a code namespace (a file path is no folder glob to derive one from)
        modules = tuple(g.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for g in globs if g.endswith(".py"))
        rules = {k: tuple(dict.fromkeys(v for c in inherited.get(part, ()) for v in getattr(c.spans, k)))
                 for k in ("routes", "services", "span_names", "messaging_destinations")}
        out.append(ContextSpec(part, tuple(globs), tuple(dict.fromkeys(tables.get(part, ()))), SpanRules(code_namespaces=modules, **rules)))
    return _with(config, out)
