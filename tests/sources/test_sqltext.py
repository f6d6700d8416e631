"""SQL text: sqlcommenter tags, normalization, fingerprints and table access."""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import pytest

from analysis.sources import sqltext
from analysis.sources.sqltext import TableAccess, fingerprint, normalize, strip_sqlcommenter, table_access

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


# --------------------------------------------------------------------------------------
# sqlcommenter


def test_sqlcommenter_tags_are_unquoted_sorted_and_filtered():
    sql = (
        "SELECT * FROM users WHERE id = 7 "
        f"/*traceparent='{TRACEPARENT}',route='%2Fusers%2F%3Aid',db_driver='psycopg2',controller='users'*/"
    )
    stripped, tags = strip_sqlcommenter(sql)
    assert stripped == "SELECT * FROM users WHERE id = 7"
    assert tags == {"controller": "users", "route": "/users/:id", "traceparent": TRACEPARENT}
    assert list(tags) == ["controller", "route", "traceparent"]


def test_sqlcommenter_before_semicolon_and_escaped_quote():
    stripped, tags = strip_sqlcommenter("UPDATE t SET a = 1 /*action='it\\'s',framework='django%3A4.2'*/ ;")
    assert stripped == "UPDATE t SET a = 1;"
    assert tags == {"action": "it's", "framework": "django:4.2"}


def test_marginalia_comment_is_read_too():
    stripped, tags = strip_sqlcommenter("SELECT 1 /*application:Shop,controller:orders,action:show*/")
    assert stripped == "SELECT 1"
    assert tags == {"action": "show", "application": "Shop", "controller": "orders"}


# the two comments of a statement run by Django under OpenTelemetry's Django and psycopg
# instrumentations (made-up ids): the request's span, then the statement's database span
DJANGO_COMMENT = ("/*app_name='dcim',controller='dcim%3Adevice',db_driver='django.db.backends.postgresql',"
                  "framework='django%3A5.2.9',route='dcim/devices/%3Cint%3Apk%3E/',"
                  "traceparent='00-5f0c1e2d3b4a59687766554433221100-1a2b3c4d5e6f7081-03'*/")
PSYCOPG_COMMENT = ("/*db_driver='psycopg%3A3.3.2',dbapi_level='2.0',dbapi_threadsafety=2,driver_paramstyle='pyformat',"
                   "libpq_version=150018,traceparent='00-5f0c1e2d3b4a59687766554433221100-9f8e7d6c5b4a3921-03'*/")


def test_otel_dbapi_comment_with_unquoted_numbers_keeps_its_traceparent():
    stripped, tags = strip_sqlcommenter(f"SELECT set_config('TimeZone', 'UTC', false) {PSYCOPG_COMMENT}")
    assert stripped == "SELECT set_config('TimeZone', 'UTC', false)"
    assert tags == {"traceparent": "00-5f0c1e2d3b4a59687766554433221100-9f8e7d6c5b4a3921-03"}


def test_framework_and_driver_comments_tie_the_statement_to_the_request_span():
    stripped, tags = strip_sqlcommenter(f'SELECT "t"."id" FROM "t" WHERE "t"."id" = 3 LIMIT 21 {DJANGO_COMMENT} {PSYCOPG_COMMENT}')
    assert stripped == 'SELECT "t"."id" FROM "t" WHERE "t"."id" = 3 LIMIT 21'
    assert tags == {  # every tag from Django's comment, the first: the request's span issued the statement
        "controller": "dcim:device", "framework": "django:5.2.9", "route": "dcim/devices/<int:pk>/",
        "traceparent": "00-5f0c1e2d3b4a59687766554433221100-1a2b3c4d5e6f7081-03",
    }


def test_doubled_percent_of_a_statement_without_parameters_is_decoded():
    # psycopg skips its %-substitution when there are no parameters, so %% reaches the server
    comment = DJANGO_COMMENT.replace("%", "%%").replace("route='dcim/devices/%%3Cint%%3Apk%%3E/'", "route='api/dcim/manufacturers/%%24'")
    stripped, tags = strip_sqlcommenter(f"SELECT pg_advisory_lock(110100) {comment} {PSYCOPG_COMMENT.replace('%', '%%')}")
    assert stripped == "SELECT pg_advisory_lock(110100)"
    assert (tags["route"], tags["controller"], tags["framework"]) == ("api/dcim/manufacturers/$", "dcim:device", "django:5.2.9")


