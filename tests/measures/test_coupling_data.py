"""Data coupling from a handful of literal statements, tables and joins, under one ownership."""

import pandas as pd

from analysis.core import frames
from analysis.measures.coupling.data import (
    cross_context_joins,
    data_pairs,
    db_time_by_context,
    infrastructure_tables,
    shared_tables,
    table_contexts,
    write_shared_tables,
)

#: the owners Seams reports (declared, ORM, traffic: Units.owners_of)
OWNERS = {"orders_order": "orders", "orders_item": "orders", "billing_invoice": "billing",
          "notifications_message": "notifications"}


def make_statements(rows):
    """rows: (fingerprint, duration_ms)."""
    return frames.conform(
        pd.DataFrame(
            {
                "source": "postgresql.log", "line": range(1, len(rows) + 1), "ts": pd.Timestamp("2024-03-01T12:00:00Z"),
                "user": "shop", "database": "shop", "duration_ms": [d for _, d in rows],
                "fingerprint": [f for f, _ in rows],
            }
        ),
        "statements",
    )


def S(values):
    return pd.Series(values, dtype="string")


# fp1: SELECT orders_order                     fp2: INSERT billing_invoice ... SELECT orders_order
# fp3: UPDATE orders_order                     fp4: SELECT legacy_table (undeclared)
# fp5: SELECT billing_invoice                  fp6: SELECT catalog_product (undeclared)
TABLE_ACCESS = frames.conform(
    pd.DataFrame(
        [
            ("fp1", "orders_order", "read"),
            ("fp2", "billing_invoice", "write"),
            ("fp2", "orders_order", "read"),
            ("fp3", "orders_order", "write"),
            ("fp4", "legacy_table", "read"),
            ("fp5", "billing_invoice", "read"),
            ("fp6", "catalog_product", "read"),
        ],
        columns=["fingerprint", "table", "access"],
    ),
    "table_access",
)
STATEMENTS = make_statements(
    [
        ("fp1", 1.0), ("fp1", 1.0),  # orders
        ("fp2", 4.0),  # billing
        ("fp3", 2.0),  # billing
        ("fp3", 2.0),  # orders
        ("fp1", 1.0),  # unattributed
        ("fp4", 3.0),  # notifications
        ("fp5", 1.0),  # notifications
        ("fp6", 1.0),  # orders
        ("fp6", 1.0),  # billing
    ]
)
CONTEXT = S(["orders", "orders", "billing", "billing", "orders", None, "notifications", "notifications", "orders", "billing"])


def test_table_contexts_counts_executions_per_access():
    tc = table_contexts(STATEMENTS, CONTEXT, TABLE_ACCESS, OWNERS)
    assert list(tc.columns) == ["table", "owner", "context", "reads", "writes", "infrastructure"]
    rows = [tuple(None if pd.isna(v) else v for v in r)[:5] for r in tc.itertuples(index=False)]
    assert rows == [
        ("billing_invoice", "billing", "billing", 0, 1),
        ("billing_invoice", "billing", "notifications", 1, 0),
        ("catalog_product", None, "billing", 1, 0),
        ("catalog_product", None, "orders", 1, 0),
        ("legacy_table", None, "notifications", 1, 0),
        ("orders_order", "orders", "billing", 1, 1),
        ("orders_order", "orders", "orders", 2, 1),
        ("orders_order", "orders", None, 1, 0),
    ]


def test_table_contexts_accepts_the_attribution_frame():
    attribution = pd.DataFrame({"context": CONTEXT, "method": S(["route"] * len(CONTEXT))})
    a = table_contexts(STATEMENTS, attribution, TABLE_ACCESS, OWNERS)
    b = table_contexts(STATEMENTS, CONTEXT, TABLE_ACCESS, OWNERS)
    pd.testing.assert_frame_equal(a, b)


def test_shared_tables_kinds():
    shared = shared_tables(table_contexts(STATEMENTS, CONTEXT, TABLE_ACCESS, OWNERS))
    got = {r.table: (r.contexts, r.readers, r.writers, r.kind, r.executions) for r in shared.itertuples()}
    assert got == {
        "orders_order": (["billing", "orders"], ["billing", "orders"], ["billing", "orders"], "write/write", 5),
        "billing_invoice": (["billing", "notifications"], ["notifications"], ["billing"], "read/write", 2),
        "catalog_product": (["billing", "orders"], ["billing", "orders"], [], "read/read", 2),
    }
    assert shared["table"].tolist() == ["orders_order", "billing_invoice", "catalog_product"]


