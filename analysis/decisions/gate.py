"""The boundary gate: today's violations against a baseline that can only shrink (a ratchet).

Plain values in, plain values out. A violation is an :class:`Entry`: its key is (rule,
source, target, subject) and ``count`` how many times it occurs (import rows; 1 for a table
or a join). :func:`compare` sets today's entries against the baseline's, for the rules that
were checked today:

- **new** — a key the baseline does not hold;
- **grown** — a key whose count rose above the baseline's;
- **stale** — a baseline key no longer found (fixed since: the baseline can be tightened);
- **shrunk** — a key whose count fell (also tightens the baseline);
- **unchecked** — baseline entries of a rule not checked today (its source was not given):
  kept as they are, neither fixed nor new.

The gate passes when nothing is new and nothing grew. :func:`ratchet` gives the entries an
updated baseline may hold: today's (plus the unchecked ones) when they are within the
baseline, or when growth is accepted with ``force``; otherwise it refuses. Allowed
dependencies of contexts without ``depends_on`` ratchet the same way (:func:`ratchet_dependencies`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Entry:
    """One boundary violation as the gate and the baseline see it."""

    rule: str
    source: str
    target: str | None
    subject: str
    count: int = 1
    path: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule, self.source, self.target or "", self.subject)

    @property
    def pair(self) -> str:
        """``source -> target`` (``(no owner)`` for a table no context declares)."""
        return f"{self.source} -> {self.target or '(no owner)'}"

    def describe(self) -> str:
        times = f" ({self.count}x)" if self.count != 1 else ""
        return f"{self.rule} {self.pair}: {self.subject}{times}"


@dataclass(frozen=True)
class GateResult:
    checked: tuple[str, ...]
    new: tuple[Entry, ...] = ()
    grown: tuple[tuple[Entry, int], ...] = ()  # today's entry, the baseline's count
    kept: tuple[Entry, ...] = ()
    stale: tuple[Entry, ...] = ()  # baseline entries no longer found
    shrunk: tuple[tuple[Entry, int], ...] = ()  # today's entry, the baseline's count
    unchecked: tuple[Entry, ...] = ()  # baseline entries of rules not checked today
    has_baseline: bool = True

    @property
    def passed(self) -> bool:
        """Nothing new, nothing grown."""
        return not self.new and not self.grown

    @property
    def tightened(self) -> bool:
        """The baseline holds more than today: entries fixed or fewer occurrences."""
        return bool(self.stale or self.shrunk)


def compare(current: Iterable[Entry], baseline: Iterable[Entry] | None, checked: Sequence[str]) -> GateResult:
    """Today's entries (of the ``checked`` rules) against the baseline's (see the module
    docstring). Without a baseline every entry is new."""
    checked_rules = tuple(checked)
    today = {e.key: e for e in current if e.rule in checked_rules}
    if baseline is None:
        return GateResult(checked=checked_rules, new=tuple(sorted(today.values())), has_baseline=False)
    before = {e.key: e for e in baseline}
    new, grown, kept, shrunk = [], [], [], []
    for key, entry in sorted(today.items()):
        old = before.get(key)
        if old is None:
            new.append(entry)
        elif entry.count > old.count:
            grown.append((entry, old.count))
        elif entry.count < old.count:
            shrunk.append((entry, old.count))
        else:
            kept.append(entry)
    stale = [e for k, e in sorted(before.items()) if e.rule in checked_rules and k not in today]
    unchecked = [e for k, e in sorted(before.items()) if e.rule not in checked_rules]
    return GateResult(checked=checked_rules, new=tuple(new), grown=tuple(grown), kept=tuple(kept), stale=tuple(stale),
                      shrunk=tuple(shrunk), unchecked=tuple(unchecked))


@dataclass(frozen=True)
class Ratchet:
    """What an update of the baseline may write."""

    entries: tuple[Entry, ...]
    refused: bool
    #: keys (as text) accepted beyond the old baseline with ``force``
    accepted_growth: tuple[str, ...] = field(default=())


def ratchet(result: GateResult, current: Iterable[Entry], *, force: bool = False) -> Ratchet:
    """The entries of an updated baseline: today's entries of the checked rules plus the
    baseline's unchecked ones — only when nothing is new or grown, unless ``force``.
    A refused ratchet keeps the old entries (the caller writes nothing)."""
    today = sorted(e for e in current if e.rule in result.checked)
    entries = tuple(sorted({e.key: e for e in [*result.unchecked, *today]}.values()))
    growth = tuple([e.describe() for e in result.new] + [f"{e.describe()} (was {n})" for e, n in result.grown])
    if result.passed or not result.has_baseline:
        return Ratchet(entries=entries, refused=False)
    if not force:
        return Ratchet(entries=(), refused=True)
    return Ratchet(entries=entries, refused=False, accepted_growth=growth)


def ratchet_dependencies(measured: Mapping[str, Sequence[str]], baseline: Mapping[str, Sequence[str]] | None,
                         undeclared: Iterable[str], *, force: bool = False) -> tuple[dict[str, list[str]], list[str]]:
    """The dependencies an updated baseline records for contexts without ``depends_on``:
    today's, never more than the baseline's unless ``force`` (a context the baseline does
    not know starts from today's). Returns them and the dependencies gained (``a -> b``)."""
    out: dict[str, list[str]] = {}
    gained: list[str] = []
    for context in sorted(undeclared):
        now = set(measured.get(context, []))
        if baseline is None or context not in baseline:
            out[context] = sorted(now)
            continue
        before = set(baseline[context])
        extra = sorted(now - before)
        gained += [f"{context} -> {t}" for t in extra]
        out[context] = sorted(now if force else now & before)
    return out, gained


def pair_counts(entries: Iterable[Entry]) -> dict[str, dict[str, int]]:
    """Entries per context pair and rule: ``{"billing -> orders": {"import": 3}}``, sorted."""
    counts: dict[str, dict[str, int]] = {}
    for e in entries:
        by_rule = counts.setdefault(e.pair, {})
        by_rule[e.rule] = by_rule.get(e.rule, 0) + 1
    return {pair: dict(sorted(rules.items())) for pair, rules in sorted(counts.items())}
