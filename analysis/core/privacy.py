"""What may leave Seams: names and templates, never values.

Three kinds of text come from the inputs and can carry what a user must not see in a report, a
rejects file, a terminal or a notebook — a password in a rotated log line, a card number, a
reset token in a span name, an escape sequence that retitles the terminal:

- **names** (span names, routes, queue names): :func:`mask_identifiers` keeps the shape of a
  name and replaces every part that looks like a value — a number, a hex or base64-like
  token, a UUID, an e-mail address, a quoted string — with :data:`PLACEHOLDER`
  (``GET /reset/8f2c…`` → ``GET /reset/{…}``), so a name can be shown without its values;
- **excerpts** of records that could not be read (a log line, a JSON line):
  :func:`mask_excerpt` — control characters escaped, then :func:`mask_literals`;
- **messages** that quote input (errors, failure messages): :func:`safe_message`.

:func:`mask_literals` masks the way statement fingerprints mask SQL (``?`` for each literal):
quoted strings (``'…'`` with ``''`` escapes, ``E'…'`` with backslash escapes, ``B''``/``X''``/
``N''``), dollar quotes (``$$…$$``, ``$tag$…$tag$``), ``$n`` parameters, numbers (decimal,
exponent, hex), comments; a double-quoted text is kept only when it is an identifier
(``"Order"``), else it is a literal (MySQL strings, JSON values). Beyond fingerprints, and
because a fragment need not be SQL: every word holding a digit (``S3CRET``, ``tok_9f8e``, a
date), e-mail addresses and UUIDs are masked too. A fragment that starts inside a literal
(a rotated log beginning ``S3CRET' AND …``, or with an odd number of quotes whose first one can
close) is masked up to that quote, and an unterminated literal runs to the end, so no part of
a cut literal shows. Text without quotes, digits or ``@`` is kept: ``WHERE password =`` stays,
and so does a lone word of letters that is not quoted (it reads as an identifier).

:func:`safe_message` is for messages that quote input: at most :data:`MAX_MESSAGE_CHARS`
characters, control characters escaped (``\\x1b``; new lines and tabs kept), every quoted part
(``'…'`` or ``"…"``, pairing quotes so that a quoted log line holding quotes is one part)
passed through :func:`mask_literals`, and outside quotes e-mail addresses, UUIDs, runs of
:data:`MESSAGE_DIGITS` digits or more and long digit-bearing tokens (not path segments)
replaced by ``?``. Paths, keys and line numbers stay readable.

All of them are linear in the text and bounded: callers cut excerpts before masking, and
:func:`safe_message` cuts first.
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
#: What a masked literal becomes (as in statement fingerprints).
LITERAL = "?"
#: Longest message :func:`safe_message` returns (longer ones are cut, ``…`` at the end).
MAX_MESSAGE_CHARS = 2_000
#: Digits in a row that :func:`safe_message` masks outside quotes (card and account numbers).
MESSAGE_DIGITS = 9
#: Characters of an excerpt that are masked (the rest is cut before masking).
MAX_MASKED_CHARS = 2_000


def mask_identifiers(text: str) -> str:
    """``text`` with every value-like part replaced by :data:`PLACEHOLDER` (see the module
    docstring); route parameters already in template form (``{id}``, ``<int:pk>``) stay."""
    return _VALUE.sub(PLACEHOLDER, text)


# --------------------------------------------------------------------------------------
# control characters

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with control characters (C0, DEL, C1, line separators and bidirectional
    overrides) written as ``\\xNN`` / ``\\uNNNN``, so nothing in it can move the cursor,
    clear a terminal or reorder what is shown; characters in ``keep`` (``"\\n\\t"`` for a
    message of several lines) stay."""
    def escape(m: re.Match) -> str:
        c = m.group()
        if c in keep:
            return c
        code = ord(c)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escape, text)


# --------------------------------------------------------------------------------------
# literals

