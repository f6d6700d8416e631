"""PostgreSQL's ``log_line_prefix``: the regex of a prefix, and the prefix of a log inferred
from its first lines.

:func:`prefix_pattern` turns a prefix into the regex of one log line (prefix, severity,
message). User and database names are read without spaces, so text a prefix does not
name (`` app=web`` after ``%u@%d``) is never folded into them: such a line does not match.

:func:`infer_prefix` finds the prefix when none is configured. It scores candidates on
the first :data:`INFER_LINES` lines that start a message: the common prefixes
(:data:`COMMON_PREFIXES`, PostgreSQL's and pgbadger's defaults, Debian's, RDS's), and the
shapes read from the lines themselves, where the text before the severity is read piece by
piece (:func:`prefix_of_head`): ``%m`` / ``%t`` / ``%n`` times, ``[%p]``, ``[%l-1]``, other
bracketed numbers, ``user@db`` (``%u@%d``), ``key=value`` fields named the usual ways
(``user=``/``usr=`` ``%u``, ``db=`` ``%d``, ``app=``/``appli=`` ``%a``, ``client=``/``host=``
``%h``, ``[queryid=%Q]``, ``sql_error_code = %e``, ...), IP addresses (``%h``), and the
punctuation between them. Each shape whose session fields (``%u``, ``%d``, ``%a``, ``%h``,
``%r``) come last is also tried with ``%q`` before them: processes that are no session (checkpointer,
autovacuum) print none after it, and the first lines may show no such process. The candidate matching the most lines wins;
among equals, the one naming the most fields, then one read from the lines, then one with
``%q`` unless a line prints its session fields empty (the server prints them for every
process), then the longest. When none matches a line,
:class:`~analysis.core.errors.SourceError` lists every candidate tried.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analysis.core.errors import SourceError
from analysis.core.privacy import Masked
from analysis.sources.sql.formats import masked_line
from analysis.sources.sql.formats.postgres_messages import SEVERITIES

#: Lines that start a message, looked at by :func:`infer_prefix`.
INFER_LINES = 200

_TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
_TZ = r"(?: (?P<tz>[A-Za-z][A-Za-z0-9_/]*|[+-]\d\d(?::?\d\d)?))?"
# escape -> (regex, group name or None); text fields are lazy so the literal after them decides
_ESCAPES: dict[str, tuple[str, str | None]] = {
    "m": (rf"(?P<ts>{_TS}\.\d+){_TZ}", "ts"),
    "t": (rf"(?P<ts>{_TS}){_TZ}", "ts"),
    "n": (r"(?P<epoch>\d+(?:\.\d+)?)", "epoch"),
    "s": (rf"{_TS}(?: [A-Za-z][A-Za-z0-9_/]*|[+-]\d\d(?::?\d\d)?)?", None),
    "p": (r"(?P<pid>\d+)", "pid"),
    "P": (r"\d*", None),
    "u": (r"(?P<user>\S*?)", "user"),  # no space: text the prefix does not name is never taken for a name
    "d": (r"(?P<database>\S*?)", "database"),
    "a": (r"(?P<application>.*?)", "application"),
    "h": (r"\S*?", None),
    "r": (r"\S*?", None),
    "b": (r".*?", None),
    "i": (r".*?", None),
    "l": (r"\d+", None),
    "c": (r"[0-9a-fA-F]+\.[0-9a-fA-F]+", None),
    "v": (r"(?:\d+/\d+)?", None),
    "x": (r"\d+", None),
    "e": (r"[0-9A-Z]{5}", None),
    "Q": (r"-?\d+", None),
}
_MESSAGE = r"(?P<severity>" + "|".join(SEVERITIES) + r"):\s+(?P<message>.*)"


def prefix_pattern(log_line_prefix: str, source: str = "<log_line_prefix>") -> re.Pattern:
    """A regex for one log line: ``log_line_prefix``, then ``SEVERITY:  message``.

    Escapes read: ``%m %t %n %s`` (timestamps), ``%p %P`` (process ids), ``%u`` (user),
    ``%d`` (database), ``%a`` (application), ``%h %r %b %i`` (host, host(port), backend
    type, command tag), ``%l %c %v %x %e %Q`` (line, session, transaction ids, SQLSTATE,
    query id), ``%%``, and ``%q``: what follows it only appears for session processes, so
    the rest of the prefix is optional. Padding (``%-10u``) is accepted. Unknown escapes
    raise :class:`SourceError`.
    """
    parts: list[str] = []
    optional_from: int | None = None
    seen: set[str] = set()
    i = 0
    while i < len(log_line_prefix):
        c = log_line_prefix[i]
        if c != "%":
            parts.append(re.escape(c))
            i += 1
            continue
        m = re.match(r"%(-?\d+)?(.)", log_line_prefix[i:])
        if m is None:
            raise SourceError(source, f"log_line_prefix '{log_line_prefix}' ends with a lone '%'")
        padding, esc = m.groups()
        i += m.end()
        if esc == "%":
            parts.append("%")
        elif esc == "q":
            optional_from = len(parts) if optional_from is None else optional_from
        elif esc in _ESCAPES:
            regex, group = _ESCAPES[esc]
            if group is not None:
                if group in seen:  # a field printed twice: capture it once
                    regex = re.sub(r"\(\?P<\w+>", "(?:", regex)
                seen.add(group)
                if esc in "mt":
                    seen.add("tz")
            parts.append(rf"\s*{regex}\s*" if padding else regex)
        else:
            raise SourceError(source, f"log_line_prefix '{log_line_prefix}' has the unknown escape %{esc}")
    if optional_from is not None:
        parts[optional_from:] = ["(?:" + "".join(parts[optional_from:]) + ")?"]
    return re.compile("".join(parts) + _MESSAGE, re.S)




#: Prefixes in common use, tried first by :func:`infer_prefix`.
COMMON_PREFIXES = (
    "%m [%p] ",  # PostgreSQL's default since 10
    "%m [%p] %q%u@%d ",  # Debian's and Ubuntu's packages
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",  # pgbadger's recommendation
    "%t [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: [%l-1] user=%u,db=%d ",
    "%m [%p] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p] %q%u@%d app=%a ",
    "%t:%r:%u@%d:[%p]:",  # Amazon RDS
    "%m:%r:%u@%d:[%p]:",
    "%t [%p]: [%l-1] ",
    "%m [%p]: [%l-1] ",
    "%t [%p] ",
    "%t [%p]: ",
    "%n [%p] ",
)

SEVERITY_AT = re.compile(r"\b(?:" + "|".join(SEVERITIES) + r"):\s")
#: Names of ``key=value`` fields and the escape each stands for.
_FIELD_KEYS = {
    **dict.fromkeys(("user", "usr", "u", "username", "user_name", "role"), "%u"),
    **dict.fromkeys(("db", "database", "dbname", "database_name", "d"), "%d"),
    **dict.fromkeys(("app", "appli", "application", "application_name", "appname", "a"), "%a"),
    **dict.fromkeys(("client", "host", "remote", "remote_host", "client_addr", "client_host", "h"), "%h"),
    **dict.fromkeys(("pid", "p"), "%p"),
    **dict.fromkeys(("session", "sess", "session_id", "c"), "%c"),
    **dict.fromkeys(("line", "l", "session_line", "line_num"), "%l"),
    **dict.fromkeys(("xid", "tx", "txid", "x"), "%x"),
    **dict.fromkeys(("vxid", "v"), "%v"),
    **dict.fromkeys(("queryid", "query_id", "qid", "q"), "%Q"),
    **dict.fromkeys(("sqlstate", "sql_state", "state", "sql_error_code", "e"), "%e"),
    **dict.fromkeys(("backend", "backend_type", "b"), "%b"),
    **dict.fromkeys(("tag", "command_tag", "i"), "%i"),
}
_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?(?: (?:[A-Za-z][A-Za-z0-9_/]*|[+-]\d\d(?::?\d\d)?)(?![\w-]))?")
_EPOCH = re.compile(r"\d{9,10}\.\d+(?![\d.])")
_BRACKETED_NUMBER = re.compile(r"\[\d+\]")
_LINE_NUMBER = re.compile(r"\[\d+-\d+\]")
_BRACKETED_FIELD = re.compile(r"\[([A-Za-z_]+)=[^\]]*\]")
_FIELD = re.compile(r"([A-Za-z_]+)( ?= ?)[^,\s]*")
_USER_AT_DB = re.compile(r"[^\s@\[\]:,=]*@[^\s@\[\]:,=]*")
_ADDRESS = re.compile(r"(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[local\])(?:\(\d+\))?(?=[\s:,\]])")
_PUNCTUATION = frozenset(" :,[]()-|/<>")


def prefix_of_head(head: str) -> str | None:
    """The ``log_line_prefix`` that prints ``head`` (a line's text before its severity), read
    piece by piece (see the module docstring); None when a piece is none of those."""
    out: list[str] = []
    i, pid_seen = 0, False
    while i < len(head):
        if (m := _STAMP.match(head, i)) is not None:
            out.append("%m" if m.group(1) else "%t")
        elif (m := _EPOCH.match(head, i)) is not None:
            out.append("%n")
        elif (m := _LINE_NUMBER.match(head, i)) is not None:
            out.append("[%l-1]")
        elif (m := _BRACKETED_NUMBER.match(head, i)) is not None:
            out.append("[%x]" if pid_seen else "[%p]")
            pid_seen = True
        elif (m := _BRACKETED_FIELD.match(head, i)) is not None:
            escape = _FIELD_KEYS.get(m.group(1).lower())
            if escape is None:
                return None
            out.append(f"[{m.group(1)}={escape}]")
        elif (m := _FIELD.match(head, i)) is not None and head[m.end():m.end() + 1] in ("", ",", " "):
            escape = _FIELD_KEYS.get(m.group(1).lower())
            if escape is None:
                return None
            out.append(f"{m.group(1)}{m.group(2)}{escape}")
        elif (m := _USER_AT_DB.match(head, i)) is not None and "@" in m.group():
            out.append("%u@%d")
        elif (m := _ADDRESS.match(head, i)) is not None and m.group():
            out.append("%h")
        elif head[i] in _PUNCTUATION:
            out.append(head[i])
            i += 1
            continue
        else:
            return None
        i = m.end()
    return "".join(out)


def infer_prefix(lines: Iterable[str], source: str, front: str = "") -> str:
    """The ``log_line_prefix`` of a log from its first lines (rules in the module docstring).

    ``front``: what a wrapper put before every line (the syslog reader's ``%t [%p] ``); the
    common prefixes are tried after it. Raises :class:`SourceError` listing the candidates
    when none matches a line.
    """
    sample = _message_lines(lines)
    shapes: list[str] = []
    for line in sample:
        at = SEVERITY_AT.search(line)
        if at is None:
            continue
        shape = prefix_of_head(line[: at.start()])
        if shape is not None and shape not in shapes:
            shapes.append(shape)
    for shape in list(shapes):  # background processes print no session fields with %q before them
        session = _SESSION_FIELD.search(shape)
        if session is not None and "%q" not in shape and not _PROCESS_FIELD.search(shape, session.start()):
            shapes.append(shape[: session.start()] + "%q" + shape[session.start():])
    candidates = list(dict.fromkeys([*shapes, *(front + p for p in COMMON_PREFIXES)]))
    best, best_key = None, (0, 0, False, 0, 0)
    for candidate in candidates:
        read_from_lines = candidate in shapes
        # %q is preferred unless a line prints the session fields empty (then the server
        # prints them for every process): both read the same lines
        q_rank = 0
        if "%q" in candidate:
            plain = prefix_pattern(candidate.replace("%q", ""), source)
            q_rank = -1 if any(_empty_session(plain, line) for line in sample) else 1
        try:
            pattern = prefix_pattern(candidate, source)
            if "%q" in candidate and not any(_clean_match(prefix_pattern(candidate.replace("%q", ""), source), line) for line in sample):
                # no line shows the fields after %q: they are not evidence, the part before is the candidate
                candidate = candidate[: candidate.index("%q")]
                pattern = prefix_pattern(candidate, source)
        except SourceError:
            continue
        matched = sum(1 for line in sample if _clean_match(pattern, line))
        key = (matched, candidate.count("%") - candidate.count("%%") - candidate.count("%q"), read_from_lines, q_rank,
               len(candidate))
        if matched and key > best_key:
            best, best_key = candidate, key
    if best is None:
        first = sample[0] if sample else ""
        tried = ", ".join(f"'{c}'" for c in candidates)
        raise SourceError(source, Masked(f"log_line_prefix cannot be inferred: none of these fits the first lines: {tried}; "
                          f"first line: '{masked_line(first[:120])}'; set sources.sql[].log_line_prefix"))
    return best


def _message_lines(lines: Iterable[str]) -> list[str]:
    """The first :data:`INFER_LINES` non-empty lines that do not continue a message."""
    out = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line or line[0] in " \t":
            continue
        out.append(line)
        if len(out) >= INFER_LINES:
            break
    return out


def refuse_unfit_prefix(lines: Iterable[str], prefix: str, source: str, front: str = "") -> None:
    """Raise :class:`SourceError` when a configured ``prefix`` reads fewer than half of the
    first messages and another prefix reads more of them: text the prefix does not name
    would make most lines rejects, and the error says which prefix fits."""
    sample = [line for line in _message_lines(lines) if SEVERITY_AT.search(line)]
    if not sample:
        return
    pattern = prefix_pattern(prefix, source)
    fit = sum(1 for line in sample if _clean_match(pattern, line))
    if fit * 2 >= len(sample):
        return
    try:
        better = infer_prefix(sample, source, front)
    except SourceError:
        return
    better_fit = sum(1 for line in sample if _clean_match(prefix_pattern(better, source), line))
    if better_fit > fit:
        shown = prefix[len(front):] if prefix.startswith(front) else prefix
        fits = better[len(front):] if better.startswith(front) else better
        raise SourceError(source, Masked(f"log_line_prefix '{shown}' reads {fit} of the first {len(sample)} messages, "
                          f"'{fits}' reads {better_fit}: set log_line_prefix to the server's, or leave it out to infer it; "
                          f"first line: '{masked_line(sample[0][:120])}'"))


def folds_fields(application: str) -> bool:
    """Whether an application name read by ``%a`` holds fields the prefix does not name
    (`` client=10.0.0.1``, ``,host=db``): the prefix is shorter than the server's."""
    return _FOLDED_FIELD.search(application) is not None


def _empty_session(pattern: re.Pattern, line: str) -> bool:
    """Whether ``pattern`` reads ``line`` with its user and database empty."""
    m = pattern.match(line)
    return m is not None and not m.groupdict().get("user") and not m.groupdict().get("database")


#: Fields every process prints: a shape with one after its session fields gets no ``%q``.
_PROCESS_FIELD = re.compile(r"%[mtnpl]")
#: Where the session fields of a shape start (``user=%u``, ``%u@%d``, ``db=%d``, ``app=%a``, ...).
_SESSION_FIELD = re.compile(r"(?:\w+ ?= ?)?%[udahr]")


def _clean_match(pattern: re.Pattern, line: str) -> bool:
    """Whether ``pattern`` reads ``line`` without folding other fields into the application."""
    m = pattern.match(line)
    if m is None:
        return False
    app = m.groupdict().get("application")
    return not app or not folds_fields(app)


_FOLDED_FIELD = re.compile(r"[\s,]\w+=")
