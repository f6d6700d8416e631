"""PostgreSQL stderr log miner: records, prefixes, rejects, frames and privacy."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import SqlSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.sql.miner import StderrTally, mine_sql_log, parse_postgres_stderr, prefix_pattern
from analysis.sources.sql.statement_frames import statements_frame
from analysis.sources.sqltext import fingerprint, normalize

PREFIX = "%m [%p] %q%u@%d "
TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"


def parse(text: str, prefix: str = PREFIX, rejects: Rejects | None = None, tally: StderrTally | None = None):
    rejects = rejects if rejects is not None else Rejects()
    return list(parse_postgres_stderr(text.splitlines(keepends=True), prefix, "test.log", rejects, tally=tally))


def mine(tmp_path: Path, text: str, prefix: str = PREFIX, name: str = "postgresql.log", rejects: Rejects | None = None):
    path = tmp_path / name
    data = text.encode("utf-8")
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".bz2"):
        data = bz2.compress(data)
    path.write_bytes(data)
    result = mine_sql_log(SqlSource(path, log_line_prefix=prefix), rejects if rejects is not None else Rejects())
    for frame_name, frame in result.frames.items():
        frames.check(frame, frame_name)
    return result


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# --------------------------------------------------------------------------------------
# parse_postgres_stderr


def test_simple_duration_statements():
    records = parse(
        "2026-10-25 13:04:05.123 UTC [4913] app@shop LOG:  duration: 0.215 ms  statement: SELECT 1\n"
        "2026-10-25 13:04:06.000 UTC [4914] app@shop LOG:  duration: 12 ms  statement: UPDATE t SET a = 2\n"
    )
    assert [(r.line, r.ts, r.pid, r.user, r.database, r.duration_ms, r.text) for r in records] == [
        (1, utc(2026, 10, 25, 13, 4, 5, 123000), 4913, "app", "shop", 0.215, "SELECT 1"),
        (2, utc(2026, 10, 25, 13, 4, 6), 4914, "app", "shop", 12.0, "UPDATE t SET a = 2"),
    ]


def test_multi_line_statement_joins_tab_continuations():
    records = parse(
        "2026-10-25 13:04:05.123 UTC [1] app@shop LOG:  duration: 1.000 ms  statement: SELECT a,\n"
        "\t  b\n"
        "\tFROM t\n"
        "2026-10-25 13:04:05.200 UTC [1] app@shop LOG:  checkpoint starting: time\n"
    )
    assert len(records) == 1
    assert records[0].text == "SELECT a,\n  b\nFROM t"
    assert normalize(records[0].text) == "select a, b from t"


def test_extended_protocol_counts_only_execute():
    tally = StderrTally()
    records = parse(
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 0.100 ms  parse S_1: SELECT * FROM t WHERE id = $1\n"
        "2026-10-25 13:04:05.101 UTC [7] app@shop LOG:  duration: 0.050 ms  bind S_1: SELECT * FROM t WHERE id = $1\n"
        "2026-10-25 13:04:05.102 UTC [7] app@shop DETAIL:  parameters: $1 = '42'\n"
        "2026-10-25 13:04:05.103 UTC [7] app@shop LOG:  duration: 0.300 ms  execute S_1: SELECT * FROM t WHERE id = $1\n"
        "2026-10-25 13:04:05.104 UTC [7] app@shop DETAIL:  parameters: $1 = 'multi\n"
        "\tline'\n"
        "2026-10-25 13:04:05.105 UTC [7] app@shop LOG:  duration: 0.200 ms  execute <unnamed>: SELECT * FROM t WHERE id = $1\n",
        tally=tally,
    )
    assert [(r.line, r.duration_ms, r.text) for r in records] == [
        (4, 0.3, "SELECT * FROM t WHERE id = $1"),
        (7, 0.2, "SELECT * FROM t WHERE id = $1"),
    ]
    assert tally.parse_bind == 2
    assert tally.executions == 2


def test_error_and_statement_are_not_executions():
    tally = StderrTally()
    records = parse(
        "2026-10-25 13:04:05.100 UTC [7] app@shop ERROR:  relation \"nope\" does not exist at character 15\n"
        "2026-10-25 13:04:05.100 UTC [7] app@shop STATEMENT:  SELECT * FROM nope\n"
        "2026-10-25 13:04:05.200 UTC [7] app@shop LOG:  duration: 1.000 ms  statement: SELECT 1\n",
        tally=tally,
    )
    assert [r.text for r in records] == ["SELECT 1"]
    assert tally.errors == 1


def test_logged_statement_that_then_fails_is_dropped():
    tally = StderrTally()
    records = parse(
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  statement: SELECT 1/0\n"
        "2026-10-25 13:04:05.100 UTC [7] app@shop ERROR:  division by zero\n"
        "2026-10-25 13:04:05.100 UTC [7] app@shop STATEMENT:  SELECT 1/0\n",
        tally=tally,
    )
    assert records == []
    assert tally.errors == 1


def test_statement_context_after_a_log_record_is_not_an_error():
    tally = StderrTally()
    records = parse(
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  temporary file: path \"base/pgsql_tmp/x\", size 24576\n"
        "2026-10-25 13:04:05.100 UTC [7] app@shop STATEMENT:  SELECT * FROM big ORDER BY 1\n"
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 3.556 ms  statement: SELECT * FROM big ORDER BY 1\n",
        tally=tally,
    )
    assert [(r.line, r.duration_ms) for r in records] == [(3, 3.556)]
    assert tally.errors == 0


def test_statement_without_duration_gets_the_next_duration_of_its_process():
    records = parse(
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  statement: SELECT 7\n"
        "2026-10-25 13:04:05.101 UTC [8] app@shop LOG:  statement: SELECT 8\n"
        "2026-10-25 13:04:05.102 UTC [8] app@shop LOG:  duration: 2.000 ms\n"
        "2026-10-25 13:04:05.103 UTC [7] app@shop LOG:  duration: 1.500 ms\n"
        "2026-10-25 13:04:05.104 UTC [9] app@shop LOG:  statement: SELECT 9\n"
    )
    by_text = {r.text: r for r in records}
    assert by_text["SELECT 7"].duration_ms == 1.5
    assert by_text["SELECT 8"].duration_ms == 2.0
    assert by_text["SELECT 9"].line == 5 and math.isnan(by_text["SELECT 9"].duration_ms)
    assert len(records) == 3


def test_statement_without_duration_is_counted_when_its_process_moves_on():
    records = parse(
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  statement: SELECT 1\n"
        "2026-10-25 13:04:05.101 UTC [7] app@shop LOG:  statement: SELECT 2\n"
        "2026-10-25 13:04:05.102 UTC [7] app@shop LOG:  disconnection: session time: 0:00:01.000\n"
    )
    assert [(r.text, math.isnan(r.duration_ms)) for r in records] == [("SELECT 1", True), ("SELECT 2", True)]


@pytest.mark.parametrize(
    "prefix, line, expected_ts",
    [
        ("%t [%p] ", "2021-02-14 01:34:02 CET [30291] LOG:  duration: 1 ms  statement: SELECT 1", utc(2021, 2, 14, 0, 34, 2)),
        ("%m [%p] ", "2019-10-21 12:03:31.311 MSK [5133] LOG:  duration: 1 ms  statement: SELECT 1", utc(2019, 10, 21, 9, 3, 31, 311000)),
        ("%m [%p] ", "2019-10-21 12:03:31.311 +02 [5133] LOG:  duration: 1 ms  statement: SELECT 1", utc(2019, 10, 21, 10, 3, 31, 311000)),
        ("%m [%p] ", "2019-10-21 12:03:31.311 -0330 [5133] LOG:  duration: 1 ms  statement: SELECT 1", utc(2019, 10, 21, 15, 33, 31, 311000)),
        ("%t:%r:%u@%d:[%p]:", "2021-05-27 17:00:00 UTC:10.1.91.65:user@my_db:[24743]:LOG: duration: 0.054 ms statement: SELECT 1", utc(2021, 5, 27, 17)),
        ("%n [%p] ", "1761397445.500 [5133] LOG:  duration: 1 ms  statement: SELECT 1", utc(2025, 10, 25, 13, 4, 5, 500000)),
    ],
)
def test_timestamps_are_utc(prefix, line, expected_ts):
    (record,) = parse(line + "\n", prefix)
    assert record.ts == expected_ts


def test_unknown_time_zone_is_read_as_utc_and_noted():
    tally = StderrTally()
    (record,) = parse("2026-10-25 13:04:05 XYZT [1] LOG:  duration: 1 ms  statement: SELECT 1\n", "%t [%p] ", tally=tally)
    assert record.ts == utc(2026, 10, 25, 13, 4, 5)
    assert tally.unknown_timezones == {"XYZT"}


def test_q_prefix_background_process_lines_are_read_not_rejected():
    rejects = Rejects()
    records = parse(
        "2026-10-25 13:04:05.100 UTC [20] LOG:  checkpoint starting: time\n"
        "2026-10-25 13:04:05.200 UTC [21] alice@shop LOG:  duration: 1.000 ms  statement: SELECT 1\n"
        "2026-10-25 13:04:05.300 UTC [20] LOG:  checkpoint complete: wrote 3 buffers\n",
        rejects=rejects,
    )
    assert [(r.user, r.database, r.pid) for r in records] == [("alice", "shop", 21)]
    assert rejects.count() == 0


def test_prefix_pattern_reads_the_common_escapes():
    pattern = prefix_pattern("%t [%p]: [%l-1] [%x] user=%u,db=%d,app=%a,client=%h %%%e ")
    m = pattern.match("2023-03-07 09:06:08 CET [130096]: [247-1] [0] user=usr6,db=progdb,app=my app,client=10.0.0.1 %00000 LOG:  x")
    assert m is not None
    assert (m["ts"], m["tz"], m["pid"], m["user"], m["database"], m["severity"]) == ("2023-03-07 09:06:08", "CET", "130096", "usr6", "progdb", "LOG")


def test_unknown_prefix_escape_is_a_source_error():
    with pytest.raises(SourceError, match="unknown escape %z"):
        prefix_pattern("%z ")


def test_garbage_lines_are_rejected_with_line_numbers_and_the_rest_is_read():
    rejects = Rejects()
    records = parse(
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 1 ms  statement: SELECT 1\n"
        "pg_ctl: could not start server\n"
        "\n"
        "Examine the log output.\n"
        "2026-10-25 13:04:05.200 UTC [7] app@shop LOG:  duration: 1 ms  statement: SELECT 2\n",
        rejects=rejects,
    )
    assert [r.text for r in records] == ["SELECT 1", "SELECT 2"]
    assert [(r.location, r.reason) for r in rejects.records] == [
        ("line 2", "line does not match log_line_prefix '%m [%p] %q%u@%d '"),
        ("line 4", "line does not match log_line_prefix '%m [%p] %q%u@%d '"),
    ]


def test_garbage_before_the_first_matching_line_is_rejected_too():
    rejects = Rejects()
    records = parse("garbage\n2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 1 ms  statement: SELECT 1\n", rejects=rejects)
    assert len(records) == 1
    assert [r.location for r in rejects.records] == ["line 1"]


def test_wrong_prefix_is_a_source_error_quoting_the_first_line():
    line = "2026-10-25 13:04:05 UTC [7]: [1-1] user=app,db=shop LOG:  duration: 1 ms  statement: SELECT " + "x" * 200
    with pytest.raises(SourceError) as error:
        parse("\n" + line + "\n", "%m [%p] %q%u@%d ")
    message = str(error.value)
    assert "log_line_prefix '%m [%p] %q%u@%d ' does not match" in message
    assert f"first line: '{line[:120].replace('1 ms', '? ms')}'" in message  # the prefix as it is, literals masked
    assert line[:121].replace("1 ms", "? ms") not in message


def test_wrong_prefix_is_detected_from_a_sample():
    def lines():
        for n in range(10_000):
            if n == 300:
                raise AssertionError("read past the sample")
            yield f"not a log line {n}\n"

    with pytest.raises(SourceError, match=r"first line: 'not a log line \?'"):  # literals masked
        list(parse_postgres_stderr(lines(), PREFIX, "test.log", Rejects()))


def test_empty_input():
    assert parse("") == []
    assert parse("\n\n") == []


# --------------------------------------------------------------------------------------
# mine_sql_log


LOG = (
    "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 1.500 ms  statement: SELECT * FROM orders o JOIN customers c"
    " ON c.id = o.customer_id WHERE o.id = 42 "
    f"/*controller='orders',route='%2Forders%2F%3Aid',traceparent='00-{TRACE}-{SPAN}-01'*/\n"
    "2026-10-25 13:04:05.200 UTC [8] app@shop LOG:  duration: 2.500 ms  statement: SELECT * FROM orders o JOIN customers c"
    " ON c.id = o.customer_id WHERE o.id = 7\n"
    "2026-10-25 13:04:05.300 UTC [8] app@shop LOG:  duration: 0.250 ms  statement: UPDATE stock SET qty = qty - 1 WHERE id = 3\n"
    "2026-10-25 13:04:05.400 UTC [9] app@shop LOG:  statement: BEGIN\n"
)


def _line(ts: str, user: str, text: str, duration: str | None = "1.000") -> str:
    head = f"2026-10-25 {ts} UTC [7] {user}@shop LOG:  "
    return head + (f"duration: {duration} ms  statement: " if duration else "statement: ") + text + "\n"


OTHER_SPAN = "00f067aa0ba902b7"
GROUPED_LOG = "".join([
    _line("13:04:01.000", "app", "SELECT * FROM orders WHERE id = 1", "1.000"),             # 1  row A
    _line("13:04:20.000", "app", "SELECT * FROM orders WHERE id = 2", "2.000"),             # 2  row A
    _line("13:04:59.999", "app", "SELECT * FROM orders WHERE id = 3", None),                # 3  row A (no duration)
    _line("13:05:00.000", "app", "SELECT * FROM orders WHERE id = 4", "4.000"),             # 4  row B: next minute
    _line("13:04:30.000", "report", "SELECT * FROM orders WHERE id = 5", "8.000"),          # 5  row C: other user
    _line("13:04:31.000", "app", "SELECT * FROM orders WHERE id = 6 /*route='%2Fo'*/"),     # 6  row D: tagged
    _line("13:04:32.000", "app", "SELECT * FROM orders WHERE id = 7 /*route='%2Fo'*/"),     # 7  row D: same tags
    _line("13:04:33.000", "app", f"SELECT * FROM orders WHERE id = 8 /*traceparent='00-{TRACE}-{SPAN}-01'*/"),        # 8  row E
    _line("13:04:34.000", "app", f"SELECT * FROM orders WHERE id = 9 /*traceparent='00-{TRACE}-{OTHER_SPAN}-01'*/"),  # 9  row F
    _line("13:04:35.000", "app", "UPDATE orders SET paid = true WHERE id = 1", None),        # 10 row G: only unknown durations
])


def test_statements_are_grouped_per_fingerprint_user_tags_and_minute(tmp_path):
    result = mine(tmp_path, GROUPED_LOG)
    st = result.frames["statements"]
    select = fingerprint("select * from orders where id = ?")
    update = fingerprint(normalize("UPDATE orders SET paid = true WHERE id = 1"))
    assert list(st["line"]) == [1, 4, 5, 6, 8, 9, 10]
    assert list(st["executions"]) == [3, 1, 1, 2, 1, 1, 1]
    assert list(st["fingerprint"]) == [select] * 6 + [update]
    assert list(st["user"]) == ["app", "app", "report", "app", "app", "app", "app"]
    assert st["duration_ms"].tolist()[:6] == [3.0, 4.0, 8.0, 2.0, 1.0, 1.0] and math.isnan(st["duration_ms"].iloc[6])
    assert str(st["ts"].iloc[0]) == "2026-10-25 13:04:01+00:00"  # the group's first execution
    assert st["route"].tolist() == [pd.NA, pd.NA, pd.NA, "/o", pd.NA, pd.NA, pd.NA]
    assert st["parent_span_id"].tolist() == [pd.NA] * 4 + [SPAN, OTHER_SPAN, pd.NA]
    queries = result.frames["queries"].set_index("fingerprint")
    assert queries.loc[select, "executions"] == st["executions"].iloc[:6].sum() == 9
    assert queries.loc[select, "total_duration_ms"] == 19.0
    assert any("2 statements logged without a duration" in n for n in result.notes)


def test_repeated_tags_share_one_tag_row(tmp_path):
    from analysis.sources.sql.formats import StatementRecord
    from analysis.sources.sql.miner import StatementColumns

    columns = StatementColumns("x.log")
    text = "SELECT 1 /*route='%2Fo',controller='orders'*/"
    columns.add_all(StatementRecord(n, n * 60_000_000, 1, "app", "shop", 1.0, text) for n in range(1, 1001))
    assert len(columns.tag_rows) == 2  # the empty row and one distinct tag set
    assert len(columns.line) == 1000  # one row per minute
    columns.add_all(StatementRecord(n, 0, 1, "app", "shop", 1.0, text) for n in range(1001, 3001))
    assert len(columns.line) == 1001 and columns.count[-1] == 2000


def test_mine_frames(tmp_path):
    result = mine(tmp_path, LOG)
    join_fp = fingerprint("select * from orders o join customers c on c.id = o.customer_id where o.id = ?")
    update_fp = fingerprint("update stock set qty = qty - ? where id = ?")
    begin_fp = fingerprint("begin")

    st = result.frames["statements"]
    assert list(st["line"]) == [1, 2, 3, 4]
    assert list(st["fingerprint"]) == [join_fp, join_fp, update_fp, begin_fp]
    assert list(st["ts"]) == [pd.Timestamp("2026-10-25 13:04:05.100", tz="UTC") + pd.Timedelta(milliseconds=100 * i) for i in range(4)]
    assert st["duration_ms"].tolist()[:3] == [1.5, 2.5, 0.25] and math.isnan(st["duration_ms"].iloc[3])
    assert st["trace_id"].tolist() == [TRACE, pd.NA, pd.NA, pd.NA]
    assert st["parent_span_id"].tolist() == [SPAN, pd.NA, pd.NA, pd.NA]
    assert st["route"].tolist() == ["/orders/:id", pd.NA, pd.NA, pd.NA]
    assert st["controller"].tolist() == ["orders", pd.NA, pd.NA, pd.NA]
    assert set(st["user"]) == {"app"} and set(st["database"]) == {"shop"}
    assert set(st["source"]) == {str(tmp_path / "postgresql.log")}

    q = result.frames["queries"].set_index("fingerprint")
    assert q.loc[join_fp, "executions"] == 2 and q.loc[join_fp, "total_duration_ms"] == 4.0
    assert q.loc[join_fp, "operation"] == "SELECT" and not q.loc[join_fp, "approximate"]
    assert q.loc[update_fp, "normalized"] == "update stock set qty = qty - ? where id = ?"
    assert q.loc[begin_fp, "operation"] == "OTHER" and q.loc[begin_fp, "total_duration_ms"] == 0.0

    access = result.frames["table_access"]
    assert sorted(map(tuple, access.to_numpy().tolist())) == sorted([
        (join_fp, "customers", "read"), (join_fp, "orders", "read"), (update_fp, "stock", "write"),
    ])
    assert result.frames["joins"].to_numpy().tolist() == [[join_fp, "customers", "orders"]]
    assert result.records_read == 4 and result.records_rejected == 0
    assert any("1 statements logged without a duration" in n for n in result.notes)


def test_records_read_counts_statements_and_the_lines_are_counted_apart(tmp_path):
    text = (
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 1.000 ms  statement: SELECT o.id\n"
        "\tFROM orders o\n"
        "\tWHERE o.id = 5\n"
        "2026-10-25 13:04:05.200 UTC [7] app@shop LOG:  connection authorized: user=app database=shop\n"
        "2026-10-25 13:04:05.300 UTC [7] app@shop ERROR:  relation \"nope\" does not exist\n"
        "2026-10-25 13:04:05.300 UTC [7] app@shop STATEMENT:  SELECT * FROM nope\n"
        "2026-10-25 13:04:05.400 UTC [7] app@shop LOG:  duration: 2.000 ms  statement: UPDATE orders\n"
        "\tSET paid = true WHERE id = 5\n"
    )
    result = mine(tmp_path, text)
    assert result.records_read == 2
    assert result.counts == {"lines": 8, "statements": 2, "executions": 2, "failed_statements": 1,
                             "nested_statements": 0, "nested_calls": 0}
    assert result.notes[0] == f"{tmp_path / 'postgresql.log'}: 2 executed statements read from 8 lines, 2 distinct queries (postgres-stderr)"


@pytest.mark.parametrize("name", ["postgresql.log.gz", "postgresql.log.bz2"])
def test_compressed_logs(tmp_path, name):
    assert len(mine(tmp_path, LOG, name=name).frames["statements"]) == 4


def test_empty_log_gives_empty_frames_and_a_note(tmp_path):
    result = mine(tmp_path, "")
    assert all(len(f) == 0 for f in result.frames.values())
    assert result.records_read == 0
    assert result.notes == [f"{tmp_path / 'postgresql.log'}: the log is empty"]


def test_log_without_statements_says_so(tmp_path):
    result = mine(tmp_path, "2026-10-25 13:04:05.100 UTC [20] LOG:  checkpoint starting: time\n")
    assert len(result.frames["statements"]) == 0
    assert any("no statements found" in n for n in result.notes)


def test_errors_and_rejects_reach_the_notes(tmp_path):
    rejects = Rejects()
    text = (
        "2026-10-25 13:04:05.100 UTC [7] app@shop ERROR:  syntax error at or near \"SELEC\"\n"
        "2026-10-25 13:04:05.100 UTC [7] app@shop STATEMENT:  SELEC 1\n"
        "garbage\n"
    )
    result = mine(tmp_path, text, rejects=rejects)
    assert result.records_rejected == 1 == rejects.count(str(tmp_path / "postgresql.log"))
    assert any("1 failed statements" in n for n in result.notes)
    assert any("1 records rejected" in n for n in result.notes)


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot be read"):
        mine_sql_log(SqlSource(tmp_path / "absent.log"), Rejects())


def test_secrets_in_literals_and_parameters_never_reach_a_frame(tmp_path):
    secrets = ["hunter2", "4111111111111111", "alice@example.com", "Sup3rS3cret", "tok_live_abc"]
    text = (
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 1 ms  statement: SELECT * FROM users WHERE pw = 'hunter2'"
        " AND card = 4111111111111111\n"
        "2026-10-25 13:04:05.101 UTC [7] app@shop LOG:  duration: 1 ms  statement: UPDATE users SET mail = E'alice@example.com',\n"
        "\tnote = $$Sup3rS3cret$$ WHERE id = 1\n"
        "2026-10-25 13:04:05.102 UTC [7] app@shop LOG:  duration: 1 ms  execute S_1: SELECT * FROM tokens WHERE t = $1\n"
        "2026-10-25 13:04:05.102 UTC [7] app@shop DETAIL:  parameters: $1 = 'tok_live_abc'\n"
        "2026-10-25 13:04:05.103 UTC [7] app@shop ERROR:  permission denied\n"
        "2026-10-25 13:04:05.103 UTC [7] app@shop STATEMENT:  SELECT 'Sup3rS3cret'\n"
    )
    result = mine(tmp_path, text)
    assert len(result.frames["statements"]) == 3
    for frame in result.frames.values():
        for column in frame.columns:
            values = " ".join(map(str, frame[column].tolist()))
            assert not any(s in values for s in secrets), column
    assert not any(s in " ".join(result.notes) for s in secrets)


def test_rejected_lines_and_errors_show_no_literal(tmp_path):
    text = (
        "2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 1 ms  statement: SELECT 1\n"
        "garbage with 'hunter2' and 4111111111111111\n"
        "2026-10-25 13:04:05.101 UTC [7] app@shop LOG:  duration: 1.0\x00 ms  statement: SELECT * FROM u WHERE pw = 'Sup3rS3cret'\n"
        "2026-10-25 13:04:05.102 UTC [7] app@shop LOG:  duration: 1 ms  statement: SELECT * FROM u WHERE t = 'tok_live_abc_long_secret_value'\n"
    )
    rejects = Rejects()
    mine(tmp_path, text, rejects=rejects)
    written = rejects.write(tmp_path / "rejects.csv").read_text(encoding="utf-8")
    assert rejects.count() == 2 and "app@shop LOG:" in written  # the prefix stays readable
    assert not any(s in written for s in ("hunter2", "4111111111111111", "Sup3rS3cret"))
    with pytest.raises(SourceError) as error:
        mine(tmp_path, text.splitlines()[3][:110] + "\n", prefix="%t [%p]: ")
    assert "tok_live" not in str(error.value) and "app@shop LOG:" in str(error.value)


def test_five_megabyte_statement(tmp_path):
    values = ", ".join(f"({i}, 'secret{i}')" for i in range(300_000))
    text = f"2026-10-25 13:04:05.100 UTC [7] app@shop LOG:  duration: 9 ms  statement: INSERT INTO bulk (a, b) VALUES {values}\n"
    assert len(text) > 5_000_000
    result = mine(tmp_path, text)
    q = result.frames["queries"]
    assert len(q) == 1
    assert q["normalized"].iloc[0].startswith("insert into bulk (a, b) values (?, ?)")
    assert "secret" not in q["normalized"].iloc[0]
    assert result.frames["table_access"].to_numpy().tolist() == [[q["fingerprint"].iloc[0], "bulk", "write"]]
    assert bool(q["approximate"].iloc[0])


# --------------------------------------------------------------------------------------
# public pgbadger fixtures (optional: read in place when present)

FIXTURES = Path("/work/shared/fixtures/public/pg_logs_pgbadger_fixtures")


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="pgbadger fixtures not present")
@pytest.mark.parametrize(
    "name, prefix, executions, queries, rejected",
    [
        # pgbadger t/03_consistency.t: query_total == 629
        ("light.postgres.log.bz2", "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ", 629, 7, 0),
        # parse/bind/execute with multi-line DETAIL parameters: 3 statements + 2 executes
        ("multiline_param.log", "%m [%p] user=%u,db=%d ", 5, 4, 0),
        # connections only
        ("begin_end.log", "%t [%p]: db=%d,user=%u,app=%a,client=%h ", 0, 0, 0),
        # twelve statement types, one each
        ("stmt_type.log", "%m [%p] ", 12, 12, 0),
        # two pg_ctl lines among server lines, two ERROR + STATEMENT
        ("pg_rawcsv.log", "%m [%p] %q%u@%d ", 0, 0, 2),
        ("postgresql_param_range.log", "%t [%p]: [%l-1] [%x] usr=%u,db=%d,appli=%a ", 3, 1, 0),
        ("pg-timezones.log", "%t:%r:%u@%d:[%p]:", 2, 2, 0),
        ("queryid.log.gz", "%m [%p] [queryid=%Q] %q%u@%d ", 20, 14, 0),
    ],
)
def test_pgbadger_fixtures(name, prefix, executions, queries, rejected):
    rejects = Rejects()
    result = mine_sql_log(SqlSource(FIXTURES / name, log_line_prefix=prefix), rejects)
    for frame_name, frame in result.frames.items():
        frames.check(frame, frame_name)
    assert result.frames["statements"]["executions"].sum() == executions
    assert len(result.frames["statements"]) <= executions
    assert len(result.frames["queries"]) == queries
    assert result.records_rejected == rejected


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="pgbadger fixtures not present")
def test_pgbadger_fixture_operations():
    result = mine_sql_log(SqlSource(FIXTURES / "stmt_type.log", log_line_prefix="%m [%p] "), Rejects())
    q = result.frames["queries"]
    # pgbadger: SELECT, INSERT, UPDATE, DELETE, COPY FROM, COPY TO, CTE (a DELETE), DDL, TCL x2, CURSOR x2
    assert q["operation"].value_counts().to_dict() == {"OTHER": 3, "DELETE": 2, "COPY": 2, "SELECT": 2, "INSERT": 1, "UPDATE": 1, "DDL": 1}
    access = result.frames["table_access"]
    assert set(map(tuple, access[["table", "access"]].to_numpy().tolist())) == {
        ("test", "read"), ("test", "write"), ("t1", "read"), ("country", "read"), ("country", "write"),
    }


# --------------------------------------------------------------------------------------
# the one-match reading of the common line, and the compact statements frame


def test_common_line_and_generic_line_read_alike():
    # same statements, once as "duration + statement" in one line, once as log_statement
    # followed by a separate duration line: the records must agree
    one = parse(
        "2026-01-01 00:00:00.5 UTC [7] a@d LOG:  duration: 1.5 ms  execute S_1: SELECT 1\n"
        "2026-01-01 00:00:01.000 UTC [7] a@d ERROR:  boom\n"
        "2026-01-01 00:00:01.000 UTC [7] a@d STATEMENT:  SELECT x\n"
        "2026-01-01 00:00:02.000 UTC [7] a@d LOG:  duration: 2 ms  statement: SELECT x\n"
    )
    two = parse(
        "2026-01-01 00:00:00.5 UTC [7] a@d LOG:  execute S_1: SELECT 1\n"
        "2026-01-01 00:00:00.5 UTC [7] a@d LOG:  duration: 1.5 ms\n"
        "2026-01-01 00:00:01.000 UTC [7] a@d ERROR:  boom\n"
        "2026-01-01 00:00:01.000 UTC [7] a@d STATEMENT:  SELECT x\n"
        "2026-01-01 00:00:02.000 UTC [7] a@d LOG:  statement: SELECT x\n"
        "2026-01-01 00:00:02.000 UTC [7] a@d LOG:  duration: 2 ms\n"
    )
    assert [(r.text, r.duration_ms, r.ts_us, r.user) for r in one] == [(r.text, r.duration_ms, r.ts_us, r.user) for r in two] == [
        ("SELECT 1", 1.5, 1_767_225_600_500_000, "a"), ("SELECT x", 2.0, 1_767_225_602_000_000, "a"),
    ]


def test_statements_frame_codes_values_and_missing_times():
    from analysis.sources.sql.formats import NO_TIME, StatementRecord
    from analysis.sources.sql.miner import StatementColumns

    columns = StatementColumns("x.log")
    tp = "traceparent='00-" + "ab" * 16 + "-" + "cd" * 8 + "-01'"
    for line, ts, user, text in [(3, NO_TIME, "b", "SELECT 2"), (1, 5, "a", f"SELECT 1 /*{tp}*/"), (2, 7, "a", "SELECT 3")]:
        columns.add(StatementRecord(line, ts, 1, user, "db", 1.0, text))
    st = statements_frame(columns)
    frames.check(st, "statements")
    assert st["line"].tolist() == [1, 2, 3]
    assert st["ts"].tolist()[:2] == [pd.Timestamp(5000, tz="UTC"), pd.Timestamp(7000, tz="UTC")] and pd.isna(st["ts"].iloc[2])
    assert str(st["ts"].dtype) == "datetime64[ns, UTC]"
    assert st["user"].tolist() == ["a", "a", "b"] and st["source"].tolist() == ["x.log"] * 3
    assert st["fingerprint"].tolist() == [fingerprint("select ?")] * 3
    assert st["trace_id"].tolist() == ["ab" * 16, pd.NA, pd.NA]
    assert st["route"].tolist() == [pd.NA] * 3


def test_empty_statements_frame_honours_the_contract():
    from analysis.sources.sql.miner import StatementColumns

    frames.check(statements_frame(StatementColumns("x.log")), "statements")


def test_tagged_executions_share_one_normalization_and_keep_their_own_tags():
    from analysis.sources.sql.formats import StatementRecord
    from analysis.sources.sql.miner import StatementColumns

    columns = StatementColumns("x.log")
    records = [StatementRecord(n, 0, 1, "app", "shop", 1.0,
                               f"SELECT * FROM t WHERE id = {n} /*route='%2Fo',traceparent='00-{n:032x}-{n:016x}-01'*/")
               for n in range(1, 301)]
    records += [StatementRecord(n, 0, 1, "app", "shop", 1.0, f"/*controller:orders*/ SELECT * FROM t WHERE id = {n}")
                for n in range(301, 401)]
    records += [StatementRecord(401, 0, 1, "app", "shop", 1.0, "SELECT * FROM t WHERE id = 9")]
    columns.add_all(records)
    assert columns.normalizations == 1
    st = statements_frame(columns)
    assert set(st["fingerprint"]) == {fingerprint("select * from t where id = ?")}
    assert st["trace_id"].iloc[:300].tolist() == [f"{n:032x}" for n in range(1, 301)]
    assert st["route"].iloc[:300].eq("/o").all()
    assert st["controller"].tolist()[300:] == ["orders", pd.NA]
    assert st["executions"].tolist()[300:] == [100, 1] and st["executions"].sum() == 401


# --------------------------------------------------------------------------------------
# statements carrying the comments of OpenTelemetry's Django and psycopg instrumentations

NETBOX_PREFIX = "%m [%p] %q%u@%d app=%a "
DJANGO_TAGS = ("/*app_name='dcim',controller='dcim%3Adevice',db_driver='django.db.backends.postgresql',framework='django%3A5.2.9',"
               "route='dcim/devices/%3Cint%3Apk%3E/',traceparent='00-{trace}-{request}-03'*/")
PSYCOPG_TAGS = ("/*db_driver='psycopg%3A3.3.2',dbapi_level='2.0',dbapi_threadsafety=2,driver_paramstyle='pyformat',"
                "libpq_version=150018,traceparent='00-{trace}-{span}-03'*/")


def _traced_line(ms: str, pid: int, app: str, sql: str, trace: str, request: str | None, span: str) -> str:
    comments = ([DJANGO_TAGS.format(trace=trace, request=request)] if request else []) + [PSYCOPG_TAGS.format(trace=trace, span=span)]
    return (f"2026-12-06 04:44:37.{ms} UTC [{pid}] netbox@netbox app={app} LOG:  duration: 0.236 ms  statement: "
            f"{sql} {' '.join(comments)}\n")


def test_web_statements_are_tied_to_their_request_span_and_worker_ones_to_their_own(tmp_path):
    trace_a, trace_b = "5f0c1e2d3b4a59687766554433221100", "00112233445566778899aabbccddeeff"
    text = (
        _traced_line("707", 22983, "netbox-web", 'SELECT "dcim_site"."id" FROM "dcim_site" WHERE "dcim_site"."id" = 4 LIMIT 21',
                     trace_a, "1a2b3c4d5e6f7081", "9f8e7d6c5b4a3921")
        # no parameters: psycopg leaves the %% of its comment
        + _traced_line("708", 22983, "netbox-web", "SELECT pg_advisory_lock(110100)", trace_a, "1a2b3c4d5e6f7081",
                       "0123456789abcdef").replace("%3A", "%%3A")
        # the worker has no Django middleware: only psycopg's comment
        + _traced_line("709", 22977, "netbox-rq", "SELECT set_config('TimeZone', 'UTC', false)", trace_b, None, "fedcba9876543210")
    )
    st = mine(tmp_path, text, prefix=NETBOX_PREFIX).frames["statements"]
    assert st["trace_id"].tolist() == [trace_a, trace_a, trace_b]
    assert st["parent_span_id"].tolist() == ["1a2b3c4d5e6f7081", "1a2b3c4d5e6f7081", "fedcba9876543210"]
    assert st["route"].tolist() == ["dcim/devices/<int:pk>/", "dcim/devices/<int:pk>/", pd.NA]
    assert st["controller"].tolist() == ["dcim:device", "dcim:device", pd.NA]
    assert st["database"].tolist() == ["netbox"] * 3


def test_a_span_statement_with_placeholders_gets_the_fingerprint_of_the_logged_one(tmp_path):
    from analysis.sources.traces.formats.spans import statement_summary

    # db.statement of the psycopg span: pyformat placeholders and Django's comment, % doubled
    span_statement = ('SELECT %s AS "a" FROM "dcim_devicerole" WHERE "dcim_devicerole"."id" = %s LIMIT 1 '
                      + DJANGO_TAGS.format(trace="ab" * 16, request="cd" * 8).replace("%", "%%"))
    logged = _traced_line("710", 22983, "netbox-web", 'SELECT 1 AS "a" FROM "dcim_devicerole" WHERE "dcim_devicerole"."id" = 12 LIMIT 1',
                          "ab" * 16, "cd" * 8, "ef" * 8)
    st = mine(tmp_path, logged, prefix=NETBOX_PREFIX).frames["statements"]
    assert st["fingerprint"].tolist() == [statement_summary(span_statement, "postgresql")[0]]


def test_the_executions_of_one_request_group_in_one_row(tmp_path):
    trace = "5f0c1e2d3b4a59687766554433221100"
    text = "".join(_traced_line(f"{700 + i}", 22983, "netbox-web", f'SELECT "t"."id" FROM "t" WHERE "t"."id" = {i}',
                                trace, "1a2b3c4d5e6f7081", f"{i:016x}") for i in range(1, 6))
    st = mine(tmp_path, text, prefix=NETBOX_PREFIX).frames["statements"]
    assert (len(st), int(st["executions"].iloc[0]), st["parent_span_id"].iloc[0]) == (1, 5, "1a2b3c4d5e6f7081")


def test_traced_executions_are_normalized_and_decoded_once_per_shape():
    from analysis.sources.sql.formats import StatementRecord
    from analysis.sources.sql.miner import StatementColumns

    columns = StatementColumns("x.log")
    records = []
    for n in range(1, 301):
        comments = " ".join([DJANGO_TAGS.format(trace=f"{n:032x}", request=f"{n:016x}"),
                             PSYCOPG_TAGS.format(trace=f"{n:032x}", span=f"{n + 1000:016x}")])
        records.append(StatementRecord(n, 0, 1, "netbox", "netbox", 1.0,
                                       f'SELECT "t"."id" FROM "t" WHERE "t"."id" = {n} LIMIT 21 {comments}'))
        # .iterator()'s cursors: a generated name in every DECLARE / FETCH
        records.append(StatementRecord(n, 0, 1, "netbox", "netbox", 1.0,
                                       f'DECLARE "_django_curs_{139900 + n % 7}_sync_{n}" NO SCROLL CURSOR WITH HOLD FOR '
                                       f'SELECT "t"."id" FROM "t" WHERE "t"."id" = {n} LIMIT 21 {comments.split(" /*")[0]}'))
        records.append(StatementRecord(n, 0, 1, "netbox", "netbox", 1.0, f'FETCH FORWARD 2000 FROM "_django_curs_{139900 + n % 7}_sync_{n}"'))
    columns.add_all(records)
    assert columns.normalizations == 3  # the SELECT, the DECLARE (normalized as the SELECT), the FETCH
    assert columns.tag_decodings == 2  # Django's and psycopg's comments; Django's alone
    st = statements_frame(columns)
    traced = st[st["trace_id"].notna()]  # the SELECT and its DECLARE: one query, one request, one row
    assert traced["trace_id"].tolist()[:3] == [f"{n:032x}" for n in (1, 2, 3)] and set(traced["executions"]) == {2}
    assert set(st["route"].dropna()) == {"dcim/devices/<int:pk>/"}
    assert len(set(st["fingerprint"])) == 2


def test_queries_parsed_in_a_worker_while_reading_equal_those_parsed_after(tmp_path, monkeypatch):
    from analysis.sources.sql import miner

    text = "".join(_traced_line(f"{700 + i}", 22983, "netbox-web",
                                      f'SELECT "a"."id" FROM "a" INNER JOIN "b{i % 3}" ON ("a"."b_id" = "b{i % 3}"."id") WHERE "a"."id" = {i}',
                                      "ab" * 16, "cd" * 8, f"{i:016x}") for i in range(1, 9))
    after = mine(tmp_path, text, prefix=NETBOX_PREFIX)
    monkeypatch.setattr(miner, "BACKGROUND_PARSE_BYTES", 0)
    monkeypatch.setattr(miner, "available_cores", lambda: 2)
    monkeypatch.setattr(miner, "idle_cores", lambda: 1)
    started = []
    monkeypatch.setattr(miner.BackgroundTableAccess, "close", lambda self: started.append(self) or self._pool.terminate())
    during = mine(tmp_path, text, prefix=NETBOX_PREFIX)
    assert len(started) == 1 and len(after.frames["joins"]) == 3  # the worker ran
    for name in ("queries", "table_access", "joins", "statements"):
        pd.testing.assert_frame_equal(during.frames[name], after.frames[name])
    monkeypatch.setattr(miner, "idle_cores", lambda: 0)  # a busy machine: parsed in the process
    busy = mine(tmp_path, text, prefix=NETBOX_PREFIX)
    assert len(started) == 1
    for name in ("queries", "table_access", "joins", "statements"):
        pd.testing.assert_frame_equal(busy.frames[name], after.frames[name])
