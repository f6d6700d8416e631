"""Seams checks its own layering and keeps its docs in step with its settings."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.core.settings import THRESHOLDS, WEIGHTS

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--no-cache", str(root / "pyproject.toml")], cwd=root, capture_output=True, text=True)


def test_import_contracts_hold():
    out = lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout and " KEPT" in out.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("analysis/core/errors.py", "from analysis.mapping import contexts", "sources > core"),
    ("analysis/sources/sql/miner.py", "from analysis.sources.traces import miner", "Source families are independent"),
    ("analysis/measures/metrics/change.py", "from analysis.sources import registry", "never import a source"),
    ("analysis/decisions/ranking.py", "from analysis.measures import history", "Decisions take plain values"),
    ("seams_sample/world.py", "from analysis.mapping import units", "The sample generator imports only the core"),
    ("analysis/sources/git/parse.py", "from analysis.measures import history", "Sources import only the core"),
])
def test_each_contract_fails_on_a_violation(tmp_path, module, line, contract):
    """A contract that cannot fail is caught: a copy of the package with one forbidden
    import breaks exactly the contract that forbids it."""
    for folder in ("analysis", "seams_sample"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # injected\n", encoding="utf-8")
    out = lint_imports(tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    broken = [ln for ln in out.stdout.splitlines() if ln.endswith(" BROKEN")]
    assert any(contract in ln for ln in broken), out.stdout


def test_every_setting_is_documented_with_its_default():
    doc = (ROOT / "docs" / "verdicts.md").read_text(encoding="utf-8")
    for s in [*THRESHOLDS.values(), *WEIGHTS.values()]:
        assert re.search(rf"\| `{s.name}` \| {s.default:g} \|", doc), s.name


def test_architecture_doc_names_every_module():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in sorted([*(ROOT / "analysis").rglob("*.py"), *(ROOT / "seams_sample").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py":
            continue
        package_row = f"{path.parent.relative_to(ROOT).as_posix()}/" in doc and f"`{path.name}`" in doc
        assert rel in doc or package_row, f"{rel} is not described in docs/architecture.md"


def test_notebooks_are_committed_without_outputs():
    import json

    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), nb.name
        assert not any("def " in "".join(c["source"]) for c in cells if c["cell_type"] == "code"), f"{nb.name} defines a function"
