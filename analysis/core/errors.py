"""The errors Seams raises on purpose.

One root, :class:`SeamsError`; the command line prints its message and exits non-zero
without a traceback. Subclasses carry the context a user needs to act: the file, the key,
what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass


class SeamsError(Exception):
    """Root of every error Seams raises deliberately."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a configuration file: where it is and what was expected."""

    key: str
    expected: str
    found: str | None = None

    def __str__(self) -> str:
        found = f" (found {self.found})" if self.found is not None else ""
        return f"{self.key}: expected {self.expected}{found}"


class ConfigError(SeamsError):
    """A configuration file is missing or invalid.

    Every problem found is collected and raised once, so a user fixes them all in one go.
    """

    def __init__(self, path: str, problems: list[ConfigProblem]):
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{self.path}: {len(self.problems)} configuration {noun}:\n{lines}")


class SourceError(SeamsError):
    """A source cannot be read at all (not a git repository, file missing, wrong format).

    Records that cannot be read inside a readable source are not errors: they are counted
    and written to the rejects file (see :mod:`analysis.core.rejects`).
    """

    def __init__(self, source: str, message: str):
        self.source = source
        super().__init__(f"{source}: {message}")


class ReportError(SeamsError):
    """Executing or exporting the report failed; the last good report is left untouched."""
