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
