"""The one way a reader opens an input file: compressed or not, by its magic bytes, never by
its name.

- :func:`open_bytes` — the file's bytes, decompressed on the fly when it starts with the
  gzip (``1f 8b``), bzip2 (``BZh``) or xz (``fd 37 7a 58 5a 00``) magic bytes, whatever the
  file is called; a zstd file (``28 b5 2f fd``) is refused with what to do (no dependency of
  Seams reads zstd streams). A missing or unreadable file is one
  :class:`~analysis.core.errors.SourceError`.
- :func:`open_text` — the same as text: UTF-8, undecodable bytes as U+FFFD, a byte-order
  mark at the start dropped, newlines read as ``\\n`` only (a ``\\r`` inside a statement
  stays in its text). Given a ``damage`` list, a truncated or corrupt compressed stream
  ends the text where the damage starts (everything decompressed before it is read) and
  the exception is appended to the list, for the reader to file as a reject.
- :func:`peek` and :func:`text_lines` — the first lines read ahead (to detect a format),
  then every line, read in blocks of :data:`BLOCK_CHARS` (cheaper per line than iterating a
  file) and split at ``\\n``.

:data:`DAMAGED_STREAM` lists what a truncated or corrupt compressed stream raises while it is
read; readers catch it, keep what they read before the damage and file one reject.
"""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import lzma
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, cast

from analysis.core import progress
from analysis.core.errors import SourceError

#: Magic bytes at the start of a compressed file, and the compression they announce.
MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
#: What reading a truncated or corrupt compressed stream raises.
DAMAGED_STREAM = (EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError, OSError)
#: Characters read at once by :func:`text_lines` from a text file.
BLOCK_CHARS = 1 << 20
_OPENERS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    "gzip": lambda fh: cast("IO[bytes]", gzip.GzipFile(fileobj=fh, mode="rb")),  # typeshed's GzipFile is no IO[bytes] (its BZ2File and LZMAFile are)
    "bz2": lambda fh: bz2.BZ2File(fh, mode="rb"),
    "xz": lambda fh: lzma.LZMAFile(fh, mode="rb"),
}


def compression_of(head: bytes) -> str | None:
    """``gzip``, ``bz2``, ``xz`` or ``zstd`` when ``head`` starts with its magic bytes, else None."""
    return next((name for magic, name in MAGIC if head.startswith(magic)), None)


def file_compression(path: str | os.PathLike) -> str | None:
    """The compression of the file at ``path`` (None: plain, or unreadable)."""
    try:
        with open(path, "rb") as fh:
            return compression_of(fh.read(8))
    except OSError:
        return None


@contextmanager
def open_bytes(path: str | os.PathLike, source: str | None = None) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed by its magic bytes (see the module docstring)."""
    name = source or str(path)
    try:
        fh = open(path, "rb") if not progress.is_listened() else _counted_file(path)
    except OSError as exc:
        raise SourceError(name, f"cannot be read ({exc.strerror or exc})") from None
    with fh:
        kind = compression_of(fh.read(8))
        fh.seek(0)
        if kind is None:
            yield fh
            return
        if kind == "zstd":
            raise SourceError(name, "zstd-compressed, which Seams does not read: decompress it first (zstd -d)")
        with _OPENERS[kind](fh) as unpacked:
            try:
                unpacked.peek(1)  # type: ignore[attr-defined]  # every opener above is buffered
            except DAMAGED_STREAM as exc:
                raise SourceError(name, f"not a readable {kind} file ({exc})") from None
            yield unpacked


def _counted_file(path: str | os.PathLike) -> IO[bytes]:
    """The file opened for reading, its bytes (as stored: compressed when compressed) counted
    as the current step's progress against its size (:mod:`analysis.core.progress`)."""
    raw = io.FileIO(path, "rb")
    try:
        progress.extend(os.fstat(raw.fileno()).st_size, unit="B")
        return io.BufferedReader(_CountingRaw(raw))
    except BaseException:
        raw.close()
        raise


class _CountingRaw(io.RawIOBase):
    """A raw file whose reads advance the current step by the bytes read."""

    def __init__(self, raw: io.FileIO):
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        n = self._raw.readinto(buffer)
        if n:
            progress.advance(n)
        return n

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        self._raw.close()
        super().close()


