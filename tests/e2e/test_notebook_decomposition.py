"""notebooks/05-decomposition.ipynb runs headless under papermill on the small sample, with a
module moved and two contexts merged: the rearranged map is measured and decided again."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "05-decomposition.ipynb"


@pytest.mark.e2e
def test_decomposition_notebook_runs_on_the_sample(sample_run, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(sample_run.cache_dir))
    out = tmp_path / "05-decomposition.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parents[1]), kernel_name="python3", progress_bar=False,
                               parameters={"config_path": str(sample_run.config_path), "merges": [["shipping", "orders"]],
                                           "moves": {"shopfront/search/indexer.py": "catalog"}})
    cells = json.loads(out.read_text())["cells"]
    html = "".join("".join(o.get("data", {}).get("text/html", [])) for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
    assert "Unit graph:" in html and "inferred-k" in html
    assert "rearranged map" in html and "changed" in html  # the merge leaves one context fewer


def test_decomposition_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb["cells"])
    assert not any("def " in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
