"""Imports that name nothing in the analysed packages: classified, never dropped (pure + metadata).

``classification`` of an import's top-level name:

- ``stdlib``: in ``sys.stdlib_module_names`` of the running Python (plus ``__future__``);
- ``third_party``: declared as a dependency of the repository (``requirements*.txt`` at
  the root or under ``requirements/``, ``pyproject.toml`` ``[project]`` dependencies and
  optional dependencies, ``[tool.poetry.dependencies]``, ``[dependency-groups]``,
  ``setup.cfg`` ``install_requires``; names compared lower case with ``-`` and ``.`` as
  ``_``), or a top-level name in a ``site-packages`` folder of the Python running Seams
  (a directory listing only, nothing imported);
- ``internal``: the name of a package inside the analysed code that the source roots do not
  reach (``dcim`` while only ``netbox.dcim`` is known: ``manage.py``'s folder was not taken as a
  root) — a missed source root, not a dependency;
- ``unresolved``: anything else (a missing module, an undeclared dependency).
"""

from __future__ import annotations

import configparser
import os
import re
import sys
import tomllib
from functools import lru_cache
from pathlib import Path

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    return re.sub(r"[-.]+", "_", name.strip().lower())


def classify(top: str, declared: set[str] | frozenset[str], installed: set[str] | frozenset[str],
             inner: set[str] | frozenset[str] = frozenset()) -> str:
    """``stdlib``, ``third_party``, ``internal`` or ``unresolved`` for a top-level module name;
    ``inner``: the names of packages nested in the analysed code (every segment of a dotted
    package name but the first)."""
    if top in sys.stdlib_module_names or top == "__future__":
        return "stdlib"
    if top in inner:
        return "internal"
    if normalise(top) in declared or top in installed:
        return "third_party"
    return "unresolved"


@lru_cache(maxsize=1)
def installed_modules() -> frozenset[str]:
    """Top-level names in the ``site-packages`` folders of the Python running Seams."""
    names: set[str] = set()
    for folder in sys.path:
        if not folder.endswith(("site-packages", "dist-packages")) or not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            stem = entry.name.split(".", 1)[0]
            if stem.isidentifier() and not entry.name.endswith((".dist-info", ".egg-info", ".pth")):
                names.add(stem)
    return frozenset(names)


def declared_dependencies(repository: Path) -> frozenset[str]:
    """Normalised names of the dependencies the repository declares (see the module docstring)."""
    names: set[str] = set()
    requirement_files = list(repository.glob("requirements*.txt")) + list(repository.glob("requirements/*.txt"))
    for path in requirement_files:
        for line in _text(path).splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-") and (m := _NAME.match(line)):
                names.add(normalise(m.group(1)))
    data = _toml(repository / "pyproject.toml")
    project = data["project"] if isinstance(data.get("project"), dict) else {}
    specs: list = list(project.get("dependencies") or [])
    for extra in (project.get("optional-dependencies") or {}).values():
        specs += list(extra or [])
    for group in (data.get("dependency-groups") or {}).values():
        specs += [g for g in group or [] if isinstance(g, str)]
    poetry = ((data.get("tool") or {}).get("poetry") or {})
    specs += list((poetry.get("dependencies") or {}).keys())
    for group in (poetry.get("group") or {}).values():
        specs += list(((group or {}).get("dependencies") or {}).keys())
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_text(repository / "setup.cfg"))
        if parser.has_option("options", "install_requires"):
            specs += parser.get("options", "install_requires").splitlines()
    except configparser.Error:
        pass  # not a readable setup.cfg: no declared dependencies from it
    for spec in specs:
        if isinstance(spec, str) and (m := _NAME.match(spec)):
            names.add(normalise(m.group(1)))
    return frozenset(names)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(_text(path)) if path.is_file() else {}
    except tomllib.TOMLDecodeError:
        return {}


_FROM = re.compile(r"from\s+([\w.]+)\s+import")
_IMPORT = re.compile(r"import\s+([\w.]+(?:\s*,\s*[\w.]+)*)")


def named_modules(line_contents: str, importer: str, importer_is_package: bool) -> list[str] | None:
    """The absolute dotted modules an import statement names (``from X import ...``: X;
    ``import X, Y``: X and Y), relative names resolved against ``importer``; None when the
    line (its first line, as grimp keeps it) cannot be read or climbs above the top package."""
    m = _FROM.match(line_contents)
    if m:
        written = m.group(1)
        dots = len(written) - len(written.lstrip("."))
        if not dots:
            return [written]
        parts = importer.split(".") if importer_is_package else importer.split(".")[:-1]
        if dots - 1 >= len(parts):
            return None
        base = parts[: len(parts) - (dots - 1)]
        rest = written[dots:]
        return [".".join(base + ([rest] if rest else []))]
    m = _IMPORT.match(line_contents)
    if m:
        return [n.strip() for n in m.group(1).split(",")]
    return None


def written_target(line_contents: str, top: str) -> str:
    """The dotted module as written in the import statement, when it starts with ``top``."""
    m = _FROM.match(line_contents)
    if m and m.group(1).split(".")[0] == top:
        return m.group(1)
    m = _IMPORT.match(line_contents)
    if m:
        for name in (n.strip() for n in m.group(1).split(",")):
            if name.split(".")[0] == top:
                return name
    return top
