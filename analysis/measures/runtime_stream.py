"""Streamed aggregation: load curves, context calls and coverage counters of a trace file
too large to hold as one ``spans`` frame, in memory that does not grow with the file.

:func:`aggregate_traces` ``(chunks, span_context_fn, bucket_minutes=5, *,
window_spans=200_000) -> TraceAggregates``.

How: spans come in chunks (read by :func:`analysis.sources.traces.iter_span_chunks`) and are kept
in a window of *open* traces. When a new chunk arrives, the open traces none of whose
spans are in it are *closed*, and every trace once more than ``window_spans`` spans are
open; closed traces wait until more than ``window_spans`` of their spans are gathered
(so at most about twice ``window_spans`` spans are held) and form a group: the group's
spans are measured with the
metric functions themselves (:func:`analysis.measures.metrics.load.load_curves`,
:func:`analysis.measures.coupling.runtime.context_calls`,
:func:`analysis.measures.metrics.observability.coverage`) and dropped; per-group results are
summed. The assumption, true of exporters that batch spans as traces end (the OpenTelemetry
Collector, Jaeger, Zipkin): the spans of one trace arrive close together. A span of an
already closed trace is measured with a later group, where its parent is missing (unless
the closed trace is still waiting to be measured, then they meet again); such spans are
counted (``late_spans``, and ``late_spans_with_parent`` among them — parents
that arrived outside the window) and show as orphans in the coverage figures, so a window
too small for the exporter is visible rather than silent.

``span_context_fn(spans) -> Series`` maps a frame of whole traces to each span's context
(``<NA>`` unassigned), e.g. ``ContextMap.assign_spans`` followed by inheritance from the
nearest ancestor; it is called once per group.

What is summed: ``load_curves`` rows by (context, bucket), zero-filled over the whole time
range at the end (columns of ``load_curves``); ``context_calls`` by (caller, callee, mode):
``calls`` and ``total_ms`` added, errors = error_share × calls added, then ``mean_ms`` and
``error_share`` recomputed; coverage counts added and shares recomputed, sets (contexts
seen, entry points) united. Span links count only within a group.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core import frames

#: open spans above which every open trace is closed (bounds memory; see the module docstring)
WINDOW_SPANS = 200_000
#: groups of closed trace ids remembered to recognise late spans
_LATE_HORIZON_GROUPS = 4

SpanContextFn = Callable[[pd.DataFrame], pd.Series]

_SUMMED_COVERAGE = ("spans", "orphan_spans", "root_spans", "traces", "traces_with_missing_parent",
                    "consumer_spans", "broken_async", "unassigned_spans")


@dataclass
class TraceAggregates:
    """What :func:`aggregate_traces` measured.

    ``load_curves``: ``context, bucket, requests, spans, self_time_ms`` (and ``scaled`` when
    the load metric gives it), as :func:`analysis.measures.metrics.load.load_curves` on the whole
    file. ``context_calls``: ``caller, callee, mode, calls, total_ms, mean_ms,
    error_share``. ``coverage``: the trace figures of
    :func:`analysis.measures.metrics.observability.coverage` that are sums or unions (``spans``,
    ``orphan_spans``, ``orphan_span_share``, ``root_spans``, ``traces``,
    ``traces_with_missing_parent``, ``broken_trace_share``, ``consumer_spans``,
    ``broken_async``, ``broken_async_share``, ``unassigned_spans``,
    ``unassigned_span_share``, ``entry_points``, ``entry_points_traced``,
    ``attribute_completeness``) plus ``contexts_seen``.
    """

    load_curves: pd.DataFrame
    context_calls: pd.DataFrame
    coverage: dict
    spans_kept: int
    duplicate_spans: int
    late_spans: int
    late_spans_with_parent: int
    groups: int
    peak_open_spans: int
    notes: list[str] = field(default_factory=list)


def aggregate_traces(
    chunks: Iterable[tuple[pd.DataFrame, pd.DataFrame]],
    span_context_fn: SpanContextFn,
    bucket_minutes: float = 5,
    *,
    window_spans: int = WINDOW_SPANS,
) -> TraceAggregates:
    """Fold ``(spans chunk, span_links chunk)`` pairs, in file order, into load curves,
    context calls and coverage counters (see the module docstring). The chunks come from
    :func:`analysis.sources.traces.iter_span_chunks`; a span whose ``(trace_id, span_id)``
    was already measured in its group is dropped and counted (``duplicate_spans``)."""
    folder = _Folder(span_context_fn, bucket_minutes)
    open_spans: pd.DataFrame | None = None
    open_links: list[pd.DataFrame] = []
    recent_closed: deque[set] = deque(maxlen=_LATE_HORIZON_GROUPS)
    peak = 0
    for chunk, links in chunks:
        if recent_closed and len(chunk):
            closed_before = set().union(*recent_closed)
            late = _among(chunk["trace_id"], list(closed_before))
            folder.late_spans += int(late.sum())
            folder.late_with_parent += int((late & chunk["parent_span_id"].notna().to_numpy()).sum())
        if open_spans is None or open_spans.empty:
            open_spans = chunk
        else:
            continuing = _among(open_spans["trace_id"], chunk["trace_id"])
            closed = open_spans[~continuing]
            if len(closed):
                recent_closed.append(set(pd.unique(closed["trace_id"].to_numpy(dtype=object))))
                folder.collect(closed, _links_of(open_links, closed), window_spans)
            open_spans = pd.concat([open_spans[continuing], chunk], ignore_index=True)
        if len(links):
            open_links.append(links)
        peak = max(peak, len(open_spans))
        if len(open_spans) > window_spans:
            recent_closed.append(set(pd.unique(open_spans["trace_id"].to_numpy(dtype=object))))
            folder.collect(open_spans, _links_of(open_links, open_spans), 0)
            open_spans, open_links = None, []
        elif open_links:
            open_links = [_links_of(open_links, open_spans)]
    if open_spans is not None and len(open_spans):
        folder.collect(open_spans, _links_of(open_links, open_spans), 0)
    folder.collect(None, None, 0)
    notes = []
    if folder.late_spans:
        notes.append(f"{folder.late_spans} spans arrived after their trace had left the window "
                     f"of {window_spans} open spans ({folder.late_with_parent} with a parent measured apart)")
    return TraceAggregates(
        load_curves=folder.curves(bucket_minutes),
        context_calls=folder.calls(),
        coverage=folder.coverage(),
        spans_kept=folder.spans_kept,
        duplicate_spans=folder.duplicate_spans,
        late_spans=folder.late_spans,
        late_spans_with_parent=folder.late_with_parent,
        groups=folder.groups,
        peak_open_spans=peak,
        notes=notes,
    )


def _links_of(parts: list[pd.DataFrame], spans: pd.DataFrame) -> pd.DataFrame:
    if not parts:
        return frames.empty("span_links")
    links = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return links[_among(links["trace_id"], spans["trace_id"])].reset_index(drop=True)


def _among(values: pd.Series, wanted) -> np.ndarray:
    """Per value, whether it is one of ``wanted`` (hashed in Arrow; missing is never)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    found = pc.is_in(pa.array(values.astype("string").array), value_set=pa.array(wanted, type=pa.string()).unique())
    return found.fill_null(False).to_numpy(zero_copy_only=False)


