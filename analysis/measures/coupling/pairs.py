"""The four coupling signals per pair of contexts, and hidden coupling.

Input columns:
    structural edges  (source, target, edges)            — from coupling.structural.context_edges
    co-change         (context_a, context_b, shared_commits, degree) — coupling.evolutionary.context_cochange
    data pairs        (context_a, context_b, shared_tables, tables)  — coupling.data.data_pairs
    runtime calls     (caller, callee, mode, calls)      — coupling.runtime.context_calls

    orchestrated      (context_a, context_b, traces)     — measures.runtime.orchestration_of

Output, one row per unordered pair (context_a < context_b) with any signal:
    context_a, context_b, structural (import rows, both directions), evolutionary (co-change
    degree, percent), data (shared tables), runtime (calls, both directions, sync and async),
    orchestrated (traces both take part in), <signal>_coupled (by the thresholds below),
    signals (how many hold), hidden.

A signal whose evidence is not measured (``known[signal]`` False: no import graph, no SQL
log, no traces, too little history) is unknown for every pair: its value is NaN and its
``_coupled`` flag ``<NA>`` — never 0 and False — and it counts toward no ``signals``.
``hidden`` is ``<NA>`` when the structural signal is unknown (nothing can be hidden from
imports that were not read) or when none of the other three is known.

A pair is coupled in a signal when:
    structural:   import rows >= structural_min_edges
    evolutionary: degree >= evolutionary_min_degree and shared commits >= evolutionary_min_shared_commits
    data:         shared tables >= data_min_shared_tables
    runtime:      calls >= runtime_min_calls, or orchestrated traces >= runtime_min_calls
                  (taking part in one request is runtime coupling of its own kind)

*Hidden coupling* (DESIGN): coupled in data, runtime or co-change but not in imports — the
dependencies an architect cannot see by reading the code.
"""

from __future__ import annotations

import pandas as pd

SIGNALS = ("structural", "evolutionary", "data", "runtime")
COLUMNS = ["context_a", "context_b", *SIGNALS, "orchestrated", *(f"{s}_coupled" for s in SIGNALS), "signals", "hidden"]


def _ordered(a: pd.Series, b: pd.Series) -> tuple[pd.Series, pd.Series]:
    lo = a.where(a < b, b)
    hi = b.where(a < b, a)
    return lo.astype("string"), hi.astype("string")


def _undirected(frame: pd.DataFrame, src: str, dst: str, value: str) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame({"context_a": pd.Series(dtype="string"), "context_b": pd.Series(dtype="string"), value: pd.Series(dtype="float64")})
    f = frame[frame[src] != frame[dst]]
    a, b = _ordered(f[src].astype("string"), f[dst].astype("string"))
    out = pd.DataFrame({"context_a": a, "context_b": b, value: f[value].astype("float64")})
    return out.groupby(["context_a", "context_b"], as_index=False)[value].sum()


def context_pairs(
    structural_edges: pd.DataFrame | None,
    cochange: pd.DataFrame | None,
    data_pairs: pd.DataFrame | None,
    calls: pd.DataFrame | None,
    *,
    orchestrated: pd.DataFrame | None = None,
    known: dict[str, bool] | None = None,
    structural_min_edges: float = 1,
    evolutionary_min_degree: float = 10,
    evolutionary_min_shared_commits: float = 5,
    data_min_shared_tables: float = 1,
    runtime_min_calls: float = 10,
) -> pd.DataFrame:
    """Fuse the four signals into one row per pair of contexts (see module docstring)."""
    known = {s: True for s in SIGNALS} | (known or {})
    parts = [
        _undirected(structural_edges, "source", "target", "edges").rename(columns={"edges": "structural"}),
        _undirected(data_pairs, "context_a", "context_b", "shared_tables").rename(columns={"shared_tables": "data"}),
        _undirected(calls, "caller", "callee", "calls").rename(columns={"calls": "runtime"}),
        _undirected(orchestrated, "context_a", "context_b", "traces").rename(columns={"traces": "orchestrated"}),
    ]
    if cochange is not None and not cochange.empty:
        a, b = _ordered(cochange["context_a"].astype("string"), cochange["context_b"].astype("string"))
        evo = pd.DataFrame({"context_a": a, "context_b": b, "evolutionary": cochange["degree"].astype("float64"),
                            "_shared": cochange["shared_commits"].astype("float64")})
    else:
        evo = pd.DataFrame({"context_a": pd.Series(dtype="string"), "context_b": pd.Series(dtype="string"),
                            "evolutionary": pd.Series(dtype="float64"), "_shared": pd.Series(dtype="float64")})
    merged = evo
    for p in parts:
        merged = merged.merge(p, on=["context_a", "context_b"], how="outer")
    for s in (*SIGNALS, "orchestrated", "_shared"):
        merged[s] = merged[s].fillna(0.0)
    merged = merged[(merged[[*SIGNALS, "orchestrated"]] > 0).any(axis=1)]
    flags = {
        "structural": merged["structural"] >= structural_min_edges,
        "evolutionary": (merged["evolutionary"] >= evolutionary_min_degree) & (merged["_shared"] >= evolutionary_min_shared_commits),
        "data": merged["data"] >= data_min_shared_tables,
        "runtime": (merged["runtime"] >= runtime_min_calls) | (merged["orchestrated"] >= runtime_min_calls),
    }
    for s in SIGNALS:
        if known[s]:
            merged[f"{s}_coupled"] = flags[s].astype("boolean")
        else:
            merged[s] = float("nan")
            merged[f"{s}_coupled"] = pd.array([pd.NA] * len(merged), dtype="boolean")
    if not known["runtime"]:
        merged["orchestrated"] = float("nan")
    merged["signals"] = sum(merged[f"{s}_coupled"].fillna(False).astype("int64") for s in SIGNALS)
    others = [s for s in ("evolutionary", "data", "runtime") if known[s]]
    if known["structural"] and others:
        hidden = merged[[f"{s}_coupled" for s in others]].fillna(False).any(axis=1) & ~merged["structural_coupled"].fillna(False)
        merged["hidden"] = hidden.astype("boolean")
    else:
        merged["hidden"] = pd.array([pd.NA] * len(merged), dtype="boolean")
    out = merged[COLUMNS].sort_values(["context_a", "context_b"], kind="stable").reset_index(drop=True)
    for s in (*SIGNALS, "orchestrated"):
        out[s] = out[s].astype("float64")
    out["signals"] = out["signals"].astype("int64")
    return out


def partners(pairs: pd.DataFrame, context: str, signals: tuple[str, ...] = SIGNALS) -> list[str]:
    """Contexts coupled with ``context`` in any of ``signals``, sorted."""
    if pairs.empty:
        return []
    mask = pairs[[f"{s}_coupled" for s in signals]].fillna(False).any(axis=1)
    p = pairs[mask]
    out = set(p.loc[p["context_a"] == context, "context_b"]) | set(p.loc[p["context_b"] == context, "context_a"])
    return sorted(out)
