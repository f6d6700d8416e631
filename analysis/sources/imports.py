"""Python imports: which module of the repository imports which, and on which line.

Entry point: :func:`mine_imports` returns the ``imports`` frame (contract in
:mod:`analysis.frames`): one row per import statement between two modules of the analysed
packages — importer, imported (dotted module names), importer_path, imported_path
(repository-relative posix paths of the module files; ``pkg/__init__.py`` for a package,
the folder for a namespace package), line (of the statement in importer_path) and kind:

- ``type_checking``: under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``), never run;
- ``function``: inside a function body, run only when the function is called;
- ``static``: everything else (module level, class bodies, ``try`` blocks).

How it reads: the import graph is built by grimp (``grimp.build_graph(pkg, *more,
cache_dir=None)``, external packages left out) from the packages named in the source, or,
when none are named, from the top-level packages (folders with ``__init__.py``) at the
repository root and under ``src/``. A requested subpackage (``shop.billing``) is read
through its top-level package and the rows are then limited to the requested packages:
both ends of every row lie in one of them. Line numbers come from
``graph.get_import_details``; the kind from a small ``ast`` pass over each file that
imports another module.

The analysed code is never imported or run. grimp locates a package with
``importlib.util.find_spec``, which reads the file system only; the repository root (and
``src/``) are put on ``sys.path`` for the duration of the build only, modules of the same
names already loaded are set aside meanwhile (so the package found is the repository's),
and ``sys.path``, ``sys.modules`` and the importer cache are restored afterwards. This
changes interpreter-wide state for the length of one build: do not mine imports from two
threads at once. grimp writes no cache (``cache_dir=None``).

A module grimp cannot read (a syntax error, bytes that are not valid in the file's
encoding) is rejected (``source="imports"``, ``location="<path>:<line>"``, reason
``syntax error: ...``) and the graph is built again without it, from a copy of the
packages' Python files in a temporary folder; the repository is never written.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import grimp
import pandas as pd
from grimp.exceptions import SourceSyntaxError

from analysis import frames
from analysis.config import ImportsSource
from analysis.errors import SourceError
from analysis.frames import SourceFrames
from analysis.rejects import Rejects

SOURCE = "imports"
#: Folders (relative to the repository) where top-level packages are looked for.
PACKAGE_ROOTS = (".", "src")

_UNDECODABLE = re.compile(r"Failed to decode file (.+?) as UTF-8")


@dataclass(frozen=True)
class Package:
    """A package to analyse: the name asked for, the name grimp builds, and where it lives."""

    name: str  # as requested (may be a subpackage: shop.billing)
    graph_name: str  # what grimp is given: the top-level regular package containing it
    root: Path  # the folder on sys.path under which graph_name lives (repository or src/)

    @property
    def directory(self) -> Path:
        return self.root.joinpath(*self.graph_name.split("."))


# --------------------------------------------------------------------------------------
# finding the packages (file system only)


def find_packages(repository: Path, names: Sequence[str] = ()) -> list[Package]:
    """The packages to analyse: ``names`` located under the repository, or those discovered.

    Discovery takes every folder with an ``__init__.py`` and an identifier for a name at
    the repository root and under ``src/`` (the root wins when both have one).
    """
    roots = [(repository / r).resolve() for r in PACKAGE_ROOTS if (repository / r).is_dir()]
    looked = " and ".join(str(r) for r in roots)
    if not names:
        found: dict[str, Package] = {}
        for root in roots:
            for child in sorted(root.iterdir(), key=lambda p: p.name):
                if child.name.isidentifier() and (child / "__init__.py").is_file():
                    found.setdefault(child.name, Package(child.name, child.name, root))
        if not found:
            raise SourceError(SOURCE, f"no Python package found under {repository} "
                                      f"(looked for folders with __init__.py in {looked})")
        return list(found.values())
    packages = []
    for name in names:
        parts = name.split(".")
        if not all(p.isidentifier() for p in parts):
            raise SourceError(SOURCE, f"{name!r} is not a Python package name")
        root = next((r for r in roots if r.joinpath(*parts).is_dir()), None)
        if root is None:
            raise SourceError(SOURCE, f"package {name!r} not found under {repository} (looked in {looked})")
        packages.append(Package(name, _graph_name(root, parts), root))
    return packages


def _graph_name(root: Path, parts: list[str]) -> str:
    """The shortest prefix of ``parts`` that is a regular package (grimp builds from there).

    grimp's package lookup imports the parents of a dotted name, which would run their
    ``__init__.py``; a prefix that is a regular package is therefore built whole and the
    rows are filtered afterwards. Namespace parents (no ``__init__.py``) run no code.
    """
    for n in range(1, len(parts) + 1):
        if root.joinpath(*parts[:n], "__init__.py").is_file():
            return ".".join(parts[:n])
    return ".".join(parts)


def module_files(package_directory: Path) -> Iterator[Path]:
    """The Python files grimp reads in a package: like grimp, no descent into folders
    without ``__init__.py`` once inside a regular package, no hidden or dotted file names."""

    def walk(folder: Path, in_package: bool) -> Iterator[Path]:
        has_init = (folder / "__init__.py").is_file()
        if in_package and not has_init:
            return
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
        for entry in entries:
            name = entry.name
            if entry.is_file() and name.endswith(".py") and not name.startswith(".") and name.count(".") == 1:
                yield entry
        for entry in entries:
            if entry.is_dir() and entry.name.isidentifier():
                yield from walk(entry, in_package or has_init)

    yield from walk(package_directory, False)


# --------------------------------------------------------------------------------------
# building the graph without importing the analysed code


@contextmanager
def packages_visible(roots: Sequence[Path], names: Iterable[str]) -> Iterator[None]:
    """Make ``roots`` importable-by-lookup for the block, then restore the interpreter.

    Modules already loaded under the top-level names of ``names`` are set aside for the
    block (so a lookup finds the repository's package, not a loaded one of the same name)
    and put back afterwards; entries that appeared meanwhile are removed, as are new
    ``sys.path_importer_cache`` entries.
    """
    tops = {n.split(".", 1)[0] for n in names}

    def ours(module: str) -> bool:
        return module.split(".", 1)[0] in tops

    saved_path = list(sys.path)
    saved_finders = set(sys.path_importer_cache)
    set_aside = {m: sys.modules.pop(m) for m in [m for m in sys.modules if ours(m)]}
    sys.path[:0] = [str(r) for r in roots]
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for m in [m for m in sys.modules if ours(m)]:
            del sys.modules[m]
        sys.modules.update(set_aside)
        for key in set(sys.path_importer_cache) - saved_finders:
            del sys.path_importer_cache[key]


def _build_graph(packages: Sequence[Package], roots: Sequence[Path]) -> grimp.ImportGraph:
    names = sorted({p.graph_name for p in packages})
    with packages_visible(roots, names):
        for package in packages:
            _check_resolves_into(package, roots)
        return grimp.build_graph(*names, cache_dir=None)


def _check_resolves_into(package: Package, roots: Sequence[Path]) -> None:
    """Refuse to build when a lookup would find (or run) something outside the repository."""
    top, _, rest = package.graph_name.partition(".")
    if rest:  # namespace parents: make sure no regular package of that name shadows them
        spec = importlib.machinery.PathFinder.find_spec(top, sys.path)
        if spec is not None and spec.origin is not None:
            raise SourceError(SOURCE, f"package {package.graph_name!r}: {top!r} is a namespace in the repository "
                                      f"but {spec.origin} is found first on the Python path")
        return
    spec = importlib.util.find_spec(top)
    where = list(spec.submodule_search_locations or []) if spec else []
    expected = {(r / top).resolve() for r in roots}
    if not where or any(Path(w).resolve() not in expected for w in where):
        raise SourceError(SOURCE, f"package {top!r} resolves to {where or spec and spec.origin}, "
                                  f"not to the repository")


def build_import_graph(packages: Sequence[Package], repository: Path,
                       rejects: Rejects) -> tuple[grimp.ImportGraph, set[Path]]:
    """grimp's graph of ``packages``; files it cannot read are rejected and left out.

    Returns the graph and the files left out (repository-relative). After the first unreadable file
    the packages' Python files are copied to a temporary folder (mirroring their place in
    the repository) and the culprit is deleted from the copy before each new attempt.
    """
    roots = sorted({p.root for p in packages})
    try:
        return _build_graph(packages, roots), set()
    except (SourceSyntaxError, UnicodeError) as first:
        error: Exception = first
    left_out: set[Path] = set()
    with tempfile.TemporaryDirectory(prefix="seams-imports-") as tmp:
        mirror = Path(tmp)
        for package in packages:
            target = mirror / package.directory.relative_to(repository.resolve())
            if not target.exists():
                for file in module_files(package.directory):
                    copy = target / file.relative_to(package.directory)
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(file, copy)
        mirrored_roots = [mirror / r.relative_to(repository.resolve()) for r in roots]
        mirrored = [Package(p.name, p.graph_name, mirror / p.root.relative_to(repository.resolve())) for p in packages]
        while True:
            culprit = _culprit(error, mirror, packages, repository, left_out)
            if culprit is None:
                raise SourceError(SOURCE, f"grimp could not read the packages: {error}")
            relative, line, reason = culprit
            rejects.add(SOURCE, f"{relative}:{line}", reason, getattr(error, "text", "") or "")
            left_out.add(relative)
            (mirror / relative).unlink()
            try:
                return _build_graph(mirrored, mirrored_roots), left_out
            except (SourceSyntaxError, UnicodeError) as again:
                error = again


def _culprit(error: Exception, mirror: Path, packages: Sequence[Package], repository: Path,
             left_out: set[Path]) -> tuple[Path, int, str] | None:
    """The file (repository-relative) an error of grimp's names, with its line and a reason."""
    named = getattr(error, "filename", None)
    if named is None and (m := _UNDECODABLE.search(str(error))):
        named = m.group(1)
    candidates = []
    if named:
        path = Path(named).resolve()
        for base in (mirror.resolve(), repository.resolve()):
            if path.is_relative_to(base):
                candidates.append(path.relative_to(base))
    else:  # unnamed: the first file Python cannot read either
        candidates = [f.resolve().relative_to(repository.resolve())
                      for p in packages for f in module_files(p.directory)]
    for relative in candidates:
        if relative in left_out or not (mirror / relative).is_file():
            continue
        problem = unreadable_module(repository / relative)
        if problem is None and not named:
            continue
        line, reason = problem or (getattr(error, "lineno", None) or 0, "syntax error: rejected by grimp's parser")
        return relative, line, reason
    return None


