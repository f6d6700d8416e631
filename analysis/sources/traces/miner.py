"""Spans from trace files: OTLP (JSON and protobuf), Jaeger JSON, Zipkin v2 JSON, and
Jaeger's service dependencies.

Public entry: :func:`mine_traces` ``(TraceSource, Rejects) -> SourceFrames`` with three
frames (contracts in :mod:`analysis.core.frames`):

- ``spans``: ``trace_id, span_id, parent_span_id, name, kind, service, start, end,
  duration_ms, is_error, code_namespace, code_function, http_route, db_system,
  db_fingerprint, db_tables, messaging_destination, link_count, sampling_ratio``;
- ``span_links``: ``trace_id, span_id, linked_trace_id, linked_span_id`` (OTLP links,
  Jaeger FOLLOWS_FROM and cross-trace references);
- ``service_dependencies``: ``parent, child, call_count`` (only from a
  ``jaeger-dependencies`` file: service-level runtime coupling when that is all a team has).

The streamed parts, for inputs too large to hold as one frame:

- :func:`iter_span_chunks` ``(source, rejects, stats, chunk_spans)`` yields ``(spans chunk,
  span_links chunk)`` as the file is read (the spans chunk has one more column, ``line``);
- :func:`aggregate_traces` (in :mod:`analysis.measures.runtime_stream`) folds the
  chunks into load curves, context calls and coverage counters in bounded memory.

What is read
    ``source.format`` names the format (``auto`` detects it, see
    :func:`analysis.sources.traces.formats.detect_format`); every format's shapes and
    rules are in its module under :mod:`analysis.sources.traces.formats`, the shared
    column rules (ids, times, kinds, semantic-convention names old and new, sampling
    ratio) in :mod:`analysis.sources.traces.formats.spans`. A compressed file (gzip, bzip2,
    xz) is decompressed on the fly by its magic bytes, whatever its name.

What is rejected (``Rejects``: source = the file path, location, reason)
    Lines or documents that are not JSON or not the format (a truncated last line, a
    truncated gzip stream), spans with no readable trace or span id, no start or end
    time or ending before they start, a second span with the same id in one trace
    (the first is kept), an attribute value over
    :data:`~analysis.sources.traces.formats.spans.MAX_ATTRIBUTE_CHARS` (dropped, the span
    kept), a file of no known format or of another format than configured (one reject
    for the file; nothing read). Only a missing or unreadable file raises
    :class:`~analysis.core.errors.SourceError`.

Noted, not rejected (``SourceFrames.notes``): an empty file; spans of an unknown kind
(read as UNSPECIFIED); children that start before or end after their parent (clock
skew: kept, the metrics clip them to the parent's time); lines or documents holding bytes
that are not UTF-8, read with U+FFFD (``SourceFrames.counts["lines_not_utf8"]``), every span
kept.

Damage loses only what it must: a truncated compressed stream keeps everything decompressed
before the cut; a JSON line that cannot be read is one reject standing for the spans it held
(counted by a key every span has); a one-document file that is not valid JSON is read
element by element (:mod:`~analysis.sources.traces.formats.salvage`): a damaged span is left
out, a cut document closed after its last complete span, each one reject counting its spans.

``records_read`` counts the spans met (kept, rejected, or held by a line or element that
could not be read); ``records_rejected`` every record rejected for the source by this call,
in spans (never in physical lines).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.config import TraceSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.inputs import DAMAGED_STREAM, open_bytes
from analysis.sources.traces.formats import FORMATS, HEAD_BYTES, detect_format
from analysis.sources.traces.formats.otlp_json import NOT_OTLP, parse_otlp_json, read_otlp_json
from analysis.sources.traces.formats.spans import (
    REASON_DUPLICATE,
    TraceReadStats,
    drop_duplicate_spans,
    split_function_name,
)

__all__ = [
    "mine_traces", "iter_span_chunks", "TraceReadStats",
    "NOT_OTLP", "DUPLICATE_SPAN", "split_function_name", "NOT_A_TRACE_FILE", "parse_otlp_json",
]

DUPLICATE_SPAN = REASON_DUPLICATE
NOT_A_TRACE_FILE = "not a trace file of a known format"
#: processes parsing one large OTLP/JSON lines file at most
MAX_PARSE_WORKERS = 4


def parse_workers(path) -> int:
    """Processes worth starting for ``path``: one per core (up to :data:`MAX_PARSE_WORKERS`)
    when the file spans several segments of the parallel reader, else one."""
    from analysis.sources.traces.formats.otlp_json import SEGMENT_BYTES

    try:
        size = os.stat(path).st_size
    except OSError:
        return 1
    return max(1, min(MAX_PARSE_WORKERS, os.cpu_count() or 1)) if size > SEGMENT_BYTES else 1


#: spans gathered before they are checked and packed into one frame chunk
CHUNK_SPANS = 50_000


def mine_traces(source: TraceSource, rejects: Rejects, *, cache_dir: Path | None = None,
                workers: int | None = None) -> SourceFrames:
    """Read one trace file (see the module docstring) into ``spans``, ``span_links`` and
    ``service_dependencies``; ``workers`` > 1 parses OTLP/JSON lines in that many
    processes (:func:`analysis.sources.traces.formats.otlp_json.parallel_otlp_chunks`);
    None: one per core, up to :data:`MAX_PARSE_WORKERS`, for a file of more than one
    segment, else one. ``cache_dir`` is unused (the registry caches the frames)."""
    name = str(source.path)
    if workers is None:
        workers = parse_workers(source.path)
    rejected_before = rejects.count(name)
    stats = TraceReadStats()
    fmt = resolve_format(source, rejects, stats)
    out = {"spans": frames.empty("spans"), "span_links": frames.empty("span_links"),
           "service_dependencies": frames.empty("service_dependencies")}
    if fmt == "jaeger-dependencies":
        from analysis.sources.traces.formats.jaeger_dependencies import read_dependencies

        with open_bytes(source.path) as stream:
            out["service_dependencies"] = read_dependencies(stream, name, rejects, stats)
    elif fmt is not None:
        spans, links = [], []
        for chunk, chunk_links in iter_span_chunks(source, rejects, stats, fmt=fmt, workers=workers):
            spans.append(chunk)
            if len(chunk_links):
                links.append(chunk_links)
        if spans:
            whole = spans[0] if len(spans) == 1 else pd.concat(spans, ignore_index=True)
            whole = drop_duplicate_spans(whole, name, rejects)
            out["spans"] = frames.conform(whole.drop(columns=["line"]), "spans")
            skewed = count_skewed_children(out["spans"])
            if skewed:
                stats.notes.append(f"{name}: {skewed} spans start before or end after their parent (clock skew); kept")
        if links:
            out["span_links"] = frames.conform(pd.concat(links, ignore_index=True), "span_links")
    return SourceFrames(
        frames=out,
        records_read=stats.spans_read,
        records_rejected=rejects.count(name) - rejected_before,
        notes=_notes(name, stats),
        counts={"lines_not_utf8": stats.lines_not_utf8} if stats.lines_not_utf8 else {},
    )


def resolve_format(source: TraceSource, rejects: Rejects, stats: TraceReadStats) -> str | None:
    """The configured format, or the detected one for ``auto``; None (one reject filed)
    when the file is of no known format. Raises SourceError for a missing file."""
    name = str(source.path)
    if not Path(source.path).is_file():
        raise SourceError(name, "no such file")
    if source.format != "auto":
        if source.format not in FORMATS:
            raise SourceError(name, f"unknown trace format {source.format!r}; known: auto, {', '.join(FORMATS)}")
        return source.format
    with open_bytes(source.path) as stream:
        head = read_head(stream, name)
    found = detect_format(head, Path(name).name)
    if found is None:
        rejects.add(name, "file", f"{NOT_A_TRACE_FILE} (OTLP JSON or protobuf, Jaeger JSON, Zipkin v2 JSON, Jaeger dependencies)", head[:80])
        stats.notes.append(f"{name}: not a trace file of a known format, nothing read")
    return found


def read_head(stream, name: str, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes (or fewer: the file is shorter, or its compressed stream is
    cut, which the reader files later), read with ``read1`` so nothing read is lost."""
    read = getattr(stream, "read1", None) or stream.read
    head = b""
    try:
        while len(head) < size and (block := read(size - len(head))):
            head += block
    except DAMAGED_STREAM:
        pass
    except OSError as exc:
        raise SourceError(name, f"cannot be read ({exc.strerror or exc})") from None
    return head


