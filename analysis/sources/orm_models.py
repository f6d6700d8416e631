"""Table names declared by a repository's ORM models and migrations, with file and line.

Reads source text only (Python through :mod:`ast`, Ruby, Java and Kotlin through regular
expressions); the analysed code is never imported or run. What is read, per framework:

``django`` (``models.py``, ``models/*.py`` and ``migrations/*.py`` files that mention ``django``)
    A model is a class whose base is ``models.Model`` / ``Model``, another model or
    abstract model of the same file, or that declares fields (``x = models.CharField(...)``,
    ``ForeignKey``, ...). Its table is ``class Meta: db_table`` when given (explicit),
    otherwise ``<app_label>_<model name lower case>``, where the app label is
    ``Meta.app_label`` or the folder holding ``models.py`` / the ``models`` package.
    Abstract (``abstract = True``) and proxy (``proxy = True``) models have no table of
    their own. Migrations (``<app>/migrations/*.py``): ``migrations.CreateModel(name=...,
    options={"db_table": ...})`` and ``migrations.AlterModelTable(name=..., table=...)``.
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

Frame ``orm_tables`` (one row per declaration; a table declared twice has two rows):
    table: str (lower case, as written: ``schema.table`` kept) · model: str (class or
    migration model name) · framework: str (django, sqlalchemy, activerecord, jpa) ·
    kind: str (model, migration) · path: str (repository-relative, posix) · line: int ·
    explicit: bool (the name is written in the source, not derived by convention)

Files that cannot be read (not UTF-8, a Python syntax error, larger than
``max_file_bytes``) go to the rejects with their path and line.
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

FRAMEWORKS = ("django", "sqlalchemy", "activerecord", "jpa")
SUFFIXES = (".py", ".rb", ".java", ".kt")
#: Folders never walked: dependencies, virtual environments, build output, VCS data.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", "site-packages",
                          "__pycache__", "build", "dist", "target", ".tox", "vendor"})
MAX_FILE_BYTES = 1_000_000
COLUMNS = ("table", "model", "framework", "kind", "path", "line", "explicit")


@dataclass(frozen=True)
class OrmTable:
    table: str
    model: str
    framework: str
    kind: str
    path: str
    line: int
    explicit: bool


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


def django_app_label(path: str) -> str | None:
    """The app folder of a models module: ``shop/orders/models.py`` / ``shop/orders/models/order.py`` -> ``orders``."""
    parts = PurePosixPath(path).parts
    if len(parts) >= 2 and parts[-1] == "models.py":
        return parts[-2]
    if "models" in parts[:-1]:
        i = len(parts) - 2 - list(reversed(parts[:-1])).index("models")
        return parts[i - 1] if i >= 1 else None
    return None


def parse_django_models(tree: ast.Module, path: str) -> list[OrmTable]:
    """Django models of one parsed module (rules in the module docstring)."""
    label = django_app_label(path)
    models: set[str] = set()
    out = []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        bases = {_dotted(b) for b in cls.bases}
        is_model = bool(bases & {"models.Model", "Model", "django.db.models.Model"} or bases & models
                        or _declares_fields(cls))
        if not is_model:
            continue
        models.add(cls.name)
        meta = _meta(cls)
        if meta.get("abstract") is True or meta.get("proxy") is True:
            continue
        table = meta.get("db_table")
        app = meta.get("app_label") if isinstance(meta.get("app_label"), str) else label
        if isinstance(table, str) and table:
            out.append(OrmTable(table.lower(), cls.name, "django", "model", path, cls.lineno, True))
        elif app:
            out.append(OrmTable(f"{app}_{cls.name.lower()}".lower(), cls.name, "django", "model", path, cls.lineno, False))
    return out


def parse_django_migration(tree: ast.Module, path: str) -> list[OrmTable]:
    """``CreateModel`` / ``AlterModelTable`` operations of one migration module."""
    parts = PurePosixPath(path).parts
    app = parts[-3] if len(parts) >= 3 and parts[-2] == "migrations" else None
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        op = _dotted(node.func).rsplit(".", 1)[-1]
        if op not in ("CreateModel", "AlterModelTable"):
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        name = _text(kw.get("name")) or (_text(node.args[0]) if node.args else None)
        if not name:
            continue
        table = None
        if op == "AlterModelTable":
            table = _text(kw.get("table")) or (_text(node.args[1]) if len(node.args) > 1 else None)
            if not table:
                continue
        options = kw.get("options")
        if isinstance(options, ast.Dict):
            for k, v in zip(options.keys, options.values):
                if _text(k) == "db_table" and _text(v):
                    table = _text(v)
                if _text(k) in ("abstract", "proxy") and isinstance(v, ast.Constant) and v.value is True:
                    name = None
        if name is None:
            continue
        if table:
            out.append(OrmTable(table.lower(), name, "django", "migration", path, node.lineno, True))
        elif app:
            out.append(OrmTable(f"{app}_{name.lower()}", name, "django", "migration", path, node.lineno, False))
    return out


def parse_sqlalchemy(tree: ast.Module, path: str) -> list[OrmTable]:
    """``__tablename__`` assignments and ``Table("name", ...)`` calls of one parsed module."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    if any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in targets) and (tablename := _text(stmt.value)):
                        out.append(OrmTable(tablename.lower(), node.name, "sqlalchemy", "model", path, stmt.lineno, True))
        elif isinstance(node, ast.Call) and _dotted(node.func) in ("Table", "sa.Table", "sqlalchemy.Table", "db.Table"):
            name = _text(node.args[0]) if node.args else None
            if name and len(node.args) >= 2:
                schema = next((_text(k.value) for k in node.keywords if k.arg == "schema"), None)
                table = f"{schema}.{name}" if schema else name
                out.append(OrmTable(table.lower(), name, "sqlalchemy", "model", path, node.lineno, True))
    return out


