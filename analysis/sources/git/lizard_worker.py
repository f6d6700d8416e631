"""Measuring one file's text (lizard, lines, indentation), and the worker process that does it
for :mod:`analysis.sources.git.complexity`.

This module imports the standard library and lizard only, nothing of Seams or pandas, so that
a worker is a small process: ``python -P lizard_worker.py`` (run as a script, by its path, it
does not import the ``analysis`` package either). A worker started by forking the command would
count the command's pages (pandas, the mined frames) again in its resident set; this one starts
at the size of an interpreter with lizard.

The worker reads pickled requests on stdin, each ``(indent_width, [(path, contents), ...])``
with the contents as bytes (decoded here, as UTF-8 with U+FFFD), and answers each with the
pickled list of rows (:func:`measure_text`), in the same order, on stdout; it ends at the end
of its input.
"""

from __future__ import annotations

import pickle
import sys
from typing import BinaryIO

TEXT_LANGUAGE = "text"
INDENT_WIDTH = 4


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


def measure_text(path: str, text: str, indent_width: int = INDENT_WIDTH) -> dict:
    """One ``complexity`` row for a file's text: lizard where it knows the language, lines
    and indentation otherwise; ``ccn_total`` and ``ccn_max`` are None where lizard did not
    measure (``text``)."""
    indentation, nonblank = indentation_complexity(text, indent_width)
    row = {"path": path, "language": TEXT_LANGUAGE, "nloc": nonblank, "ccn_total": None, "ccn_max": None,
           "functions": 0, "indentation_complexity": indentation}
    parsed = _lizard(path, text)
    if parsed is not None:
        row.update(parsed)
    return row


def measure_batch(indent_width: int, files: list[tuple[str, bytes]]) -> list[dict]:
    """The rows of ``files`` (path, contents as bytes), in their order."""
    return [measure_text(path, body.decode("utf-8", "replace"), indent_width) for path, body in files]


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


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer every request on ``requests`` (see the module docstring) until its end."""
    while True:
        try:
            indent_width, files = pickle.load(requests)  # noqa: S301 (sent by the command that started this process)
        except EOFError:
            return
        pickle.dump(measure_batch(indent_width, files), answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
