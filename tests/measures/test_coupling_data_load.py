"""Hot tables over time and candidate domain events, from literal statements."""

import math

import pandas as pd

from analysis.core import frames
from analysis.measures.coupling.data import domain_events, hot_tables, table_load


def statements(rows):
    """rows: (fingerprint, ts or None, duration_ms)."""
    return frames.conform(
        pd.DataFrame(
            {
                "source": "pg.log", "line": range(1, len(rows) + 1),
                "ts": [pd.Timestamp(t, tz="UTC") if t else pd.NaT for _, t, _ in rows],
                "user": "u", "database": "d", "duration_ms": [d for _, _, d in rows],
                "fingerprint": [f for f, _, _ in rows],
            }
        ),
        "statements",
    )


def access(rows):
    return frames.conform(pd.DataFrame(rows, columns=["fingerprint", "table", "access"]), "table_access")


LOAD_STATEMENTS = statements([
    ("fpA", "2024-03-01 10:05", 1.0),
    ("fpA", "2024-03-01 10:50", 3.0),
    ("fpB", "2024-03-01 11:10", 2.0),
    ("fpB", None, 5.0),
    ("fpC", "2024-03-01 11:20", math.nan),
])
LOAD_ACCESS = access([
    ("fpA", "t1", "read"), ("fpA", "t2", "read"),  # a join
    ("fpB", "t2", "read"), ("fpB", "t2", "write"),  # UPDATE t2 ... reading t2
    ("fpC", "t3", "read"),
    ("fpZ", "t9", "read"),  # never executed
])


def test_table_load_buckets_executions_and_time_per_table():
    load = table_load(LOAD_STATEMENTS, LOAD_ACCESS, bucket="1h")
    assert list(load.columns) == ["bucket", "table", "executions", "total_duration_ms"]
    ten, eleven = pd.Timestamp("2024-03-01 10:00", tz="UTC"), pd.Timestamp("2024-03-01 11:00", tz="UTC")
    assert list(load.itertuples(index=False, name=None)) == [
        (ten, "t1", 2, 4.0), (ten, "t2", 2, 4.0), (eleven, "t2", 1, 2.0), (eleven, "t3", 1, 0.0),
    ]
    assert str(load["bucket"].dtype) == "datetime64[ns, UTC]"


def test_hot_tables_rank_by_time_with_their_peak_bucket():
    hot = hot_tables(LOAD_STATEMENTS, LOAD_ACCESS, bucket="1h")
    ten, eleven = pd.Timestamp("2024-03-01 10:00", tz="UTC"), pd.Timestamp("2024-03-01 11:00", tz="UTC")
    assert list(hot.itertuples(index=False, name=None)) == [
        ("t2", 4, 11.0, 4, 2, ten, 2),  # fpB read+write counts once per statement, but both flags
        ("t1", 2, 4.0, 2, 0, ten, 2),
        ("t3", 1, 0.0, 1, 0, eleven, 1),
    ]
    assert list(hot_tables(LOAD_STATEMENTS, LOAD_ACCESS, top=1)["table"]) == ["t2"]


def test_load_of_nothing_is_empty_with_columns():
    none = statements([])
    assert table_load(none, LOAD_ACCESS).empty
    assert list(hot_tables(none, LOAD_ACCESS).columns) == [
        "table", "executions", "total_duration_ms", "reads", "writes", "peak_bucket", "peak_executions"]
    only_untimed = statements([("fpC", None, 1.0)])
    hot = hot_tables(only_untimed, LOAD_ACCESS)
    assert list(hot["table"]) == ["t3"] and pd.isna(hot["peak_bucket"].iloc[0]) and hot["peak_executions"].iloc[0] == 0


QUERIES = frames.conform(
    pd.DataFrame(
        [
            ("w1", "insert into orders_order ...", "INSERT"),
            ("w2", "update orders_order ... from billing_invoice", "UPDATE"),
            ("w3", "select ... from orders_order for update", "SELECT"),
            ("w4", "delete from billing_invoice", "DELETE"),
            ("w5", "insert into legacy", "INSERT"),
            ("w6", "copy shop.orders_item from stdin", "COPY"),
        ],
        columns=["fingerprint", "normalized", "operation"],
    ).assign(approximate=False, executions=1, total_duration_ms=0.0),
    "queries",
)
EVENT_ACCESS = access([
    ("w1", "orders_order", "write"),
    ("w2", "orders_order", "write"), ("w2", "billing_invoice", "read"),
    ("w3", "orders_order", "write"), ("w3", "orders_order", "read"),
    ("w4", "billing_invoice", "write"),
    ("w5", "legacy", "write"),
    ("w6", "shop.orders_item", "write"),
])
EVENT_STATEMENTS = statements([
    ("w1", "2024-03-01 10:00", 1.0), ("w1", "2024-03-01 10:00", 1.0),
    ("w2", "2024-03-01 10:00", 1.0), ("w2", "2024-03-01 10:00", 1.0),
    ("w3", "2024-03-01 10:00", 1.0),
    ("w4", "2024-03-01 10:00", 1.0),
    ("w5", "2024-03-01 10:00", 1.0),
])
EVENT_CONTEXT = pd.Series(["orders", "orders", "orders", "billing", "orders", None, "orders"], dtype="string")


