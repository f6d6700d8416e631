"""notebooks/02-structure.ipynb runs headless under papermill on the small sample."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02-structure.ipynb"


@pytest.mark.e2e
def test_structure_notebook_runs_on_the_sample(sample_run, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(sample_run.cache_dir))
    out = tmp_path / "02-structure.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters={"config_path": str(sample_run.config_path)},
                               cwd=str(NOTEBOOK.parents[1]), kernel_name="python3", progress_bar=False)
    cells = json.loads(out.read_text())["cells"]
    text = "".join(o.get("text", "") if isinstance(o.get("text"), str) else "".join(o.get("text", []))
                   for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
    assert "[importlinter]" in text and "[[modules]]" in text


def test_structure_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb["cells"])
    assert not any("def " in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
