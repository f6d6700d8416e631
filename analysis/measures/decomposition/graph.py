"""One weighted graph over the code's units, from every signal given.

``unit_graph(mined, settings, *, code_root, context_of) -> UnitGraph``. A *unit* is a module
(a source file the import graph names: ``saleor.order.models``), a file (history alone: the
files of ``HEAD`` changed in the window) or a code namespace (traces alone: a class or module
as ``code.namespace`` names it). Each signal gives undirected pair weights, summed:

- imports: ``decomposition_import_weight * log2(1 + import lines)`` between importer and
  imported (both directions fold into one pair);
- co-change: ``decomposition_cochange_weight * degree / 100``, code-maat's degree
  (``shared / average revisions``) over the commits of the last ``coupling_days`` that touch at
  most ``coupling_max_changeset_size`` units, for pairs sharing at least
  ``decomposition_min_shared_commits`` commits;
- shared tables: every two units using one table, ``decomposition_table_weight * s_a * s_b /
  (users - 1)`` with ``s = (write_factor if it writes else 1) * (1 + log10(1 + executions))``
  (an ORM model defining the table counts as one write); tables used by more than
  ``decomposition_max_table_users`` units, and shared infrastructure tables, are left out
  (they say nothing of where a unit belongs);
- runtime calls: from a span's unit to the nearest ancestor span's different unit,
  ``decomposition_sync_call_weight * log2(1 + calls)`` (``..._async_...`` across a queue).

Besides the edges: labels per unit (the route prefixes or queues of the traces and entry points
that reach it, for BCP), the database transactions (tables per trace, placed at their owning
unit) and the traces (units per trace), for the spanning shares.

Columns: ``units`` unit, kind (module, file, namespace), path; ``edges`` unit_a, unit_b,
weight, imports, cochange, tables, calls_sync, calls_async (unit_a < unit_b).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.core.globs import glob_regex
from analysis.core.routes import normalize_route
from analysis.measures.coupling.evolutionary import change_sets

SIGNALS = ("imports", "cochange", "tables", "calls_sync", "calls_async")
EDGE_COLUMNS = ["unit_a", "unit_b", "weight", *SIGNALS]
#: route segments that name a layer or a version, not a business use case
ROUTE_NOISE = frozenset({"", "api", "v1", "v2", "v3", "graphql", "rest", "internal", "admin"})


@dataclass(frozen=True)
class UnitGraph:
    units: pd.DataFrame  # unit, kind, path
    edges: pd.DataFrame  # EDGE_COLUMNS
    labels: dict[str, set[str]] = field(default_factory=dict)
    #: distinct groups of units -> how many database transactions (one trace's statements) or traces had them
    transactions: dict[frozenset, int] = field(default_factory=dict)
    traces: dict[frozenset, int] = field(default_factory=dict)
    #: per signal: the pairs it gave (0 = given but empty; absent = not given)
    signals: dict[str, int] = field(default_factory=dict)
    #: import lines per (importer, imported) unit: a unit's *outgoing* imports tie it to a context, its fan-in does not
    imports: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["source", "target", "lines"]))
    #: the weight of the imports signal (to take it apart from the other signals)
    import_weight: float = 1.0
    #: spans per code namespace and context (:attr:`UnitTraffic.namespaces`)
    namespaces: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["code_namespace", "context", "spans"]))


def _pair_frame(a, b, values, name: str) -> pd.DataFrame:
    frame = pd.DataFrame({"x": np.asarray(a, dtype=object), "y": np.asarray(b, dtype=object), name: np.asarray(values, dtype=float)})
    frame = frame[frame["x"] != frame["y"]]
    lo = np.where(frame["x"] < frame["y"], frame["x"], frame["y"])
    hi = np.where(frame["x"] < frame["y"], frame["y"], frame["x"])
    return pd.DataFrame({"unit_a": lo, "unit_b": hi, name: frame[name].to_numpy()}).groupby(["unit_a", "unit_b"], as_index=False)[name].sum()


def import_pairs(imports: pd.DataFrame) -> pd.DataFrame:
    """Import lines per unordered pair of modules: unit_a, unit_b, imports."""
    if not len(imports):
        return pd.DataFrame(columns=["unit_a", "unit_b", "imports"])
    return _pair_frame(imports["importer"].astype(str), imports["imported"].astype(str), np.ones(len(imports)), "imports")


def cochange_pairs(commits: pd.DataFrame, file_changes: pd.DataFrame, unit_of_path: Mapping[str, str], *,
                   days: int, max_changeset_size: int, min_shared: int) -> pd.DataFrame:
    """code-maat's degree (percent) per unordered pair of units changed together in the last
    ``days`` before the last commit: unit_a, unit_b, cochange (degree / 100)."""
    empty = pd.DataFrame(columns=["unit_a", "unit_b", "cochange"])
    if not len(commits) or not len(file_changes):
        return empty
    when = pd.to_datetime(commits["committed_at"], utc=True)
    recent = commits[when >= when.max() - pd.Timedelta(days=days)]
    changes = file_changes[["commit", "path"]].assign(unit=file_changes["path"].map(unit_of_path))
    changes = changes.dropna(subset=["unit"])
    sets = change_sets(recent, pd.DataFrame({"commit": changes["commit"].to_numpy(), "path": changes["unit"].to_numpy()}),
                       max_changeset_size=max_changeset_size)
    if not len(sets):
        return empty
    revs = sets.groupby("path").size()
    pairs = sets[["commit", "path"]].merge(sets[["commit", "path"]], on="commit")
    pairs = pairs[pairs["path_x"] < pairs["path_y"]]
    shared = pairs.groupby(["path_x", "path_y"]).size().rename("shared").reset_index()
    shared = shared[shared["shared"] >= min_shared]
    if not len(shared):
        return empty
    average = (shared["path_x"].map(revs).to_numpy() + shared["path_y"].map(revs).to_numpy()) / 2
    return pd.DataFrame({"unit_a": shared["path_x"].to_numpy(), "unit_b": shared["path_y"].to_numpy(),
                         "cochange": shared["shared"].to_numpy() / average})


#: how many levels up a span's nearest ancestor with a unit is looked for
UNIT_DEPTH = 16


def span_units(spans: pd.DataFrame, unit_of_namespace: Callable[[str], str | None], depth: int = UNIT_DEPTH) -> pd.DataFrame:
    """Each span's own unit (from ``code.namespace``) and its nearest ancestor's unit: trace_id,
    span_id, unit, parent_unit, crossed (a queue lies between them), kind, db_tables, root."""
    if not len(spans):
        return pd.DataFrame(columns=["trace_id", "span_id", "unit", "caller", "crossed", "db_tables"])
    ns = spans["code_namespace"].astype("string")
    names = {n: unit_of_namespace(n) for n in pd.unique(ns.dropna())}
    own = np.array([names.get(n) if isinstance(n, str) else None for n in ns.tolist()], dtype=object)
    frame = pd.DataFrame({"trace_id": spans["trace_id"].astype(str).to_numpy(), "span_id": spans["span_id"].astype(str).to_numpy(),
                          "parent": spans["parent_span_id"].astype("string").fillna("").to_numpy(),
                          "kind": spans["kind"].astype("string").fillna("").to_numpy(), "unit": own,
                          "db_tables": spans["db_tables"].astype("string").to_numpy(dtype=object)})
    key = frame["trace_id"] + "/" + frame["span_id"]
    index = pd.Series(np.arange(len(frame)), index=key.to_numpy())
    index = index[~index.index.duplicated()]
    parent_pos = pd.Series(frame["trace_id"] + "/" + frame["parent"]).map(index).to_numpy()
    units = frame["unit"].to_numpy(dtype=object)
    consumer = (frame["kind"] == "CONSUMER").to_numpy()
    # walk up until an ancestor with a unit: caller, and whether a consumer span was crossed
    caller = np.full(len(frame), None, dtype=object)
    crossed = consumer.copy()
    pos = parent_pos.copy()
    open_ = ~np.isnan(pos)
    for _ in range(depth):
        if not open_.any():
            break
        at = pos[open_].astype(int)
        found = np.array([isinstance(u, str) for u in units[at]], dtype=bool)
        idx = np.flatnonzero(open_)
        caller[idx[found]] = units[at[found]]
        still = idx[~found]
        crossed[still] |= consumer[at[~found]]
        open_[:] = False
        nxt = parent_pos[at[~found]]
        open_[still[~np.isnan(nxt)]] = True
        pos[still] = nxt
    return frame.assign(caller=caller, crossed=crossed)[["trace_id", "span_id", "unit", "caller", "crossed", "db_tables"]]


#: how a trace's units, or its database spans' table lists, are joined in one text
JOIN = "\x1f"
TRAFFIC_COLUMNS = {
    "calls": {"caller": "string", "unit": "string", "crossed": "bool", "calls": "int64"},
    "tables": {"unit": "string", "db_tables": "string", "spans": "int64"},
    "traces": {"units": "string", "route": "string", "queue": "string", "traces": "int64"},
    "transactions": {"tables": "string", "traces": "int64"},
    "namespaces": {"code_namespace": "string", "context": "string", "spans": "int64"},
}


@dataclass(frozen=True)
class UnitTraffic:
    """What the unit graph reads from spans, aggregated — from a spans frame
    (:func:`traffic_of_spans`) or by a trace engine
    (:func:`analysis.measures.runtime_units.unit_traffic`), the same frames:

    - ``calls``: caller, unit, crossed, calls — spans of a unit under the nearest ancestor span
      with another unit (``crossed``: a consumer span on the way);
    - ``tables``: unit, db_tables, spans — database spans naming tables, by their own unit, else
      their nearest ancestor's (spans under no unit left out);
    - ``traces``: units (sorted, joined by :data:`JOIN`), route and queue (of the trace's
      earliest span with one), traces — per trace holding a unit;
    - ``transactions``: tables (the distinct table lists of a trace's database spans, sorted,
      joined by :data:`JOIN`), traces;
    - ``namespaces``: code_namespace, context, spans — spans per namespace and context.
    """

    calls: pd.DataFrame
    tables: pd.DataFrame
    traces: pd.DataFrame
    transactions: pd.DataFrame
    namespaces: pd.DataFrame
    #: spans the traffic was read from (0: no traces)
    spans: int = 0

    @property
    def units(self) -> list[str]:
        """The units the spans name, sorted."""
        return sorted(set(self.calls["unit"].dropna().astype(str)) | set(self.tables["unit"].dropna().astype(str))
                      | {u for units in self.traces["units"].dropna().astype(str) for u in units.split(JOIN)})

    @classmethod
    def empty(cls) -> UnitTraffic:
        return cls(**{name: _typed(pd.DataFrame(columns=list(columns)), columns) for name, columns in TRAFFIC_COLUMNS.items()})

    def __bool__(self) -> bool:
        return self.spans > 0


def stored_traffic(mined) -> UnitTraffic | None:
    """The traffic a trace engine aggregated (the ``store_unit_*`` frames); None when a spans
    frame holds the traces, or no engine aggregated any."""
    if len(mined["spans"]) or not len(mined["store_coverage"]):
        return None
    got = mined.store_figures()
    return UnitTraffic(**{name: _typed(mined[f"store_unit_{name}"], columns) for name, columns in TRAFFIC_COLUMNS.items()},
                       spans=int(got.get("spans", 0)))


def _typed(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    return frame[list(columns)].astype(dict(columns)).reset_index(drop=True)


def traffic_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` as :class:`UnitTraffic`'s frame ``name`` (its columns, typed)."""
    return _typed(frame, TRAFFIC_COLUMNS[name])


