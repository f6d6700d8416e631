"""JSON values of a file that is one document or JSON lines (the Jaeger and Zipkin
readers; OTLP/JSON has its own streamed line reader).

Damage costs what it must and no more: bytes that are not UTF-8 inside a string are read
with U+FFFD (counted in ``TraceReadStats.lines_not_utf8``); a JSON line that cannot be read
is one reject counting the spans it held (``span_key``: a key every span has once); a
document that is not valid JSON is read element by element
(:func:`~analysis.sources.traces.formats.otlp_json.salvage_document`), each element left out
one reject counting its spans, a cut document closed after its last complete element.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import orjson

from analysis.core.rejects import Rejects
from analysis.sources.traces.formats.otlp_json import first_content_line, numbered_lines, rest_of, salvage_document
from analysis.sources.traces.formats.salvage import decode_json
from analysis.sources.traces.formats.spans import TraceReadStats, spans_in


def json_values(stream: IO[bytes], source: str, rejects: Rejects, stats: TraceReadStats,
                span_key: bytes = b"") -> Iterator[tuple[int, object]]:
    """``(line, value)``: the whole file as one JSON value (line 0), or, when it is JSON
    lines (some line is an object or an array on its own), each non-blank line as a value
    (invalid lines filed as rejects counting their spans), or else what can be salvaged of
    the damaged document (line 0)."""
    lines = numbered_lines(stream, source, rejects, stats)
    first_number, first = first_content_line(lines)
    if not first:
        return
    document = first + rest_of(stream, source, rejects, first_number)
    try:
        value, replaced = decode_json(document)
    except orjson.JSONDecodeError as whole_error:
        error = whole_error.msg
    else:
        stats.lines_not_utf8 += replaced
        yield 0, value
        return
    pieces = document.split(b"\n")
    if not any(_is_container(raw) for raw in pieces):
        salvaged, _ = salvage_document(document, first_number, source, rejects, stats, span_key, error)
        if salvaged is not None:
            yield 0, salvaged
        return
    for number, raw in enumerate(pieces, first_number):
        if not raw.strip():
            continue
        try:
            value, replaced = decode_json(raw)
        except orjson.JSONDecodeError as exc:
            lost = spans_in(raw, span_key) if span_key else 0
            stats.spans_read += lost
            rejects.add(source, number, f"invalid JSON: {exc.msg}", raw.strip()[:80], records=lost)
            continue
        stats.lines_not_utf8 += replaced
        yield number, value


def _is_container(raw: bytes) -> bool:
    """The line is a non-empty JSON object or array on its own."""
    stripped = raw.strip()
    if not stripped.startswith((b"{", b"[")) or len(stripped) < 3:
        return False
    try:
        value, _ = decode_json(stripped)
    except orjson.JSONDecodeError:
        return False
    return bool(value) and value.__class__ in (dict, list)


def at(line: int, where: str) -> str:
    """A reject location: ``line 3 data[0].spans[2]`` or, in a whole document, the path."""
    return f"line {line} {where}".strip() if line else where