class _Folder:
    """Per-group measurements, summed."""

    def __init__(self, span_context_fn: SpanContextFn, bucket_minutes: float):
        self.span_context_fn = span_context_fn
        self.bucket_minutes = bucket_minutes
        self.curve_parts: list[pd.DataFrame] = []
        self.call_parts: list[pd.DataFrame] = []
        self.counts = dict.fromkeys(_SUMMED_COVERAGE, 0)
        self.completeness: dict[str, list[int]] = {}
        self.routes: set = set()
        self.destinations: set = set()
        self.contexts: set = set()
        self.late_spans = self.late_with_parent = self.groups = self.spans_kept = self.duplicate_spans = 0
        self.waiting: list[tuple[pd.DataFrame, pd.DataFrame]] = []
        self.waiting_spans = 0

    def collect(self, spans: pd.DataFrame | None, links: pd.DataFrame | None, at_least: int) -> None:
        """Gather closed traces; measure them together once more than ``at_least`` spans
        are waiting (fewer, larger groups cost less per span)."""
        if spans is not None and len(spans):
            self.waiting.append((spans, links))
            self.waiting_spans += len(spans)
        if self.waiting and self.waiting_spans > at_least:
            parts, self.waiting, self.waiting_spans = self.waiting, [], 0
            spans = parts[0][0] if len(parts) == 1 else pd.concat([p[0] for p in parts], ignore_index=True)
            links = pd.concat([p[1] for p in parts], ignore_index=True)
            self.measure(spans, links)

    def measure(self, spans: pd.DataFrame, links: pd.DataFrame) -> None:
        from analysis.measures.coupling import runtime
        from analysis.measures.metrics import load, observability

        duplicate = spans.duplicated(["trace_id", "span_id"], keep="first").to_numpy()
        if duplicate.any():
            self.duplicate_spans += int(duplicate.sum())
            spans = spans[~duplicate]
        spans = frames.conform(spans.drop(columns=["line"], errors="ignore"), "spans")
        if spans.empty:
            return
        self.groups += 1
        self.spans_kept += len(spans)
        context = self.span_context_fn(spans)
        self.contexts |= set(context.dropna().unique())
        self.curve_parts.append(load.load_curves(spans, context, bucket_minutes=self.bucket_minutes))
        calls = runtime.context_calls(spans, context, links if len(links) else None)
        if len(calls):
            calls = calls.assign(errors=calls["error_share"] * calls["calls"])
            self.call_parts.append(calls)
        figures = observability.coverage([], spans, context, frames.empty("statements"), pd.Series([], dtype="string"))
        for key in _SUMMED_COVERAGE:
            self.counts[key] += int(figures[key])
        for key, part in figures["attribute_completeness"].items():
            total = self.completeness.setdefault(key, [0, 0])
            total[0] += int(part["with_attribute"])
            total[1] += int(part["spans"])
        self.routes |= set(figures["entry_points"]["http_routes"])
        self.destinations |= set(figures["entry_points"]["messaging_destinations"])
        self._compact()

    def _compact(self) -> None:
        """Keep the summed parts small: fold them every so often."""
        if len(self.curve_parts) >= 32:
            self.curve_parts = [_sum_curves(self.curve_parts)]
        if len(self.call_parts) >= 32:
            self.call_parts = [_sum_calls(self.call_parts)]

    def curves(self, bucket_minutes: float) -> pd.DataFrame:
        from analysis.measures.metrics import load

        if not self.curve_parts:
            return load.load_curves(frames.empty("spans"), pd.Series([], dtype="string"), bucket_minutes=bucket_minutes)
        summed = _sum_curves(self.curve_parts)
        template = self.curve_parts[0]
        if summed.empty:
            return template.iloc[:0]
        width = pd.Timedelta(minutes=bucket_minutes)
        buckets = pd.date_range(summed["bucket"].min(), summed["bucket"].max(), freq=width)
        contexts = sorted(summed["context"].unique())
        full = pd.MultiIndex.from_product([contexts, buckets], names=["context", "bucket"])
        value_columns = [c for c in summed.columns if c not in ("context", "bucket")]
        out = summed.set_index(["context", "bucket"])[value_columns].reindex(full, fill_value=0).reset_index()
        if "scaled" in out:
            out["scaled"] = bool(summed["scaled"].any())
        return out[list(template.columns)].astype(template.dtypes.to_dict()).reset_index(drop=True)

    def calls(self) -> pd.DataFrame:
        from analysis.measures.coupling import runtime

        if not self.call_parts:
            return runtime.context_calls(frames.empty("spans"), pd.Series([], dtype="string"))
        summed = _sum_calls(self.call_parts)
        summed["mean_ms"] = summed["total_ms"] / summed["calls"]
        summed["error_share"] = summed["errors"] / summed["calls"]
        summed = summed.sort_values(["calls", "caller", "callee", "mode"], ascending=[False, True, True, True])
        template = self.call_parts[0].drop(columns=["errors"])
        return summed[list(template.columns)].astype(template.dtypes.to_dict()).reset_index(drop=True)

    def coverage(self) -> dict:
        c = self.counts
        return {
            **c,
            "orphan_span_share": _share(c["orphan_spans"], c["spans"]),
            "broken_trace_share": _share(c["traces_with_missing_parent"], c["traces"]),
            "broken_async_share": _share(c["broken_async"], c["consumer_spans"]),
            "unassigned_span_share": _share(c["unassigned_spans"], c["spans"]),
            "entry_points": {"http_routes": sorted(self.routes), "messaging_destinations": sorted(self.destinations)},
            "entry_points_traced": len(self.routes) + len(self.destinations),
            "contexts_seen": sorted(self.contexts),
            "attribute_completeness": {
                key: {"with_attribute": found, "spans": total, "share": _share(found, total)}
                for key, (found, total) in sorted(self.completeness.items())
            },
        }


def _sum_curves(parts: list[pd.DataFrame]) -> pd.DataFrame:
    whole = pd.concat(parts, ignore_index=True)
    numeric = [c for c in whole.columns if c not in ("context", "bucket", "scaled")]
    out = whole.groupby(["context", "bucket"], as_index=False, sort=True)[numeric].sum()
    if "scaled" in whole:
        out["scaled"] = bool(whole["scaled"].any())
    return out[list(whole.columns)]


def _sum_calls(parts: list[pd.DataFrame]) -> pd.DataFrame:
    whole = pd.concat(parts, ignore_index=True)
    out = whole.groupby(["caller", "callee", "mode"], as_index=False, sort=True)[["calls", "total_ms", "errors"]].sum()
    out["mean_ms"] = out["total_ms"] / out["calls"]
    out["error_share"] = out["errors"] / out["calls"]
    return out


def _share(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")
