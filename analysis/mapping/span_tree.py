"""The span tree: parents, nearest assigned ancestors and async boundaries.

A span's parent is the span with the same ``trace_id`` whose ``span_id`` is its
``parent_span_id``. A parent id that names no span of the data makes an *orphan*; a span
that names itself as its parent is treated as having none. Among spans sharing one
``(trace_id, span_id)`` the first row is the one looked up.

:func:`context_ancestors` — for every span, the nearest *proper* ancestor that has a
context (walking past unassigned spans). Pointer jumping: each round either resolves a
span or doubles the distance its pointer covers, so a chain of depth ``d`` takes
``log2(d)`` rounds; spans caught in a parent cycle stay unresolved (``<NA>``).

:func:`async_links` — whether the way from a span to its parent crosses a message boundary
(a consumer, or a producer's child): contexts are never inherited across one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Pointer-jumping rounds: 2**64 levels is deeper than any trace; cycles stop here.
_MAX_ROUNDS = 64



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