def test_write_shared_tables_are_the_extraction_blockers():
    ws = write_shared_tables(table_contexts(STATEMENTS, CONTEXT, TABLE_ACCESS, OWNERS))
    assert ws.values.tolist() == [["orders_order", "orders", ["billing", "orders"], 2]]


def test_a_table_written_by_one_context_and_an_unattributed_statement_is_not_write_shared():
    statements = make_statements([("fp3", 1.0), ("fp3", 1.0)])
    tc = table_contexts(statements, S(["orders", None]), TABLE_ACCESS, OWNERS)
    assert write_shared_tables(tc).empty and shared_tables(tc).empty


def test_cross_context_joins_need_two_different_owners():
    joins = frames.conform(
        pd.DataFrame(
            [
                ("fp2", "billing_invoice", "orders_order"),  # billing x orders: crosses
                ("fp1", "legacy_table", "orders_order"),  # a table nobody owns: unknown boundary
                ("fp3", "orders_item", "orders_order"),  # same owner
                ("fpX", "billing_invoice", "orders_item"),  # crosses, never executed
            ],
            columns=["fingerprint", "table_a", "table_b"],
        ),
        "joins",
    )
    out = cross_context_joins(STATEMENTS, CONTEXT, joins, OWNERS)
    assert list(out.columns) == ["fingerprint", "table_a", "context_a", "table_b", "context_b", "executions", "issued_by"]
    assert out.values.tolist() == [
        ["fp2", "billing_invoice", "billing", "orders_order", "orders", 1, ["billing"]],
        ["fpX", "billing_invoice", "billing", "orders_item", "orders", 0, []],
    ]


def test_data_pairs_through_ownership_and_shared_access():
    pairs = data_pairs(table_contexts(STATEMENTS, CONTEXT, TABLE_ACCESS, OWNERS))
    got = {(r.context_a, r.context_b): (r.shared_tables, r.tables, r.executions) for r in pairs.itertuples()}
    assert got == {
        # orders_order (owned by orders, written by billing) and catalog_product (both read it)
        ("billing", "orders"): (2, ["catalog_product", "orders_order"], 7),
        # notifications reads billing_invoice, owned by billing
        ("billing", "notifications"): (1, ["billing_invoice"], 2),
    }


def test_data_pairs_reading_a_table_of_an_owner_that_never_touches_it():
    statements = make_statements([("fp5", 1.0)])
    pairs = data_pairs(table_contexts(statements, S(["orders"]), TABLE_ACCESS, OWNERS))
    assert pairs.values.tolist() == [["billing", "orders", 1, ["billing_invoice"], 1]]


def test_db_time_by_context_keeps_unattributed():
    out = db_time_by_context(STATEMENTS, CONTEXT)
    rows = [tuple(None if pd.isna(v) else v for v in r) for r in out.itertuples(index=False)]
    assert rows == [("billing", 3, 7.0), ("orders", 4, 5.0), ("notifications", 2, 4.0), (None, 1, 1.0)]


def test_empty_inputs():
    statements = frames.empty("statements")
    tc = table_contexts(statements, S([]), frames.empty("table_access"), OWNERS)
    assert tc.empty and list(tc.columns) == ["table", "owner", "context", "reads", "writes", "infrastructure"]
    assert shared_tables(tc).empty and write_shared_tables(tc).empty and data_pairs(tc).empty
    assert cross_context_joins(statements, S([]), frames.empty("joins"), OWNERS).empty
    assert db_time_by_context(statements, S([])).empty


def test_two_non_owners_of_an_owned_table_are_coupled_to_the_owner_only():
    # orders and notifications both read billing_invoice (fp5); billing owns it and never touches it
    statements = make_statements([("fp5", 1.0), ("fp5", 1.0)])
    pairs = data_pairs(table_contexts(statements, S(["orders", "notifications"]), TABLE_ACCESS, OWNERS))
    got = {(r.context_a, r.context_b): r.tables for r in pairs.itertuples()}
    assert got == {("billing", "notifications"): ["billing_invoice"], ("billing", "orders"): ["billing_invoice"]}


