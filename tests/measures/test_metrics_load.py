"""Self time, load curves and scaling asymmetry on tiny literal frames with known answers."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.core import frames
from analysis.measures.metrics.load import (
    compute_ratio_matrix,
    load_by_context_over_time,
    load_curves,
    sampling_note,
    sampling_weights,
    scaling_asymmetry,
    self_time,
    self_time_vs_code,
)

T0 = pd.Timestamp("2024-03-01T12:00:00Z")


def make_spans(rows):
    """rows: (trace, span, parent, kind, start_ms, end_ms[, duration_ms])."""
    records = []
    for row in rows:
        trace, span, parent, kind, start, end = row[:6]
        records.append(
            {
                "trace_id": trace, "span_id": span, "parent_span_id": parent, "name": span, "kind": kind,
                "service": "shopfront", "start": T0 + pd.Timedelta(milliseconds=start),
                "end": T0 + pd.Timedelta(milliseconds=end),
                "duration_ms": float(row[6] if len(row) > 6 else end - start), "is_error": False, "link_count": 0,
            }
        )
    return frames.conform(pd.DataFrame(records), "spans")


def S(values):
    return pd.Series(values, dtype="string")


# ------------------------------------------------------------------ self time


def test_self_time_overlapping_and_skewed_children():
    spans = make_spans(
        [
            ("t1", "p", None, "SERVER", 0, 100),
            ("t1", "c1", "p", "INTERNAL", 10, 40),  # overlaps c2: union 10..60
            ("t1", "c2", "p", "INTERNAL", 30, 60),
            ("t1", "c3", "p", "CLIENT", 90, 130),  # clock skew: clipped to 90..100
            ("t1", "c4", "p", "CONSUMER", 150, 160),  # entirely after the parent: nothing
            ("t1", "g", "c1", "INTERNAL", 15, 25),
            ("t2", "x", "p", "INTERNAL", 0, 100),  # same parent id in another trace: not a child
        ]
    )
    assert self_time(spans).tolist() == [40.0, 20.0, 30.0, 40.0, 10.0, 10.0, 100.0]


def test_self_time_child_inside_another_child_counts_once():
    spans = make_spans(
        [
            ("t1", "p", None, "SERVER", 0, 100),
            ("t1", "a", "p", "INTERNAL", 0, 80),
            ("t1", "b", "p", "INTERNAL", 20, 30),  # nested in a's interval
            ("t1", "c", "p", "INTERNAL", 70, 90),  # extends the union to 90
        ]
    )
    assert self_time(spans).iloc[0] == pytest.approx(10.0)


def test_self_time_never_negative():
    # a parent whose recorded duration is shorter than its [start, end]
    spans = make_spans([("t1", "p", None, "SERVER", 0, 100, 50.0), ("t1", "c", "p", "INTERNAL", 0, 100)])
    assert self_time(spans).tolist() == [0.0, 100.0]


def test_self_time_keeps_the_index_and_handles_empty():
    spans = make_spans([("t1", "p", None, "SERVER", 0, 10)])
    spans.index = [42]
    assert self_time(spans).index.tolist() == [42]
    assert self_time(frames.empty("spans")).empty


# ------------------------------------------------------------------ load curves


def test_load_curves_zero_fill_across_the_observed_range():
    spans = make_spans(
        [
            ("t1", "a", None, "SERVER", 0, 10),  # 12:00 orders
            ("t1", "b", "a", "INTERNAL", 2 * 60_000, 2 * 60_000 + 5),  # 12:02 orders (child outside parent)
            ("t2", "c", None, "CONSUMER", 16 * 60_000, 16 * 60_000 + 4),  # 12:16 billing
            ("t3", "d", None, "SERVER", 31 * 60_000, 31 * 60_000 + 1),  # 12:31 unassigned: widens the range
        ]
    )
    curves = load_curves(spans, S(["orders", "orders", "billing", None]), bucket_minutes=5)
    assert list(curves.columns) == ["context", "bucket", "requests", "spans", "self_time_ms", "scaled"]
    assert not curves["scaled"].any()
    assert len(curves) == 2 * 7  # two contexts x buckets 12:00 .. 12:30
    assert curves["bucket"].min() == T0 and curves["bucket"].max() == T0 + pd.Timedelta(minutes=30)
    orders = curves[curves["context"] == "orders"].set_index("bucket")
    assert orders.loc[T0, ["requests", "spans", "self_time_ms"]].tolist() == [1, 2, 15.0]
    assert orders["spans"].sum() == 2 and (orders["spans"] == 0).sum() == 6
    billing = curves[curves["context"] == "billing"].set_index("bucket")
    assert billing.loc[T0 + pd.Timedelta(minutes=15), ["requests", "spans", "self_time_ms"]].tolist() == [1, 1, 4.0]
    assert curves["self_time_ms"].sum() == 19.0


def test_load_curves_take_given_self_time_and_bucket_width():
    spans = make_spans([("t1", "a", None, "SERVER", 0, 10), ("t2", "b", None, "SERVER", 59 * 60_000, 59 * 60_000 + 1)])
    curves = load_curves(spans, S(["orders", "orders"]), bucket_minutes=60, self_time_ms=pd.Series([7.0, 3.0]))
    assert curves[["requests", "spans", "self_time_ms"]].values.tolist() == [[2, 2, 10.0]]


def test_load_curves_empty_and_unassigned():
    assert load_curves(frames.empty("spans"), S([])).empty
    spans = make_spans([("t1", "a", None, "SERVER", 0, 10)])
    assert load_curves(spans, S([None])).empty
    with pytest.raises(ValueError):
        load_curves(spans, S(["orders"]), bucket_minutes=0)


# ------------------------------------------------------------------ scaling asymmetry


def curves_of(series: dict[str, list[float]], requests: dict[str, list[int]] | None = None) -> pd.DataFrame:
    rows = []
    for context, values in series.items():
        for n, value in enumerate(values):
            req = (requests or {}).get(context, [0] * len(values))[n]
            rows.append((context, T0 + pd.Timedelta(minutes=5 * n), req, 1, float(value)))
    out = pd.DataFrame(rows, columns=["context", "bucket", "requests", "spans", "self_time_ms"])
    return out.astype({"context": "string"})


def test_scaling_asymmetry_hand_computed():
    curves = curves_of({"a": [10, 10, 10, 100], "b": [1, 2, 1, 2]}, {"a": [1, 1, 1, 1], "b": [0, 0, 0, 2]})
    out = scaling_asymmetry(curves, correlation_minutes=5).set_index("context")
    a, b = out.loc["a"], out.loc["b"]
    assert a["load_share"] == pytest.approx(4 / 6) and b["load_share"] == pytest.approx(2 / 6)
    assert a["self_time_share"] == pytest.approx(130 / 136)
    assert a["peak_to_median"] == pytest.approx(10.0)  # 100 / median(10, 10, 10, 100)
    assert b["peak_to_median"] == pytest.approx(2 / 1.5)
    # deviations a: (-22.5, -22.5, -22.5, 67.5), b: (-.5, .5, -.5, .5) -> 45 / sqrt(6075 * 1)
    assert a["correlation_with_rest"] == pytest.approx(1 / math.sqrt(3))
    assert b["correlation_with_rest"] == pytest.approx(1 / math.sqrt(3))
    assert a["compute_ratio_max"] == pytest.approx(130 / 6) and a["compared_to"] == "b"
    assert b["compute_ratio_max"] == pytest.approx(6 / 130) and b["compared_to"] == "a"
    assert a["score_peak"] == pytest.approx(0.5)
    assert a["score_decorrelation"] == pytest.approx((1 - 1 / math.sqrt(3)) / 2)
    assert a["score_compute"] == pytest.approx(math.log10(130 / 6) / 2)
    assert b["score_compute"] == 0.0  # a ratio below 1 is no pressure
    assert a["score"] == pytest.approx((a["score_peak"] + a["score_decorrelation"] + a["score_compute"]) / 3)
    assert out.index.tolist() == ["a", "b"]  # sorted by score


def test_correlation_with_rest_weighs_every_other_context_alike():
    # a and b follow the same daytime shape; c is a heavy night burst. Against a plain sum of
    # the others, c's volume drowns b's shape; against the others' mean shape b counts as much.
    day = [1, 5, 9, 5, 1, 0]
    curves = curves_of({"a": day, "b": [2 * v for v in day], "c": [0, 0, 0, 0, 0, 5000]})
    out = scaling_asymmetry(curves, correlation_minutes=5).set_index("context")
    # rest of a = mean(b/42, c/5000) = (2v/42 + [0,0,0,0,0,1]) / 2
    rest = [(2 * v / 42 + (1 if n == 5 else 0)) / 2 for n, v in enumerate(day)]
    assert out.loc["a", "correlation_with_rest"] == pytest.approx(float(np.corrcoef(day, rest)[0, 1]))
    plain_sum = [2 * v + (5000 if n == 5 else 0) for n, v in enumerate(day)]
    assert out.loc["a", "correlation_with_rest"] > float(np.corrcoef(day, plain_sum)[0, 1]) + 0.3
    assert out.loc["c", "correlation_with_rest"] < 0


def test_correlation_is_measured_at_the_coarser_resolution():
    # twelve 5-minute buckets = one hour: at 60 minutes there is one point, so no correlation
    curves = curves_of({"a": list(range(12)), "b": list(range(12))})
    assert np.isnan(scaling_asymmetry(curves).set_index("context").loc["a", "correlation_with_rest"])
    assert scaling_asymmetry(curves, correlation_minutes=5).set_index("context").loc["a", "correlation_with_rest"] == pytest.approx(1.0)


def test_peak_to_median_uses_non_zero_buckets_when_the_median_is_zero():
    out = scaling_asymmetry(curves_of({"batch": [0, 0, 0, 5, 20, 5, 0], "web": [1, 1, 1, 1, 1, 1, 2]}))
    batch = out.set_index("context").loc["batch"]
    assert batch["peak_to_median"] == pytest.approx(4.0)  # 20 / median(5, 20, 5)


def test_constant_curve_and_single_context():
    out = scaling_asymmetry(curves_of({"only": [3, 3, 3]})).iloc[0]
    assert out["context"] == "only"
    assert math.isnan(out["correlation_with_rest"]) and math.isnan(out["compute_ratio_max"])
    assert pd.isna(out["compared_to"])
    assert out["peak_to_median"] == 1.0
    assert out["score"] == 0.0 and out["load_share"] != out["load_share"]  # no requests at all: NaN
    idle = scaling_asymmetry(curves_of({"idle": [0, 0], "busy": [1, 3]})).set_index("context").loc["idle"]
    assert math.isnan(idle["peak_to_median"]) and idle["compute_ratio_max"] == 0.0 and idle["score"] == 0.0


def test_compute_ratio_against_the_smallest_non_zero_other():
    out = scaling_asymmetry(curves_of({"big": [1000, 1000], "mid": [50, 50], "small": [5, 5], "idle": [0, 0]}))
    big = out.set_index("context").loc["big"]
    assert big["compute_ratio_max"] == pytest.approx(200.0) and big["compared_to"] == "small"
    assert big["score_compute"] == 1.0  # saturates at a ratio of 100


def test_saturation_ratio_changes_the_log_components():
    curves = curves_of({"a": [10, 10, 10, 100], "b": [1, 2, 1, 2]})
    out = scaling_asymmetry(curves, saturation_ratio=10).set_index("context")
    assert out.loc["a", "score_peak"] == 1.0
    with pytest.raises(ValueError):
        scaling_asymmetry(curves, saturation_ratio=1)


def test_scaling_asymmetry_empty():
    out = scaling_asymmetry(curves_of({}).astype({"bucket": "datetime64[ns, UTC]"}))
    assert out.empty and "score_compute" in out.columns


def test_load_by_context_over_time_sums_into_hours():
    values = np.arange(24)  # two hours of five-minute buckets
    curves = curves_of({"a": list(values)})
    hourly = load_by_context_over_time(curves, freq="1h")
    assert hourly["self_time_ms"].tolist() == [float(values[:12].sum()), float(values[12:].sum())]
    assert hourly["spans"].tolist() == [12, 12]
    assert load_by_context_over_time(curves.iloc[0:0]).empty


# ------------------------------------------------------------------ sampling


def test_sampling_weights_prefer_the_span_column_then_the_argument():
    spans = make_spans([("t1", "a", None, "SERVER", 0, 10), ("t2", "b", None, "SERVER", 0, 10), ("t3", "c", None, "SERVER", 0, 10)])
    spans["sampling_ratio"] = [0.25, float("nan"), 2.0]  # 2.0 is not a probability: unknown
    assert sampling_weights(spans).tolist() == [4.0, 1.0, 1.0]
    assert sampling_weights(spans, 0.5).tolist() == [4.0, 2.0, 2.0]
    assert sampling_weights(spans.drop(columns=["sampling_ratio"]), 0.1).tolist() == pytest.approx([10.0] * 3)
    with pytest.raises(ValueError):
        sampling_weights(spans, 0.0)


def test_load_curves_scale_counts_and_self_time_and_say_so():
    spans = make_spans([("t1", "a", None, "SERVER", 0, 10), ("t1", "b", "a", "INTERNAL", 2, 4), ("t2", "c", None, "SERVER", 0, 3)])
    curves = load_curves(spans, S(["orders", "orders", "billing"]), sampling_ratio=0.1)
    got = curves.set_index("context")[["requests", "spans", "self_time_ms"]]
    assert got.loc["orders"].tolist() == [10, 20, pytest.approx(100.0)]  # self times 8 + 2, times 10
    assert got.loc["billing"].tolist() == [10, 10, pytest.approx(30.0)]
    assert curves["scaled"].all()
    assert curves["requests"].dtype == "int64"
    note = sampling_note(spans, 0.1)
    assert "0.1" in note and "100% of spans" in note
    assert sampling_note(spans) is None
    # shares do not move under one common ratio
    plain = scaling_asymmetry(load_curves(spans, S(["orders", "orders", "billing"])))
    scaled = scaling_asymmetry(curves)
    assert scaled["self_time_share"].tolist() == pytest.approx(plain["self_time_share"].tolist())


def test_rounding_of_scaled_counts_per_row():
    spans = make_spans([("t1", "a", None, "SERVER", 0, 10)])
    spans["sampling_ratio"] = [0.3]
    curves = load_curves(spans, S(["orders"]))
    assert curves[["requests", "spans"]].values.tolist() == [[3, 3]]  # 1 / 0.3 = 3.33
    assert curves["self_time_ms"].iloc[0] == pytest.approx(10 / 0.3)


# ------------------------------------------------------------------ compute ratios and code share


def test_compute_ratio_matrix_every_pair():
    curves = curves_of({"a": [100, 100], "b": [10, 10], "c": [0, 0]})
    m = compute_ratio_matrix(curves)
    assert m.index.tolist() == ["a", "b", "c"] and m.columns.tolist() == ["a", "b", "c"]
    assert m.loc["a", "b"] == 10.0 and m.loc["b", "a"] == 0.1 and m.loc["a", "a"] == 1.0
    assert m["c"].isna().all()  # nothing to compare against
    assert m.loc["c", "a"] == 0.0
    # the row maximum (off the diagonal) is scaling_asymmetry's compute_ratio_max
    asym = scaling_asymmetry(curves).set_index("context")
    assert asym.loc["a", "compute_ratio_max"] == m.loc["a", ["b", "c"]].max()
    assert compute_ratio_matrix(curves.iloc[0:0]).empty


def test_self_time_vs_code():
    curves = curves_of({"orders": [60, 20], "billing": [20, 0]})
    code = pd.Series({"orders": 50, "billing": 40, "search": 10})
    out = self_time_vs_code(curves, code).set_index("context")
    assert out.index.tolist() == ["orders", "billing", "search"]  # by ratio: 1.6, 0.5, 0
    assert out.loc["orders", "self_time_share"] == pytest.approx(0.8)
    assert out.loc["orders", "code_share"] == pytest.approx(0.5)
    assert out.loc["orders", "load_to_code_ratio"] == pytest.approx(1.6)
    assert out.loc["billing", "load_to_code_ratio"] == pytest.approx(0.2 / 0.4)
    assert out.loc["search", "self_time_ms"] == 0.0 and out.loc["search", "load_to_code_ratio"] == 0.0


def test_self_time_vs_code_unknown_code_and_empty():
    curves = curves_of({"orders": [1], "legacy": [3]})
    out = self_time_vs_code(curves, pd.Series({"orders": 10})).set_index("context")
    assert math.isnan(out.loc["legacy", "load_to_code_ratio"]) and out.loc["legacy", "code_size"] == 0.0
    assert out.index.tolist() == ["orders", "legacy"]  # NaN last
    assert self_time_vs_code(curves.iloc[0:0], pd.Series(dtype=float)).empty
    nothing = self_time_vs_code(curves.iloc[0:0], pd.Series({"orders": 3}))
    assert math.isnan(nothing["self_time_share"].iloc[0])
    with pytest.raises(ValueError):
        self_time_vs_code(curves, pd.Series({"orders": -1}))
