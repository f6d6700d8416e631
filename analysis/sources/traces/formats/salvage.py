"""Reading what can be read of a damaged JSON document, element by element (pure: bytes in).

A trace file that is one JSON document (a Jaeger API response, a Zipkin span array, a
pretty-printed OTLP request) loses every span when one byte of it is wrong, if it is read as
one value. :func:`decode_json` and :func:`salvage_json` keep the rest:

- bytes that are not UTF-8 inside a string (a latin-1 value, a cut multi-byte character)
  are decoded with U+FFFD, as the SQL readers do, and counted (:func:`decode_json`);
- a syntax error inside an element of an array (a span, a tag, a trace) removes that
  element only: the innermost array holding the error loses the element the error is in,
  and the document is read again (at most :data:`MAX_REPAIRS` times);
- a document that ends early (a cut file, a truncated gzip stream) is closed after the last
  complete element of its innermost open array, and every container around it is closed.

Each repair is a :class:`Repair`: where it is (line and byte of the document as read), what
was lost (the removed bytes, to count the records in them) and why. A document whose
damage is outside any array, or that is not JSON at all, is not salvaged (None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

#: Elements removed from one document at most before it is given up.
MAX_REPAIRS = 1_000
#: Share of a document that may be left out (damaged elements) before it is given up: a
#: document mostly unreadable is not JSON damaged here and there, it is something else.
MAX_LOST_SHARE = 0.5

_TOKEN = re.compile(rb'["{}\[\],]')
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


@dataclass(frozen=True)
class Repair:
    """One repair of a damaged document: ``offset`` (bytes from the start of the document as
    read), ``lost`` (the bytes removed, or after the cut), ``truncated`` (the document ended
    early: what followed the cut is unknown)."""

    offset: int
    lost: bytes
    reason: str
    truncated: bool = False


def decode_json(data: bytes) -> tuple[object, bool]:
    """``(value, replaced)``: the JSON value of ``data``; when ``data`` is not valid UTF-8,
    the value of its text decoded with U+FFFD (``replaced`` True). Raises
    ``orjson.JSONDecodeError`` when it is not JSON either way."""
    try:
        return orjson.loads(data), False
    except orjson.JSONDecodeError:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return orjson.loads(data.decode("utf-8", "replace").encode("utf-8")), True
        raise


@dataclass
class _Open:
    kind: bytes  # b"{" or b"["
    start: int
    element: int  # where the current element starts (after the bracket or the last comma)
    complete: int  # where the complete elements end (the last comma, or after the bracket)


def _scan(data: bytes, stop: int) -> tuple[list[_Open], int]:
    """The containers open at ``stop`` (outermost first), and where scanning stopped (``stop``,
    or the end of the data when a string is unterminated)."""
    stack: list[_Open] = []
    at = 0
    while True:
        m = _TOKEN.search(data, at, stop)
        if m is None:
            return stack, stop
        c = m.group()
        at = m.end()
        if c == b'"':
            s = _STRING.match(data, m.start())
            if s is None:
                return stack, len(data)
            at = s.end()
            if at > stop:
                return stack, stop
        elif c in (b"{", b"["):
            stack.append(_Open(c, m.start(), m.end(), m.end()))
        elif c in (b"}", b"]"):
            if stack:
                stack.pop()
        elif stack:  # a comma
            stack[-1].complete = m.start()
            stack[-1].element = m.end()


def _element_end(data: bytes, start: int) -> int | None:
    """Where the array element starting at ``start`` ends (at its comma or the array's
    closing bracket), strings and nesting skipped; None when the data ends first."""
    depth = 0
    at = start
    while True:
        m = _TOKEN.search(data, at)
        if m is None:
            return None
        c = m.group()
        at = m.end()
        if c == b'"':
            s = _STRING.match(data, m.start())
            if s is None:
                return None
            at = s.end()
        elif c in (b"{", b"["):
            depth += 1
        elif c in (b"}", b"]"):
            if depth == 0:
                return m.start()
            depth -= 1
        elif depth == 0:
            return m.start()


_CLOSE = {b"{": b"}", b"[": b"]"}


def _byte_offset(exc: orjson.JSONDecodeError, data: bytes) -> int:
    """The error's position in bytes (orjson counts characters of the decoded text)."""
    pos = max(int(exc.pos), 0)
    doc = exc.doc
    if isinstance(doc, str) and pos <= len(doc) and not doc.isascii():
        pos = len(doc[:pos].encode("utf-8", "replace"))
    return min(pos, len(data))


def salvage_json(data: bytes, max_repairs: int = MAX_REPAIRS) -> tuple[object, list[Repair]] | None:
    """The value of a damaged document with the repairs made (see the module docstring), or
    None when it cannot be salvaged."""
    repairs: list[Repair] = []
    removed = 0  # bytes removed before the current text's offsets (errors come left to right)
    budget = len(data) * MAX_LOST_SHARE
    for _ in range(max_repairs + 1):
        if removed > budget:
            return None
        try:
            return orjson.loads(data), repairs
        except orjson.JSONDecodeError as exc:
            pos = _byte_offset(exc, data)
            ends = "end of data" in exc.msg
        stack, reached = _scan(data, pos)
        arrays = [i for i, o in enumerate(stack) if o.kind == b"["]
        if not arrays:
            return None
        inner = stack[arrays[-1]]
        if not ends and reached < len(data):
            end = _element_end(data, inner.element)
            if end is None or end <= inner.element:
                return None
            lost = data[inner.element:end]
            before = len(data)
            if data[end:end + 1] == b",":  # drop the element and its comma
                data = data[:inner.element] + data[end + 1:]
            elif inner.complete < inner.element:  # the last element: drop the comma before it
                data = data[:inner.complete] + data[end:]
            else:  # the only element
                data = data[:inner.element] + data[end:]
            repairs.append(Repair(removed + inner.element + len(lost) - len(lost.lstrip()), lost, "a damaged element, left out"))
            removed += before - len(data)
            continue
        # the document ends inside the innermost array: close it after its last complete element
        kept = data[:inner.complete] if inner.complete < inner.element else data[:inner.start + 1]
        lost = data[len(kept):]
        closing = b"".join(_CLOSE[o.kind] for o in reversed(stack[:arrays[-1] + 1]))
        repairs.append(Repair(removed + len(kept), lost, "the document ends early (truncated): what followed is lost",
                              truncated=True))
        data = kept + closing
    return None
