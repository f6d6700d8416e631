"""Table names declared by a repository's ORM models and migrations, and the relations
between them, with file and line.

Reads source text only (Python through :mod:`ast`, Ruby, Java and Kotlin through regular
expressions); the analysed code is never imported or run. What is read, per framework:

``django`` (``models.py``, ``models/*.py`` and ``migrations/*.py`` files that mention ``django``)
    A model is a class whose base is ``models.Model`` / ``Model``, another model or
    abstract model of the same file, or that declares fields (``x = models.CharField(...)``,
    ``ForeignKey``, ...). Its table is ``class Meta: db_table`` when given (explicit),
    otherwise ``<app_label>_<model name lower case>``. The app label is Django's
    (:mod:`analysis.sources.django_project`): ``Meta.app_label``, else the ``label`` of the
    ``AppConfig`` in the app's ``apps.py``, else the name of the package holding
    ``models.py`` or the ``models`` package (``extras/models/models.py`` is app ``extras``).
    Abstract (``abstract = True``) and proxy (``proxy = True``) models have no table of
    their own. A ``ManyToManyField`` without ``through=`` has a table Django creates:
    ``db_table=`` when given (explicit), else ``<model's table>_<field name>``
    (``dcim_interface_tagged_vlans``); its row's model is ``Model.field``. Fields of abstract
    models of the same file count for the models deriving from them. Names longer than the
    database allows (63 characters on PostgreSQL) are shortened by Django with a hash;
    Seams writes them whole.

    Migrations (``<app>/migrations/*.py``) are *replayed*: per app, in the order Django
    applies them (each after the same-app migrations it depends on, a squashed migration in
    place of those it ``replaces``), ``CreateModel`` (``options["db_table"]``, its
    many-to-many fields), ``DeleteModel``, ``RenameModel``, ``AlterModelTable`` and the
    many-to-many fields' ``AddField`` / ``RemoveField`` / ``AlterField`` / ``RenameField``,
    with ``SeparateDatabaseAndState``'s state operations in place (the state is what the
    models say today). Only the tables left at the end are kept, each at the operation that
    gave it its present name; tables created then renamed or dropped are counted in a note.

    Test-only apps (in a ``tests``, ``test`` or ``testing`` folder, or installed only by test
    settings: :mod:`analysis.sources.django_project`) are kept out of both frames; their
    tables are counted in a note.
``sqlalchemy`` (``*.py`` files that mention ``sqlalchemy`` or ``__tablename__``)
    ``__tablename__ = "name"`` in a class body and ``Table("name", metadata, ...)`` calls
    (also ``sa.Table`` / ``sqlalchemy.Table``); all explicit.
``activerecord`` (``*.rb``)
    ``class Order < ApplicationRecord`` (or ``ActiveRecord::Base``): ``self.table_name =
    "name"`` when given, otherwise Rails' convention: the class name (without modules) in
    snake case, pluralized (:func:`pluralize`). Migrations and ``db/schema.rb``:
    ``create_table :name`` / ``create_table "name"``.
``jpa`` (``*.java``, ``*.kt``)
    ``@Entity`` classes: ``@Table(name = "name")`` when given, otherwise the entity name
    (``@Entity(name = ...)`` or the class name) in snake case, as Spring Boot's default
    naming strategy writes it.

Relations (models only, not migrations), each from the declaring model's table to the
related model's table, resolved across the repository's files with the rules above (the
related model's own declared table when the repository has it, else the convention):

``django``
    ``ForeignKey`` (foreign_key), ``OneToOneField`` (one_to_one), ``ManyToManyField``
    (many_to_many) fields, their target given as ``"self"``, ``"app_label.Model"``,
    ``"Model"`` (the same app), a class of the module, a class imported from an app's
    ``models`` (that app's label: ``from shop.billing.models import Invoice`` is
    ``billing.Invoice``; relative imports too) or ``alias.Model`` of an imported models
    module. A target Seams cannot name from the source (``settings.AUTH_USER_MODEL``) is
    left out; so are the fields of abstract models.
``sqlalchemy``
    ``ForeignKey("[schema.]table.column")`` / ``ForeignKey(Model.column)`` and
    ``ForeignKeyConstraint(..., ["table.column"])`` in a ``__tablename__`` class or a
    ``Table(...)`` call (foreign_key); ``relationship("Model")`` / ``relationship(Model)`` /
    ``relationship(lambda: Model)`` or, without an argument, the class of its ``Mapped[...]``
    annotation (relationship; many_to_many with ``secondary=``).
``activerecord``
    ``belongs_to`` (foreign_key), ``has_one`` (one_to_one), ``has_many`` (relationship),
    ``has_and_belongs_to_many`` (many_to_many): the model named by ``class_name:``, else
    by the association (``belongs_to :customer`` -> ``customers``, ``has_many :line_items``
    -> ``line_items``), a model of the repository with that class or conventional table
    giving its ``table_name``. Polymorphic ``belongs_to`` names no table.
``jpa``
    ``@ManyToOne`` (foreign_key, with or without ``@JoinColumn``), ``@OneToOne``
    (one_to_one), ``@OneToMany`` (relationship), ``@ManyToMany`` (many_to_many) on a Java
    field or getter or a Kotlin property: the related entity is ``targetEntity`` when given,
    else the type (a collection's last type argument).

Frame ``orm_tables`` (one row per declaration; a table declared twice has two rows):
    table: str (lower case, as written: ``schema.table`` kept) · model: str (class or
    migration model name) · framework: str (django, sqlalchemy, activerecord, jpa) ·
    kind: str (model, migration: a table today's migrations leave) · path: str
    (repository-relative, posix) · line: int · explicit: bool (the name is written in the
    source, not derived by convention). A many-to-many field's table has the model
    ``Model.field``.

Frame ``orm_relations`` (one row per relation a model declares):
    table: str · related_table: str (both lower case, as ``orm_tables`` writes them) ·
    kind: str (foreign_key, many_to_many, one_to_one, relationship) · framework: str ·
    path: str · line: int (of the field, call or annotation)

Files that cannot be read (not UTF-8, a Python syntax error, larger than
``max_file_bytes``) go to the rejects with their path and line.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects
from analysis.sources.django_project import NO_PROJECT, DjangoProject, app_folder, read_django_project

FRAMEWORKS = ("django", "sqlalchemy", "activerecord", "jpa")
SUFFIXES = (".py", ".rb", ".java", ".kt")
#: Folders never walked: dependencies, virtual environments, build output, VCS data.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", "site-packages",
                          "__pycache__", "build", "dist", "target", ".tox", "vendor"})
MAX_FILE_BYTES = 1_000_000
COLUMNS = ("table", "model", "framework", "kind", "path", "line", "explicit")
RELATION_COLUMNS = ("table", "related_table", "kind", "framework", "path", "line")
RELATION_KINDS = ("foreign_key", "many_to_many", "one_to_one", "relationship")


@dataclass(frozen=True)
class OrmTable:
    table: str
    model: str
    framework: str
    kind: str
    path: str
    line: int
    explicit: bool


@dataclass(frozen=True)
class OrmRelation:
    """One relation a model declares: rows of ``table`` refer to rows of ``related_table``."""

    table: str
    related_table: str
    kind: str  # RELATION_KINDS
    framework: str
    path: str
    line: int


@dataclass(frozen=True)
class RelationReference:
    """A relation as one file declares it, its related side not yet a table name.

    ``reference``: the key of the related model in :attr:`Declarations.models` (``django:<app
    label>.<model lower case>``, ``sqlalchemy:<class>``, ``activerecord:<class or
    conventional table>``, ``jpa:<class>``), None when the file names the table itself;
    ``fallback``: the table by the framework's convention, taken when no model of the
    repository has that key (None: the relation is left out).
    """

    table: str
    reference: str | None
    fallback: str | None
    kind: str
    framework: str
    path: str
    line: int


@dataclass
class Declarations:
    """What one file declares: its tables, its relations, its models by the key a relation
    names them with (``models``: key -> table) and, for a Django migration, its operations
    (the tables they leave are known once every migration of the app is read:
    :func:`resolve_tables`)."""

    tables: list[OrmTable] = field(default_factory=list)
    relations: list[RelationReference] = field(default_factory=list)
    models: dict[str, str] = field(default_factory=dict)
    migrations: list[DjangoMigration] = field(default_factory=list)

    def add(self, other: Declarations) -> Declarations:
        self.tables += other.tables
        self.relations += other.relations
        self.models.update(other.models)
        self.migrations += other.migrations
        return self


def resolve_relations(declarations: Iterable[Declarations]) -> list[OrmRelation]:
    """The relations of some files with their related side named as a table: the table of
    the model the reference names anywhere among the files, else the conventional one."""
    declared = list(declarations)
    models = {key: table for d in declared for key, table in d.models.items()}
    out = []
    for d in declared:
        for r in d.relations:
            related = (models.get(r.reference) if r.reference else None) or r.fallback
            if related:
                out.append(OrmRelation(r.table, related, r.kind, r.framework, r.path, r.line))
    return out


# --------------------------------------------------------------------------------------
# names


def snake_case(name: str) -> str:
    """``OrderItem`` -> ``order_item``, ``HTTPLog`` -> ``http_log``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.replace("-", "_").lower()


