"""OTLP/JSON: ``TracesData`` / ``ExportTraceServiceRequest`` in the protobuf JSON mapping.

Shape: ``{"resourceSpans": [{"resource": {"attributes": [...]}, "scopeSpans": [{"spans":
[...]}]}]}`` (the pre-1.0 ``instrumentationLibrarySpans`` is read too), possibly wrapped
in Jaeger's api_v3 envelope ``{"result": {...}}``. Two file layouts:

- JSON lines, one request per line, as the OpenTelemetry Collector's ``file`` exporter
  writes them: read line by line, so memory holds one line and one chunk of spans;
- one JSON document spanning the file (its first line alone is not JSON): read whole.

Per span: ``traceId`` / ``spanId`` / ``parentSpanId`` in hex of any case or base64;
``startTimeUnixNano`` / ``endTimeUnixNano`` as strings or numbers; ``kind`` as number or
name; ``status.code`` 2 / ``STATUS_CODE_ERROR`` is an error; ``links`` counted (and kept in
``span_links``); ``traceState`` read for the sampling ratio; ``service.name`` from the
resource; attributes as in :mod:`analysis.sources.traces.formats.spans` (``intValue`` as
string or number). No other attribute value is read.

Rejects: a line that is not JSON (``invalid JSON: …``), a JSON value that is not OTLP
(:data:`NOT_OTLP`), structure that is not what the encoding says (``spans is not a
list``…), and the span-level reasons of :mod:`~analysis.sources.traces.formats.spans`.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

import orjson

if TYPE_CHECKING:  # pandas is imported by the spans module the readers use; named here for the annotations
    import pandas as pd

from analysis.core.rejects import Rejects
from analysis.sources.inputs import DAMAGED_STREAM, compression_of
from analysis.sources.traces.formats.salvage import Repair, decode_json, salvage_json
from analysis.sources.traces.formats.spans import (
    CODE_FUNCTION,
    CODE_NAMESPACE,
    ERROR_CODES,
    HTTP_ROUTE,
    MAX_ATTRIBUTE_CHARS,
    REASON_NOT_OBJECT,
    REASON_OVERSIZED,
    SAMPLER_PARAM,
    SAMPLING_PROBABILITY,
    UNKNOWN_SERVICE,
    WANTED_ATTRIBUTES,
    SpanBatch,
    TraceReadStats,
    attribute_text,
    db_columns,
    drop_duplicate_spans,
    named_attributes,
    sampling_ratio_of_attributes,
    sampling_ratio_of_tracestate,
    semantic_columns,
    spans_in,
)

NOT_OTLP = "not OTLP/JSON (no resourceSpans)"
#: Every OTLP/JSON span has this key once: the spans a lost line held (:func:`spans_in`).
SPAN_KEY = b'"startTimeUnixNano"'
_NAN = float("nan")
_BLOCK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"


def resource_spans_of(message: object) -> object | None:
    """The ``resourceSpans`` of one decoded message, or None when it is not OTLP/JSON.

    Unwraps the api_v3 envelope ``{"result": {...}}``; ``{}`` and ``"resourceSpans":
    null`` are OTLP with no spans.
    """
    if message.__class__ is dict and "resourceSpans" not in message and "result" in message:
        message = message["result"]
    if message.__class__ is not dict:
        return None
    if "resourceSpans" in message:
        found = message["resourceSpans"]
        return [] if found is None else found
    return [] if not message else None


class OtlpJsonReader:
    """Decoded OTLP/JSON messages into a :class:`SpanBatch`, rejects filed as it goes."""

    def __init__(self, source: str, rejects: Rejects, stats: TraceReadStats, named: frozenset[str] = frozenset()):
        self.source = source
        self.rejects = rejects
        self.stats = stats
        #: attributes the context map's rules name: kept in the ``attributes`` column
        self.named = named
        self.otlp_messages = 0
        self.json_values = 0
        self.batch = SpanBatch()

    def add_message(self, batch: SpanBatch, message: object, line: int) -> None:
        """Every span of one decoded message; ``line`` 0 for a whole document."""
        self.json_values += 1
        found = resource_spans_of(message)
        at = f"line {line} " if line else ""
        if found is None:
            self.rejects.add(self.source, f"line {line}" if line else "document", NOT_OTLP)
            return
        self.otlp_messages += 1
        self.stats.messages += 1
        if found.__class__ is not list:
            self.rejects.add(self.source, f"{at}resourceSpans", "resourceSpans is not a list")
            return
        for i, rs in enumerate(found):
            if rs.__class__ is not dict:
                self.rejects.add(self.source, f"{at}resourceSpans[{i}]", "resourceSpans entry is not an object")
                continue
            resource = _attributes(rs.get("resource"), self, f"{at}resourceSpans[{i}].resource")
            service = resource.get("service.name") or UNKNOWN_SERVICE
            resource_ratio = sampling_ratio_of_attributes(resource)
            resource_named = {k: v for k, v in resource.items() if k in self.named} if self.named else None
            key = "scopeSpans" if "scopeSpans" in rs else "instrumentationLibrarySpans"
            scopes = rs.get(key) or []
            if scopes.__class__ is not list:
                self.rejects.add(self.source, f"{at}resourceSpans[{i}]", f"{key} is not a list")
                continue
            for j, scope in enumerate(scopes):
                where = f"resourceSpans[{i}].{key}[{j}]"
                if scope.__class__ is not dict:
                    self.rejects.add(self.source, f"{at}{where}", f"{key} entry is not an object")
                    continue
                spans = scope.get("spans")
                if spans.__class__ is not list:
                    if spans is not None:
                        self.rejects.add(self.source, f"{at}{where}", "spans is not a list")
                    continue
                self._spans(batch, spans, service, resource_ratio, where, line, resource_named)

    def _spans(self, batch: SpanBatch, spans: list, service: str, resource_ratio: float | None, where: str, line: int,
               resource_named: dict[str, str] | None = None) -> None:
        a = batch.append
        a_trace, a_span, a_parent, a_name, a_kind = a["trace_id"], a["span_id"], a["parent_span_id"], a["name"], a["kind"]
        a_service, a_start, a_end, a_error = a["service"], a["start"], a["end"], a["is_error"]
        a_ns, a_fn, a_route, a_dbs = a["code_namespace"], a["code_function"], a["http_route"], a["db_system"]
        a_fp, a_tables, a_dest, a_links, a_ratio = a["db_fingerprint"], a["db_tables"], a["messaging_destination"], a["link_count"], a["sampling_ratio"]
        a_where, a_line, a_index, a_attributes = a["where"], a["line"], a["index"], a["attributes"]
        links_out = batch.links
        named = self.named
        wanted = WANTED_ATTRIBUTES | named if named else WANTED_ATTRIBUTES
        errors = ERROR_CODES
        default_ratio = _NAN if resource_ratio is None else resource_ratio
        stats = self.stats
        stats.spans_read += len(spans)
        source, rejects = self.source, self.rejects
        for k, span in enumerate(spans):
            # every value is computed before the first append, so a malformed span (a
            # list where an object belongs...) leaves the columns aligned
            try:
                g = span.get
                name = g("name")
                if name.__class__ is not str:
                    name = "" if name is None else str(name)
                status = g("status")
                code = status.get("code") if status else None
                ratio = default_ratio
                state = g("traceState")
                if state:
                    from_state = sampling_ratio_of_tracestate(state)
                    if from_state is not None:
                        ratio = from_state
                namespace = function = route = db_system = destination = fingerprint = tables = kept = None
                found = None
                attributes = g("attributes")
                if attributes:
                    for attr in attributes:
                        key = attr.get("key")
                        if key in wanted:
                            value = attr.get("value")
                            text = value.get("stringValue") if value.__class__ is dict else None
                            if text.__class__ is not str:
                                text = attribute_text(value)
                            if text:
                                if len(text) > MAX_ATTRIBUTE_CHARS:
                                    self._oversized(line, where, k, key, len(text))
                                    continue
                                if found is None:
                                    found = {key: text}
                                else:
                                    found[key] = text
                    if found is not None:
                        # the two commonest shapes spelled out; semantic_columns gives the same
                        if len(found) == 1 and HTTP_ROUTE in found:
                            route = found[HTTP_ROUTE]
                            statement = collection = None
                        elif len(found) == 2 and CODE_NAMESPACE in found and CODE_FUNCTION in found:
                            namespace, function = found[CODE_NAMESPACE], found[CODE_FUNCTION]
                            statement = collection = None
                        else:
                            namespace, function, route, db_system, statement, destination, collection = semantic_columns(found)
                        if statement is not None or collection is not None:
                            name, fingerprint, tables = db_columns(name, statement, db_system, collection)
                        if state is None and (SAMPLING_PROBABILITY in found or SAMPLER_PARAM in found):
                            span_ratio = sampling_ratio_of_attributes(found)
                            if span_ratio is not None:
                                ratio = span_ratio
                if named:
                    kept = named_attributes({**(resource_named or {}), **(found or {})}, named)
                links = g("links")
                n_links = len(links) if links.__class__ is list else 0
                if n_links:
                    position = len(batch)
                    for link in links:
                        if link.__class__ is dict:
                            links_out.append((position, link.get("traceId"), link.get("spanId")))
                is_error = code in errors if code.__class__ in (int, str) else False
            except (AttributeError, TypeError):
                rejects.add(source, f"{f'line {line} ' if line else ''}{where}.spans[{k}]",
                            REASON_NOT_OBJECT if span.__class__ is not dict else "malformed span (a field of the wrong type)")
                continue
            a_trace(g("traceId"))
            a_span(g("spanId"))
            a_parent(g("parentSpanId"))
            a_name(name)
            a_kind(g("kind") or 0)
            a_service(service)
            a_start(g("startTimeUnixNano"))
            a_end(g("endTimeUnixNano"))
            a_error(is_error)
            a_ns(namespace)
            a_fn(function)
            a_route(route)
            a_dbs(db_system)
            a_fp(fingerprint)
            a_tables(tables)
            a_dest(destination)
            a_links(n_links)
            a_ratio(ratio)
            a_attributes(kept)
            a_where(where)
            a_line(line)
            a_index(k)

    def _oversized(self, line: int, where: str, k: int, key: str, size: int) -> None:
        self.stats.oversized_attributes += 1
        at = f"line {line} " if line else ""
        self.rejects.add(self.source, f"{at}{where}.spans[{k}]", f"{REASON_OVERSIZED}: {key} ({size} characters)")


def _attributes(holder: object, reader: OtlpJsonReader, where: str) -> dict[str, str]:
    """The wanted attributes of a resource (plus ``service.name``) as texts."""
    found: dict[str, str] = {}
    attributes = holder.get("attributes") if holder.__class__ is dict else None
    if attributes.__class__ is list:
        for attr in attributes:
            if attr.__class__ is dict:
                key = attr.get("key")
                if key == "service.name" or key in WANTED_ATTRIBUTES or key in reader.named:
                    text = attribute_text(attr.get("value"))
                    if text and len(text) <= MAX_ATTRIBUTE_CHARS:
                        found[key] = text
    return found


# --------------------------------------------------------------------------------------
# files: JSON lines or one document


def first_content_line(lines: Iterator[tuple[int, bytes]]) -> tuple[int, bytes]:
    """The first non-blank ``(number, line)`` of ``lines`` (a leading UTF-8 BOM dropped),
    consuming ``lines`` up to it; ``(last number, b"")`` when every line is blank."""
    number = 0
    for number, raw in lines:
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        if raw.strip():
            return number, raw
    return number, b""


def read_otlp_json(stream: IO[bytes], source: str, rejects: Rejects, stats: TraceReadStats,
                   chunk_spans: int, named: frozenset[str] = frozenset()) -> Iterator[SpanBatch]:
    """Batches of spans from an OTLP/JSON file (lines or one document), each about
    ``chunk_spans`` spans; a file with no OTLP at all gives one reject saying so.

    A line or document with bytes that are not UTF-8 is read with U+FFFD (counted); a line
    that is not JSON is one reject counting the spans it held; a damaged document is read
    element by element (:mod:`~analysis.sources.traces.formats.salvage`). ``named``: the span
    attributes the context map's rules name, kept in the ``attributes`` column."""
    reader = OtlpJsonReader(source, rejects, stats, named)
    lines = numbered_lines(stream, source, rejects, stats)
    number, first = first_content_line(lines)
    if not first:
        return
    if _is_json(first) or not first.lstrip().startswith((b"{", b"[")):
        yield from _lines(reader, itertools.chain([(number, first)], lines), chunk_spans)
    else:
        document = first + rest_of(stream, source, rejects, number)
        try:
            message, replaced = decode_json(document)
        except orjson.JSONDecodeError as exc:
            # not one document: JSON lines whose first line is damaged, or a damaged document
            local, local_stats = Rejects(), TraceReadStats()
            reader.rejects, reader.stats = local, local_stats
            yield from _lines(reader, enumerate(document.split(b"\n"), number), chunk_spans)
            reader.rejects, reader.stats = rejects, stats
            if reader.otlp_messages:
                rejects.extend(local)
                _add_stats(stats, local_stats)
            else:
                reader.json_values = 0
                if not _salvage(reader, document, number, exc.msg):
                    return
        else:
            stats.lines_not_utf8 += replaced
            reader.add_message(reader.batch, message, 0)
    if len(reader.batch):
        yield reader.batch
    if not reader.otlp_messages:
        rejects.add(source, "file", f"{NOT_OTLP}: no line or document of the file is OTLP/JSON")
        stats.notes.append(f"{source}: not OTLP/JSON, nothing read")


