"""The error of the code-maat analyses: a bad option, grouping, team map or analysis name."""

from __future__ import annotations

from analysis.core.errors import SeamsError


class CodeMaatError(SeamsError):
    """An analysis cannot run on what it was given; the message says what was expected."""
