"""Data evidence: tables per context, shared and write-shared tables, joins across contexts,
candidate domain events and hot tables — observed in the SQL logs, or, without a SQL log, in
the database client spans of the traces.

``measure_data(config, mined, units) -> DataEvidence``. Statements are weighed by their
``executions``; database spans by ``1 / sampling_ratio`` (each kept span stands for that many).

``status`` (the *observed* data coupling):

- *measured* from the SQL log (``origin`` ``sql log``), or from the traces' database client
  spans when no SQL log was given (``origin`` ``traces``: tables and reads/writes per span's
  context; joins, domain events and hot tables are then not measured);
- *not measurable* when fewer than ``min_attributed_sql_share`` of the executions could be tied
  to a context (no traceparent, route or controller tags, no spans to match): who reads and
  writes what is then unknown;
- *not measured* with neither a SQL log nor database spans in the traces.

Owners are the ones Seams reports (:meth:`analysis.mapping.units.Units.owners_of`: declared, ORM,
then traffic), for the table contexts, the joins and the pairs alike. Shared infrastructure tables
(:meth:`analysis.mapping.units.Units.shared_tables`: a ``role: shared`` context's tables, the
``shared_tables`` of the config, Django's own tables by default) are listed in
``infrastructure_tables`` and kept out of the shared and write-shared tables, the cross-context
joins and the data pairs; ``notes`` say when the default list was applied.

``schema_status`` / ``schema_pairs``: foreign keys between ORM models of tables owned by
different contexts (*schema* evidence, kept apart from the observed evidence; it holds without
any log).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import Status
from analysis.core.frames import Mined, typed_empty
from analysis.mapping.contexts import ContextMap
from analysis.mapping.units import Units
from analysis.measures.coupling import data as data_coupling

#: Tables listed as hot, busiest first.
HOT_TABLES = 20
SCHEMA_PAIR_COLUMNS = {"context_a": "string", "context_b": "string", "relations": "int64", "evidence": "object"}


@dataclass(frozen=True)
class DataEvidence:
    status: Status
    origin: str | None  # "sql log" | "traces" | None
    table_contexts: pd.DataFrame
    shared_tables: pd.DataFrame
    write_shared_tables: pd.DataFrame
    cross_context_joins: pd.DataFrame
    pairs: pd.DataFrame  # data_pairs: context_a, context_b, shared tables
    infrastructure_tables: pd.DataFrame  # table, owner, reason, contexts, readers, writers, executions
    domain_events: pd.DataFrame
    hot_tables: pd.DataFrame
    attribution_methods: dict[str, int]
    attributed_share: float | None
    schema_status: Status
    schema_pairs: pd.DataFrame  # context_a, context_b, relations, evidence (table -> table)
    notes: list[str] = field(default_factory=list)


def measure_data(config: Config, mined: Mined, units: Units) -> DataEvidence:
    cmap = units.context_map
    origin: str | None
    if mined.given("sql"):
        statements, by, access, origin = mined["statements"], units.statement_context, mined["table_access"], "sql log"
    else:
        statements, by, access = traced_statements(mined["spans"], units.span_context)
        if not len(statements) and len(mined["store_db_statements"]):  # the db spans aggregated in a trace engine
            from analysis.measures.runtime_store import stored_statements

            statements, by, access = stored_statements(mined)
        origin = "traces" if len(statements) else None
    joins = mined["joins"]
    seen = set(access["table"].dropna()) | set(joins["table_a"].dropna()) | set(joins["table_b"].dropna())
    owners, infrastructure = units.owners_of(seen), units.shared_tables(seen)
    table_ctx = data_coupling.table_contexts(statements, by, access, owners, infrastructure)
    logged, logged_by = mined["statements"], units.statement_context  # empty without a SQL log
    weights = statements["executions"].to_numpy(dtype=float)
    attributed = float(weights[pd.Series(by).notna().to_numpy()].sum() / weights.sum()) if weights.sum() else None
    schema_pairs = schema_coupling(mined, units)
    return DataEvidence(
        status=data_status(config, mined, origin, attributed, len(statements)),
        origin=origin,
        table_contexts=table_ctx,
        shared_tables=data_coupling.shared_tables(table_ctx),
        write_shared_tables=data_coupling.write_shared_tables(table_ctx),
        cross_context_joins=data_coupling.cross_context_joins(logged, logged_by, joins, owners, infrastructure),
        pairs=data_coupling.data_pairs(table_ctx),
        infrastructure_tables=data_coupling.infrastructure_tables(table_ctx, infrastructure),
        domain_events=data_coupling.domain_events(logged, logged_by, mined["queries"], mined["table_access"], units.ownership),
        hot_tables=data_coupling.hot_tables(logged, mined["table_access"], top=HOT_TABLES),
        attribution_methods=executions_by_method(units.statements, mined["statements"]),
        attributed_share=attributed,
        schema_status=schema_status(mined),
        schema_pairs=schema_pairs,
        notes=infrastructure_notes(cmap, infrastructure),
    )


def infrastructure_notes(cmap: ContextMap, infrastructure: dict[str, str]) -> list[str]:
    """One sentence when Seams' default ``shared_tables`` made some seen tables infrastructure."""
    if not cmap.shared_tables_by_default:
        return []
    defaulted = sorted(t for t, reason in infrastructure.items() if reason.startswith("Django's own table"))
    if not defaulted:
        return []
    shown = ", ".join(defaulted[:8]) + (", ..." if len(defaulted) > 8 else "")
    return [f"{len(defaulted)} of Django's own tables ({', '.join(cmap.shared_tables)}) are treated as shared infrastructure "
            f"by default and kept out of pair coupling: {shown}. Set shared_tables in the config to say otherwise."]


