"""The fast paths of the SQL log reader give the results of the plain per-execution reading.

- :class:`~analysis.sources.sql.miner.StatementColumns` (one scan per execution, caches per
  statement text, per literal mask and per comment shape) against a reference that strips,
  decodes and normalizes every execution on its own;
- :func:`~analysis.sources.sqltext.literal_mask` (one substitution, then a check of the
  quoted identifiers) against the scan that knows quoted identifiers;
- a log read in parts by several processes (:mod:`analysis.sources.sql.segments`) against
  the same log read whole, and the cases where the parts are not independent.
"""

from __future__ import annotations

import random
import re

import pandas as pd
import pytest

from analysis.core.config import SqlSource
from analysis.core.rejects import Rejects
from analysis.sources import sqltext
from analysis.sources.sql import miner, segments
from analysis.sources.sql.formats import StatementRecord
from analysis.sources.sql.miner import StatementColumns, mine_sql_log
from analysis.sources.sql.statement_frames import statements_frame

PREFIX = "%m [%p] %q%u@%d app=%a "
_TRACEPARENT = re.compile(r"\s*[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}\s*", re.I)


def _tp(n: int) -> str:
    return f"00-{n:032x}-{n + 7:016x}-01"


#: Statement texts as logged, each a function of a number giving its literal and traceparent.
TRICKY = [
    # a comment inside a string literal, then the real one
    lambda n: f"SELECT '/* not a comment */' FROM t WHERE id = {n} /*route='%2Fa',traceparent='{_tp(n)}'*/",
    # a -- comment inside the statement, on its own line
    lambda n: f"SELECT * FROM t -- note: it's /* here */\nWHERE id = {n} /*controller='c%3Ad',traceparent='{_tp(n)}'*/",
    # nested /* */ inside the statement
    lambda n: f"SELECT /* outer /* inner */ still */ {n} /*route='x'*/",
    # multi-line with a quoted identifier holding a quote and digits
    lambda n: f'SELECT a,\n\t"it\'s 2",\n  "3d"\nFROM "t"\nWHERE x = \'it\'\'s {n}\'\n'
              f"/*route='%2Fm%2F%3Cint%3Apk%3E',traceparent='{_tp(n)}'*/",
    # URL-encoded tags with psycopg's doubled %
    lambda n: f"SELECT {n} /*framework='django%%3A5.2',route='api%%2Fx%%2F',traceparent='{_tp(n)}'*/",
    # no comment at all
    lambda n: f"SELECT {n} FROM plain",
    # a truncated comment, and a truncated traceparent
    lambda n: f"SELECT * FROM t WHERE id = {n} /*route='%2Ft',tracepa",
    lambda n: f"SELECT * FROM u WHERE id = {n} /*route='%2Fu',traceparent='00-{n:032x}",
    # the word traceparent in a literal before the comment's
    lambda n: f"SELECT 'traceparent=''{n}''' AS x /*route='r',traceparent='{_tp(n)}'*/",
    # Django's then psycopg's comment, bare numbers
    lambda n: (f"SELECT \"t\".\"id\" FROM \"t\" WHERE \"t\".\"id\" = {n} /*controller='dcim%3Adevice',route='dcim%2F',"
               f"traceparent='{_tp(n)}'*/ /*db_driver='psycopg%3A3.3.2',dbapi_threadsafety=2,traceparent='{_tp(n + 1)}'*/"),
    # two comments, the driver's traceparent cut short; three traceparents; an unreadable first one
    lambda n: f"SELECT {n} FROM a /*route='a',traceparent='{_tp(n)}'*/ /*db_driver='p',traceparent='00-{n:032x}",
    lambda n: f"SELECT {n} FROM b /*traceparent='{_tp(n)}'*/ /*route='b',traceparent='{_tp(n + 1)}'*/ /*traceparent='{_tp(n + 2)}'*/",
    lambda n: f"SELECT {n} FROM c /*route='c',traceparent='not-a-traceparent'*/ /*db_driver='p',traceparent='{_tp(n)}'*/",
    # one request's traceparent on statements of two routes (read once, then from the cache)
    lambda n: f"SELECT {n} FROM d /*route='d1',traceparent='{_tp(99)}'*/ /*db_driver='p',traceparent='{_tp(n)}'*/",
    lambda n: f"SELECT {n} FROM d /*route='d2',traceparent='{_tp(99)}'*/ /*db_driver='p',traceparent='{_tp(n + 3)}'*/",
    # a leading marginalia comment
    lambda n: f"/*controller:orders,action:show*/ SELECT * FROM orders WHERE id = {n}",
    # dollar quotes and parameters
    lambda n: f"SELECT $$a /* b */ {n}$$, $1 /*route='d',traceparent='{_tp(n)}'*/",
    # a semicolon after the comment; upper-case hex; an all-zero trace
    lambda n: f"SELECT {n} /*route='s',traceparent='{_tp(n).upper()}'*/;",
    lambda n: f"SELECT {n} /*route='z',traceparent='00-{'0' * 32}-{n:016x}-01'*/",
    # a generated cursor name, and a backslash in a tag value
    lambda n: f'DECLARE "_django_curs_1399_sync_{n}" NO SCROLL CURSOR WITH HOLD FOR SELECT 1 /*route=\'a\\\'b\',traceparent=\'{_tp(n)}\'*/',
    # only a comment: nothing to count
    lambda n: f"/*route='empty',traceparent='{_tp(n)}'*/",
]


