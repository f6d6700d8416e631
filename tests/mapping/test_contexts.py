"""Declared tables against observed ones: one normalization under the search path, exact matches."""

import pandas as pd

from analysis.core.config import ContextSpec, parse_config, table_key
from analysis.mapping.contexts import ContextMap


def test_table_key_lowers_unquotes_and_drops_a_search_path_schema():
    assert table_key("Public.Audit_Log", ("public",)) == "audit_log"
    assert table_key('"public"."audit_log"', ("public",)) == "audit_log"
    assert table_key("shop.public.audit_log", ("public",)) == "audit_log"
    assert table_key("billing.orders", ("public",)) == "billing.orders"
    assert table_key("billing.orders", ("public", "billing")) == "orders"
    assert table_key("orders", ()) == "orders"


def test_a_declared_schema_in_the_search_path_matches_the_observed_name():
    cmap = ContextMap((ContextSpec("audit", tables=("public.audit_log",)),))
    assert cmap.owner_of_table("audit_log") == "audit"  # the logs drop the search path's schema
    assert cmap.owner_of_table("public.audit_log") == "audit"


def test_an_unqualified_declared_name_claims_only_the_search_path_table():
    cmap = ContextMap((ContextSpec("orders", tables=("orders",)), ContextSpec("billing", tables=("billing.invoices",))))
    assert cmap.owner_of_table("orders") == "orders"
    assert cmap.owner_of_table("billing.orders") is None
    assert cmap.owner_of_table("Billing.Invoices") == "billing"
    assert cmap.owner_of_table("invoices") is None
    observed = pd.Series(["orders", "billing.orders", "billing.invoices", None], dtype="string")
    assert cmap.assign_tables(observed).tolist() == ["orders", pd.NA, "billing", pd.NA]


def test_matching_follows_the_configured_search_path():
    cmap = ContextMap((ContextSpec("sales", tables=("sales.orders",)), ContextSpec("stock", tables=("items",))),
                      search_path=("public", "sales"))
    assert cmap.owner_of_table("orders") == "sales"  # a log with search_path public, sales writes sales.orders as orders
    assert cmap.owner_of_table("items") == "stock"
    assert cmap.owner_of_table("public.items") == "stock"
    assert cmap.owner_of_table("stock.items") is None


def test_the_config_names_the_search_path_of_its_sql_sources(tmp_path):
    for name in ("pg.log", "my.log", "any.log"):
        (tmp_path / name).write_text("", encoding="utf-8")
    contexts = {"a": {"tables": ["t"]}}
    assert parse_config({"contexts": contexts}, tmp_path / "s.yml").table_search_path == ("public",)
    config = parse_config({"sources": {"sql": [
        {"path": "pg.log", "search_path": ["public", "Sales"]},
        {"path": "my.log", "format": "mysql-slow", "default_database": "shop"},
    ]}, "contexts": contexts}, tmp_path / "s.yml")
    assert config.table_search_path == ("public", "sales", "shop")
    assert [s.unqualified_schemas() for s in config.sql] == [("public", "sales"), ("shop",)]
    mysql_without_database = parse_config({"sources": {"sql": [{"path": "my.log", "format": "mysql-general"}]},
                                            "contexts": contexts}, tmp_path / "s.yml")
    assert mysql_without_database.table_search_path == ()
    auto = parse_config({"sources": {"sql": [{"path": "any.log", "format": "auto", "default_database": "shop"}]},
                         "contexts": contexts}, tmp_path / "s.yml")
    assert auto.sql[0].unqualified_schemas() == ("public", "shop")
    assert auto.sql[0].unqualified_schemas("mysql-slow") == ("shop",)
    assert auto.sql[0].unqualified_schemas("postgres-csvlog") == ("public",)
