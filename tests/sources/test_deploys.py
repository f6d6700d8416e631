"""Deploy history: the CSV deploy log and release tags as a proxy."""

import os
import subprocess

import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import GitSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.git.deploys import mine_deploys, parse_deploy_csv, parse_tag_refs, parse_timestamp

LOG = """\
timestamp,duration_s,status,contexts,pipeline
2024-05-02T10:15:00Z,540,success,"orders;billing",p1
2024-05-02T16:40:00+02:00,1260,FAILED,catalog,p2
1714700000,,,,p3
2024-05-04 08:00:00,12.5,rolled-back,billing | orders ,p4
now,1,ok,,p5
2024-05-05T00:00:00Z,-3,ok,,p6
2024-05-05T00:00:00Z,abc,ok,,p7
2024-05-05T00:00:00Z,10,exploded,,p8
2024-05-05T00:00:00Z,10

2024-05-06T00:00:00Z,inf,ok,,p9
"""


def test_parse_deploy_csv():
    rejects = Rejects()
    out = parse_deploy_csv(LOG.splitlines(keepends=True), "deploys.csv", rejects)
    frames.check(out, "deploys")
    rows = out.astype(object).where(out.notna(), None).to_dict("records")
    assert [r["deployed_at"] for r in rows] == [
        pd.Timestamp("2024-05-02T10:15:00Z"),
        pd.Timestamp("2024-05-02T14:40:00Z"),   # the offset is honoured
        pd.Timestamp(1714700000, unit="s", tz="UTC"),
        pd.Timestamp("2024-05-04T08:00:00Z"),   # no offset: read as UTC
    ]
    assert [r["status"] for r in rows] == ["success", "failure", None, "failure"]
    assert [r["contexts"] for r in rows] == ["billing,orders", "catalog", None, "billing,orders"]
    assert [r["duration_s"] for r in rows][:2] == [540.0, 1260.0] and rows[2]["duration_s"] is None
    assert set(out["origin"]) == {"deploy-log"}
    assert [(r.location, r.reason.split()[0]) for r in rejects.records] == [
        ("line 6", "unreadable"), ("line 7", "duration_s"), ("line 8", "duration_s"), ("line 9", "unknown"),
        ("line 10", "2"), ("line 12", "duration_s"),
    ]


def test_a_csv_without_timestamp_is_not_a_deploy_log():
    with pytest.raises(SourceError, match="timestamp"):
        parse_deploy_csv(["when,status\n", "2024-01-01,ok\n"], "x.csv", Rejects())
    assert parse_deploy_csv([], "x.csv", Rejects()).empty


def test_parse_timestamp():
    assert parse_timestamp("2024-01-01T01:00:00+01:00") == pd.Timestamp("2024-01-01T00:00:00Z")
    assert parse_timestamp("today") is None and parse_timestamp("") is None and parse_timestamp("2024-13-45") is None


def test_parse_tag_refs():
    out, skipped = parse_tag_refs(["v1.2\x002024-01-01T00:00:00+01:00\n", "3.20.0\x002024-02-01T00:00:00Z\n",
                                   "3.21.0-rc1\x002024-03-01T00:00:00Z\n", "nightly\x002024-03-02T00:00:00Z\n", "\n"])
    frames.check(out, "deploys")
    assert list(out["label"]) == ["v1.2", "3.20.0"] and skipped == 2
    assert set(out["origin"]) == {"release-tag"} and out["status"].isna().all() and out["duration_s"].isna().all()
    assert out["deployed_at"].iloc[0] == pd.Timestamp("2023-12-31T23:00:00Z")
    everything, none_skipped = parse_tag_refs(["3.21.0-rc1\x002024-03-01T00:00:00Z"], tag_pattern=r".")
    assert len(everything) == 1 and none_skipped == 0


def git(repo, *args, date="2024-01-01T00:00:00Z"):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_mine_deploys_prefers_the_deploy_log(tmp_path):
    log = tmp_path / "deploys.csv"
    log.write_text(LOG, encoding="utf-8")
    rejects = Rejects()
    result = mine_deploys(GitSource(repository=tmp_path, deploys=log), rejects)
    assert len(result.frames["deploys"]) == 4
    assert result.records_rejected == 6 == rejects.count(str(log)) and result.records_read == 10
    assert "deploys.csv" in result.notes[0]
    with pytest.raises(SourceError):
        mine_deploys(GitSource(repository=tmp_path, deploys=tmp_path / "missing.csv"), Rejects())


def test_mine_deploys_falls_back_to_release_tags_and_says_so(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git(tmp_path, "add", "a.txt")
    git(tmp_path, "commit", "-q", "-m", "one", date="2024-01-01T00:00:00Z")
    git(tmp_path, "tag", "v1.0")  # lightweight: the commit's date
    git(tmp_path, "tag", "-a", "v1.1", "-m", "release", date="2024-02-01T12:00:00Z")  # annotated: the tagger's date
    git(tmp_path, "tag", "experiment")
    result = mine_deploys(GitSource(repository=tmp_path), Rejects())
    out = result.frames["deploys"]
    assert list(out["label"]) == ["v1.0", "v1.1"]
    assert list(out["deployed_at"]) == [pd.Timestamp("2024-01-01T00:00:00Z"), pd.Timestamp("2024-02-01T12:00:00Z")]
    assert "proxy" in result.notes[0] and result.notes[1].endswith(": 1")


def test_mine_deploys_outside_a_repository(tmp_path):
    with pytest.raises(SourceError, match="not a git repository"):
        mine_deploys(GitSource(repository=tmp_path), Rejects())
