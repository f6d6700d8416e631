"""Benchmark: reading a large PostgreSQL stderr log with Seams and with pgbadger.

Generates (or reuses) a log of at least ``--size-mb`` megabytes in a scratch directory
(never in the repository), or takes a given one (``--log PATH --prefix PREFIX``), then
measures on the same file:

- the time to merely read the file (Python, line by line, and ``cat > /dev/null``);
- Seams: ``mine_sql_log`` (statements, queries, table access, joins), lines/s, peak RSS,
  also on a log of ``--small-mb`` from the same generator, so that the two peaks show
  whether memory grows with the log (goal: under 1 GiB whatever the size);
- pgbadger ``-x json`` with the matching ``--prefix``, with its default ``-j 1`` (one
  process) and with ``-j 2`` (one parser per core of a two-core machine), lines/s, peak RSS;
  skipped when pgbadger is not installed. The ratios are given against both.
- with ``--equal-to DIR``, whether the Seams code of another checkout (the code before a
  change) reads the log into exactly the same frames, notes, counts and rejects;
- with ``--warm``, Seams again on the same log with the table access its first (cold) run
  kept in a cache directory (:mod:`analysis.sources.sql.access_cache`): what a scheduled run
  costs on the next day's log of the same application. The ratios named without "warm" are
  the cold run's;
- with ``--seams-python PATH``, Seams run by another interpreter (an environment with
  ``seams[fast]``, sqlglot's compiled build), the other checkout of ``--equal-to`` still by
  this one: whether both parse the queries alike.

Peak memory is the child process's maximum resident set size (``getrusage``), each tool
running in its own process; for a tool that forks workers (Seams on a large log, pgbadger
``-j 2``) it is the largest of its processes. Seams also reports its reading process's own
peak and its largest worker's.

Generated shapes (``--shape``):

- ``pgbench`` (``%m [%p] %q%u@%d ``): pgbench's transaction, a multi-line join with a
  leading Rails-style comment, extended-protocol executes with their parameters, connections;
- ``traced`` (``%m [%p] %q%u@%d app=%a ``): the shape of a Django application traced by
  OpenTelemetry, as NetBox's run logged it: requests of 5 to 40 statements, each statement
  with two trailing comments, Django's (app_name, controller, route, framework, the request
  span's traceparent) and psycopg's (driver tags with bare numbers and the statement's own
  span's traceparent), ``%%`` in the comments of statements without parameters, atomic
  blocks with ``"s<thread>_x<n>"`` savepoints, ``.iterator()`` cursors
  (``DECLARE "_django_curs_<thread>_sync_<n>"`` / ``FETCH`` / ``CLOSE``), the worker's
  statements with psycopg's comment only, checkpoints. Literal values come from small pools
  (object ids, session keys), so that about a quarter of the statement texts are distinct, as
  in that run (47,583 distinct texts without their comments among 179,438 statements).
- ``django`` (prefix as ``traced``): a Django application with several hundred statement
  shapes over 57 tables of 7 apps (selects by id and by ``IN`` lists, counts, updates,
  inserts, multi-line hand-written reports holding a ``--`` comment and a ``/* */`` inside a
  literal), routes each issuing a fixed set of them after the session and user look-ups,
  and 95% of the statements carrying Django's sqlcommenter tags (action, app_name,
  controller, db_driver, framework, route, URL-encoded) with the statement's own span's
  traceparent. Object ids come from small pools: 26% of the statement texts are distinct
  on a 96 MiB log (45,179 of 170,779), as in the NetBox run.

Measured (bench/results/sql-logs-parts.md; a quiet 2-core machine): on NetBox's real traced
log (64 MiB, 193,466 lines) Seams cold 1.4-1.6 s wall, 2.3-2.5 s CPU, 158-160 MiB against
pgbadger -j 1's 15.4-16.5 s: 9.7-10.7x wall, 5.6-6.2x CPU (the code before: about 7x); warm
12.8-14.1x wall; the same log gzip-compressed 10.1x. On ``--shape django --size-mb 450``: 8.0 s,
14.2 s CPU, 641 MiB, 12.2x wall, 6.8x CPU. The wall figures need the second core: on a machine
without an idle one the log is read whole, about 7x. Earlier figures:
bench/results/sql-logs-issue12.md.

Usage::

    .venv/bin/python bench/sql_logs.py --dir /tmp/seams-bench --size-mb 1024
    .venv/bin/python bench/sql_logs.py --shape traced --size-mb 512 --small-mb 64
    .venv/bin/python bench/sql_logs.py --shape django --size-mb 450 --small-mb 64 --equal-to /path/to/older/checkout
    .venv/bin/python bench/sql_logs.py --log postgresql.log --prefix '%m [%p] %q%u@%d app=%a ' --warm
    .venv/bin/python bench/sql_logs.py --log postgresql.log --prefix '...' --seams-python fast-env/bin/python --equal-to .

Prints a table and, as the last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

PREFIX = "%m [%p] %q%u@%d "
TRACED_PREFIX = "%m [%p] %q%u@%d app=%a "
ROOT = Path(__file__).resolve().parents[1]


def generate_log(path: Path, size_mb: int, seed: int = 7) -> int:
    """Write a pgbench-like stderr log of at least ``size_mb`` MB; return its line count."""
    rng = random.Random(seed)
    target = size_mb * 1024 * 1024
    lines = 0
    written = 0
    t0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
    users = [("app", "shop"), ("billing", "shop"), ("report", "dw")]
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        second = 0
        while written < target:
            chunk = []
            for _ in range(2000):
                second += 1
                ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t0 + second // 50))
                ms = f"{second % 1000:03d}"
                pid = 1000 + rng.randrange(64)
                user, db = users[pid % 3]
                head = f"{ts}.{ms} UTC [{pid}] {user}@{db} LOG:  "
                aid, tid, bid, delta = rng.randrange(1, 10**6), rng.randrange(1, 100), rng.randrange(1, 10), rng.randrange(-5000, 5000)
                d = lambda: f"{rng.random() * 3:.3f}"  # noqa: E731
                kind = rng.randrange(10)
                if kind < 6:
                    chunk += [
                        f"{head}duration: {d()} ms  statement: BEGIN;",
                        f"{head}duration: {d()} ms  statement: UPDATE pgbench_accounts SET abalance = abalance + {delta} WHERE aid = {aid};",
                        f"{head}duration: {d()} ms  statement: SELECT abalance FROM pgbench_accounts WHERE aid = {aid};",
                        f"{head}duration: {d()} ms  statement: UPDATE pgbench_tellers SET tbalance = tbalance + {delta} WHERE tid = {tid};",
                        f"{head}duration: {d()} ms  statement: UPDATE pgbench_branches SET bbalance = bbalance + {delta} WHERE bid = {bid};",
                        f"{head}duration: {d()} ms  statement: INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ({tid}, {bid}, {aid}, {delta}, CURRENT_TIMESTAMP);",
                        f"{head}duration: {d()} ms  statement: END;",
                    ]
                elif kind < 8:
                    chunk += [
                        f"{head}duration: {d()} ms  statement: /*controller='orders',route='%2Forders%2F%3Aid'*/ SELECT o.id, o.total, c.email",
                        "\tFROM orders o",
                        "\tJOIN customers c ON c.id = o.customer_id",
                        f"\tWHERE o.created_at > '2026-01-{1 + aid % 28:02d}' AND c.id IN ({aid}, {tid}, {bid})",
                        f"\tORDER BY o.created_at DESC LIMIT {1 + tid};",
                    ]
                elif kind < 9:
                    chunk += [
                        f"{head}duration: {d()} ms  execute <unnamed>: SELECT * FROM billing.invoice WHERE customer_id = $1 AND status = $2",
                        f"{head.replace('LOG:  ', 'DETAIL:  ')}parameters: $1 = '{aid}', $2 = 'open'",
                    ]
                else:
                    chunk += [
                        f"{head}connection authorized: user={user} database={db} application_name=pgbench",
                        f"{head}duration: {d()} ms  statement: INSERT INTO audit_log (actor, action, payload) VALUES ('user{aid}@example.com', 'login', '{{\"ip\": \"10.0.{tid}.{bid}\"}}');",
                    ]
            text = "\n".join(chunk) + "\n"
            fh.write(text)
            written += len(text)
            lines += len(chunk)
    return lines


#: Django-style routes of the traced shape: (app_name, controller, route as Django's
#: resolver prints it), the route URL-encoded in the comment.
_ROUTES = [
    ("dcim", "dcim:device", "dcim/devices/<int:pk>/"), ("dcim", "dcim:device_list", "dcim/devices/"),
    ("dcim-api", "dcim-api:device-list", "api/dcim/devices/$"), ("dcim-api", "dcim-api:device-detail", "api/dcim/devices/(?P<pk>[^/.]+)/$"),
    ("ipam-api", "ipam-api:prefix-available-ips", "api/ipam/prefixes/<int:pk>/available-ips/"),
    ("ipam", "ipam:prefix", "ipam/prefixes/<int:pk>/"), ("tenancy-api", "tenancy-api:tenant-list", "api/tenancy/tenants/$"),
    ("extras-api", "extras-api:journalentry-list", "api/extras/journal-entries/$"), ("", "", "search/"),
    ("virtualization-api", "virtualization-api:virtualmachine-list", "api/virtualization/virtual-machines/$"),
]
#: Session keys of the logged-in users (a few browsers and API clients).
_SESSIONS = [f"{n:032x}" for n in range(7, 7 + 12)]


def _object_id(rng: random.Random) -> int:
    """An object id: most requests touch a few hundred objects again and again."""
    return int(rng.paretovariate(1.1)) if rng.random() < 0.9 else rng.randrange(1, 20000)


_TABLES = ["dcim_device", "dcim_site", "dcim_rack", "dcim_interface", "ipam_prefix", "ipam_ipaddress", "tenancy_tenant",
           "extras_tag", "extras_journalentry", "virtualization_virtualmachine", "circuits_circuit", "dcim_cable"]


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/<>()?[]^.$")


_PSYCOPG_TAGS = ("db_driver='psycopg%3A3.3.2',dbapi_level='2.0',dbapi_threadsafety=2,driver_paramstyle='pyformat',"
                 "libpq_version=150018,traceparent='00-{trace}-{span}-03'")


class _TracedRequest:
    """One request (or worker job) of the traced shape: its trace, its span, its process,
    and the statements it logs."""

    def __init__(self, rng: random.Random, out: list[str], clock: list[int]):
        self.rng, self.out, self.clock = rng, out, clock
        self.trace = f"{rng.getrandbits(128):032x}"
        self.pid = 22900 + rng.randrange(12)
        self.worker = rng.random() < 0.05
        app_name, controller, route = _ROUTES[rng.randrange(len(_ROUTES))]
        span = f"{rng.getrandbits(64):016x}"
        self.django = (f"app_name='{_quote(app_name)}',controller='{_quote(controller)}',"
                       f"db_driver='django.db.backends.postgresql',framework='django%3A5.2.9',route='{_quote(route)}',"
                       f"traceparent='00-{self.trace}-{span}-03'") if app_name else \
                      f"db_driver='django.db.backends.postgresql',framework='django%3A5.2.9',traceparent='00-{self.trace}-{span}-03'"
        self.thread = 139900 + self.pid % 7

    def emit(self, sql: str, params: bool = True, comment: bool = True, kind: str = "statement", driver: bool = True) -> None:
        self.clock[0] += 1
        ts = 1_767_225_600.0 + self.clock[0] / 400
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d} UTC"
        tail = ""
        if comment:
            own = _PSYCOPG_TAGS.format(trace=self.trace, span=f"{self.rng.getrandbits(64):016x}")
            comments = [own] if self.worker else [self.django, own] if driver else [self.django]
            if not params:  # psycopg skips its %-substitution: %% reaches the server
                comments = [c.replace("%", "%%") for c in comments]
            tail = " " + " ".join(f"/*{c}*/" for c in comments)
        app = "netbox-rq" if self.worker else "netbox-web"
        self.out.append(f"{stamp} [{self.pid}] netbox@netbox app={app} LOG:  duration: {self.rng.random() * 3:.3f} ms  "
                        f"{kind}: {sql}{tail}")


def _traced_request(rng: random.Random, out: list[str], clock: list[int]) -> None:
    r = _TracedRequest(rng, out, clock)
    r.emit('SELECT "core_configrevision"."id", "core_configrevision"."data" FROM "core_configrevision" '
           'ORDER BY "core_configrevision"."created" DESC LIMIT 1', params=False)
    if not r.worker:
        r.emit('SELECT "django_session"."session_key", "django_session"."session_data" FROM "django_session" '
               f'WHERE ("django_session"."expire_date" > \'2026-12-06 04:44:{rng.randrange(60):02d}.{rng.randrange(10**6):06d}+00:00\'::timestamptz '
               f'AND "django_session"."session_key" = \'{_SESSIONS[rng.randrange(len(_SESSIONS))]}\') LIMIT 21')
    savepoint = cursor = 0
    for _ in range(rng.randrange(5, 40)):
        table, other = _TABLES[rng.randrange(len(_TABLES))], _TABLES[rng.randrange(len(_TABLES))]
        kind = rng.randrange(20)
        if kind < 11:
            r.emit(f'SELECT "{table}"."id", "{table}"."name", "{table}"."created" FROM "{table}" '
                   f'WHERE "{table}"."id" = {_object_id(rng)} LIMIT 21')
        elif kind < 14:
            ids = ", ".join(str(_object_id(rng)) for _ in range(rng.randrange(1, 4)))
            r.emit(f'SELECT "{table}"."id", "{other}"."name" FROM "{table}" INNER JOIN "{other}" ON '
                   f'("{table}"."{other}_id" = "{other}"."id") WHERE "{table}"."id" IN ({ids})')
        elif kind < 15:
            r.emit(f'SELECT 1 AS "a" FROM "{table}" WHERE "{table}"."slug" = \'site-{_object_id(rng)}\' LIMIT 1')
        elif kind < 17:
            savepoint += 1
            r.emit(f'SAVEPOINT "s{r.thread}_x{savepoint}"')
            r.emit(f'INSERT INTO "{table}" ("name", "created", "custom_field_data") VALUES '
                   f'(\'name-{rng.randrange(10**6)}\', \'2026-12-06T04:44:37.703361+00:00\'::timestamptz, '
                   f'\'{{"cf": {rng.randrange(100)}}}\') RETURNING "{table}"."id"')
            r.emit(f'RELEASE SAVEPOINT "s{r.thread}_x{savepoint}"')
        elif kind < 18:
            cursor += 1
            name = f"_django_curs_{r.thread}_sync_{cursor}"
            r.emit(f'DECLARE "{name}" NO SCROLL CURSOR WITH HOLD FOR SELECT "{table}"."id" FROM "{table}" '
                   f'WHERE "{table}"."tenant_id" = {rng.randrange(20)}', kind="execute <unnamed>", driver=False)
            r.emit(f'FETCH FORWARD 2000 FROM "{name}"', comment=False)
            r.emit(f'CLOSE "{name}"', comment=False)
        else:
            r.emit(f'UPDATE "{table}" SET "last_updated" = \'2026-12-06T04:44:{rng.randrange(60):02d}+00:00\'::timestamptz '
                   f'WHERE "{table}"."id" = {_object_id(rng)}')
    if rng.random() < 0.01:
        out.append(f"2026-01-01 00:00:00.000 UTC [{22800 + rng.randrange(3)}] LOG:  checkpoint starting: time")


def generate_traced_log(path: Path, size_mb: int, seed: int = 7) -> int:
    """Write a log of at least ``size_mb`` MB in the ``traced`` shape (see the module
    docstring; prefix :data:`TRACED_PREFIX`); return its line count."""
    rng = random.Random(seed)
    target = size_mb * 1024 * 1024
    lines = written = 0
    clock = [0]
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        while written < target:
            chunk: list[str] = []
            for _ in range(200):
                _traced_request(rng, chunk, clock)
            text = "\n".join(chunk) + "\n"
            fh.write(text)
            written += len(text)
            lines += len(chunk)
    return lines


#: Apps of the ``django`` shape, each with its models (tables ``<app>_<model>``).
_DJANGO_APPS = {
    "dcim": ["device", "site", "rack", "interface", "cable", "location", "region", "platform", "devicetype", "manufacturer",
             "consoleport", "powerport", "frontport", "rearport", "module", "devicerole"],
    "ipam": ["prefix", "ipaddress", "vlan", "vrf", "aggregate", "asn", "iprange", "role", "service"],
    "tenancy": ["tenant", "tenantgroup", "contact", "contactassignment"],
    "extras": ["tag", "journalentry", "customfield", "objectchange", "savedfilter", "webhook", "taggeditem"],
    "circuits": ["circuit", "provider", "circuittype", "circuittermination"],
    "virtualization": ["virtualmachine", "cluster", "vminterface", "clustertype"],
    "users": ["token", "objectpermission", "userconfig"],
}
_DJANGO_COLUMNS = ["name", "slug", "description", "status", "created", "last_updated", "comments", "custom_field_data",
                   "tenant_id", "site_id", "role_id", "serial", "asset_tag", "label", "priority", "enabled", "mtu", "mode"]
_DJANGO_ACTIONS = ("list", "retrieve", "create", "partial_update", "destroy", "bulk_update")


def _django_id(rng: random.Random) -> int:
    """An object id of the ``django`` shape: the requests of a few minutes touch a few dozen
    objects per table again and again."""
    return int(rng.paretovariate(1.3)) % 40 + 1


def _django_catalogue(rng: random.Random) -> tuple[list, list]:
    """(query templates, routes) of the ``django`` shape: several hundred statement shapes
    (single-line ORM statements and multi-line hand-written ones, each a function of the
    random source giving its text), and routes each issuing a fixed set of them."""
    tables = [(app, f"{app}_{model}") for app, models in _DJANGO_APPS.items() for model in models]
    templates = []

    def select_by_id(t: str, cols: list[str]):
        sel = ", ".join(f'"{t}"."{c}"' for c in ["id", *cols])
        return lambda r: f'SELECT {sel} FROM "{t}" WHERE "{t}"."id" = {_django_id(r)} LIMIT 21'

    def select_in(t: str, o: str, cols: list[str]):
        sel = ", ".join(f'"{t}"."{c}"' for c in ["id", *cols])
        return lambda r: (f'SELECT {sel}, "{o}"."name" FROM "{t}" LEFT OUTER JOIN "{o}" ON ("{t}"."{o.split("_", 1)[1]}_id" = "{o}"."id") '
                          f'WHERE "{t}"."id" IN ({", ".join(str(_django_id(r)) for _ in range(r.randrange(1, 6)))}) ORDER BY "{t}"."name" ASC')

    def count_filtered(t: str, col: str):
        return lambda r: f'SELECT COUNT(*) AS "__count" FROM "{t}" WHERE "{t}"."{col}" = \'{col}-{r.randrange(40)}\''

    def update(t: str, col: str):
        return lambda r: (f'UPDATE "{t}" SET "{col}" = \'v{r.randrange(10**5)}\', "last_updated" = '
                          f'\'2026-12-06T04:{r.randrange(60):02d}:{r.randrange(60):02d}.{r.randrange(10**6):06d}+00:00\'::timestamptz '
                          f'WHERE "{t}"."id" = {_django_id(r)}')

    def insert(t: str, cols: list[str]):
        names = ", ".join(f'"{c}"' for c in cols)
        return lambda r: (f'INSERT INTO "{t}" ({names}) VALUES ({", ".join(repr(f"x{r.randrange(10**6)}") for _ in cols)}) '
                          f'RETURNING "{t}"."id"')

    def report(t: str, o: str, col: str):  # hand-written SQL, several lines (tab continuations in the log)
        return lambda r: (f"SELECT t.id, t.{col}, count(o.id) AS n\n\tFROM {t} t\n\tJOIN {o} o ON o.id = t.{o.split('_', 1)[1]}_id\n"
                          f"\tWHERE t.created > '2026-{1 + r.randrange(12):02d}-01' -- this month's objects\n"
                          f"\t  AND t.{col} <> 'it''s /* not a comment */'\n\tGROUP BY t.id, t.{col}\n\tORDER BY n DESC LIMIT {r.randrange(10, 50)}")

    reads, counts, writes = [], [], []  # template indices by kind
    for app, t in tables:
        same_app = [o for a, o in tables if a == app and o != t]
        for k in range(3):
            reads.append(len(templates))
            templates.append(select_by_id(t, rng.sample(_DJANGO_COLUMNS, 2 + k * 3)))
        for o in rng.sample(same_app, min(2, len(same_app))):
            reads.append(len(templates))
            templates.append(select_in(t, o, rng.sample(_DJANGO_COLUMNS, 3)))
        counts.append(len(templates))
        templates.append(count_filtered(t, rng.choice(_DJANGO_COLUMNS)))
        if same_app and rng.random() < 0.5:
            counts.append(len(templates))
            templates.append(report(t, rng.choice(same_app), rng.choice(_DJANGO_COLUMNS)))
        writes += [len(templates), len(templates) + 1]
        templates += [update(t, rng.choice(_DJANGO_COLUMNS)), insert(t, rng.sample(_DJANGO_COLUMNS, 4))]
    routes = []
    for app, models in _DJANGO_APPS.items():
        for model in models:
            for api in (False, True):
                route = f"api/{app}/{model}s/(?P<pk>[^/.]+)/$" if api else f"{app}/{model}s/<int:pk>/"
                controller = f"{app}-api:{model}-detail" if api else f"{app}:{model}"
                # mostly reads, as in the NetBox run (a quarter of the statement texts distinct)
                uses = [rng.choice(reads if k < 0.8 else counts if k < 0.95 else writes)
                        for k in (rng.random() for _ in range(rng.randrange(4, 20)))]
                routes.append((app, controller, route, rng.choice(_DJANGO_ACTIONS), uses))
    return templates, routes


def generate_django_log(path: Path, size_mb: int, seed: int = 7) -> int:
    """Write a log of at least ``size_mb`` MB in the ``django`` shape (see the module
    docstring; prefix :data:`TRACED_PREFIX`); return its line count."""
    rng = random.Random(seed)
    templates, routes = _django_catalogue(rng)
    target = size_mb * 1024 * 1024
    lines = written = 0
    tick = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        while written < target:
            chunk: list[str] = []
            for _ in range(200):
                app, controller, route, action, uses = routes[rng.randrange(len(routes))]
                trace = f"{rng.getrandbits(128):032x}"
                pid = 23100 + rng.randrange(16)
                tags = (f"action='{action}',app_name='{app}',controller='{_quote(controller)}',"
                        f"db_driver='django.db.backends.postgresql',framework='django%3A5.2.9',route='{_quote(route)}'")
                for i in [-2, -1, *uses]:  # every request reads its session and its user first
                    tick += 1
                    ts = 1_767_225_600.0 + tick / 500
                    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d} UTC"
                    if i == -2 and tick % 2:
                        sql = ('SELECT "django_session"."session_key", "django_session"."session_data" FROM "django_session" '
                               f'WHERE ("django_session"."expire_date" > \'2026-12-06 04:44:{rng.randrange(60):02d}.{rng.randrange(10**6):06d}+00:00\'::timestamptz '
                               f'AND "django_session"."session_key" = \'{_SESSIONS[rng.randrange(len(_SESSIONS))]}\') LIMIT 21')
                    elif i < 0:
                        sql = f'SELECT "users_user"."id", "users_user"."username" FROM "users_user" WHERE "users_user"."id" = {1 + rng.randrange(30)} LIMIT 21'
                    else:
                        sql = templates[i](rng)
                    if rng.random() < 0.95:  # the per-statement span's traceparent
                        sql += f" /*{tags},traceparent='00-{trace}-{rng.getrandbits(64):016x}-01'*/"
                    chunk.append(f"{stamp} [{pid}] netbox@netbox app=netbox-web LOG:  duration: {rng.random() * 3:.3f} ms  "
                                 f"statement: {sql}")
            text = "\n".join(chunk) + "\n"
            fh.write(text)
            written += len(text)
            lines += text.count("\n")
    return lines


def _generated(folder: Path, size_mb: int, shape: str = "pgbench") -> Path:
    """The generated log of ``size_mb`` in ``folder`` (made when missing or too small)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / (f"pgbench-{size_mb}mb-tagged.log" if shape == "pgbench" else f"{shape}-{size_mb}mb.log")
    if not log.exists() or log.stat().st_size < size_mb * 1024 * 1024:
        t = time.perf_counter()
        {"pgbench": generate_log, "traced": generate_traced_log, "django": generate_django_log}[shape](log, size_mb)
        print(f"generated {log} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return log


def count_lines(path: Path) -> int:
    """The lines of the log (of its text, unpacked, when it is gzip-compressed)."""
    with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))


