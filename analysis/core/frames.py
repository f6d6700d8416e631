"""The frames that flow through Seams, and a check that a frame honours its contract.

Every miner returns frames listed here; every metric reads them. Columns and their kinds:

``commits`` (git history, one row per commit reachable from HEAD, oldest first)
    commit: str (40-hex sha) · author_name: str · author_email: str ·
    authored_at: datetime64[UTC] · committed_at: datetime64[UTC] · parents: int ·
    is_merge: bool · subject: str

``file_changes`` (git history, one row per file a non-merge commit touched)
    commit: str · path: str (repository-relative, posix, after the change) ·
    old_path: str|NA (for renames) · change_type: str (A, M, D, R) ·
    added: Int64|NA (lines; NA for binary files or when churn was not mined) ·
    deleted: Int64|NA

``imports`` (import graph, one row per import statement between modules of the repository)
    importer: str (dotted module) · imported: str (dotted module) ·
    importer_path: str (repository-relative file) · imported_path: str ·
    line: int (line number in importer_path) · kind: str (static, type_checking, function,
    dynamic: a string naming a module of the repository, e.g. ``importlib.import_module``)

``unresolved_imports`` (import graph, one row per import that names nothing in the repository)
    importer_path: str (repository-relative file) · line: int · target: str (as written:
    module, package, namespace, path or constant) · language: str (python, java, kotlin,
    csharp, go, javascript, typescript, ruby, php) · classification: str (stdlib, internal,
    third_party, unresolved: looks like the repository's own but no file was found)

``statements`` (SQL logs, one row per group of executions that share the log, fingerprint,
user, database, sqlcommenter tags and minute; so a log of any size gives a frame that grows
with its distinct queries and its duration, not its lines. A traceparent names one span,
so executions tied to traces stay one row each)
    source: str (log file) · line: int (first line of the group's first record) ·
    ts: datetime64[UTC] (time of the group's first execution; NaT when the log gave no
    time) · user: str ·
    database: str · duration_ms: float (total of the known durations; NaN when none was
    logged) · fingerprint: str (16-hex of the normalized text) · trace_id: str|NA ·
    parent_span_id: str|NA (from a sqlcommenter traceparent) ·
    route: str|NA · controller: str|NA (sqlcommenter tags) · executions: int (how many
    executions the row stands for; every count of statements is a sum of this column;
    1 when a frame built by hand leaves it out)

``queries`` (SQL logs, one row per distinct fingerprint)
    fingerprint: str · normalized: str (literals replaced by placeholders) ·
    operation: str (SELECT, INSERT, UPDATE, DELETE, MERGE, COPY, DDL, OTHER) ·
    approximate: bool (tables found by a token scan because sqlglot could not parse) ·
    executions: int · total_duration_ms: float

``table_access`` (SQL logs, one row per fingerprint, table and access)
    fingerprint: str · table: str (lower case, schema-qualified only when not in the
    search path) · access: str (read, write)

``joins`` (SQL logs, one row per pair of tables joined in one fingerprint, a < b)
    fingerprint: str · table_a: str · table_b: str

``orm_tables`` (ORM models and migrations, one row per table declaration;
:mod:`analysis.sources.orm_models`)
    table: str (lower case) · model: str (``Model.field`` for a many-to-many field's table) ·
    framework: str (django, sqlalchemy, activerecord, jpa) · kind: str (model, migration:
    a table the replayed migrations leave today) · path: str (repository-relative) · line:
    int · explicit: bool (name written in the source, not derived by convention)

``orm_relations`` (ORM models, one row per relation a model declares;
:mod:`analysis.sources.orm_models`)
    table: str (the declaring model's table, as in ``orm_tables``) · related_table: str (the
    table of the model it refers to, resolved with the same rules) · kind: str (foreign_key,
    many_to_many, one_to_one, relationship) · framework: str (django, sqlalchemy,
    activerecord, jpa) · path: str (repository-relative) · line: int

``spans`` (traces, one row per span)
    trace_id: str (32-hex, lower) · span_id: str (16-hex, lower) ·
    parent_span_id: str|NA · name: str · kind: str (SERVER, CLIENT, INTERNAL,
    PRODUCER, CONSUMER, UNSPECIFIED) · service: str · start: datetime64[UTC] ·
    end: datetime64[UTC] · duration_ms: float · is_error: bool ·
    code_namespace: str|NA · code_function: str|NA · http_route: str|NA ·
    db_system: str|NA · db_fingerprint: str|NA (fingerprint of the db statement,
    same function as the SQL logs; the statement text itself is never kept) ·
    db_tables: str|NA (comma-separated tables of the statement, each ``name:r`` read or ``name:w``
    written; a bare name when only db.collection.name says which, its use unknown) ·
    messaging_destination: str|NA · link_count: int ·
    sampling_ratio: float (the head-sampling probability the span was kept with, from
    its ``tracestate`` (``ot=th:…`` / ``ot=p:…``), the sampler attributes
    (``sampling.probability``, ``sampler.param`` of a probabilistic sampler) or the
    source's configured ``sampling_ratio``; NaN when unknown) ·
    attributes: str|NA (a JSON object of the span attributes the context map's rules name,
    ``spans.attributes``; NA when the rules name none or the span carries none of them)

``service_dependencies`` (Jaeger ``/api/dependencies``, one row per caller and callee service)
    parent: str (calling service) · child: str (called service) · call_count: int

``head_files`` (git, one row per file of HEAD's tree, submodules and ``ignore_paths`` left out)
    path: str (repository-relative, posix)

``complexity`` (file contents at HEAD, one row per file that could be read)
    path: str · language: str (lizard's language name, or ``text`` where lizard cannot
    parse and lines plus indentation stand in) · nloc: int (lines of code: lizard's count,
    else non-blank lines) · ccn_total: Int64|NA (sum of cyclomatic complexity over the
    file, NA where lizard cannot parse) · ccn_max: Int64|NA · functions: int ·
    indentation_complexity: float (sum of logical indentation over non-blank lines)

``deploys`` (deploy history, one row per deploy or, as a proxy, per release tag)
    deployed_at: datetime64[UTC] · duration_s: float (NaN when unknown) ·
    status: str|NA (success, failure, cancelled; NA when unknown) ·
    contexts: str|NA (comma-separated context names, as given) ·
    origin: str (deploy-log, release-tag) · label: str|NA (tag name for a release tag)

``incidents`` (an incident log, one row per incident; :mod:`analysis.sources.operations`)
    opened_at: datetime64[UTC] · resolved_at: datetime64[UTC] (NaT while open) ·
    severity: str|NA (as given) · contexts: str|NA (comma-separated context names)

``costs`` (an infrastructure cost log, one row per month, amount and currency)
    month: datetime64[UTC] (the first day of the month) · amount: float ·
    currency: str|NA · contexts: str|NA (comma-separated; NA = the whole monolith)

``delivered`` (delivered changes: features or tickets done, one row each)
    delivered_at: datetime64[UTC] · contexts: str|NA · kind: str|NA (feature, bug, ... as
    given)

``merge_files`` (git history, one row per file a merge commit brought into its first
parent, i.e. the files of the merged pull request)
    commit: str (the merge commit) · path: str

``entry_points`` (repository source, one row per declared route, job or consumer;
:mod:`analysis.sources.entry_points`)
    kind: str (route, job, consumer) · name: str (route template as written with its
    include prefixes joined, ``/orders/<int:order_id>/``; task name; queue or topic) ·
    path: str (repository-relative file) · line: int · framework: str (django, flask,
    fastapi, celery, python, rails, spring)

``span_links`` (traces, one row per link a span declares to another span, possibly in
another trace: a batch consumer linking the messages it handles, a FOLLOWS_FROM reference)
    trace_id: str · span_id: str (the span declaring the link) · linked_trace_id: str ·
    linked_span_id: str (the span linked to; 32-hex / 16-hex, lower, like ``spans``)

Literal values from SQL and span attribute values never enter a frame except through
these columns: statements are kept only as fingerprints and normalized text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

# kind names: "str", "str?" (nullable string), "int", "Int64?", "float", "bool", "datetime"
SCHEMAS: dict[str, dict[str, str]] = {
    "commits": {
        "commit": "str", "author_name": "str", "author_email": "str", "authored_at": "datetime",
        "committed_at": "datetime", "parents": "int", "is_merge": "bool", "subject": "str",
    },
    "file_changes": {
        "commit": "str", "path": "str", "old_path": "str?", "change_type": "str",
        "added": "Int64?", "deleted": "Int64?",
    },
    "imports": {
        "importer": "str", "imported": "str", "importer_path": "str", "imported_path": "str",
        "line": "int", "kind": "str",
    },
    "statements": {
        "source": "str", "line": "int", "ts": "datetime", "user": "str", "database": "str",
        "duration_ms": "float", "fingerprint": "str", "trace_id": "str?", "parent_span_id": "str?",
        "route": "str?", "controller": "str?", "executions": "int",
    },
    "queries": {
        "fingerprint": "str", "normalized": "str", "operation": "str", "approximate": "bool",
        "executions": "int", "total_duration_ms": "float",
    },
    "table_access": {"fingerprint": "str", "table": "str", "access": "str"},
    "joins": {"fingerprint": "str", "table_a": "str", "table_b": "str"},
    "orm_tables": {
        "table": "str", "model": "str", "framework": "str", "kind": "str", "path": "str", "line": "int",
        "explicit": "bool",
    },
    "orm_relations": {
        "table": "str", "related_table": "str", "kind": "str", "framework": "str", "path": "str", "line": "int",
    },
    "span_links": {"trace_id": "str", "span_id": "str", "linked_trace_id": "str", "linked_span_id": "str"},
    "unresolved_imports": {
        "importer_path": "str", "line": "int", "target": "str", "language": "str", "classification": "str",
    },
    "spans": {
        "trace_id": "str", "span_id": "str", "parent_span_id": "str?", "name": "str", "kind": "str",
        "service": "str", "start": "datetime", "end": "datetime", "duration_ms": "float",
        "is_error": "bool", "code_namespace": "str?", "code_function": "str?", "http_route": "str?",
        "db_system": "str?", "db_fingerprint": "str?", "db_tables": "str?",
        "messaging_destination": "str?", "link_count": "int", "sampling_ratio": "float", "attributes": "str?",
    },
    "service_dependencies": {"parent": "str", "child": "str", "call_count": "int"},
    # the runtime aggregates an engine read back for spans it holds (ClickHouse, DuckDB):
    # analysis.measures.runtime_sql; the coverage figures flattened as "key.sub" -> value
    "store_calls": {
        "caller": "str", "callee": "str", "mode": "str", "calls": "int", "total_ms": "float", "errors": "int",
    },
    "store_load": {
        "context": "str", "bucket": "datetime", "requests": "float", "spans": "float", "self_time_ms": "float",
        "scaled": "bool",
    },
    "store_statements": {"fingerprint": "str", "context": "str", "calls": "int"},
    "store_coverage": {"figure": "str", "value": "float"},
    # latency per call pair (percentiles of one store: they do not add up across stores),
    # synchronous chains, and traces per entry point and set of contexts (joined by "\x1f")
    "store_latency": {
        "caller": "str", "callee": "str", "mode": "str", "calls": "int", "caller_spans": "int", "p50_ms": "float",
        "p95_ms": "float", "max_ms": "float", "caller_ms": "float",
    },
    "store_chains": {"chain": "str", "traces": "int"},
    "store_orchestration": {"entry_point": "str", "entry_context": "str?", "contexts": "str", "traces": "float"},
    # the database spans as statements (fingerprint, context of the span, executions weighted for
    # sampling) and their tables, for the data evidence without a SQL log
    "store_db_statements": {"fingerprint": "str", "context": "str?", "executions": "int"},
    "store_db_tables": {"fingerprint": "str", "table": "str", "access": "str"},
    # the spans a SQL log's statements name that the store holds, with the context that issued
    # them; and the span keys (routes as recorded, inventoried job and consumer names) an entry
    # point inventory is matched against, with their spans
    "store_sql_spans": {"trace_id": "str", "span_id": "str", "context": "str?"},
    "store_entry_keys": {"kind": "str", "key": "str", "spans": "int"},
    # the routes and names (statements masked) of spans no rule gives a context, the commonest
    "store_unmatched": {"what": "str", "key": "str", "spans": "int"},
    # the decomposition's unit traffic (analysis.measures.decomposition.graph.UnitTraffic)
    "store_unit_calls": {"caller": "str", "unit": "str", "crossed": "bool", "calls": "int"},
    "store_unit_tables": {"unit": "str", "db_tables": "str", "spans": "int"},
    "store_unit_traces": {"units": "str", "route": "str?", "queue": "str?", "traces": "int"},
    "store_unit_transactions": {"tables": "str", "traces": "int"},
    "store_unit_namespaces": {"code_namespace": "str", "context": "str", "spans": "int"},
    # the scorecard's entry spans per context and minute with any (and "(all)"), and their
    # latency quantile per stretch of time [lo_ns, hi_ns) and context (one store's; NaN: no
    # order statistic bounds it)
    "store_entry_minutes": {"context": "str", "minute": "datetime", "requests": "float"},
    "store_entry_latency": {"lo_ns": "int", "hi_ns": "int", "context": "str", "n": "int", "value": "float", "low": "float",
                            "high": "float"},
    "complexity": {
        "path": "str", "language": "str", "nloc": "int", "ccn_total": "Int64?", "ccn_max": "Int64?",
        "functions": "int", "indentation_complexity": "float",
    },
    "deploys": {
        "deployed_at": "datetime", "duration_s": "float", "status": "str?", "contexts": "str?",
        "origin": "str", "label": "str?",
    },
    "merge_files": {"commit": "str", "path": "str"},
    "head_files": {"path": "str"},
    "incidents": {"opened_at": "datetime", "resolved_at": "datetime", "severity": "str?", "contexts": "str?"},
    "costs": {"month": "datetime", "amount": "float", "currency": "str?", "contexts": "str?"},
    "delivered": {"delivered_at": "datetime", "contexts": "str?", "kind": "str?"},
    "entry_points": {"kind": "str", "name": "str", "path": "str", "line": "int", "framework": "str"},
}


#: Values of contract columns that a frame may leave out (every other missing column is NA).
DEFAULTS: dict[str, dict[str, object]] = {"statements": {"executions": 1}}


class FrameContractError(AssertionError):
    """A frame does not match its documented contract (a bug in Seams, not bad input)."""


def typed_empty(columns: Mapping[str, object]) -> pd.DataFrame:
    """An empty frame with these columns and dtypes (``{"context": "string", ...}``), for
    metrics whose outputs are not source contracts."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def empty(name: str) -> pd.DataFrame:
    """An empty frame with the contract's columns and dtypes."""
    return conform(pd.DataFrame({c: [] for c in SCHEMAS[name]}), name)