def test_split_comments_takes_every_end_comment_and_lifts_traceparents():
    from analysis.sources.sqltext import comment_tags, lift_traceparent, split_comments

    sql, bodies = split_comments(f"/* plain */ SELECT 1 {DJANGO_COMMENT} /* remark */ {PSYCOPG_COMMENT};")
    assert sql == "SELECT 1;"
    assert bodies[0] == " plain " and bodies[2] == " remark " and len(bodies) == 4
    assert comment_tags(bodies)["traceparent"].endswith("1a2b3c4d5e6f7081-03")
    shape, value = lift_traceparent(bodies[3])
    assert value == "00-5f0c1e2d3b4a59687766554433221100-9f8e7d6c5b4a3921-03" and value not in shape
    assert lift_traceparent("route='x'") == ("route='x'", None)
    assert split_comments("SELECT '/*x*/'") == ("SELECT '/*x*/'", ())


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "SELECT 1 /* plain remark */",
        "SELECT /*route='x'*/ 1",  # not trailing
        "SELECT '/*route=''x''*/'",  # inside a literal, not a comment at the end
        "",
    ],
)
def test_statements_without_sqlcommenter_are_unchanged(sql):
    assert strip_sqlcommenter(sql) == (sql, {})


# --------------------------------------------------------------------------------------
# normalize


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELECT * FROM t1 WHERE id IN (1, 2, 3)", "select * from t1 where id in (?)"),
        ("select * from t where a in ($1,$2,$3) and b not in(4,5)", "select * from t where a in (?) and b not in (?)"),
        ("select * from t where a in (x, 1)", "select * from t where a in (x, ?)"),
        ("SELECT name FROM users WHERE name = 'O''Brien'", "select name from users where name = ?"),
        ("select E'it\\'s', e'a\\\\' from t", "select ?, ? from t"),
        ("select B'0101', X'ff', N'abc', U&'d\\0061t' from t", "select ?, ?, ?, ? from t"),
        ("select $$it's 'quoted'$$, $fn$ a $$ b $fn$ from t", "select ?, ? from t"),
        ("select col1, t2.c3, x$1 from t1, t2 where t2.c3 = 42", "select col1, t2.c3, x$1 from t1, t2 where t2.c3 = ?"),
        ("select $1, $2 from t where a = $10", "select ?, ? from t where a = ?"),
        ("select 1.5, .5, 3e10, 2.5E-3, 0x1F from t", "select ?, ?, ?, ?, ? from t"),
        ("update a set b = b + -4001, c = c - 1 where d = -2", "update a set b = b + ?, c = c - ? where d = ?"),
        ("select -1, (-2), x-3 from t", "select ?, (?), x-? from t"),
        ("SELECT  a,b\n\t FROM   t -- trailing remark\n WHERE c = TRUE /* block */ AND d IS NULL;",
         "select a, b from t where c = true and d is null"),
        ('SELECT "CamelCase"."Id", Other FROM "Schema"."Table"', 'select "CamelCase"."Id", other from "Schema"."Table"'),
        ("insert into t (a, b) values (1, 'x'), (2, 'y'),(3,'z')", "insert into t (a, b) values (?, ?)"),
        ("insert into t values (1, now()), (2, now())", "insert into t values (?, now())"),
        ("insert into t values (1, null), (2, 3)", "insert into t values (?, null), (?, ?)"),
        ("select * from t where a = any(ARRAY[1, 2, 3])", "select * from t where a = any(array[?])"),
        ("select '2026-01-01'::date, interval '1 day' from t", "select ?::date, interval ? from t"),
        ("BEGIN;", "begin"),
        ("", ""),
        ("/* only a comment */", ""),
    ],
)
def test_normalize(sql, expected):
    assert normalize(sql) == expected


def test_normalize_never_lets_a_literal_through():
    secrets = ["hunter2", "4111111111111111", "alice@example.com", "s3cr3t"]
    sql = (
        "SELECT * FROM users WHERE pw = 'hunter2' AND card = 4111111111111111 AND mail = E'alice@example.com' "
        "AND note = $q$s3cr3t$q$ AND broken = 'unterminated hunter2"
    )
    out = normalize(sql)
    assert not any(s in out for s in secrets)
    assert out.startswith("select * from users where pw = ? and card = ?")


def test_normalize_keeps_comment_markers_inside_literals_as_literals():
    assert normalize("select '-- not a comment', '/* nor this */' from t") == "select ?, ? from t"