def _child(argv: list[str], **popen) -> tuple[float, float, int, int, str]:
    """(wall seconds, CPU seconds, peak RSS bytes, exit code, stderr) of argv in a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"{argv[0]} failed ({code}): {err[-2000:]}", file=sys.stderr)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, code, err


_SEAMS_CHILD = """
import sys, json
from pathlib import Path
from analysis.core.config import SqlSource
from analysis.core.rejects import Rejects
from analysis.sources.sql.miner import mine_sql_log
r = Rejects()
out = mine_sql_log(SqlSource(path=Path(sys.argv[1]), format="postgres-stderr", log_line_prefix=sys.argv[2]), r,
                   cache_dir=Path(sys.argv[3]) if len(sys.argv) > 3 else None)
st = out.frames["statements"]
import resource
own, children = (resource.getrusage(w).ru_maxrss / 1024 for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
json.dump({"statements": len(st), "executions": int(st["executions"].sum()),
           "traced_executions": int(st.loc[st["trace_id"].notna(), "executions"].sum()),
           "queries": len(out.frames["queries"]), "rejected": out.records_rejected,
           "own_peak_rss_mb": own, "worker_peak_rss_mb": children}, sys.stderr)
"""

#: Writes what mine_sql_log returns (frames, notes, counts, rejects) to a pickle: --equal-to.
_DUMP_CHILD = """
import sys, pickle
from pathlib import Path
from analysis.core.config import SqlSource
from analysis.core.rejects import Rejects
from analysis.sources.sql.miner import mine_sql_log
r = Rejects()
out = mine_sql_log(SqlSource(path=Path(sys.argv[1]), format="postgres-stderr", log_line_prefix=sys.argv[2]), r)
with open(sys.argv[3], "wb") as fh:
    pickle.dump((out.frames, out.notes, out.counts, out.records_read, out.records_rejected, r.records, dict(r.counts)), fh)
"""


def equal_results(log: Path, prefix: str, roots: list[Path], folder: Path, pythons: list[str] | None = None) -> bool:
    """Whether the Seams code of each of ``roots`` (run by the interpreter of the same rank in
    ``pythons``, default this one) reads ``log`` into exactly the same frames, notes, counts and rejects."""
    import pickle

    import pandas as pd

    results = []
    for i, root in enumerate(roots):
        out = folder / f"mined-{i}.pickle"
        python = pythons[i] if pythons and i < len(pythons) else sys.executable
        subprocess.run([python, "-c", _DUMP_CHILD, str(log), prefix, str(out)], check=True, cwd=root,
                       env={**os.environ, "PYTHONPATH": str(root)})
        with out.open("rb") as fh:
            results.append(pickle.load(fh))
        out.unlink()
    first = results[0]
    for other in results[1:]:
        for name, frame in first[0].items():
            pd.testing.assert_frame_equal(frame, other[0][name], check_exact=True)
        if first[1:] != other[1:]:
            return False
    return True

_READ_CHILD = """
import gzip, sys
n = 0
with (gzip.open if sys.argv[1].endswith(".gz") else open)(sys.argv[1], "rt", encoding="utf-8", errors="replace") as fh:
    for line in fh:
        n += 1
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/seams-bench-sql"), help="scratch directory (not the repository)")
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the generated log")
    parser.add_argument("--log", type=Path, help="measure this log instead of generating one (its prefix: --prefix)")
    parser.add_argument("--prefix", help="the log's log_line_prefix (default: " + f"{PREFIX!r}, or {TRACED_PREFIX!r} for --shape traced)".replace("%", "%%"))
    parser.add_argument("--shape", choices=("pgbench", "traced", "django"), default="pgbench", help="shape of the generated log")
    parser.add_argument("--small-mb", type=int, default=128, help="size of the second, smaller log (0: none)")
    parser.add_argument("--skip-pgbadger", action="store_true")
    parser.add_argument("--warm", action="store_true", help="also run Seams again with the table access its first run "
                                                               "kept (a new log of the same application)")
    parser.add_argument("--seams-root", type=Path, default=ROOT, help="measure the Seams code of this checkout (default: this one)")
    parser.add_argument("--seams-python", type=Path, help="run Seams with this interpreter (another environment, e.g. one "
                                                          "with seams[fast]; default: the one running the benchmark)")
    parser.add_argument("--equal-to", type=Path, help="also check that the Seams code of this checkout reads the log into "
                                                      "exactly the same frames, notes, counts and rejects")
    args = parser.parse_args(argv)
    if args.prefix is None:
        args.prefix = TRACED_PREFIX if args.shape in ("traced", "django") and not args.log else PREFIX

    args.dir.mkdir(parents=True, exist_ok=True)  # pgbadger's output goes there
    log = args.log if args.log else _generated(args.dir, args.size_mb, args.shape)
    small = _generated(args.dir, args.small_mb, args.shape) if args.small_mb and not args.log else None
    size = log.stat().st_size
    lines = count_lines(log)
    python = sys.executable
    env_path = str(args.seams_root.resolve())

    results: dict[str, dict] = {}
    t = time.perf_counter()
    subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)
    results["cat"] = {"seconds": time.perf_counter() - t, "cpu_seconds": None, "peak_rss_mb": None}
    sec, cpu, rss, _, _ = _child([python, "-c", _READ_CHILD, str(log)])
    results["python_read"] = {"seconds": sec, "cpu_seconds": cpu, "peak_rss_mb": rss / 2**20}

    seams_python = str(args.seams_python) if args.seams_python else python
    cache = args.dir / "seams-cache"  # --warm: the cold run fills it, the warm run reads it
    shutil.rmtree(cache, ignore_errors=True)
    for name in ("seams", "seams_warm") if args.warm else ("seams",):
        sec, cpu, rss, code, detail = _child([seams_python, "-c", _SEAMS_CHILD, str(log), args.prefix,
                                              *([str(cache)] if args.warm else [])], cwd=env_path,
                                             env={**os.environ, "PYTHONPATH": env_path})
        if code != 0:
            return 1
        results[name] = {"seconds": sec, "cpu_seconds": cpu, "peak_rss_mb": rss / 2**20, **json.loads(detail.strip().splitlines()[-1])}
    shutil.rmtree(cache, ignore_errors=True)
    small_figures = None
    if small is not None:
        sec, cpu, rss, code, detail = _child([seams_python, "-c", _SEAMS_CHILD, str(small), args.prefix], cwd=env_path,
                                             env={**os.environ, "PYTHONPATH": env_path})
        if code != 0:
            return 1
        small_figures = {"log_bytes": small.stat().st_size, "seconds": sec, "peak_rss_mb": rss / 2**20,
                         **json.loads(detail.strip().splitlines()[-1])}

    pgbadger = shutil.which("pgbadger")
    if pgbadger and not args.skip_pgbadger:
        out = args.dir / "pgbadger.json"
        for jobs in (1, 2):  # its default, and one job per core of a two-core machine
            sec, cpu, rss, code, _ = _child([pgbadger, "-x", "json", "-j", str(jobs), "--prefix", args.prefix, "-o", str(out), "-q",
                                             str(log)])
            if code == 0:
                results["pgbadger" if jobs == 1 else "pgbadger_j2"] = {"seconds": sec, "cpu_seconds": cpu, "peak_rss_mb": rss / 2**20}

    print(f"log: {log}  {size / 2**20:.0f} MiB  {lines:,} lines")
    print("(lines/s on wall time; CPU lines/s on the process's own CPU time, fairer on a busy machine)")
    print(f"{'reader':<14}{'seconds':>10}{'CPU s':>9}{'lines/s':>12}{'CPU lines/s':>13}{'MB/s':>8}{'peak MiB':>10}")
    for name, r in results.items():
        r["lines_per_s"] = lines / r["seconds"]
        r["cpu_lines_per_s"] = lines / r["cpu_seconds"] if r["cpu_seconds"] else None
        r["mb_per_s"] = size / 2**20 / r["seconds"]
        peak = "" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f}"
        cpu = "" if r["cpu_seconds"] is None else f"{r['cpu_seconds']:.1f}"
        cpu_rate = "" if r["cpu_lines_per_s"] is None else f"{r['cpu_lines_per_s']:,.0f}"
        print(f"{name:<14}{r['seconds']:>10.1f}{cpu:>9}{r['lines_per_s']:>12,.0f}{cpu_rate:>13}{r['mb_per_s']:>8.1f}{peak:>10}")
    speedup = results["seams"]["lines_per_s"] / results["pgbadger"]["lines_per_s"] if "pgbadger" in results else None
    cpu_speedup = results["seams"]["cpu_lines_per_s"] / results["pgbadger"]["cpu_lines_per_s"] if "pgbadger" in results else None
    if speedup:
        print(f"Seams / pgbadger -j 1 (its default) throughput: {speedup:.1f}x wall, {cpu_speedup:.1f}x CPU")
    warm = results.get("seams_warm")
    warm_speedup = results["pgbadger"]["seconds"] / warm["seconds"] if warm and "pgbadger" in results else None
    warm_cpu_speedup = results["pgbadger"]["cpu_seconds"] / warm["cpu_seconds"] if warm and "pgbadger" in results else None
    if warm_speedup:
        print(f"Seams warm (the table access of its cold run kept) / pgbadger -j 1: {warm_speedup:.1f}x wall, "
              f"{warm_cpu_speedup:.1f}x CPU (the figures above are cold)")
    speedup_j2 = results["pgbadger_j2"]["seconds"] / results["seams"]["seconds"] if "pgbadger_j2" in results else None
    if speedup_j2:
        print(f"Seams / pgbadger -j 2 throughput: {speedup_j2:.1f}x wall, "
              f"{results['pgbadger_j2']['cpu_seconds'] / results['seams']['cpu_seconds']:.1f}x CPU")
    seams = results["seams"]
    print(f"Seams statements frame: {seams['statements']:,} rows for {seams['executions']:,} executions "
          f"({seams['traced_executions']:,} tied to a traceparent), {seams['queries']:,} distinct queries; "
          f"peak {seams['peak_rss_mb']:.0f} MiB, the largest of its processes (goal < 1024 MiB: "
          f"{'met' if seams['peak_rss_mb'] < 1024 else 'NOT met'}): the reading process {seams['own_peak_rss_mb']:.0f} MiB, "
          f"its largest worker {seams['worker_peak_rss_mb']:.0f} MiB")
    same = None
    if args.equal_to:
        same = equal_results(log, args.prefix, [args.seams_root.resolve(), args.equal_to.resolve()], args.dir, [seams_python])
        print(f"Results of {args.seams_root} and {args.equal_to} on this log: {'exactly equal' if same else 'DIFFERENT'}")
    if small_figures:
        print(f"Seams on a {small_figures['log_bytes'] / 2**20:.0f} MiB log: peak {small_figures['peak_rss_mb']:.0f} MiB, "
              f"{small_figures['statements']:,} rows for {small_figures['executions']:,} executions; "
              f"log {size / small_figures['log_bytes']:.1f}x larger -> peak {seams['peak_rss_mb'] / small_figures['peak_rss_mb']:.2f}x")
    print(json.dumps({"log_bytes": size, "lines": lines, "speedup_vs_pgbadger": speedup, "cpu_speedup_vs_pgbadger": cpu_speedup,
                      "speedup_vs_pgbadger_j2": speedup_j2,
                      "warm_speedup_vs_pgbadger": warm_speedup, "warm_cpu_speedup_vs_pgbadger": warm_cpu_speedup,
                      **{f"{k}_{m}": v for k, r in results.items() for m, v in r.items()
                         if m in ("seconds", "cpu_seconds", "lines_per_s", "cpu_lines_per_s", "peak_rss_mb")},
                      "seams_own_peak_rss_mb": seams.get("own_peak_rss_mb"), "seams_worker_peak_rss_mb": seams.get("worker_peak_rss_mb"),
                      "equal_results": same, "seams_statements": seams.get("statements"), "seams_executions": seams.get("executions"),
                      "seams_queries": seams.get("queries"), "seams_traced_executions": seams.get("traced_executions"),
                      "shape": None if args.log else args.shape, "prefix": args.prefix,
                      "small_log_bytes": small_figures and small_figures["log_bytes"],
                      "small_seams_peak_rss_mb": small_figures and small_figures["peak_rss_mb"],
                      "small_seams_executions": small_figures and small_figures["executions"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
