"""notebooks/04-runtime.ipynb runs headless under papermill on the small sample."""

import json
from pathlib import Path

import pytest

from analysis.outputs.report import execute_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "04-runtime.ipynb"

pytestmark = pytest.mark.e2e


def plotly_titles(cells):
    for cell in cells:
        for output in cell.get("outputs", []):
            figure = output.get("data", {}).get("application/vnd.plotly.v1+json")
            if figure:
                yield figure["layout"].get("title", {}).get("text", "")


def test_notebook_is_committed_without_outputs():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells if c["cell_type"] == "code")
    assert "parameters" in cells[1]["metadata"].get("tags", [])
    assert not any("def " in "".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_runtime_notebook_runs_on_the_sample(sample_run, tmp_path, monkeypatch, sample_secrets):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(sample_run.cache_dir))
    executed = execute_notebook(NOTEBOOK, tmp_path / "04.ipynb", {"config_path": str(sample_run.config_path)})
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    assert not any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))
    titles = list(plotly_titles(cells))
    assert any(t.startswith("Runtime calls between contexts —") for t in titles)
    assert any(t.startswith("Self time per context") for t in titles)
    assert any(t.startswith("Share of self time per context") for t in titles)
    assert "Scaling asymmetry and its components" in titles
    assert any(t.startswith("Compute ratio") for t in titles)
    assert any(t.startswith("Observability coverage") for t in titles)
    text = json.dumps(cells)
    assert "ingestion" in text  # the sample's context with a load curve of its own
    assert not [s for s in sample_secrets if s in text]
