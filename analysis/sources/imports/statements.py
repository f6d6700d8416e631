"""What one Python file says beyond its plain imports (pure: bytes in, facts out).

:func:`file_facts` reads a file's text and returns a JSON-serialisable dict
(:func:`facts_of_files` reads many at once):

- ``kinds``: ``{line: kind}`` for every line of an import statement that is not
  ``static`` — ``type_checking`` under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``),
  ``function`` inside a function body;
- ``refs``: ``[how, text, line]`` string references that may name a module of the
  repository — ``import_module`` (``importlib.import_module("…")``, with a literal
  ``package=`` joined to a relative name), ``__import__``, ``installed_app`` (the strings
  of ``INSTALLED_APPS``), ``include`` (Django ``urls.py`` ``include("…")``), ``send_task``
  (Celery ``send_task("…")`` / ``signature("…")``), ``entry_point`` (``setup(entry_points=…)``);
- ``tasks``: ``[name, line]`` Celery tasks declared with an explicit name
  (``@app.task(name="…")``, ``@shared_task(name="…")``);
- ``signals``: ``[name, line]`` module-level ``NAME = Signal(...)`` definitions;
- ``receivers``: ``[dotted, line]`` signals a receiver is connected to
  (``@receiver(sig)``, ``@receiver([a, b])``, ``sig.connect(handler)``), written as the
  dotted name the expression refers to through the file's imports (relative imports keep
  their leading dots: ``..signals.order_paid``);
- ``unparsed``: true when the file had to be read with ``ast`` and Python cannot parse
  it (its imports count as static). Files given here are files grimp could read.

Speed, in three steps, each exact or giving way to the next (before them, one RE2 pass
over all the texts of a batch tells which may hold a fact at all; most hold none):

1. a byte scan finds the lines where an import may stand indented (or after ``:`` /
   ``;``) and the text of the constructs above. The scan is a superset of the
   constructs (a call by name with a string literal first argument, an assignment to
   ``INSTALLED_APPS``, an ``entry_points=`` keyword, a ``task``/``shared_task`` call, a
   ``Signal``/``ModelSignal`` call, an ``@…receiver(`` decorator, a ``.connect(…)`` call
   with an argument), so a fact is never missed; text that cannot hold one
   (``inspect.signature(func)``, ``create_task(``, ``conn.connect()``) is not read further;
2. the kinds are read from indentation (:func:`_kinds_by_indentation`): the lines that
   open the enclosing blocks, checked to start statements by one C-level pass that
   removes strings and comments; unusual text (tabs, a header split over lines, a
   continuation line where a block would open) gives way to ``ast``;
3. ``ast`` reads only the top-level statements holding a construct (and, when receivers
   must be named, each import statement alone); the whole file is read when a piece
   does not parse alone, or when step 2 gave way.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Sequence
from itertools import accumulate

import pyarrow as pa
import pyarrow.compute as pc

_INDENTED_FROM = re.compile(rb"[ \t]+from[ \t]")
_INLINE_FROM = re.compile(rb"[:;][ \t]*from[ \t]")
_IMPORT_WORD = re.compile(rb"\bimport\b")
# Between two tokens: white space, a line continuation, a comment (inside brackets).
_GAP = rb"(?:\s|\\|#[^\n]*)*"
_CALL = re.compile(_GAP + rb"\(")
# ``(`` then the first argument starting as a str literal (after any parentheses).
_LITERAL_CALL = re.compile(_GAP + rb"\(" + _GAP + rb"(?:\(" + _GAP + rb")*[rRuU]?[\'\"]")
_ARGUMENT_CALL = re.compile(_GAP + rb"\((?!" + _GAP + rb"\))")
_ASSIGNED = re.compile(rb"(?:[\s)\\]|#[^\n]*)*(?:[:=]|\+=)")
_KEYWORD = re.compile(_GAP + rb"=")
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_BLANK = b" \t\r\n\f\v\\"
_DECORATOR_RUN = bytes(sorted(_WORD)) + b"." + _BLANK + b"("
#: ``(word, what must follow it, what must precede it)``: the text of every construct that
#: gives a dynamic fact (the word stands alone: no letter, digit or ``_`` before it).
_DYNAMIC_TRIGGERS = (
    *((w, _LITERAL_CALL, None) for w in (b"import_module", b"__import__", b"include", b"send_task", b"signature")),
    (b"INSTALLED_APPS", _ASSIGNED, None),
    (b"entry_points", _KEYWORD, None),
    (b"task", _CALL, None), (b"shared_task", _CALL, None),
)
_SIGNAL_TRIGGERS = (
    (b"Signal", _CALL, None), (b"ModelSignal", _CALL, None),
    (b"receiver", _CALL, "decorator"),
    (b"connect", _ARGUMENT_CALL, "attribute"),
)
#: Words searched for in the text: each trigger word holds one (``send_task`` is found
#: where ``task`` is, ``ModelSignal`` where ``Signal`` is): one pass over the text per word here.
_SCANNED = (b"task", b"Signal")


def _scans(triggers: tuple) -> tuple:
    """``(scanned word, ((trigger word, its offset from the scanned word, after, before), ...)), ...``."""
    groups: dict[bytes, list] = {}
    for word, after, before in triggers:
        key = next((k for k in _SCANNED if k in word), word)
        groups.setdefault(key, []).append((word, word.find(key), after, before))
    return tuple((key, tuple(group)) for key, group in groups.items())


_DYNAMIC_SCANS = _scans(_DYNAMIC_TRIGGERS)
_SIGNAL_SCANS = _scans(_SIGNAL_TRIGGERS)
#: In RE2's syntax, what any line :func:`_import_lines` finds holds (an import or ``from``
#: after indentation, a line continuation, ``:`` or ``;``), or any trigger word standing
#: alone (RE2's ``\\b`` is ASCII, as :data:`_WORD`): a text without a match has no facts.
_MAY_HOLD_A_FACT = (r"(?m)^[ \t]+(?:import|from)[ \t]|\\\r*\n[ \t]*import|[:;][ \t]*(?:import|from)[ \t]"
                    r"|\b(?:" + "|".join(sorted({w.decode() for w, _, _ in _DYNAMIC_TRIGGERS + _SIGNAL_TRIGGERS})) + r")\b")


#: How far back the text before ``receiver`` / ``connect`` is read for the ``@`` / ``.``.
_LOOK_BACK = 400
_STATEMENT_START = re.compile(rb"[^\s#)\]}]")
_CONTINUATION = re.compile(rb"(?:else|elif|except|finally)\b")


def facts_of_files(sources: Sequence[bytes]) -> list[dict]:
    """:func:`file_facts` of each text; one pass of RE2 (``pyarrow.compute``) over them all
    first tells which may hold an import not at the start of a line or a trigger word: the
    others (most files) have no facts and are not read further."""
    if not sources:
        return []
    flagged = pc.match_substring_regex(pa.array(sources, pa.binary()), _MAY_HOLD_A_FACT).to_pylist()
    return [file_facts(source) if flag else {} for source, flag in zip(sources, flagged)]


def file_facts(source: bytes) -> dict:
    """The facts of one file (see the module docstring); never raises on bad input."""
    facts: dict = {}
    indented, inline = _import_lines(source)
    if inline:
        indented = sorted(set(indented).union(inline))
    dynamic = _trigger_lines(source, _DYNAMIC_SCANS)
    signal = _trigger_lines(source, _SIGNAL_SCANS)
    signals = bool(signal)
    if not (indented or dynamic or signals):
        return facts
    marker_lines = sorted(set(dynamic).union(signal))
    if not inline:
        kinds = _kinds_by_indentation(source, indented)
        if kinds is not None and not marker_lines:
            return {"kinds": kinds} if kinds else facts
        if kinds is not None:
            marked = _marked_facts(source, kinds, marker_lines, signals)
            if marked is not None:
                return marked
    wanted = set(indented).union(marker_lines)
    if signals:  # receivers are named through the file's imports: every import statement is read too
        wanted.update(_lines_matching(_IMPORT_WORD, source))
    tree = _parse_pieces(source, source.split(b"\n"), sorted(wanted))
    if tree is None:
        return {"unparsed": True}
    visitor = _Facts(marker_lines)
    visitor.walk(tree.body, "static")
    for key in ("kinds", "refs", "tasks", "signals", "receivers"):
        value = getattr(visitor, key)
        if value:
            facts[key] = value
    return facts


def _marked_facts(source: bytes, kinds: dict[str, str], marker_lines: list[int], signals: bool) -> dict | None:
    """The facts of a file with markers when its import kinds are known (from indentation):
    ``ast`` reads only the top-level statements holding a marker and, when receivers must be
    named (``signals``), each import statement alone; walked in line order, as the whole
    file would be. None when a piece does not parse or an import line is unusual."""
    lines = source.split(b"\n")
    words = _lines_matching(_IMPORT_WORD, source) if signals else []
    code = _statement_starts(source, lines, sorted(set(words).union(marker_lines)))
    inner: list[ast.stmt] = []  # indented simple statements holding markers, read alone
    for line in marker_lines:
        if not any(node.lineno <= line <= node.end_lineno for node in inner):  # type: ignore[operator]  # parsed nodes always carry end_lineno; typeshed types it Optional
            node = _simple_statement(lines, line, code)
            if node is not None:
                inner.append(node)
    rest = [line for line in marker_lines if not any(node.lineno <= line <= node.end_lineno for node in inner)]  # type: ignore[operator]  # as above
    tree = _parse_pieces(source, lines, rest, fall_back=False) if rest else ast.Module(body=[], type_ignores=[])
    if tree is None:
        return None
    spans = [(_first_line(n), n.end_lineno or n.lineno) for n in tree.body]
    body = list(tree.body) + [n for n in inner if not any(a <= n.lineno <= b for a, b in spans)]  # not read twice
    body.sort(key=_first_line)
    if signals:
        spans = [(_first_line(n), n.end_lineno or n.lineno) for n in body]
        statements: list[tuple[int, list[bytes]]] = []  # (line, text lines) of each import statement read alone
        for n in words:
            state = code.get(n)
            if state is None or any(a <= n <= b for a, b in spans):
                continue  # inside a string, or read with its marked statement
            head = lines[n - 1].lstrip()
            if not head.startswith((b"import", b"from")):
                continue  # the word elsewhere on a line: no import statement starts there
            last = _statement_end(lines, n)
            if state is False or last is None:
                return None
            statements.append((n, [head, *lines[n:last]]))
        imports = _parse_statements(statements)
        if imports is None:
            return None
        body += imports
        body.sort(key=_first_line)
    visitor = _Facts(marker_lines)
    visitor.walk(body, "static")
    facts: dict = {}
    merged = {**kinds, **visitor.kinds}
    if merged:
        facts["kinds"] = merged
    for key in ("refs", "tasks", "signals", "receivers"):
        value = getattr(visitor, key)
        if value:
            facts[key] = value
    return facts


#: The most lines a simple statement holding a marker is looked for in (else its top-level
#: statement is read).
_STATEMENT_LINES = 20


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])


def _simple_statement(lines: list[bytes], line: int, code: dict[int, bool]) -> ast.stmt | None:
    """The indented simple statement starting at ``line`` (``code``: :func:`_statement_starts`
    of it), read alone at its own line numbers: the fewest lines from it that parse as one
    statement. None when it is not indented, starts no statement, is a compound statement,
    an import or a ``Signal()`` assignment (whose facts depend on the enclosing blocks), or
    does not end within :data:`_STATEMENT_LINES` lines."""
    first = lines[line - 1]
    head = first.lstrip(b" ")
    if not code.get(line) or len(head) == len(first) or head[:1] in (b"\t", b"\f"):
        return None
    text = [head]
    for last in range(line, min(len(lines), line + _STATEMENT_LINES - 1) + 1):
        if last > line:
            text.append(lines[last - 1])
        try:
            body = ast.parse(b"\n".join(text)).body
        except (SyntaxError, ValueError):
            continue
        if len(body) != 1:
            return None
        node = body[0]
        if any(isinstance(getattr(node, f, None), list) for f in ("body", "orelse", "finalbody", "handlers", "cases")):
            return None
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return None
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and isinstance(node.value, ast.Call) \
                and _callee(node.value.func) in ("Signal", "ModelSignal"):
            return None
        return ast.increment_lineno(node, line - 1)
    return None


def _parse_statements(statements: list[tuple[int, list[bytes]]]) -> list[ast.Import | ast.ImportFrom] | None:
    """The import statements among ``statements`` (each ``(line, text lines)``, read alone),
    at their own line numbers: one ``ast`` pass over them all, else one each; None when a
    text that reads as an import does not parse alone."""
    if not statements:
        return []
    at, starts = 1, []
    for _, text in statements:
        starts.append(at)
        at += len(text)
    try:
        body = ast.parse(b"\n".join(line for _, text in statements for line in text)).body
    except (SyntaxError, ValueError):
        body = None
    if body is not None and [node.lineno for node in body] == starts:
        out = []
        for node, (line, text), start in zip(body, statements, starts):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out.append(ast.increment_lineno(node, line - start))
            elif text[0].startswith((b"import ", b"from ")):
                return None
        return out
    out = []
    for line, text in statements:
        try:
            piece = ast.parse(b"\n".join(text)).body
        except (SyntaxError, ValueError):
            return None
        if len(piece) == 1 and isinstance(piece[0], (ast.Import, ast.ImportFrom)):
            out.append(ast.increment_lineno(piece[0], line - 1))
        elif any(isinstance(p, (ast.Import, ast.ImportFrom)) for p in piece) or text[0].startswith((b"import ", b"from ")):
            return None
    return out


def _lines_matching(pattern: re.Pattern, source: bytes) -> list[int]:
    """The (1-based, sorted, distinct) lines holding a match of ``pattern`` (no match spans lines)."""
    lines: list[int]
    lines, line, at = [], 1, 0
    for match in pattern.finditer(source):
        line += source.count(b"\n", at, match.start())
        at = match.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _import_lines(source: bytes) -> tuple[list[int], list[int]]:
    """The lines where an import statement may start indented (``    import x``,
    ``    from x import y``, or after a line continuation) and the lines where one may
    follow ``:`` or ``;``; every import statement holds the word ``import``."""
    indented: list[int] = []
    inline: list[int] = []
    line, counted = 1, 0
    at = source.find(b"import")
    while at >= 0:
        start = source.rfind(b"\n", 0, at) + 1
        line += source.count(b"\n", counted, start)
        counted = start
        prefix = source[start:at]
        spaced = source[at + 6:at + 7] in (b" ", b"\t")
        bare = not prefix.strip(b" \t")
        if (prefix and bare and spaced) or (prefix[:1] in (b" ", b"\t") and _INDENTED_FROM.match(prefix)):
            indented.append(line)
        elif bare and start > 1 and source[:start - 1].rstrip(b"\r").endswith(b"\\"):
            indented.append(line)  # ``from x \`` then ``import y``: ast decides
        elif (spaced and prefix.rstrip(b" \t").endswith((b":", b";"))) or (b"from" in prefix and _INLINE_FROM.search(prefix)):
            inline.append(line)
        at = source.find(b"import", at + 6)
    return indented, inline


def _trigger_lines(source: bytes, scans: tuple) -> list[int]:
    """The (sorted, distinct) lines where a trigger's text starts or ends (``scans``: the
    triggers grouped by the word searched for, :func:`_scans`)."""
    spans = []
    size = len(source)
    for key, group in scans:
        found = source.find(key)
        while found >= 0:
            for word, offset, after, before in group:
                at = found - offset
                end = at + len(word)
                if at < 0 or not source.startswith(word, at):
                    continue
                if (at == 0 or source[at - 1] not in _WORD) and (end == size or source[end] not in _WORD):
                    match = after.match(source, end)
                    if match is not None and (before is None or _preceded(source, at, before)):
                        spans.append((at, match.end() - 1))
            found = source.find(key, found + len(key))
    lines: set[int] = set()
    line, counted = 1, 0
    for start, last in sorted(spans):
        line += source.count(b"\n", counted, start)
        counted = start
        lines.add(line)
        lines.add(line + source.count(b"\n", start, last))
    return sorted(lines)


def _preceded(source: bytes, at: int, how: str) -> bool:
    """Whether the text before ``at`` may be ``@…`` (a decorator) or ``.`` (an attribute);
    true when it cannot be told within :data:`_LOOK_BACK` bytes."""
    low = max(0, at - _LOOK_BACK)
    if how == "decorator":
        before = source[low:at].rstrip(_DECORATOR_RUN)
        return before.endswith(b"@") or (not before and low > 0)
    before = source[low:at].rstrip(_BLANK)
    if before.endswith(b"."):
        return True
    last_line = before[before.rfind(b"\n") + 1:]
    return b"#" in last_line or (not before and low > 0)  # a comment may stand between ``.`` and the name


# --------------------------------------------------------------------------------------
# kinds from indentation


_STRING_OR_COMMENT = re.compile(
    rb'"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""'
    rb"|'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''"
    rb'|"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"'
    rb"|'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'"
    rb"|#[^\n]*")
_SENTINEL = re.compile(rb"\x01(\d+)\x02")
#: First characters (after the spaces) of lines that open no block: blank, comment, closing bracket.
_OPENS_NOTHING = frozenset((b"", b"\r", b"#", b")", b"]", b"}"))
_DEF = re.compile(rb"(?:async[ \t]+)?def[ \t(\\]")
_IF = re.compile(rb"(?:el)?if\b")
_IF_TYPE_CHECKING = re.compile(rb"(?:el)?if[\s(]+(?:[A-Za-z_]\w*\s*\.\s*)*TYPE_CHECKING[\s)]*:\s*(?:#.*)?")
_HEADER_END = re.compile(rb".*:\s*(?:#.*)?")


class _Unsure(Exception):
    """The indentation cannot be read exactly (tabs or form feeds)."""


def _kinds_by_indentation(source: bytes, wanted: list[int]) -> dict[str, str] | None:
    """``kinds`` for the indented import lines ``wanted``, read from the lines that enclose
    them by indentation, or None when that reading cannot be exact (then ``ast`` decides).

    The block a line belongs to opens at the nearest line above with less indentation
    (blank, comment and ``)]}`` lines skipped); ``def`` makes ``function``,
    ``if``/``elif TYPE_CHECKING:`` makes ``type_checking`` (outranking ``function``, as in
    :class:`_Facts`). That holds when every such line starts a statement, which one
    C-level pass over the text checks: each is marked, strings and comments are removed
    (a mark inside a string goes with it), and a surviving mark must stand outside
    brackets and after no line continuation. A wanted line inside a string is not code and
    gets no kind; anything else unusual (tabs, a header split over lines, a mark inside
    brackets) gives None.
    """
    if b"\x01" in source or b"\x02" in source:
        return None
    lines = source.split(b"\n")
    checking = b"TYPE_CHECKING" in source
    parent: dict[int, int] = {}  # line -> the line opening its block (0: module level)
    header: dict[int, str | None] = {}  # block-opening line -> "def" / "type_checking" / "" (None: unsure)

    def opener(n: int) -> int:
        if n in parent:
            return parent[n]
        text = lines[n - 1]
        rest = text.lstrip(b" ")
        if rest[:1] in (b"\t", b"\f"):
            raise _Unsure
        width = len(text) - len(rest)
        m = n - 1
        while m > 0 and width > 0:
            text = lines[m - 1]
            rest = text.lstrip(b" ")
            first = rest[:1]
            if first in _OPENS_NOTHING:
                m -= 1
            elif first in (b"\t", b"\f"):
                raise _Unsure
            elif len(text) - len(rest) < width:
                break
            elif m in parent:
                m = parent[m]  # the lines between are indented at least as much (and were checked)
            else:
                m -= 1
        if width == 0:
            m = 0
        parent[n] = m
        if m and m not in header:
            header[m] = _header_kind(lines[m - 1].lstrip(b" "), checking)
        return m

    chains: dict[int, list[int]] = {}
    try:
        for line in wanted:
            chain, n = [], line
            while (n := opener(n)) > 0:
                chain.append(n)
            chains[line] = chain
    except _Unsure:
        return None
    code = _statement_starts(source, lines, sorted({n for c in chains.values() for n in c}.union(chains)))
    kinds: dict[str, str] = {}
    for line, chain in chains.items():
        if line not in code:
            continue  # inside a string: not an import
        if not code[line] or any(not code.get(n, False) or header[n] is None for n in chain):
            return None  # inside brackets, or an enclosing line unsure or not starting a statement: ask ast
        seen = {header[n] for n in chain}
        kind = "type_checking" if "type_checking" in seen else "function" if "def" in seen else "static"
        if kind != "static":
            last = _statement_end(lines, line)
            if last is None:
                return None
            for n in range(line, last + 1):
                kinds[str(n)] = kind
    return kinds


def _header_kind(text: bytes, checking: bool) -> str | None:
    """``def``, ``type_checking`` or ``""`` for a line opening a block; None when unsure."""
    if _DEF.match(text):
        return "def"
    if checking and _IF.match(text):
        if _IF_TYPE_CHECKING.fullmatch(text.rstrip()):
            return "type_checking"
        if b"TYPE_CHECKING" in text or not _HEADER_END.fullmatch(text.rstrip()):
            return None  # a test naming TYPE_CHECKING otherwise, or one going on over lines
    return ""


def _statement_starts(source: bytes, lines: list[bytes], numbers: list[int]) -> dict[int, bool]:
    """For each line in ``numbers``: True when it starts a statement, False when it lies inside
    brackets or after a line continuation; absent when it lies inside a string."""
    if not numbers:
        return {}
    pieces, previous = [], 0
    lengths = _cumulative_lengths(lines, numbers[-1])
    for n in sorted(set(numbers)):
        at = lengths[n - 1] + n - 1  # where line n starts
        pieces.append(source[previous:at])
        pieces.append(b"\x01%d\x02" % n)
        previous = at
    pieces.append(source[previous:])  # to the end: a string holding the last line must close
    parts = _SENTINEL.split(_STRING_OR_COMMENT.sub(b"", b"".join(pieces)))
    out: dict[int, bool] = {}
    depth = 0
    for i in range(1, len(parts), 2):
        before = parts[i - 1]
        depth += sum(before.count(c) for c in (b"(", b"[", b"{")) - sum(before.count(c) for c in (b")", b"]", b"}"))
        continued = before.endswith(b"\n") and before.rstrip(b"\r\n").endswith(b"\\")
        out[int(parts[i])] = depth == 0 and not continued
    return out


def _cumulative_lengths(lines: list[bytes], count: int) -> list[int]:
    """The total length of the lines before each of the first ``count`` lines (line n starts at
    ``[n - 1] + n - 1``: one ``\\n`` after each line)."""
    return list(accumulate(map(len, lines[: count - 1]), initial=0))


def _statement_end(lines: list[bytes], line: int) -> int | None:
    """The last line of the import statement starting at ``line`` (parentheses and ``\\``
    followed; an import holds no strings); None when it does not end."""
    n, depth = line, 0
    while n <= len(lines):
        text = lines[n - 1].split(b"#", 1)[0].rstrip()
        depth += text.count(b"(") - text.count(b")")
        if depth <= 0 and not text.endswith(b"\\"):
            return n
        n += 1
    return None


def import_kinds(source: str | bytes) -> dict[int, str]:
    """Kind of each import statement that is not ``static``, by line (every line it spans).

    Raises SyntaxError (or ValueError) when the text is not Python.
    """
    visitor = _Facts([])
    visitor.walk(ast.parse(source).body, "static")
    return {int(k): v for k, v in visitor.kinds.items()}


def _parse(source: bytes) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _parse_pieces(source: bytes, lines: list[bytes], wanted: list[int], fall_back: bool = True) -> ast.Module | None:
    """The top-level statements holding the ``wanted`` lines, parsed at their own line numbers
    (the whole file when a piece does not parse alone; with ``fall_back`` false, None then)."""
    whole = _parse if fall_back else (lambda _: None)
    starts = [n for n, text in enumerate(lines) if _STATEMENT_START.match(text) and not _CONTINUATION.match(text)]
    if not starts:
        return whole(source)
    pieces: list[tuple[int, int]] = []
    for line in wanted:
        i = bisect.bisect_right(starts, line - 1) - 1
        if i < 0:
            return whole(source)
        while i > 0 and lines[starts[i - 1]].startswith(b"@") and _only_decorators(lines, starts[i - 1], starts[i]):
            i -= 1
        begin = starts[i]
        j = bisect.bisect_right(starts, line - 1)
        end = starts[j] if j < len(starts) else len(lines)
        if not pieces or pieces[-1][1] <= begin:
            pieces.append((begin, end))
        elif pieces[-1][0] <= begin:
            pieces[-1] = (pieces[-1][0], max(pieces[-1][1], end))
    body: list[ast.stmt] = []
    for begin, end in pieces:
        text = b"\n" * begin + b"\n".join(lines[begin:end])
        try:
            body += ast.parse(text).body
        except (SyntaxError, ValueError):
            return whole(source)
    return ast.Module(body=body, type_ignores=[])


def _only_decorators(lines: list[bytes], begin: int, end: int) -> bool:
    return all(not _STATEMENT_START.match(t) or t.startswith(b"@") for t in lines[begin:end])


# --------------------------------------------------------------------------------------


_TASK_DECORATORS = {"task", "shared_task"}
_SEND_TASK = {"send_task", "signature"}


class _Facts:
    """Walks statements only; expressions are searched only where a marker line lies."""

    def __init__(self, marker_lines: list[int]) -> None:
        self.marker_lines = marker_lines
        self.kinds: dict[str, str] = {}
        self.refs: list[list] = []
        self.tasks: list[list] = []
        self.signals: list[list] = []
        self.receivers: list[list] = []
        self.names: dict[str, str] = {}  # local name -> dotted (from imports at any level)

    def _marked(self, node: ast.AST) -> bool:
        first = getattr(node, "lineno", None)
        if first is None or not self.marker_lines:
            return False
        i = bisect.bisect_left(self.marker_lines, first)
        return i < len(self.marker_lines) and self.marker_lines[i] <= (node.end_lineno or first)  # type: ignore[attr-defined]  # a node with lineno has end_lineno; ast.AST does not declare it

    def walk(self, nodes: Iterable[ast.stmt], kind: str) -> None:
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._bind(node)
                if kind != "static":
                    for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                        self.kinds[str(line)] = kind
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for decorator in node.decorator_list:
                    if self._marked(decorator):
                        self._decorator(decorator, node)
                        self._expressions(decorator)
                inner = "function" if kind == "static" and not isinstance(node, ast.ClassDef) else kind
                self.walk(node.body, inner)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                self.walk(node.body, "type_checking")
                self.walk(node.orelse, kind)
            else:
                blocks = [getattr(node, f) for f in ("body", "orelse", "finalbody") if isinstance(getattr(node, f, None), list)]
                blocks += [h.body for h in getattr(node, "handlers", [])] + [c.body for c in getattr(node, "cases", [])]
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    self._assign(node, kind)
                if not blocks:
                    if self._marked(node):
                        self._expressions(node)
                    continue
                for field in ("test", "iter", "items", "subject"):
                    value = getattr(node, field, None)
                    for part in (value if isinstance(value, list) else [value]):
                        if part is not None and self._marked(part):
                            self._expressions(part)
                for block in blocks:
                    self.walk(block, kind)

    def _expressions(self, node: ast.AST) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                self._call(sub)

    # -- imports bind names (for receivers)
    def _bind(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.names[top] = top
        else:
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                joined = base + alias.name if base.endswith(".") else f"{base}.{alias.name}"
                self.names[alias.asname or alias.name] = joined

    def _dotted(self, expr: ast.expr) -> str | None:
        parts = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        head = self.names.get(expr.id)
        if head is None:
            return None
        return ".".join([head, *reversed(parts)]) if parts else head

    # -- calls
    def _call(self, node: ast.Call) -> None:
        name = _callee(node.func)
        first = _literal(node.args[0]) if node.args else None
        if name == "import_module" and first:
            package = _literal(node.args[1]) if len(node.args) > 1 else _keyword(node, "package")
            if first.startswith("."):
                if not package:
                    return  # relative to a package computed at run time: names nothing we can check
                first = package + first
            self.refs.append(["import_module", first, node.lineno])
        elif name == "__import__" and first:
            self.refs.append(["__import__", first, node.lineno])
        elif name == "include" and first:
            self.refs.append(["include", first, node.lineno])
        elif name in _SEND_TASK and first:
            self.refs.append(["send_task", first, node.lineno])
        elif name == "setup":
            self._entry_points(node)
        elif name == "connect" and isinstance(node.func, ast.Attribute) and node.args:
            target = self._dotted(node.func.value)
            if target:
                self.receivers.append([target, node.lineno])

    def _decorator(self, decorator: ast.expr, function: ast.AST) -> None:
        if not isinstance(decorator, ast.Call):
            return
        name = _callee(decorator.func)
        if name in _TASK_DECORATORS:
            task = _keyword(decorator, "name")
            if task:
                self.tasks.append([task, decorator.lineno])
        elif name == "receiver" and decorator.args:
            first = decorator.args[0]
            for expr in (first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]):
                target = self._dotted(expr)
                if target:
                    self.receivers.append([target, decorator.lineno])

    def _assign(self, node: ast.Assign | ast.AugAssign | ast.AnnAssign, kind: str) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        value = node.value
        if value is None:
            return
        if "INSTALLED_APPS" in names and isinstance(value, (ast.List, ast.Tuple)):
            for element in value.elts:
                text = _literal(element)
                if text:
                    self.refs.append(["installed_app", text, element.lineno])
        if kind == "static" and isinstance(value, ast.Call) and _callee(value.func) in ("Signal", "ModelSignal"):
            self.signals.extend([n, node.lineno] for n in names)

    def _entry_points(self, node: ast.Call) -> None:
        value = next((k.value for k in node.keywords if k.arg == "entry_points"), None)
        if not isinstance(value, ast.Dict):
            return
        for group in value.values:
            items = group.elts if isinstance(group, (ast.List, ast.Tuple)) else [group]
            for item in items:
                text = _literal(item)
                if text and "=" in text:
                    self.refs.append(["entry_point", text.split("=", 1)[1].strip(), item.lineno])


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value else None


def _keyword(node: ast.Call, name: str) -> str | None:
    return next((_literal(k.value) for k in node.keywords if k.arg == name), None)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
