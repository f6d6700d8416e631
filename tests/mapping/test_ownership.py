"""Inferred table ownership: each method, its order of precedence (declared, then the ORM's
defining context, then traffic), and declared ownership winning."""

import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import ContextSpec, SpanRules
from analysis.mapping.contexts import ContextMap
from analysis.mapping.ownership import application_contexts, infer_table_ownership, owners, ownership_evidence

CMAP = ContextMap(
    (
        ContextSpec("orders", paths=("shopfront/orders/**",), tables=("orders_order",)),
        ContextSpec("billing", paths=("shopfront/billing/**",)),
        ContextSpec("catalog", paths=("shopfront/catalog/**",), spans=SpanRules(services=("catalog-worker",))),
    )
)

ACCESS = frames.conform(
    pd.DataFrame(
        [
            ("fp1", "invoice", "write"), ("fp2", "invoice", "write"), ("fp3", "product", "write"),
            ("fp4", "orders_order", "write"), ("fp5", "report_view", "read"), ("fp6", "audit", "write"),
        ],
        columns=["fingerprint", "table", "access"],
    ),
    "table_access",
)


def _spans():
    rows = []
    # three billing requests and one orders request, each with one db span running fp1
    for n, ns in enumerate(["shopfront.billing.views", "shopfront.billing.views", "shopfront.billing.views", "shopfront.orders.views"]):
        trace = f"{n + 1:032x}"
        rows.append(dict(trace_id=trace, span_id=f"{1:016x}", parent_span_id=None, name="GET", kind="SERVER", code_namespace=ns))
        rows.append(dict(trace_id=trace, span_id=f"{2:016x}", parent_span_id=f"{1:016x}", name="SELECT", kind="CLIENT",
                         db_system="postgresql", db_fingerprint="fp1"))
    frame = pd.DataFrame(rows).assign(service="shop", start=pd.Timestamp("2024-03-01", tz="UTC"),
                                      end=pd.Timestamp("2024-03-01", tz="UTC"), duration_ms=1.0, is_error=False, link_count=0,
                                      sampling_ratio=float("nan"))
    return frames.conform(frame, "spans")


def _statements(fingerprints):
    return frames.conform(
        pd.DataFrame({"source": "pg.log", "line": range(1, len(fingerprints) + 1), "ts": pd.Timestamp("2024-03-01", tz="UTC"),
                      "user": "u", "database": "d", "duration_ms": 1.0, "fingerprint": fingerprints}),
        "statements",
    )


# fp2 x2 by orders (route), fp2 x5 by billing (fingerprint rule: not evidence), fp3 x4 by catalog
# (controller), fp4 by billing (route), fp6 by nobody (its application name says catalog)
STATEMENTS = _statements(["fp2"] * 2 + ["fp2"] * 5 + ["fp3"] * 4 + ["fp4", "fp6"])
ATTRIBUTION = pd.DataFrame({
    "context": pd.Series(["orders"] * 2 + ["billing"] * 5 + ["catalog"] * 4 + ["billing", None], dtype="string"),
    "method": pd.Series(["route"] * 2 + ["fingerprint"] * 5 + ["controller"] * 4 + ["route", "unattributed"], dtype="string"),
})
APPLICATIONS = pd.Series([None] * 12 + ["catalog-worker"], dtype="string")
ORM = frames.conform(
    pd.DataFrame(
        [
            ("shelf", "Shelf", "django", "model", "shopfront/catalog/models.py", 3, False),
            ("shelf", "Shelf", "django", "migration", "shopfront/catalog/migrations/0001_initial.py", 10, False),
            ("public.report_view", "ReportView", "sqlalchemy", "model", "shopfront/orders/models.py", 7, True),
            ("vendored", "Vendored", "django", "model", "third_party/models.py", 1, False),  # no context
        ],
        columns=["table", "model", "framework", "kind", "path", "line", "explicit"],
    ),
    "orm_tables",
)


@pytest.fixture(scope="module")
def evidence():
    spans = _spans()
    return ownership_evidence(
        ACCESS, CMAP, statements=STATEMENTS, statement_attribution=ATTRIBUTION, spans=spans,
        span_context=CMAP.assign_spans(spans), application_context=application_contexts(APPLICATIONS, CMAP), orm_tables=ORM,
    )


def test_application_names_map_to_context_names_and_service_rules():
    names = pd.Series(["Billing", "catalog-worker", "psql", None], dtype="string")
    assert application_contexts(names, CMAP).tolist() == ["billing", "catalog", pd.NA, pd.NA]


