"""Real PostgreSQL logs read by Seams, checked against pgbadger and a hand-checked table list.

A throwaway cluster (tests/pg_cluster.py) runs pgbench in the three protocols and a small
multi-schema workload with ``log_min_duration_statement = 0`` and writes the same records as
stderr, csvlog and jsonlog. The oracle:

- execution counts per normalized query equal pgbadger's (``pgbadger -x json``,
  ``normalyzed_info``) in every format Seams reads;
- the tables each multi-schema statement reads, writes and joins equal the list below,
  checked by hand against :data:`tests.pg_cluster.MULTI_SCHEMA_SQL`.

Needs the Debian packages ``postgresql`` and ``pgbadger``: skipped without them, failed
without them when ``CI`` is set.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from pg_cluster import PostgresMissing, produce_logs

from analysis.core import frames
from analysis.core.config import SqlSource, load_config
from analysis.core.rejects import Rejects
from analysis.sources import sqltext
from analysis.sources.registry import mine_source
from analysis.sources.sql.miner import mine_sql_log

FORMATS = {"stderr": ("postgres-stderr", "stderr"), "csvlog": ("postgres-csvlog", "csv"), "jsonlog": ("postgres-jsonlog", "jsonlog")}

#: normalized text -> (reads, writes, joined pairs), hand-checked against MULTI_SCHEMA_SQL.
#: The search path is ``public``: other schemas stay in the name.
MULTI_SCHEMA_TABLES = {
    "insert into sales.customer (id, email) values (?, ?)": ((), ("sales.customer",), ()),
    "insert into sales.orders (id, customer_id, total) values (?, ?, ?)": ((), ("sales.orders",), ()),
    "insert into stock.item values (?, ?)": ((), ("stock.item",), ()),
    "select o.id, c.email from sales.orders o join sales.customer c on c.id = o.customer_id where o.total > ?":
        (("sales.customer", "sales.orders"), (), (("sales.customer", "sales.orders"),)),
    "insert into billing.invoice (order_id, amount) select id, total from sales.orders where id = ?":
        (("sales.orders",), ("billing.invoice",), ()),
    "update stock.item set quantity = quantity - ? where sku = ?": ((), ("stock.item",), ()),
    # the CTE "big" is not a table: it stands for billing.invoice, joined with sales.orders
    "with big as (select order_id, amount from billing.invoice where amount > ?) "
    "select o.id, big.amount from big join sales.orders o on o.id = big.order_id":
        (("billing.invoice", "sales.orders"), (), (("billing.invoice", "sales.orders"),)),
    "select * from stock.item where sku = ? for update": ((), ("stock.item",), ()),
    "delete from audit_log a using sales.orders o where a.id = o.id":
        (("sales.orders",), ("audit_log",), (("audit_log", "sales.orders"),)),
    "insert into audit_log (note) values (?)": ((), ("audit_log",), ()),
    "select count(*) from audit_log": (("audit_log",), (), ()),
}
#: executions of the multi-schema statements that run more than once
MULTI_SCHEMA_REPEATS = {
    "insert into sales.orders (id, customer_id, total) values (?, ?, ?)": 2,
    "select o.id, c.email from sales.orders o join sales.customer c on c.id = o.customer_id where o.total > ?": 2,
    "update stock.item set quantity = quantity - ? where sku = ?": 2,
}
#: the multi-schema DDL: kept apart, no table access
MULTI_SCHEMA_DDL = 8


def _read_live(dsn: str):
    """Seams reading pg_stat_statements live from the running cluster: (frames, rejects,
    executions seen by two runs through a configuration file, whether frames were cached: the
    table access of its queries may be, sql/parse/, as for any log)."""
    rejects = Rejects()
    direct = mine_sql_log(SqlSource(Path("pg_stat_statements"), format="pg-stat-statements-live", dsn=dsn), rejects)
    folder = Path(tempfile.mkdtemp(prefix="seams-live-"))
    try:
        (folder / "seams.yml").write_text(
            f"sources:\n  sql: [{{format: pg-stat-statements-live, dsn: '{dsn}'}}]\n"
            "contexts:\n  bank: {tables: [pgbench_accounts]}\ncache_dir: cache\n", encoding="utf-8")
        config = load_config(folder / "seams.yml")
        runs = [int(mine_source(config, "sql", Rejects(), use_cache=True).frames["statements"]["executions"].sum()) for _ in range(2)]
        cached = any((folder / "cache" / "sql").rglob("*.parquet"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return direct, rejects, runs, cached


def _needed(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def pg_logs():
    """Logs of one workload on a throwaway cluster (about 3 s), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="seams-pg-"))  # under /tmp: the server user must reach it
    try:
        try:
            logs = produce_logs(folder, while_running=_read_live)
        except PostgresMissing as exc:
            _needed(f"PostgreSQL ({exc})")
        yield logs
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pgbadger_counts(pg_logs, tmp_path_factory):
    """pgbadger's executions per normalized query, per log format."""
    if shutil.which("pgbadger") is None:
        _needed("pgbadger (Debian package pgbadger)")
    out = {}
    for name, (_, pgbadger_format) in FORMATS.items():
        path = getattr(pg_logs, name)
        report = tmp_path_factory.mktemp("pgbadger") / f"{name}.json"
        # its own pid file: pgbadger refuses to start while another run holds /tmp/pgbadger.pid
        cmd = ["pgbadger", "-q", "--pid-dir", str(report.parent), "-x", "json", "-o", str(report),
               "-f", pgbadger_format, str(path)]
        if name == "stderr":
            cmd[1:1] = ["--prefix", pg_logs.log_line_prefix]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        out[name] = _pgbadger_counts(json.loads(report.read_text(encoding="utf-8")))
    return out