def iter_span_chunks(source: TraceSource, rejects: Rejects, stats: TraceReadStats | None = None, *,
                     chunk_spans: int = CHUNK_SPANS, fmt: str | None = None,
                     workers: int = 1) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """``(spans chunk, span_links chunk)`` pairs as the file is read, about
    ``chunk_spans`` spans each. A spans chunk has the contract's columns plus ``line``
    (the line a span was read from, 0 in a whole document); duplicates within the chunk
    are already dropped (across chunks they are not: that is the caller's window).
    ``workers`` > 1: OTLP/JSON lines are parsed by that many processes, chunks still in
    file order (:func:`~analysis.sources.traces.formats.otlp_json.parallel_otlp_chunks`; other formats and gzip
    files are read in this process)."""
    stats = stats if stats is not None else TraceReadStats()
    name = str(source.path)
    fmt = fmt or resolve_format(source, rejects, stats)
    if fmt is None:
        return
    if fmt == "jaeger-dependencies":
        raise SourceError(name, "a Jaeger dependencies file holds no spans")
    if fmt == "otlp-json" and workers > 1:
        from analysis.sources.traces.formats.otlp_json import parallel_otlp_chunks

        chunks = parallel_otlp_chunks(source.path, name, rejects, stats, workers=workers,
                                      chunk_spans=chunk_spans, sampling_ratio=source.sampling_ratio,
                                      named=frozenset(source.attributes))
        if chunks is not None:
            yield from chunks
            return
    reader = _span_reader(fmt)
    try:
        with open_bytes(source.path) as stream:
            for batch in reader(stream, name, rejects, stats, chunk_spans, frozenset(source.attributes)):
                chunk, links = batch.frame(name, rejects, stats, source.sampling_ratio)
                yield drop_duplicate_spans(chunk, name, rejects), links
    except OSError as exc:
        raise SourceError(name, f"cannot be read ({exc.strerror or exc})") from None