def test_evidence_lists_each_method_and_writer(evidence):
    got = [tuple(r) for r in evidence[["table", "method", "context", "volume"]].itertuples(index=False)]
    assert got == [
        ("audit", "application_name", "catalog", 1),
        ("invoice", "trace", "billing", 3),
        ("invoice", "trace", "orders", 1),
        ("invoice", "sqlcommenter", "orders", 2),
        ("orders_order", "sqlcommenter", "billing", 1),
        ("product", "sqlcommenter", "catalog", 4),
        ("report_view", "orm", "orders", 1),
        ("shelf", "orm", "catalog", 2),
    ]
    assert evidence.loc[evidence["table"] == "shelf", "evidence"].iloc[0] == (
        "ORM declarations in catalog's code: shopfront/catalog/migrations/0001_initial.py:10, shopfront/catalog/models.py:3")


def test_ownership_takes_declared_then_the_first_method_with_evidence(evidence):
    own = infer_table_ownership(evidence, CMAP, tables=["lonely", "invoice"])
    assert list(own.columns) == ["table", "owner", "method", "confidence", "dominance", "volume", "evidence", "other_contexts", "conflicts"]
    rows = {r.table: r for r in own.itertuples(index=False)}
    assert list(rows) == ["audit", "invoice", "lonely", "orders_order", "product", "report_view", "shelf"]
    inv = rows["invoice"]
    assert (inv.owner, inv.method, inv.dominance, inv.volume, inv.other_contexts, inv.conflicts) == (
        "billing", "trace", 0.75, 3, ["orders"], ["sqlcommenter:orders"])
    assert inv.confidence == pytest.approx(0.9 * 0.75)
    assert inv.evidence == "3 db spans under billing spans write it (3 of 4)"
    decl = rows["orders_order"]
    assert (decl.owner, decl.method, decl.confidence, decl.conflicts) == ("orders", "declared", 1.0, ["sqlcommenter:billing"])
    assert (rows["product"].owner, rows["product"].method, rows["product"].confidence) == ("catalog", "sqlcommenter", 0.8)
    assert (rows["audit"].owner, rows["audit"].method, rows["audit"].confidence) == ("catalog", "application_name", 0.6)
    assert (rows["shelf"].owner, rows["shelf"].method, rows["shelf"].confidence, rows["shelf"].volume) == ("catalog", "orm", 0.95, 2)
    assert rows["report_view"].owner == "orders"  # public.report_view in the ORM is report_view in the log
    lonely = rows["lonely"]
    assert pd.isna(lonely.owner) and lonely.method == "none" and lonely.confidence == 0.0
    assert owners(own, min_confidence=0.65) == {"invoice": "billing", "orders_order": "orders", "product": "catalog",
                                                "report_view": "orders", "shelf": "catalog"}


def test_a_qualified_and_a_plain_name_are_one_table_only_under_the_search_path():
    ev = pd.DataFrame({"table": ["sales.invoice", "invoice"], "method": ["trace", "orm"], "context": ["billing", "orders"],
                       "volume": [2, 1], "evidence": ["a", "b"]})
    own = infer_table_ownership(ev, ContextMap(()))
    assert own[["table", "owner", "method", "conflicts"]].values.tolist() == [
        ["invoice", "orders", "orm", []], ["sales.invoice", "billing", "trace", []]]
    own = infer_table_ownership(ev, ContextMap((), search_path=("public", "sales")))
    assert own[["table", "owner", "method", "conflicts"]].values.tolist() == [["invoice", "orders", "orm", ["trace:billing"]]]


def test_the_context_whose_models_define_a_table_owns_it_whoever_writes_it_most():
    # NetBox: the change log is defined in core and the tags in extras, but every dcim request writes them
    cmap = ContextMap((ContextSpec("core", paths=("netbox/core/**",)), ContextSpec("extras", paths=("netbox/extras/**",)),
                       ContextSpec("dcim", paths=("netbox/dcim/**",))))
    ev = pd.DataFrame({
        "table": ["core_objectchange", "core_objectchange", "core_objectchange", "extras_taggeditem", "extras_taggeditem", "raw_log"],
        "method": ["trace", "trace", "orm", "sqlcommenter", "orm", "trace"],
        "context": ["dcim", "core", "core", "dcim", "extras", "dcim"],
        "volume": [900, 12, 2, 400, 1, 5], "evidence": ["a", "b", "c", "d", "e", "f"]})
    own = infer_table_ownership(ev, cmap).set_index("table")
    assert own.loc["core_objectchange", ["owner", "method", "confidence"]].tolist() == ["core", "orm", 0.95]
    assert own.loc["core_objectchange", "conflicts"] == ["trace:dcim"]  # the busiest writer stays visible
    assert own.loc["extras_taggeditem", ["owner", "method"]].tolist() == ["extras", "orm"]
    assert own.loc["raw_log", ["owner", "method"]].tolist() == ["dcim", "trace"]  # no model defines it: its writer