def parse_python(text: str, path: str) -> list[OrmTable]:
    """Django and SQLAlchemy declarations of one Python file; raises SyntaxError."""
    lowered = text.lower()
    wants_django = "django" in lowered and (django_app_label(path) is not None or "/migrations/" in f"/{path}")
    wants_sqlalchemy = "sqlalchemy" in lowered or "__tablename__" in text
    if not (wants_django or wants_sqlalchemy):
        return []
    tree = ast.parse(text, filename=path)
    out: list[OrmTable] = []
    if wants_django:
        is_migration = PurePosixPath(path).parent.name == "migrations"
        out += parse_django_migration(tree, path) if is_migration else parse_django_models(tree, path)
    if wants_sqlalchemy:
        out += parse_sqlalchemy(tree, path)
    return out


# --------------------------------------------------------------------------------------
# Ruby: ActiveRecord

_RB_CLASS = re.compile(r"^\s*class\s+((?:\w+::)*\w+)\s*<\s*((?:\w+::)*\w+)", re.M)
_RB_TABLE_NAME = re.compile(r"^\s*self\.table_name\s*=\s*[\"':]([\w.]+)[\"']?", re.M)
_RB_CREATE_TABLE = re.compile(r"^\s*create_table\s*\(?\s*[\"':]([\w.]+)[\"']?", re.M)
_RB_BASES = ("ApplicationRecord", "ActiveRecord::Base")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_activerecord(text: str, path: str) -> list[OrmTable]:
    """ActiveRecord models and ``create_table`` calls of one Ruby file."""
    out = []
    classes = [m for m in _RB_CLASS.finditer(text)]
    model_classes: set[str] = set()
    for n, m in enumerate(classes):
        name, base = m.group(1), m.group(2)
        if base not in _RB_BASES and base not in model_classes:
            continue
        model_classes.add(name)
        end = classes[n + 1].start() if n + 1 < len(classes) else len(text)
        body = text[m.end():end]
        if re.search(r"^\s*self\.abstract_class\s*=\s*true", body, re.M):
            continue
        explicit = _RB_TABLE_NAME.search(body)
        if explicit:
            out.append(OrmTable(explicit.group(1).lower(), name, "activerecord", "model", path,
                                _line_of(text, m.end() + explicit.start(1)), True))
        elif base in _RB_BASES:  # single-table inheritance subclasses share their parent's table
            out.append(OrmTable(pluralize(snake_case(name.rsplit("::", 1)[-1])), name, "activerecord", "model",
                                path, _line_of(text, m.start(1)), False))
    for m in _RB_CREATE_TABLE.finditer(text):
        out.append(OrmTable(m.group(1).lower(), m.group(1), "activerecord", "migration", path, _line_of(text, m.start(1)), True))
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


