"""Which bounded context issued each SQL statement, and each span's calling context.

Inputs are the ``spans`` and ``statements`` frames (:mod:`analysis.frames`), the span
contexts computed by :meth:`analysis.contexts.ContextMap.assign_spans` (a string Series
aligned with ``spans``, ``<NA>`` = unassigned) and the :class:`~analysis.contexts.ContextMap`.

The span tree
    A span's parent is the span with the same ``trace_id`` whose ``span_id`` is its
    ``parent_span_id``. A parent id that names no span of the data makes an *orphan*; a span
    that names itself as its parent is treated as having none. Among spans sharing one
    ``(trace_id, span_id)`` the first row is the one looked up.

:func:`context_ancestors` — for every span, the nearest *proper* ancestor that has a
context (walking past unassigned spans). Pointer jumping: each round either resolves a
span or doubles the distance its pointer covers, so a chain of depth ``d`` takes
``log2(d)`` rounds; spans caught in a parent cycle stay unresolved (``<NA>``).

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
:meth:`analysis.contexts.ContextMap.assign_spans` applies); :func:`unassigned_span_names`
shows which span names no rule matches, most common first, so the rules can be completed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.contexts import ContextMap, namespace_of_glob

METHODS = ("traceparent", "route", "controller", "fingerprint", "unattributed")

#: Span columns in the order ContextMap.assign_spans tries their rules, with the rule kind named.
SPAN_RULE_ORDER = (
    ("code_namespace", "code_namespace"),
    ("http_route", "route"),
    ("messaging_destination", "messaging_destination"),
    ("name", "span_name"),
    ("service", "service"),
)

#: Pointer-jumping rounds: 2**64 levels is deeper than any trace; cycles stop here.
_MAX_ROUNDS = 64


# --------------------------------------------------------------------------------------
# the span tree


def is_set(values: pd.Series) -> np.ndarray:
    """True where a text value is present (neither ``<NA>`` nor empty)."""
    return (values.astype("string").fillna("") != "").to_numpy(dtype=bool)


def context_values(context: pd.Series | pd.DataFrame, length: int, what: str) -> pd.Series:
    """A context Series (string dtype, positional index) from a Series or an attribution frame."""
    if isinstance(context, pd.DataFrame):
        context = context["context"]
    if len(context) != length:
        raise ValueError(f"{what}: {len(context)} contexts for {length} rows")
    return pd.Series(context.to_numpy(dtype=object), dtype="string")


def span_positions(spans: pd.DataFrame, trace_id: pd.Series, span_id: pd.Series) -> np.ndarray:
    """Row position in ``spans`` of each ``(trace_id, span_id)`` asked for; -1 when absent."""
    if len(trace_id) == 0:
        return np.zeros(0, dtype=np.int64)
    n = len(spans)
    # both sides coded together, each (trace, span) pair one integer key; the first row of
    # a repeated pair is the one found
    traces, _ = _codes(spans["trace_id"], trace_id)
    ids, distinct_ids = _codes(spans["span_id"], span_id)
    key = np.where((traces >= 0) & (ids >= 0), traces * (distinct_ids + 1) + ids, -1)
    known, asked = key[:n], key[n:]
    rows = np.flatnonzero(known >= 0)
    keys, first = np.unique(known[rows], return_index=True)
    pos = np.full(len(asked), -1, dtype=np.int64)
    if len(keys):
        at = np.minimum(np.searchsorted(keys, asked), len(keys) - 1)
        hit = (keys[at] == asked) & (asked >= 0)
        pos[hit] = rows[first[at[hit]]]
    pos[~(is_set(trace_id) & is_set(span_id))] = -1
    return pos


def _codes(known: pd.Series, asked: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of the values of both Series in one numbering (-1 for missing)."""
    known, asked = known.astype("string"), asked.astype("string")
    same = getattr(known.array, "_pa_array", None)
    if same is not None and same is getattr(asked.array, "_pa_array", None):  # one column asked of itself
        codes, uniques = pd.factorize(known)
        codes = codes.astype(np.int64)
        return np.concatenate([codes, codes]), len(uniques)
    codes, uniques = pd.factorize(pd.concat([known, asked], ignore_index=True))
    return codes.astype(np.int64), len(uniques)


def span_parents(spans: pd.DataFrame) -> np.ndarray:
    """Row position of each span's parent (same trace); -1 for roots, orphans and self-parents."""
    key = _id_arrays(spans)
    if key is not None and _LAST_PARENTS and all(a is b for a, b in zip(_LAST_PARENTS[0][0], key)):
        return _LAST_PARENTS[0][1].copy()
    parents = span_positions(spans, spans["trace_id"], spans["parent_span_id"])
    parents[parents == np.arange(len(spans))] = -1
    if key is not None:
        _LAST_PARENTS[:] = [(key, parents.copy())]
    return parents


