"""The synthetic sample (`seams sample`): deterministic, well-formed, and planted as documented.

Three small builds (about a second each) are shared by the whole module.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from analysis.core.config import load_config
from analysis.core.errors import SeamsError
from seams_sample import build_sample, is_complete_sample, world
from seams_sample.repository import git_env
from seams_sample.shop import SECRETS

SEED = 7
CONTEXTS = set(world.CONTEXTS)
PREFIX = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[(\d+)\] (?:(\S+@\S+) )?([A-Z]+):  (.*)$")
TRACEPARENT = re.compile(r"traceparent='00-([0-9a-f]{32})-([0-9a-f]{16})-01'")


# ------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("samples")
    a = build_sample(base / "a", SEED, "small").parent
    (base / "b").mkdir()  # an existing empty folder is fine to build into
    b = build_sample(base / "b", SEED, "small").parent
    c = build_sample(base / "c", SEED + 1, "small").parent
    return {"a": a, "b": b, "c": c, "base": base}


@pytest.fixture(scope="module")
def sample(built) -> Path:
    return built["a"]


def git(repo: Path, *args: str) -> str:
    home = repo.parent / ".git-home"
    home.mkdir(exist_ok=True)
    return subprocess.run(["git", *args], cwd=repo, env=git_env(str(home)), capture_output=True, check=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def log_records(sample) -> list[tuple[str, int, str | None, str, str]]:
    """(timestamp, pid, session, severity, message with continuation lines) per record line."""
    records = []
    for line in (sample / "logs" / "postgresql.log").read_text(encoding="utf-8").split("\n")[:-1]:
        if line.startswith("\t"):
            ts, pid, session, severity, message = records[-1]
            records[-1] = (ts, pid, session, severity, message + "\n" + line[1:])
            continue
        m = PREFIX.match(line)
        assert m, f"not a PostgreSQL log line: {line[:120]!r}"
        records.append((m.group(1), int(m.group(2)), m.group(3), m.group(4), m.group(5)))
    return records


@pytest.fixture(scope="module")
def spans(sample) -> list[dict]:
    out = []
    for line in (sample / "traces" / "otlp.jsonl").read_text(encoding="utf-8").splitlines():
        request = json.loads(line)
        for rs in request["resourceSpans"]:
            service = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}["service.name"]["stringValue"]
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    span = dict(span)
                    span["service"] = service
                    span["attrs"] = {a["key"]: next(iter(a["value"].values())) for a in span.get("attributes", [])}
                    out.append(span)
    return out


# ------------------------------------------------------------------------------------
# the model itself


def test_world_import_plan_is_the_documented_graph():
    planned = world.cross_context_edges()
    documented = {(a, b) for a, bs in world.IMPORT_GRAPH.items() for b in bs}
    assert planned == documented
    assert not {b for _, b in planned} - CONTEXTS
    # exactly one cycle, catalog <-> search
    cycles = {tuple(sorted((a, b))) for a, b in documented if (b, a) in documented}
    assert cycles == {("catalog", "search")}


def test_every_email_is_in_exactly_one_team():
    teams = world.team_emails()
    emails = [e for es in teams.values() for e in es]
    assert len(emails) == len(set(emails)) == sum(len(a.emails) for a in world.AUTHORS)
    assert len(world.AUTHORS) >= 12


# ------------------------------------------------------------------------------------
# determinism and the output folder


def test_same_seed_gives_identical_files_and_commits(built):
    a, b = built["a"], built["b"]
    for part in ("logs/postgresql.log", "traces/otlp.jsonl", "seams.yml", "PLANTED.md"):
        assert (a / part).read_bytes() == (b / part).read_bytes(), part
    assert git(a / "repo", "rev-parse", "HEAD") == git(b / "repo", "rev-parse", "HEAD")
    assert git(a / "repo", "log", "--format=%H") == git(b / "repo", "log", "--format=%H")


def test_another_seed_gives_another_history(built):
    assert git(built["a"] / "repo", "rev-parse", "HEAD") != git(built["c"] / "repo", "rev-parse", "HEAD")
    assert (built["a"] / "logs/postgresql.log").read_bytes() != (built["c"] / "logs/postgresql.log").read_bytes()


def test_layout_and_no_leftovers(built):
    for name in ("a", "b", "c"):
        assert is_complete_sample(built[name])
        assert (built[name] / "repo" / ".git").is_dir()
        assert git(built[name] / "repo", "status", "--porcelain") == ""   # work tree = HEAD
    assert sorted(p.name for p in built["base"].iterdir()) == ["a", "b", "c"]  # no temporary folders left


def test_refuses_to_overwrite_unless_asked(built, tmp_path):
    with pytest.raises(SeamsError, match="already holds a sample"):
        build_sample(built["a"], SEED, "small")
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")
    with pytest.raises(SeamsError, match="not a Seams sample"):
        build_sample(other, SEED, "small", overwrite=True)
    assert (other / "todo.txt").read_text() == "keep me"
    with pytest.raises(SeamsError, match="unknown sample scale"):
        build_sample(tmp_path / "x", SEED, "huge")
    assert not is_complete_sample(tmp_path / "x")


def test_overwrite_replaces_a_sample_in_place(built):
    b = built["b"]
    head = git(b / "repo", "rev-parse", "HEAD")
    (b / "PLANTED.md").write_text("tampered")
    build_sample(b, SEED, "small", overwrite=True)
    assert git(b / "repo", "rev-parse", "HEAD") == head
    assert (b / "PLANTED.md").read_bytes() == (built["a"] / "PLANTED.md").read_bytes()
    assert sorted(p.name for p in built["base"].iterdir()) == ["a", "b", "c"]


# ------------------------------------------------------------------------------------
# the repository


def _head_files(repo: Path) -> list[str]:
    return git(repo, "ls-files").splitlines()


def _import_graph(repo: Path) -> tuple[set[tuple[str, str]], Counter]:
    """Context edges from the Python files at HEAD, and how the imports were written."""
    edges: set[tuple[str, str]] = set()
    kinds: Counter = Counter()
    for rel in _head_files(repo):
        if not rel.endswith(".py"):
            continue
        source = (repo / rel).read_text(encoding="utf-8")
        tree = compile(source, rel, "exec", ast.PyCF_ONLY_AST)   # every file must compile
        parts = rel.split("/")
        if len(parts) < 3 or parts[0] != "shopfront" or parts[1] not in CONTEXTS:
            continue
        importer = parts[1]

        def visit(node, where, importer=importer):
            for child in ast.iter_child_nodes(node):
                here = where
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    here = "function"
                elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    here = "type_checking"
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    names = ([a.name for a in child.names] if isinstance(child, ast.Import)
                             else [child.module or ""] if child.level == 0 else [])
                    for name in names:
                        bits = name.split(".")
                        if bits[0] == "shopfront" and len(bits) > 1 and bits[1] in CONTEXTS and bits[1] != importer:
                            edges.add((importer, bits[1]))
                            kinds[here] += 1
                visit(child, here, importer)

        visit(tree, "static")
    return edges, kinds


def test_history_size_dates_and_authors(sample):
    repo = sample / "repo"
    assert 300 <= int(git(repo, "rev-list", "--count", "HEAD")) <= 450
    log = [line.split("\x1f") for line in git(repo, "log", "--format=%an\x1f%ae\x1f%at\x1f%P").splitlines()]
    assert len({name for name, _, _, _ in log}) >= 12
    assert len({email for _, email, _, _ in log}) >= 12
    times = [int(t) for _, _, t, _ in log]
    end = world.HISTORY_END
    assert max(times) == int(end.timestamp())
    assert end - dt.datetime.fromtimestamp(min(times), tz=dt.UTC) >= dt.timedelta(days=731)
    assert any(len(parents.split()) == 2 for _, _, _, parents in log)   # a few merges


def test_every_python_file_compiles_and_the_import_graph_is_exact(sample):
    edges, kinds = _import_graph(sample / "repo")
    assert edges == {(a, b) for a, bs in world.IMPORT_GRAPH.items() for b in bs}
    assert kinds["static"] > 0 and kinds["function"] >= 1 and kinds["type_checking"] >= 1
    notification_importers = {a for a, b in edges if b == "notifications"}
    assert notification_importers == {"orders"}
    bus = (sample / "repo" / "shopfront/platform/bus.py").read_text()
    assert "importlib.import_module" in bus and "shopfront.notifications.handlers" in bus


def test_history_shape_renames_bulk_commits_and_churn(sample):
    repo = sample / "repo"
    renames = [line for line in git(repo, "log", "-M", "--diff-filter=R", "--name-status", "--format=").splitlines()
               if line.startswith("R")]
    assert len(renames) >= 3
    assert any("shopfront/billing/invoice.py\tshopfront/billing/invoicing.py" in r for r in renames)
    sizes, churn = _commit_sizes(repo)
    bulk = [n for n in sizes.values() if n > 30]
    assert 3 <= len(bulk) <= 6
    small = sum(1 for n in sizes.values() if 1 <= n <= 8)
    assert small / len(sizes) >= 0.85
    assert churn["added"] > 0 and churn["deleted"] > 0


def _commit_sizes(repo: Path) -> tuple[dict[str, int], Counter]:
    sizes: dict[str, int] = {}
    churn: Counter = Counter()
    current = None
    for line in git(repo, "log", "--no-merges", "--numstat", "--format=@%H").splitlines():
        if line.startswith("@"):
            current = line[1:]
            sizes[current] = 0
        elif line.strip():
            added, deleted, _ = line.split("\t", 2)
            sizes[current] += 1
            churn["added"] += int(added)
            churn["deleted"] += int(deleted)
    return sizes, churn


def _commit_contexts(repo: Path) -> list[tuple[str, str, int, set[str]]]:
    """(email, unix time, files, contexts) per non-merge commit; migrations left out."""
    out = []
    for block in git(repo, "log", "--no-merges", "--name-only", "--format=\x1e%ae %at").split("\x1e")[1:]:
        head, *paths = [p for p in block.splitlines() if p]
        email, at = head.split()
        contexts = {p.split("/")[1] for p in paths
                    if p.startswith("shopfront/") and p.split("/")[1] in CONTEXTS and "/migrations/" not in p}
        out.append((email, int(at), len(paths), contexts))
    return out


def test_planted_cochange_and_team_pressure(sample):
    commits = _commit_contexts(sample / "repo")
    regular = [c for c in commits if c[2] <= 30]
    pairs: Counter = Counter()
    for _, _, _, ctxs in regular:
        for a in ctxs:
            for b in ctxs:
                if a < b:
                    pairs[(a, b)] += 1
    for other in ("orders", "accounts", "catalog", "shipping"):
        assert pairs[tuple(sorted(("billing", other)))] >= 10, other
    billing_pairs = min(pairs[tuple(sorted(("billing", o)))] for o in ("orders", "accounts", "catalog", "shipping"))
    others = [v for k, v in pairs.items() if "billing" not in k]
    assert max(others) < billing_pairs
    assert sum(1 for c in commits if len(c[3]) >= 2) / len(commits) >= 0.25
    # active authors in the last 90 days, in all three teams
    team_of = {e: t for t, es in world.team_emails().items() for e in es}
    since = world.HISTORY_END.timestamp() - 90 * 86400
    recent = {email for email, at, _, _ in commits if at >= since}
    people = {a.name for a in world.AUTHORS if set(a.emails) & recent}
    assert len(people) >= 12
    assert {team_of[e] for e in recent} == set(world.TEAM_CONTEXTS)


# ------------------------------------------------------------------------------------
# the PostgreSQL log


def _statements(records):
    """Executions: simple-protocol statements and extended-protocol executes."""
    return [r for r in records if r[3] == "LOG" and re.match(r"duration: [\d.]+ ms  (statement|execute \S+): ", r[4])]


def test_log_shape(sample, log_records):
    text = (sample / "logs" / "postgresql.log").read_text(encoding="utf-8")
    executions = _statements(log_records)
    assert 8_000 <= len(executions) <= 15_000
    stamps = [r[0] for r in log_records]
    assert stamps == sorted(stamps)
    assert stamps[0] >= "2026-10-29 18:00:00.000" and stamps[-1] <= "2026-10-31 18:00:00.000"
    assert "\n\tFROM " in text                                           # multi-line statements
    for phase in ("parse <unnamed>: ", "bind <unnamed>: ", "execute <unnamed>: "):
        assert phase in text
    assert re.search(r"execute <unnamed>: .*\n\S+ \S+ UTC \[\d+\] \S+ DETAIL:  parameters: \$1 = '", text)
    errors = [i for i, r in enumerate(log_records) if r[3] == "ERROR"]
    assert errors
    for i in errors:
        following = log_records[i + 1:i + 5]
        assert any(r[3] == "STATEMENT" and r[1] == log_records[i][1] for r in following)
    simple = sum(1 for r in executions if " statement: " in r[4])
    assert 0.5 <= simple / len(executions) <= 0.85
    # non-session lines have no user@db; session lines before authentication say [unknown]
    assert any(r[2] is None and "checkpoint starting: time" in r[4] for r in log_records)
    assert any(r[2] == "[unknown]@[unknown]" and r[4].startswith("connection received: ") for r in log_records)


def test_every_traceparent_names_the_db_span_of_the_same_statement(log_records, spans):
    by_id = {(s["traceId"], s["spanId"]): s for s in spans}
    linked = 0
    for ts, _, _, _, message in _statements(log_records):
        m = TRACEPARENT.search(message)
        if not m:
            continue
        linked += 1
        span = by_id.get((m.group(1), m.group(2)))
        assert span is not None, message[:200]
        assert span["kind"] == 3 and span["attrs"]["db.system"] == "postgresql"
        sql = re.match(r"duration: [\d.]+ ms  (?:statement|execute \S+): (.*)", message, re.S).group(1)
        sql = sql.rsplit(" /*", 1)[0]
        assert span["attrs"]["db.statement"] == sql
        logged = dt.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.UTC)
        end_ms = int(span["endTimeUnixNano"]) // 1_000_000
        assert abs(int(logged.timestamp() * 1000) - end_ms) <= 1
    assert linked > 1000


def test_untraced_contexts_statements(log_records):
    shipping = search = 0
    for _, _, _, _, message in _statements(log_records):
        if "shipping.views." in message:
            shipping += 1
            assert "route='/shipping/" in message and "traceparent" not in message
        if re.search(r"\b(search_document|search_synonym)\b", message):
            search += 1
            assert "/*" not in message
    assert shipping > 0 and search > 0


def test_traced_statements_share_and_write_sharing(log_records, spans):
    """~40-60% of traced contexts' statements carry traceparent; who writes which table."""
    by_id = {(s["traceId"], s["spanId"]): s for s in spans}

    def context_of(span):
        while span is not None:
            attrs = span["attrs"]
            if "code.namespace" in attrs:
                return attrs["code.namespace"].split(".")[1]
            if "http.route" in attrs:
                return attrs["http.route"].split("/")[1]
            span = by_id.get((span["traceId"], span.get("parentSpanId")))
        return None

    writers = defaultdict(set)
    for _, _, _, _, message in _statements(log_records):
        m = TRACEPARENT.search(message)
        if not m:
            continue
        db = by_id[(m.group(1), m.group(2))]
        target = re.match(r"\s*(?:INSERT INTO|UPDATE|DELETE FROM|COPY) ([a-z_]+)", db["attrs"]["db.statement"])
        if target:
            writers[target.group(1)].add(context_of(by_id.get((db["traceId"], db.get("parentSpanId")))))
    assert writers["inventory_stock"] == {"inventory", "orders"}
    assert len(writers["notifications_outbox"]) >= 6
    for table, who in writers.items():
        if table not in ("inventory_stock", "notifications_outbox"):
            assert who == {table.split("_")[0]}, (table, who)


