"""The SYNTHETIC shop's source tree as evolving state that renders to file text.

A :class:`Workspace` holds every file of the repository as a small model — Python modules
as imports plus functions (:class:`PyModule`), other files as lines (:class:`TextFile`) —
and renders each to text on demand. The history writer (:mod:`seams_sample.repository`)
changes the models commit by commit (add a function, change a statement, add a model
field with its migration, rename a module, reformat) and asks the workspace which files'
text changed.

Every rendered ``.py`` file is valid Python; the cross-context imports are exactly those
of the enabled :class:`~seams_sample.world.ImportPlan` entries, so the import graph at
HEAD is :data:`seams_sample.world.IMPORT_GRAPH`. Module paths inside generated code are
written as ``@@<module key>@@`` placeholders and resolved when rendering, so renaming a
module rewrites its importers.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from seams_sample import world
from seams_sample.world import ImportPlan, ModulePlan

COMPANY = "Shopfront Ltd."

STDLIB = {"logging", "typing", "importlib", "os", "decimal", "datetime", "json", "contextlib"}

_PLACEHOLDER = re.compile(r"@@([a-z_]+(?:\.[a-z0-9_]+)+)@@")


@dataclass
class Style:
    """Repository-wide formatting, changed by the bulk commits."""

    copyright_to: int = 2024      # "2024" or "2024-<copyright_to>"
    black: bool = False           # two blank lines between top-level definitions
    isort: bool = False           # imports grouped and sorted

    def copyright(self) -> str:
        years = "2024" if self.copyright_to == 2024 else f"2024-{self.copyright_to}"
        return f"# Copyright (c) {years} {COMPANY} All rights reserved."


@dataclass
class Function:
    name: str
    params: list[str]
    stmts: list[str]                  # statements; a statement may span lines ("\n")
    decorator: str | None = None
    returns: str | None = None
    pinned: int = 0                   # leading statements that must stay (they use an import)
    doc: str | None = None

    def render(self) -> list[str]:
        out = [self.decorator] if self.decorator else []
        ret = f" -> {self.returns}" if self.returns else ""
        out.append(f"def {self.name}({', '.join(self.params)}){ret}:")
        if self.doc:
            out.append(f'    """{self.doc}"""')
        for stmt in self.stmts:
            out.extend("    " + line if line else "" for line in stmt.split("\n"))
        return out


@dataclass
class ModelClass:
    name: str
    table: str
    fields: list[tuple[str, str]]

    def render(self) -> list[str]:
        out = [f"class {self.name}(models.Model):"]
        out += [f"    {col} = {expr}" for col, expr in self.fields]
        out += ["", "    class Meta:", f'        db_table = "{self.table}"']
        return out


class SourceFile:
    """A file of the repository: its current path and how it renders."""

    path: str
    executable: bool = False

    def render(self, ws: Workspace) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def depends_on(self) -> set[str]:
        return set()


@dataclass
class TextFile(SourceFile):
    path: str
    lines: list[str]
    executable: bool = False

    def render(self, ws: Workspace) -> str:
        return "\n".join(self.lines) + "\n"


@dataclass
class PyModule(SourceFile):
    """A Python module: header, docstring, imports, then classes or functions."""

    key: str                          # "<package>.<module>", stable across renames
    package: str
    name: str                         # current module name (dotted for sub-packages)
    role: str
    doc: str = ""
    plan: ModulePlan | None = None
    enabled: set[int] = field(default_factory=set)   # indices of plan.imports in effect
    functions: list[Function] = field(default_factory=list)
    classes: list[ModelClass] = field(default_factory=list)
    extra_imports: list[tuple[str, str]] = field(default_factory=list)  # (group, line)
    preamble: list[str] = field(default_factory=list)  # module-level statements after imports
    body_text: list[str] = field(default_factory=list)  # fixed trailing text (urls, migrations)
    executable: bool = False

    @property
    def path(self) -> str:  # type: ignore[override]
        return world.module_path(self.package, self.name)

    def depends_on(self) -> set[str]:
        keys = {self.plan.imports[i].target for i in self.enabled} if self.plan else set()
        for fn in self.functions:
            for stmt in fn.stmts:
                keys.update(_PLACEHOLDER.findall(stmt))
        return keys

    # ---- imports -------------------------------------------------------------------
    def import_lines(self, ws: Workspace) -> tuple[list[tuple[str, str]], list[str]]:
        """(group, line) pairs of the module-level imports, and TYPE_CHECKING imports."""
        lines: list[tuple[str, str]] = []
        checking: list[str] = []
        if self.plan:
            for i, imp in enumerate(self.plan.imports):
                if i not in self.enabled or imp.kind == "function":
                    continue
                text = render_import(imp, ws)
                if imp.kind == "type_checking":
                    checking.append(text)
                else:
                    lines.append(("first", text))
        lines += self.extra_imports
        if checking:
            lines.append(("std", "from typing import TYPE_CHECKING"))
        if self.functions and self.role not in ("tests", "urls", "models"):
            lines.append(("std", "import logging"))
        return lines, checking

    def render(self, ws: Workspace) -> str:
        style = ws.style
        gap = ["", ""] if style.black else [""]
        out = [style.copyright()]
        if self.doc:
            out.append(f'"""{self.doc}"""')
            out.append("")
        imports, checking = self.import_lines(ws)
        if imports or checking:
            out.append("from __future__ import annotations")
            out.append("")
            if style.isort:
                order = {"std": 0, "third": 1, "first": 2, "local": 3}
                groups: dict[int, list[str]] = {}
                for grp, line in imports:
                    groups.setdefault(order[grp], []).append(line)
                for n in sorted(groups):
                    out.extend(sorted(set(groups[n]), key=_isort_key))
                    out.append("")
            else:
                seen = set()
                for _, line in imports:
                    if line not in seen:
                        out.append(line)
                        seen.add(line)
                out.append("")
            if checking:
                out.append("if TYPE_CHECKING:")
                out.extend("    " + c for c in (sorted(checking) if style.isort else checking))
                out.append("")
        if self.functions and self.role not in ("tests", "urls", "models"):
            out.append("log = logging.getLogger(__name__)")
            out.append("")
        if self.preamble:
            out.extend(self.preamble)
            out.append("")
        blocks = [c.render() for c in self.classes] + [f.render() for f in self.functions]
        if self.body_text:
            blocks.append(list(self.body_text))
        if blocks:
            if out[-1] == "":
                out.pop()
            for block in blocks:
                out.extend(gap)
                out.extend(block)
        while out and out[-1] == "":
            out.pop()
        text = "\n".join(out) + "\n"
        return _PLACEHOLDER.sub(lambda m: ws.dotted(m.group(1)), text)

    def function_names(self) -> set[str]:
        return {f.name for f in self.functions}


def _plural(noun: str) -> str:
    if noun.endswith("y"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x")):
        return noun + "es"
    return noun + "s"


def _isort_key(line: str) -> tuple:
    # isort's force_sort_within_sections=false: "import x" before "from x import y"
    return (0 if line.startswith("import ") else 1, line.lower())


def render_import(imp: ImportPlan, ws: Workspace) -> str:
    dotted = ws.dotted(imp.target)
    if imp.style == "names":
        return f"from {dotted} import {', '.join(imp.names)}"
    pkg, leaf = dotted.rsplit(".", 1)
    alias = imp.alias or leaf
    return f"from {pkg} import {leaf}" + ("" if alias == leaf else f" as {alias}")


# ------------------------------------------------------------------------------------
# the workspace


class Workspace:
    """All files of the repository, the style in force, and what changed since the last commit."""

    def __init__(self) -> None:
        self.files: dict[str, SourceFile] = {}       # key -> file
        self.style = Style()
        self.committed: dict[str, str] = {}          # path -> text at the last commit
        self.committed_exec: dict[str, bool] = {}
        self.dirty: set[str] = set()
        self.removed_paths: set[str] = set()

    # ---- lookups -------------------------------------------------------------------
    def dotted(self, key: str) -> str:
        f = self.files.get(key)
        if isinstance(f, PyModule):
            return f"{world.PACKAGE}.{f.package}.{f.name}"
        pkg, name = key.split(".", 1)
        return f"{world.PACKAGE}.{pkg}.{name}"

    def modules(self, package: str | None = None) -> list[PyModule]:
        return [f for f in self.files.values() if isinstance(f, PyModule) and (package is None or f.package == package)]

    def module(self, key: str) -> PyModule | None:
        f = self.files.get(key)
        return f if isinstance(f, PyModule) else None

    # ---- changes -------------------------------------------------------------------
    def add(self, key: str, f: SourceFile) -> None:
        self.files[key] = f
        self.dirty.add(key)

    def touch(self, key: str) -> None:
        self.dirty.add(key)

    def rename(self, key: str, new_name: str) -> None:
        mod = self.files[key]
        assert isinstance(mod, PyModule)
        self.removed_paths.add(mod.path)
        mod.name = new_name
        self.dirty.add(key)
        for other_key, other in self.files.items():
            if key in other.depends_on():
                self.dirty.add(other_key)

    def restyle(self, **changes) -> None:
        for k, v in changes.items():
            setattr(self.style, k, v)
        self.dirty.update(k for k, f in self.files.items() if isinstance(f, PyModule))

    def flush(self) -> list[tuple[str, str | None, bool]]:
        """Changes since the last flush as (path, text or None for deleted, executable), sorted by path."""
        changes: dict[str, tuple[str | None, bool]] = {}
        text: str | None  # None: the file was deleted
        live_paths = set()
        for key in sorted(self.dirty):
            f = self.files.get(key)
            if f is None:
                continue
            text = f.render(self)
            live_paths.add(f.path)
            if self.committed.get(f.path) != text or self.committed_exec.get(f.path) != f.executable:
                changes[f.path] = (text, f.executable)
        for path in sorted(self.removed_paths):
            if path not in live_paths and path in self.committed and not any(g.path == path for g in self.files.values()):
                changes[path] = (None, False)
        for path, (text, ex) in changes.items():
            if text is None:
                self.committed.pop(path, None)
                self.committed_exec.pop(path, None)
            else:
                self.committed[path] = text
                self.committed_exec[path] = ex
        self.dirty.clear()
        self.removed_paths.clear()
        return [(p, t, ex) for p, (t, ex) in sorted(changes.items())]

    def snapshot(self) -> dict[str, str]:
        return dict(self.committed)


# ------------------------------------------------------------------------------------
# generating code


class CodeWriter:
    """Seeded generator of plausible function bodies for a module."""

    def __init__(self, rng: random.Random, ws: Workspace):
        self.rng = rng
        self.ws = ws

    # ---- names -----------------------------------------------------------------------
    def nouns(self, mod: PyModule) -> tuple[str, ...]:
        return world.NOUNS.get(mod.package, world.NOUNS["platform"])

    def new_function_name(self, mod: PyModule) -> str:
        taken = mod.function_names()
        for _ in range(50):
            verb = self.rng.choice(world.VERBS)
            noun = self.rng.choice(self.nouns(mod))
            name = f"{verb}_{_plural(noun) if verb in ('list', 'count', 'export', 'archive') else noun}"
            if mod.role == "tests":
                name = f"test_{name}"
            if name not in taken:
                return name
        n = 2
        while f"{name}_{n}" in taken:
            n += 1
        return f"{name}_{n}"

    # ---- statements ------------------------------------------------------------------
    def aliases(self, mod: PyModule) -> list[tuple[str, tuple[str, ...]]]:
        """Module aliases the code may call, with functions to call on them."""
        out = []
        if mod.plan:
            for i, imp in enumerate(mod.plan.imports):
                if i in mod.enabled and imp.kind == "static" and imp.style == "module":
                    target = self.ws.module(imp.target)
                    api = world.MODULES_BY_KEY[imp.target].api if imp.target in world.MODULES_BY_KEY else ()
                    names = api or tuple(sorted(target.function_names()))[:4] if target else api
                    if names:
                        out.append((imp.alias or imp.target.rsplit(".", 1)[-1], tuple(names)))
        for _group, line in mod.extra_imports:
            if line.startswith("from . import ") or line.endswith(" import services"):
                alias = line.rsplit(" ", 1)[-1]
                target = self.ws.module(f"{mod.package}.{alias}")
                if target and target.functions:
                    out.append((alias, tuple(sorted(target.function_names()))[:6]))
        return out

    def has_name(self, mod: PyModule, name: str) -> bool:
        """Whether ``name`` is bound by one of the module's enabled imports."""
        if not mod.plan:
            return False
        for i, imp in enumerate(mod.plan.imports):
            if i in mod.enabled and imp.kind == "static":
                bound = imp.names if imp.style == "names" else (imp.alias or imp.target.rsplit(".", 1)[-1],)
                if name in bound:
                    return True
        return False

    def statement(self, mod: PyModule, arg: str, var: str, prev: str) -> str:
        rng = self.rng
        noun = rng.choice(self.nouns(mod))
        options = ["log", "round", "dict", "guard"]
        aliases = self.aliases(mod)
        if aliases:
            options += ["call", "call"]
        if self.has_name(mod, "db"):
            options.append("db")
        if self.has_name(mod, "bus") and mod.package in world.NOTIFYING_CONTEXTS:
            options.append("bus")
        kind = rng.choice(options)
        if kind == "call":
            alias, names = rng.choice(aliases)
            return f"{var} = {alias}.{rng.choice(names)}({arg})"
        if kind == "log":
            event = rng.choice(("loaded", "updated", "skipped", "queued", "checked", "retried"))
            level = rng.choice(("debug", "info", "info", "warning"))
            return f'log.{level}("{noun} {event}: %s", {arg})'
        if kind == "round":
            return f"{var} = round({prev} * {rng.choice((1.0, 1.05, 1.1, 1.19, 1.2, 0.95, 0.9))}, {rng.choice((0, 2, 2, 4))})"
        if kind == "dict":
            return f'{var} = {{"id": {arg}, "{noun}": {prev}, "version": {rng.randint(1, 9)}}}'
        if kind == "guard":
            return f"if {prev} is None:\n    raise ValueError(\"{noun} {rng.randint(100, 999)} not found\")"
        if kind == "db":
            tables = world.TABLES_BY_CONTEXT.get(mod.package) or world.TABLES_BY_CONTEXT["orders"]
            table = rng.choice(tables)
            col = rng.choice(table.columns)[0]
            return f'{var} = db.fetch_one("SELECT id, {col} FROM {table.name} WHERE id = %s", [{arg}])'
        event = rng.choice(("order_placed", "stock_low", "price_changed", "invoice_issued", "login_alert", "report_ready"))
        return f'bus.call("notifications.send", "{event}", {arg})'

    def new_function(self, mod: PyModule, anchor: ImportPlan | None = None) -> Function:
        rng = self.rng
        name = self.new_function_name(mod)
        noun = rng.choice(self.nouns(mod))
        arg = f"{noun}_id"
        params = [arg] if rng.random() < 0.7 else [arg, "payload"]
        decorator = None
        stmts: list[str] = []
        pinned = 0
        returns = None
        if mod.role == "views":
            params = ["request", arg]
        if mod.role == "tasks":
            decorator = "@shared_task"
        if anchor is not None:
            stmts.append(self.anchor_statement(anchor, arg))
            pinned = 1
            if anchor.kind == "type_checking":
                cls = anchor.names[0]
                params = [f"{cls.lower()}: {cls}"]
                arg = f"{cls.lower()}.pk"
                returns = "int"
                stmts[0] = f"result = {arg}"
        if mod.role == "tests":
            target = self.aliases(mod)
            if target:
                alias, names = target[0]
                stmts = [f"assert callable({alias}.{rng.choice(names)})"]
            else:
                stmts = ["assert True"]
            return Function(name, [], stmts)
        var, prev = "result", arg
        for _ in range(rng.randint(1, 3)):
            stmts.append(self.statement(mod, arg, var, prev))
            prev = var
        if mod.role == "views":
            stmts.append(f'return JsonResponse({{"{noun}": {var if stmts else arg}}})')
        else:
            stmts.append(f"return {var}")
        doc = None
        if rng.random() < 0.3:
            doc = f"{name.replace('_', ' ').capitalize()}."
        return Function(name, params, stmts, decorator, returns, pinned, doc)

    def anchor_statement(self, imp: ImportPlan, arg: str) -> str:
        api = world.MODULES_BY_KEY[imp.target].api if imp.target in world.MODULES_BY_KEY else ()
        use = (imp.uses or api or imp.names or ("get",))[0]
        if imp.kind == "function":
            return f"from @@{imp.target}@@ import {', '.join(imp.names)}\n\nresult = {imp.names[0]}({arg})"
        if imp.style == "names":
            name = imp.names[0]
            if name[0].isupper():
                return f"result = {name}.objects.filter(pk={arg}).first()"
            return f"result = {name}({arg})"
        alias = imp.alias or imp.target.rsplit(".", 1)[-1]
        return f"result = {alias}.{use}({arg})"

    # ---- changes to existing code -------------------------------------------------------
    def modify_function(self, mod: PyModule, fn: Function) -> None:
        rng = self.rng
        body = len(fn.stmts) - 1  # last statement is the return
        editable = list(range(fn.pinned, max(fn.pinned, body)))
        param = fn.params[-1] if mod.role == "views" else (fn.params[0] if fn.params else "value")
        arg = param.split(":")[0]
        if arg == "request":
            arg = "request.GET"
        if mod.role == "tests":
            names = self.aliases(mod)
            if names:
                alias, funcs = names[0]
                fn.stmts.append(f"assert callable({alias}.{rng.choice(funcs)})")
            else:
                fn.stmts.append(f"assert {rng.randint(1, 9)} > 0")
            return

        def prev_at(i: int) -> str:
            return "result" if any(s.startswith("result =") for s in fn.stmts[:i]) else arg

        choice = rng.random()
        if editable and choice < 0.45:
            i = rng.choice(editable)
            fn.stmts[i] = self.statement(mod, arg, "result", prev_at(i))
        elif editable and choice < 0.55 and len(editable) > 1:
            del fn.stmts[rng.choice(editable)]
        else:
            i = max(fn.pinned, body)
            fn.stmts.insert(i, self.statement(mod, arg, "result", prev_at(i)))

    def add_model_field(self, mod: PyModule) -> tuple[ModelClass, str, str] | None:
        rng = self.rng
        if not mod.classes:
            return None
        cls = rng.choice(mod.classes)
        taken = {c for c, _ in cls.fields}
        for col, expr in rng.sample(_EXTRA_FIELDS, len(_EXTRA_FIELDS)):
            if col not in taken:
                cls.fields.append((col, expr))
                return cls, col, expr
        return None


