"""Data evidence through map -> measure on a small literal monolith: one ownership for the
tables, the joins and the pairs; shared infrastructure tables listed apart."""

import pandas as pd

from analysis.core import frames
from analysis.core.config import parse_config
from analysis.core.frames import Mined, SourceFrames
from analysis.mapping.units import map_units
from analysis.measures.data import measure_data

CONTEXTS = {
    "orders": {"paths": ["shop/orders/**"], "spans": {"routes": ["/orders*"]}},
    "billing": {"paths": ["shop/billing/**"], "spans": {"routes": ["/billing*"]}},
    "kernel": {"paths": ["shop/kernel/**"], "role": "shared"},
}
ORM = [("orders_order", "shop/orders/models.py"), ("billing_invoice", "shop/billing/models.py"),
       ("kernel_setting", "shop/kernel/models.py")]
# fingerprint, table, access, issuing route
ACCESS = [
    ("fp1", "django_session", "read", "/orders/"), ("fp2", "django_session", "read", "/billing/"),
    ("fp3", "orders_order", "write", "/orders/"), ("fp4", "orders_order", "read", "/billing/"),
    ("fp5", "kernel_setting", "read", "/orders/"), ("fp6", "kernel_setting", "read", "/billing/"),
    ("fp7", "billing_invoice", "read", "/billing/"), ("fp8", "django_content_type", "read", "/billing/"),
    ("fp9", "pg_catalog.pg_class", "read", "/orders/"), ("fp10", "pg_catalog.pg_class", "read", "/billing/"),
]
JOINS = [("fp7", "billing_invoice", "orders_order"), ("fp8", "django_content_type", "orders_order"),
         ("fp5", "kernel_setting", "orders_order")]


def mined():
    statements = frames.conform(pd.DataFrame({
        "source": "pg.log", "line": range(1, len(ACCESS) + 1), "ts": pd.Timestamp("2024-03-01", tz="UTC"), "user": "u",
        "database": "d", "duration_ms": 1.0, "fingerprint": [a[0] for a in ACCESS], "route": [a[3] for a in ACCESS]}),
        "statements")
    queries = frames.conform(pd.DataFrame({"fingerprint": [a[0] for a in ACCESS], "normalized": "select", "operation": "SELECT",
                                           "approximate": False, "executions": 1, "total_duration_ms": 1.0}), "queries")
    access = frames.conform(pd.DataFrame([a[:3] for a in ACCESS], columns=["fingerprint", "table", "access"]), "table_access")
    joins = frames.conform(pd.DataFrame(JOINS, columns=["fingerprint", "table_a", "table_b"]), "joins")
    orm = frames.conform(pd.DataFrame([(t, t, "django", "model", p, 1, False) for t, p in ORM],
                                      columns=["table", "model", "framework", "kind", "path", "line", "explicit"]), "orm_tables")
    return Mined.of({
        "sql": SourceFrames({"statements": statements, "queries": queries, "table_access": access, "joins": joins}, 1, 0, []),
        "orm": SourceFrames({"orm_tables": orm, "orm_relations": frames.empty("orm_relations")}, 1, 0, []),
    })


def measured(**config):
    cfg = parse_config({"contexts": CONTEXTS, **config}, "seams.yml")
    frames_ = mined()
    return measure_data(cfg, frames_, map_units(cfg, frames_))


def test_joins_and_pairs_use_the_owners_seams_reports_and_leave_infrastructure_out():
    data = measured()
    # no table declared: the ORM's owners decide joins and pairs alike
    assert data.cross_context_joins[["table_a", "context_a", "table_b", "context_b"]].values.tolist() == [
        ["billing_invoice", "billing", "orders_order", "orders"]]
    assert data.pairs[["context_a", "context_b", "tables"]].values.tolist() == [["billing", "orders", ["orders_order"]]]
    assert data.shared_tables["table"].tolist() == ["orders_order"] and data.write_shared_tables.empty
    infra = data.infrastructure_tables.set_index("table")
    assert sorted(infra.index) == ["django_content_type", "django_session", "kernel_setting", "pg_catalog.pg_class"]
    assert infra.loc["pg_catalog.pg_class", "reason"] == "a system catalog of the database (pg_catalog.*)"
    assert infra.loc["kernel_setting", "reason"] == "owned by kernel, a shared context"
    assert infra.loc["django_session", "contexts"] == ["billing", "orders"]
    assert "shared by default" in infra.loc["django_session", "reason"]
    assert len(data.notes) == 1 and "2 of Django's own tables" in data.notes[0]
    assert "django_content_type, django_session" in data.notes[0]


def test_the_config_says_which_tables_are_shared():
    data = measured(shared_tables=[])  # no default: Django's tables couple contexts again
    assert sorted(data.infrastructure_tables["table"]) == ["kernel_setting", "pg_catalog.pg_class"] and data.notes == []
    assert "django_session" in data.pairs.iloc[0]["tables"]
    data = measured(shared_tables=["orders_*"])
    assert sorted(data.infrastructure_tables["table"]) == ["kernel_setting", "orders_order", "pg_catalog.pg_class"]
    assert data.cross_context_joins.empty and data.pairs["context_a"].tolist() == ["billing"]