def test_secrets_are_planted_in_the_inputs(sample):
    log = (sample / "logs" / "postgresql.log").read_text(encoding="utf-8")
    traces = (sample / "traces" / "otlp.jsonl").read_text(encoding="utf-8")
    planted = (sample / "PLANTED.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in planted
    for value in SECRETS.values():
        assert value in planted
        assert value in log or value in traces
    assert SECRETS["card number"] in log and SECRETS["card number"] in traces
    assert SECRETS["supplier API key"] in traces


# ------------------------------------------------------------------------------------
# the traces


def test_traces_are_otlp_json_lines(sample):
    lines = (sample / "traces" / "otlp.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 10
    services = set()
    for line in lines:
        request = json.loads(line)
        assert list(request) == ["resourceSpans"]
        for rs in request["resourceSpans"]:
            attrs = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
            services.add(attrs["service.name"]["stringValue"])
            for ss in rs["scopeSpans"]:
                assert ss["scope"]["name"]
                for span in ss["spans"]:
                    assert re.fullmatch(r"[0-9a-f]{32}", span["traceId"])
                    assert re.fullmatch(r"[0-9a-f]{16}", span["spanId"])
                    assert re.fullmatch(r"[0-9a-f]{16}", span.get("parentSpanId", "0" * 16))
                    assert span["kind"] in (1, 2, 3, 4, 5)
                    assert span["startTimeUnixNano"].isdigit() and span["endTimeUnixNano"].isdigit()
                    assert int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"])
                    for a in span["attributes"]:
                        (kind, value), = a["value"].items()
                        assert kind in ("stringValue", "intValue", "doubleValue", "boolValue")
                        if kind == "intValue":
                            assert isinstance(value, str) and value.lstrip("-").isdigit()
                    assert span["status"] in ({}, {"code": 2, "message": span["status"].get("message")})
    assert services == {"shopfront-web", "shopfront-worker", "shopfront-ingest"}


def test_span_tree_and_blind_spots(spans):
    assert 5_000 <= len(spans) <= 20_000
    by_id = {(s["traceId"], s["spanId"]): s for s in spans}
    for s in spans:
        ns = s["attrs"].get("code.namespace", "")
        route = s["attrs"].get("http.route", "")
        assert not ns.startswith(("shopfront.search", "shopfront.shipping"))
        assert not route.startswith(("/search", "/shipping"))
        parent = by_id.get((s["traceId"], s.get("parentSpanId")))
        if s.get("parentSpanId"):
            assert parent is not None                                     # no orphans
            assert int(parent["startTimeUnixNano"]) <= int(s["startTimeUnixNano"])
            if not (s["kind"] == 5 and parent["kind"] == 4):   # a consumer outlives the producer it follows
                assert int(s["endTimeUnixNano"]) <= int(parent["endTimeUnixNano"])
    consumers = [s for s in spans if s["kind"] == 5]
    outbox = [s for s in consumers if s["attrs"]["messaging.destination.name"] == "notifications.outbox"]
    assert outbox and all("parentSpanId" not in s and not s.get("links") for s in outbox)
    assert all(s.get("links") for s in consumers if s["attrs"]["messaging.destination.name"] == "ingestion.batches")
    # notifications is called synchronously from at least six other contexts
    callers = set()
    for s in spans:
        if s["kind"] == 1 and s["attrs"]["code.namespace"].startswith("shopfront.notifications."):
            parent = by_id[(s["traceId"], s["parentSpanId"])]
            if "code.namespace" in parent["attrs"]:
                callers.add(parent["attrs"]["code.namespace"].split(".")[1])
    assert len(callers - {"notifications"}) >= 6


def test_ingestion_has_its_own_load_shape(spans):
    """Self time per 5-minute bucket: nightly peak >= 10x median, uncorrelated with the rest."""
    by_id = {(s["traceId"], s["spanId"]): s for s in spans}
    child_time = Counter()
    for s in spans:
        if s.get("parentSpanId"):
            child_time[(s["traceId"], s["parentSpanId"])] += int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])

    def context_of(span):
        while span is not None:
            attrs = span["attrs"]
            for key in ("code.namespace", "http.route", "messaging.destination.name"):
                if key in attrs:
                    value = attrs[key]
                    return value.split(".")[1] if key == "code.namespace" else value.strip("/").split("/")[0].split(".")[0]
            span = by_id.get((span["traceId"], span.get("parentSpanId")))
        return None

    start = int(world.HISTORY_END.timestamp() - 2 * 86400) * 10**9
    buckets = 2 * 288
    ingestion, rest = [0.0] * buckets, [0.0] * buckets
    totals = Counter()
    for s in spans:
        ctx = context_of(s)
        own = int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"]) - child_time[(s["traceId"], s["spanId"])]
        b = min(buckets - 1, (int(s["startTimeUnixNano"]) - start) // (300 * 10**9))
        (ingestion if ctx == "ingestion" else rest)[b] += own / 1e6
        totals[ctx] += own / 1e6
    median = sorted(ingestion)[buckets // 2]
    assert median > 0
    assert max(ingestion) >= 10 * median
    assert totals["ingestion"] >= 10 * totals["analytics"] > 0
    n = buckets
    mx, my = sum(ingestion) / n, sum(rest) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(ingestion, rest))
    corr = cov / (sum((x - mx) ** 2 for x in ingestion) * sum((y - my) ** 2 for y in rest)) ** 0.5
    assert corr < 0.3


# ------------------------------------------------------------------------------------
# the config


def test_config_loads_and_covers_every_author(sample):
    cfg = load_config(sample / "seams.yml")
    assert cfg.name == "shopfront"
    assert cfg.context_names == world.CONTEXTS
    assert cfg.git.repository == (sample / "repo").resolve()
    assert cfg.sql[0].log_line_prefix == "%m [%p] %q%u@%d "
    assert cfg.traces[0].format == "otlp-json"
    emails = set(git(sample / "repo", "log", "--format=%ae").split())
    assert emails <= set(cfg.teams)
    assert set(cfg.teams.values()) == set(world.TEAM_CONTEXTS)
    owned = [t for c in cfg.contexts for t in c.tables]
    assert sorted(owned) == sorted(t.name for t in world.TABLES)
    # the platform package is deliberately unassigned
    assert not any(g.startswith("shopfront/platform") for c in cfg.contexts for g in c.paths)


def test_building_needs_no_cleanup_after_a_failure(tmp_path, monkeypatch):
    from seams_sample import build as build_module

    def broken(*args, **kwargs):
        raise SeamsError("boom")

    monkeypatch.setattr(build_module, "simulate", broken)
    with pytest.raises(SeamsError, match="boom"):
        build_sample(tmp_path / "s", SEED, "small")
    assert list(tmp_path.iterdir()) == []



# ------------------------------------------------------------------------------------
# the pure parts, on tiny literal inputs


def _ns(text: str) -> int:
    moment = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.UTC)
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000 + 789


