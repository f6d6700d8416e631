"""Table names from ORM models and migrations, read from literal source texts."""

import textwrap

import pytest

from analysis.core import frames
from analysis.core.rejects import Rejects
from analysis.sources.orm_models import (
    django_app_label,
    mine_orm_models,
    parse_declarations,
    parse_source_file,
    pluralize,
    resolve_relations,
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
    # replayed: AlterModelTable renames Payment's table, it does not add a second one
    assert rows(text, "shop/payment/migrations/0001_initial.py") == [
        ("payments", "Payment", "django", "migration", 11, True),
        ("pay_refund", "Refund", "django", "migration", 9, True),
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
    assert django_app_label("a/b/models/models.py") == "b"  # a module named models in a models package
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


# --------------------------------------------------------------------------------------
# relations between tables


def relations(files):
    """The relations of some literal files, resolved across them as the miner does."""
    declared = [parse_declarations(textwrap.dedent(text), path) for path, text in files.items()]
    found = [(r.table, r.related_table, r.kind, r.framework, r.path, r.line) for r in resolve_relations(declared)]
    return sorted(found, key=lambda r: (r[0], r[4], r[5], r[1]))


ORDERS_APP = '''\
from django.db import models
from shop.billing.models import Invoice


class Customer(models.Model):
    name = models.CharField(max_length=40)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, null=True)
    parent = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField("catalog.Tag")
    payment = models.ForeignKey(to="billing.Payment", on_delete=models.CASCADE)
    note = models.ForeignKey("Note", on_delete=models.CASCADE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Note(models.Model):
    class Meta:
        db_table = "order_notes"
'''
BILLING_APP = '''\
from django.db import models


class Invoice(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")


class Payment(models.Model):
    class Meta:
        db_table = "billing_payments"
'''


def test_django_relations_resolve_across_apps():
    assert relations({"shop/orders/models.py": ORDERS_APP, "shop/billing/models.py": BILLING_APP}) == [
        ("billing_invoice", "orders_order", "foreign_key", "django", "shop/billing/models.py", 5),
        ("orders_order", "orders_customer", "foreign_key", "django", "shop/orders/models.py", 10),
        ("orders_order", "billing_invoice", "one_to_one", "django", "shop/orders/models.py", 11),  # imported from billing
        ("orders_order", "orders_order", "foreign_key", "django", "shop/orders/models.py", 12),  # "self"
        ("orders_order", "catalog_tag", "many_to_many", "django", "shop/orders/models.py", 13),  # an app outside: by convention
        ("orders_order", "billing_payments", "foreign_key", "django", "shop/orders/models.py", 14),  # its db_table
        ("orders_order", "order_notes", "foreign_key", "django", "shop/orders/models.py", 15),  # same app, declared below
    ]  # settings.AUTH_USER_MODEL names no model in the source: left out


def test_django_relations_through_relative_imports_and_module_aliases():
    text = '''\
    from django.db import models
    from ..billing.models import Invoice as Bill
    from ..catalog import models as catalog_models


    class Refund(models.Model):
        invoice = models.ForeignKey(Bill, on_delete=models.CASCADE)
        product = models.ForeignKey(catalog_models.Product, on_delete=models.CASCADE)
    '''
    assert relations({"shop/payments/models.py": text}) == [
        ("payments_refund", "billing_invoice", "foreign_key", "django", "shop/payments/models.py", 7),
        ("payments_refund", "catalog_product", "foreign_key", "django", "shop/payments/models.py", 8),
    ]


SQLALCHEMY_MODULE = '''\
import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


order_tags = Table(
    "order_tags", Base.metadata,
    Column("order_id", ForeignKey("orders.id"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id"), primary_key=True),
)


class Customer(Base):
    __tablename__ = "customers"
    orders = relationship("Order", back_populates="customer")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (sa.ForeignKeyConstraint(["region_id"], ["geo.regions.id"]),)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    customer: Mapped["Customer"] = relationship(back_populates="orders")
    tags: Mapped[list["Tag"]] = relationship(secondary=order_tags)
    archived_id = sa.Column(sa.Integer, sa.ForeignKey("archive.orders.id"))
    shipper_id = mapped_column(ForeignKey(Customer.id))


class Tag(Base):
    __tablename__ = "tags"
'''


def test_sqlalchemy_foreign_keys_and_relationships():
    assert relations({"app/db.py": SQLALCHEMY_MODULE}) == [
        ("customers", "orders", "relationship", "sqlalchemy", "app/db.py", 19),
        ("order_tags", "orders", "foreign_key", "sqlalchemy", "app/db.py", 12),
        ("order_tags", "tags", "foreign_key", "sqlalchemy", "app/db.py", 13),
        ("orders", "geo.regions", "foreign_key", "sqlalchemy", "app/db.py", 24),
        ("orders", "customers", "foreign_key", "sqlalchemy", "app/db.py", 25),
        ("orders", "customers", "relationship", "sqlalchemy", "app/db.py", 26),  # the class from Mapped["Customer"]
        ("orders", "tags", "many_to_many", "sqlalchemy", "app/db.py", 27),
        ("orders", "archive.orders", "foreign_key", "sqlalchemy", "app/db.py", 28),
        ("orders", "customers", "foreign_key", "sqlalchemy", "app/db.py", 29),  # ForeignKey(Customer.id)
    ]


RAILS_MODELS = '''\
class Order < ApplicationRecord
  belongs_to :customer
  belongs_to :billing_account, class_name: "Billing::Account"
  belongs_to :commentable, polymorphic: true
  has_many :line_items, dependent: :destroy
  has_one :invoice
  has_and_belongs_to_many :tags
  has_many :people
end

module Billing
  class Account < ApplicationRecord
    self.table_name = "billing_accounts"
    has_many :orders, inverse_of: :billing_account
  end
end
'''


def test_activerecord_associations():
    assert relations({"app/models/order.rb": RAILS_MODELS}) == [
        ("billing_accounts", "orders", "relationship", "activerecord", "app/models/order.rb", 14),
        ("orders", "customers", "foreign_key", "activerecord", "app/models/order.rb", 2),
        ("orders", "billing_accounts", "foreign_key", "activerecord", "app/models/order.rb", 3),  # class_name, its table_name
        ("orders", "line_items", "relationship", "activerecord", "app/models/order.rb", 5),
        ("orders", "invoices", "one_to_one", "activerecord", "app/models/order.rb", 6),
        ("orders", "tags", "many_to_many", "activerecord", "app/models/order.rb", 7),
        ("orders", "people", "relationship", "activerecord", "app/models/order.rb", 8),
    ]  # a polymorphic belongs_to names no table


JPA_ENTITIES = '''\
package shop;

import jakarta.persistence.*;
import java.util.*;

@Entity
@Table(name = "purchase_orders", schema = "sales")
public class PurchaseOrder {
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "customer_id")
    private Customer customer;

    @OneToMany(mappedBy = "order")
    private List<OrderLine> lines;

    @OneToOne
    private Invoice invoice;

    @ManyToMany
    @JoinTable(name = "order_tags")
    private Set<Tag> tags = new HashSet<>();

    @ManyToOne(targetEntity = Warehouse.class)
    private Object warehouse;
}

@Entity
@Table(name = "customers")
public class Customer {}

@Entity
public class OrderLine {
    @ManyToOne
    @JoinColumn(name = "order_id")
    private PurchaseOrder order;
}
'''


def test_jpa_relations():
    assert relations({"src/main/java/shop/Model.java": JPA_ENTITIES}) == [
        ("order_line", "sales.purchase_orders", "foreign_key", "jpa", "src/main/java/shop/Model.java", 33),
        ("sales.purchase_orders", "customers", "foreign_key", "jpa", "src/main/java/shop/Model.java", 9),
        ("sales.purchase_orders", "order_line", "relationship", "jpa", "src/main/java/shop/Model.java", 13),
        ("sales.purchase_orders", "invoice", "one_to_one", "jpa", "src/main/java/shop/Model.java", 16),
        ("sales.purchase_orders", "tag", "many_to_many", "jpa", "src/main/java/shop/Model.java", 19),
        ("sales.purchase_orders", "warehouse", "foreign_key", "jpa", "src/main/java/shop/Model.java", 23),
    ]


def test_kotlin_relations():
    text = '''\
    @Entity
    class Shipment(
        @ManyToOne
        @JoinColumn(name = "order_id")
        val order: PurchaseOrder,
        @OneToMany(mappedBy = "shipment")
        var parcels: MutableList<Parcel> = mutableListOf(),
    )
    '''
    assert relations({"src/main/kotlin/Shipment.kt": text}) == [
        ("shipment", "purchase_order", "foreign_key", "jpa", "src/main/kotlin/Shipment.kt", 3),
        ("shipment", "parcel", "relationship", "jpa", "src/main/kotlin/Shipment.kt", 6),
    ]


def test_the_miner_gives_relations_beside_tables(tmp_path):
    for path, text in {"shop/orders/models.py": ORDERS_APP, "shop/billing/models.py": BILLING_APP,
                       "app/models/order.rb": RAILS_MODELS}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    mined = mine_orm_models(tmp_path, Rejects())
    rel = frames.check(mined.frames["orm_relations"], "orm_relations")
    assert list(rel.columns) == ["table", "related_table", "kind", "framework", "path", "line"]
    assert ("orders_order", "billing_payments") in set(zip(rel["table"], rel["related_table"]))
    assert set(rel["framework"]) == {"django", "activerecord"} and len(rel) == 14
    assert any("14 relations" in n for n in mined.notes)


def test_the_orm_kind_registers_its_relations():
    from analysis.sources.registry import KINDS

    assert KINDS["orm"].frames == ("orm_tables", "orm_relations")
    assert frames.empty("orm_relations").empty


# --------------------------------------------------------------------------------------
# Django as Django names tables: app labels, many-to-many tables, migrations replayed,
# test-only apps


def write(root, files):
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text), encoding="utf-8")