def unreadable_module(path: Path) -> tuple[int, str] | None:
    """``(line, reason)`` when Python cannot parse the file, else None."""
    try:
        ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        return exc.lineno or 0, f"syntax error: {exc.msg}"
    except ValueError as exc:  # null bytes (Python < 3.12 raises ValueError)
        return 0, f"syntax error: {exc}"
    return None


# --------------------------------------------------------------------------------------
# import kinds (pure)


def import_kinds(source: str | bytes) -> dict[int, str]:
    """Kind of each import statement that is not ``static``, by line.

    Every line an import statement spans is listed (grimp reports the first). Raises
    SyntaxError (or ValueError) when the text is not Python.
    """
    kinds: dict[int, str] = {}

    def visit(nodes: Iterable[ast.AST], kind: str) -> None:
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if kind != "static":
                    kinds.update((line, kind) for line in range(node.lineno, (node.end_lineno or node.lineno) + 1))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(node.body, "function" if kind == "static" else kind)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.body, "type_checking")
                visit(node.orelse, kind)
            else:
                visit(ast.iter_child_nodes(node), kind)

    visit(ast.parse(source).body, "static")
    return kinds


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


# --------------------------------------------------------------------------------------
# from graph to frame


def graph_imports(graph: grimp.ImportGraph, within: Sequence[str]) -> pd.DataFrame:
    """``importer, imported, line`` for every import whose two ends lie in ``within``.

    ``line`` is 0 when grimp holds no detail for an edge (it always does for a graph it
    built from source).
    """

    def inside(module: str) -> bool:
        return any(module == p or module.startswith(p + ".") for p in within)

    rows = []
    for importer in sorted(m for m in graph.modules if inside(m)):
        for imported in sorted(m for m in graph.find_modules_directly_imported_by(importer) if inside(m)):
            details = graph.get_import_details(importer=importer, imported=imported)
            lines = sorted({d["line_number"] for d in details}) or [0]
            rows.extend((importer, imported, line) for line in lines)
    return pd.DataFrame(rows, columns=["importer", "imported", "line"])