def test_log_records_render_as_postgresql_writes_them():
    from seams_sample.postgres_log import render_log
    from seams_sample.simulator import LogEvent

    assert list(render_log([])) == []
    events = [
        LogEvent(_ns("2026-10-25 13:04:05.123456"), 1, 4121, "shopfront_web@shopfront",
                 (("LOG", "duration: 1.204 ms  statement: SELECT p.id\nFROM catalog_product p"),)),
        LogEvent(_ns("2026-10-25 13:04:06.000999"), 2, 61, None, (("LOG", "checkpoint starting: time"),)),
        LogEvent(_ns("2026-10-25 13:04:06.5"), 3, 4123, "shopfront_web@shopfront",
                 (("ERROR", "duplicate key value violates unique constraint \"accounts_user_email_key\""),
                  ("DETAIL", "Key (email)=(a@b.test) already exists."),
                  ("STATEMENT", "INSERT INTO accounts_user (email) VALUES ('a@b.test')"))),
    ]
    assert "".join(render_log(events)) == (
        "2026-10-25 13:04:05.123 UTC [4121] shopfront_web@shopfront LOG:  duration: 1.204 ms  statement: SELECT p.id\n"
        "\tFROM catalog_product p\n"
        "2026-10-25 13:04:06.000 UTC [61] LOG:  checkpoint starting: time\n"
        "2026-10-25 13:04:06.500 UTC [4123] shopfront_web@shopfront ERROR:  duplicate key value violates unique "
        "constraint \"accounts_user_email_key\"\n"
        "2026-10-25 13:04:06.500 UTC [4123] shopfront_web@shopfront DETAIL:  Key (email)=(a@b.test) already exists.\n"
        "2026-10-25 13:04:06.500 UTC [4123] shopfront_web@shopfront STATEMENT:  INSERT INTO accounts_user (email) "
        "VALUES ('a@b.test')\n"
    )


