"""The trend across runs: what moved since the last run and since the first, and what changed
in the configuration between them (a configuration change moves the numbers too).

Plain values in, frames out; :mod:`analysis.outputs.runs` reads the runs.

- :func:`trend_frame` — one row per run, figure and subject: ``run_id, at, metric, subject,
  value`` (a number, or a verdict's text; None where the run did not measure it). Figures:

  ======================  ==========================  =====================================
  metric                  subject                     from ``findings.json``
  ======================  ==========================  =====================================
  ``verdict``             the question's key          ``verdicts.<key>.verdict``
  ``recommendation``      ``overall``                 ``recommendation.verdict``
  ``coupling.<signal>``   ``a – b`` (a pair)          ``pairs[].signals.<signal>.value``
  ``violations``          the rule                    ``boundaries.counts`` (2.2)
  ``unassigned_share``    the source kind             ``inputs.<kind>.unassigned_share``
  ``change_frequency``    the context                 ``contexts[].commits_recent``
  ``load_asymmetry``      the context                 ``contexts[].asymmetry_score``
  ``compute_ratio``       the context                 ``contexts[].compute_ratio_max``
  ======================  ==========================  =====================================

  A pair missing from a run whose signal was measured, both of its contexts declared, had no
  coupling in that signal: 0. A pair (or context) missing from a run that did not measure it,
  or did not declare it, is None — not 0.
- :func:`config_changes` — per run after the first: whether its configuration differs from
  the run before and how (contexts added, removed or redrawn; sources; thresholds; weights;
  the scorecard). Runs written before schema 2.2 did not record their configuration: only their
  thresholds, weights and context names are compared, and the change says so.
- :func:`trend_table` — the figures as rows, the runs as columns, then ``since last`` and
  ``since first`` (a difference of numbers; ``old → new`` for a verdict; ``=`` when equal).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.outputs.runs import Run

SIGNALS = ("structural", "evolutionary", "data", "runtime")
METRIC_ORDER = ("verdict", "recommendation", "violations", "coupling.structural", "coupling.evolutionary", "coupling.data",
                "coupling.runtime", "unassigned_share", "change_frequency", "load_asymmetry", "compute_ratio")
METRIC_LABELS = {
    "verdict": "verdict", "recommendation": "recommendation", "violations": "boundary violations",
    "coupling.structural": "structural coupling (import rows)", "coupling.evolutionary": "co-change degree (%)",
    "coupling.data": "shared tables", "coupling.runtime": "runtime calls", "unassigned_share": "unassigned share",
    "change_frequency": "commits in the recent window", "load_asymmetry": "load asymmetry score",
    "compute_ratio": "compute ratio (max)",
}
FRAME_COLUMNS = ["run_id", "at", "metric", "subject", "value"]


def _pair(a: str, b: str) -> str:
    return " – ".join(sorted((str(a), str(b))))


def run_figures(findings: dict) -> list[tuple[str, str, object]]:
    """``(metric, subject, value)`` of one run's findings (coupling pairs as found)."""
    rows: list[tuple[str, str, object]] = []
    for key, verdict in (findings.get("verdicts") or {}).items():
        rows.append(("verdict", str(key), (verdict or {}).get("verdict")))
    rows.append(("recommendation", "overall", (findings.get("recommendation") or {}).get("verdict")))
    counts = (findings.get("boundaries") or {}).get("counts") or {}
    for rule in ("import", "cycle", "write_shared_table", "cross_context_join"):
        rows.append(("violations", rule, counts.get(rule)))
    for pair in findings.get("pairs") or []:
        for signal, value in (pair.get("signals") or {}).items():
            rows.append((f"coupling.{signal}", _pair(pair["context_a"], pair["context_b"]), (value or {}).get("value")))
    for kind in ("git", "imports", "sql", "traces"):
        rows.append(("unassigned_share", kind, ((findings.get("inputs") or {}).get(kind) or {}).get("unassigned_share")))
    for context in findings.get("contexts") or []:
        name = str(context.get("context"))
        rows += [("change_frequency", name, context.get("commits_recent")), ("load_asymmetry", name, context.get("asymmetry_score")),
                 ("compute_ratio", name, context.get("compute_ratio_max"))]
    return rows