def _salvage(reader: OtlpJsonReader, document: bytes, first_line: int, error: str) -> bool:
    """Read a damaged document element by element into the reader's batch; False (one
    reject counting the spans it held) when nothing can be read."""
    value, repairs = salvage_document(document, first_line, reader.source, reader.rejects, reader.stats, SPAN_KEY, error)
    if value is None:
        return False
    reader.add_message(reader.batch, value, 0)
    return True


def salvage_document(document: bytes, first_line: int, source: str, rejects: Rejects, stats: TraceReadStats,
                     span_key: bytes, error: str) -> tuple[object | None, list[Repair]]:
    """The value of a damaged one-document file, each repair filed as a reject counting the
    spans it lost (``span_key``: :func:`spans_in`); ``(None, [])`` and one reject for the
    document (counting its spans) when it cannot be salvaged."""
    fixed = document
    try:
        document.decode("utf-8")
    except UnicodeDecodeError:
        fixed = document.decode("utf-8", "replace").encode("utf-8")
        stats.lines_not_utf8 += 1
    salvaged = salvage_json(fixed)
    if salvaged is None:
        lost = spans_in(document, span_key)
        stats.spans_read += lost
        rejects.add(source, "document", f"neither JSON lines nor one JSON document: {error}"
                    + (f"; about {lost} spans lost" if lost else ""), document.strip()[:80], records=lost)
        stats.notes.append(f"{source}: a damaged JSON document, nothing read")
        return None, []
    value, repairs = salvaged
    for repair in repairs:
        line = first_line + fixed.count(b"\n", 0, repair.offset)
        lost = spans_in(repair.lost, span_key)
        stats.spans_read += lost
        if repair.truncated:
            rejects.add(source, line, "the document ends early (truncated): the spans after this line are lost, "
                        "how many cannot be known", records=lost)
            stats.notes.append(f"{source}: a truncated document, read up to line {line}")
        else:
            rejects.add(source, line, f"invalid JSON ({error}): the damaged element was left out"
                        + (f", {lost} spans lost" if lost > 1 else ""), repair.lost.strip()[:80], records=lost)
    return value, repairs