def parse_jpa(text: str, path: str) -> list[OrmTable]:
    """JPA ``@Entity`` classes of one Java or Kotlin file (``@Table`` before or after ``@Entity``)."""
    out = []
    for m in _JPA_ENTITY.finditer(text):
        cls = m.group("cls")
        before = text[max(0, text.rfind("\n\n", 0, m.start()) + 1):m.start()]
        annotations = before + m.group("between")
        table = _JPA_TABLE.search(annotations)
        name = _JPA_NAME.search(table.group("args")) if table else None
        line = _line_of(text, m.start("cls"))
        if name:
            assert table is not None  # name is searched in table's arguments
            schema = _JPA_SCHEMA.search(table.group("args"))
            qualified = f"{schema.group(1)}.{name.group(1)}" if schema else name.group(1)
            out.append(OrmTable(qualified.lower(), cls, "jpa", "model", path, line, True))
            continue
        entity_name = _JPA_NAME.search(m.group("entity") or "")
        out.append(OrmTable(snake_case(entity_name.group(1) if entity_name else cls), cls, "jpa", "model", path, line, False))
    return out


# --------------------------------------------------------------------------------------
# the repository


def parse_source_file(text: str, path: str) -> list[OrmTable]:
    """Declarations of one file by its suffix; raises SyntaxError for unparsable Python."""
    suffix = PurePosixPath(path).suffix
    if suffix == ".py":
        return parse_python(text, path)
    if suffix == ".rb":
        return parse_activerecord(text, path)
    if suffix in (".java", ".kt"):
        return parse_jpa(text, path) if "Entity" in text else []
    return []


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


def mine_orm(source: ImportsSource, rejects: Rejects, *, cache_dir: Path | None = None) -> SourceFrames:
    """The ``orm_tables`` of ``source.repository`` (the imports source's options)."""
    return mine_orm_models(source.repository, rejects, exclude_paths=source.exclude_paths,
                           max_file_bytes=source.max_file_bytes)


def mine_orm_models(
    repository: str | os.PathLike,
    rejects: Rejects,
    *,
    exclude_paths: Iterable[str] = (),
    max_file_bytes: int = MAX_FILE_BYTES,
) -> SourceFrames:
    """Read every model and migration file of ``repository`` into the ``orm_tables`` frame."""
    repository = Path(repository)
    source = f"orm:{repository}"
    rows: list[OrmTable] = []
    files = 0
    for rel in iter_source_files(repository, exclude_paths):
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
            rows += parse_source_file(text, rel)
        except SyntaxError as exc:
            rejects.add(source, f"{rel}:{exc.lineno or 0}", "Python syntax error")
    frame = orm_tables_frame(rows)
    rejected = rejects.count(source)
    notes = [f"{source}: {len(frame)} table declarations ({frame['table'].nunique()} tables) in {files} files"]
    if rejected:
        notes.append(f"{source}: {rejected} files rejected (see the rejects file)")
    return SourceFrames(frames={"orm_tables": frame}, records_read=files, records_rejected=rejected, notes=notes)
