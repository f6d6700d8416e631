"""The runs a scheduled Seams leaves behind, read back for the trend.

``read_runs(folder)`` finds every finished run in a reports folder (``<out>/<run-id>/findings.json``,
as ``seams report`` publishes them; ``.partial``, ``.failed`` and ``latest`` are left out) or in a
history folder of copied findings (``<run-id>.json``, or any ``*.json`` holding a findings
document, ordered by name when the name is not a run id). A run id is UTC
``YYYYmmddTHHMMSSZ`` (``-2``, ``-3``... for runs of the same second): it says when the run
happened, since ``findings.json`` itself holds no run time.

Every document goes through :func:`migrate`, so runs written by other versions of the schema
can be compared:

- ``2.x`` (the current major): read as is; keys a minor version added later (``config``,
  ``boundaries``, ``scorecard`` in 2.2) are missing in older runs, and the trend shows them as
  missing, never as 0;
- ``1.x``: no evidence states yet — a figure drawn as 0 may have been missing evidence; the
  run is read with a note saying so, its coupling signals without a state;
- a newer major: read for the keys that kept their meaning, with a note.

An unreadable file is skipped with a note, never a failure of the report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

FINDINGS_FILE = "findings.json"
RUN_ID = re.compile(r"(\d{8}T\d{6}Z)(?:-(\d+))?")
CURRENT_MAJOR = 2


@dataclass(frozen=True)
class Run:
    """One run's findings, as read (and migrated)."""

    run_id: str
    at: pd.Timestamp | None  # from the run id; None when the name is not one
    findings: dict
    source: str  # the file it was read from
    notes: tuple[str, ...] = field(default=())

    @property
    def schema_version(self) -> str:
        return str(self.findings.get("schema_version", "unknown"))


def run_time(run_id: str) -> pd.Timestamp | None:
    """When a run happened, from its id (``20260105T060000Z`` or ``...Z-2``)."""
    m = RUN_ID.fullmatch(run_id)
    if not m:
        return None
    return pd.Timestamp(dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC))


def run_id_of(folder: str | os.PathLike) -> str:
    """The run id of a run folder, also while it is being written (``.<run-id>.partial``)."""
    name = Path(folder).name
    if name.startswith(".") and name.endswith(".partial"):
        return name[1:-len(".partial")]
    return name


def migrate(doc: dict) -> tuple[dict, list[str]]:
    """A findings document of any schema version as the trend reads it, and what to know
    about it (see the module docstring)."""
    version = str(doc.get("schema_version", "1.0"))
    try:
        major = int(version.split(".")[0])
    except ValueError:
        return doc, [f"schema version {version!r} not understood: read as the current one"]
    out = dict(doc)
    notes = []
    if major < CURRENT_MAJOR:
        notes.append(f"schema {version}: written before evidence states; a 0 there may stand for evidence that was not measured")
        out.setdefault("evidence_states", None)
        out["pairs"] = [{**p, "signals": {s: {**v, "state": v.get("state")} for s, v in (p.get("signals") or {}).items()}}
                        for p in doc.get("pairs") or []]
    elif major > CURRENT_MAJOR:
        notes.append(f"schema {version} is newer than this Seams reads ({CURRENT_MAJOR}.x): only the keys that kept their meaning are compared")
    for key in ("config", "boundaries", "scorecard", "decomposition"):
        out.setdefault(key, None)
    return out, notes


def read_run(path: str | os.PathLike, run_id: str | None = None) -> Run | None:
    """One findings file as a :class:`Run`; None when it is not a readable findings document."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(doc, dict) or "verdicts" not in doc:
        return None
    rid = run_id or (path.parent.name if path.name == FINDINGS_FILE else path.stem)
    migrated, notes = migrate(doc)
    return Run(run_id=rid, at=run_time(rid), findings=migrated, source=str(path), notes=tuple(notes))


def read_runs(folder: str | os.PathLike) -> tuple[list[Run], list[str]]:
    """Every run in ``folder`` (see the module docstring), oldest first, and notes about
    what could not be read."""
    root = Path(folder)
    if not root.is_dir():
        return [], []
    runs, notes = [], []
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name.startswith(".") or name.endswith(".failed") or name == "latest":
            continue
        candidate = entry / FINDINGS_FILE if entry.is_dir() else entry if entry.suffix == ".json" else None
        if candidate is None or not candidate.is_file():
            continue
        run = read_run(candidate, run_id=name if entry.is_dir() else entry.stem)
        if run is None:
            notes.append(f"{candidate}: not a readable findings document, left out")
        else:
            runs.append(run)
    return sorted(runs, key=lambda r: (r.at is None, r.at or pd.Timestamp(0, tz="UTC"), r.run_id)), notes


def with_current(runs: list[Run], findings: dict, run_id: str) -> list[Run]:
    """The earlier runs and this one (which is not published yet), oldest first."""
    migrated, notes = migrate(findings)
    current = Run(run_id=run_id, at=run_time(run_id), findings=migrated, source="(this run)", notes=tuple(notes))
    return [r for r in runs if r.run_id != run_id] + [current]