def _reference(text: str) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(fingerprint, trace id, span id, route, controller) of one execution, read on its own."""
    stripped, bodies = sqltext.split_comments(text)
    normalized = sqltext.normalize(stripped)
    if not normalized:
        return (None,) * 5
    tags = sqltext.comment_tags(bodies)
    trace = span = None
    m = _TRACEPARENT.fullmatch(tags.get("traceparent", ""))
    if m and m.group(1).lower() != "0" * 32 and m.group(2).lower() != "0" * 16:
        trace, span = m.group(1).lower(), m.group(2).lower()
    return sqltext.fingerprint(normalized), trace, span, tags.get("route"), tags.get("controller")


def _none(value):
    return None if value is pd.NA or value is None or (isinstance(value, float) and value != value) else value


@pytest.mark.parametrize("max_cached", [65_536, 2])
def test_fast_path_rows_equal_the_per_execution_reading(max_cached):
    texts = [make(n) for n in range(1, 4) for make in TRICKY] + [make(1) for make in TRICKY]  # met again: from the caches
    records = [StatementRecord(i + 1, i * 60_000_000, 1, "app", "db", 1.0, text) for i, text in enumerate(texts)]
    columns = StatementColumns("x.log", max_cached=max_cached)
    columns.add_all(records)
    st = statements_frame(columns)
    expected = [(i + 1, *ref) for i, text in enumerate(texts) if (ref := _reference(text))[0] is not None]
    got = [(int(line), fp, *(_none(v) for v in rest))
           for line, fp, *rest in st[["line", "fingerprint", "trace_id", "parent_span_id", "route", "controller"]].itertuples(index=False)]
    assert got == expected
    assert columns.empty == sum(1 for t in texts if _reference(t)[0] is None) == 4
    # the sample holds what it claims: comments in literals, several lines, decoded tags, no comment
    assert {"/a", "/m/<int:pk>", "api/x/", "a'b", "d1", "d2"} <= {r[4] for r in expected}
    assert any(r[3] is None and r[4] is None for r in expected)


def _scan_mask(sql: str) -> str | None:
    """literal_mask as one scan that knows quoted identifiers (the definition)."""
    if any(c in sql for c in sqltext._MASK_UNSAFE):
        return None
    return sqltext._MASK.sub(sqltext._mask_literal, sql)


def test_literal_mask_equals_the_scan_that_knows_quoted_identifiers():
    tricky = ['SELECT "a1", "1a", "it\'s", \'say "hi"\' FROM "t 2" WHERE x = 1.5', 'SELECT "a', "SELECT 'a\"b' || \"c\"",
              'SELECT "x.5", ".5", "-1", 3e10 FROM "" WHERE "a""b" = 2', "SELECT 1"]
    rng = random.Random(11)
    pieces = ['"', "'", "''", '""', "1", "2.5", ".5", "a", "b1", " ", ".", "0x1f", "e", "(", ",", "1e3", '"t"', "'s'", "-"]
    texts = tricky + ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12))) for _ in range(20_000)]
    assert [sqltext.literal_mask(t) for t in texts] == [_scan_mask(t) for t in texts]
    assert sqltext.literal_mask(tricky[0]) == 'SELECT "a1", "1a", "it\'s", \x01 FROM "t 2" WHERE x = \x01'


# --------------------------------------------------------------------------------------
# a log read in parts


def _line(minute: int, second: int, pid: int, message: str) -> str:
    return f"2026-12-06 04:{minute:02d}:{second:02d}.{pid % 1000:03d} UTC [{pid}] app@shop app=web {message}\n"


def _log(minutes: int = 6, per_minute: int = 40) -> str:
    out = []
    for minute in range(minutes):
        for i in range(per_minute):
            n = minute * per_minute + i
            second, pid = i * 60 // per_minute, 100 + n % 5
            sql = TRICKY[n % len(TRICKY)](n % 7).replace("\n", "\n\t")  # PostgreSQL's continuation lines
            out.append(_line(minute, second, pid, f"LOG:  duration: {n % 9}.{n % 7}25 ms  statement: {sql}"))
            if i == 5:
                out.append(_line(minute, second, pid, "ERROR:  relation \"missing\" does not exist"))
                out.append(_line(minute, second, pid, "STATEMENT:  SELECT * FROM missing"))
            if i == 9:
                out.append("\n")
                out.append("garbage that is no log line\n")
            if i == 11:
                out.append(_line(minute, second, pid, "LOG:  checkpoint starting: time"))
    return "".join(out)


def _both(tmp_path, monkeypatch, text: str, parts: int = 3, prefix: str | None = PREFIX, fmt: str = "postgres-stderr"):
    path = tmp_path / "postgresql.log"
    path.write_text(text, encoding="utf-8")
    source = SqlSource(path, log_line_prefix=prefix, format=fmt)
    seen = []
    real = segments.read_in_parts

    def spy(*args):
        result = real(*args)
        seen.append(result is not None)
        return result

    monkeypatch.setattr(segments, "read_in_parts", spy)
    monkeypatch.setattr(miner, "available_cores", lambda: parts)
    monkeypatch.setattr(miner, "idle_cores", lambda: parts)
    out = {}
    for parallel in (True, False):
        monkeypatch.setattr(miner, "PARALLEL_BYTES", 1 if parallel else 1 << 60)
        rejects = Rejects()
        out[parallel] = (mine_sql_log(source, rejects), rejects)
    return out[True], out[False], seen


def _assert_same(a, b):
    (mined_a, rejects_a), (mined_b, rejects_b) = a, b
    for name, frame in mined_b.frames.items():
        pd.testing.assert_frame_equal(mined_a.frames[name], frame, check_exact=True)
    assert mined_a.notes == mined_b.notes
    assert (mined_a.records_read, mined_a.records_rejected, mined_a.counts) == (mined_b.records_read, mined_b.records_rejected, mined_b.counts)
    assert rejects_a.records == rejects_b.records and rejects_a.counts == rejects_b.counts


def test_a_log_read_in_parts_equals_the_log_read_whole(tmp_path, monkeypatch):
    parts, whole, seen = _both(tmp_path, monkeypatch, _log())
    assert seen == [True]  # it was read in parts
    _assert_same(parts, whole)
    mined, rejects = whole
    assert mined.counts["failed_statements"] == 6 and len(rejects.records) == 6  # one error, one garbage line a minute
    comment_only = sum(1 for n in range(6 * 40) if n % len(TRICKY) == len(TRICKY) - 1)  # skipped: nothing to count
    assert int(mined.frames["statements"]["executions"].sum()) == 6 * 40 - comment_only == 229
    garbage = [i for i, line in enumerate(_log().split("\n"), 1) if line.startswith("garbage")]
    assert [r.location for r in rejects.records] == [f"line {i}" for i in garbage]  # line numbers of the whole file


def test_a_log_read_in_parts_with_its_format_detected_and_its_prefix_inferred_equals_it_read_whole(tmp_path, monkeypatch):
    parts, whole, seen = _both(tmp_path, monkeypatch, _log(), parts=2, prefix=None, fmt="auto")
    assert seen == [True]
    _assert_same(parts, whole)
    assert any("log_line_prefix inferred" in note for note in whole[0].notes)


def test_a_gzip_compressed_log_is_read_in_parts_from_memory_and_equals_it_read_whole(tmp_path, monkeypatch):
    import gzip

    path = tmp_path / "postgresql.log.gz"
    path.write_bytes(gzip.compress(_log().encode()))
    plain = tmp_path / "postgresql.log"
    plain.write_text(_log(), encoding="utf-8")
    seen = []
    real = segments.read_in_parts
    monkeypatch.setattr(segments, "read_in_parts", lambda *args: seen.append(real(*args)) or seen[-1])
    monkeypatch.setattr(miner, "available_cores", lambda: 3)
    monkeypatch.setattr(miner, "idle_cores", lambda: 3)
    out = {}
    for name, parallel in (("gz parts", True), ("gz whole", False), ("plain parts", True)):
        monkeypatch.setattr(miner, "PARALLEL_BYTES", 1 if parallel else 1 << 60)
        rejects = Rejects()
        out[name] = (mine_sql_log(SqlSource(path if name.startswith("gz") else plain, log_line_prefix=PREFIX), rejects), rejects)
    assert len(seen) == 2 and all(r is not None for r in seen)  # both read in parts
    _assert_same(out["gz parts"], out["gz whole"])
    gz_frames, plain_frames = out["gz parts"][0].frames, out["plain parts"][0].frames
    for name, frame in plain_frames.items():
        if name != "statements":  # its source column names the file
            pd.testing.assert_frame_equal(gz_frames[name], frame, check_exact=True)
    assert segments._unpacked is None  # the unpacked bytes are let go


@pytest.mark.parametrize("case", ["damaged", "too large", "bzip2"])
def test_a_compressed_log_that_cannot_be_unpacked_in_memory_is_read_whole(tmp_path, monkeypatch, case):
    import bz2
    import gzip

    data = _log().encode()
    path = tmp_path / ("postgresql.log.bz2" if case == "bzip2" else "postgresql.log.gz")
    packed = bz2.compress(data) if case == "bzip2" else gzip.compress(data)
    path.write_bytes(packed[: len(packed) * 2 // 3] if case == "damaged" else packed)
    if case == "too large":
        monkeypatch.setattr(segments, "MAX_UNPACKED_BYTES", len(data) - 1)
    monkeypatch.setattr(miner, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(miner, "available_cores", lambda: 2)
    monkeypatch.setattr(miner, "idle_cores", lambda: 2)
    assert miner._read_in_parts(SqlSource(path, log_line_prefix=PREFIX)) is None
    rejects = Rejects()
    mined = mine_sql_log(SqlSource(path, log_line_prefix=PREFIX), rejects)  # read whole
    if case == "damaged":
        assert any("truncated or corrupt compressed stream" in r.reason for r in rejects.records)
        assert 0 < mined.counts["statements"] < 229
    else:
        assert int(mined.frames["statements"]["executions"].sum()) == 229


def test_the_bytes_of_a_gzip_log_are_its_unpacked_size(tmp_path):
    import gzip

    path = tmp_path / "postgresql.log.gz"
    path.write_bytes(gzip.compress(b"x" * 5_000_000))
    assert path.stat().st_size < 100_000 and miner._log_bytes(path) == 5_000_000
    plain = tmp_path / "plain.log"
    plain.write_bytes(b"y" * 1234)
    assert miner._log_bytes(plain) == 1234


def test_a_busy_machine_reads_the_log_whole(tmp_path, monkeypatch):
    path = tmp_path / "postgresql.log"
    path.write_text(_log(), encoding="utf-8")
    monkeypatch.setattr(miner, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(miner, "available_cores", lambda: 2)
    monkeypatch.setattr(miner, "running_now", lambda: 2)  # this process and another: both cores taken
    assert miner.idle_cores() == 0 and miner._read_in_parts(SqlSource(path, log_line_prefix=PREFIX)) is None
    monkeypatch.setattr(miner, "running_now", lambda: 1)  # this process alone, whatever the load average says
    monkeypatch.setattr(miner.os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert miner.idle_cores() == 1 and miner._read_in_parts(SqlSource(path, log_line_prefix=PREFIX)) is not None
    monkeypatch.setattr(miner, "running_now", lambda: None)  # not on Linux: the load average
    assert miner.idle_cores() == 0
    monkeypatch.setattr(miner.os, "getloadavg", lambda: (0.2, 1.0, 1.0))
    assert miner.idle_cores() == 1


def test_the_processes_running_now_are_read_from_the_kernel(tmp_path, monkeypatch):
    import builtins

    running = miner.running_now()
    assert running is None or running >= 1  # this process runs while it looks
    looks = iter(["0.50 0.40 0.30 3/120 999\n", "0.50 0.40 0.30 1/120 999\n", "0.50 0.40 0.30 2/121 999\n"])
    real_open = builtins.open

    def fake_open(path, *args, **kwargs):
        if path == "/proc/loadavg":
            (tmp_path / "loadavg").write_text(next(looks))
            return real_open(tmp_path / "loadavg", *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    assert miner.running_now(apart_s=0) == 1  # the fewest of three looks: a passing process does not count
    monkeypatch.setattr(builtins, "open", lambda *a, **k: (_ for _ in ()).throw(OSError("no /proc")))
    assert miner.running_now() is None


def test_cut_points_start_records_at_a_change_of_minute(tmp_path):
    path = tmp_path / "postgresql.log"
    path.write_text(_log(), encoding="utf-8")
    cuts = segments._cuts(path, 3, miner.prefix_pattern(PREFIX))
    data = path.read_bytes()
    assert len(cuts) == 4 and cuts[0] == 0 and cuts[-1] == len(data)
    for cut in cuts[1:-1]:
        before, after = data[:cut].decode().splitlines()[-1], data[cut:].decode().splitlines()[0]
        assert data[cut - 1:cut] == b"\n" and after.startswith("2026-12-06 04:") and " LOG:  " in after
        last_timed = [ln for ln in data[:cut].decode().splitlines() if ln.startswith("2026")][-1]
        assert last_timed[:16] != after[:16], (before, after)


def _minute_starts(data: bytes) -> list[int]:
    """The offsets of the lines of ``_log`` that start a new minute (a LOG record)."""
    starts, at, last = [], 0, None
    for raw in data.splitlines(keepends=True):
        text = raw.decode()
        if text.startswith("2026"):
            if last is not None and text[:16] != last and " LOG:  " in text:
                starts.append(at)
            last = text[:16]
        at += len(raw)
    return starts


@pytest.mark.parametrize("head_start", [0, 18_000])
def test_a_cut_is_the_change_of_minute_nearest_to_where_equal_parts_would_be_cut(tmp_path, head_start):
    # minutes of unequal sizes, so that the nearest change of minute lies before the middle
    text = _log(minutes=4, per_minute=40) + "".join(_log(minutes=2, per_minute=10).replace("04:0", "04:1").splitlines(True))
    path = tmp_path / "postgresql.log"
    path.write_text(text, encoding="utf-8")
    data = path.read_bytes()
    starts = _minute_starts(data)
    target = (len(data) + head_start) // 2 - head_start  # the first part is head_start bytes shorter
    nearest = min(starts, key=lambda at: (abs(at - target), at))
    cuts = segments._cuts(path, 2, miner.prefix_pattern(PREFIX), head_start)
    assert cuts == [0, nearest, len(data)]
    if not head_start:
        assert nearest < target < next(at for at in starts if at > target)  # not the first change after the middle
    else:
        assert nearest < segments._cuts(path, 2, miner.prefix_pattern(PREFIX))[1]


def test_reading_in_parts_does_not_need_the_frame_libraries(tmp_path):
    """The workers start before pandas, numpy and pyarrow load (the reading process loads
    them while they read, and reads a shorter part); the result is the whole read's."""
    path = tmp_path / "postgresql.log"
    path.write_text(_log(), encoding="utf-8")
    script = f"""
import pickle, sys
from pathlib import Path
from analysis.core.config import SqlSource
from analysis.core.rejects import Rejects
from analysis.sources.sql import miner, segments
assert "pandas" not in sys.modules and "numpy" not in sys.modules  # reading needs neither
read_part, loaded = segments._read_part, []
def spy(*args, **kwargs):
    loaded.append((args[2], "pandas" in sys.modules, "numpy" in sys.modules))
    return read_part(*args, **kwargs)
segments._read_part = spy
miner.available_cores = miner.idle_cores = lambda: 2
out = {{}}
for parallel in (True, False):
    miner.PARALLEL_BYTES = 1 if parallel else 1 << 60
    mined = miner.mine_sql_log(SqlSource(Path({str(path)!r}), log_line_prefix={PREFIX!r}), Rejects())
    out[parallel] = (mined.frames, mined.notes, mined.counts)
pickle.dump((loaded, out), sys.stdout.buffer)
"""
    import pickle
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    loaded, out = pickle.loads(done.stdout)
    assert [start for start, _, _ in loaded] == [0]  # the worker's part is read in the worker: not seen here
    assert loaded[0][1] and loaded[0][2]  # this process's part: read once the libraries are loaded
    for name, frame in out[False][0].items():
        pd.testing.assert_frame_equal(out[True][0][name], frame, check_exact=True)
    assert out[True][1:] == out[False][1:]


