"""Git history miner: the pure parser on inline text, and the miner on tiny real repositories."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.git.command import GitLog
from analysis.sources.git.exclusions import drop_ignored_paths
from analysis.sources.git.miner import mine_git_history
from analysis.sources.git.parse import parse_git_log

NA = pd.NA
SHA1, SHA2, SHA3, SHA4 = ("1" * 40, "2" * 40, "3" * 40, "4" * 40)


def header(sha, parents="", name="Ann", email="ann@example.com", authored="2024-01-01T10:00:00+02:00",
           committed=None, subject="subject") -> str:
    return "\x1e" + "\0".join([sha, parents, name, email, authored, committed or authored, subject]) + "\0"


def commits_frame(rows) -> pd.DataFrame:
    cols = ["commit", "author_name", "author_email", "authored_at", "committed_at", "parents", "is_merge", "subject"]
    return frames.conform(pd.DataFrame(rows, columns=cols), "commits")


def changes_frame(rows) -> pd.DataFrame:
    cols = ["commit", "path", "old_path", "change_type", "added", "deleted"]
    return frames.conform(pd.DataFrame(rows, columns=cols, dtype=object), "file_changes")


# --------------------------------------------------------------------------------------
# parse_git_log on inline text

RAW_AND_NUMSTAT = (
    header(SHA2, SHA1, subject="rename and binary", authored="2024-01-02T09:00:00Z")
    + "\n:100644 100644 aaaaaaa bbbbbbb M\0bin.dat\0"
    + ":100644 100644 ccccccc ddddddd R087\0x {y} => z.txt\0dir/new name.txt\0"
    + "-\t-\tbin.dat\0"
    + "1\t0\t\0x {y} => z.txt\0dir/new name.txt\0"
    + header(SHA1, "", subject="first")
    + "\n:000000 100644 0000000 aaaaaaa A\0bin.dat\0"
    + ":000000 100644 0000000 ccccccc A\0x {y} => z.txt\0"
    + "-\t-\tbin.dat\0"
    + "5\t0\tx {y} => z.txt\0"
)


def test_parse_raw_and_numstat_records_exactly():
    commits, changes = parse_git_log([RAW_AND_NUMSTAT])
    assert frames.check(commits, "commits") is commits
    frames.check(changes, "file_changes")
    expected_commits = commits_frame([
        [SHA1, "Ann", "ann@example.com", "2024-01-01T08:00:00Z", "2024-01-01T08:00:00Z", 0, False, "first"],
        [SHA2, "Ann", "ann@example.com", "2024-01-02T09:00:00Z", "2024-01-02T09:00:00Z", 1, False, "rename and binary"],
    ])
    pd.testing.assert_frame_equal(commits, expected_commits)
    pd.testing.assert_frame_equal(changes, changes_frame([
        [SHA1, "bin.dat", NA, "A", NA, NA],
        [SHA1, "x {y} => z.txt", NA, "A", 5, 0],
        [SHA2, "bin.dat", NA, "M", NA, NA],
        [SHA2, "dir/new name.txt", "x {y} => z.txt", "R", 1, 0],
    ]))


def test_parse_name_status_entries_without_counts():
    text = (header(SHA1, "") + "\nA\0a.py\0D\0old.py\0T\0link\0R100\0b.py\0c/b.py\0C075\0a.py\0copy.py\0")
    _, changes = parse_git_log([text])
    pd.testing.assert_frame_equal(changes, changes_frame([
        [SHA1, "a.py", NA, "A", NA, NA],
        [SHA1, "old.py", NA, "D", NA, NA],
        [SHA1, "link", NA, "M", NA, NA],
        [SHA1, "c/b.py", "b.py", "R", NA, NA],
        [SHA1, "copy.py", "a.py", "A", NA, NA],
    ]))


def test_parse_is_independent_of_how_the_stream_is_cut():
    data = (header(SHA1, "", name="Jos\u00e9 \u00c5berg")
            + "\n:0 1 a b A\0caf\u00e9/\u00fc.py\0" + "2\t0\tcaf\u00e9/\u00fc.py\0").encode()
    whole = parse_git_log([data])
    one_byte = parse_git_log([data[i:i + 1] for i in range(len(data))])
    pd.testing.assert_frame_equal(whole[0], one_byte[0])
    pd.testing.assert_frame_equal(whole[1], one_byte[1])
    assert whole[0]["author_name"].tolist() == ["Jos\u00e9 \u00c5berg"]
    assert whole[1]["path"].tolist() == ["caf\u00e9/\u00fc.py"]


def test_parse_keeps_paths_with_newlines_and_record_marks_in_them():
    text = (header(SHA1, "") + "\n:0 1 a b A\0line\nbreak.txt\0:0 1 a b A\0\x1eodd\0"
            + "1\t0\tline\nbreak.txt\0" + "1\t0\t\x1eodd\0")
    _, changes = parse_git_log([text])
    assert changes["path"].tolist() == ["line\nbreak.txt", "\x1eodd"]
    assert changes["added"].tolist() == [1, 1]


def test_parse_replaces_bytes_that_are_not_utf8():
    data = header(SHA1, "").encode().replace(b"Ann", b"Jos\xe9") + b"\n:0 1 a b A\0f\xff.txt\0"
    commits, changes = parse_git_log([data])
    assert commits["author_name"].tolist() == ["Jos\ufffd"]
    assert changes["path"].tolist() == ["f\ufffd.txt"]


def test_parse_empty_input_gives_empty_frames():
    commits, changes = parse_git_log([])
    assert len(commits) == 0 and len(changes) == 0
    frames.check(commits, "commits")
    frames.check(changes, "file_changes")


def test_merge_commits_are_kept_without_their_file_changes():
    text = (header(SHA1, "") + "\n:0 1 a b A\0a\0"
            + header(SHA3, f"{SHA1} {SHA2}", authored="2024-01-03T00:00:00Z", subject="Merge") + "\n:1 1 a b M\0a\0")
    commits, changes = parse_git_log([text])
    assert commits[["commit", "parents", "is_merge"]].values.tolist() == [[SHA1, 0, False], [SHA3, 2, True]]
    assert changes["commit"].tolist() == [SHA1]


def test_commits_are_sorted_by_commit_date_and_ties_keep_parents_first():
    # git prints newest first: SHA3 (child, same date as SHA2), SHA2, then SHA1 (older, but printed last)
    same = "2024-02-01T00:00:00Z"
    text = (header(SHA3, SHA2, committed=same) + header(SHA2, SHA1, committed=same)
            + header(SHA1, "", authored="2024-03-01T00:00:00Z", committed="2024-01-01T00:00:00+01:00"))
    commits, _ = parse_git_log([text])
    assert commits["commit"].tolist() == [SHA1, SHA2, SHA3]
    assert str(commits["committed_at"].iloc[0]) == "2023-12-31 23:00:00+00:00"


def test_unreadable_records_are_rejected_and_counted():
    rejects = Rejects()
    text = (
        header("not-a-sha", "") + "\n:0 1 a b A\0lost.py\0"  # bad id: commit and its changes go
        + header(SHA1, "", authored="yesterday") + "\n:0 1 a b A\0also-lost.py\0"  # bad date
        + header(SHA2, "") + "\nweird entry\0x.py\0"  # commit kept, its changes rejected
        + header(SHA3, "") + "\n:0 1 a b A\0a.py\0:0 1 a b A\0b.py\0" + "1\t0\ta.py\0"  # counts do not pair
        + header(SHA4, "") + "\n:0 1 a b A\0kept.py\0"
    )
    commits, changes = parse_git_log([text], rejects)
    assert commits["commit"].tolist() == [SHA4, SHA3, SHA2]  # one date: git's order reversed
    assert changes[["commit", "path"]].values.tolist() == [[SHA4, "kept.py"]]
    assert rejects.count("git") == 4
    assert [r.location for r in rejects.records] == [
        "commit not-a-sha", f"commit {SHA2}", f"commit {SHA3}", f"commit {SHA1}"]
    assert "unreadable change entry" in rejects.records[1].reason
    assert "2 status entries but 1 numstat entries" in rejects.records[2].reason
    assert rejects.records[3].reason == "unreadable author or commit date"


def test_truncated_record_is_rejected():
    rejects = Rejects()
    commits, _ = parse_git_log([header(SHA1, "") + "\x1e" + SHA2 + "\0" + SHA1], rejects)
    assert commits["commit"].tolist() == [SHA1]
    assert [(r.location, r.reason) for r in rejects.records] == [(f"commit {SHA2}", "truncated commit record")]


def test_drop_ignored_paths_matches_the_path_after_the_change():
    changes = changes_frame([
        [SHA1, "app/migrations/0001.py", NA, "A", 1, 0],
        [SHA1, "app/models.py", "app/migrations/old.py", "R", 0, 0],
        [SHA1, "vendor/lib.js", NA, "M", 1, 1],
    ])
    kept, dropped = drop_ignored_paths(changes, ["**/migrations/**", "vendor/**"])
    assert kept["path"].tolist() == ["app/models.py"]
    assert dropped == 2
    assert drop_ignored_paths(changes, [])[1] == 0


def test_log_arguments_follow_the_options():
    args = GitLog(Path("r"), since=dt.date(2024, 1, 1), churn=False, follow_renames=False).arguments()
    assert "--numstat" not in args and "--no-renames" in args and "-M" not in args
    assert "--since=@1704067200" in args  # seconds: git misreads dates from 2100 on
    assert args[-1] == "--" and "-z" in args and "--name-status" in args and "--raw" not in args
    assert {"-M", "--numstat", "--raw"} <= set(GitLog(Path("r")).arguments())
    listed = GitLog(Path("r"), since=dt.date(2024, 1, 1), commits=("a" * 40,)).arguments()
    assert listed[:3] == ["log", "--no-walk=unsorted", "--stdin"] and "HEAD" not in listed
    assert not any(a.startswith("--since") for a in listed)  # an explicit list is already chosen
    assert any("%aN" in a for a in GitLog(Path("r"), mailmap=True).arguments())


# --------------------------------------------------------------------------------------
# tiny real repositories

BASE_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}


def git(repo: Path, *args: str, name: bytes = b"Ann", email: str = "ann@example.com", date: str = "",
        input: bytes | None = None) -> str:
    env = {k.encode(): v.encode() for k, v in {**os.environ, **BASE_ENV}.items() if not k.startswith("GIT_DIR")}
    env.update({b"GIT_AUTHOR_NAME": name, b"GIT_AUTHOR_EMAIL": email.encode(), b"GIT_COMMITTER_NAME": b"Ci",
                b"GIT_COMMITTER_EMAIL": b"ci@example.com", b"GIT_AUTHOR_DATE": date.encode(),
                b"GIT_COMMITTER_DATE": date.encode()})
    out = subprocess.run(["git", "-C", str(repo), "-c", "commit.gpgsign=false", *args], env=env,
                         capture_output=True, check=True, input=input if input is not None else b"")
    return out.stdout.decode().strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """Five commits: adds, a rename, a binary file, an odd path, a branch and a merge."""
    root = tmp_path_factory.mktemp("history") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shas = {}
    (root / "app").mkdir()
    (root / "app/a.py").write_text("one\ntwo\nthree\n")
    (root / "docs").mkdir()
    (root / "docs/x {y} => z.md").write_text("alpha\nbeta\n")
    (root / "img.bin").write_bytes(b"\0\1\2\3")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first", date="2024-01-01T10:00:00+02:00")
    shas["c1"] = git(root, "rev-parse", "HEAD")

    (root / "app/a.py").write_text("one\n2\nthree\n")
    git(root, "mv", "docs/x {y} => z.md", "docs/new name.md")
    (root / "img.bin").write_bytes(b"\0\1\2\4")
    git(root, "commit", "-q", "-am", "second", name=b"Bob", email="bob@example.com", date="2024-01-02T09:00:00Z")
    shas["c2"] = git(root, "rev-parse", "HEAD")

    # a commit written by another tool: a Latin-1 author name, stored as is (git commit would convert it)
    git(root, "checkout", "-q", "-b", "feature")
    (root / "feature.py").write_text("f\n")
    git(root, "add", "feature.py")
    tree = git(root, "write-tree")
    raw = (f"tree {tree}\nparent {shas['c2']}\n".encode()
           + b"author Jos\xe9 <jose@example.com> 1704272400 +0000\n"
           + b"committer Jos\xe9 <jose@example.com> 1704272400 +0000\n\nfeature\n")
    shas["c3"] = git(root, "hash-object", "-t", "commit", "-w", "--stdin", input=raw)
    git(root, "update-ref", "refs/heads/feature", shas["c3"])
    git(root, "reset", "-q", "--hard")

    git(root, "checkout", "-q", "main")
    git(root, "rm", "-q", "img.bin")
    git(root, "commit", "-q", "-m", "drop binary", date="2024-01-04T09:00:00Z")
    shas["c4"] = git(root, "rev-parse", "HEAD")

    git(root, "merge", "-q", "--no-ff", "-m", "Merge feature", "feature", date="2024-01-05T09:00:00Z")
    shas["c5"] = git(root, "rev-parse", "HEAD")
    return root, shas


def _tree_state(path: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")}


def test_mines_exact_commits(repo):
    root, s = repo
    rejects = Rejects()
    result = mine_git_history(GitSource(root), rejects)
    commits = frames.check(result.frames["commits"], "commits")
    pd.testing.assert_frame_equal(commits, commits_frame([
        [s["c1"], "Ann", "ann@example.com", "2024-01-01T08:00:00Z", "2024-01-01T08:00:00Z", 0, False, "first"],
        [s["c2"], "Bob", "bob@example.com", "2024-01-02T09:00:00Z", "2024-01-02T09:00:00Z", 1, False, "second"],
        [s["c3"], "Jos\ufffd", "jose@example.com", "2024-01-03T09:00:00Z", "2024-01-03T09:00:00Z", 1, False, "feature"],
        [s["c4"], "Ann", "ann@example.com", "2024-01-04T09:00:00Z", "2024-01-04T09:00:00Z", 1, False, "drop binary"],
        [s["c5"], "Ann", "ann@example.com", "2024-01-05T09:00:00Z", "2024-01-05T09:00:00Z", 2, True, "Merge feature"],
    ]))
    assert (result.records_read, result.records_rejected, rejects.count()) == (5, 0, 0)
    assert result.notes == [
        "1 merge commits: kept in commits, their file changes are counted in the commits that made them"]


def test_mines_exact_file_changes(repo):
    root, s = repo
    changes = mine_git_history(GitSource(root), Rejects()).frames["file_changes"]
    frames.check(changes, "file_changes")
    pd.testing.assert_frame_equal(changes, changes_frame([
        [s["c1"], "app/a.py", NA, "A", 3, 0],
        [s["c1"], "docs/x {y} => z.md", NA, "A", 2, 0],
        [s["c1"], "img.bin", NA, "A", NA, NA],
        [s["c2"], "app/a.py", NA, "M", 1, 1],
        [s["c2"], "docs/new name.md", "docs/x {y} => z.md", "R", 0, 0],
        [s["c2"], "img.bin", NA, "M", NA, NA],
        [s["c3"], "feature.py", NA, "A", 1, 0],
        [s["c4"], "img.bin", NA, "D", NA, NA],
    ]))


def test_without_renames_or_churn(repo):
    root, s = repo
    changes = mine_git_history(GitSource(root), Rejects(), churn=False, follow_renames=False).frames["file_changes"]
    frames.check(changes, "file_changes")
    c2 = changes[changes["commit"] == s["c2"]]
    assert c2[["path", "change_type"]].values.tolist() == [
        ["app/a.py", "M"], ["docs/new name.md", "A"], ["docs/x {y} => z.md", "D"], ["img.bin", "M"]]
    assert changes["old_path"].isna().all()
    assert changes["added"].isna().all() and changes["deleted"].isna().all()


def test_ignore_paths_and_since(repo):
    root, s = repo
    source = GitSource(root, since=dt.date(2024, 1, 2), ignore_paths=("*.bin", "docs/**"))
    result = mine_git_history(source, Rejects())
    assert result.frames["commits"]["commit"].tolist() == [s["c2"], s["c3"], s["c4"], s["c5"]]
    assert result.frames["file_changes"]["path"].tolist() == ["app/a.py", "feature.py"]
    assert "3 file changes ignored by ignore_paths" in result.notes
    assert "history since 2024-01-02" in result.notes
    assert result.records_rejected == 0


def test_never_writes_into_the_repository(repo):
    root, _ = repo
    before = _tree_state(root)
    mine_git_history(GitSource(root), Rejects())
    assert _tree_state(root) == before


def test_shallow_clone_is_noted(repo, tmp_path):
    root, s = repo
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{root}", str(tmp_path / "shallow")],
                   check=True, capture_output=True, env={**os.environ, **BASE_ENV})
    result = mine_git_history(GitSource(tmp_path / "shallow"), Rejects())
    assert result.frames["commits"]["commit"].tolist() == [s["c3"], s["c4"], s["c5"]]
    assert "shallow clone: history before 2024-01-03 is missing" in result.notes


def test_empty_repository_gives_empty_frames_and_a_note(tmp_path):
    git(tmp_path, "init", "-q")
    result = mine_git_history(GitSource(tmp_path), Rejects())
    assert len(result.frames["commits"]) == 0 and len(result.frames["file_changes"]) == 0
    frames.check(result.frames["commits"], "commits")
    frames.check(result.frames["file_changes"], "file_changes")
    assert result.records_read == 0 and "no commits" in result.notes[0]


def test_not_a_repository_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    (tmp_path / "plain").mkdir()
    with pytest.raises(SourceError, match=r"plain is not a git repository \(git said: .*not a git repository"):
        mine_git_history(GitSource(tmp_path / "plain"), Rejects())
    with pytest.raises(SourceError, match="does not exist"):
        mine_git_history(GitSource(tmp_path / "missing"), Rejects())


def test_git_dir_in_the_environment_does_not_redirect_git(repo, tmp_path, monkeypatch):
    root, s = repo
    git(tmp_path, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(tmp_path / ".git"))
    assert mine_git_history(GitSource(root), Rejects()).records_read == 5


def test_a_failing_git_log_raises_with_what_git_said(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with pytest.raises(SourceError, match=r"git log failed with exit code \d+ \(git said: .+\)"):
        with GitLog(tmp_path).stream() as chunks:
            list(chunks)


def test_parse_merge_files_reads_each_merge_and_its_files():
    from analysis.sources.git.merges import parse_merge_files

    text = "\x1e" + "a" * 40 + "\x00\nshop/x.py\x00shop/y z.py\x00" + "\x1e" + "b" * 40 + "\x00\nREADME.md\x00"
    out = parse_merge_files(text)
    assert out.values.tolist() == [["a" * 40, "shop/x.py"], ["a" * 40, "shop/y z.py"], ["b" * 40, "README.md"]]
    assert parse_merge_files("").empty


# --------------------------------------------------------------------------------------
# the fast names reader gives what the general reader gives

NAME_STATUS_LOGS = {
    "plain": (header(SHA3, SHA2, authored="2024-01-03T00:00:00-05:00") + "\nM\0a.py\0R\0b.py\0c.py\0"
              + header(SHA2, SHA1, name="Jos\u00e9") + "\nT\0link\0C075\0a.py\0caf\u00e9.py\0D\0gone\0"
              + header(SHA1, "", authored="2024-01-01T00:00:00Z") + "\nA\0a.py\0A\0gone\0"),
    "merge and empty commit": (header(SHA3, f"{SHA1} {SHA2}") + header(SHA2, SHA1) + header(SHA1, "") + "\nA\0x\0"),
    "merge listing files": header(SHA2, f"{SHA1} {SHA4}") + "\nM\0x\0" + header(SHA1, "") + "\nA\0x\0",
    "record mark and newline in paths": header(SHA1, "") + "\nA\0\x1eodd\0A\0line\nbreak\0R100\0\x1eo\0\nn\0",
    "unreadable date": header(SHA2, SHA1, authored="yesterday") + "\nM\0x\0" + header(SHA1, "") + "\nA\0x\0",
    "unknown status": header(SHA2, SHA1) + "\nX\0x\0" + header(SHA1, "") + "\nA\0x\0",
    "status with a score": header(SHA1, "") + "\nM100\0x\0",
    "truncated entry": header(SHA2, SHA1) + "\nA\0x\0" + header(SHA1, "") + "\nR090\0only-old\0",
    "truncated header": "\x1e" + SHA1 + "\0\0Ann\0",
    "not a commit id": header("g" * 40, "") + "\nA\0x\0",
    "stray text": "junk\0" + header(SHA1, "") + "\nA\0x\0",
    "no final NUL": header(SHA1, "") + "\nA\0x",
    "record mark inside a path": header(SHA2, SHA1) + "\nA\0a\x1eb\0M\0c\0" + header(SHA1, "") + "\nA\0c\0",
    "record mark inside a subject": header(SHA2, SHA1, subject="x\x1ey") + "\nM\0a\0" + header(SHA1, "") + "\nA\0a\0",
    "newline before a record mark": header(SHA2, SHA1) + "\n" + header(SHA1, "") + "\nA\0a\0",
    "status without its path": header(SHA2, SHA1) + "\nA\0a\0M\0" + header(SHA1, "") + "\nA\0a\0",
    "empty status": header(SHA1, "") + "\n\0a\0",
    "two newlines before the first entry": header(SHA1, "") + "\n\nM\0a\0",
    "merge listing renames": header(SHA2, f"{SHA1} {SHA4}") + "\nR100\0x\0y\0" + header(SHA1, "") + "\nA\0x\0",
    "many commits": "".join(
        header(f"{k:040x}", f"{k - 1:040x}" if k > 1 else "", authored=f"2024-01-{k % 28 + 1:02d}T00:00:00Z")
        + ("\nM\0a.py\0A\0b/c d.py\0" if k % 3 else "\nT\0a.py\0R090\0b.py\0e.py\0D\0f\0" if k % 5 else "")
        for k in range(40, 0, -1)),
}


@pytest.mark.parametrize("name", sorted(NAME_STATUS_LOGS))
def test_fast_names_reader_agrees_with_the_general_reader_however_the_stream_is_cut(name):
    from analysis.sources.git.parse import parse_log, parse_log_general

    data = NAME_STATUS_LOGS[name].encode()
    expected_rejects = Rejects()
    expected = parse_log_general([data], expected_rejects)
    for size in (1, 3, 7, 64, len(data) + 1):
        rejects = Rejects()
        got = parse_log([data[i:i + size] for i in range(0, len(data), size)], rejects)
        pd.testing.assert_frame_equal(got.commits, expected.commits)
        pd.testing.assert_frame_equal(got.file_changes, expected.file_changes)
        assert (got.commit_records, got.merges) == (expected.commit_records, expected.merges)
        assert rejects.records == expected_rejects.records and rejects.count() == expected_rejects.count()


def test_fast_names_reader_reads_renames_copies_and_merges():
    from analysis.sources.git.parse import _parse_names

    parsed = _parse_names(iter([NAME_STATUS_LOGS["plain"].encode(), NAME_STATUS_LOGS["merge and empty commit"]
                                .replace(SHA1, SHA4).replace(SHA2, "5" * 40).replace(SHA3, "6" * 40).encode()]),
                          [], Rejects())
    assert parsed is not None and parsed.merges == 1 and parsed.commit_records == 6
    rows = parsed.file_changes.astype(object).where(parsed.file_changes.notna(), None)
    assert rows[["commit", "path", "old_path", "change_type"]].values.tolist() == [
        [SHA1, "a.py", None, "A"], [SHA1, "gone", None, "A"],
        [SHA4, "x", None, "A"],
        [SHA2, "link", None, "M"], [SHA2, "caf\u00e9.py", "a.py", "A"], [SHA2, "gone", None, "D"],
        [SHA3, "a.py", None, "M"], [SHA3, "c.py", "b.py", "R"],
    ]


def test_fast_names_reader_keeps_commit_positions_across_pieces():
    from analysis.sources.git.parse import _parse_names

    data = NAME_STATUS_LOGS["many commits"].encode()
    whole = _parse_names(iter([data]), [], Rejects())
    pieces = _parse_names(iter(data[i:i + 500] for i in range(0, len(data), 500)), [], Rejects())
    assert whole is not None and pieces is not None
    pd.testing.assert_frame_equal(whole.file_changes, pieces.file_changes)
    first = pieces.file_changes.loc[pieces.file_changes["commit"] == f"{1:040x}"]
    assert first[["path", "old_path", "change_type"]].astype(object).values.tolist() == [
        ["a.py", NA, "M"], ["b/c d.py", NA, "A"]]
    third = pieces.file_changes.loc[pieces.file_changes["commit"] == f"{3:040x}"]
    assert third[["path", "old_path", "change_type"]].astype(object).values.tolist() == [
        ["a.py", NA, "M"], ["e.py", "b.py", "R"], ["f", NA, "D"]]
    # 27 commits (k not a multiple of 3) with two changes, 11 (multiples of 3 but not of 15) with three
    assert len(pieces.commits) == 40 and len(pieces.file_changes) == 27 * 2 + 11 * 3


def test_git_runs_with_fully_buffered_output():
    from analysis.sources.git.command import git_environment

    assert git_environment()["GIT_FLUSH"] == "0"


def test_fast_names_reader_leaves_numstat_logs_to_the_general_reader():
    from analysis.sources.git.parse import _parse_names

    assert _parse_names(iter([RAW_AND_NUMSTAT]), [], Rejects()) is None


@pytest.mark.parametrize("ignore_paths", [(), ("vendor/**",)])
def test_merge_files_of_a_history_without_merges(tmp_path, ignore_paths):
    """A linear history (squash or rebase merges, a depth-1 CI checkout) has no merge: an
    empty frame, with or without ignored paths."""
    from analysis.sources.git.merges import mine_merge_files

    repo = tmp_path / "linear"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for n in range(3):
        (repo / "app").mkdir(exist_ok=True)
        (repo / "app" / "a.py").write_text(f"x = {n}\n")
        (repo / "vendor").mkdir(exist_ok=True)
        (repo / "vendor" / "b.py").write_text(f"y = {n}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"change {n}", date=f"2024-01-0{n + 1}T00:00:00Z")
    result = mine_merge_files(GitSource(repo, ignore_paths=ignore_paths), Rejects())
    frames.check(result.frames["merge_files"], "merge_files")
    assert result.frames["merge_files"].empty and result.records_read == 0


def test_ignored_paths_leave_the_other_files_of_a_merge(tmp_path):
    from analysis.sources.git.merges import mine_merge_files

    repo = tmp_path / "merged"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.py").write_text("a\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "topic")
    (repo / "vendor").mkdir()
    (repo / "vendor" / "v.py").write_text("v\n")
    (repo / "b.py").write_text("b\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "topic")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge topic", "topic")
    only_vendor = mine_merge_files(GitSource(repo, ignore_paths=("vendor/**", "b.py")), Rejects())
    assert only_vendor.frames["merge_files"].empty and only_vendor.records_read == 0
    kept = mine_merge_files(GitSource(repo, ignore_paths=("vendor/**",)), Rejects())
    assert list(kept.frames["merge_files"]["path"]) == ["b.py"] and kept.records_read == 1
