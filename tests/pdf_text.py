"""The text of a PDF as headless Chromium (Skia) prints it, page by page, in pure Python.

For tests only, where ``pdftotext`` may be missing: Skia writes plain (uncompressed) object
dictionaries, FlateDecode content streams, Type0 fonts with Identity-H encoding and a
``ToUnicode`` CMap each; text is shown by ``Tj``/``TJ`` with hex glyph strings after ``Tf``
selects a font from the page's (or its form XObjects') resources. Enough for that, nothing more.
"""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_REF = rb"(\d+) 0 R"


def _objects(document: bytes) -> dict[int, bytes]:
    """Each object's bytes, from its offset in the cross-reference table to the next one's
    (a stream's compressed bytes may hold anything, ``endobj`` included)."""
    start = int(re.findall(rb"startxref\s+(\d+)", document)[-1])
    table = re.match(rb"xref\s+(\d+)\s+(\d+)\s+", document[start:])
    first, count = int(table.group(1)), int(table.group(2))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf])", document[start + table.end(): start + table.end() + 20 * count + 20])
    offsets = sorted((int(offset), first + n) for n, (offset, _, used) in enumerate(entries[:count]) if used == b"n")
    ends = [offset for offset, _ in offsets[1:]] + [start]
    return {number: document[offset:end] for (offset, number), end in zip(offsets, ends)}


def _stream_of(body: bytes, objects: dict[int, bytes]) -> bytes:
    """A stream object's data, cut at its ``/Length`` and inflated when FlateDecode."""
    found = re.search(rb"stream\r?\n", body)
    if not found:
        return b""
    head = body[: found.start()]
    length = re.search(rb"/Length\s+(\d+)(\s+0\s+R)?", head)
    size = int(length.group(1)) if length and not length.group(2) else (
        int(re.search(rb"obj\s*(\d+)", objects[int(length.group(1))]).group(1)) if length else None)
    data = body[found.end(): found.end() + size] if size is not None else _STREAM.search(body).group(1)
    return zlib.decompress(data) if b"/FlateDecode" in head else data


def _cmap(text: bytes) -> dict[int, str]:
    """A ToUnicode CMap's ``bfchar`` and ``bfrange`` entries: glyph code -> text."""
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for n, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(start + n)
    return out


def _names(body: bytes, key: bytes) -> dict[bytes, int]:
    """``/Key << /Name n 0 R ... >>`` of a dictionary: name -> object number."""
    found = re.search(rb"/" + key + rb"\s*<<(.*?)>>", body, re.S)
    return {name: int(num) for name, num in re.findall(rb"/([\w.+-]+)\s+" + _REF, found.group(1))} if found else {}


def pages_text(document: bytes) -> list[str]:
    """The text of each page, in order, glyph runs joined (a TJ's large gaps as spaces)."""
    objects = _objects(document)

    def _stream(body: bytes) -> bytes:
        return _stream_of(body, objects)

    cmaps: dict[int, dict[int, str]] = {}

    def font_map(number: int) -> dict[int, str]:
        if number not in cmaps:
            ref = re.search(rb"/ToUnicode\s+" + _REF, objects.get(number, b""))
            cmaps[number] = _cmap(_stream(objects[int(ref.group(1))])) if ref else {}
        return cmaps[number]

    def show(content: bytes, resources_of: bytes, out: list[str], depth: int = 0) -> None:
        fonts = _names(resources_of, b"Font")
        forms = _names(resources_of, b"XObject")
        current: dict[int, str] = {}
        for token in re.finditer(rb"/([\w.+-]+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj|/([\w.+-]+)\s+Do|(ET)",
                                 content, re.S):
            font, array, single, form, end = token.groups()
            if font is not None:
                current = font_map(fonts[font]) if font in fonts else {}
            elif array is not None or single is not None:
                parts = re.findall(rb"<([0-9A-Fa-f]*)>|(-?[\d.]+)", array) if array is not None else [(single, b"")]
                for glyphs, gap in parts:
                    if gap and float(gap) < -200:
                        out.append(" ")
                    hexed = glyphs.decode()
                    out.extend(current.get(int(hexed[i:i + 4], 16), "") for i in range(0, len(hexed) - 3, 4))
            elif form is not None and form in forms and depth < 8:
                body = objects.get(forms[form], b"")
                show(_stream(body), body, out, depth + 1)
            elif end is not None:
                out.append("\n")

    ordered = _page_order(objects)
    texts = []
    for number in ordered:
        body = objects[number]
        out: list[str] = []
        for ref in re.findall(rb"/Contents\s+(?:\[(.*?)\]|" + _REF + rb")", body, re.S):
            numbers = [int(n) for n in re.findall(_REF, ref[0])] if ref[0] else [int(ref[1])]
            for content in numbers:
                show(_stream(objects[content]), body, out)
        texts.append(re.sub(r"[ \t]+", " ", "".join(out)))
    return texts


def _page_order(objects: dict[int, bytes]) -> list[int]:
    """Page objects in reading order, from the catalog's page tree (``/Kids``)."""
    catalog = next(body for body in objects.values() if re.search(rb"/Type\s*/Catalog", body))
    root = int(re.search(rb"/Pages\s+" + _REF, catalog).group(1))
    order: list[int] = []

    def walk(number: int) -> None:
        body = objects[number]
        if re.search(rb"/Type\s*/Pages", body):
            for kid in re.findall(_REF, re.search(rb"/Kids\s*\[(.*?)\]", body, re.S).group(1)):
                walk(int(kid))
        else:
            order.append(number)

    walk(root)
    return order