def traffic_of_spans(spans: pd.DataFrame, span_context: pd.Series | None,
                     unit_of_namespace: Callable[[str], str | None]) -> UnitTraffic:
    """:class:`UnitTraffic` from a spans frame (``span_context`` aligned with it, or None)."""
    if not len(spans):
        return UnitTraffic.empty()
    placed = span_units(spans, unit_of_namespace)
    unit = placed["unit"].to_numpy(dtype=object)
    caller = placed["caller"].to_numpy(dtype=object)
    has_unit = np.array([isinstance(u, str) for u in unit], dtype=bool)
    has_caller = np.array([isinstance(c, str) for c in caller], dtype=bool)
    called = placed[has_unit & has_caller & (unit != caller)]
    calls = called.groupby(["caller", "unit", "crossed"], as_index=False, sort=True).size().rename(columns={"size": "calls"})
    by = np.where(has_unit, unit, caller)
    db = placed.assign(by=by)[placed["db_tables"].notna().to_numpy() & (has_unit | has_caller)]
    tables = (db.groupby(["by", "db_tables"], as_index=False, sort=True).size()
              .rename(columns={"by": "unit", "size": "spans"}))
    # a trace's route and queue: its earliest span's with one (ties in the frame's order)
    first = spans.reindex(columns=["trace_id", "http_route", "messaging_destination"]).astype("string")
    if "start" in spans:
        first = first.iloc[np.argsort(pd.to_datetime(spans["start"], utc=True).to_numpy(dtype="datetime64[ns]"), kind="stable")]
    route = first.dropna(subset=["http_route"]).drop_duplicates("trace_id").set_index("trace_id")["http_route"]
    queue = first.dropna(subset=["messaging_destination"]).drop_duplicates("trace_id").set_index("trace_id")["messaging_destination"]
    pairs = placed[has_unit][["trace_id", "unit"]].drop_duplicates()
    units = pd.Series({t: JOIN.join(sorted(u)) for t, u in _sets(pairs["trace_id"], pairs["unit"]).items()}, dtype=object)
    traces = (pd.DataFrame({"units": units.to_numpy(dtype=object), "route": units.index.map(route).to_numpy(dtype=object),
                            "queue": units.index.map(queue).to_numpy(dtype=object)})
              .groupby(["units", "route", "queue"], as_index=False, sort=True, dropna=False).size().rename(columns={"size": "traces"}))
    listed = placed.dropna(subset=["db_tables"])
    per_trace = pd.Series({t: JOIN.join(sorted(v)) for t, v in _sets(listed["trace_id"], listed["db_tables"].astype(str)).items()},
                          dtype=object)
    transactions = (pd.DataFrame({"tables": per_trace.to_numpy(dtype=object)}).groupby("tables", as_index=False, sort=True).size()
                    .rename(columns={"size": "traces"}))
    context = pd.Series(span_context.to_numpy(dtype=object)) if span_context is not None else pd.Series([None] * len(spans))
    named = pd.DataFrame({"code_namespace": spans["code_namespace"].astype("string").to_numpy(dtype=object),
                          "context": context.to_numpy(dtype=object)}).dropna()
    namespaces = named.groupby(["code_namespace", "context"], as_index=False, sort=True).size().rename(columns={"size": "spans"})
    return UnitTraffic(**{name: _typed(frame, TRAFFIC_COLUMNS[name]) for name, frame in
                          (("calls", calls), ("tables", tables), ("traces", traces), ("transactions", transactions),
                           ("namespaces", namespaces))}, spans=len(spans))


