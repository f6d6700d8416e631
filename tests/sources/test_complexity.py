"""Complexity of the files at HEAD: pure parsers on literal bytes, the miner on a tiny repository."""

import io
import os
import subprocess

import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.git.complexity import (
    indentation_complexity,
    measure_source,
    mine_complexity,
    parse_ls_tree,
    read_batch,
)

PYTHON = """\
def f(x):
    if x and x > 1:
        return 1
    for i in range(3):
        pass
    return 2


def g():
    return 0
"""


def test_indentation_complexity_counts_logical_levels_of_non_blank_lines():
    text = "a\n    b\n\n        c\n\tdd\n  e\n   \n"
    # levels: 0, 1, 2, 1 (tab = 4 columns), 0.5; blank and whitespace-only lines count for nothing
    assert indentation_complexity(text) == (4.5, 5)
    # with 2-column levels: 0, 2, 4, 1 (a tab is now 2 columns), 1
    assert indentation_complexity(text, indent_width=2) == (8.0, 5)
    assert indentation_complexity("") == (0.0, 0)


def test_measure_source_with_lizard():
    row = measure_source("m.py", PYTHON)
    # f: 1 + if + and + for = 4; g: 1
    assert row["language"] == "python" and row["functions"] == 2
    assert row["ccn_total"] == 5 and row["ccn_max"] == 4
    assert row["nloc"] == 8
    assert row["indentation_complexity"] == 8.0  # 0 + 1 + 2 + 1 + 2 + 1 + 0 + 1


def test_measure_source_falls_back_to_lines_and_indentation():
    row = measure_source("deploy/values.yaml", "a:\n  b: 1\n\n  c:\n    - d\n")
    assert row["language"] == "text" and row["functions"] == 0
    assert row["ccn_total"] is pd.NA and row["ccn_max"] is pd.NA
    assert row["nloc"] == 4 and row["indentation_complexity"] == 2.0


def test_parse_ls_tree():
    out = (b"100644 blob " + b"a" * 40 + b"     12\tdir/a b.py\0"
           b"160000 commit " + b"b" * 40 + b"       -\tvendor/lib\0"
           b"100644 blob " + b"c" * 40 + b"      3\tna\xefve\nname.txt\0")
    assert parse_ls_tree(out) == [
        ("100644", "blob", "a" * 40, 12, "dir/a b.py"),
        ("160000", "commit", "b" * 40, None, "vendor/lib"),
        ("100644", "blob", "c" * 40, 3, "na\ufffdve\nname.txt"),
    ]
    with pytest.raises(ValueError):
        parse_ls_tree(b"garbage\0")


def test_read_batch():
    stream = io.BytesIO(b"aaa blob 5\nhello\nbbb missing\nccc blob 0\n\n")
    assert list(read_batch(stream, 3)) == [("aaa", b"hello"), ("bbb", None), ("ccc", b"")]
    with pytest.raises(ValueError):
        list(read_batch(io.BytesIO(b"aaa blob 5\nhello\n"), 2))


def git(repo, *args, stdin=None):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env, input=stdin).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("complexity-repo")
    git(root, "init", "-q", "-b", "main")
    (root / "pkg").mkdir()
    (root / "pkg" / "m.py").write_text(PYTHON)
    (root / "with space {x} => y.py").write_text("def h():\n    return 1\n")
    (root / "values.yaml").write_text("a:\n  b: 1\n")
    (root / "image.png").write_bytes(b"\x89PNG\0\0\0binary")
    (root / "big.js").write_text("var x = 1;\n" * 200)
    (root / "latin1.py").write_bytes("# caf\xe9\nx = 1\n".encode("latin-1"))
    (root / "deleted.py").write_text("x = 1\n")
    os.symlink("pkg/m.py", root / "link.py")
    git(root, "add", "-A")
    blob = git(root, "rev-parse", ":pkg/m.py").decode().strip()
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{blob},vendor/sub")  # a submodule entry
    git(root, "commit", "-q", "-m", "first")
    git(root, "rm", "-q", "deleted.py")
    git(root, "commit", "-q", "-m", "second")
    return root


def snapshot(root):
    return sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*"))


