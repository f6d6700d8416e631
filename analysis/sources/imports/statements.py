"""What one Python file says beyond its plain imports (pure: bytes in, facts out).

:func:`file_facts` reads a file's text and returns a JSON-serialisable dict:

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
- ``unparsed``: true when Python cannot parse the file (its imports count as static).

Speed: a file is read with ``ast`` only when a cheap byte scan finds an indented import
or one of the markers above, and then only the top-level statements around the lines
that matter (the whole file when a receiver is connected, or when a piece alone does not
parse).
"""

from __future__ import annotations

import ast
import bisect
import re
from typing import Iterable

#: Byte markers that make a file worth an ``ast`` pass for dynamic references.
DYNAMIC_MARKERS = (b"import_module", b"__import__", b"INSTALLED_APPS", b"include(", b"send_task",
                   b"signature(", b"task(", b"entry_points")
SIGNAL_MARKERS = (b"receiver(", b".connect(", b"Signal(")
_INDENTED_IMPORT = re.compile(rb"\n[ \t]+(?:from|import)[ \t]")
_IMPORT_WORD = re.compile(rb"\bimport\b")
_ANY_MARKER = re.compile(b"|".join(re.escape(m) for m in DYNAMIC_MARKERS + SIGNAL_MARKERS))
_STATEMENT_START = re.compile(rb"[^\s#)\]}]")
_CONTINUATION = re.compile(rb"(?:else|elif|except|finally)\b")


def file_facts(source: bytes) -> dict:
    """The facts of one file (see the module docstring); never raises on bad input."""
    facts: dict = {}
    indented = [line + 1 for line in _lines_matching(_INDENTED_IMPORT, source)]
    dynamic = [m for m in DYNAMIC_MARKERS if m in source]
    signals = any(m in source for m in SIGNAL_MARKERS)
    if not (indented or dynamic or signals):
        return facts
    marker_lines = _lines_matching(_ANY_MARKER, source) if dynamic or signals else []
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


def _lines_matching(pattern: re.Pattern, source: bytes) -> list[int]:
    """The (1-based, sorted, distinct) lines holding a match of ``pattern`` (no match spans lines)."""
    lines, line, at = [], 1, 0
    for match in pattern.finditer(source):
        line += source.count(b"\n", at, match.start())
        at = match.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


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


def _parse_pieces(source: bytes, lines: list[bytes], wanted: list[int]) -> ast.Module | None:
    """The top-level statements holding the ``wanted`` lines, parsed at their own line numbers."""
    starts = [n for n, text in enumerate(lines) if _STATEMENT_START.match(text) and not _CONTINUATION.match(text)]
    if not starts:
        return _parse(source)
    pieces: list[tuple[int, int]] = []
    for line in wanted:
        i = bisect.bisect_right(starts, line - 1) - 1
        if i < 0:
            return _parse(source)
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
            return _parse(source)
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
        return i < len(self.marker_lines) and self.marker_lines[i] <= (node.end_lineno or first)

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
