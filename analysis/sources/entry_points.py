"""The entry points a repository declares: HTTP routes, background jobs and message consumers.

Public entry: :func:`mine_entry_points` ``(ImportsSource, Rejects) -> SourceFrames`` with the
frame ``entry_points`` (:mod:`analysis.core.frames`): ``kind`` (route, job, consumer), ``name``,
``path`` (repository-relative, posix), ``line``, ``framework``. One row per declaration,
sorted by kind, name, path, line; a route declared for two methods in one place is one row.

Source text only: Python through :mod:`ast`, Ruby, Java and Kotlin through regular
expressions; the analysed code is never imported or run. What is recognised:

``django`` (Python modules that assign ``urlpatterns`` at module level)
    ``path(route, view)``, ``re_path(regex, view)`` and ``url(regex, view)`` calls in
    ``urlpatterns`` (``=``, ``+=``, ``+``) and in module-level lists it refers to. An
    ``include("pkg.app.urls")`` (also ``include(("pkg.app.urls", "ns"))``, an inline list, or
    a module-level list of the same file) prefixes every pattern of the included urlconf;
    the included module is found by its dotted name, or by a file whose dotted name ends
    with it (``src/`` layouts). Routes are joined from the urlconfs no other urlconf
    includes, so ``path("orders/", include("shop.orders.urls"))`` plus
    ``path("<int:pk>/", ...)`` gives ``/orders/<int:pk>/``. An include that cannot be
    resolved (a name, a call, a module outside the repository such as ``admin.site.urls``)
    is named in the notes; the included urlconf, when it is in the repository and
    reached from nowhere else, keeps its local patterns. Regular expressions lose ``^``,
    ``$`` and ``\\Z``, and ``(?P<name>...)`` becomes ``<name>``.
``flask`` / ``fastapi`` (decorators on functions)
    ``@x.route("/a")`` and ``@x.get/post/put/delete/patch/head/options/websocket("/a")``
    (a first argument or ``rule=`` / ``path=`` starting with ``/``). A
    ``Blueprint(..., url_prefix="/p")`` or ``APIRouter(prefix="/p")`` assigned to ``x`` in
    the same module prefixes its routes; prefixes given where a router is mounted in
    another module (``include_router``, ``register_blueprint``) are not applied. The
    framework is ``fastapi`` when the module imports fastapi, else ``flask``.
``celery`` (kind ``job``)
    ``@app.task``, ``@x.task(...)``, ``@shared_task``, ``@shared_task(...)``: the name is
    ``name="..."`` when given, else Celery's default ``<module>.<function>``.
``python`` consumers (kind ``consumer``)
    functions decorated with ``@x.consumer(...)``, ``@x.subscribe(...)``,
    ``@x.subscriber(...)`` or ``@x.listener(...)`` (also without ``x.``): the name is the
    first string argument or ``queue=``, ``topic=``, ``channel=``, ``subject=``,
    ``destination=``, else ``<module>.<function>``.
``rails`` (``config/routes.rb``)
    ``get|post|put|patch|delete|match "path"`` → ``/path``; ``resources :orders`` →
    ``/orders`` and ``/orders/:id``; ``resource :profile`` → ``/profile``; ``root`` → ``/``.
    Line by line: ``namespace`` / ``scope`` blocks and nested resources are not joined.
``spring`` (``*.java``, ``*.kt``)
    ``@GetMapping``, ``@PostMapping``, ``@PutMapping``, ``@DeleteMapping``,
    ``@PatchMapping``, ``@RequestMapping`` with a literal path (bare, ``value =`` or
    ``path =``); a ``@RequestMapping`` on a class prefixes the methods that follow it in
    the file. ``@KafkaListener(topics = "t")``, ``@RabbitListener(queues = "q")`` and
    ``@JmsListener(destination = "d")`` are consumers named by their first literal.

Files that cannot be read (larger than ``ImportsSource.max_file_bytes``, not UTF-8, a
Python syntax error) go to the rejects with their path; Python files are parsed only when
their text holds a decorator or ``urlpatterns``. ``records_read`` counts the files read.
Comparing routes with spans is the metric's job
(:func:`analysis.measures.metrics.observability.normalize_route`); names here are as written.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects

KINDS = ("route", "job", "consumer")
COLUMNS = ("kind", "name", "path", "line", "framework")
SUFFIXES = (".py", ".rb", ".java", ".kt")
#: Folders never walked: dependencies, virtual environments, build output, VCS data.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", "site-packages",
                          "__pycache__", "build", "dist", "target", ".tox", "vendor"})

HTTP_METHODS = frozenset({"get", "post", "put", "delete", "patch", "head", "options", "websocket"})
CONSUMER_DECORATORS = frozenset({"consumer", "subscribe", "subscriber", "listener"})
DESTINATION_KEYWORDS = ("queue", "topic", "channel", "subject", "destination")
DJANGO_ROUTE_CALLS = frozenset({"path", "re_path", "url"})


@dataclass(frozen=True)
class EntryPoint:
    kind: str
    name: str
    path: str
    line: int
    framework: str


# --------------------------------------------------------------------------------------
# small AST helpers


def _callee(node: ast.expr) -> str | None:
    """Last name of what is called or decorated: ``app.task`` -> ``task``, ``shared_task`` -> itself."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Name):
        return target.id
    return None


