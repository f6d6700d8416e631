"""Which bounded context issued each SQL statement, and each span's calling context.

Inputs are the ``spans`` and ``statements`` frames (:mod:`analysis.core.frames`), the span
contexts computed by :meth:`analysis.mapping.contexts.ContextMap.assign_spans` (a string Series
aligned with ``spans``, ``<NA>`` = unassigned) and the :class:`~analysis.mapping.contexts.ContextMap`.

The span tree (parents, nearest assigned ancestors) is :mod:`analysis.mapping.span_tree`.

:func:`attribute_statements` — in order of confidence, the first rule that gives a context:

1. ``traceparent``: the statement's ``(trace_id, parent_span_id)`` names a span; its context,
   unless it is a db CLIENT span (kind CLIENT with ``db_system`` or ``db_fingerprint``) or
   unassigned, in which case the context of its nearest ancestor with one;
2. ``route``: the sqlcommenter ``route`` matched against the span rules as an ``http_route``
   (rules are globs, so ``/orders/*`` matches Django's ``/orders/<int:order_id>/``);
3. ``controller``: the sqlcommenter ``controller`` matched as a code namespace, as given; if
   that finds nothing, with the top package of every configured code namespace prefixed
   (``orders.views.detail`` -> ``shopfront.orders.views.detail``); used only when those
   prefixed candidates agree on one context;
4. ``fingerprint``: the statement's fingerprint is tied to exactly one context by the
   statements attributed by rules 1-3 together with the db spans of
   :func:`db_span_contexts`;
5. otherwise ``<NA>`` with method ``unattributed``.

Spans and their rules: :func:`span_rule_kinds` names the kind of span rule that gave each
span its context (the kinds are tried in the order of :data:`SPAN_RULE_ORDER`, the one
:meth:`analysis.mapping.contexts.ContextMap.assign_spans` applies); :func:`unassigned_span_names`
shows which span names no rule matches, most common first, so the rules can be completed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.privacy import mask_identifiers
from analysis.mapping.contexts import ContextMap, namespace_of_glob
from analysis.mapping.span_tree import context_ancestors, context_values, is_db_client, is_set, span_positions

METHODS = ("traceparent", "route", "controller", "fingerprint", "unattributed")

#: Span columns in the order ContextMap.assign_spans tries their rules, with the rule kind named.
SPAN_RULE_ORDER = (
    ("code_namespace", "code_namespace"),
    ("http_route", "route"),
    ("messaging_destination", "messaging_destination"),
    ("name", "span_name"),
    ("service", "service"),
)



# --------------------------------------------------------------------------------------
# spans and their rules


def span_rule_kinds(spans: pd.DataFrame, context_map: ContextMap) -> pd.DataFrame:
    """The context of each span and the kind of rule that decided it.

    Columns (aligned with ``spans``): ``context`` (as ``ContextMap.assign_spans``, ``<NA>``
    when no rule matches) and ``rule``: ``code_namespace``, ``route``,
    ``messaging_destination``, ``span_name``, ``service`` (see :data:`SPAN_RULE_ORDER`) or
    ``unassigned``. Each kind is matched alone, in order, on the spans the earlier kinds
    left without a context.
    """
    n = len(spans)
    context = pd.Series(pd.NA, index=range(n), dtype="string")
    rule = np.full(n, "unassigned", dtype=object)
    for column, kind in SPAN_RULE_ORDER:
        todo = context.isna().to_numpy(dtype=bool)
        if not todo.any() or column not in spans:
            continue
        values = spans[column].reset_index(drop=True).astype("string")[todo]
        found = values.map(_by_span_rules(context_map, column, values)).astype("string")
        hit = found.notna()
        context[found.index[hit]] = found[hit]
        rule[found.index[hit].to_numpy()] = kind
    return pd.DataFrame({"context": context.to_numpy(dtype=object), "rule": rule}, index=spans.index).astype(
        {"context": "string", "rule": "string"}
    )


def unassigned_span_names(spans: pd.DataFrame, span_context: pd.Series, top: int = 10) -> pd.DataFrame:
    """The most common names among spans without a context, to complete the span rules.

    Names are shown with their value-like parts masked
    (:func:`analysis.core.privacy.mask_identifiers`): ``GET /reset/8f2c…`` and ``GET
    /reset/91ab…`` are one row, ``GET /reset/{…}`` — the shape a span rule matches.

    Columns: ``name``, ``kind`` (the span kind most common under that name; ties by kind
    name), ``services`` (distinct services emitting it), ``spans`` (unassigned spans with
    the name), ``share`` (of all unassigned spans). At most ``top`` rows, by spans
    descending, then name. Empty when every span has a context.
    """
    columns = {"name": "string", "kind": "string", "services": "int64", "spans": "int64", "share": "float64"}
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    missing = context_values(span_context, len(spans), "span_context").isna().to_numpy(dtype=bool)
    if not missing.any():
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in columns.items()})
    lost = pd.DataFrame(
        {
            "name": spans["name"].astype("string").fillna("").map(mask_identifiers).to_numpy(dtype=object)[missing],
            "kind": spans["kind"].astype("string").to_numpy(dtype=object)[missing],
            "service": spans["service"].astype("string").to_numpy(dtype=object)[missing],
        }
    )
    per_kind = lost.groupby(["name", "kind"]).size().rename("n").reset_index()
    main_kind = per_kind.sort_values(["name", "n", "kind"], ascending=[True, False, True]).drop_duplicates("name")
    out = (
        lost.groupby("name").agg(spans=("kind", "size"), services=("service", "nunique")).reset_index()
        .merge(main_kind[["name", "kind"]], on="name")
    )
    out["share"] = out["spans"] / int(missing.sum())
    out = out.sort_values(["spans", "name"], ascending=[False, True]).head(top)
    return out[list(columns)].astype(columns).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# statements


def db_span_contexts(spans: pd.DataFrame, span_context: pd.Series) -> pd.DataFrame:
    """Fingerprints seen in db CLIENT spans, by the context of the span's nearest ancestor.

    Columns: ``fingerprint`` (the span's ``db_fingerprint``), ``context`` (of the nearest
    proper ancestor with a context; spans with none are left out), ``calls`` (db spans).
    Sorted by fingerprint, then context.
    """
    return _db_span_contexts(spans, context_ancestors(spans, span_context))


def _db_span_contexts(spans: pd.DataFrame, anc: pd.DataFrame) -> pd.DataFrame:
    keep = is_db_client(spans) & is_set(spans["db_fingerprint"]) & anc["context"].notna().to_numpy(dtype=bool)
    seen = pd.DataFrame(
        {
            "fingerprint": spans["db_fingerprint"].to_numpy(dtype=object)[keep],
            "context": anc["context"].to_numpy(dtype=object)[keep],
        }
    )
    out = seen.groupby(["fingerprint", "context"]).size().rename("calls").reset_index()
    return pd.DataFrame(
        {
            "fingerprint": out["fingerprint"].astype("string"),
            "context": out["context"].astype("string"),
            "calls": out["calls"].astype("int64"),
        }
    )


def _by_span_rules(context_map: ContextMap, column: str, values: pd.Series) -> pd.Series:
    """Context of each distinct value read as span attribute ``column``, indexed by the value."""
    uniq = pd.unique(values.dropna())
    if len(uniq) == 0:
        return pd.Series(dtype="string")
    found = context_map.assign_spans(pd.DataFrame({column: pd.Series(uniq, dtype="string")}))
    return pd.Series(found.to_numpy(dtype=object), index=pd.Index(uniq, dtype=object), dtype="string")


def _top_packages(context_map: ContextMap) -> list[str]:
    namespaces = [n for c in context_map.contexts for n in c.spans.code_namespaces]
    namespaces += [n for c in context_map.contexts for g in c.paths if (n := namespace_of_glob(g))]
    return sorted({n.split(".", 1)[0] for n in namespaces if n})


def controller_contexts(controllers: pd.Series, context_map: ContextMap) -> pd.Series:
    """Context of each distinct sqlcommenter controller by the code-namespace rules.

    As given first; otherwise each configured top package prefixed, kept only when the
    prefixed candidates that match agree on one context. Index: controller; values: context.
    """
    uniq = pd.Series(pd.unique(controllers.dropna()), dtype="string")
    if len(uniq) == 0:
        return pd.Series(dtype="string")
    direct = _by_span_rules(context_map, "code_namespace", uniq)
    answer = {c: direct.get(c) for c in uniq}
    missing = [c for c, ctx in answer.items() if pd.isna(ctx)]
    if missing:
        candidates = pd.DataFrame(
            [(c, f"{top}.{c}") for c in missing for top in _top_packages(context_map) if not c.startswith(top + ".")],
            columns=["controller", "namespace"],
        )
        if len(candidates):
            found = _by_span_rules(context_map, "code_namespace", candidates["namespace"])
            candidates["context"] = candidates["namespace"].map(found)
            agreed = candidates.dropna(subset=["context"]).groupby("controller")["context"].agg(lambda s: sorted(set(s)))
            for controller, contexts in agreed.items():
                if len(contexts) == 1:
                    answer[controller] = contexts[0]
    values = [answer[c] if not pd.isna(answer[c]) else pd.NA for c in uniq]
    return pd.Series(values, index=pd.Index(uniq.to_numpy(dtype=object), dtype=object), dtype="string")


def attribute_statements(
    statements: pd.DataFrame,
    spans: pd.DataFrame,
    span_context: pd.Series,
    context_map: ContextMap,
    db_spans: pd.DataFrame | None = None,
    linked_spans: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The context that issued each statement and the rule that decided it.

    Columns (aligned with ``statements``): ``context`` (string, ``<NA>`` when unattributed),
    ``method`` (one of :data:`METHODS`). Rules and their order: see the module docstring.
    ``db_spans`` (``fingerprint, context``): db spans' fingerprints by context seen outside
    ``spans`` (aggregated in a trace engine, frame ``store_statements``), evidence for rule 4.
    ``linked_spans`` (``trace_id, span_id, context``): when ``spans`` is empty, the spans the
    statements name, looked up in a trace engine with the context rule 1 gives (frame
    ``store_sql_spans``).
    """
    n = len(statements)
    context = pd.Series(pd.NA, index=range(n), dtype="string")
    method = np.full(n, "unattributed", dtype=object)

    def settle(found: pd.Series, name: str) -> None:
        fill = context.isna().to_numpy(dtype=bool) & found.notna().to_numpy(dtype=bool)
        context[fill] = found[fill]
        method[fill] = name

    # 1. traceparent -> span -> (itself, or its nearest ancestor with a context)
    ancestors = context_ancestors(spans, span_context)
    if len(spans):
        own = context_values(span_context, len(spans), "span_context")
        own = own.mask(pd.Series(is_db_client(spans)))
        issuing = own.fillna(ancestors["context"].reset_index(drop=True))
        pos = span_positions(spans, statements["trace_id"], statements["parent_span_id"])
        settle(pd.Series(issuing.array.take(pos, allow_fill=True)), "traceparent")
    elif linked_spans is not None and len(linked_spans):
        pos = span_positions(linked_spans, statements["trace_id"], statements["parent_span_id"])
        settle(pd.Series(linked_spans["context"].astype("string").array.take(pos, allow_fill=True)), "traceparent")

    # 2. sqlcommenter route, 3. sqlcommenter controller
    routes = statements["route"].reset_index(drop=True)
    settle(routes.map(_by_span_rules(context_map, "http_route", routes)).astype("string"), "route")
    controllers = statements["controller"].reset_index(drop=True)
    settle(controllers.map(controller_contexts(controllers, context_map)).astype("string"), "controller")

    # 4. a fingerprint tied to exactly one context
    fingerprints = statements["fingerprint"].reset_index(drop=True).astype("string")
    evidence = pd.concat(
        [
            pd.DataFrame({"fingerprint": fingerprints[context.notna()], "context": context[context.notna()]}),
            _db_span_contexts(spans, ancestors)[["fingerprint", "context"]],
            *([db_spans[["fingerprint", "context"]].astype("string")] if db_spans is not None and len(db_spans) else []),
        ]
    )
    contexts_seen = evidence.drop_duplicates().groupby("fingerprint")["context"].agg(["nunique", "first"])
    single = contexts_seen.loc[contexts_seen["nunique"] == 1, "first"]
    settle(fingerprints.map(single).astype("string"), "fingerprint")

    return pd.DataFrame(
        {"context": context.to_numpy(dtype=object), "method": method},
        index=statements.index,
    ).astype({"context": "string", "method": "string"})
