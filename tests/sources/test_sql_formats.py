"""SQL log readers: csvlog, jsonlog, syslog, pg_stat_statements, MySQL, detection, bad input."""

from __future__ import annotations

import bz2
import gzip
import json
import os
import re
from pathlib import Path

import pytest

from analysis.core import frames
from analysis.core.config import SqlSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.inputs import open_text, peek
from analysis.sources.inputs import text_lines as log_lines
from analysis.sources.sql.formats import ReadTally, detect_format
from analysis.sources.sql.miner import mine_sql_log, read_statements
from analysis.sources.sqltext import fingerprint, literal_mask, normalize

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "public"
FIXTURES = Path(os.environ.get("SEAMS_PUBLIC_FIXTURES", FIXTURES)).resolve()


def mine(tmp_path: Path, data: str | bytes, fmt: str, name: str = "db.log", rejects: Rejects | None = None, **options):
    path = tmp_path / name
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if name.endswith(".gz"):
        raw = gzip.compress(raw)
    elif name.endswith(".bz2"):
        raw = bz2.compress(raw)
    path.write_bytes(raw)
    result = mine_sql_log(SqlSource(path, format=fmt, **options), rejects if rejects is not None else Rejects())
    for frame_name, frame in result.frames.items():
        frames.check(frame, frame_name)
    return result


def executions(result) -> dict[str, int]:
    q = result.frames["queries"]
    return dict(zip(q["normalized"], q["executions"].astype(int)))


# --------------------------------------------------------------------------------------
# csvlog

CSV12 = ('2026-10-25 13:04:05.123 UTC,"app","shop",41,"10.0.0.1:5000",6009c305.5ce,1,"SELECT",'
         '2026-10-25 13:00:00 UTC,3/1,0,LOG,00000,"duration: 1.500 ms  statement: SELECT * FROM orders WHERE id = 7",,,,,,,,,"web"\n')
CSV13 = ('2026-10-25 13:04:06.000 UTC,"app","shop",42,"10.0.0.1:5001",6009c305.5cf,1,"UPDATE",'
         '2026-10-25 13:00:00 UTC,3/2,0,LOG,00000,"statement: UPDATE orders SET paid = true\n  WHERE id = 8",,,,,,,,,"web","client backend"\n'
         '2026-10-25 13:04:06.010 UTC,"app","shop",42,"10.0.0.1:5001",6009c305.5cf,2,"UPDATE",'
         '2026-10-25 13:00:00 UTC,3/2,0,LOG,00000,"duration: 2.000 ms",,,,,,,,,"web","client backend"\n')
CSV14 = ('2026-10-25 13:04:07.000 UTC,"app","shop",43,"10.0.0.1:5002",6009c305.5d0,1,"SELECT",'
         '2026-10-25 13:00:00 UTC,3/3,0,ERROR,42P01,"relation ""nope"" does not exist",,,,,,"SELECT * FROM nope",15,,"web","client backend",,0\n')


def test_csvlog_column_sets_of_postgres_12_13_and_14(tmp_path):
    result = mine(tmp_path, CSV12 + CSV13 + CSV14, "postgres-csvlog")
    s = result.frames["statements"]
    assert list(s["line"]) == [1, 2]  # the UPDATE record spans lines 2-3
    assert list(s["duration_ms"]) == [1.5, 2.0]
    assert list(s["user"]) == ["app", "app"] and list(s["database"]) == ["shop", "shop"]
    assert str(s["ts"][0]) == "2026-10-25 13:04:05.123000+00:00"
    assert executions(result) == {"select * from orders where id = ?": 1, "update orders set paid = true where id = ?": 1}
    assert any("1 failed statements" in n for n in result.notes)


def test_csvlog_record_with_wrong_column_count_is_rejected_with_its_line(tmp_path):
    rejects = Rejects()
    result = mine(tmp_path, CSV12 + "a,b,c\n" + CSV12.replace("id = 7", "id = 9"), "postgres-csvlog", rejects=rejects)
    assert [(r.location, r.reason) for r in rejects.records] == [("line 2", "csvlog record has 3 columns (expected 23, 24, 25, 26)")]
    assert executions(result) == {"select * from orders where id = ?": 2}


# --------------------------------------------------------------------------------------
# jsonlog

def _json(**fields) -> str:
    base = {"timestamp": "2026-10-25 13:04:05.123 CET", "user": "app", "dbname": "shop", "pid": 7,
            "error_severity": "LOG", "application_name": "web"}
    return json.dumps({**base, **fields}) + "\n"