_EXTRA_FIELDS = [
    ("notes", "models.TextField(blank=True)"),
    ("external_ref", "models.CharField(max_length=64, blank=True)"),
    ("is_archived", "models.BooleanField(default=False)"),
    ("updated_by", "models.BigIntegerField(null=True)"),
    ("version", "models.IntegerField(default=1)"),
    ("metadata", "models.JSONField(default=dict)"),
    ("source", "models.CharField(max_length=32, blank=True)"),
    ("deleted_at", "models.DateTimeField(null=True)"),
]


# ------------------------------------------------------------------------------------
# creating modules


def create_module(plan: ModulePlan, ws: Workspace, writer: CodeWriter, *, name: str | None = None,
                  enabled_after: set[str] | frozenset[str] = frozenset()) -> PyModule:
    """A new module for ``plan`` (named ``name`` if it starts under a former name)."""
    mod = PyModule(key=plan.key, package=plan.package, name=name or plan.name, role=plan.role, doc=plan.doc, plan=plan)
    mod.enabled = {i for i, imp in enumerate(plan.imports) if imp.after is None or imp.after in enabled_after}
    role, ctx = plan.role, plan.package
    if role == "models":
        mod.extra_imports.append(("third", "from django.db import models"))
        mod.classes = [ModelClass(t.model, t.name, list(t.columns)) for t in world.TABLES_BY_CONTEXT[ctx]]
    elif role == "views":
        mod.extra_imports += [("third", "from django.http import JsonResponse"), ("local", "from . import services")]
        for ep in world.ENDPOINTS_BY_CONTEXT[ctx]:
            params = ["request", *ep.params]
            stmts = [f"result = services.{_view_service_call(ep.view)}({', '.join(ep.params) or 'request.GET'})",
                     f'return JsonResponse({{"{ep.view}": result}})']
            mod.functions.append(Function(ep.view, params, stmts, pinned=1))
    elif role == "urls":
        mod.extra_imports += [("third", "from django.urls import path"), ("local", "from . import views")]
        entries = [f'    path("{ep.django_route.split("/", 2)[2]}", views.{ep.view}, name="{ep.view}"),'
                   for ep in world.ENDPOINTS_BY_CONTEXT[ctx]]
        mod.body_text = [f'app_name = "{ctx}"', "", "urlpatterns = [", *entries, "]"]
    elif role == "tasks":
        mod.extra_imports += [("third", "from celery import shared_task"), ("local", "from . import services")]
    elif role == "tests":
        mod.extra_imports += [("third", "import pytest"), ("first", f"from {world.PACKAGE}.{ctx} import services")]
        mod.preamble = ["pytestmark = pytest.mark.django_db"]
    elif role == "migration":
        mod.extra_imports.append(("third", "from django.db import migrations, models"))
        mod.body_text = migration_body(ctx, None, [("CreateModel", t) for t in world.TABLES_BY_CONTEXT[ctx]])
    elif role == "platform":
        _platform_module(mod)
    ws.add(mod.key, mod)
    # one function per enabled import that uses it, then a few more
    if role in ("services", "extra", "tasks"):
        for i in sorted(mod.enabled):
            imp = plan.imports[i]
            if imp.target.startswith("platform."):
                continue
            mod.functions.append(writer.new_function(mod, anchor=imp))
        for _ in range(writer.rng.randint(2, 4)):
            mod.functions.append(writer.new_function(mod))
    if role == "services":
        # the functions other contexts call, and the views' service calls
        for api in plan.api:
            if api not in mod.function_names():
                fn = writer.new_function(mod)
                fn.name = api
                mod.functions.append(fn)
        for ep in world.ENDPOINTS_BY_CONTEXT.get(ctx, ()):
            call = _view_service_call(ep.view)
            if call not in mod.function_names():
                fn = writer.new_function(mod)
                fn.name = call
                mod.functions.append(fn)
    elif role in ("extra",):
        for api in plan.api:
            if api not in mod.function_names():
                fn = writer.new_function(mod)
                fn.name = api
                mod.functions.append(fn)
    if role == "tests":
        for _ in range(2):
            mod.functions.append(writer.new_function(mod))
    return mod


