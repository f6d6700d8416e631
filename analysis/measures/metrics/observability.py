"""Observability: how much of the monolith the traces and SQL logs let you follow.

Inputs: the declared context names, the ``spans`` and ``statements`` frames
(:mod:`analysis.core.frames`), ``span_context`` (string Series aligned with ``spans``,
``<NA>`` = unassigned), ``statement_attribution`` (the frame of
:func:`analysis.mapping.attribution.attribute_statements`, or its ``context`` Series) and,
optionally, ``entry_points``: the entry points known from the repository, a frame
``kind`` (``route`` | ``job`` | ``consumer``), ``name``, ``context``.

:func:`coverage` returns a dict; every share comes with its numerator and denominator
(a share with a zero denominator is NaN, never an error):

=============================  ==============================  =========================
share                          numerator                       denominator
=============================  ==============================  =========================
context_span_coverage          len(contexts_with_spans)        contexts_declared
entry_point_coverage           entry_points_declared_traced    entry_points_declared
orphan_span_share              orphan_spans                    spans
broken_trace_share             traces_with_missing_parent      traces
broken_async_share             broken_async                    consumer_spans
sql_trace_link_share           sql_with_traceparent            sql_statements
sql_linked_to_span_share       sql_linked_to_span              sql_statements
sql_attributed_share           sql_attributed                  sql_statements
sql_tied_share                 sql_tied                        sql_statements
sql_seen_in_spans_share        sql_seen_in_spans               sql_statements
sql_tied_to_traces_share       sql_tied_to_traces              sql_statements
unassigned_span_share          unassigned_spans                spans
attribute_completeness[k]      [k]["with_attribute"]           [k]["spans"]
entry_point_coverage_by_kind   [k]["traced"]                   [k]["declared"]
=============================  ==============================  =========================

Definitions: an *orphan* span names a parent (``parent_span_id`` set) that is not in the
data (same ``trace_id``); a *root* span names none. A trace *with a missing parent* holds
at least one orphan. A *broken async* span is a CONSUMER
span with no parent in the data (root or orphan) and no span link (``link_count == 0``):
the message's trace was lost at the queue; ``broken_async_by_context`` counts consumer spans
and broken ones per context, so a loss confined to one queue is visible. *Entry points traced* = distinct ``http_route``
of SERVER spans + distinct ``messaging_destination`` of CONSUMER spans. A statement is
*linked to a span* when its ``(trace_id, parent_span_id)`` names a span of the data; *seen in
the spans* when its fingerprint is the ``db_fingerprint`` of a database client span (the span
carries the statement); *tied to traces* when it carries a trace id (sqlcommenter
``traceparent``) or is seen in the spans — what "SQL tied to traces" means in the
observability verdict; *tied* (``sql_tied``) when it carries a trace id or was attributed to a
context by any rule.
``attribute_completeness``: SERVER spans with ``http_route`` (``http_route``), application
INTERNAL spans with ``code_namespace`` (``code_namespace``; framework middleware spans —
``middleware …``, ``router …``, ``request handler …`` — are not application code and are not
counted), database query spans with ``db_fingerprint`` (``db_fingerprint``; db CLIENT spans that
open a connection or check one out of a pool — ``pg.connect``, ``pg-pool.connect`` — are not
queries and are not counted), PRODUCER and CONSUMER spans with ``messaging_destination``
(``messaging_destination``), spans with ``code_namespace`` that also have ``code_function``
(``code_function``), spans with a service name other than the SDK default
``unknown_service…`` (``service``).

Declared entry points (:func:`entry_point_traces`) are matched against the spans by kind:

- ``route``: a SERVER span's ``http_route`` equal to the name once both are normalized
  (:func:`analysis.core.routes.normalize_route`: one leading slash, anchors, regex groups,
  converters, ``{id}`` and ``:id`` as one placeholder, format suffixes and the trailing slash
  dropped: ``/orders/<int:id>/`` = ``/orders/{order_id}`` = ``^orders/(?P<id>[0-9]+)/$``);
- ``job``: a span whose ``name``, ``code_namespace`` or ``code_namespace.code_function``
  equals the name (``billing.tasks.close_invoices``);
- ``consumer``: a CONSUMER span whose ``messaging_destination`` or ``name`` equals the
  name, or any span whose ``code_namespace.code_function`` does.

Entry-point names and routes are values from the inputs: the dict keeps them only under
``entry_points`` (traced routes and destinations), which reports leave out; the declared
entry points come back by name only from :func:`entry_point_traces`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.core.routes import normalize_route
from analysis.mapping.span_tree import context_values, is_db_client, is_set, span_positions

#: Kinds of declared entry points :func:`entry_point_traces` can match.
ENTRY_POINT_KINDS = ("route", "job", "consumer")



#: Span names of framework middleware (not application code): Express, Koa, Fastify, Connect...
FRAMEWORK_SPAN = r"(?i)^(?:middleware|router|request handler)\b"
#: Span names of database clients opening or pooling connections (not queries).
CONNECTION_SPAN = r"(?i)(?:^|[.\s_-])(?:connect|pool\.connect|checkout|acquire)$"


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


def entry_point_traces(entry_points: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """Whether each declared entry point shows up in the spans (rules: module docstring).

    Columns: ``kind``, ``name``, ``context`` (as given), ``spans`` (matching spans, int),
    ``traced`` (bool). One row per distinct (kind, name, context), in input order. An
    unknown kind raises ValueError naming the valid ones.
    """
    return entry_point_matches(entry_points, entry_point_counts(spans))


def entry_point_counts(spans: pd.DataFrame) -> dict[str, pd.Series]:
    """Per kind of entry point, the spans each key names (rules: module docstring): routes
    normalized, job and consumer names as recorded."""
    kind = spans["kind"].astype("string")
    namespace, function = spans["code_namespace"].astype("string"), spans["code_function"].astype("string")
    qualified = (namespace + "." + function).dropna()
    routes = spans["http_route"][(kind == "SERVER") & spans["http_route"].notna()].map(normalize_route)
    consumer = kind == "CONSUMER"
    return {
        "route": routes.value_counts(),
        "job": pd.concat([spans["name"], namespace.dropna(), qualified]).value_counts(),
        "consumer": pd.concat([spans["messaging_destination"][consumer].dropna(), spans["name"][consumer], qualified]).value_counts(),
    }


def entry_point_matches(entry_points: pd.DataFrame, counts: dict[str, pd.Series]) -> pd.DataFrame:
    """:func:`entry_point_traces` from the spans per key of :func:`entry_point_counts` (or
    the same counts computed where the spans live)."""
    columns = {"kind": "string", "name": "string", "context": "string", "spans": "int64", "traced": "bool"}
    points = entry_points.reindex(columns=["kind", "name", "context"]).astype("string")
    points = points.dropna(subset=["kind", "name"]).drop_duplicates().reset_index(drop=True)
    unknown = sorted(set(points["kind"]) - set(ENTRY_POINT_KINDS))
    if unknown:
        raise ValueError(f"entry point kinds {unknown} unknown; valid: {', '.join(ENTRY_POINT_KINDS)}")
    found = []
    for row in points.itertuples(index=False):
        key = normalize_route(row.name) if row.kind == "route" else row.name
        found.append(int(counts[row.kind].get(key, 0)))
    points["spans"] = pd.Series(found, dtype="int64")
    points["traced"] = points["spans"] > 0
    return points[list(columns)].astype(columns)


def _entry_point_figures(entry_points: pd.DataFrame | None, spans: pd.DataFrame) -> dict:
    if entry_points is None:
        return {"entry_points_given": False, "entry_points_declared": 0, "entry_points_declared_traced": 0,
                "entry_point_coverage": float("nan"), "entry_point_coverage_by_kind": {}}
    return entry_point_figures(entry_point_traces(entry_points, spans))


def entry_point_figures(traced: pd.DataFrame) -> dict:
    """The coverage figures of the inventory from :func:`entry_point_traces`' rows."""
    by_kind = {}
    for kind in ENTRY_POINT_KINDS:
        rows = traced[traced["kind"] == kind]
        if len(rows):
            by_kind[kind] = {"declared": len(rows), "traced": int(rows["traced"].sum()),
                             "share": _share(int(rows["traced"].sum()), len(rows))}
    return {
        "entry_points_given": True,
        "entry_points_declared": len(traced),
        "entry_points_declared_traced": int(traced["traced"].sum()),
        "entry_point_coverage": _share(int(traced["traced"].sum()), len(traced)),
        "entry_point_coverage_by_kind": by_kind,
    }