def test_a_table_nobody_owns_couples_every_pair_that_touches_it():
    statements = make_statements([("fp4", 1.0), ("fp4", 1.0), ("fp4", 1.0)])
    pairs = data_pairs(table_contexts(statements, S(["orders", "notifications", "billing"]), TABLE_ACCESS, OWNERS))
    assert sorted((r.context_a, r.context_b) for r in pairs.itertuples()) == [
        ("billing", "notifications"), ("billing", "orders"), ("notifications", "orders")]


def grouped(statements, context, groups):
    """``statements`` with the rows of each group (lists of positions) folded into one row,
    as the SQL log reader folds executions: executions and durations summed."""
    rows, contexts = [], []
    for positions in groups:
        first = statements.iloc[positions[0]].to_dict()
        first["executions"] = int(statements["executions"].iloc[positions].sum())
        first["duration_ms"] = float(statements["duration_ms"].iloc[positions].sum())
        rows.append(first)
        contexts.append(context.iloc[positions[0]])
    return frames.conform(pd.DataFrame(rows), "statements"), S(contexts)


def test_a_row_of_several_executions_counts_as_that_many():
    folded, context = grouped(STATEMENTS, CONTEXT, [[0, 1], [2], [3], [4], [5], [6], [7], [8], [9]])
    assert len(folded) == 9 and folded["executions"].tolist()[0] == 2
    joins = frames.conform(pd.DataFrame([("fp1", "billing_invoice", "orders_order")], columns=["fingerprint", "table_a", "table_b"]), "joins")
    pd.testing.assert_frame_equal(table_contexts(folded, context, TABLE_ACCESS, OWNERS), table_contexts(STATEMENTS, CONTEXT, TABLE_ACCESS, OWNERS))
    pd.testing.assert_frame_equal(db_time_by_context(folded, context), db_time_by_context(STATEMENTS, CONTEXT))
    pd.testing.assert_frame_equal(cross_context_joins(folded, context, joins, OWNERS), cross_context_joins(STATEMENTS, CONTEXT, joins, OWNERS))
    assert cross_context_joins(folded, context, joins, OWNERS)["executions"].tolist() == [3]
    assert db_time_by_context(folded, context).set_index("context").loc["orders", "executions"] == 4


def test_joins_and_pairs_read_the_same_owners_whatever_made_them():
    # no table declared: the owners come from the ORM or the traffic, and joins and pairs agree
    owners = {"billing_invoice": "billing", "orders_order": "orders"}
    joins = frames.conform(pd.DataFrame([("fp2", "billing_invoice", "orders_order")], columns=["fingerprint", "table_a", "table_b"]),
                           "joins")
    tc = table_contexts(STATEMENTS, CONTEXT, TABLE_ACCESS, owners)
    crossing = cross_context_joins(STATEMENTS, CONTEXT, joins, owners)
    pairs = data_pairs(tc)
    assert crossing[["context_a", "context_b"]].values.tolist() == [["billing", "orders"]]
    assert ("billing", "orders") in set(zip(pairs["context_a"], pairs["context_b"]))
    assert cross_context_joins(STATEMENTS, CONTEXT, joins, {}).empty  # nobody owns them: no boundary


def test_infrastructure_tables_couple_no_pair_and_are_listed_apart():
    # catalog_product is read by billing and orders; orders_order is written by both
    infrastructure = {"catalog_product": "listed in shared_tables (catalog_*)", "orders_order": "owned by kernel, a shared context"}
    tc = table_contexts(STATEMENTS, CONTEXT, TABLE_ACCESS, OWNERS, infrastructure)
    assert set(tc.loc[tc["infrastructure"], "table"]) == {"catalog_product", "orders_order"}
    assert write_shared_tables(tc).empty
    assert shared_tables(tc)["table"].tolist() == ["billing_invoice"]
    assert data_pairs(tc).values.tolist() == [["billing", "notifications", 1, ["billing_invoice"], 2]]
    joins = frames.conform(pd.DataFrame([("fp2", "billing_invoice", "orders_order")], columns=["fingerprint", "table_a", "table_b"]),
                           "joins")
    assert cross_context_joins(STATEMENTS, CONTEXT, joins, OWNERS, infrastructure).empty
    listed = infrastructure_tables(tc, infrastructure).astype(object).where(lambda f: f.notna(), None)
    assert listed.values.tolist() == [
        ["orders_order", "orders", "owned by kernel, a shared context", ["billing", "orders"], ["billing", "orders"],
         ["billing", "orders"], 6],
        ["catalog_product", None, "listed in shared_tables (catalog_*)", ["billing", "orders"], ["billing", "orders"], [], 2],
    ]
