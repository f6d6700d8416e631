"""The one configuration object, read and validated at the edge.

A config file (YAML) describes one monolith: where its sources are, its declared bounded
contexts, its teams and any threshold or weight overrides. Relative paths are relative to
the config file. Every problem in a file is collected and raised once as a
:class:`~analysis.core.errors.ConfigError` naming the file, the key and what was expected.

Shape (all keys but ``contexts`` optional)::

    name: shopfront
    sources:
      git:
        repository: repo                 # a git working tree or bare repository
        since: 2024-01-01                # optional, ISO date
        ignore_paths: ["**/migrations/**"]
        follow_renames: true             # git's rename detection, so a moved file keeps its history
        mailmap: true                    # honour the repository's .mailmap
        exclude_authors: ["*[bot]*"]     # globs over author name or email (default: common bots)
        exclude_messages: ["^Apply black"]  # regexes over the subject (bulk/formatting commits)
        churn: recent                    # recent (the last churn_days), full, or none
        churn_days: 365
        deploys: deploys.csv             # optional: timestamp,duration_s,status,contexts
        team_map: teams.csv              # optional: code-maat's team map (CSV author,team), joined to teams:
      imports:
        repository: repo                 # defaults to sources.git.repository
        packages: [shopfront]            # top-level packages; default: discovered
        roots: [netbox]                  # folders the code is imported from (sys.path); default: detected
        languages: []                    # default: every supported language found
        exclude_paths: ["**/generated/**"]
        max_file_bytes: 1000000
      sql:
        - path: logs/postgresql.log
          format: postgres-stderr
          log_line_prefix: "%m [%p] %q%u@%d "  # default: inferred from the first lines (named in the notes)
          search_path: [public]          # schemas whose tables are named without schema
          # default_database: shop       # MySQL formats: the database whose tables are named without it
          # formats: auto, postgres-stderr, postgres-csvlog, postgres-jsonlog, postgres-syslog,
          # pg-stat-statements-csv, pg-stat-statements-live (with dsn:), mysql-general, mysql-slow
      traces:
        - path: traces/otlp.jsonl
          format: otlp-json              # auto, otlp-json, otlp-proto, jaeger-json, zipkin-json, jaeger-dependencies,
                                         # otel-parquet (a Parquet export of the ClickHouse exporter's otel_traces)
          sampling_ratio: 0.1            # optional: known head-sampling ratio
      incidents: ops/incidents.csv       # optional: opened_at,resolved_at,severity,contexts
      costs: ops/costs.csv               # optional: month,amount,currency,contexts
      delivered: ops/features.csv        # optional: delivered_at,contexts,kind (default: merged pull requests from git)
    contexts:
      billing:
        paths: ["shopfront/billing/**"]  # repository path globs (files, modules)
        tables: [billing_invoice]        # tables the context owns
        spans:                           # extra span rules; code namespaces are derived from paths
          code_namespaces: [shopfront.billing]
          routes: ["/billing/*"]
          services: []
          span_names: []
          messaging_destinations: [billing.*]
        role: domain                     # domain (default), layer (an API layer) or shared (a shared kernel)
        depends_on: [orders, accounts]   # optional: the contexts it may import (seams check); absent: as measured at the baseline
    shared_tables: ["django_*", "auth_*"]  # infrastructure tables no context owns (globs over table names)
    teams:
      payments: [alice@example.com, "Bob Smith"]
    scorecard:                           # the migration scorecard
      period: month                      # week or month
      events:                            # before/after views around these days
        - {date: 2025-06-01, label: billing extracted, context: billing}
    thresholds: {recent_days: 90}
    weights: {boundary_clarity: 0.3}
    cache_dir: ../cache                  # default: .seams-cache beside this file (SEAMS_CACHE_DIR wins over both)

Infrastructure tables: tables every request touches (sessions, content types, users,
permissions, tags, custom fields) say nothing about how the domain contexts are coupled. They
are *shared*: owned by a context with ``role: shared``, or named by ``shared_tables`` (globs
over table names, compared in lower case under the search path) when no context should own
them. The measures report them in a list of their own and leave them out of pair coupling.
Without a ``shared_tables`` key, Django's own tables (:data:`DEFAULT_SHARED_TABLES`) are
proposed as shared, unless a context declares them; ``shared_tables: []`` says there are none.
The database's system catalogs (:data:`SYSTEM_CATALOG_TABLES`, Django's introspection queries
``pg_catalog.pg_class`` on every request) are always shared.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from analysis.core.errors import ConfigError, ConfigProblem
from analysis.core.settings import THRESHOLDS, WEIGHTS, defaults

SQL_FORMATS = (
    "auto", "postgres-stderr", "postgres-csvlog", "postgres-jsonlog", "postgres-syslog",
    "pg-stat-statements-csv", "pg-stat-statements-live", "mysql-general", "mysql-slow",
)
TRACE_FORMATS = ("auto", "otlp-json", "otlp-proto", "jaeger-json", "zipkin-json", "jaeger-dependencies", "otel-parquet",
                 "clickhouse")
#: the keys of a ``format: clickhouse`` trace source (:class:`TraceStore`)
TRACE_STORE_KEYS = ("host", "port", "secure", "username", "password_env", "database", "table", "since", "until", "sample", "chdb")
CHURN_MODES = ("recent", "full", "none")
DEFAULT_BOT_AUTHORS = ("*[bot]*", "dependabot*", "renovate*", "github-actions*")
#: The cache's folder beside the config file, unless ``cache_dir`` or ``SEAMS_CACHE_DIR`` says otherwise.
DEFAULT_CACHE_FOLDER = ".seams-cache"
CONTEXT_ROLES = ("domain", "layer", "shared")
#: Tables shared by default when the config has no ``shared_tables`` key: Django's own apps
#: (contenttypes ``django_content_type``, sessions ``django_session``, admin ``django_admin_log``,
#: sites, migrations, auth ``auth_user``, ``auth_group``, ``auth_permission`` and their links).
DEFAULT_SHARED_TABLES = ("django_*", "auth_*")
#: The database's own catalogs (PostgreSQL's ``pg_catalog``, the SQL standard's
#: ``information_schema``, MySQL's system schemas): always shared, whatever the config says.
SYSTEM_CATALOG_TABLES = ("pg_catalog.*", "pg_*", "information_schema.*", "mysql.*", "performance_schema.*", "sys.*")
#: CSV logs kept by people, each under ``sources.<kind>``
OPERATIONS_LOGS = ("incidents", "costs", "delivered")
SPAN_RULE_KEYS = ("code_namespaces", "routes", "services", "span_names", "messaging_destinations")


#: PostgreSQL's search path when no SQL source names one.
DEFAULT_SEARCH_PATH = ("public",)
_MYSQL_FORMATS = ("mysql-general", "mysql-slow")


def table_key(name: str, search_path: tuple[str, ...]) -> str:
    """A table's name as Seams compares it: lower case, unquoted, and without its schema
    when that schema is in ``search_path`` (a catalog before it goes too), the way the SQL
    readers write observed names. ``Public.Audit_Log`` -> ``audit_log``; ``billing.orders``
    stays ``billing.orders`` unless ``billing`` is in the search path.

    Declared names (``contexts.<name>.tables``, ORM models) and observed ones (the logs,
    traces) both go through it, so a declared ``orders`` is the table the logs call
    ``orders`` (in a search-path schema), never ``otherschema.orders``.
    """
    parts = [p.strip().strip('"`').lower() for p in name.strip().split(".")]
    schemas = {s.lower() for s in search_path}
    if len(parts) > 1 and parts[-2] in schemas:
        return parts[-1]
    return ".".join(parts)


@dataclass(frozen=True)
class GitSource:
    """Git history options. ``churn``: line counts for the ``churn_days`` before the last
    commit (``recent``, the default), for the whole history (``full``) or not at all."""

    repository: Path
    since: dt.date | None = None
    ignore_paths: tuple[str, ...] = ()
    follow_renames: bool = True
    mailmap: bool = True
    exclude_authors: tuple[str, ...] = DEFAULT_BOT_AUTHORS
    exclude_messages: tuple[str, ...] = ()
    churn: str = "recent"
    churn_days: int = 365
    deploys: Path | None = None
    team_map: Path | None = None  # read into Config.teams


@dataclass(frozen=True)
class ImportsSource:
    repository: Path
    packages: tuple[str, ...] = ()
    roots: tuple[str, ...] | None = None  # folders imported from (sys.path entries); None: detected
    languages: tuple[str, ...] = ()  # empty: every supported language found
    exclude_paths: tuple[str, ...] = ()
    max_file_bytes: int = 1_000_000


@dataclass(frozen=True)
class SqlSource:
    path: Path
    format: str = "postgres-stderr"
    log_line_prefix: str | None = None  # None: inferred from the first lines
    dialect: str = "postgres"
    search_path: tuple[str, ...] = ("public",)
    default_database: str | None = None
    dsn: str | None = None  # pg-stat-statements-live only

    def unqualified_schemas(self, fmt: str | None = None) -> tuple[str, ...]:
        """The schemas whose tables this log names without a schema, lower case: the default
        database for the MySQL formats (none when not given), ``search_path`` for the others.
        ``fmt``: the format read (defaults to ``format``; for ``auto``, not yet detected, both)."""
        fmt = fmt or self.format
        database = (self.default_database.lower(),) if self.default_database else ()
        if fmt in _MYSQL_FORMATS:
            return database
        path = tuple(s.lower() for s in self.search_path)
        return path + tuple(d for d in database if d not in path) if fmt == "auto" else path


@dataclass(frozen=True)
class TraceSource:
    path: Path
    format: str = "otlp-json"
    sampling_ratio: float | None = None  # known head-sampling ratio, e.g. 0.1
    #: span attributes the context map's rules name (``spans.attributes``), kept in the
    #: spans' ``attributes`` column; filled from the contexts, never written by the user
    attributes: tuple[str, ...] = ()
    #: ``format: clickhouse``: where the spans live (the file ``path`` is then only a label)
    store: TraceStore | None = None
    #: a file larger than this is aggregated in DuckDB (setting ``trace_store_min_mib``); filled
    #: from the thresholds, never written by the user
    engine_min_bytes: int | None = None

    def uses_engine(self) -> bool:
        """Whether the spans are aggregated in an engine (ClickHouse, or DuckDB for a large file)."""
        if self.store is not None or self.format == "otel-parquet":  # Parquet is read by DuckDB only
            return True
        try:
            return self.engine_min_bytes is not None and os.stat(self.path).st_size > self.engine_min_bytes
        except OSError:
            return False


@dataclass(frozen=True)
class TraceStore:
    """A ClickHouse table of the OpenTelemetry Collector exporter's shape
    (:mod:`analysis.sources.traces.store`): a server at ``host``, or a chDB session folder
    (``chdb``). The password is read from the environment variable ``password_env``, never
    written in the config. ``since`` / ``until``: the time window (UTC); ``sample``: the share
    of traces read (by trace id), counts scaled back."""

    host: str | None = None
    port: int | None = None
    secure: bool = False
    username: str = "default"
    password_env: str | None = None
    database: str | None = None
    table: str = "otel_traces"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    sample: float | None = None
    chdb: Path | None = None

    @property
    def label(self) -> str:
        where = f"chdb:{self.chdb.name}" if self.chdb is not None else f"clickhouse:{self.host}"
        return f"{where}/{self.table}"


@dataclass(frozen=True)
class OperationsLog:
    """A CSV log kept by people: incidents, infrastructure costs or delivered changes
    (formats in :mod:`analysis.sources.operations`)."""

    path: Path
    kind: str  # incidents | costs | delivered


SCORECARD_PERIODS = ("week", "month")


@dataclass(frozen=True)
class ScorecardEvent:
    """A day to compare before and after (a context extracted, a team split)."""

    date: dt.date
    label: str
    context: str | None = None


@dataclass(frozen=True)
class ScorecardSpec:
    period: str = "month"
    events: tuple[ScorecardEvent, ...] = ()


@dataclass(frozen=True)
class SpanRules:
    code_namespaces: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    span_names: tuple[str, ...] = ()
    messaging_destinations: tuple[str, ...] = ()
    #: rules on any span attribute: (attribute name, its value globs), e.g.
    #: ``("rq.job.function", ("extras.*",))``; the most explicit rules, matched first
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def any(self) -> bool:
        return any(getattr(self, k) for k in (*SPAN_RULE_KEYS, "attributes"))


@dataclass(frozen=True)
class ContextSpec:
    """A declared bounded context: the units it owns, by kind. ``role``: ``domain`` (the
    default: an extraction candidate), ``layer`` (an API or web layer spanning the domains)
    or ``shared`` (a shared kernel every context uses); layers and shared kernels are
    measured like any context but never ranked as extraction candidates.

    ``depends_on``: the other contexts this one may import (``seams check``); ``None`` when
    not declared — its dependencies are then the ones measured at the baseline. A shared
    kernel may always be imported."""

    name: str
    paths: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    spans: SpanRules = field(default_factory=SpanRules)
    role: str = "domain"
    depends_on: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    name: str
    contexts: tuple[ContextSpec, ...]
    git: GitSource | None = None
    imports: ImportsSource | None = None
    sql: tuple[SqlSource, ...] = ()
    traces: tuple[TraceSource, ...] = ()
    incidents: OperationsLog | None = None
    costs: OperationsLog | None = None
    delivered: OperationsLog | None = None
    scorecard: ScorecardSpec = field(default_factory=ScorecardSpec)
    teams: Mapping[str, str] = field(default_factory=dict)  # author name or email -> team
    thresholds: Mapping[str, float] = field(default_factory=lambda: defaults(THRESHOLDS))
    weights: Mapping[str, float] = field(default_factory=lambda: defaults(WEIGHTS))
    cache_dir: Path = Path(DEFAULT_CACHE_FOLDER)
    #: globs of infrastructure tables; None when the config has no ``shared_tables`` key (defaults apply)
    shared_tables: tuple[str, ...] | None = None

    @property
    def shared_table_globs(self) -> tuple[str, ...]:
        """The ``shared_tables`` globs in effect: the config's, else :data:`DEFAULT_SHARED_TABLES`."""
        return DEFAULT_SHARED_TABLES if self.shared_tables is None else self.shared_tables

    @property
    def context_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.contexts)

    @property
    def table_search_path(self) -> tuple[str, ...]:
        """The schemas whose tables are named without a schema, to compare declared tables
        with observed ones (:func:`table_key`): see :func:`table_search_path`."""
        return table_search_path(self.sql)

    @property
    def code_root(self) -> str:
        """Where ``imports.repository`` lies inside ``git.repository`` (``netbox/``), so that code
        paths can be matched by the repository's path globs; "" when they are the same folder,
        when one is missing or when the imports are read from elsewhere."""
        if self.git is None or self.imports is None:
            return ""
        try:
            inside = Path(self.imports.repository).resolve().relative_to(Path(self.git.repository).resolve())
        except ValueError:
            return ""
        return "" if str(inside) == "." else inside.as_posix() + "/"

    def with_thresholds(self, **overrides: float) -> Config:
        """A copy with some thresholds changed (for notebooks: change one, re-run a cell)."""
        unknown = sorted(set(overrides) - set(THRESHOLDS))
        if unknown:
            raise ConfigError(str(self.path), [ConfigProblem(f"thresholds.{k}", f"one of {sorted(THRESHOLDS)}") for k in unknown])
        return replace(self, thresholds={**self.thresholds, **{k: float(v) for k, v in overrides.items()}})

    def with_weights(self, **overrides: float) -> Config:
        """A copy with some weights changed."""
        unknown = sorted(set(overrides) - set(WEIGHTS))
        if unknown:
            raise ConfigError(str(self.path), [ConfigProblem(f"weights.{k}", f"one of {sorted(WEIGHTS)}") for k in unknown])
        return replace(self, weights={**self.weights, **{k: float(v) for k, v in overrides.items()}})


