"""The report's first screen as plain values: what was analysed, the recommendation, each
verdict with the two or three figures that decided it, what is unknown, and the next steps.

``summarize(analysis) -> Summary`` computes; :mod:`analysis.outputs.sections` renders. Which
figures "decided" a verdict is read from the verdict itself: for a YES, the known checks that
hold (nearest their threshold first: the most fragile support); for a NO or PARTIAL, the known
checks that fail (furthest past their threshold first); for an INCONCLUSIVE, the known checks
nearest their threshold. A check without evidence is never a deciding figure: it is listed
under *unknown*, with why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.decisions.checks import Check, format_margin, format_value

#: Deciding figures shown per verdict on the first screen.
FIGURES_PER_VERDICT = 3
#: Unknowns and next steps shown on the first screen (the rest are in the question's section).
UNKNOWNS_SHOWN = 3
STEPS_SHOWN = 4


@dataclass(frozen=True)
class Figure:
    """One deciding figure: ``label`` is ``value`` against ``threshold``."""

    label: str
    value: str
    threshold: str  # "at least 20.0%"
    margin: str  # "+3.1 points" (positive: on the passing side)
    holds: bool
    close: bool  # within close_call_margin of the threshold
    detail: str = ""


@dataclass(frozen=True)
class Answer:
    """One of the three questions, answered."""

    key: str
    question: str
    verdict: str
    sentence: str
    figures: list[Figure]
    unknown: list[str]  # "what: not measured: why", at most UNKNOWNS_SHOWN
    more_unknown: int  # how many more are listed in the section
    close_call: str | None


@dataclass(frozen=True)
class Summary:
    monolith: str
    as_of: str | None  # the last commit's day (or the traces' / log's last day)
    head: str | None  # the last commit, abbreviated
    contexts: int
    sources: list[str]  # the sources given, in words
    recommendation: str
    headline: str
    extract_first: str | None
    answers: list[Answer]
    next_steps: list[str] = field(default_factory=list)
    more_steps: int = 0


#: Checks that judge one pressure together: the first screen shows one figure per group
#: before a second of the same group (the team pressure has three checks; coordination and
#: scaling one each).
GROUPS = {"active_authors": "team", "active_teams": "team", "cross_team_share": "team"}


def deciding_checks(verdict: str, checks: list[Check], close_call_margin: float) -> list[Check]:
    """The known checks that decided ``verdict``, most telling first (see the module
    docstring), one per group of checks before any second one."""
    known = [c for c in checks if c.known]
    if verdict == "YES":
        chosen = sorted((c for c in known if c.holds), key=lambda c: c.relative_margin or 0.0)
    elif verdict in ("NO", "PARTIAL"):
        chosen = sorted((c for c in known if c.holds is False), key=lambda c: -(c.relative_margin or 0.0))
    else:
        chosen = sorted(known, key=lambda c: c.relative_margin or 0.0)
    seen: set[str] = set()
    first: list[Check] = []
    later: list[Check] = []
    for c in chosen:
        group = GROUPS.get(c.name, c.name)
        (later if group in seen else first).append(c)
        seen.add(group)
    return (first + later)[:FIGURES_PER_VERDICT]


def figure_of(check: Check, close_call_margin: float) -> Figure:
    return Figure(label=check.label, value=format_value(check.value, check.unit),
                  threshold=f"{check.direction} {format_value(check.threshold, check.unit)}", margin=format_margin(check),
                  holds=bool(check.holds), close=check.close(close_call_margin), detail=check.detail)


def answer_of(verdict, close_call_margin: float) -> Answer:
    checks = list(getattr(verdict, "checks", []) or [])
    missing = list(getattr(verdict, "missing", []) or [])
    return Answer(
        key=verdict.key, question=verdict.question, verdict=verdict.verdict, sentence=verdict.summary,
        figures=[figure_of(c, close_call_margin) for c in deciding_checks(verdict.verdict, checks, close_call_margin)],
        unknown=missing[:UNKNOWNS_SHOWN], more_unknown=max(0, len(missing) - UNKNOWNS_SHOWN),
        close_call=verdict.close_call)


def summarize(analysis) -> Summary:
    """The first screen of the report for ``analysis`` (a :class:`analysis.pipeline.Analysis`)."""
    config = analysis.config
    margin = float(config.thresholds["close_call_margin"])
    rec = analysis.recommendation or {}
    commits = analysis.mined["commits"]
    head = str(commits["commit"].iloc[-1])[:10] if len(commits) else None
    as_of = _day(commits["committed_at"].max()) if len(commits) else _day(analysis.runtime.window.get("last_span"))
    steps = list(rec.get("next_steps") or [])
    return Summary(
        monolith=config.name, as_of=as_of, head=head, contexts=len(analysis.units.names),
        sources=[words for kind, words in _SOURCE_WORDS.items() if (analysis.inputs.get(kind) or {}).get("configured")],
        recommendation=str(rec.get("verdict", "")), headline=str(rec.get("headline", "")),
        extract_first=rec.get("extract_first"),
        answers=[answer_of(v, margin) for v in analysis.verdicts.values()],
        next_steps=steps[:STEPS_SHOWN], more_steps=max(0, len(steps) - STEPS_SHOWN))


#: The sources a user gives, in words (companions such as merges or complexity come with them).
_SOURCE_WORDS = {"git": "git history", "imports": "import graph", "sql": "SQL logs", "traces": "traces"}


def _day(value) -> str | None:
    if value is None or value is pd.NaT or pd.isna(value):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%d")
