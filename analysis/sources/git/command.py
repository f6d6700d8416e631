"""The only place Seams runs git: one environment (read-only, never prompting, no variable
pointing at another repository), one command shape, streamed output."""

from __future__ import annotations

import datetime as dt
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analysis.core.errors import SourceError
from analysis.sources.git.parse import SOURCE, log_format

CHUNK_BYTES = 1 << 20  # large reads: the parser keeps pace with git and the pipe stays full


#: Variables that would make git read another repository than the one asked for.
_REPOSITORY_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
)


def git_environment() -> dict[str, str]:
    """The environment git runs in: read-only (no optional locks), never prompting, its
    output fully buffered (``GIT_FLUSH=0``: into a pipe git would otherwise flush after
    every commit, one write and one wake-up of the reader per commit)."""
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_FLUSH="0")
    return env


def git_command(repository: Path, args: Sequence[str]) -> list[str]:
    return ["git", "--no-pager", "-C", str(repository), "-c", "core.quotepath=off", *args]


def run_git(repository: str | os.PathLike, *args: str, text: bool = True,
            timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run a short git command in ``repository`` and wait for it; stdout and stderr as text
    (U+FFFD for bad bytes), or as bytes with ``text=False``. Raises SourceError when git
    cannot be started or runs past ``timeout`` seconds; a failing git is the caller's to
    judge (``returncode``)."""
    kwargs: dict = {"encoding": "utf-8", "errors": "replace"} if text else {}
    try:
        return subprocess.run(git_command(Path(repository), args), capture_output=True, env=git_environment(),
                              stdin=subprocess.DEVNULL, check=False, timeout=timeout, **kwargs)
    except FileNotFoundError:
        raise SourceError(SOURCE, "the git command was not found on PATH") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(SOURCE, f"cannot run git: {exc}") from None


def start_git(repository: str | os.PathLike, *args: str, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
              stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """Start a git process in ``repository`` (bytes in and out) for the caller to stream."""
    try:
        return subprocess.Popen(git_command(Path(repository), args), stdin=stdin, stdout=stdout, stderr=stderr,
                                env=git_environment())
    except OSError as exc:
        raise SourceError(SOURCE, f"cannot run git: {exc}") from None


#: The latest ``--since`` git reads right (2096-10-02); later dates are clamped to it.
LATEST_SINCE = 4_000_000_000


@dataclass(frozen=True)
class GitLog:
    """One ``git log`` run over ``repository`` (options as in the module docstring).

    ``revisions`` is the commit range (``("HEAD",)``, or ``("HEAD", "^OLD")`` for the
    commits since OLD); ``max_count`` keeps only the walk's first commits; ``commits``
    instead lists exact commits, read from stdin with ``--no-walk=unsorted`` (used to
    split the names and churn passes across processes).
    """

    repository: Path
    since: dt.date | None = None
    churn: bool = True
    follow_renames: bool = True
    mailmap: bool = False
    revisions: tuple[str, ...] = ("HEAD",)
    commits: tuple[str, ...] | None = None
    max_count: int | None = None

    def arguments(self) -> list[str]:
        args = ["log"]
        args += ["--no-walk=unsorted", "--stdin"] if self.commits is not None else list(self.revisions)
        args += ["--no-color", "--no-ext-diff", "--no-textconv", "--no-show-signature", "--encoding=UTF-8",
                 "--root", "-z"]
        args += ["--raw", "--numstat"] if self.churn else ["--name-status"]
        args.append("-M" if self.follow_renames else "--no-renames")
        if self.commits is None:
            args += self.limits()
            if self.max_count is not None:
                args.append(f"--max-count={self.max_count}")
        args += [f"--format={log_format(self.mailmap)}", "--"]
        return args

    def limits(self) -> list[str]:
        """Options besides the revisions that choose which commits the walk shows.

        ``since`` goes to git as an explicit timestamp (``@seconds``): git's approxidate
        misreads dates from 2100 on (``--since=2150-01-01`` shows every commit). A date past
        :data:`LATEST_SINCE` is clamped to it: no commit of a real history is that new."""
        if self.since is None:
            return []
        seconds = int(dt.datetime.combine(self.since, dt.time(), tzinfo=dt.UTC).timestamp())
        return [f"--since=@{min(seconds, LATEST_SINCE)}"]

    @contextmanager
    def _stdin(self):
        if self.commits is None:
            yield subprocess.DEVNULL
            return
        with tempfile.TemporaryFile() as fh:  # outside the repository; no pipe to deadlock on
            fh.write("".join(f"{c}\n" for c in self.commits).encode())
            fh.seek(0)
            yield fh

    @contextmanager
    def _running(self) -> Iterator[tuple[subprocess.Popen, object]]:
        """git started (stdout a pipe, stderr a temporary file outside the repository);
        killed if still running when the block is left."""
        with tempfile.TemporaryFile() as errors, self._stdin() as stdin:
            try:
                proc = subprocess.Popen(git_command(self.repository, self.arguments()), stdout=subprocess.PIPE,
                                        stderr=errors, stdin=stdin, env=git_environment())
            except FileNotFoundError:
                raise SourceError(SOURCE, "the git command was not found on PATH") from None
            assert proc.stdout is not None  # stdout=PIPE
            _widen_pipe(proc.stdout)
            try:
                yield proc, errors
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                proc.stdout.close()

    @contextmanager
    def stream(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Iterator[bytes]]:
        """The log's stdout in chunks, read while git writes it.

        git's stderr goes to a temporary file outside the repository (so a chatty git
        cannot block on a full pipe); a non-zero exit raises :class:`SourceError` once
        the output is consumed. Leaving the block early stops git.
        """
        with self._running() as (proc, errors):
            yield _read_chunks(proc, errors, chunk_bytes)

    def output(self) -> bytes:
        """The whole stdout (for the parallel churn pass); raises :class:`SourceError` on failure."""
        with self.stream(1 << 20) as chunks:
            return b"".join(chunks)

    @contextmanager
    def drained(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Iterator[bytes]]:
        """Like :meth:`stream`, but a thread reads git's output as it comes, so git never
        waits for the caller; the chunks are yielded in order whenever the caller gets to
        them, and git's failure is raised there. Leaving the block early stops git."""
        done = object()
        pieces: queue.SimpleQueue = queue.SimpleQueue()
        with self._running() as (proc, errors):
            def drain() -> None:
                try:
                    for chunk in _read_chunks(proc, errors, chunk_bytes):
                        pieces.put(chunk)
                    pieces.put(done)
                except BaseException as error:  # raised on the reading side
                    pieces.put(error)

            reader = threading.Thread(target=drain, name="git-log-reader", daemon=True)
            reader.start()

            def chunks() -> Iterator[bytes]:
                while (item := pieces.get()) is not done:
                    if isinstance(item, BaseException):
                        raise item
                    yield item

            try:
                yield chunks()
            finally:
                if reader.is_alive() and proc.poll() is None:
                    proc.kill()  # the reader then meets the end of the pipe
                reader.join()


