"""Git history: churn modes and the parallel churn pass, mailmap, exclusions, the incremental
cache, PyDriller's rich fields, and bad repositories — on tiny real repositories."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.git import passes as git_history
from analysis.sources.git.exclusions import author_pattern
from analysis.sources.git.miner import mine_git_history
from analysis.sources.git.passes import split_ranges
from analysis.sources.git.rich import rich_commits

ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}


def git(repo: Path, *args: str, input: bytes | None = None, **env: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), "-c", "commit.gpgsign=false", *args], env={**ENV, **env},
                         input=input if input is not None else b"", capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace").strip()


def fast_import(repo: Path, commits: list[tuple[str, str, int, str, list[tuple[bytes, bytes]]]]) -> None:
    """Write commits (author name, email, unix time, subject, [(path, content)]) on main.

    A content of the form ``b"gitlink <sha>"`` writes a submodule entry instead of a file."""
    stream = bytearray()
    for n, (name, email, when, subject, files) in enumerate(commits, start=1):
        stream += f"commit refs/heads/main\nmark :{n}\n".encode()
        stream += f"author {name} <{email}> {when} +0000\ncommitter {name} <{email}> {when} +0000\n".encode("latin-1")  # raw bytes, as another tool may write
        msg = subject.encode()
        stream += b"data %d\n%s\n" % (len(msg), msg)
        if n > 1:
            stream += f"from :{n - 1}\n".encode()
        for path, content in files:
            if content.startswith(b"gitlink "):
                stream += b"M 160000 " + content[8:] + b" " + path + b"\n"
            else:
                stream += b"M 100644 inline " + path + b"\ndata %d\n" % len(content) + content + b"\n"
    git(repo, "fast-import", "--quiet", input=bytes(stream))


DAY = 86_400
T0 = 1_704_067_200  # 2024-01-01T00:00:00Z


@pytest.fixture()
def history(tmp_path) -> Path:
    """Six commits over 400 days: Ann, Bob (mailmapped), a bot and a formatting commit."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    fast_import(repo, [
        ("Ann", "ann@example.com", T0, "start", [(b"app/a.py", b"1\n2\n"), (b".mailmap", b"Robert <bob@example.com> Bob <bob@old.example.com>\n")]),
        ("Bob", "bob@old.example.com", T0 + 10 * DAY, "feature", [(b"app/a.py", b"1\n2\n3\n"), (b"app/b.py", b"x\n")]),
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", T0 + 20 * DAY, "Bump lib",
         [(b"poetry.lock", b"lock\n")]),
        ("Ann", "ann@example.com", T0 + 30 * DAY, "Apply black", [(b"app/a.py", b"1\n2\n3 \n"), (b"app/b.py", b"y\n")]),
        ("Ann", "ann@example.com", T0 + 390 * DAY, "late", [(b"app/b.py", b"y\nz\n")]),
        ("Bob", "bob@old.example.com", T0 + 400 * DAY, "latest", [(b"app/a.py", b"1\n")]),
    ])
    git(repo, "reset", "-q", "--hard", "main")
    return repo


def tree_state(path: Path) -> dict:
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")}


def test_author_globs_take_brackets_literally():
    rx = author_pattern(["*[bot]*", "renovate*"])
    assert rx.match("dependabot[bot]") and rx.match("Renovate Bot") and not rx.match("Bob Ott")
    assert author_pattern([]) is None


def test_mailmap_and_default_bot_exclusion(history):
    result = mine_git_history(GitSource(history), Rejects())
    commits = result.frames["commits"]
    assert commits["author_name"].tolist() == ["Ann", "Robert", "Ann", "Ann", "Robert"]
    assert "1 commits by excluded authors left out (exclude_authors)" in result.notes
    assert "poetry.lock" not in set(result.frames["file_changes"]["path"])
    raw = mine_git_history(GitSource(history, mailmap=False, exclude_authors=()), Rejects()).frames["commits"]
    assert raw["author_name"].tolist() == ["Ann", "Bob", "dependabot[bot]", "Ann", "Ann", "Bob"]


