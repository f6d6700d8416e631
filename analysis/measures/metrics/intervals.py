"""How sure a figure from a small sample is: distribution-free intervals, no assumed shape.

- :func:`quantile` — the ``q`` quantile by linear interpolation between order statistics
  (Hyndman and Fan's type 7, numpy's default).
- :func:`quantile_interval` — a confidence interval for the ``q`` quantile from the order
  statistics alone: ranks ``l`` and ``u`` with ``P(X(l) <= Q <= X(u)) >= confidence``, where
  the number of observations below ``Q`` is Binomial(n, q) (Conover, *Practical
  Nonparametric Statistics*, 3rd ed., 1999, section 3.2). With too few observations a bound
  does not exist: it is None (5 values cannot bound a median at 95%; a p95 needs 72 values
  to be bounded from above). Exact for n <= 2000, the normal approximation beyond.
- :func:`poisson_interval` — Garwood's exact interval for the mean of a Poisson count (events
  in a window: deploys, incidents, changes), by bisection on the Poisson distribution
  function; the normal approximation beyond 1000 events.
- :func:`proportion_interval` — Wilson's score interval for a share (failed deploys).

Every function returns plain floats (None for a bound that does not exist).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

EXACT_MAX_N = 2000


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (type 7); None for no values."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    return float(np.quantile(data, q)) if len(data) else None


def _binomial_cdf(n: int, q: float) -> list[float]:
    """``[P(B <= k) for k in 0..n]`` for B ~ Binomial(n, q), 0 < q < 1."""
    log_q, log_p = math.log(q), math.log1p(-q)
    out, total = [], 0.0
    for k in range(n + 1):
        total += math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_q + (n - k) * log_p)
        out.append(min(total, 1.0))
    return out


def quantile_ranks(n: int, q: float, confidence: float = 0.95) -> tuple[int | None, int | None]:
    """1-based ranks ``(l, u)`` of the order statistics bounding the ``q`` quantile with at
    least ``confidence``; None where no order statistic of ``n`` suffices."""
    if n <= 0:
        return None, None
    alpha = 1 - confidence
    if n > EXACT_MAX_N:
        spread = _z(confidence) * math.sqrt(n * q * (1 - q))
        low, high = math.floor(n * q - spread), math.ceil(n * q + spread) + 1
        return (low if low >= 1 else None), (high if high <= n else None)
    cdf = _binomial_cdf(n, q)
    lower = None
    for rank in range(1, n + 1):  # largest l with P(B <= l - 1) <= alpha / 2
        if cdf[rank - 1] <= alpha / 2:
            lower = rank
        else:
            break
    upper = next((rank for rank in range(1, n + 1) if cdf[rank - 1] >= 1 - alpha / 2), None)
    return lower, upper


def quantile_interval(values: Sequence[float], q: float, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """The interval ``[X(l), X(u)]`` for the ``q`` quantile (see :func:`quantile_ranks`)."""
    data = np.sort(np.asarray(values, dtype=float)[np.isfinite(np.asarray(values, dtype=float))])
    lower, upper = quantile_ranks(len(data), q, confidence)
    return (float(data[lower - 1]) if lower else None), (float(data[upper - 1]) if upper else None)


def _poisson_cdf(k: int, mean: float) -> float:
    if mean <= 0:
        return 1.0
    log_mean = math.log(mean)
    return min(1.0, sum(math.exp(-mean + i * log_mean - math.lgamma(i + 1)) for i in range(k + 1)))


def _solve(f, target: float, low: float, high: float) -> float:
    """``x`` in ``[low, high]`` with ``f(x) = target`` for a decreasing ``f`` (bisection)."""
    for _ in range(200):
        mid = (low + high) / 2
        if f(mid) > target:
            low = mid
        else:
            high = mid
        if high - low < 1e-9 * max(1.0, high):
            break
    return (low + high) / 2


@functools.lru_cache(maxsize=4096)
def poisson_interval(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Garwood's interval for the mean of a Poisson variable observed as ``count`` (remembered:
    a scorecard asks for the same few counts thousands of times)."""
    alpha = 1 - confidence
    if count > 1000:
        spread = _z(confidence) * math.sqrt(count)
        return max(0.0, count - spread), count + spread
    upper_bound = count + 10 * math.sqrt(count + 1) + 10
    # P(X >= count; m) = alpha / 2, i.e. P(X <= count - 1; m) = 1 - alpha / 2 (falling in m)
    lower = 0.0 if count == 0 else _solve(lambda m: _poisson_cdf(count - 1, m), 1 - alpha / 2, 0.0, upper_bound)
    upper = _solve(lambda m: _poisson_cdf(count, m), alpha / 2, 0.0, upper_bound)
    return lower, upper


def proportion_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """Wilson's score interval for ``successes / trials``; None, None without trials."""
    if trials <= 0:
        return None, None
    z = _z(confidence)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return (0.0 if successes == 0 else max(0.0, centre - half)), (1.0 if successes == trials else min(1.0, centre + half))