def test_sqlcommenter_comment_is_url_encoded_with_sorted_keys():
    import random

    from seams_sample.simulator import Job, Simulator, Span

    sim = Simulator(random.Random(0), 0, 1)
    tags = {"route": "/orders/<int:order_id>/", "framework": "django:4.2", "controller": "orders.views.detail"}
    span = Span("ab" * 16, "cd" * 8, None, "SELECT shopfront", 3, "shopfront-web", "psycopg", 0)
    job = Job("shopfront-web", "shopfront_web", 1, True, "ab" * 16, 0, "full", tags)
    assert sim._comment(job, span) == (
        " /*controller='orders.views.detail',framework='django%3A4.2',route='/orders/%3Cint%3Aorder_id%3E/',"
        f"traceparent='00-{'ab' * 16}-{'cd' * 8}-01'*/")
    assert sim._comment(job, None) == ""                      # sampled comments need a span
    job.comment = "tags"
    assert "traceparent" not in sim._comment(job, None) and "route=" in sim._comment(job, None)
    job.comment = None
    assert sim._comment(job, span) == ""


def test_spans_are_batched_into_export_requests():
    from seams_sample.otlp_traces import export_requests
    from seams_sample.simulator import Span

    assert list(export_requests([])) == []
    root = Span("a" * 32, "1" * 16, None, "GET /orders", 2, "shopfront-web", "django", 1_000, 9_000,
                [("http.response.status_code", 500), ("http.route", "/orders")], status=2, status_message="boom")
    late = Span("b" * 32, "2" * 16, None, "ingestion.batches process", 5, "shopfront-ingest", "pika",
                6 * 10**9, 7 * 10**9, [], links=(("a" * 32, "1" * 16),))
    first, second = export_requests([root, late])              # two export windows
    (rs,) = first["resourceSpans"]
    (span,) = rs["scopeSpans"][0]["spans"]
    assert "parentSpanId" not in span
    assert span["attributes"][0] == {"key": "http.response.status_code", "value": {"intValue": "500"}}
    assert span["status"] == {"code": 2, "message": "boom"}
    assert span["startTimeUnixNano"] == "1000" and span["endTimeUnixNano"] == "9000"
    (rs2,) = second["resourceSpans"]
    assert rs2["scopeSpans"][0]["spans"][0]["links"] == [{"traceId": "a" * 32, "spanId": "1" * 16}]
    assert rs2["scopeSpans"][0]["spans"][0]["status"] == {}


def test_renaming_a_module_rewrites_its_importers():
    import random

    from seams_sample.source_code import CodeWriter, Workspace, create_module

    ws = Workspace()
    writer = CodeWriter(random.Random(1), ws)
    create_module(world.MODULES_BY_KEY["billing.invoicing"], ws, writer, name="invoice")
    create_module(world.MODULES_BY_KEY["billing.services"], ws, writer)
    first = dict((p, t) for p, t, _ in ws.flush())
    assert "from shopfront.billing.invoice import build_invoice" in first["shopfront/billing/services.py"]
    assert ws.flush() == []                                   # nothing changed since
    ws.rename("billing.invoicing", "invoicing")
    changes = {p: t for p, t, _ in ws.flush()}
    assert changes["shopfront/billing/invoice.py"] is None    # deleted
    assert changes["shopfront/billing/invoicing.py"] == first["shopfront/billing/invoice.py"]
    assert "from shopfront.billing.invoicing import build_invoice" in changes["shopfront/billing/services.py"]
    for text in changes.values():
        if text is not None:
            compile(text, "<generated>", "exec")