def test_message_exclusion_and_ignored_paths(history):
    source = GitSource(history, exclude_messages=("^Apply black",), ignore_paths=("*.lock", ".mailmap"),
                       exclude_authors=())
    result = mine_git_history(source, Rejects())
    assert "Apply black" not in set(result.frames["commits"]["subject"])
    assert "1 commits left out by their message (exclude_messages)" in result.notes
    assert "2 file changes of excluded commits left out" in result.notes
    assert "2 file changes ignored by ignore_paths" in result.notes
    assert set(result.frames["file_changes"]["path"]) == {"app/a.py", "app/b.py"}


def test_churn_modes(history):
    def counts(**kw):
        fc = mine_git_history(GitSource(history, exclude_authors=(), **kw), Rejects()).frames["file_changes"]
        return fc.assign(n=fc["added"].astype("Int64")).groupby("commit", sort=False)["n"].apply(
            lambda s: s.notna().all()).tolist()

    assert counts(churn="full") == [True] * 6
    assert counts(churn="none") == [False] * 6
    assert counts(churn="recent", churn_days=15) == [False, False, False, False, True, True]
    result = mine_git_history(GitSource(history, churn_days=15), Rejects())
    assert "line churn mined for the last 15 days only (commits from 2025-01-20; churn: recent)" in result.notes


def test_parallel_churn_pass_equals_one_process(history, monkeypatch):
    one = mine_git_history(GitSource(history), Rejects(), churn="full", workers=1).frames
    monkeypatch.setattr(git_history, "PARALLEL_MIN_COMMITS", 1)
    many = mine_git_history(GitSource(history), Rejects(), churn="full", workers=3).frames
    pd.testing.assert_frame_equal(one["file_changes"], many["file_changes"])
    # .mailmap, a.py | a.py, b.py | (the bot's commit is excluded) a.py, b.py | b.py | a.py
    assert one["file_changes"]["added"].tolist() == [1, 2, 1, 1, 1, 1, 1, 0]
    assert one["file_changes"]["deleted"].tolist() == [0, 0, 0, 0, 1, 1, 0, 2]


def test_split_ranges():
    assert split_ranges(list("abcdefg"), 3) == [("a", "b", "c"), ("d", "e"), ("f", "g")]
    assert split_ranges(["a"], 4) == [("a",)]


def test_incremental_cache(history, tmp_path):
    cache = tmp_path / "cache"
    before = tree_state(history)
    first = mine_git_history(GitSource(history), Rejects(), cache_dir=cache)
    again = mine_git_history(GitSource(history), Rejects(), cache_dir=cache)
    for name in ("commits", "file_changes"):
        pd.testing.assert_frame_equal(first.frames[name], again.frames[name])
    assert again.notes == first.notes and again.records_read == 6
    assert tree_state(history) == before  # the cache lives outside the repository

    fast_import_more(history)
    grown = mine_git_history(GitSource(history), Rejects(), cache_dir=cache)
    fresh = mine_git_history(GitSource(history), Rejects())
    for name in ("commits", "file_changes"):
        pd.testing.assert_frame_equal(grown.frames[name], fresh.frames[name])
    assert "history from the incremental cache (cache plus 1 new commits)" in grown.notes
    assert len(list(next(cache.iterdir()).glob("*.commits.parquet"))) == 2  # one segment appended

    git(history, "reset", "-q", "--hard", "HEAD~2")  # history rewritten: mined again
    (history / "c.py").write_text("c\n")
    git(history, "add", "c.py")
    git(history, "commit", "-q", "-m", "rewrite", GIT_AUTHOR_NAME="Cid", GIT_AUTHOR_EMAIL="cid@example.com",
        GIT_COMMITTER_NAME="Cid", GIT_COMMITTER_EMAIL="cid@example.com")
    rewritten = mine_git_history(GitSource(history), Rejects(), cache_dir=cache)
    pd.testing.assert_frame_equal(rewritten.frames["commits"],
                                  mine_git_history(GitSource(history), Rejects()).frames["commits"])
    assert rewritten.frames["commits"]["subject"].iloc[-1] == "rewrite"


