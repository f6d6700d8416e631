"""What ``seams init`` reads of a repository: its files at ``HEAD``, their text (small files
only, from the working tree), and one pass over its history (every change, renames detected).

Read-only: git runs through :mod:`analysis.sources.git.command` (no optional locks, never
prompting), files are opened for reading, and the analysed code is never imported or run.

History: ``git log --name-status -M -z --format=<commit> HEAD``; ``changes`` has one row per
changed path (commit, date, status, path, old_path), so that coverage of historical changes and
the renames of folders (:mod:`analysis.discovery.renames`) come from the same pass.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

import pandas as pd

from analysis.core.errors import SourceError
from analysis.sources.git.command import run_git
from analysis.sources.git.head import head_paths

#: files larger than this are not read (generated bundles, data)
MAX_TEXT_BYTES = 1_000_000
_MARK = "\x01"


def parse_name_status(raw: str) -> pd.DataFrame:
    """``git log --name-status -M -z --format=%x01%H %as`` output as rows: commit, date,
    status (A, M, D, R, C, T), path, old_path (renames and copies only)."""
    rows: list[tuple[str, str, str, str, str | None]] = []
    for block in raw.split(_MARK)[1:]:
        header, _, body = block.partition("\n")
        commit, _, date = header.strip("\0\n").partition(" ")
        fields = [f for f in body.strip("\n").split("\0")]
        i = 0
        while i < len(fields):
            status = fields[i].strip("\n")
            if not status:
                i += 1
                continue
            kind = status[0]
            if kind in "RC" and i + 2 < len(fields):
                rows.append((commit, date, kind, fields[i + 2], fields[i + 1]))
                i += 3
            elif i + 1 < len(fields):
                rows.append((commit, date, kind, fields[i + 1], None))
                i += 2
            else:
                break
    return pd.DataFrame(rows, columns=["commit", "date", "status", "path", "old_path"])


@dataclass
class RepositoryTree:
    """One repository as ``seams init`` sees it (see the module docstring)."""

    root: Path
    files: list[str]
    _texts: dict[str, str | None] = field(default_factory=dict, repr=False)
    history_error: str | None = None
    _reader: threading.Thread | None = field(default=None, repr=False)
    _history: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def read(cls, root: str | Path) -> RepositoryTree:
        root = Path(root)
        if not root.is_dir():
            raise SourceError("init", f"{root}: not a folder")
        return cls(root=root, files=sorted(head_paths(root)))

    @cached_property
    def file_set(self) -> frozenset[str]:
        return frozenset(self.files)

    @cached_property
    def folders(self) -> frozenset[str]:
        out = set()
        for f in self.files:
            parent = PurePosixPath(f).parent
            while str(parent) != ".":
                if str(parent) in out:
                    break
                out.add(str(parent))
                parent = parent.parent
        return frozenset(out)

    def text(self, path: str) -> str | None:
        """The file's text (UTF-8, U+FFFD for bad bytes); None when missing or too large."""
        if path not in self._texts:
            full = self.root / path
            try:
                self._texts[path] = full.read_text(encoding="utf-8", errors="replace") if full.stat().st_size <= MAX_TEXT_BYTES else None
            except OSError:
                self._texts[path] = None
        return self._texts[path]

    def under(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/"
        return [f for f in self.files if f.startswith(prefix)]

    def children(self, folder: str) -> list[str]:
        """Direct sub-folders of ``folder`` ("" for the root)."""
        depth = 0 if not folder else folder.count("/") + 1
        prefix = folder + "/" if folder else ""
        return sorted({f for f in self.folders if f.startswith(prefix) and f.count("/") == depth})

    def start_history(self) -> None:
        """Start reading the history in a thread (git runs as its own process, so the other
        steps go on meanwhile); :attr:`changes` waits for it."""
        if self._reader is None:
            self._reader = threading.Thread(target=self._read_history, daemon=True)
            self._reader.start()

    def _read_history(self) -> None:
        try:
            out = run_git(self.root, "log", "--no-color", "--no-ext-diff", "--name-status", "-M", "-z", "--format=" + _MARK + "%H %as",
                          "HEAD", "--", timeout=600)
        except SourceError as exc:
            self.history_error = str(exc)
            self._history = parse_name_status("")
            return
        if out.returncode != 0:
            self.history_error = out.stderr.strip() or "git log failed"
            self._history = parse_name_status("")
        else:
            self._history = parse_name_status(out.stdout)

    @property
    def changes(self) -> pd.DataFrame:
        """Every change of the history (module docstring); empty with ``history_error`` set when
        the repository has no history git can read."""
        self.start_history()
        assert self._reader is not None
        self._reader.join()
        return self._history if self._history is not None else parse_name_status("")