def test_domain_events_name_each_owned_write_fingerprint():
    owners = {"orders_order": "orders", "billing_invoice": "billing", "orders_item": "orders"}
    events = domain_events(EVENT_STATEMENTS, EVENT_CONTEXT, QUERIES, EVENT_ACCESS, owners)
    assert list(events.columns) == ["event", "context", "table", "verb", "fingerprint", "operation", "executions", "issued_by", "foreign"]
    assert [tuple(r) for r in events[["event", "fingerprint", "executions", "issued_by", "foreign"]].itertuples(index=False)] == [
        ("billing.invoice.deleted", "w4", 1, [], False),
        ("orders.order.inserted", "w1", 2, ["orders"], False),
        ("orders.order.updated", "w2", 2, ["billing", "orders"], True),
    ]  # shop.orders_item is not the orders_item of the search path that orders owns


def test_domain_events_match_owned_tables_exactly():
    owners = {"shop.orders_item": "orders", "orders_order": "orders"}
    events = domain_events(EVENT_STATEMENTS, EVENT_CONTEXT, QUERIES, EVENT_ACCESS, owners)
    assert list(zip(events["table"], events["operation"])) == [
        ("orders_order", "INSERT"), ("orders_order", "UPDATE"), ("shop.orders_item", "COPY")]


def test_domain_events_take_an_ownership_frame_and_skip_unowned_tables():
    ownership = pd.DataFrame({"table": ["orders_order", "legacy"], "owner": pd.Series(["orders", None], dtype="string")})
    events = domain_events(EVENT_STATEMENTS, EVENT_CONTEXT, QUERIES, EVENT_ACCESS, ownership)
    assert list(events["event"]) == ["orders.order.inserted", "orders.order.updated"]
    assert domain_events(EVENT_STATEMENTS, EVENT_CONTEXT, QUERIES, EVENT_ACCESS, {}).empty


def test_domain_event_names_drop_the_owner_prefix_of_the_table():
    queries = frames.conform(pd.DataFrame(
        [("i1", "insert into billing_invoices ...", "INSERT"), ("i2", "insert into payments ...", "INSERT"),
         ("i3", "update billing.ledger ...", "UPDATE"), ("i4", "delete from billing ...", "DELETE"),
         ("i5", "insert into order_management_notes ...", "INSERT")],
        columns=["fingerprint", "normalized", "operation"]).assign(approximate=False, executions=1, total_duration_ms=0.0), "queries")
    written = access([("i1", "billing_invoices", "write"), ("i2", "payments", "write"), ("i3", "billing.ledger", "write"),
                      ("i4", "billing", "write"), ("i5", "order_management_notes", "write")])
    owners = {"billing_invoices": "billing", "payments": "billing", "billing.ledger": "billing", "billing": "billing",
              "order_management_notes": "Order-Management"}
    ran = statements([(f, "2024-03-01 10:00", 1.0) for f in ("i1", "i2", "i3", "i4", "i5")])
    events = domain_events(ran, pd.Series(["billing"] * 4 + ["Order-Management"], dtype="string"), queries, written, owners)
    assert dict(zip(events["table"], events["event"])) == {
        "billing_invoices": "billing.invoices.inserted",  # the context's own prefix dropped
        "payments": "billing.payments.inserted",  # no prefix: the table's name
        "billing.ledger": "billing.ledger.updated",  # a schema named after the context is its prefix too
        "billing": "billing.billing.deleted",  # nothing left after the prefix: the name stays
        "order_management_notes": "Order-Management.notes.inserted",
    }


def test_rows_standing_for_several_executions_weigh_that_much():
    # fpA's two executions in the same hour as one row of 2 (as the SQL reader groups a minute)
    folded = statements([("fpA", "2024-03-01 10:05", 4.0), ("fpB", "2024-03-01 11:10", 2.0), ("fpB", None, 5.0),
                         ("fpC", "2024-03-01 11:20", math.nan)])
    folded["executions"] = [2, 1, 1, 1]
    pd.testing.assert_frame_equal(table_load(folded, LOAD_ACCESS), table_load(LOAD_STATEMENTS, LOAD_ACCESS))
    pd.testing.assert_frame_equal(hot_tables(folded, LOAD_ACCESS), hot_tables(LOAD_STATEMENTS, LOAD_ACCESS))
    events = statements([("w1", "2024-03-01 10:00", 2.0), ("w2", "2024-03-01 10:00", 1.0), ("w2", "2024-03-01 10:00", 1.0),
                         ("w3", "2024-03-01 10:00", 1.0), ("w4", "2024-03-01 10:00", 1.0), ("w5", "2024-03-01 10:00", 1.0)])
    events["executions"] = [2, 1, 1, 1, 1, 1]
    context = pd.Series(["orders", "orders", "billing", "orders", None, "orders"], dtype="string")
    owners = {"orders_order": "orders", "billing_invoice": "billing", "orders_item": "orders"}
    pd.testing.assert_frame_equal(domain_events(events, context, QUERIES, EVENT_ACCESS, owners),
                                  domain_events(EVENT_STATEMENTS, EVENT_CONTEXT, QUERIES, EVENT_ACCESS, owners))