def call_pairs(calls: pd.DataFrame) -> pd.DataFrame:
    """Calls per unordered pair of units, sync and async apart: unit_a, unit_b, calls_sync,
    calls_async (``calls``: :attr:`UnitTraffic.calls`)."""
    crossed = calls["crossed"].to_numpy(dtype=bool)
    counts = calls["calls"].to_numpy(dtype=float)
    sync = _pair_frame(calls.loc[~crossed, "caller"], calls.loc[~crossed, "unit"], counts[~crossed], "calls_sync")
    asyn = _pair_frame(calls.loc[crossed, "caller"], calls.loc[crossed, "unit"], counts[crossed], "calls_async")
    return sync.merge(asyn, on=["unit_a", "unit_b"], how="outer").fillna(0.0)


def table_users(orm_tables: pd.DataFrame, unit_of_path: Mapping[str, str], used: pd.DataFrame) -> pd.DataFrame:
    """Who uses each table: table, unit, writes (bool), executions. ORM models count as one
    write by the unit that defines the model; database spans as their nearest code unit's use
    (``used``: :attr:`UnitTraffic.tables`)."""
    rows = []
    if len(orm_tables):
        models = orm_tables[orm_tables["kind"] == "model"] if "kind" in orm_tables else orm_tables
        for table, path in zip(models["table"], models["path"]):
            unit = unit_of_path.get(str(path))
            if unit is not None:
                rows.append((str(table).lower(), unit, True, 1.0))
    frame = pd.DataFrame(rows, columns=["table", "unit", "writes", "executions"])
    if len(used):  # database spans under no code unit say nothing of who uses a table (not in ``used``)
        items = pd.DataFrame({"item": used["db_tables"].astype(str).str.split(",").to_numpy(),
                              "unit": used["unit"].astype(str).to_numpy(dtype=object),
                              "executions": used["spans"].to_numpy(dtype=float)}).explode("item")
        if len(items):
            split = items["item"].astype(str).str.partition(":")
            seen = pd.DataFrame({"table": split[0].str.lower().to_numpy(), "unit": items["unit"].to_numpy(),
                                 "writes": (split[2] == "w").to_numpy(), "executions": items["executions"].to_numpy(dtype=float)})
            frame = pd.concat([frame, seen[seen["table"] != ""]], ignore_index=True) if len(frame) else seen[seen["table"] != ""]
    if not len(frame):
        return frame
    return frame.groupby(["table", "unit"], as_index=False).agg(writes=("writes", "max"), executions=("executions", "sum"))