def table_search_path(sql: tuple[SqlSource, ...]) -> tuple[str, ...]:
    """Every SQL source's :meth:`SqlSource.unqualified_schemas`, in order, each once;
    :data:`DEFAULT_SEARCH_PATH` without SQL sources (traces name tables that way)."""
    if not sql:
        return DEFAULT_SEARCH_PATH
    return tuple(dict.fromkeys(s for source in sql for s in source.unqualified_schemas()))


# --------------------------------------------------------------------------------------
# loading


def cache_location(config_folder: Path, configured: str | None) -> Path:
    """Where mined sources are cached, the same for every command: ``SEAMS_CACHE_DIR`` when
    set (an operator's choice for this run), else the config's ``cache_dir`` (relative to the
    config file), else ``.seams-cache`` beside the config file. Never inside the installed
    package, never the caller's working directory by accident."""
    if os.environ.get("SEAMS_CACHE_DIR"):
        return Path(os.environ["SEAMS_CACHE_DIR"]).resolve()
    return (config_folder / (configured if configured is not None else DEFAULT_CACHE_FOLDER)).resolve()


def load_config(path: str | os.PathLike) -> Config:
    """Read and validate a config file; raise one ConfigError listing every problem.

    YAML is read safely and strictly (:func:`read_yaml`): a key given twice in one mapping is a
    problem (YAML would keep the last silently), a date stays a text until
    :meth:`_Validator.date` reads it (so ``2024-13-45`` is a problem with its key, not a
    crash), and a Python tag (``!!python/object/apply:``) is refused by name, never run.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(str(path), [ConfigProblem("(file)", "an existing YAML config file", "no such file")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(str(path), [ConfigProblem("(file)", "a UTF-8 text file", "bytes that are not UTF-8")]) from None
    except OSError as exc:
        raise ConfigError(str(path), [ConfigProblem("(file)", "a readable file", exc.strerror or type(exc).__name__)]) from None
    raw, duplicates = read_yaml(text, str(path))
    try:
        config = parse_config(raw, path)
    except ConfigError as exc:
        raise ConfigError(str(path), [*duplicates, *exc.problems]) from None
    if duplicates:
        raise ConfigError(str(path), duplicates)
    return config


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader without the implicit timestamp type: ``2024-01-31`` stays a text
    (the validator reads dates, and names the key when one is impossible)."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(text: str, path: str = "<config>") -> tuple[Any, list[ConfigProblem]]:
    """The YAML document in ``text`` and the keys it gives twice in one mapping (one problem
    each, with both lines). A syntax error, a tag Seams does not read (a Python object tag is
    named and refused: nothing is constructed, nothing run) is one ConfigError."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        duplicates = duplicate_keys(node)
        raw = loader.construct_document(node) if node is not None else None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}" if mark else ""
        tag = str(getattr(exc, "problem", "") or "")
        found = re.search(r"tag '([^']*)'", tag)
        name = found.group(1).replace("tag:yaml.org,2002:", "!!") if found else "an unknown tag"
        what = ("a Python object tag" if "python/" in name else "a tag Seams does not read")
        raise ConfigError(path, [ConfigProblem("(file)", "plain YAML values (mappings, lists, texts, numbers, true/false)",
                                               f"{what} {name}{at}, refused, nothing was run")]) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigError(path, [ConfigProblem("(file)", "valid YAML", f"a syntax error{at}")]) from None
    finally:
        loader.dispose()
    return raw, duplicates