def coverage(
    declared_contexts: Iterable[str],
    spans: pd.DataFrame,
    span_context: pd.Series,
    statements: pd.DataFrame,
    statement_attribution: pd.DataFrame | pd.Series,
    *,
    entry_points: pd.DataFrame | None = None,
) -> dict:
    """Trace and SQL coverage figures (see the module docstring for every key).

    Without ``entry_points`` the declared-entry-point figures are 0 / NaN and
    ``entry_points_given`` is False.
    """
    declared = sorted(set(declared_contexts))
    n_spans = len(spans)
    ctx = context_values(span_context, n_spans, "span_context")
    kind = spans["kind"].to_numpy(dtype=object)

    with_spans = sorted(set(pd.unique(ctx.dropna())) & set(declared))
    has_parent_id = is_set(spans["parent_span_id"])
    parent_found = span_positions(spans, spans["trace_id"], spans["parent_span_id"]) >= 0
    orphan = has_parent_id & ~parent_found
    consumer = kind == "CONSUMER"
    no_links = spans["link_count"].to_numpy(dtype=np.int64) == 0
    broken_async = consumer & ~parent_found & no_links
    trace_ids = spans["trace_id"].astype("string")
    n_traces = int(trace_ids.nunique())
    broken_traces = int(trace_ids[orphan].nunique())

    server = kind == "SERVER"
    routes = set(pd.unique(spans["http_route"][server & is_set(spans["http_route"])]))
    destinations = set(pd.unique(spans["messaging_destination"][consumer & is_set(spans["messaging_destination"])]))

    linked_rows = span_positions(spans, statements["trace_id"], statements["parent_span_id"]) >= 0
    sql = sql_figures(statements, statement_attribution, linked_rows, set(pd.unique(spans["db_fingerprint"].dropna())))
    unassigned = int(ctx.isna().sum())
    messaging = (kind == "PRODUCER") | consumer
    has_namespace = is_set(spans["code_namespace"])
    names = spans["name"].astype("string").fillna("")
    framework = names.str.contains(FRAMEWORK_SPAN, regex=True).to_numpy(dtype=bool)
    connecting = names.str.contains(CONNECTION_SPAN, regex=True).to_numpy(dtype=bool) & ~is_set(spans["db_fingerprint"])
    named_service = ~spans["service"].astype("string").fillna("").str.startswith("unknown_service").to_numpy(dtype=bool)

    return {
        "contexts_declared": len(declared),
        "contexts_with_spans": with_spans,
        "contexts_without_spans": sorted(set(declared) - set(with_spans)),
        "context_span_coverage": _share(len(with_spans), len(declared)),
        "spans": n_spans,
        "orphan_spans": int(orphan.sum()),
        "orphan_span_share": _share(int(orphan.sum()), n_spans),
        "root_spans": int((~has_parent_id).sum()),
        "traces": n_traces,
        "traces_with_missing_parent": broken_traces,
        "broken_trace_share": _share(broken_traces, n_traces),
        "consumer_spans": int(consumer.sum()),
        "broken_async": int(broken_async.sum()),
        "broken_async_share": _share(int(broken_async.sum()), int(consumer.sum())),
        "broken_async_by_context": _by_context(ctx, consumer, broken_async),
        "entry_points_traced": len(routes) + len(destinations),
        "entry_points": {"http_routes": sorted(routes), "messaging_destinations": sorted(destinations)},
        **_entry_point_figures(entry_points, spans),
        **sql,
        "unassigned_spans": unassigned,
        "unassigned_span_share": _share(unassigned, n_spans),
        "attribute_completeness": {
            "http_route": _completeness(server, is_set(spans["http_route"])),
            "code_namespace": _completeness((kind == "INTERNAL") & ~framework, has_namespace),
            "db_fingerprint": _completeness(is_db_client(spans) & ~connecting, is_set(spans["db_fingerprint"])),
            "messaging_destination": _completeness(messaging, is_set(spans["messaging_destination"])),
            "code_function": _completeness(has_namespace, is_set(spans["code_function"])),
            "service": _completeness(np.ones(n_spans, dtype=bool), named_service),
        },
    }