def fast_import_more(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    stream = (f"commit refs/heads/main\ncommitter Ann <ann@example.com> {T0 + 401 * DAY} +0000\n"
              f"data 4\nnext\nfrom {head}\nM 100644 inline app/c.py\ndata 2\nc\n\n").encode()
    git(repo, "fast-import", "--quiet", input=stream)
    git(repo, "reset", "-q", "--hard", "main")


def test_bad_repositories(tmp_path, history, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    (tmp_path / "plain").mkdir()
    with pytest.raises(SourceError, match="not a git repository"):
        mine_git_history(GitSource(tmp_path / "plain"), Rejects())
    future = mine_git_history(GitSource(history, since=dt.date(2030, 1, 1)), Rejects())
    assert future.frames["commits"].empty and "no commits since 2030-01-01" in future.notes
    git(history, "checkout", "-q", "--detach", "HEAD~1")
    detached = mine_git_history(GitSource(history), Rejects())
    assert detached.frames["commits"]["subject"].iloc[-1] == "late"


def test_odd_paths_submodules_and_a_huge_commit(tmp_path):
    repo = tmp_path / "odd"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")  # never checked out: the miner reads commits, not files
    many = [(f"gen/f{n:05d}.txt".encode(), b"x\n") for n in range(10_000)]
    fast_import(repo, [
        ("Jos\xe9", "jose@example.com", T0, "odd", [(b"caf\xe9 {a => b}.txt", b"a\n"), (b"bin.dat", b"\0\1\2")]),
        ("Ann", "ann@example.com", T0 + DAY, "huge", many),
        ("Ann", "ann@example.com", T0 + 2 * DAY, "submodule", [(b"vendor/sub", b"gitlink " + b"a" * 40)]),
    ])
    rejects = Rejects()
    result = mine_git_history(GitSource(repo), rejects, churn="full")
    fc = result.frames["file_changes"]
    assert rejects.count() == 0 and len(fc) == 10_003
    assert result.frames["commits"]["author_name"].iloc[0] == "Jos\ufffd"
    first = fc[fc["commit"] == result.frames["commits"]["commit"].iloc[0]]
    assert first["path"].tolist() == ["bin.dat", "caf\ufffd {a => b}.txt"]
    assert first["added"].isna().tolist() == [True, False]  # binary: counts unknown
    assert fc["path"].iloc[-1] == "vendor/sub" and fc["change_type"].iloc[-1] == "A"


def test_rich_commits_uses_a_shadow_clone(tmp_path):
    repo = tmp_path / "rich"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    fast_import(repo, [
        ("Ann", "ann@example.com", T0, "add", [(b"m.py", b"def f(x):\n    return x\n")]),
        ("Ann", "ann@example.com", T0 + DAY, "change f",
         [(b"m.py", b"def f(x):\n    if x:\n        return 1\n    return x\n\ndef g():\n    pass\n")]),
    ])
    config = (repo / ".git" / "config").read_bytes()
    frames = rich_commits(repo, since=dt.date(2024, 1, 2))
    assert frames["rich_commits"]["commit"].tolist() == [git(repo, "rev-parse", "main")]
    methods = frames["method_changes"]
    assert sorted(methods["method"].str.split("(").str[0]) == ["f", "g"]
    assert methods.set_index("method")["complexity"].to_dict()["f( x )"] == 2
    assert (repo / ".git" / "config").read_bytes() == config  # PyDriller wrote into its clone, not here


def test_since_far_in_the_future_shows_no_commit(tmp_path):
    """git's approxidate reads --since=2150-01-01 as a date in the past; Seams passes seconds."""
    from gitrepo import make_repo

    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    for year in (2099, 2100, 2150, 9999):
        result = mine_git_history(GitSource(repo, since=dt.date(year, 1, 1)), Rejects())
        assert result.frames["commits"].empty, year
        assert f"no commits since {year}-01-01" in result.notes
    assert len(mine_git_history(GitSource(repo, since=dt.date(2000, 1, 1)), Rejects()).frames["commits"]) == 1