_IRREGULAR = {"person": "people", "man": "men", "woman": "women", "child": "children", "mouse": "mice",
              "goose": "geese", "ox": "oxen", "datum": "data"}
_UNCOUNTABLE = frozenset({"equipment", "information", "rice", "money", "species", "series", "fish", "sheep",
                          "jeans", "police", "news", "data", "metadata"})


def pluralize(word: str) -> str:
    """English plural of the last ``_`` part, as ActiveSupport's main rules give it."""
    head, _, last = word.rpartition("_")
    prefix = head + "_" if head else ""
    if last in _UNCOUNTABLE:
        return word
    if last in _IRREGULAR:
        return prefix + _IRREGULAR[last]
    if re.search(r"(quiz)$", last):
        return prefix + last + "zes"
    if re.search(r"[^aeiouy]y$", last):
        return prefix + last[:-1] + "ies"
    if re.search(r"(x|ch|ss|sh|us|s)$", last):
        return prefix + last + "es"
    if re.search(r"(?:([^f])fe|([lr])f)$", last):
        return prefix + re.sub(r"(?:([^f])fe|([lr])f)$", lambda m: (m.group(1) or m.group(2)) + "ves", last)
    return prefix + last + "s"


# --------------------------------------------------------------------------------------
# Python: Django and SQLAlchemy


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _text(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _meta(cls: ast.ClassDef) -> dict[str, object]:
    """Constant assignments of a model's inner ``class Meta``."""
    out: dict[str, object] = {}
    for item in cls.body:
        if isinstance(item, ast.ClassDef) and item.name == "Meta":
            for stmt in item.body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
                    for target in stmt.targets:
                        if isinstance(target, ast.Name):
                            out[target.id] = stmt.value.value
    return out


_FIELD_CALL = re.compile(r"(?:^|\.)(?:\w*Field|ForeignKey|OneToOneField|ManyToManyField)$")


def _declares_fields(cls: ast.ClassDef) -> bool:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            name = _dotted(stmt.value.func)
            if name.startswith("models.") and _FIELD_CALL.search(name):
                return True
    return False


def django_app_label(path: str, project: DjangoProject = NO_PROJECT) -> str | None:
    """The app label of a models module, as Django gives it: ``shop/orders/models.py`` and
    ``shop/orders/models/order.py`` (``shop/orders/models/models.py`` too) -> ``orders``, or
    the label ``shop/orders/apps.py`` declares (:mod:`analysis.sources.django_project`)."""
    return project.label_of(path)


@dataclass(frozen=True)
class ManyToMany:
    """A ``ManyToManyField`` whose table Django creates: ``db_table`` when the field names
    one, else ``<model's table>_<field name>``. A field with ``through=`` has none."""

    field: str
    db_table: str | None
    line: int

    def table(self, model_table: str) -> str:
        return (self.db_table or f"{model_table}_{self.field}").lower()


def _many_to_many(name: str, call: ast.AST | None, line: int) -> ManyToMany | None:
    """The auto-created table of a ``ManyToManyField(...)`` call assigned to ``name``; None
    for another call or a field with ``through=``."""
    if not isinstance(call, ast.Call) or _dotted(call.func).rsplit(".", 1)[-1] != "ManyToManyField":
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if "through" in keywords:
        return None
    return ManyToMany(name, _text(keywords.get("db_table")), line)


def _class_many_to_many(cls: ast.ClassDef) -> list[ManyToMany]:
    out = []
    for stmt in cls.body:
        value: ast.expr | None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        else:
            continue
        if isinstance(target, ast.Name) and (m2m := _many_to_many(target.id, value, stmt.lineno)):
            out.append(m2m)
    return out


def parse_django_models(tree: ast.Module, path: str, project: DjangoProject = NO_PROJECT) -> Declarations:
    """Django models of one parsed module, the tables of their many-to-many fields, and
    their relations (rules in the module docstring)."""
    label = django_app_label(path, project)
    models: dict[str, str | None] = {}  # model class -> its app label
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for cls in classes.values():
        bases = {_dotted(b) for b in cls.bases}
        if bases & {"models.Model", "Model", "django.db.models.Model"} or bases & set(models) or _declares_fields(cls):
            app_label = _meta(cls).get("app_label")
            models[cls.name] = app_label if isinstance(app_label, str) else label
    imports = _django_imports(tree, path, project)
    out = Declarations()
    for cls in (c for c in classes.values() if c.name in models):
        meta = _meta(cls)
        if meta.get("abstract") is True or meta.get("proxy") is True:
            continue
        table = meta.get("db_table")
        app = models[cls.name]
        if isinstance(table, str) and table:
            row = OrmTable(table.lower(), cls.name, "django", "model", path, cls.lineno, True)
        elif app:
            row = OrmTable(f"{app}_{cls.name.lower()}".lower(), cls.name, "django", "model", path, cls.lineno, False)
        else:
            continue
        out.tables.append(row)
        for m2m in _inherited_many_to_many(cls, classes):
            out.tables.append(OrmTable(m2m.table(row.table), f"{cls.name}.{m2m.field}", "django", "model", path, m2m.line,
                                       m2m.db_table is not None))
        if app:
            out.models[_django_key(app, cls.name)] = row.table
        out.relations += _django_relations(cls, row.table, models, imports, path)
    return out


def _inherited_many_to_many(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: frozenset = frozenset()) -> list[ManyToMany]:
    """The many-to-many fields of a concrete model: its own and those of the abstract models
    of the same module it derives from (a concrete parent keeps its own)."""
    out = _class_many_to_many(cls)
    for base in cls.bases:
        parent = classes.get(_dotted(base))
        if parent is not None and parent.name not in seen and _meta(parent).get("abstract") is True:
            own = {m.field for m in out}
            out += [m for m in _inherited_many_to_many(parent, classes, seen | {cls.name}) if m.field not in own]
    return out


#: Django's relation fields and the kind of relation each declares.
DJANGO_RELATION_FIELDS = {"ForeignKey": "foreign_key", "OneToOneField": "one_to_one", "ManyToManyField": "many_to_many"}


def _django_key(app: str, model: str) -> str:
    return f"django:{app.lower()}.{model.lower()}"


def _django_relations(cls: ast.ClassDef, table: str, models: dict[str, str | None], imports: DjangoImports,
                      path: str) -> list[RelationReference]:
    """The ``ForeignKey`` / ``OneToOneField`` / ``ManyToManyField`` fields of one model class."""
    out = []
    for stmt in cls.body:
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        if not isinstance(value, ast.Call):
            continue
        kind = DJANGO_RELATION_FIELDS.get(_dotted(value.func).rsplit(".", 1)[-1])
        target = _django_target(value, cls.name, models, imports) if kind else None
        if kind and target:
            app, model = target
            out.append(RelationReference(table, _django_key(app, model), f"{app}_{model}".lower(), kind, "django",
                                         path, stmt.lineno))
    return out


def _django_target(field_call: ast.Call, own: str, models: dict[str, str | None], imports: DjangoImports) -> tuple[str, str] | None:
    """(app label, model class) of a relation field's target: ``"self"``, ``"app_label.Model"``,
    ``"Model"`` (the same app), a class of this module, a class imported from an app's
    models, ``alias.Model`` of an imported models module; None when it cannot be told
    (``settings.AUTH_USER_MODEL``)."""
    keywords = {k.arg: k.value for k in field_call.keywords if k.arg}
    node = field_call.args[0] if field_call.args else keywords.get("to")
    own_app = models.get(own)
    text = _text(node)
    if text is not None:
        app, _, model = ("" if text == "self" else text).rpartition(".")
        model = model or own
        app = app or own_app or ""
    elif isinstance(node, ast.Name) and node.id not in models and node.id in imports.names:
        module, model = imports.names[node.id]
        app = imports.project.label_of_module(module) or ""
    elif isinstance(node, ast.Name):
        model = node.id
        app = models.get(model) or own_app or ""
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        model, app = node.attr, imports.app_of_module(node.value.id) or ""
    else:
        return None
    return (app, model) if app and model else None


@dataclass(frozen=True)
class DjangoImports:
    """The names a Django models module imports: ``names`` (a local name -> the module it comes
    from and its name there) and ``modules`` (a local name -> the module it stands for),
    dotted and absolute."""

    names: dict[str, tuple[str, str]]
    modules: dict[str, str]
    project: DjangoProject = NO_PROJECT

    def app_of_module(self, alias: str) -> str | None:
        return self.project.label_of_module(self.modules[alias]) if alias in self.modules else None


def app_label_of_module(module: str, project: DjangoProject = NO_PROJECT) -> str | None:
    """The app whose models a dotted module holds: ``shop.billing.models`` and
    ``shop.billing.models.invoice`` -> ``billing`` (or the label its ``AppConfig`` declares);
    None for a module outside any ``models``."""
    return project.label_of_module(module)


def _django_imports(tree: ast.Module, path: str, project: DjangoProject = NO_PROJECT) -> DjangoImports:
    package = list(PurePosixPath(path).parts[:-1])
    names: dict[str, tuple[str, str]] = {}
    modules: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + (node.module.split(".") if node.module else []))
            for alias in node.names:
                names[alias.asname or alias.name] = (module, alias.name)
                modules[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    modules[alias.asname] = alias.name
    return DjangoImports(names, modules, project)


@dataclass(frozen=True)
class MigrationOperation:
    """One schema operation of a Django migration, as far as table names go.

    ``operation``: CreateModel, DeleteModel, RenameModel, AlterModelTable, AddField,
    RemoveField, AlterField, RenameField; ``model``: the model it works on (``old_name`` for
    RenameModel, ``model_name`` for the field operations); ``table``: CreateModel's
    ``options["db_table"]`` or AlterModelTable's ``table`` (None: the conventional name);
    ``new_name``: RenameModel's / RenameField's new name; ``field``: the field operations'
    field; ``many_to_many``: CreateModel's auto-created many-to-many fields, or the field
    of AddField / AlterField when it is one; ``has_table``: False for an abstract or proxy
    CreateModel."""

    operation: str
    model: str
    line: int
    table: str | None = None
    new_name: str | None = None
    field: str | None = None
    many_to_many: tuple[ManyToMany, ...] = ()
    has_table: bool = True


@dataclass(frozen=True)
class DjangoMigration:
    """One migration module: its app label, name (the file's stem), the migrations of the
    same app it depends on or replaces (a squashed migration), and its operations in order
    (``SeparateDatabaseAndState``'s state operations in place)."""

    app: str
    name: str
    path: str
    dependencies: tuple[str, ...]
    replaces: tuple[str, ...]
    operations: tuple[MigrationOperation, ...]


MIGRATION_OPERATIONS = ("CreateModel", "DeleteModel", "RenameModel", "AlterModelTable", "AddField", "RemoveField",
                        "AlterField", "RenameField")
#: Positional parameters of each operation (Django's signatures), for calls that pass them by position.
_OPERATION_PARAMETERS = {
    "CreateModel": ("name", "fields", "options"), "DeleteModel": ("name",), "RenameModel": ("old_name", "new_name"),
    "AlterModelTable": ("name", "table"), "AddField": ("model_name", "name", "field"), "RemoveField": ("model_name", "name"),
    "AlterField": ("model_name", "name", "field"), "RenameField": ("model_name", "old_name", "new_name"),
    "SeparateDatabaseAndState": ("database_operations", "state_operations"),
}


def _arguments(call: ast.Call, operation: str) -> dict[str, ast.expr]:
    named = dict(zip(_OPERATION_PARAMETERS.get(operation, ()), call.args))
    named.update({k.arg: k.value for k in call.keywords if k.arg})
    return named


def _elements(node: ast.AST | None, names: Mapping[str, ast.expr] | None = None) -> list[ast.expr]:
    """The items of a literal list or tuple, of ``a + b`` of such, or of a name ``names``
    gives such a value (a migration's ``state_operations = [...]``)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _elements(node.left, names) + _elements(node.right, names)
    if isinstance(node, ast.Name) and names and node.id in names:
        return _elements(names[node.id], {k: v for k, v in names.items() if k != node.id})
    return []


def _migration_operations(nodes: list[ast.expr], names: Mapping[str, ast.expr]) -> list[MigrationOperation]:
    out: list[MigrationOperation] = []
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        op = _dotted(node.func).rsplit(".", 1)[-1]
        args = _arguments(node, op)
        if op == "SeparateDatabaseAndState":  # the state is what the models say today
            out += _migration_operations(_elements(args.get("state_operations"), names), names)
            continue
        if op not in MIGRATION_OPERATIONS:
            continue
        model = _text(args.get("name" if op in ("CreateModel", "DeleteModel", "AlterModelTable") else
                               "old_name" if op == "RenameModel" else "model_name"))
        if not model:
            continue
        line = node.lineno
        if op == "CreateModel":
            options = args.get("options")
            opts = {_text(k): v for k, v in zip(options.keys, options.values)} if isinstance(options, ast.Dict) else {}
            flags = {k for k, v in opts.items() if k in ("abstract", "proxy") and isinstance(v, ast.Constant) and v.value is True}
            fields = [f for f in _elements(args.get("fields"), names) if isinstance(f, ast.Tuple) and len(f.elts) == 2]
            created = tuple(m for f in fields if (name := _text(f.elts[0])) and (m := _many_to_many(name, f.elts[1], f.lineno)))
            out.append(MigrationOperation(op, model, line, table=_text(opts.get("db_table")), many_to_many=created,
                                          has_table=not flags))
        elif op == "AlterModelTable":
            out.append(MigrationOperation(op, model, line, table=_text(args.get("table"))))
        elif op == "RenameModel":
            out.append(MigrationOperation(op, model, line, new_name=_text(args.get("new_name"))))
        elif op == "RenameField":
            out.append(MigrationOperation(op, model, line, field=_text(args.get("old_name")), new_name=_text(args.get("new_name"))))
        elif op == "DeleteModel":
            out.append(MigrationOperation(op, model, line))
        else:  # AddField, RemoveField, AlterField
            name = _text(args.get("name"))
            added = _many_to_many(name, args.get("field"), line) if name else None
            out.append(MigrationOperation(op, model, line, field=name, many_to_many=(added,) if added else ()))
    return out


def _same_app_names(node: ast.AST | None, app: str) -> tuple[str, ...]:
    """Names of the migrations of ``app`` among ``[("app", "0001_x"), ...]``."""
    out = []
    for item in _elements(node):
        pair = _elements(item)
        if len(pair) == 2 and _text(pair[0]) == app and _text(pair[1]):
            out.append(str(_text(pair[1])))
    return tuple(out)


def parse_django_migration(tree: ast.Module, path: str, project: DjangoProject = NO_PROJECT) -> DjangoMigration | None:
    """The operations of one migration module (``<app>/migrations/<name>.py``): the class
    body's ``operations``, ``dependencies`` and ``replaces``; None outside a migrations folder."""
    p = PurePosixPath(path)
    if p.parent.name != "migrations" or len(p.parts) < 3:
        return None
    app = project.label(str(p.parent.parent))
    body: dict[str, ast.expr] = {}  # module-level and class-body assignments, the class's last
    for stmt in tree.body + [s for c in tree.body if isinstance(c, ast.ClassDef) for s in c.body]:
        if isinstance(stmt, ast.Assign):
            body.update({t.id: stmt.value for t in stmt.targets if isinstance(t, ast.Name)})
    operations = _migration_operations(_elements(body.get("operations"), body), body)
    return DjangoMigration(app, p.stem, path, _same_app_names(body.get("dependencies"), app),
                           _same_app_names(body.get("replaces"), app), tuple(operations))


@dataclass
class _ModelState:
    name: str
    table: str | None  # declared (db_table), None for the conventional name
    has_table: bool
    at: tuple[int, str, int]  # (step, path, line) of the operation that gave the table its name
    many_to_many: dict[str, tuple[ManyToMany, tuple[int, str, int]]] = field(default_factory=dict)


def migration_order(migrations: Iterable[DjangoMigration]) -> list[DjangoMigration]:
    """One app's migrations in the order Django applies them: a squashed migration stands for
    the ones it replaces (they are dropped), each after its dependencies, otherwise by name."""
    ms = {m.name: m for m in migrations}
    replaced = {r: m.name for m in ms.values() for r in m.replaces}
    ms = {n: m for n, m in ms.items() if n not in replaced}
    depends = {n: {replaced.get(d, d) for d in m.dependencies} & set(ms) - {n} for n, m in ms.items()}
    order: list[DjangoMigration] = []
    done: set[str] = set()
    while len(done) < len(ms):
        ready = sorted(n for n in ms if n not in done and depends[n] <= done)
        name = ready[0] if ready else min(n for n in ms if n not in done)  # a cycle: by name
        done.add(name)
        order.append(ms[name])
    return order


def replay_migrations(migrations: Iterable[DjangoMigration]) -> tuple[list[OrmTable], int]:
    """Today's tables of the apps whose migrations are given: every app's operations applied in
    :func:`migration_order` (CreateModel, DeleteModel, RenameModel, AlterModelTable and the
    many-to-many fields' AddField, RemoveField, AlterField, RenameField), each table with the
    file and line of the operation that gave it its present name. Also returns how many tables
    some migration created that are gone (dropped, or renamed since)."""
    by_app: dict[str, list[DjangoMigration]] = {}
    for m in migrations:
        by_app.setdefault(m.app, []).append(m)
    out: list[OrmTable] = []
    created: set[str] = set()
    for app in sorted(by_app):
        state: dict[str, _ModelState] = {}
        step = 0
        for migration in migration_order(by_app[app]):
            for op in migration.operations:
                step += 1
                _apply(state, op, (step, migration.path, op.line))
            created |= {t for t, *_ in _state_tables(app, state)}
        for table, model, (_, path, line), explicit in _state_tables(app, state):
            out.append(OrmTable(table, model, "django", "migration", path, line, explicit))
    return out, len(created - {t.table for t in out})


def _apply(state: dict[str, _ModelState], op: MigrationOperation, at: tuple[int, str, int]) -> None:
    key = op.model.lower()
    if op.operation == "CreateModel":
        state[key] = _ModelState(op.model, op.table, op.has_table, at, {m.field.lower(): (m, at) for m in op.many_to_many})
        return
    model = state.get(key)
    if model is None:
        return
    if op.operation == "DeleteModel":
        del state[key]
    elif op.operation == "RenameModel" and op.new_name:
        del state[key]
        model.name = op.new_name
        if model.table is None:
            model.at = at
        state[op.new_name.lower()] = model
    elif op.operation == "AlterModelTable":
        model.table, model.at = op.table, at
    elif op.operation in ("AddField", "AlterField") and op.field:
        model.many_to_many.pop(op.field.lower(), None)
        for m2m in op.many_to_many:
            model.many_to_many[m2m.field.lower()] = (m2m, at)
    elif op.operation == "RemoveField" and op.field:
        model.many_to_many.pop(op.field.lower(), None)
    elif op.operation == "RenameField" and op.field and op.new_name:
        found = model.many_to_many.pop(op.field.lower(), None)
        if found is not None:
            m2m, _ = found
            model.many_to_many[op.new_name.lower()] = (ManyToMany(op.new_name, m2m.db_table, m2m.line), at)


def _state_tables(app: str, state: dict[str, _ModelState]) -> Iterator[tuple[str, str, tuple[int, str, int], bool]]:
    """(table, model, where, explicit) of every model with a table and of its many-to-many fields."""
    for model in state.values():
        if not model.has_table:
            continue
        table = (model.table or f"{app}_{model.name}").lower()
        yield table, model.name, model.at, model.table is not None
        for m2m, at in model.many_to_many.values():
            yield m2m.table(table), f"{model.name}.{m2m.field}", max(at, model.at), m2m.db_table is not None


def parse_sqlalchemy(tree: ast.Module, path: str) -> Declarations:
    """``__tablename__`` classes and ``Table("name", ...)`` calls of one parsed module, with
    their foreign keys and relationships."""
    out = Declarations()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    name = _text(stmt.value)
                    if any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in targets) and name:
                        out.tables.append(OrmTable(name.lower(), node.name, "sqlalchemy", "model", path, stmt.lineno, True))
                        out.models[f"sqlalchemy:{node.name}"] = name.lower()
                        out.relations += _sqlalchemy_class_relations(node, name.lower(), path)
        elif isinstance(node, ast.Call) and _dotted(node.func) in ("Table", "sa.Table", "sqlalchemy.Table", "db.Table"):
            name = _text(node.args[0]) if node.args else None
            if name and len(node.args) >= 2:
                schema = next((_text(k.value) for k in node.keywords if k.arg == "schema"), None)
                table = (f"{schema}.{name}" if schema else name).lower()
                out.tables.append(OrmTable(table, name, "sqlalchemy", "model", path, node.lineno, True))
                out.relations += [r for arg in node.args[2:] for call in _calls(arg) if (r := _sqlalchemy_foreign_key(call, table, path))]
    return out


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    return (n for n in ast.walk(node) if isinstance(n, ast.Call))


