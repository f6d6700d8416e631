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
    ``include(...)`` prefixes every pattern it brings in; it is *followed* when it names:

    - a urlconf of the repository, ``include("pkg.app.urls")`` (also the tuple form
      ``include(("pkg.app.urls", "ns"))``), found by its dotted name or by a file whose
      dotted name ends with it (``src/`` layouts, Django apps named without their folder);
    - an inline list, or a module-level list of the same module, or one imported from another
      module of the repository (``from netbox.plugins.urls import plugin_api_patterns``);
    - a DRF router's ``urls`` (``include(router.urls)``, or ``urlpatterns = router.urls``):
      for every ``router.register("devices", views.DeviceViewSet)`` a list route
      ``devices/`` and a detail route ``devices/<pk>/``, plus the API root route when the
      router class is (derived, in the repository, from) ``DefaultRouter``. A router is a
      module-level ``x = SomethingRouter()``. The viewsets are not read: a list-only viewset
      gets a detail route all the same, extra ``@action`` routes are not listed, nor are DRF's
      ``.json`` format-suffix variants (the same entry point);
    - a function's result, ``include(get_model_urls("dcim", "device"))``, when the function
      (of the module, or imported from one of the repository) returns a list built from
      literals: ``return [path(...), ...]``, or a name bound once to such a list and never
      changed.

    Anything else is *not followed* and its routes are missing: a function whose result is
    built at run time (NetBox's ``get_model_urls`` reads a registry), a module or object
    outside the repository (``include("social_django.urls")``, ``admin.site.urls``), a
    router registration whose prefix is not a literal. The source's ``counts`` give how many
    include() calls, imported lists and registrations were met (``route_includes``) and
    followed (``route_includes_followed``), the inventory's trust, and one note says how many
    could not be followed, by reason, with an example each. A prefix that is not a literal
    (``path(settings.BASE_PATH, include(...))``) is read as empty; a pattern whose own route
    is not a literal is counted in that note. Routes are joined from the urlconfs no other
    urlconf includes, so ``path("orders/", include("shop.orders.urls"))`` plus
    ``path("<int:pk>/", ...)`` gives ``/orders/<int:pk>/``. Regular expressions lose ``^``,
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

Test-only code (a ``tests``, ``test`` or ``testing`` folder, or an app only test settings
install: :mod:`analysis.sources.django_project`), NetBox's dummy plugin for one, is left out;
its entry points are counted in a note.

Files that cannot be read (larger than ``ImportsSource.max_file_bytes``, not UTF-8, a
Python syntax error) go to the rejects with their path; Python files are parsed only when
their text holds a decorator, ``urlpatterns``, a route call or a router registration.
``records_read`` counts the files read.
Comparing routes with spans is the metric's job
(:func:`analysis.measures.metrics.observability.normalize_route`); names here are as written.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.django_project import read_django_project

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
class _Router:
    """A DRF router's ``urls``: per ``register(prefix, viewset)`` (``prefix`` None when not a
    literal) a list and a detail route, and the API root route when the router class is a
    ``DefaultRouter`` (``router_class`` as called, ``module`` where it was created)."""

    registrations: tuple[tuple[str | None, int], ...]
    line: int
    router_class: str
    module: str


@dataclass(frozen=True)
class _Include:
    """An ``include(...)`` of a urlconf or a list, or a list another module defines."""

    prefix: str
    line: int
    module: str | None = None                 # dotted module named in include("...")
    entries: tuple = ()                       # an inline or same-module list, already read
    reference: tuple[str, str] | None = None  # (module, name): a list or a function of a module
    unresolved: str | None = None             # the expression as written (for the notes), when not read here


_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def django_regex_route(regex: str) -> str:
    """``^orders/(?P<pk>\\d+)/$`` -> ``orders/<pk>/``; ``\\.`` -> ``.`` (escaped punctuation)."""
    text = regex[1:] if regex.startswith("^") else regex
    for end in ("\\Z", "$"):
        if text.endswith(end):
            text = text[: -len(end)]
    text = _REGEX_GROUP.sub(lambda m: f"<{m.group(1)}>", text)
    return re.sub(r"\\([^\w])", r"\1", text)  # \. -> .


def _absolute(module: str, level: int, name: str | None) -> str:
    """The absolute dotted module of ``from <level dots><name> import ...`` in ``module``."""
    if not level:
        return name or ""
    package = module.split(".")[: -level] if level <= module.count(".") + 1 else []
    return ".".join(package + ([name] if name else []))


class _UrlconfReader:
    """What one module says about URLs: its module-level lists (``urlpatterns`` and the lists
    it uses), DRF routers and their registrations, functions, classes and imported names."""

    def __init__(self, tree: ast.Module, module: str = ""):
        self.module = module
        self.lists: dict[str, list[ast.expr]] = {}
        self.imports: dict[str, tuple[str, str]] = {}  # local name -> (absolute module, name there; "" for a module)
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, list[str]] = {}  # class -> names of its bases
        self._routers: dict[str, tuple[str, int, list[tuple[str | None, int]]]] = {}
        self.unnamed: list[int] = []  # lines of patterns whose route is not a literal
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.lists[target.id] = [node.value]
                        callee = _callee(node.value) if isinstance(node.value, ast.Call) else None
                        if callee and callee.endswith("Router"):
                            self._routers[target.id] = (callee, node.lineno, [])
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and isinstance(node.op, ast.Add):
                self.lists.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                self.lists[node.target.id] = [node.value]
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _callee(node.value) == "register":
                owner = _owner(node.value)
                if owner in self._routers:
                    prefix = _argument(node.value, ("prefix",))
                    self._routers[owner][2].append((prefix, node.lineno))
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(module, node.level, node.module)
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (source, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.imports[local] = (alias.name if alias.asname else local, "")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = [n for b in node.bases if (n := _callee(b))]

    @property
    def routers(self) -> dict[str, _Router]:
        return {name: _Router(tuple(regs), line, callee, self.module) for name, (callee, line, regs) in self._routers.items()}

    def entries(self, name: str, seen: frozenset = frozenset()) -> tuple:
        if name in seen or name not in self.lists:
            return ()
        out: list = []
        for value in self.lists[name]:
            out += self._expr(value, seen | {name})
        return tuple(out)

    def function_entries(self, name: str) -> tuple | None:
        """The patterns a function of the module returns when it returns a list built from
        literals (``return [path(...), ...]``, or one name bound once to such a list and never
        changed); None when its result is built at run time."""
        fn = self.functions[name]
        returns = [n for n in ast.walk(fn) if isinstance(n, ast.Return)]
        if len(returns) != 1 or returns[0].value is None:
            return None
        value: ast.expr = returns[0].value
        if isinstance(value, ast.Name):
            bound = [s for s in fn.body if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == value.id for t in s.targets)]
            changed = any((isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == value.id)
                          or (isinstance(n, (ast.AugAssign, ast.AnnAssign)) and isinstance(n.target, ast.Name) and n.target.id == value.id)
                          for n in ast.walk(fn))
            if len(bound) != 1 or changed:
                return None
            value = bound[0].value
        if not isinstance(value, (ast.List, ast.Tuple, ast.BinOp)):
            return None
        return tuple(self._expr(value, frozenset()))

    def _expr(self, node: ast.expr, seen: frozenset) -> list:
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list = []
            for item in node.elts:
                out += self._item(item, seen)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._expr(node.left, seen) + self._expr(node.right, seen)
        if isinstance(node, ast.Name) and node.id in self.lists and node.id not in self._routers:
            return list(self.entries(node.id, seen))
        if isinstance(node, ast.Attribute) and node.attr == "urls" and isinstance(node.value, ast.Name) and node.value.id in self._routers:
            return [self.routers[node.value.id]]
        if isinstance(node, ast.Name) and node.id in self.imports:  # a list another module defines
            return [_Include("", node.lineno, reference=self.imports[node.id], unresolved=node.id)]
        return []

    def _item(self, node: ast.expr, seen: frozenset) -> list:
        if isinstance(node, ast.Starred):
            return self._expr(node.value, seen)
        if not (isinstance(node, ast.Call) and _callee(node) in DJANGO_ROUTE_CALLS):
            return []
        kind = _callee(node)
        route = _argument(node, ("route", "regex"))
        target = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "view"), None)
        is_include = isinstance(target, ast.Call) and _callee(target) == "include"
        if route is None and not is_include:
            self.unnamed.append(node.lineno)  # path(settings.X, view): a route Seams cannot name
            return []
        route = route or ""  # include(...) under a prefix that is not a literal (settings.BASE_PATH): read as empty
        if kind != "path":
            route = django_regex_route(route)
        if is_include and isinstance(target, ast.Call):
            return [self._include(route, target, node.lineno, seen)]
        if isinstance(target, ast.Attribute) and target.attr == "urls":  # admin.site.urls: another app's urlconf
            return [_Include(route, node.lineno, unresolved=ast.unparse(target))]
        return [_Pattern(route, node.lineno)]

    def _include(self, prefix: str, call: ast.Call, line: int, seen: frozenset) -> _Include:
        arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "arg"), None)
        if isinstance(arg, ast.Tuple) and arg.elts:
            arg = arg.elts[0]
        written = f"include({ast.unparse(arg)})" if arg is not None else "include()"
        if _text(arg) is not None:
            return _Include(prefix, line, module=_text(arg))
        if isinstance(arg, (ast.List, ast.Tuple, ast.BinOp)) or (isinstance(arg, ast.Name) and arg.id in self.lists):
            return _Include(prefix, line, entries=tuple(self._expr(arg, seen)))
        if isinstance(arg, ast.Attribute) and arg.attr == "urls" and isinstance(arg.value, ast.Name) and arg.value.id in self._routers:
            return _Include(prefix, line, entries=(self.routers[arg.value.id],))
        if isinstance(arg, ast.Name) and arg.id in self.imports:
            return _Include(prefix, line, reference=self.imports[arg.id], unresolved=written)
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name):
            name = arg.func.id
            if name in self.functions:
                return _Include(prefix, line, reference=(self.module, name), unresolved=written)
            if name in self.imports:
                return _Include(prefix, line, reference=self.imports[name], unresolved=written)
        return _Include(prefix, line, unresolved=written)