def duplicate_keys(node: yaml.Node | None) -> list[ConfigProblem]:
    """A problem for each key given twice in one mapping of the composed document, named by
    its path (``contexts.billing``) and both lines. Each node is visited once, so aliases cost
    nothing (an alias bomb is not expanded)."""
    problems: list[ConfigProblem] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(node, "")] if node is not None else []
    while stack:
        current, prefix = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            lines: dict[str, int] = {}
            for key_node, value_node in current.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                path = f"{prefix}.{key}" if prefix else key
                line = key_node.start_mark.line + 1
                if key in lines and key != "<<":
                    problems.append(ConfigProblem(path, "each key once in its mapping (YAML keeps only the last)",
                                                  f"a key given twice, at line {lines[key]} and line {line}"))
                lines.setdefault(key, line)
                stack.append((value_node, path))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, f"{prefix}[{n}]") for n, item in enumerate(current.value))
    return sorted(problems, key=lambda p: p.key)


def parse_config(raw: Any, path: str | os.PathLike = "<config>") -> Config:
    """Validate an already-parsed config mapping. Paths are resolved against ``path``'s folder."""
    path = Path(path)
    base = path.parent if path.name else Path(".")
    v = _Validator(base)
    if not isinstance(raw, dict):
        raise ConfigError(str(path), [ConfigProblem("(top level)", "a mapping of keys", _kind(raw))])
    v.unknown_keys("", raw, ("name", "sources", "contexts", "shared_tables", "teams", "thresholds", "weights", "cache_dir",
                             "version", "scorecard"))

    name = v.string("name", raw.get("name", path.stem or "monolith"))
    sources = v.mapping("sources", raw.get("sources", {}))
    v.unknown_keys("sources.", sources, ("git", "imports", "sql", "traces", *OPERATIONS_LOGS))

    git = None
    if sources.get("git") is not None:
        g = v.mapping("sources.git", sources["git"])
        v.unknown_keys("sources.git.", g, ("repository", "since", "ignore_paths", "follow_renames", "mailmap",
                                            "exclude_authors", "exclude_messages", "churn", "churn_days",
                                            "deploys", "team_map"))
        if "grouping" in g:
            v.problems.append(ConfigProblem(
                "sources.git.grouping", "no such key: declare contexts by their paths instead (code-maat's grouping "
                "file groups files for code-maat's own analyses only)"))
        repo = v.existing_dir("sources.git.repository", g.get("repository"))
        since = v.date("sources.git.since", g.get("since"))
        git = GitSource(
            repo, since, v.strings("sources.git.ignore_paths", g.get("ignore_paths", [])),
            follow_renames=v.boolean("sources.git.follow_renames", g.get("follow_renames", True)),
            mailmap=v.boolean("sources.git.mailmap", g.get("mailmap", True)),
            exclude_authors=v.strings("sources.git.exclude_authors", g.get("exclude_authors", list(DEFAULT_BOT_AUTHORS))),
            exclude_messages=v.regexes("sources.git.exclude_messages", g.get("exclude_messages", [])),
            churn=v.choice("sources.git.churn", g.get("churn", "recent"), CHURN_MODES),
            churn_days=int(v.number("sources.git.churn_days", g.get("churn_days", 365), minimum=1)),
            deploys=v.optional_file("sources.git.deploys", g.get("deploys")),
            team_map=v.optional_file("sources.git.team_map", g.get("team_map")),
        )

    imports = None
    if sources.get("imports") is not None:
        i = v.mapping("sources.imports", sources["imports"])
        v.unknown_keys("sources.imports.", i, ("repository", "packages", "roots", "languages", "exclude_paths", "max_file_bytes"))
        repo_raw = i.get("repository", (sources.get("git") or {}).get("repository") if isinstance(sources.get("git"), dict) else None)
        repo = v.existing_dir("sources.imports.repository", repo_raw)
        imports = ImportsSource(
            repo, v.strings("sources.imports.packages", i.get("packages", [])),
            roots=v.strings("sources.imports.roots", i["roots"]) if i.get("roots") is not None else None,
            languages=v.strings("sources.imports.languages", i.get("languages", [])),
            exclude_paths=v.strings("sources.imports.exclude_paths", i.get("exclude_paths", [])),
            max_file_bytes=int(v.number("sources.imports.max_file_bytes", i.get("max_file_bytes", 1_000_000), minimum=1)),
        )

    sql = tuple(
        SqlSource(
            path=(Path(item.get("path") or f"sources.sql[{n}] (pg_stat_statements, live)") if item.get("format") == "pg-stat-statements-live"
                  else v.existing_file(f"sources.sql[{n}].path", item.get("path"))),
            format=v.choice(f"sources.sql[{n}].format", item.get("format", "postgres-stderr"), SQL_FORMATS),
            log_line_prefix=v.optional_string(f"sources.sql[{n}].log_line_prefix", item.get("log_line_prefix")),
            dialect=v.string(f"sources.sql[{n}].dialect", item.get("dialect", "postgres")),
            search_path=v.strings(f"sources.sql[{n}].search_path", item.get("search_path", ["public"])),
            default_database=v.optional_string(f"sources.sql[{n}].default_database", item.get("default_database")),
            dsn=v.optional_string(f"sources.sql[{n}].dsn", item.get("dsn")),
        )
        for n, item in enumerate(v.list_of_mappings("sources.sql", sources.get("sql", []),
                                                     ("path", "format", "log_line_prefix", "dialect", "search_path", "default_database", "dsn")))
    )
    for n, source in enumerate(sql):
        if source.format == "pg-stat-statements-live" and not source.dsn:
            v.problem(f"sources.sql[{n}].dsn", "a PostgreSQL connection string (format pg-stat-statements-live reads the view live)", None)
    for n, item in enumerate(sources.get("traces") or []) if isinstance(sources.get("traces"), list) else ():
        if isinstance(item, dict) and item.get("format") != "clickhouse":
            for key in sorted(set(item) & set(TRACE_STORE_KEYS)):
                v.problem(f"sources.traces[{n}].{key}", "a key of format clickhouse only", item[key])
    traces = tuple(
        v.trace_store(f"sources.traces[{n}]", item) if item.get("format") == "clickhouse" else
        TraceSource(
            path=v.existing_file(f"sources.traces[{n}].path", item.get("path")),
            format=v.choice(f"sources.traces[{n}].format", item.get("format", "otlp-json"), TRACE_FORMATS),
            sampling_ratio=(None if item.get("sampling_ratio") is None
                            else v.number(f"sources.traces[{n}].sampling_ratio", item.get("sampling_ratio"), minimum=1e-9, maximum=1.0)),
        )
        for n, item in enumerate(v.list_of_mappings("sources.traces", sources.get("traces", []),
                                                    ("path", "format", "sampling_ratio", *TRACE_STORE_KEYS)))
    )

    operations = {kind: OperationsLog(v.existing_file(f"sources.{kind}", sources[kind]), kind)
                  for kind in OPERATIONS_LOGS if sources.get(kind) is not None}
    contexts = v.contexts(raw.get("contexts"), table_search_path(sql))
    shared_tables = v.shared_tables(raw["shared_tables"], contexts, table_search_path(sql)) if "shared_tables" in raw else None
    scorecard = v.scorecard(raw.get("scorecard"), {c.name for c in contexts})
    teams = v.teams(raw.get("teams", {}), team_map=git.team_map if git is not None else None)
    thresholds = v.settings("thresholds", raw.get("thresholds", {}), THRESHOLDS)
    weights = v.settings("weights", raw.get("weights", {}), WEIGHTS)
    cache_dir = cache_location(base, v.string("cache_dir", raw.get("cache_dir")) if raw.get("cache_dir") is not None else None)

    if v.problems:
        raise ConfigError(str(path), v.problems)
    named = tuple(sorted({name for c in contexts for name, _ in c.spans.attributes}))
    engine_min = int(thresholds.get("trace_store_min_mib", THRESHOLDS["trace_store_min_mib"].default) * 2**20)
    traces = tuple(replace(t, attributes=named, engine_min_bytes=engine_min) for t in traces)
    return Config(
        path=path,
        name=name,
        contexts=contexts,
        git=git,
        imports=imports,
        sql=sql,
        traces=traces,
        incidents=operations.get("incidents"),
        costs=operations.get("costs"),
        delivered=operations.get("delivered"),
        scorecard=scorecard,
        teams=teams,
        thresholds=thresholds,
        weights=weights,
        cache_dir=cache_dir,
        shared_tables=shared_tables,
    )


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict = 2, 80, 40, 4, 4


