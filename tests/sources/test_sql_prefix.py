"""log_line_prefix: reading the prefix of a log from its first lines, and never folding text
a configured prefix does not name into a field."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from analysis.core import frames
from analysis.core.config import SqlSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.sql.formats.postgres_prefix import COMMON_PREFIXES, infer_prefix, prefix_of_head
from analysis.sources.sql.miner import mine_sql_log

# the shape of the NetBox run's log ('%m [%p] %q%u@%d app=%a '), made-up values
NETBOX = "2026-12-06 04:44:{s:02d}.{ms:03d} UTC [{pid}] {who}app={app} LOG:  {message}\n"


def netbox_line(i: int, message: str = "", app: str = "netbox-web", who: str = "netbox@netbox ") -> str:
    return NETBOX.format(s=i % 60, ms=i % 1000, pid=22900 + i % 7, who=who, app=app,
                         message=message or f"duration: 0.2{i % 10} ms  statement: SELECT \"t\".\"id\" FROM \"t\" WHERE \"t\".\"id\" = {i}")


def mine(tmp_path: Path, text: str, fmt: str = "auto", prefix: str | None = None, name: str = "postgresql.log",
         rejects: Rejects | None = None):
    path = tmp_path / name
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    result = mine_sql_log(SqlSource(path, format=fmt, log_line_prefix=prefix), rejects if rejects is not None else Rejects())
    for frame_name, frame in result.frames.items():
        frames.check(frame, frame_name)
    return result


@pytest.mark.parametrize("head, prefix", [
    ("2026-12-06 04:44:37.707 UTC [22983] netbox@netbox app=netbox-web ", "%m [%p] %u@%d app=%a "),
    ("2017-09-06 08:41:41 UTC [36]: [121-1] user=postgres,db=postgres,app=pgbench,client=172.23.0.1 ",
     "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "),
    ("2021-02-14 01:34:02 CET [30291]: db=template1,user=postgres,app=[unknown],client=[local] ",
     "%t [%p]: db=%d,user=%u,app=%a,client=%h "),
    ("2023-03-07 09:06:08 CET [130096]: [247-1] [0] usr=usr6,db=progdb,appli=76ae1316 ", "%t [%p]: [%l-1] [%x] usr=%u,db=%d,appli=%a "),
    ("2022-02-17 14:45:10.440 UTC [691] [queryid=1081270519976314062] postgres@shop ", "%m [%p] [queryid=%Q] %u@%d "),
    ("2021-05-27 17:00:00 UTC:10.1.91.65:user@my_db:[24743]:", "%t:%h:%u@%d:[%p]:"),
    ("1767225600.123 [7] ", "%n [%p] "),
    (" sql_error_code = 00000 ", " sql_error_code = %e "),
    ("2026-12-06 04:44:37.707 UTC [22983] mood=happy ", None),  # a field no escape prints
])
def test_the_prefix_of_a_head_is_read_piece_by_piece(head, prefix):
    assert prefix_of_head(head) == prefix


def test_netbox_shape_infers_the_application_and_q_before_the_session_fields():
    lines = [netbox_line(i) for i in range(50)]
    assert infer_prefix(lines, "x.log") == "%m [%p] %q%u@%d app=%a "
    # with a checkpointer's line among them, the same
    assert infer_prefix(lines + ["2026-12-06 04:49:05.001 UTC [22960] LOG:  checkpoint starting: time\n"], "x.log") == \
        "%m [%p] %q%u@%d app=%a "


def test_fields_printed_empty_by_every_process_mean_no_q():
    lines = ["2017-09-06 08:40:10 UTC [20]: [1-1] user=,db=,app=,client= LOG:  database system is ready\n",
             "2017-09-06 08:41:41 UTC [36]: [121-1] user=postgres,db=postgres,app=pgbench,client=172.23.0.1 LOG:  "
             "duration: 2.280 ms  statement: END;\n"]
    assert infer_prefix(lines, "x.log") == "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "


def test_no_fitting_prefix_lists_every_candidate_tried():
    with pytest.raises(SourceError) as error:
        infer_prefix(["2026-12-06 04:44:37.707 UTC [22983] mood=happy LOG:  duration: 1 ms  statement: SELECT 'x'\n"], "x.log")
    message = str(error.value)
    assert "log_line_prefix cannot be inferred" in message
    assert all(f"'{p}'" in message for p in COMMON_PREFIXES)
    assert "'x'" not in message  # literals masked


def test_auto_reads_the_netbox_shape_and_names_the_prefix(tmp_path):
    text = "".join(netbox_line(i) for i in range(20)) + netbox_line(20, app="netbox-rq")
    result = mine(tmp_path, text)
    st = result.frames["statements"]
    assert set(st["database"]) == {"netbox"} and set(st["user"]) == {"netbox"}
    assert int(st["executions"].sum()) == 21
    assert f"{tmp_path / 'postgresql.log'}: log_line_prefix inferred from the first lines: '%m [%p] %q%u@%d app=%a '" in result.notes


def test_auto_reads_single_space_severities(tmp_path):
    # pgbadger's pg-timezones.log shape: RDS prefix and one space after LOG: and ms
    text = ("2021-05-27 17:00:00 UTC:10.1.91.65:user@my_db:[24743]:LOG: duration: 0.054 ms statement: SELECT * FROM t1;\n"
            "2021-05-27 17:46:39 UTC:10.1.17.194:user@my_db:[19003]:LOG: duration: 0.060 ms statement: UPDATE t1 SET c1=1;\n")
    result = mine(tmp_path, text)
    assert result.frames["queries"]["normalized"].tolist() == ["select * from t1", "update t1 set c1=?"]
    assert result.frames["statements"]["database"].tolist() == ["my_db", "my_db"]


def test_a_configured_prefix_that_misses_a_field_is_refused_at_the_first_lines(tmp_path):
    text = "".join(netbox_line(i) for i in range(20))
    with pytest.raises(SourceError, match=r"log_line_prefix '%m \[%p\] %q%u@%d ' reads 0 of the first 20 messages, "
                                          r"'%m \[%p\] %q%u@%d app=%a ' reads 20"):
        mine(tmp_path, text, "postgres-stderr", prefix="%m [%p] %q%u@%d ")


def test_lines_with_text_the_configured_prefix_does_not_name_are_counted_rejects(tmp_path):
    text = ("".join(netbox_line(i) for i in range(10))
            + netbox_line(10, who="netbox@netbox tenant=acme ")  # a field the prefix does not name
            + netbox_line(11, app="netbox-web client=10.0.0.1")  # folded into %a
            + netbox_line(12))
    rejects = Rejects()
    result = mine(tmp_path, text, "postgres-stderr", prefix="%m [%p] %q%u@%d app=%a ", rejects=rejects)
    assert int(result.frames["statements"]["executions"].sum()) == 11
    assert set(result.frames["statements"]["database"]) == {"netbox"}
    assert [(r.location, r.reason) for r in rejects.records] == [
        ("line 11", "text before the severity does not match log_line_prefix '%m [%p] %q%u@%d app=%a '"),
        ("line 12", "text before the severity that log_line_prefix '%m [%p] %q%u@%d app=%a ' does not name, after its %a"),
    ]


def test_syslog_wrapped_logs_infer_the_servers_prefix(tmp_path):
    text = ("Feb 11 13:15:39 host postgres[10808]: [1-1] db=,user=,app=,client= LOG:  database system is ready\n"
            "Feb 11 13:15:40 host postgres[10809]: [7-1] db=shop,user=app,app=psql,client=[local] LOG:  "
            "duration: 0.2 ms  statement: SELECT a\n"
            "Feb 11 13:15:40 host postgres[10809]: [7-2] #011FROM t WHERE b = 'x'\n")
    result = mine(tmp_path, text)
    assert result.frames["queries"]["normalized"].tolist() == ["select a from t where b = ?"]
    assert any("log_line_prefix inferred from the first lines: 'db=%d,user=%u,app=%a,client=%h '" in n for n in result.notes)


def test_heroku_logplex_lines_are_read_as_syslog(tmp_path):
    text = ("2019-03-14T00:22:56+00:00 app[postgres.4882]: [GREEN] [15-1]  sql_error_code = 00000 LOG:  "
            "duration: 6679.293 ms  statement: SELECT * FROM orders WHERE id = 4\n"
            "2019-03-14T00:22:56+00:00 app[postgres.4882]: [GREEN] [15-2]  sql_error_code = 00000 DETAIL:  "
            "Process holding the lock: 4821.\n"
            "2021-09-07T04:01:27+00:00 d.af28b93f-a129-45a1-87be-3f8a0cb710be app[postgres.5925] [AQUA] [921320-1]  "
            "sql_error_code = 00000 LOG:  duration: 1.5 ms  execute <unnamed>: UPDATE orders SET a = $1\n")
    rejects = Rejects()
    result = mine(tmp_path, text, rejects=rejects)
    assert sorted(result.frames["queries"]["normalized"]) == ["select * from orders where id = ?", "update orders set a = ?"]
    assert rejects.count() == 0
    assert any("' sql_error_code = %e '" in n for n in result.notes)


def test_a_cloud_logging_export_is_named_not_misread(tmp_path):
    line = ('{"insertId":"s=1","logName":"projects/p/logs/cloudsql.googleapis.com%2Fpostgres.log","severity":"INFO",'
            '"textPayload":"[24667]: [2-1] db=shop,user=app LOG:  duration: 1 ms  statement: SELECT 1",'
            '"timestamp":"2020-05-02T13:00:20.38403Z"}\n')
    with pytest.raises(SourceError, match="Google Cloud Logging export"):
        mine(tmp_path, line * 3, name="cloudsql.log.gz")
