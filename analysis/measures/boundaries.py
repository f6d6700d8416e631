"""Boundary violations: what ``seams check`` gates on, each with its evidence.

``measure_boundaries(config, mined, units, structure_status, data, *, baseline_dependencies=None)
-> BoundaryEvidence``. Four rules, each a row kind of ``violations``:

- ``import`` — a cross-context import its context may not make: a context that declares
  ``depends_on`` may import those contexts (and any ``role: shared`` kernel); one that does
  not may import what it imported at the baseline (``baseline_dependencies``: context ->
  contexts; a context missing from it, or no baseline at all, may import what it imports
  now). One row per importer module and imported module, ``count`` = its distinct import
  lines, ``evidence`` = every ``path:line``.
- ``cycle`` — an import along a context edge that lies on a cycle of the *allowed* context
  graph (the cross-context edges present now that the ``import`` rule lets through; edges
  into a shared kernel never count, the kernel's edges out of it do). Same rows as
  ``import``.
- ``write_shared_table`` — a table written by more than one context (SQL log, or the traces'
  database spans): one row per writing context other than the table's declared owner
  (``target``; ``<NA>`` when no context declares it), ``count`` 1.
- ``cross_context_join`` — a statement joining tables owned by two contexts (SQL log only):
  one row per fingerprint and pair of tables, ``source`` / ``target`` the tables' owners,
  ``count`` 1.

Columns of ``violations``: rule, source, target, subject (the import as
``importer -> imported``, the table, or ``fingerprint: table_a JOIN table_b``), count, path
(the importing file; ``<NA>`` for data rules), evidence (list of texts: ``path:line`` of each
import, or the writers, or the issuing contexts). Sorted by rule (in :data:`RULES` order),
source, target, subject. The key of a violation is (rule, source, target, subject): line
numbers are evidence, never part of the key, so a line moving does not make a violation new.

``rules``: the state of each rule's evidence — ``import`` and ``cycle`` follow the import
graph (``structure_status``: :func:`analysis.measures.structure.structure_status`), ``write_shared_table`` the observed data coupling,
``cross_context_join`` the SQL log. A rule whose source was not given is *not measured*: it
finds nothing, and that is not zero violations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import groupby

import networkx as nx
import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import Status
from analysis.core.frames import Mined, typed_empty
from analysis.mapping.contexts import namespace_of_glob
from analysis.mapping.units import Units
from analysis.measures.data import DataEvidence

RULES = ("import", "cycle", "write_shared_table", "cross_context_join")
VIOLATION_COLUMNS = {"rule": "string", "source": "string", "target": "string", "subject": "string", "count": "int64",
                     "path": "string", "evidence": "object"}
#: the columns of :func:`module_imports`
MODULE_IMPORT_COLUMNS = {"source": "string", "target": "string", "importer": "string", "imported": "string",
                         "path": "string", "count": "int64", "evidence": "object"}


@dataclass(frozen=True)
class BoundaryEvidence:
    rules: dict[str, Status]
    violations: pd.DataFrame
    #: every context's cross-context dependencies measured now (context -> sorted targets)
    dependencies: dict[str, list[str]]
    #: what each context may import: declared (``depends_on``) or as measured at the baseline
    allowed: dict[str, list[str]]
    #: the contexts that declare ``depends_on``
    declared: tuple[str, ...]
    #: contexts the baseline does not know (their dependencies are taken as measured now)
    unknown_to_baseline: tuple[str, ...] = ()
    #: the Python modules of each context seen in the import graph (for the contracts)
    modules: dict[str, list[str]] = field(default_factory=dict)
    #: cross-context imports per module pair (:func:`module_imports`) and the data rules' rows
    module_imports: pd.DataFrame = field(default_factory=lambda: typed_empty(MODULE_IMPORT_COLUMNS))
    data_violations: pd.DataFrame = field(default_factory=lambda: typed_empty(VIOLATION_COLUMNS))
    shared: tuple[str, ...] = ()

    def counts(self) -> dict[str, int | None]:
        """Violations per rule; None for a rule that was not measured (never 0 for it)."""
        by_rule = self.violations["rule"].value_counts()
        return {rule: (int(by_rule.get(rule, 0)) if self.rules[rule].state.value != "not measured" else None) for rule in RULES}

    def with_baseline(self, baseline_dependencies: Mapping[str, Iterable[str]] | None) -> BoundaryEvidence:
        """The same measurements judged against other baseline dependencies (no mining again)."""
        declared = {c: set(self.allowed[c]) - set(self.shared) for c in self.declared}
        return _judge(self.rules, self.module_imports, self.data_violations, self.dependencies, declared,
                      set(self.shared), baseline_dependencies, self.modules)


def measure_boundaries(config: Config, mined: Mined, units: Units, structure_status: Status, data: DataEvidence,
                       *, joins_status: Status | None = None,
                       baseline_dependencies: Mapping[str, Iterable[str]] | None = None) -> BoundaryEvidence:
    """The boundary violations of one run (see the module docstring)."""
    imports = mined["imports"]
    modules = module_imports(imports, units.importer_context, units.imported_context)
    dependencies = measured_dependencies(modules, units.names)
    shared = {c.name for c in config.contexts if c.role == "shared"}
    declared = {c.name: set(c.depends_on) for c in config.contexts if c.depends_on is not None}
    joins_status = joins_status or (data.status if data.origin == "sql log" else
                                    Status.not_measured("joins need a SQL log (sources.sql)"))
    rules = {"import": structure_status, "cycle": structure_status, "write_shared_table": data.status,
             "cross_context_join": joins_status}
    data_rows = []
    if rules["write_shared_table"].state.value != "not measured":
        data_rows.append(write_shared_violations(data.write_shared_tables))
    if rules["cross_context_join"].state.value != "not measured":
        data_rows.append(join_violations(data.cross_context_joins))
    data_frame = _sorted(pd.concat([f for f in data_rows if len(f)], ignore_index=True)) if any(len(f) for f in data_rows) \
        else typed_empty(VIOLATION_COLUMNS)
    python = python_modules(imports, units.importer_context, units.imported_context)
    return _judge(rules, modules, data_frame, dependencies, declared, shared, baseline_dependencies,
                  {**glob_modules(config, python), **python})


def glob_modules(config: Config, seen: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """For contexts whose modules the import graph does not show (no import in or out),
    the packages their path globs name (``shop/catalog/**`` -> ``shop.catalog``), when the
    package lies under a top-level package the graph does show."""
    roots = {m.split(".")[0] for mods in seen.values() for m in mods}
    out = {}
    for spec in config.contexts:
        names = sorted({n for g in spec.paths if (n := namespace_of_glob(g)) and n.split(".")[0] in roots})
        if names:
            out[spec.name] = names
    return out


def _judge(rules: dict[str, Status], modules: pd.DataFrame, data_rows: pd.DataFrame, dependencies: dict[str, list[str]],
           declared: Mapping[str, set[str]], shared: set[str], baseline: Mapping[str, Iterable[str]] | None,
           python: dict[str, list[str]]) -> BoundaryEvidence:
    allowed, unknown = allowed_dependencies(list(dependencies), dependencies, declared, shared, baseline)
    imports = import_violations(modules, allowed, shared)
    violations = _sorted(pd.concat([f for f in (imports, data_rows) if len(f)], ignore_index=True)) if len(imports) or len(data_rows) \
        else typed_empty(VIOLATION_COLUMNS)
    return BoundaryEvidence(rules=rules, violations=violations, dependencies=dependencies,
                            allowed={c: sorted(v) for c, v in allowed.items()}, declared=tuple(sorted(declared)),
                            unknown_to_baseline=tuple(sorted(unknown)), modules=python, module_imports=modules,
                            data_violations=data_rows, shared=tuple(sorted(shared)))


def python_modules(imports: pd.DataFrame, importer_context: pd.Series, imported_context: pd.Series) -> dict[str, list[str]]:
    """Each context's Python modules seen at either end of an import row (sorted)."""
    found: dict[str, set[str]] = {}
    for module_col, path_col, context in (("importer", "importer_path", importer_context), ("imported", "imported_path", imported_context)):
        python = imports[path_col].astype(str).str.endswith(".py").to_numpy(dtype=bool)
        ctx = pd.Series(context.to_numpy(dtype=object))[python]
        for module, c in zip(imports.loc[python, module_col].astype(str), ctx):
            if c is not None and not pd.isna(c):
                found.setdefault(str(c), set()).add(module)
    return {c: sorted(m) for c, m in sorted(found.items())}


def module_imports(imports: pd.DataFrame, importer_context: pd.Series, imported_context: pd.Series) -> pd.DataFrame:
    """Import rows between two assigned, different contexts, per importer and imported module:
    source, target, importer, imported, path (the importing file), count (distinct import
    lines), evidence (``path:line``, sorted). Sorted by source, target, importer, imported."""
    src = pd.Series(importer_context.to_numpy(dtype=object), index=imports.index).astype("string")
    dst = pd.Series(imported_context.to_numpy(dtype=object), index=imports.index).astype("string")
    keep = (src.notna() & dst.notna() & (src != dst)).fillna(False).to_numpy(dtype=bool)
    if not keep.any():
        return typed_empty(MODULE_IMPORT_COLUMNS)
    rows = sorted(zip(src[keep].astype(str), dst[keep].astype(str), imports.loc[keep, "importer"].astype(str),
                      imports.loc[keep, "imported"].astype(str), imports.loc[keep, "importer_path"].astype(str),
                      imports.loc[keep, "line"].astype("int64").tolist()))
    out = []
    for key, group in groupby(rows, key=lambda r: r[:4]):
        located = sorted({(r[4], r[5]) for r in group})
        out.append((*key, located[0][0], len(located), [f"{p}:{n}" for p, n in located]))
    return pd.DataFrame(out, columns=list(MODULE_IMPORT_COLUMNS)).astype(
        {k: v for k, v in MODULE_IMPORT_COLUMNS.items() if v != "object"})


def measured_dependencies(modules: pd.DataFrame, contexts: Iterable[str]) -> dict[str, list[str]]:
    """Every context's cross-context dependencies (sorted), ``[]`` for one importing none."""
    deps: dict[str, set[str]] = {str(c): set() for c in contexts}
    for source, target in zip(modules["source"].astype(str), modules["target"].astype(str)):
        deps.setdefault(source, set()).add(target)
    return {c: sorted(t) for c, t in sorted(deps.items())}


def allowed_dependencies(contexts: Iterable[str], measured: Mapping[str, list[str]], declared: Mapping[str, set[str]],
                         shared: set[str], baseline: Mapping[str, Iterable[str]] | None) -> tuple[dict[str, set[str]], list[str]]:
    """What each context may import, and the contexts the baseline does not know.

    Declared ``depends_on`` first; else the baseline's measured dependencies; else (no
    baseline, or a context it does not know) what the context imports now. Shared kernels
    are allowed to every context."""
    allowed: dict[str, set[str]] = {}
    unknown = []
    for context in contexts:
        if context in declared:
            allowed[context] = set(declared[context])
        elif baseline is not None and context in baseline:
            allowed[context] = set(baseline[context])
        else:
            allowed[context] = set(measured.get(context, []))
            if baseline is not None:
                unknown.append(context)
        allowed[context] |= shared - {context}
    return allowed, unknown


def import_violations(modules: pd.DataFrame, allowed: Mapping[str, set[str]], shared: set[str]) -> pd.DataFrame:
    """``import`` rows (edges not allowed) and ``cycle`` rows (allowed edges on a cycle of the
    allowed graph, edges into a shared kernel excepted)."""
    if modules.empty:
        return typed_empty(VIOLATION_COLUMNS)
    permitted = [t in allowed.get(s, set()) for s, t in zip(modules["source"], modules["target"])]
    graph = nx.DiGraph()
    graph.add_edges_from({(s, t) for s, t, ok in zip(modules["source"], modules["target"], permitted) if ok})
    component = {n: i for i, members in enumerate(nx.strongly_connected_components(graph)) if len(members) > 1 for n in members}
    rules: list[str | None] = []
    for source, target, ok in zip(modules["source"], modules["target"], permitted):
        if not ok:
            rules.append("import")
        elif target not in shared and source in component and component.get(target) == component[source]:
            rules.append("cycle")
        else:
            rules.append(None)
    out = modules.assign(rule=rules)
    out = out[out["rule"].notna()]
    return pd.DataFrame({"rule": out["rule"], "source": out["source"], "target": out["target"],
                         "subject": out["importer"] + " -> " + out["imported"], "count": out["count"], "path": out["path"],
                         "evidence": out["evidence"]}).astype({k: v for k, v in VIOLATION_COLUMNS.items() if v != "object"})


def write_shared_violations(write_shared: pd.DataFrame) -> pd.DataFrame:
    """One row per writer of a write-shared table other than its declared owner."""
    rows = []
    for table, owner, writers in zip(write_shared["table"], write_shared["owner"], write_shared["writers"]):
        owner = None if pd.isna(owner) else str(owner)
        listed = ", ".join(writers)
        for writer in writers:
            if writer != owner:
                rows.append(("write_shared_table", writer, owner, str(table), 1, None,
                             [f"written by {listed}" + (f" (owner {owner})" if owner else " (no context declares it)")]))
    return _frame(rows)


def join_violations(joins: pd.DataFrame) -> pd.DataFrame:
    """One row per cross-context join (fingerprint and pair of tables)."""
    rows = [("cross_context_join", str(ca), str(cb), f"{fp}: {ta} JOIN {tb}", 1, None,
             [f"issued by {', '.join(issued) or 'no attributed context'}"])
            for fp, ta, ca, tb, cb, issued in zip(joins["fingerprint"], joins["table_a"], joins["context_a"], joins["table_b"],
                                                  joins["context_b"], joins["issued_by"])]
    return _frame(sorted(set((r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6])) for r in rows)))


def _frame(rows: list[tuple]) -> pd.DataFrame:
    if not rows:
        return typed_empty(VIOLATION_COLUMNS)
    frame = pd.DataFrame([(*r[:6], list(r[6])) for r in rows], columns=list(VIOLATION_COLUMNS))
    return frame.astype({k: v for k, v in VIOLATION_COLUMNS.items() if v != "object"})


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return typed_empty(VIOLATION_COLUMNS)
    order = frame["rule"].map(RULES.index)
    out = frame.assign(_order=order, _target=frame["target"].fillna(""))
    out = out.sort_values(["_order", "source", "_target", "subject"], kind="stable").drop(columns=["_order", "_target"])
    return out.reset_index(drop=True)