def _owner(node: ast.expr) -> str | None:
    """The object a decorator hangs off: ``bp`` for ``@bp.route(...)``."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return target.value.id
    return None


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _argument(call: ast.Call, keywords: Iterable[str], position: int | None = 0) -> str | None:
    """A literal string argument: positional ``position`` first, then the first keyword found."""
    if position is not None and len(call.args) > position:
        found = _text(call.args[position])
        if found is not None:
            return found
    wanted = tuple(keywords)
    for key in wanted:
        for kw in call.keywords:
            if kw.arg == key and _text(kw.value) is not None:
                return _text(kw.value)
    return None


def module_name(path: str) -> str:
    """``shop/orders/urls.py`` -> ``shop.orders.urls``; ``shop/__init__.py`` -> ``shop``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _join(prefix: str, route: str) -> str:
    """``orders/`` + ``<int:pk>/`` -> ``/orders/<int:pk>/``; ``/api`` + ``x`` -> ``/api/x``; always one leading ``/``."""
    glue = "/" if prefix and route and not prefix.endswith("/") and not route.startswith("/") else ""
    return re.sub(r"/{2,}", "/", "/" + prefix + glue + route)


# --------------------------------------------------------------------------------------
# Django urlconfs


@dataclass(frozen=True)
class _Pattern:
    route: str
    line: int


@dataclass(frozen=True)
class _Include:
    prefix: str
    line: int
    module: str | None = None          # dotted module named in include("...")
    entries: tuple = ()                # an inline or same-module list, already read
    unresolved: str | None = None      # what could not be followed, as written


_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def django_regex_route(regex: str) -> str:
    """``^orders/(?P<pk>\\d+)/$`` -> ``orders/<pk>/``; ``\\.`` -> ``.`` (escaped punctuation)."""
    text = regex[1:] if regex.startswith("^") else regex
    for end in ("\\Z", "$"):
        if text.endswith(end):
            text = text[: -len(end)]
    text = _REGEX_GROUP.sub(lambda m: f"<{m.group(1)}>", text)
    return re.sub(r"\\([^\w])", r"\1", text)  # \. -> .


