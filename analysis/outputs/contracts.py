"""Boundary contracts for "modularize in place": import-linter and tach files, as text.

Inputs (pure): ``context_modules`` — each context's module prefixes (from
:func:`context_module_prefixes`), ``edges_df`` — cross-context edges (source, target, edges,
as from :func:`analysis.measures.coupling.structural.context_edges`) and ``cut`` — the edges to cut
(:func:`analysis.measures.coupling.structural.edges_to_cut`: source, target, edges, evidence).

The contract declares the target structure: the context graph without the edges to cut
is acyclic, and its levelization (:func:`analysis.measures.coupling.structural.levelize`) gives the
layers, highest level on top; contexts on one level are independent (``a | b``). When
every context is one module prefix the import-linter file holds one ``layers`` contract;
otherwise one ``forbidden`` contract per context, forbidding the contexts on its level or
above plus its edges to cut. When no context imports another, one ``independence``
contract. Either way, the current violations are exactly the edges to cut
(:func:`contract_violations`); ``lint-imports`` also reports indirect chains through them.

``tach_toml`` writes tach's ``[[modules]]`` with ``depends_on`` = the dependencies kept.
Nothing here writes a file: the caller does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from analysis.measures.coupling.structural import levelize

VIOLATION_COLUMNS = ["source", "target", "importer_path", "line"]


def context_module_prefixes(modules_by_context: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """The fewest module prefixes covering each context's modules and no other context's.

    A module is replaced by its highest ancestor package whose known descendants all lie
    in the same context; a package module whose descendants lie in other contexts is left
    out (a prefix always takes its descendants along). Contexts sorted, prefixes sorted.
    """
    owner = {m: c for c, mods in modules_by_context.items() for m in mods}
    ancestors_ok: dict[str, bool] = {}
    for module, context in owner.items():
        parts = module.split(".")
        for n in range(1, len(parts)):
            prefix = ".".join(parts[:n])
            ancestors_ok[prefix] = ancestors_ok.get(prefix, True) and context == owner.get(prefix, context)
    conflicted: dict[str, set[str]] = {}
    for module, context in owner.items():
        parts = module.split(".")
        for n in range(1, len(parts)):
            conflicted.setdefault(".".join(parts[:n]), set()).add(context)
    out: dict[str, list[str]] = {}
    for context, mods in sorted(modules_by_context.items()):
        prefixes = set()
        for module in mods:
            parts = module.split(".")
            best = module
            for n in range(len(parts) - 1, 0, -1):
                prefix = ".".join(parts[:n])
                if conflicted.get(prefix) == {context} and owner.get(prefix, context) == context:
                    best = prefix
                else:
                    break
            prefixes.add(best)
        # a package holding other contexts' modules cannot be a prefix (its descendants would follow)
        prefixes = {p for p in prefixes if conflicted.get(p, {context}) == {context}}
        out[context] = sorted(p for p in prefixes if not any(p.startswith(q + ".") for q in prefixes))
    return out


def target_levels(edges_df: pd.DataFrame, cut: pd.DataFrame, contexts: Iterable[str]) -> dict[str, int]:
    """Level of each context in the context graph without the edges to cut."""
    cut_pairs = set(zip(cut["source"].astype(str), cut["target"].astype(str))) if len(cut) else set()
    kept = edges_df[[(s, t) not in cut_pairs for s, t in zip(edges_df["source"].astype(str), edges_df["target"].astype(str))]]
    lv = levelize(kept, contexts)
    return dict(zip(lv["unit"].astype(str), lv["level"].astype(int)))


def import_linter_contract(context_modules: Mapping[str, Sequence[str]], edges_df: pd.DataFrame, cut: pd.DataFrame,
                           root_packages: Sequence[str], *, name: str = "Seams") -> str:
    """An import-linter configuration (INI, for ``lint-imports --config FILE``)."""
    contexts = sorted(c for c, mods in context_modules.items() if mods)
    levels = target_levels(edges_df, cut, contexts)
    lines = ["[importlinter]", "root_packages =", *[f"    {p}" for p in sorted(root_packages)], ""]
    if len(edges_df) == 0 and len(contexts) > 1:
        lines += [f"[importlinter:contract:{_slug(name)}-independent]", f"name = {name}: contexts are independent",
                  "type = independence", "modules =", *[f"    {m}" for c in contexts for m in context_modules[c]], ""]
        return "\n".join(lines)
    single = all(len(context_modules[c]) == 1 for c in contexts)
    if single and len(set(levels.values())) > 1:
        lines += [f"[importlinter:contract:{_slug(name)}-layers]", f"name = {name}: contexts in layers (levelized, edges to cut removed)",
                  "type = layers", "layers ="]
        for level in sorted(set(levels.values()), reverse=True):
            lines.append("    " + " | ".join(context_modules[c][0] for c in contexts if levels[c] == level))
        lines.append("")
        return "\n".join(lines)
    cut_pairs = set(zip(cut["source"].astype(str), cut["target"].astype(str))) if len(cut) else set()
    for c in contexts:
        forbidden = [d for d in contexts if d != c and (levels[d] >= levels[c] or (c, d) in cut_pairs)]
        if not forbidden:
            continue
        lines += [f"[importlinter:contract:{_slug(name)}-{_slug(c)}]", f"name = {name}: {c} depends only on lower levels",
                  "type = forbidden", "source_modules =", *[f"    {m}" for m in context_modules[c]],
                  "forbidden_modules =", *[f"    {m}" for d in forbidden for m in context_modules[d]], ""]
    return "\n".join(lines)


def tach_toml(context_modules: Mapping[str, Sequence[str]], edges_df: pd.DataFrame, cut: pd.DataFrame,
              source_roots: Sequence[str] = (".",)) -> str:
    """A ``tach.toml``: one module per context prefix, ``depends_on`` the dependencies kept."""
    cut_pairs = set(zip(cut["source"].astype(str), cut["target"].astype(str))) if len(cut) else set()
    kept = {(s, t) for s, t in zip(edges_df["source"].astype(str), edges_df["target"].astype(str)) if (s, t) not in cut_pairs}
    out = [f"source_roots = [{', '.join(_q(r) for r in source_roots)}]", "exact = false", ""]
    for c in sorted(context_modules):
        siblings = list(context_modules[c])
        deps = sorted({m for s, t in kept if s == c for m in context_modules.get(t, ())})
        for prefix in siblings:
            depends = [m for m in siblings if m != prefix] + deps
            out += ["[[modules]]", f"path = {_q(prefix)}", f"depends_on = [{', '.join(_q(d) for d in depends)}]", ""]
    return "\n".join(out)


def contract_violations(cut: pd.DataFrame) -> pd.DataFrame:
    """The current violations: one row per import line of an edge to cut (source, target,
    importer_path, line), sorted."""
    rows = []
    for s, t, evidence in zip(cut["source"], cut["target"], cut["evidence"]):
        for item in evidence:
            path, _, line = str(item).rpartition(":")
            rows.append((str(s), str(t), path, int(line)))
    out = pd.DataFrame(sorted(rows), columns=VIOLATION_COLUMNS)
    return out.astype({"source": "string", "target": "string", "importer_path": "string", "line": "int64"})


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-") or "contract"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------------------
# the same boundaries as seams check, with its baseline


def gate_forbidden(context_modules: Mapping[str, Sequence[str]], allowed: Mapping[str, Sequence[str]],
                   entries: Iterable) -> dict[str, list[str]]:
    """What each context may not import, as ``seams check`` sees it: every context with
    modules that its allowed dependencies (declared, or as measured at the baseline) leave
    out, and the allowed ones whose edge the baseline lists as part of a cycle. ``entries``
    are the baseline's (:class:`analysis.decisions.gate.Entry`)."""
    with_modules = sorted(c for c, mods in context_modules.items() if mods)
    cyclic: dict[str, set[str]] = {}
    for e in entries:
        if e.rule == "cycle" and e.target:
            cyclic.setdefault(e.source, set()).add(e.target)
    out = {}
    for c in with_modules:
        may = set(allowed.get(c, ())) - cyclic.get(c, set())
        out[c] = [d for d in with_modules if d != c and d not in may]
    return out