def _add_stats(stats: TraceReadStats, part: TraceReadStats) -> None:
    stats.spans_read += part.spans_read
    stats.messages += part.messages
    stats.unknown_kinds += part.unknown_kinds
    stats.oversized_attributes += part.oversized_attributes
    stats.lines_not_utf8 += part.lines_not_utf8
    stats.notes.extend(part.notes)


def _is_json(text: bytes) -> bool:
    try:
        decode_json(text)
    except orjson.JSONDecodeError:
        return False
    return True


def _lines(reader: OtlpJsonReader, lines, chunk_spans: int) -> Iterator[SpanBatch]:
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    add = reader.add_message
    with fewer_collections():
        for number, raw in lines:
            try:
                message = loads(raw)
            except decode_error as exc:
                if not raw.strip():
                    continue
                try:
                    message, _ = decode_json(raw)  # bytes that are not UTF-8: read with U+FFFD
                except decode_error:
                    lost = spans_in(raw, SPAN_KEY)
                    reader.stats.spans_read += lost
                    reader.rejects.add(reader.source, number, f"invalid JSON: {exc.msg}", raw.strip()[:80], records=lost)
                    continue
                reader.stats.lines_not_utf8 += 1
            add(reader.batch, message, number)
            if len(reader.batch) >= chunk_spans:
                yield reader.batch
                reader.batch = SpanBatch()


