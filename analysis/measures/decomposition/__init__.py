"""The inferred decomposition: whether a better partition than the declared map exists.

``measure_decomposition(config, mined, units) -> DecompositionEvidence``: the unit graph of every
signal given (:mod:`.graph`), candidate partitions from a seeded Leiden resolution sweep
(:mod:`.partition`), the metrics of each and of the declared map (:mod:`.metrics`), MoJoFM of
each candidate against the declared map (:mod:`.mojo`), and the difference in words
(:mod:`.difference`). Inference works from whatever evidence is given (imports, history, SQL
through the ORM models and traces, traces alone); ``signals`` says which it used.

``partitions`` (one row per unit and partition: partition, resolution, unit_kind, unit, part)
is what ``partitions.csv`` holds; ``metrics`` one row per partition (the declared map first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import Status
from analysis.core.frames import Mined
from analysis.mapping.units import Units
from analysis.measures.decomposition import difference, metrics, mojo, partition
from analysis.measures.decomposition.graph import UnitGraph, build_unit_graph, stored_traffic

DECLARED = "declared"
PARTITION_COLUMNS = ["partition", "resolution", "unit_kind", "unit", "part"]


@dataclass(frozen=True)
class DecompositionEvidence:
    status: Status
    graph: UnitGraph
    declared: dict[str, str]  # unit -> declared context (placed units only)
    candidates: dict[str, dict[str, str]]  # candidate name -> unit -> part name
    resolutions: dict[str, float]
    metrics: pd.DataFrame  # partition, resolution, parts, units, modularity, sm, icp, ifn, ned, mq, bcp, ..., mojofm_vs_declared
    partitions: pd.DataFrame  # PARTITION_COLUMNS
    pulled: pd.DataFrame
    looks_like_two: pd.DataFrame
    looks_like_one: pd.DataFrame
    better: dict = field(default_factory=dict)  # whether a better partition exists, and the figures

    @property
    def signals(self) -> list[str]:
        return sorted(self.graph.signals)


def declared_parts(graph: UnitGraph, units: Units) -> dict[str, str]:
    """unit -> declared context: path units by the context map's globs; namespace units by the
    context most of their spans were given."""
    out: dict[str, str] = {}
    with_path = graph.units.dropna(subset=["path"])
    if len(with_path):
        contexts = units.context_map.assign_paths(with_path["path"].astype("string"))
        out.update({u: c for u, c in zip(with_path["unit"], contexts) if isinstance(c, str)})
    return out


def namespace_parts(graph: UnitGraph) -> dict[str, str]:
    """namespace unit -> the context most of its spans were given (traces alone)."""
    names = set(graph.units.loc[graph.units["kind"] == "namespace", "unit"])
    frame = graph.namespaces
    if not names or not len(frame):
        return {}
    frame = frame[frame["code_namespace"].isin(names)]
    if not len(frame):
        return {}
    top = (frame.groupby(["code_namespace", "context"])["spans"].sum().rename("n").reset_index()
           .sort_values(["code_namespace", "n", "context"], ascending=[True, False, True]).drop_duplicates("code_namespace"))
    return dict(zip(top["code_namespace"], top["context"]))


def partitions_frame(graph: UnitGraph, partitions: Mapping[str, Mapping[str, str]], resolutions: Mapping[str, float | None]) -> pd.DataFrame:
    kind = dict(zip(graph.units["unit"], graph.units["kind"]))
    rows = [(name, resolutions.get(name), kind.get(u, "module"), u, p) for name, parts in partitions.items() for u, p in sorted(parts.items())]
    return pd.DataFrame(rows, columns=PARTITION_COLUMNS)


def better_partition(table: pd.DataFrame, min_gain: float) -> dict:
    """Whether a candidate's modularity beats the declared map's by ``min_gain`` with an ICP no
    worse: the best such candidate and its figures; ``exists`` None when the declared map or the
    candidates cannot be scored."""
    declared = table[table["partition"] == DECLARED]
    others = table[(table["partition"] != DECLARED) & table["modularity"].notna()]
    if not len(declared) or pd.isna(declared["modularity"].iloc[0]) or not len(others):
        return {"exists": None, "reason": "the declared map or the candidates have no edge to be scored on"}
    d = declared.iloc[0]
    best = others.sort_values(["modularity", "partition"], ascending=[False, True]).iloc[0]
    gain = float(best["modularity"] - d["modularity"])
    icp_ok = pd.isna(best["icp"]) or pd.isna(d["icp"]) or best["icp"] <= d["icp"]
    return {"exists": bool(gain >= min_gain and icp_ok), "candidate": best["partition"], "parts": int(best["parts"]),
            "declared_parts": int(d["parts"]), "modularity_declared": float(d["modularity"]), "modularity_candidate": float(best["modularity"]),
            "modularity_gain": gain, "icp_declared": None if pd.isna(d["icp"]) else float(d["icp"]),
            "icp_candidate": None if pd.isna(best["icp"]) else float(best["icp"]),
            "mojofm_vs_declared": None if pd.isna(best["mojofm_vs_declared"]) else float(best["mojofm_vs_declared"]), "min_gain": min_gain}


def score(graph: UnitGraph, parts: Mapping[str, str], settings: Mapping[str, float]) -> dict:
    return metrics.partition_metrics(graph.edges, parts, labels=graph.labels, transactions=graph.transactions, traces=graph.traces,
                                     ned_min_size=int(settings["ned_min_units"]), ned_max_size=int(settings["ned_max_units"]))


def decompose(graph: UnitGraph, declared: dict[str, str], settings: Mapping[str, float], status: Status,
              apart: frozenset[str] = frozenset()) -> DecompositionEvidence:
    """Candidates, metrics and differences of one unit graph against a declared map (pure);
    ``apart``: the shared kernels and layers, never proposed for a merge."""
    seed = int(settings["decomposition_seed"])
    sweep = partition.sweep(graph.edges, seed=seed)
    candidates: dict[str, dict[str, str]] = {}
    resolutions: dict[str, float] = {}
    for resolution, found in sweep:
        names = difference.majority_names(found, declared)
        name = f"inferred-k{len(names)}"
        candidates[name] = {u: names[p] for u, p in found.items()}
        resolutions[name] = resolution
    rows = []
    every: dict[str, dict[str, str]] = {DECLARED: declared, **candidates}
    for name, parts in every.items():
        row = {"partition": name, "resolution": resolutions.get(name), "units": len(parts), **score(graph, parts, settings)}
        row["mojofm_vs_declared"] = mojo.mojofm(parts, declared) if name != DECLARED and declared else None
        rows.append(row)
    table = pd.DataFrame(rows)
    margin, gain = settings["decomposition_pull_margin"], settings["decomposition_min_gain"]
    return DecompositionEvidence(
        status=status, graph=graph, declared=declared, candidates=candidates, resolutions=resolutions, metrics=table,
        partitions=partitions_frame(graph, every, resolutions),
        pulled=difference.pulled_units(graph.edges, declared, margin=margin, imports=graph.imports, import_weight=graph.import_weight,
                                       apart=apart),
        looks_like_two=difference.looks_like_two(graph.edges, declared, min_share=settings["decomposition_min_split_share"],
                                                 min_gain=gain, seed=seed),
        looks_like_one=difference.looks_like_one(graph.edges, declared, min_gain=gain, apart=apart),
        better=better_partition(table, settings["better_partition_min_gain"]),
    )


def measure_decomposition(config: Config, mined: Mined, units: Units) -> DecompositionEvidence:
    """The unit graph of ``mined``, decomposed against ``config``'s context map."""
    settings = config.thresholds
    graph = build_unit_graph(mined, settings, code_root=units.context_map.code_root,
                             shared_tables=lambda names: set(units.shared_tables(names)),
                             ignore_paths=config.git.ignore_paths if config.git is not None else (),
                             span_context=units.span_context, traffic=stored_traffic(mined))
    declared = {**namespace_parts(graph), **declared_parts(graph, units)}
    if not len(graph.edges):
        status = Status.not_measured("no import graph, history or traces gave an edge between two units") if not graph.signals else \
            Status.not_measurable(f"the signals given ({', '.join(sorted(graph.signals))}) tie no two units together")
    else:
        status = Status.measured(f"{len(graph.units)} units, {len(graph.edges)} weighted edges from {', '.join(sorted(graph.signals))}")
    apart = frozenset(c.name for c in config.contexts if c.role != "domain")
    return decompose(graph, declared, settings, status, apart)


def candidate_paths(decomposition: DecompositionEvidence, name: str) -> dict[str, str]:
    """``{file path: part}`` of a candidate (or ``declared``), for units with a path: what
    :func:`analysis.mapping.what_if.from_partition` takes to judge a candidate as the map."""
    parts = decomposition.declared if name == DECLARED else decomposition.candidates.get(name)
    if parts is None:
        raise KeyError(f"no partition named {name}; the partitions are: {', '.join([DECLARED, *decomposition.candidates])}")
    path_of = dict(zip(decomposition.graph.units["unit"], decomposition.graph.units["path"]))
    return {path_of[u]: p for u, p in parts.items() if isinstance(path_of.get(u), str)}