def _resolve_module(dotted: str, modules) -> str | None:
    if dotted in modules:
        return dotted
    matches = sorted(m for m in modules if m.endswith("." + dotted))
    return matches[0] if matches else None


#: Why an include() or a router registration could not be followed (its routes are missing).
RUNTIME = "built at run time"
OUTSIDE = "outside the repository"
UNREAD = "not readable statically"


@dataclass
class Inventory:
    """How much of the urlconfs Seams could follow: ``calls`` include() calls, lists of another
    module and router registrations met; ``followed`` of them read; ``missed`` the others by
    reason (:data:`RUNTIME`, :data:`OUTSIDE`, :data:`UNREAD`) as ``path:line expression``; ``unnamed`` routes
    whose pattern is not a literal."""

    calls: int = 0
    followed: int = 0
    missed: dict[str, list[str]] = field(default_factory=dict)
    unnamed: list[str] = field(default_factory=list)

    @property
    def followed_share(self) -> float | None:
        return self.followed / self.calls if self.calls else None

    def note(self) -> str | None:
        """One sentence saying how many calls could not be followed, by reason, with an example each."""
        missing = self.calls - self.followed
        if not missing and not self.unnamed:
            return None
        parts = [f"{len(found)} {reason} (e.g. {found[0]})" for reason, found in sorted(self.missed.items())]
        text = (f"{self.followed} of {self.calls} include() calls, imported url lists and router registrations followed "
                f"({self.followed_share:.0%}); {missing} could not be followed and their routes are missing from the inventory"
                if self.calls else "no include() call or router registration to follow")
        text += (": " + "; ".join(parts)) if parts else ""
        if self.unnamed:
            text += f"; {len(self.unnamed)} patterns whose route is not a literal (e.g. {self.unnamed[0]})"
        return text


