"""Python imports: which module of the repository imports which, and on which line.

Entry point: :func:`mine_imports` returns two frames (contracts in :mod:`analysis.frames`):

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
(:mod:`.external`).

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
:class:`~analysis.errors.SourceError` with a clear message.

Parse cache: pass ``cache_dir`` (``mining`` passes ``config.cache_dir / "imports" /
"parse"``); see :mod:`.graph`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import frames
from analysis.config import ImportsSource
from analysis.errors import SourceError
from analysis.frames import SourceFrames
from analysis.rejects import Rejects

from .dynamic import dynamic_edges, entry_point_edges, entry_point_refs, resolve_module
from .external import classify, declared_dependencies, installed_modules, written_target
from .graph import Build, ParseCache, build_import_graph, file_facts_cached, unreadable_module
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
    """
    repository = Path(source.repository)
    if not repository.is_dir():
        raise SourceError(SOURCE, f"{repository} does not exist or is not a directory")
    repository = repository.resolve()
    if source.languages and "python" not in source.languages:
        raise SourceError(SOURCE, f"languages {list(source.languages)} do not include python")
    rejected_before = rejects.count(SOURCE)
    packages, notes = locate_packages(repository, source.packages)
    cache = ParseCache.open(Path(cache_dir) if cache_dir is not None else None)
    build = build_import_graph(packages, repository, rejects, cache=cache, exclude_paths=source.exclude_paths,
                               max_file_bytes=source.max_file_bytes)
    for pf in build.listed:
        for path, size in pf.too_large:
            rejects.add(SOURCE, f"{_rel(path, repository)}:0", f"too large: {size} bytes > max_file_bytes")
    wanted = [p.name for p in packages]

    def inside(module: str) -> bool:
        return any(module == w or module.startswith(w + ".") for w in wanted)

    module_path = {m: _rel(p, repository) for m, p in build.module_files.items()}
    namespaces = {n for pf in build.listed for n in pf.namespaces}
    for pf, (name, directory) in zip(build.listed, _graph_dirs(packages)):
        for n in pf.namespaces:
            module_path.setdefault(n, _rel(directory.joinpath(*n.split(".")[len(name.split(".")):]), repository))
    packages_set = {m for m, p in module_path.items() if p.endswith("__init__.py")} | namespaces

    facts = file_facts_cached(cache, build.sources, build.hashes, build.pending_facts)
    cache.save(build.imports_by_module)

    internal_rows, external_rows = [], []
    graph_tops = [p.graph_name for p in packages]
    for importer, (_, imports) in build.imports_by_module.items():
        if not inside(importer):
            continue
        path = module_path[importer]
        kinds = facts.get(importer, {}).get("kinds", {})
        for imported, line, text, _lazy in imports:
            if imported in module_path:
                if inside(imported):
                    internal_rows.append((importer, imported, path, module_path[imported], line, kinds.get(str(line), "static")))
            elif not any(imported == g or imported.startswith(g + ".") for g in graph_tops):
                external_rows.append((path, line, written_target(text, imported), imported))
            else:
                external_rows.append((path, line, imported, None))

    dynamic = dynamic_edges(facts, module_path, packages_set)
    dynamic = pd.concat([dynamic, entry_point_edges(entry_point_refs(repository), frozenset(module_path))], ignore_index=True)
    dynamic = dynamic[dynamic["imported"].map(inside) & dynamic["importer"].map(lambda m: inside(m) or m not in module_path)]
    rows = pd.DataFrame(internal_rows, columns=["importer", "imported", "importer_path", "imported_path", "line", "kind"])
    if len(dynamic):
        rows = pd.concat([rows, dynamic.assign(imported_path=dynamic["imported"].map(module_path), kind="dynamic")
                          [rows.columns]], ignore_index=True)
    rows = rows.sort_values(["importer_path", "line", "imported", "kind"], kind="stable")
    imports = frames.conform(rows, "imports")

    declared = declared_dependencies(repository)
    installed = installed_modules()
    unresolved = pd.DataFrame(
        [(p, line, target, "python", "unresolved" if top is None else classify(top, declared, installed))
         for p, line, target, top in external_rows],
        columns=["importer_path", "line", "target", "language", "classification"]).drop_duplicates()
    unresolved = frames.conform(unresolved.sort_values(["importer_path", "line", "target"], kind="stable"), "unresolved_imports")

    modules = sum(1 for m in build.module_files if inside(m))
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
    return SourceFrames(
        frames={"imports": imports, "unresolved_imports": unresolved},
        records_read=modules + unreadable + too_large,
        records_rejected=rejects.count(SOURCE) - rejected_before,
        notes=notes,
    )


def _graph_dirs(packages: list[Package]) -> list[tuple[str, Path]]:
    seen: dict[str, Path] = {}
    for p in packages:
        seen.setdefault(p.graph_name, p.directory)
    return sorted(seen.items())


def _rel(path: Path, repository: Path) -> str:
    import os

    absolute, prefix = os.path.abspath(path), os.path.join(str(repository), "")
    if absolute.startswith(prefix):
        return absolute[len(prefix):].replace(os.sep, "/")
    return Path(absolute).relative_to(repository).as_posix()