def test_literal_variants_share_a_fingerprint():
    a = normalize("SELECT * FROM orders WHERE id = 1 AND status IN ('a', 'b')")
    b = normalize("select *   from orders where id = 982 and status in ('paid')")
    assert a == b
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(normalize("SELECT * FROM orders WHERE id = 1"))


def test_fingerprint_is_16_hex():
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint("select ?"))
    assert fingerprint("select ?") == fingerprint("select ?")


def test_huge_statement_is_cut_and_stays_literal_free():
    sql = "INSERT INTO t (a, b) VALUES " + ", ".join(f"({i}, 'secret{i}')" for i in range(300_000))
    assert len(sql) > 5_000_000
    started = time.perf_counter()
    out = normalize(sql)
    assert time.perf_counter() - started < 2.0
    assert out.startswith("insert into t (a, b) values (?, ?)")
    assert out.endswith(" ...")
    assert "secret" not in out
    assert len(out) < 1_000


def test_cut_inside_a_literal_does_not_leak_its_tail():
    out = normalize("select 'abc secret", max_chars=12)
    assert out == "select ? ..."


# --------------------------------------------------------------------------------------
# table_access


def access(sql: str, **kwargs) -> TableAccess:
    return table_access(normalize(sql), **kwargs)


def test_select_reads_and_joins():
    a = access("SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id, products p WHERE p.id = o.product_id")
    assert a == TableAccess(
        "SELECT",
        reads=frozenset({"orders", "customers", "products"}),
        joins=frozenset({("customers", "orders"), ("orders", "products"), ("customers", "products")}),
    )


def test_subquery_tables_are_read_but_not_joined_with_the_outer_from():
    a = access("SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE vip)")
    assert a.reads == {"orders", "customers"}
    assert a.joins == frozenset()


def test_cte_names_are_not_tables():
    a = access("WITH recent AS (SELECT * FROM orders WHERE ts > now()) SELECT * FROM recent JOIN customers c ON true")
    assert a.operation == "SELECT"
    assert a.reads == {"orders", "customers"}
    assert a.joins == {("customers", "orders")}  # recent is not a table: it stands for orders


def test_a_join_through_a_cte_pairs_its_base_tables():
    a = access("WITH o AS (SELECT * FROM orders) SELECT o.id, i.total FROM o JOIN invoices i ON i.order_id = o.id")
    assert a == TableAccess("SELECT", reads=frozenset({"orders", "invoices"}), joins=frozenset({("invoices", "orders")}))


def test_a_join_through_a_derived_table_pairs_its_base_tables():
    a = access("SELECT * FROM (SELECT id FROM orders WHERE paid) o JOIN invoices i ON i.order_id = o.id")
    assert a.joins == {("invoices", "orders")}
    b = access("SELECT * FROM orders o, LATERAL (SELECT * FROM order_lines l WHERE l.order_id = o.id) x")
    assert b.joins == {("order_lines", "orders")}


def test_ctes_resolve_through_each_other_and_set_operations():
    chained = access("WITH a AS (SELECT * FROM orders), b AS (SELECT * FROM a WHERE paid) SELECT * FROM b JOIN invoices i ON i.order_id = b.id")
    assert chained.joins == {("invoices", "orders")}
    union = access("WITH x AS (SELECT id FROM shop_orders UNION ALL SELECT id FROM web_orders) SELECT * FROM x JOIN invoices i ON i.order_id = x.id")
    assert union.joins == {("invoices", "shop_orders"), ("invoices", "web_orders")}  # the union's branches are not joined


def test_a_cte_stands_for_the_tables_its_rows_come_from_not_its_filters():
    a = access("WITH v AS (SELECT * FROM orders WHERE customer_id IN (SELECT id FROM vip)) SELECT * FROM v JOIN invoices i ON i.order_id = v.id")
    assert a.reads == {"orders", "vip", "invoices"}
    assert a.joins == {("invoices", "orders")}


def test_a_recursive_cte_resolves_without_looping():
    a = access(
        "WITH RECURSIVE tree AS (SELECT id FROM categories WHERE parent_id IS NULL "
        "UNION ALL SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id) "
        "SELECT * FROM tree JOIN products p ON p.category_id = tree.id"
    )
    assert a.reads == {"categories", "products"}
    assert a.joins == {("categories", "products")}


def test_update_from_a_cte_pairs_the_target_with_the_cte_tables():
    a = access("WITH totals AS (SELECT order_id, sum(amount) AS s FROM payments GROUP BY order_id) "
               "UPDATE orders o SET paid = t.s FROM totals t WHERE t.order_id = o.id")
    assert a == TableAccess("UPDATE", frozenset({"payments"}), frozenset({"orders"}), frozenset({("orders", "payments")}))


