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
:func:`read_batch` and :func:`measure_source`. A large tree is measured in small worker
processes (:mod:`analysis.sources.git.lizard_worker`: an interpreter with lizard, not a fork of
this process with everything it holds) fed batches of blobs as ``cat-file`` reads them.

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
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import pandas as pd

from analysis.core import frames
from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.git.command import run_git, start_git
from analysis.sources.git.lizard_worker import INDENT_WIDTH, TEXT_LANGUAGE, indentation_complexity, measure_batch, measure_text

__all__ = ["INDENT_WIDTH", "TEXT_LANGUAGE", "complexity_frame", "indentation_complexity", "measure_source",
           "mine_complexity", "mine_head_complexity", "parse_ls_tree", "read_batch"]

SOURCE = "complexity"
#: Files larger than this are generated or vendored far more often than written by hand.
MAX_FILE_BYTES = 1_000_000
BINARY_SNIFF_BYTES = 8000
#: Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM_FILES = 200
#: A worker is sent files in batches of at most this many files or bytes (whichever comes
#: first): large enough that the round trips cost nothing, small enough to share the files
#: evenly and to hold only a few batches at a time.
BATCH_FILES = 32
BATCH_BYTES = 1 << 19
#: The worker script: run by its path, it imports lizard and the standard library only.
WORKER_SCRIPT = Path(__file__).with_name("lizard_worker.py")

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


def measure_source(path: str, text: str, *, indent_width: int = INDENT_WIDTH) -> dict:
    """One ``complexity`` row for a file's text: lizard where it knows the language,
    lines and indentation otherwise (see the module docstring)."""
    return _with_na(measure_text(path, text, indent_width))


def _with_na(row: dict) -> dict:
    """A worker's row with pandas' missing value where lizard did not measure."""
    for key in ("ccn_total", "ccn_max"):
        if row[key] is None:
            row[key] = pd.NA
    return row


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
    measured in ``workers`` worker processes (default: one per core) when there are at least
    :data:`PARALLEL_FROM_FILES` of them (:func:`_measure_in_workers`), while ``git cat-file``
    reads them; the result does not depend on ``workers``."""
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
    files = _readable(repo, blobs, rejects)
    workers = (os.cpu_count() or 1) if workers is None else max(1, int(workers))
    if workers == 1 or len(blobs) < PARALLEL_FROM_FILES:
        rows = [row for batch in _batches(files) for row in measure_batch(indent_width, batch)]
    else:
        rows = _measure_in_workers(files, indent_width, workers)
    return complexity_frame(_with_na(row) for row in rows)


def _readable(repo: Path, blobs: list[tuple[str, str]], rejects: Rejects) -> Iterator[tuple[str, bytes]]:
    """``(path, contents)`` of the blobs that can be measured; the others rejected, with why."""
    for path, body in _cat_blobs(repo, blobs):
        if body is None:
            rejects.add(SOURCE, path, "blob missing from the object store (partial clone?)")
        elif b"\0" in body[:BINARY_SNIFF_BYTES]:
            rejects.add(SOURCE, path, "binary file: no lines to measure")
        else:
            yield path, body


def _batches(files: Iterable[tuple[str, bytes]]) -> Iterator[list[tuple[str, bytes]]]:
    """``files`` in consecutive batches of at most :data:`BATCH_FILES` files or
    :data:`BATCH_BYTES` bytes (a larger file alone)."""
    batch: list[tuple[str, bytes]] = []
    size = 0
    for path, body in files:
        if batch and (len(batch) >= BATCH_FILES or size + len(body) > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((path, body))
        size += len(body)
    if batch:
        yield batch


def _measure_in_workers(files: Iterator[tuple[str, bytes]], indent_width: int, workers: int) -> list[dict]:
    """Measure ``files`` in ``workers`` worker processes (lizard is pure Python and CPU-bound).

    Each worker is a fresh interpreter running :mod:`analysis.sources.git.lizard_worker`,
    driven by a thread of this process that sends it one batch at a time, taken from a short
    queue this thread fills as ``git cat-file`` reads the blobs: the files are shared evenly
    whatever each costs, and only a few batches are held at once. A worker that cannot be
    started or stops answering leaves its batches to be measured here, with the same result.
    The rows come back in the order of the files, whichever worker measured them."""
    pending: queue.Queue[tuple[int, list[tuple[str, bytes]]] | None] = queue.Queue(maxsize=2 * workers)
    measured: dict[int, list[dict]] = {}
    errors: list[BaseException] = []
    abandon = threading.Event()
    drivers = [threading.Thread(target=_drive_worker, args=(pending, measured, errors, abandon, indent_width),
                                name=f"seams-complexity-{n}", daemon=True) for n in range(workers)]
    for driver in drivers:
        driver.start()
    try:
        for index, batch in enumerate(_batches(files)):
            pending.put((index, batch))
            if errors:
                break
    except BaseException:
        abandon.set()
        raise
    finally:
        for _ in drivers:
            pending.put(None)
        for driver in drivers:
            driver.join()
    if errors:
        raise errors[0]
    return [row for index in sorted(measured) for row in measured[index]]


def _drive_worker(pending: queue.Queue, measured: dict[int, list[dict]], errors: list[BaseException],
                  abandon: threading.Event, indent_width: int) -> None:
    """Send the batches of ``pending`` to one worker process until ``None``, their rows into
    ``measured`` by batch number; without a worker (or after it failed), measure them here."""
    worker = _start_worker()
    try:
        while (item := pending.get()) is not None:
            if abandon.is_set() or errors:
                continue  # drained, so that the thread filling the queue never waits on it
            index, batch = item
            try:
                rows = None
                if worker is not None:
                    try:
                        rows = _ask(worker, indent_width, batch)
                    except (OSError, EOFError, pickle.UnpicklingError):
                        _stop_worker(worker)
                        worker = None
                measured[index] = rows if rows is not None else measure_batch(indent_width, batch)
            except BaseException as exc:
                errors.append(exc)
    finally:
        if worker is not None:
            _stop_worker(worker)


def _ask(worker: subprocess.Popen, indent_width: int, batch: list[tuple[str, bytes]]) -> list[dict]:
    """One batch's rows, measured by ``worker``."""
    assert worker.stdin is not None and worker.stdout is not None  # started with pipes
    pickle.dump((indent_width, batch), worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
    worker.stdin.flush()
    rows = pickle.load(worker.stdout)  # noqa: S301 (the answer of the worker this process started)
    if not isinstance(rows, list) or len(rows) != len(batch):
        raise EOFError("the worker's answer does not match the batch")
    return rows


def _start_worker() -> subprocess.Popen | None:
    """A worker process (:mod:`analysis.sources.git.lizard_worker`), or None when none can start."""
    if not sys.executable or not WORKER_SCRIPT.is_file():
        return None
    try:
        return subprocess.Popen([sys.executable, "-P", str(WORKER_SCRIPT)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def _stop_worker(worker: subprocess.Popen) -> None:
    """Close the worker's input (it ends at the end of it) and wait for it; kill it if it lingers."""
    for stream in (worker.stdin, worker.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


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
