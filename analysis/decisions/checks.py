"""One threshold check, with its value, threshold, margin and the state of its evidence.

A :class:`Check` compares a measured value with a named threshold setting (``at least`` or
``at most``). It *holds* when the comparison passes, fails when it does not, and is
*unknown* (``holds is None``) when its evidence is not measured or not measurable: an
unknown check never counts as passing nor as failing.

``margin`` = how far the value is on the passing side of its threshold: value - threshold for
an ``at least`` check, threshold - value for an ``at most`` one — positive when the check
holds (by that much), negative when it fails (by that much); ``relative_margin`` =
|value - threshold| / |threshold| (the absolute distance when the threshold is 0). A check is a *close call* at ``close_call_margin`` when its
relative margin is at most that: a slightly different map or window could flip it.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.core.evidence import State, Status


@dataclass(frozen=True)
class Check:
    name: str
    label: str
    value: float | None
    threshold: float
    setting: str  # the threshold's setting name
    direction: str  # "at least" | "at most"
    status: Status
    unit: str = "share"  # share | count | ratio | days
    detail: str = ""  # the denominator, the window, what the value is over

    def __post_init__(self) -> None:
        if self.status.state is State.NOT_MEASURED:  # no source, no figure (a default 0 never passes for one)
            object.__setattr__(self, "value", None)

    @property
    def known(self) -> bool:
        return self.status.known and self.value is not None

    @property
    def holds(self) -> bool | None:
        if not self.known:
            return None
        assert self.value is not None
        return self.value >= self.threshold if self.direction == "at least" else self.value <= self.threshold

    @property
    def margin(self) -> float | None:
        if not self.known or self.value is None:
            return None
        return self.value - self.threshold if self.direction == "at least" else self.threshold - self.value

    @property
    def relative_margin(self) -> float | None:
        margin = self.margin
        if margin is None:
            return None
        return abs(margin) / abs(self.threshold) if self.threshold else abs(margin)

    def close(self, close_call_margin: float) -> bool:
        rel = self.relative_margin
        return rel is not None and rel <= close_call_margin

    def to_json(self) -> dict:
        return {
            "name": self.name, "label": self.label, "value": self.value, "threshold": self.threshold,
            "setting": self.setting, "direction": self.direction, "unit": self.unit, "detail": self.detail,
            "state": self.status.state.value, "reason": self.status.reason, "holds": self.holds,
            "margin": self.margin, "relative_margin": self.relative_margin,
        }


def unknown(name: str, label: str, threshold: float, setting: str, direction: str, status: Status, unit: str = "share") -> Check:
    """A check whose evidence is missing (``status`` says why)."""
    return Check(name, label, None, threshold, setting, direction, status, unit)


def describe(check: Check) -> str:
    """``label: value (threshold: at least 0.2; margin +0.03)`` or ``label: not measured (why)``."""
    if not check.known:
        return f"{check.label}: {check.status.describe()}"
    return (f"{check.label}: {format_value(check.value, check.unit)} ({check.direction} "
            f"{format_value(check.threshold, check.unit)}; margin {format_margin(check)})")


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{value:.1%}" if value < 0.995 or value == 1 else f"{value:.3f}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def format_margin(check: Check) -> str:
    margin = check.margin
    if margin is None:
        return "–"
    if check.unit == "share":
        return f"{margin * 100:+.1f} points"
    if check.unit == "count" or abs(margin) >= 1000:  # never 1.95e+03: a count or a large margin in full
        return f"{margin:+,.0f}"
    return f"{margin:+,.3g}"
