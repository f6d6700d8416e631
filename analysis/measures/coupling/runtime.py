"""Runtime coupling: calls between bounded contexts seen in traces.

Inputs: the ``spans`` frame (:mod:`analysis.core.frames`) and ``span_context``, a string Series
aligned with it (``<NA>`` = unassigned, from ``ContextMap.assign_spans``).

A *call* caller -> callee is a span with a context (the callee) whose nearest proper
ancestor with a context, walking up the parent chain within the trace past unassigned
spans, has another context (the caller). A span whose parent is missing from the data is
an orphan and makes no call (observability counts orphans).

A call is *async* when any parent link on the way from the callee span up to the caller's
span crosses a message boundary: the child of the link is a CONSUMER span or its parent is
a PRODUCER span. Otherwise it is *sync* (SERVER, CLIENT and INTERNAL spans under each
other): the caller waits for the callee.

Span links (optional ``links`` frame, contract ``span_links`` in :mod:`analysis.core.frames`)
are async edges too, within a trace or across traces. A span with no parent in the data
(a root, or an orphan) that links to a span of the data hangs under its first such link,
as if it were its parent, across an async boundary: a consumer that started a new trace
but kept a link to the producer is joined back to it. Every other link from a span that
has a context to a span of the data is one more async call, from the linked span's
context (its own, else its nearest ancestor's) to the linking span's. A link to a span
that is not in the data, or from a span to itself, makes no call.

- :func:`context_calls` -> ``caller, callee, mode, calls, total_ms, mean_ms, error_share``
- :func:`call_latency` -> ``caller, callee, mode, calls, caller_spans, p50_ms, p95_ms,
  max_ms, caller_ms, wait_share``
- :func:`sync_fan_in` -> ``context, callers, calls``
- :func:`call_chains` -> ``chain, traces``
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.frames import typed_empty as _empty
from analysis.mapping.span_tree import async_links, context_ancestors, context_values, span_parents, span_positions

CHAIN_SEPARATOR = " > "

_CALL_COLUMNS = {
    "caller": "string", "callee": "string", "mode": "string", "calls": "int64",
    "total_ms": "float64", "mean_ms": "float64", "error_share": "float64",
}


def link_parents(spans: pd.DataFrame, links: pd.DataFrame | None, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Parents completed by span links, and the links left over.

    Returns ``(parents, adopted, extra)``: ``parents`` with every span that has no parent in
    the data hung under the first span it links to (in ``links`` row order); ``adopted``
    (bool per span) flags those link-parents; ``extra`` holds the other usable links as
    row positions, columns ``span`` (the linking span) and ``linked``.
    """
    parents = np.asarray(parents, dtype=np.int64).copy()
    adopted = np.zeros(len(spans), dtype=bool)
    none = pd.DataFrame({"span": np.zeros(0, dtype=np.int64), "linked": np.zeros(0, dtype=np.int64)})
    if links is None or len(links) == 0 or len(spans) == 0:
        return parents, adopted, none
    owner = span_positions(spans, links["trace_id"], links["span_id"])
    linked = span_positions(spans, links["linked_trace_id"], links["linked_span_id"])
    usable = (owner >= 0) & (linked >= 0) & (owner != linked)
    found = pd.DataFrame({"span": owner[usable], "linked": linked[usable]}).drop_duplicates()
    orphaned = parents[found["span"].to_numpy()] < 0
    first = found[orphaned].drop_duplicates("span", keep="first")
    parents[first["span"].to_numpy()] = first["linked"].to_numpy()
    adopted[first["span"].to_numpy()] = True
    rest = found.drop(index=first.index)
    # a link that repeats the span's own parent adds nothing
    rest = rest[parents[rest["span"].to_numpy()] != rest["linked"].to_numpy()]
    return parents, adopted, rest.reset_index(drop=True).astype("int64")


def _callers(
    spans: pd.DataFrame, span_context: pd.Series, links: pd.DataFrame | None = None
) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    parents, adopted, extra = link_parents(spans, links, span_parents(spans))
    ctx = context_values(span_context, len(spans), "span_context")
    crossing = async_links(spans, parents) | adopted
    anc = context_ancestors(spans, ctx, crossing, parents=parents).reset_index(drop=True)
    return ctx, anc, extra