class _UrlconfReader:
    """Reads the url pattern lists of one module (``urlpatterns`` and the lists it uses)."""

    def __init__(self, tree: ast.Module):
        self.lists: dict[str, list[ast.expr]] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.lists[target.id] = [node.value]
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and isinstance(node.op, ast.Add):
                self.lists.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                self.lists[node.target.id] = [node.value]

    def entries(self, name: str, seen: frozenset = frozenset()) -> tuple:
        if name in seen or name not in self.lists:
            return ()
        out: list = []
        for value in self.lists[name]:
            out += self._expr(value, seen | {name})
        return tuple(out)

    def _expr(self, node: ast.expr, seen: frozenset) -> list:
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list = []
            for item in node.elts:
                out += self._item(item, seen)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._expr(node.left, seen) + self._expr(node.right, seen)
        if isinstance(node, ast.Name):
            return list(self.entries(node.id, seen))
        return []

    def _item(self, node: ast.expr, seen: frozenset) -> list:
        if isinstance(node, ast.Starred):
            return self._expr(node.value, seen)
        if not (isinstance(node, ast.Call) and _callee(node) in DJANGO_ROUTE_CALLS):
            return []
        kind = _callee(node)
        route = _argument(node, ("route", "regex"))
        if route is None:
            return []
        if kind != "path":
            route = django_regex_route(route)
        target = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "view"), None)
        if isinstance(target, ast.Call) and _callee(target) == "include":
            return [self._include(route, target, node.lineno, seen)]
        if isinstance(target, ast.Attribute) and target.attr == "urls":  # admin.site.urls: another app's urlconf
            return [_Include(route, node.lineno, unresolved=ast.unparse(target))]
        return [_Pattern(route, node.lineno)]

    def _include(self, prefix: str, call: ast.Call, line: int, seen: frozenset) -> _Include:
        arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "arg"), None)
        if isinstance(arg, ast.Tuple) and arg.elts:
            arg = arg.elts[0]
        if _text(arg) is not None:
            return _Include(prefix, line, module=_text(arg))
        if isinstance(arg, (ast.List, ast.Tuple, ast.BinOp)):
            return _Include(prefix, line, entries=tuple(self._expr(arg, seen)))
        if isinstance(arg, ast.Name) and arg.id in self.lists:
            return _Include(prefix, line, entries=self.entries(arg.id, seen))
        return _Include(prefix, line, unresolved=ast.unparse(arg) if arg is not None else "include()")


def _resolve_module(dotted: str, urlconfs: dict[str, tuple]) -> str | None:
    if dotted in urlconfs:
        return dotted
    matches = sorted(m for m in urlconfs if m.endswith("." + dotted))
    return matches[0] if matches else None


def django_routes(urlconfs: dict[str, tuple[str, tuple]]) -> tuple[list[EntryPoint], list[str]]:
    """Routes of every urlconf, joined from the roots (urlconfs no other one includes).

    ``urlconfs``: dotted module -> (repository path, entries). Returns the routes and the
    notes naming every include that could not be followed.
    """
    included: set[str] = set()
    notes: list[str] = []
    routes: list[EntryPoint] = []

    def walk_includes(entries: tuple) -> Iterator[_Include]:
        for e in entries:
            if isinstance(e, _Include):
                yield e
                yield from walk_includes(e.entries)

    for module, (path, entries) in urlconfs.items():
        for inc in walk_includes(entries):
            if inc.module is not None:
                found = _resolve_module(inc.module, urlconfs)
                if found is not None and found != module:
                    included.add(found)
                elif found is None:
                    notes.append(f"{path}:{inc.line}: include({inc.module!r}) names no urlconf of the repository")
            elif inc.unresolved is not None:
                notes.append(f"{path}:{inc.line}: include({inc.unresolved}) cannot be followed; its patterns keep their local routes")

    def emit(module: str, prefix: str, entries: tuple, stack: tuple[str, ...]) -> None:
        path = urlconfs[module][0]
        for e in entries:
            if isinstance(e, _Pattern):
                routes.append(EntryPoint("route", _join(prefix, e.route), path, e.line, "django"))
            elif e.module is not None:
                found = _resolve_module(e.module, urlconfs)
                if found is not None and found not in stack:
                    emit(found, _join(prefix, e.prefix), urlconfs[found][1], stack + (found,))
            elif e.unresolved is None:
                emit(module, _join(prefix, e.prefix), e.entries, stack)

    for module in sorted(urlconfs):
        if module not in included:
            emit(module, "", urlconfs[module][1], (module,))
    return routes, notes


# --------------------------------------------------------------------------------------
# Python decorators: Flask, FastAPI, Celery, consumers