#: allocations between young-generation garbage collections while lines are decoded
GC_YOUNG_THRESHOLD = 200_000


@contextmanager
def fewer_collections(threshold: int = GC_YOUNG_THRESHOLD) -> Iterator[None]:
    """Collect garbage less often meanwhile: decoded JSON makes many short-lived dicts
    and no reference cycles, so the default collector (every 700 allocations) spends
    about a third of the read walking them. The previous thresholds come back after."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], threshold), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def rest_of(stream: IO[bytes], source: str, rejects: Rejects, number: int) -> bytes:
    """The rest of the stream, in blocks; a truncated gzip stream ends it with a reject.

    Blocks are read with ``read1`` (one read of the decompressor each), so a damaged stream
    loses nothing it decompressed before the damage (``read(n)`` would drop the block it was
    filling)."""
    blocks = []
    read = getattr(stream, "read1", None) or stream.read
    try:
        while block := read(_BLOCK_BYTES):
            blocks.append(block)
    except DAMAGED_STREAM as exc:
        lines = number + sum(block.count(b"\n") for block in blocks)
        rejects.add(source, f"after line {lines}",
                    f"truncated or corrupt compressed stream: {exc}; what follows is lost")
    return b"".join(blocks)


def numbered_lines(stream: IO[bytes], source: str, rejects: Rejects, stats: TraceReadStats) -> Iterator[tuple[int, bytes]]:
    """Lines numbered from 1; a truncated or corrupt gzip stream ends them with a reject."""
    number = 0
    try:
        for number, raw in enumerate(stream, 1):
            yield number, raw
    except DAMAGED_STREAM as exc:
        rejects.add(source, number + 1, f"truncated or corrupt compressed stream: {exc}; what follows is lost")
        stats.notes.append(f"{source}: compressed stream ends early after line {number}")


def parse_otlp_json(message: object, rejects: Rejects | None = None, source: str = "message",
                    sampling_ratio: float | None = None, named: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The ``spans`` contract frame of one decoded OTLP/JSON message (pure: no file).

    Unreadable parts are filed in ``rejects`` under ``source`` (locations as in a whole
    document: ``resourceSpans[0].scopeSpans[0].spans[1]``); duplicates are dropped.
    """
    from analysis.core import frames
    from analysis.sources.traces.formats.spans import drop_duplicate_spans

    rejects = rejects if rejects is not None else Rejects()
    stats = TraceReadStats()
    reader = OtlpJsonReader(source, rejects, stats, named)
    reader.add_message(reader.batch, message, 0)
    chunk, _ = reader.batch.frame(source, rejects, stats, sampling_ratio)
    chunk = drop_duplicate_spans(chunk, source, rejects)
    return frames.conform(chunk.drop(columns=["line"]), "spans")


