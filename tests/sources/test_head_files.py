"""Files at HEAD come from HEAD's tree, not from replaying the history."""

from __future__ import annotations

from analysis.core.config import GitSource
from analysis.core.rejects import Rejects
from analysis.sources.git.head import head_paths, mine_head_files
from tests.gitrepo import git, make_repo


def test_head_files_are_the_tree_of_head_even_after_merge_deletions_and_renames(tmp_path):
    repo = make_repo(tmp_path / "r", {"app/a.py": "a\n", "app/gone.py": "g\n", "old/m.py": "m\n",
                                      "app/migrations/0001.py": "x\n"})
    git(repo, "checkout", "-q", "-b", "topic")
    git(repo, "rm", "-q", "app/gone.py")
    git(repo, "commit", "-q", "-m", "drop gone")
    git(repo, "checkout", "-q", "main")
    git(repo, "mv", "old", "new")
    git(repo, "commit", "-q", "-m", "move old to new")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge topic", "topic")
    sub = make_repo(tmp_path / "sub", {"s.py": "s\n"})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(sub), "vendor/sub")
    git(repo, "commit", "-q", "-m", "submodule")

    assert sorted(head_paths(repo)) == [".gitmodules", "app/a.py", "app/migrations/0001.py", "new/m.py"]
    frames = mine_head_files(GitSource(repository=str(repo), ignore_paths=("**/migrations/**",)), Rejects())
    assert sorted(frames.frames["head_files"]["path"]) == [".gitmodules", "app/a.py", "new/m.py"]
    assert frames.notes == ["3 files at HEAD (1 more ignored by ignore_paths)"]


def test_an_empty_repository_has_no_files_at_head(tmp_path):
    (tmp_path / "e").mkdir()
    git(tmp_path / "e", "init", "-q")
    assert head_paths(tmp_path / "e") == []
