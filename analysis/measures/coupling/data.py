"""Data coupling: tables read or written by several contexts, and joins across owners.

Inputs: the ``statements``, ``table_access`` and ``joins`` frames (:mod:`analysis.core.frames`),
``statement_context`` (the issuing context of each statement, a string Series aligned with
``statements`` or the frame returned by :func:`analysis.mapping.attribution.attribute_statements`),
``owners`` (``table -> owning context``, tables named as the frames name them: the one
ownership Seams reports, :meth:`analysis.mapping.units.Units.owners_of` — declared, ORM, then
traffic) and ``infrastructure`` (the shared infrastructure tables,
:meth:`analysis.mapping.units.Units.shared_tables`: sessions, content types, users, tags that
every request touches).

Every measure between contexts reads the same owners: a join is cross-context when its two
tables' owners differ, a data pair couples a table's owner with the contexts accessing it.
Infrastructure tables are kept out of every pair measure (shared and write-shared tables,
cross-context joins, data pairs) and listed apart by :func:`infrastructure_tables`.

An *execution* is one statement of the log (a ``statements`` row stands for its
``executions``); a statement that reads and writes the same table counts once in ``reads``
and once in ``writes``. Unattributed statements keep the
context ``<NA>`` in :func:`table_contexts` and :func:`db_time_by_context` (so they are
counted, never dropped) and are left out of every measure between contexts.

- :func:`table_contexts` -> ``table, owner, context, reads, writes, infrastructure``
- :func:`shared_tables` -> ``table, owner, contexts, readers, writers, kind, executions``
- :func:`write_shared_tables` -> ``table, owner, writers, writes``
- :func:`cross_context_joins` -> ``fingerprint, table_a, context_a, table_b, context_b, executions, issued_by``
- :func:`data_pairs` -> ``context_a, context_b, shared_tables, tables, executions``
- :func:`infrastructure_tables` -> ``table, owner, reason, contexts, readers, writers, executions``
- :func:`db_time_by_context` -> ``context, executions, total_duration_ms``
- :func:`table_load` -> ``bucket, table, executions, total_duration_ms`` (hot tables over time)
- :func:`hot_tables` -> ``table, executions, total_duration_ms, reads, writes, peak_bucket, peak_executions``
- :func:`domain_events` -> ``event, context, table, verb, fingerprint, operation, executions, issued_by, foreign``
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from itertools import combinations

import pandas as pd

from analysis.core.frames import typed_empty as _empty
from analysis.mapping.span_tree import context_values

SHARE_KINDS = ("write/write", "read/write", "read/read")
#: the event verb of each writing operation (``SELECT ... FOR UPDATE`` locks, it emits nothing)
EVENT_VERBS = {"INSERT": "inserted", "COPY": "inserted", "UPDATE": "updated", "DELETE": "deleted", "MERGE": "merged"}


def _executions(statements: pd.DataFrame, statement_context) -> pd.DataFrame:
    """Executions per (fingerprint, context), ``<NA>`` context kept."""
    ctx = context_values(statement_context, len(statements), "statement_context")
    frame = pd.DataFrame({"fingerprint": statements["fingerprint"].to_numpy(dtype=object), "context": ctx,
                          "executions": statements["executions"].to_numpy(dtype="int64")})
    return frame.groupby(["fingerprint", "context"], dropna=False)["executions"].sum().reset_index()


def table_contexts(
    statements: pd.DataFrame,
    statement_context,
    table_access: pd.DataFrame,
    owners: Mapping[str, str],
    infrastructure: Collection[str] = (),
) -> pd.DataFrame:
    """Executions per table and accessing context, split by access.

    ``reads`` (``writes``) = executions of statements whose fingerprint reads (writes) the
    table, issued by ``context`` (``<NA>`` = unattributed); ``owner`` = ``owners[table]``
    (``<NA>`` if none); ``infrastructure`` = the table is one of ``infrastructure``. Sorted by
    table, then context.
    """
    columns = {"table": "string", "owner": "string", "context": "string", "reads": "int64", "writes": "int64",
               "infrastructure": "bool"}
    executions = _executions(statements, statement_context)
    access = table_access[["fingerprint", "table", "access"]].drop_duplicates()
    joined = access.astype(object).merge(executions.astype({"fingerprint": object}), on="fingerprint")
    if joined.empty:
        return _empty(columns)
    joined["reads"] = joined["executions"].where(joined["access"] == "read", 0)
    joined["writes"] = joined["executions"].where(joined["access"] == "write", 0)
    out = joined.groupby(["table", "context"], dropna=False)[["reads", "writes"]].sum().reset_index()
    out["owner"] = out["table"].map(lambda t: owners.get(t, pd.NA))
    shared = set(infrastructure)
    out["infrastructure"] = out["table"].map(lambda t: t in shared)
    out = out.astype(columns).sort_values(["table", "context"], na_position="last")
    return out[list(columns)].reset_index(drop=True)


def _attributed(table_contexts: pd.DataFrame) -> pd.DataFrame:
    """Rows of an attributed context on a table that is not infrastructure (pair measures)."""
    keep = table_contexts["context"].notna()
    if "infrastructure" in table_contexts:
        keep &= ~table_contexts["infrastructure"].astype(bool)
    return table_contexts[keep]


def shared_tables(table_contexts: pd.DataFrame) -> pd.DataFrame:
    """Tables accessed by two or more contexts (infrastructure tables left out).

    ``contexts`` / ``readers`` / ``writers`` = sorted lists of the contexts accessing / reading /
    writing the table; ``kind`` = ``write/write`` when two or more contexts write it,
    ``read/write`` when one writes and another reads, else ``read/read``; ``executions`` =
    sum of reads and writes by those contexts. Sorted by kind (write/write first), then
    executions descending, then table.
    """
    columns = {
        "table": "string", "owner": "string", "contexts": "object", "readers": "object",
        "writers": "object", "kind": "string", "executions": "int64",
    }
    rows = []
    for (table, owner), group in _attributed(table_contexts).groupby(["table", "owner"], dropna=False, sort=True):
        contexts = sorted(group["context"].unique())
        if len(contexts) < 2:
            continue
        readers = sorted(group.loc[group["reads"] > 0, "context"].unique())
        writers = sorted(group.loc[group["writes"] > 0, "context"].unique())
        kind = "write/write" if len(writers) >= 2 else "read/write" if writers else "read/read"
        executions = int(group["reads"].sum() + group["writes"].sum())
        rows.append((table, owner, contexts, readers, writers, kind, executions))
    if not rows:
        return _empty(columns)
    out = pd.DataFrame(rows, columns=list(columns))
    out["_rank"] = out["kind"].map(SHARE_KINDS.index)
    out = out.sort_values(["_rank", "executions", "table"], ascending=[True, False, True]).drop(columns="_rank")
    return out.astype(columns).reset_index(drop=True)


def write_shared_tables(table_contexts: pd.DataFrame) -> pd.DataFrame:
    """Tables written by two or more contexts: what blocks an extraction most (infrastructure
    tables left out).

    ``writers`` = sorted list of writing contexts, ``writes`` = their write executions.
    Sorted by the number of writers, then writes, descending.
    """
    columns = {"table": "string", "owner": "string", "writers": "object", "writes": "int64"}
    written = _attributed(table_contexts)
    written = written[written["writes"] > 0]
    rows = [
        (table, owner, sorted(group["context"].unique()), int(group["writes"].sum()))
        for (table, owner), group in written.groupby(["table", "owner"], dropna=False, sort=True)
        if group["context"].nunique() >= 2
    ]
    if not rows:
        return _empty(columns)
    out = pd.DataFrame(rows, columns=list(columns))
    out["_writers"] = out["writers"].map(len)
    out = out.sort_values(["_writers", "writes", "table"], ascending=[False, False, True]).drop(columns="_writers")
    return out.astype(columns).reset_index(drop=True)


def cross_context_joins(
    statements: pd.DataFrame,
    statement_context,
    joins: pd.DataFrame,
    owners: Mapping[str, str],
    infrastructure: Collection[str] = (),
) -> pd.DataFrame:
    """Joins between tables owned by two different contexts.

    Both tables must have an owner in ``owners`` (a join with a table nobody owns says
    nothing about a boundary) and neither may be infrastructure. ``context_a`` /
    ``context_b`` = owners of ``table_a`` / ``table_b``; ``executions`` = statements with the
    join's fingerprint; ``issued_by`` = sorted list of the attributed contexts that ran it.
    Sorted by executions descending, then fingerprint.
    """
    columns = {
        "fingerprint": "string", "table_a": "string", "context_a": "string", "table_b": "string",
        "context_b": "string", "executions": "int64", "issued_by": "object",
    }
    shared = set(infrastructure)
    pairs = joins[["fingerprint", "table_a", "table_b"]].drop_duplicates().reset_index(drop=True)
    pairs["context_a"] = pairs["table_a"].map(lambda t: None if t in shared else owners.get(t)).astype("string")
    pairs["context_b"] = pairs["table_b"].map(lambda t: None if t in shared else owners.get(t)).astype("string")
    crossing = pairs["context_a"].notna() & pairs["context_b"].notna()
    crossing &= (pairs["context_a"] != pairs["context_b"]).fillna(False)
    pairs = pairs[crossing.to_numpy(dtype=bool)]
    if pairs.empty:
        return _empty(columns)
    executions = _executions(statements, statement_context)
    per_fingerprint = executions.groupby("fingerprint")["executions"].sum()
    issuers: dict[str, list[str]] = {}
    for fingerprint, context in executions[["fingerprint", "context"]].dropna().itertuples(index=False):
        issuers.setdefault(fingerprint, []).append(context)
    out = pairs.reset_index(drop=True)
    out["executions"] = out["fingerprint"].map(per_fingerprint).fillna(0)
    out["issued_by"] = [sorted(set(issuers.get(f, []))) for f in out["fingerprint"]]
    out = out.sort_values(["executions", "fingerprint", "table_a", "table_b"], ascending=[False, True, True, True])
    return out[list(columns)].astype(columns).reset_index(drop=True)


def data_pairs(table_contexts: pd.DataFrame) -> pd.DataFrame:
    """Context pairs coupled through data (``context_a < context_b``).

    A table with an owner (the ``owner`` column: the ownership Seams reports) couples each
    context that accesses it with its owner: X and Y are coupled when X accesses a table Y
    owns. Two non-owners that both access it are not coupled to each other through it: each
    depends on the owner, and counting the pair too would turn one popular table (an outbox
    every context writes) into coupling between every pair of contexts. A table without an
    owner couples every pair of contexts that access it. Infrastructure tables couple no
    pair. ``tables`` = sorted list of the tables coupling the pair, ``shared_tables`` = their
    number, ``executions`` = reads and writes of the pair's two contexts on those tables.
    Sorted by shared_tables, then executions, descending.
    """
    columns = {
        "context_a": "string", "context_b": "string", "shared_tables": "int64", "tables": "object",
        "executions": "int64",
    }
    accessed = _attributed(table_contexts)
    found: dict[tuple[str, str], list] = {}
    for (table, owner), group in accessed.groupby(["table", "owner"], dropna=False, sort=True):
        volume = (group["reads"] + group["writes"]).groupby(group["context"]).sum().to_dict()
        if not pd.isna(owner):
            links = [tuple(sorted((str(owner), c))) for c in volume if c != owner]
        else:
            links = list(combinations(sorted(volume), 2))
        for a, b in sorted(links):
            entry = found.setdefault((a, b), [[], 0])
            entry[0].append(table)
            entry[1] += int(volume.get(a, 0) + volume.get(b, 0))
    if not found:
        return _empty(columns)
    out = pd.DataFrame(
        [(a, b, len(tables), sorted(tables), executions) for (a, b), (tables, executions) in found.items()],
        columns=list(columns),
    )
    out = out.sort_values(["shared_tables", "executions", "context_a", "context_b"], ascending=[False, False, True, True])
    return out.astype(columns).reset_index(drop=True)


def infrastructure_tables(table_contexts: pd.DataFrame, reasons: Mapping[str, str]) -> pd.DataFrame:
    """The infrastructure tables the statements touched, kept out of pair coupling and listed here.

    ``reason`` = why the table is infrastructure (``reasons[table]``); ``contexts`` /
    ``readers`` / ``writers`` = sorted attributed contexts accessing / reading / writing it;
    ``executions`` = every read and write, unattributed ones included. Sorted by executions
    descending, then table.
    """
    columns = {"table": "string", "owner": "string", "reason": "string", "contexts": "object", "readers": "object",
               "writers": "object", "executions": "int64"}
    rows = []
    for (table, owner), group in table_contexts[table_contexts["table"].isin(list(reasons))].groupby(
            ["table", "owner"], dropna=False, sort=True):
        known = group[group["context"].notna()]
        rows.append((table, owner, reasons[table], sorted(known["context"].unique()),
                     sorted(known.loc[known["reads"] > 0, "context"].unique()),
                     sorted(known.loc[known["writes"] > 0, "context"].unique()),
                     int(group["reads"].sum() + group["writes"].sum())))
    if not rows:
        return _empty(columns)
    out = pd.DataFrame(rows, columns=list(columns)).sort_values(["executions", "table"], ascending=[False, True])
    return out.astype(columns).reset_index(drop=True)


def db_time_by_context(statements: pd.DataFrame, statement_context) -> pd.DataFrame:
    """Database executions and time per issuing context (``<NA>`` = unattributed).

    ``total_duration_ms`` = sum of the statements' ``duration_ms``. Sorted by it, descending.
    """
    columns = {"context": "string", "executions": "int64", "total_duration_ms": "float64"}
    ctx = context_values(statement_context, len(statements), "statement_context")
    frame = pd.DataFrame({"context": ctx, "duration_ms": statements["duration_ms"].to_numpy(dtype=float),
                          "executions": statements["executions"].to_numpy(dtype="int64")})
    if frame.empty:
        return _empty(columns)
    out = (
        frame.groupby("context", dropna=False)
        .agg(executions=("executions", "sum"), total_duration_ms=("duration_ms", "sum"))
        .reset_index()
        .sort_values(["total_duration_ms", "context"], ascending=[False, True], na_position="last")
    )
    return out[list(columns)].astype(columns).reset_index(drop=True)


def _table_statements(statements: pd.DataFrame, table_access: pd.DataFrame) -> pd.DataFrame:
    """One row per (statement row, table it touches): ``ts, duration_ms, executions, table,
    read, write``; ``read`` / ``write`` = the row's executions that read / write the table."""
    access = table_access[["fingerprint", "table", "access"]].drop_duplicates().astype(object)
    per_table = (
        access.assign(read=access["access"] == "read", write=access["access"] == "write")
        .groupby(["fingerprint", "table"])[["read", "write"]].any().reset_index()
    )
    frame = pd.DataFrame({
        "fingerprint": statements["fingerprint"].to_numpy(dtype=object),
        "ts": statements["ts"].to_numpy(),
        "duration_ms": statements["duration_ms"].to_numpy(dtype=float),
        "executions": statements["executions"].to_numpy(dtype="int64"),
    })
    joined = frame.merge(per_table, on="fingerprint")
    joined["read"] = joined["executions"].where(joined["read"], 0)
    joined["write"] = joined["executions"].where(joined["write"], 0)
    return joined