def data_status(config: Config, mined: Mined, origin: str | None, attributed: float | None, rows: int) -> Status:
    if origin is None:
        if mined.given("traces"):
            return Status.not_measured(mined.missing("no SQL log given, and the traces hold no database client span with a statement", "sql"))
        return Status.not_measured(mined.missing("no SQL log and no traces given (sources.sql, sources.traces)", "sql", "traces"))
    least = config.thresholds["min_attributed_sql_share"]
    if attributed is None or attributed < least:
        share = "none" if not attributed else f"{attributed:.0%}"
        return Status.not_measurable(
            f"{share} of the {'executions' if origin == 'sql log' else 'database spans'} could be tied to a context "
            f"(min_attributed_sql_share = {least:g}): add sqlcommenter tags (traceparent, route) or traces, or declare span rules")
    if origin == "traces":
        return Status.measured(f"{rows} database statements seen in the traces' client spans (no SQL log): "
                               "tables and reads/writes only, weighted by span count and sampling ratio")
    return Status.measured(f"{attributed:.0%} of the logged executions tied to a context")


def traced_statements(spans: pd.DataFrame, span_context: pd.Series) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """The database client spans as statements: ``(statements, context, table_access)``.

    One row per (fingerprint, context) with ``executions`` = spans, each weighted by
    ``1 / sampling_ratio`` (rounded); ``table_access`` from the spans' ``db_tables``
    (``table:r`` read, ``table:w`` written; a bare table, known only from
    ``db.collection.name``, counts as read)."""
    db = spans["db_fingerprint"].notna().to_numpy(dtype=bool)
    if not db.any():
        empty = pd.DataFrame({"fingerprint": pd.Series(dtype="string"), "executions": pd.Series(dtype="int64")})
        return empty, pd.Series([], dtype="string"), typed_empty({"fingerprint": "string", "table": "string", "access": "string"})
    ratio = spans.loc[db, "sampling_ratio"].astype("float64").fillna(1.0).clip(lower=1e-9).to_numpy()
    rows = pd.DataFrame({"fingerprint": spans.loc[db, "db_fingerprint"].astype("string").to_numpy(),
                         "context": span_context[db].astype("string").to_numpy(), "weight": 1.0 / ratio})
    grouped = rows.groupby(["fingerprint", "context"], dropna=False, sort=True)["weight"].sum().reset_index()
    statements = pd.DataFrame({"fingerprint": grouped["fingerprint"].astype("string"),
                               "executions": np.rint(grouped["weight"].to_numpy()).astype("int64")})
    tables = spans.loc[db, ["db_fingerprint", "db_tables"]].dropna().drop_duplicates()
    access = [(fp, *_table_and_access(item)) for fp, listed in tables.itertuples(index=False) for item in str(listed).split(",") if item]
    table_access = pd.DataFrame(access, columns=["fingerprint", "table", "access"]).drop_duplicates().astype("string")
    return statements, grouped["context"].astype("string"), table_access.reset_index(drop=True)


def _table_and_access(item: str) -> tuple[str, str]:
    name, _, mark = item.rpartition(":")
    if mark in ("r", "w") and name:
        return name, "write" if mark == "w" else "read"
    return item, "read"


def schema_status(mined: Mined) -> Status:
    relations = mined.frames.get("orm_relations")
    if relations is None or not mined.given("orm"):
        return Status.not_measured(mined.missing("no ORM models read (sources.imports reads them from the repository)", "orm"))
    if not len(mined["orm_tables"]):
        return Status.not_measured("no ORM model found in the repository")
    return Status.measured(f"{len(relations)} relations between {len(mined['orm_tables'])} ORM table declarations")


def schema_coupling(mined: Mined, units: Units) -> pd.DataFrame:
    """Context pairs whose tables reference each other through ORM relations (foreign keys,
    many-to-many, one-to-one), by the tables' owners (:attr:`Units.ownership`)."""
    relations = mined.frames.get("orm_relations")
    if relations is None or relations.empty:
        return typed_empty(SCHEMA_PAIR_COLUMNS)
    owner = dict(zip(units.ownership["table"].astype(str), units.ownership["owner"], strict=True))
    found: dict[tuple[str, str], list[str]] = {}
    for table, related in relations[["table", "related_table"]].astype(str).itertuples(index=False):
        a, b = owner.get(table), owner.get(related)
        if a is None or b is None or pd.isna(a) or pd.isna(b) or a == b:
            continue
        key = (min(a, b), max(a, b))
        found.setdefault(key, []).append(f"{table} -> {related}")
    rows = [{"context_a": a, "context_b": b, "relations": len(ev), "evidence": sorted(set(ev))} for (a, b), ev in sorted(found.items())]
    return pd.DataFrame(rows, columns=list(SCHEMA_PAIR_COLUMNS)).astype({k: v for k, v in SCHEMA_PAIR_COLUMNS.items() if v != "object"})


def executions_by_method(attributed: pd.DataFrame, statements: pd.DataFrame) -> dict[str, int]:
    """Executions per attribution method, most first."""
    counts = statements["executions"].groupby(attributed["method"].to_numpy(dtype=object)).sum()
    return {str(k): int(v) for k, v in counts.sort_values(ascending=False, kind="stable").items()}