#: the last parents computed, with the id arrays they came from: several metrics walk the
#: same spans' tree, and Arrow arrays are immutable, so the same array objects mean the
#: same ids (the arrays are held, so their identities cannot be reused)
_LAST_PARENTS: list = []


def _id_arrays(spans: pd.DataFrame) -> tuple | None:
    """The Arrow arrays behind the id columns, or None when a column has none."""
    arrays = []
    for column in ("trace_id", "span_id", "parent_span_id"):
        array = getattr(spans[column].array, "_pa_array", None) if column in spans else None
        if array is None:
            return None
        arrays.append(array)
    return tuple(arrays)


def context_ancestors(
    spans: pd.DataFrame,
    span_context: pd.Series,
    crossing: pd.Series | np.ndarray | None = None,
    *,
    parents: np.ndarray | None = None,
) -> pd.DataFrame:
    """The nearest proper ancestor of each span that has a context.

    Columns (aligned with ``spans``): ``ancestor`` (Int64 row position in ``spans``, ``<NA>``
    when no ancestor in the data has a context), ``context`` (that ancestor's context) and
    ``crossed`` (bool: some parent link on the way up, child -> parent, is flagged in
    ``crossing``, one flag per span for the link to its own parent; False when unresolved).
    """
    n = len(spans)
    parent = span_parents(spans) if parents is None else np.asarray(parents, dtype=np.int64)
    ctx = context_values(span_context, n, "span_context")
    has_ctx = ctx.notna().to_numpy(dtype=bool)
    link = np.zeros(n, dtype=bool) if crossing is None else np.asarray(crossing, dtype=bool)

    ptr = parent.copy()  # invariant: every span strictly between i and ptr[i] has no context
    acc = link.copy()  # OR of the link flags from i up to ptr[i]
    res = np.full(n, -1, dtype=np.int64)
    res_acc = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)
    for _ in range(_MAX_ROUNDS):
        todo = np.flatnonzero(~done)
        if len(todo) == 0:
            break
        k = ptr[todo]
        dead = k < 0
        kk = np.where(dead, 0, k)
        hit = ~dead & has_ctx[kk]
        via = ~dead & ~hit & done[kk]
        jump = ~dead & ~hit & ~via
        new_res = np.where(hit, kk, np.where(via, res[kk], -1))
        new_acc = np.where(hit, acc[todo], np.where(via, acc[todo] | res_acc[kk], False))
        next_ptr, next_acc = ptr[kk], acc[todo] | acc[kk]
        finished = todo[~jump]
        res[finished], res_acc[finished] = new_res[~jump], new_acc[~jump]
        done[finished] = True
        moving = todo[jump]
        ptr[moving], acc[moving] = next_ptr[jump], next_acc[jump]
    res_acc[res < 0] = False
    ancestor = pd.array(np.where(res >= 0, res, 0), dtype="Int64")
    ancestor[res < 0] = pd.NA
    return pd.DataFrame(
        {
            "ancestor": ancestor,
            "context": ctx.array.take(res, allow_fill=True),
            "crossed": res_acc,
        },
        index=spans.index,
    )


def is_db_client(spans: pd.DataFrame) -> np.ndarray:
    """Spans of kind CLIENT that carry a database system or statement fingerprint."""
    return (spans["kind"] == "CLIENT").to_numpy(dtype=bool) & (
        is_set(spans["db_system"]) | is_set(spans["db_fingerprint"])
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
            "name": spans["name"].astype("string").fillna("").to_numpy(dtype=object)[missing],
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
) -> pd.DataFrame:
    """The context that issued each statement and the rule that decided it.

    Columns (aligned with ``statements``): ``context`` (string, ``<NA>`` when unattributed),
    ``method`` (one of :data:`METHODS`). Rules and their order: see the module docstring.
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
        ]
    )
    contexts_seen = evidence.drop_duplicates().groupby("fingerprint")["context"].agg(["nunique", "first"])
    single = contexts_seen.loc[contexts_seen["nunique"] == 1, "first"]
    settle(fingerprints.map(single).astype("string"), "fingerprint")

    return pd.DataFrame(
        {"context": context.to_numpy(dtype=object), "method": method},
        index=statements.index,
    ).astype({"context": "string", "method": "string"})
