"""Seams: measure before you migrate.

One pipeline in one direction (docs/architecture.md)::

    sources -> mapping -> measures -> decisions -> outputs
    (readers)  (units to  (evidence    (verdicts,    (findings.json,
               contexts)  families)    ranking)      report.html)

The public API, for notebooks and scripts::

    from analysis import load_config, run, build_findings
    result = run(load_config("seams.yml"))          # mine (cached), map, measure, decide
    result.verdicts["bottleneck"].verdict           # YES / NO / INCONCLUSIVE
    build_findings(result)                          # the findings.json document
"""

from analysis.core.config import Config, load_config, parse_config
from analysis.core.errors import ConfigError, ReportError, SeamsError, SourceError
from analysis.core.version import __version__
from analysis.outputs.findings import build_findings, write_findings
from analysis.pipeline import Analysis, analyse, mine, run

__all__ = [
    "Analysis", "Config", "ConfigError", "ReportError", "SeamsError", "SourceError", "__version__", "analyse",
    "build_findings", "load_config", "mine", "parse_config", "run", "write_findings",
]