def relation_pairs(relations: pd.DataFrame, home: Mapping[str, str]) -> pd.DataFrame:
    """unit_a, unit_b, tables: one per ORM relation (foreign key, many-to-many, one-to-one)
    between two tables whose models two different units define (schema evidence, when no
    traffic says who uses which table)."""
    if not len(relations) or not home:
        return pd.DataFrame(columns=["unit_a", "unit_b", "tables"])
    a = relations["table"].astype(str).str.lower().map(home)
    b = relations["related_table"].astype(str).str.lower().map(home)
    keep = (a.notna() & b.notna()).to_numpy()
    return _pair_frame(a[keep].to_numpy(dtype=object), b[keep].to_numpy(dtype=object), np.ones(int(keep.sum())), "tables")


def table_pairs(users: pd.DataFrame, *, write_factor: float, max_users: int, shared: set[str]) -> pd.DataFrame:
    """unit_a, unit_b, tables: the shared-table strength of each pair (module docstring)."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    for table, group in users.groupby("table"):
        if table in shared or len(group) < 2 or len(group) > max_users:
            continue
        strength = np.where(group["writes"].to_numpy(dtype=bool), write_factor, 1.0) * (1 + np.log10(1 + group["executions"].to_numpy(dtype=float)))
        names = group["unit"].to_numpy(dtype=object)
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                a, b = sorted((names[i], names[j]))
                out[(a, b)] += strength[i] * strength[j] / (len(names) - 1)
    return pd.DataFrame([(a, b, w) for (a, b), w in out.items()], columns=["unit_a", "unit_b", "tables"])


def route_label(route: str) -> str | None:
    """The business use case a route names: its first segment that is not a layer or a version."""
    for part in normalize_route(route).strip("/").split("/"):
        if part.lower() not in ROUTE_NOISE and not part.startswith("{"):
            return part.lower()
    return None


def combine(pairs: Mapping[str, pd.DataFrame], weights: Mapping[str, float]) -> pd.DataFrame:
    """The signals' pair frames as one edge frame with the weighted sum (module docstring)."""
    frames = [f for f in pairs.values() if len(f)]
    if not frames:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=["unit_a", "unit_b"], how="outer")
    for s in SIGNALS:
        out[s] = out[s].fillna(0.0).astype(float) if s in out else 0.0
    out["weight"] = (weights["imports"] * np.log2(1 + out["imports"]) + weights["cochange"] * out["cochange"]
                     + weights["tables"] * out["tables"] + weights["calls_sync"] * np.log2(1 + out["calls_sync"])
                     + weights["calls_async"] * np.log2(1 + out["calls_async"]))
    out = out[out["weight"] > 0]
    # plain Python strings: every metric reads the unit columns again and again
    return out.sort_values(["unit_a", "unit_b"]).reset_index(drop=True)[EDGE_COLUMNS].astype({"unit_a": object, "unit_b": object})


