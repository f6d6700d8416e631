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

The names are imported when first used (PEP 562), so that importing one module of the
package (``analysis.sources.sql.miner``, ``analysis.cli``) does not load the whole pipeline
and its outputs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.core.config import Config, load_config, parse_config
    from analysis.core.errors import ConfigError, ReportError, SeamsError, SourceError
    from analysis.core.version import __version__
    from analysis.outputs.findings import build_findings, write_findings
    from analysis.pipeline import Analysis, analyse, mine, run

#: Where each public name lives.
_HOMES = {
    "Config": "analysis.core.config", "load_config": "analysis.core.config", "parse_config": "analysis.core.config",
    "ConfigError": "analysis.core.errors", "ReportError": "analysis.core.errors", "SeamsError": "analysis.core.errors",
    "SourceError": "analysis.core.errors", "__version__": "analysis.core.version",
    "build_findings": "analysis.outputs.findings", "write_findings": "analysis.outputs.findings",
    "Analysis": "analysis.pipeline", "analyse": "analysis.pipeline", "mine": "analysis.pipeline", "run": "analysis.pipeline",
}

__all__ = [
    "Analysis", "Config", "ConfigError", "ReportError", "SeamsError", "SourceError", "__version__", "analyse",
    "build_findings", "load_config", "mine", "parse_config", "run", "write_findings",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:  # a submodule (``from analysis import pipeline``) is then imported as usual
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
