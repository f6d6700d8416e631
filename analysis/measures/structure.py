"""Structure evidence: imports crossing contexts, instability, cycles and the lines to cut.

``measure_structure(config, mined, units) -> StructureEvidence``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.config import Config
from analysis.core.frames import Mined
from analysis.mapping.units import Units
from analysis.measures.coupling import structural


@dataclass(frozen=True)
class StructureEvidence:
    edges: pd.DataFrame  # context_edges: source, target, edges, files, evidence
    instability: pd.DataFrame
    cycles: list[list[str]]
    edges_to_cut: pd.DataFrame


def measure_structure(config: Config, mined: Mined, units: Units) -> StructureEvidence:
    imports = mined["imports"]
    edges = structural.context_edges(imports, units.importer_context, units.imported_context)
    return StructureEvidence(
        edges=edges,
        instability=structural.instability(edges, list(units.names)),
        cycles=structural.context_cycles(edges),
        edges_to_cut=structural.edges_to_cut(edges, imports, units.importer_context, units.imported_context),
    )