@contextmanager
def open_text(path: str | os.PathLike, source: str | None = None, damage: list[BaseException] | None = None) -> Iterator[IO[str]]:
    """The file as UTF-8 text (U+FFFD for undecodable bytes, no byte-order mark), newlines
    ``\\n`` only; with ``damage``, a damaged compressed stream ends the text (see the module
    docstring)."""
    with open_bytes(path, source) as raw:
        stream: IO[bytes] = raw if damage is None else cast("IO[bytes]", _EndAtDamage(raw, damage))
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="\n")
        try:
            yield text
        finally:
            text.detach()


class _EndAtDamage(io.BufferedIOBase):
    """A binary stream that ends where reading ``raw`` raises :data:`DAMAGED_STREAM` (the
    exception appended to ``damage``): every complete line before it is returned, the
    partial line the damage cut is not (a record cut short would read as another one)."""

    def __init__(self, raw: IO[bytes], damage: list[BaseException]):
        super().__init__()
        self._raw = raw
        self._damage = damage
        self._pending = b""  # the bytes after the last newline returned
        self._ended = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            return self.read1(size)
        chunks = []
        while chunk := self.read1(_BLOCK_BYTES):
            chunks.append(chunk)
        return b"".join(chunks)

    def read1(self, size: int = -1) -> bytes:
        read = getattr(self._raw, "read1", self._raw.read)
        while not self._ended:
            try:
                data = read(size if size > 0 else _BLOCK_BYTES)
            except DAMAGED_STREAM as exc:
                self._damage.append(exc)
                self._ended, self._pending = True, b""
                return b""
            if not data:
                self._ended = True
                break
            cut = data.rfind(b"\n")
            if cut < 0:
                self._pending += data
                continue
            # one copy of the block (not two: a slice, then the bytes held back before it)
            out = b"".join((self._pending, memoryview(data)[: cut + 1])) if self._pending else data[: cut + 1]
            self._pending = data[cut + 1 :]
            return out
        out, self._pending = self._pending, b""
        return out


_BLOCK_BYTES = 1 << 16


def peek(lines: Iterable[str], n: int) -> tuple[list[str], PeekedLines]:
    """The first ``n`` lines and an iterable over all lines (those included). Lines peeked
    at before are peeked at again, the file under them kept (read in blocks)."""
    if isinstance(lines, PeekedLines):
        head = list(lines.head)
        rest = lines.rest
        if len(head) < n:
            more, after = peek(rest, n - len(head))
            head += more
            rest = after.rest
        return head[:n], PeekedLines(head, rest)
    it = iter(lines)
    head = []
    for line in it:
        head.append(line)
        if len(head) >= n:
            break
    return head, PeekedLines(head, it)


class PeekedLines:
    """The lines of a file whose first lines were read ahead: ``head``, then the rest of ``rest``."""

    def __init__(self, head: list[str], rest: Iterable[str]):
        self.head = head
        self.rest = rest

    def __iter__(self) -> Iterator[str]:
        return itertools.chain(self.head, self.rest)


def text_lines(lines: Iterable[str], block_chars: int = BLOCK_CHARS) -> Iterator[str]:
    """The lines of ``lines``, each without its final ``\\n`` (and a ``\\r`` before it).

    A text file (or the rest of one after :func:`peek`) is read ``block_chars`` at a time
    and split at ``\\n``, which costs less per line than iterating over the file; any
    other iterable is read lazily, line by line. Lines are the same either way: split at
    ``\\n`` only, a ``\\r`` elsewhere stays in the line.
    """
    if isinstance(lines, PeekedLines):
        return itertools.chain(map(_without_newline, lines.head), text_lines(lines.rest, block_chars))
    read = getattr(lines, "read", None)
    if read is None:
        return map(_without_newline, lines)
    return itertools.chain.from_iterable(_blocks(read, block_chars))


def _blocks(read: Callable[[int], str], block_chars: int) -> Iterator[list[str]]:
    rest = ""
    while block := read(block_chars):
        if rest:
            block = rest + block
        parts = block.split("\n")
        rest = parts.pop()
        if "\r" in block:
            parts = [p[:-1] if p[-1:] == "\r" else p for p in parts]
        yield parts
    if rest:
        yield [rest]


def _without_newline(line: str) -> str:
    if line[-1:] == "\n":
        line = line[:-1]
        if line[-1:] == "\r":
            line = line[:-1]
    return line
