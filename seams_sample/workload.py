"""Simulated production traffic of the SYNTHETIC shop: spans and database log events.

One seeded simulation produces both the OTLP spans (:mod:`seams_sample.otlp_traces`)
and the PostgreSQL log (:mod:`seams_sample.postgres_log`), so a statement's
sqlcommenter ``traceparent`` names the db CLIENT span that issued it (same statement,
same end time to the millisecond).

What is simulated (times in UTC, the last ``days`` days up to HISTORY_END):

- web requests (``shopfront-web``) on a diurnal curve peaking between 10:00 and 20:00,
  each running the code of its context: INTERNAL spans per service call (code namespace
  and function), db CLIENT spans per statement, synchronous calls into other contexts;
  the root decides sampling (:data:`WEB_SAMPLE_RATE`); unsampled requests leave no spans
  and no sqlcommenter comment;
- search and shipping run without spans (their routes are excluded from tracing):
  shipping's statements carry sqlcommenter controller/route tags only, search's none;
- notifications is called synchronously by most contexts (INTERNAL spans under theirs)
  and asynchronously through the outbox: the worker's CONSUMER spans start new traces,
  with neither parent nor link;
- ingestion (``shopfront-ingest``) polls feeds every few minutes and imports supplier
  batches each night between 01:00 and 03:00 (CONSUMER spans linked to the scheduler's
  PRODUCER spans, seconds of self time each);
- database housekeeping: health checks, a DBA's queries, connections coming and going,
  checkpoints, autovacuum; a few dozen statements fail (unique and check violations,
  deadlocks, statement timeouts).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass

from seams_sample import world
from seams_sample.shop import Shop
from seams_sample.simulator import KIND, ConnectionPool, LogEvent, Simulator, Span, WorkloadFacts
from seams_sample.world import HISTORY_END

#: Days of traffic per scale.
PERIOD_DAYS: dict[str, int] = {"small": 2, "full": 7}
#: Web requests per minute at the daily peak, per scale.
PEAK_REQUESTS_PER_MINUTE: dict[str, float] = {"small": 3.0, "full": 9.0}
#: Nightly supplier batches per night, per scale.
NIGHTLY_BATCHES: dict[str, int] = {"small": 120, "full": 110}
#: Seconds between ingestion feed polls (the daytime trickle).
POLL_EVERY_S = 240
#: Seconds between monitoring health checks.
HEALTH_CHECK_EVERY_S = 60


@dataclass
class Workload:
    spans: list[Span]
    log: list[LogEvent]
    facts: WorkloadFacts


# ------------------------------------------------------------------------------------
# running a period


_WEB_WEIGHTS: dict[str, float] = {
    "accounts.me": 4, "accounts.login": 3, "accounts.signup": 0.8, "accounts.update_address": 0.8,
    "catalog.product_detail": 8, "catalog.category_products": 4, "catalog.update_product": 1.0,
    "search.search_products": 70, "search.suggest": 200,
    "inventory.stock_level": 4, "inventory.adjust_stock": 1.5,
    "orders.detail": 4, "orders.order_list": 3, "orders.checkout": 3, "orders.cancel": 0.5,
    "shipping.track": 10, "shipping.create_shipment": 0.8,
    "billing.create_invoice": 4, "billing.invoice_detail": 3, "billing.pay": 3,
    "notifications.inbox": 1.5,
    "analytics.daily_report": 2, "analytics.export": 1.5,
}


def diurnal(hour: float) -> float:
    """Relative web traffic at an hour of the day (UTC): quiet at night, high 10:00-20:00."""
    return 0.05 + 0.95 * math.exp(-0.5 * ((hour - 15.0) / 3.3) ** 2)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def simulate(seed: int, scale: str) -> Workload:
    """The whole period's spans and log events for ``seed`` and ``scale``."""
    rng = random.Random(f"shopfront/{seed}/workload")
    end = int(HISTORY_END.timestamp()) * 10**9
    start = end - PERIOD_DAYS[scale] * 86_400 * 10**9
    sim = Simulator(rng, start, end)
    sim.pools = {
        "web": ConnectionPool(sim, "shopfront_web", "shopfront-web", ("10.0.1.11", "10.0.1.12", "10.0.1.13"), 18, (1.0, 8.0)),
        "worker": ConnectionPool(sim, "shopfront_worker", "shopfront-worker", ("10.0.2.21", "10.0.2.22"), 6, (2.0, 12.0)),
        "ingest": ConnectionPool(sim, "shopfront_ingest", "shopfront-ingest", ("10.0.3.31",), 3, (6.0, 30.0)),
        "monitor": ConnectionPool(sim, "monitor", "pg_monitor", ("10.0.9.2",), 1, (12.0, 48.0)),
    }
    shop = Shop(sim)
    endpoints = {f"{e.context}.{e.view}": e for e in world.ENDPOINTS}
    names = list(_WEB_WEIGHTS)
    cum = []
    acc = 0.0
    for n in names:
        acc += _WEB_WEIGHTS[n]
        cum.append(acc)
    peak = PEAK_REQUESTS_PER_MINUTE[scale]

    minute = start
    while minute < end:
        moment = dt.datetime.fromtimestamp(minute / 1e9, tz=dt.UTC)
        weekend = 0.75 if moment.weekday() >= 5 else 1.0
        lam = peak * diurnal(moment.hour + moment.minute / 60) * weekend
        for _ in range(_poisson(rng, lam)):
            t = minute + rng.randrange(60 * 10**9)
            ep = endpoints[names[bisect.bisect_left(cum, rng.random() * acc)]]
            shop.web_request(t, ep)
        minute += 60 * 10**9

    # the ingest tier: polls all day, the nightly import between 01:00 and 03:00
    t = start + rng.randrange(POLL_EVERY_S * 10**9)
    while t < end:
        shop.poll_feeds(t)
        t += int(rng.uniform(0.8, 1.2) * POLL_EVERY_S * 10**9)
    day = dt.datetime.fromtimestamp(start / 1e9, tz=dt.UTC).date()
    while True:
        base = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) * 10**9
        sched = base + 3600 * 10**9 - 30 * 10**9
        if sched >= end:
            break
        if sched >= start:
            shop.nightly_import(sched + rng.randrange(10**9), NIGHTLY_BATCHES[scale])
        report = base + (4 * 3600 + 10 * 60) * 10**9
        if start <= report < end:
            shop.nightly_report(report)
        day += dt.timedelta(days=1)

    # celery beat
    for every_s, job in ((180, shop.expire_sessions), (600, shop.abandon_carts)):
        t = start + rng.randrange(every_s * 10**9)
        while t < end:
            job(t)
            t += every_s * 10**9 + rng.randrange(0, 2000) * 10**6

    # monitoring, a DBA, the database's own processes
    t = start + rng.randrange(HEALTH_CHECK_EVERY_S * 10**9)
    while t < end:
        shop.health_check(t)
        t += HEALTH_CHECK_EVERY_S * 10**9 + rng.randrange(-200, 200) * 10**6
    for _ in range(PERIOD_DAYS[scale] * 3):
        shop.dba_session(start + rng.randrange(end - start - 3600 * 10**9))
    _background(sim, start, end)

    # the asynchronous work queued by the requests, in the order it was queued
    i = 0
    while i < len(sim.pending):
        t, what, args = sim.pending[i]
        if t < end:
            getattr(shop, what)(t, *args)
        i += 1

    sim.spans.sort(key=lambda s: (s.end, s.span_id))
    sim.log.sort(key=lambda e: (e.ts, e.seq))
    _summarize(sim, start, end)
    return Workload(sim.spans, sim.log, sim.facts)


