"""``seams init``: propose the context map of a repository from its own conventions.

``propose(repository, *, config_dir, sql=(), traces=()) -> Proposal``, as steps:

1. read the files at ``HEAD`` and one pass of the history (:mod:`analysis.discovery.tree`);
2. contexts from the conventions (:mod:`analysis.discovery.conventions`), the first detector
   that finds any wins each folder: Django apps, Rails packs/engines/namespaces, Java/Kotlin
   sub-packages, Go ``internal/`` and ``cmd/``, JS/TS workspaces; Python packages of the main
   package only when none of these found anything;
3. layers folded into their contexts (:mod:`analysis.discovery.layers`);
4. what is left of the main Python package (settings, urls, the project's own modules) becomes
   a ``project`` context with ``role: shared`` when it holds code (a Django project package is
   the application's wiring, owned by no domain);
5. old folder names from renames (:mod:`analysis.discovery.renames`);
6. default ignores (:mod:`analysis.discovery.ignores`);
7. shared kernels from the imports (:mod:`analysis.discovery.roles`);
8. tables, route prefixes, CODEOWNERS and the formats of the logs given (:mod:`analysis.discovery.enrich`):
   the entry point inventory and the ORM models are read in a forked process while the main one
   detects, and git's log runs meanwhile in a thread;
9. coverage of files at ``HEAD`` and of historical changes, and the top unassigned prefixes
   (:mod:`analysis.discovery.coverage`).

The text (:mod:`analysis.discovery.writer`) is a ``seams.yml`` that :func:`analysis.core.config.parse_config`
accepts as it is; every choice is commented with its evidence.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from analysis.core.config import ContextSpec, SpanRules
from analysis.discovery import coverage as cover
from analysis.discovery import enrich, ignores, layers, renames, roles
from analysis.discovery.conventions import Candidate, django, golang, javascript, jvm, python, rails
from analysis.discovery.tree import RepositoryTree

#: (convention, detector) in the order they are trusted
DETECTORS = (("django", django.detect), ("rails", rails.detect), ("jvm", jvm.detect), ("go", golang.detect),
             ("javascript", javascript.detect))


@dataclass
class Proposal:
    repository: Path
    candidates: list[Candidate]
    conventions: list[str]
    layers: list[layers.Layer]
    old_names: list[renames.OldName]
    ignores: list[tuple[str, str, bool, int]]
    tables: dict[str, list[str]]
    routes: dict[str, list[str]]
    owners: dict[str, list[str]]
    codeowners_file: str | None
    sources: dict[str, list[dict]]
    main_package: str | None
    coverage: cover.Coverage | None = None
    history_error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def specs(self) -> tuple[ContextSpec, ...]:
        return tuple(ContextSpec(c.name, tuple(c.paths), tuple(self.tables.get(c.name, ())),
                                 SpanRules(routes=tuple(self.routes.get(c.name, ()))), role=c.role) for c in self.candidates)

    @property
    def ignore_patterns(self) -> list[str]:
        return [p for p, _, _, _ in self.ignores]


def detect_contexts(tree: RepositoryTree) -> tuple[list[Candidate], list[str]]:
    """The candidates of the conventions found (step 2), names made unique."""
    chosen: list[Candidate] = []
    used: list[str] = []
    for convention, detector in DETECTORS:
        found = detector(tree)
        taken = [c for c in found if not any(_overlaps(c, o) for o in chosen)]
        if taken:
            used.append(convention)
            chosen += taken
    if not chosen:
        found = python.detect(tree)
        if found:
            used.append("python")
            chosen = found
    seen: dict[str, int] = {}
    for c in chosen:
        if c.name in seen:
            parent = PurePosixPath(c.folder).parent.name if c.folder else c.convention.split()[0].lower()
            c.name = f"{parent}-{c.name}" if parent else f"{c.name}-{seen[c.name] + 1}"
        seen[c.name] = seen.get(c.name, 0) + 1
    return chosen, used


def _overlaps(a: Candidate, b: Candidate) -> bool:
    if not a.folder or not b.folder:
        return False
    return a.folder == b.folder or a.folder.startswith(b.folder + "/") or b.folder.startswith(a.folder + "/")


def project_context(tree: RepositoryTree, candidates: list[Candidate], package: str | None) -> Candidate | None:
    """The rest of the main package (step 4), when it holds Python code no context claims."""
    if not package or not any(c.convention == "Django app" for c in candidates):
        return None
    claimed = [c.folder for c in candidates if c.folder]
    rest = [f for f in tree.under(package) if f.endswith(".py") and not any(f.startswith(c + "/") for c in claimed)
            and "/tests/" not in f"/{f}"]
    if not rest:
        return None
    names = {c.name for c in candidates}
    name = "project" if "project" not in names else f"{PurePosixPath(package).name}-project"
    return Candidate(name=name, folder=package, convention="project package",
                     evidence=f"{len(rest)} Python files of {package}/ that no app holds (settings, urls, the project's wiring)",
                     role="shared")


def _route_reader() -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork" if "fork" in methods else methods[0]))


def propose(repository: str | os.PathLike, *, sql: tuple[Path, ...] = (), traces: tuple[Path, ...] = (),
            read_routes: bool = True) -> Proposal:
    """Every step of the module docstring; ``read_routes=False`` skips the entry point
    inventory (the slowest step on large repositories) and reads the ORM models in this process."""
    clock: dict[str, float] = {}
    start = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal start
        now = time.perf_counter()
        clock[name] = now - start
        start = now

    tree = RepositoryTree.read(Path(repository))
    # the entry point inventory (pure Python, the slowest step) runs in a process of its own,
    # forked before the history thread starts; git's log runs meanwhile as its own process
    pool = _route_reader() if read_routes else None
    routes_read = pool.submit(enrich.entry_points, tree.root) if pool is not None else None
    # the ORM models are read there too, after the routes (the code that is not the team's left out, as at HEAD)
    head_excludes = [p for p, _, code, _ in ignores.proposed_ignores(tree.files) if code]
    tables_read = pool.submit(enrich.orm_tables, tree.root, head_excludes) if pool is not None else None
    tree.start_history()
    lap("files")
    candidates, used = detect_contexts(tree)
    package = python.main_package(tree)
    lap("conventions")
    candidates, found_layers = layers.fold_layers(tree, candidates)
    project = project_context(tree, candidates, package)
    if project is not None:
        candidates.append(project)
    changes = tree.changes
    lap("history")
    old = renames.old_names(changes, candidates, tree.folders)
    renames.fold_old_names(candidates, old)
    lap("renames")
    paths_seen = list(dict.fromkeys([*tree.files, *changes["path"].dropna().astype(str)]))
    ignored = ignores.proposed_ignores(paths_seen)
    lap("ignores")
    specs = tuple(ContextSpec(c.name, tuple(c.paths)) for c in candidates)
    from analysis.mapping.contexts import ContextMap

    cmap = ContextMap(specs)
    patterns = [p for p, _, _, _ in ignored]

    def context_of(path: str) -> str | None:
        return None if ignores.is_ignored(path, patterns) else cmap.context_of_path(path)

    edges = roles.context_imports(tree, context_of)
    for name in roles.shared_contexts(edges, [c.name for c in candidates if c.role == "domain"]):
        for c in candidates:
            if c.name == name:
                c.role = "shared"
                c.notes.append("imported by most other contexts and importing almost none of them: a shared kernel")
    lap("roles")
    models = tables_read.result() if tables_read is not None else enrich.orm_tables(tree.root, [p for p, _, code, _ in ignored if code])
    tables = enrich.tables_per_context(models, cmap.context_of_path)
    lap("tables")
    routes = {}
    if routes_read is not None and pool is not None:
        routes = enrich.route_rules(routes_read.result(), cmap.context_of_path)
        pool.shutdown()
    lap("routes")
    owners_file, rules = enrich.codeowners(tree)
    owners = {c.name: enrich.owners_of(c.folder or (c.paths[0].split("*")[0].rstrip("/")), rules) for c in candidates} if rules else {}
    sources = {"sql": [{"path": p, **enrich.sql_source(Path(p))} for p in sql],
               "traces": [{"path": p, **enrich.trace_source(Path(p))} for p in traces]}
    proposal = Proposal(repository=Path(repository), candidates=candidates, conventions=used, layers=found_layers, old_names=old,
                        ignores=ignored, tables=tables, routes=routes, owners={k: v for k, v in owners.items() if v},
                        codeowners_file=owners_file, sources=sources, main_package=package, history_error=tree.history_error)
    proposal.coverage = cover.coverage(proposal.specs(), tree.files, changes["path"] if len(changes) else pd.Series([], dtype="string"),
                                       patterns)
    lap("coverage")
    proposal.seconds = clock
    return proposal
