"""The SYNTHETIC git history of "shopfront", written with ``git fast-import``.

:func:`write_repository` plans the history (who changes which contexts when), replays it
on a :class:`~seams_sample.source_code.Workspace`, streams the commits to
``git fast-import`` and checks out a work tree of HEAD. Everything is seeded: commit
dates, identities and contents come from ``random.Random`` and fixed moments, git runs
with an empty environment (``HOME`` in a temporary folder, no system or global config),
so one seed and scale always give the same commit hashes.

The history (see :data:`SCALES`):

- 24 months ending at :data:`~seams_sample.world.HISTORY_END`; the commit rate grows
  over time (the team grew), weekdays and working hours in each author's time zone;
- the project is scaffolded context by context in its first two weeks; cross-context
  imports only point to contexts that already exist, except catalog -> search, wired in a
  later commit (the import cycle);
- ordinary commits touch 1-8 files: one context mostly, several in about a third of
  them; billing changes together with orders, accounts, catalog and shipping on purpose
  (:data:`COMMIT_MIX`);
- bulk commits (copyright bumps, black, isort) touch every Python file; four modules are
  renamed within their context; release commits touch CHANGELOG.md and pyproject.toml;
  a few short feature branches are merged back.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from analysis.core.errors import SeamsError
from seams_sample import world
from seams_sample.source_code import (
    CodeWriter,
    PyModule,
    TextFile,
    Workspace,
    create_module,
    enable_import,
    migration_body,
)
from seams_sample.world import AUTHORS, CONTEXTS, HISTORY_END, TEAM_OF_CONTEXT, Author

#: Commits per scale (merges included).
SCALES: dict[str, int] = {"small": 380, "full": 1800}
#: Release cadence per scale (days between release commits).
RELEASE_EVERY_DAYS: dict[str, int] = {"small": 28, "full": 14}
#: Merged feature branches per scale.
MERGES: dict[str, int] = {"small": 3, "full": 8}

#: Shares of the ordinary commits by the contexts they touch (normalized).
COMMIT_MIX: tuple[tuple[tuple[str, ...], float], ...] = (
    (("billing", "orders"), 5.5),
    (("billing", "accounts"), 5.0),
    (("billing", "catalog"), 5.0),
    (("billing", "shipping"), 5.0),
    (("billing", "orders", "shipping"), 1.5),
    (("inventory", "orders"), 3.0),
    (("catalog", "search"), 3.0),
    (("*rare*",), 4.0),
    (("*platform*",), 4.0),
    (("*single*",), 60.0),
)

#: Relative activity of each context in single-context commits.
SINGLE_WEIGHTS: dict[str, float] = {
    "orders": 14, "catalog": 12, "accounts": 9, "billing": 9, "inventory": 8, "search": 7,
    "shipping": 7, "notifications": 6, "ingestion": 10, "analytics": 8,
}

RARE_PAIRS: tuple[tuple[str, str], ...] = (
    ("accounts", "notifications"), ("orders", "shipping"), ("catalog", "ingestion"), ("analytics", "orders"),
    ("ingestion", "inventory"), ("accounts", "orders"), ("catalog", "inventory"), ("analytics", "catalog"),
    ("notifications", "orders"), ("accounts", "catalog"), ("accounts", "shipping"), ("analytics", "ingestion"),
)

#: Probability that an ordinary single-context commit comes from outside the owning team.
CROSS_TEAM_SHARE = 0.14
RECENT_DAYS = 90


@dataclass
class PlannedCommit:
    when: dt.datetime
    kind: str                          # initial, scaffold, wiring, work, bulk, rename, release
    author: Author
    contexts: tuple[str, ...] = ()
    detail: str = ""
    identity: tuple[str, str] | None = None
    branch: bool = False               # committed on a feature branch, merged right after the next commit


@dataclass
class HistoryFacts:
    """What the written history contains (for PLANTED.md and the tests)."""

    head: str = ""
    commits: int = 0
    merges: int = 0
    authors: int = 0
    emails: int = 0
    first: str = ""
    last: str = ""
    bulk_commits: list[tuple[str, int]] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    commits_by_context: Counter = field(default_factory=Counter)
    cochange: Counter = field(default_factory=Counter)
    cross_context_commits: int = 0
    cross_team_commits: int = 0
    non_merge_commits: int = 0
    recent_authors: int = 0
    recent_teams: int = 0


# ------------------------------------------------------------------------------------
# planning


def _weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _at(day: dt.date, hour: int, minute: int, author: Author | None = None) -> dt.datetime:
    """A UTC moment for a local wall-clock time of ``author`` (UTC if none)."""
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
    return local - dt.timedelta(minutes=author.tz_minutes if author else 0)


def _team_author(rng: random.Random, team: str, day: dt.date, exclude_team: bool = False) -> Author:
    pool = [a for a in AUTHORS if (a.team != team if exclude_team else a.team == team) and a.active_on(day)]
    return _weighted(rng, pool, [a.weight for a in pool])


def _work_days(rng: random.Random, n: int, first: dt.date, last: dt.date) -> list[dt.date]:
    days, weights = [], []
    span = (last - first).days
    d = first
    while d <= last:
        w = 1.0 if d.weekday() < 5 else 0.06
        w *= 0.55 + 0.9 * (d - first).days / span          # the team grew
        if (d.month == 12 and d.day >= 22) or (d.month == 1 and d.day <= 2):
            w *= 0.15
        if d.month == 8:
            w *= 0.7
        days.append(d)
        weights.append(w)
        d += dt.timedelta(days=1)
    return sorted(rng.choices(days, weights=weights, k=n))


def plan_history(rng: random.Random, scale: str) -> list[PlannedCommit]:
    """Every commit of the history, oldest first (merge commits are added when writing)."""
    total = SCALES[scale]
    merges = MERGES[scale]
    by_name = {a.name: a for a in AUTHORS}
    commits: list[PlannedCommit] = []

    # scaffolding in the first two weeks
    day0 = world.HISTORY_START.date()
    commits.append(PlannedCommit(_at(day0, 9, 30), "initial", by_name["Maya Okafor"]))
    scaffold_days = [day0 + dt.timedelta(days=n) for n in (0, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14)]
    owners = {"accounts": "Liam Brennan", "notifications": "Jonas Weber", "catalog": "Maya Okafor",
              "search": "Sofía Marchetti", "inventory": "Elena Petrova", "orders": "Daniel Kim",
              "shipping": "Marcus Johnson", "billing": "Elena Petrova", "analytics": "Ravi Patel",
              "ingestion": "Chen Wei"}
    steps = list(world.SCAFFOLD_ORDER)
    steps.insert(steps.index("search") + 1, "search-wiring")
    for day, step in zip(scaffold_days, steps):
        if step == "search-wiring":
            commits.append(PlannedCommit(_at(day, 15, 10), "wiring", by_name["Sofía Marchetti"], ("catalog", "search")))
        else:
            commits.append(PlannedCommit(_at(day, 14, 0) if step != "accounts" else _at(day, 16, 20),
                                         "scaffold", by_name[owners[step]], (step,)))
    work_start = scaffold_days[-1] + dt.timedelta(days=2)

    # fixed events
    events: list[PlannedCommit] = [
        PlannedCommit(_at(dt.date(2025, 1, 6), 10, 12), "bulk", by_name["Maya Okafor"], detail="copyright:2025"),
        PlannedCommit(_at(dt.date(2026, 1, 5), 9, 41), "bulk", by_name["Elena Petrova"], detail="copyright:2026"),
        PlannedCommit(_at(dt.date(2025, 4, 14), 16, 20), "bulk", by_name["Jonas Weber"], detail="black"),
        PlannedCommit(_at(dt.date(2025, 9, 8), 11, 5), "bulk", by_name["Ravi Patel"], detail="isort"),
    ]
    rename_authors = {"search": "Sofía Marchetti", "billing": "Aisha Bello", "ingestion": "Samuel Adeyemi",
                      "notifications": "Priya Raman"}
    for key, _former, day in world.RENAMES:
        ctx = key.split(".")[0]
        events.append(PlannedCommit(_at(day, 14, 33), "rename", by_name[rename_authors[ctx]], (ctx,), detail=key))
    release_day = dt.date(2024, 11, 28)
    release_every = dt.timedelta(days=RELEASE_EVERY_DAYS[scale])
    releasers = [a for a in AUTHORS if a.team in ("commerce", "storefront")]
    per_month: Counter = Counter()
    while release_day < HISTORY_END.date() - dt.timedelta(days=3):
        who = _weighted(rng, [a for a in releasers if a.active_on(release_day)], None)
        per_month[(release_day.year, release_day.month)] += 1
        version = f"{release_day.year}.{release_day.month}.{per_month[(release_day.year, release_day.month)]}"
        events.append(PlannedCommit(_at(release_day, 15, 45), "release", who, detail=version))
        release_day += release_every
    end = HISTORY_END.date()
    final = PlannedCommit(HISTORY_END, "release", by_name["Elena Petrova"],
                          detail=f"{end.year}.{end.month}.{per_month[(end.year, end.month)] + 1}")
    fixed = len(commits) + len(events) + 1

    # ordinary work
    n_work = total - fixed - merges
    if n_work < 50:
        raise SeamsError(f"scale {scale!r} is too small for a history")
    kinds = _commit_kinds(rng, n_work)
    days = _work_days(rng, n_work, work_start, HISTORY_END.date() - dt.timedelta(days=1))
    for day, contexts in zip(days, kinds):
        commits.append(_work_commit(rng, day, contexts))
    commits += events
    commits.sort(key=lambda c: c.when)
    commits = [c for c in commits if c.when < HISTORY_END]
    commits.append(final)
    _unique_times(commits)
    _cover_recent_authors(rng, commits)
    commits.sort(key=lambda c: c.when)
    _unique_times(commits)
    for c in commits:
        c.identity = _identity(rng, c.author)
    _choose_branches(rng, commits, merges)
    return commits


def _commit_kinds(rng: random.Random, n: int) -> list[tuple[str, ...]]:
    total_weight = sum(w for _, w in COMMIT_MIX)
    deck: list[tuple[str, ...]] = []
    for contexts, w in COMMIT_MIX:
        if contexts == ("*single*",):
            continue
        k = round(n * w / total_weight)
        for _ in range(k):
            if contexts == ("*rare*",):
                deck.append(rng.choice(RARE_PAIRS))
            else:
                deck.append(contexts)
    names = list(SINGLE_WEIGHTS)
    weights = [SINGLE_WEIGHTS[c] for c in names]
    while len(deck) < n:
        deck.append((_weighted(rng, names, weights),))
    rng.shuffle(deck)
    return deck[:n]


def _work_commit(rng: random.Random, day: dt.date, contexts: tuple[str, ...]) -> PlannedCommit:
    if contexts == ("*platform*",):
        author = _weighted(rng, [a for a in AUTHORS if a.active_on(day)], None)
        kind_contexts: tuple[str, ...] = ()
    else:
        contexts = tuple(contexts)
        if len(contexts) > 1 and rng.random() < 0.5:
            contexts = contexts[1:] + contexts[:1]
        team = TEAM_OF_CONTEXT[contexts[0]]
        cross = rng.random() < CROSS_TEAM_SHARE
        author = _team_author(rng, team, day, exclude_team=cross)
        kind_contexts = contexts
    hour = _weighted(rng, list(range(8, 20)), [2, 5, 7, 7, 4, 6, 7, 7, 6, 4, 2, 1])
    when = _at(day, hour, rng.randrange(60), author) + dt.timedelta(seconds=rng.randrange(60))
    return PlannedCommit(when, "work" if kind_contexts else "platform", author, kind_contexts)


def _unique_times(commits: list[PlannedCommit]) -> None:
    for prev, cur in zip(commits, commits[1:]):
        if cur.when <= prev.when:
            cur.when = prev.when + dt.timedelta(seconds=37)


def _cover_recent_authors(rng: random.Random, commits: list[PlannedCommit]) -> None:
    """Every author still on the team commits at least twice in the recent window."""
    start = HISTORY_END - dt.timedelta(days=RECENT_DAYS)
    recent = [c for c in commits if c.when >= start and c.kind in ("work", "platform")]
    counts = Counter(c.author.name for c in recent)
    for author in AUTHORS:
        if not author.active_on(HISTORY_END.date()):
            continue
        while counts[author.name] < 2:
            own = [c for c in recent if counts[c.author.name] > 3
                   and (not c.contexts or TEAM_OF_CONTEXT[c.contexts[0]] == author.team)]
            if not own:
                own = [c for c in recent if counts[c.author.name] > 3]
            c = rng.choice(own)
            counts[c.author.name] -= 1
            # keep the local wall-clock time of the commit in the new author's time zone
            c.when += dt.timedelta(minutes=c.author.tz_minutes - author.tz_minutes)
            c.when = min(c.when, HISTORY_END - dt.timedelta(hours=1))
            c.author = author
            counts[author.name] += 1


def _identity(rng: random.Random, author: Author) -> tuple[str, str]:
    if len(author.emails) > 1 and rng.random() < 0.3:
        return (author.alias_name or author.name, author.emails[1])
    return (author.name, author.emails[0])


def _choose_branches(rng: random.Random, commits: list[PlannedCommit], n: int) -> None:
    """Mark ``n`` single-context work commits to be made on short feature branches."""
    candidates = [i for i in range(40, len(commits) - 3)
                  if commits[i].kind == "work" and len(commits[i].contexts) == 1
                  and commits[i + 1].kind == "work" and not set(commits[i + 1].contexts) & set(commits[i].contexts)
                  and commits[i + 2].when - commits[i + 1].when > dt.timedelta(minutes=20)]
    chosen: list[int] = []
    for i in rng.sample(candidates, min(len(candidates), n * 3)):
        if all(abs(i - j) > 3 for j in chosen):
            chosen.append(i)
        if len(chosen) == n:
            break
    for i in chosen:
        commits[i].branch = True


# ------------------------------------------------------------------------------------
# replaying the plan on the workspace


_VERBS = ("Fix", "Fix", "Improve", "Handle", "Refactor", "Speed up", "Validate", "Add logging to", "Retry",
          "Simplify", "Clean up", "Add tests for", "Rework", "Guard", "Cache")
_SUFFIXES = ("", "", "", "", " for guest checkout", " in admin", " on mobile", " after deploy", " (follow-up)",
             " for EU customers", " under load", " in nightly jobs")


class HistoryWriter:
    """Applies planned commits to a workspace and returns the file changes per commit."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ws = Workspace()
        self.code = CodeWriter(rng, self.ws)
        self.migrations: Counter = Counter()
        self.wired: set[str] = set()
        self.ticket = 1200

    # ---- commit kinds -------------------------------------------------------------
    def apply(self, c: PlannedCommit) -> str:
        return getattr(self, f"_{c.kind}")(c)

    def _initial(self, c: PlannedCommit) -> str:
        for plan in world.MODULES:
            if plan.package == "platform":
                create_module(plan, self.ws, self.code)
        for path, lines, executable in _top_level_files():
            self.ws.add(f"top:{path}", TextFile(path, lines, executable))
        return "Initial project layout"

    def _scaffold(self, c: PlannedCommit) -> str:
        ctx = c.contexts[0]
        renamed = {key: former for key, former, _ in world.RENAMES}
        first = {"models": 0, "services": 1, "extra": 2}
        for plan in sorted((p for p in world.MODULES if p.package == ctx), key=lambda p: first.get(p.role, 3)):
            create_module(plan, self.ws, self.code, name=renamed.get(plan.key), enabled_after=self.wired)
        self.migrations[ctx] = 1
        return f"Add {ctx} app"

    def _wiring(self, c: PlannedCommit) -> str:
        self.wired.add("search-wiring")
        for mod in self.ws.modules("catalog"):
            if mod.plan:
                for i, imp in enumerate(mod.plan.imports):
                    if imp.after == "search-wiring":
                        enable_import(mod, i, self.code, self.ws)
        return "Reindex search documents when products change"

    def _bulk(self, c: PlannedCommit) -> str:
        what = c.detail
        if what.startswith("copyright:"):
            year = int(what.split(":")[1])
            self.ws.restyle(copyright_to=year)
            return f"Bump copyright headers to {year}"
        if what == "black":
            self.ws.restyle(black=True)
            return "Apply black formatting"
        self.ws.restyle(isort=True)
        return "Sort imports with isort"

    def _rename(self, c: PlannedCommit) -> str:
        key = c.detail
        mod = self.ws.module(key)
        assert mod is not None  # a renamed module exists since its context's scaffold
        old = mod.name
        new = world.MODULES_BY_KEY[key].name
        self.ws.rename(key, new)
        return f"Rename {mod.package}.{old} to {mod.package}.{new}"

    def _release(self, c: PlannedCommit) -> str:
        version = c.detail
        changelog = self.ws.files["top:CHANGELOG.md"]
        assert isinstance(changelog, TextFile)  # every top: file is a TextFile (_initial)
        entries = [f"- {self._topic_line()}" for _ in range(self.rng.randint(2, 4))]
        changelog.lines[2:2] = [f"## {version}", "", *entries, ""]
        pyproject = self.ws.files["top:pyproject.toml"]
        assert isinstance(pyproject, TextFile)
        pyproject.lines = [f'version = "{version}"' if ln.startswith("version = ") else ln for ln in pyproject.lines]
        self.ws.touch("top:CHANGELOG.md")
        self.ws.touch("top:pyproject.toml")
        return f"Release {version}"

    def _platform(self, c: PlannedCommit) -> str:
        rng = self.rng
        choice = rng.random()
        if choice < 0.35:
            lock = self.ws.files["top:requirements.lock"]
            assert isinstance(lock, TextFile)
            i = rng.randrange(len(lock.lines))
            name, version = lock.lines[i].split("==")
            parts = version.split(".")
            parts[-1] = str(int(parts[-1]) + 1)
            lock.lines[i] = f"{name}=={'.'.join(parts)}"
            self.ws.touch("top:requirements.lock")
            return f"Bump {name} from {version} to {'.'.join(parts)}"
        if choice < 0.7:
            doc = rng.choice(["top:docs/runbook.md", "top:docs/architecture.md", "top:README.md"])
            f = self.ws.files[doc]
            assert isinstance(f, TextFile)
            topic = self._topic()
            f.lines += ["", f"- {topic[0].upper() + topic[1:]}: see the {rng.choice(world.CONTEXTS)} dashboards."]
            self.ws.touch(doc)
            return f"Document {topic}" if rng.random() < 0.6 else f"Update {doc.split('/')[-1]}"
        settings = self.ws.module("platform.settings")
        assert settings is not None  # platform modules exist from the first commit
        name = f"{rng.choice(['FEATURE', 'LIMIT', 'TIMEOUT', 'CACHE'])}_{rng.choice(world.VERBS).upper()}_{rng.randint(1, 99)}"
        settings.body_text.append(f"{name} = {rng.randint(1, 600)}")
        self.ws.touch("platform.settings")
        if rng.random() < 0.5:
            bus = self.ws.module("platform.bus")
            assert bus is not None
            bus.body_text[-1] = bus.body_text[-1].replace("args=[topic, payload]", "args=[topic, payload], retry=True") \
                if "retry" not in bus.body_text[-1] else bus.body_text[-1].replace(", retry=True", "")
            self.ws.touch("platform.bus")
        return f"Add {name} setting"

    def _work(self, c: PlannedCommit) -> str:
        rng = self.rng
        budget = 8
        for n, ctx in enumerate(c.contexts):
            share = max(1, (budget - len(c.contexts) + n + 1) // (len(c.contexts) - n))
            k = min(share, _weighted(rng, [1, 2, 3], [50, 35, 15]))
            budget -= self._change_context(ctx, k)
        if len(c.contexts) == 1 and rng.random() < 0.05 and budget > 0:
            self._platform(c)
        return self._message(c.contexts)

    def extra_change(self, ctx: str) -> None:
        mod = self.ws.module(f"{ctx}.services")
        assert mod is not None  # every context has a services module
        mod.functions.append(self.code.new_function(mod))
        self.ws.touch(mod.key)

    # ---- changes inside a context ---------------------------------------------------
    def _change_context(self, ctx: str, k: int) -> int:
        rng = self.rng
        mods = [m for m in self.ws.modules(ctx) if m.role in ("services", "extra", "tasks", "views", "models", "tests")]
        weights = [{"services": 4, "extra": 3, "tasks": 1.5, "views": 1.5, "models": 1, "tests": 1}[m.role] for m in mods]
        chosen: list[PyModule] = []
        for _ in range(k):
            m = _weighted(rng, mods, weights)
            if m not in chosen:
                chosen.append(m)
        files = 0
        for m in chosen:
            files += self._change_module(m)
        return files

    def _change_module(self, mod: PyModule) -> int:
        rng = self.rng
        code = self.code
        self.ws.touch(mod.key)
        if mod.role == "models":
            added = code.add_model_field(mod)
            if added is None:
                return 1
            cls, col, expr = added
            self.migrations[mod.package] += 1
            n = self.migrations[mod.package]
            prev = _migration_name(self.ws, mod.package, n - 1)
            name = f"migrations.{n:04d}_{cls.name.lower()}_{col}"
            key = f"{mod.package}.{name}"
            mig = PyModule(key=key, package=mod.package, name=name, role="migration")
            mig.extra_imports.append(("third", "from django.db import migrations, models"))
            mig.body_text = migration_body(mod.package, prev, [("AddField", cls.name, col, expr)])
            self.ws.add(key, mig)
            return 2
        if mod.role == "tests" or mod.role == "views":
            if mod.role == "tests" and rng.random() < 0.6 or not mod.functions:
                mod.functions.append(code.new_function(mod))
            else:
                code.modify_function(mod, rng.choice(mod.functions))
            return 1
        r = rng.random()
        removable = [f for f in mod.functions if not f.pinned and f.name not in (mod.plan.api if mod.plan else ())
                     and f.name not in _view_calls(mod)]
        if r < 0.62 and mod.functions:
            code.modify_function(mod, rng.choice(mod.functions))
            if rng.random() < 0.3:
                code.modify_function(mod, rng.choice(mod.functions))
        elif r < 0.92 or len(removable) < 3:
            mod.functions.append(code.new_function(mod))
        else:
            mod.functions.remove(rng.choice(removable))
        return 1

    # ---- messages ----------------------------------------------------------------------
    def _topic(self) -> str:
        return self.rng.choice(world.TOPICS[self.rng.choice(world.CONTEXTS)])

    def _topic_line(self) -> str:
        return f"{self.rng.choice(_VERBS)} {self._topic()}"

    def _message(self, contexts: tuple[str, ...]) -> str:
        rng = self.rng
        key = tuple(sorted(contexts[:2]))
        pair_subjects = world.PAIR_SUBJECTS.get(key) or world.PAIR_SUBJECTS.get(key[::-1])
        if len(contexts) > 1 and pair_subjects and rng.random() < 0.85:
            subject = rng.choice(pair_subjects)
        elif len(contexts) > 1:
            a, b = contexts[0], contexts[1]
            subject = rng.choice((
                f"Pass {rng.choice(world.NOUNS[b])} ids from {a} to {b}",
                f"Align {a} and {b} on {rng.choice(world.TOPICS[a])}",
                f"Use {b} service for {rng.choice(world.TOPICS[a])}",
            ))
        else:
            subject = f"{rng.choice(_VERBS)} {rng.choice(world.TOPICS[contexts[0]])}{rng.choice(_SUFFIXES)}"
        if rng.random() < 0.22:
            self.ticket += rng.randint(1, 9)
            subject = f"SHOP-{self.ticket}: {subject}"
        if rng.random() < 0.25:
            subject += "\n\n" + rng.choice((
                "Reported by support; reproduced on staging.",
                "The old behaviour surprised customers at month end.",
                "Follow-up from the incident review.",
                "Needed for the next supplier onboarding.",
                "No migration needed.",
            ))
        return subject


def _view_calls(mod: PyModule) -> set[str]:
    from seams_sample.source_code import _view_service_call

    return {_view_service_call(ep.view) for ep in world.ENDPOINTS_BY_CONTEXT.get(mod.package, ())}


def _migration_name(ws: Workspace, ctx: str, n: int) -> str:
    prefix = f"migrations.{n:04d}_"
    for m in ws.modules(ctx):
        if m.name.startswith(prefix):
            return m.name.split(".", 1)[1]
    return f"{n:04d}_initial"


def _top_level_files() -> list[tuple[str, list[str], bool]]:
    return [
        (".gitignore", ["__pycache__/", "*.pyc", ".venv/", "media/", "staticfiles/", ".env"], False),
        ("README.md", ["# shopfront", "", "The Shopfront web shop: one Django project, ten apps.", "",
                       "## Apps", "", *[f"- `{c}`: {world.MODULES_BY_KEY[f'{c}.__init__'].doc}" for c in CONTEXTS],
                       "", "## Running", "", "    python manage.py runserver", "", "## Notes"], False),
        ("pyproject.toml", ["[project]", 'name = "shopfront"', 'version = "2024.11.0"', 'requires-python = ">=3.11"',
                            "", "[tool.black]", "line-length = 110", "", "[tool.isort]", 'profile = "black"'], False),
        ("manage.py", ["#!/usr/bin/env python", "import os", "import sys", "", "",
                       "def main():", '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopfront.platform.settings")',
                       "    from django.core.management import execute_from_command_line", "",
                       "    execute_from_command_line(sys.argv)", "", "",
                       'if __name__ == "__main__":', "    main()"], True),
        ("requirements.lock", ["celery==5.3.4", "django==4.2.7", "gunicorn==21.2.0", "kombu==5.3.4",
                               "opentelemetry-api==1.21.0", "opentelemetry-sdk==1.21.0", "psycopg2-binary==2.9.9",
                               "psycopg==3.1.12", "redis==5.0.1", "requests==2.31.0"], False),
        ("CHANGELOG.md", ["# Changelog", ""], False),
        ("docs/architecture.md", ["# Architecture", "", "One Django project; each app owns its tables.",
                                  "Apps call each other's services directly; notifications go through the bus."], False),
        ("docs/runbook.md", ["# Runbook", "", "- Nightly supplier import runs 01:00-03:00 UTC (shopfront-ingest)."], False),
        ("shopfront/__init__.py", ['"""The Shopfront Django project."""'], False),
        ("shopfront/urls.py", ['"""Root URL configuration: every app under its own prefix."""', "",
                               "from django.urls import include, path", "", "urlpatterns = [",
                               *[f'    path("{c}/", include("shopfront.{c}.urls")),' for c in CONTEXTS], "]"], False),
    ]


# ------------------------------------------------------------------------------------
# writing with git fast-import


def git_env(home: str) -> dict[str, str]:
    """A clean environment for git: no user or system config, fixed locale and time zone."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
        "TZ": "UTC",
    }


def _git(args: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None = None) -> str:
    try:
        res = subprocess.run(["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise SeamsError("git is not installed (needed to write the sample repository)") from None
    if res.returncode != 0:
        raise SeamsError(f"git {args[0]} failed while writing the sample repository: {res.stderr.decode(errors='replace').strip()}")
    return res.stdout.decode()


def _raw_date(when: dt.datetime, author: Author) -> str:
    return f"{int(when.timestamp())} {author.tz}"


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


class _Stream:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0

    def commit(self, c: PlannedCommit, when: dt.datetime, message: str, parents: list[int],
               changes: list[tuple[str, str | None, bool]]) -> int:
        self.mark += 1
        assert c.identity is not None  # plan_history gives every commit one, a merge its commit's
        name, email = c.identity
        who = f"{name} <{email}> {_raw_date(when, c.author)}".encode()
        out = [b"commit refs/heads/main\n", b"mark :%d\n" % self.mark, b"author " + who + b"\n",
               b"committer " + who + b"\n", _data(message.encode() + b"\n")]
        if parents:
            out.append(b"from :%d\n" % parents[0])
            out += [b"merge :%d\n" % p for p in parents[1:]]
        for path, text, executable in changes:
            if text is None:
                out.append(b"D " + path.encode() + b"\n")
            else:
                mode = b"100755" if executable else b"100644"
                out.append(b"M " + mode + b" inline " + path.encode() + b"\n")
                out.append(_data(text.encode()))
        out.append(b"\n")
        self.parts.append(b"".join(out))
        return self.mark


def write_repository(path: Path, seed: int, scale: str) -> HistoryFacts:
    """Write the history into a new non-bare repository at ``path`` with HEAD checked out."""
    rng = random.Random(f"shopfront/{seed}/git")
    plan = plan_history(rng, scale)
    writer = HistoryWriter(random.Random(f"shopfront/{seed}/code"))
    stream = _Stream()
    facts = HistoryFacts()
    tip: int | None = None

    def replay(c: PlannedCommit) -> tuple[str, list]:
        message = writer.apply(c)
        changes = writer.ws.flush()
        for _ in range(5):
            if changes or c.kind != "work":
                break
            writer.extra_change(c.contexts[0])  # an edit that happened to restore the old text
            changes = writer.ws.flush()
        if not changes:
            raise SeamsError(f"internal error: planned commit {c.kind} {c.detail} changed nothing")
        return message, changes

    i = 0
    while i < len(plan):
        c = plan[i]
        message, changes = replay(c)
        _count(facts, c, changes)
        if c.branch and i + 1 < len(plan):
            nxt = plan[i + 1]
            next_message, next_changes = replay(nxt)
            _count(facts, nxt, next_changes)
            assert tip is not None  # branches start at the 40th commit at the earliest
            if {p for p, _, _ in changes}.isdisjoint(p for p, _, _ in next_changes):
                # c on a feature branch, nxt on main, both from the same parent, then the merge
                branch = stream.commit(c, c.when, message, [tip], changes)
                main = stream.commit(nxt, nxt.when, next_message, [tip], next_changes)
                when = nxt.when + dt.timedelta(minutes=7)
                merge = PlannedCommit(when, "merge", nxt.author, identity=nxt.identity)
                tip = stream.commit(merge, when, f"Merge branch 'feature/{_slug(c)}'", [main, branch], changes)
                facts.merges += 1
            else:
                tip = stream.commit(c, c.when, message, [tip], changes)
                tip = stream.commit(nxt, nxt.when, next_message, [tip], next_changes)
            i += 2
            continue
        tip = stream.commit(c, c.when, message, [tip] if tip else [], changes)
        i += 1
    facts.commits = stream.mark
    facts.non_merge_commits = stream.mark - facts.merges
    _finish_facts(facts, plan)

    path.mkdir(parents=True, exist_ok=False)
    with tempfile.TemporaryDirectory(prefix="seams-git-home-") as home:
        env = git_env(home)
        _git(["init", "-q"], path, env)
        _git(["symbolic-ref", "HEAD", "refs/heads/main"], path, env)
        _git(["fast-import", "--quiet", "--date-format=raw", "--done"], path, env,
             stdin=b"".join(stream.parts) + b"done\n")
        _git(["reset", "-q", "--hard"], path, env)
        facts.head = _git(["rev-parse", "HEAD"], path, env).strip()
    return facts


def _slug(c: PlannedCommit) -> str:
    ctx = c.contexts[0] if c.contexts else "misc"
    return f"{ctx}-{c.when:%m%d}"


def _context_of(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) > 2 and parts[0] == world.PACKAGE and parts[1] in CONTEXTS and "migrations" not in parts:
        return parts[1]
    return None


def _count(facts: HistoryFacts, c: PlannedCommit, changes) -> None:
    contexts = sorted({ctx for p, _, _ in changes if (ctx := _context_of(p))})
    if len(changes) > 30:
        facts.bulk_commits.append((c.detail, len(changes)))
        return
    if c.kind == "rename":
        facts.renames.append((c.detail, next(p for p, t, _ in changes if t is None)))
    for ctx in contexts:
        facts.commits_by_context[ctx] += 1
    for i, a in enumerate(contexts):
        for b in contexts[i + 1:]:
            facts.cochange[(a, b)] += 1
    if len(contexts) >= 2:
        facts.cross_context_commits += 1
    if any(TEAM_OF_CONTEXT[ctx] != c.author.team for ctx in contexts):
        facts.cross_team_commits += 1


def _finish_facts(facts: HistoryFacts, plan: list[PlannedCommit]) -> None:
    facts.authors = len({c.author.name for c in plan})
    facts.emails = len({c.identity[1] for c in plan})  # type: ignore[index]  # plan_history gives every commit an identity
    facts.first = plan[0].when.isoformat()
    facts.last = plan[-1].when.isoformat()
    start = HISTORY_END - dt.timedelta(days=RECENT_DAYS)
    recent = [c for c in plan if c.when >= start]
    facts.recent_authors = len({c.author.name for c in recent})
    facts.recent_teams = len({c.author.team for c in recent})