def _sqlalchemy_class_relations(cls: ast.ClassDef, table: str, path: str) -> list[RelationReference]:
    """The ``ForeignKey`` / ``ForeignKeyConstraint`` and ``relationship`` calls of one class body."""
    out = []
    for stmt in cls.body:
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
            continue
        annotation = stmt.annotation if isinstance(stmt, ast.AnnAssign) else None
        for call in _calls(stmt.value):
            found = _sqlalchemy_foreign_key(call, table, path) or _sqlalchemy_relationship(call, annotation, table, path)
            if found:
                out.append(found)
    return out


def _sqlalchemy_foreign_key(call: ast.Call, table: str, path: str) -> RelationReference | None:
    """``ForeignKey("[schema.]table.column")``, ``ForeignKey(Model.column)`` or
    ``ForeignKeyConstraint([...], ["[schema.]table.column", ...])``; None for other calls."""
    function = _dotted(call.func).rsplit(".", 1)[-1]
    if function == "ForeignKey" and call.args:
        target = call.args[0]
    elif function == "ForeignKeyConstraint" and len(call.args) >= 2 and isinstance(call.args[1], (ast.List, ast.Tuple)) and call.args[1].elts:
        target = call.args[1].elts[0]
    else:
        return None
    column = _text(target)
    if column is not None and "." in column:
        return RelationReference(table, None, column.rpartition(".")[0].lower(), "foreign_key", "sqlalchemy", path, call.lineno)
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return RelationReference(table, f"sqlalchemy:{target.value.id}", None, "foreign_key", "sqlalchemy", path, call.lineno)
    return None


