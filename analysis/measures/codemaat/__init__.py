"""code-maat's analyses, with its definitions, thresholds and defaults.

code-maat (Adam Tornhill) mines a version-control log into a table of modifications and
runs one analysis over it. Seams does the same, as pure functions of a modifications
frame (columns in :mod:`analysis.measures.codemaat.log`) and :class:`Options`::

    from analysis.measures.codemaat import ANALYSES, run, Options, parse_git2_log
    mods = parse_git2_log(open("git2.log", encoding="utf-8"))
    run("coupling", mods, Options(min_revs=10))

Every analysis returns a frame with code-maat's columns (``-`` written ``_``); each
module's docstring gives them and the formula. An unknown name raises
:class:`CodeMaatError` listing the valid ones. An empty result is explained by
:func:`explain` (which threshold removed what).

| analysis | module |
|---|---|
| coupling, soc | :mod:`analysis.measures.codemaat.coupling` |
| revisions, authors, summary | :mod:`analysis.measures.codemaat.entities` |
| abs-churn, author-churn, entity-churn, entity-ownership, main-dev, refactoring-main-dev | :mod:`analysis.measures.codemaat.churn` |
| entity-effort, main-dev-by-revs, fragmentation | :mod:`analysis.measures.codemaat.effort` |
| communication | :mod:`analysis.measures.codemaat.communication` |
| age | :mod:`analysis.measures.codemaat.age` |

Before the analysis, :func:`analysis.measures.codemaat.grouping.prepare` applies code-maat's
architectural grouping, temporal period and team map, in that order. Differences from
code-maat are listed in ``docs/codemaat.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

import pandas as pd

from analysis.measures.codemaat import age as _age
from analysis.measures.codemaat import churn as _churn
from analysis.measures.codemaat import communication as _communication
from analysis.measures.codemaat import coupling as _coupling
from analysis.measures.codemaat import effort as _effort
from analysis.measures.codemaat import entities as _entities
from analysis.measures.codemaat.errors import CodeMaatError
from analysis.measures.codemaat.grouping import (
    apply_grouping,
    apply_team_map,
    grouping_from_contexts,
    parse_grouping,
    parse_team_map,
    prepare,
    sliding_window,
)
from analysis.measures.codemaat.log import modifications_from_history, parse_git2_log
from analysis.measures.codemaat.options import Options

Analysis = Callable[[pd.DataFrame, Options], pd.DataFrame]

ANALYSES: MappingProxyType = MappingProxyType({
    "abs-churn": _churn.abs_churn,
    "age": _age.age,
    "author-churn": _churn.author_churn,
    "authors": _entities.authors,
    "communication": _communication.communication,
    "coupling": _coupling.coupling,
    "entity-churn": _churn.entity_churn,
    "entity-effort": _effort.entity_effort,
    "entity-ownership": _churn.entity_ownership,
    "fragmentation": _effort.fragmentation,
    "main-dev": _churn.main_dev,
    "main-dev-by-revs": _effort.main_dev_by_revs,
    "refactoring-main-dev": _churn.refactoring_main_dev,
    "revisions": _entities.revisions,
    "soc": _coupling.soc,
    "summary": _entities.summary,
})

__all__ = ["ANALYSES", "CodeMaatError", "Options", "analysis", "apply_grouping", "apply_team_map", "explain",
           "grouping_from_contexts", "modifications_from_history", "parse_git2_log", "parse_grouping",
           "parse_team_map", "prepare", "run", "sliding_window"]


def analysis(name: str) -> Analysis:
    """The analysis called ``name``; an unknown name lists the valid ones."""
    try:
        return ANALYSES[name]
    except KeyError:
        raise CodeMaatError(f"invalid analysis requested: {name}. Valid options are: "
                            f"{', '.join(sorted(ANALYSES))}") from None


def run(name: str, modifications: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    """Run one analysis over a modifications frame."""
    return analysis(name)(modifications, options)


def explain(name: str, modifications: pd.DataFrame, options: Options = Options(),
            dropped_by_grouping: int = 0) -> list[str]:
    """Why ``name`` gives what it gives (meant for an empty result): the input's size, the
    rows the grouping dropped, and for coupling and soc what each threshold removed."""
    analysis(name)
    lines = []
    if dropped_by_grouping:
        lines.append(f"{dropped_by_grouping} modifications matched no architectural group and were dropped")
    if modifications.empty:
        lines.append("no modifications to analyse: the log is empty, or every row was excluded or ignored")
        return lines
    lines.append(f"{len(modifications)} modifications in {modifications['rev'].nunique()} revisions")
    if name == "coupling":
        lines += _coupling.explain_coupling(modifications, options)
    elif name == "soc":
        lines += _coupling.explain_soc(modifications, options)
    elif name == "age" and _age.age(modifications, options).empty:
        lines.append(f"every modification is dated on or after age_time_now={options.age_time_now}")
    elif name == "communication" and modifications["author"].nunique() < 2:
        lines.append("fewer than two authors: no pair to compare")
    return lines