def test_jsonlog_statements_errors_and_zones(tmp_path):
    rejects = Rejects()
    text = (
        _json(message="duration: 0.5 ms  execute S_1: SELECT * FROM invoices WHERE id = $1")
        + _json(error_severity="DETAIL", message="parameters: $1 = '42'")
        + _json(error_severity="ERROR", message="division by zero", statement="SELECT 1/0")
        + "not json\n"
        + _json(message="checkpoint starting: time")
    )
    result = mine(tmp_path, text, "postgres-jsonlog", rejects=rejects)
    s = result.frames["statements"]
    assert list(s["line"]) == [1] and str(s["ts"][0]) == "2026-10-25 12:04:05.123000+00:00"  # CET is UTC+1
    assert executions(result) == {"select * from invoices where id = ?": 1}
    assert [(r.location, r.reason) for r in rejects.records] == [("line 4", "line is not a JSON object")]
    assert any("1 failed statements" in n for n in result.notes)


# --------------------------------------------------------------------------------------
# syslog

def test_syslog_numbering_continuations_and_header_time(tmp_path):
    text = (
        "Feb 11 13:15:39 host postgres[10808]: [7-1] db=shop,user=app LOG:  duration: 0.2 ms  statement: SELECT a\n"
        "Feb 11 13:15:39 host postgres[10808]: [7-2] #011FROM t WHERE b = 'x'\n"
        "Feb 11 13:15:40 host systemd[1]: Started something.\n"
        "Feb 11 13:15:41 host postgres[10809]: [8-1] db=shop,user=app LOG:  duration: 1.0 ms  statement: DELETE FROM t\n"
    )
    rejects = Rejects()
    result = mine(tmp_path, text, "postgres-syslog", rejects=rejects, log_line_prefix="db=%d,user=%u ")
    assert executions(result) == {"select a from t where b = ?": 1, "delete from t": 1}
    assert list(result.frames["statements"]["line"]) == [1, 4]
    assert [r.location for r in rejects.records] == ["line 3"]
    assert result.frames["statements"]["ts"][0].strftime("%m-%d %H:%M:%S") == "02-11 13:15:39"


# --------------------------------------------------------------------------------------
# pg_stat_statements

def test_pg_stat_statements_csv_export(tmp_path):
    text = (
        "queryid,query,calls,total_exec_time,rows,rolname,datname\n"
        '11,"SELECT * FROM orders WHERE id = $1",10,25.5,10,app,shop\n'
        '12,"UPDATE orders\nSET paid = $1 WHERE id = $2",3,3.0,3,app,shop\n'
        "13,SELECT 1,not-a-number,1,1,app,shop\n"
        "14,SELECT 2,0,0,0,app,shop\n"
    )
    rejects = Rejects()
    result = mine(tmp_path, text, "pg-stat-statements-csv", rejects=rejects)
    q = result.frames["queries"].set_index("normalized")
    assert q.loc["select * from orders where id = ?", "executions"] == 10
    assert q.loc["select * from orders where id = ?", "total_duration_ms"] == 25.5
    assert q.loc["update orders set paid = ? where id = ?", "executions"] == 3
    assert len(q) == 2
    assert [r.location for r in rejects.records] == ["line 5"]
    assert result.frames["statements"]["ts"].isna().all()
    access = result.frames["table_access"]
    assert set(zip(access["table"], access["access"])) == {("orders", "read"), ("orders", "write")}


#: a PostgreSQL 14+ export with ``toplevel``: an application INSERT, the foreign-key check the
#: server runs inside it, and a statement run inside a function the application called
PGSS_NESTED = (
    "queryid,query,calls,total_exec_time,rows,toplevel,rolname,datname\n"
    '11,"INSERT INTO invoices (customer_id, total) VALUES ($1, $2)",5,2.5,5,t,app,shop\n'
    '-42,"SELECT 1 FROM ONLY ""public"".""customers"" x WHERE ""id"" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x",5,0.4,5,f,app,shop\n'
    '13,"UPDATE customers SET balance = balance - $1 WHERE id = $2",3,1.0,3,f,app,shop\n'
    '14,"SELECT charge($1, $2)",3,1.5,3,t,app,shop\n'
)


def test_pg_stat_statements_keeps_statements_run_inside_the_server_apart(tmp_path):
    result = mine(tmp_path, PGSS_NESTED, "pg-stat-statements-csv")
    assert executions(result) == {"insert into invoices (customer_id, total) values (?, ?)": 5, "select charge(?, ?)": 3}
    assert result.frames["statements"]["executions"].sum() == 8
    access = result.frames["table_access"]
    assert sorted(zip(access["table"], access["access"])) == [("invoices", "write")]
    assert result.counts == {"lines": 5, "statements": 2, "executions": 8, "failed_statements": 0,
                             "nested_statements": 2, "nested_calls": 8}
    assert result.records_read == 2  # rows: each one query's aggregate
    assert any("2 statements run by the server inside functions and triggers (toplevel = false; 8 calls)" in n
               for n in result.notes)


