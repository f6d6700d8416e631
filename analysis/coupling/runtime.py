"""Runtime coupling: calls between bounded contexts seen in traces.

Inputs: the ``spans`` frame (:mod:`analysis.frames`) and ``span_context``, a string Series
aligned with it (``<NA>`` = unassigned, from ``ContextMap.assign_spans``).

A *call* caller -> callee is a span with a context (the callee) whose nearest proper
ancestor with a context, walking up the parent chain within the trace past unassigned
spans, has another context (the caller). A span whose parent is missing from the data is
an orphan and makes no call (observability counts orphans).

A call is *async* when any parent link on the way from the callee span up to the caller's
span crosses a message boundary: the child of the link is a CONSUMER span or its parent is
a PRODUCER span. Otherwise it is *sync*: the caller waits for the callee.

- :func:`context_calls` -> ``caller, callee, mode, calls, total_ms, mean_ms, error_share``
- :func:`sync_fan_in` -> ``context, callers, calls``
- :func:`call_chains` -> ``chain, traces``
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.attribution import context_ancestors, context_values, span_parents

CHAIN_SEPARATOR = " > "

_CALL_COLUMNS = {
    "caller": "string", "callee": "string", "mode": "string", "calls": "int64",
    "total_ms": "float64", "mean_ms": "float64", "error_share": "float64",
}


def async_links(spans: pd.DataFrame, parents: np.ndarray) -> np.ndarray:
    """Per span, whether the link to its parent crosses a message boundary.

    True when the span is a CONSUMER or its parent (if present) is a PRODUCER.
    """
    kind = spans["kind"].to_numpy(dtype=object)
    consumer = kind == "CONSUMER"
    producer = kind == "PRODUCER"
    parent_is_producer = np.zeros(len(spans), dtype=bool)
    has_parent = parents >= 0
    parent_is_producer[has_parent] = producer[parents[has_parent]]
    return consumer | parent_is_producer


def _callers(spans: pd.DataFrame, span_context: pd.Series) -> tuple[pd.Series, pd.DataFrame]:
    parents = span_parents(spans)
    ctx = context_values(span_context, len(spans), "span_context")
    anc = context_ancestors(spans, ctx, async_links(spans, parents), parents=parents).reset_index(drop=True)
    return ctx, anc


def context_calls(spans: pd.DataFrame, span_context: pd.Series) -> pd.DataFrame:
    """Calls between contexts, per caller, callee and mode.

    Columns: ``caller``, ``callee``, ``mode`` (``sync`` | ``async``), ``calls`` (callee spans),
    ``total_ms`` = sum of the callee spans' ``duration_ms`` (latency the callee adds to the
    caller), ``mean_ms`` = total_ms / calls, ``error_share`` = callee spans with ``is_error``
    / calls. Sorted by calls descending, then caller, callee, mode.
    """
    if len(spans) == 0:
        return _empty(_CALL_COLUMNS)
    ctx, anc = _callers(spans, span_context)
    crosses = ctx.notna() & anc["context"].notna() & (ctx != anc["context"]).fillna(False)
    crosses = crosses.to_numpy(dtype=bool)
    calls = pd.DataFrame(
        {
            "caller": anc["context"].to_numpy(dtype=object)[crosses],
            "callee": ctx.to_numpy(dtype=object)[crosses],
            "mode": np.where(anc["crossed"].to_numpy(dtype=bool)[crosses], "async", "sync"),
            "duration_ms": spans["duration_ms"].to_numpy(dtype=float)[crosses],
            "is_error": spans["is_error"].to_numpy(dtype=bool)[crosses],
        }
    )
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
    ctx, anc = _callers(spans, span_context)
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


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
