"""JSON values of a file that is one document or JSON lines (the Jaeger and Zipkin
readers; OTLP/JSON has its own streamed line reader)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import orjson

from analysis.core.rejects import Rejects
from analysis.sources.traces.formats.otlp_json import first_content_line, numbered_lines, rest_of
from analysis.sources.traces.formats.spans import TraceReadStats


def json_values(stream: IO[bytes], source: str, rejects: Rejects, stats: TraceReadStats) -> Iterator[tuple[int, object]]:
    """``(line, value)``: the whole file as one JSON value (line 0), or, when it is not
    one, each non-blank line as a value (invalid lines filed as rejects)."""
    lines = numbered_lines(stream, source, rejects, stats)
    first_number, first = first_content_line(lines)
    if not first:
        return
    document = first + rest_of(stream, source, rejects, first_number)
    try:
        yield 0, orjson.loads(document)
        return
    except orjson.JSONDecodeError as whole_error:
        error = whole_error.msg
    for number, raw in enumerate(document.split(b"\n"), first_number):
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc.msg}" if number > first_number or len(raw) < len(document) else f"invalid JSON: {error}"
            rejects.add(source, number, reason, raw.strip()[:80])
            continue
        yield number, value


def at(line: int, where: str) -> str:
    """A reject location: ``line 3 data[0].spans[2]`` or, in a whole document, the path."""
    return f"line {line} {where}".strip() if line else where