def _span_reader(fmt: str):
    if fmt == "otlp-json":
        return read_otlp_json
    if fmt == "otlp-proto":
        from analysis.sources.traces.formats.otlp_proto import read_otlp_proto
        return read_otlp_proto
    if fmt == "jaeger-json":
        from analysis.sources.traces.formats.jaeger_json import read_jaeger_json
        return read_jaeger_json
    from analysis.sources.traces.formats.zipkin_json import read_zipkin_json
    return read_zipkin_json


def count_skewed_children(spans: pd.DataFrame) -> int:
    """Spans that start before their parent starts, or end after it ends (same trace) — the
    latter only within a process: a consumer runs after its producer (or its producer's
    parent) has finished, which is how a queue works, not clock skew."""
    if spans.empty or spans["parent_span_id"].isna().all():
        return 0
    parents = spans[["trace_id", "span_id", "start", "end", "kind"]].rename(
        columns={"span_id": "parent_span_id", "start": "parent_start", "end": "parent_end", "kind": "parent_kind"})
    children = spans.loc[spans["parent_span_id"].notna(), ["trace_id", "parent_span_id", "start", "end", "kind"]]
    joined = children.merge(parents, on=["trace_id", "parent_span_id"], how="inner")
    asynchronous = (joined["kind"] == "CONSUMER") | (joined["parent_kind"] == "PRODUCER")
    return int(((joined["start"] < joined["parent_start"]) | ((joined["end"] > joined["parent_end"]) & ~asynchronous)).sum())


def _notes(name: str, stats: TraceReadStats) -> list[str]:
    notes = list(stats.notes)
    if not stats.spans_read and not stats.messages and not any("nothing read" in n for n in notes):
        notes.append(f"{name}: empty file, no spans")
    if stats.unknown_kinds:
        notes.append(f"{name}: {stats.unknown_kinds} spans had an unrecognised kind and were read as UNSPECIFIED")
    if stats.lines_not_utf8:
        notes.append(f"{name}: {stats.lines_not_utf8} lines or documents held bytes that are not UTF-8: "
                     "read with replacement characters (U+FFFD), their spans kept")
    return notes
