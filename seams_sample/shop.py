"""What the SYNTHETIC shop does at runtime: its endpoints, consumers and jobs.

Each method of :class:`Shop` runs one piece of the shop's code on a
:class:`~seams_sample.simulator.Job`: which contexts it calls synchronously (INTERNAL
spans), which statements it sends (and which tables it writes), which messages it
publishes and which consumers they start later. The planted characteristics live here:

- billing calls orders, accounts and catalog synchronously;
- seven contexts call notifications synchronously and insert into ``notifications_outbox``
  themselves; the outbox consumer starts a new trace with neither parent nor link;
- orders updates ``inventory_stock`` directly (the only table two owners write);
- search and shipping code runs untraced;
- ingestion's nightly batches spend seconds of self time each.

Literal secrets (:data:`SECRETS`) are planted in SQL literals, DETAIL parameters and span
attributes so that privacy tests have something to look for.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from seams_sample import world
from seams_sample.simulator import Job, Simulator

#: Share of web requests (and of new traces started by workers) that are sampled.
WEB_SAMPLE_RATE = 0.45

#: Secrets planted in SQL literals, DETAIL parameters and span attributes (see PLANTED.md).
SECRETS: dict[str, str] = {
    "customer email": "margaret.hale@example.test",
    "card number": "4111111111111111",
    "session token": "sess_5f2b9c1e7d3a4f60b8e2c9d1a7f4e3b2",
    "password hash": "pbkdf2_sha256$600000$Zq8LrT2vNc$Hk3mV9pXw7YbQe1sRt5uJo2aLd8fGh4Kz6cPn0xWy3E=",
    "supplier API key": "sk_live_shopfront_9Qx7Lm2Pz8Kd4Rt6",
}

FIRST_NAMES = ("anna", "ben", "carla", "deniz", "emil", "fatima", "georg", "hana", "ivan", "julia", "kofi",
               "lena", "mateo", "nora", "oskar", "paula", "quinn", "rosa", "sami", "tara", "umar", "vera")
LAST_NAMES = ("adams", "berg", "costa", "diaz", "evans", "fischer", "garcia", "horvat", "ito", "jansen",
              "kowalski", "larsen", "meyer", "novak", "olsen", "perez", "quint", "rossi", "silva", "tanaka")
SEARCH_TERMS = ("red shoes", "rain jacket", "usb c cable", "espresso", "yoga mat", "desk lamp", "wool socks",
                "phone case", "garden hose", "backpack", "headphones", "running shoes", "gift card", "tea")


# ------------------------------------------------------------------------------------
# the shop's behaviour


class Shop:
    """What each endpoint, consumer and job of the shop does, in spans and statements."""

    def __init__(self, sim: Simulator):
        self.sim = sim
        self.rng = sim.rng
        self.order_seq = 418_000
        self.invoice_seq = 92_000
        self.outbox_seq = 1_250_000
        self.batch_seq = 7_400
        self.errors_planted: Counter = Counter()

    # ---- data --------------------------------------------------------------------------
    def secret(self, kind: str, fallback: str) -> str:
        planted = self.sim.facts.secrets_planted
        if planted[kind] < 2 or self.rng.random() < 0.01:
            planted[kind] += 1
            return SECRETS[kind]
        return fallback

    def customer(self) -> tuple[int, str, str]:
        rng = self.rng
        cid = int(60_000 * rng.random() ** 2) + 1
        first, last = FIRST_NAMES[cid % len(FIRST_NAMES)], LAST_NAMES[(cid // 7) % len(LAST_NAMES)]
        email = f"{first}.{last}{cid % 97}@mail.test"
        return cid, email, f"{first.title()} {last.title()}"

    def product(self) -> int:
        return int(8_000 * self.rng.random() ** 1.7) + 1

    def token(self) -> str:
        return f"sess_{self.rng.getrandbits(128):032x}"

    def card(self) -> str:
        return "4" + "".join(str(self.rng.randrange(10)) for _ in range(15))

    def password_hash(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        salt = "".join(self.rng.choice(alphabet) for _ in range(10))
        digest = "".join(self.rng.choice(alphabet) for _ in range(43))
        return f"pbkdf2_sha256$600000${salt}${digest}="

    # ---- cross-context calls -----------------------------------------------------------
    def authenticate(self, job: Job) -> int:
        sim = self.sim
        cid = self.customer()[0]
        with sim.internal(job, "accounts", "middleware", "authenticate"):
            token = self.secret("session token", self.token())
            sim.query(job, f"SELECT s.user_id, s.expires_at FROM accounts_session s WHERE s.token = '{token}' "
                           f"AND s.expires_at > now()", lo=0.05, hi=0.6)
            sim.work(job, 0.05, 0.3)
        return cid

    def get_customer(self, job: Job, cid: int, function: str = "get_customer") -> None:
        sim = self.sim
        with sim.internal(job, "accounts", "services", function):
            sim.query(job, f"SELECT id, email, name, last_login FROM accounts_user WHERE id = {cid}", lo=0.05, hi=0.8)
            if function == "get_billing_profile":
                sim.query(job, "SELECT a.line1, a.city, a.postcode, a.country\nFROM accounts_address a\n"
                               f"WHERE a.user_id = {cid}\nORDER BY a.id\nLIMIT 1", lo=0.05, hi=0.7)
            sim.work(job, 0.1, 0.8)

    def get_product(self, job: Job, pid: int) -> None:
        sim = self.sim
        with sim.internal(job, "catalog", "services", "get_product"):
            sim.query(job, f"SELECT id, sku, name, category_id, tax_class FROM catalog_product WHERE id = {pid}",
                      lo=0.05, hi=0.9)
            sim.work(job, 0.05, 0.5)

    def get_prices(self, job: Job, pids: list[int]) -> None:
        sim = self.sim
        with sim.internal(job, "catalog", "services", "get_prices"):
            ids = ", ".join(map(str, pids))
            sim.query(job, f"SELECT product_id, amount_cents, currency FROM catalog_price WHERE product_id IN ({ids})",
                      lo=0.08, hi=1.2)
            sim.work(job, 0.1, 0.6)

    def notify(self, job: Job, caller: str, function: str, event: str, recipient: str | None,
               insert: bool = True) -> None:
        """A synchronous call into notifications, then (if ``insert``) the caller writes the outbox row."""
        sim = self.sim
        rng = self.rng
        job.notified = True
        with sim.internal(job, "notifications", "services", function):
            if function == "check_back_in_stock":
                sim.query(job, "SELECT id, user_id FROM notifications_subscription WHERE product_id = "
                               f"{self.product()} AND kind = 'back_in_stock'", lo=0.06, hi=1.4)
            elif function == "should_alert":
                sim.query(job, f"SELECT count(*) FROM notifications_subscription WHERE user_id = {rng.randint(1, 60000)} "
                               "AND kind = 'alerts'", lo=0.05, hi=0.9)
            else:
                sim.query(job, f"SELECT subject, body FROM notifications_template WHERE event = '{event}'",
                          lo=0.04, hi=0.6)
                sim.work(job, 0.5, 4.0)   # rendering the template
        if not insert:
            return
        self.outbox_seq += 1
        recipient = recipient or self.customer()[1]
        # each context wrote its own copy of the outbox insert; orders lists the columns differently
        if caller == "orders":
            columns, values = "(recipient, event, payload, created_at)", (recipient, event)
        else:
            columns, values = "(event, recipient, payload, created_at)", (event, recipient)
        payload = f'{{"ref": {rng.randint(1000, 999999)}, "source": "{caller}"}}'
        sim.query(job, f"INSERT INTO notifications_outbox {columns} VALUES ($1, $2, $3, now()) RETURNING id",
                  (*values, payload), lo=0.1, hi=1.5)
        sim.publish(job, "notifications.outbox")
        self.later(job.t + self.sim.ms(200, 6000), "deliver_notification", self.outbox_seq)

    def later(self, t: int, what: str, *args) -> None:
        self.sim.pending.append((t, what, args))

    # ---- web requests ------------------------------------------------------------------
    def web_request(self, t: int, ep: world.Endpoint) -> None:
        sim = self.sim
        rng = self.rng
        traced = ep.context not in world.UNTRACED
        sampled = traced and rng.random() < WEB_SAMPLE_RATE
        tags = {"controller": ep.controller, "framework": "django:4.2.7", "route": ep.django_route}
        comment = ("full" if sampled else None) if traced else ("tags" if ep.context == "shipping" else None)
        job = Job("shopfront-web", "shopfront_web", sim.pools["web"].pid(rng, t), sampled,
                  sim.trace_id() if sampled else None, t, comment, tags)
        path_values = {p: rng.randint(1, 900_000) for p in ep.params}
        url = ep.route
        for k, v in path_values.items():
            url = url.replace("{" + k + "}", str(v))
        status = 200
        attrs = [("http.request.method", ep.method), ("http.route", ep.route), ("url.path", url),
                 ("url.scheme", "https"), ("server.address", "shop.example.test"),
                 ("client.address", f"10.8.{rng.randint(0, 255)}.{rng.randint(1, 254)}")]
        with sim.span(job, ep.span_name, "SERVER", "django", attrs, ctx=None) as server:
            sim.work(job, 0.5, 4.0)   # middleware
            with sim.internal(job, ep.context, "views", ep.view):
                status = getattr(self, f"ep_{ep.context}_{ep.view}")(job, path_values) or 200
                sim.work(job, 3.0, 40.0)  # serializing the response
            sim.work(job, 0.1, 0.9)
            if server is not None:
                server.attrs.append(("http.response.status_code", status))
                if status >= 500:
                    server.status = 2
        if traced:
            sim.facts.roots_by_context[ep.context] += 1
            if job.notified:
                sim.facts.notifying_roots_by_context[ep.context] += 1

    # accounts ---------------------------------------------------------------------------
    def ep_accounts_me(self, job: Job, p: dict) -> int:
        sim = self.sim
        cid = self.authenticate(job)
        with sim.internal(job, "accounts", "services", "get_customer"):
            sim.query(job, f"SELECT id, email, name, last_login FROM accounts_user WHERE id = {cid}", lo=0.05, hi=0.8)
            sim.query(job, "SELECT a.id, a.line1, a.city, a.postcode, a.country\nFROM accounts_address a\n"
                           f"WHERE a.user_id = {cid}\nORDER BY a.id", lo=0.05, hi=0.9)
            if self.rng.random() < 0.5:   # the unread-notifications badge
                self.notify(job, "accounts", "should_alert", "unread_count", None, insert=False)
        return 200

    def ep_accounts_login(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        cid, email, _ = self.customer()
        email = self.secret("customer email", email)
        with sim.internal(job, "accounts", "services", "login"):
            sim.query(job, f"SELECT id, password_hash FROM accounts_user WHERE email = '{email}'", lo=0.08, hi=1.2)
            sim.work(job, 25.0, 70.0)    # password hashing
            if rng.random() < 0.08:
                return 401
            sim.query(job, f"UPDATE accounts_user SET last_login = now() WHERE id = {cid}", lo=0.1, hi=1.5)
            sim.query(job, "INSERT INTO accounts_session (user_id, token, expires_at) VALUES ($1, $2, $3)",
                      (cid, self.token(), "2026-11-14 00:00:00+00"), lo=0.1, hi=1.2)
            if rng.random() < 0.9:
                alert = rng.random() < 0.3
                self.notify(job, "accounts", "should_alert", "login_alert", email, insert=alert)
        return 200

    def ep_accounts_signup(self, job: Job, p: dict) -> int:
        sim = self.sim
        cid, email, name = self.customer()
        pw = self.secret("password hash", self.password_hash())
        with sim.internal(job, "accounts", "services", "signup"):
            sim.work(job, 25.0, 70.0)
            sim.query(job, "BEGIN", lo=0.005, hi=0.02)
            sql = (f"INSERT INTO accounts_user (email, name, password_hash, created_at) VALUES ('{email}', "
                   f"'{name}', '{pw}', now()) RETURNING id")
            if self.failing("unique violation", 0.08):
                sim.query(job, sql, error=("duplicate key value violates unique constraint \"accounts_user_email_key\"",
                                           [f"Key (email)=({email}) already exists."], ()))
                sim.query(job, "ROLLBACK", lo=0.005, hi=0.02)
                return 409
            sim.query(job, sql, lo=0.2, hi=2.0)
            sim.query(job, "COMMIT", lo=0.3, hi=2.5)
            self.notify(job, "accounts", "send", "welcome", email)
        return 201

    def ep_accounts_update_address(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        cid = self.authenticate(job)
        with sim.internal(job, "accounts", "services", "update_address"):
            sim.query(job, "UPDATE accounts_address SET line1 = $1, city = $2, postcode = $3 WHERE id = $4 AND user_id = $5",
                      (f"{rng.randint(1, 200)} {rng.choice(LAST_NAMES).title()} Street", rng.choice(("Leeds", "Lyon", "Graz", "Porto")),
                       f"{rng.randint(10000, 99999)}", p["address_id"], cid), lo=0.1, hi=1.5)
        return 200

    # catalog ----------------------------------------------------------------------------
    def ep_catalog_product_detail(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        pid = p["product_id"] % 8000 + 1
        with sim.internal(job, "catalog", "services", "product_detail"):
            sim.query(job, f"SELECT id, sku, name, category_id, tax_class FROM catalog_product WHERE id = {pid}", lo=0.05, hi=0.9)
            sim.query(job, f"SELECT amount_cents, currency FROM catalog_price WHERE product_id = {pid}", lo=0.04, hi=0.6)
            sim.work(job, 0.3, 3.0)
            if rng.random() < 0.65:
                self.notify(job, "catalog", "check_back_in_stock", "back_in_stock", None, insert=rng.random() < 0.04)
        if rng.random() < 0.03:
            return 404
        return 200

    def ep_catalog_category_products(self, job: Job, p: dict) -> int:
        sim = self.sim
        cat = p["category_id"] % 120 + 1
        with sim.internal(job, "catalog", "services", "category_products"):
            sim.query(job, "SELECT p.id, p.name, pr.amount_cents, s.quantity\n"
                           "FROM catalog_product p\n"
                           "JOIN catalog_price pr ON pr.product_id = p.id\n"
                           "JOIN inventory_stock s ON s.product_id = p.id\n"
                           f"WHERE p.category_id = {cat}\n"
                           f"ORDER BY p.name\nLIMIT 48 OFFSET {48 * self.rng.randint(0, 5)}", lo=0.8, hi=14.0)
            sim.work(job, 1.0, 6.0)
        return 200

    def ep_catalog_update_product(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        pid = p["product_id"] % 8000 + 1
        staff = self.authenticate(job)
        self.get_customer(job, staff, "get_staff_user")
        with sim.internal(job, "catalog", "services", "update_product"):
            sim.query(job, "UPDATE catalog_product SET name = $1, tax_class = $2, updated_at = now() WHERE id = $3",
                      (f"{rng.choice(SEARCH_TERMS).title()} {rng.randint(1, 99)}", rng.choice(("standard", "reduced")), pid),
                      lo=0.2, hi=2.0)
            sim.query(job, f"UPDATE catalog_price SET amount_cents = {rng.randint(199, 49999)} WHERE product_id = {pid}",
                      lo=0.1, hi=1.5)
            sim.publish(job, "catalog.product_changed")
            self.later(job.t + sim.ms(50, 3000), "reindex_product", pid)
            self.notify(job, "catalog", "send", "price_changed", None, insert=rng.random() < 0.5)
        return 200

    # search (untraced) -----------------------------------------------------------------
    def failing(self, kind: str, share: float) -> bool:
        """Whether this statement fails: the first of each kind does (so every log has one), then ``share``."""
        if self.errors_planted[kind] == 0 or self.rng.random() < share:
            self.errors_planted[kind] += 1
            return True
        return False

    def ep_search_search_products(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        term = rng.choice(SEARCH_TERMS)
        with sim.internal(job, "search", "query", "search_products"):
            sim.query(job, "SELECT synonyms FROM search_synonym WHERE term = $1", (term,), lo=0.04, hi=0.4)
            sql = ("SELECT d.product_id, p.name, ts_rank(d.tsv, q) AS rank\n"
                   f"FROM search_document d, plainto_tsquery('english', '{term}') q\n"
                   "JOIN catalog_product p ON p.id = d.product_id\n"
                   "WHERE d.tsv @@ q\nORDER BY rank DESC\nLIMIT 24")
            if self.failing("statement timeout", 0.002):
                sim.work(job, 5000.0, 5001.0)
                sim.query(job, sql, error=("canceling statement due to statement timeout", [], ()))
                return 500
            sim.query(job, sql, lo=1.0, hi=25.0)
            sim.query(job, "SELECT p.category_id, count(*)\nFROM search_document d\n"
                           "JOIN catalog_product p ON p.id = d.product_id\n"
                           f"WHERE d.tsv @@ plainto_tsquery('english', '{term}')\nGROUP BY p.category_id", lo=0.5, hi=12.0)
        return 200

    def ep_search_suggest(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        term = rng.choice(SEARCH_TERMS)
        prefix = term[: rng.randint(2, min(6, len(term)))].replace("'", "")
        with sim.internal(job, "search", "query", "suggest"):
            sim.query(job, f"SELECT synonyms FROM search_synonym WHERE term = '{prefix}'", lo=0.03, hi=0.3)
            # the prefix lookup goes through psycopg 3 (server-side parameters)
            sim.query(job, "SELECT title FROM search_document WHERE title ILIKE $1 ORDER BY title LIMIT 8", (prefix + "%",),
                      lo=0.2, hi=4.0)
        return 200

    # inventory -------------------------------------------------------------------------
    def ep_inventory_stock_level(self, job: Job, p: dict) -> int:
        sim = self.sim
        pid = p["product_id"] % 8000 + 1
        with sim.internal(job, "inventory", "services", "stock_level"):
            sim.query(job, f"SELECT warehouse_id, quantity, reserved FROM inventory_stock WHERE product_id = {pid}",
                      lo=0.05, hi=0.8)
            self.get_product(job, pid)
            if self.rng.random() < 0.7:
                self.notify(job, "inventory", "check_back_in_stock", "back_in_stock", None, insert=False)
        return 200

    def ep_inventory_adjust_stock(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        pid = self.product()
        delta = rng.choice((-3, -1, 5, 10, 20, 50))
        with sim.internal(job, "inventory", "services", "adjust_stock"):
            self.get_product(job, pid)
            sim.query(job, "UPDATE inventory_stock SET quantity = quantity + $1 WHERE product_id = $2 AND warehouse_id = $3",
                      (delta, pid, rng.randint(1, 6)), lo=0.1, hi=1.5)
            sim.query(job, "INSERT INTO inventory_movement (product_id, delta, reason, created_at) VALUES ($1, $2, $3, now())",
                      (pid, delta, rng.choice(("recount", "damaged", "delivery"))), lo=0.1, hi=1.2)
            if rng.random() < 0.9:
                self.notify(job, "inventory", "should_alert", "stock_low", None, insert=rng.random() < 0.4)
        return 200

    # orders ------------------------------------------------------------------------------
    def ep_orders_detail(self, job: Job, p: dict) -> int:
        sim = self.sim
        cid = self.authenticate(job)
        oid = p["order_id"]
        with sim.internal(job, "orders", "services", "get_order"):
            sim.query(job, f"SELECT id, customer_id, status, total_cents, created_at FROM orders_order WHERE id = {oid}",
                      lo=0.05, hi=0.9)
            sim.query(job, "SELECT l.id, l.product_id, l.quantity, l.unit_price_cents\n"
                           f"FROM orders_orderline l\nWHERE l.order_id = {oid}\nORDER BY l.id", lo=0.05, hi=1.1)
            self.get_customer(job, cid)
            if self.rng.random() < 0.35:
                self.notify(job, "orders", "check_back_in_stock", "back_in_stock", None, insert=False)
        return 200

    def ep_orders_order_list(self, job: Job, p: dict) -> int:
        sim = self.sim
        cid = self.authenticate(job)
        with sim.internal(job, "orders", "services", "order_list"):
            sim.query(job, "SELECT id, status, total_cents, created_at FROM orders_order "
                           f"WHERE customer_id = {cid} ORDER BY created_at DESC LIMIT 20", lo=0.1, hi=2.5)
        return 200

    def ep_orders_checkout(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        cid = self.authenticate(job)
        self.order_seq += 1
        oid = self.order_seq
        pids = sorted({self.product() for _ in range(rng.randint(1, 4))})
        email = self.customer()[1]
        with sim.internal(job, "orders", "checkout", "checkout"):
            self.get_customer(job, cid)
            self.get_prices(job, pids)
            with sim.internal(job, "inventory", "services", "check_availability"):
                sim.query(job, "SELECT product_id, sum(quantity - reserved) AS available\nFROM inventory_stock\n"
                               f"WHERE product_id IN ({', '.join(map(str, pids))})\nGROUP BY product_id", lo=0.1, hi=1.5)
            sim.query(job, "BEGIN", lo=0.005, hi=0.02)
            total = 0
            sim.query(job, "INSERT INTO orders_order (customer_id, status, total_cents, created_at) "
                           "VALUES ($1, $2, $3, now()) RETURNING id", (cid, "placed", rng.randint(500, 40000)), lo=0.1, hi=1.5)
            for pid in pids:
                qty = rng.randint(1, 3)
                price = rng.randint(199, 9999)
                total += qty * price
                sim.query(job, "INSERT INTO orders_orderline (order_id, product_id, quantity, unit_price_cents) "
                               "VALUES ($1, $2, $3, $4)", (oid, pid, qty, price), lo=0.08, hi=1.0)
                upd = (f"UPDATE inventory_stock SET reserved = reserved + {qty} WHERE product_id = {pid} "
                       f"AND warehouse_id = {rng.randint(1, 6)}")
                if self.failing("deadlock", 0.003):
                    other = sim.new_pid()
                    sim.query(job, upd, error=("deadlock detected", [
                        f"Process {job.pid} waits for ShareLock on transaction {rng.randint(9_000_000, 9_999_999)}; "
                        f"blocked by process {other}.\nProcess {other} waits for ShareLock on transaction "
                        f"{rng.randint(9_000_000, 9_999_999)}; blocked by process {job.pid}."],
                        (("HINT", "See server log for query details."),
                         ("CONTEXT", f"while updating tuple ({rng.randint(1, 900)},{rng.randint(1, 60)}) in relation \"inventory_stock\""))))
                    sim.query(job, "ROLLBACK", lo=0.005, hi=0.02)
                    return 500
                sim.query(job, upd, lo=0.1, hi=2.0)
            sim.query(job, "COMMIT", lo=0.3, hi=3.0)
            with sim.internal(job, "orders", "services", "confirm_order"):
                self.notify(job, "orders", "send", "order_placed", email)
                producer = sim.publish(job, "orders.events")
                self.later(job.t + sim.ms(20, 800), "order_event", job.trace_id if producer else None,
                           producer.span_id if producer else None, oid)
        return 201

    def ep_orders_cancel(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        self.authenticate(job)
        oid = p["order_id"]
        with sim.internal(job, "orders", "services", "cancel_order"):
            sim.query(job, f"UPDATE orders_order SET status = 'cancelled' WHERE id = {oid} AND status = 'placed'",
                      lo=0.1, hi=1.2)
            sim.query(job, f"UPDATE inventory_stock SET reserved = reserved - {rng.randint(1, 3)} "
                           f"WHERE product_id = {self.product()} AND warehouse_id = {rng.randint(1, 6)}", lo=0.1, hi=1.2)
            self.notify(job, "orders", "send", "order_cancelled", None)
        return 200

    # shipping (untraced) -----------------------------------------------------------
    def ep_shipping_track(self, job: Job, p: dict) -> int:
        sim = self.sim
        sid = p["shipment_id"]
        with sim.internal(job, "shipping", "services", "track"):
            sim.query(job, f"SELECT id, order_id, carrier_id, tracking_code, status FROM shipping_shipment WHERE id = {sid}",
                      lo=0.05, hi=0.8)
            sim.query(job, f"SELECT code, name FROM shipping_carrier WHERE id = {sid % 5 + 1}", lo=0.03, hi=0.3)
        return 200

    def ep_shipping_create_shipment(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        oid = rng.randint(400_000, self.order_seq)
        with sim.internal(job, "shipping", "services", "create_shipment"):
            sim.query(job, f"SELECT id, customer_id, status FROM orders_order WHERE id = {oid}", lo=0.05, hi=0.8)
            sim.query(job, "SELECT a.line1, a.city, a.postcode, a.country\nFROM accounts_address a\n"
                           f"JOIN orders_order o ON o.customer_id = a.user_id\nWHERE o.id = {oid}", lo=0.1, hi=1.5)
            sim.query(job, "INSERT INTO shipping_shipment (order_id, carrier_id, tracking_code, status) VALUES ($1, $2, $3, $4)",
                      (oid, rng.randint(1, 5), f"TRK{rng.getrandbits(40):010X}", "label_created"), lo=0.1, hi=1.5)
        return 201

    # billing ------------------------------------------------------------------------------
    def ep_billing_create_invoice(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        cid = self.authenticate(job)
        oid = rng.randint(400_000, self.order_seq)
        self.invoice_seq += 1
        with sim.internal(job, "billing", "services", "create_invoice"):
            with sim.internal(job, "orders", "services", "get_order"):
                sim.query(job, f"SELECT id, customer_id, status, total_cents, created_at FROM orders_order WHERE id = {oid}",
                          lo=0.05, hi=0.9)
                sim.query(job, "SELECT l.id, l.product_id, l.quantity, l.unit_price_cents\n"
                               f"FROM orders_orderline l\nWHERE l.order_id = {oid}\nORDER BY l.id", lo=0.05, hi=1.1)
            self.get_customer(job, cid, "get_billing_profile")
            pids = sorted({self.product() for _ in range(rng.randint(1, 3))})
            with sim.internal(job, "catalog", "services", "get_tax_class"):
                sim.query(job, f"SELECT id, tax_class FROM catalog_product WHERE id IN ({', '.join(map(str, pids))})",
                          lo=0.05, hi=0.9)
            with sim.internal(job, "billing", "invoicing", "build_invoice"):
                sim.work(job, 1.0, 8.0)
                sim.query(job, "INSERT INTO billing_invoice (order_id, number, total_cents, tax_cents, created_at) "
                               "VALUES ($1, $2, $3, $4, now()) RETURNING id",
                          (oid, f"INV-2026-{self.invoice_seq:06d}", rng.randint(500, 40000), rng.randint(50, 7000)),
                          lo=0.1, hi=1.5)
            self.notify(job, "billing", "send", "invoice_issued", None)
        return 201

    def ep_billing_invoice_detail(self, job: Job, p: dict) -> int:
        sim = self.sim
        cid = self.authenticate(job)
        with sim.internal(job, "billing", "services", "invoice_detail"):
            sim.query(job, "SELECT id, order_id, number, total_cents, tax_cents FROM billing_invoice "
                           f"WHERE id = {p['invoice_id']}", lo=0.05, hi=0.8)
            self.get_customer(job, cid, "get_contact_email")
            with sim.internal(job, "orders", "services", "order_total"):
                sim.query(job, "SELECT sum(l.quantity * l.unit_price_cents)\nFROM orders_orderline l\n"
                               f"WHERE l.order_id = {self.rng.randint(400_000, self.order_seq)}", lo=0.05, hi=0.9)
            with sim.internal(job, "catalog", "services", "get_tax_class"):
                sim.query(job, f"SELECT id, tax_class FROM catalog_product WHERE id = {self.product()}", lo=0.04, hi=0.6)
            if self.rng.random() < 0.4:
                self.notify(job, "billing", "should_alert", "invoice_viewed", None, insert=False)
        return 200

    def ep_billing_pay(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        self.authenticate(job)
        oid = rng.randint(400_000, self.order_seq)
        card = self.secret("card number", self.card())
        amount = rng.randint(500, 40000)
        with sim.internal(job, "billing", "payments", "record_payment"):
            sim.work(job, 80.0, 400.0)   # the card processor (not instrumented)
            sim.query(job, "BEGIN", lo=0.005, hi=0.02)
            declined = self.failing("check violation", 0.008)
            sql = (f"INSERT INTO billing_payment (invoice_id, amount_cents, card_number, status) VALUES "
                   f"({rng.randint(90_000, self.invoice_seq)}, {-amount if declined else amount}, '{card}', 'authorized')")
            if declined:
                sim.query(job, sql, error=("new row for relation \"billing_payment\" violates check constraint "
                                           "\"billing_payment_amount_cents_check\"",
                                           [f"Failing row contains ({rng.randint(1, 10**6)}, {rng.randint(90_000, 99_999)}, -{amount}, {card}, authorized)."], ()))
                sim.query(job, "ROLLBACK", lo=0.005, hi=0.02)
                return 500
            sim.query(job, sql, lo=0.1, hi=1.5)
            with sim.internal(job, "orders", "services", "mark_paid"):
                sim.query(job, f"UPDATE orders_order SET status = 'paid' WHERE id = {oid}", lo=0.1, hi=1.2)
            sim.query(job, "COMMIT", lo=0.3, hi=3.0)
            self.notify(job, "billing", "send", "payment_received", None)
        return 201

    # notifications ---------------------------------------------------------------------
    def ep_notifications_inbox(self, job: Job, p: dict) -> int:
        sim = self.sim
        self.authenticate(job)
        with sim.internal(job, "notifications", "services", "inbox"):
            sim.query(job, "SELECT id, event, payload, sent_at FROM notifications_outbox "
                           f"WHERE recipient = '{self.customer()[1]}' ORDER BY id DESC LIMIT 50", lo=0.2, hi=4.0)
        return 200

    # analytics ---------------------------------------------------------------------------
    def orders_between(self, job: Job, day: str) -> None:
        sim = self.sim
        with sim.internal(job, "orders", "services", "orders_between"):
            sim.query(job, "SELECT date_trunc('hour', o.created_at) AS hour, count(*) AS orders, sum(o.total_cents) AS revenue\n"
                           "FROM orders_order o\n"
                           f"WHERE o.created_at >= '{day}' AND o.created_at < '{day}'::date + 1\n"
                           "GROUP BY 1\nORDER BY 1", lo=2.0, hi=40.0)

    def ep_analytics_daily_report(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        day = f"2026-10-{rng.randint(1, 30):02d}"
        with sim.internal(job, "analytics", "reports", "daily_report"):
            sim.query(job, f"SELECT day, orders, revenue_cents FROM analytics_dailyreport WHERE day >= '{day}' ORDER BY day",
                      lo=0.1, hi=2.0)
            self.orders_between(job, day)
            self.get_product(job, self.product())
            if rng.random() < 0.8:
                self.notify(job, "analytics", "should_alert", "report_viewed", None, insert=False)
        return 200

    def ep_analytics_export(self, job: Job, p: dict) -> int:
        sim, rng = self.sim, self.rng
        day = f"2026-10-{rng.randint(1, 30):02d}"
        with sim.internal(job, "analytics", "services", "export"):
            self.orders_between(job, day)
            sim.work(job, 5.0, 30.0)
            self.notify(job, "analytics", "send", "report_ready", None)
        return 202

    # ---- workers ----------------------------------------------------------------------
    def deliver_notification(self, t: int, outbox_id: int) -> None:
        """The outbox consumer: a new trace, no parent, no link (the context is lost)."""
        sim, rng = self.sim, self.rng
        sampled = rng.random() < WEB_SAMPLE_RATE
        job = Job("shopfront-worker", "shopfront_worker", sim.pools["worker"].pid(rng, t), sampled,
                  sim.trace_id() if sampled else None, t, "trace" if sampled else None,
                  {"db_driver": "psycopg:3.1.12"})
        attrs = [("messaging.system", "rabbitmq"), ("messaging.destination.name", "notifications.outbox"),
                 ("messaging.operation", "process"), ("code.namespace", "shopfront.notifications.tasks"),
                 ("code.function", "deliver")]
        with sim.span(job, "notifications.outbox process", "CONSUMER", "pika", attrs, ctx="notifications"):
            sim.query(job, "SELECT id, event, recipient, payload FROM notifications_outbox WHERE id = $1 FOR UPDATE SKIP LOCKED",
                      (outbox_id,), lo=0.08, hi=1.2)
            with sim.internal(job, "notifications", "delivery", "send_email"):
                sim.work(job, 0.5, 3.0)
                attrs = [("http.request.method", "POST"), ("server.address", "api.mailrelay.test"),
                         ("url.full", "https://api.mailrelay.test/v3/mail/send")]
                with sim.span(job, "POST", "CLIENT", "requests", attrs) as http:
                    sim.work(job, 40.0, 300.0)
                    if http is not None:
                        http.attrs.append(("http.response.status_code", 202))
            sim.query(job, "UPDATE notifications_outbox SET sent_at = now() WHERE id = $1", (outbox_id,), lo=0.08, hi=1.0)
        if sampled:
            sim.facts.notification_consumers += 1

    def order_event(self, t: int, trace_id: str | None, parent: str | None, oid: int) -> None:
        """orders.events: analytics (traced, parented) and shipping (untraced) consume it."""
        sim, rng = self.sim, self.rng
        job = Job("shopfront-worker", "shopfront_worker", sim.pools["worker"].pid(rng, t), trace_id is not None,
                  trace_id, t, "trace" if trace_id else None, {"db_driver": "psycopg:3.1.12"}, parent=parent)
        attrs = [("messaging.system", "rabbitmq"), ("messaging.destination.name", "orders.events"),
                 ("messaging.operation", "process"), ("code.namespace", "shopfront.analytics.tasks"),
                 ("code.function", "record_event")]
        with sim.span(job, "orders.events process", "CONSUMER", "pika", attrs, ctx="analytics"):
            sim.work(job, 0.2, 2.0)
            sim.query(job, "INSERT INTO analytics_event (kind, order_id, created_at) VALUES ($1, $2, now())",
                      ("order_placed", oid), lo=0.08, hi=1.0)
        # shipping's consumer runs without instrumentation
        t2 = t + sim.ms(5, 400)
        job2 = Job("shopfront-worker", "shopfront_worker", sim.pools["worker"].pid(rng, t2), False, None, t2, None)
        with sim.internal(job2, "shipping", "tasks", "create_shipment"):
            sim.query(job2, f"SELECT id, customer_id, status FROM orders_order WHERE id = {oid}", lo=0.05, hi=0.8)
            sim.query(job2, "INSERT INTO shipping_shipment (order_id, carrier_id, tracking_code, status) VALUES ($1, $2, $3, $4)",
                      (oid, rng.randint(1, 5), f"TRK{rng.getrandbits(40):010X}", "pending"), lo=0.1, hi=1.5)

    def reindex_product(self, t: int, pid: int) -> None:
        """catalog.product_changed, consumed by search's worker (no spans, no comments)."""
        sim, rng = self.sim, self.rng
        job = Job("shopfront-worker", "shopfront_worker", sim.pools["worker"].pid(rng, t), False, None, t, None)
        with sim.internal(job, "search", "indexer", "reindex_product"):
            sim.query(job, "SELECT p.id, p.name, c.name AS category\nFROM catalog_product p\n"
                           f"JOIN catalog_category c ON c.id = p.category_id\nWHERE p.id = {pid}", lo=0.05, hi=0.9)
            sim.query(job, "INSERT INTO search_document (product_id, title, tsv)\n"
                           f"VALUES ({pid}, '{rng.choice(SEARCH_TERMS).title()}', to_tsvector('english', "
                           f"'{rng.choice(SEARCH_TERMS)}'))\n"
                           "ON CONFLICT (product_id) DO UPDATE SET title = EXCLUDED.title, tsv = EXCLUDED.tsv",
                      lo=0.2, hi=2.5)

    # ---- ingestion -----------------------------------------------------------------------
    def poll_feeds(self, t: int) -> None:
        sim, rng = self.sim, self.rng
        job = Job("shopfront-ingest", "shopfront_ingest", sim.pools["ingest"].pid(rng, t), True, sim.trace_id(), t,
                  "trace", {"db_driver": "psycopg:3.1.12"})
        with sim.internal(job, "ingestion", "tasks", "poll_feeds"):
            sim.work(job, 5.0, 30.0)      # asks each supplier's endpoint whether a feed is ready
            if rng.random() < 0.25:
                sim.query(job, "SELECT id, feed FROM ingestion_batch WHERE status = $1 ORDER BY id LIMIT 10", ("pending",),
                          lo=0.05, hi=0.6)
        sim.facts.roots_by_context["ingestion"] += 1

    def nightly_import(self, t: int, batches: int) -> None:
        """The scheduler publishes one message per supplier batch; consumers run 01:00-03:00."""
        sim, rng = self.sim, self.rng
        job = Job("shopfront-ingest", "shopfront_ingest", sim.pools["ingest"].pid(rng, t), True, sim.trace_id(), t,
                  "trace", {"db_driver": "psycopg:3.1.12"})
        starts = sorted(rng.triangular(0, 110, 50) for _ in range(batches))
        with sim.internal(job, "ingestion", "tasks", "schedule_nightly_import"):
            key = self.secret("supplier API key", f"sk_live_{rng.getrandbits(64):016x}")
            ids = []
            for _ in range(batches):
                self.batch_seq += 1
                ids.append(self.batch_seq)
            sim.query(job, "INSERT INTO ingestion_batch (feed, status, records, created_at)\n"
                           f"SELECT 'supplier-' || g, 'pending', 0, now() FROM generate_series(1, {batches}) AS g",
                      lo=0.5, hi=4.0)
            sim.query(job, "UPDATE ingestion_batch SET feed = $1 WHERE id = $2",
                      (f"https://feeds.supplier.test/v2/export.csv?api_key={key}", ids[0]), lo=0.1, hi=0.8)
            for batch_id, start in zip(ids, starts):
                producer = sim.publish(job, "ingestion.batches")
                link = (producer.trace_id, producer.span_id) if producer else None
                self.later(t + int((30 + start * 60) * 1e9), "import_batch", batch_id, link, key)
        sim.facts.roots_by_context["ingestion"] += 1

    def import_batch(self, t: int, batch_id: int, link: tuple | None, key: str) -> None:
        sim, rng = self.sim, self.rng
        job = Job("shopfront-ingest", "shopfront_ingest", sim.pools["ingest"].pid(rng, t), True, sim.trace_id(), t,
                  "trace", {"db_driver": "psycopg:3.1.12"})
        attrs = [("messaging.system", "rabbitmq"), ("messaging.destination.name", "ingestion.batches"),
                 ("messaging.operation", "process"), ("code.namespace", "shopfront.ingestion.pipeline"),
                 ("code.function", "run_batch")]
        rows = rng.randint(2_000, 40_000)
        with sim.span(job, "ingestion.batches process", "CONSUMER", "pika", attrs, ctx="ingestion",
                      links=(link,) if link else ()):
            sim.query(job, "UPDATE ingestion_batch SET status = $1 WHERE id = $2", ("running", batch_id), lo=0.1, hi=1.0)
            attrs = [("http.request.method", "GET"), ("server.address", "feeds.supplier.test"),
                     ("url.full", f"https://feeds.supplier.test/v2/export.csv?api_key={key}")]
            with sim.span(job, "GET", "CLIENT", "requests", attrs) as http:
                sim.work(job, 300.0, 2500.0)
                if http is not None:
                    http.attrs.append(("http.response.status_code", 200))
            with sim.internal(job, "ingestion", "parsers", "parse_feed"):
                sim.work(job, 3_000.0, 14_000.0)
            sim.work(job, 1_000.0, 5_000.0)       # validation and mapping
            sim.query(job, "COPY ingestion_rawrecord (batch_id, line_no, payload) FROM STDIN", lo=150.0, hi=1_500.0)
            with sim.internal(job, "catalog", "services", "upsert_products"):
                sim.query(job, "UPDATE catalog_product AS p\nSET name = v.name, updated_at = now()\n"
                               "FROM (VALUES ($1::bigint, $2::text), ($3::bigint, $4::text)) AS v(id, name)\n"
                               "WHERE p.id = v.id", (self.product(), "Rain Jacket 2", self.product(), "Tea 40"),
                          lo=0.1, hi=0.6)
            with sim.internal(job, "inventory", "services", "apply_stock_feed"):
                sim.query(job, "UPDATE inventory_stock AS s\nSET quantity = v.quantity\n"
                               "FROM (VALUES ($1::bigint, $2::int), ($3::bigint, $4::int)) AS v(product_id, quantity)\n"
                               "WHERE s.product_id = v.product_id", (self.product(), rng.randint(0, 500), self.product(),
                                                                       rng.randint(0, 500)), lo=0.1, hi=0.6)
            failed = rng.random() < 0.02
            self.notify(job, "ingestion", "should_alert", "feed_failed", None, insert=failed)
            sim.query(job, "UPDATE ingestion_batch SET status = $1, records = $2 WHERE id = $3",
                      ("failed" if failed else "done", rows, batch_id), lo=0.1, hi=1.0)
        sim.facts.roots_by_context["ingestion"] += 1
        sim.facts.notifying_roots_by_context["ingestion"] += 1

    def nightly_report(self, t: int) -> None:
        sim, rng = self.sim, self.rng
        sampled = rng.random() < WEB_SAMPLE_RATE
        job = Job("shopfront-worker", "shopfront_worker", sim.pools["worker"].pid(rng, t), sampled,
                  sim.trace_id() if sampled else None, t, "trace" if sampled else None, {"db_driver": "psycopg:3.1.12"})
        day = dt.datetime.fromtimestamp(t / 1e9, tz=dt.UTC).date() - dt.timedelta(days=1)
        with sim.internal(job, "analytics", "tasks", "build_daily_report"):
            self.orders_between(job, day.isoformat())
            sim.query(job, "INSERT INTO analytics_dailyreport (day, orders, revenue_cents) VALUES ($1, $2, $3)",
                      (day.isoformat(), rng.randint(2000, 4000), rng.randint(10**7, 10**8)), lo=0.1, hi=1.0)
            self.notify(job, "analytics", "send", "report_ready", "reports@shopfront.test")

    # ---- periodic jobs (celery beat; not instrumented: no spans, no comments) ---------
    def expire_sessions(self, t: int) -> None:
        job = Job("shopfront-worker", "shopfront_worker", self.sim.pools["worker"].pid(self.rng, t), False, None, t, None)
        with self.sim.internal(job, "accounts", "tasks", "expire_sessions"):
            self.sim.query(job, "DELETE FROM accounts_session WHERE expires_at < now()", lo=0.2, hi=6.0)

    def abandon_carts(self, t: int) -> None:
        job = Job("shopfront-worker", "shopfront_worker", self.sim.pools["worker"].pid(self.rng, t), False, None, t, None)
        with self.sim.internal(job, "orders", "tasks", "abandon_carts"):
            self.sim.query(job, "DELETE FROM orders_cart WHERE updated_at < now() - interval '30 days'", lo=0.3, hi=9.0)

    # ---- housekeeping -------------------------------------------------------------------
    def health_check(self, t: int) -> None:
        job = Job("monitor", "monitor", self.sim.pools["monitor"].pid(self.rng, t), False, None, t, None)
        self.sim.query(job, "SELECT 1", lo=0.005, hi=0.03)

    def dba_session(self, t: int) -> None:
        sim, rng = self.sim, self.rng
        job = Job("psql", "dba", sim.new_pid(), False, None, t, None)
        port = rng.randint(40000, 60000)
        sim.emit(t, job.pid, "[unknown]@[unknown]", ("LOG", f"connection received: host=10.0.9.5 port={port}"))
        sim.emit(t + 3_000_000, job.pid, "dba@shopfront",
                 ("LOG", "connection authorized: user=dba database=shopfront application_name=psql"))
        job.t += 2 * 10**9
        for sql in rng.sample([
            "SELECT pid, state, wait_event_type, query_start FROM pg_stat_activity WHERE datname = 'shopfront'",
            "SELECT relname, n_live_tup, n_dead_tup FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT 10",
            "SELECT count(*) FROM orders_order WHERE created_at >= now() - interval '1 day'",
            "SELECT pg_size_pretty(pg_database_size('shopfront'))",
            f"SELECT id, email FROM accounts_user WHERE email = '{SECRETS['customer email']}'",
            "SELECT status, count(*) FROM ingestion_batch GROUP BY status",
        ], 3):
            sim.query(job, sql, lo=0.3, hi=60.0)
            job.t += int(rng.uniform(5, 90) * 1e9)
        sim.emit(job.t, job.pid, "dba@shopfront",
                 ("LOG", f"disconnection: session time: 0:0{(job.t - t) // 60_000_000_000}:"
                         f"{(job.t - t) // 10**9 % 60:02d}.{(job.t - t) // 10**6 % 1000:03d} user=dba database=shopfront "
                         f"host=10.0.9.5 port={port}"))
