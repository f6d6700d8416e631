"""notebooks/03-data-coupling.ipynb runs headless under papermill on the small sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_data_coupling_notebook_runs_on_the_sample(sample_run, sample_secrets, tmp_path, monkeypatch):
    from analysis.outputs.report import execute_notebook

    monkeypatch.setenv("SEAMS_CACHE_DIR", str(sample_run.cache_dir))  # mined once by the report run
    executed = execute_notebook(ROOT / "notebooks" / "03-data-coupling.ipynb", tmp_path / "03.ipynb",
                                {"config_path": str(sample_run.config_path), "use_cache": True})
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    text = executed.read_text(encoding="utf-8")
    for expected in ("Executions per table and issuing context", "writers",
                     "Database time per hour", "declared_owner", ".inserted"):
        assert expected in text, expected
    assert [s for s in sample_secrets if s in text] == []
