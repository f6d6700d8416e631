"""The baseline file of ``seams check`` (``seams-baseline.json``) and the gate's text report.

The file is JSON, written the same way every time (keys and entries sorted, one violation
per line, no timestamps), so a change to it reads well in a pull request::

    {
      "seams_baseline": "1.0",
      "monolith": "shopfront",
      "rules": {"import": "measured", "cycle": "measured", "write_shared_table": "measured", "cross_context_join": "not measured"},
      "summary": {"violations": 3, "occurrences": 5, "by_rule": {"cycle": 2, "import": 1}},
      "pairs": {
        "billing -> orders": {"cycle": 1, "import": 1},
        "orders -> billing": {"cycle": 1}
      },
      "dependencies": {
        "billing": ["accounts", "orders"],
        "orders": ["billing"]
      },
      "accepted_growth": [],
      "violations": [
        {"rule": "import", "source": "billing", "target": "orders", "subject": "shop.billing.tax -> shop.orders.models", "count": 2, "path": "shop/billing/tax.py"},
        ...
      ]
    }

- ``rules``: the state of each rule's evidence when the baseline was written; a rule *not
  measured* then has no entries, and its entries are kept as they are by later updates that
  cannot check it either.
- ``pairs``: violations per context pair and rule (``(no owner)`` for a table no context
  declares); ``summary.occurrences`` sums ``count`` (import rows).
- ``dependencies``: for each context that declares no ``depends_on``, the contexts it
  imported at the baseline — what it may go on importing.
- ``accepted_growth``: every update that accepted growth with ``--force``, in order: the
  violations and dependencies it let in, and the repository's HEAD when known.
- ``violations``: one object per violation, sorted by rule, source, target, subject.
  Line numbers are not kept (they move with every edit above them); ``seams check`` prints
  each new violation's ``path:line`` evidence.

:func:`render_check` turns a :class:`~analysis.decisions.gate.GateResult` into the text
``seams check`` prints.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.core.errors import SourceError
from analysis.core.evidence import Status
from analysis.decisions.gate import Entry, GateResult, pair_counts
from analysis.measures.boundaries import RULES, BoundaryEvidence

BASELINE_FORMAT = "1.0"
DEFAULT_BASELINE = "seams-baseline.json"
#: ``path:line`` locations printed per new violation
EVIDENCE_LINES = 5
RULE_LABELS = {"import": "imports not allowed", "cycle": "imports on a cycle between contexts",
               "write_shared_table": "tables written by several contexts", "cross_context_join": "joins across contexts"}


@dataclass(frozen=True)
class Baseline:
    """A baseline file as read."""

    monolith: str
    entries: tuple[Entry, ...]
    dependencies: dict[str, list[str]]
    rules: dict[str, str] = field(default_factory=dict)
    accepted_growth: tuple[dict, ...] = ()


def rule_order(entry: Entry) -> tuple:
    """Entries in :data:`RULES` order, then by key."""
    return (RULES.index(entry.rule) if entry.rule in RULES else len(RULES), entry.key)


def entries_of(violations: pd.DataFrame) -> list[Entry]:
    """The gate's entries from a ``violations`` frame (:mod:`analysis.measures.boundaries`)."""
    return [Entry(rule=str(r.rule), source=str(r.source), target=None if pd.isna(r.target) else str(r.target),
                  subject=str(r.subject), count=int(r.count), path=None if pd.isna(r.path) else str(r.path))
            for r in violations.itertuples(index=False)]


def baseline_document(monolith: str, entries: Iterable[Entry], rules: Mapping[str, Status],
                      dependencies: Mapping[str, Sequence[str]], accepted_growth: Sequence[dict] = ()) -> dict:
    """The baseline as a JSON value (see the module docstring)."""
    listed = sorted(entries, key=rule_order)
    by_rule: dict[str, int] = {}
    for e in listed:
        by_rule[e.rule] = by_rule.get(e.rule, 0) + 1
    return {
        "seams_baseline": BASELINE_FORMAT,
        "monolith": monolith,
        "rules": {rule: rules[rule].state.value for rule in RULES if rule in rules},
        "summary": {"violations": len(listed), "occurrences": sum(e.count for e in listed),
                    "by_rule": {rule: by_rule[rule] for rule in RULES if rule in by_rule}},
        "pairs": pair_counts(listed),
        "dependencies": {c: sorted(d) for c, d in sorted(dependencies.items())},
        "accepted_growth": list(accepted_growth),
        "violations": [_entry_json(e) for e in listed],
    }


def _entry_json(e: Entry) -> dict:
    return {"rule": e.rule, "source": e.source, "target": e.target, "subject": e.subject, "count": e.count, "path": e.path}


