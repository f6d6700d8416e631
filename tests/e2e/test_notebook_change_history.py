"""notebooks/01-change-history.ipynb runs headless under papermill on the small sample."""

import json
from pathlib import Path

import pytest

from analysis.outputs.report import execute_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "01-change-history.ipynb"

pytestmark = pytest.mark.e2e


def plotly_traces(cells):
    for cell in cells:
        for output in cell.get("outputs", []):
            figure = output.get("data", {}).get("application/vnd.plotly.v1+json")
            if figure:
                yield figure["layout"].get("title", {}).get("text", ""), [t["type"] for t in figure["data"]]


def test_change_history_notebook_runs_on_the_sample(sample_run, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(sample_run.cache_dir))
    executed = execute_notebook(NOTEBOOK, tmp_path / "01.ipynb", {"config_path": str(sample_run.config_path), "trend_top": 3})
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    assert not any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))
    figures = dict(plotly_traces(cells))
    hotspot_title = next(t for t in figures if t.startswith("Hotspots"))
    assert figures[hotspot_title] == ["treemap"]
    assert "Revisions per month of the 3 hottest files" in figures
    assert any(t.startswith("Change coupling between files") for t in figures)
    assert any(t.startswith("Change coupling between contexts") for t in figures)
    assert any(t.startswith("Commits per team and context") for t in figures)
    assert "Share of commits and merged pull requests touching two or more contexts" in figures
    text = json.dumps(cells)
    assert "release tags serve as a proxy" in text  # the sample has no deploy log: the proxy is named
    assert "shopfront/billing/services.py" in text  # the busiest file of the sample is listed
