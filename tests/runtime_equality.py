"""Every runtime figure of an engine's aggregates against the file path's, for the tests of
the trace stores (chDB, DuckDB, a ClickHouse server)."""

from __future__ import annotations

import pandas as pd
import pytest

#: the frames of ``RuntimeEvidence`` compared (sums of milliseconds to the last bits)
FRAMES = ("calls", "latency", "fan_in", "chains", "orchestration", "orchestrated", "curves")


def assert_same_runtime(got, expected) -> None:
    """Every runtime figure of ``got`` (an engine's) equals ``expected`` (the file path's):
    percentiles, maxima and counts exactly; sums of milliseconds within 1e-9 (float addition
    in another order); coverage, window and the states of every status."""
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), check_exact=False, rtol=1e-9, obj=name)
    for column in ("calls", "caller_spans", "p50_ms", "p95_ms", "max_ms"):
        assert got.latency[column].tolist() == expected.latency[column].tolist(), column
    pd.testing.assert_frame_equal(got.asymmetry, expected.asymmetry, check_exact=False, rtol=1e-6)
    assert len(expected.latency) and len(expected.orchestration) and len(expected.orchestrated)
    differ = {k for k in expected.coverage if not _same(got.coverage.get(k), expected.coverage[k])}
    assert not differ, differ
    assert set(got.coverage) - {"beyond_depth"} == set(expected.coverage)  # the walk's bound: the engine's alone
    assert got.window == expected.window
    for status in ("calls_status", "load_status", "coverage_status", "inventory_status"):
        assert getattr(got, status).state == getattr(expected, status).state, status


def _same(a, b) -> bool:
    if isinstance(b, float) and isinstance(a, float):
        return (a != a and b != b) or a == pytest.approx(b, rel=1e-9)
    return a == b
