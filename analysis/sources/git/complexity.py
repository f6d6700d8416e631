"""Code complexity of the files at HEAD, read from git's object store.

Entry point: :func:`mine_complexity` returns the ``complexity`` frame (contract in
:mod:`analysis.core.frames`), one row per requested file that exists at ``HEAD`` and could be
read:

- ``path``, ``language`` (lizard's language name, or ``text``);
- ``nloc``: lines of code (lizard's count, which leaves out blank and comment lines; for
  ``text``, the non-blank lines);
- ``ccn_total``, ``ccn_max``: the sum and the largest cyclomatic complexity (McCabe) of
  the file's functions, as lizard counts them; ``<NA>`` for ``text``. Code outside any
  function adds nothing, so a module of constants has ``ccn_total = 0``;
- ``functions``: functions lizard found (0 for ``text``);
- ``indentation_complexity``: the sum, over non-blank lines, of the logical indentation
  ``leading columns / indent_width`` (tabs expanded to ``indent_width`` columns), for
  every file. Tornhill (*Your Code as a Crime Scene*) shows it follows cyclomatic
  complexity closely and needs no parser, so it stands in where lizard cannot parse.

What it reads, read-only (no checkout, no work tree, optional locks off)::

    git -C REPO ls-tree -r -z -l --full-tree HEAD        # mode, type, blob id, size, path
    git -C REPO cat-file --batch                          # the blobs, fed by id on stdin

Blob ids rather than ``HEAD:path`` are sent to ``cat-file``, so paths with newlines,
spaces or any other byte are safe. The pure parts are :func:`parse_ls_tree`,
:func:`read_batch` and :func:`measure_source`.

What is left out, and how it is told:

- a requested path that is not in ``HEAD`` (deleted or renamed since): not a row, not a
  reject: there is nothing to measure;
- submodules, symbolic links, files larger than ``max_file_bytes`` and binary files (a
  NUL byte in the first 8000 bytes, as git decides): rejected (``source="complexity"``,
  ``location=path``, with the reason);
- text that is not UTF-8 is decoded with U+FFFD replacements and measured;
- a file lizard recognises but fails on is measured as ``text``.

An empty repository (no ``HEAD``) gives an empty frame; a path that is not a git
repository raises :class:`~analysis.core.errors.SourceError`.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO

import pandas as pd

from analysis.core import frames
from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.git.command import run_git, start_git

SOURCE = "complexity"
TEXT_LANGUAGE = "text"
#: Files larger than this are generated or vendored far more often than written by hand.
MAX_FILE_BYTES = 1_000_000
INDENT_WIDTH = 4
BINARY_SNIFF_BYTES = 8000
#: Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM_FILES = 200

_SUBMODULE_MODE = "160000"
_SYMLINK_MODE = "120000"


# --------------------------------------------------------------------------------------
# pure parts


def parse_ls_tree(output: bytes) -> list[tuple[str, str, str, int | None, str]]:
    """``git ls-tree -r -z -l`` output as ``(mode, type, object id, size, path)`` tuples.

    ``size`` is None for entries without one (submodules print ``-``). Paths are decoded
    as UTF-8 with U+FFFD for bytes that are not.
    """
    entries = []
    for record in output.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        fields = meta.split()
        if len(fields) != 4 or not raw_path:
            raise ValueError(f"not an ls-tree -l record: {record[:80]!r}")
        mode, kind, oid, size = (f.decode("ascii", "replace") for f in fields)
        entries.append((mode, kind, oid, int(size) if size.isdigit() else None, raw_path.decode("utf-8", "replace")))
    return entries


def read_batch(stream: IO[bytes], count: int) -> Iterator[tuple[str, bytes | None]]:
    """Read ``count`` answers of ``git cat-file --batch`` from ``stream``.

    Each answer is ``<id> <type> <size>\\n<contents>\\n`` or ``<id> missing\\n``; yields
    ``(id, contents)`` with contents None for a missing object.
    """
    for _ in range(count):
        header = stream.readline()
        if not header:
            raise ValueError("cat-file stopped before answering every request")
        fields = header.split()
        if len(fields) == 2 and fields[1] == b"missing":
            yield fields[0].decode("ascii", "replace"), None
            continue
        if len(fields) != 3 or not fields[2].isdigit():
            raise ValueError(f"not a cat-file --batch header: {header[:80]!r}")
        size = int(fields[2])
        body = stream.read(size)
        stream.read(1)  # the newline after the contents
        yield fields[0].decode("ascii", "replace"), body


def indentation_complexity(text: str, indent_width: int = INDENT_WIDTH) -> tuple[float, int]:
    """``(sum of logical indentation, non-blank lines)`` of ``text``.

    A line's logical indentation is its leading columns (tabs expanded to
    ``indent_width``) divided by ``indent_width``; blank lines count for nothing.
    """
    total, lines = 0, 0
    for line in text.splitlines():
        if not line.strip():
            continue
        lines += 1
        expanded = line.expandtabs(indent_width)
        total += len(expanded) - len(expanded.lstrip(" \t\f\v"))
    return total / indent_width, lines


def measure_source(path: str, text: str, *, indent_width: int = INDENT_WIDTH) -> dict:
    """One ``complexity`` row for a file's text: lizard where it knows the language,
    lines and indentation otherwise (see the module docstring)."""
    indentation, nonblank = indentation_complexity(text, indent_width)
    row = {"path": path, "language": TEXT_LANGUAGE, "nloc": nonblank, "ccn_total": pd.NA, "ccn_max": pd.NA,
           "functions": 0, "indentation_complexity": indentation}
    parsed = _lizard(path, text)
    if parsed is not None:
        row.update(parsed)
    return row


def _lizard(path: str, text: str) -> dict | None:
    import lizard
    import lizard_languages

    reader = lizard_languages.get_reader_for(path)
    if reader is None:
        return None
    try:
        info = lizard.analyze_file.analyze_source_code(path, text)
    except (RecursionError, ValueError, IndexError, KeyError, TypeError, AttributeError, UnicodeError):
        # lizard's tokenizers are heuristic; a file they trip on is measured as text
        return None
    ccns = [f.cyclomatic_complexity for f in info.function_list]
    names = getattr(reader, "language_names", None) or [reader.__name__.removesuffix("Reader").lower()]
    return {"language": str(names[0]), "nloc": int(info.nloc), "ccn_total": int(sum(ccns)),
            "ccn_max": int(max(ccns, default=0)), "functions": len(ccns)}


def complexity_frame(rows: Iterable[dict]) -> pd.DataFrame:
    rows = list(rows)
    if not rows:
        return frames.empty("complexity")
    out = frames.conform(pd.DataFrame(rows), "complexity")
    return out.sort_values("path", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# I/O: git, read-only


def mine_head_complexity(source: GitSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """The ``complexity`` of every file at ``HEAD`` of ``source.repository``."""
    frame = mine_complexity(source.repository, None, rejects)
    return SourceFrames({"complexity": frame}, len(frame), rejects.count(SOURCE), [f"{len(frame)} files measured at HEAD"])


def mine_complexity(
    repo: str | os.PathLike,
    paths: Iterable[str] | None,
    rejects: Rejects,
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
    indent_width: int = INDENT_WIDTH,
    workers: int | None = None,
) -> pd.DataFrame:
    """The ``complexity`` frame of ``paths`` (repository-relative, posix) as they are at
    ``HEAD`` of ``repo``; every file at ``HEAD`` when ``paths`` is None. Files are
    measured in ``workers`` processes (default: one per core) when there are at least
    :data:`PARALLEL_FROM_FILES` of them; the result does not depend on ``workers``."""
    repo = Path(repo)
    if not repo.exists():
        raise SourceError(SOURCE, f"{repo}: no such directory")
    head = _git(repo, ["rev-parse", "--verify", "-q", "HEAD^{tree}"], check=False)
    if head.returncode != 0:
        inside = _git(repo, ["rev-parse", "--git-dir"], check=False)
        if inside.returncode != 0:
            raise SourceError(SOURCE, f"{repo}: not a git repository")
        return complexity_frame([])  # an empty repository: nothing at HEAD
    try:
        entries = parse_ls_tree(_git(repo, ["ls-tree", "-r", "-z", "-l", "--full-tree", "HEAD"]).stdout)
    except ValueError as exc:
        raise SourceError(SOURCE, f"{repo}: unreadable ls-tree output ({exc})") from None
    wanted = None if paths is None else set(paths)
    blobs: list[tuple[str, str]] = []  # (object id, path)
    for mode, kind, oid, size, path in entries:
        if wanted is not None and path not in wanted:
            continue
        if mode == _SUBMODULE_MODE or kind == "commit":
            rejects.add(SOURCE, path, "submodule: its files live in another repository")
        elif mode == _SYMLINK_MODE:
            rejects.add(SOURCE, path, "symbolic link: no contents of its own")
        elif kind != "blob":
            rejects.add(SOURCE, path, f"git object of type {kind}, not a file")
        elif size is not None and size > max_file_bytes:
            rejects.add(SOURCE, path, f"larger than max_file_bytes ({size} > {max_file_bytes} bytes)")
        else:
            blobs.append((oid, path))
    texts: list[tuple[str, str]] = []
    for path, body in _cat_blobs(repo, blobs):
        if body is None:
            rejects.add(SOURCE, path, "blob missing from the object store (partial clone?)")
        elif b"\0" in body[:BINARY_SNIFF_BYTES]:
            rejects.add(SOURCE, path, "binary file: no lines to measure")
        else:
            texts.append((path, body.decode("utf-8", "replace")))
    return complexity_frame(_measure_all(texts, indent_width, workers))


def _measure(item: tuple[str, str, int]) -> dict:
    path, text, indent_width = item
    return measure_source(path, text, indent_width=indent_width)


def _measure_all(texts: list[tuple[str, str]], indent_width: int, workers: int | None) -> list[dict]:
    """Measure every file, in ``workers`` processes when there are enough files to pay for
    starting them (lizard is pure Python and CPU-bound)."""
    items = [(path, text, indent_width) for path, text in texts]
    workers = (os.cpu_count() or 1) if workers is None else max(1, int(workers))
    if workers == 1 or len(items) < PARALLEL_FROM_FILES:
        return [_measure(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_measure, items, chunksize=64))


def _git(repo: Path, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
    out = run_git(repo, *args, text=False, timeout=600)
    if check and out.returncode != 0:
        raise SourceError(SOURCE, f"{repo}: git {args[0]} failed: {out.stderr.decode('utf-8', 'replace').strip()}")
    return out


def _cat_blobs(repo: Path, blobs: list[tuple[str, str]]) -> Iterator[tuple[str, bytes | None]]:
    """``(path, contents)`` of each blob, through one ``git cat-file --batch`` process."""
    if not blobs:
        return
    proc = start_git(repo, "cat-file", "--batch", stdin=subprocess.PIPE)
    assert proc.stdout is not None  # stdout=PIPE

    def feed() -> None:
        assert proc.stdin is not None  # stdin=subprocess.PIPE
        try:
            for oid, _ in blobs:
                proc.stdin.write(oid.encode("ascii") + b"\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass  # git stopped early; read_batch reports the short answer

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for (_, path), (_, body) in zip(blobs, read_batch(proc.stdout, len(blobs))):
            yield path, body
    except ValueError as exc:
        raise SourceError(SOURCE, f"{repo}: {exc}") from None
    finally:
        proc.stdout.close()
        writer.join()
        proc.wait()