#: Type wrappers around the class a ``Mapped[...]`` annotation names.
_TYPE_WRAPPERS = frozenset({"Mapped", "WriteOnlyMapped", "DynamicMapped", "List", "list", "Set", "set", "Optional",
                            "Sequence", "Collection", "Iterable", "Dict", "dict", "Union", "typing", "None", "str", "int"})


def _sqlalchemy_relationship(call: ast.Call, annotation: ast.expr | None, table: str, path: str) -> RelationReference | None:
    """``relationship("Model")`` / ``relationship(Model)`` / ``relationship(lambda: Model)``, or
    without an argument the class of its ``Mapped[...]`` annotation; ``secondary=`` makes it
    many-to-many. None for other calls or when no class is named."""
    if _dotted(call.func).rsplit(".", 1)[-1] != "relationship":
        return None
    target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "argument"), None)
    if isinstance(target, ast.Lambda):
        target = target.body
    model = _class_named(target) if target is not None else _class_named(annotation) if annotation is not None else None
    if not model:
        return None
    kind = "many_to_many" if any(k.arg == "secondary" for k in call.keywords) else "relationship"
    return RelationReference(table, f"sqlalchemy:{model}", None, kind, "sqlalchemy", path, call.lineno)


def _class_named(node: ast.AST) -> str | None:
    """The class an expression or annotation names: ``"Order"``, ``"app.models.Order"``, ``Order``,
    ``Mapped[list["Order"]]`` -> ``Order``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        names = [n for n in re.findall(r"[A-Za-z_]\w*", node.value) if n not in _TYPE_WRAPPERS]
        return names[-1] if names else None
    if isinstance(node, ast.Name):
        return None if node.id in _TYPE_WRAPPERS else node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _class_named(node.slice)
    if isinstance(node, ast.Tuple) and node.elts:
        return _class_named(node.elts[-1])
    if isinstance(node, ast.BinOp):  # Order | None
        return _class_named(node.left) or _class_named(node.right)
    return None


def parse_python(text: str, path: str, project: DjangoProject = NO_PROJECT) -> Declarations:
    """Django and SQLAlchemy declarations of one Python file; raises SyntaxError."""
    lowered = text.lower()
    migration = PurePosixPath(path).parent.name == "migrations"
    wants_django = "django" in lowered and (app_folder(path) is not None or migration)
    wants_sqlalchemy = "sqlalchemy" in lowered or "__tablename__" in text
    if not (wants_django or wants_sqlalchemy):
        return Declarations()
    tree = ast.parse(text, filename=path)
    out = Declarations()
    if wants_django:
        if migration:
            found = parse_django_migration(tree, path, project)
            out.migrations += [found] if found else []
        else:
            out.add(parse_django_models(tree, path, project))
    if wants_sqlalchemy:
        out.add(parse_sqlalchemy(tree, path))
    return out


# --------------------------------------------------------------------------------------
# Ruby: ActiveRecord

_RB_CLASS = re.compile(r"^\s*class\s+((?:\w+::)*\w+)\s*<\s*((?:\w+::)*\w+)", re.M)
_RB_TABLE_NAME = re.compile(r"^\s*self\.table_name\s*=\s*[\"':]([\w.]+)[\"']?", re.M)
_RB_CREATE_TABLE = re.compile(r"^\s*create_table\s*\(?\s*[\"':]([\w.]+)[\"']?", re.M)
_RB_BASES = ("ApplicationRecord", "ActiveRecord::Base")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_activerecord(text: str, path: str) -> Declarations:
    """ActiveRecord models, their associations and ``create_table`` calls of one Ruby file."""
    out = Declarations()
    classes = [m for m in _RB_CLASS.finditer(text)]
    table_of: dict[str, str] = {}  # model class -> its table (a single-table inheritance subclass: its parent's)
    for n, m in enumerate(classes):
        name, base = m.group(1), m.group(2)
        if base not in _RB_BASES and base not in table_of:
            continue
        end = classes[n + 1].start() if n + 1 < len(classes) else len(text)
        body = text[m.end():end]
        if re.search(r"^\s*self\.abstract_class\s*=\s*true", body, re.M):
            table_of[name] = ""
            continue
        explicit = _RB_TABLE_NAME.search(body)
        short = name.rsplit("::", 1)[-1]
        if explicit:
            row = OrmTable(explicit.group(1).lower(), name, "activerecord", "model", path,
                           _line_of(text, m.end() + explicit.start(1)), True)
        elif base in _RB_BASES:  # single-table inheritance subclasses share their parent's table
            row = OrmTable(pluralize(snake_case(short)), name, "activerecord", "model", path, _line_of(text, m.start(1)), False)
        else:  # single-table inheritance: the parent's table, whose relations these are too
            table_of[name] = table_of[base]
            if table_of[name]:
                out.models[f"activerecord:{short}"] = table_of[name]
                out.relations += _activerecord_associations(body, m.end(), text, table_of[name], path)
            continue
        out.tables.append(row)
        table_of[name] = row.table
        out.models[f"activerecord:{short}"] = out.models[f"activerecord:{pluralize(snake_case(short))}"] = row.table
        out.relations += _activerecord_associations(body, m.end(), text, row.table, path)
    for m in _RB_CREATE_TABLE.finditer(text):
        out.tables.append(OrmTable(m.group(1).lower(), m.group(1), "activerecord", "migration", path, _line_of(text, m.start(1)), True))
    return out


_RB_ASSOCIATION = re.compile(r"^[ \t]*(belongs_to|has_many|has_one|has_and_belongs_to_many)\b[ \t(]*:(\w+)([^\n]*)", re.M)
_RB_CLASS_NAME = re.compile(r"""\bclass_name(?::|\s*=>)\s*["':]((?:\w+::)*\w+)""")
_RB_POLYMORPHIC = re.compile(r"\bpolymorphic(?::|\s*=>)\s*true")
#: ActiveRecord's associations and the kind of relation each declares.
ACTIVERECORD_ASSOCIATIONS = {"belongs_to": "foreign_key", "has_one": "one_to_one", "has_many": "relationship",
                             "has_and_belongs_to_many": "many_to_many"}


