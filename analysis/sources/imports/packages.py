"""Which Python packages of a repository to analyse, and which of their files (file system only).

Discovery takes, at the repository root and under ``src/``, every folder with an
``__init__.py`` and an identifier for a name (a regular package), and every folder without
one whose direct subfolders are regular packages (a namespace: ``acme/shop/__init__.py``
gives ``acme.shop``). When the same top-level name is found under two roots, the first
root (the repository, then ``src/``) wins and the other is reported.

:func:`package_files` lists a package's module files the way grimp does (no descent into
a folder without ``__init__.py`` once inside a regular package, no hidden or dotted file
names, only identifier folder names), and applies Seams' limits: files matching one of the
``exclude_paths`` globs (repository-relative, ``**`` for any folders) are left out and
counted, files larger than ``max_file_bytes`` are left out and rejected, symbolic links to
folders are followed once (a link back into a folder already walked is a loop: left out
and reported).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analysis.core.errors import SourceError
from analysis.core.globs import glob_regex

SOURCE = "imports"
#: Folders (relative to the repository) where top-level packages are looked for.
PACKAGE_ROOTS = (".", "src")


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


def locate_packages(repository: Path, names: Sequence[str] = ()) -> tuple[list[Package], list[str]]:
    """Like :func:`find_packages`, plus notes on names found under two roots (first root wins)."""
    roots = [(repository / r).resolve() for r in PACKAGE_ROOTS if (repository / r).is_dir()]
    looked = " and ".join(str(r) for r in roots)
    notes: list[str] = []
    if not names:
        found: dict[str, Package] = {}
        for root in roots:
            for name in _discover(root, skip=tuple(r for r in PACKAGE_ROOTS if r != ".") if root == roots[0] else ()):
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
        holding = [r for r in roots if r.joinpath(*parts).is_dir()]
        if not holding:
            raise SourceError(SOURCE, f"package {name!r} not found under {repository} (looked in {looked})")
        if len(holding) > 1:
            notes.append(f"package {name} found under {' and '.join(_rel(r, repository) for r in holding)}: "
                         f"the one under {_rel(holding[0], repository)} is analysed")
        packages.append(Package(name, _graph_name(holding[0], parts), holding[0]))
    return packages, notes


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

