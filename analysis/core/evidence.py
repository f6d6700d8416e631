"""Evidence that knows what it is: every figure is *measured*, *not measured* or *not
measurable*.

- **measured** — its source was given and holds enough to decide (``basis`` says over what:
  a window, a denominator);
- **not measured** — its source was not given (no SQL log, no traces, no team map, no
  import graph); ``reason`` says which and what to provide;
- **not measurable** — the source was given but holds too little (one bucket of load,
  five commits, a map that leaves most files unassigned, traces without spans inside the
  process); ``reason`` says what is missing, against which named setting.

Metrics return an unknown value (``None``/NaN) with a non-measured :class:`Status` rather
than 0 when their input is absent; rules treat an unknown figure as neither passing nor
failing; renderers show "no evidence (why)", never a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    MEASURED = "measured"
    NOT_MEASURED = "not measured"
    NOT_MEASURABLE = "not measurable"


@dataclass(frozen=True)
class Status:
    """The state of one piece of evidence and why (or over what it was measured)."""

    state: State
    reason: str = ""

    @classmethod
    def measured(cls, basis: str = "") -> Status:
        return cls(State.MEASURED, basis)

    @classmethod
    def not_measured(cls, reason: str) -> Status:
        return cls(State.NOT_MEASURED, reason)

    @classmethod
    def not_measurable(cls, reason: str) -> Status:
        return cls(State.NOT_MEASURABLE, reason)

    @property
    def known(self) -> bool:
        return self.state is State.MEASURED

    def describe(self) -> str:
        """``measured (basis)`` or ``not measured: reason`` — for messages and tables."""
        if self.known:
            return f"measured ({self.reason})" if self.reason else "measured"
        return f"{self.state.value}: {self.reason}" if self.reason else self.state.value

    def to_json(self) -> dict[str, str]:
        return {"state": self.state.value, "reason": self.reason}


def weakest(*statuses: Status) -> Status:
    """The least known of several statuses (not measured before not measurable before
    measured): what a figure built from all of them can claim."""
    order = {State.NOT_MEASURED: 0, State.NOT_MEASURABLE: 1, State.MEASURED: 2}
    return min(statuses, key=lambda s: order[s.state])