def _view_service_call(view: str) -> str:
    return {"me": "get_customer", "detail": "get_order", "pay": "record_payment"}.get(view, view)


def enable_import(mod: PyModule, index: int, writer: CodeWriter, ws: Workspace) -> None:
    """Switch on a planned import and add a function that uses it."""
    if index in mod.enabled:
        return
    mod.enabled.add(index)
    assert mod.plan is not None  # index is into the plan's imports
    imp = mod.plan.imports[index]
    if not imp.target.startswith("platform."):
        mod.functions.append(writer.new_function(mod, anchor=imp))
    ws.touch(mod.key)


def migration_body(ctx: str, previous: str | None, operations: list[tuple]) -> list[str]:
    deps = f'[("{ctx}", "{previous}")]' if previous else "[]"
    out = ["class Migration(migrations.Migration):"]
    if previous is None:
        out.append("    initial = True")
    out += [f"    dependencies = {deps}", "", "    operations = ["]
    for op in operations:
        if op[0] == "CreateModel":
            table = op[1]
            out.append("        migrations.CreateModel(")
            out.append(f'            name="{table.model}",')
            out.append("            fields=[")
            out.append('                ("id", models.BigAutoField(primary_key=True, serialize=False)),')
            out += [f'                ("{col}", {expr}),' for col, expr in table.columns]
            out.append("            ],")
            out.append(f'            options={{"db_table": "{table.name}"}},')
            out.append("        ),")
        else:
            _, model, col, expr = op
            out.append(f'        migrations.AddField(model_name="{model.lower()}", name="{col}", field={expr}),')
    out.append("    ]")
    return out


