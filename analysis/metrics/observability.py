"""Observability: how much of the monolith the traces and SQL logs let you follow.

Inputs: the declared context names, the ``spans`` and ``statements`` frames
(:mod:`analysis.frames`), ``span_context`` (string Series aligned with ``spans``,
``<NA>`` = unassigned) and ``statement_attribution`` (the frame of
:func:`analysis.attribution.attribute_statements`, or its ``context`` Series).

:func:`coverage` returns a dict; every share comes with its numerator and denominator
(a share with a zero denominator is NaN, never an error):

=============================  ==============================  =========================
share                          numerator                       denominator
=============================  ==============================  =========================
context_span_coverage          len(contexts_with_spans)        contexts_declared
orphan_span_share              orphan_spans                    spans
broken_async_share             broken_async                    consumer_spans
sql_trace_link_share           sql_with_traceparent            sql_statements
sql_linked_to_span_share       sql_linked_to_span              sql_statements
sql_attributed_share           sql_attributed                  sql_statements
unassigned_span_share          unassigned_spans                spans
attribute_completeness[k]      [k]["with_attribute"]           [k]["spans"]
=============================  ==============================  =========================

Definitions: an *orphan* span names a parent (``parent_span_id`` set) that is not in the
data (same ``trace_id``); a *root* span names none. A *broken async* span is a CONSUMER
span with no parent in the data (root or orphan) and no span link (``link_count == 0``):
the message's trace was lost at the queue; ``broken_async_by_context`` counts consumer spans
and broken ones per context, so a loss confined to one queue is visible. *Entry points traced* = distinct ``http_route``
of SERVER spans + distinct ``messaging_destination`` of CONSUMER spans. A statement is
*linked to a span* when its ``(trace_id, parent_span_id)`` names a span of the data.
``attribute_completeness``: SERVER spans with ``http_route`` (``http_route``), INTERNAL spans
with ``code_namespace`` (``code_namespace``), db CLIENT spans with ``db_fingerprint``
(``db_fingerprint``).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from analysis.attribution import context_values, is_db_client, is_set, span_positions


def _share(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def _completeness(relevant: np.ndarray, present: np.ndarray) -> dict:
    total, found = int(relevant.sum()), int((relevant & present).sum())
    return {"with_attribute": found, "spans": total, "share": _share(found, total)}


def _by_context(ctx: pd.Series, consumer: np.ndarray, broken: np.ndarray) -> dict[str, dict[str, int]]:
    """Consumer spans and broken ones per context (unassigned under "(unassigned)")."""
    frame = pd.DataFrame({"context": ctx.fillna("(unassigned)").to_numpy(dtype=object), "consumers": consumer, "broken": broken})
    sums = frame[frame["consumers"]].groupby("context", sort=True)[["consumers", "broken"]].sum()
    return {str(c): {"consumers": int(r.consumers), "broken": int(r.broken)} for c, r in sums.iterrows()}


def coverage(
    declared_contexts: Iterable[str],
    spans: pd.DataFrame,
    span_context: pd.Series,
    statements: pd.DataFrame,
    statement_attribution: pd.DataFrame | pd.Series,
) -> dict:
    """Trace and SQL coverage figures (see the module docstring for every key)."""
    declared = sorted(set(declared_contexts))
    n_spans, n_statements = len(spans), len(statements)
    ctx = context_values(span_context, n_spans, "span_context")
    kind = spans["kind"].to_numpy(dtype=object)

    with_spans = sorted(set(ctx.dropna()) & set(declared))
    has_parent_id = is_set(spans["parent_span_id"])
    parent_found = span_positions(spans, spans["trace_id"], spans["parent_span_id"]) >= 0
    orphan = has_parent_id & ~parent_found
    consumer = kind == "CONSUMER"
    no_links = spans["link_count"].to_numpy(dtype=np.int64) == 0
    broken_async = consumer & ~parent_found & no_links

    server = kind == "SERVER"
    routes = set(spans["http_route"][server & is_set(spans["http_route"])])
    destinations = set(spans["messaging_destination"][consumer & is_set(spans["messaging_destination"])])

    traced = is_set(statements["trace_id"])
    linked = span_positions(spans, statements["trace_id"], statements["parent_span_id"]) >= 0
    attributed = int(context_values(statement_attribution, n_statements, "statement_attribution").notna().sum())
    unassigned = int(ctx.isna().sum())

    return {
        "contexts_declared": len(declared),
        "contexts_with_spans": with_spans,
        "contexts_without_spans": sorted(set(declared) - set(with_spans)),
        "context_span_coverage": _share(len(with_spans), len(declared)),
        "spans": n_spans,
        "orphan_spans": int(orphan.sum()),
        "orphan_span_share": _share(int(orphan.sum()), n_spans),
        "root_spans": int((~has_parent_id).sum()),
        "consumer_spans": int(consumer.sum()),
        "broken_async": int(broken_async.sum()),
        "broken_async_share": _share(int(broken_async.sum()), int(consumer.sum())),
        "broken_async_by_context": _by_context(ctx, consumer, broken_async),
        "entry_points_traced": len(routes) + len(destinations),
        "entry_points": {"http_routes": sorted(routes), "messaging_destinations": sorted(destinations)},
        "sql_statements": n_statements,
        "sql_with_traceparent": int(traced.sum()),
        "sql_trace_link_share": _share(int(traced.sum()), n_statements),
        "sql_linked_to_span": int(linked.sum()),
        "sql_linked_to_span_share": _share(int(linked.sum()), n_statements),
        "sql_attributed": attributed,
        "sql_attributed_share": _share(attributed, n_statements),
        "unassigned_spans": unassigned,
        "unassigned_span_share": _share(unassigned, n_spans),
        "attribute_completeness": {
            "http_route": _completeness(server, is_set(spans["http_route"])),
            "code_namespace": _completeness(kind == "INTERNAL", is_set(spans["code_namespace"])),
            "db_fingerprint": _completeness(is_db_client(spans), is_set(spans["db_fingerprint"])),
        },
    }