def sql_figures(statements: pd.DataFrame, statement_attribution: pd.DataFrame | pd.Series, linked_rows: np.ndarray,
                span_fingerprints: set) -> dict:
    """The ``sql_*`` figures of :func:`coverage` (executions weighted): ``linked_rows``, per
    statement, whether its traceparent names a span; ``span_fingerprints``: the fingerprints
    of the database spans."""
    weight = statements["executions"].to_numpy(dtype=np.int64)
    traced_rows = is_set(statements["trace_id"])
    attributed_mask = context_values(statement_attribution, len(statements), "statement_attribution").notna().to_numpy(dtype=bool)
    n_statements = int(weight.sum())
    traced, linked = int(weight[traced_rows].sum()), int(weight[np.asarray(linked_rows, dtype=bool)].sum())
    attributed = int(weight[attributed_mask].sum())
    tied = int(weight[traced_rows | attributed_mask].sum())
    seen_rows = (statements["fingerprint"].isin(span_fingerprints).to_numpy(dtype=bool) if span_fingerprints
                 else np.zeros(len(statements), dtype=bool))
    seen, tied_to_traces = int(weight[seen_rows].sum()), int(weight[traced_rows | seen_rows].sum())
    return {
        "sql_statements": n_statements,
        "sql_with_traceparent": traced,
        "sql_trace_link_share": _share(traced, n_statements),
        "sql_linked_to_span": linked,
        "sql_linked_to_span_share": _share(linked, n_statements),
        "sql_attributed": attributed,
        "sql_attributed_share": _share(attributed, n_statements),
        "sql_tied": tied,
        "sql_tied_share": _share(tied, n_statements),
        "sql_seen_in_spans": seen,
        "sql_seen_in_spans_share": _share(seen, n_statements),
        "sql_tied_to_traces": tied_to_traces,
        "sql_tied_to_traces_share": _share(tied_to_traces, n_statements),
    }