def conform(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast ``frame``'s columns to the contract's dtypes, in contract order."""
    out = {}
    defaults = DEFAULTS.get(name, {})
    for col, kind in SCHEMAS[name].items():
        missing = defaults.get(col, float("nan") if kind == "float" else pd.NA)  # a float column absent: NaN, not <NA>
        s = frame[col] if col in frame else pd.Series([missing] * len(frame), index=frame.index)
        out[col] = _cast(s, kind)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _cast(s: pd.Series, kind: str) -> pd.Series:
    if kind in ("str", "str?"):
        return s.astype("string")
    if kind == "int":
        return s.astype("int64")
    if kind == "Int64?":
        return s.astype("Int64")
    if kind == "float":
        return pd.to_numeric(s.astype(object).where(s.notna(), float("nan")), errors="raise").astype("float64")
    if kind == "bool":
        return s.astype("bool")
    if kind == "datetime":
        return pd.to_datetime(s, utc=True).astype("datetime64[ns, UTC]")
    raise ValueError(kind)


#: Whether a column holds what its contract kind says.
_KIND_CHECKS = {
    "str": lambda s: pd.api.types.is_string_dtype(s) and not s.isna().any(),
    "str?": lambda s: pd.api.types.is_string_dtype(s),
    "int": lambda s: pd.api.types.is_integer_dtype(s) and not s.isna().any(),
    "Int64?": lambda s: pd.api.types.is_integer_dtype(s),
    "float": lambda s: pd.api.types.is_float_dtype(s),
    "bool": lambda s: pd.api.types.is_bool_dtype(s),
    "datetime": lambda s: isinstance(s.dtype, pd.DatetimeTZDtype) and str(s.dtype.tz) == "UTC",
}


def check(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Raise FrameContractError unless ``frame`` has exactly the contract's columns and kinds."""
    schema = SCHEMAS[name]
    if list(frame.columns) != list(schema):
        raise FrameContractError(f"{name}: columns {list(frame.columns)} != contract {list(schema)}")
    for col, kind in schema.items():
        s = frame[col]
        if not _KIND_CHECKS[kind](s):
            raise FrameContractError(f"{name}.{col}: dtype {s.dtype} does not match {kind!r}")
    return frame


@dataclass
class SourceFrames:
    """What one miner returns: its frames by name plus how much it read and rejected.

    ``counts``: named counts a miner keeps beside its frames for the pipeline to report
    (the SQL miner's ``nested_statements`` and ``nested_calls``: pg_stat_statements rows the
    server ran inside functions and triggers, kept out of the frames); summed when one
    kind has several items. ``warnings``: what the user should act on beside the frames
    (a cache that could not be used), shown with the run's warnings. ``errors``: why items
    of the source could not be read at all (a missing or damaged file, not a git
    repository), one message each; ``unread``: no item could be read, so the kind is
    missing evidence (see :meth:`Mined.missing`).
    """

    frames: dict[str, pd.DataFrame]
    records_read: int
    records_rejected: int
    notes: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unread: bool = False

    @classmethod
    def failed(cls, names: tuple[str, ...], error: str) -> SourceFrames:
        """The result of a source that could not be read at all: empty frames and the error."""
        return cls({name: empty(name) for name in names}, 0, 0, [], errors=[error], unread=True)


@dataclass(frozen=True)
class Mined:
    """Every frame contract's frame for one run (a frame no source gave is empty), and the
    source kinds that were mined: an empty frame of a kind that was mined is *measured*
    (nothing there); of a kind that was not, *not measured*. ``counts``: each kind's named
    counts (:attr:`SourceFrames.counts`). A kind configured but not read at all is not mined:
    ``failures`` keeps its error, and :meth:`missing` says it."""

    frames: Mapping[str, pd.DataFrame]
    kinds: frozenset[str]
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    failures: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    def store_figures(self) -> dict[str, float]:
        """The figures a trace engine counted (``store_coverage``: figure -> value); empty when
        no engine aggregated the traces."""
        rows = self.frames["store_coverage"] if "store_coverage" in self.frames else None
        if rows is None or not len(rows):
            return {}
        return dict(zip(rows["figure"].astype(str), rows["value"].astype(float), strict=True))

    def given(self, *kinds: str) -> bool:
        """Whether every one of ``kinds`` was mined."""
        return all(k in self.kinds for k in kinds)

    def missing(self, reason: str, *kinds: str) -> str:
        """Why evidence resting on ``kinds`` is not measured: ``reason`` (no source given),
        or, for a kind that was configured but could not be read, its error."""
        errors = [f"the {kind} source could not be read: {self.failures[kind]}" for kind in kinds
                  if kind in self.failures and kind not in self.kinds]
        return "; ".join(errors) if errors else reason

    @classmethod
    def of(cls, mined: Mapping[str, SourceFrames]) -> Mined:
        """Gather the miners' results: a frame two kinds produce (Python and other languages'
        imports) is their concatenation."""
        parts: dict[str, list[pd.DataFrame]] = {}
        for result in mined.values():
            for name, frame in result.frames.items():
                parts.setdefault(name, []).append(frame)
        out = {name: empty(name) for name in SCHEMAS}
        for name, pieces in parts.items():
            pieces = [p for p in pieces if len(p)]
            if len(pieces) == 1:
                out[name] = pieces[0]
            elif pieces:
                out[name] = conform(pd.concat(pieces, ignore_index=True), name)
        failures = {kind: "; ".join(result.errors) for kind, result in mined.items() if result.errors}
        return cls(out, frozenset(kind for kind, result in mined.items() if not result.unread),
                   {kind: dict(result.counts) for kind, result in mined.items()}, failures)
