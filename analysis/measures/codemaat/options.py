"""code-maat's options, with its defaults, and its exact arithmetic helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

from analysis.measures.codemaat.errors import CodeMaatError

_TWO_DIGITS = Context(prec=2, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Options:
    """Thresholds as code-maat names them (``--min-revs`` is ``min_revs``), same defaults.

    ``age_time_now``: the day counted as now by ``age`` (default: the current UTC time).
    ``verbose_results``: coupling also returns the revisions behind each degree.
    """

    min_revs: int = 5
    min_shared_revs: int = 5
    min_coupling: int = 30
    max_coupling: int = 100
    max_changeset_size: int = 30
    age_time_now: dt.date | None = None
    verbose_results: bool = False

    def __post_init__(self):
        bad = [f"{k}={getattr(self, k)!r}" for k in ("min_revs", "min_shared_revs", "min_coupling", "max_coupling",
                                                      "max_changeset_size")
               if isinstance(getattr(self, k), bool) or not isinstance(getattr(self, k), int) or getattr(self, k) < 0]
        if bad:
            raise CodeMaatError(f"options must be whole numbers from 0: {', '.join(bad)}")


def centi(value: Fraction | int) -> float:
    """code-maat's ``ratio->centi-float-precision``: a ratio to 2 significant digits,
    rounded half up (Java ``BigDecimal`` with ``MathContext(2, HALF_UP)``); a whole
    number is kept exactly (Clojure's ``bigdec`` of a long ignores the precision)."""
    value = Fraction(value)
    if value.denominator == 1:
        return float(value.numerator)
    return float(_TWO_DIGITS.divide(Decimal(value.numerator), Decimal(value.denominator)))


def ceil_fraction(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)