def _signal_measured(findings: dict, signal: str) -> bool:
    states = ((findings.get("evidence_states") or {}).get("signals") or {})
    return (states.get(signal) or {}).get("state") == "measured"


def trend_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """Every figure of every run (see the module docstring), runs oldest first."""
    per_run = [{(m, s): v for m, s, v in run_figures(r.findings)} for r in runs]
    keys = list(dict.fromkeys(key for figures in per_run for key in figures))
    rows = []
    for run, figures in zip(runs, per_run):
        declared = {str(c.get("context")) for c in run.findings.get("contexts") or []}
        for metric, subject in keys:
            if (metric, subject) in figures:
                continue
            if metric.startswith("coupling."):
                both = all(c in declared for c in subject.split(" – "))
                figures[(metric, subject)] = 0.0 if both and _signal_measured(run.findings, metric.split(".", 1)[1]) else None
            else:
                figures[(metric, subject)] = None
        for (metric, subject), value in figures.items():
            rows.append((run.run_id, run.at, metric, subject, value))
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    if frame.empty:
        return frame
    frame["_order"] = frame["metric"].map(lambda m: METRIC_ORDER.index(m) if m in METRIC_ORDER else len(METRIC_ORDER))
    frame["_run"] = frame["run_id"].map({r.run_id: n for n, r in enumerate(runs)})
    return frame.sort_values(["_order", "metric", "subject", "_run"], kind="stable").drop(columns=["_order", "_run"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# configuration changes


def _diff(before: dict, after: dict, what: str) -> list[str]:
    out = []
    for key in sorted(set(before) | set(after)):
        if key not in before:
            out.append(f"{what} {key} added")
        elif key not in after:
            out.append(f"{what} {key} removed")
        elif before[key] != after[key]:
            if isinstance(before[key], dict) and isinstance(after[key], dict):
                parts = [k for k in sorted(set(before[key]) | set(after[key])) if before[key].get(k) != after[key].get(k)]
                out.append(f"{what} {key}: {', '.join(parts)} changed")
            else:
                out.append(f"{what} {key}: {format_value(before[key])} → {format_value(after[key])}")
    return out


def _partial_config(findings: dict) -> dict:
    settings = findings.get("settings") or {}
    return {"contexts": {str(c.get("context")): {} for c in findings.get("contexts") or []},
            "thresholds": settings.get("thresholds") or {}, "weights": settings.get("weights") or {}}


def config_changes(runs: Sequence[Run]) -> pd.DataFrame:
    """Per run after the first: ``run_id, changed, changes`` (texts), ``recorded`` (whether
    both runs recorded their configuration)."""
    rows: list[tuple] = []
    for before, after in zip(runs, runs[1:]):
        old: dict | None = before.findings.get("config")
        new: dict | None = after.findings.get("config")
        recorded = old is not None and new is not None
        a: dict = old if recorded and old is not None else _partial_config(before.findings)
        b: dict = new if recorded and new is not None else _partial_config(after.findings)
        if recorded and a.get("fingerprint") == b.get("fingerprint"):
            rows.append((after.run_id, False, [], True))
            continue
        changes = [*_diff(a.get("contexts") or {}, b.get("contexts") or {}, "context"),
                   *_diff(a.get("thresholds") or {}, b.get("thresholds") or {}, "threshold"),
                   *_diff(a.get("weights") or {}, b.get("weights") or {}, "weight")]
        if recorded:
            changes += _diff(a.get("sources") or {}, b.get("sources") or {}, "source")
            if a.get("scorecard") != b.get("scorecard"):
                changes.append("scorecard settings changed")
            if a.get("teams") != b.get("teams"):
                changes.append(f"teams: {a.get('teams')} → {b.get('teams')}")
        else:
            changes.append(f"configuration not recorded by schema {before.schema_version if old is None else after.schema_version}: "
                           "only contexts, thresholds and weights compared")
        rows.append((after.run_id, bool(changes) and (recorded or len(changes) > 1), changes, recorded))
    return pd.DataFrame(rows, columns=["run_id", "changed", "changes", "recorded"])


# --------------------------------------------------------------------------------------
# the table


def _delta(old, new) -> object:
    if old is None or new is None or (isinstance(old, float) and pd.isna(old)) or (isinstance(new, float) and pd.isna(new)):
        return None
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        return new - old
    return "=" if old == new else f"{old} → {new}"


def trend_table(frame: pd.DataFrame, runs: Sequence[Run]) -> pd.DataFrame:
    """Rows ``metric, subject``; a column per run (its id) in order; ``since last``,
    ``since first``."""
    ids = [r.run_id for r in runs]
    columns = ["metric", "subject", *ids, "since last", "since first"]
    if frame.empty or not ids:
        return pd.DataFrame(columns=columns)
    rows = []
    for (metric, subject), group in frame.groupby(["metric", "subject"], sort=False):
        values = dict(zip(group["run_id"], group["value"]))
        series = [values.get(i) for i in ids]
        last = series[-1]
        rows.append([metric, subject, *series, _delta(series[-2], last) if len(series) > 1 else None, _delta(series[0], last)])
    return pd.DataFrame(rows, columns=columns)


def format_value(value) -> str:
    """A cell as printed: numbers to 3 significant digits (shares as such), None as ``—``."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:.3g}" if isinstance(value, float) and not float(value).is_integer() else f"{int(value)}"
    return str(value)


def _nothing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0)


def readable_table(table: pd.DataFrame, changes: pd.DataFrame, *, last: int = 5) -> tuple[pd.DataFrame, int, int]:
    """The table as people read it: metric labels, the first run and the ``last`` latest
    (a run whose configuration changed marked ``*``), values formatted, rows that are 0 or
    missing in every run left out. Returns it, the runs left out and the rows left out."""
    ids = [c for c in table.columns if c not in ("metric", "subject", "since last", "since first")]
    shown = list(dict.fromkeys([*ids[:1], *ids[-last:]]))
    changed = set(changes.loc[changes["changed"], "run_id"]) if len(changes) else set()
    quiet = [all(_nothing(r[i]) for i in ids) for _, r in table.iterrows()]
    kept = table[[not q for q in quiet]]
    out = pd.DataFrame({"metric": [METRIC_LABELS.get(str(m), str(m)) for m in kept["metric"]], "subject": kept["subject"].astype(str)})
    for i in shown:
        out[f"{i}{' *' if i in changed else ''}"] = [format_value(v) for v in kept[i]]
    out["since last"] = [format_value(v) for v in kept["since last"]]
    out["since first"] = [format_value(v) for v in kept["since first"]]
    return out.reset_index(drop=True), len(ids) - len(shown), sum(quiet)


def render_table(table: pd.DataFrame, changes: pd.DataFrame, *, last: int = 5) -> str:
    """The trend as text (:func:`readable_table`), then the configuration changes."""
    readable, runs_left_out, rows_left_out = readable_table(table, changes, last=last)
    header = list(readable.columns)
    cells = readable.values.tolist()
    widths = [max(len(str(x)) for x in col) for col in zip(header, *cells)] if cells else [len(h) for h in header]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    if runs_left_out:
        lines.append(f"({runs_left_out} runs between the first and the last {last} are in the CSV)")
    if rows_left_out:
        lines.append(f"({rows_left_out} rows that are 0 or missing in every run are in the CSV)")
    for _, r in changes[changes["changed"]].iterrows() if len(changes) else []:
        lines.append(f"* configuration changed before {r['run_id']}: " + "; ".join(r["changes"]))
    return "\n".join(lines)


def trend_csv(frame: pd.DataFrame, changes: pd.DataFrame) -> str:
    """The long frame as CSV (``run_id, at, metric, subject, value, config_changed``)."""
    changed = set(changes.loc[changes["changed"], "run_id"]) if len(changes) else set()
    out = frame.assign(at=frame["at"].map(lambda t: t.isoformat() if isinstance(t, pd.Timestamp) else ""),
                       value=frame["value"].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else v),
                       config_changed=frame["run_id"].isin(changed))
    return out.to_csv(index=False, lineterminator="\n")