def _namespace_lookup(modules: set[str]) -> Callable[[str], str | None]:
    """A code namespace's unit: the longest module it lies in (``saleor.order.models.Order`` ->
    ``saleor.order.models``), else the namespace itself."""
    def lookup(namespace: str) -> str | None:
        parts = namespace.split(".")
        for end in range(len(parts), 0, -1):
            name = ".".join(parts[:end])
            if name in modules:
                return name
        return namespace
    return lookup


def code_units(mined, *, code_root: str = "", ignore_paths: tuple[str, ...] = ()
               ) -> tuple[pd.DataFrame, dict[str, tuple[str, str | None]], dict[str, str], Callable[[str], str | None]]:
    """The code's units before the spans name theirs: ``(imports, unit_rows, unit_of_path,
    unit_of_namespace)`` — the import rows between units (modules on ``ignore_paths`` left
    out), ``unit -> (kind, path)``, ``path -> unit`` and a code namespace's unit."""
    imports, changes = mined["imports"], mined["file_changes"]
    if ignore_paths and len(imports):
        rx = re.compile("|".join(f"(?:{glob_regex(g).pattern})" for g in ignore_paths))
        paths = pd.unique(pd.concat([imports["importer_path"], imports["imported_path"]]).dropna().astype(str))
        ignored = {p for p in paths if rx.match(code_root + p)}
        if ignored:
            imports = imports[~imports["importer_path"].isin(ignored) & ~imports["imported_path"].isin(ignored)]
    unit_rows: dict[str, tuple[str, str | None]] = {}
    unit_of_path: dict[str, str] = {}
    if len(imports):
        for name, path in [*zip(imports["importer"], imports["importer_path"]), *zip(imports["imported"], imports["imported_path"])]:
            if isinstance(path, str) and name not in unit_rows:
                unit_rows[str(name)] = ("module", code_root + path)
                unit_of_path[code_root + path] = str(name)
    elif len(changes):
        head = mined["head_files"]
        alive = set(head["path"]) if len(head) else set(changes.drop_duplicates("path", keep="last").query("change_type != 'D'")["path"])
        for path in pd.unique(changes["path"].dropna()):
            if path in alive:
                unit_rows[str(path)] = ("file", str(path))
                unit_of_path[str(path)] = str(path)
    lookup = _namespace_lookup({u for u, (kind, _) in unit_rows.items() if kind == "module"})
    return imports, unit_rows, unit_of_path, lookup