_SPECIAL = re.compile(r"""['"$]|--|/\*""")
_PLAIN = re.compile(
    r"""[\w.+-]+@[\w-]+(?:\.[\w-]+)+                               # e-mail addresses
      |[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}        # UUIDs
      |(?<![\w$])[\w$]*\d[\w$]*(?:\.\d[\w$]*)*                      # numbers and words with a digit
      |(?<![\w$])\.\d[\w$]*                                         # .5
    """,
    re.VERBOSE,
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_$]*")
_JSON_KEY = re.compile(r"[A-Za-z_@][A-Za-z_.:@$-]*")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
_STRING_PREFIXES = "eEbBxXnN"


def _mask_plain(text: str) -> str:
    return _PLAIN.sub(LITERAL, text) if text else text


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _can_open(text: str, at: int) -> bool:
    """A quote at ``at`` may open a literal: nothing word-like before it, or a string prefix
    (``E'``, ``X'``…) standing alone."""
    if at == 0 or not _is_word(text[at - 1]):
        return True
    return text[at - 1] in _STRING_PREFIXES and (at == 1 or not _is_word(text[at - 2]))


def _can_close(text: str, at: int) -> bool:
    return at + 1 >= len(text) or not _is_word(text[at + 1])


def _leading_literal_end(text: str) -> int:
    """Where a literal the fragment starts inside ends (after its closing quote), or 0.

    The first single quote closes such a literal when it cannot open one (a word right before
    it: ``S3CRET' AND``), or when the quotes are odd in number and it can close one
    (``secret ', 'x')``)."""
    first = text.find("'")
    if first < 0:
        return 0
    before = text.find('"', 0, first)
    if before >= 0 or text.find("$", 0, first) >= 0:
        return 0
    if not _can_open(text, first):
        return first + 1
    if text.count("'") % 2 == 1 and _can_close(text, first):
        return first + 1
    return 0


def _quoted_end(text: str, start: int, quote: str, backslashes: bool) -> int:
    """The index after the quote closing the literal opened at ``start`` (doubled quotes and,
    with ``backslashes``, ``\\x`` escapes inside), or ``len(text)`` when it is unterminated."""
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if backslashes and c == "\\":
            i += 2
            continue
        if c == quote:
            if i + 1 < n and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def mask_literals(text: str, *, json: bool = False) -> str:
    """``text`` with its literals replaced by :data:`LITERAL` (rules: the module docstring).

    ``json``: the text is JSON, so a double-quoted string followed by ``:`` is a key (kept when
    it is a plain key: letters, ``_``, ``.``, ``-``) and every other string is a value, masked;
    there are no comments nor dollar quotes.
    """
    out: list[str] = []
    i = 0 if json else _leading_literal_end(text)
    if i:
        out.append(LITERAL)
    n = len(text)
    plain_from = i
    while i < n:
        m = _SPECIAL.search(text, i)
        if m is None:
            break
        j = m.start()
        token = m.group()
        if json and token not in ('"', "'"):
            i = j + 1
            continue
        if token == "'":
            prefix = j > 0 and text[j - 1] in "eE" and (j == 1 or not _is_word(text[j - 2]))
            end = _quoted_end(text, j, "'", backslashes=prefix or json)
            replacement = LITERAL
        elif token == '"':
            end = _quoted_end(text, j, '"', backslashes=json)
            inner = text[j + 1:end - 1] if end <= n and text[end - 1:end] == '"' and end - 1 > j else None
            if json:
                rest = text[end:end + 40].lstrip()
                is_key = rest.startswith(":")
                keep = is_key and inner is not None and _JSON_KEY.fullmatch(inner) is not None
            else:
                keep = inner is not None and _IDENTIFIER.fullmatch(inner) is not None
            replacement = text[j:end] if keep else f'"{LITERAL}"' if json and end < n else LITERAL
        elif token == "$":
            if j > 0 and (_is_word(text[j - 1]) or text[j - 1] == "$"):
                i = j + 1
                continue
            tag = _DOLLAR_TAG.match(text, j)
            if tag is None:
                i = j + 1  # "$1" and the like are masked with the plain text
                continue
            close = text.find(tag.group(), tag.end())
            end = n if close < 0 else close + len(tag.group())
            replacement = LITERAL
        elif token == "--":
            if j > 0 and not (text[j - 1].isspace() or text[j - 1] in "(),;"):
                i = j + 2
                continue
            newline = text.find("\n", j)
            end = n if newline < 0 else newline
            replacement = "--" + LITERAL
        else:  # /*
            close = text.find("*/", j + 2)
            end = n if close < 0 else close + 2
            replacement = "/*" + LITERAL + "*/"
        out.append(_mask_plain(text[plain_from:j]))
        out.append(replacement)
        i = plain_from = end
    out.append(_mask_plain(text[plain_from:]))
    return "".join(out)