@pytest.mark.parametrize("case", ["pending", "error", "disorder"])
def test_parts_that_are_not_independent_are_read_whole(tmp_path, monkeypatch, case):
    first = _log(minutes=1, per_minute=60).replace("04:00:", "04:00:")
    second = _log(minutes=2, per_minute=20).split("04:01:", 1)[0]  # a shorter minute 0 ...
    second = "".join(ln.replace("04:00:", "04:01:", 1) + "\n" for ln in second.splitlines())  # ... moved to minute 1
    if case == "pending":  # log_statement, then log_duration after the cut
        first += _line(0, 59, 777, "LOG:  statement: SELECT 42")
        second = _line(1, 0, 777, "LOG:  duration: 1.5 ms") + second
    elif case == "error":  # the error's STATEMENT after the cut
        first += _line(0, 59, 778, "ERROR:  division by zero")
        second = _line(1, 0, 778, "STATEMENT:  SELECT 1/0") + second
    else:  # a line of the first minute after the first of the second
        second = second.replace("\n", "\n" + _line(0, 59, 779, "LOG:  duration: 1.0 ms  statement: SELECT 'late'"), 1)
    parts, whole, seen = _both(tmp_path, monkeypatch, first + second, parts=2)
    assert seen == [False]
    _assert_same(parts, whole)
    counts = whole[0].counts
    if case == "pending":
        assert counts["executions"] == counts["statements"] and whole[0].frames["statements"]["duration_ms"].notna().all()
    elif case == "error":
        assert counts["failed_statements"] == 1 + 2  # this one and the sample's own (one in each part)


