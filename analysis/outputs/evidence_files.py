"""The long evidence as CSV files beside the report, so the page can show the top rows and
link the whole list (``evidence/<name>.csv``, relative to ``report.html``).

``write_evidence(analysis, run_dir)`` writes one CSV per evidence table that was measured and
is not empty, and returns ``{name: relative link}``. Only what the report itself may show is
written: paths relative to the repository, normalized statements (no literal), masked entry
points; nothing of the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.core.evidence import Status
from analysis.outputs.display_paths import PathDisplay

FOLDER = "evidence"


def _tables(a) -> dict[str, tuple[Status, Callable[[], pd.DataFrame]]]:
    """name -> (the evidence's status, the frame)."""
    return {
        "import-lines-to-cut": (a.structure.status, lambda: _explode_evidence(a.structure.edges_to_cut)),
        "cross-context-imports": (a.structure.status, lambda: _explode_evidence(a.structure.edges)),
        "write-shared-tables": (a.data.status, lambda: a.data.write_shared_tables),
        "shared-tables": (a.data.status, lambda: a.data.shared_tables),
        "joins-across-contexts": (a.decision_inputs.joins, lambda: a.data.cross_context_joins),
        "table-ownership": (_measured(), lambda: a.units.ownership),
        "domain-events": (a.data.status, lambda: a.data.domain_events),
        "file-hotspots": (a.history.status, lambda: a.history.hotspots),
        "context-pairs": (_measured(), lambda: a.pairs),
        "contexts": (_measured(), lambda: a.contexts),
        "extraction-ranking": (_measured(), lambda: a.ranking),
        "runtime-calls": (a.runtime.calls_status, lambda: a.runtime.calls),
        "orchestration": (a.runtime.coverage_status, lambda: a.runtime.orchestration),
        **({"decomposition-metrics": (a.decomposition.status, lambda: a.decomposition.metrics),
            "pulled-units": (a.decomposition.status, lambda: masked_units(a.decomposition.pulled, a.decomposition))}
           if getattr(a, "decomposition", None) is not None else {}),
    }


def _measured() -> Status:
    return Status.measured("")


def _explode_evidence(edges: pd.DataFrame) -> pd.DataFrame:
    """One row per import line (``path:line``) instead of a list per context edge."""
    if edges is None or edges.empty or "evidence" not in edges:
        return edges
    rows = edges.explode("evidence").rename(columns={"evidence": "import_line"})
    return rows.drop(columns=[c for c in ("edges",) if c in rows]).reset_index(drop=True)


def csv_text(frame: pd.DataFrame, show: PathDisplay | None = None) -> str:
    """A frame as CSV: lists joined with ``; ``, paths shown as the report shows them."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple, set)) else v)
    text = out.to_csv(index=False)
    return show(text) if show is not None else text


def masked_units(frame: pd.DataFrame, decomposition, column: str = "unit") -> pd.DataFrame:
    """``column`` with code namespaces seen only in traces masked (value-like parts), as every
    name from the traces is before it leaves Seams; modules and files are the repository's own."""
    from analysis.core.privacy import mask_identifiers

    if frame is None or not len(frame):
        return frame
    kinds = dict(zip(decomposition.graph.units["unit"], decomposition.graph.units["kind"]))
    return frame.assign(**{column: [mask_identifiers(str(u)) if kinds.get(u) == "namespace" else u for u in frame[column]]})


#: every partition unit by unit, beside the report (docs/decomposition.md)
PARTITIONS_FILE = "partitions.csv"


def write_partitions(analysis, run_dir: str | Path) -> str | None:
    """``run_dir/partitions.csv``: the declared map and every candidate, one row per unit
    (partition, resolution, unit_kind, unit, part); None when nothing was decomposed."""
    d = getattr(analysis, "decomposition", None)
    if d is None or not d.status.known or not len(d.partitions):
        return None
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    (Path(run_dir) / PARTITIONS_FILE).write_text(csv_text(masked_units(d.partitions, d), PathDisplay.of(analysis.config)), encoding="utf-8")
    return PARTITIONS_FILE


def write_evidence(analysis, run_dir: str | Path) -> dict[str, str]:
    """Write the evidence CSVs into ``run_dir/evidence/`` (and ``partitions.csv`` beside the
    report); ``{name: "evidence/<name>.csv"}``."""
    folder = Path(run_dir) / FOLDER
    show = PathDisplay.of(analysis.config)
    links: dict[str, str] = {}
    partitions = write_partitions(analysis, run_dir)
    if partitions:
        links["partitions"] = partitions
    for name, (status, frame_of) in _tables(analysis).items():
        if not status.known:
            continue
        frame = frame_of()
        if frame is None or frame.empty:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.csv").write_text(csv_text(frame, show), encoding="utf-8")
        links[name] = f"{FOLDER}/{name}.csv"
    return links
