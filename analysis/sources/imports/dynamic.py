"""Dynamic dependencies: strings that name a module of the repository (pure).

A dynamic edge is a dependency that no import statement shows. Each is kept only when
its string resolves to a module of the analysed packages:

- ``import_module`` / ``__import__`` / ``include`` / ``installed_app`` / ``entry_point``:
  the longest dotted prefix of the text (``pkg.mod:func`` read as ``pkg.mod.func``) that
  is a module of the repository; an edge from the file holding the string to it;
- ``send_task``: the module declaring a Celery task of that name (``@app.task(name=…)``)
  when one does, else the longest module prefix of the name (Celery's default task name
  is ``module.function``);
- signal receivers: a receiver connected to a signal defined in another module
  (``NAME = Signal()``) makes an edge from the signal's module (file and line of the
  definition) to the receiver's module — sending the signal runs the receiver.

Self edges (a module naming itself) are dropped. Every row has kind ``dynamic`` and a
``how`` column (the reference kind, for the bench and the notebook).
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

COLUMNS = ["importer", "imported", "importer_path", "line", "how"]


def resolve_module(text: str, modules: set[str] | frozenset[str], importer: str | None = None,
                   is_package: bool = False) -> str | None:
    """The longest dotted prefix of ``text`` that is in ``modules``; relative texts
    (leading dots) are read from ``importer`` (a package when ``is_package``)."""
    text = text.strip().replace(":", ".").split("[", 1)[0].strip()
    if text.startswith("."):
        if importer is None:
            return None
        text = _absolute(text, importer, is_package)
    if not re.fullmatch(r"[A-Za-z_][\w.]*", text):
        return None
    parts = text.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def dynamic_edges(facts: Mapping[str, dict], module_paths: Mapping[str, str], packages: set[str]) -> pd.DataFrame:
    """Dynamic edges from the facts of each module (``module -> file_facts``).

    ``module_paths`` maps every module of the repository to its repository-relative file
    (``pkg/__init__.py`` for a package); ``packages`` are the modules that are packages.
    """
    return pd.DataFrame(dynamic_rows(facts, module_paths, packages), columns=COLUMNS)


def dynamic_rows(facts: Mapping[str, dict], module_paths: Mapping[str, str], packages: set[str]) -> list[tuple]:
    """:func:`dynamic_edges` as ``(importer, imported, importer_path, line, how)`` tuples, in
    the same order (one per importer, imported and line, sorted by importer_path and line)."""
    modules = frozenset(module_paths)
    tasks: dict[str, str] = {}
    for module, f in facts.items():
        for name, _ in f.get("tasks", ()):
            tasks.setdefault(name, module)
    signals = {(module, name): line for module, f in facts.items() for name, line in f.get("signals", ())}
    rows = []
    for module, f in sorted(facts.items()):
        path = module_paths.get(module)
        if path is None:
            continue
        for how, text, line in f.get("refs", ()):
            target = tasks.get(text) if how == "send_task" else None
            target = target or resolve_module(text, modules, module, module in packages)
            if target and target != module:
                rows.append((module, target, path, int(line), how))
        for dotted, _ in f.get("receivers", ()):
            target = resolve_module(dotted, modules, module, module in packages)
            if not target or target == module:
                continue
            name = _absolute(dotted, module, module in packages)[len(target) + 1:]
            if "." in name or (target, name) not in signals:
                continue
            rows.append((target, module, module_paths[target], int(signals[(target, name)]), "signal_receiver"))
    return sorted(_first_per_edge(rows), key=lambda r: (r[2], r[3], r[1]))  # importer_path, line, imported (stable)


def _first_per_edge(rows: list[tuple]) -> list[tuple]:
    """The first row of each (importer, imported, line)."""
    seen: set[tuple] = set()
    out = []
    for row in rows:
        edge = (row[0], row[1], row[3])
        if edge not in seen:
            seen.add(edge)
            out.append(row)
    return out


def _absolute(text: str, importer: str, is_package: bool) -> str:
    if not text.startswith("."):
        return text
    level = len(text) - len(text.lstrip("."))
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    if level - 1 >= len(base):
        return ""  # above the top-level package: names nothing
    base = base[: len(base) - (level - 1)]
    rest = text.lstrip(".")
    return ".".join(base + ([rest] if rest else []))


# --------------------------------------------------------------------------------------
# entry points declared in packaging metadata


def entry_point_refs(repository: Path) -> list[tuple[str, str, int]]:
    """``(file, target, line)`` for each entry point in ``pyproject.toml`` (``[project.scripts]``,
    ``[project.gui-scripts]``, ``[project.entry-points.*]``, ``[tool.poetry.scripts]``) and
    ``setup.cfg`` (``[options.entry_points]``); the line is where the target is written.
    Unreadable files give nothing (they are packaging metadata, not analysed source)."""
    out: list[tuple[str, str, int]] = []
    pyproject = repository / "pyproject.toml"
    if pyproject.is_file():
        try:
            text = pyproject.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data, text = {}, ""
        project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
        groups: list = [project.get("scripts"), project.get("gui-scripts")]
        groups += list((project.get("entry-points") or {}).values())
        groups.append(((data.get("tool") or {}).get("poetry") or {}).get("scripts"))
        for group in groups:
            if isinstance(group, dict):
                for value in group.values():
                    if isinstance(value, dict):
                        value = value.get("reference") or value.get("callable")
                    if isinstance(value, str):
                        out.append(("pyproject.toml", value, _line_of(text, value)))
    setup_cfg = repository / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            text = setup_cfg.read_text(encoding="utf-8")
            parser.read_string(text)
        except (OSError, UnicodeDecodeError, configparser.Error):
            parser, text = configparser.ConfigParser(), ""
        if parser.has_section("options.entry_points"):
            for _, block in parser.items("options.entry_points"):
                for entry in block.splitlines():
                    if "=" in entry:
                        value = entry.split("=", 1)[1].strip()
                        out.append(("setup.cfg", value, _line_of(text, value)))
    return out


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def entry_point_edges(refs: Iterable[tuple[str, str, int]], modules: set[str] | frozenset[str]) -> pd.DataFrame:
    """Rows for the entry points that name a module of the repository; the importer is the
    declaring file (``pyproject.toml``), as module and path."""
    return pd.DataFrame(entry_point_rows(refs, modules), columns=COLUMNS)


def entry_point_rows(refs: Iterable[tuple[str, str, int]], modules: set[str] | frozenset[str]) -> list[tuple]:
    """:func:`entry_point_edges` as ``(importer, imported, importer_path, line, how)`` tuples."""
    rows = []
    for file, target, line in refs:
        module = resolve_module(target, modules)
        if module:
            rows.append((file, module, file, line, "entry_point"))
    return _first_per_edge(rows)
