"""Python imports: which module of the repository imports which, and on which line.

Entry point: :func:`mine_imports` returns two frames (contracts in :mod:`analysis.core.frames`):

``imports`` — one row per import between two modules of the analysed packages: importer,
imported (dotted module names), importer_path, imported_path (repository-relative posix
paths; ``pkg/__init__.py`` for a package, the folder for a namespace package), line (in
importer_path) and kind:

- ``static``: module level, class bodies, ``try`` blocks;
- ``type_checking``: under ``if TYPE_CHECKING:`` (never run);
- ``function``: inside a function body (run when the function is called);
- ``dynamic``: no import statement, a string naming a module of the repository
  (:mod:`.dynamic`: ``importlib.import_module``, ``__import__``, Django ``INSTALLED_APPS``
  and ``include()``, Celery task names, signal receivers, entry points). For an entry point
  the importer is the declaring file (``pyproject.toml``, ``setup.cfg``, ``setup.py``'s module).

``unresolved_imports`` — one row per import statement (or statement line) naming a module
outside the analysed packages: importer_path, line, target (the dotted module as written),
language ``python``, classification ``stdlib`` / ``third_party`` / ``unresolved``
(:mod:`.external`). An import of a module of the packages that does not exist
(``from ...models import Channel`` with no ``models`` module there) is an ``unresolved``
row with the module it names (``shop.models``) as target, not an edge: grimp, with
external packages included, turns it into an import of the top-level package.

How it reads: grimp builds the graph (:mod:`.graph`; external packages included, so the
imports that leave the repository are seen too) from the packages named in the source or
discovered (:mod:`.packages`: repository root and ``src/``, regular and namespace
packages). A requested subpackage (``shop.billing``) is read through its top-level
package and rows are limited to the requested packages. The kinds and dynamic references
come from a partial ``ast`` pass (:mod:`.statements`). The analysed code is never imported
or run, ``sys.path`` is never changed, and nothing is written into the repository.

Bad input (counted, never fatal): a file with a syntax error or not in UTF-8 is rejected
(``source="imports"``, ``location="<path>:<line>"``, reason ``syntax error: ...``) and left
out; a file larger than ``max_file_bytes`` is rejected (``too large``) and left out; files
matching ``exclude_paths`` are left out and counted in the notes; a symbolic link back
into a folder already walked is noted and not followed; a package name found under two
roots is analysed from the first (noted). A repository with no Python package raises
:class:`~analysis.core.errors.SourceError` with a clear message.

Parse cache: pass ``cache_dir`` (``mining`` passes ``config.cache_dir / "imports" /
"parse"``); see :mod:`.graph`.
"""

from __future__ import annotations

import gc
import os
from operator import itemgetter
from pathlib import Path

import pandas as pd

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.errors import SourceError
from analysis.core.frames import SourceFrames
from analysis.core.rejects import Rejects

from .dynamic import dynamic_edges, dynamic_rows, entry_point_refs, entry_point_rows, resolve_module
from .external import classify, declared_dependencies, installed_modules, named_modules, written_target
from .graph import ParseCache, build_import_graph, file_facts_cached, unreadable_module
from .packages import SOURCE, Package, find_packages, locate_packages, module_files, package_files
from .statements import file_facts, import_kinds

__all__ = [
    "SOURCE", "Package", "ParseCache", "build_import_graph", "classify", "dynamic_edges", "file_facts",
    "find_packages", "import_kinds", "locate_packages", "mine_imports", "module_files", "package_files",
    "resolve_module", "unreadable_module",
]


