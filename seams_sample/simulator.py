"""The machinery of the SYNTHETIC workload: jobs, spans, statements and log events.

A :class:`Job` is one unit of work (a web request, a consumed message, a scheduled job) on
one database connection; it carries a time cursor, its sampling decision and the open
spans. :class:`Simulator` turns what a job does into

- spans (:class:`Span`): INTERNAL spans per code call (``code.namespace``,
  ``code.function``), db CLIENT spans per statement (``db.statement`` with the literal SQL),
  PRODUCER spans per published message — only when the job is sampled and the code's
  context is traced;
- PostgreSQL log events (:class:`LogEvent`): ``duration: ... statement:`` for the simple
  protocol, ``parse``/``bind``/``execute`` with ``DETAIL: parameters`` for the extended
  protocol, ``ERROR``/``DETAIL``/``STATEMENT`` for failures; statements carry a
  sqlcommenter comment whose ``traceparent`` names the statement's db span.

Connection pools (:class:`ConnectionPool`) give each job a backend pid; pids come and go with
``connection received``/``authorized`` and ``disconnection`` lines.
"""

from __future__ import annotations

import bisect
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from seams_sample import world

KIND = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}
NS_PER_MS = 1_000_000

SCOPES = {
    "django": ("opentelemetry.instrumentation.django", "0.45b0"),
    "psycopg": ("opentelemetry.instrumentation.psycopg2", "0.45b0"),
    "app": ("shopfront", "2026.10"),
    "pika": ("opentelemetry.instrumentation.pika", "0.45b0"),
    "requests": ("opentelemetry.instrumentation.requests", "0.45b0"),
}