def _widen_pipe(pipe) -> None:
    """Let git run ahead of the parser by up to 1 MiB (Linux; elsewhere the default stays)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # a smaller pipe only means less overlap between git and the parser


def _read_chunks(proc: subprocess.Popen, errors, chunk_bytes: int) -> Iterator[bytes]:
    assert proc.stdout is not None  # started with stdout=PIPE
    while chunk := proc.stdout.read(chunk_bytes):
        yield chunk
    if proc.wait() != 0:
        errors.seek(0)
        said = errors.read().decode("utf-8", "replace").strip()
        raise SourceError(SOURCE, f"git log failed with exit code {proc.returncode} (git said: {said})")


@dataclass(frozen=True)
class RepositoryState:
    head: str | None
    shallow: bool

    @property
    def has_commits(self) -> bool:
        return self.head is not None


def repository_state(repository: Path) -> RepositoryState:
    if not repository.is_dir():
        raise SourceError(SOURCE, f"{repository} does not exist or is not a directory")
    # one process: the shallow flag on the first line, HEAD's commit on the second (exit
    # code 1 and no second line when HEAD has no commit yet)
    out = run_git(repository, "rev-parse", "--is-shallow-repository", "--verify", "--quiet", "HEAD^{commit}")
    lines = out.stdout.split()
    if out.returncode not in (0, 1) or not lines or lines[0] not in ("true", "false"):
        raise SourceError(SOURCE, f"{repository} is not a git repository (git said: {out.stderr.strip()})")
    sha = lines[1] if out.returncode == 0 and len(lines) > 1 else None
    return RepositoryState(head=sha, shallow=lines[0] == "true")




def head_commit(repository: str | os.PathLike) -> str | None:
    """The commit ``HEAD`` names in ``repository``; None when it is no git repository or
    has no commit yet."""
    out = run_git(repository, "rev-parse", "--verify", "-q", "HEAD", timeout=60)
    return out.stdout.strip() or None if out.returncode == 0 else None
