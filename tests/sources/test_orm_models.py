"""Table names from ORM models and migrations, read from literal source texts."""

import textwrap

import pytest

from analysis.core import frames
from analysis.core.rejects import Rejects
from analysis.sources.orm_models import (
    django_app_label,
    mine_orm_models,
    parse_source_file,
    pluralize,
    snake_case,
)


def rows(text, path):
    return [(r.table, r.model, r.framework, r.kind, r.line, r.explicit) for r in parse_source_file(textwrap.dedent(text), path)]


DJANGO_MODELS = '''\
from django.db import models


class Base(models.Model):
    class Meta:
        abstract = True


class Order(Base):
    number = models.CharField(max_length=10)


class Invoice(models.Model):
    class Meta:
        db_table = "Billing_Invoice"


class OrderProxy(Order):
    class Meta:
        proxy = True


class Line(ModelWithMetadata):
    order = models.ForeignKey(Order, on_delete=models.CASCADE)


class Moved(models.Model):
    class Meta:
        app_label = "legacy"


class NotAModel:
    name = "x"
'''


def test_django_models_explicit_and_by_convention():
    assert rows(DJANGO_MODELS, "shop/orders/models.py") == [
        ("orders_order", "Order", "django", "model", 9, False),
        ("billing_invoice", "Invoice", "django", "model", 13, True),
        ("orders_line", "Line", "django", "model", 23, False),  # base from another file, but it declares fields
        ("legacy_moved", "Moved", "django", "model", 27, False),
    ]
    # a models package: the app is the folder above it
    assert rows(DJANGO_MODELS, "shop/orders/models/order.py")[0][0] == "orders_order"
    # the same text outside a models module is not read as Django models
    assert rows(DJANGO_MODELS, "shop/orders/views.py") == []


def test_django_migrations():
    text = '''\
    from django.db import migrations, models

    class Migration(migrations.Migration):
        operations = [
            migrations.CreateModel(
                name="Payment",
                fields=[("id", models.AutoField(primary_key=True))],
            ),
            migrations.CreateModel(name="Refund", fields=[], options={"db_table": "pay_refund"}),
            migrations.CreateModel(name="Abstract", fields=[], options={"abstract": True}),
            migrations.AlterModelTable(name="payment", table="payments"),
        ]
    '''
    assert rows(text, "shop/payment/migrations/0001_initial.py") == [
        ("payment_payment", "Payment", "django", "migration", 5, False),
        ("pay_refund", "Refund", "django", "migration", 9, True),
        ("payments", "payment", "django", "migration", 11, True),
    ]


def test_sqlalchemy_tablename_and_table_calls():
    text = '''\
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass

    class Customer(Base):
        __tablename__ = "customers"

    association = sa.Table("customer_tag", Base.metadata, sa.Column("id", sa.Integer))
    archived = sa.Table("old_orders", Base.metadata, schema="archive")
    '''
    assert rows(text, "app/db.py") == [
        ("customers", "Customer", "sqlalchemy", "model", 8, True),
        ("customer_tag", "customer_tag", "sqlalchemy", "model", 10, True),
        ("archive.old_orders", "old_orders", "sqlalchemy", "model", 11, True),
    ]


def test_activerecord_models_and_migrations():
    text = '''\
    class ApplicationRecord < ActiveRecord::Base
      self.abstract_class = true
    end

    class LineItem < ApplicationRecord
      belongs_to :order
    end

    class Person < ApplicationRecord
    end

    module Legacy
      class Account < ApplicationRecord
        self.table_name = "legacy_accounts"
      end
    end

    class Admin < Person
    end
    '''
    assert rows(text, "app/models/all.rb") == [
        ("line_items", "LineItem", "activerecord", "model", 5, False),
        ("people", "Person", "activerecord", "model", 9, False),
        ("legacy_accounts", "Account", "activerecord", "model", 14, True),
    ]
    migration = '''\
    class CreateCategories < ActiveRecord::Migration[7.1]
      def change
        create_table :categories do |t|
          t.string :name
        end
        create_table "shipping_zones", id: :uuid do |t|
        end
      end
    end
    '''
    assert [r[0] for r in rows(migration, "db/migrate/20240101_create.rb")] == ["categories", "shipping_zones"]


def test_jpa_entities():
    text = '''\
    package shop;

    import jakarta.persistence.*;

    @Entity
    @Table(name = "purchase_orders", schema = "sales")
    public class PurchaseOrder {
    }

    @Table(name = "invoices")
    @Entity
    class Invoice {}

    @Entity(name = "CustomerAccount")
    public class Account {}

    @Entity
    public class OrderLine {}
    '''
    assert rows(text, "src/main/java/shop/Model.java") == [
        ("sales.purchase_orders", "PurchaseOrder", "jpa", "model", 7, True),
        ("invoices", "Invoice", "jpa", "model", 12, True),
        ("customer_account", "Account", "jpa", "model", 15, False),
        ("order_line", "OrderLine", "jpa", "model", 18, False),
    ]


@pytest.mark.parametrize("word,plural", [
    ("order", "orders"), ("category", "categories"), ("address", "addresses"), ("box", "boxes"), ("day", "days"),
    ("line_item", "line_items"), ("person", "people"), ("wolf", "wolves"), ("knife", "knives"), ("news", "news"), ("status", "statuses"),
])
def test_pluralize_like_activesupport(word, plural):
    assert pluralize(word) == plural


def test_names():
    assert snake_case("OrderItem") == "order_item" and snake_case("HTTPLog") == "http_log" and snake_case("order") == "order"
    assert django_app_label("a/b/models.py") == "b" and django_app_label("a/b/models/x.py") == "b"
    assert django_app_label("models.py") is None and django_app_label("a/views.py") is None


def test_mine_a_repository_with_rejects(tmp_path):
    (tmp_path / "shop" / "orders").mkdir(parents=True)
    (tmp_path / "shop" / "orders" / "models.py").write_text(DJANGO_MODELS)
    (tmp_path / "shop" / "broken").mkdir()
    (tmp_path / "shop" / "broken" / "models.py").write_text("from django.db import models\nclass (:\n")
    (tmp_path / "shop" / "latin1.py").write_bytes(b"# caf\xe9\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "models.py").write_text(DJANGO_MODELS)
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "models.py").write_text("# " + "x" * 3000)
    rejects = Rejects()
    mined = mine_orm_models(tmp_path, rejects, max_file_bytes=2000, exclude_paths=["shop/skip/**"])
    table = frames.check(mined.frames["orm_tables"], "orm_tables")
    assert sorted(table["table"]) == ["billing_invoice", "legacy_moved", "orders_line", "orders_order"]
    assert set(table["path"]) == {"shop/orders/models.py"}
    assert sorted((r.location, r.reason) for r in rejects.records) == [
        ("big/models.py", "larger than 2000 bytes"),
        ("shop/broken/models.py:2", "Python syntax error"),
        ("shop/latin1.py byte 5", "not UTF-8"),
    ]
    assert mined.records_read == 4 and mined.records_rejected == 3


def test_an_empty_repository(tmp_path):
    mined = mine_orm_models(tmp_path, Rejects())
    assert frames.check(mined.frames["orm_tables"], "orm_tables").empty