def _activerecord_associations(body: str, offset: int, text: str, table: str, path: str) -> list[RelationReference]:
    """The associations of one model class body (starting at ``offset`` of ``text``).

    The related model is ``class_name:`` when given, else the association's name: singular
    for ``belongs_to`` / ``has_one`` (its table pluralized), plural for ``has_many`` /
    ``has_and_belongs_to_many`` (its table as written). A polymorphic ``belongs_to`` names no
    table."""
    out = []
    for a in _RB_ASSOCIATION.finditer(body):
        macro, name, options = a.group(1), a.group(2), a.group(3)
        if _RB_POLYMORPHIC.search(options):
            continue
        class_name = _RB_CLASS_NAME.search(options)
        if class_name:
            short = class_name.group(1).rsplit("::", 1)[-1]
            reference, conventional = f"activerecord:{short}", pluralize(snake_case(short))
        else:
            conventional = pluralize(name) if macro in ("belongs_to", "has_one") else name
            reference = f"activerecord:{conventional}"
        out.append(RelationReference(table, reference, conventional, ACTIVERECORD_ASSOCIATIONS[macro], "activerecord",
                                     path, _line_of(text, offset + a.start(1))))
    return out


# --------------------------------------------------------------------------------------
# Java / Kotlin: JPA

_JPA_ENTITY = re.compile(
    r"@(?:javax\.persistence\.|jakarta\.persistence\.)?Entity\b(?:\s*\((?P<entity>[^)]*)\))?"
    r"(?P<between>(?:\s*@[\w.]+(?:\s*\((?:[^()]|\([^()]*\))*\))?)*)"
    r"\s*(?:(?:public|protected|private|abstract|final|open|data|internal)\s+)*class\s+(?P<cls>\w+)",
    re.S,
)
_JPA_TABLE = re.compile(r"@(?:javax\.persistence\.|jakarta\.persistence\.)?Table\s*\((?P<args>(?:[^()]|\([^()]*\))*)\)", re.S)
_JPA_NAME = re.compile(r"\bname\s*=\s*\"([^\"]+)\"")
_JPA_SCHEMA = re.compile(r"\bschema\s*=\s*\"([^\"]+)\"")