def test_declared_names_are_matched_under_the_search_path():
    cmap = ContextMap((ContextSpec("audit", tables=("public.audit_log",)), ContextSpec("orders", tables=("orders",))))
    ev = pd.DataFrame({"table": ["audit_log", "billing.orders"], "method": ["trace", "trace"], "context": ["orders", "billing"],
                       "volume": [3, 2], "evidence": ["a", "b"]})
    own = infer_table_ownership(ev, cmap)
    assert own[["table", "owner", "method"]].values.tolist() == [
        ["audit_log", "audit", "declared"], ["billing.orders", "billing", "trace"], ["orders", "orders", "declared"]]


def test_orm_names_are_matched_under_the_search_path():
    cmap = ContextMap((ContextSpec("orders", paths=("shop/orders/**",)),), search_path=("public", "sales"))
    orm = frames.conform(pd.DataFrame([("sales.orders", "Order", "sqlalchemy", "model", "shop/orders/models.py", 3, True),
                                       ("archive.orders", "Old", "sqlalchemy", "model", "shop/orders/models.py", 9, True)],
                                      columns=["table", "model", "framework", "kind", "path", "line", "explicit"]), "orm_tables")
    ev = ownership_evidence(frames.empty("table_access"), cmap, orm_tables=orm)
    assert sorted(ev["table"]) == ["archive.orders", "orders"]


def test_ties_go_to_the_first_name_and_show_in_dominance():
    ev = pd.DataFrame({"table": ["t", "t"], "method": ["trace", "trace"], "context": ["orders", "billing"], "volume": [2, 2], "evidence": ["o", "b"]})
    own = infer_table_ownership(ev, ContextMap(()))
    assert own[["owner", "dominance", "other_contexts"]].values.tolist() == [["billing", 0.5, ["orders"]]]


def test_no_evidence_and_no_declarations_give_an_empty_frame():
    empty = ownership_evidence(frames.empty("table_access"), CMAP)
    assert empty.empty and list(empty.columns) == ["table", "method", "context", "volume", "evidence"]
    own = infer_table_ownership(empty, ContextMap(()))
    assert own.empty and "confidence" in own.columns


def test_evidence_alone_when_declarations_are_ignored(evidence):
    own = infer_table_ownership(evidence, CMAP, use_declared=False)
    row = own[own["table"] == "orders_order"].iloc[0]
    assert (row["owner"], row["method"], row["confidence"]) == ("billing", "sqlcommenter", 0.8)


def test_evidence_volumes_are_executions_when_rows_stand_for_several():
    # orders' two fp2 route rows folded into one row of 2 executions, catalog's four into one of 4
    keep = [0] + list(range(2, 8)) + [11, 12]
    folded = STATEMENTS.iloc[keep].reset_index(drop=True).assign(executions=[2, 1, 1, 1, 1, 1, 4, 1, 1])
    attribution = ATTRIBUTION.iloc[keep].reset_index(drop=True)
    spans = _spans()
    got = ownership_evidence(ACCESS, CMAP, statements=folded, statement_attribution=attribution, spans=spans,
                             span_context=CMAP.assign_spans(spans))
    sqlcommenter = got[got["method"] == "sqlcommenter"]
    assert [tuple(r) for r in sqlcommenter[["table", "context", "volume"]].itertuples(index=False)] == [
        ("invoice", "orders", 2), ("orders_order", "billing", 1), ("product", "catalog", 4)]


def test_shared_tables_by_role_by_glob_and_by_default():
    from analysis.mapping.ownership import shared_table_reasons

    contexts = (ContextSpec("accounts", tables=("auth_user",)), ContextSpec("kernel", paths=("k/**",), role="shared"),
                ContextSpec("shop", paths=("s/**",)))
    by_default = ContextMap(contexts, shared_tables=("django_*", "auth_*"), shared_tables_by_default=True)
    tables = ["auth_user", "auth_group", "django_session", "kernel_flag", "shop_order", "pg_catalog.pg_class", "public.django_site"]
    owned = {"kernel_flag": "kernel", "shop_order": "shop", "auth_user": "accounts"}
    reasons = shared_table_reasons(tables, by_default, owned)
    assert sorted(reasons) == ["auth_group", "django_session", "kernel_flag", "pg_catalog.pg_class", "public.django_site"]
    assert "auth_user" not in reasons  # a context declares it: the config says something about it
    assert reasons["kernel_flag"] == "owned by kernel, a shared context"
    assert reasons["django_session"].startswith("Django's own table (shared by default: django_*")
    configured = ContextMap(contexts, shared_tables=("shop_*",))
    assert shared_table_reasons(tables, configured, owned) == {
        "kernel_flag": "owned by kernel, a shared context", "shop_order": "listed in shared_tables (shop_*)",
        "pg_catalog.pg_class": "a system catalog of the database (pg_catalog.*)"}