class _Resolver:
    """Follows includes and references across the modules read (dotted module -> (path, reader))."""

    def __init__(self, modules: dict[str, tuple[str, _UrlconfReader]]):
        self.modules = modules

    def urlconf(self, dotted: str) -> str | None:
        found = _resolve_module(dotted, self.modules)
        return found if found is not None and "urlpatterns" in self.modules[found][1].lists else None

    def reference(self, ref: tuple[str, str], depth: int = 0) -> tuple[str | None, tuple, str]:
        """(module, entries, reason): the entries a referenced list or function gives, or
        (None, (), reason) when they cannot be read."""
        found = _resolve_module(ref[0], self.modules)
        if found is None or depth > 5:
            return None, (), OUTSIDE
        reader = self.modules[found][1]
        name = ref[1]
        if name in reader.lists:
            return found, reader.entries(name), ""
        if name in reader.functions:
            entries = reader.function_entries(name)
            return (found, entries, "") if entries is not None else (None, (), RUNTIME)
        if name in reader.imports:
            return self.reference(reader.imports[name], depth + 1)
        return None, (), OUTSIDE

    def why_not(self, module: str, written: str) -> str:
        """Why an expression of ``module`` could not be followed: :data:`OUTSIDE` when its first
        name is imported from a module the repository does not hold (``admin.site.urls``),
        :data:`UNREAD` otherwise."""
        first = re.match(r"(?:include\(\(?)?([A-Za-z_]\w*)", written)
        imported = self.modules[module][1].imports.get(first.group(1)) if first else None
        if imported is not None and _resolve_module(imported[0], self.modules) is None:
            return OUTSIDE
        return UNREAD

    def serves_root(self, router: _Router) -> bool:
        """Whether a router class is (derived from) DRF's ``DefaultRouter``, which adds an API
        root route; a class Seams cannot find counts as one unless its name says ``Simple``."""
        name, module, seen = router.router_class, router.module, set()
        while name not in seen:
            seen.add(name)
            if name == "DefaultRouter":
                return True
            if name == "SimpleRouter":
                return False
            reader = self.modules.get(module, ("", None))[1]
            if reader is not None and name in reader.classes:
                bases = reader.classes[name]
            elif reader is not None and name in reader.imports:
                target = _resolve_module(reader.imports[name][0], self.modules)
                if target is None:
                    break
                module = target
                continue
            else:
                break
            if not bases:
                break
            name = bases[0]
        return "Simple" not in name


