"""Which bounded context owns each table: declared, defined by its models, or inferred from who
writes it.

The owner of a table is the context whose code defines it. A table declared in the config
(``contexts.<name>.tables``) is owned by that context whatever the evidence says. Next comes
the ORM: the context whose models (or migrations) define the table owns it, however busy other
contexts are writing it. Only a table no model of a mapped file defines (raw SQL tables,
another application's tables) is owned by its dominant *writer*, seen in the traffic.

Traffic says who *writes* a table, which is coupling, not ownership: the change log, the
search cache, tags and tokens are written on every request by whichever context is busiest
(``dcim`` in NetBox), yet ``core``, ``extras`` and ``users`` define them. So ORM evidence
outranks every traffic method, and the writers a traffic method saw stay visible as
``conflicts`` (``trace:dcim``), the data-coupling measures counting them as writers.

:func:`ownership_evidence` gathers who defines and who writes what, by method, and
:func:`infer_table_ownership` picks, per table, the first method in this order that names a
context (base confidence: :data:`METHOD_CONFIDENCE`):

``orm`` (0.95)
    ORM models and migrations naming the table (the ``orm_tables`` frame of
    :mod:`analysis.sources.orm_models`), in a file the context map assigns to a context.
    Volume: declarations.
``trace`` (0.9)
    db CLIENT spans (``spans.db_fingerprint``) under a span with a context
    (:func:`analysis.mapping.attribution.db_span_contexts`), whose fingerprint writes the table
    (``table_access``). Volume: db spans.
``sqlcommenter`` (0.8)
    statements attributed to a context by their sqlcommenter tags (``traceparent``,
    ``route``, ``controller``: the methods of
    :func:`analysis.mapping.attribution.attribute_statements`), whose fingerprint writes the table.
    Volume: executions. Statements attributed only by a shared fingerprint are not
    evidence (they repeat rules 1-3).
``application_name`` (0.6)
    statements whose ``application_name`` names a context (:func:`application_contexts`:
    a context name, or a service rule of the context map), whose fingerprint writes the
    table. Volume: executions.

Confidence of an inference = the method's base confidence x the owner's *dominance*:
its volume / the volume of every context the method saw. A table written by orders 90 times
and billing 10 times, both seen through traces and defined by no model, is owned by orders
with confidence 0.9 x 0.9 = 0.81. Ties in volume go to the context name first in
alphabetical order, with the dominance showing the split.

Shared (infrastructure) tables (:func:`shared_table_reasons`): a table owned by a context with
``role: shared``, named by a ``shared_tables`` glob of the config (Django's own tables by
default) and declared by no domain or layer context, or a table of the database's system
catalogs. They keep their owner here; the data
measures list them apart and leave them out of pair coupling.

Table names are matched as in :class:`analysis.mapping.contexts.ContextMap`: declared names,
ORM names and observed names all go through :meth:`~analysis.mapping.contexts.ContextMap.table_key`
(lower case, a search-path schema dropped) and are then compared exactly: ``s.t`` with ``s``
outside the search path is another table than ``t``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from analysis.core.config import SYSTEM_CATALOG_TABLES
from analysis.core.frames import typed_empty as _empty
from analysis.mapping.attribution import db_span_contexts
from analysis.mapping.contexts import ContextMap
from analysis.mapping.span_tree import context_values

#: Methods in order of precedence: the first that names a context owns the table (see the module docstring).
METHODS = ("declared", "orm", "trace", "sqlcommenter", "application_name", "none")
METHOD_CONFIDENCE: Mapping[str, float] = {
    "declared": 1.0, "orm": 0.95, "trace": 0.9, "sqlcommenter": 0.8, "application_name": 0.6, "none": 0.0,
}
#: statement attribution methods that come from a statement's own sqlcommenter tags
SQLCOMMENTER_METHODS = ("traceparent", "route", "controller")

EVIDENCE_COLUMNS = {"table": "string", "method": "string", "context": "string", "volume": "int64", "evidence": "string"}
OWNERSHIP_COLUMNS = {
    "table": "string", "owner": "string", "method": "string", "confidence": "float64", "dominance": "float64",
    "volume": "int64", "evidence": "string", "other_contexts": "object", "conflicts": "object",
}




def _writes(table_access: pd.DataFrame) -> pd.DataFrame:
    w = table_access.loc[table_access["access"] == "write", ["fingerprint", "table"]].drop_duplicates()
    return pd.DataFrame({"fingerprint": w["fingerprint"].to_numpy(dtype=object), "table": w["table"].to_numpy(dtype=object)})


def application_contexts(application_names: pd.Series, context_map: ContextMap) -> pd.Series:
    """Context of each ``application_name``: a context's name (case-insensitive), else the
    context whose span ``services`` rule matches it; ``<NA>`` otherwise. Aligned with the input."""
    names = {n.lower(): n for n in context_map.names}
    uniq = pd.Series(pd.unique(application_names.dropna()), dtype="string")
    if len(uniq) == 0:
        return pd.Series(pd.NA, index=application_names.index, dtype="string")
    by_service = context_map.assign_spans(pd.DataFrame({"service": uniq}))
    found = {a: names.get(str(a).lower(), s) for a, s in zip(uniq, by_service)}
    return application_names.map(lambda a: found.get(a) if not pd.isna(a) else pd.NA).astype("string")


def _statement_evidence(statements, contexts: pd.Series, writes: pd.DataFrame, method: str) -> pd.DataFrame:
    frame = pd.DataFrame({"fingerprint": statements["fingerprint"].to_numpy(dtype=object),
                          "context": contexts.to_numpy(dtype=object),
                          "volume": statements["executions"].to_numpy(dtype="int64")}).dropna()
    if frame.empty or writes.empty:
        return _empty(EVIDENCE_COLUMNS)
    counted = frame.groupby(["fingerprint", "context"])["volume"].sum().reset_index()
    joined = counted.merge(writes, on="fingerprint")
    out = joined.groupby(["table", "context"])["volume"].sum().reset_index()
    out["method"] = method
    noun = {"sqlcommenter": "executions tagged by sqlcommenter", "application_name": "executions by application_name"}[method]
    out["evidence"] = [f"{v} {noun} from {c} write it" for c, v in zip(out["context"], out["volume"])]
    return out


def ownership_evidence(
    table_access: pd.DataFrame,
    context_map: ContextMap,
    *,
    statements: pd.DataFrame | None = None,
    statement_attribution: pd.DataFrame | None = None,
    spans: pd.DataFrame | None = None,
    span_context: pd.Series | None = None,
    application_context: pd.Series | None = None,
    orm_tables: pd.DataFrame | None = None,
    db_spans: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every (table, method, context) that says a context defines (ORM) or writes (traffic) a table.

    ``statement_attribution``: the frame of :func:`analysis.mapping.attribution.attribute_statements`
    (``context``, ``method``) aligned with ``statements``; ``application_context``: a context
    per statement from its application name (:func:`application_contexts`), aligned with
    ``statements``; ``span_context``: aligned with ``spans``; ``db_spans`` (``fingerprint,
    context, calls``): the db spans by the context of their nearest ancestor when no spans
    frame holds them (aggregated in a trace engine, frame ``store_statements``). Each input
    is optional.

    Columns: ``table, method, context, volume, evidence`` (``volume``: db spans, executions
    or declarations, by method; ``evidence``: one human sentence, never a literal).
    Sorted by table, method (in :data:`METHODS` order), volume descending, context.
    """
    writes = _writes(table_access)
    parts = []
    seen = None
    if spans is not None and span_context is not None and len(spans):
        seen = db_span_contexts(spans, span_context)
    elif db_spans is not None and len(db_spans):
        seen = db_spans
    if seen is not None and len(writes):
        joined = pd.DataFrame({"fingerprint": seen["fingerprint"].to_numpy(dtype=object),
                               "context": seen["context"].to_numpy(dtype=object),
                               "volume": seen["calls"].to_numpy(dtype="int64")}).merge(writes, on="fingerprint")
        if len(joined):
            out = joined.groupby(["table", "context"])["volume"].sum().reset_index()
            out["method"] = "trace"
            out["evidence"] = [f"{v} db spans under {c} spans write it" for c, v in zip(out["context"], out["volume"])]
            parts.append(out)
    if statements is not None and statement_attribution is not None and len(statements):
        ctx = context_values(statement_attribution, len(statements), "statement_attribution")
        tagged = statement_attribution["method"].isin(SQLCOMMENTER_METHODS).to_numpy(dtype=bool)
        parts.append(_statement_evidence(statements, ctx.where(tagged), writes, "sqlcommenter"))
    if statements is not None and application_context is not None and len(statements):
        ctx = context_values(application_context, len(statements), "application_context")
        parts.append(_statement_evidence(statements, ctx, writes, "application_name"))
    if orm_tables is not None and len(orm_tables):
        where = context_map.assign_code_paths(orm_tables["path"].astype("string"))
        orm = pd.DataFrame({"table": orm_tables["table"].map(context_map.table_key).to_numpy(dtype=object),
                            "context": where.to_numpy(dtype=object),
                            "place": (orm_tables["path"] + ":" + orm_tables["line"].astype(str)).to_numpy(dtype=object)}).dropna()
        if len(orm):
            out = orm.groupby(["table", "context"]).agg(volume=("place", "size"), places=("place", lambda s: sorted(s))).reset_index()
            out["method"] = "orm"
            out["evidence"] = [f"ORM declarations in {c}'s code: {', '.join(p[:5])}{' ...' if len(p) > 5 else ''}"
                               for c, p in zip(out["context"], out["places"])]
            parts.append(out.drop(columns="places"))
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty(EVIDENCE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["_rank"] = out["method"].map(METHODS.index)
    out = out.sort_values(["table", "_rank", "volume", "context"], ascending=[True, True, False, True])
    return out[list(EVIDENCE_COLUMNS)].astype(EVIDENCE_COLUMNS).reset_index(drop=True)


def infer_table_ownership(
    evidence: pd.DataFrame,
    context_map: ContextMap,
    *,
    tables: pd.Series | list[str] | None = None,
    confidence: Mapping[str, float] = METHOD_CONFIDENCE,
    use_declared: bool = True,
) -> pd.DataFrame:
    """One owner per table: declared first, else the first method of :data:`METHODS` with
    evidence (the ORM's defining context before any writer seen in the traffic), its dominant
    context.

    ``tables``: tables to report even without evidence (e.g. every table of
    ``table_access``); declared tables and tables in ``evidence`` are always reported.
    Names are compared by ``context_map.table_key``: a plain ``t`` and ``s.t`` are one table
    only when ``s`` is in the search path. ``use_declared=False`` ignores the config's declared
    tables: what the evidence alone says (to check a declaration against the logs).

    Columns: ``table``; ``owner`` (``<NA>`` when nothing names a writer); ``method``
    (:data:`METHODS`); ``confidence`` = base confidence of the method x ``dominance``;
    ``dominance`` = owner's volume / every context's volume within that method (1.0 when
    declared, 0.0 for none); ``volume`` = the owner's volume within the method;
    ``evidence`` (sentence); ``other_contexts`` (sorted list of the other contexts the
    winning method saw); ``conflicts`` (sorted list of ``method:context`` for every
    outranked method whose top context is another: for a traffic method, the busiest writer
    when it is not the owner). Sorted by table.
    """
    key = context_map.table_key
    declared = context_map.declared_tables() if use_declared else {}
    ev = evidence.assign(table=evidence["table"].map(key))
    names = set(declared) | set(ev["table"]) | {key(t) for t in (tables if tables is not None else [])}
    # each (table, method): its contexts' volumes, largest first (ties by context name), and
    # the first evidence sentence of each context; aggregated once, not table by table
    volumes: dict[str, dict[str, list[tuple[str, Any]]]] = {}
    for (table, method, context), volume in ev.groupby(["table", "method", "context"], sort=True)["volume"].sum().items():
        volumes.setdefault(str(table), {}).setdefault(str(method), []).append((str(context), volume))
    firsts = ev.dropna(subset=["context"]).drop_duplicates(["table", "method", "context"])
    sentences = dict(zip(zip(firsts["table"], firsts["method"], firsts["context"]), firsts["evidence"]))

    rows = []
    for table in sorted(names):
        found = volumes.get(table, {})
        per_method = [(method, sorted(found[method], key=lambda cv: cv[1], reverse=True)) for method in METHODS if method in found]
        if table in declared:
            owner = declared[table]
            row: tuple = (table, owner, "declared", confidence["declared"], 1.0, 0, "declared in the config", [])
        elif per_method:
            method, volume = per_method[0]
            owner, top_volume = volume[0]
            total = int(sum(v for _, v in volume))
            dominance = float(top_volume / total) if total else 1.0
            sentence = sentences[(table, method, owner)]
            if len(volume) > 1:
                sentence += f" ({int(top_volume)} of {total})"
            others = sorted(c for c, _ in volume[1:])
            row = (table, owner, method, confidence[method] * dominance, dominance, int(top_volume), sentence, others)
        else:
            owner = None
            row = (table, pd.NA, "none", confidence["none"], 0.0, 0, "no writer seen", [])
        conflicts = sorted({f"{m}:{top}" for m, volume in per_method if owner is not None
                            and (top := volume[0][0]) != owner})
        rows.append((*row, conflicts))
    if not rows:
        return _empty(OWNERSHIP_COLUMNS)
    out = pd.DataFrame(rows, columns=list(OWNERSHIP_COLUMNS))
    return out.astype(OWNERSHIP_COLUMNS).reset_index(drop=True)


def owners(ownership: pd.DataFrame, *, min_confidence: float = 0.0) -> dict[str, str]:
    """``table -> owner`` for the tables with an owner at ``min_confidence`` or above."""
    kept = ownership[ownership["owner"].notna() & (ownership["confidence"] >= min_confidence)]
    return dict(zip(kept["table"], kept["owner"]))


def shared_table_reasons(tables: Iterable[str], context_map: ContextMap, owners: Mapping[str, str]) -> dict[str, str]:
    """``table -> why it is a shared (infrastructure) table`` for those of ``tables`` that are
    (rules in the module docstring). ``owners``: ``table_key -> owner`` (:func:`owners`)."""
    out: dict[str, str] = {}
    for table in tables:
        key = context_map.table_key(table)
        owner = owners.get(key)
        if owner is not None and context_map.role_of(owner) == "shared":
            out[table] = f"owned by {owner}, a shared context"
        elif (glob := context_map.shared_table_rule(key)) is not None:
            if glob in SYSTEM_CATALOG_TABLES:
                out[table] = f"a system catalog of the database ({glob})"
            elif context_map.shared_tables_by_default:
                out[table] = f"Django's own table (shared by default: {glob}; set shared_tables to say otherwise)"
            else:
                out[table] = f"listed in shared_tables ({glob})"
    return out