def _pgbadger_counts(report: dict) -> dict[str, int]:
    """Executions per fingerprint from pgbadger's ``normalyzed_info`` (every database).

    pgbadger's normalized text is mapped onto Seams' fingerprint by normalizing it again
    with :func:`analysis.sources.sqltext.normalize`; pgbadger writes a decimal literal as ``?.?``
    where Seams writes ``?``, so that is undone first.
    """
    counts: dict[str, int] = {}
    for queries in report["normalyzed_info"].values():
        for text, info in queries.items():
            fp = sqltext.fingerprint(sqltext.normalize(re.sub(r"\?\.\?", "?", text)))
            counts[fp] = counts.get(fp, 0) + int(info["count"])
    return counts


def _mine(pg_logs, name: str):
    fmt = FORMATS[name][0]
    if name != "stderr" and importlib.util.find_spec("analysis.sources.sql.formats") is None:
        pytest.skip(f"no {fmt} reader in this tree yet")
    rejects = Rejects()
    source = SqlSource(getattr(pg_logs, name), format=fmt, log_line_prefix=pg_logs.log_line_prefix)
    return mine_sql_log(source, rejects), rejects


@pytest.mark.parametrize("name", list(FORMATS))
def test_execution_counts_equal_pgbadgers(pg_logs, pgbadger_counts, name):
    mined, rejects = _mine(pg_logs, name)
    queries = frames.check(mined.frames["queries"], "queries")
    ours = dict(zip(queries["fingerprint"], queries["executions"].astype(int)))
    theirs = pgbadger_counts[name]
    assert rejects.count() == 0, rejects.records[:5]
    assert sum(ours.values()) == sum(theirs.values())
    assert ours == theirs
    # the three protocols ran: pgbench's update statement ran once per transaction in each
    normalized = dict(zip(queries["normalized"], queries["executions"].astype(int)))
    assert normalized["update pgbench_accounts set abalance = abalance + ? where aid = ?"] == 3 * 2 * 40


def test_the_three_formats_agree_with_each_other(pgbadger_counts):
    assert pgbadger_counts["stderr"] == pgbadger_counts["csvlog"] == pgbadger_counts["jsonlog"]


@pytest.mark.parametrize("name", list(FORMATS))
def test_multi_schema_tables_equal_the_hand_checked_list(pg_logs, name):
    mined, _ = _mine(pg_logs, name)
    queries = mined.frames["queries"]
    access = frames.check(mined.frames["table_access"], "table_access")
    joins = frames.check(mined.frames["joins"], "joins")
    by_text = dict(zip(queries["normalized"], queries["fingerprint"]))
    executions = dict(zip(queries["normalized"], queries["executions"].astype(int)))
    for text, (reads, writes, joined) in MULTI_SCHEMA_TABLES.items():
        assert text in by_text, text
        fp = by_text[text]
        mine = access[access["fingerprint"] == fp]
        assert tuple(sorted(mine.loc[mine["access"] == "read", "table"])) == reads, text
        assert tuple(sorted(mine.loc[mine["access"] == "write", "table"])) == writes, text
        pairs = joins[joins["fingerprint"] == fp]
        assert tuple(zip(pairs["table_a"], pairs["table_b"])) == joined, text
        assert executions[text] == MULTI_SCHEMA_REPEATS.get(text, 1), text
    schema_ddl = queries[(queries["operation"] == "DDL") & queries["normalized"].str.contains(r"sales\.|billing\.|stock\.|audit_log|create schema")]
    assert len(schema_ddl) == MULTI_SCHEMA_DDL
    assert not access["fingerprint"].isin(schema_ddl["fingerprint"]).any()