@dataclass(slots=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: int
    service: str
    scope: str
    start: int
    end: int = 0
    attrs: list = field(default_factory=list)
    status: int = 0
    status_message: str = ""
    links: tuple = ()
    context: str | None = None  # the code context that ran it (for the facts only)


@dataclass(slots=True)
class LogEvent:
    ts: int                         # ns since the epoch
    seq: int
    pid: int
    session: str | None             # "user@db", "[unknown]@[unknown]" or None (background process)
    entries: tuple                  # ((severity, message), ...); messages may hold newlines


@dataclass
class Job:
    service: str
    user: str
    pid: int
    sampled: bool
    trace_id: str | None
    t: int
    comment: str | None             # "full", "tags", "trace" or None
    tags: dict | None = None
    parent: str | None = None       # remote parent span id (consumers in the same trace)
    stack: list = field(default_factory=list)
    ctxs: list = field(default_factory=list)
    notified: bool = False


@dataclass
class WorkloadFacts:
    start: str = ""
    end: str = ""
    executions: int = 0
    simple: int = 0
    extended: int = 0
    errors: int = 0
    multi_line: int = 0
    with_traceparent: int = 0
    traced_context_executions: int = 0
    traced_context_commented: int = 0
    spans: int = 0
    spans_by_kind: Counter = field(default_factory=Counter)
    writers: dict = field(default_factory=lambda: defaultdict(set))
    roots_by_context: Counter = field(default_factory=Counter)
    notifying_roots_by_context: Counter = field(default_factory=Counter)
    notification_consumers: int = 0
    consumers: int = 0
    self_time_ms: dict = field(default_factory=dict)
    ingestion_peak_to_median: float = 0.0
    ingestion_correlation: float = 0.0
    ingestion_to_analytics: float = 0.0
    secrets_planted: Counter = field(default_factory=Counter)
    sync_calls: Counter = field(default_factory=Counter)        # (caller, callee) INTERNAL calls
    orphan_consumers: int = 0                                   # CONSUMER spans with no parent and no link


# ------------------------------------------------------------------------------------
# connection pools (pids come and go)


class ConnectionPool:
    """Backend processes of one database user: each slot's pid lives a few hours."""

    def __init__(self, sim: Simulator, user: str, app: str, hosts: tuple[str, ...], size: int,
                 life_h: tuple[float, float]):
        self.segments: list[list[tuple[int, int, int]]] = []
        rng = sim.rng
        for slot in range(size):
            segs = []
            t = sim.start - int(rng.uniform(0, life_h[1]) * 3600e9)
            host = hosts[slot % len(hosts)]
            while t < sim.end:
                life = int(rng.uniform(*life_h) * 3600e9)
                pid = sim.new_pid()
                port = rng.randint(32768, 60999)
                if t >= sim.start:
                    sim.emit(t, pid, "[unknown]@[unknown]", ("LOG", f"connection received: host={host} port={port}"))
                    sim.emit(t + rng.randint(2, 9) * 1_000_000, pid, f"{user}@shopfront",
                             ("LOG", f"connection authorized: user={user} database=shopfront application_name={app}"))
                stop = t + life
                if sim.start <= stop < sim.end:
                    sess = life // 1_000_000
                    h, rest = divmod(sess, 3_600_000)
                    m, rest = divmod(rest, 60_000)
                    s, ms = divmod(rest, 1000)
                    sim.emit(stop, pid, f"{user}@shopfront",
                             ("LOG", f"disconnection: session time: {h}:{m:02d}:{s:02d}.{ms:03d} user={user} "
                                     f"database=shopfront host={host} port={port}"))
                segs.append((t, stop, pid))
                t = stop + rng.randint(1, 50) * 1_000_000
            self.segments.append(segs)
        self.starts = [[s[0] for s in segs] for segs in self.segments]

    def pid(self, rng: random.Random, t: int) -> int:
        slot = rng.randrange(len(self.segments))
        i = bisect.bisect_right(self.starts[slot], t) - 1
        return self.segments[slot][max(i, 0)][2]


# ------------------------------------------------------------------------------------
# the simulator: spans, statements, log events


class _Scope:
    __slots__ = ("sim", "job", "span", "ctx")

    def __init__(self, sim: Simulator, job: Job, span: Span | None, ctx: str | None):
        self.sim, self.job, self.span, self.ctx = sim, job, span, ctx

    def __enter__(self) -> Span | None:
        return self.span

    def __exit__(self, *exc) -> Literal[False]:
        if self.span is not None:
            self.span.end = self.job.t
            self.job.stack.pop()
            self.sim.spans.append(self.span)
        if self.ctx is not None:
            self.job.ctxs.pop()
        return False


class Simulator:
    def __init__(self, rng: random.Random, start: int, end: int):
        self.rng = rng
        self.start = start
        self.end = end
        self.spans: list[Span] = []
        self.log: list[LogEvent] = []
        self.seq = 0
        self._pid = 40_000
        self.facts = WorkloadFacts()
        self.pending: list[tuple] = []
        self.pools: dict[str, ConnectionPool] = {}

    # ---- ids, time, log ----------------------------------------------------------------
    def new_pid(self) -> int:
        self._pid += self.rng.randint(3, 60)
        return self._pid

    def trace_id(self) -> str:
        return f"{self.rng.getrandbits(128) | 1:032x}"

    def span_id(self) -> str:
        return f"{self.rng.getrandbits(64) | 1:016x}"

    def ms(self, lo: float, hi: float) -> int:
        """A log-uniform duration between ``lo`` and ``hi`` milliseconds, in ns."""
        return int(lo * (hi / lo) ** self.rng.random() * NS_PER_MS)

    def emit(self, ts: int, pid: int, session: str | None, *entries: tuple[str, str]) -> None:
        self.seq += 1
        self.log.append(LogEvent(ts, self.seq, pid, session, entries))

    def work(self, job: Job, lo: float, hi: float) -> None:
        job.t += self.ms(lo, hi)

    # ---- spans ---------------------------------------------------------------------------
    def _parent(self, job: Job) -> str | None:
        return job.stack[-1].span_id if job.stack else job.parent

    def span(self, job: Job, name: str, kind: str, scope: str, attrs: list, ctx: str | None = None,
             links: tuple = ()) -> _Scope:
        span = None
        if job.sampled and (ctx is None or ctx not in world.UNTRACED):
            assert job.trace_id is not None  # a sampled job has a trace
            span = Span(job.trace_id, self.span_id(), self._parent(job), name, KIND[kind], job.service, scope,
                        job.t, attrs=attrs, links=links, context=ctx or (job.ctxs[-1] if job.ctxs else None))
            job.stack.append(span)
        if ctx is not None:
            job.ctxs.append(ctx)
        return _Scope(self, job, span, ctx)

    def internal(self, job: Job, ctx: str, module: str, function: str) -> _Scope:
        attrs = [("code.namespace", f"{world.PACKAGE}.{ctx}.{module}"), ("code.function", function)]
        return self.span(job, f"{ctx}.{function}", "INTERNAL", "app", attrs, ctx)

    # ---- statements ----------------------------------------------------------------------
    def query(self, job: Job, sql: str, params: tuple = (), *, lo: float = 0.06, hi: float = 1.5,
              error: tuple | None = None) -> None:
        """Run one statement: a db span when sampled, log events always.

        ``params`` given means the extended protocol (parse/bind/execute with $n in the text);
        ``error`` = (message, detail lines, extra entries) makes the statement fail.
        Transaction control (BEGIN, COMMIT, ROLLBACK) is sent by the driver itself: no span,
        no sqlcommenter comment.
        """
        rng = self.rng
        facts = self.facts
        ctx = job.ctxs[-1] if job.ctxs else None
        job.t += rng.randint(15_000, 120_000)
        t0 = job.t
        ext = bool(params)
        parse = self.ms(0.01, 0.12) if ext else 0
        bind = self.ms(0.008, 0.06) if ext else 0
        dur = self.ms(lo, hi)
        t_end = t0 + parse + bind + dur
        span = None
        control = sql in ("BEGIN", "COMMIT", "ROLLBACK")
        if job.sampled and job.stack and not control:
            assert job.trace_id is not None  # a sampled job has a trace
            op = sql.split(None, 1)[0].upper()
            attrs = [("db.system", "postgresql"), ("db.name", "shopfront"), ("db.user", job.user),
                     ("db.statement", sql), ("net.peer.name", "db.shopfront.internal"), ("net.peer.port", 5432)]
            span = Span(job.trace_id, self.span_id(), self._parent(job), f"{op} shopfront", KIND["CLIENT"],
                        job.service, "psycopg", t0, t_end, attrs, context=ctx)
            if error:
                span.status = 2
                span.status_message = error[0]
            self.spans.append(span)
        text = sql if control else sql + self._comment(job, span)
        session = f"{job.user}@shopfront"
        job.t = t_end
        # the log: one record per protocol message, at the moment it finished
        if error:
            message, details, extra = error
            entries = [("ERROR", message)] + [("DETAIL", d) for d in details] + list(extra) + [("STATEMENT", text)]
            self.emit(t_end, job.pid, session, *entries)
            facts.errors += 1
            return
        detail = ("DETAIL", "parameters: " + ", ".join(f"${i} = {_pg_param(v)}" for i, v in enumerate(params, 1)))
        if ext:
            self.emit(t0 + parse, job.pid, session, ("LOG", f"duration: {parse / 1e6:.3f} ms  parse <unnamed>: {text}"))
            self.emit(t0 + parse + bind, job.pid, session,
                      ("LOG", f"duration: {bind / 1e6:.3f} ms  bind <unnamed>: {text}"), detail)
            self.emit(t_end, job.pid, session, ("LOG", f"duration: {dur / 1e6:.3f} ms  execute <unnamed>: {text}"), detail)
            facts.extended += 1
        else:
            self.emit(t_end, job.pid, session, ("LOG", f"duration: {dur / 1e6:.3f} ms  statement: {text}"))
            facts.simple += 1
        facts.executions += 1
        if "\n" in sql:
            facts.multi_line += 1
        if span is not None and job.comment in ("full", "trace"):
            facts.with_traceparent += 1
        if ctx is not None and ctx not in world.UNTRACED:
            facts.traced_context_executions += 1
            if text != sql:
                facts.traced_context_commented += 1
        m = _WRITE.match(sql)
        if m:
            facts.writers[m.group(1)].add(ctx or "(none)")

    def _comment(self, job: Job, span: Span | None) -> str:
        if job.comment is None:
            return ""
        tags = dict(job.tags or {})
        if job.comment in ("full", "trace"):
            if span is None:
                return ""
            tags["traceparent"] = f"00-{span.trace_id}-{span.span_id}-01"
        if not tags:
            return ""
        body = ",".join(f"{k}='{_quote(str(v))}'" for k, v in sorted(tags.items()))
        return f" /*{body}*/"

    # ---- messaging -----------------------------------------------------------------------
    def publish(self, job: Job, destination: str) -> Span | None:
        attrs = [("messaging.system", "rabbitmq"), ("messaging.destination.name", destination),
                 ("messaging.operation", "publish")]
        with self.span(job, f"{destination} publish", "PRODUCER", "pika", attrs) as span:
            self.work(job, 0.08, 0.6)
        return span


_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+([a-z_]+)", re.I)


def _quote(value: str) -> str:
    """URL-encode a sqlcommenter value the way google/sqlcommenter does (urllib's quote)."""
    return quote(value, safe="/").replace("'", "\\'")


def _pg_param(value) -> str:
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"
