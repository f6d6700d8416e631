"""Data coupling: tables read or written by several contexts, and joins across owners.

Inputs: the ``statements``, ``table_access`` and ``joins`` frames (:mod:`analysis.frames`),
``statement_context`` (the issuing context of each statement, a string Series aligned with
``statements`` or the frame returned by :func:`analysis.attribution.attribute_statements`)
and the :class:`~analysis.contexts.ContextMap` that declares each table's owner.

An *execution* is one statement of the log; a statement that reads and writes the same
table counts once in ``reads`` and once in ``writes``. Unattributed statements keep the
context ``<NA>`` in :func:`table_contexts` and :func:`db_time_by_context` (so they are
counted, never dropped) and are left out of every measure between contexts.

- :func:`table_contexts` -> ``table, owner, context, reads, writes``
- :func:`shared_tables` -> ``table, owner, contexts, readers, writers, kind, executions``
- :func:`write_shared_tables` -> ``table, owner, writers, writes``
- :func:`cross_context_joins` -> ``fingerprint, table_a, context_a, table_b, context_b, executions, issued_by``
- :func:`data_pairs` -> ``context_a, context_b, shared_tables, tables, executions``
- :func:`db_time_by_context` -> ``context, executions, total_duration_ms``
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from analysis.attribution import context_values
from analysis.contexts import ContextMap

SHARE_KINDS = ("write/write", "read/write", "read/read")


def _executions(statements: pd.DataFrame, statement_context) -> pd.DataFrame:
    """Executions per (fingerprint, context), ``<NA>`` context kept."""
    ctx = context_values(statement_context, len(statements), "statement_context")
    frame = pd.DataFrame({"fingerprint": statements["fingerprint"].to_numpy(dtype=object), "context": ctx})
    return frame.groupby(["fingerprint", "context"], dropna=False).size().rename("executions").reset_index()


def table_contexts(
    statements: pd.DataFrame,
    statement_context,
    table_access: pd.DataFrame,
    context_map: ContextMap,
) -> pd.DataFrame:
    """Executions per table and accessing context, split by access.

    ``reads`` (``writes``) = executions of statements whose fingerprint reads (writes) the
    table, issued by ``context`` (``<NA>`` = unattributed); ``owner`` = the context that
    declares the table (``<NA>`` if none). Sorted by table, then context.
    """
    columns = {"table": "string", "owner": "string", "context": "string", "reads": "int64", "writes": "int64"}
    executions = _executions(statements, statement_context)
    access = table_access[["fingerprint", "table", "access"]].drop_duplicates()
    joined = access.astype(object).merge(executions.astype({"fingerprint": object}), on="fingerprint")
    if joined.empty:
        return _empty(columns)
    joined["reads"] = joined["executions"].where(joined["access"] == "read", 0)
    joined["writes"] = joined["executions"].where(joined["access"] == "write", 0)
    out = joined.groupby(["table", "context"], dropna=False)[["reads", "writes"]].sum().reset_index()
    out["owner"] = context_map.assign_tables(out["table"].astype("string"))
    out = out.astype(columns).sort_values(["table", "context"], na_position="last")
    return out[list(columns)].reset_index(drop=True)


def _attributed(table_contexts: pd.DataFrame) -> pd.DataFrame:
    return table_contexts[table_contexts["context"].notna()]


def shared_tables(table_contexts: pd.DataFrame) -> pd.DataFrame:
    """Tables accessed by two or more contexts.

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
    """Tables written by two or more contexts: what blocks an extraction most.

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
    context_map: ContextMap,
) -> pd.DataFrame:
    """Joins between tables owned by two different contexts.

    Both tables must have a declared owner (a join with an undeclared table says nothing
    about a boundary). ``context_a`` / ``context_b`` = owners of ``table_a`` / ``table_b``;
    ``executions`` = statements with the join's fingerprint; ``issued_by`` = sorted list of
    the attributed contexts that ran it. Sorted by executions descending, then fingerprint.
    """
    columns = {
        "fingerprint": "string", "table_a": "string", "context_a": "string", "table_b": "string",
        "context_b": "string", "executions": "int64", "issued_by": "object",
    }
    pairs = joins[["fingerprint", "table_a", "table_b"]].drop_duplicates().reset_index(drop=True)
    pairs["context_a"] = context_map.assign_tables(pairs["table_a"].astype("string"))
    pairs["context_b"] = context_map.assign_tables(pairs["table_b"].astype("string"))
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


def data_pairs(table_contexts: pd.DataFrame, context_map: ContextMap) -> pd.DataFrame:
    """Context pairs coupled through data (``context_a < context_b``).

    A table with a declared owner couples each context that accesses it with its owner: X
    and Y are coupled when X accesses a table Y owns. Two non-owners that both access it are
    not coupled to each other through it: each depends on the owner, and counting the pair
    too would turn one popular table (an outbox every context writes) into coupling between
    every pair of contexts. A table without a declared owner couples every pair of contexts
    that access it. ``tables`` = sorted list of the tables coupling the
    pair, ``shared_tables`` = their number, ``executions`` = reads and writes of the pair's
    two contexts on those tables. Sorted by shared_tables, then executions, descending.
    """
    columns = {
        "context_a": "string", "context_b": "string", "shared_tables": "int64", "tables": "object",
        "executions": "int64",
    }
    accessed = _attributed(table_contexts)
    found: dict[tuple[str, str], list] = {}
    for table, group in accessed.groupby("table", sort=True):
        volume = (group["reads"] + group["writes"]).groupby(group["context"]).sum().to_dict()
        owner = context_map.owner_of_table(str(table))
        if owner:
            links = [tuple(sorted((owner, c))) for c in volume if c != owner]
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


def db_time_by_context(statements: pd.DataFrame, statement_context) -> pd.DataFrame:
    """Database executions and time per issuing context (``<NA>`` = unattributed).

    ``total_duration_ms`` = sum of the statements' ``duration_ms``. Sorted by it, descending.
    """
    columns = {"context": "string", "executions": "int64", "total_duration_ms": "float64"}
    ctx = context_values(statement_context, len(statements), "statement_context")
    frame = pd.DataFrame({"context": ctx, "duration_ms": statements["duration_ms"].to_numpy(dtype=float)})
    if frame.empty:
        return _empty(columns)
    out = (
        frame.groupby("context", dropna=False)
        .agg(executions=("duration_ms", "size"), total_duration_ms=("duration_ms", "sum"))
        .reset_index()
        .sort_values(["total_duration_ms", "context"], ascending=[False, True], na_position="last")
    )
    return out[list(columns)].astype(columns).reset_index(drop=True)


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