def test_reading_pauses_the_cycle_collector_and_gives_it_back_as_it_was():
    import gc

    seen = []

    def records():
        seen.append(gc.isenabled())
        yield StatementRecord(1, 0, 1, "app", "db", 1.0, "SELECT 1")
        raise ValueError("the log ends badly")

    assert gc.isenabled()
    with pytest.raises(ValueError):
        StatementColumns("x.log").add_all(records())
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        StatementColumns("x.log").add_all([StatementRecord(1, 0, 1, "app", "db", 1.0, "SELECT 1")])
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


# --------------------------------------------------------------------------------------
# the table access kept between runs


def test_table_access_kept_by_a_run_is_not_parsed_again_and_reads_the_same(tmp_path, monkeypatch):
    path = tmp_path / "postgresql.log"
    path.write_text(_log(), encoding="utf-8")
    source, cache = SqlSource(path, log_line_prefix=PREFIX), tmp_path / "cache"
    parsed: list[str] = []
    real = sqltext.table_access.__wrapped__  # without the in-process cache, so that every parse counts

    def counting(text, *args):
        parsed.append(text)
        return real(text, *args)

    monkeypatch.setattr(sqltext, "table_access", counting)
    monkeypatch.setattr(miner, "PARALLEL_BYTES", 1 << 60)
    plain = mine_sql_log(source, Rejects())
    queries = len(plain.frames["queries"])
    assert queries == len(parsed) > 0 and not cache.exists()
    parsed.clear()
    cold = mine_sql_log(source, Rejects(), cache_dir=cache)
    assert len(parsed) == queries
    (kept,) = cache.iterdir()
    assert "WHERE id" not in kept.read_text() and "where id = ?" in kept.read_text()  # normalized: no literal
    parsed.clear()
    warm = mine_sql_log(source, Rejects(), cache_dir=cache)
    assert parsed == []
    # the parts of a log read by several processes take it too (the workers' parses are not seen here)
    monkeypatch.setattr(miner, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(miner, "available_cores", lambda: 2)
    monkeypatch.setattr(miner, "idle_cores", lambda: 2)
    in_parts = mine_sql_log(source, Rejects(), cache_dir=cache)
    assert parsed == []
    for mined in (cold, warm, in_parts):
        for name, frame in plain.frames.items():
            pd.testing.assert_frame_equal(mined.frames[name], frame, check_exact=True)
        assert mined.notes == plain.notes
    # what another version of sqlglot parsed is not used
    monkeypatch.setattr(miner.access_cache.sqlglot, "__version__", "0.0.0")
    monkeypatch.setattr(miner, "PARALLEL_BYTES", 1 << 60)
    mine_sql_log(source, Rejects(), cache_dir=cache)
    assert len(parsed) == queries and len(list(cache.iterdir())) == 2


def test_an_unreadable_table_access_cache_is_parsed_again_and_rewritten(tmp_path):
    path = tmp_path / "postgresql.log"
    path.write_text(_log(), encoding="utf-8")
    source, cache = SqlSource(path, log_line_prefix=PREFIX), tmp_path / "cache"
    plain = mine_sql_log(source, Rejects())
    kept = miner.access_cache.cache_file(cache, "postgres", source.unqualified_schemas("postgres-stderr"))
    for damaged in ('{"select ?": ["SELECT"', '{"select ?": 3}', "[]"):
        cache.mkdir(exist_ok=True)
        kept.write_text(damaged, encoding="utf-8")
        mined = mine_sql_log(source, Rejects(), cache_dir=cache)
        for name, frame in plain.frames.items():
            pd.testing.assert_frame_equal(mined.frames[name], frame, check_exact=True)
        assert len(miner.access_cache.load(cache, "postgres", source.unqualified_schemas("postgres-stderr"))) == len(plain.frames["queries"])


def test_the_table_access_cache_keeps_the_queries_met_last_up_to_its_bound(tmp_path, monkeypatch):
    cache, key = tmp_path / "cache", ("postgres", ("public",))
    access = {t: sqltext.table_access(t) for t in ("select * from a", "select * from b", "delete from c", "update d set x = ?")}
    texts = list(access)
    miner.access_cache.save(cache, *key, {}, {t: access[t] for t in texts[:3]})
    assert miner.access_cache.load(cache, *key) == {t: access[t] for t in texts[:3]}
    monkeypatch.setattr(miner.access_cache, "MAX_ENTRIES", 2)
    miner.access_cache.save(cache, *key, miner.access_cache.load(cache, *key), {texts[3]: access[texts[3]]})
    assert miner.access_cache.load(cache, *key) == {texts[3]: access[texts[3]], texts[0]: access[texts[0]]}
    assert miner.access_cache.load(cache, "postgres", ("sales",)) == {}  # another search path: another file
