"""Plotly figures: a frame in, a figure out; nothing is written to disk. One module per
topic; the conventions (escaped labels, hover text never spliced into a template, a "no
data" figure for an empty input) are in :mod:`analysis.outputs.figures.common`."""

from analysis.outputs.figures.change import change_coupling_quadrant, cochange_network
from analysis.outputs.figures.common import SIGNALS, label, no_data, warm_up
from analysis.outputs.figures.coupling import context_graph, coupling_per_context, graph_layout
from analysis.outputs.figures.load import load_by_period, load_over_time
from analysis.outputs.figures.matrix import coupling_matrix, dependency_structure_matrix, pair_evidence
from analysis.outputs.figures.ranking import ranking_breakdown, ranking_components
from analysis.outputs.figures.runtime import asymmetry_components, coverage_gaps, runtime_graph
from analysis.outputs.figures.trend import scorecard_lines, trend_lines

__all__ = [
    "SIGNALS", "asymmetry_components", "change_coupling_quadrant", "cochange_network", "context_graph", "coupling_matrix",
    "coupling_per_context", "coverage_gaps", "dependency_structure_matrix", "graph_layout", "label", "load_by_period", "load_over_time",
    "no_data", "pair_evidence", "ranking_breakdown", "ranking_components", "runtime_graph", "scorecard_lines", "trend_lines",
    "warm_up",
]