def test_cte_with_delete_writes_its_target():
    a = access("WITH gone AS (DELETE FROM carts WHERE ts < now() RETURNING *) INSERT INTO carts_archive SELECT * FROM gone")
    assert a.operation == "INSERT"
    assert a.writes == {"carts", "carts_archive"}
    assert a.reads == frozenset()


def test_for_update_of_alias_locks_the_aliased_table():
    a = access("SELECT * FROM accounts a JOIN branches b ON b.id = a.branch_id WHERE a.id = 1 FOR UPDATE OF a")
    assert a.writes == {"accounts"}
    assert a.reads == {"branches"}
    assert a.joins == {("accounts", "branches")}


@pytest.mark.parametrize("lock", ["FOR UPDATE", "FOR NO KEY UPDATE"])
def test_row_locks_without_of_lock_every_table_of_the_from_clause(lock):
    a = access(f"SELECT * FROM jobs WHERE state = 'ready' LIMIT 1 {lock} SKIP LOCKED")
    assert a == TableAccess("SELECT", writes=frozenset({"jobs"}))


@pytest.mark.parametrize("lock", ["FOR SHARE", "FOR KEY SHARE", "FOR SHARE OF j", "FOR KEY SHARE OF j NOWAIT"])
def test_share_locks_are_reads(lock):
    a = access(f"SELECT * FROM jobs j WHERE state = 'ready' {lock}")
    assert a == TableAccess("SELECT", reads=frozenset({"jobs"}))


def test_foreign_key_check_of_postgres_reads_the_referenced_table():
    # what PostgreSQL runs inside an INSERT into a referencing table (pg_stat_statements text)
    sql = 'SELECT 1 FROM ONLY "public"."customers" x WHERE "id" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x'
    assert access(sql) == TableAccess("SELECT", reads=frozenset({"customers"}))


def test_update_lock_beside_a_share_lock_writes_only_its_own_tables():
    a = access("SELECT * FROM accounts a JOIN branches b ON b.id = a.branch_id FOR UPDATE OF a FOR SHARE OF b")
    assert a.writes == {"accounts"} and a.reads == {"branches"}


def test_delete_alias_and_using():
    a = access("DELETE FROM sessions AS s USING users u WHERE s.user_id = u.id AND u.banned")
    assert a.operation == "DELETE"
    assert a.writes == {"sessions"}
    assert a.reads == {"users"}
    assert a.joins == {("sessions", "users")}


def test_mysql_multi_table_delete_writes_the_aliased_table():
    a = access("DELETE a FROM sessions a WHERE a.ts < NOW()", dialect="mysql")
    assert a == TableAccess("DELETE", writes=frozenset({"sessions"}))
    b = access("DELETE s FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.banned = 1", dialect="mysql")
    assert b == TableAccess("DELETE", frozenset({"users"}), frozenset({"sessions"}), frozenset({("sessions", "users")}))
    c = access("DELETE t1, t2 FROM t1 JOIN t2 ON t1.id = t2.id WHERE t1.x = 1", dialect="mysql")
    assert c == TableAccess("DELETE", writes=frozenset({"t1", "t2"}), joins=frozenset({("t1", "t2")}))
    d = access("DELETE FROM a1 USING t1 AS a1 JOIN t2 ON a1.id = t2.id WHERE t2.x = 1", dialect="mysql")
    assert d == TableAccess("DELETE", frozenset({"t2"}), frozenset({"t1"}), frozenset({("t1", "t2")}))


def test_mysql_delete_modifiers_are_not_tables():
    assert access("DELETE LOW_PRIORITY FROM sessions WHERE id = 1", dialect="mysql") == \
        TableAccess("DELETE", writes=frozenset({"sessions"}))


def test_mysql_replace_writes_its_target_and_reads_its_source():
    a = access("REPLACE INTO daily_totals SELECT day, sum(amount) FROM payments GROUP BY day", dialect="mysql")
    assert a == TableAccess("INSERT", frozenset({"payments"}), frozenset({"daily_totals"}), approximate=True)
    b = access("REPLACE INTO settings (k, v) VALUES ('a', 1)", dialect="mysql")
    assert b == TableAccess("INSERT", writes=frozenset({"settings"}), approximate=True)


