"""What is known per context and per pair of contexts, gathered from the evidence families.

- :func:`coupled_pairs` — the four signals per context pair and which of them count as
  coupled (:func:`analysis.measures.coupling.pairs.context_pairs`, with the thresholds);
- :func:`context_table` — one row per declared context: change, teams, instability, load and
  whether it emits spans.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.config import Config
from analysis.measures.coupling.pairs import context_pairs
from analysis.measures.data import DataEvidence
from analysis.measures.history import HistoryEvidence
from analysis.measures.runtime import RuntimeEvidence
from analysis.measures.structure import StructureEvidence

_COUNTS = ("commits", "commits_recent", "files", "authors", "authors_recent", "ca", "ce")
_FIGURES = ("load_share", "self_time_share", "peak_to_median", "correlation_with_rest", "compute_ratio_max",
            "asymmetry_score", "trend", "cross_team_share", "churn_recent", "instability")


def signals_known(history: HistoryEvidence, structure: StructureEvidence, data: DataEvidence,
                  runtime: RuntimeEvidence) -> dict[str, bool]:
    """Which of the four signals were measured (an unknown signal is never 0)."""
    return {"structural": structure.status.known, "evolutionary": history.status.known,
            "data": data.status.known or data.schema_status.known, "runtime": runtime.calls_status.known}


def data_signal(data: DataEvidence) -> tuple[pd.DataFrame, str]:
    """The pairs the data signal counts and where they come from: shared tables observed in the
    SQL log (or the traces' database spans); without those, foreign keys between ORM models
    (schema evidence: relations between the contexts' tables)."""
    if data.status.known or not data.schema_status.known:
        return data.pairs, data.origin or "none"
    schema = data.schema_pairs.rename(columns={"relations": "shared_tables"})
    return schema, "schema"


def coupled_pairs(config: Config, history: HistoryEvidence, structure: StructureEvidence, data: DataEvidence,
                  runtime: RuntimeEvidence) -> pd.DataFrame:
    th = config.thresholds
    return context_pairs(structure.edges, history.cochange, data_signal(data)[0], runtime.calls, orchestrated=runtime.orchestrated,
                         known=signals_known(history, structure, data, runtime),
                         structural_min_edges=th["structural_min_edges"], evolutionary_min_degree=th["evolutionary_min_degree"],
                         evolutionary_min_shared_commits=th["evolutionary_min_shared_commits"],
                         data_min_shared_tables=th["data_min_shared_tables"], runtime_min_calls=th["runtime_min_calls"])


def context_table(config: Config, history: HistoryEvidence, structure: StructureEvidence, runtime: RuntimeEvidence,
                  owned_units: pd.DataFrame) -> pd.DataFrame:
    """One row per declared context, in config order: ``role``, the units it owns
    (``owned_units``: files at HEAD, importing files, tables, spans), change, teams, instability,
    load and whether it emits spans (``<NA>`` without traces: unknown, not "no"). A count whose
    evidence is not measured or not measurable is ``<NA>`` (Int64), never 0."""
    names = [c.name for c in config.contexts]
    out = pd.DataFrame({"context": pd.Series(names, dtype="string"),
                        "role": pd.Series([c.role for c in config.contexts], dtype="string")})
    out = out.merge(owned_units.astype({"context": "string"}), on="context", how="left")
    for part in (history.by_context, history.teams_by_context, structure.instability, runtime.asymmetry):
        if part is not None and len(part.columns):
            p = part.copy()
            p["context"] = p["context"].astype("string")
            out = out.merge(p, on="context", how="left")
    owned = {c.name: len(c.tables) for c in config.contexts}
    out["tables_owned"] = out["context"].map(owned).astype("int64")
    with_spans = set(runtime.coverage.get("contexts_with_spans") or [])
    out["has_spans"] = out["context"].isin(with_spans).astype("boolean")
    if not runtime.coverage_status.known:
        out["has_spans"] = pd.array([pd.NA] * len(out), dtype="boolean")
    for col in _COUNTS:
        if col in out:
            out[col] = out[col].fillna(0).astype("Int64")
    # a count whose source was not given (or holds too little) is unknown, never 0
    unknown = {"history": (history.status, ("commits", "commits_recent", "files", "authors", "authors_recent", "files_at_head")),
               "structure": (structure.status, ("ca", "ce", "modules")),
               "spans": (runtime.coverage_status, ("spans",))}
    for status, columns in unknown.values():
        if not status.known:
            for col in columns:
                if col in out:
                    out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    if "score" in out:
        out = out.rename(columns={"score": "asymmetry_score"})
    for col in _FIGURES:
        if col not in out:
            out[col] = float("nan")
    return out


def role_suggestions(config: Config, structure: StructureEvidence) -> list[str]:
    """A warning for each context that looks like a layer: its files import more than half of
    the other contexts and no context imports it (an API or web layer over the domains).
    Suggested only when the import graph was measured and the context's role is ``domain``."""
    if not structure.status.known or structure.edges.empty:
        return []
    edges = structure.edges[structure.edges["source"] != structure.edges["target"]]
    names = [c.name for c in config.contexts]
    out = []
    for spec in config.contexts:
        if spec.role != "domain":
            continue
        imports = set(edges.loc[edges["source"] == spec.name, "target"])
        imported = edges["target"].eq(spec.name).any()
        if not imported and len(imports) > (len(names) - 1) / 2:
            out.append(f"context {spec.name} imports {len(imports)} of the {len(names) - 1} other contexts and none imports "
                       f"it: it looks like a layer (an API or web layer); declare `role: layer` to keep it out of the "
                       "extraction ranking, or fold its folders into the contexts they serve")
    return out