# --------------------------------------------------------------------------------------
# JSON lines parsed by several processes
#
# OTLP/JSON lines read by several processes: the file cut into segments of whole lines,
# each segment parsed and packed into ``spans`` chunks by a worker process, the chunks
# handed back in file order.
#
# :func:`parallel_otlp_chunks` ``(path, source, rejects, stats, *, workers, chunk_spans,
# sampling_ratio, segment_bytes) -> Iterator[(spans chunk, span_links chunk)] | None``.
#
# Used only where it gives the same spans as the sequential reader
# (:func:`analysis.sources.traces.formats.otlp_json.read_otlp_json`): a plain (not gzip)
# file whose first line is a JSON value (the Collector's JSON lines layout). Otherwise it
# returns None and the caller reads sequentially.
#
# What is the same: the spans and links, in file order; line numbers (each segment knows
# the line it starts at); every reject and note (collected per segment, filed in segment
# order). What may differ: the chunk boundaries (a chunk never spans two segments) and, so,
# duplicate spans are dropped within a segment's chunk here and across chunks by the caller
# as before; and a span-level reject (an unreadable id) may be filed before a JSON-line
# reject of a later line in the same chunk, rather than after it.
#
# Memory: at most ``workers + 1`` segments are in flight (parsed but not yet taken), so a
# consumer that measures chunks as they come keeps memory bounded by the segments, not
# the file.

