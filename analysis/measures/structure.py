"""Structure evidence: imports crossing contexts, instability, cycles and the lines to cut.

``measure_structure(config, mined, units) -> StructureEvidence``. ``status`` is *not measured*
without an import graph (``sources.imports``) and *not measurable* when the graph cannot speak
for the contexts: no import between two files of the repository was resolved, imports naming
modules of the repository that could not be resolved outnumber the resolved ones (a source root
Seams did not find), or more than ``max_unassigned_file_share`` of the importing files are in no
context. Cycles are the strongly connected components of the context graph, each listed with its
real edges (``cycle_edges``), never as an invented path.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import Status
from analysis.core.frames import Mined
from analysis.mapping.units import Units
from analysis.measures.coupling import structural


@dataclass(frozen=True)
class StructureEvidence:
    status: Status
    figures: dict  # resolved, unresolved internal-looking, importing files, unassigned share
    edges: pd.DataFrame  # context_edges: source, target, edges, files, evidence
    instability: pd.DataFrame
    cycles: list[list[str]]
    cycle_edges: list[list[dict]]  # per cycle: its context edges (source, target, edges)
    edges_to_cut: pd.DataFrame


def measure_structure(config: Config, mined: Mined, units: Units) -> StructureEvidence:
    imports = mined["imports"]
    edges = structural.context_edges(imports, units.importer_context, units.imported_context)
    cycles = structural.context_cycles(edges)
    figures = structure_figures(imports, mined["unresolved_imports"], units.importer_context)
    return StructureEvidence(
        status=structure_status(config, mined, figures),
        figures=figures,
        edges=edges,
        instability=structural.instability(edges, list(units.names)),
        cycles=cycles,
        cycle_edges=[component_edges(edges, component) for component in cycles],
        edges_to_cut=structural.edges_to_cut(edges, imports, units.importer_context, units.imported_context),
    )


def structure_figures(imports: pd.DataFrame, unresolved: pd.DataFrame, importer_context: pd.Series) -> dict:
    """``unresolved_internal_imports``: imports classified ``internal`` — they name a package of
    the analysed code by a name the source roots do not reach (``from dcim.models import …`` while
    only ``netbox.dcim`` is known): a source root was missed, not a dependency."""
    files = imports[["importer_path"]].assign(context=importer_context.to_numpy()).drop_duplicates("importer_path")
    internal = unresolved[unresolved["classification"] == "internal"] if len(unresolved) else unresolved
    return {
        "resolved_imports": len(imports),
        "unresolved_internal_imports": len(internal),
        "importing_files": len(files),
        "unassigned_importing_file_share": float(files["context"].isna().mean()) if len(files) else None,
    }


def structure_status(config: Config, mined: Mined, figures: dict) -> Status:
    if not mined.given("imports"):
        return Status.not_measured(mined.missing("no import graph given (sources.imports)", "imports"))
    resolved, internal = figures["resolved_imports"], figures["unresolved_internal_imports"]
    if not resolved:
        return Status.not_measurable("no import between two files of the repository was resolved"
                                     + (f" ({internal} imports of modules that could not be found)" if internal else ""))
    if internal > resolved:
        return Status.not_measurable(f"{internal} imports name modules of the repository that could not be resolved, "
                                     f"against {resolved} resolved: a source root was probably missed (imports.packages)")
    share, most = figures["unassigned_importing_file_share"], config.thresholds["max_unassigned_file_share"]
    if share is not None and share > most:
        return Status.not_measurable(f"{share:.0%} of the importing files are in no context (max_unassigned_file_share = "
                                     f"{most:g}): check the contexts' path globs")
    return Status.measured(f"{resolved} resolved imports from {figures['importing_files']} files")


def component_edges(edges: pd.DataFrame, component: list[str]) -> list[dict]:
    """The context edges inside one strongly connected component (its real arrows)."""
    members = set(component)
    inside = edges[edges["source"].isin(members) & edges["target"].isin(members) & (edges["source"] != edges["target"])]
    return [{"source": str(r.source), "target": str(r.target), "edges": int(r.edges)}
            for r in inside.sort_values(["source", "target"]).itertuples()]