def test_a_bare_command_falls_back_to_the_token_scan():
    # sqlglot reads these as a Command holding the rest of the text
    a = access("REPLACE t SELECT * FROM u", dialect="mysql")
    assert (a.operation, a.reads, a.writes, a.approximate) == ("INSERT", {"u"}, {"t"}, True)
    assert access("OPTIMIZE TABLE t", dialect="mysql") == TableAccess("OTHER", approximate=True)
    # DDL stays DDL, without table access
    assert access("CREATE EXTENSION pg_stat_statements") == TableAccess("DDL", ddl=True)


def test_token_scan_never_takes_an_alias_for_a_table():
    a = table_access("delete a from sessions a where a.ts < ?", "mysql", max_parse_chars=10)
    assert a == TableAccess("DELETE", writes=frozenset({"sessions"}), approximate=True)
    b = table_access("delete from a1 using t1 as a1 join t2 on a1.id = t2.id", "mysql", max_parse_chars=10)
    assert (b.reads, b.writes) == ({"t2"}, {"t1"})
    c = table_access("delete t1, t2 from t1 join t2 on t1.id = t2.id", "mysql", max_parse_chars=10)
    assert (c.reads, c.writes) == (frozenset(), {"t1", "t2"})
    d = table_access("delete quick ignore s from sessions s join users u on u.id = s.user_id", "mysql", max_parse_chars=10)
    assert (d.reads, d.writes) == ({"users"}, {"sessions"})


def test_update_from():
    a = access("UPDATE stock s SET qty = s.qty - l.qty FROM order_lines l WHERE l.product_id = s.product_id")
    assert a == TableAccess("UPDATE", frozenset({"order_lines"}), frozenset({"stock"}), frozenset({("order_lines", "stock")}))


def test_insert_select_reads_source_and_writes_target():
    a = access("INSERT INTO invoice_lines (invoice_id, amount) SELECT 7, amount FROM order_lines WHERE order_id = 3")
    assert a == TableAccess("INSERT", frozenset({"order_lines"}), frozenset({"invoice_lines"}))


def test_insert_on_conflict():
    a = access("INSERT INTO counters (k, n) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = counters.n + 1")
    assert a == TableAccess("INSERT", writes=frozenset({"counters"}))


def test_merge():
    a = access("MERGE INTO stock t USING deliveries d ON t.id = d.id WHEN MATCHED THEN UPDATE SET qty = t.qty + d.qty")
    assert a == TableAccess("MERGE", frozenset({"deliveries"}), frozenset({"stock"}), frozenset({("deliveries", "stock")}))


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("COPY country FROM '/tmp/country.csv'", TableAccess("COPY", writes=frozenset({"country"}))),
        ("COPY public.country (code, name) FROM STDIN WITH (FORMAT csv)", TableAccess("COPY", writes=frozenset({"country"}))),
        ("COPY country TO STDOUT (DELIMITER '|')", TableAccess("COPY", reads=frozenset({"country"}))),
        ("COPY (SELECT * FROM a JOIN b ON a.id = b.id) TO STDOUT", TableAccess("COPY", frozenset({"a", "b"}), joins=frozenset({("a", "b")}))),
    ],
)
def test_copy(sql, expected):
    assert access(sql) == expected


def test_truncate_is_a_write():
    assert access("TRUNCATE TABLE carts, sessions") == TableAccess("DELETE", writes=frozenset({"carts", "sessions"}))


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE invoices (id int PRIMARY KEY, order_id int REFERENCES orders(id))",
        "ALTER TABLE invoices ADD CONSTRAINT fk FOREIGN KEY (order_id) REFERENCES orders (id)",
        "DROP TABLE invoices",
        "CREATE INDEX invoices_order ON invoices (order_id)",
        "CREATE TABLE x AS SELECT * FROM orders",
    ],
)
def test_ddl_has_no_reads_or_writes(sql):
    assert access(sql) == TableAccess("DDL", ddl=True)


def test_schema_qualification_and_search_path():
    a = access('SELECT * FROM public.orders JOIN billing.invoices i ON true JOIN "Customers" ON true')
    assert a.reads == {"orders", "billing.invoices", "customers"}
    b = access("SELECT * FROM public.orders JOIN billing.invoices i ON true", search_path=("public", "billing"))
    assert b.reads == {"orders", "invoices"}


def test_table_valued_functions_are_not_tables():
    a = access("SELECT * FROM generate_series(1, 10) g JOIN orders o ON o.id = g, unnest(ARRAY[1,2]) u")
    assert a.reads == {"orders"}
    assert a.joins == frozenset()