def parse_jpa(text: str, path: str) -> Declarations:
    """JPA ``@Entity`` classes of one Java or Kotlin file (``@Table`` before or after
    ``@Entity``), with the relations of their bodies (up to the next entity)."""
    out = Declarations()
    entities = list(_JPA_ENTITY.finditer(text))
    for n, m in enumerate(entities):
        row = _jpa_table(text, m, path)
        out.tables.append(row)
        out.models[f"jpa:{row.model}"] = row.table
        end = entities[n + 1].start() if n + 1 < len(entities) else len(text)
        out.relations += _jpa_relations(text, m.end(), end, row.table, path)
    return out


def _jpa_table(text: str, entity: re.Match, path: str) -> OrmTable:
    cls = entity.group("cls")
    before = text[max(0, text.rfind("\n\n", 0, entity.start()) + 1):entity.start()]
    annotations = before + entity.group("between")
    table = _JPA_TABLE.search(annotations)
    name = _JPA_NAME.search(table.group("args")) if table else None
    line = _line_of(text, entity.start("cls"))
    if table and name:
        schema = _JPA_SCHEMA.search(table.group("args"))
        qualified = f"{schema.group(1)}.{name.group(1)}" if schema else name.group(1)
        return OrmTable(qualified.lower(), cls, "jpa", "model", path, line, True)
    entity_name = _JPA_NAME.search(entity.group("entity") or "")
    return OrmTable(snake_case(entity_name.group(1) if entity_name else cls), cls, "jpa", "model", path, line, False)