def _platform_module(mod: PyModule) -> None:
    if mod.name == "settings":
        mod.extra_imports.append(("std", "import os"))
        mod.body_text = [
            'SECRET_KEY = os.environ.get("SHOPFRONT_SECRET_KEY", "dev-only")',
            'DEBUG = os.environ.get("SHOPFRONT_DEBUG") == "1"',
            "INSTALLED_APPS = [",
            *[f'    "{world.PACKAGE}.{c}",' for c in world.CONTEXTS],
            "]",
            "DATABASES = {",
            '    "default": {',
            '        "ENGINE": "django.db.backends.postgresql",',
            '        "NAME": os.environ.get("SHOPFRONT_DB_NAME", "shopfront"),',
            '        "HOST": os.environ.get("SHOPFRONT_DB_HOST", "localhost"),',
            "    }",
            "}",
            'ROOT_URLCONF = "shopfront.urls"',
            'CELERY_BROKER_URL = os.environ.get("SHOPFRONT_BROKER_URL", "amqp://localhost")',
        ]
    elif mod.name == "db":
        mod.extra_imports += [("std", "from contextlib import contextmanager"), ("third", "from django.db import connection")]
        mod.body_text = [
            "def fetch_one(sql, params=()):",
            "    with connection.cursor() as cursor:",
            "        cursor.execute(sql, params)",
            "        return cursor.fetchone()",
            "",
            "",
            "def fetch_all(sql, params=()):",
            "    with connection.cursor() as cursor:",
            "        cursor.execute(sql, params)",
            "        return cursor.fetchall()",
            "",
            "",
            "@contextmanager",
            "def atomic():",
            "    from django.db import transaction",
            "",
            "    with transaction.atomic():",
            "        yield",
        ]
    elif mod.name == "bus":
        mod.extra_imports += [("std", "import importlib"), ("std", "import logging")]
        mod.preamble = ["log = logging.getLogger(__name__)"]
        handlers = [
            ("notifications.send", "shopfront.notifications.handlers:send"),
            ("notifications.should_alert", "shopfront.notifications.handlers:should_alert"),
            ("notifications.check_back_in_stock", "shopfront.notifications.handlers:check_back_in_stock"),
        ]
        mod.body_text = [
            "# Handlers are named, not imported: the bus resolves them when they are first called.",
            "HANDLERS = {",
            *[f'    "{name}": "{target}",' for name, target in handlers],
            "}",
            "",
            "_resolved = {}",
            "",
            "",
            "def resolve(name):",
            "    if name not in _resolved:",
            '        module_name, _, attr = HANDLERS[name].partition(":")',
            "        module = importlib.import_module(module_name)",
            "        _resolved[name] = getattr(module, attr)",
            "    return _resolved[name]",
            "",
            "",
            "def call(name, *args, **kwargs):",
            '    """Call a handler synchronously, in the caller\'s transaction."""',
            '    log.debug("bus call %s", name)',
            "    return resolve(name)(*args, **kwargs)",
            "",
            "",
            "def publish(topic, payload):",
            '    """Queue a message on RabbitMQ (see settings.CELERY_BROKER_URL)."""',
            '    from celery import current_app',
            "",
            '    current_app.send_task("shopfront.dispatch", args=[topic, payload])',
        ]