def test_pg_stat_statements_without_toplevel_counts_every_row(tmp_path):
    # PostgreSQL 13 and before have no toplevel column: every row is the application's
    text = "\n".join(line.replace(",t,", ",").replace(",f,", ",") for line in PGSS_NESTED.splitlines()).replace(",toplevel", "")
    result = mine(tmp_path, text + "\n", "pg-stat-statements-csv")
    assert result.frames["statements"]["executions"].sum() == 16
    assert (result.counts["nested_statements"], result.counts["nested_calls"]) == (0, 0)
    assert not any("inside functions" in n for n in result.notes)


def test_pg_stat_statements_live_rows_and_query():
    from analysis.sources.sql.formats.pg_stat_statements import live_query, parse_live_rows

    assert "s.toplevel" in live_query(140000) and "total_exec_time" in live_query(140000)
    assert "s.toplevel" not in live_query(130000) and "true as toplevel" in live_query(130000)
    assert "total_time" in live_query(120000) and "total_exec_time" not in live_query(120000)
    tally = ReadTally()
    rows = [("INSERT INTO invoices VALUES ($1)", 5, 2.5, "app", "shop", True),
            ('SELECT 1 FROM ONLY "public"."customers" x WHERE "id" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x', 5, 0.4, "app", "shop", False),
            ("SELECT 2", 0, 0.0, None, None, True)]
    records = list(parse_live_rows(rows, tally))
    assert [(r.text, r.executions) for r in records] == [("INSERT INTO invoices VALUES ($1)", 5)]
    assert (tally.lines, tally.executions, tally.nested_statements, tally.nested_calls) == (3, 5, 1, 5)


def test_pg_stat_statements_without_required_columns_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="query and calls"):
        mine(tmp_path, "queryid,text\n1,SELECT 1\n", "pg-stat-statements-csv")


def test_live_without_dsn_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="needs a dsn"):
        mine_sql_log(SqlSource(tmp_path / "live", format="pg-stat-statements-live"), Rejects())


# --------------------------------------------------------------------------------------
# MySQL

GENERAL_57 = (
    "/usr/sbin/mysqld, Version: 5.7.12-log ((Ubuntu)). started with:\n"
    "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n"
    "Time                 Id Command    Argument\n"
    "2016-06-07T19:07:02.558338Z    3 Connect\tshop@localhost on shop using Socket\n"
    "2016-06-07T19:07:02.558713Z    3 Query\tSELECT * FROM `orders` WHERE note = 'it\\'s' AND id = 5\n"
    "2016-06-07T19:07:02.600000Z    3 Query\tUPDATE orders\n"
    "   SET paid = 1 WHERE id = 6\n"
    "2016-06-07T19:07:03.000000Z    3 Quit\t\n"
)
GENERAL_56 = (
    "061226 15:42:36\t     11 Connect     root@localhost on \n"
    "\t\t     11 Init DB     webstats\n"
    '\t\t     11 Query       SELECT DISTINCT col FROM tbl WHERE foo="x"\n'
    "061226 15:42:37\t     11 Query       SELECT DISTINCT col FROM tbl WHERE foo=\"y\"\n"
)


def test_mysql_general_log_iso_timestamps(tmp_path):
    result = mine(tmp_path, GENERAL_57, "mysql-general")
    assert executions(result) == {"select * from orders where note = ? and id = ?": 1, "update orders set paid = ? where id = ?": 1}
    s = result.frames["statements"]
    assert list(s["line"]) == [5, 6] and list(s["user"]) == ["shop", "shop"] and list(s["database"]) == ["shop", "shop"]
    assert s["duration_ms"].isna().all()
    assert str(s["ts"][0]) == "2016-06-07 19:07:02.558713+00:00"
    assert "it" not in " ".join(result.frames["queries"]["normalized"]).replace("item", "")


def test_mysql_general_log_old_timestamps_carry_over(tmp_path):
    records = list(read_statements(GENERAL_56.splitlines(keepends=True), "mysql-general",
                                   SqlSource(tmp_path / "db.log", format="mysql-general"), Rejects(), ReadTally()))
    assert [str(r.ts) for r in records] == ["2006-12-26 15:42:36+00:00", "2006-12-26 15:42:37+00:00"]
    assert [r.database for r in records] == ["webstats", "webstats"]
    result = mine(tmp_path, GENERAL_56, "mysql-general")
    s = result.frames["statements"]  # both in one minute with one fingerprint: one row of two executions
    assert [str(t) for t in s["ts"]] == ["2006-12-26 15:42:36+00:00"] and list(s["executions"]) == [2]
    assert list(s["database"]) == ["webstats"]
    assert executions(result) == {"select distinct col from tbl where foo=?": 2}