#: bytes of the file per segment handed to a worker process
SEGMENT_BYTES = 32 << 20


def lines_layout(path) -> bool:
    """True when the file is plain (not compressed) and its first line is one JSON value."""
    with open(path, "rb") as fh:
        first = fh.readline()
    if compression_of(first) is not None or not first.strip() or first.startswith(b"\xef\xbb\xbf"):
        return False
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return True


def segments(path, segment_bytes: int = SEGMENT_BYTES) -> Iterator[tuple[int, int, int]]:
    """``(offset, length, first line number)`` of consecutive runs of whole lines of about
    ``segment_bytes`` (a line longer than that is a segment of its own)."""
    offset, line = 0, 1
    carry = b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(segment_bytes)
            if not block:
                break
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            yield offset, cut, line
            line += block.count(b"\n", 0, cut)
            offset += cut
            carry = block[cut:]
    if carry:
        yield offset, len(carry), line


def _read_segment(task: tuple) -> tuple:
    """Worker: one segment into chunks, with its rejects and read counts."""
    path, source, offset, length, first_line, chunk_spans, sampling_ratio, named = task
    rejects, stats = Rejects(), TraceReadStats()
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    reader = OtlpJsonReader(source, rejects, stats, named)
    chunks = []
    numbered = enumerate(data.split(b"\n"), first_line)
    batches = list(_lines(reader, numbered, chunk_spans))
    if len(reader.batch):
        batches.append(reader.batch)
    for batch in batches:
        chunk, links = batch.frame(source, rejects, stats, sampling_ratio)
        chunks.append((drop_duplicate_spans(chunk, source, rejects), links))
    return chunks, (rejects.records, rejects.counts), stats, reader.otlp_messages


def parallel_otlp_chunks(path, source: str, rejects: Rejects, stats: TraceReadStats, *, workers: int,
                         chunk_spans: int, sampling_ratio: float | None, segment_bytes: int | None = None,
                         named: frozenset[str] = frozenset()) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]] | None:
    """Chunks of an OTLP/JSON lines file parsed by ``workers`` processes (see the module
    docstring); None when the file is not one this reads alike."""
    if workers < 2 or not lines_layout(path):
        return None
    return _chunks(path, source, rejects, stats, workers, chunk_spans, sampling_ratio, segment_bytes or SEGMENT_BYTES, named)


def _chunks(path, source, rejects, stats, workers, chunk_spans, sampling_ratio, segment_bytes, named=frozenset()):
    messages = 0
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending: deque = deque()
        plan = segments(path, segment_bytes)
        for segment in plan:
            pending.append(pool.apply_async(_read_segment, ((str(path), source, *segment, chunk_spans, sampling_ratio, named),)))
            if len(pending) > workers:
                messages += yield from _take(pending.popleft().get(), rejects, stats)
        while pending:
            messages += yield from _take(pending.popleft().get(), rejects, stats)
    if not messages:
        rejects.add(source, "file", f"{NOT_OTLP}: no line or document of the file is OTLP/JSON")
        stats.notes.append(f"{source}: not OTLP/JSON, nothing read")


def _take(result: tuple, rejects: Rejects, stats: TraceReadStats):
    chunks, (records, counts), part, messages = result
    kept: dict[str, int] = {}
    for r in records:
        rejects.add(r.source, r.location, r.reason, r.excerpt, r.records)
        kept[r.source] = kept.get(r.source, 0) + r.records
    for name, n in counts.items():  # rejects counted beyond those a segment kept
        rejects.counts[name] += n - kept.get(name, 0)
    _add_stats(stats, part)
    yield from chunks
    return messages