#: A span name that is a SQL statement (some instrumentations name database spans so): its
#: literals are masked as it is read (:func:`mask_span_name`), so no value of a statement is kept.
SQL_NAME = r"^\s*\(?\s*(?i:select|insert|update|delete|with|merge|replace|upsert|call|exec|execute|copy|values|set|show)\s"
_SQL_NAME = re.compile(SQL_NAME)


def mask_span_name(name: str) -> str:
    """A span name as the trace readers keep it: a name that is a SQL statement (:data:`SQL_NAME`)
    with its literals masked (:func:`mask_literals`), any other name as it is."""
    return mask_literals(name) if _SQL_NAME.match(name) else name


def mask_excerpt(text: str | bytes, limit: int | None = None) -> str:
    """A rejected record's excerpt as it may be written: decoded (bytes as UTF-8 with
    U+FFFD), cut to :data:`MAX_MASKED_CHARS`, control characters escaped, literals masked
    (JSON rules when it starts with ``{`` or ``[``), then cut to ``limit`` characters."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text[:MAX_MASKED_CHARS * 4]).decode("utf-8", "replace")
    text = text[:MAX_MASKED_CHARS]
    stripped = text.lstrip()
    masked = mask_literals(escape_controls(text), json=stripped[:1] in ("{", "["))
    return masked if limit is None else masked[:limit]


# --------------------------------------------------------------------------------------
# messages

_MESSAGE_PLAIN = re.compile(
    rf"""[\w.+-]+@[\w-]+(?:\.[\w-]+)+                               # e-mail addresses
      |[0-9a-fA-F]{{8}}-(?:[0-9a-fA-F]{{4}}-){{3}}[0-9a-fA-F]{{12}}  # UUIDs
      |(?<![\w/\\.-])\d{{{MESSAGE_DIGITS},}}(?![\w/\\.])            # long numbers (not in a path)
      |(?<![\w/\\.-])(?=[\w-]*\d)[\w-]{{20,}}(?![\w/\\.])          # long tokens with a digit (not in a path)
    """,
    re.VERBOSE,
)


class Masked(str):
    """Text whose producer already masked what it quotes (a log line shown with its prefix
    kept and its literals masked): :func:`safe_message` bounds it and escapes its control
    characters, and masks nothing more — masking again would garble what was kept on purpose
    (a ``log_line_prefix`` such as ``[%l-1]``)."""


def safe_message(text: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A message quoting input, as it may be printed or kept (rules: the module docstring)."""
    premasked = isinstance(text, Masked)
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + "…"
    text = escape_controls(text, keep="\n\t")
    if premasked:
        return text
    out: list[str] = []
    i = plain_from = 0
    n = len(text)
    while i < n:
        j = min((k for k in (text.find("'", i), text.find('"', i)) if k >= 0), default=-1)
        if j < 0:
            break
        quote = text[j]
        if not _can_open(text, j):
            i = j + 1
            continue
        end = j + 1
        while True:  # the next quote of the same kind that can close (not one before a word)
            k = text.find(quote, end)
            if k < 0:
                end = n
                break
            if k + 1 < n and text[k + 1] == quote:
                end = k + 2
                continue
            if _can_close(text, k):
                end = k + 1
                break
            end = k + 1
        closed = end <= n and end - 1 > j and text[end - 1] == quote and (end < n or _can_close(text, end - 1))
        inner = text[j + 1:end - 1] if closed else text[j + 1:end]
        out.append(_MESSAGE_PLAIN.sub(LITERAL, text[plain_from:j]))
        out.append(quote + mask_literals(inner) + (quote if closed else ""))
        i = plain_from = end
    out.append(_MESSAGE_PLAIN.sub(LITERAL, text[plain_from:]))
    return "".join(out)