SLOW = (
    "# Time: 2016-07-20T18:13:25.698433Z\n"
    "# User@Host: root[root] @ localhost [127.0.0.1]  Id:     3\n"
    "# Query_time: 0.003464  Lock_time: 0.000324 Rows_sent: 1000  Rows_examined: 2000\n"
    "use shop;\n"
    "SET timestamp=1469038405;\n"
    "SELECT * FROM shop.orders o JOIN customers c ON c.id = o.customer_id LIMIT 0, 1000;\n"
    "# Time: 071218 11:48:27\n"
    "# User@Host: [SQL_SLAVE] @  []\n"
    "# Query_time: 2  Lock_time: 0  Rows_sent: 0  Rows_examined: 0\n"
    "UPDATE orders\n"
    "   SET paid = 1;\n"
)


def test_mysql_slow_log_blocks_durations_and_default_database(tmp_path):
    result = mine(tmp_path, SLOW, "mysql-slow", default_database="shop")
    s = result.frames["statements"]
    assert list(s["line"]) == [3, 9]
    assert list(s["duration_ms"]) == pytest.approx([3.464, 2000.0])
    assert [str(t) for t in s["ts"]] == ["2016-07-20 18:13:25+00:00", "2007-12-18 11:48:27+00:00"]
    assert list(s["database"]) == ["shop", "shop"] and list(s["user"]) == ["root", ""]
    access = result.frames["table_access"]
    assert set(zip(access["table"], access["access"])) == {("orders", "read"), ("customers", "read"), ("orders", "write")}
    assert list(zip(result.frames["joins"]["table_a"], result.frames["joins"]["table_b"])) == [("customers", "orders")]


GENERAL_WRITES = (
    "2016-06-07T19:07:02.558338Z    3 Connect\tshop@localhost on shop using Socket\n"
    "2016-06-07T19:07:02.558713Z    3 Query\tREPLACE INTO daily_totals SELECT day, SUM(amount) FROM payments GROUP BY day\n"
    "2016-06-07T19:07:02.600000Z    3 Query\tDELETE a FROM sessions a WHERE a.expires < NOW()\n"
)


def test_mysql_replace_and_aliased_delete_name_their_tables(tmp_path):
    result = mine(tmp_path, GENERAL_WRITES, "mysql-general", default_database="shop")
    access = result.frames["table_access"]
    assert sorted(zip(access["table"], access["access"])) == [
        ("daily_totals", "write"), ("payments", "read"), ("sessions", "write")]
    q = result.frames["queries"].set_index("normalized")
    assert q.loc["replace into daily_totals select day, sum(amount) from payments group by day", "operation"] == "INSERT"
    assert q.loc["replace into daily_totals select day, sum(amount) from payments group by day", "approximate"]
    assert not q.loc["delete a from sessions a where a.expires < now()", "approximate"]


def test_mysql_normalization_reads_backslash_escapes_and_hash_comments():
    assert normalize("SELECT `A`.`b` FROM `t` WHERE x = 'a\\'b' AND y = \"q\" # tail 'x\nAND z IN (1, 2)", dialect="mysql") == \
        "select a.b from t where x = ? and y = ? and z in (?)"


# --------------------------------------------------------------------------------------
# detection


@pytest.mark.parametrize("text,expected", [
    (CSV12, "postgres-csvlog"),
    ('"' + CSV12.replace(" UTC,", ' UTC",', 1), "postgres-csvlog"),
    (_json(message="statement: SELECT 1"), "postgres-jsonlog"),
    ("queryid,query,calls,total_exec_time\n", "pg-stat-statements-csv"),
    ("Feb 11 13:15:39 host postgres[1]: [7-1] LOG:  statement: SELECT 1\n", "postgres-syslog"),
    (GENERAL_57, "mysql-general"),
    (GENERAL_56, "mysql-general"),
    (SLOW, "mysql-slow"),
    ("2026-10-25 13:04:05.123 UTC [1] LOG:  statement: SELECT 1\n", "postgres-stderr"),
])
def test_detect_format(text, expected):
    assert detect_format(text.splitlines(keepends=True), "x") == expected