def _find_cycle(graph: Mapping[str, list[str]]) -> list[str]:
    """One cycle of ``graph`` (node -> successors) as a list of nodes, or ``[]``; nodes in
    name order, so the same graph names the same cycle."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def _kind(value: Any) -> str:
    """What a value is, for a message: bounded in time and length whatever the value (a
    nested or aliased structure is never expanded)."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {_REPR.repr(value)}"
    return f"{type(value).__name__} {_REPR.repr(value)}"


class _Validator:
    """Collects problems instead of stopping at the first one."""

    def __init__(self, base: Path):
        self.base = base
        self.problems: list[ConfigProblem] = []

    def problem(self, key: str, expected: str, found: Any = ...) -> None:
        self.problems.append(ConfigProblem(key, expected, None if found is ... else (found if isinstance(found, str) and found.startswith(("no ", "a ", "the ", "nothing")) else _kind(found))))

    def unknown_keys(self, prefix: str, mapping: dict, allowed: tuple[str, ...]) -> None:
        for key in mapping:
            if key not in allowed:
                self.problems.append(ConfigProblem(f"{prefix}{key}", f"one of the known keys {', '.join(allowed)}", "an unknown key"))

    def mapping(self, key: str, value: Any) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, "a mapping", value)
            return {}
        return value

    def string(self, key: str, value: Any) -> str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            return str(value)
        self.problem(key, "a non-empty text", value)
        return ""

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
            self.problem(key, "a list of non-empty texts", value)
            return ()
        return tuple(value)

    def optional_string(self, key: str, value: Any) -> str | None:
        return None if value is None else self.string(key, value)

    def boolean(self, key: str, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        self.problem(key, "true or false", value)
        return False

    def number(self, key: str, value: Any, minimum: float | None = None, maximum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(key, "a number", value)
            return minimum or 0.0
        if not math.isfinite(value):
            self.problems.append(ConfigProblem(key, "a finite number", str(value)))
            return minimum or 0.0
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            rng = f"a number from {minimum:g}" + (f" to {maximum:g}" if maximum is not None else " up")
            self.problems.append(ConfigProblem(key, rng, str(value)))
        return float(value)

    def regexes(self, key: str, value: Any) -> tuple[str, ...]:
        patterns = self.strings(key, value)
        for n, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                self.problems.append(ConfigProblem(f"{key}[{n}]", "a valid regular expression", f"{pattern!r} ({exc})"))
        return patterns

    def optional_file(self, key: str, value: Any) -> Path | None:
        return None if value is None else self.existing_file(key, value)

    def choice(self, key: str, value: Any, choices: tuple[str, ...]) -> str:
        if value in choices:
            return value
        self.problem(key, f"one of {', '.join(choices)}", value)
        return choices[0]

    def date(self, key: str, value: Any) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str(value).strip()
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
            try:
                return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")).date()
            except ValueError:
                pass
        self.problem(key, "an ISO date (YYYY-MM-DD)", value)
        return None

    def trace_store(self, key: str, item: dict) -> TraceSource:
        """A ``format: clickhouse`` trace source (:class:`TraceStore`)."""
        for other in ("path", "sampling_ratio"):
            if other in item:
                self.problem(f"{key}.{other}", f"no {other} with format clickhouse (sample: reads a share of the traces)", item[other])
        host, chdb = self.optional_string(f"{key}.host", item.get("host")), item.get("chdb")
        if (host is None) == (chdb is None):
            self.problem(f"{key}.host", "a ClickHouse server's host name, or chdb: a chDB session folder (one of the two)", None)
        password_env = self.optional_string(f"{key}.password_env", item.get("password_env"))
        if password_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
            self.problem(f"{key}.password_env", "the name of an environment variable holding the password (never the password)", "a value that is not a name")
        if "password" in item:
            self.problem(f"{key}.password", "no password in the config file: password_env names the environment variable holding it", "a password")
        table = self.string(f"{key}.table", item.get("table", "otel_traces"))
        if table and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", table):
            self.problem(f"{key}.table", "a table name (otel_traces, or database.table)", table)
        store = TraceStore(
            host=host,
            port=int(self.number(f"{key}.port", item["port"], minimum=1, maximum=65535)) if item.get("port") is not None else None,
            secure=self.boolean(f"{key}.secure", item.get("secure", False)),
            username=self.string(f"{key}.username", item.get("username", "default")),
            password_env=password_env,
            database=self.optional_string(f"{key}.database", item.get("database")),
            table=table,
            since=self.instant(f"{key}.since", item.get("since")),
            until=self.instant(f"{key}.until", item.get("until")),
            sample=(self.number(f"{key}.sample", item["sample"], minimum=1e-6, maximum=1.0) if item.get("sample") is not None else None),
            chdb=self.existing_dir(f"{key}.chdb", chdb) if chdb is not None else None,
        )
        if store.since and store.until and store.since >= store.until:
            self.problem(f"{key}.until", "a time after since", str(store.until))
        return TraceSource(path=Path(store.label), format="clickhouse", store=store)

    def instant(self, key: str, value: Any) -> dt.datetime | None:
        """An ISO date or time, UTC unless it says otherwise."""
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        if isinstance(value, str):
            try:
                found = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
                return found if found.tzinfo else found.replace(tzinfo=dt.UTC)
            except ValueError:
                pass
        self.problem(key, "an ISO date or time (2026-10-01 or 2026-10-01T06:00:00Z)", value)
        return None

    def _path(self, key: str, value: Any) -> Path | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "a path (relative to the config file)", value)
            return None
        return (self.base / os.path.expanduser(value)).resolve()

    def existing_dir(self, key: str, value: Any) -> Path:
        p = self._path(key, value)
        if p is not None and not p.is_dir():
            self.problems.append(ConfigProblem(key, "an existing directory", f"no directory at {p}"))
        return p or Path(".")

    def existing_file(self, key: str, value: Any) -> Path:
        p = self._path(key, value)
        if p is not None and not p.is_file():
            self.problems.append(ConfigProblem(key, "an existing file", f"no file at {p}"))
        return p or Path(".")

    def list_of_mappings(self, key: str, value: Any, allowed: tuple[str, ...]) -> list[dict]:
        if value is None:
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            self.problem(key, "a list of mappings", value)
            return []
        out = []
        for n, item in enumerate(value):
            if not isinstance(item, dict):
                self.problem(f"{key}[{n}]", "a mapping", item)
                continue
            self.unknown_keys(f"{key}[{n}].", item, allowed)
            out.append(item)
        return out

    def attribute_rules(self, key: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``{attribute name: [value globs]}`` as sorted (name, globs) pairs."""
        rules = self.mapping(key, value)
        out = []
        for name, globs in rules.items():
            if not isinstance(name, str) or not name.strip():
                self.problem(key, "attribute names as non-empty texts", name)
                continue
            out.append((name, self.strings(f"{key}.{name}", globs)))
        return tuple(sorted(out))

    def contexts(self, value: Any, search_path: tuple[str, ...] = DEFAULT_SEARCH_PATH) -> tuple[ContextSpec, ...]:
        """The declared contexts; a table (compared by :func:`table_key`) owned by two is a problem."""
        if not isinstance(value, dict) or not value:
            self.problem("contexts", "a mapping of context name to its paths, tables and span rules", value)
            return ()
        specs = []
        for name, body in value.items():
            key = f"contexts.{name}"
            if not isinstance(name, str) or not name.strip():
                self.problem("contexts", "context names as non-empty texts", name)
                continue
            body = self.mapping(key, body)
            self.unknown_keys(f"{key}.", body, ("paths", "tables", "spans", "role", "depends_on"))
            spans = self.mapping(f"{key}.spans", body.get("spans", {}))
            self.unknown_keys(f"{key}.spans.", spans, (*SPAN_RULE_KEYS, "attributes"))
            rules = SpanRules(**{k: self.strings(f"{key}.spans.{k}", spans.get(k, [])) for k in SPAN_RULE_KEYS},
                              attributes=self.attribute_rules(f"{key}.spans.attributes", spans.get("attributes", {})))
            spec = ContextSpec(name, self.strings(f"{key}.paths", body.get("paths", [])), self.strings(f"{key}.tables", body.get("tables", [])), rules,
                               role=self.choice(f"{key}.role", body.get("role", "domain"), CONTEXT_ROLES),
                               depends_on=self.strings(f"{key}.depends_on", body["depends_on"]) if body.get("depends_on") is not None else None)
            if not (spec.paths or spec.tables or rules.any()):
                self.problems.append(ConfigProblem(key, "at least one of paths, tables or spans", "a context that owns nothing"))
            specs.append(spec)
        seen: dict[str, str] = {}
        for spec in specs:
            for table in spec.tables:
                key = table_key(table, search_path)
                if key in seen and seen[key] != spec.name:
                    self.problems.append(ConfigProblem(f"contexts.{spec.name}.tables", "each table owned by one context", f"{table!r} also owned by {seen[key]}"))
                seen.setdefault(key, spec.name)
        self.dependencies(specs)
        return tuple(specs)

    def shared_tables(self, value: Any, contexts: tuple[ContextSpec, ...], search_path: tuple[str, ...]) -> tuple[str, ...]:
        """``shared_tables``: globs over table names (``[]`` for none); a glob naming exactly a
        table a domain or layer context declares contradicts that declaration."""
        globs = self.strings("shared_tables", [] if value is None else value)
        owned = {table_key(t, search_path): c.name for c in contexts if c.role != "shared" for t in c.tables}
        for n, glob in enumerate(globs):
            if any(ch in glob for ch in "*?["):
                continue
            owner = owned.get(table_key(glob, search_path))
            if owner:
                self.problems.append(ConfigProblem(f"shared_tables[{n}]", "a table no domain or layer context declares",
                                                   f"{glob!r} declared by {owner}"))
        return tuple(g.lower() for g in globs)

    def dependencies(self, specs: list[ContextSpec]) -> None:
        """``depends_on`` names declared contexts other than its own, and the declared
        dependencies form no cycle (a cycle is what ``seams check`` reports)."""
        names = {s.name for s in specs}
        graph: dict[str, list[str]] = {}
        for spec in specs:
            if spec.depends_on is None:
                continue
            key = f"contexts.{spec.name}.depends_on"
            for target in spec.depends_on:
                if target == spec.name:
                    self.problems.append(ConfigProblem(key, "other contexts than its own", repr(target)))
                elif target not in names:
                    self.problems.append(ConfigProblem(key, f"names of declared contexts ({', '.join(sorted(names))})", repr(target)))
            graph[spec.name] = [t for t in spec.depends_on if t in names and t != spec.name]
        cycle = _find_cycle(graph)
        if cycle:
            self.problems.append(ConfigProblem(f"contexts.{cycle[0]}.depends_on", "declared dependencies without a cycle",
                                               "the cycle " + " -> ".join([*cycle, cycle[0]])))

    def scorecard(self, value: Any, contexts: set[str]) -> ScorecardSpec:
        """``scorecard: {period: week|month, events: [{date, label, context}]}``."""
        body = self.mapping("scorecard", value)
        self.unknown_keys("scorecard.", body, ("period", "events"))
        period = self.choice("scorecard.period", body.get("period", "month"), SCORECARD_PERIODS)
        events = []
        for n, item in enumerate(self.list_of_mappings("scorecard.events", body.get("events", []), ("date", "label", "context"))):
            key = f"scorecard.events[{n}]"
            when = self.date(f"{key}.date", item.get("date"))
            if when is None:
                if item.get("date") is None:
                    self.problem(f"{key}.date", "an ISO date (YYYY-MM-DD)", None)
                continue
            context = self.optional_string(f"{key}.context", item.get("context"))
            if context is not None and context not in contexts:
                self.problems.append(ConfigProblem(f"{key}.context", f"a declared context ({', '.join(sorted(contexts))})", repr(context)))
            events.append(ScorecardEvent(when, self.string(f"{key}.label", item.get("label", when.isoformat())), context))
        return ScorecardSpec(period=period, events=tuple(sorted(events, key=lambda e: (e.date, e.label))))

    def teams(self, value: Any, team_map: Path | None = None) -> dict[str, str]:
        """Author -> team, from ``teams:`` and code-maat's team map CSV (``author,team``)."""
        mapping = self.mapping("teams", value)
        authors: dict[str, str] = {}
        members_of = [(f"teams.{team}", str(team), self.strings(f"teams.{team}", members)) for team, members in mapping.items()]
        if team_map is not None:
            members_of += self.team_map("sources.git.team_map", team_map)
        for key, team, members in members_of:
            for member in members:
                if member in authors and authors[member] != team:
                    self.problems.append(ConfigProblem(key, "each author in one team", f"{member!r} also in {authors[member]}"))
                authors[member] = team
        return authors

    def team_map(self, key: str, path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
        """code-maat's team map: a CSV with the header ``author,team``, one author per row."""
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            self.problems.append(ConfigProblem(key, "a readable CSV file (author,team)", type(exc).__name__))
            return []
        if not rows or [c.strip().lower() for c in rows[0][:2]] != ["author", "team"]:
            self.problems.append(ConfigProblem(key, "a CSV file whose header is author,team", f"{len(rows)} rows"))
            return []
        out: list[tuple[str, str, tuple[str, ...]]] = []
        for number, row in enumerate(rows[1:], start=2):
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                self.problems.append(ConfigProblem(f"{key} line {number}", "an author and a team"))
                continue
            out.append((f"{key} line {number}", row[1].strip(), (row[0].strip(),)))
        return out

    def settings(self, key: str, value: Any, registry) -> dict[str, float]:
        values = defaults(registry)
        for name, raw in self.mapping(key, value).items():
            setting = registry.get(name)
            if setting is None:
                self.problems.append(ConfigProblem(f"{key}.{name}", f"one of {', '.join(sorted(registry))}", "an unknown setting"))
                continue
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                self.problem(f"{key}.{name}", "a number", raw)
                continue
            if not math.isfinite(raw):
                self.problems.append(ConfigProblem(f"{key}.{name}", "a finite number", str(raw)))
                continue
            hi = setting.maximum
            if raw < setting.minimum or (hi is not None and raw > hi):
                rng = f"a number from {setting.minimum:g}" + (f" to {hi:g}" if hi is not None else " up")
                self.problems.append(ConfigProblem(f"{key}.{name}", rng, str(raw)))
                continue
            values[name] = float(raw)
        return values
