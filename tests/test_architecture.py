"""Seams checks its own layering and keeps its docs in step with its settings."""

import re
import subprocess
import sys
from pathlib import Path

from analysis.settings import THRESHOLDS, WEIGHTS

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "broken" not in out.stdout.lower().replace("0 broken", "")


def test_every_setting_is_documented_with_its_default():
    doc = (ROOT / "docs" / "verdicts.md").read_text(encoding="utf-8")
    for s in [*THRESHOLDS.values(), *WEIGHTS.values()]:
        assert re.search(rf"\| `{s.name}` \| {s.default:g} \|", doc), s.name


def test_architecture_doc_names_every_module():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "analysis").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" or "/sample/" in rel:
            continue
        package_row = f"{path.parent.relative_to(ROOT).as_posix()}/" in doc and f"`{path.name}`" in doc
        assert rel in doc or package_row, f"{rel} is not described in docs/architecture.md"


def test_notebooks_are_committed_without_outputs():
    import json

    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), nb.name
        assert not any("def " in "".join(c["source"]) for c in cells if c["cell_type"] == "code"), f"{nb.name} defines a function"
