"""Imports of the tree-sitter languages: exact edges and classifications on one fixture project
per language family (tests/fixtures/code_imports/<lang>/), each list checked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.rejects import Rejects
from analysis.sources.code_imports import mine_code_imports

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "code_imports"


def mine(lang: str, **options):
    rejects = Rejects()
    result = mine_code_imports(ImportsSource(FIXTURES / lang, **options), rejects)
    frames.check(result.frames["imports"], "imports")
    frames.check(result.frames["unresolved_imports"], "unresolved_imports")
    return result, rejects


def edges(result) -> list[tuple]:
    f = result.frames["imports"]
    return sorted(zip(f["importer_path"], f["imported_path"], f["line"], f["kind"]))


def outside(result) -> list[tuple]:
    f = result.frames["unresolved_imports"]
    return sorted(zip(f["importer_path"], f["line"], f["target"], f["classification"]))


J = "src/main/java/com/shop/"
K = "src/main/kotlin/com/shop/"


def test_java_and_kotlin():
    result, rejects = mine("java")
    assert edges(result) == sorted([
        (J + "billing/Invoice.java", J + "orders/Order.java", 3, "static"),  # single import
        (J + "billing/Invoice.java", J + "orders/LineItem.java", 4, "static"),  # wildcard, type used
        (J + "billing/Invoice.java", J + "util/Money.java", 5, "static"),  # static member import
        (J + "billing/Invoice.java", J + "billing/Refund.java", 14, "static"),  # same package
        (J + "billing/Refund.java", J + "billing/Invoice.java", 4, "static"),  # same package, nested type
        (J + "orders/Order.java", J + "billing/Invoice.java", 3, "static"),  # import of a nested type
        (J + "orders/LineItem.java", J + "orders/Order.java", 5, "static"),  # after the syntax error
        (K + "orders/Shipping.kt", J + "billing/Invoice.java", 3, "static"),  # aliased import
        (K + "orders/Shipping.kt", J + "util/Money.java", 4, "static"),  # wildcard
        (K + "orders/Shipping.kt", J + "orders/Order.java", 8, "static"),  # same package, other language
    ])
    assert outside(result) == sorted([
        (J + "billing/Invoice.java", 6, "java.util.List", "stdlib"),
        (J + "billing/Invoice.java", 7, "org.springframework.stereotype.Service", "third_party"),
        (J + "billing/Invoice.java", 8, "com.shop.generated.Proto", "unresolved"),
        (K + "orders/Shipping.kt", 5, "kotlinx.coroutines.launch", "third_party"),
        (K + "orders/Shipping.kt", 6, "kotlin.math.max", "stdlib"),
    ])
    assert [(r.location, r.reason) for r in rejects.records] == [
        (J + "orders/LineItem.java:4", "syntax error: missing ')'")]
    assert result.records_read == 6 and result.records_rejected == 1
    imports = result.frames["imports"]
    assert set(imports.loc[imports["importer_path"] == K + "orders/Shipping.kt", "importer"]) == {"com.shop.orders.Shipping"}
    assert set(imports.loc[imports["imported_path"] == J + "util/Money.java", "imported"]) == {"com.shop.util.Money"}


def test_csharp():
    result, _ = mine("csharp")
    assert edges(result) == sorted([
        ("Billing/Invoice.cs", "Orders/Order.cs", 3, "static"),  # through `using Shop.Orders`
        ("Billing/Invoice.cs", "Common/Money.cs", 6, "static"),  # alias
        ("Billing/Invoice.cs", "Billing/Refund.cs", 13, "static"),  # same namespace
        ("Billing/Invoice.Tax.cs", "Common/Rates.cs", 5, "static"),  # Common.Rates from namespace Shop
        ("Billing/Refund.cs", "Billing/Invoice.cs", 5, "static"),  # a partial class: both files
        ("Billing/Refund.cs", "Billing/Invoice.Tax.cs", 5, "static"),
        ("Orders/Order.cs", "Common/Money.cs", 1, "static"),  # using static
    ])
    assert outside(result) == sorted([
        ("Billing/Invoice.cs", 1, "System", "stdlib"),
        ("Billing/Invoice.cs", 2, "System.Collections.Generic", "stdlib"),
        ("Billing/Invoice.cs", 4, "Shop.Billing.Generated", "unresolved"),
        ("Billing/Invoice.cs", 5, "Newtonsoft.Json", "third_party"),
    ])


def test_go():
    result, _ = mine("go")
    assert edges(result) == sorted([
        ("cmd/server/main.go", "internal/billing/charge.go", 7, "static"),  # the file declaring Charge
        ("cmd/server/main.go", "internal/orders/order.go", 8, "static"),  # aliased import
        ("cmd/server/main.go", "internal/db/db.go", 9, "static"),  # blank import: the init file
        ("internal/billing/charge.go", "internal/orders/order.go", 3, "static"),
        ("internal/billing/charge.go", "internal/billing/fee.go", 5, "static"),  # same package
        ("internal/billing/fee_test.go", "internal/billing/fee.go", 5, "static"),
    ])
    assert outside(result) == sorted([
        ("cmd/server/main.go", 4, "fmt", "stdlib"),
        ("cmd/server/main.go", 5, "net/http", "stdlib"),
        ("cmd/server/main.go", 10, "example.com/shop/internal/missing", "unresolved"),
        ("cmd/server/main.go", 11, "github.com/google/uuid", "third_party"),
        ("internal/billing/fee_test.go", 3, "testing", "stdlib"),
    ])


CORE, WEB = "packages/core/src/", "packages/web/src/"


def test_javascript_and_typescript():
    result, _ = mine("javascript")
    assert edges(result) == sorted([
        (CORE + "index.ts", CORE + "money.ts", 1, "static"),  # export * from
        (CORE + "index.ts", CORE + "orders/order.ts", 2, "static"),  # export { } from
        (CORE + "orders/index.ts", CORE + "orders/order.ts", 1, "static"),
        (CORE + "orders/order.ts", CORE + "money.ts", 1, "type_checking"),  # import type
        (WEB + "app.tsx", CORE + "index.ts", 2, "static"),  # workspace package, package.json types
        (WEB + "app.tsx", CORE + "money.ts", 3, "static"),  # workspace package subpath
        (WEB + "app.tsx", WEB + "cart.tsx", 4, "static"),  # tsconfig paths alias
        (WEB + "app.tsx", WEB + "styles.css", 5, "static"),  # side-effect import of an asset
        (WEB + "app.tsx", WEB + "util.ts", 6, "static"),  # ./util.js written for util.ts
        (WEB + "app.tsx", CORE + "orders/index.ts", 7, "static"),  # folder index
        (WEB + "app.tsx", WEB + "lazy.js", 10, "static"),  # dynamic import()
        (WEB + "cart.tsx", CORE + "index.ts", 1, "static"),
        (WEB + "lazy.js", WEB + "util.ts", 1, "static"),  # require
    ])
    assert outside(result) == sorted([
        (CORE + "orders/order.ts", 2, "uuid", "third_party"),
        (WEB + "app.tsx", 1, "react", "third_party"),
        (WEB + "app.tsx", 8, "node:fs", "stdlib"),
        (WEB + "app.tsx", 9, "path", "stdlib"),
        (WEB + "app.tsx", 11, "./gone", "unresolved"),
        (WEB + "app.tsx", 12, "@app/nothing", "unresolved"),
    ])
    assert "1 files generated (by name)" in result.notes  # dist/app.min.js
    languages = dict(zip(result.frames["unresolved_imports"]["target"], result.frames["unresolved_imports"]["language"]))
    assert languages["react"] == "typescript"


def test_ruby_requires_and_autoloaded_constants():
    result, rejects = mine("ruby")
    M = "app/models/"
    assert edges(result) == sorted([
        (M + "billing/invoice.rb", M + "application_record.rb", 2, "static"),  # superclass, by convention
        (M + "billing/invoice.rb", M + "orders/order.rb", 6, "static"),  # Orders::Order
        (M + "billing/invoice.rb", M + "billing/refund.rb", 10, "static"),  # Refund inside module Billing
        (M + "billing/refund.rb", M + "application_record.rb", 1, "static"),
        (M + "billing/refund.rb", M + "billing/invoice.rb", 3, "static"),
        (M + "orders/order.rb", M + "application_record.rb", 2, "static"),
        (M + "orders/order.rb", M + "concerns/billable.rb", 3, "static"),  # concerns are a root
        ("app/services/checkout.rb", "lib/shop/pricing.rb", 3, "static"),  # require from lib/
        ("app/services/checkout.rb", "lib/shop/tax.rb", 4, "static"),  # require_relative
        ("app/services/checkout.rb", "lib/shop/pricing.rb", 10, "static"),  # constants
        ("app/services/checkout.rb", "lib/shop/tax.rb", 10, "static"),
        ("app/services/checkout.rb", M + "billing/invoice.rb", 10, "static"),  # ::Billing::Invoice
        ("lib/shop/legacy.rb", "lib/shop/tax.rb", 2, "static"),  # a Latin-1 file
    ])
    assert outside(result) == sorted([
        (M + "application_record.rb", 1, "ActiveRecord::Base", "third_party"),
        (M + "billing/invoice.rb", 10, "Time", "stdlib"),
        (M + "concerns/billable.rb", 2, "ActiveSupport::Concern", "third_party"),
        ("app/services/checkout.rb", 1, "json", "stdlib"),
        ("app/services/checkout.rb", 2, "stripe", "third_party"),
        ("app/services/checkout.rb", 5, "missing_file", "unresolved"),
        ("app/services/checkout.rb", 6, "shop/nothing", "unresolved"),
    ])
    assert "1 files not valid UTF-8 (read as bytes)" in result.notes
    assert rejects.count() == 0


def test_php_namespaces_and_psr4():
    result, _ = mine("php")
    INVOICE = "src/Billing/Invoice.php"
    assert edges(result) == sorted([
        (INVOICE, "src/Orders/Order.php", 5, "static"),
        (INVOICE, "src/Models/Customer.php", 6, "static"),  # grouped use
        (INVOICE, "src/Models/Team.php", 6, "static"),  # grouped use with alias, found through PSR-4 only
        (INVOICE, "src/Support/helpers.php", 10, "static"),  # use function
        (INVOICE, "src/Orders/LineItem.php", 11, "static"),  # Orders\LineItem through `use App\Orders`
        (INVOICE, "src/bootstrap.php", 13, "static"),  # require_once __DIR__ . '/..'
        (INVOICE, "src/Billing/BaseDocument.php", 15, "static"),  # same namespace
        (INVOICE, "src/Contracts/Payable.php", 15, "static"),  # fully qualified
        (INVOICE, "src/Billing/Refund.php", 19, "static"),
        ("src/Billing/Refund.php", "src/Billing/BaseDocument.php", 4, "static"),
        ("tests/InvoiceTest.php", INVOICE, 4, "static"),
    ])
    assert outside(result) == sorted([
        (INVOICE, 7, "Illuminate\\Support\\Str", "third_party"),
        (INVOICE, 8, "Exception", "stdlib"),
        (INVOICE, 9, "App\\Generated\\Proto", "unresolved"),
        ("tests/InvoiceTest.php", 5, "PHPUnit\\Framework\\TestCase", "third_party"),
    ])


@pytest.mark.parametrize("lang, expected", [("java", {"java", "kotlin"}), ("javascript", {"typescript", "javascript"})])
def test_languages_are_recorded_per_file(lang, expected):
    result, _ = mine(lang)
    assert {n.split(":")[0] for n in result.notes if n.split(":")[0] in expected} == expected


def test_a_language_filter_keeps_the_others_out():
    result, _ = mine("java", languages=("kotlin",))
    assert result.records_read == 1
    # Java files are not analysed: the Kotlin file's imports of Java classes now land outside
    # (com.shop.orders is the only package known, so com.shop.billing is not the repository's)
    assert edges(result) == []
    assert ("src/main/kotlin/com/shop/orders/Shipping.kt", 3, "com.shop.billing.Invoice", "third_party") in outside(result)


def test_generated_names_and_the_paused_collector():
    import fnmatch
    import gc

    from analysis.sources.code_imports.facts import paused_gc
    from analysis.sources.code_imports.files import GENERATED_PATTERNS, _generated

    names = ["app.min.js", "app.js", "x.bundle.js", "min.js", "a.d.ts.map", "a.chunk.jsx", ".min.js"]
    fast, slow = _generated(GENERATED_PATTERNS), _generated(["*.min.js", "?.js"])
    assert [fast(n) for n in names] == [any(fnmatch.fnmatchcase(n, p) for p in GENERATED_PATTERNS) for n in names]
    assert [fast(n) for n in names] == [True, False, True, False, True, False, True]
    assert slow("a.js") and not slow("ab.js")
    was = gc.isenabled()
    try:
        gc.enable()
        with paused_gc():
            assert not gc.isenabled()
        assert gc.isenabled()
        gc.disable()
        with paused_gc():
            pass
        assert not gc.isenabled()  # left as it was
    finally:
        (gc.enable if was else gc.disable)()