def test_auto_detection_reads_the_file_and_unknown_content_names_the_first_line(tmp_path):
    result = mine(tmp_path, SLOW, "auto", name="slow.log.gz")
    assert sum(executions(result).values()) == 2
    with pytest.raises(SourceError, match=r"cannot tell the SQL log format.*first line: 'hello world'"):
        mine(tmp_path, "hello world\nsecond\n", "auto", name="other.log")


# --------------------------------------------------------------------------------------
# bad input (stderr)

PREFIX = "%m [%p] %q%u@%d "
LINE = "2026-10-25 13:04:05.{ms:03d} UTC [7] app@shop LOG:  duration: 1.000 ms  statement: {sql}\n"


def test_garbage_non_utf8_mixed_formats_and_truncated_last_line(tmp_path):
    data = (
        LINE.format(ms=1, sql="SELECT 1").encode()
        + b"\x00\xff\xfe\x9c binary garbage\n"
        + CSV12.encode()
        + LINE.format(ms=2, sql="SELECT 'caf\xc3\xa9 \xe9t\xe9'").encode("latin-1", "replace")
        + LINE.format(ms=3, sql="SELECT 'unterminated").encode()
        + LINE.format(ms=4, sql="SELECT 2 FROM t WHERE a =").encode()[:-1]  # truncated: no newline
    )
    rejects = Rejects()
    result = mine(tmp_path, data, "postgres-stderr", rejects=rejects, log_line_prefix=PREFIX)
    assert [r.location for r in rejects.records] == ["line 2", "line 3"]
    assert executions(result) == {"select ?": 3, "select ? from t where a =": 1}
    assert result.records_read == 4 and result.records_rejected == 2
    assert (result.counts["lines"], result.counts["statements"]) == (6, 4)


def test_wrong_prefix_fails_after_a_sample_quoting_the_first_line_and_naming_the_fitting_one(tmp_path):
    text = "".join(LINE.format(ms=i % 1000, sql="SELECT 1") for i in range(300))
    with pytest.raises(SourceError, match=r"log_line_prefix '%t \[%p\]: \[%l-1\] ' reads 0 of the first 200 messages, "
                                          r"'%m \[%p\] %q%u@%d ' reads 200: .* first line: '2026-10-25 13:04:05.000 UTC \[7\] app@shop LOG:"):
        mine(tmp_path, text, "postgres-stderr", log_line_prefix="%t [%p]: [%l-1] ")


def test_five_megabyte_statement(tmp_path):
    values = ", ".join(f"({i}, 'secret-{i}@example.com')" for i in range(200_000))
    assert len(values) > 5_000_000
    text = LINE.format(ms=1, sql=f"INSERT INTO users (id, email) VALUES {values}")
    result = mine(tmp_path, text, "postgres-stderr", log_line_prefix=PREFIX)
    q = result.frames["queries"]
    assert len(q) == 1 and q["operation"][0] == "INSERT" and "secret" not in q["normalized"][0]
    access = result.frames["table_access"]
    assert list(zip(access["table"], access["access"])) == [("users", "write")]


# --------------------------------------------------------------------------------------
# literal mask (the normalization cache key)

MASK_CASES = [
    "UPDATE a SET b = b + -5 WHERE id = 993909",
    "UPDATE a SET b = b + -6 WHERE id = 1",
    "select 'it''s', 1.5e3, 0x1f, .5, t1.a2",
    "select 'x', 2, 0x2f, .7, t1.a2",
    'SELECT "t1"."id" FROM "t1" WHERE "t1"."x" = \'a\' LIMIT 21',
    'SELECT "t1"."id" FROM "t1" WHERE "t1"."x" = \'bb\' LIMIT 3',
    "select e'a', 1",
    "select e'b', 2",
]


def test_texts_with_the_same_literal_mask_normalize_alike():
    by_mask: dict[str, set[str]] = {}
    for text in MASK_CASES:
        by_mask.setdefault(literal_mask(text), set()).add(normalize(text))
    assert len(by_mask) == 4
    assert all(len(v) == 1 for v in by_mask.values())


@pytest.mark.parametrize("text", ["select $1", "select 1 -- c", "select /* c */ 1", "select e'\\n'", "select $$x$$"])
def test_literal_mask_declines_texts_it_cannot_read_simply(text):
    assert literal_mask(text) is None


def test_quoted_identifier_digits_are_not_literals():
    assert literal_mask('select "1a" from t') != literal_mask('select "2a" from t')
    assert fingerprint(normalize('select "1a" from t')) != fingerprint(normalize('select "2a" from t'))


# --------------------------------------------------------------------------------------
# real samples (pgbadger's and percona-toolkit's test logs); skipped when absent

