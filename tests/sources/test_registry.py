"""The registry: one table of source kinds, one way to mine and cache them."""

from __future__ import annotations

import pytest
from gitrepo import git, make_repo

from analysis.core.config import parse_config
from analysis.core.errors import SeamsError
from analysis.core.rejects import Rejects
from analysis.sources import cache, registry


def test_every_kind_has_one_row_and_an_unknown_kind_lists_the_valid_ones():
    assert list(registry.KINDS) == ["git", "merges", "head", "deploys", "complexity", "imports", "code_imports", "orm",
                                    "entry_points", "sql", "traces", "incidents", "costs", "delivered"]
    assert registry.BASE_KINDS == ("git", "imports", "sql", "traces", "incidents", "costs", "delivered")
    with pytest.raises(SeamsError, match="unknown source kind 'svn'; valid kinds: git, merges, head, deploys"):
        registry.source_kind("svn")


def test_companions_come_with_their_base_kind(tmp_path):
    repo = make_repo(tmp_path / "repo", {"app/a.py": "x = 1\n"})
    config = parse_config({"sources": {"git": {"repository": str(repo)}}, "contexts": {"app": {"paths": ["app/**"]}}},
                          tmp_path / "seams.yml")
    assert registry.configured_kinds(config) == ("git", "merges", "head", "deploys", "complexity")
    with pytest.raises(SeamsError, match="sources.sql is not configured"):
        registry.mine_source(config, "sql", Rejects())


def test_the_cache_fingerprint_reads_the_configured_repository_whatever_git_dir_says(tmp_path, monkeypatch):
    """GIT_DIR in the caller's environment must not make Seams read another repository."""
    analysed = make_repo(tmp_path / "analysed", {"a.py": "x = 1\n"})
    caller = make_repo(tmp_path / "caller", {"b.py": "y = 2\n"})
    git(caller, "commit", "-q", "--allow-empty", "-m", "second")
    monkeypatch.setenv("GIT_DIR", str(caller / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(caller))
    config = parse_config({"sources": {"git": {"repository": str(analysed)}}, "contexts": {"a": {"paths": ["**"]}}},
                          tmp_path / "seams.yml")
    fingerprint = cache.git_fingerprint(config.git)
    assert fingerprint.endswith("|" + git(analysed, "rev-parse", "HEAD"))
    assert git(caller, "rev-parse", "HEAD") not in fingerprint
    merges = registry.mine_source(config, "merges", Rejects())  # cached by that fingerprint
    again = registry.mine_source(config, "merges", Rejects())
    assert merges.records_read == again.records_read == 0


def test_a_cached_source_is_read_back_with_its_rejects(tmp_path, monkeypatch):
    monkeypatch.delenv("SEAMS_CACHE_DIR", raising=False)
    log = tmp_path / "pg.log"
    log.write_text("2024-03-01 10:00:00.000 UTC [1] app@shop LOG:  duration: 1.0 ms  statement: SELECT 1\n"
                   "garbage line\n", encoding="utf-8")
    config = parse_config({"sources": {"sql": [{"path": "pg.log", "log_line_prefix": "%m [%p] %u@%d "}]},
                           "contexts": {"a": {"tables": ["t"]}}}, tmp_path / "seams.yml")
    first, second = Rejects(), Rejects()
    mined = registry.mine_source(config, "sql", first)
    assert (tmp_path / ".seams-cache" / "sql").is_dir()  # the cache lives beside the config file
    cached = registry.mine_source(config, "sql", second)
    assert cached.records_read == mined.records_read and first.count() == second.count() == 1
    assert [r.reason for r in first.records] == [r.reason for r in second.records]


PGSS = ("queryid,query,calls,total_exec_time,rows,toplevel\n"
        '1,"INSERT INTO invoices VALUES ($1)",4,1.0,4,t\n'
        '2,"SELECT $2 FROM ONLY ""public"".""customers"" x WHERE ""id"" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x",4,0.2,4,f\n')


def test_the_counts_of_statements_run_inside_the_server_survive_the_cache_and_add_up(tmp_path, monkeypatch):
    monkeypatch.delenv("SEAMS_CACHE_DIR", raising=False)
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(PGSS, encoding="utf-8")
    config = parse_config({"sources": {"sql": [{"path": "a.csv", "format": "pg-stat-statements-csv"},
                                               {"path": "b.csv", "format": "pg-stat-statements-csv"}]},
                           "contexts": {"a": {"tables": ["invoices"]}}}, tmp_path / "seams.yml")
    mined = registry.mine_source(config, "sql", Rejects())
    cached = registry.mine_source(config, "sql", Rejects())
    assert mined.counts == cached.counts == {"lines": 6, "statements": 2, "executions": 8, "failed_statements": 0,
                                             "nested_statements": 2, "nested_calls": 8}
    assert int(cached.frames["statements"]["executions"].sum()) == 8


def _unwritable_folder(tmp_path, exists: bool):
    """A folder Seams cannot write into (sysfs refuses even root), or a read-only one."""
    import os

    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder if exists else folder / "cache"
    if not os.path.isdir("/sys/kernel"):
        pytest.skip("no folder that root cannot write into")
    return "/sys/kernel" if exists else "/sys/seams-cache"


@pytest.mark.parametrize("shape", ["a file", "not writable", "read-only"])
def test_a_cache_that_cannot_be_used_is_a_warning_and_the_source_is_mined(tmp_path, monkeypatch, shape):
    from analysis import pipeline

    monkeypatch.delenv("SEAMS_CACHE_DIR", raising=False)
    repo = make_repo(tmp_path / "repo", {"app/a.py": "x = 1\n"})
    log = tmp_path / "pg.log"
    log.write_text("2024-03-01 10:00:00.000 UTC [1] app@shop LOG:  duration: 1.0 ms  statement: SELECT 1\n")
    if shape == "a file":
        (tmp_path / "cache").write_text("not a folder")
        cache_dir = str(tmp_path / "cache")
    else:
        cache_dir = str(_unwritable_folder(tmp_path, exists=shape == "read-only"))
    config = parse_config({"sources": {"git": {"repository": str(repo)}, "sql": [{"path": "pg.log", "log_line_prefix": "%m [%p] %u@%d "}]},
                           "contexts": {"app": {"paths": ["app/**"]}}, "cache_dir": cache_dir}, tmp_path / "seams.yml")
    mined, rejects = pipeline.mine(config)
    assert mined["git"].records_read == 1 and mined["sql"].records_read == 1
    result = pipeline.analyse(config, mined, rejects)
    warnings = [w for w in result.warnings if "cache" in w]
    assert len(warnings) == 1 and cache_dir in warnings[0] and "without a cache" in warnings[0]