def _router_prefixes(tree: ast.Module) -> dict[str, str]:
    """``bp = Blueprint(..., url_prefix="/p")`` / ``router = APIRouter(prefix="/p")`` -> {bp: /p}."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _callee(node.value) in ("Blueprint", "APIRouter"):
            prefix = _argument(node.value, ("url_prefix", "prefix"), position=None)
            for target in node.targets:
                if isinstance(target, ast.Name) and prefix:
                    out[target.id] = prefix
    return out


def _imports_fastapi(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "fastapi" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "fastapi":
            return True
    return False


def decorated_entry_points(tree: ast.Module, path: str) -> list[EntryPoint]:
    """Routes, Celery tasks and consumers declared by decorators in one Python module."""
    module = module_name(path)
    prefixes = _router_prefixes(tree)
    web = "fastapi" if _imports_fastapi(tree) else "flask"
    out: list[EntryPoint] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for deco in node.decorator_list:
            name, line = _callee(deco), deco.lineno
            call = deco if isinstance(deco, ast.Call) else None
            if name == "route" or (name in HTTP_METHODS and _owner(deco) is not None):
                route = _argument(call, ("rule", "path")) if call else None
                if route is not None and route.startswith("/"):
                    prefix = prefixes.get(_owner(deco) or "", "")
                    out.append(EntryPoint("route", _join(prefix, route), path, line,
                                          "flask" if name == "route" and web == "flask" else web))
            elif name in ("task", "shared_task") and (name == "shared_task" or _owner(deco) is not None):
                given = _argument(call, ("name",), position=None) if call else None
                out.append(EntryPoint("job", given or f"{module}.{node.name}", path, line, "celery"))
            elif name in CONSUMER_DECORATORS:
                given = _argument(call, DESTINATION_KEYWORDS) if call else None
                out.append(EntryPoint("consumer", given or f"{module}.{node.name}", path, line, "python"))
    return out


# --------------------------------------------------------------------------------------
# Rails and Spring (regular expressions, simple forms only)

_RAILS_VERB = re.compile(r"""^\s*(?:get|post|put|patch|delete|match)\s*\(?\s*["']([^"']+)["']""", re.M)
_RAILS_RESOURCES = re.compile(r"^\s*(resources|resource)\s*\(?\s*:(\w+)", re.M)
_RAILS_ROOT = re.compile(r"^\s*root\b", re.M)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_rails_routes(text: str, path: str) -> list[EntryPoint]:
    """Routes of a ``config/routes.rb`` (simple forms: see the module docstring)."""
    out = [EntryPoint("route", "/" + m.group(1).lstrip("/"), path, _line_of(text, m.start(1)), "rails")
           for m in _RAILS_VERB.finditer(text)]
    for m in _RAILS_RESOURCES.finditer(text):
        line = _line_of(text, m.start(2))
        out.append(EntryPoint("route", f"/{m.group(2)}", path, line, "rails"))
        if m.group(1) == "resources":
            out.append(EntryPoint("route", f"/{m.group(2)}/:id", path, line, "rails"))
    out += [EntryPoint("route", "/", path, _line_of(text, m.start()), "rails") for m in _RAILS_ROOT.finditer(text)]
    return out


_SPRING_ANNOTATION = re.compile(
    r"@(?P<ann>Get|Post|Put|Delete|Patch|Request)Mapping\b(?:\s*\((?P<args>(?:[^()]|\([^()]*\))*)\))?"
    r"|@(?P<listener>Kafka|Rabbit|Jms)Listener\s*\((?P<largs>(?:[^()]|\([^()]*\))*)\)",
    re.S,
)
_LITERAL = re.compile(r"\"([^\"]*)\"")
_SPRING_PATH = re.compile(r"\b(?:value|path)\s*=\s*(?:\{\s*|\[\s*|arrayOf\(\s*)?\"([^\"]*)\"")
_CLASS_AFTER = re.compile(r"(?:\s*@[\w.]+(?:\s*\((?:[^()]|\([^()]*\))*\))?)*\s*(?:(?:public|protected|private|abstract|final|open|data|internal)\s+)*class\b")


def parse_spring(text: str, path: str) -> list[EntryPoint]:
    """Request mappings and message listeners of one Java or Kotlin file."""
    out: list[EntryPoint] = []
    prefix = ""
    for m in _SPRING_ANNOTATION.finditer(text):
        line = _line_of(text, m.start())
        if m.group("listener"):
            first = _LITERAL.search(m.group("largs") or "")
            if first:
                out.append(EntryPoint("consumer", first.group(1), path, line, "spring"))
            continue
        args = m.group("args") or ""
        named = _SPRING_PATH.search(args)
        bare = _LITERAL.match(args.strip())
        route = named.group(1) if named else (bare.group(1) if bare else "")
        if m.group("ann") == "Request" and _CLASS_AFTER.match(text, m.end()):
            prefix = route
            continue
        out.append(EntryPoint("route", _join(prefix, route), path, line, "spring"))
    return out


# --------------------------------------------------------------------------------------
# the repository


def iter_candidate_files(repository: Path, exclude_paths: Iterable[str] = ()) -> Iterator[str]:
    """Repository-relative posix paths of the files read, sorted, skipping :data:`SKIPPED_DIRS`."""
    excludes = tuple(exclude_paths)
    for root, dirs, files in os.walk(repository):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if not name.endswith(SUFFIXES):
                continue
            rel = Path(root, name).relative_to(repository).as_posix()
            if name.endswith(".rb") and not rel.endswith("config/routes.rb"):
                continue
            if not any(fnmatch.fnmatchcase(rel, g) for g in excludes):
                yield rel


def entry_points_frame(rows: Iterable[EntryPoint]) -> pd.DataFrame:
    """The ``entry_points`` frame of some declarations, deduplicated, sorted by kind, name, path, line."""
    records = sorted({(r.kind, r.name, r.path, r.line, r.framework) for r in rows})
    if not records:
        return frames.empty("entry_points")
    return frames.conform(pd.DataFrame(records, columns=list(COLUMNS)), "entry_points")


def mine_entry_points(source: ImportsSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """Read the routes, jobs and consumers ``source.repository`` declares (module docstring)."""
    repository = Path(source.repository)
    origin = f"entry_points:{repository}"
    rows: list[EntryPoint] = []
    urlconfs: dict[str, tuple[str, tuple]] = {}
    files = 0
    for rel in iter_candidate_files(repository, source.exclude_paths):
        full = repository / rel
        if full.stat().st_size > source.max_file_bytes:
            rejects.add(origin, rel, f"larger than {source.max_file_bytes} bytes")
            continue
        try:
            text = full.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            rejects.add(origin, f"{rel} byte {exc.start}", "not UTF-8")
            continue
        files += 1
        if rel.endswith(".rb"):
            rows += parse_rails_routes(text, rel)
        elif rel.endswith((".java", ".kt")):
            if "Mapping" in text or "Listener" in text:
                rows += parse_spring(text, rel)
        elif "@" in text or "urlpatterns" in text:
            try:
                tree = ast.parse(text, filename=rel)
            except (SyntaxError, ValueError) as exc:
                rejects.add(origin, f"{rel}:{getattr(exc, 'lineno', 0) or 0}", "Python syntax error", str(getattr(exc, "msg", exc)))
                continue
            rows += decorated_entry_points(tree, rel)
            reader = _UrlconfReader(tree)
            if "urlpatterns" in reader.lists:
                urlconfs[module_name(rel)] = (rel, reader.entries("urlpatterns"))
    routes, notes = django_routes(urlconfs)
    frame = entry_points_frame(rows + routes)
    counts = frame["kind"].value_counts()
    rejected = rejects.count(origin)
    summary = ", ".join(f"{int(counts.get(k, 0))} {k}s" for k in KINDS)
    notes = [f"{origin}: {summary} in {files} files"] + [f"{origin}: {n}" for n in notes]
    if rejected:
        notes.append(f"{origin}: {rejected} files rejected (see the rejects file)")
    return SourceFrames(frames={"entry_points": frame}, records_read=files, records_rejected=rejected, notes=notes)
