"""SQL text: sqlcommenter tags, normalization to fingerprints, and table access.

Shared by the SQL-log and trace readers, so a statement logged by PostgreSQL and the same
statement seen in a span get the same fingerprint. Pure functions, no I/O.

``strip_sqlcommenter(sql) -> (sql, tags)``
    Removes the trailing sqlcommenter comments ``/*key='value',...*/`` (keys and values
    URL-encoded, ``'`` escaped as ``\\'``; https://google.github.io/sqlcommenter/spec/; bare
    values too, as OpenTelemetry's DB-API commenter writes numbers: ``dbapi_threadsafety=2``)
    or a Rails/marginalia comment ``/*key:value,...*/`` and returns their tags, keys sorted.
    Only :data:`SQLCOMMENTER_TAGS` are kept. A trailing comment that is not in one of those
    forms is left in place (``normalize`` drops it anyway).

    A statement can carry two comments: with Django's and the database driver's commenters
    both on (OpenTelemetry's Django and psycopg instrumentations),
    ``... /*controller='dcim%3Adevice',route='...',traceparent='00-T-A-03'*/
    /*db_driver='psycopg%3A3.3.2',dbapi_threadsafety=2,traceparent='00-T-B-03'*/``. Both
    traceparents name the same trace T; A is the request's server span, B the statement's
    own database client span. Every tag comes from the first comment that carries it: the
    route and controller from the framework's, and the traceparent too, so the statement
    is tied to A, the span that issued it. B is A's child, so the context found through the
    span tree is the same either way; but A is the span every context rule reads
    (``http.route``), it is exported whatever happens to database spans (dropped, sampled
    apart), and the statements of one request share it, so a log's ``statements`` rows
    group per request (B would make every execution a row of its own: on the NetBox log
    161,022 rows and a peak of 334 MB instead of 74,862 rows and 229 MB). A statement
    with the driver's comment only (a worker without Django's middleware) is tied to B,
    its only span. Values keep
    a doubled ``%%`` when the driver skipped its ``%``-substitution (statements without
    parameters): ``%%3A`` is read as ``%3A``, i.e. ``:``.

``split_comments(sql) -> (sql, bodies)`` and ``comment_tags(bodies) -> tags``
    The same in two steps for the SQL-log reader: a cheap scan taking every leading and
    trailing comment off (the statement's shape, whatever the comments hold), then the tags
    of the bodies, which it decodes once per distinct comment shape
    (:func:`lift_traceparent` leaves the per-execution traceparent out of that shape).
    ``end_comments(sql) -> (sql, comments)`` and ``lift_traceparents(comments)`` do the
    same on the comments as one text, the unit the reader's caches are keyed on.

``normalize(sql) -> str``
    The text pg_stat_statements and pgbadger would show, so that executions differing only
    in their literals share one fingerprint:

    - comments (``--``, ``/* */``) removed;
    - string literals (``'...'`` with ``''`` escapes, ``E'...'`` with backslash escapes,
      ``B''``/``X''``/``N''``/``U&''``, dollar quotes ``$$...$$`` and ``$tag$...$tag$``),
      numbers (integers, decimals, exponents, ``0x``/``0o``/``0b``), and parameters ``$n``
      become ``?``; so do the placeholders of the client libraries (pyformat ``%s`` and
      ``%(name)s``, named ``:name``; ``?`` stays), so a statement as a span records it
      (``db.statement``: ``... WHERE id = %s``) and as the server logs it (``... WHERE id =
      7``) normalize alike; a unary minus before a literal goes with it (``+ -5`` -> ``+ ?``);
      ``TRUE``/``FALSE``/``NULL`` are keywords and stay;
    - ``IN (?, ?, ?)`` -> ``IN (?)``, ``ARRAY[?, ?]`` -> ``ARRAY[?]``, and repeated identical
      ``VALUES`` tuples ``(?, ?), (?, ?)`` -> one tuple;
    - whitespace folded to one space, none inside parentheses, ``, `` after commas,
      trailing semicolons dropped;
    - keywords and identifiers lower-cased, except quoted identifiers (``"Name"``);
    - generated names of savepoints, cursors and prepared statements (after SAVEPOINT,
      RELEASE, ROLLBACK TO, DECLARE, FETCH, MOVE, CLOSE, PREPARE, EXECUTE, DEALLOCATE) lose
      their counters (:func:`generated_name`: Django's ``SAVEPOINT "s140234_x1"`` ->
      ``savepoint "s?_x?"``), and ``DECLARE name ... CURSOR FOR query`` is read as its
      query: a server-side cursor (Django's ``.iterator()``) runs the same query, with
      the same fingerprint, tables and joins, as the statement run without one.

    Strings are read the way PostgreSQL reads them with ``standard_conforming_strings=on``
    (the default since 9.1): a backslash is an ordinary character outside ``E''``. An
    unterminated literal or comment runs to the end of the text, so no part of it can leak.
    Texts longer than ``max_chars`` are cut before normalizing and end in ``...``.

``normalize(sql, dialect="mysql")`` reads MySQL / MariaDB text: ``"..."`` strings, backslash
escapes, ``#`` comments, backquoted identifiers unquoted.

``literal_mask(sql) -> str | None``
    The text with its literals blanked: a cache key for ``normalize`` (texts sharing a mask
    normalize alike); None for texts with comments, dollar quotes, ``$n`` or backslashes.
    ``canonical_names(sql)`` makes a generated savepoint or cursor name canonical in the raw
    text first, as ``normalize`` would, so executions differing only in it share a mask.

``mask_literals(text) -> str``
    The text with its literals, parameters and comments replaced by ``?``, nothing else
    changed: what may be shown of a log line in a message or a rejects file.

``fingerprint(normalized) -> str``
    16 hex characters: blake2b (digest size 8) of the normalized text, UTF-8.

``table_access(normalized, dialect="postgres", search_path=("public",)) -> TableAccess``
    Which tables a statement reads and writes, parsed with sqlglot once per distinct text
    (``functools.lru_cache``; a SELECT list made only of column names is given to sqlglot
    as ``*``, which reads the same tables in a third less time: ``_without_column_lists``). Rules:

    - operation: SELECT (also set operations, ``VALUES``, ``DECLARE ... CURSOR FOR`` and
      ``PREPARE ... AS`` take their inner query's operation), INSERT (also MySQL's
      ``REPLACE``), UPDATE, DELETE (also
      ``TRUNCATE``, which PostgreSQL counts as data-modifying), MERGE, COPY, DDL (CREATE,
      ALTER, DROP, COMMENT, GRANT, REVOKE, ...), OTHER (transaction control, SET, SHOW,
      EXPLAIN, LOCK, VACUUM, EXECUTE, ...: no tables);
    - writes: targets of INSERT / UPDATE / DELETE / MERGE / TRUNCATE (also inside CTEs),
      ``COPY t FROM``, ``SELECT ... INTO t``, and tables locked by ``FOR UPDATE`` or ``FOR
      NO KEY UPDATE`` (write intent; ``OF x`` names an alias or a table of that SELECT's
      FROM clause, without ``OF`` every table of it is locked). ``FOR SHARE`` and ``FOR KEY
      SHARE`` are reads: a share lock keeps the rows from changing while the transaction
      reads them and changes nothing itself (PostgreSQL's foreign-key checks take ``FOR KEY
      SHARE`` on the referenced table);
    - MySQL's multi-table DELETE names its targets by alias or name before its table
      references (``DELETE a FROM t a ...``, ``DELETE a, b FROM t a JOIN u b ...``,
      ``DELETE FROM a USING t a ...``): the tables those names stand for are written;
    - reads: every other table referenced. CTE names, aliases, lock targets and
      table-valued functions (``generate_series(...)``, ``unnest(...)``) are not tables:
      an alias is never a table, in the parse tree as in the token scan.
      A table both written and referenced elsewhere in the statement is in both sets;
    - DDL statements: operation DDL, ``ddl=True``, and their tables are neither read nor
      written (a ``REFERENCES`` clause is not an access);
    - joins: unordered pairs of distinct tables in the *same FROM clause*: a SELECT's FROM
      and JOIN items (comma joins included, parenthesised joins flattened), the target of
      UPDATE with its FROM items, of DELETE with its USING items, of MERGE with its USING
      table. A CTE reference, a derived table or a LATERAL subquery among those items
      stands for the base tables its rows come from: the FROM items of its query (resolved
      in turn through other CTEs), of each branch of a set operation, the target of a
      data-modifying CTE with RETURNING; not the tables that only filter its rows (``WHERE
      x IN (SELECT ...)``). So ``WITH o AS (SELECT * FROM orders) SELECT ... FROM o JOIN
      invoices i ON ...`` pairs orders with invoices. Tables standing for the same item are
      not paired with each other (a union's branches are not joined); subqueries in WHERE or
      the select list are not paired with the outer FROM clause; each query is paired on
      its own;
    - table names: lower case; the schema is dropped when it is in ``search_path``,
      ``schema.table`` otherwise;
    - when sqlglot cannot parse the text, or only wraps it as a bare ``Command`` (it does
      so for MySQL's ``REPLACE`` and other statements it has no grammar for; a Command of a
      DDL word stays DDL), or the text is longer than ``max_parse_chars``, a token scan
      finds the names after FROM / JOIN / INTO / UPDATE / TABLE / USING (and after
      ``INSERT`` / ``REPLACE`` written without INTO) and the result has ``approximate=True``
      and no joins.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeGuard
from urllib.parse import unquote

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

SQLCOMMENTER_TAGS = frozenset({"traceparent", "tracestate", "route", "controller", "action", "framework", "application"})
#: Longest text normalized in full; longer statements (bulk inserts) are cut first.
MAX_NORMALIZE_CHARS = 100_000
#: Longest normalized text handed to sqlglot; longer ones are scanned for tables instead.
MAX_PARSE_CHARS = 20_000

OPERATIONS = ("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "DDL", "OTHER")

# --------------------------------------------------------------------------------------
# sqlcommenter

# a value is quoted ('...', the spec) or bare: OpenTelemetry's DB-API commenter writes
# numbers unquoted (dbapi_threadsafety=2,libpq_version=150018)
_SQLCOMMENTER_PAIR = r"[^=,'\s]+=(?:'[^'\\]*(?:\\.[^'\\]*)*'|[^=,'\s]+)"
_SQLCOMMENTER_BODY = re.compile(rf"\s*{_SQLCOMMENTER_PAIR}(?:\s*,\s*{_SQLCOMMENTER_PAIR})*\s*", re.S)
_SQLCOMMENTER_PAIRS = re.compile(r"([^=,'\s]+)=(?:'([^'\\]*(?:\\.[^'\\]*)*)'|([^=,'\s]+))", re.S)
_MARGINALIA_PAIR = r"[A-Za-z_][\w.-]*:[^,]*"
_MARGINALIA_BODY = re.compile(rf"\s*{_MARGINALIA_PAIR}(?:,{_MARGINALIA_PAIR})*\s*")
_BACKSLASH_ESCAPE = re.compile(r"\\(.)", re.S)
_TRACEPARENT_KEY = "traceparent='"


def strip_sqlcommenter(sql: str) -> tuple[str, dict[str, str]]:
    """Split ``sql`` into the statement without its sqlcommenter comments and their tags.

    The comments are trailing (the sqlcommenter convention; several in a row when a
    framework and the database driver both add one) or leading (Rails' query log tags with
    ``prepend_comment``); their tags are merged (:func:`comment_tags`). A comment that is not
    a tag comment, and every comment beyond it, stays in place.

    >>> strip_sqlcommenter("SELECT 1 /*route='%2Fusers%2F%3Aid',db_driver='psycopg'*/")
    ('SELECT 1', {'route': '/users/:id'})
    >>> strip_sqlcommenter("/*application:Shop,controller:orders*/ SELECT 1")
    ('SELECT 1', {'application': 'Shop', 'controller': 'orders'})
    """
    stripped, bodies = _peel_comments(sql, _is_tag_body)
    return (stripped, comment_tags(bodies)) if bodies else (sql, {})


def split_comments(sql: str) -> tuple[str, tuple[str, ...]]:
    """(``sql`` without its leading and trailing ``/* */`` comments, their bodies in text order).

    One scan from each end with string methods, whatever the comments hold: the statement
    without them normalizes as the statement with them (:func:`normalize` drops comments),
    and :func:`comment_tags` reads the tags of the bodies that are tag comments. Texts without
    such comments come back unchanged with no bodies.
    """
    return _peel_comments(sql, None)


def _peel_comments(sql: str, accept: Callable[[str], bool] | None) -> tuple[str, tuple[str, ...]]:
    """The statement and the bodies of the comments taken off its ends (only those ``accept``
    allows, from the outside in; all when None)."""
    leading: list[str] = []
    text = sql
    while text.startswith("/*"):
        close = text.find("*/", 2)
        if close < 0 or (accept is not None and not accept(text[2:close])):
            break
        leading.append(text[2:close])
        text = text[close + 2 :].lstrip()
    end = text.rstrip()
    tail = ""
    if end.endswith(";"):
        end, tail = end[:-1].rstrip(), ";"
    trailing: list[str] = []
    while end.endswith("*/"):
        start = end.rfind("/*", 0, len(end) - 2)
        if start < 0:
            break
        body = end[start + 2 : -2]
        if "*/" in body or (accept is not None and not accept(body)):
            break
        trailing.append(body)
        end = end[:start].rstrip()
    if not trailing:
        return (text, tuple(leading)) if leading else (sql, ())
    trailing.reverse()
    return end + tail, (*leading, *trailing)


def comment_tags(bodies: Iterable[str]) -> dict[str, str]:
    """The known tags (:data:`SQLCOMMENTER_TAGS`) of the tag comments among ``bodies``, keys sorted.

    Keys and values are URL-decoded; a doubled ``%%`` is read as ``%`` first (psycopg runs
    the ``%``-substitution only when a statement has parameters, so without any the comment
    reaches the server as ``%%3A``). When several comments carry a tag, it comes from the
    first (the framework's, before the driver's: the request's span, not the statement's
    own; see the module docstring). Bodies that are neither
    sqlcommenter (``key='value'``, or ``key=value`` bare) nor marginalia (``key:value``) give nothing.
    """
    return tags_with_traceparent_at(tuple(bodies))[0]


def tags_with_traceparent_at(bodies: tuple[str, ...]) -> tuple[dict[str, str], int]:
    """(:func:`comment_tags` of ``bodies``, the index of the body its ``traceparent`` comes
    from, -1 when none): a reader that lifted the traceparents out of the bodies
    (:func:`lift_traceparent`) decodes the rest once and takes the traceparent from there."""
    merged: dict[str, str] = {}
    at = -1
    for i, body in enumerate(bodies):
        for key, value in (_tags_of(body) or {}).items():
            if key not in merged:
                merged[key] = value
                if key == "traceparent":
                    at = i
    return dict(sorted(merged.items())), at


def lift_traceparent(body: str) -> tuple[str, str | None]:
    """(``body`` with the value of its quoted ``traceparent`` left out, that value or None).

    Every execution of a traced statement carries its own traceparent; what is left (the
    route, the controller, the driver) repeats, so its tags can be decoded once.
    """
    at = body.find(_TRACEPARENT_KEY)
    if at < 0:
        return body, None
    start = at + len(_TRACEPARENT_KEY)
    end = body.find("'", start)
    if end < 0:
        return body, None
    return body[:start] + body[end:], body[start:end]


def end_comments(sql: str) -> tuple[str, str]:
    """(``sql`` without its leading and trailing comments, those comments as one text; ""
    when none): :func:`split_comments` for a reader that keys its caches on the comments'
    text. The common case, comments only at the end, costs a few string operations."""
    i = sql.find("/*")
    if i < 0:
        return sql, ""
    if i > 0 and _END_COMMENTS.fullmatch(sql, i):
        return sql[:i].rstrip(), sql[i:]
    stripped, bodies = split_comments(sql)
    return stripped, " ".join(f"/*{b}*/" for b in bodies)


#: Comments and nothing else to the end (a semicolon may close the statement after them).
_END_COMMENTS = re.compile(r"(?:/\*[^*]*(?:\*(?!/)[^*]*)*\*/\s*)+;?\s*")


def lift_traceparents(comments: str) -> tuple[str, tuple[str, ...]]:
    """(``comments`` with the value of every quoted ``traceparent`` left out, those values in
    order): the shape its executions share, and what each has of its own."""
    at = comments.find(_TRACEPARENT_KEY)
    if at < 0:
        return comments, ()
    pieces, values = [], []
    start = 0
    while at >= 0:
        begin = at + len(_TRACEPARENT_KEY)
        end = comments.find("'", begin)
        if end < 0:
            break
        pieces.append(comments[start:begin])
        values.append(comments[begin:end])
        start = end
        at = comments.find(_TRACEPARENT_KEY, end)
    pieces.append(comments[start:])
    return "".join(pieces), tuple(values)


def comment_bodies(comments: str) -> tuple[str, ...]:
    """The bodies of the ``/* */`` comments in a text of comments (:func:`end_comments`)."""
    return tuple(_COMMENT_BODY.findall(comments))


_COMMENT_BODY = re.compile(r"/\*((?:[^*]|\*(?!/))*)\*/", re.S)


def _is_tag_body(body: str) -> bool:
    return _tags_of(body) is not None


def _tags_of(body: str) -> dict[str, str] | None:
    """The known tags of a sqlcommenter or marginalia comment body; None when it is neither."""
    if _SQLCOMMENTER_BODY.fullmatch(body):
        pairs = [(_unquote(k), _unquote(q if b == "" else b)) for k, q, b in _SQLCOMMENTER_PAIRS.findall(body)]
    elif _MARGINALIA_BODY.fullmatch(body):
        pairs = [(k.strip(), v.strip()) for k, _, v in (item.partition(":") for item in body.split(","))]
    else:
        return None
    return {k: v for k, v in pairs if k in SQLCOMMENTER_TAGS}


def _unquote(value: str) -> str:
    if "\\" in value:
        value = _BACKSLASH_ESCAPE.sub(r"\1", value)
    if "%" not in value:
        return value
    return unquote(value.replace("%%", "%"))


# --------------------------------------------------------------------------------------
# normalization

#: Client-side placeholders, read as the ``?`` a literal becomes, so that a statement as a
#: driver's span records it (``db.statement``) and as the server logs it share a fingerprint:
#: pyformat ``%s`` / ``%(name)s`` (psycopg's ``%b`` / ``%t`` too), named ``:name`` / ``:1``
#: (not a ``::`` cast, nor a slice bound after a word: ``a[1:n]``). ``?`` is one already.
_PLACEHOLDERS = r"""(?<=%)(?:\([^()\s]*\))?[sbt](?!\w)
    | (?<=:)(?<![\w:]:)(?:[^\W\d]\w*|\d+)(?![\w:])"""

# One pass over the text. Every alternative starts with one of the characters in the
# leading class, so the regex engine skips everything else quickly; lookbehinds then tell
# which character was taken. A digit or ``$`` right after a word character belongs to an
# identifier (``t1``, ``a$1``) and is left alone.
_LITERALS = re.compile(
    rf"""
    ['"$0-9./%:-]
    (?:
      (?<=-)-[^\n]*                                                   # -- comment
    | (?<=/)\*(?:[^*]|\*(?!/))*(?:\*/|\Z)                             # /* comment */
    | (?<=")[^"]*(?:""[^"]*)*(?:"|\Z)                                 # "quoted identifier"
    | (?<=')(?:(?<=[^\w$][eE]')|(?<=\A[eE]'))[^'\\]*(?:(?:\\.|'')[^'\\]*)*(?:'|\Z)   # E'...'
    | (?<=')[^']*(?:''[^']*)*(?:'|\Z)                                 # '...' (also B'', X'', N'', U&'')
    | (?<=\$)(?<![\w$]\$)((?:[^\W\d]\w*)?)\$.*?(?:\$\1\$|\Z)          # $tag$...$tag$
    | (?<=\$)(?<![\w$]\$)\d+                                          # $1
    | {_PLACEHOLDERS}
    | (?<=[0-9])(?<![\w$][0-9])(?:(?<=0)[xX][0-9a-fA-F_]+|(?<=0)[oO][0-7_]+|(?<=0)[bB][01_]+
                              |[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?)  # 12, 1.5e3, 0xff
    | (?<=\.)(?<![\w$)"]\.)[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?           # .5
    )
    """,
    re.X | re.S,
)
#: Dialects whose text is read the MySQL way (see :func:`normalize`).
MYSQL_DIALECTS = frozenset({"mysql", "mariadb"})
_MYSQL_LITERALS = re.compile(
    rf"""
    ['"`$0-9./#%:-]
    (?:
      (?<=-)-(?=\s|\Z)[^\n]*                                          # -- comment (needs a space)
    | (?<=\#)[^\n]*                                                  # # comment
    | (?<=/)\*(?:[^*]|\*(?!/))*(?:\*/|\Z)                             # /* comment */
    | (?<=`)[^`]*(?:``[^`]*)*(?:`|\Z)                                 # `identifier`
    | (?<=")[^"\\]*(?:(?:\\.|"")[^"\\]*)*(?:"|\Z)                   # "string"
    | (?<=')[^'\\]*(?:(?:\\.|'')[^'\\]*)*(?:'|\Z)                   # 'string'
    | (?<=\$)(?<![\w$]\$)\d+                                          # $1
    | {_PLACEHOLDERS}
    | (?<=[0-9])(?<![\w$][0-9])(?:(?<=0)[xX][0-9a-fA-F_]+|(?<=0)[bB][01_]+
                              |[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?)  # 12, 1.5e3, 0xff
    | (?<=\.)(?<![\w$)`"]\.)[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?           # .5
    )
    """,
    re.X | re.S,
)
_PLAIN_IDENT = re.compile(r"[^\W\d][\w$]*")

# The literal mask: the same literals as _LITERALS for texts without comments, dollar
# quotes, parameters or backslashes (see literal_mask); quoted identifiers are kept. Like
# _LITERALS, each alternative starts with a character of the leading class, so the engine
# jumps from candidate to candidate.
_MASK_NUMBER = r"""
      (?<=[0-9])(?<![\w$][0-9])(?:(?<=0)[xX][0-9a-fA-F_]+|(?<=0)[oO][0-7_]+|(?<=0)[bB][01_]+
                             |[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?)
    | (?<=\.)(?<![\w$)"]\.)[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?
"""
_MASK = re.compile(
    rf"""
    ["'0-9.]
    (?:
      (?<=")[^"]*"
    | (?<=')[^']*(?:''[^']*)*'
    | {_MASK_NUMBER}
    )
    """,
    re.X,
)
_MASK_PLAIN = re.compile(
    rf"""
    ['0-9.]
    (?:
      (?<=')[^']*(?:''[^']*)*'
    | {_MASK_NUMBER}
    )
    """,
    re.X,
)
_MASK_UNSAFE = ("\\", "$", "--", "/*", "\x00", "\x01")


def literal_mask(sql: str) -> str | None:
    """``sql`` with its string and number literals replaced by ``\\x01``, or None.

    A cheap key for caching :func:`normalize` (postgres dialect): two texts with the same
    mask differ only inside literals, so they normalize to the same text. Texts holding a
    comment, a dollar quote or ``$n`` parameter, a backslash or a control character
    ``\\x00``/``\\x01`` get None (normalize them in full): there the literals cannot be
    found this simply.
    """
    # _MASK_UNSAFE, unrolled (this runs once per distinct statement text)
    if "\\" in sql or "$" in sql or "--" in sql or "/*" in sql or "\x00" in sql or "\x01" in sql:
        return None
    masked = _MASK_PLAIN.sub("\x01", sql)
    # _MASK_PLAIN does not know quoted identifiers, but it finds the same literals as _MASK
    # as long as none of its matches starts inside one: then every '"' left is an identifier's
    # (strings are masked) and no identifier holds a \x01. The first match that starts
    # inside an identifier leaves its \x01 between an opening quote and the next quote, so
    # checking the identifiers of the result catches it; such texts take _MASK's scan.
    if '"' in masked and "\x01" in "".join(masked.split('"')[1::2]):
        return _MASK.sub(_mask_literal, sql)
    return masked


def _mask_literal(m: re.Match) -> str:
    return m.group() if m.string[m.start()] == '"' else "\x01"


_STRING_PREFIX = re.compile(r"(?<![\w$])(?:[eEbBxXnN]|[uU]&)\?")
# each starts with a literal character so the engine can jump to candidates
_IN_LIST = re.compile(r"in(?<![\w$]in) ?\(\?(?:, \?)*\)")
_ARRAY_LIST = re.compile(r"\[(?<=[^\w$]array\[)\?(?:, \?)+\]")
_VALUES_TUPLES = re.compile(r"values(?<![\w$]values)( ?)(\((?:[^()]|\([^()]*\))*\))(?:, \2)+")
_MINUS_LITERAL = re.compile(r"-\s?\?")
_UNARY_CONTEXT = re.compile(
    r"(?:[-=<>(,+*/%^|&~!\[]|\b(?:select|where|and|or|not|when|then|else|values|between|in|is|like|ilike"
    r"|return|returning|by|limit|offset|set|case|any|all|array|distinct|having|on))\s?\Z"
)
_QIDENT_MARK = re.compile(r"\x00(\d+)\x00")


def mask_literals(text: str, dialect: str = "postgres") -> str:
    """``text`` with every literal, parameter and comment replaced by ``?`` and nothing else
    changed: what a log line may show in a message or a rejects file.

    The literals are those :func:`normalize` replaces (an unterminated one runs to the end,
    so a line cut inside a string shows none of it); comments go too (a comment may hold
    anything). Quoted identifiers stay in the PostgreSQL reading; in the MySQL reading
    ``"..."`` is a string and goes.
    """
    mysql = dialect in MYSQL_DIALECTS
    return (_MYSQL_LITERALS if mysql else _LITERALS).sub(lambda m: m.group() if m.group()[0] in '"`' and not (mysql and m.group()[0] == '"') else "?", text)


def normalize(sql: str, max_chars: int = MAX_NORMALIZE_CHARS, dialect: str = "postgres") -> str:
    """Replace literals by ``?`` and fold the text (see the module docstring for the rules).

    ``dialect="mysql"`` reads MySQL / MariaDB text instead: ``'...'`` and ``"..."`` are
    strings with backslash escapes, ``#`` starts a comment, and backquoted identifiers lose
    their quotes (a backquoted ``Name`` becomes ``name``) unless they hold other than word characters.
    """
    truncated = len(sql) > max_chars
    if truncated:
        sql = sql[:max_chars]
    if "\x00" in sql:
        sql = sql.replace("\x00", "")
    quoted: list[str] = []
    prefixed = False
    mysql = dialect in MYSQL_DIALECTS

    def literal(m: re.Match) -> str:
        nonlocal prefixed
        first = m.string[m.start()]
        if first == "'":
            if m.start() and m.string[m.start() - 1] in "eEbBxXnN&":
                prefixed = True
            return "?"
        if first in "-/#":
            return " "
        if first == '"':
            if mysql:
                return "?"
            quoted.append(m.group())
            return f"\x00{len(quoted) - 1}\x00"
        if first == "`":
            inner = m.group()[1:-1]
            if _PLAIN_IDENT.fullmatch(inner):
                return inner
            quoted.append(m.group())
            return f"\x00{len(quoted) - 1}\x00"
        return "?"

    text = (_MYSQL_LITERALS if mysql else _LITERALS).sub(literal, sql)
    if prefixed:
        text = _STRING_PREFIX.sub("?", text)
    text = " ".join(text.split())
    text = text.replace("( ", "(").replace(" )", ")").replace(" ,", ",").replace(", ", ",").replace(",", ", ")
    text = text.rstrip("; ")
    text = text.lower()
    if "-" in text:
        text = _MINUS_LITERAL.sub(_unary_minus, text)
    if "(?" in text:
        text = _IN_LIST.sub("in (?)", text)
    if "[?, ?" in text:
        text = _ARRAY_LIST.sub("[?]", text)
    if "values" in text:
        text = _VALUES_TUPLES.sub(r"values\1\2", text)
    if text.startswith(_NAMING_WORDS) or "; " in text:
        text = _canonical_names(text, quoted)
    if quoted:
        text = _QIDENT_MARK.sub(lambda m: quoted[int(m.group(1))], text)
    if truncated:
        text += " ..."
    return text


#: First words of the statements that name a savepoint, a cursor or a prepared statement.
_NAMING_WORDS = ("savepoint", "release", "rollback", "declare", "fetch", "move", "close", "prepare", "execute", "deallocate")
_NAME = r"\x00\d+\x00|[^\W\d][\w$]*"
_NAMED = re.compile(
    rf"(?:^|(?<=; ))(?:(?:savepoint|release(?: savepoint)?|rollback(?: work| transaction)? to(?: savepoint)?|declare|close"
    rf"|prepare|execute|deallocate(?: prepare)?) (?P<name>{_NAME})"
    rf"|(?:fetch|move)\b[^;]*? (?P<cursor>{_NAME})(?= ?;|$))"
)
_DECLARED_QUERY = re.compile(r"declare \S+ (?:(?:binary|insensitive|asensitive|no scroll|scroll) )*cursor "
                             r"(?:(?:with|without) hold )?for (.*)\Z", re.S)


def _canonical_names(text: str, quoted: list[str]) -> str:
    """Generated names of savepoints, cursors and prepared statements made alike, and a
    cursor's declaration read as its query (rules in :func:`generated_name`)."""
    def canonical(m: re.Match) -> str:
        key = "name" if m.group("name") is not None else "cursor"
        name = m.group(key)
        if name[0] == "\x00":
            i = int(name[1:-1])
            inner = quoted[i][1:-1]
            quoted[i] = quoted[i][0] + generated_name(inner) + quoted[i][-1]
            return m.group()
        return m.string[m.start():m.start(key)] + generated_name(name)

    text = _NAMED.sub(canonical, text)
    declared = _DECLARED_QUERY.match(text)
    return declared.group(1) if declared else text


def generated_name(name: str) -> str:
    """``name`` with its counters replaced by ``?``: in each ``_``-separated part that holds a
    digit, a part made of hexadecimal digits only becomes ``?``, any other its runs of digits.

    Drivers and frameworks name savepoints, cursors and prepared statements with counters
    and thread ids: Django's ``"s140234_x1"`` savepoints and ``"_django_curs_140234_sync_3"``
    cursors (``.iterator()``), JDBC's ``S_1``, PHP's ``pdo_stmt_00000003``, SQLAlchemy's
    ``sa_savepoint_2``, asyncpg's ``__asyncpg_stmt_2b__``. Each name would be a query of its
    own; ``"s?_x?"`` and ``"_django_curs_?_sync_?"`` are one each. Names written by hand
    without digits (``my_cursor``) stay apart.
    """
    if not any(c.isdigit() for c in name):
        return name
    return "_".join(_counter_free(part) for part in name.split("_"))


_RAW_NAME = r'"[^"\x00]*"|[^\W\d][\w$]*'
_RAW_NAMED = re.compile(
    rf"\s*(?:savepoint|release(?:\s+savepoint)?|rollback(?:\s+(?:work|transaction))?\s+to(?:\s+savepoint)?|declare|close"
    rf"|prepare|execute|deallocate(?:\s+prepare)?)\s+(?P<name>{_RAW_NAME})(?=[\s;(]|\Z)"
    rf"|\s*(?:fetch|move)\b[^;'\"]*?\s(?P<cursor>{_RAW_NAME})\s*;?\s*\Z",
    re.I,
)
_RAW_NAMING_START = frozenset("sSrRdDfFmMcCpPeE")


def canonical_names(sql: str) -> str:
    """``sql`` with the generated name of a savepoint, cursor or prepared statement it starts
    with made canonical (:func:`generated_name`), nothing else changed: :func:`normalize`
    gives the same text for both, and executions differing only in such a name then share
    a :func:`literal_mask`, so a reader normalizes them once."""
    if not sql or sql.lstrip()[:1] not in _RAW_NAMING_START:
        return sql
    m = _RAW_NAMED.match(sql)
    if m is None:
        return sql
    key = "name" if m.group("name") is not None else "cursor"
    start, end = m.span(key)
    name = sql[start:end]
    canonical = name[0] + generated_name(name[1:-1]) + name[-1] if name[0] == '"' else generated_name(name)
    return sql if canonical == name else sql[:start] + canonical + sql[end:]


def _counter_free(part: str) -> str:
    if not any(c.isdigit() for c in part):
        return part
    return "?" if _HEX.fullmatch(part) else _DIGITS.sub("?", part)


_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGITS = re.compile(r"[0-9]+")


def _unary_minus(m: re.Match) -> str:
    start = m.start()
    if start == 0 or _UNARY_CONTEXT.search(m.string, max(0, start - 12), start):
        return "?"
    return m.group()


def fingerprint(normalized: str) -> str:
    """16 hex characters identifying a normalized statement (blake2b, digest size 8)."""
    return hashlib.blake2b(normalized.encode("utf-8"), digest_size=8).hexdigest()


# --------------------------------------------------------------------------------------
# table access


@dataclass(frozen=True)
class TableAccess:
    """The tables one normalized statement touches.

    ``joins`` holds sorted pairs ``(a, b)`` with ``a < b``; ``approximate`` is True when
    the tables come from a token scan because sqlglot could not parse the text.
    """

    operation: str
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    joins: frozenset[tuple[str, str]] = frozenset()
    approximate: bool = False
    ddl: bool = False


_DDL_TYPES: tuple[type, ...] = tuple(
    t for t in (getattr(exp, n, None) for n in ("Create", "Drop", "Alter", "Comment", "Grant", "Revoke", "RenameTable", "AlterRename"))
    if isinstance(t, type)
)
_DDL_WORDS = frozenset({"create", "alter", "drop", "comment", "grant", "revoke", "security", "reindex", "cluster", "refresh", "import"})
# statements sqlglot would only wrap as a Command (with a logged warning): classified directly
_OTHER_WORDS = frozenset({
    "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release", "set", "reset", "show", "explain",
    "lock", "vacuum", "analyze", "analyse", "execute", "deallocate", "fetch", "move", "close", "listen", "unlisten",
    "notify", "discard", "checkpoint", "load", "call", "do", "prepare", "declare",
})
_FIRST_WORD = re.compile(r"[\s(]*([a-z_]+)", re.I)
_DECLARE = re.compile(r"declare \S+ (?:[a-z ]*?)cursor (?:(?:with|without) hold )?(?:for|as) (.*)\Z", re.S)
_DECLARE_OLD = re.compile(r"declare cursor \S+ (?:for|as) (.*)\Z", re.S)
_PREPARE = re.compile(r"prepare \S+?(?: ?\([^()]*\))? as (.*)\Z", re.S)
_COPY_TABLE = re.compile(r"copy (?P<table>(?:\"[^\"]*\"|[^\W\d][\w$]*)(?:\.(?:\"[^\"]*\"|[^\W\d][\w$]*))?)(?: ?\([^()]*\))? (?P<direction>from|to)\b")
_COPY_QUERY = re.compile(r"copy ?\((?P<query>.*)\) ?to\b", re.S)


class _CommandFallback(logging.Filter):
    """Silences sqlglot's 'falling back to parsing as a Command' warning while we parse."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


_COMMAND_FILTER = _CommandFallback()


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    logger = logging.getLogger("sqlglot")
    logger.addFilter(_COMMAND_FILTER)
    try:
        yield
    finally:
        logger.removeFilter(_COMMAND_FILTER)


@functools.lru_cache(maxsize=65_536)
def table_access(
    normalized: str,
    dialect: str = "postgres",
    search_path: tuple[str, ...] = ("public",),
    max_parse_chars: int = MAX_PARSE_CHARS,
) -> TableAccess:
    """Operation, tables read and written, and joined pairs of one normalized statement.

    Parsed once per distinct ``normalized`` text (cached); see the module docstring for
    the rules.
    """
    text = normalized.strip().rstrip(";").strip()
    if not text:
        return TableAccess("OTHER")
    if len(text) > max_parse_chars or text.endswith(" ..."):
        return _scan_tables(text, search_path)
    return _statement_access(text, dialect, search_path)


def _statement_access(text: str, dialect: str, search_path: tuple[str, ...]) -> TableAccess:
    if ";" in text:
        # literals are placeholders by now, so a semicolon separates statements
        parts = [p.strip() for p in text.split(";") if p.strip()]
        if len(parts) > 1:
            return _combine([table_access(p, dialect, search_path) for p in parts])
        text = parts[0] if parts else ""
    word = _first_word(text)
    if word == "copy":
        return _copy_access(text, dialect, search_path)
    if word in ("declare", "prepare"):
        inner = (_DECLARE.match(text) or _DECLARE_OLD.match(text)) if word == "declare" else _PREPARE.match(text)
        if inner:
            return table_access(inner.group(1), dialect, search_path)
        return TableAccess("OTHER")
    if word in _OTHER_WORDS:
        return TableAccess("OTHER")
    statements = _parse(_without_column_lists(text), dialect)
    if statements is None or any(_is_bare_command(s) for s in statements):
        return _scan_tables(text, search_path)
    if not statements:
        return TableAccess("OTHER")
    accesses = [_tree_access(s, search_path) for s in statements]
    return _combine(accesses)


_COLUMN_PART = r'(?:"[^"]*"|[^\W\d][\w$]*)'
_COLUMN = rf"{_COLUMN_PART}(?:\.{_COLUMN_PART}){{0,2}}(?: as {_COLUMN_PART})?"
_COLUMN_LIST = re.compile(rf"(?<![\w\"$.])select (distinct )?{_COLUMN}(?:, ?{_COLUMN})* from ", re.I)


def _without_column_lists(text: str) -> str:
    """``text`` with each SELECT list made only of column names (``select "t"."id", "t"."name"
    as "n" from``) written ``select * from``: what sqlglot reads of the tables is the same
    (a column name names no table: the FROM clause does), and an ORM lists every column of
    a model, a third of a query's text and of its parse. Not when the text holds a string,
    a comment or an escaped quote: only outside quoted names can ``select`` start a list."""
    if '""' in text or "'" in text or "--" in text or "/*" in text:
        return text

    def collapsed(m: re.Match) -> str:
        if m.string.count('"', 0, m.start()) % 2:  # inside a quoted name
            return m.group()
        return f"select {m.group(1) or ''}* from "

    return _COLUMN_LIST.sub(collapsed, text)


def _is_bare_command(statement: exp.Expr) -> bool:
    """Whether sqlglot only wrapped the text as a Command (MySQL's ``REPLACE``, ``OPTIMIZE``):
    it read no tables from it. A Command of a DDL word stays DDL (no table access either way)."""
    return isinstance(statement, exp.Command) and _operation(statement) != "DDL"


def _first_word(text: str) -> str:
    m = _FIRST_WORD.match(text)
    return m.group(1).lower() if m else ""


def _parse(text: str, dialect: str) -> list[exp.Expr] | None:
    """The statements sqlglot reads from ``text``, or None when it cannot read them.

    Placeholders are tried as they are (``?``, a JDBC placeholder for sqlglot; ``?::int``
    needs a space before the cast), then as string literals ``'0'``, which sqlglot takes
    after INTERVAL / DATE where it reads ``?`` as the JSON ``?`` operator. (``$1``-style
    parameters are not used: sqlglot's postgres tokenizer fails on ``$1,$2`` and on
    ``f($1, $1)=$1``.)
    """
    variants = [text.replace("?::", "? ::")] if "?" in text else [text]
    if "?" in text:
        variants.append(text.replace("?", "'0'"))
    for variant in variants:
        try:
            with _quiet_sqlglot():
                return [s for s in sqlglot.parse(variant, read=dialect) if s is not None]
        except (SqlglotError, RecursionError, ValueError, TypeError, KeyError, AttributeError):
            # sqlglot signals unsupported syntax with its own errors and, for some inputs,
            # with built-in ones; the next variant or the token scan takes over.
            continue
    return None


def _combine(accesses: list[TableAccess]) -> TableAccess:
    if len(accesses) == 1:
        return accesses[0]
    operation = next((a.operation for a in accesses if a.operation != "OTHER"), "OTHER")
    return TableAccess(
        operation,
        frozenset().union(*(a.reads for a in accesses)),
        frozenset().union(*(a.writes for a in accesses)),
        frozenset().union(*(a.joins for a in accesses)),
        any(a.approximate for a in accesses),
        any(a.ddl for a in accesses),
    )


def _operation(node: exp.Expr) -> str:
    if isinstance(node, (exp.Select, exp.SetOperation, exp.Values, exp.Subquery)):
        return "SELECT"
    if isinstance(node, exp.Insert):
        return "INSERT"
    if isinstance(node, exp.Update):
        return "UPDATE"
    if isinstance(node, (exp.Delete, exp.TruncateTable)):
        return "DELETE"
    if isinstance(node, exp.Merge):
        return "MERGE"
    if isinstance(node, exp.Copy):
        return "COPY"
    if isinstance(node, _DDL_TYPES):
        return "DDL"
    if isinstance(node, exp.Command):
        return "DDL" if str(node.this).lower() in _DDL_WORDS else "OTHER"
    return "OTHER"


class _NodeIndex:
    """The nodes of a parse tree by type, from one breadth-first walk (as ``find_all`` walks)."""

    def __init__(self, root: exp.Expr):
        self._by_type: dict[type, list] = {}
        for node in root.bfs():
            self._by_type.setdefault(type(node), []).append(node)

    def all(self, *types: type) -> list:
        """The nodes that are instances of ``types``, in walk order within each type."""
        return [n for t, found in self._by_type.items() if issubclass(t, types) for n in found]


def _tree_access(root: exp.Expr, search_path: tuple[str, ...]) -> TableAccess:
    operation = _operation(root)
    if operation == "DDL":
        return TableAccess("DDL", ddl=True)
    if operation == "OTHER":
        return TableAccess("OTHER")

    nodes = _NodeIndex(root)  # one walk of the tree, instead of one per node type looked for
    ctes = {cte.alias_or_name.lower(): cte.this for cte in nodes.all(exp.CTE)}
    cte_names = set(ctes)

    def is_table(node: exp.Expression | None) -> TypeGuard[exp.Table]:
        return (
            isinstance(node, exp.Table)
            and isinstance(node.this, exp.Identifier)
            and not (not node.db and node.name.lower() in cte_names)
        )

    def name(table: exp.Table) -> str:
        return _table_name(table, search_path)

    targets, references = _written_tables(nodes)
    joins: set[tuple[str, str]] = set()
    for scope in _from_scopes(nodes):
        relations = [{name(t) for t in _base_tables(item, ctes) if is_table(t)} for item in scope if id(item) not in references]
        joins |= _pairs_across(relations)

    reads: set[str] = set()
    writes: set[str] = set()
    for table in nodes.all(exp.Table):
        if not is_table(table) or id(table) in references:
            continue
        (writes if id(table) in targets else reads).add(name(table))
    return TableAccess(operation, frozenset(reads), frozenset(writes), frozenset(joins))


def _written_tables(nodes: _NodeIndex) -> tuple[set[int], set[int]]:
    """(ids of the Table nodes written, ids of the Table nodes that only name another one).

    Written: the targets of INSERT / UPDATE / MERGE / TRUNCATE / ``SELECT ... INTO``, the
    tables a DELETE removes rows from (:func:`_delete_targets`), and the tables locked for
    update. References: lock targets (``FOR UPDATE OF a``) and the names MySQL's
    multi-table DELETE lists before FROM / USING, which are aliases or names of FROM
    items, never tables of their own.
    """
    targets: set[int] = set()
    references: set[int] = set()
    for node in nodes.all(exp.Insert, exp.Update, exp.Merge):
        targets.add(id(node.this.this if isinstance(node.this, exp.Schema) else node.this))
    for delete in nodes.all(exp.Delete):
        removed, named = _delete_targets(delete)
        targets.update(id(t) for t in removed)
        references.update(id(t) for t in named)
    for node in nodes.all(exp.TruncateTable):
        targets.update(id(t) for t in node.expressions)
    for node in nodes.all(exp.Into):
        targets.add(id(node.this))
    for select in nodes.all(exp.Select):
        for lock in select.args.get("locks") or []:
            references.update(id(t) for t in lock.expressions)
            targets.update(id(t) for t in _locked_for_update(select, lock))
    return targets, references


def _locked_for_update(select: exp.Select, lock: exp.Lock) -> list[exp.Expression]:
    """The FROM items of ``select`` a ``FOR UPDATE`` / ``FOR NO KEY UPDATE`` lock takes (``OF
    x`` names an alias or a table; without it, every one). Share locks take none: they are reads."""
    if not lock.args.get("update"):
        return []
    of = {t.name.lower() for t in lock.expressions if isinstance(t, exp.Table)}
    return [t for t in _tables_of(_select_scope(select)) if not of or t.alias_or_name.lower() in of or t.name.lower() in of]


def _delete_targets(delete: exp.Delete) -> tuple[list[exp.Expression], list[exp.Expression]]:
    """(the tables a DELETE removes rows from, the Table nodes that only name them).

    PostgreSQL, and MySQL's single-table form: the target. MySQL's multi-table forms name
    their targets by alias or name before the table references: ``DELETE a, b FROM t a JOIN
    u b ...`` (an alias or a name) and ``DELETE FROM a USING t a JOIN u ...`` (an alias);
    the named FROM / USING items are the targets. A name before FROM that matches no item
    (a modifier sqlglot took for a table: ``DELETE LOW_PRIORITY FROM t``) names nothing.
    """
    target = delete.this.this if isinstance(delete.this, exp.Schema) else delete.this
    listed: list[exp.Expression] = [t for t in delete.args.get("tables") or [] if isinstance(t, exp.Table)]
    using = _tables_of([t for u in delete.args.get("using") or [] for t in _from_items(u)])
    if listed:
        wanted = {t.name.lower() for t in listed}
        found = [t for t in _tables_of(_from_items(delete.this)) + using if t.alias_or_name.lower() in wanted or t.name.lower() in wanted]
        return (found, listed) if found else ([target], listed)
    if isinstance(target, exp.Table) and not target.alias and not target.db:
        aliased = [t for t in using if t.alias and t.alias.lower() == target.name.lower()]
        if aliased:
            return aliased, [target]
    return [target], []


def _table_name(table: exp.Table, search_path: tuple[str, ...]) -> str:
    name = table.name.lower()
    schema = table.db.lower()
    if not schema or schema in search_path:
        return name
    catalog = table.catalog.lower()
    return ".".join(p for p in (catalog, schema, name) if p)


def _from_items(item: exp.Expression | None) -> list[exp.Expression]:
    """The items of one FROM entry (tables, derived tables, LATERAL subqueries), flattening
    parenthesised joins and the joins attached to it."""
    if item is None:
        return []
    if isinstance(item, exp.Join):
        return _from_items(item.this)
    attached = [t for j in item.args.get("joins") or [] for t in _from_items(j)]
    if isinstance(item, exp.Subquery) and isinstance(item.this, exp.Table):
        return _from_items(item.this) + attached
    if isinstance(item, (exp.Table, exp.Subquery, exp.Lateral)):
        return [item] + attached
    return []


def _tables_of(items: list[exp.Expression]) -> list[exp.Expression]:
    return [t for t in items if isinstance(t, exp.Table)]


def _base_tables(item: exp.Expression, ctes: dict[str, exp.Expression], resolving: frozenset[str] = frozenset()) -> list[exp.Expression]:
    """The tables one FROM item's rows come from: a table itself; for a CTE reference, a
    derived table or a LATERAL subquery, the base tables of its query (:func:`_query_tables`).
    A CTE met again while it is being resolved (a recursive CTE's own name) adds nothing."""
    if isinstance(item, exp.Table):
        name = item.name.lower()
        if item.db or name not in ctes:
            return [item]
        return [] if name in resolving else _query_tables(ctes[name], ctes, resolving | {name})
    if isinstance(item, (exp.Subquery, exp.Lateral)):
        return _query_tables(item.this, ctes, resolving)
    return []


def _query_tables(query: exp.Expression, ctes: dict[str, exp.Expression], resolving: frozenset[str]) -> list[exp.Expression]:
    """The base tables a query's rows come from: the FROM items of a SELECT (resolved in turn),
    of each branch of a set operation, or the target of a data-modifying statement (``RETURNING``).
    Tables only filtering the rows (``WHERE x IN (SELECT ...)``) are not among them."""
    if isinstance(query, exp.Subquery):
        return _query_tables(query.this, ctes, resolving)
    if isinstance(query, exp.SetOperation):
        return _query_tables(query.this, ctes, resolving) + _query_tables(query.expression, ctes, resolving)
    if isinstance(query, exp.Select):
        return [t for item in _select_scope(query) for t in _base_tables(item, ctes, resolving)]
    if isinstance(query, (exp.Insert, exp.Update, exp.Delete)):
        return _tables_of([query.this.this if isinstance(query.this, exp.Schema) else query.this])
    return []


def _pairs_across(relations: list[set[str]]) -> set[tuple[str, str]]:
    """Sorted pairs of distinct tables taken from two different relations of one FROM clause."""
    pairs: set[tuple[str, str]] = set()
    for i, left in enumerate(relations):
        for right in relations[i + 1:]:
            pairs.update((a, b) if a < b else (b, a) for a in left for b in right if a != b)
    return pairs


def _select_scope(select: exp.Select) -> list[exp.Expression]:
    from_ = select.args.get("from_") or select.args.get("from")
    items = _from_items(from_.this) if from_ is not None else []
    for join in select.args.get("joins") or []:
        items += _from_items(join)
    return items


def _from_scopes(nodes: _NodeIndex) -> Iterator[list[exp.Expression]]:
    for select in nodes.all(exp.Select):
        yield _select_scope(select)
    for update in nodes.all(exp.Update):
        from_ = update.args.get("from_") or update.args.get("from")
        yield _from_items(update.this) + (_from_items(from_.this) if from_ is not None else [])
    for delete in nodes.all(exp.Delete):
        yield _from_items(delete.this) + [t for u in delete.args.get("using") or [] for t in _from_items(u)]
    for merge in nodes.all(exp.Merge):
        yield _from_items(merge.this) + _from_items(merge.args.get("using"))


def _copy_access(text: str, dialect: str, search_path: tuple[str, ...]) -> TableAccess:
    m = _COPY_TABLE.match(text)
    if m:
        table = _scanned_name(m.group("table"), search_path)
        if m.group("direction") == "from":
            return TableAccess("COPY", writes=frozenset({table}))
        return TableAccess("COPY", reads=frozenset({table}))
    q = _COPY_QUERY.match(text)
    if q:
        inner = table_access(q.group("query"), dialect, search_path)
        return TableAccess("COPY", inner.reads | inner.writes, frozenset(), inner.joins, inner.approximate)
    return TableAccess("COPY", approximate=True)


# --------------------------------------------------------------------------------------
# token scan (fallback)

_IDENT = r'(?:"[^"]*"|[^\W\d][\w$]*)'
_SCAN = re.compile(
    rf"(?P<before>\b[a-z_]+ )?(?P<kw>\b(?:from|join|into|update|table|using)) (?:only )?(?P<name>{_IDENT}(?:\.{_IDENT})?)(?P<call> ?\()?"
)
_CTE_NAME = re.compile(rf"(?:\bwith(?: recursive)?|,) ({_IDENT})(?: ?\([^()]*\))? as (?:(?:not )?materialized )?\(")
_MAIN_AFTER_CTE = re.compile(r"\) ?(select|insert|update|delete|merge)\b")
_TRUNCATE = re.compile(r"truncate (?:table )?((?:(?:only )?[^\s,]+(?:, )?)+)")
_NOT_TABLES = frozenset({"select", "lateral", "only", "values", "set", "where", "as", "on", "of", "nowait", "skip", "stdin", "stdout"})


def _scanned_name(raw: str, search_path: tuple[str, ...]) -> str:
    parts = [p[1:-1] if p.startswith('"') else p for p in re.findall(_IDENT, raw)]
    parts = [p.lower() for p in parts]
    if len(parts) > 1 and parts[-2] in search_path:
        return parts[-1]
    return ".".join(parts)


#: Words that can follow a table name and are not its alias.
_NOT_ALIASES = frozenset({
    "where", "on", "using", "join", "inner", "left", "right", "full", "outer", "cross", "natural", "straight_join",
    "set", "group", "order", "limit", "offset", "having", "window", "union", "except", "intersect", "for", "returning",
    "fetch", "select", "values", "default", "lock", "into", "with", "as", "do", "when", "then", "partition",
    "tablesample", "use", "force", "ignore", "only", "lateral", "and", "or", "not", "from", "update", "delete",
    "insert", "table", "of", "nowait", "skip", "procedure",
})
_ALIAS = re.compile(rf" (?:as )?(?P<alias>{_IDENT})(?! ?[.(])")
_DELETE_MODIFIERS = ("low_priority", "quick", "ignore")
#: MySQL's INSERT / REPLACE without INTO (``REPLACE t SELECT ...``): the target follows the verb.
_TARGET_WITHOUT_INTO = re.compile(rf"(?:insert|replace) (?:(?:low_priority|delayed|high_priority|ignore) )*(?!(?:into|low_priority|delayed|high_priority|ignore)\b)(?P<name>{_IDENT}(?:\.{_IDENT})?)")
_NAME_LIST = rf"{_IDENT}(?:\.{_IDENT})?(?:\.\*)?(?:, {_IDENT}(?:\.{_IDENT})?(?:\.\*)?)*"
_MULTI_DELETE = re.compile(
    rf"delete (?:(?:low_priority|quick|ignore) )*(?:(?!(?:from|low_priority|quick|ignore)\b)(?P<before_from>{_NAME_LIST}) from|from (?P<before_using>{_NAME_LIST}) using)\b"
)


@dataclass(frozen=True)
class _Scanned:
    """One table name the token scan found: as the statement means it (``table``), as written
    (lower case, unquoted: what an alias or a DELETE target list would repeat), whether its
    keyword writes it, and the alias declared after it."""

    table: str
    written_as: str
    write: bool
    alias: str | None


def _scan_tables(text: str, search_path: tuple[str, ...]) -> TableAccess:
    """Tables after FROM / JOIN / INTO / UPDATE / TABLE / USING, read from the tokens alone.

    An alias is never a table: a name that repeats an alias declared after another name
    (``DELETE FROM a USING t AS a``) stands for that table; MySQL's multi-table DELETE names
    its targets, by alias or name, before FROM.
    """
    word = _first_word(text)
    if word in _DDL_WORDS:
        return TableAccess("DDL", approximate=True, ddl=True)
    if word in _OTHER_WORDS:
        return TableAccess("OTHER", approximate=True)
    operation = {"select": "SELECT", "values": "SELECT", "table": "SELECT", "insert": "INSERT", "replace": "INSERT",
                 "update": "UPDATE", "delete": "DELETE", "truncate": "DELETE", "merge": "MERGE", "copy": "COPY"}.get(word, "OTHER")
    if word == "with":
        main = _MAIN_AFTER_CTE.search(text)
        operation = main.group(1).upper() if main else "SELECT"
    if word == "truncate":
        names = _TRUNCATE.match(text)
        writes_ = {_scanned_name(n, search_path) for n in re.findall(rf"{_IDENT}(?:\.{_IDENT})?", names.group(1))} if names else set()
        return TableAccess("DELETE", writes=frozenset(writes_ - {"only", "cascade", "restrict"}), approximate=True)
    items = _scanned_tables(text, search_path)
    aliases = {item.alias: item for item in items if item.alias}
    targets = _multi_delete_targets(text) if word == "delete" else set()
    written: set[int] = set()
    tables: list[_Scanned] = []
    for item in items:
        aliased = aliases.get(item.written_as) if item.alias is None else None
        if aliased is not None and aliased is not item:  # an alias, never a table
            if item.write:
                written.add(id(aliased))
            continue
        tables.append(item)
        if item.write or item.written_as in targets or (item.alias is not None and item.alias in targets):
            written.add(id(item))
    reads = {t.table for t in tables if id(t) not in written}
    writes = {t.table for t in tables if id(t) in written}
    return TableAccess(operation, frozenset(reads), frozenset(writes), frozenset(), approximate=True)


def _scanned_tables(text: str, search_path: tuple[str, ...]) -> list[_Scanned]:
    """Every name after FROM / JOIN / INTO / UPDATE / TABLE / USING that may be a table
    (functions, keywords, CTE names, row-lock clauses and ``CREATE TABLE``-like uses left out)."""
    ctes = {_scanned_name(n, ()) for n in _CTE_NAME.findall(text)}
    out = []
    if without_into := _TARGET_WITHOUT_INTO.match(text):
        raw = without_into.group("name")
        out.append(_Scanned(_scanned_name(raw, search_path), _scanned_name(raw, ()), True, None))
    for m in _SCAN.finditer(text):
        raw, kw, before = m.group("name"), m.group("kw"), (m.group("before") or "").strip()
        if (m.group("call") and kw in ("from", "join", "using")) or raw in _NOT_TABLES:  # f(...) is a function
            continue
        if kw == "update" and before in ("for", "key", "do"):
            continue
        if kw == "table" and before:  # only the statement ``TABLE t`` reads t
            continue
        table = _scanned_name(raw, search_path)
        if table in ctes:
            continue
        write = kw in ("into", "update") or (kw == "from" and before in ("delete", *_DELETE_MODIFIERS))
        out.append(_Scanned(table, _scanned_name(raw, ()), write, None if m.group("call") else _alias_after(text, m.end())))
    return out


def _alias_after(text: str, end: int) -> str | None:
    """The alias declared right after a table name ending at ``end`` (``t a``, ``t as a``), if any."""
    m = _ALIAS.match(text, end)
    if m is None or m.group("alias") in _NOT_ALIASES:
        return None
    return _scanned_name(m.group("alias"), ())


def _multi_delete_targets(text: str) -> set[str]:
    """The aliases or names MySQL's multi-table DELETE lists before its table references
    (``DELETE a, b FROM ...``, ``DELETE FROM a, b USING ...``), lower case; empty otherwise."""
    m = _MULTI_DELETE.match(text)
    if m is None:
        return set()
    names = re.findall(rf"{_IDENT}(?:\.{_IDENT})?", m.group("before_from") or m.group("before_using"))
    return {_scanned_name(n, ()) for n in names}
