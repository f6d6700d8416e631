"""The report shows no absolute path of the machine that ran it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from analysis.outputs.display_paths import PathDisplay


def _config(tmp_path: Path):
    project = tmp_path / "project"
    repo = tmp_path / "src" / "shop"
    (project / "logs").mkdir(parents=True)
    repo.mkdir(parents=True)
    git = SimpleNamespace(repository=repo, deploys=None, team_map=None)
    return SimpleNamespace(path=project / "seams.yml", git=git, imports=SimpleNamespace(repository=repo),
                           sql=(SimpleNamespace(path=project / "logs" / "pg.log"),),
                           traces=(SimpleNamespace(path=tmp_path / "elsewhere" / "t.jsonl"),),
                           cache_dir=project / ".seams-cache"), repo, project


def test_paths_become_repository_or_config_relative(tmp_path):
    config, repo, project = _config(tmp_path)
    show = PathDisplay.of(config)
    assert show(f"{repo}/billing/api.py:4 imports orders") == "billing/api.py:4 imports orders"
    assert show(f"{repo}: no commits") == "../src/shop: no commits"
    assert show(f"read {project}/logs/pg.log and {tmp_path}/elsewhere/t.jsonl") == "read logs/pg.log and ../elsewhere/t.jsonl"
    assert show(f"cache {project}/.seams-cache/git") == "cache .seams-cache/git"
    assert str(tmp_path) not in show(f"{tmp_path}/other/thing.txt and {Path.home()}/x")
    assert show("no path here: 3/4 of the files") == "no path here: 3/4 of the files"


def test_routes_are_not_paths_and_unknown_machine_paths_keep_their_last_part(tmp_path):
    config, _, _ = _config(tmp_path)
    show = PathDisplay.of(config)
    assert show("GET /api/orders/{id} and /billing/*") == "GET /api/orders/{id} and /billing/*"
    outside = tmp_path.parent / "unrelated" / "notes.txt"
    assert show(f"see {outside}") == "see …/notes.txt"