def gate_ignore_imports(entries: Iterable) -> dict[str, list[str]]:
    """The baseline's import and cycle entries as import-linter ``ignore_imports`` lines
    (``importer -> imported``), per importing context, sorted."""
    out: dict[str, set[str]] = {}
    for e in entries:
        if e.rule in ("import", "cycle"):
            out.setdefault(e.source, set()).add(e.subject)
    return {c: sorted(lines) for c, lines in sorted(out.items())}


def gate_import_linter_contract(context_modules: Mapping[str, Sequence[str]], forbidden: Mapping[str, Sequence[str]],
                                ignore_imports: Mapping[str, Sequence[str]], root_packages: Sequence[str], *,
                                name: str = "Seams") -> str:
    """An import-linter configuration that holds today exactly when ``seams check`` passes
    against its baseline: one ``forbidden`` contract per context (direct imports only, as the
    gate checks), the baseline's imports as ``ignore_imports`` (an entry fixed since only
    warns, as a stale baseline entry does)."""
    lines = ["[importlinter]", "root_packages =", *[f"    {p}" for p in sorted(root_packages)], ""]
    for c in sorted(forbidden):
        targets = [m for d in forbidden[c] for m in context_modules.get(d, ())]
        if not targets or not context_modules.get(c):
            continue
        lines += [f"[importlinter:contract:{_slug(name)}-boundary-{_slug(c)}]",
                  f"name = {name}: {c} imports only the contexts it may (seams check)", "type = forbidden",
                  "source_modules =", *[f"    {m}" for m in context_modules[c]],
                  "forbidden_modules =", *[f"    {m}" for m in targets]]
        ignored = ignore_imports.get(c, ())
        if ignored:
            lines += ["ignore_imports =", *[f"    {i}" for i in ignored]]
        lines += ["allow_indirect_imports = true", "unmatched_ignore_imports_alerting = warn", ""]
    return "\n".join(lines)


