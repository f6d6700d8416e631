"""Literals, control characters and values masked before text leaves Seams (rejects, messages)."""

from __future__ import annotations

import time

import pytest

from analysis.core.errors import ConfigError, ConfigProblem, SourceError
from analysis.core.privacy import escape_controls, mask_excerpt, mask_literals, safe_message
from analysis.core.rejects import Rejects


@pytest.mark.parametrize("text, masked", [
    ("AND password = 'S3CRET'", "AND password = ?"),
    ("WHERE note = E'sk\\'abc123XYZ' AND x = 1", "WHERE note = E? AND x = ?"),
    ("VALUES ($$ghp_SECRETtoken$$, $tag$a 'b' c$tag$)", "VALUES (?, ?)"),
    ("WHERE card IN (4111111111111111, 5500000000000004) AND r = 1.5e3", "WHERE card IN (?, ?) AND r = ?"),
    ("WHERE id = $1 AND h = 0xDEADBEEF", "WHERE id = ? AND h = ?"),
    ('SELECT "Order".id FROM "Order" WHERE "x y" = 1', 'SELECT "Order".id FROM "Order" WHERE ? = ?'),
    ('SELECT * FROM t WHERE note = "hunter two"', "SELECT * FROM t WHERE note = ?"),
    ("SELECT 1 -- dave.comment@example.com", "SELECT ? --?"),
    ("SELECT /* alice@example.com */ 1", "SELECT /*?*/ ?"),
    ("mail alice.secret@example.com id 123e4567-e89b-12d3-a456-426614174000", "mail ? id ?"),
    ("token tok_live_9f8e7d6c5b4a S3CRET", "token ? ?"),
])
def test_literals_are_masked_as_fingerprints_mask_them(text, masked):
    assert mask_literals(text) == masked


@pytest.mark.parametrize("fragment, masked", [
    # a rotated log starts inside a literal: what comes before the closing quote is a literal
    ("S3CRET' AND x = 1", "? AND x = ?"),
    ("hunter' AND x = 1", "? AND x = ?"),
    ("my secret ', 'x')", "?, ?)"),
    # a cut one ends inside a literal: it runs to the end
    ("INSERT INTO t VALUES ('abc', 'hunter", "INSERT INTO t VALUES (?, ?"),
    ("VALUES ($$ghp_SECRET", "VALUES (?"),
])
def test_fragments_that_start_or_end_inside_a_literal(fragment, masked):
    assert mask_literals(fragment) == masked


def test_json_values_are_masked_and_plain_keys_kept():
    line = '{"resourceSpans":[{"spans":[{"name":"GET /reset/hunter","attributes":[{"key":"db.statement","value":{"stringValue":"x"}}'
    masked = mask_literals(line, json=True)
    assert masked.startswith('{"resourceSpans":[{"spans":[{"name":"?"')
    assert "hunter" not in masked and '"stringValue":"?"' in masked


def test_control_characters_are_escaped():
    assert escape_controls("a\x1b]0;title\x07b\u202ec") == "a\\x1b]0;title\\x07b\\u202ec"
    assert escape_controls("a\nb\tc\rd", keep="\n\t") == "a\nb\tc\\x0dd"


def test_excerpts_are_escaped_masked_and_cut():
    assert mask_excerpt(b"\x1b[2J AND password = 'S3CRET'", limit=80) == "\\?[? AND password = ?"
    assert len(mask_excerpt("x = '" + "a" * 5000, limit=80)) == 5
    assert mask_excerpt("x" * 100, limit=80) == "x" * 80


def test_messages_mask_quoted_input_and_keep_paths_keys_and_line_numbers():
    line = "2024-03-01 10:00:00 UTC [12] AND password = 'S3CRET' AND card = 4111111111111111"
    message = safe_message(f"/logs/pg-13/postgresql.log: log_line_prefix does not match; first line: '{line}'\x1b[2J")
    assert "S3CRET" not in message and "4111111111111111" not in message and "\x1b" not in message
    assert message.startswith("/logs/pg-13/postgresql.log: log_line_prefix does not match; first line: '")
    assert "\\x1b[2J" in message
    assert safe_message("sources.sql[0].path: expected an existing file (found no file at /tmp/p-1/x_0/a.log)") == \
        "sources.sql[0].path: expected an existing file (found no file at /tmp/p-1/x_0/a.log)"
    assert safe_message("line 3, column 5: don't") == "line 3, column 5: don't"
    assert safe_message("first line: \"a 'sess_5f2b9c1e' b\"") == "first line: \"a ? b\""
    assert safe_message("mail margaret.hale@example.test, token sess_5f2b9c1e7d3a4f60b8e2c9d1a7f4e3b2") == "mail ?, token ?"
    assert safe_message(safe_message(message)) == safe_message(message)


def test_messages_are_bounded_on_any_input():
    started = time.perf_counter()
    message = safe_message("'" * 200_000 + "x" * 1_000_000)
    assert len(message) < 5_000 and time.perf_counter() - started < 1


def test_errors_quoting_input_are_masked_when_made():
    error = SourceError("/logs/a\x1b.log", "first line: 'AND password = 'S3CRET' AND x'\x1b]0;pwned\x07")
    assert "S3CRET" not in str(error) and "\x1b" not in str(error) and "\x07" not in str(error)
    assert str(error).startswith("/logs/a\\x1b.log: first line: '")
    problem = ConfigProblem("sources.sql[0].dsn", "a text", "the text 'postgres://u:S3cr3tPass@db/x'")
    config = ConfigError("/c/seams.yml", [problem])
    assert "S3cr3tPass" not in str(config) and "sources.sql[0].dsn" in str(config) and "/c/seams.yml" in str(config)


def test_rejects_keep_locations_and_reasons_without_literals(tmp_path):
    rejects = Rejects()
    rejects.add("/logs/pg.log", 1, "line outside a statement", "AND password = 'S3CRET' AND card = 4111111111111111")
    rejects.add("/t/traces.jsonl", "line 2", "invalid JSON: unexpected end",
                b'{"resourceSpans":[{"spans":[{"name":"reset","attributes":[{"key":"k","value":{"stringValue":"hunter')
    rejects.add("/logs/pg.log", 7, "line outside a statement", "S3CRET' AND x = 1\x1b[2J")
    written = rejects.write(tmp_path / "rejects.csv").read_text(encoding="utf-8")
    for secret in ("S3CRET", "4111111111111111", "hunter", "\x1b"):
        assert secret not in written
    assert "/logs/pg.log,line 1,line outside a statement,AND password = ? AND card = ?" in written
    assert "/t/traces.jsonl,line 2,invalid JSON: unexpected end," in written
