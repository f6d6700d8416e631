"""Which Python packages of a repository to analyse, and which of their files (file system only).

Source roots — the folders the code is imported from, as ``sys.path`` entries would be — are
the repository itself and ``src/``, plus (:func:`source_roots`, unless the config names them in
``imports.roots``):

- the folder of every ``manage.py`` (a Django project keeps its apps beside it: NetBox's
  ``netbox/dcim`` is imported as ``dcim``);
- the ``pythonpath`` of ``[tool.pytest.ini_options]`` (pyproject.toml), ``[tool:pytest]``
  (setup.cfg) or ``[pytest]`` (pytest.ini), and setuptools' ``package-dir``/``where`` for the
  root package (``{"" = "lib"}``, ``where = ["lib"]``, ``package_dir = =lib``);
- a folder that is not a package but holds several, whose files import those packages by
  their bare names (``from dcim.models import Device`` in ``netbox/ipam/models.py``): the
  top-level names the imports would otherwise leave unresolved are its subpackages.

Discovery takes, under each root, every folder with an ``__init__.py`` and an identifier for a
name (a regular package), and every folder without one whose direct subfolders are regular
packages (a namespace: ``acme/shop/__init__.py`` gives ``acme.shop``) — a folder that is itself
a root is never taken as a namespace of the root above it. When the same top-level name is
found under two roots, the first root wins and the other is reported. Paths stay relative to
the repository whatever the root, so the context map's globs keep working.

:func:`package_files` lists a package's module files the way grimp does (no descent into
a folder without ``__init__.py`` once inside a regular package, no hidden or dotted file
names, only identifier folder names), and applies Seams' limits: files matching one of the
``exclude_paths`` globs (repository-relative, ``**`` for any folders) are left out and
counted, files larger than ``max_file_bytes`` are left out and rejected, symbolic links to
folders are followed once (a link back into a folder already walked is a loop: left out
and reported).
"""

from __future__ import annotations

import configparser
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analysis.core.errors import SourceError
from analysis.core.globs import glob_regex

SOURCE = "imports"
#: Folders (relative to the repository) where top-level packages are always looked for.
PACKAGE_ROOTS = (".", "src")
#: How deep a manage.py or a folder of packages is looked for.
ROOT_SEARCH_DEPTH = 3
#: Folders never searched for source roots.
NOT_SOURCE = frozenset({".git", "node_modules", "venv", ".venv", "env", "site-packages", "tests", "test", "docs", "build",
                        "dist", "vendor", "third_party", "migrations", "static", "templates", "__pycache__"})