def table_load(statements: pd.DataFrame, table_access: pd.DataFrame, *, bucket: str = "1h") -> pd.DataFrame:
    """Executions and database time per table and time bucket.

    A statement counts once, with its whole ``duration_ms``, for every table it touches
    (a join of two tables is load on both). ``bucket`` = ``ts`` floored to ``bucket`` (a
    pandas frequency, e.g. ``"1h"``, ``"15min"``, ``"1D"``); statements without a
    timestamp are left out; NaN durations add nothing to ``total_duration_ms``. Sorted
    by bucket, then table.
    """
    columns = {"bucket": "datetime64[ns, UTC]", "table": "string", "executions": "int64", "total_duration_ms": "float64"}
    joined = _table_statements(statements, table_access)
    joined = joined[pd.notna(joined["ts"])]
    if joined.empty:
        return _empty(columns)
    joined["bucket"] = pd.to_datetime(joined["ts"], utc=True).dt.floor(bucket)
    out = (
        joined.groupby(["bucket", "table"])
        .agg(executions=("executions", "sum"), total_duration_ms=("duration_ms", "sum"))
        .reset_index()
        .sort_values(["bucket", "table"])
    )
    return out[list(columns)].astype(columns).reset_index(drop=True)


def hot_tables(statements: pd.DataFrame, table_access: pd.DataFrame, *, bucket: str = "1h", top: int | None = None) -> pd.DataFrame:
    """Tables by database time, with their busiest bucket.

    ``executions`` / ``total_duration_ms`` as in :func:`table_load`, over the whole log
    (statements without a timestamp included); ``reads`` / ``writes`` = executions that
    read / write the table; ``peak_bucket`` / ``peak_executions`` = the bucket with most
    executions (earliest on ties; NaT when no statement has a timestamp). Sorted by
    total_duration_ms, then executions, descending, then table; the first ``top`` rows
    when given.
    """
    columns = {
        "table": "string", "executions": "int64", "total_duration_ms": "float64", "reads": "int64", "writes": "int64",
        "peak_bucket": "datetime64[ns, UTC]", "peak_executions": "int64",
    }
    joined = _table_statements(statements, table_access)
    if joined.empty:
        return _empty(columns)
    out = (
        joined.groupby("table")
        .agg(executions=("executions", "sum"), total_duration_ms=("duration_ms", "sum"), reads=("read", "sum"), writes=("write", "sum"))
        .reset_index()
    )
    load = table_load(statements, table_access, bucket=bucket)
    if len(load):
        peaks = load.sort_values(["table", "executions", "bucket"], ascending=[True, False, True]).drop_duplicates("table")
        out = out.merge(peaks[["table", "bucket", "executions"]].rename(columns={"bucket": "peak_bucket", "executions": "peak_executions"}).astype({"table": object}),
                        on="table", how="left")
    else:
        out["peak_bucket"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
        out["peak_executions"] = 0
    out["peak_executions"] = out["peak_executions"].fillna(0)
    out = out.sort_values(["total_duration_ms", "executions", "table"], ascending=[False, False, True])
    if top is not None:
        out = out.head(top)
    return out[list(columns)].astype(columns).reset_index(drop=True)


def _owner_lookup(owners) -> dict[str, str]:
    if isinstance(owners, pd.DataFrame):
        kept = owners[owners["owner"].notna()]
        return {str(t).lower(): str(o) for t, o in zip(kept["table"], kept["owner"])}
    return {str(t).lower(): str(o) for t, o in dict(owners).items() if o is not None and not pd.isna(o)}


def event_subject(table: str, context: str) -> str:
    """The table as an event names it: without its owner's prefix, the context's name (lower
    case, other than word characters read as ``_``) followed by ``_`` or ``.`` (an app label,
    a schema): ``billing_invoices`` and ``billing.invoices`` of billing -> ``invoices``. A
    table without the prefix, or with nothing after it, keeps its name."""
    prefix = re.sub(r"\W+", "_", context.lower())
    for separator in ("_", "."):
        if table.startswith(prefix + separator) and len(table) > len(prefix) + 1:
            return table[len(prefix) + 1:]
    return table


def domain_events(
    statements: pd.DataFrame,
    statement_context,
    queries: pd.DataFrame,
    table_access: pd.DataFrame,
    owners: pd.DataFrame | Mapping[str, str],
) -> pd.DataFrame:
    """The write fingerprints of each context-owned table, as candidate domain events.

    ``owners``: ``table -> context`` (a mapping, or a frame with ``table`` and ``owner``
    columns such as :func:`analysis.mapping.ownership.infer_table_ownership` returns; declared
    owners come first there, and tables are named as the logs name them). A table is owned
    when its name, lower case, is one of the owners' exactly (``shop.orders_item`` is not
    the ``orders_item`` of the search path). A fingerprint that writes an owned table and whose
    ``operation`` is INSERT / COPY, UPDATE, DELETE (TRUNCATE included) or MERGE gives the
    event ``<owner>.<subject>.<verb>`` (:data:`EVENT_VERBS`), the subject being the table
    without the owner's own prefix (:func:`event_subject`: ``billing_invoices`` owned by
    billing gives ``billing.invoices.inserted``; ``payments`` gives
    ``billing.payments.inserted``); lock-only writes (``SELECT ... FOR UPDATE``) give none. ``executions`` = statements with the fingerprint;
    ``issued_by`` = sorted attributed contexts that ran it; ``foreign`` = some context
    other than the owner ran it (the event would cross the boundary). Sorted by context,
    table, verb, then executions descending and fingerprint.
    """
    columns = {
        "event": "string", "context": "string", "table": "string", "verb": "string", "fingerprint": "string",
        "operation": "string", "executions": "int64", "issued_by": "object", "foreign": "bool",
    }
    lookup = _owner_lookup(owners)
    writes = table_access.loc[table_access["access"] == "write", ["fingerprint", "table"]].drop_duplicates().astype(object)
    ops = queries[["fingerprint", "operation"]].drop_duplicates("fingerprint").astype(object)
    candidates = writes.merge(ops, on="fingerprint")
    candidates["verb"] = candidates["operation"].map(EVENT_VERBS)
    candidates["context"] = candidates["table"].map(lambda t: lookup.get(str(t).lower()))
    candidates = candidates.dropna(subset=["verb", "context"])
    if candidates.empty:
        return _empty(columns)
    executions = _executions(statements, statement_context)
    per_fingerprint = executions.groupby("fingerprint")["executions"].sum()
    issuers: dict[str, set[str]] = {}
    for fingerprint, context in executions[["fingerprint", "context"]].dropna().itertuples(index=False):
        issuers.setdefault(fingerprint, set()).add(context)
    out = candidates.reset_index(drop=True)
    out["event"] = [f"{c}.{event_subject(t, c)}.{v}" for c, t, v in zip(out["context"], out["table"], out["verb"])]
    out["executions"] = out["fingerprint"].map(per_fingerprint).fillna(0)
    out["issued_by"] = [sorted(issuers.get(f, ())) for f in out["fingerprint"]]
    out["foreign"] = [any(c != owner for c in issued) for owner, issued in zip(out["context"], out["issued_by"])]
    out = out.sort_values(["context", "table", "verb", "executions", "fingerprint"], ascending=[True, True, True, False, True])
    return out[list(columns)].astype(columns).reset_index(drop=True)