def build_unit_graph(mined, settings: Mapping[str, float], *, code_root: str = "",
                     shared_tables: Callable[[list[str]], set[str]] | None = None, ignore_paths: tuple[str, ...] = (),
                     span_context: pd.Series | None = None, traffic: UnitTraffic | None = None) -> UnitGraph:
    """The unit graph of one run's frames (``mined``: :class:`analysis.core.frames.Mined`); see
    the module docstring. ``shared_tables(names)`` says which tables are infrastructure; modules
    on ``ignore_paths`` (the history's: migrations, generated code) are no units. The spans'
    traffic is read from ``traffic`` when given (aggregated in a trace engine), else from the
    spans frame (``span_context`` aligned with it)."""
    imports, unit_rows, unit_of_path, lookup = code_units(mined, code_root=code_root, ignore_paths=ignore_paths)
    changes, spans = mined["file_changes"], mined["spans"]
    traffic = traffic if traffic is not None else traffic_of_spans(spans, span_context, lookup)
    for u in traffic.units:
        unit_rows.setdefault(u, ("namespace", None))
    pairs: dict[str, pd.DataFrame] = {}
    signals: dict[str, int] = {}
    if len(imports) or mined.given("imports") or mined.given("code_imports"):
        pairs["imports"] = import_pairs(imports)
        signals["imports"] = len(pairs["imports"])
    if mined.given("git"):
        pairs["cochange"] = cochange_pairs(mined["commits"], changes, unit_of_path, days=int(settings["coupling_days"]),
                                           max_changeset_size=int(settings["coupling_max_changeset_size"]),
                                           min_shared=int(settings["decomposition_min_shared_commits"]))
        signals["cochange"] = len(pairs["cochange"])
    code_tables = mined["orm_tables"].assign(path=code_root + mined["orm_tables"]["path"].astype(str)) if len(mined["orm_tables"]) else mined["orm_tables"]
    users = table_users(code_tables, unit_of_path, traffic.tables)
    if len(users):
        shared = shared_tables(sorted(set(users["table"]))) if shared_tables else set()
        used = table_pairs(users, write_factor=settings["decomposition_write_factor"],
                           max_users=int(settings["decomposition_max_table_users"]), shared=shared)
        models = users[users["writes"]].sort_values(["table", "executions", "unit"], ascending=[True, False, True]).drop_duplicates("table")
        home = {t: u for t, u in zip(models["table"], models["unit"]) if t not in shared}
        related = relation_pairs(mined["orm_relations"], home)
        pairs["tables"] = pd.concat([used, related], ignore_index=True).groupby(["unit_a", "unit_b"], as_index=False)["tables"].sum() \
            if len(related) else used
        signals["tables"] = len(pairs["tables"])
    if traffic:
        pairs["calls"] = call_pairs(traffic.calls)
        signals["calls"] = len(pairs["calls"])
    weights = {"imports": settings["decomposition_import_weight"], "cochange": settings["decomposition_cochange_weight"],
               "tables": settings["decomposition_table_weight"], "calls_sync": settings["decomposition_sync_call_weight"],
               "calls_async": settings["decomposition_async_call_weight"]}
    edges = combine(pairs, weights)
    units = pd.DataFrame([(u, kind, path) for u, (kind, path) in sorted(unit_rows.items())], columns=["unit", "kind", "path"])
    labels, traces, transactions = _trace_groups(mined, traffic, users, unit_of_path, code_root)
    directed = (imports.groupby(["importer", "imported"]).size().rename("lines").reset_index()
                .rename(columns={"importer": "source", "imported": "target"}) if len(imports)
                else pd.DataFrame(columns=["source", "target", "lines"]))
    return UnitGraph(units=units, edges=edges, labels=labels, transactions=transactions, traces=traces, signals=signals,
                     imports=directed.astype({"source": object, "target": object}), import_weight=float(weights["imports"]),
                     namespaces=traffic.namespaces)