def mined_tables(root):
    mined = mine_orm_models(root, Rejects())
    table = frames.check(mined.frames["orm_tables"], "orm_tables")
    return mined, sorted(set(table["table"]))


WEBHOOK_MODELS = """\
    from django.db import models

    class Webhook(models.Model):
        name = models.CharField(max_length=100)
    """


def test_a_models_module_inside_a_models_package_belongs_to_the_app(tmp_path):
    write(tmp_path, {"netbox/extras/models/models.py": WEBHOOK_MODELS, "netbox/extras/models/__init__.py": ""})
    assert mined_tables(tmp_path)[1] == ["extras_webhook"]  # not models_webhook


def test_the_app_label_of_an_app_config(tmp_path):
    write(tmp_path, {
        "src/shop/hooks/apps.py": """\
            from django.apps import AppConfig

            class HooksConfig(AppConfig):
                name = "shop.hooks"
                label = "integrations"
            """,
        "src/shop/hooks/models.py": WEBHOOK_MODELS,
        "src/shop/orders/models.py": """\
            from django.db import models
            from shop.hooks.models import Webhook

            class Order(models.Model):
                hook = models.ForeignKey(Webhook, on_delete=models.CASCADE)
            """,
    })
    mined, tables = mined_tables(tmp_path)
    assert tables == ["integrations_webhook", "orders_order"]
    relations = mined.frames["orm_relations"]
    assert list(zip(relations["table"], relations["related_table"])) == [("orders_order", "integrations_webhook")]