PG = FIXTURES / "pg_logs_pgbadger_fixtures"
MY = FIXTURES / "mysql_logs_percona"
needs_pg = pytest.mark.skipif(not PG.is_dir(), reason="pgbadger sample logs not present")
needs_my = pytest.mark.skipif(not MY.is_dir(), reason="percona-toolkit sample logs not present")


@needs_pg
def test_pgbadger_syslog_sample_counts_equal_pgbadgers():
    # pgbadger 12 -f syslog -x json on this file: overall_stat.queries_number = 59871,
    # normalyzed_info: each of the 7 pgbench statements 8552 times
    result = mine_sql_log(SqlSource(PG / "pg-syslog.1.bz2", format="postgres-syslog",
                                    log_line_prefix="db=%d,user=%u,app=%a,client=%h "), Rejects())
    q = result.frames["queries"]
    assert int(q["executions"].sum()) == 59871
    assert sorted(q["executions"])[-7:] == [8552] * 7


@needs_pg
@pytest.mark.parametrize("name,fmt,expected", [
    ("csv_statement_without_duration.log", "auto", {"select example_schema.slow_table.id from example_schema.slow_table": 688786.283}),
    ("weeknumber.log", "postgres-csvlog", None),
    ("anonymize.log", "auto", None),
    ("cnpg.log.gz", "auto", None),
])
def test_pgbadger_csv_and_json_samples(name, fmt, expected):
    result = mine_sql_log(SqlSource(PG / name, format=fmt), Rejects())
    for frame_name, frame in result.frames.items():
        frames.check(frame, frame_name)
    q = result.frames["queries"]
    assert len(q) > 0
    if expected:
        assert {k: v for k, v in zip(q["normalized"], q["total_duration_ms"]) if k in expected} == pytest.approx(expected)


def _pt_counts(report: Path) -> list[int]:
    return sorted(int(c) for c in re.findall(r"^# Count\s+\d+\s+(\d+)", report.read_text(), re.M))


@needs_my
@pytest.mark.parametrize("log,report", [
    ("slowlogs/slow002.txt", "slow002_report.txt"), ("slowlogs/slow006.txt", "slow006_report.txt"),
    ("slowlogs/slow052.txt", "slow052.txt"), ("slowlogs/slow053.txt", "slow053.txt"),
    ("slowlogs/slow054.txt", "slow054.txt"), ("slowlogs/slow059.txt", "slow059_report01.txt"),
    ("genlogs/genlog002.txt", "genlog002.txt"),
])
def test_mysql_counts_equal_pt_query_digest(log, report):
    # pt-query-digest also counts administrator commands (Connect, Quit) of general logs as
    # queries; genlog002 has none, so its counts compare directly
    result = mine_sql_log(SqlSource(MY / log, format="auto"), Rejects())
    assert sorted(result.frames["queries"]["executions"].astype(int)) == _pt_counts(MY / "pt-query-digest-expected" / report)


# --------------------------------------------------------------------------------------
# reading a file in blocks gives the same lines as reading it line by line

@pytest.mark.parametrize("block_chars", [1, 2, 3, 5, 1 << 20])
def test_log_lines_in_blocks_equal_lines_one_by_one(tmp_path, block_chars):
    path = tmp_path / "x.log"
    path.write_bytes(b"a\r\nb\n\n\t\nc\rd\n\xff e\r")
    expected = ["a", "b", "", "\t", "c\rd", "\ufffd e\r"]
    with open_text(path) as fh:
        assert list(log_lines(fh, block_chars)) == expected
    with open_text(path) as fh:
        head, lines = peek(fh, 2)
        assert head == ["a\r\n", "b\n"]
        assert list(log_lines(lines, block_chars)) == expected
    assert list(log_lines(["a\r\n", "b\n", "c\r"])) == ["a", "b", "c\r"]
    assert list(log_lines([])) == []


# --------------------------------------------------------------------------------------
# loss the counts would hide: every record that cannot be read is a counted reject or note

STDERR = "2026-10-25 13:04:05.{ms:03d} UTC [7] app@shop LOG:  {message}\n"