_GENERIC = r"(?:\s*<(?P<{}>[^<>]*(?:<[^<>]*>[^<>]*)*)>)?"
#: A relation annotation, the annotations after it, and the Java field / getter or Kotlin property it annotates.
_JPA_RELATION = re.compile(
    r"@(?:javax\.persistence\.|jakarta\.persistence\.)?(?P<kind>ManyToOne|OneToOne|OneToMany|ManyToMany)\b"
    r"(?:\s*\((?P<args>(?:[^()]|\([^()]*\))*)\))?"
    r"(?:\s*@[\w.]+(?:\s*\((?:[^()]|\([^()]*\))*\))?)*"
    r"\s*(?:(?:private|protected|public|internal|final|transient|override|lateinit|open)\s+)*"
    r"(?:(?:val|var)\s+\w+\s*:\s*(?P<ktype>[\w.]+)" + _GENERIC.format("kargs")
    + r"|(?P<jtype>[\w.]+)" + _GENERIC.format("jargs") + r"\s+\w+\s*[;=(,)])",
    re.S,
)
_JPA_TARGET_ENTITY = re.compile(r"\btargetEntity\s*=\s*([\w.]+?)(?:\.class|::class)")
_COLLECTIONS = frozenset({"List", "Set", "Collection", "Iterable", "SortedSet", "ArrayList", "HashSet", "LinkedHashSet",
                          "TreeSet", "MutableList", "MutableSet", "MutableCollection", "Map", "MutableMap", "HashMap"})
#: JPA's relation annotations and the kind of relation each declares.
JPA_RELATIONS = {"ManyToOne": "foreign_key", "OneToOne": "one_to_one", "OneToMany": "relationship",
                 "ManyToMany": "many_to_many"}


def _jpa_relations(text: str, start: int, end: int, table: str, path: str) -> list[RelationReference]:
    """The relation annotations of one entity body (``text[start:end]``): the related entity is
    ``targetEntity`` when given, else the annotated type (a collection's last type argument)."""
    out = []
    for r in _JPA_RELATION.finditer(text, start, end):
        target = _JPA_TARGET_ENTITY.search(r.group("args") or "")
        if target:
            cls = target.group(1)
        else:
            cls = r.group("ktype") or r.group("jtype")
            arguments = r.group("kargs") if r.group("ktype") else r.group("jargs")
            if cls.rsplit(".", 1)[-1] in _COLLECTIONS and arguments:
                cls = re.findall(r"[\w.]+", arguments)[-1]
        cls = cls.rsplit(".", 1)[-1]
        out.append(RelationReference(table, f"jpa:{cls}", snake_case(cls), JPA_RELATIONS[r.group("kind")], "jpa",
                                     path, _line_of(text, r.start())))
    return out