class _ModulePaths:
    """Repository-relative path of a module's file, from the package it belongs to."""

    def __init__(self, packages: Sequence[Package], repository: Path):
        self.packages = sorted(packages, key=lambda p: -len(p.graph_name))
        self.repository = repository.resolve()
        self.cache: dict[str, str] = {}

    def __call__(self, module: str) -> str:
        if module not in self.cache:
            self.cache[module] = self._find(module)
        return self.cache[module]

    def _find(self, module: str) -> str:
        package = next((p for p in self.packages
                        if module == p.graph_name or module.startswith(p.graph_name + ".")), self.packages[-1])
        base = package.root.joinpath(*module.split("."))
        for candidate in (base.with_name(base.name + ".py"), base / "__init__.py", base):
            if candidate.exists():
                return candidate.relative_to(self.repository).as_posix()
        return base.relative_to(self.repository).as_posix()


def classify_imports(edges: pd.DataFrame, importer_paths: pd.Series, repository: Path) -> tuple[pd.Series, int]:
    """Kind of each edge (by its importer file and line); and how many files Python could not parse.

    An edge in a file the running Python cannot read or parse (newer syntax than it
    knows) is counted as ``static``.
    """
    kinds = pd.Series("static", index=edges.index, dtype=object)
    unparsed = 0
    for path, group in edges.groupby(importer_paths, sort=False):
        try:
            by_line = import_kinds((repository / path).read_bytes())
        except (OSError, SyntaxError, ValueError):
            unparsed += 1
            continue
        kinds.loc[group.index] = group["line"].map(lambda n: by_line.get(n, "static"))
    return kinds, unparsed