def baseline_text(doc: Mapping) -> str:
    """The document as text: two-space indents, one pair, dependency list or violation per line."""
    def one(value) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=False)

    def block(key: str, items: list[str], opener: str, closer: str) -> str:
        if not items:
            return f'  "{key}": {opener}{closer}'
        return f'  "{key}": {opener}\n' + ",\n".join(f"    {i}" for i in items) + f"\n  {closer}"

    parts = [f'  "{k}": {one(doc[k])}' for k in ("seams_baseline", "monolith", "rules", "summary")]
    parts.append(block("pairs", [f"{one(p)}: {one(c)}" for p, c in doc["pairs"].items()], "{", "}"))
    parts.append(block("dependencies", [f"{one(c)}: {one(d)}" for c, d in doc["dependencies"].items()], "{", "}"))
    parts.append(block("accepted_growth", [one(g) for g in doc["accepted_growth"]], "[", "]"))
    parts.append(block("violations", [one(v) for v in doc["violations"]], "[", "]"))
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_baseline(doc: Mapping, path: str | os.PathLike) -> Path:
    """Write atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(baseline_text(doc), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_baseline(path: str | os.PathLike) -> Baseline:
    """Read a baseline file; SourceError names the file and what is wrong with it."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(str(path), f"cannot read the baseline ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"not a JSON baseline ({exc})") from None
    if not isinstance(doc, dict) or "seams_baseline" not in doc:
        raise SourceError(str(path), "not a Seams baseline (no seams_baseline key)")
    major = str(doc["seams_baseline"]).split(".")[0]
    if major != BASELINE_FORMAT.split(".")[0]:
        raise SourceError(str(path), f"baseline format {doc['seams_baseline']} is not {BASELINE_FORMAT}: write it again with --update-baseline --force")
    try:
        entries = tuple(Entry(rule=str(v["rule"]), source=str(v["source"]), target=None if v.get("target") is None else str(v["target"]),
                              subject=str(v["subject"]), count=int(v.get("count", 1)), path=v.get("path"))
                        for v in doc.get("violations", []))
        dependencies = {str(c): [str(t) for t in d] for c, d in (doc.get("dependencies") or {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SourceError(str(path), f"a violation or dependency is malformed ({type(exc).__name__}: {exc})") from None
    unknown = sorted({e.rule for e in entries} - set(RULES))
    if unknown:
        raise SourceError(str(path), f"unknown rules {', '.join(unknown)}; known: {', '.join(RULES)}")
    return Baseline(monolith=str(doc.get("monolith", "")), entries=entries, dependencies=dependencies,
                    rules={str(k): str(v) for k, v in (doc.get("rules") or {}).items()},
                    accepted_growth=tuple(doc.get("accepted_growth") or ()))


# --------------------------------------------------------------------------------------
# the text seams check prints


def render_check(monolith: str, evidence: BoundaryEvidence, result: GateResult, *, baseline: str | None) -> str:
    """What ``seams check`` prints: the violations per rule, then new, grown, stale and
    shrunk entries against the baseline, each new one with its ``path:line`` evidence."""
    counts = evidence.counts()
    located = {(str(r.rule), str(r.source), "" if pd.isna(r.target) else str(r.target), str(r.subject)): list(r.evidence)
               for r in evidence.violations.itertuples(index=False)}
    lines = [f"seams check: {monolith}"]
    for rule in RULES:
        status = evidence.rules[rule]
        n = counts[rule]
        shown = "not checked" if n is None else str(n)
        state = "" if status.known else f"  [{status.describe()}]"
        lines.append(f"  {RULE_LABELS[rule]}: {shown}{state}")
    if evidence.unknown_to_baseline:
        lines.append(f"  contexts not in the baseline (their dependencies taken as measured now): {', '.join(evidence.unknown_to_baseline)}")
    lines.append(f"baseline: {baseline}" if baseline else "baseline: none (every violation counts as new; write one with --update-baseline)")

    def listing(title: str, items: list[tuple[Entry, str]]) -> None:
        if not items:
            return
        lines.append(f"{title} ({len(items)}):")
        for entry, note in items:
            lines.append(f"  {entry.describe()}{note}")
            found = located.get(entry.key, [])
            lines.extend(f"      {where}" for where in found[:EVIDENCE_LINES])
            if len(found) > EVIDENCE_LINES:
                lines.append(f"      ... and {len(found) - EVIDENCE_LINES} more")

    if result.has_baseline or result.new:
        listing("new", [(e, "") for e in sorted(result.new, key=rule_order)])
        listing("grown", [(e, f" (baseline: {n})") for e, n in sorted(result.grown, key=lambda g: rule_order(g[0]))])
    if result.stale:
        lines.append(f"stale: fixed since the baseline ({len(result.stale)}); tighten it with --update-baseline:")
        lines += [f"  {e.describe()}" for e in sorted(result.stale, key=rule_order)]
    if result.shrunk:
        lines.append(f"fewer than at the baseline ({len(result.shrunk)}); tighten it with --update-baseline:")
        lines += [f"  {e.describe()} (baseline: {n})" for e, n in sorted(result.shrunk, key=lambda g: rule_order(g[0]))]
    if result.unchecked:
        lines.append(f"not checked this time (their evidence was not measured), kept: {len(result.unchecked)}")
    return "\n".join(lines)