def call_rows(spans: pd.DataFrame, span_context: pd.Series, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per cross-context call (see the module docstring).

    Columns: ``caller``, ``callee``, ``mode`` (``sync`` | ``async``), ``callee_span`` and
    ``caller_span`` (row positions in ``spans``), ``duration_ms`` and ``is_error`` of the
    callee span, ``trace_id`` of the callee span.
    """
    columns = {"caller": "string", "callee": "string", "mode": "string", "callee_span": "int64",
               "caller_span": "int64", "duration_ms": "float64", "is_error": "bool", "trace_id": "string"}
    if len(spans) == 0:
        return _empty(columns)
    ctx, anc, extra = _callers(spans, span_context, links)
    names = ctx.to_numpy(dtype=object)
    up_ctx = anc["context"].to_numpy(dtype=object)
    up_pos = anc["ancestor"].fillna(-1).to_numpy(dtype=np.int64)
    crosses = ctx.notna().to_numpy(dtype=bool) & anc["context"].notna().to_numpy(dtype=bool)
    crosses &= (ctx != anc["context"]).fillna(False).to_numpy(dtype=bool)
    callee = np.flatnonzero(crosses)
    mode = np.where(anc["crossed"].to_numpy(dtype=bool)[callee], "async", "sync")
    caller, caller_span = up_ctx[callee], up_pos[callee]

    # the links left over: linked span's context (own, else its nearest ancestor's) -> linking span's
    own = ctx.notna().to_numpy(dtype=bool)
    holder = np.where(own, np.arange(len(spans)), up_pos)
    link_span, link_to = extra["span"].to_numpy(dtype=np.int64), extra["linked"].to_numpy(dtype=np.int64)
    source = holder[link_to] if len(link_to) else np.zeros(0, dtype=np.int64)
    ok = own[link_span] & (source >= 0) if len(link_span) else np.zeros(0, dtype=bool)
    link_span, source = link_span[ok], source[ok]
    differs = names[source] != names[link_span]
    link_span, source = link_span[differs], source[differs]

    callee = np.concatenate([callee, link_span]).astype(np.int64)
    rows = pd.DataFrame(
        {
            "caller": np.concatenate([caller, names[source]]),
            "callee": names[callee],
            "mode": np.concatenate([mode, np.full(len(link_span), "async", dtype=object)]),
            "callee_span": callee,
            "caller_span": np.concatenate([caller_span, source]).astype(np.int64),
            "duration_ms": spans["duration_ms"].to_numpy(dtype=float)[callee],
            "is_error": spans["is_error"].to_numpy(dtype=bool)[callee],
            "trace_id": spans["trace_id"].to_numpy(dtype=object)[callee],
        }
    )
    return rows.astype(columns)


def context_calls(spans: pd.DataFrame, span_context: pd.Series, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Calls between contexts, per caller, callee and mode.

    Columns: ``caller``, ``callee``, ``mode`` (``sync`` | ``async``), ``calls`` (callee spans),
    ``total_ms`` = sum of the callee spans' ``duration_ms`` (latency the callee adds to the
    caller), ``mean_ms`` = total_ms / calls, ``error_share`` = callee spans with ``is_error``
    / calls. ``links`` (frame ``span_links``, optional) adds the async calls of span links.
    Sorted by calls descending, then caller, callee, mode.
    """
    return calls_of_rows(call_rows(spans, span_context, links))


def calls_of_rows(calls: pd.DataFrame) -> pd.DataFrame:
    """:func:`context_calls` from already computed :func:`call_rows`."""
    if calls.empty:
        return _empty(_CALL_COLUMNS)
    out = (
        calls.groupby(["caller", "callee", "mode"])
        .agg(calls=("duration_ms", "size"), total_ms=("duration_ms", "sum"), error_share=("is_error", "mean"))
        .reset_index()
    )
    out["mean_ms"] = out["total_ms"] / out["calls"]
    out = out.sort_values(["calls", "caller", "callee", "mode"], ascending=[False, True, True, True])
    return out[list(_CALL_COLUMNS)].astype(_CALL_COLUMNS).reset_index(drop=True)


def call_latency(spans: pd.DataFrame, span_context: pd.Series, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """How long callers wait on callees, per caller, callee and mode.

    Columns: ``caller``, ``callee``, ``mode``, ``calls``; ``caller_spans`` = distinct caller
    spans (the ancestor spans the calls hang under); ``p50_ms``, ``p95_ms`` (linear
    interpolation), ``max_ms`` of the callee spans' durations; ``caller_ms`` = sum of the
    caller spans' durations; ``wait_share`` = total callee time / ``caller_ms`` for sync
    calls: the share of the caller's time spent waiting on the callee (above 1 when the
    caller calls in parallel; NaN for async calls, which the caller does not wait for, and
    when ``caller_ms`` is 0). Sorted as :func:`context_calls`.
    """
    return latency_of_rows(call_rows(spans, span_context, links), spans)


def latency_of_rows(rows: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """:func:`call_latency` from already computed :func:`call_rows` of ``spans``."""
    columns = {"caller": "string", "callee": "string", "mode": "string", "calls": "int64",
               "caller_spans": "int64", "p50_ms": "float64", "p95_ms": "float64", "max_ms": "float64",
               "caller_ms": "float64", "wait_share": "float64"}
    if rows.empty:
        return _empty(columns)
    duration = spans["duration_ms"].to_numpy(dtype=float)
    out = []
    for (caller, callee, mode), group in rows.groupby(["caller", "callee", "mode"], sort=True):
        callers = np.unique(group["caller_span"].to_numpy(dtype=np.int64))
        caller_ms = float(duration[callers].sum())
        waits = group["duration_ms"].to_numpy(dtype=float)
        share = float(waits.sum() / caller_ms) if mode == "sync" and caller_ms > 0 else float("nan")
        out.append((caller, callee, mode, len(group), len(callers), float(np.percentile(waits, 50)),
                    float(np.percentile(waits, 95)), float(waits.max()), caller_ms, share))
    frame = pd.DataFrame(out, columns=list(columns))
    frame = frame.sort_values(["calls", "caller", "callee", "mode"], ascending=[False, True, True, True])
    return frame.astype(columns).reset_index(drop=True)


def service_calls(dependencies: pd.DataFrame, service_context: pd.Series, child_context: pd.Series) -> pd.DataFrame:
    """Context calls from service-level dependencies (Jaeger ``/api/dependencies``), for a
    team that has only those: each parent -> child service edge with ``call_count`` calls
    becomes a *sync* call between the services' contexts (by the config's service rules),
    when both have a context and they differ. Latency and errors are unknown there:
    ``total_ms``, ``mean_ms`` and ``error_share`` are NaN. Columns as :func:`context_calls`.

    ``service_context`` / ``child_context``: the context of ``parent`` / ``child`` of each row.
    """
    if dependencies is None or len(dependencies) == 0:
        return _empty(_CALL_COLUMNS)
    frame = pd.DataFrame({"caller": service_context.to_numpy(dtype=object), "callee": child_context.to_numpy(dtype=object),
                          "calls": dependencies["call_count"].to_numpy(dtype="int64")})
    frame = frame[frame["caller"].notna() & frame["callee"].notna() & (frame["caller"] != frame["callee"])]
    if frame.empty:
        return _empty(_CALL_COLUMNS)
    out = frame.groupby(["caller", "callee"], sort=True, as_index=False)["calls"].sum()
    out["mode"] = "sync"
    for col in ("total_ms", "mean_ms", "error_share"):
        out[col] = float("nan")
    return out[list(_CALL_COLUMNS)].astype(_CALL_COLUMNS).reset_index(drop=True)


def sync_fan_in(calls: pd.DataFrame) -> pd.DataFrame:
    """Distinct synchronous callers per callee: the hidden-bottleneck evidence.

    Columns: ``context`` (the callee), ``callers`` = number of distinct contexts calling it
    synchronously, ``calls`` = their sync calls. Sorted by callers, then calls, descending.
    """
    columns = {"context": "string", "callers": "int64", "calls": "int64"}
    sync = calls[calls["mode"] == "sync"]
    if sync.empty:
        return _empty(columns)
    out = (
        sync.groupby("callee")
        .agg(callers=("caller", "nunique"), calls=("calls", "sum"))
        .reset_index()
        .rename(columns={"callee": "context"})
        .sort_values(["callers", "calls", "context"], ascending=[False, False, True])
    )
    return out[list(columns)].astype(columns).reset_index(drop=True)


def call_chains(spans: pd.DataFrame, span_context: pd.Series, min_contexts: int = 3) -> pd.DataFrame:
    """Synchronous chains of contexts, root to leaf, and how many traces show each.

    Within a trace the spans with a context form a tree (each hangs under its nearest
    ancestor with a context); an async link starts a new tree. A span's chain is its
    parent's chain, extended by its own context when that differs from the parent's
    (consecutive repeats collapse): ``orders > billing > notifications``. Chains of the
    leaves (spans no other span hangs under synchronously) are kept when they span at least
    ``min_contexts`` distinct contexts. Columns: ``chain`` (contexts joined by " > "),
    ``traces`` (distinct traces showing it). Sorted by traces descending, then chain.
    """
    columns = {"chain": "string", "traces": "int64"}
    if len(spans) == 0:
        return _empty(columns)
    ctx, anc, _ = _callers(spans, span_context)
    names = ctx.to_numpy(dtype=object)
    node = ctx.notna().to_numpy(dtype=bool)
    up = anc["ancestor"].fillna(-1).to_numpy(dtype=np.int64, copy=True)
    up[anc["crossed"].to_numpy(dtype=bool) | ~node] = -1

    chain = np.full(len(spans), None, dtype=object)
    roots = node & (up < 0)
    chain[roots] = names[roots]
    pending = np.flatnonzero(node & (up >= 0))
    while len(pending):
        ready = np.array([chain[up[i]] is not None for i in pending], dtype=bool)
        if not ready.any():
            break  # the rest hang under a parent cycle
        for i in pending[ready]:
            above = up[i]
            chain[i] = chain[above] if names[i] == names[above] else chain[above] + CHAIN_SEPARATOR + names[i]
        pending = pending[~ready]

    has_child = np.zeros(len(spans), dtype=bool)
    has_child[up[up >= 0]] = True
    leaves = node & ~has_child & np.array([c is not None for c in chain], dtype=bool)
    seen = pd.DataFrame({"chain": chain[leaves], "trace_id": spans["trace_id"].to_numpy(dtype=object)[leaves]})
    counted = seen.drop_duplicates().groupby("chain").size().rename("traces").reset_index()
    wide = counted["chain"].map(lambda c: len(set(c.split(CHAIN_SEPARATOR))) >= min_contexts).astype(bool)
    out = counted[wide].sort_values(["traces", "chain"], ascending=[False, True])
    return out[list(columns)].astype(columns).reset_index(drop=True)


