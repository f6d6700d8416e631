"""Seams: measure before you migrate.

The package is one pipeline in one direction::

    sources  ->  frames  ->  context map  ->  coupling & metrics  ->  decisions  ->  outputs
    (analysis.sources)       (analysis.mapping.contexts) (analysis.measures.coupling,   (analysis.decisions) (analysis.outputs.findings,
                                                  analysis.measures.metrics)                          analysis.outputs.figures,
                                                                                             analysis.outputs.report)

See docs/architecture.md for where everything lives.
"""

from analysis.core.version import __version__

__all__ = ["__version__"]
