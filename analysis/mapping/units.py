"""The mapping step: every unit a source sees, to its bounded context.

``map_units(config, mined) -> Units``. Each Series is aligned with the frame its units come
from; ``<NA>`` is *unassigned* (reported, never dropped):

- files (``file_changes.path``), importers and imported modules (``imports``), merged pull
  requests' files (``merge_files``) and entry points (``entry_points.path``): by the
  context map's path globs, most specific first (:class:`analysis.mapping.contexts.ContextMap`);
- spans: by the span rules (code namespace, route, messaging destination, span name,
  service); a span no rule matches belongs to its nearest ancestor's context, unless the
  way up crosses an async boundary (:func:`inherit_span_context`);
- statements: by :func:`analysis.mapping.attribution.attribute_statements` (traceparent,
  sqlcommenter route and controller, fingerprints seen from one context);
- tables (:meth:`Units.owners_of`, the one ownership every measure reads): declared owners
  first, then the context whose ORM models define the table, then the dominant writer seen
  in the traffic (:func:`analysis.mapping.ownership.infer_table_ownership`); declared and
  observed names are compared under the config's search path
  (:attr:`analysis.core.config.Config.table_search_path`); shared infrastructure tables
  (:meth:`Units.shared_tables`): owned by a ``role: shared`` context or named by
  ``shared_tables``.

This is the one place these rules are applied: the pipeline, the notebooks and the benches
all call :func:`map_units`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from analysis.core.config import Config
from analysis.core.frames import Mined
from analysis.core.globs import glob_regex
from analysis.core.privacy import mask_identifiers
from analysis.core.routes import normalize_route
from analysis.mapping.attribution import attribute_statements, unassigned_span_names
from analysis.mapping.contexts import ContextMap
from analysis.mapping.ownership import infer_table_ownership, owners, ownership_evidence, shared_table_reasons
from analysis.mapping.span_tree import async_links, context_ancestors, span_parents

#: Unmatched routes and span names listed in a span-rule warning.
TOP_UNMATCHED = 8


@dataclass(frozen=True)
class Units:
    """The context of every unit of one run (see the module docstring)."""

    context_map: ContextMap
    file_context: pd.Series
    #: the context of each file of ``HEAD``'s tree (aligned with ``head_files``)
    head_file_context: pd.Series
    importer_context: pd.Series
    imported_context: pd.Series
    merge_context: pd.Series
    entry_point_context: pd.Series
    span_context: pd.Series
    #: per statement: ``context``, ``method`` (and the matched span), aligned with ``statements``
    statements: pd.DataFrame
    #: per table and method: the evidence of who writes it (ORM models, traces, sqlcommenter, application_name)
    table_evidence: pd.DataFrame
    #: per table: owner, method, confidence and evidence
    ownership: pd.DataFrame

    @property
    def names(self) -> tuple[str, ...]:
        return self.context_map.names

    @property
    def statement_context(self) -> pd.Series:
        return self.statements["context"]

    @cached_property
    def table_owners(self) -> dict[str, str]:
        """``table -> owner`` of every owned table (names as :meth:`ContextMap.table_key` writes them)."""
        return owners(self.ownership)

    def owners_of(self, tables: Iterable[str]) -> dict[str, str]:
        """``table -> owner`` for those of ``tables`` (named as a frame names them) with an owner:
        the one ownership every measure uses (declared, ORM, then traffic)."""
        key, known = self.context_map.table_key, self.table_owners
        return {t: known[key(t)] for t in tables if key(t) in known}

    def shared_tables(self, tables: Iterable[str]) -> dict[str, str]:
        """``table -> reason`` for those of ``tables`` that are shared infrastructure
        (:func:`analysis.mapping.ownership.shared_table_reasons`)."""
        return shared_table_reasons(tables, self.context_map, self.table_owners)

    def owned_units(self, mined: Mined) -> pd.DataFrame:
        """Per declared context, the units it owns: ``files_at_head``, ``modules`` (importing
        files), ``owned_tables`` (declared or inferred owner) and ``spans``."""
        files = self.head_contexts(mined).value_counts()
        modules = (mined["imports"][["importer_path"]].assign(context=self.importer_context.to_numpy())
                   .drop_duplicates("importer_path")["context"].value_counts())
        tables = self.ownership["owner"].value_counts() if len(self.ownership) else pd.Series(dtype="int64")
        spans = self.span_context.value_counts()
        load = mined["store_load"]
        if not len(spans) and len(load) and not load["scaled"].any():
            # spans aggregated in a trace engine: no spans frame, their count per context is in its load
            spans = load.groupby("context")["spans"].sum().round().astype("int64")
        names = list(self.names)
        return pd.DataFrame({"context": names, **{k: [int(v.get(n, 0)) for n in names] for k, v in
                                                  (("files_at_head", files), ("modules", modules), ("owned_tables", tables), ("spans", spans))}})

    def head_contexts(self, mined: Mined) -> pd.Series:
        """The context of each file at ``HEAD`` (NA for none): from HEAD's tree when git listed
        it, else (frames built by hand) the files whose last change is not a deletion."""
        if len(mined["head_files"]):
            return pd.Series(self.head_file_context.to_numpy(), index=mined["head_files"]["path"].to_numpy(),
                             dtype="string")
        changes = mined["file_changes"]
        if not len(changes):
            return pd.Series([], dtype="string")
        last = changes.assign(context=self.file_context.to_numpy()).drop_duplicates("path", keep="last")
        alive = last[last["change_type"] != "D"]
        return pd.Series(alive["context"].to_numpy(), index=alive["path"].to_numpy(), dtype="string")

    def warnings(self, mined: Mined, max_unassigned_span_share: float = 0.5) -> list[str]:
        """What is wrong with the context map itself, one sentence each: globs that match no
        file, or whose every file a more specific context claims; span rules that leave more
        than ``max_unassigned_span_share`` of the spans without a context (with the commonest
        unmatched routes and span names, value-like parts masked, to complete the rules)."""
        out: list[str] = self.span_rule_warnings(mined, max_unassigned_span_share)
        changes = mined["file_changes"]
        paths = pd.unique(changes["path"].dropna()) if len(changes) else []
        if not len(paths):
            paths = pd.unique(self.context_map.code_root + mined["imports"]["importer_path"].dropna().astype(str))
        if not len(paths):
            return out
        owned = self.owned_units(mined).set_index("context")
        for spec in self.context_map.contexts:
            if not spec.paths or owned.loc[spec.name, ["files_at_head", "modules"]].sum() > 0:
                continue
            matched = [p for p in paths if any(glob_regex(g).match(str(p)) for g in spec.paths)]
            globs = ", ".join(spec.paths)
            if matched:
                out.append(f"context {spec.name}: every file its paths match ({len(matched)}) is claimed by a more "
                           f"specific context; it owns no file ({globs})")
            else:
                out.append(f"context {spec.name}: its paths match no file of the repository ({globs})")
        return out

    def span_rule_warnings(self, mined: Mined, max_unassigned: float) -> list[str]:
        """The span rules' warning (see :meth:`warnings`), from the spans frame or, for spans
        aggregated in a trace engine, from what it read back (``store_unmatched``)."""
        spans = mined["spans"]
        if spans.empty:
            return _engine_span_rule_warnings(mined, max_unassigned)
        missing = self.span_context.isna().to_numpy(dtype=bool)
        share = float(missing.mean())
        if share <= max_unassigned:
            return []
        routes = _commonest(spans.loc[missing, "http_route"].dropna().map(normalize_route).value_counts())
        names = unassigned_span_names(spans, self.span_context, top=TOP_UNMATCHED)
        named = pd.Series(names["spans"].to_numpy(), index=names["name"].astype(str).map(mask_identifiers).to_numpy())
        return [_span_rule_warning(int((~missing).sum()), len(spans), routes, named)]


def _commonest(counts: pd.Series) -> pd.Series:
    """The :data:`TOP_UNMATCHED` largest counts, ties by key."""
    frame = pd.DataFrame({"key": counts.index.astype(str), "n": counts.to_numpy(dtype="int64")})
    frame = frame.groupby("key", as_index=False)["n"].sum().sort_values(["n", "key"], ascending=[False, True])
    return pd.Series(frame["n"].to_numpy(), index=frame["key"].to_numpy()).head(TOP_UNMATCHED)


def _span_rule_warning(assigned: int, total: int, routes: pd.Series, names: pd.Series, partial: str = "") -> str:
    listed = "; ".join(f"{route} ({n})" for route, n in routes.items())
    named = "; ".join(f"{name} ({n})" for name, n in names.items())
    return (f"the span rules give a context to {assigned} of {total} spans ({assigned / total:.0%}): "
            + (f"the commonest unmatched routes: {listed}" if listed else "no unmatched span has a route")
            + (f"; span names: {named}" if named else "") + partial)


def _engine_span_rule_warnings(mined: Mined, max_unassigned: float) -> list[str]:
    """The span rules' warning from a trace engine's counts: the unmatched spans' routes
    normalized and names masked here, as from a spans frame; counts from the commonest distinct
    routes and names the engine read back when there were more (said so)."""
    got = mined.store_figures()
    total, unassigned = int(got.get("spans", 0)), int(got.get("unassigned_spans", 0))
    if not total or unassigned / total <= max_unassigned:
        return []
    rows = mined["store_unmatched"]
    routes = rows[rows["what"] == "route"]
    names = rows[rows["what"] == "name"]
    cut = [f"the {len(part):,} commonest of {int(got.get(f'unmatched_{w}s', 0)):,} distinct {w}s"
           for w, part in (("route", routes), ("name", names)) if got.get(f"unmatched_{w}s", 0) > len(part)]
    partial = f" (counted over {' and '.join(cut)}, as the trace engine read them back)" if cut else ""
    return [_span_rule_warning(
        total - unassigned, total,
        _commonest(pd.Series(routes["spans"].to_numpy(), index=routes["key"].astype(str).map(normalize_route).to_numpy())),
        _commonest(pd.Series(names["spans"].to_numpy(), index=names["key"].astype(str).map(mask_identifiers).to_numpy())),
        partial)]


def map_units(config: Config, mined: Mined) -> Units:
    """Assign every unit of ``mined`` to a context of ``config`` (see the module docstring)."""
    cmap = ContextMap.of(config)
    spans = mined["spans"]
    span_context = span_contexts(cmap, spans)
    # db spans and the statements' spans aggregated in a trace engine (when no spans frame came back)
    attributed = attribute_statements(mined["statements"], spans, span_context, cmap, db_spans=mined["store_statements"],
                                      linked_spans=mined["store_sql_spans"])
    evidence = ownership_evidence(mined["table_access"], cmap, statements=mined["statements"], statement_attribution=attributed,
                                  spans=spans, span_context=span_context, orm_tables=mined["orm_tables"],
                                  db_spans=mined["store_statements"])
    return Units(
        context_map=cmap,
        file_context=cmap.assign_paths(mined["file_changes"]["path"]),
        head_file_context=cmap.assign_paths(mined["head_files"]["path"]),
        importer_context=cmap.assign_code_paths(mined["imports"]["importer_path"]),
        imported_context=cmap.assign_code_paths(mined["imports"]["imported_path"]),
        merge_context=cmap.assign_paths(mined["merge_files"]["path"]),
        entry_point_context=cmap.assign_code_paths(mined["entry_points"]["path"]),
        span_context=span_context,
        statements=attributed,
        table_evidence=evidence,
        ownership=infer_table_ownership(evidence, cmap, tables=mined["table_access"]["table"]),
    )


def span_contexts(cmap: ContextMap, spans: pd.DataFrame) -> pd.Series:
    """Each span's context: its own by the span rules, else its nearest ancestor's (never
    across a queue). Works on any frame of whole traces (the streamed aggregation calls it
    once per group)."""
    return inherit_span_context(spans, cmap.assign_spans(spans))


def inherit_span_context(spans: pd.DataFrame, own: pd.Series) -> pd.Series:
    """A span no rule matches belongs to its nearest ancestor's context (a db call made in
    orders' code is orders' work), unless the way up crosses an async boundary (producer ->
    consumer); spans with no such ancestor stay unassigned."""
    if own.notna().all() or spans.empty:
        return own
    parents = span_parents(spans)
    ancestors = context_ancestors(spans, own, async_links(spans, parents), parents=parents)
    # never across a queue: a consumer does not belong to whoever produced its message
    inherited = ancestors["context"].mask(ancestors["crossed"]).astype("string").set_axis(own.index)
    return own.fillna(inherited).astype("string")