def gate_tach_toml(context_modules: Mapping[str, Sequence[str]], forbidden: Mapping[str, Sequence[str]],
                   ignore_imports: Mapping[str, Sequence[str]], source_roots: Sequence[str] = (".",)) -> str:
    """A ``tach.toml`` with the same boundaries: each context's modules depend on the
    contexts it may import; a forbidden context that the baseline still lets it import is a
    *deprecated* dependency (tach shows its uses without failing). tach sees dependencies,
    not single imports: a new import along a deprecated dependency passes tach and fails
    ``seams check``."""
    contexts = sorted(c for c, mods in context_modules.items() if mods)
    baselined: dict[str, set[str]] = {}
    for c, lines in ignore_imports.items():
        for line in lines:
            imported = line.split(" -> ", 1)[1]
            owner = next((d for d in contexts if any(imported == m or imported.startswith(m + ".") for m in context_modules[d])), None)
            if owner is not None:
                baselined.setdefault(c, set()).add(owner)
    out = [f"source_roots = [{', '.join(_q(r) for r in source_roots)}]", "exact = false", ""]
    for c in contexts:
        may = [d for d in contexts if d != c and d not in set(forbidden.get(c, ()))]
        deprecated = sorted(baselined.get(c, set()) & set(forbidden.get(c, ())))
        siblings = list(context_modules[c])
        for prefix in siblings:
            plain = [m for m in siblings if m != prefix] + [m for d in may for m in context_modules[d]]
            old = [m for d in deprecated for m in context_modules[d]]
            items = [_q(m) for m in plain] + [f"{{ path = {_q(m)}, deprecated = true }}" for m in old]
            out += ["[[modules]]", f"path = {_q(prefix)}", f"depends_on = [{', '.join(items)}]", ""]
    return "\n".join(out)