def test_many_to_many_fields_have_tables_of_their_own():
    text = """\
    from django.db import models

    class Tagged(models.Model):
        tags = models.ManyToManyField("extras.Tag", blank=True)

        class Meta:
            abstract = True

    class Interface(Tagged):
        tagged_vlans = models.ManyToManyField(to="ipam.VLAN", related_name="+", blank=True)
        cables = models.ManyToManyField("dcim.Cable", through="dcim.CableTermination")
        wireless_lans = models.ManyToManyField("wireless.WirelessLAN", db_table="dcim_interface_wlans")

        class Meta:
            db_table = "dcim_iface"
    """
    assert rows(text, "netbox/dcim/models.py") == [
        ("dcim_iface", "Interface", "django", "model", 9, True),
        ("dcim_iface_tagged_vlans", "Interface.tagged_vlans", "django", "model", 10, False),
        ("dcim_interface_wlans", "Interface.wireless_lans", "django", "model", 12, True),
        ("dcim_iface_tags", "Interface.tags", "django", "model", 4, False),  # from the abstract base
    ]


MIGRATION_0001 = """\
    from django.db import migrations, models

    class Migration(migrations.Migration):
        initial = True
        dependencies = [("contenttypes", "0002_remove_content_type_name")]
        operations = [
            migrations.CreateModel(
                name="Device",
                fields=[
                    ("id", models.BigAutoField(primary_key=True)),
                    ("tags", models.ManyToManyField(to="extras.tag")),
                    ("cables", models.ManyToManyField(through="dcim.CableTermination", to="dcim.cable")),
                ],
            ),
            migrations.CreateModel(name="Report", fields=[]),
            migrations.CreateModel(name="JobResult", fields=[]),
            migrations.CreateModel(name="ObjectChange", fields=[], options={"db_table": "extras_change"}),
        ]
    """
