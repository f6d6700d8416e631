"""Layers: a folder holding one sub-folder per context (``graphql/<app>``, ``api/<app>``,
``views/<app>``) is an API or web layer, not a context.

:func:`fold_layers` finds such folders (a name in :data:`LAYER_NAMES`, at least
:data:`MIN_MATCHES` sub-folders named as contexts) and folds each ``<layer>/<context>`` into
that context (the default: a context owns its API), writing the alternative — the layer as a
context of its own with ``role: layer`` — as a comment. What else the layer folder holds (its
schema, shared helpers) becomes a ``role: layer`` context of its own, or, when the layer folder
was already proposed (Django installs ``saleor.graphql`` as an app), that context becomes the
layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.discovery.conventions import Candidate, name_of
from analysis.discovery.tree import RepositoryTree

LAYER_NAMES = frozenset({"graphql", "api", "apis", "rest", "views", "web", "controllers", "handlers", "resolvers", "serializers",
                         "endpoints", "routes", "schema", "schemas", "templates"})
MIN_MATCHES = 2


@dataclass(frozen=True)
class Layer:
    folder: str
    folded: dict[str, str]  # sub-folder -> context


def _variants(name: str) -> set[str]:
    base = name.lower().replace("-", "_")
    return {base, base + "s", base.rstrip("s"), base + "es", base.removesuffix("es")}


def find_layers(tree: RepositoryTree, candidates: list[Candidate]) -> list[Layer]:
    names: dict[str, str] = {}
    for c in candidates:
        for key in (c.name, c.label or "", c.folder.rsplit("/", 1)[-1]):
            for v in _variants(key):
                if v:
                    names.setdefault(v, c.name)
    owned = {c.folder for c in candidates if c.folder}
    layers = []
    for folder in sorted(tree.folders):
        if folder.rsplit("/", 1)[-1].lower() not in LAYER_NAMES:
            continue
        folded = {}
        for child in tree.children(folder):
            key = child.rsplit("/", 1)[-1].lower()
            context = names.get(key)
            if context is not None and child not in owned and not any(child.startswith(o + "/") and o != folder for o in owned
                                                                     if not _is_layer_candidate(o, folder)):
                folded[child] = context
        if len(folded) >= MIN_MATCHES:
            layers.append(Layer(folder, folded))
    return layers


def _is_layer_candidate(owned: str, layer: str) -> bool:
    return owned == layer


def fold_layers(tree: RepositoryTree, candidates: list[Candidate]) -> tuple[list[Candidate], list[Layer]]:
    """The candidates with each layer's per-context folders folded in (module docstring)."""
    layers = find_layers(tree, candidates)
    by_name = {c.name: c for c in candidates}
    out = list(candidates)
    for layer in layers:
        for child, context in layer.folded.items():
            by_name[context].globs.append(f"{child}/**")
            by_name[context].notes.append(f"{child}/ folded in from the {layer.folder}/ layer")
        existing = next((c for c in out if c.folder == layer.folder), None)
        note = (f"{layer.folder}/ is a layer (one folder per context: {len(layer.folded)}); its per-context folders are folded into "
                f"their contexts. The alternative, the layer as one context: paths [\"{layer.folder}/**\"], role: layer, and "
                "remove the folded globs from the contexts")
        if existing is not None:
            existing.role = "layer"
            existing.notes.append(note)
        elif tree.under(layer.folder):
            name = name_of(layer.folder)
            if name in by_name:
                name = f"{name}-layer"
            layer_candidate = Candidate(name=name, folder=layer.folder, convention="layer", evidence=note, role="layer")
            out.append(layer_candidate)
            by_name[name] = layer_candidate
    return out, layers