@pytest.mark.parametrize("sql", ["BEGIN", "COMMIT", "SET work_mem TO '64MB'", "SHOW search_path", "EXPLAIN ANALYZE SELECT * FROM orders", "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", "VACUUM orders"])
def test_statements_without_table_access(sql):
    a = access(sql)
    assert a.operation == "OTHER"
    assert not (a.reads or a.writes or a.joins)


def test_declare_cursor_takes_its_query():
    assert access("DECLARE c CURSOR WITH HOLD FOR SELECT * FROM orders") == TableAccess("SELECT", reads=frozenset({"orders"}))


def test_several_statements_are_combined():
    a = access("BEGIN; UPDATE stock SET qty = 1; INSERT INTO moves SELECT * FROM stock; COMMIT")
    assert a.operation == "UPDATE"
    assert a.writes == {"stock", "moves"}
    assert a.reads == {"stock"}


def test_placeholders_sqlglot_reads_differently_still_parse():
    assert not access("SELECT '1'::int, interval '1 day', x FROM s.t").approximate
    assert not access("SELECT substring(name, 1, 2) = 'x' FROM t LIMIT 1").approximate


def test_unparsable_text_falls_back_to_a_token_scan():
    a = table_access("select from where (( from orders join customers on insert into audit")
    assert a.approximate
    assert a.reads == {"orders", "customers"}
    assert a.writes == {"audit"}
    assert a.joins == frozenset()


def test_token_scan_for_long_texts():
    a = table_access("update stock set qty = ? from moves where " + " and ".join(["x = ?"] * 10), max_parse_chars=20)
    assert a.approximate
    assert a.operation == "UPDATE"
    assert a.writes == {"stock"}
    assert a.reads == {"moves"}


def test_empty_text():
    assert table_access("") == TableAccess("OTHER")


