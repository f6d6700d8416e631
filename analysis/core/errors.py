"""The errors Seams raises on purpose.

One root, :class:`SeamsError`; the command line prints its message and exits non-zero
without a traceback. Subclasses carry the context a user needs to act: the file, the key,
what was expected.

A message may quote input (a log's first line, a config value). Every such message is made
safe where the error is made: :func:`analysis.core.privacy.safe_message` masks the literals
in it and escapes control characters, and the file names are escaped, so no secret and no
terminal escape sequence reaches stderr, a notebook or ``findings.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.core.privacy import escape_controls, safe_message

#: Problems a ConfigError lists one by one (the rest are counted).
MAX_LISTED_PROBLEMS = 50
#: Characters of a found value shown in a problem.
MAX_FOUND_CHARS = 300


class SeamsError(Exception):
    """Root of every error Seams raises deliberately."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a configuration file: where it is and what was expected."""

    key: str
    expected: str
    found: str | None = None

    def __str__(self) -> str:
        found = f" (found {safe_message(self.found, MAX_FOUND_CHARS)})" if self.found is not None else ""
        return f"{safe_message(self.key, MAX_FOUND_CHARS)}: expected {self.expected}{found}"


class ConfigError(SeamsError):
    """A configuration file is missing or invalid.

    Every problem found is collected and raised once, so a user fixes them all in one go.
    """

    def __init__(self, path: str, problems: list[ConfigProblem]):
        self.path = str(path)
        self.problems = list(problems)
        listed = [f"  - {p}" for p in self.problems[:MAX_LISTED_PROBLEMS]]
        if len(self.problems) > MAX_LISTED_PROBLEMS:
            listed.append(f"  - and {len(self.problems) - MAX_LISTED_PROBLEMS} more")
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{escape_controls(self.path)}: {len(self.problems)} configuration {noun}:\n" + "\n".join(listed))


class SourceError(SeamsError):
    """A source cannot be read at all (not a git repository, file missing, wrong format).

    Records that cannot be read inside a readable source are not errors: they are counted
    and written to the rejects file (see :mod:`analysis.core.rejects`).
    """

    def __init__(self, source: str, message: str):
        self.source = source
        super().__init__(f"{escape_controls(str(source))}: {safe_message(message)}")


class OutputError(SeamsError):
    """An output folder (``--out``) is a file or cannot be created or written; nothing was
    run."""

    def __init__(self, folder: str, message: str):
        self.folder = str(folder)
        super().__init__(f"{escape_controls(self.folder)}: {safe_message(message)}")


class ReportError(SeamsError):
    """Executing or exporting the report failed; the last good report is left untouched."""