def test_stderr_statement_lines_damaged_by_a_nul_or_a_latin1_byte_are_rejects(tmp_path):
    data = (
        STDERR.format(ms=1, message="duration: 1.000 ms  statement: SELECT 1").encode()
        + STDERR.format(ms=2, message="duration: 1.0\x00 ms  statement: SELECT a FROM t").encode()  # NUL mid-line
        + STDERR.format(ms=3, message="duration: 1.000 ms  stat\xe9ment: SELECT b").encode("latin-1")
        + b"\tFROM u WHERE c = 'x'\n"  # the damaged statement's continuation: goes with it
        + STDERR.format(ms=4, message="statem\xe9nt: UPDATE t SET a = 1").encode("latin-1")
        + STDERR.format(ms=5, message="duration: 2.000 ms  plan:").encode()  # auto_explain: not a statement
        + STDERR.format(ms=6, message="checkpoint starting: time").encode()
        + STDERR.format(ms=7, message="duration: 1.000 ms  statement: SELECT 2").encode()
    )
    rejects = Rejects()
    result = mine(tmp_path, data, "postgres-stderr", rejects=rejects, log_line_prefix=PREFIX)
    assert [(r.location, r.reason.split(" (")[0]) for r in rejects.records] == [
        ("line 2", "statement message that cannot be read"),
        ("line 3", "duration message whose statement cannot be read"),
        ("line 5", "statement message that cannot be read"),
    ]
    assert executions(result) == {"select ?": 2}
    assert result.records_read == 2 and result.records_rejected == 3


def test_stderr_line_that_does_not_match_keeps_its_continuations_apart(tmp_path):
    text = (
        STDERR.format(ms=1, message="duration: 1.000 ms  statement: SELECT a")
        + "\tFROM t\n"
        + "pg_ctl: could not start server\n"
        + "\tWHERE secret = 'x'\n"  # not the SELECT's
        + STDERR.format(ms=2, message="duration: 1.000 ms  statement: SELECT 2")
    )
    rejects = Rejects()
    result = mine(tmp_path, text, "postgres-stderr", rejects=rejects, log_line_prefix=PREFIX)
    assert executions(result) == {"select a from t": 1, "select ?": 1}
    assert [r.location for r in rejects.records] == ["line 3"]


def _csv(message: str) -> str:
    return ('2026-10-25 13:04:05.123 UTC,"app","shop",41,"10.0.0.1:5000",6009c305.5ce,1,"SELECT",'
            f'2026-10-25 13:00:00 UTC,3/1,0,LOG,00000,"{message}",,,,,,,,,"web","client backend",,0\n')


def test_csvlog_and_jsonlog_statements_with_a_latin1_byte_are_rejects(tmp_path):
    csv_data = (_csv("duration: 1.000 ms  statement: SELECT 1").encode()
                + _csv("duration: 1.000 ms  stat\xe9ment: SELECT 2").encode("latin-1")
                + _csv("dur\xe9e: 1.000 ms  statement: SELECT 3").encode("latin-1"))
    rejects = Rejects()
    result = mine(tmp_path, csv_data, "postgres-csvlog", rejects=rejects)
    assert executions(result) == {"select ?": 1}
    assert [r.location for r in rejects.records] == ["line 2", "line 3"]
    json_data = (_json(message="duration: 1.000 ms  statement: SELECT 1").encode()
                 + _json(message="duration: 1.000 ms  stat\\u00e9ment: SELECT 2").encode()  # a character the reader does not expect
                 + _json(message="duration: 1.000 ms  stat").encode()[:-3] + b"\xe9ment: SELECT 3\"}\n")
    rejects = Rejects()
    result = mine(tmp_path, json_data, "postgres-jsonlog", name="db.json", rejects=rejects)
    assert executions(result) == {"select ?": 1}
    assert [r.location for r in rejects.records] == ["line 2", "line 3"]


def test_jsonlog_times_are_read_in_every_shape_or_counted(tmp_path):
    text = "".join(_json(timestamp=ts, message=f"duration: 1.000 ms  statement: SELECT {i}") for i, ts in enumerate([
        "2026-10-25 13:04:05.123 UTC", "2026-10-25T13:04:05.123Z", "2026-10-25T15:04:05.123+02:00",
        "2026-13-25 13:04:05.123 UTC", "2026-10-25 13:04:05.12x UTC", None,
    ]))
    result = mine(tmp_path, text, "postgres-jsonlog", name="db.json")
    st = result.frames["statements"]
    assert int(st["executions"].sum()) == 6
    times = sorted(str(t) for t in st["ts"].dropna())
    assert times == ["2026-10-25 13:04:05.123000+00:00"]  # the first three in one minute: one row
    assert int(st.loc[st["ts"].notna(), "executions"].sum()) == 3
    assert any("3 records whose time cannot be read, kept without a time" in n for n in result.notes)


