"""Django apps: the packages ``INSTALLED_APPS`` names, and packages holding an ``apps.py``
(``AppConfig``) or models, as Django itself finds them (:mod:`analysis.sources.django_project`).

An app nested in another app's folder belongs to the outer one (a plugin folder, a
sub-application); apps only test settings install, and apps under a test folder, are left out.
Each app's name is its label (``AppConfig.label``, else the folder's name).
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from analysis.discovery.conventions import Candidate, name_of
from analysis.discovery.tree import RepositoryTree
from analysis.sources.django_project import DjangoProject, app_folder, in_test_folder, installed_apps, is_layout_file, read_django_project


def _installed_folders(tree: RepositoryTree, project: DjangoProject) -> dict[str, str]:
    """folder -> evidence for the local apps the settings install (dotted names resolved to folders)."""
    out: dict[str, str] = {}
    for path in tree.files:
        if not path.endswith(".py") or "settings" not in path or in_test_folder(path):
            continue
        text = tree.text(path)
        try:
            module = ast.parse(text or "")
        except (SyntaxError, ValueError):
            continue
        for dotted in installed_apps(module):
            parts = dotted.split(".")
            # "saleor.order" or "saleor.order.apps.OrderAppConfig"
            for end in range(len(parts), 0, -1):
                for base in ("", *_roots(tree)):
                    folder = base + "/".join(parts[:end])
                    if f"{folder}/__init__.py" in tree.file_set or f"{folder}/apps.py" in tree.file_set:
                        out.setdefault(folder, f"INSTALLED_APPS in {path}")
                        break
                else:
                    continue
                break
    return out


def _roots(tree: RepositoryTree) -> list[str]:
    """Folders the code may be imported from besides the repository root (``src/``, a folder
    holding ``manage.py``)."""
    roots: list[str] = ["src/"] if any(f.startswith("src/") for f in tree.files[:1000]) else []
    roots += [str(PurePosixPath(f).parent) + "/" for f in tree.files if f.endswith("/manage.py")]
    return roots


def detect(tree: RepositoryTree) -> list[Candidate]:
    layout = [p for p in tree.files if p.endswith(".py") and is_layout_file(p)]
    project = read_django_project(layout, tree.text)
    folders: dict[str, str] = {}
    for path in tree.files:
        if not path.endswith(".py") or in_test_folder(path) or "/migrations/" in path:
            continue
        if path.endswith("/apps.py"):
            folder = str(PurePosixPath(path).parent)
            text = tree.text(path) or ""
            if "AppConfig" in text:
                folders.setdefault(folder, f"AppConfig in {path}")
        elif path.endswith("/models.py") or "/models/" in path:
            models_of = app_folder(path)
            if models_of and f"{models_of}/__init__.py" in tree.file_set:
                folders.setdefault(models_of, f"models in {models_of}")
    installed = _installed_folders(tree, project)
    if not installed and not any(e.startswith("AppConfig") for e in folders.values()):
        return []  # models folders alone are not a Django project (SQLAlchemy, plain Python)
    for folder, evidence in installed.items():
        folders[folder] = evidence
    chosen: list[str] = []
    for folder in sorted(folders, key=lambda f: (f.count("/"), f)):
        if any(folder.startswith(outer + "/") for outer in chosen):
            continue
        if project.is_test_only(folder + "/models.py"):
            continue
        chosen.append(folder)
    out = []
    for folder in sorted(chosen):
        out.append(Candidate(name=name_of(folder), folder=folder, convention="Django app", evidence=folders[folder],
                             label=project.label(folder)))
    return out