def test_mine_complexity_reads_head_without_writing(repo):
    before = snapshot(repo)
    rejects = Rejects()
    paths = ["pkg/m.py", "with space {x} => y.py", "values.yaml", "image.png", "big.js", "latin1.py",
             "deleted.py", "link.py", "vendor/sub"]
    out = mine_complexity(repo, paths, rejects, max_file_bytes=1000)
    frames.check(out, "complexity")
    assert snapshot(repo) == before
    assert list(out["path"]) == ["latin1.py", "pkg/m.py", "values.yaml", "with space {x} => y.py"]
    by_path = out.set_index("path")
    assert by_path.loc["pkg/m.py", "ccn_total"] == 5 and by_path.loc["pkg/m.py", "language"] == "python"
    assert by_path.loc["values.yaml", "language"] == "text"
    assert by_path.loc["with space {x} => y.py", "functions"] == 1
    assert by_path.loc["latin1.py", "nloc"] == 1  # undecodable byte replaced, file still measured
    reasons = {r.location: r.reason for r in rejects.records}
    assert set(reasons) == {"image.png", "big.js", "link.py", "vendor/sub"}  # deleted.py: not at HEAD, nothing to measure
    assert reasons["image.png"].startswith("binary") and reasons["big.js"].startswith("larger")
    assert reasons["vendor/sub"].startswith("submodule") and reasons["link.py"].startswith("symbolic link")


def test_mine_complexity_of_every_file_and_of_no_file(repo):
    everything = mine_complexity(repo, None, Rejects())
    assert "big.js" in set(everything["path"]) and "deleted.py" not in set(everything["path"])
    assert mine_complexity(repo, [], Rejects()).empty


def test_empty_repository_and_not_a_repository(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    out = mine_complexity(empty, None, Rejects())
    assert out.empty and list(out.columns) == list(frames.SCHEMAS["complexity"])
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(SourceError, match="not a git repository"):
        mine_complexity(plain, None, Rejects())
    with pytest.raises(SourceError, match="no such directory"):
        mine_complexity(tmp_path / "missing", None, Rejects())


def test_measuring_in_worker_processes_gives_the_same_frame(repo, monkeypatch):
    import analysis.sources.git.complexity as complexity_source

    sequential = mine_complexity(repo, None, Rejects(), workers=1)
    monkeypatch.setattr(complexity_source, "PARALLEL_FROM_FILES", 0)
    parallel = mine_complexity(repo, None, Rejects(), workers=2)
    pd.testing.assert_frame_equal(sequential, parallel)


def test_the_worker_script_imports_neither_seams_nor_pandas_and_measures_as_this_process_does():
    import pickle
    import sys

    from analysis.sources.git import complexity as complexity_source

    script = str(complexity_source.WORKER_SCRIPT)
    loaded = subprocess.run([sys.executable, "-P", "-c", f"import runpy, sys; runpy.run_path({script!r}); "
                             "print(sorted(m for m in ('pandas', 'numpy', 'analysis') if m in sys.modules))"],
                            capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    files = [("m.py", PYTHON.encode()), ("values.yaml", b"a:\n  b: 1\n"), ("bad.py", b"x = '\xff'\n")]
    requests = b"".join(pickle.dumps((indent, files)) for indent in (4, 2))
    answered = subprocess.run([sys.executable, "-P", script], input=requests, capture_output=True, check=True).stdout
    stream = io.BytesIO(answered)
    for indent in (4, 2):
        rows = [{k: (pd.NA if v is None else v) for k, v in row.items()} for row in pickle.load(stream)]
        assert rows == [measure_source(p, b.decode("utf-8", "replace"), indent_width=indent) for p, b in files]
    assert rows[0]["ccn_total"] == 5 and rows[1]["ccn_total"] is pd.NA and rows[1]["indentation_complexity"] == 2 / 2  # two columns, indent 2


@pytest.mark.parametrize("worker", ["missing", "dies"])
def test_without_a_working_worker_the_files_are_measured_here_alike(repo, monkeypatch, tmp_path, worker):
    import analysis.sources.git.complexity as complexity_source

    sequential = mine_complexity(repo, None, Rejects(), workers=1)
    script = tmp_path / "worker.py"
    if worker == "dies":
        script.write_text("import sys\nsys.stdin.buffer.read(1)\nsys.exit(1)\n")
    monkeypatch.setattr(complexity_source, "WORKER_SCRIPT", script)
    monkeypatch.setattr(complexity_source, "PARALLEL_FROM_FILES", 0)
    monkeypatch.setattr(complexity_source, "BATCH_FILES", 1)
    pd.testing.assert_frame_equal(sequential, mine_complexity(repo, None, Rejects(), workers=2))