def _background(sim: Simulator, start: int, end: int) -> None:
    """Checkpoints every five minutes, autovacuum now and then (non-session processes)."""
    rng = sim.rng
    checkpointer = 61
    t = start - start % (300 * 10**9) + 300 * 10**9
    while t < end:
        sim.emit(t, checkpointer, None, ("LOG", "checkpoint starting: time"))
        write = rng.uniform(5, 120)
        done = t + int((write + rng.uniform(0.01, 0.5)) * 1e9)
        buffers = rng.randint(40, 6000)
        sim.emit(done, checkpointer, None, ("LOG",
                 f"checkpoint complete: wrote {buffers} buffers ({buffers / 16384 * 100:.1f}%); 0 WAL file(s) added, "
                 f"0 removed, {rng.randint(0, 3)} recycled; write={write:.3f} s, sync={rng.uniform(0.001, 0.2):.3f} s, "
                 f"total={write + 0.3:.3f} s; sync files={rng.randint(3, 80)}, longest={rng.uniform(0.001, 0.05):.3f} s, "
                 f"average={rng.uniform(0.001, 0.01):.3f} s; distance={rng.randint(100, 90000)} kB, "
                 f"estimate={rng.randint(20000, 90000)} kB"))
        t += 300 * 10**9
    t = start + rng.randrange(3600 * 10**9)
    while t < end:
        table = rng.choice(("orders_order", "notifications_outbox", "inventory_stock", "analytics_event", "accounts_session"))
        pid = sim.new_pid()
        sim.emit(t, pid, None, ("LOG",
                 f"automatic analyze of table \"shopfront.public.{table}\"\n"
                 f"avg read rate: {rng.uniform(0, 40):.3f} MB/s, avg write rate: {rng.uniform(0, 5):.3f} MB/s\n"
                 f"buffer usage: {rng.randint(100, 9000)} hits, {rng.randint(0, 900)} misses, {rng.randint(0, 90)} dirtied\n"
                 f"system usage: CPU: user: {rng.uniform(0, 0.3):.2f} s, system: {rng.uniform(0, 0.05):.2f} s, "
                 f"elapsed: {rng.uniform(0.05, 2):.2f} s"))
        t += int(rng.uniform(0.5, 3.0) * 3600 * 10**9)


