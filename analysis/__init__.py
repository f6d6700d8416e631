"""Seams: measure before you migrate.

The package is one pipeline in one direction::

    sources  ->  frames  ->  context map  ->  coupling & metrics  ->  decisions  ->  outputs
    (analysis.sources)       (analysis.contexts) (analysis.coupling,   (analysis.decisions) (analysis.findings,
                                                  analysis.metrics)                          analysis.figures,
                                                                                             analysis.report)

See docs/architecture.md for where everything lives.
"""

__version__ = "0.1.0"