def test_sqltext_does_not_import_sources():
    tree = ast.parse(Path(__file__).resolve().parents[2].joinpath("analysis/sources/sqltext.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith("analysis.sources") for m in imported)


def test_logs_and_traces_get_the_same_fingerprint_with_or_without_the_tags():
    # the SQL log strips the sqlcommenter comment first; a span's statement may keep it
    sql = f"SELECT * FROM orders WHERE id = 5 /*route='%2Forders',traceparent='{TRACEPARENT}'*/;"
    assert normalize(sql) == normalize(strip_sqlcommenter(sql)[0]) == "select * from orders where id = ?"


@pytest.mark.parametrize(
    "statement",
    [
        'SELECT * FROM "orders" WHERE "orders"."id" = %s AND "orders"."state" IN (%s, %s) LIMIT 21',  # pyformat (psycopg)
        'SELECT * FROM "orders" WHERE "orders"."id" = %(pk)s AND "orders"."state" IN (%(a)s, %(b)s) LIMIT %(n)s',  # named pyformat
        'SELECT * FROM "orders" WHERE "orders"."id" = ? AND "orders"."state" IN (?, ?) LIMIT ?',  # qmark (JDBC, sqlite)
        'SELECT * FROM "orders" WHERE "orders"."id" = :pk AND "orders"."state" IN (:a, :b) LIMIT :n',  # named (SQLAlchemy)
        'SELECT * FROM "orders" WHERE "orders"."id" = $1 AND "orders"."state" IN ($2, $3) LIMIT $4',  # numbered (server side)
        "SELECT * FROM \"orders\" WHERE \"orders\".\"id\" = 7 AND \"orders\".\"state\" IN ('new', 'paid') LIMIT 21",  # as logged
    ],
)
def test_placeholders_of_every_paramstyle_normalize_like_the_literals(statement):
    expected = 'select * from "orders" where "orders"."id" = ? and "orders"."state" in (?) limit ?'
    assert normalize(statement) == expected
    assert normalize(statement.replace('"', "`"), dialect="mysql") == expected.replace('"', "")


def test_colons_and_percent_that_are_not_placeholders_stay():
    assert normalize("SELECT a::text, b[1:2], c % 2, d %% 3, e := 1 FROM t") == "select a::text, b[?:?], c % ?, d %% ?, e := ? from t"


@pytest.mark.parametrize(
    "statements, normalized",
    [
        (['SAVEPOINT "s140234_x1"', 'SAVEPOINT "s139920_x17"'], 'savepoint "s?_x?"'),
        (['RELEASE SAVEPOINT "s140234_x1"', 'release savepoint "s7_x2"'], 'release savepoint "s?_x?"'),
        (["ROLLBACK TO SAVEPOINT s140234_x1", "ROLLBACK TO SAVEPOINT s7_x2"], "rollback to savepoint s?_x?"),
        (['FETCH FORWARD 2000 FROM "_django_curs_140234_sync_3"', 'FETCH FORWARD 2000 FROM "_django_curs_139920_sync_41"'],
         'fetch forward ? from "_django_curs_?_sync_?"'),
        (['CLOSE "_django_curs_140234_sync_3"', 'CLOSE "_django_curs_1_sync_1"'], 'close "_django_curs_?_sync_?"'),
        (["MOVE 5 IN c_1", "move 9 in c_22"], "move ? in c_?"),
        (["PREPARE pdo_stmt_00000003 (int) AS SELECT * FROM t WHERE id = $1", "PREPARE pdo_stmt_0000000a (int) AS SELECT * FROM t WHERE id = $1"],
         "prepare pdo_stmt_? (int) as select * from t where id = ?"),
        (["EXECUTE S_1(5)", "EXECUTE S_12(7)"], "execute s_?(?)"),
        (["DEALLOCATE __asyncpg_stmt_2b__", "DEALLOCATE __asyncpg_stmt_3c__"], "deallocate __asyncpg_stmt_?__"),
    ],
)
def test_generated_savepoint_cursor_and_statement_names_share_one_fingerprint(statements, normalized):
    assert {normalize(s) for s in statements} == {normalized}


def test_names_written_by_hand_and_keywords_stay():
    assert normalize("FETCH ALL FROM my_cursor") == "fetch all from my_cursor"
    assert normalize("CLOSE ALL") == "close all" and normalize("DEALLOCATE ALL") == "deallocate all"
    assert normalize("SAVEPOINT before_import") == "savepoint before_import"


def test_a_declared_cursor_counts_as_its_query():
    query = 'SELECT "dcim_site"."id", "dcim_region"."name" FROM "dcim_site" INNER JOIN "dcim_region" ON ("dcim_site"."region_id" = "dcim_region"."id") WHERE "dcim_site"."id" IN (1, 2)'
    for declare in ('DECLARE "_django_curs_140234_sync_3" NO SCROLL CURSOR FOR ', 'DECLARE "_django_curs_7_sync_1" NO SCROLL CURSOR WITH HOLD FOR ',
                    "declare c binary insensitive scroll cursor without hold for "):
        assert fingerprint(normalize(declare + query)) == fingerprint(normalize(query))
    access = table_access(normalize('DECLARE "_django_curs_1_sync_1" NO SCROLL CURSOR FOR ' + query))
    assert access.operation == "SELECT" and access.reads == {"dcim_site", "dcim_region"}
    assert access.joins == {("dcim_region", "dcim_site")}


def test_end_comments_and_lifted_traceparents():
    from analysis.sources.sqltext import comment_bodies, end_comments, lift_traceparents, tags_with_traceparent_at

    sql = f'SELECT "t"."id" FROM "t" WHERE "t"."id" = 3 {DJANGO_COMMENT} {PSYCOPG_COMMENT};'
    statement, comments = end_comments(sql)
    assert statement == 'SELECT "t"."id" FROM "t" WHERE "t"."id" = 3'
    assert comments == f"{DJANGO_COMMENT} {PSYCOPG_COMMENT};"
    shape, values = lift_traceparents(comments)
    assert values == ("00-5f0c1e2d3b4a59687766554433221100-1a2b3c4d5e6f7081-03",
                      "00-5f0c1e2d3b4a59687766554433221100-9f8e7d6c5b4a3921-03")
    assert "5f0c1e2d" not in shape and shape.count("traceparent=''") == 2
    tags, at = tags_with_traceparent_at(comment_bodies(shape))
    assert (tags["route"], at) == ("dcim/devices/<int:pk>/", 0)
    assert end_comments("SELECT 1") == ("SELECT 1", "")
    assert end_comments("/*controller:orders*/ SELECT 1") == ("SELECT 1", "/*controller:orders*/")
    assert end_comments("SELECT /*+ hint */ 1 /*x='1'*/") == ("SELECT /*+ hint */ 1", "/*x='1'*/")
    assert end_comments("SELECT '/*' || x") == ("SELECT '/*' || x", "")


@pytest.mark.parametrize("sql", [
    'DECLARE "_django_curs_140234_sync_3" NO SCROLL CURSOR WITH HOLD FOR SELECT "a"."id" FROM "a" WHERE "a"."x" = 5',
    'FETCH FORWARD 2000 FROM "_django_curs_140234_sync_3"', 'close "_django_curs_1_sync_2"', 'SAVEPOINT "s140234_x1"',
    "ROLLBACK TO SAVEPOINT s1_x2", "EXECUTE S_12(5)", "DEALLOCATE PREPARE lrupsc_1_0", "FETCH ALL FROM my_cursor", "SELECT 1",
])
def test_canonical_names_normalize_like_the_text_they_stand_for(sql):
    from analysis.sources.sqltext import canonical_names

    canonical = canonical_names(sql)
    assert normalize(canonical) == normalize(sql)
    if not sql.startswith("SELECT"):  # the name before FOR / ( holds no counter any more
        assert not any(c.isdigit() for c in canonical.split(" FOR ")[0].split("(")[0].replace("2000", ""))


# --------------------------------------------------------------------------------------
# a SELECT list of column names, not read by sqlglot


@pytest.mark.parametrize("text, expected", [
    ('select "t"."id", "t"."name" as "n" from "t" where "t"."id" = ?', 'select * from "t" where "t"."id" = ?'),
    ("select distinct a, b.c, s.t.c from t", "select distinct * from t"),
    ('select "a select b from" from t', "select * from t"),  # one quoted name, whatever it holds
    ("select a, (select x from y) from t", "select a, (select * from y) from t"),  # a subquery stays
    ("select count(*) from t", "select count(*) from t"),
    ("select a b from t", "select a b from t"),  # an alias without AS: left to sqlglot
    ("select a from t where x = 'select b from u'", "select a from t where x = 'select b from u'"),  # a string: untouched
    ('select "a""b" from t', 'select "a""b" from t'),
    ('select "x", "select y from" from t', "select * from t"),
])
def test_a_select_list_of_column_names_is_not_parsed(text, expected):
    from analysis.sources.sqltext import _without_column_lists

    assert _without_column_lists(text) == expected


def _queries_of_logs(sample: Path) -> list[str]:
    """The distinct normalized queries of the sample's log and of the public PostgreSQL fixtures."""
    from analysis.core.config import SqlSource
    from analysis.core.rejects import Rejects
    from analysis.sources.sql.miner import mine_sql_log

    sources = [SqlSource(sample / "logs/postgresql.log")]
    fixtures = Path("/work/shared/fixtures/public/pg_logs_pgbadger_fixtures")
    if fixtures.is_dir():
        sources += [SqlSource(fixtures / name, format="auto") for name in ("stmt_type.log", "begin_end.log", "queryid.log.gz")]
    texts: set[str] = set()
    for source in sources:
        texts |= set(mine_sql_log(source, Rejects()).frames["queries"]["normalized"])
    return sorted(texts)


TRICKY_LISTS = [
    'select "o"."id", "o"."total" from "orders" "o" inner join "customers" "c" on ("o"."customer_id" = "c"."id") where "c"."id" = ? for update of "o"',
    'select "o"."id" from "orders" "o" where "o"."id" in (select "i"."order_id" from "invoices" "i")',
    'with "x" as (select "a"."id" from "a") select "x"."id" from "x", "b"',
    'select distinct "t"."id" from "t" union all select "u"."id" from "u" for share',
    'insert into "log" ("id", "at") select "e"."id", "e"."at" from "events" "e"',
    'select "d"."id", (select count(*) from "i" where "i"."d" = "d"."id") as "n" from "d"',
    "select a, b from s.t, lateral (select c from u where u.a = t.a) l",
    'select "t"."id" into "copy" from "t"',
]


def test_the_tables_of_a_query_are_those_of_its_full_parse(monkeypatch, tmp_path):
    """Reading ``select * from`` for a list of column names changes no query's table access:
    on every query of the sample and of the public fixture logs, and on the tricky shapes."""
    from seams_sample import build_sample

    sample = Path(build_sample(tmp_path / "sample", seed=7, scale="small")).parent
    texts = _queries_of_logs(sample) + TRICKY_LISTS
    collapsed = [t for t in texts if sqltext._without_column_lists(t) != t]
    assert len(collapsed) >= 10  # the comparison covers lists that were read as *
    plain = sqltext.table_access.__wrapped__
    fast = [plain(t) for t in texts]
    monkeypatch.setattr(sqltext, "_without_column_lists", lambda text: text)
    assert fast == [plain(t) for t in texts]