_BARE_IMPORT = re.compile(rb"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.M)


@dataclass(frozen=True)
class Package:
    """A package to analyse: the name asked for, the name grimp builds, and where it lives."""

    name: str  # as requested (may be a subpackage: shop.billing)
    graph_name: str  # what grimp is given: the top-level regular package (or namespace portion)
    root: Path  # the folder under which graph_name lives (repository or src/)

    @property
    def directory(self) -> Path:
        return self.root.joinpath(*self.graph_name.split("."))


@dataclass
class PackageFiles:
    """The module files of one package and what was left out while listing them."""

    modules: dict[str, str]  # dotted module name -> absolute file path
    namespaces: set[str]  # dotted names of namespace folders holding modules
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # dotted module name -> (bytes, mtime_ns)
    excluded: list[Path] = field(default_factory=list)  # matched exclude_paths
    too_large: list[tuple[Path, int]] = field(default_factory=list)  # (file, bytes)
    symlink_loops: list[Path] = field(default_factory=list)


def find_packages(repository: Path, names: Sequence[str] = ()) -> list[Package]:
    """The packages to analyse: ``names`` located under the repository, or those discovered."""
    packages, _ = locate_packages(repository, names)
    return packages


def locate_packages(repository: Path, names: Sequence[str] = (), roots: Sequence[str] | None = None) -> tuple[list[Package], list[str]]:
    """Like :func:`find_packages`, plus notes: the source roots used (and why), names found
    under two roots (first root wins). ``roots``: the folders to import from, relative to the
    repository, as the config's ``imports.roots`` says; None: detected (:func:`source_roots`)."""
    found_roots = [(r, "imports.roots") for r in roots] if roots is not None else source_roots(repository)
    notes: list[str] = []
    ordered = [r for r, _ in found_roots] + [r for r in PACKAGE_ROOTS if r not in {x for x, _ in found_roots}]
    roots_paths = [(repository / r).resolve() for r in ordered if (repository / r).is_dir()]
    extra = [(r, why) for r, why in found_roots if r not in PACKAGE_ROOTS]
    if extra:
        notes.append("source roots: " + "; ".join(f"{r}/ ({why})" for r, why in extra))
    looked = " and ".join(str(r) for r in roots_paths)
    if not names:
        found: dict[str, Package] = {}
        for root in roots_paths:
            skip = tuple(r.name for r in roots_paths if r.parent == root)  # a root is never a namespace of another
            for name in _discover(root, skip=skip):
                if name in found:
                    if found[name].root != root:
                        notes.append(f"package {name} found under {_rel(found[name].root, repository)} and "
                                     f"{_rel(root, repository)}: the one under {_rel(found[name].root, repository)} is analysed")
                    continue
                found[name] = Package(name, name, root)
        if not found:
            raise SourceError(SOURCE, f"no Python package found under {repository} "
                                      f"(looked for folders with __init__.py in {looked}); "
                                      "no source of a supported language to analyse")
        return list(found.values()), notes
    packages = []
    for name in names:
        parts = name.split(".")
        if not all(p.isidentifier() for p in parts):
            raise SourceError(SOURCE, f"{name!r} is not a Python package name")
        holding = [r for r in roots_paths if r.joinpath(*parts).is_dir()]
        if not holding:
            raise SourceError(SOURCE, f"package {name!r} not found under {repository} (looked in {looked})")
        if len(holding) > 1:
            notes.append(f"package {name} found under {' and '.join(_rel(r, repository) for r in holding)}: "
                         f"the one under {_rel(holding[0], repository)} is analysed")
        packages.append(Package(name, _graph_name(holding[0], parts), holding[0]))
    return packages, notes


def source_roots(repository: Path) -> list[tuple[str, str]]:
    """The folders the code is imported from besides the repository and ``src/``, each with
    why (see the module docstring), relative to the repository, in the order found."""
    found: dict[str, str] = {}
    for rel, why in [*_declared_roots(repository), *_project_roots(repository)]:
        rel = rel.strip("/") or "."
        if rel not in found and rel != "." and (repository / rel).is_dir():
            found[rel] = why
    return list(found.items())


def _declared_roots(repository: Path) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pyproject = repository / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8", errors="replace"))
        except tomllib.TOMLDecodeError:
            data = {}
        tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
        pytest_paths = (tool.get("pytest", {}) or {}).get("ini_options", {}).get("pythonpath", [])
        out += [(str(p), "pyproject.toml [tool.pytest.ini_options] pythonpath") for p in _as_list(pytest_paths)]
        setuptools = tool.get("setuptools", {}) or {}
        package_dir = setuptools.get("package-dir", {}) if isinstance(setuptools.get("package-dir"), dict) else {}
        if package_dir.get(""):
            out.append((str(package_dir[""]), "pyproject.toml [tool.setuptools] package-dir"))
        find = (setuptools.get("packages", {}) or {}).get("find", {}) if isinstance(setuptools.get("packages"), dict) else {}
        out += [(str(w), "pyproject.toml [tool.setuptools.packages.find] where") for w in _as_list(find.get("where", []))]
    for name, section in (("setup.cfg", "tool:pytest"), ("pytest.ini", "pytest"), ("tox.ini", "pytest")):
        path = repository / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
        except configparser.Error:
            continue
        if parser.has_option(section, "pythonpath"):
            out += [(p, f"{name} [{section}] pythonpath") for p in parser.get(section, "pythonpath").split()]
        if name == "setup.cfg" and parser.has_option("options", "package_dir"):
            for line in parser.get("options", "package_dir").splitlines():
                key, _, value = line.partition("=")
                if not key.strip() and value.strip():
                    out.append((value.strip(), "setup.cfg [options] package_dir"))
    return out


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value or [])


def _project_roots(repository: Path) -> list[tuple[str, str]]:
    """Folders of ``manage.py`` files, and folders of packages whose files import their
    siblings by bare name (see the module docstring)."""
    out = []
    for folder, depth in _walk_folders(repository):
        if (folder / "manage.py").is_file():
            out.append((folder.relative_to(repository).as_posix(), "the folder of manage.py"))
            continue
        if depth == 0 or (folder / "__init__.py").is_file():
            continue
        packages = {c.name for c in folder.iterdir() if c.is_dir() and c.name.isidentifier() and (c / "__init__.py").is_file()}
        if len(packages) >= 2 and _imports_siblings_by_bare_name(folder, packages):
            out.append((folder.relative_to(repository).as_posix(), "its packages import each other by their bare names"))
    return out


