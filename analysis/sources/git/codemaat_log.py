"""code-maat's ``git2`` log, straight from a repository (``seams codemaat --repo``).

:func:`git2_log` streams the lines of the command code-maat's documentation gives::

    git log --all --numstat --date=short --pretty=format:'--%h--%ad--%aN' --no-renames

with git's own quoting of unusual file names (``core.quotepath`` as git's default, so the
lines are those the documented command writes to a file), decoded as UTF-8 (U+FFFD for bad
bytes). The repository is only read. :func:`analysis.measures.codemaat.parse_git2_log` reads
the lines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from analysis.core.errors import SourceError
from analysis.sources.git.command import start_git

SOURCE = "git2 log"
GIT2_ARGS = ("-c", "core.quotepath=on", "log", "--all", "--numstat", "--date=short", "--pretty=format:--%h--%ad--%aN",
             "--no-renames")


def git2_log(repository: str | os.PathLike) -> Iterator[str]:
    """The git2 log of ``repository``, line by line (newline kept); SourceError when git fails."""
    proc = start_git(repository, *GIT2_ARGS)
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            yield raw.decode("utf-8", errors="replace")
    finally:
        proc.stdout.close()
        code = proc.wait()
    if code != 0:
        raise SourceError(SOURCE, f"git log failed in {repository} (exit {code}): is it a git repository?")