# --------------------------------------------------------------------------------------
# the repository


def parse_declarations(text: str, path: str, project: DjangoProject = NO_PROJECT) -> Declarations:
    """Tables, relations, models and migrations of one file by its suffix; raises SyntaxError
    for unparsable Python. Relations are resolved across files by :func:`resolve_relations`,
    Django migrations by :func:`resolve_tables`."""
    suffix = PurePosixPath(path).suffix
    if suffix == ".py":
        return parse_python(text, path, project)
    if suffix == ".rb":
        return parse_activerecord(text, path)
    if suffix in (".java", ".kt") and "Entity" in text:
        return parse_jpa(text, path)
    return Declarations()


def parse_source_file(text: str, path: str) -> list[OrmTable]:
    """The table declarations of one file (:func:`parse_declarations`; a migration file's
    operations replayed on their own, :func:`resolve_tables`)."""
    return resolve_tables([parse_declarations(text, path)])[0]


def resolve_tables(declarations: Iterable[Declarations]) -> tuple[list[OrmTable], int]:
    """The tables some files declare: their models' tables and what the Django migrations
    leave once replayed (:func:`replay_migrations`); with the number of tables migrations
    created that are gone today."""
    declared = list(declarations)
    replayed, gone = replay_migrations(m for d in declared for m in d.migrations)
    return [t for d in declared for t in d.tables] + replayed, gone


def iter_source_files(repository: Path, exclude_paths: Iterable[str] = ()) -> Iterator[str]:
    """Repository-relative posix paths of the files read, sorted, skipping :data:`SKIPPED_DIRS`."""
    excludes = tuple(exclude_paths)
    for root, dirs, files in os.walk(repository):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(SUFFIXES):
                rel = Path(root, name).relative_to(repository).as_posix()
                if not any(fnmatch.fnmatchcase(rel, g) for g in excludes):
                    yield rel


def orm_tables_frame(rows: Iterable[OrmTable]) -> pd.DataFrame:
    """The ``orm_tables`` frame of some declarations, sorted by table, path, line."""
    records = [tuple(r.__dict__.values()) for r in rows]
    if not records:
        return frames.empty("orm_tables")
    frame = frames.conform(pd.DataFrame(records, columns=list(COLUMNS)), "orm_tables")
    return frame.sort_values(["table", "path", "line"]).reset_index(drop=True)


def orm_relations_frame(rows: Iterable[OrmRelation]) -> pd.DataFrame:
    """The ``orm_relations`` frame of some relations, sorted by table, path, line, related table."""
    records = [tuple(r.__dict__.values()) for r in rows]
    if not records:
        return frames.empty("orm_relations")
    frame = frames.conform(pd.DataFrame(records, columns=list(RELATION_COLUMNS)), "orm_relations")
    return frame.sort_values(["table", "path", "line", "related_table"]).reset_index(drop=True)


def _small_text(path: Path, max_bytes: int) -> str | None:
    """A file's text for the layout pre-pass; None when too large or not UTF-8 (the main pass
    rejects it)."""
    if path.stat().st_size > max_bytes:
        return None
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


def mine_orm(source: ImportsSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """The ``orm_tables`` and ``orm_relations`` of ``source.repository`` (the imports source's options)."""
    return mine_orm_models(source.repository, rejects, exclude_paths=source.exclude_paths,
                           max_file_bytes=source.max_file_bytes)


def mine_orm_models(
    repository: str | os.PathLike,
    rejects: Rejects,
    *,
    exclude_paths: Iterable[str] = (),
    max_file_bytes: int = MAX_FILE_BYTES,
) -> SourceFrames:
    """Read every model and migration file of ``repository`` into the ``orm_tables`` and
    ``orm_relations`` frames (relations resolved across the files, :func:`resolve_relations`)."""
    repository = Path(repository)
    source = f"orm:{repository}"
    paths = list(iter_source_files(repository, exclude_paths))
    project = read_django_project(paths, lambda rel: _small_text(repository / rel, max_file_bytes))
    declared: list[Declarations] = []
    test_only: list[Declarations] = []
    files = 0
    for rel in paths:
        files += 1
        full = repository / rel
        if full.stat().st_size > max_file_bytes:
            rejects.add(source, rel, f"larger than {max_file_bytes} bytes")
            continue
        try:
            text = full.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            rejects.add(source, f"{rel} byte {exc.start}", "not UTF-8")
            continue
        try:
            (test_only if project.is_test_only(rel) else declared).append(parse_declarations(text, rel, project))
        except SyntaxError as exc:
            rejects.add(source, f"{rel}:{exc.lineno or 0}", "Python syntax error")
    tables, gone = resolve_tables(declared)
    frame = orm_tables_frame(tables)
    relations = orm_relations_frame(resolve_relations(declared))
    rejected = rejects.count(source)
    migrations = [m for d in declared for m in d.migrations]
    notes = [f"{source}: {frame['table'].nunique()} tables ({len(frame)} declarations) in {files} files",
             f"{source}: {len(relations)} relations between tables declared by the models"]
    if migrations:
        apps = len({m.app for m in migrations})
        notes.append(f"{source}: {len(migrations)} Django migrations of {apps} app{'s' if apps > 1 else ''} replayed for "
                     f"today's tables; {gone} tables they created were renamed or dropped since and are left out")
    left_out = sorted({t.table for t in resolve_tables(test_only)[0]} - set(frame["table"]))
    if left_out:
        shown = ", ".join(left_out[:5]) + (", ..." if len(left_out) > 5 else "")
        notes.append(f"{source}: {len(left_out)} tables of test-only apps left out (test folders, apps only test settings "
                     f"install): {shown}")
    if rejected:
        notes.append(f"{source}: {rejected} files rejected (see the rejects file)")
    return SourceFrames(frames={"orm_tables": frame, "orm_relations": relations}, records_read=files,
                        records_rejected=rejected, notes=notes)
