"""The shared model of the SYNTHETIC "shopfront" monolith that ``seams sample`` builds.

Everything here is invented. The shop is a Django-style web shop with ten bounded contexts
(packages ``shopfront/<context>/``), a ``shopfront/platform`` package that belongs to no
context, three teams and sixteen people. The repository writer, the workload simulator and
the config writer all read this one model, so the code, the SQL log, the traces and
``seams.yml`` agree with each other.

Contents:

- :data:`CONTEXTS`, :data:`TEAM_CONTEXTS`, :data:`UNTRACED` (contexts that emit no spans);
- :data:`IMPORT_GRAPH` — the context import graph at HEAD (one cycle: catalog <-> search);
- :data:`TABLES` — every table, its owning context, model class and columns;
- :data:`AUTHORS` — people with their identities (name, email), team, time zone and
  active period;
- :data:`ENDPOINTS` — HTTP routes per context (OTel ``http.route``, Django route, view);
- :data:`MODULES` — the Python modules per context with their cross-context imports
  (:class:`ImportPlan`) and the functions other modules call (``api``);
- :data:`RENAMES` — modules moved within their context during the history;
- fixed moments: :data:`HISTORY_END`, :data:`HISTORY_START`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

UTC = dt.UTC

#: The history and the logs end here (a fixed moment, never the wall clock).
HISTORY_END = dt.datetime(2026, 10, 31, 18, 0, 0, tzinfo=UTC)
HISTORY_START = dt.datetime(2024, 10, 28, 9, 0, 0, tzinfo=UTC)

PACKAGE = "shopfront"

CONTEXTS: tuple[str, ...] = (
    "accounts", "catalog", "search", "inventory", "orders",
    "shipping", "billing", "notifications", "ingestion", "analytics",
)

TEAM_CONTEXTS: dict[str, tuple[str, ...]] = {
    "storefront": ("accounts", "catalog", "search", "notifications"),
    "commerce": ("orders", "shipping", "billing", "inventory"),
    "data": ("ingestion", "analytics"),
}

TEAM_OF_CONTEXT: dict[str, str] = {c: t for t, cs in TEAM_CONTEXTS.items() for c in cs}

#: Contexts whose code emits no spans (their SQL is still in the log).
UNTRACED: tuple[str, ...] = ("search", "shipping")

#: Context import graph at HEAD: importer -> imported contexts (shopfront.platform excluded).
IMPORT_GRAPH: dict[str, tuple[str, ...]] = {
    "accounts": (),
    "catalog": ("accounts", "search"),
    "search": ("catalog",),
    "inventory": ("catalog",),
    "orders": ("accounts", "catalog", "inventory", "notifications"),
    "shipping": ("orders", "accounts"),
    "billing": ("orders", "accounts", "catalog", "shipping"),
    "notifications": ("accounts",),
    "analytics": ("orders", "catalog"),
    "ingestion": ("catalog", "inventory"),
}

#: Contexts that call notifications synchronously at runtime (through the bus or, for
#: orders, through its static import).
NOTIFYING_CONTEXTS: tuple[str, ...] = (
    "accounts", "catalog", "inventory", "orders", "billing", "ingestion", "analytics",
)


# --------------------------------------------------------------------------------------
# tables


@dataclass(frozen=True)
class Table:
    name: str
    context: str
    model: str
    columns: tuple[tuple[str, str], ...]  # (column, Django field expression)


def _t(name: str, model: str, *columns: tuple[str, str]) -> Table:
    return Table(name, name.split("_", 1)[0], model, columns)


_ID = ("created_at", "models.DateTimeField(auto_now_add=True)")

TABLES: tuple[Table, ...] = (
    _t("accounts_user", "User", ("email", "models.EmailField(unique=True)"), ("name", "models.CharField(max_length=200)"),
       ("password_hash", "models.CharField(max_length=128)"), ("last_login", "models.DateTimeField(null=True)"), _ID),
    _t("accounts_session", "Session", ("user_id", "models.BigIntegerField()"), ("token", "models.CharField(max_length=64, unique=True)"),
       ("expires_at", "models.DateTimeField()")),
    _t("accounts_address", "Address", ("user_id", "models.BigIntegerField()"), ("line1", "models.CharField(max_length=200)"),
       ("city", "models.CharField(max_length=100)"), ("postcode", "models.CharField(max_length=20)"), ("country", "models.CharField(max_length=2)")),
    _t("catalog_product", "Product", ("sku", "models.CharField(max_length=32, unique=True)"), ("name", "models.CharField(max_length=200)"),
       ("category_id", "models.BigIntegerField()"), ("tax_class", "models.CharField(max_length=16)"), ("updated_at", "models.DateTimeField(auto_now=True)")),
    _t("catalog_category", "Category", ("name", "models.CharField(max_length=100)"), ("parent_id", "models.BigIntegerField(null=True)")),
    _t("catalog_price", "Price", ("product_id", "models.BigIntegerField()"), ("amount_cents", "models.IntegerField()"),
       ("currency", "models.CharField(max_length=3)")),
    _t("search_document", "Document", ("product_id", "models.BigIntegerField(unique=True)"), ("title", "models.CharField(max_length=200)"),
       ("tsv", "models.TextField()")),
    _t("search_synonym", "Synonym", ("term", "models.CharField(max_length=64)"), ("synonyms", "models.TextField()")),
    _t("inventory_stock", "Stock", ("product_id", "models.BigIntegerField()"), ("warehouse_id", "models.BigIntegerField()"),
       ("quantity", "models.IntegerField()"), ("reserved", "models.IntegerField(default=0)")),
    _t("inventory_warehouse", "Warehouse", ("code", "models.CharField(max_length=8)"), ("city", "models.CharField(max_length=100)")),
    _t("inventory_movement", "Movement", ("product_id", "models.BigIntegerField()"), ("delta", "models.IntegerField()"),
       ("reason", "models.CharField(max_length=32)"), _ID),
    _t("orders_order", "Order", ("customer_id", "models.BigIntegerField()"), ("status", "models.CharField(max_length=16)"),
       ("total_cents", "models.IntegerField()"), _ID),
    _t("orders_orderline", "OrderLine", ("order_id", "models.BigIntegerField()"), ("product_id", "models.BigIntegerField()"),
       ("quantity", "models.IntegerField()"), ("unit_price_cents", "models.IntegerField()")),
    _t("orders_cart", "Cart", ("customer_id", "models.BigIntegerField()"), ("payload", "models.JSONField()"),
       ("updated_at", "models.DateTimeField(auto_now=True)")),
    _t("shipping_shipment", "Shipment", ("order_id", "models.BigIntegerField()"), ("carrier_id", "models.BigIntegerField()"),
       ("tracking_code", "models.CharField(max_length=32)"), ("status", "models.CharField(max_length=16)")),
    _t("shipping_carrier", "Carrier", ("code", "models.CharField(max_length=16)"), ("name", "models.CharField(max_length=100)")),
    _t("billing_invoice", "Invoice", ("order_id", "models.BigIntegerField()"), ("number", "models.CharField(max_length=20)"),
       ("total_cents", "models.IntegerField()"), ("tax_cents", "models.IntegerField()"), _ID),
    _t("billing_payment", "Payment", ("invoice_id", "models.BigIntegerField()"), ("amount_cents", "models.IntegerField()"),
       ("card_number", "models.CharField(max_length=19)"), ("status", "models.CharField(max_length=16)")),
    _t("billing_refund", "Refund", ("payment_id", "models.BigIntegerField()"), ("amount_cents", "models.IntegerField()"),
       ("reason", "models.CharField(max_length=64)")),
    _t("notifications_outbox", "OutboxMessage", ("event", "models.CharField(max_length=32)"), ("recipient", "models.CharField(max_length=200)"),
       ("payload", "models.JSONField()"), ("sent_at", "models.DateTimeField(null=True)")),
    _t("notifications_template", "Template", ("event", "models.CharField(max_length=32)"), ("subject", "models.CharField(max_length=200)"),
       ("body", "models.TextField()")),
    _t("notifications_subscription", "Subscription", ("user_id", "models.BigIntegerField()"), ("product_id", "models.BigIntegerField()"),
       ("kind", "models.CharField(max_length=16)")),
    _t("ingestion_batch", "Batch", ("feed", "models.CharField(max_length=32)"), ("status", "models.CharField(max_length=16)"),
       ("records", "models.IntegerField(default=0)"), _ID),
    _t("ingestion_rawrecord", "RawRecord", ("batch_id", "models.BigIntegerField()"), ("line_no", "models.IntegerField()"),
       ("payload", "models.TextField()")),
    _t("analytics_dailyreport", "DailyReport", ("day", "models.DateField()"), ("orders", "models.IntegerField()"),
       ("revenue_cents", "models.BigIntegerField()")),
    _t("analytics_event", "Event", ("kind", "models.CharField(max_length=32)"), ("order_id", "models.BigIntegerField(null=True)"), _ID),
)

TABLES_BY_CONTEXT: dict[str, tuple[Table, ...]] = {
    c: tuple(t for t in TABLES if t.context == c) for c in CONTEXTS
}


# --------------------------------------------------------------------------------------
# people


@dataclass(frozen=True)
class Author:
    name: str
    emails: tuple[str, ...]           # first is the usual one
    team: str
    tz: str                           # "+0100" as git writes it
    joined: dt.date = dt.date(2024, 1, 1)
    left: dt.date | None = None
    weight: float = 1.0               # relative commit rate
    alias_name: str | None = None     # how the second email's commits spell the name

    @property
    def tz_minutes(self) -> int:
        sign = -1 if self.tz.startswith("-") else 1
        return sign * (int(self.tz[1:3]) * 60 + int(self.tz[3:5]))

    def active_on(self, day: dt.date) -> bool:
        return self.joined <= day and (self.left is None or day <= self.left)


def _email(local: str) -> str:
    return f"{local}@shopfront.test"


AUTHORS: tuple[Author, ...] = (
    Author("Maya Okafor", (_email("maya.okafor"),), "storefront", "+0100", weight=1.3),
    Author("Liam Brennan", (_email("liam.brennan"),), "storefront", "+0000"),
    Author("Sofía Marchetti", (_email("sofia.marchetti"),), "storefront", "+0100"),
    Author("Jonas Weber", (_email("jonas.weber"),), "storefront", "+0100", weight=0.9),
    Author("Priya Raman", (_email("priya.raman"),), "storefront", "+0530"),
    Author("Tom Hughes", (_email("tom.hughes"),), "storefront", "+0000", left=dt.date(2025, 8, 29), weight=0.8),
    Author("Daniel Kim", (_email("daniel.kim"), _email("dan.kim")), "commerce", "-0500", weight=1.2, alias_name="Dan Kim"),
    Author("Elena Petrova", (_email("elena.petrova"),), "commerce", "+0200", weight=1.2),
    Author("Marcus Johnson", (_email("marcus.johnson"),), "commerce", "-0500"),
    Author("Aisha Bello", (_email("aisha.bello"),), "commerce", "+0100"),
    Author("Lucas Moreau", (_email("lucas.moreau"),), "commerce", "+0100", weight=0.9),
    Author("Hannah Schmidt", (_email("hannah.schmidt"),), "commerce", "+0100", joined=dt.date(2025, 2, 3)),
    Author("Ravi Patel", (_email("ravi.patel"),), "data", "+0000", weight=1.2),
    Author("Chen Wei", (_email("chen.wei"), _email("wei.chen")), "data", "+0800", alias_name="Wei Chen"),
    Author("Olivia Nowak", (_email("olivia.nowak"),), "data", "+0100", joined=dt.date(2025, 3, 3)),
    Author("Samuel Adeyemi", (_email("samuel.adeyemi"),), "data", "+0100", weight=0.9),
)


def team_emails() -> dict[str, tuple[str, ...]]:
    """Team -> every email its members commit with (the complete team map)."""
    out: dict[str, list[str]] = {t: [] for t in TEAM_CONTEXTS}
    for a in AUTHORS:
        out[a.team].extend(a.emails)
    return {t: tuple(es) for t, es in out.items()}


# --------------------------------------------------------------------------------------
# HTTP endpoints


@dataclass(frozen=True)
class Endpoint:
    context: str
    method: str
    route: str          # OpenTelemetry http.route, e.g. /orders/{order_id}
    django_route: str   # Django's route as sqlcommenter reports it
    view: str           # function in <context>/views.py
    params: tuple[str, ...] = ()

    @property
    def controller(self) -> str:
        return f"{self.context}.views.{self.view}"

    @property
    def span_name(self) -> str:
        return f"{self.method} {self.route}"


def _ep(ctx: str, method: str, route: str, view: str) -> Endpoint:
    params = tuple(seg[1:-1] for seg in route.split("/") if seg.startswith("{"))
    django = "/".join(f"<int:{seg[1:-1]}>" if seg.startswith("{") else seg for seg in route.split("/"))
    return Endpoint(ctx, method, route, django.rstrip("/") + "/", view, params)


ENDPOINTS: tuple[Endpoint, ...] = (
    _ep("accounts", "GET", "/accounts/me", "me"),
    _ep("accounts", "POST", "/accounts/login", "login"),
    _ep("accounts", "POST", "/accounts/signup", "signup"),
    _ep("accounts", "PUT", "/accounts/addresses/{address_id}", "update_address"),
    _ep("catalog", "GET", "/catalog/products/{product_id}", "product_detail"),
    _ep("catalog", "GET", "/catalog/categories/{category_id}/products", "category_products"),
    _ep("catalog", "PUT", "/catalog/products/{product_id}", "update_product"),
    _ep("search", "GET", "/search/products", "search_products"),
    _ep("search", "GET", "/search/suggest", "suggest"),
    _ep("inventory", "GET", "/inventory/stock/{product_id}", "stock_level"),
    _ep("inventory", "POST", "/inventory/adjustments", "adjust_stock"),
    _ep("orders", "GET", "/orders/{order_id}", "detail"),
    _ep("orders", "GET", "/orders", "order_list"),
    _ep("orders", "POST", "/orders/checkout", "checkout"),
    _ep("orders", "POST", "/orders/{order_id}/cancel", "cancel"),
    _ep("shipping", "GET", "/shipping/shipments/{shipment_id}/track", "track"),
    _ep("shipping", "POST", "/shipping/shipments", "create_shipment"),
    _ep("billing", "POST", "/billing/invoices", "create_invoice"),
    _ep("billing", "GET", "/billing/invoices/{invoice_id}", "invoice_detail"),
    _ep("billing", "POST", "/billing/payments", "pay"),
    _ep("notifications", "GET", "/notifications/inbox", "inbox"),
    _ep("analytics", "GET", "/analytics/reports/daily", "daily_report"),
    _ep("analytics", "POST", "/analytics/exports", "export"),
)

ENDPOINTS_BY_CONTEXT: dict[str, tuple[Endpoint, ...]] = {
    c: tuple(e for e in ENDPOINTS if e.context == c) for c in CONTEXTS
}

#: Message queues (RabbitMQ): destination -> the context that owns it (its name's first part).
#: notifications.outbox is published by many contexts and consumed by notifications;
#: orders.events is consumed by analytics (traced) and shipping (untraced);
#: catalog.product_changed by search (untraced); ingestion.batches by ingestion itself.
DESTINATIONS: tuple[str, ...] = ("notifications.outbox", "orders.events", "catalog.product_changed", "ingestion.batches")


# --------------------------------------------------------------------------------------
# modules and their imports


@dataclass(frozen=True)
class ImportPlan:
    """One import of another module of the repository.

    ``target`` is a module key ``<package>.<module>`` at HEAD (``orders.services``);
    ``style``: ``module`` (``from shopfront.orders import services as orders_services``) or
    ``names`` (``from shopfront.orders.models import Order``); ``kind``: ``static``,
    ``function`` (inside a function) or ``type_checking`` (under ``if TYPE_CHECKING:``).
    ``uses`` are the target's functions (or classes) the importing code calls.
    ``after`` names a wiring step: the import appears only once that step has happened.
    """

    target: str
    style: str = "module"
    names: tuple[str, ...] = ()
    alias: str | None = None
    kind: str = "static"
    uses: tuple[str, ...] = ()
    after: str | None = None

    @property
    def target_context(self) -> str:
        return self.target.split(".", 1)[0]


@dataclass(frozen=True)
class ModulePlan:
    """A Python module of a context (or of the platform package) as it exists at HEAD."""

    package: str                      # context name or "platform"
    name: str                         # module name at HEAD (may be dotted: tests.test_services)
    role: str                         # init, models, services, views, urls, tasks, extra, tests, platform
    imports: tuple[ImportPlan, ...] = ()
    api: tuple[str, ...] = ()         # functions other modules call
    former_name: str | None = None    # name before its rename (see RENAMES)
    doc: str = ""

    @property
    def key(self) -> str:
        return f"{self.package}.{self.name}"


def _svc(ctx: str) -> ImportPlan:
    return ImportPlan(f"{ctx}.services", alias=f"{ctx}_services")


_P_DB = ImportPlan("platform.db")
_P_BUS = ImportPlan("platform.bus")

_CONTEXT_DOCS = {
    "accounts": "Customer accounts, sessions and addresses.",
    "catalog": "Products, categories and prices.",
    "search": "Full-text product search and suggestions.",
    "inventory": "Stock levels per warehouse and stock movements.",
    "orders": "Carts, checkout and orders.",
    "shipping": "Shipments, carriers and tracking.",
    "billing": "Invoices, payments and refunds.",
    "notifications": "Outgoing e-mail and push notifications.",
    "ingestion": "Supplier feed ingestion (nightly batch imports).",
    "analytics": "Sales reports and business events.",
}

_API: dict[str, tuple[str, ...]] = {
    "accounts.services": ("get_customer", "get_billing_profile", "get_staff_user", "get_contact_email"),
    "catalog.services": ("get_product", "get_prices", "get_tax_class", "upsert_products"),
    "search.indexer": ("reindex_product", "remove_product"),
    "search.query": ("search_products",),
    "inventory.services": ("check_availability", "apply_stock_feed", "reserve"),
    "orders.services": ("get_order", "mark_paid", "orders_between", "order_total"),
    "shipping.services": ("shipping_cost", "create_shipment"),
    "billing.services": ("create_invoice", "record_payment"),
    "notifications.services": ("send", "should_alert", "check_back_in_stock"),
    "notifications.handlers": ("send", "should_alert", "check_back_in_stock"),
    "analytics.services": ("record_event",),
    "ingestion.pipeline": ("run_batch",),
}


def _modules() -> tuple[ModulePlan, ...]:
    mods: list[ModulePlan] = []

    def m(pkg: str, name: str, role: str, *imports: ImportPlan, former: str | None = None, doc: str = "") -> None:
        mods.append(ModulePlan(pkg, name, role, tuple(imports), _API.get(f"{pkg}.{name}", ()), former, doc))

    for ctx in CONTEXTS:
        m(ctx, "__init__", "init", doc=_CONTEXT_DOCS[ctx])
        m(ctx, "models", "models", doc=f"Database models of {ctx}.")
        m(ctx, "views", "views", doc=f"HTTP views of {ctx}.")
        m(ctx, "urls", "urls", doc=f"URL routes of {ctx}.")
        if ctx != "catalog":
            m(ctx, "tasks", "tasks", doc=f"Background tasks of {ctx}.")
        m(ctx, "tests.__init__", "init", doc=f"Tests of {ctx}.")
        m(ctx, "tests.test_services", "tests", doc=f"Unit tests of {ctx} services.")
        m(ctx, "migrations.__init__", "init", doc="")
        m(ctx, "migrations.0001_initial", "migration", doc="")

    # services and extra modules with their cross-context imports (the graph at HEAD)
    m("accounts", "services", "services", _P_DB, _P_BUS, doc="Account services.")
    m("catalog", "services", "services", _P_DB, _P_BUS, _svc("accounts"),
      ImportPlan("search.indexer", alias="search_indexer", uses=("reindex_product",), after="search-wiring"),
      doc="Catalog services.")
    m("catalog", "pricing", "extra",
      ImportPlan("accounts.models", style="names", names=("User",), kind="type_checking", uses=("User",)),
      doc="Price calculation and customer-specific discounts.")
    # a function-level import (the catalog -> search edge is also made here)
    m("catalog", "tasks", "tasks",
      ImportPlan("search.indexer", style="names", names=("reindex_product",), kind="function",
                 uses=("reindex_product",), after="search-wiring"),
      doc="Background tasks of catalog.")
    m("search", "indexer", "extra", ImportPlan("catalog.models", alias="catalog_models", uses=("Product",)),
      former="index", doc="Builds search documents from catalog products.")
    m("search", "query", "extra", _svc("catalog"), doc="Search queries and suggestions.")
    m("search", "services", "services", _P_DB, doc="Search services.")
    m("inventory", "services", "services", _P_DB, _P_BUS, _svc("catalog"), doc="Inventory services.")
    m("orders", "services", "services", _P_DB, _svc("accounts"), _svc("catalog"), _svc("inventory"), _svc("notifications"),
      doc="Order services.")
    m("orders", "checkout", "extra", _P_DB, ImportPlan("inventory.models", style="names", names=("Stock",), uses=("Stock",)),
      doc="Checkout: reserves stock and creates the order.")
    m("shipping", "services", "services", _P_DB, _svc("orders"), _svc("accounts"), doc="Shipping services.")
    m("billing", "services", "services", _P_DB, _P_BUS, _svc("orders"), _svc("accounts"), _svc("catalog"),
      ImportPlan("billing.invoicing", style="names", names=("build_invoice",), uses=("build_invoice",)),
      doc="Billing services.")
    m("billing", "invoicing", "extra", _svc("shipping"),
      ImportPlan("orders.models", style="names", names=("Order",), kind="type_checking", uses=("Order",)),
      former="invoice", doc="Invoice numbering, totals and taxes.")
    m("billing", "payments", "extra", _P_DB, _svc("accounts"), doc="Card payments and refunds.")
    m("notifications", "services", "services", _P_DB, _svc("accounts"), doc="Notification services.")
    m("notifications", "handlers", "extra", ImportPlan("notifications.services", alias="services"),
      doc="Bus handlers: resolved by name from shopfront.platform.bus.")
    m("notifications", "delivery", "extra", _P_DB, former="mailer", doc="Delivery through the mail relay.")
    m("analytics", "services", "services", _P_DB, _P_BUS, _svc("orders"), _svc("catalog"), doc="Analytics services.")
    m("analytics", "reports", "extra", _P_DB, doc="Daily sales reports.")
    m("ingestion", "services", "services", _P_DB, _P_BUS, doc="Ingestion services.")
    m("ingestion", "pipeline", "extra", _P_DB, _P_BUS, _svc("catalog"), _svc("inventory"), former="loader",
      doc="Feed pipeline: parse, validate, upsert.")
    m("ingestion", "parsers", "extra", doc="Supplier feed parsers (CSV, XML).")

    # the platform package belongs to no context
    m("platform", "__init__", "init", doc="Shared platform code: settings, database access, message bus.")
    m("platform", "settings", "platform", doc="Django settings.")
    m("platform", "db", "platform", doc="Database access: raw queries and transactions.")
    m("platform", "bus", "platform", doc="In-process bus: handlers are resolved by name at call time.")
    return tuple(mods)


MODULES: tuple[ModulePlan, ...] = _modules()
MODULES_BY_KEY: dict[str, ModulePlan] = {p.key: p for p in MODULES}

#: Modules moved within their context: (key at HEAD, former name, approximate date).
RENAMES: tuple[tuple[str, str, dt.date], ...] = (
    ("search.indexer", "index", dt.date(2025, 3, 11)),
    ("billing.invoicing", "invoice", dt.date(2025, 6, 17)),
    ("ingestion.pipeline", "loader", dt.date(2025, 10, 14)),
    ("notifications.delivery", "mailer", dt.date(2026, 2, 17)),
)

#: Order in which the contexts were scaffolded (imports only point backwards, except the
#: catalog -> search edge, which is wired in a later commit: ``search-wiring``).
SCAFFOLD_ORDER: tuple[str, ...] = (
    "accounts", "notifications", "catalog", "search", "inventory", "orders",
    "shipping", "billing", "analytics", "ingestion",
)


def module_path(package: str, name: str) -> str:
    """Repository path of a module: ``shopfront/<package>/<name with dots as slashes>.py``."""
    return f"{PACKAGE}/{package}/{name.replace('.', '/')}.py"


def cross_context_edges() -> set[tuple[str, str]]:
    """Context edges the module plans produce (must equal :data:`IMPORT_GRAPH`)."""
    edges = set()
    for p in MODULES:
        for imp in p.imports:
            if p.package in CONTEXTS and imp.target_context in CONTEXTS and imp.target_context != p.package:
                edges.add((p.package, imp.target_context))
    return edges


# Vocabulary for generated code and commit messages ------------------------------------

NOUNS: dict[str, tuple[str, ...]] = {
    "accounts": ("customer", "session", "address", "password", "profile", "login", "email"),
    "catalog": ("product", "category", "price", "tax_class", "variant", "image", "sku"),
    "search": ("document", "synonym", "query", "suggestion", "ranking", "facet"),
    "inventory": ("stock", "warehouse", "movement", "reservation", "threshold", "count"),
    "orders": ("order", "order_line", "cart", "checkout", "status", "total"),
    "shipping": ("shipment", "carrier", "label", "tracking", "parcel", "rate"),
    "billing": ("invoice", "payment", "refund", "tax", "credit_note", "total"),
    "notifications": ("message", "template", "subscription", "recipient", "digest", "outbox"),
    "ingestion": ("batch", "record", "feed", "supplier", "row", "mapping"),
    "analytics": ("report", "event", "metric", "revenue", "cohort", "export"),
    "platform": ("setting", "connection", "handler", "topic"),
}

VERBS: tuple[str, ...] = (
    "get", "list", "create", "update", "validate", "calculate", "apply", "sync", "load",
    "export", "refresh", "cancel", "format", "resolve", "merge", "archive", "count",
)

TOPICS: dict[str, tuple[str, ...]] = {
    "accounts": ("login throttling", "password reset emails", "session expiry", "address validation",
                 "signup form errors", "email normalisation", "staff permissions", "profile caching"),
    "catalog": ("product slugs", "category tree ordering", "price rounding", "tax class lookup",
                "variant images", "SKU validation", "product admin filters", "price history"),
    "search": ("synonym expansion", "suggestion ranking", "index rebuild", "facet counts",
               "query parsing", "empty result pages", "stemming for German"),
    "inventory": ("stock reservations", "warehouse lookup", "low-stock threshold", "movement log",
                  "negative stock guard", "cycle counts"),
    "orders": ("checkout validation", "order status transitions", "cart merging", "order list paging",
               "order totals", "cancellation window", "duplicate checkout guard"),
    "shipping": ("carrier selection", "label printing", "tracking updates", "parcel weights",
                 "shipping rates", "delivery estimates"),
    "billing": ("invoice totals", "VAT rounding", "payment retries", "refund reasons", "credit notes",
                "invoice numbering", "card declines"),
    "notifications": ("email templates", "digest batching", "unsubscribe links", "outbox retries",
                      "back-in-stock alerts", "push payloads"),
    "ingestion": ("CSV feed parsing", "supplier mappings", "batch retries", "XML feed encoding",
                  "duplicate rows", "feed validation"),
    "analytics": ("daily revenue report", "event schema", "export format", "cohort query",
                  "report caching", "timezone handling in reports"),
}

#: Commit subjects for the pairs that change together on purpose.
PAIR_SUBJECTS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("billing", "orders"): ("Invoice only paid orders", "Mark orders paid from payment callbacks",
                            "Use order totals in invoice builder", "Handle partial refunds on orders",
                            "Keep invoice and order status in sync", "Add order reference to invoices"),
    ("billing", "accounts"): ("Use billing profile for invoice address", "Store VAT id on customer profile",
                              "Show invoices on the account page", "Send invoices to the billing contact",
                              "Validate company names for invoices"),
    ("billing", "catalog"): ("Read tax class from products when invoicing", "Apply reduced VAT for books",
                             "Round catalog prices like invoices do", "Add tax class to product admin",
                             "Include product SKU on invoice lines"),
    ("billing", "shipping"): ("Charge shipping costs on invoices", "Invoice express shipping separately",
                              "Add carrier surcharge to invoice totals", "Refund shipping on cancelled shipments",
                              "Use shipping rates in invoice preview"),
    ("inventory", "orders"): ("Reserve stock during checkout", "Release reservations on cancel",
                              "Decrement stock when orders ship", "Check availability before checkout"),
    ("catalog", "search"): ("Reindex products on price change", "Index product categories",
                            "Share product slug function with search", "Drop deleted products from the index"),
}
