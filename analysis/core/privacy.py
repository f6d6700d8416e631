"""What may leave Seams' cache: names and templates, never values.

Span names, routes and queue names come from the inputs. Routes (``http.route``) are
templates by the semantic conventions, but a span name can carry what a request was about
(``GET /reset/8f2c…``, ``process order 4711``). :func:`mask_identifiers` keeps the shape of a
name and replaces every part that looks like a value — a number, a hex or base64-like token, a
UUID, an e-mail address, a quoted string — with a placeholder, so a name can be shown in a
report or a message without its values.
"""

from __future__ import annotations

import re

_VALUE = re.compile(
    r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"              # quoted strings
      |[\w.+-]+@[\w-]+(?:\.[\w-]+)+                      # e-mail addresses
      |\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b   # UUIDs
      |(?<![\w{<])[A-Za-z0-9_\-=]*\d[A-Za-z0-9_\-=]*(?![\w}>])     # anything with a digit (ids, tokens, numbers)
      |\b[A-Za-z0-9_\-]{24,}\b                           # long tokens
    """,
    re.VERBOSE,
)
PLACEHOLDER = "{…}"


def mask_identifiers(text: str) -> str:
    """``text`` with every value-like part replaced by :data:`PLACEHOLDER` (see the module
    docstring); route parameters already in template form (``{id}``, ``<int:pk>``) stay."""
    return _VALUE.sub(PLACEHOLDER, text)