MIGRATION_0002 = """\
    from django.db import migrations, models

    class Migration(migrations.Migration):
        dependencies = [("dcim", "0001_initial")]
        operations = [
            migrations.RenameModel(old_name="JobResult", new_name="Job"),
            migrations.DeleteModel(name="Report"),
            migrations.AddField(model_name="device", name="vlans", field=models.ManyToManyField(to="ipam.vlan")),
            migrations.RenameField(model_name="device", old_name="tags", new_name="labels"),
        ]
    """
MIGRATION_0003 = """\
    from django.db import migrations

    state_operations = [migrations.DeleteModel(name="ObjectChange")]

    class Migration(migrations.Migration):
        dependencies = [("dcim", "0002_later")]
        operations = [
            migrations.SeparateDatabaseAndState(
                state_operations=state_operations,
                database_operations=[migrations.AlterModelTable(name="ObjectChange", table="core_objectchange")],
            ),
            migrations.AlterModelTable(name="device", table="dcim_devices"),
            migrations.RemoveField(model_name="device", name="vlans"),
        ]
    """


def test_migrations_are_replayed_in_order_for_todays_tables(tmp_path):
    # file names out of order on purpose: dependencies decide
    write(tmp_path, {"netbox/dcim/migrations/0001_initial.py": MIGRATION_0001,
                     "netbox/dcim/migrations/0002_later.py": MIGRATION_0002,
                     "netbox/dcim/migrations/0000_last.py": MIGRATION_0003})
    mined, tables = mined_tables(tmp_path)
    # renamed (JobResult), dropped (Report), moved away (ObjectChange): today's names only
    assert tables == ["dcim_devices", "dcim_devices_labels", "dcim_job"]
    frame = mined.frames["orm_tables"].set_index("table")
    assert frame.loc["dcim_job", "path"] == "netbox/dcim/migrations/0002_later.py"  # where it got its name
    assert frame.loc["dcim_devices_labels", "model"] == "Device.labels"
    assert any("3 Django migrations of 1 app replayed" in n and "7 tables they created were renamed or dropped" in n
               for n in mined.notes)


def migration(operations, dependencies="[]", extra=""):
    return f"""\
    from django.db import migrations

    class Migration(migrations.Migration):
        {extra}
        dependencies = {dependencies}
        operations = [{operations}]
    """


def test_a_squashed_migration_stands_for_the_ones_it_replaces(tmp_path):
    write(tmp_path, {
        "app/shop/migrations/0001_initial.py": migration('migrations.CreateModel(name="Old", fields=[])'),
        "app/shop/migrations/0002_other.py": migration('migrations.CreateModel(name="Other", fields=[])',
                                                       '[("shop", "0001_initial")]'),
        "app/shop/migrations/0001_squashed_0002.py": migration(
            'migrations.CreateModel(name="Squashed", fields=[])',
            extra='replaces = [("shop", "0001_initial"), ("shop", "0002_other")]'),
        # named to sort first; it depends on a replaced migration, so on the squashed one
        "app/shop/migrations/0000_next.py": migration('migrations.RenameModel(old_name="Squashed", new_name="Final")',
                                                      '[("shop", "0002_other")]'),
    })
    assert mined_tables(tmp_path)[1] == ["shop_final"]


def test_test_only_apps_are_kept_apart_and_counted(tmp_path):
    write(tmp_path, {
        "netbox/extras/models.py": WEBHOOK_MODELS,
        "netbox/netbox/tests/dummy_plugin/models.py": WEBHOOK_MODELS.replace("Webhook", "DummyModel"),
        "netbox/netbox/tests/dummy_plugin/migrations/0001_initial.py": migration(
            'migrations.CreateModel(name="DummyModel", fields=[])'),
        "netbox/fixtures/books/models.py": WEBHOOK_MODELS.replace("Webhook", "Book"),
        "netbox/netbox/configuration_testing.py": 'PLUGINS = ["fixtures.books"]\nINSTALLED_APPS = ["extras"]\n',
        "netbox/netbox/settings.py": 'INSTALLED_APPS = ["extras", "netbox"]\n',
    })
    mined, tables = mined_tables(tmp_path)
    assert tables == ["extras_webhook"]
    note = next(n for n in mined.notes if "test-only" in n)
    assert "2 tables of test-only apps left out" in note and "books_book, dummy_plugin_dummymodel" in note