def _walk_folders(repository: Path):
    stack = [(repository, 0)]
    while stack:
        folder, depth = stack.pop()
        yield folder, depth
        if depth >= ROOT_SEARCH_DEPTH or (depth and (folder / "__init__.py").is_file()):
            continue
        try:
            children = sorted((c for c in folder.iterdir() if c.is_dir() and not c.is_symlink()), key=lambda c: c.name, reverse=True)
        except OSError:
            continue
        stack += [(c, depth + 1) for c in children if c.name not in NOT_SOURCE and not c.name.startswith(".")]


def _imports_siblings_by_bare_name(folder: Path, packages: set[str], sample: int = 40) -> bool:
    """Whether files of these packages import one of the others by its bare top-level name
    (a quick scan of up to ``sample`` module files)."""
    seen = 0
    for package in sorted(packages):
        for path in sorted((folder / package).glob("*.py"))[:5]:
            seen += 1
            try:
                head = path.read_bytes()[:20000]
            except OSError:
                continue
            names = {m.decode() for m in _BARE_IMPORT.findall(head)}
            if names & (packages - {package}):
                return True
            if seen >= sample:
                return False
    return False


def _rel(root: Path, repository: Path) -> str:
    rel = root.relative_to(repository.resolve()).as_posix()
    return "the repository root" if rel == "." else rel + "/"


def _discover(root: Path, skip: tuple[str, ...] = ()) -> list[str]:
    names = []
    for child in sorted(root.iterdir(), key=lambda p: p.name):
        if not child.is_dir() or not child.name.isidentifier() or child.name in skip:
            continue
        if (child / "__init__.py").is_file():
            names.append(child.name)
        else:
            names += [f"{child.name}.{sub.name}" for sub in sorted(child.iterdir(), key=lambda p: p.name)
                      if sub.is_dir() and sub.name.isidentifier() and (sub / "__init__.py").is_file()]
    return names


def _graph_name(root: Path, parts: list[str]) -> str:
    """The shortest prefix of ``parts`` that is a regular package (grimp builds from there).

    A requested subpackage of a regular package is built whole and the rows are filtered
    afterwards; namespace parents (no ``__init__.py``) are not part of the graph name.
    """
    for n in range(1, len(parts) + 1):
        if root.joinpath(*parts[:n], "__init__.py").is_file():
            return ".".join(parts[:n])
    return ".".join(parts)


def module_files(package_directory: Path) -> list[Path]:
    """The Python files grimp reads in a package (no limits applied), sorted."""
    return sorted(Path(p) for p in package_files(package_directory, package_directory.name).modules.values())


def package_files(package_directory: Path, graph_name: str, *, repository: Path | None = None,
                  exclude_paths: Sequence[str] = (), max_file_bytes: int | None = None) -> PackageFiles:
    """The module files of the package ``graph_name`` living in ``package_directory``."""
    repository = (repository or package_directory).resolve()
    excludes = [glob_regex(g) for g in exclude_paths]
    out = PackageFiles({}, set())
    seen: set[tuple[int, int]] = set()  # (device, inode) of each folder walked: a folder reached again is a loop

    def walk(folder: str, dotted: str, in_package: bool) -> bool:
        try:
            st = os.stat(folder)
        except OSError:
            return False
        real = (st.st_dev, st.st_ino)
        if real in seen:
            out.symlink_loops.append(Path(folder))
            return False
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return False
        names = {e.name for e in entries}
        has_init = "__init__.py" in names
        if in_package and not has_init:
            return False
        held = False
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not name.endswith(".py") or name.count(".") != 1:
                continue
            if not entry.is_file():
                continue
            path = entry.path
            if excludes and any(rx.match(_relative(Path(path), repository)) for rx in excludes):
                out.excluded.append(Path(path))
                continue
            st = entry.stat()
            if max_file_bytes is not None and st.st_size > max_file_bytes:
                out.too_large.append((Path(path), st.st_size))
                continue
            stem = name[:-3]
            module = dotted if stem == "__init__" else f"{dotted}.{stem}"
            out.modules[module] = path
            out.stats[module] = (st.st_size, st.st_mtime_ns)
            held = True
        for entry in entries:
            if entry.is_dir() and entry.name.isidentifier():
                sub = f"{dotted}.{entry.name}"
                if excludes and any(rx.match(_relative(Path(entry.path), repository) + "/") for rx in excludes):
                    out.excluded.append(Path(entry.path))
                    continue
                if walk(entry.path, sub, in_package or has_init):
                    held = True
        if held and not has_init and not in_package:
            out.namespaces.add(dotted)
        return held

    walk(str(package_directory), graph_name, False)
    return out


def _relative(path: Path, repository: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(repository).as_posix()
    except ValueError:
        return path.as_posix()