# ------------------------------------------------------------------------------------
# facts (what PLANTED.md reports; computed from the simulated spans)


def _span_context(span: Span, by_id: dict) -> str | None:
    attrs = dict(span.attrs)
    ns = attrs.get("code.namespace")
    if ns:
        return ns.split(".")[1]
    route = attrs.get("http.route")
    if route:
        return route.split("/")[1]
    dest = attrs.get("messaging.destination.name")
    if dest:
        return dest.split(".")[0]
    parent = by_id.get((span.trace_id, span.parent_id))
    return _span_context(parent, by_id) if parent is not None else None


def _pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else 0.0


def _summarize(sim: Simulator, start: int, end: int) -> None:
    facts = sim.facts
    facts.start = dt.datetime.fromtimestamp(start / 1e9, tz=dt.UTC).isoformat()
    facts.end = dt.datetime.fromtimestamp(end / 1e9, tz=dt.UTC).isoformat()
    facts.spans = len(sim.spans)
    by_id = {(s.trace_id, s.span_id): s for s in sim.spans}
    children: dict = defaultdict(int)
    for s in sim.spans:
        facts.spans_by_kind[s.kind] += 1
        if s.parent_id:
            children[(s.trace_id, s.parent_id)] += s.end - s.start
        if s.kind == KIND["CONSUMER"]:
            facts.consumers += 1
            if not s.parent_id and not s.links:
                facts.orphan_consumers += 1
    bucket_ns = 300 * 10**9
    n_buckets = (end - start) // bucket_ns
    curves: dict[str, list[float]] = defaultdict(lambda: [0.0] * n_buckets)
    for s in sim.spans:
        ctx = _span_context(s, by_id)
        if ctx is None:
            continue
        self_ms = max(0, (s.end - s.start) - children.get((s.trace_id, s.span_id), 0)) / 1e6
        b = min(n_buckets - 1, max(0, (s.start - start) // bucket_ns))
        curves[ctx][b] += self_ms
    facts.self_time_ms = {c: round(sum(v), 1) for c, v in sorted(curves.items())}
    for s in sim.spans:
        if s.kind == KIND["INTERNAL"] and s.parent_id:
            parent = by_id.get((s.trace_id, s.parent_id))
            caller = _span_context(parent, by_id) if parent is not None else None
            callee = _span_context(s, by_id)
            if caller and callee and caller != callee:
                facts.sync_calls[(caller, callee)] += 1
    ing = curves["ingestion"]
    rest = [sum(curves[c][i] for c in curves if c != "ingestion") for i in range(n_buckets)]
    nonzero = sorted(v for v in ing if v > 0) or [0.0]
    median = sorted(ing)[len(ing) // 2] or nonzero[len(nonzero) // 2]
    facts.ingestion_peak_to_median = round(max(ing) / median, 1) if median else 0.0
    facts.ingestion_correlation = round(_pearson(ing, rest), 3)
    analytics = sum(curves["analytics"]) or 1.0
    facts.ingestion_to_analytics = round(sum(ing) / analytics, 1)
