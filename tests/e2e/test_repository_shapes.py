"""Ordinary repositories through the whole report: linear histories (squash or rebase merges),
depth-1 and depth-N clones (CI checkouts), one commit, no commit at all — each with
``ignore_paths`` set, as most configurations have it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitrepo import git

from analysis.outputs.report import run_report

pytestmark = pytest.mark.e2e

CONFIG = """\
name: {name}
sources:
  git:
    repository: {repo}
    ignore_paths: ["vendor/**", "**/migrations/**"]
contexts:
  orders: {{paths: ["shop/orders/**"]}}
  billing: {{paths: ["shop/billing/**"]}}
"""


def linear_history(path: Path, commits: int) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for n in range(commits):
        for folder in ("shop/orders", "shop/billing", "vendor", "shop/orders/migrations"):
            (path / folder).mkdir(parents=True, exist_ok=True)
            (path / folder / "m.py").write_text(f"x = {n}\n", encoding="utf-8")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"change {n}", date=f"2024-{1 + n // 28:02d}-{1 + n % 28:02d}T10:00:00Z")
    return path


def clone(source: Path, path: Path, depth: int) -> Path:
    subprocess.run(["git", "clone", "-q", f"--depth={depth}", f"file://{source}", str(path)], check=True,
                   capture_output=True, env={"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(path.parent)})
    return path


@pytest.fixture(scope="module")
def repositories(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shapes")
    linear = linear_history(root / "linear", 40)
    empty = root / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    return {
        "linear": linear,
        "depth-1": clone(linear, root / "depth1", 1),
        "depth-5": clone(linear, root / "depth5", 5),
        "one commit": linear_history(root / "one", 1),
        "empty": empty,
    }


@pytest.mark.parametrize("shape", ["linear", "depth-1", "depth-5", "one commit", "empty"])
def test_every_repository_shape_gives_a_report(repositories, shape, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "cache"))
    config = tmp_path / "seams.yml"
    config.write_text(CONFIG.format(name=shape.replace(" ", "-"), repo=repositories[shape]), encoding="utf-8")
    result = run_report(config, tmp_path / "reports")
    assert result.html.is_file()
    git_input = result.findings["inputs"]["merges"]
    assert git_input["configured"] and not git_input.get("error")
    history = result.findings["evidence_states"]["history"]
    if shape == "empty":
        assert history["state"] == "not measurable" and "no commits" in history["reason"]
    else:
        assert history["state"] in ("measured", "not measurable")
