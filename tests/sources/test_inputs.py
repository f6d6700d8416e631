"""One opener for every reader: compression by magic bytes, never by name."""

from __future__ import annotations

import bz2
import gzip
import lzma

import orjson
import pytest

from analysis.core.config import SqlSource, TraceSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects
from analysis.sources.inputs import compression_of, open_bytes, open_text, peek, text_lines
from analysis.sources.sql import mine_sql_log
from analysis.sources.traces import mine_traces

LOG = ("2024-03-01 10:00:00.000 UTC [1] app@shop LOG:  duration: 1.0 ms  statement: SELECT * FROM orders\n"
       "2024-03-01 10:00:01.000 UTC [1] app@shop LOG:  duration: 2.0 ms  statement: SELECT * FROM invoices\n")
PACK = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress, "plain": lambda b: b}


def otlp_line() -> bytes:
    span = {"traceId": "1" * 32, "spanId": "2" * 16, "name": "GET /orders", "kind": 2,
            "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000050000000"}
    return orjson.dumps({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
                                            "scopeSpans": [{"spans": [span]}]}]}) + b"\n"


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz", "plain"])
def test_open_bytes_decompresses_by_magic_whatever_the_name(tmp_path, kind):
    path = tmp_path / "data.log"  # never named .gz or .bz2
    path.write_bytes(PACK[kind](b"hello\nworld\n"))
    assert compression_of(path.read_bytes()) == (None if kind == "plain" else kind)
    with open_bytes(path) as fh:
        assert fh.read() == b"hello\nworld\n"
    with open_text(path) as fh:
        head, rest = peek(fh, 1)
        assert head == ["hello\n"] and list(text_lines(rest)) == ["hello", "world"]


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz"])
def test_every_reader_reads_compressed_inputs_without_a_suffix(tmp_path, kind):
    log, traces = tmp_path / "postgresql.log", tmp_path / "spans.jsonl"
    log.write_bytes(PACK[kind](LOG.encode()))
    traces.write_bytes(PACK[kind](otlp_line()))
    statements = mine_sql_log(SqlSource(log, log_line_prefix="%m [%p] %u@%d "), Rejects()).frames["statements"]
    assert statements["executions"].sum() == 2
    assert len(mine_traces(TraceSource(traces), Rejects()).frames["spans"]) == 1
    auto = mine_traces(TraceSource(traces, format="auto"), Rejects()).frames["spans"]
    assert len(auto) == 1


def test_zstd_and_a_broken_archive_are_one_clear_error(tmp_path):
    zstd = tmp_path / "log.zst"
    zstd.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 16)
    with pytest.raises(SourceError, match=r"zstd-compressed, which Seams does not read: decompress it first"):
        mine_sql_log(SqlSource(zstd), Rejects())
    broken = tmp_path / "broken.log"
    broken.write_bytes(b"\x1f\x8b" + b"\xff" * 20)
    with pytest.raises(SourceError, match="not a readable gzip file"):
        mine_traces(TraceSource(broken), Rejects())
    with pytest.raises(SourceError, match="cannot be read"):
        mine_sql_log(SqlSource(tmp_path / "absent.log"), Rejects())


def test_reading_a_file_counts_its_bytes_as_stored_against_its_size_when_someone_listens(tmp_path):
    import gzip as gz

    from analysis.core import progress

    class Sizes:
        def __init__(self):
            self.seen = []

        def started(self, step):
            pass

        def advanced(self, step):
            self.seen.append((step.done, step.size, step.unit))

        def finished(self, step):
            pass

    plain = tmp_path / "a.log"
    plain.write_bytes(b"line\n" * 50_000)
    packed = tmp_path / "b.log.gz"
    packed.write_bytes(gz.compress(b"other line\n" * 50_000))
    sizes = Sizes()
    with progress.listening(sizes), progress.step("mining sql") as step:
        for path in (plain, packed):
            with open_text(path) as fh:
                assert sum(1 for _ in text_lines(fh)) == 50_000
    total = plain.stat().st_size + packed.stat().st_size
    assert step.size == total and step.unit == "B"
    assert total <= step.done <= total + 2 * 8  # the magic bytes are read twice
    assert sizes.seen[0] == (0, plain.stat().st_size, "B")  # the first file's size, before any byte
    with open_text(plain) as fh:  # nobody listening: a plain file, nothing counted
        assert type(fh.buffer.raw).__name__ == "FileIO" and not progress.is_listened()