def _sets(keys, values) -> dict:
    """key -> the set of its values (a plain loop: pandas' per-group aggregation is far slower)."""
    out: dict = defaultdict(set)
    for k, v in zip(list(keys), list(values)):
        out[k].add(v)
    return out


def _distinct(groups) -> dict[frozenset, int]:
    out: dict[frozenset, int] = defaultdict(int)
    for g in groups:
        out[frozenset(g)] += 1
    return dict(out)


def _trace_groups(mined, traffic: UnitTraffic, users: pd.DataFrame, unit_of_path: Mapping[str, str],
                  code_root: str) -> tuple[dict[str, set[str]], dict[frozenset, int], dict[frozenset, int]]:
    """Labels per unit (routes and queues that reach it), units per trace, owning units of the
    tables per database transaction (one trace's statements)."""
    labels: dict[str, set[str]] = defaultdict(set)
    entry = mined["entry_points"]
    if len(entry):
        for kind, name, path in zip(entry["kind"], entry["name"], entry["path"]):
            unit = unit_of_path.get(code_root + str(path))
            label = route_label(str(name)) if kind not in ("job", "consumer") else None
            if unit is not None and label:
                labels[unit].add(label)
    traces: dict[frozenset, int] = {}
    transactions: dict[frozenset, int] = {}
    home: dict[str, str] = {}
    if len(users):
        ranked = users.assign(rank=users["writes"].astype(int) * 1e9 + users["executions"]).sort_values(["table", "rank", "unit"], ascending=[True, False, True])
        home = dict(zip(*ranked.drop_duplicates("table")[["table", "unit"]].T.to_numpy()))
    if traffic:
        counted: dict[frozenset, int] = defaultdict(int)
        for units, route, queue, n in traffic.traces[["units", "route", "queue", "traces"]].itertuples(index=False, name=None):
            group = frozenset(str(units).split(JOIN))
            counted[group] += int(n)
            label = route_label(str(route)) if isinstance(route, str) else None
            label = label if label is not None else (str(queue).split(".")[0] if isinstance(queue, str) else None)
            if label is not None:
                for unit in group:
                    labels[unit].add(label)
        traces = dict(counted)
        owned: dict[frozenset, int] = defaultdict(int)
        for listed, n in traffic.transactions[["tables", "traces"]].itertuples(index=False, name=None):
            named = {item.partition(":")[0].lower() for text in str(listed).split(JOIN) for item in text.split(",")}
            group = frozenset(home[t] for t in named if t in home)
            if group:
                owned[group] += int(n)
        transactions = dict(owned)
    statements, access = mined["statements"], mined["table_access"]
    if not traffic and len(statements) and len(access) and statements["trace_id"].notna().any():
        tables = _sets(access["fingerprint"], access["table"])
        traced = statements.dropna(subset=["trace_id"])
        owners: dict = defaultdict(set)
        for trace, fingerprint in zip(traced["trace_id"].tolist(), traced["fingerprint"].tolist()):
            owners[trace] |= {home[str(t).lower()] for t in tables.get(fingerprint, ()) if str(t).lower() in home}
        transactions = _distinct(o for o in owners.values() if o)
    return dict(labels), traces, transactions
