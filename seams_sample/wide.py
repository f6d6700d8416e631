"""A second, SYNTHETIC sample profile: "widemart", a monolith of many contexts (30 by default).

The shopfront sample is hand-written and tells a story; this profile is generated from a seed
to test what a report looks like at the size of a real monolith (issue: a report a stakeholder
reads at 30 contexts). It writes the same parts as the shopfront sample — a git repository
(``git fast-import``), a PostgreSQL stderr log, OTLP/JSON traces and a ``seams.yml`` — with:

- ``contexts`` packages ``widemart/<context>/`` (models, services, views, api), each importing a
  few others (a layered graph plus two cycles), and a ``widemart/common`` package no context owns;
- a year of history: about 20 commits per context by 48 people in 8 teams, most touching one
  context, some two or three, a few bulk formatting sweeps;
- two days of traffic: each context serves routes ``/<context>/…`` whose requests call a
  few other contexts (INTERNAL spans with ``code.namespace``) and read and write tables; the
  statements carry sqlcommenter ``route`` and ``traceparent`` tags; one context runs a nightly
  batch (its load is its own).

Same seed and size, same bytes. Nothing here is meant as a finding: the profile exists so the
report's layout, figures and speed can be checked on many contexts.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
from pathlib import Path

import orjson

PACKAGE = "widemart"
NAMES = (
    "accounts", "addresses", "analytics", "audit", "billing", "carts", "catalog", "checkout", "coupons", "delivery",
    "discounts", "documents", "fraud", "giftcards", "identity", "imports", "inventory", "invoices", "loyalty", "media",
    "messaging", "notifications", "orders", "partners", "payments", "pricing", "ratings", "recommendations", "refunds",
    "reports", "returns", "reviews", "search", "sellers", "shipping", "subscriptions", "support", "taxes", "warehouses",
    "wishlists",
)
END = dt.datetime(2026, 10, 31, 18, 0, 0, tzinfo=dt.UTC)
DAYS_OF_HISTORY = 365
DAYS_OF_TRAFFIC = 2
BATCH_CONTEXT_INDEX = 2  # analytics: a nightly batch


def contexts_of(n: int) -> list[str]:
    if not 2 <= n <= len(NAMES):
        raise ValueError(f"the wide sample has 2 to {len(NAMES)} contexts, not {n}")
    return list(NAMES[:n])


def import_plan(contexts: list[str], rng: random.Random) -> dict[str, list[str]]:
    """Each context imports up to three of the contexts listed before it, plus two cycles."""
    plan = {c: sorted(rng.sample(contexts[:i], min(i, rng.randint(1, 3)))) if i else [] for i, c in enumerate(contexts)}
    for a, b in ((contexts[1], contexts[4]), (contexts[7], contexts[9])):
        if a in plan and b in plan:  # a and b import each other: a cycle
            plan[a] = sorted(set(plan[a]) | {b})
            plan[b] = sorted(set(plan[b]) | {a})
    return plan


def module_source(context: str, module: str, imports: list[str], version: int) -> str:
    lines = [f'"""{context}.{module} (SYNTHETIC)."""', ""]
    if module == "services":
        lines += [f"from {PACKAGE}.{other} import api as {other}_api" for other in imports]
        lines += [f"from {PACKAGE}.common import util", ""]
    for n in range(3):
        lines += [f"def {module}_{n}(x):", f"    return x + {version + n}", ""]
    return "\n".join(lines) + "\n"


def write_wide_sample(folder: Path, seed: int, contexts: int) -> str:
    """Write the profile into ``folder``; return the ``seams.yml`` text (also written)."""
    rng = random.Random(seed)
    names = contexts_of(contexts)
    plan = import_plan(names, rng)
    teams = {f"team{t + 1}": names[t::8] for t in range(8)}
    team_of = {c: t for t, cs in teams.items() for c in cs}
    people = [(f"Dev {n:02d}", f"dev{n:02d}@widemart.example", f"team{n % 8 + 1}") for n in range(48)]
    _write_repository(folder / "repo", rng, names, plan, people, team_of)
    (folder / "logs").mkdir()
    (folder / "traces").mkdir()
    _write_traffic(folder, rng, names, plan)
    text = _config_text(names, teams, people)
    (folder / "seams.yml").write_text(text, encoding="utf-8")
    (folder / "PLANTED.md").write_text(
        f"# PLANTED: widemart (SYNTHETIC, seed {seed}, {contexts} contexts)\n\nGenerated to test the report at the size "
        "of a real monolith; nothing here is a planted finding. See seams_sample/wide.py.\n", encoding="utf-8")
    return text


def _write_repository(repo: Path, rng: random.Random, names: list[str], plan: dict[str, list[str]],
                      people: list[tuple[str, str, str]], team_of: dict[str, str]) -> None:
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream = bytearray()
    versions = {(c, m): 0 for c in names for m in ("models", "services", "views", "api")}
    start = END - dt.timedelta(days=DAYS_OF_HISTORY)
    commits = 20 * len(names)
    files = {f"{PACKAGE}/__init__.py": "", f"{PACKAGE}/common/__init__.py": "", f"{PACKAGE}/common/util.py": "X = 1\n",
             "README.md": "# widemart (SYNTHETIC)\n"}
    for c in names:
        files[f"{PACKAGE}/{c}/__init__.py"] = ""
        for m in ("models", "services", "views", "api"):
            files[f"{PACKAGE}/{c}/{m}.py"] = module_source(c, m, plan[c], 0)
    for n in range(commits + 1):
        when = int((start + dt.timedelta(seconds=n * DAYS_OF_HISTORY * 86400 // (commits + 1))).timestamp())
        if n == 0:
            changed = dict(files)
            name, email = "Dev 00", "dev00@widemart.example"
            message = "Initial import"
        else:
            first = rng.choice(names)
            touched = [first] + rng.sample(plan[first], min(len(plan[first]), rng.choice((0, 0, 0, 1, 1, 2))))
            if rng.random() < 0.02:
                touched = names  # a bulk formatting sweep
            changed = {}
            for c in touched:
                for m in rng.sample(("models", "services", "views", "api"), rng.randint(1, 2)):
                    versions[(c, m)] += 1
                    changed[f"{PACKAGE}/{c}/{m}.py"] = module_source(c, m, plan[c], versions[(c, m)])
            team = team_of[first]
            author = rng.choice([p for p in people if p[2] == team] if rng.random() < 0.8 else people)
            name, email = author[0], author[1]
            message = f"Change {first}" if len(touched) < len(names) else "Apply formatting"
        stream += f"commit refs/heads/main\nmark :{n + 1}\n".encode()
        stream += f"author {name} <{email}> {when} +0000\ncommitter {name} <{email}> {when} +0000\n".encode()
        stream += f"data {len(message.encode())}\n{message}\n".encode()
        if n:
            stream += f"from :{n}\n".encode()
        for path, text in sorted(changed.items()):
            data = text.encode()
            stream += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream), check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-f", "main"], check=True)


def _write_traffic(folder: Path, rng: random.Random, names: list[str], plan: dict[str, list[str]]) -> None:
    start = END - dt.timedelta(days=DAYS_OF_TRAFFIC)
    log_lines: list[str] = []
    trace_lines: list[bytes] = []
    requests = 60 * DAYS_OF_TRAFFIC * 24  # one a minute, spread over the contexts
    batch = names[BATCH_CONTEXT_INDEX]
    for n in range(requests):
        at = start + dt.timedelta(seconds=n * 60 + rng.randint(0, 50))
        context = names[n % len(names)]
        if context == batch and not 1 <= at.hour < 3:
            context = names[(n + 1) % len(names)]
        trace = f"{rng.getrandbits(128):032x}"
        spans = _request_spans(rng, trace, at, context, plan, long=context == batch)
        trace_lines.append(orjson.dumps({"resourceSpans": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "widemart"}}]}, "scopeSpans": [{"spans": spans}]}]}))
        for span in spans:
            if span.get("kind") == 3:
                table = span["_table"]
                op = span["_op"]
                stamp = dt.datetime.fromtimestamp(int(span["startTimeUnixNano"]) / 1e9, dt.UTC)
                comment = f"/*route='%2F{context}%2F',traceparent='00-{trace}-{span['spanId']}-01'*/"
                sql = (f"SELECT * FROM {table} WHERE id = {rng.randint(1, 999)} {comment}" if op == "read"
                       else f"UPDATE {table} SET n = n + 1 WHERE id = {rng.randint(1, 999)} {comment}")
                log_lines.append(f"{stamp:%Y-%m-%d %H:%M:%S}.{stamp.microsecond // 1000:03d} UTC [4242] app@widemart LOG:  "
                                 f"duration: {rng.uniform(0.1, 3.0):.3f} ms  statement: {sql}")
                del span["_table"], span["_op"]
    (folder / "logs" / "postgresql.log").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    (folder / "traces" / "otlp.jsonl").write_bytes(b"\n".join(trace_lines) + b"\n")


def _request_spans(rng: random.Random, trace: str, at: dt.datetime, context: str, plan: dict[str, list[str]],
                   long: bool) -> list[dict]:
    t0 = int(at.timestamp() * 1e9)
    duration = int((rng.uniform(2, 8) if long else rng.uniform(0.02, 0.2)) * 1e9)
    root = {"traceId": trace, "spanId": f"{rng.getrandbits(64):016x}", "name": f"GET /{context}/", "kind": 2,
            "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + duration),
            "attributes": [{"key": "http.route", "value": {"stringValue": f"/{context}/"}}]}
    spans = [root]
    callees = rng.sample(plan[context], min(len(plan[context]), rng.randint(0, 2)))
    step = duration // (len(callees) + 3)
    for i, (owner, parent) in enumerate([(context, root)] + [(c, root) for c in callees]):
        inner = {"traceId": trace, "spanId": f"{rng.getrandbits(64):016x}", "parentSpanId": parent["spanId"],
                 "name": f"{owner}.services.handle", "kind": 1, "startTimeUnixNano": str(t0 + step * (i + 1)),
                 "endTimeUnixNano": str(t0 + step * (i + 2)),
                 "attributes": [{"key": "code.namespace", "value": {"stringValue": f"{PACKAGE}.{owner}.services"}}]}
        db = {"traceId": trace, "spanId": f"{rng.getrandbits(64):016x}", "parentSpanId": inner["spanId"],
              "name": "SELECT", "kind": 3, "startTimeUnixNano": str(t0 + step * (i + 1) + 1000),
              "endTimeUnixNano": str(t0 + step * (i + 1) + 500_000),
              "_table": f"{context}_item" if owner != context and rng.random() < 0.05 else f"{owner}_item",
              "_op": "write" if rng.random() < 0.2 else "read",
              "attributes": [{"key": "db.system", "value": {"stringValue": "postgresql"}}]}
        spans += [inner, db]
    return spans


def _config_text(names: list[str], teams: dict[str, list[str]], people: list[tuple[str, str, str]]) -> str:
    lines = ["# Seams configuration for \"widemart\", a SYNTHETIC monolith of many contexts (seams sample --profile wide).",
             "name: widemart", "sources:",
             "  git: {repository: repo}", f"  imports: {{repository: repo, packages: [{PACKAGE}]}}", "  sql:",
             '    - {path: logs/postgresql.log, format: postgres-stderr, log_line_prefix: "%m [%p] %q%u@%d "}',
             "  traces:", "    - {path: traces/otlp.jsonl, format: otlp-json}", "contexts:"]
    for c in names:
        lines += [f"  {c}:", f'    paths: ["{PACKAGE}/{c}/**"]', f"    tables: [{c}_item]", f'    spans: {{routes: ["/{c}/*", "/{c}"]}}']
    lines.append("teams:")
    for team in teams:
        lines.append(f"  {team}: [{', '.join(p[1] for p in people if p[2] == team)}]")
    return "\n".join(lines) + "\n"