# --------------------------------------------------------------------------------------
# entry point


def mine_imports(source: ImportsSource, rejects: Rejects) -> SourceFrames:
    """Mine the import statements between the repository's modules into ``imports``.

    ``records_read`` counts the modules of the analysed packages (files left out
    included); ``records_rejected`` the rejects added for ``"imports"`` by this call.
    Raises :class:`SourceError` when no package is found or a named one is missing.
    """
    repository = Path(source.repository)
    if not repository.is_dir():
        raise SourceError(SOURCE, f"{repository} does not exist or is not a directory")
    rejected_before = rejects.count(SOURCE)
    packages = find_packages(repository, source.packages)
    graph, left_out = build_import_graph(packages, repository.resolve(), rejects)
    wanted = [p.name for p in packages]

    edges = graph_imports(graph, wanted)
    module_path = _ModulePaths(packages, repository)
    edges["importer_path"] = edges["importer"].map(module_path)
    edges["imported_path"] = edges["imported"].map(module_path)
    edges["kind"], unparsed = classify_imports(edges, edges["importer_path"], repository.resolve())
    edges = edges.sort_values(["importer_path", "line", "imported"], kind="stable")
    imports = frames.conform(edges, "imports")

    modules = sum(1 for m in graph.modules if any(m == w or m.startswith(w + ".") for w in wanted))
    wanted_dirs = [p.root.joinpath(*p.name.split(".")).relative_to(repository.resolve()) for p in packages]
    unreadable = sum(1 for f in left_out if any(f.is_relative_to(d) for d in wanted_dirs))
    notes = [f"{modules} modules in {len(wanted)} packages: {', '.join(wanted)}"]
    if left_out:
        notes.append(f"{len(left_out)} files left out of the import graph (unreadable; see rejects)")
    if unparsed:
        notes.append(f"kind of imports unknown in {unparsed} files this Python cannot parse (counted as static)")
    return SourceFrames(
        frames={"imports": imports},
        records_read=modules + unreadable,
        records_rejected=rejects.count(SOURCE) - rejected_before,
        notes=notes,
    )
