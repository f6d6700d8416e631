"""Git history: the names pass split over two git processes gives exactly the frames, rejects,
notes and counts of one process — on a generated repository with branches and merges,
renames, paths with spaces and bytes that are not UTF-8, a Latin-1 author and commits that
share a second."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.git import passes as git_history
from analysis.sources.git.command import GitLog
from analysis.sources.git.miner import mine_git_history

ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}
T0 = 1_704_067_200  # 2024-01-01T00:00:00Z
HOUR = 3600


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    out = subprocess.run(["git", "-C", str(repo), "-c", "commit.gpgsign=false", *args], env=ENV,
                         input=input if input is not None else b"", capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace").strip()


def commit(mark: int, branch: str, when: int, subject: str, ops: list[bytes], parents: tuple[int, ...] = (),
           author: bytes = b"Ann <ann@example.com>") -> bytes:
    """One fast-import commit: ``ops`` are its file commands (``M``, ``D``, ``R`` lines)."""
    out = b"commit refs/heads/%s\nmark :%d\n" % (branch.encode(), mark)
    out += b"author %s %d +0000\ncommitter Ci <ci@example.com> %d +0000\n" % (author, when, when)
    out += b"data %d\n%s\n" % (len(subject), subject.encode())
    if parents:
        out += b"from :%d\n" % parents[0]
        out += b"".join(b"merge :%d\n" % p for p in parents[1:])
    return out + b"".join(ops)


def put(path: bytes, text: bytes) -> bytes:
    return b"M 100644 inline " + path + b"\ndata %d\n" % len(text) + text + b"\n"


def body(n: int, lines: int = 12) -> bytes:
    return b"".join(b"line %d of file %d\n" % (k, n) for k in range(lines))


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """About 60 commits on main and a side branch merged back five times; renames (exact and
    edited), a file deleted, a path with spaces and one with Latin-1 bytes, a Latin-1 author
    name, a .mailmap, and pairs of commits made in the same second."""
    repo = tmp_path_factory.mktemp("split") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    stream = bytearray(commit(1, "main", T0, "start", [
        put(b"app/a.py", body(1)), put(b"app/b.py", body(2)), put(b"docs/read me.md", body(3)),
        put(b"caf\xe9/menu.txt", body(4)), put(b".mailmap", b"Robert <bob@example.com> Bob <bob@old.example.com>\n")]))
    mark, main, when = 1, 1, T0
    side = None
    for step in range(1, 46):
        when += HOUR if step % 5 else 0  # every fifth commit shares its second with the one before
        mark += 1
        author = [b"Ann <ann@example.com>", b"Bob <bob@old.example.com>", b"Jos\xe9 <jose@example.com>"][step % 3]
        ops = [put(b"app/a.py", body(1, 12 + step))]
        if step == 10:
            ops.append(b"R app/b.py lib/b.py\n")  # exact rename
        if step == 20:
            ops += [b"D docs/read me.md\n", put(b"docs/read me now.md", body(3) + b"one more line\n")]  # edited move
        if step == 30:
            ops.append(b"D caf\xe9/menu.txt\n")
        if step % 2:
            ops.append(put(b"app/c %d.py" % step, body(step)))
        stream += commit(mark, "main", when, f"main {step}", ops, (main,), author)
        main = mark
        if step % 9 == 0:  # a side branch of two commits, merged back
            mark += 1
            stream += commit(mark, "side", when + 60, f"side {step}", [put(b"side/s%d.py" % step, body(step))],
                             (main,), b"Bob <bob@old.example.com>")
            mark += 1
            stream += commit(mark, "side", when + 120, f"side {step} again",
                             [put(b"side/s%d.py" % step, body(step, 3))], (mark - 1,))
            side = mark
            mark += 1
            when += 180
            stream += commit(mark, "main", when, f"Merge side {step}", [], (main, side))
            main = mark
    git(repo, "fast-import", "--quiet", input=bytes(stream))
    git(repo, "reset", "-q", "--hard", "main")
    return repo


def spy_on_split(monkeypatch) -> list[int]:
    """The commits of each later part of a split names pass (each is drained by a thread)."""
    calls = []
    drained = GitLog.drained

    def counting(self, *args, **kwargs):
        calls.append(len(self.commits))
        return drained(self, *args, **kwargs)

    monkeypatch.setattr(GitLog, "drained", counting)
    return calls


def mined(source: GitSource, workers: int, **kwargs):
    rejects = Rejects()
    result = mine_git_history(source, rejects, workers=workers, **kwargs)
    return result, rejects


def assert_same(one, two) -> None:
    (a, ra), (b, rb) = one, two
    for name in ("commits", "file_changes"):
        pd.testing.assert_frame_equal(a.frames[name], b.frames[name], check_exact=True)
        assert a.frames[name].equals(b.frames[name])
    assert (a.records_read, a.records_rejected, a.notes) == (b.records_read, b.records_rejected, b.notes)
    assert (ra.records, dict(ra.counts)) == (rb.records, dict(rb.counts))


@pytest.mark.parametrize("renames", [True, False])
@pytest.mark.parametrize("share", [0.5, 0.01, 0.99])
def test_split_names_pass_equals_one_process(history, monkeypatch, renames, share):
    source = GitSource(history, exclude_authors=(), follow_renames=renames)
    one = mined(source, 1, churn="none")
    monkeypatch.setattr(git_history, "SPLIT_MIN_COMMITS", 2)
    monkeypatch.setattr(git_history, "SPLIT_FIRST_SHARE", share)
    calls = spy_on_split(monkeypatch)
    two = mined(source, 2, churn="none")
    total = int(git(history, "rev-list", "--count", "HEAD"))
    newer = max(1, round((total - 2) * share))
    assert calls == [newer, total - 2 - newer]  # really split: 2 commits first, then two parts, none empty
    assert_same(one, two)
    commits, changes = one[0].frames["commits"], one[0].frames["file_changes"]
    assert len(commits) == total == 61 and commits["is_merge"].sum() == 5
    assert "caf\ufffd/menu.txt" in set(changes["path"]) and "docs/read me.md" in set(changes["path"])
    assert "Jos\ufffd" in set(commits["author_name"]) and "Robert" in set(commits["author_name"])
    renamed = changes.loc[changes["change_type"] == "R", ["old_path", "path"]].values.tolist()
    assert renamed == ([["app/b.py", "lib/b.py"], ["docs/read me.md", "docs/read me now.md"]] if renames else [])


def test_split_keeps_exclusions_since_churn_and_the_cache(history, monkeypatch, tmp_path):
    source = GitSource(history, since=dt.date(2024, 1, 2), exclude_messages=("^side",),
                       ignore_paths=("side/*",))
    one = mined(source, 1, churn="full")
    monkeypatch.setattr(git_history, "SPLIT_MIN_COMMITS", 2)
    calls = spy_on_split(monkeypatch)
    two = mined(source, 2, churn="full")
    assert len(calls) == 2
    assert_same(one, two)
    assert 0 < len(one[0].frames["commits"]) < 61 and one[0].frames["file_changes"]["added"].notna().all()
    cached = mined(GitSource(history), 2, cache_dir=tmp_path / "cache")
    assert_same(mined(GitSource(history), 1), cached)
    assert len(calls) == 4


@pytest.mark.parametrize("first", [60, 61, 62])
def test_a_history_just_longer_than_the_first_part(history, monkeypatch, first):
    one = mined(GitSource(history), 1)
    monkeypatch.setattr(git_history, "SPLIT_MIN_COMMITS", first)
    calls = spy_on_split(monkeypatch)
    assert_same(one, mined(GitSource(history), 2))
    assert calls == ([1] if first == 60 else [])  # one commit left: one more part


def test_short_histories_and_one_core_are_not_split(history, monkeypatch):
    calls = spy_on_split(monkeypatch)
    mined(GitSource(history), 2, churn="none")  # 61 commits, below SPLIT_MIN_COMMITS
    monkeypatch.setattr(git_history, "SPLIT_MIN_COMMITS", 2)
    listings = []
    monkeypatch.setattr(git_history, "_listing_arguments", lambda log: listings.append(log) or ["rev-list", "HEAD"])
    mined(GitSource(history), 1, churn="none")
    assert calls == [] and listings == []


def test_a_failing_listing_raises_with_what_git_said(history, monkeypatch):
    monkeypatch.setattr(git_history, "SPLIT_MIN_COMMITS", 2)
    monkeypatch.setattr(git_history, "_listing_arguments", lambda log: ["rev-list", "no-such-revision", "--"])
    with pytest.raises(SourceError, match=r"git rev-list failed with exit code \d+ \(git said: .+\)"):
        mined(GitSource(history), 2, churn="none")


def test_a_failing_later_part_raises_with_what_git_said(history, monkeypatch):
    monkeypatch.setattr(git_history, "SPLIT_MIN_COMMITS", 2)
    drained = GitLog.drained
    monkeypatch.setattr(GitLog, "drained", lambda self: drained(replace(self, commits=(*self.commits, "0" * 40))))
    with pytest.raises(SourceError, match=r"git log failed with exit code \d+ \(git said: .+\)"):
        mined(GitSource(history), 2, churn="none")


def test_leaving_a_drained_log_early_stops_git(history):
    log = GitLog(history, churn=False, commits=tuple(git(history, "rev-list", "HEAD").split()))
    with log.drained(chunk_bytes=64) as chunks:
        first = next(chunks)
    assert first.startswith(b"\x1e")
    with log.drained() as chunks:
        whole = b"".join(chunks)
    with log.stream() as chunks:
        assert b"".join(chunks) == whole