def test_no_literal_of_the_workload_reaches_the_frames(pg_logs):
    mined, _ = _mine(pg_logs, "stderr")
    text = "\n".join(f.astype(str).to_csv() for f in mined.frames.values())
    for literal in ("ada@example.org", "bob@example.org", "sku-1", "shipped"):
        assert literal not in text


def test_pg_stat_statements_live_equals_its_csv_export(pg_logs):
    """The view read live through psycopg gives the executions the \\copy export gave;
    only the export's own query has run since."""
    live, rejects, runs, cached = pg_logs.live
    assert rejects.count() == 0
    for frame_name, frame in live.frames.items():
        frames.check(frame, frame_name)
    exported = mine_sql_log(SqlSource(pg_logs.pg_stat_statements_csv, format="pg-stat-statements-csv"), Rejects())
    live_q = live.frames["queries"].set_index("fingerprint")
    csv_q = exported.frames["queries"].set_index("fingerprint")
    differing = {fp for fp in set(live_q.index) | set(csv_q.index)
                 if live_q["executions"].get(fp) != csv_q["executions"].get(fp)}
    assert all("pg_stat_statements" in live_q.loc[fp, "normalized"] for fp in differing), differing
    assert len(csv_q) >= 10 and set(csv_q.index) <= set(live_q.index)
    # every pgbench transaction's UPDATE is there with its calls, and the rows stand for calls
    st = live.frames["statements"]
    assert st["executions"].sum() == live_q["executions"].sum() and st["ts"].isna().all()
    assert live.notes[0].startswith("pg_stat_statements: ")
    # through a configuration file: read afresh on each run (the second sees the first's own
    # reads of the view counted), never cached
    assert runs[1] > runs[0] >= st["executions"].sum() and not cached


def test_foreign_key_checks_run_by_the_server_are_counted_apart(pg_logs):
    """The inserts into sales.orders and billing.invoice make PostgreSQL check their foreign
    keys with ``SELECT $2 FROM ONLY ... FOR KEY SHARE OF x`` (``toplevel`` false, tracked with
    ``pg_stat_statements.track = all``, like the statements of CREATE EXTENSION's script):
    counted apart and in no frame, live as exported."""
    if pg_logs.major_version < 14:
        pytest.skip("pg_stat_statements has toplevel from PostgreSQL 14")
    with pg_logs.pg_stat_statements_csv.open(encoding="utf-8", newline="") as fh:
        nested = [row for row in csv.DictReader(fh) if row["toplevel"] == "f"]
    foreign_key_checks = [row for row in nested if "FOR KEY SHARE OF x" in row["query"]]
    assert sorted(int(row["calls"]) for row in foreign_key_checks) == [1, 2]  # orders by invoices, customer by orders
    exported = mine_sql_log(SqlSource(pg_logs.pg_stat_statements_csv, format="pg-stat-statements-csv"), Rejects())
    assert (exported.counts["nested_statements"], exported.counts["nested_calls"]) == (len(nested), sum(int(row["calls"]) for row in nested))
    live, _, _, _ = pg_logs.live
    # the live read also sees the export's own query, which COPY ran inside itself
    assert live.counts["nested_statements"] >= exported.counts["nested_statements"]
    for mined in (live, exported):
        assert not mined.frames["queries"]["normalized"].str.contains("for key share").any()
        assert any("run by the server inside functions and triggers" in n for n in mined.notes)


def test_pg_stat_statements_live_unreachable_is_one_clear_error():
    from analysis.core.errors import SourceError

    source = SqlSource(Path("pg_stat_statements"), format="pg-stat-statements-live",
                       dsn="host=127.0.0.1 port=1 user=nobody dbname=none connect_timeout=2")
    with pytest.raises(SourceError, match="cannot read pg_stat_statements"):
        mine_sql_log(source, Rejects())