def django_routes(modules: dict[str, tuple[str, _UrlconfReader]]) -> tuple[list[EntryPoint], Inventory]:
    """Routes of every urlconf, joined from the roots (urlconfs no other one includes), and how
    much of the urlconfs could be followed.

    ``modules``: dotted module -> (repository path, reader) of every module read; urlconfs are
    those assigning ``urlpatterns``.
    """
    resolver = _Resolver(modules)
    urlconfs = {m: v for m, v in modules.items() if "urlpatterns" in v[1].lists}
    inventory = Inventory()
    included: set[str] = set()
    counted: set[tuple[str, str]] = set()

    def count(module: str, entries: tuple) -> None:
        path = modules[module][0]
        for e in entries:
            if isinstance(e, _Router):
                for prefix, line in e.registrations:
                    inventory.calls += 1
                    if prefix is None:
                        inventory.missed.setdefault(RUNTIME, []).append(f"{path}:{line} register() of a prefix that is not a literal")
                    else:
                        inventory.followed += 1
                continue
            if not isinstance(e, _Include):
                continue
            inventory.calls += 1
            if e.module is not None:
                found = resolver.urlconf(e.module)
                if found is None:
                    inventory.missed.setdefault(OUTSIDE, []).append(f"{path}:{e.line} include({e.module!r})")
                    continue
                inventory.followed += 1
                if found != module:
                    included.add(found)
            elif e.reference is not None:
                where, found_entries, reason = resolver.reference(e.reference)
                if where is None:
                    inventory.missed.setdefault(reason, []).append(f"{path}:{e.line} {e.unresolved}")
                    continue
                inventory.followed += 1
                if e.reference not in counted:
                    counted.add(e.reference)
                    count(where, found_entries)
            elif e.unresolved is not None:
                inventory.missed.setdefault(resolver.why_not(module, e.unresolved), []).append(f"{path}:{e.line} {e.unresolved}")
            else:
                inventory.followed += 1
                count(module, e.entries)

    for module, (_, reader) in sorted(urlconfs.items()):
        count(module, reader.entries("urlpatterns"))
    for path, reader in sorted(modules.values(), key=lambda v: v[0]):
        inventory.unnamed += [f"{path}:{line}" for line in reader.unnamed]

    routes: list[EntryPoint] = []

    def emit(module: str, prefix: str, entries: tuple, stack: tuple[str, ...]) -> None:
        path = modules[module][0]
        for e in entries:
            if isinstance(e, _Pattern):
                routes.append(EntryPoint("route", _join(prefix, e.route), path, e.line, "django"))
            elif isinstance(e, _Router):
                if resolver.serves_root(e):
                    routes.append(EntryPoint("route", _join(prefix, ""), path, e.line, "django"))
                for reg, line in e.registrations:
                    if reg is not None:
                        routes.append(EntryPoint("route", _join(prefix, reg.strip("/") + "/"), path, line, "django"))
                        routes.append(EntryPoint("route", _join(prefix, reg.strip("/") + "/<pk>/"), path, line, "django"))
            elif e.module is not None:
                found = resolver.urlconf(e.module)
                if found is not None and found not in stack:
                    emit(found, _join(prefix, e.prefix), urlconfs[found][1].entries("urlpatterns"), stack + (found,))
            elif e.reference is not None:
                where, found_entries, _ = resolver.reference(e.reference)
                if where is not None and f"{where}:{e.reference[1]}" not in stack:
                    emit(where, _join(prefix, e.prefix), found_entries, stack + (f"{where}:{e.reference[1]}",))
            elif e.unresolved is None:
                emit(module, _join(prefix, e.prefix), e.entries, stack)

    for module in sorted(urlconfs):
        if module not in included:
            emit(module, "", urlconfs[module][1].entries("urlpatterns"), (module,))
    return routes, inventory


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


