"""``seams check``, as steps: measure, compare with the baseline, maybe ratchet it, maybe
write the contracts. ``run_check`` returns the text to print and whether the gate failed; the
command line only prints it and turns it into an exit status.

1. :func:`analysis.core.config.load_config`, then the baseline
   (:func:`analysis.outputs.baseline.read_baseline`) — ``baseline`` if given (it must exist
   unless it is being written), else ``seams-baseline.json`` beside the config when present;
2. :func:`analysis.pipeline.check_boundaries` with the baseline's dependencies;
3. :func:`analysis.decisions.gate.compare` for the rules whose evidence was given (none:
   :class:`~analysis.core.errors.SeamsError`); the gate fails on anything new or grown;
4. with ``update``: :func:`analysis.decisions.gate.ratchet_dependencies` and
   :func:`analysis.decisions.gate.ratchet` — the baseline is written only when it does not grow,
   or with ``force`` (growth recorded with the repository's HEAD); a refusal fails;
5. with ``contracts_dir``: ``importlinter.ini`` and ``tach.toml`` from the baseline as it now is
   (:mod:`analysis.outputs.contracts`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from analysis import pipeline
from analysis.core.config import load_config
from analysis.core.errors import SeamsError
from analysis.decisions import gate
from analysis.measures.boundaries import BoundaryEvidence
from analysis.outputs import baseline as baselines
from analysis.outputs import contracts

IMPORT_LINTER_FILE = "importlinter.ini"
TACH_FILE = "tach.toml"


@dataclass(frozen=True)
class CheckOutcome:
    text: str
    failed: bool


def run_check(config_path: str | os.PathLike, *, baseline: str | os.PathLike | None = None, update: bool = False,
              force: bool = False, contracts_dir: str | os.PathLike | None = None, use_cache: bool = True) -> CheckOutcome:
    """Run the gate (see the module docstring)."""
    if force and not update:
        raise SeamsError("--force only goes with --update-baseline")
    config = load_config(config_path)
    path = Path(baseline) if baseline is not None else config.path.parent / baselines.DEFAULT_BASELINE
    if baseline is not None and not path.is_file() and not update:
        raise SeamsError(f"{path}: no baseline file; write one with --update-baseline")
    old = baselines.read_baseline(path) if path.is_file() else None
    evidence = pipeline.check_boundaries(config, baseline_dependencies=old.dependencies if old else None, use_cache=use_cache)
    checked = [rule for rule, status in evidence.rules.items() if status.state.value != "not measured"]
    if not checked:
        raise SeamsError(f"{config.path}: nothing to check: give sources.imports (imports, cycles) or sources.sql (tables, joins)")
    result = gate.compare(baselines.entries_of(evidence.violations), old.entries if old else None, checked)
    lines = [baselines.render_check(config.name, evidence, result, baseline=str(path) if old else None)]
    entries = list(old.entries) if old else baselines.entries_of(evidence.violations)
    failed = not result.passed
    if update:
        undeclared = [c for c in config.context_names if c not in evidence.declared]
        dependencies, gained = gate.ratchet_dependencies(evidence.dependencies, old.dependencies if old else None, undeclared, force=force)
        judged = evidence.with_baseline(dependencies)
        ratcheted = gate.ratchet(result, baselines.entries_of(judged.violations), force=force)
        if ratcheted.refused:
            lines.append(f"baseline not updated: {len(result.new) + len(result.grown)} violation(s) beyond it; "
                         "fix them, or accept them with --update-baseline --force (recorded in the file)")
            return CheckOutcome("\n".join(lines), failed=True)
        accepted = list(old.accepted_growth) if old else []
        if ratcheted.accepted_growth or gained:
            accepted.append({"violations": list(ratcheted.accepted_growth), "dependencies": gained, "head": pipeline.repository_head(config)})
        baselines.write_baseline(baselines.baseline_document(config.name, ratcheted.entries, evidence.rules, dependencies, accepted), path)
        entries, evidence, failed = list(ratcheted.entries), judged, False
        lines.append(f"baseline written: {path} ({len(ratcheted.entries)} violations"
                     + (f"; {len(result.stale)} fixed and {len(result.shrunk)} fewer since the last one" if old else "") + ")")
    if contracts_dir is not None:
        lines.append(write_contracts(Path(contracts_dir), config.name, evidence, entries))
    if not update:
        lines.append("check passed: nothing beyond the baseline" if result.passed else
                     f"check failed: {len(result.new)} new and {len(result.grown)} grown violation(s)")
    return CheckOutcome("\n".join(lines), failed=failed)


def write_contracts(folder: Path, name: str, evidence: BoundaryEvidence, entries: list[gate.Entry]) -> str:
    """``importlinter.ini`` and ``tach.toml`` with the boundaries and baseline ``entries``."""
    prefixes = contracts.context_module_prefixes(evidence.modules)
    forbidden = contracts.gate_forbidden(prefixes, evidence.allowed, entries)
    ignored = contracts.gate_ignore_imports(entries)
    roots = sorted({m.split(".")[0] for mods in evidence.modules.values() for m in mods})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / IMPORT_LINTER_FILE).write_text(contracts.gate_import_linter_contract(prefixes, forbidden, ignored, roots, name=name),
                                             encoding="utf-8")
    (folder / TACH_FILE).write_text(contracts.gate_tach_toml(prefixes, forbidden, ignored), encoding="utf-8")
    return f"contracts written: {folder / IMPORT_LINTER_FILE}, {folder / TACH_FILE}"