@pytest.mark.parametrize("fmt, name, first", [
    ("postgres-stderr", "db.log", STDERR.format(ms=1, message="duration: 1.000 ms  statement: SELECT 1")),
    ("postgres-jsonlog", "db.json", _json(message="duration: 1.000 ms  statement: SELECT 1")),
    ("postgres-csvlog", "db.csv", _csv("duration: 1.000 ms  statement: SELECT 1")),
    ("mysql-general", "db.log", "2016-06-07T19:07:02.558713Z    3 Query\tSELECT 1\n"),
    ("auto", "db.log", STDERR.format(ms=1, message="duration: 1.000 ms  statement: SELECT 1")),
])
def test_a_byte_order_mark_costs_no_record(tmp_path, fmt, name, first):
    rejects = Rejects()
    result = mine(tmp_path, b"\xef\xbb\xbf" + first.encode(), fmt, name=name, rejects=rejects, log_line_prefix=PREFIX)
    assert executions(result) == {"select ?": 1} and rejects.count() == 0


@pytest.mark.parametrize("fmt, line", [
    ("postgres-stderr", lambda i: STDERR.format(ms=i % 1000, message=f"duration: 1.000 ms  statement: SELECT {i}")),
    ("postgres-jsonlog", lambda i: _json(message=f"duration: 1.000 ms  statement: SELECT {i}")),
])
def test_a_truncated_gzip_log_keeps_what_was_read_and_rejects_the_rest(tmp_path, fmt, line):
    whole = gzip.compress("".join(line(i) for i in range(20_000)).encode())
    path = tmp_path / "db.log.gz"
    path.write_bytes(whole[: len(whole) // 2])
    rejects = Rejects()
    result = mine_sql_log(SqlSource(path, format=fmt, log_line_prefix=PREFIX), rejects)
    read = int(result.frames["statements"]["executions"].sum())
    assert 5_000 < read < 20_000 and result.records_read == read
    assert len(rejects.records) == 1 and rejects.records[0].reason.startswith("truncated or corrupt compressed stream")
    assert rejects.records[0].location == f"line {result.counts['lines'] + 1}"
    assert any("compressed stream ends early" in n for n in result.notes)


def test_mysql_general_log_glues_no_garbage_to_a_statement(tmp_path):
    data = (
        b"2016-06-07T19:07:02.558338Z    3 Connect\tshop@localhost on shop using Socket\n"
        b"\x00\x9c\xff binary garbage\n"  # after a Connect: no statement to continue
        b"2016-06-07T19:07:02.558713Z    3 Query\tSELECT * FROM orders\n"
        b"   WHERE id = 5\n"
        b"\x01\x02\xfe more garbage\n"  # not glued to the SELECT
        b"   AND state = 'new'\n"
        b"2016-06-07T19:07:02.6    3 Qu\xe9ry\tSELECT secret FROM x\n"  # an entry that cannot be read...
        b"   WHERE a = 1\n"  # ... with its own continuation
        b"2016-06-07T19:07:03.000000Z    3 Query\tINSERT INTO blobs VALUES ('\x01\x02\n"
        b"\x03\xff')\n"  # inside the literal the line before opened: part of it
    )
    rejects = Rejects()
    result = mine(tmp_path, data, "mysql-general", rejects=rejects)
    assert executions(result) == {"select * from orders where id = ? and state = ?": 1, "insert into blobs values (?)": 1}
    assert [r.location for r in rejects.records] == ["line 2", "line 5", "line 7"]
    assert result.records_read == 2 and result.records_rejected == 3


def test_mysql_slow_log_framing_is_never_part_of_a_statement(tmp_path):
    data = (
        b"# Time: 2016-07-20T18:13:25.698433Z\n"
        b"# User@Host: root[root] @ localhost [127.0.0.1]  Id:     3\n"
        b"# Query_time: 0.003464  Lock_time: 0.000324 Rows_sent: 1000  Rows_examined: 2000\n"
        b"\x00\xff garbage\n"
        b"use shop;\n"
        b"SET timestamp=1469038405;\n"
        b"SELECT * FROM orders LIMIT 10;\n"
        b"# User@Host: root[root] @ localhost [127.0.0.1]  Id:     3\n"
        b"# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\n"
        b"SET timestamp=1469038406;\n"
        b"# Query_time: 0.2  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\n"
        b"SELECT 1;\n"
    )
    rejects = Rejects()
    result = mine(tmp_path, data, "mysql-slow", rejects=rejects)
    assert executions(result) == {"select * from orders limit ?": 1, "select ?": 1}
    st = result.frames["statements"]
    assert st["database"].tolist() == ["shop", "shop"] and str(st["ts"].iloc[0]) == "2016-07-20 18:13:25+00:00"
    assert [r.location for r in rejects.records] == ["line 4"]
    assert any("1 slow log entries without a statement" in n for n in result.notes)
