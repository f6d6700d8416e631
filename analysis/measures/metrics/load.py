"""Load per bounded context from traces: self time, load curves and scaling asymmetry.

Inputs: the ``spans`` frame (:mod:`analysis.core.frames`) and ``span_context``, a string Series
aligned with it (``<NA>`` = unassigned, from ``ContextMap.assign_spans``).

*Self time* of a span = its ``duration_ms`` minus the time covered by its children (spans
of the same trace naming it as parent), each child's interval first clipped to the
parent's ``[start, end]`` (clock skew), overlapping children counted once; never below 0
nor above the duration. It is the work a span did itself, so summing it over a context
never counts the same millisecond twice.

Sampling: when spans were head-sampled with a known probability (the spans frame's
``sampling_ratio`` column, else the ``sampling_ratio`` argument, e.g. the config's
``TraceSource.sampling_ratio``), each kept span stands for ``1 / ratio`` spans: counts and
self time are scaled by that weight and the curves carry ``scaled = True``
(:func:`sampling_weights`, :func:`sampling_note`). Shares and ratios between contexts are
unchanged by one common ratio; they change when sources were sampled differently.

- :func:`self_time` -> Series of ms aligned with ``spans``
- :func:`sampling_weights` -> per-span weights; :func:`sampling_note` -> what was scaled
- :func:`load_curves` -> ``context, bucket, requests, spans, self_time_ms, scaled``
- :func:`scaling_asymmetry` -> ``context, load_share, self_time_share, peak_to_median,
  correlation_with_rest, compute_ratio_max, compared_to, score, score_peak,
  score_decorrelation, score_compute``
- :func:`compute_ratio_matrix` -> square frame: total self time of the row context / of
  the column context
- :func:`self_time_vs_code` -> ``context, self_time_ms, self_time_share, code_size,
  code_share, load_to_code_ratio``
- :func:`load_by_context_over_time` -> the curves resampled for plotting

Formulas and their reasons: ``docs/runtime.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.frames import typed_empty as _empty
from analysis.mapping.span_tree import context_values, span_parents

#: Span kinds that begin a unit of work for a context: a request or a consumed message.
ENTRY_KINDS = ("SERVER", "CONSUMER")

_CURVE_COLUMNS = {
    "context": "string", "bucket": "datetime64[ns, UTC]", "requests": "int64", "spans": "int64",
    "self_time_ms": "float64", "scaled": "bool",
}


def _nanoseconds(times: pd.Series) -> np.ndarray:
    return pd.to_datetime(times, utc=True).astype("datetime64[ns, UTC]").array.asi8


def self_time(spans: pd.DataFrame) -> pd.Series:
    """Self time (ms) of each span, aligned with ``spans``.

    self = clip(duration_ms - |union of the children's intervals, each clipped to the
    parent's [start, end]|, 0, duration_ms). The union is measured per parent after sorting
    its children by start: a child adds ``max(0, end - max(start, latest end so far))``.
    """
    duration = spans["duration_ms"].to_numpy(dtype=float)
    if len(spans) == 0:
        return pd.Series(duration, index=spans.index, dtype="float64")
    parents = span_parents(spans)
    start, end = _nanoseconds(spans["start"]), _nanoseconds(spans["end"])
    child = np.flatnonzero(parents >= 0)
    parent = parents[child]
    lo = np.maximum(start[child], start[parent])
    hi = np.minimum(end[child], end[parent])
    keep = hi > lo
    order = np.lexsort((lo[keep], parent[keep]))
    owner, lo, hi = parent[keep][order], lo[keep][order], hi[keep][order]
    reach = pd.Series(hi).groupby(owner).cummax().to_numpy(dtype=np.int64)
    first = np.ones(len(owner), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    before = np.where(first, np.iinfo(np.int64).min, np.roll(reach, 1))
    added = np.clip(hi - np.maximum(lo, before), 0, None)
    covered_ns = np.bincount(owner, weights=added.astype(float), minlength=len(spans))
    own = np.clip(duration - covered_ns / 1e6, 0, None)
    return pd.Series(own, index=spans.index, dtype="float64", name="self_time_ms")


def sampling_weights(spans: pd.DataFrame, sampling_ratio: float | None = None) -> np.ndarray:
    """How many spans each kept span stands for: ``1 / ratio``, else 1.

    ``ratio`` = the span's ``sampling_ratio`` column when present, finite and in (0, 1];
    otherwise the ``sampling_ratio`` argument when given; otherwise the span is taken as
    unsampled (weight 1).
    """
    if sampling_ratio is not None and not 0 < sampling_ratio <= 1:
        raise ValueError(f"sampling_ratio must be in (0, 1], not {sampling_ratio}")
    fallback = 1.0 if sampling_ratio is None else float(sampling_ratio)
    if "sampling_ratio" in spans:
        ratio = pd.to_numeric(spans["sampling_ratio"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        known = np.isfinite(ratio) & (ratio > 0) & (ratio <= 1)
        ratio = np.where(known, ratio, fallback)
    else:
        ratio = np.full(len(spans), fallback)
    return 1.0 / ratio


def sampling_note(spans: pd.DataFrame, sampling_ratio: float | None = None) -> str | None:
    """One sentence saying how counts were scaled for sampling, or None when they were not.

    Names the distinct ratios (from the spans, else the argument) and the share of spans
    scaled, e.g. ``"counts and self time scaled by 1/ratio for head sampling: ratio 0.1
    (100% of spans)"``.
    """
    weights = sampling_weights(spans, sampling_ratio)
    scaled = weights != 1.0
    if not scaled.any():
        return None
    ratios = sorted({round(1.0 / w, 6) for w in weights[scaled]})
    listed = ", ".join(f"{r:g}" for r in ratios[:5]) + (", ..." if len(ratios) > 5 else "")
    return (f"counts and self time scaled by 1/ratio for head sampling: ratio {listed} "
            f"({scaled.mean():.0%} of spans)")


def load_curves(
    spans: pd.DataFrame,
    span_context: pd.Series,
    *,
    bucket_minutes: float = 5,
    self_time_ms: pd.Series | None = None,
    sampling_ratio: float | None = None,
) -> pd.DataFrame:
    """Load per context and time bucket.

    ``bucket`` = span start floored to ``bucket_minutes`` (setting ``load_bucket_minutes``);
    ``requests`` = spans of kind SERVER or CONSUMER (entry points); ``spans`` = all spans;
    ``self_time_ms`` = sum of their self time (:func:`self_time` unless given, aligned with
    ``spans``). Each span counts with its :func:`sampling_weights` weight (1 unless a
    sampling ratio is known); weighted ``requests`` and ``spans`` are rounded to whole
    numbers per row, and ``scaled`` (the same on every row) says whether any weight was
    not 1. Every context with a span gets a row for every bucket from the first to the
    last bucket of all spans (zeros included, so medians are honest). Unassigned spans
    only widen the range. Sorted by context, then bucket.
    """
    if bucket_minutes <= 0:
        raise ValueError(f"bucket_minutes must be positive, not {bucket_minutes}")
    if len(spans) == 0:
        return _empty(_CURVE_COLUMNS)
    width = pd.Timedelta(minutes=bucket_minutes)
    own = self_time(spans) if self_time_ms is None else self_time_ms
    weight = sampling_weights(spans, sampling_ratio)
    frame = pd.DataFrame(
        {
            "context": context_values(span_context, len(spans), "span_context"),
            "bucket": pd.to_datetime(spans["start"], utc=True).dt.floor(width).astype("datetime64[ns, UTC]").array,
            "requests": spans["kind"].isin(ENTRY_KINDS).to_numpy(dtype=float) * weight,
            "spans": weight,
            "self_time_ms": np.asarray(own, dtype=float) * weight,
        }
    )
    frame["bucket"] = pd.to_datetime(frame["bucket"], utc=True)
    buckets = pd.date_range(frame["bucket"].min(), frame["bucket"].max(), freq=width)
    assigned = frame[frame["context"].notna()]
    if assigned.empty:
        return _empty(_CURVE_COLUMNS)
    sums = assigned.groupby(["context", "bucket"])[["requests", "spans", "self_time_ms"]].sum()
    contexts = sorted(assigned["context"].unique())
    full = pd.MultiIndex.from_product([contexts, buckets], names=["context", "bucket"])
    out = sums.reindex(full, fill_value=0).reset_index()
    out["requests"] = np.rint(out["requests"].to_numpy(dtype=float))
    out["spans"] = np.rint(out["spans"].to_numpy(dtype=float))
    out["scaled"] = bool((weight != 1.0).any())
    return out[list(_CURVE_COLUMNS)].astype(_CURVE_COLUMNS)


def _component(ratio: float, saturation_ratio: float) -> float:
    """min(1, max(0, log(ratio) / log(saturation_ratio))); 0 without evidence (NaN)."""
    if not np.isfinite(ratio) or ratio <= 0:
        return 0.0
    return float(np.clip(np.log(ratio) / np.log(saturation_ratio), 0.0, 1.0))


def _peak_to_median(curve: np.ndarray) -> float:
    if len(curve) == 0:
        return float("nan")
    median = float(np.median(curve))
    if median == 0:
        nonzero = curve[curve > 0]
        median = float(np.median(nonzero)) if len(nonzero) else 0.0
    return float(curve.max() / median) if median > 0 else float("nan")


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def scaling_asymmetry(curves: pd.DataFrame, *, saturation_ratio: float = 100.0, correlation_minutes: int = 60,
                      min_requests: float = 0) -> pd.DataFrame:
    """How differently each context loads the system, from :func:`load_curves`.

    Per context:

    - ``load_share`` = its requests / all requests (NaN when there are none);
    - ``self_time_share`` = its self time / all self time (NaN when there is none);
    - ``peak_to_median`` = max bucket self time / median bucket self time; when the median is
      0 (a context idle most of the time) the median of its non-zero buckets is used
      instead; NaN when every bucket is 0;
    - ``correlation_with_rest`` = Pearson correlation of its self-time curve with the *shape*
      of the rest of the system: the mean of the other contexts' curves, each divided by its
      own total so that every context weighs the same (a plain sum would be the heaviest
      context's curve alone). Both are compared at ``correlation_minutes`` resolution, since
      5-minute buckets of a lightly traced context are mostly noise. NaN when either curve is
      constant (or one bucket only);
    - ``requests`` = its requests (SERVER and CONSUMER spans, scaled for sampling);
    - ``compute_ratio_max`` = its total self time / the smallest non-zero total self time
      among the other contexts that served at least ``min_requests`` requests, named in
      ``compared_to`` (NaN / ``<NA>`` without one, and for a context itself under
      ``min_requests``: a ratio against a handful of requests is noise);
    - ``score`` in [0, 1] = mean of three components, each 0 when its figure is NaN:
      ``score_peak`` = min(1, log(peak_to_median) / log(saturation_ratio)),
      ``score_decorrelation`` = clip((1 - correlation_with_rest) / 2, 0, 1),
      ``score_compute`` = clip(log(compute_ratio_max) / log(saturation_ratio), 0, 1).
      With the default ``saturation_ratio`` of 100, the log components are log10(x) / 2:
      a ratio of 10 scores 0.5, a ratio of 100 or more scores 1.

    Sorted by score descending, then context.
    """
    columns = {
        "context": "string", "requests": "float64", "load_share": "float64", "self_time_share": "float64",
        "peak_to_median": "float64", "correlation_with_rest": "float64", "compute_ratio_max": "float64",
        "compared_to": "string", "score": "float64", "score_peak": "float64",
        "score_decorrelation": "float64", "score_compute": "float64",
    }
    if saturation_ratio <= 1:
        raise ValueError(f"saturation_ratio must be above 1, not {saturation_ratio}")
    if curves.empty:
        return _empty(columns)
    wide = curves.pivot_table(index="bucket", columns="context", values="self_time_ms", aggfunc="sum", fill_value=0.0)
    requests = curves.groupby("context")["requests"].sum()
    totals = wide.sum(axis=0)
    all_requests, all_time = float(requests.sum()), float(totals.sum())
    coarse = wide.resample(f"{int(correlation_minutes)}min").sum() if isinstance(wide.index, pd.DatetimeIndex) else wide
    shapes = coarse / coarse.sum(axis=0).replace(0.0, np.nan)
    rows = []
    for context in sorted(wide.columns):
        curve = wide[context].to_numpy(dtype=float)
        others = totals.drop(context)
        others = others[(others > 0) & (requests.reindex(others.index, fill_value=0) >= min_requests)]
        if len(others) and float(requests.get(context, 0)) >= min_requests:
            compared_to = str(others.idxmin())
            ratio = float(totals[context] / others.min())
        else:
            compared_to, ratio = pd.NA, float("nan")
        peak = _peak_to_median(curve)
        rest = shapes.drop(columns=[context]).dropna(axis=1, how="all")
        correlation = _correlation(coarse[context].to_numpy(dtype=float), rest.mean(axis=1).to_numpy(dtype=float)) if rest.shape[1] else float("nan")
        score_peak = _component(peak, saturation_ratio)
        score_decorrelation = 0.0 if np.isnan(correlation) else float(np.clip((1 - correlation) / 2, 0, 1))
        score_compute = _component(ratio, saturation_ratio)
        rows.append(
            {
                "context": context,
                "requests": float(requests.get(context, 0)),
                "load_share": float(requests.get(context, 0)) / all_requests if all_requests else float("nan"),
                "self_time_share": float(totals[context]) / all_time if all_time else float("nan"),
                "peak_to_median": peak,
                "correlation_with_rest": correlation,
                "compute_ratio_max": ratio,
                "compared_to": compared_to,
                "score": (score_peak + score_decorrelation + score_compute) / 3,
                "score_peak": score_peak,
                "score_decorrelation": score_decorrelation,
                "score_compute": score_compute,
            }
        )
    out = pd.DataFrame(rows, columns=list(columns)).sort_values(["score", "context"], ascending=[False, True])
    return out.astype(columns).reset_index(drop=True)


def compute_ratio_matrix(curves: pd.DataFrame) -> pd.DataFrame:
    """Compute ratio of every context against every other, from :func:`load_curves`.

    ``matrix.loc[a, b]`` = total self time of ``a`` / total self time of ``b``: how many
    times the compute of ``b`` context ``a`` needs. The diagonal is 1 for a context with
    self time; a column whose context has no self time is NaN (no ratio against nothing).
    Index and columns: the contexts, sorted; index name ``context``, columns name
    ``compared_to``. :func:`scaling_asymmetry`'s ``compute_ratio_max`` is the row maximum.
    """
    if curves.empty:
        return pd.DataFrame(dtype="float64").rename_axis(index="context", columns="compared_to")
    totals = curves.groupby("context")["self_time_ms"].sum().astype(float).sort_index()
    below = totals.where(totals > 0)
    values = totals.to_numpy()[:, None] / below.to_numpy()[None, :]
    names = pd.Index([str(c) for c in totals.index], dtype="string")
    return pd.DataFrame(values, index=names.rename("context"), columns=names.rename("compared_to"))


def self_time_vs_code(curves: pd.DataFrame, code_size: pd.Series) -> pd.DataFrame:
    """Each context's share of the runtime work against its share of the code.

    ``code_size``: files or lines per context (a Series indexed by context name; whatever
    unit, the shares are relative). Per context in either input:

    - ``self_time_ms`` = its total self time in ``curves`` (0 when it has no spans);
    - ``self_time_share`` = self_time_ms / all contexts' self time (NaN when none);
    - ``code_size`` = as given (0 when missing); ``code_share`` = code_size / all code_size
      (NaN when none);
    - ``load_to_code_ratio`` = self_time_share / code_share: above 1, the context does more
      of the work than its size suggests; NaN when its code share is 0 or unknown.

    Sorted by load_to_code_ratio descending (NaN last), then context.
    """
    columns = {"context": "string", "self_time_ms": "float64", "self_time_share": "float64",
               "code_size": "float64", "code_share": "float64", "load_to_code_ratio": "float64"}
    work = curves.groupby("context")["self_time_ms"].sum().astype(float) if len(curves) else pd.Series(dtype=float)
    work.index = [str(c) for c in work.index]
    size = pd.Series(code_size, dtype="float64")
    size.index = [str(c) for c in size.index]
    names = sorted(set(work.index) | set(size.index))
    if not names:
        return _empty(columns)
    work, size = work.reindex(names, fill_value=0.0), size.reindex(names).fillna(0.0)
    if (size < 0).any():
        raise ValueError("code_size must not be negative")
    all_work, all_code = float(work.sum()), float(size.sum())
    out = pd.DataFrame({"context": names, "self_time_ms": work.to_numpy(), "code_size": size.to_numpy()})
    out["self_time_share"] = out["self_time_ms"] / all_work if all_work else float("nan")
    out["code_share"] = out["code_size"] / all_code if all_code else float("nan")
    out["load_to_code_ratio"] = out["self_time_share"] / out["code_share"].where(out["code_share"] > 0)
    out = out.sort_values(["load_to_code_ratio", "context"], ascending=[False, True], na_position="last")
    return out[list(columns)].astype(columns).reset_index(drop=True)


def load_by_context_over_time(curves: pd.DataFrame, freq: str = "1h") -> pd.DataFrame:
    """The load curves summed into coarser buckets of ``freq`` (a pandas offset), for plotting.

    Columns as :func:`load_curves`: ``context, bucket, requests, spans, self_time_ms, scaled``.
    """
    if curves.empty:
        return _empty(_CURVE_COLUMNS)
    out = (
        curves.groupby(["context", pd.Grouper(key="bucket", freq=freq)])[["requests", "spans", "self_time_ms"]]
        .sum()
        .reset_index()
    )
    out["scaled"] = bool(curves["scaled"].any()) if "scaled" in curves else False
    return out[list(_CURVE_COLUMNS)].astype(_CURVE_COLUMNS).reset_index(drop=True)


