"""A Django project's layout, read from source text: app labels and test-only apps.

Shared by the ORM reader (:mod:`analysis.sources.orm_models`) and the entry point reader
(:mod:`analysis.sources.entry_points`), which must agree on which app a file belongs to and
which apps exist only for the tests. Pure functions over parsed modules plus one reader
(:func:`read_django_project`) that opens the few files it needs; the analysed code is never
imported or run.

App folder and label, as Django gives them
    An app is the package holding ``models.py`` or a ``models/`` package
    (:func:`app_folder`: ``shop/orders/models.py`` and ``shop/orders/models/order.py`` ->
    ``shop/orders``). Its label is ``AppConfig.label`` when the package's ``apps.py``
    declares one (:func:`app_config_label`), else the package's last name (Django's default:
    the last component of ``AppConfig.name``). A model's ``Meta.app_label`` overrides both
    (the ORM reader applies it).

Test-only apps (:meth:`DjangoProject.is_test_only`)
    A file is test-only when a folder on its path is named ``tests``, ``test`` or
    ``testing`` (:data:`TEST_FOLDERS`), or when it lies in an app that only test settings
    install: a dotted name listed in ``INSTALLED_APPS`` or ``PLUGINS`` (NetBox's plugins) of a
    test settings module (its file name holds ``test`` as a word: ``settings_test.py``,
    ``configuration_testing.py``, ``test_settings.py``, or it lies in a test folder) and in no
    other module's. The readers keep such apps' tables and routes out of their frames and
    count them in a note.

Which files are read (:func:`is_layout_file`): ``apps.py`` files and Python files with
``settings`` in their path or ``config`` in their name, the places Django projects declare
app configs and installed apps.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

#: Folders whose files exist for the tests only.
TEST_FOLDERS = frozenset({"tests", "test", "testing"})
#: Settings that list installed apps (``PLUGINS``: NetBox's plugin apps).
APP_LISTS = ("INSTALLED_APPS", "PLUGINS")
_TEST_WORD = re.compile(r"(?:^|_)tests?(?:ing)?(?:_|$)")


def app_folder(path: str) -> str | None:
    """The app package of a models module (posix, repository-relative): the folder holding
    ``models.py`` or the last ``models`` package on the path; None outside any."""
    parts = PurePosixPath(path).parts
    folders = parts[:-1]
    if "models" in folders:
        at = len(folders) - 1 - folders[::-1].index("models")
        return "/".join(folders[:at]) or None
    if parts and parts[-1] == "models.py":
        return "/".join(folders) or None
    return None


def app_config_label(tree: ast.Module) -> str | None:
    """``label = "..."`` of the ``AppConfig`` subclass an ``apps.py`` declares (the one with
    ``default = True`` when there are several); None when none declares a label."""
    found: list[tuple[bool, str]] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any((b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")).endswith("AppConfig") for b in node.bases):
            continue
        values = _class_constants(node)
        label = values.get("label")
        if isinstance(label, str) and label:
            found.append((values.get("default") is True, label))
    if not found:
        return None
    return sorted(found, key=lambda f: not f[0])[0][1]


def _class_constants(cls: ast.ClassDef) -> dict[str, object]:
    out: dict[str, object] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = stmt.value.value
    return out


def installed_apps(tree: ast.Module) -> list[str]:
    """The dotted names a settings module adds to ``INSTALLED_APPS`` or ``PLUGINS``: literal
    strings in ``X = [...]``, ``X += [...]``, ``X = [...] + [...]``, ``X.append("a")`` and
    ``X.extend([...])`` (an ``AppConfig`` path ``a.apps.AConfig`` counts as ``a``)."""
    names: list[tuple[int, int, str]] = []

    def strings(node: ast.AST) -> None:
        for n in ast.walk(node):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value:
                names.append((n.lineno, n.col_offset, re.sub(r"\.apps\.\w+$", "", n.value)))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in APP_LISTS for t in targets):
                strings(node.value)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "extend", "insert")
              and isinstance(node.func.value, ast.Name) and node.func.value.id in APP_LISTS):
            for arg in node.args:
                strings(arg)
    return [name for *_, name in sorted(names)]


def in_test_folder(path: str) -> bool:
    """A folder on ``path`` is a test folder (:data:`TEST_FOLDERS`)."""
    return any(part in TEST_FOLDERS for part in PurePosixPath(path).parts[:-1])


def is_test_settings(path: str) -> bool:
    """A settings module for the tests: in a test folder, or ``test`` as a word of its name."""
    return in_test_folder(path) or bool(_TEST_WORD.search(PurePosixPath(path).stem))


def is_layout_file(path: str) -> bool:
    """Whether :func:`read_django_project` reads ``path`` (see the module docstring)."""
    p = PurePosixPath(path)
    return p.suffix == ".py" and (p.name == "apps.py" or "settings" in path or "config" in p.stem)


@dataclass(frozen=True)
class DjangoProject:
    """What the readers need to know about a project's apps.

    ``labels``: app folder -> the label its ``AppConfig`` declares (only folders whose
    config declares one); ``test_apps``: dotted names that only test settings install."""

    labels: Mapping[str, str] = field(default_factory=dict)
    test_apps: tuple[str, ...] = ()

    def label(self, folder: str) -> str:
        """The app label of an app folder: its ``AppConfig.label``, else its last name."""
        return self.labels.get(folder) or PurePosixPath(folder).name

    def label_of(self, path: str) -> str | None:
        """The app label of a models module (:func:`app_folder`); None outside any app."""
        folder = app_folder(path)
        return self.label(folder) if folder else None

    def label_of_module(self, module: str) -> str | None:
        """The app label of a dotted models module (``shop.billing.models``,
        ``shop.billing.models.invoice`` -> ``billing``, or the label ``shop/billing``'s
        config declares; the folder may sit under a source root such as ``src/``); None
        for a module outside any ``models``."""
        parts = module.split(".")
        if "models" not in parts:
            return None
        at = len(parts) - 1 - parts[::-1].index("models")
        if at < 1:
            return None
        folder = "/".join(parts[:at])
        declared = sorted(f for f in self.labels if f == folder or f.endswith("/" + folder))
        return self.labels[declared[0]] if declared else parts[at - 1]

    def is_test_only(self, path: str) -> bool:
        """Whether ``path`` belongs to the tests only (rules in the module docstring)."""
        if in_test_folder(path):
            return True
        folders = PurePosixPath(path).parts[:-1]
        for dotted in self.test_apps:
            parts = tuple(dotted.split("."))
            if any(folders[i:i + len(parts)] == parts for i in range(len(folders) - len(parts) + 1)):
                return True
        return False


def django_project(layout: Iterable[tuple[str, ast.Module]]) -> DjangoProject:
    """The project described by some parsed layout files (path, module): labels from the
    ``apps.py`` files, test-only apps from the settings modules."""
    labels: dict[str, str] = {}
    test: set[str] = set()
    other: set[str] = set()
    for path, tree in layout:
        p = PurePosixPath(path)
        if p.name == "apps.py":
            label = app_config_label(tree)
            if label:
                labels[str(p.parent)] = label
        apps = installed_apps(tree)
        (test if is_test_settings(path) else other).update(apps)
    return DjangoProject(labels, tuple(sorted(test - other)))


def read_django_project(paths: Iterable[str], read: Callable[[str], str | None]) -> DjangoProject:
    """:func:`django_project` of the layout files among ``paths`` (:func:`is_layout_file`);
    ``read(path)`` returns a file's text, or None when it cannot be read. A file that cannot
    be read or parsed says nothing about the layout and is left out here; the reader's own
    pass over the files rejects it when it needs it."""
    layout = []
    for path in paths:
        if not is_layout_file(path):
            continue
        text = read(path)
        if text is None or ("AppConfig" not in text and not any(name in text for name in APP_LISTS)):
            continue
        try:
            layout.append((path, ast.parse(text, filename=path)))
        except (SyntaxError, ValueError):
            continue
    return django_project(layout)


#: A project about which nothing is known: default labels, no test apps beyond test folders.
NO_PROJECT = DjangoProject()