def mine_imports(source: ImportsSource, rejects: Rejects, *, cache_dir: str | Path | None = None) -> SourceFrames:
    """Mine the imports between the repository's modules into ``imports`` and ``unresolved_imports``.

    ``records_read`` counts the modules of the analysed packages (files left out
    included); ``records_rejected`` the rejects added for ``"imports"`` by this call.
    ``cache_dir``: where the per-file parse cache lives (None: no cache).
    Raises :class:`SourceError` when no package is found or a named one is missing.

    Python's cyclic garbage collector is paused for the call (and restored as it was): the
    build makes tens of thousands of long-lived objects (grimp's imports, rows), which the
    collector would walk again and again (a tenth of a cold build's time on a large
    repository); any cycle left behind is collected once it runs again.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _mine_imports(source, rejects, cache_dir)
    finally:
        if collecting:
            gc.enable()


def _mine_imports(source: ImportsSource, rejects: Rejects, cache_dir: str | Path | None) -> SourceFrames:
    repository = Path(source.repository)
    if not repository.is_dir():
        raise SourceError(SOURCE, f"{repository} does not exist or is not a directory")
    repository = repository.resolve()
    if source.languages and "python" not in source.languages:
        raise SourceError(SOURCE, f"languages {list(source.languages)} do not include python")
    rejected_before = rejects.count(SOURCE)
    packages, notes = locate_packages(repository, source.packages, source.roots)
    cache = ParseCache.open(Path(cache_dir) if cache_dir is not None else None)
    build = build_import_graph(packages, repository, rejects, cache=cache, exclude_paths=source.exclude_paths,
                               max_file_bytes=source.max_file_bytes)
    try:
        for pf in build.listed:
            for path, size in pf.too_large:
                rejects.add(SOURCE, f"{_rel(path, repository)}:0", f"too large: {size} bytes > max_file_bytes")
        wanted = [p.name for p in packages]
        wanted_set, below_wanted = frozenset(wanted), tuple(w + "." for w in wanted)

        def inside(module: str) -> bool:
            return module in wanted_set or module.startswith(below_wanted)

        prefix = os.path.join(str(repository), "")
        module_path = {m: p[len(prefix):] if p.startswith(prefix) else _rel(p, repository) for m, p in build.module_files.items()}
        namespaces = {n for pf in build.listed for n in pf.namespaces}
        for pf, (name, directory) in zip(build.listed, _graph_dirs(packages)):
            for n in pf.namespaces:
                module_path.setdefault(n, _rel(directory.joinpath(*n.split(".")[len(name.split(".")):]), repository))
        packages_set = {m for m, p in module_path.items() if p.endswith("__init__.py")} | namespaces

        # what needs no facts first: a fork may still be reading them (see .graph)
        inside_modules = {m for m in module_path if inside(m)}
        internal_edges, external_rows = _split_imports(build.imports_by_module, module_path, inside_modules,
                                                       [p.graph_name for p in packages], packages_set)
        inner = frozenset(part for name in packages_set for part in name.split(".")[1:])
        unresolved = _unresolved_frame(external_rows, repository, inner)
        entry_points = entry_point_rows(entry_point_refs(repository), frozenset(module_path))
    except BaseException:
        if build.pending_facts is not None:
            build.pending_facts.stop()  # the fork reading the facts is not waited for
        raise

    facts = file_facts_cached(cache, build.sources, build.hashes, build.pending_facts)
    cache.save(build.imports_by_module)
    kinds_of = {m: kinds for m, f in facts.items() if (kinds := f.get("kinds"))}  # files with imports not static
    rows = [(importer, imported, path, imported_path, line,
             "static" if (kinds := kinds_of.get(importer)) is None else kinds.get(str(line), "static"))
            for importer, imported, path, imported_path, line in internal_edges]
    dynamic = [r for r in dynamic_rows(facts, module_path, packages_set) + entry_points
               if r[1] in inside_modules and (r[0] in inside_modules or r[0] not in module_path)]
    rows += [(importer, imported, path, module_path[imported], line, "dynamic")
             for importer, imported, path, line, _how in dynamic]
    rows.sort(key=itemgetter(2, 4, 1, 5))  # importer_path, line, imported, kind (stable)
    imports = frames.conform(_columns(rows, ["importer", "imported", "importer_path", "imported_path", "line", "kind"]), "imports")

    modules = sum(1 for m in build.module_files if m in inside_modules)
    wanted_dirs = [p.root.joinpath(*p.name.split(".")) for p in packages]
    unreadable = sum(1 for f in build.left_out if any(Path(f).is_relative_to(d) for d in wanted_dirs))
    too_large = sum(len(pf.too_large) for pf in build.listed)
    notes = [f"{modules} modules in {len(wanted)} packages: {', '.join(wanted)}", *notes]
    if build.left_out:
        notes.append(f"{len(build.left_out)} files left out of the import graph (unreadable; see rejects)")
    if too_large:
        notes.append(f"{too_large} files larger than max_file_bytes left out (see rejects)")
    excluded = sum(len(pf.excluded) for pf in build.listed)
    if excluded:
        notes.append(f"{excluded} files or folders left out by exclude_paths")
    loops = sorted({_rel(p, repository) for pf in build.listed for p in pf.symlink_loops})
    if loops:
        notes.append(f"{len(loops)} symbolic links not followed (they loop back): {', '.join(loops[:5])}")
    unparsed = sum(1 for m, f in facts.items() if f.get("unparsed") and inside(m))
    if unparsed:
        notes.append(f"kind of imports unknown in {unparsed} files this Python cannot parse (counted as static)")
    if len(dynamic):
        notes.append(f"{len(dynamic)} dynamic imports (strings naming modules of the repository)")
    if len(unresolved):
        counts = unresolved["classification"].value_counts()
        notes.append("imports leaving the packages: " + ", ".join(f"{counts.get(c, 0)} {c}" for c in ("stdlib", "third_party", "unresolved")))
        if counts.get("internal", 0):
            notes.append(f"{counts['internal']} imports name packages of the repository by a name the source roots do not "
                         "reach: set imports.roots (the folder the code is imported from)")
    return SourceFrames(
        frames={"imports": imports, "unresolved_imports": unresolved},
        records_read=modules + unreadable + too_large,
        records_rejected=rejects.count(SOURCE) - rejected_before,
        notes=notes,
    )


def _split_imports(imports_by_module: dict[str, list], module_path: dict[str, str], inside_modules: set[str],
                   graph_tops: list[str], packages_set: set[str]) -> tuple[list[tuple], list[tuple]]:
    """grimp's imports of the wanted modules as edges between wanted modules
    ``(importer, imported, importer_path, imported_path, line)`` and imports leaving the
    packages ``(importer_path, line, target, top or None)`` (None: a module of the graph's
    packages that is not a wanted module, or does not exist)."""
    internal_edges, external_rows = [], []
    tops = frozenset(graph_tops)
    below_tops = tuple(g + "." for g in graph_tops)
    written: dict[tuple[str, str], str] = {}  # (line text, top) -> target as written
    for importer, (_, imports) in imports_by_module.items():
        if importer not in inside_modules:
            continue
        path = module_path[importer]
        for imported, line, text, _lazy in imports:
            if imported in tops and (missing := _missing_module(text, importer, imported, packages_set, module_path)):
                external_rows.append((path, line, missing, None))  # grimp squashes a missing module into its top package
            elif imported in module_path:
                if imported in inside_modules:
                    internal_edges.append((importer, imported, path, module_path[imported], line))
            elif imported in tops or imported.startswith(below_tops):
                external_rows.append((path, line, imported, None))
            else:
                target = written.get((text, imported))
                if target is None:
                    target = written[(text, imported)] = written_target(text, imported)
                external_rows.append((path, line, target, imported))
    return internal_edges, external_rows


def _unresolved_frame(external_rows: list[tuple], repository: Path, inner: frozenset[str] = frozenset()) -> pd.DataFrame:
    """``unresolved_imports``: one row per distinct (importer_path, line, target), classified."""
    declared = declared_dependencies(repository)
    installed = installed_modules()
    classes: dict[str | None, str] = {None: "unresolved"}
    unique = dict.fromkeys(
        (p, line, target, "python", classes[top] if top in classes else classes.setdefault(top, classify(top, declared, installed, inner)))
        for p, line, target, top in external_rows)
    external = sorted(unique, key=itemgetter(0, 1, 2))  # importer_path, line, target (stable)
    return frames.conform(_columns(external, ["importer_path", "line", "target", "language", "classification"]),
                          "unresolved_imports")


def _columns(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A frame of ``rows`` built column by column (``line`` as int64)."""
    values = list(zip(*rows)) if rows else [()] * len(columns)
    return pd.DataFrame({c: pd.array(list(v), dtype="int64" if c == "line" else "string") for c, v in zip(columns, values)})


def _missing_module(text: str, importer: str, top: str, packages_set: set[str], module_path: dict[str, str]) -> str | None:
    """The module of ``top``'s package an import names when it does not exist (grimp, with
    external packages included, turns it into an import of ``top``), else None."""
    named = named_modules(text, importer, importer in packages_set)
    if not named or top in named:
        return None
    return next((n for n in named if n.startswith(top + ".") and n not in module_path), None)


def _graph_dirs(packages: list[Package]) -> list[tuple[str, Path]]:
    seen: dict[str, Path] = {}
    for p in packages:
        seen.setdefault(p.graph_name, p.directory)
    return sorted(seen.items())


def _rel(path: Path | str, repository: Path) -> str:
    absolute, prefix = os.path.abspath(path), os.path.join(str(repository), "")
    if absolute.startswith(prefix):
        return absolute[len(prefix):].replace(os.sep, "/")
    return Path(absolute).relative_to(repository).as_posix()