#: Text that makes a Python file worth parsing: decorators, urlconfs, route lists, router registrations.
_PYTHON_MARKERS = ("@", "urlpatterns", "path(", "url(", ".register(")


def mine_entry_points(source: ImportsSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """Read the routes, jobs and consumers ``source.repository`` declares (module docstring).

    ``counts``: ``route_includes`` (include() calls, imported url lists and router
    registrations met in the urlconfs) and ``route_includes_followed`` (those read): the
    inventory's trust (:class:`Inventory`)."""
    repository = Path(source.repository)
    origin = f"entry_points:{repository}"
    paths = list(iter_candidate_files(repository, source.exclude_paths))
    project = read_django_project(paths, lambda rel: _small_text(repository / rel, source.max_file_bytes))
    rows: list[EntryPoint] = []
    test_rows: list[EntryPoint] = []
    modules: dict[str, tuple[str, _UrlconfReader]] = {}
    test_modules: dict[str, tuple[str, _UrlconfReader]] = {}
    files = 0
    for rel in paths:
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
        found = test_rows if project.is_test_only(rel) else rows
        if rel.endswith(".rb"):
            found += parse_rails_routes(text, rel)
        elif rel.endswith((".java", ".kt")):
            if "Mapping" in text or "Listener" in text:
                found += parse_spring(text, rel)
        elif any(marker in text for marker in _PYTHON_MARKERS):
            try:
                tree = ast.parse(text, filename=rel)
            except (SyntaxError, ValueError) as exc:
                rejects.add(origin, f"{rel}:{getattr(exc, 'lineno', 0) or 0}", "Python syntax error", str(getattr(exc, "msg", exc)))
                continue
            found += decorated_entry_points(tree, rel)
            reader = _UrlconfReader(tree, module_name(rel))
            if reader.lists or reader.functions:
                (test_modules if found is test_rows else modules)[module_name(rel)] = (rel, reader)
    routes, inventory = django_routes(modules)
    frame = entry_points_frame(rows + routes)
    left_out = len(entry_points_frame(test_rows + django_routes(test_modules)[0]))
    counts = frame["kind"].value_counts()
    rejected = rejects.count(origin)
    summary = ", ".join(f"{int(counts.get(k, 0))} {k}s" for k in KINDS)
    notes = [f"{origin}: {summary} in {files} files"]
    if (followed := inventory.note()) is not None:
        notes.append(f"{origin}: {followed}")
    if left_out:
        notes.append(f"{origin}: {left_out} entry points of test-only code left out (test folders, apps only test settings install)")
    if rejected:
        notes.append(f"{origin}: {rejected} files rejected (see the rejects file)")
    return SourceFrames(frames={"entry_points": frame}, records_read=files, records_rejected=rejected, notes=notes,
                        counts={"route_includes": inventory.calls, "route_includes_followed": inventory.followed})


def _small_text(path: Path, max_bytes: int) -> str | None:
    """A file's text for the layout pre-pass; None when too large or not UTF-8 (the main pass
    rejects it)."""
    if path.stat().st_size > max_bytes:
        return None
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None
