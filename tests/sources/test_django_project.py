"""A Django project's layout from literal source texts: app folders, labels, test-only apps."""

import ast
import textwrap

from analysis.sources.django_project import (
    NO_PROJECT,
    DjangoProject,
    app_config_label,
    app_folder,
    django_project,
    installed_apps,
    is_layout_file,
    is_test_settings,
    read_django_project,
)


def tree(text):
    return ast.parse(textwrap.dedent(text))


def test_app_folders():
    assert app_folder("netbox/dcim/models.py") == "netbox/dcim"
    assert app_folder("netbox/extras/models/models.py") == "netbox/extras"
    assert app_folder("netbox/extras/models/tags.py") == "netbox/extras"
    assert app_folder("models.py") is None and app_folder("models/x.py") is None and app_folder("a/views.py") is None


def test_the_label_an_app_config_declares():
    assert app_config_label(tree("""\
        from django.apps import AppConfig

        class ShopConfig(AppConfig):
            name = "shop.orders"
        """)) is None
    assert app_config_label(tree("""\
        from django import apps

        class Plain(apps.AppConfig):
            label = "plain"

        class Chosen(apps.AppConfig):
            label = "chosen"
            default = True

        class NotAConfig:
            label = "ignored"
        """)) == "chosen"


def test_installed_apps_in_every_form():
    assert installed_apps(tree("""\
        INSTALLED_APPS = ["django.contrib.auth", "shop.orders.apps.OrdersConfig"] + ["shop.billing"]
        INSTALLED_APPS += ("shop.extra",)
        INSTALLED_APPS.append("shop.tests")
        PLUGINS: list = ["netbox.tests.dummy_plugin"]
        OTHER = ["not.an.app"]
        """)) == ["django.contrib.auth", "shop.orders", "shop.billing", "shop.extra", "shop.tests", "netbox.tests.dummy_plugin"]


def test_test_settings_and_layout_files():
    assert is_test_settings("netbox/netbox/configuration_testing.py") and is_test_settings("shop/settings/test.py")
    assert is_test_settings("shop/test_settings.py") and is_test_settings("saleor/tests/settings.py")
    assert not is_test_settings("shop/settings.py") and not is_test_settings("shop/latest_settings.py")
    assert is_layout_file("shop/orders/apps.py") and is_layout_file("shop/settings/base.py")
    assert is_layout_file("netbox/netbox/configuration_testing.py") and not is_layout_file("shop/orders/views.py")


def test_test_only_apps():
    project = django_project([
        ("shop/settings.py", tree('INSTALLED_APPS = ["shop.orders", "shop.fixtures_shared"]')),
        ("shop/settings_test.py", tree('INSTALLED_APPS = ["shop.orders", "shop.fixtures_shared", "shop.fakes"]')),
        ("shop/orders/apps.py", tree("from django.apps import AppConfig\nclass C(AppConfig):\n    label = 'sales'")),
    ])
    assert project == DjangoProject({"shop/orders": "sales"}, ("shop.fakes",))
    assert project.is_test_only("src/shop/fakes/models.py")  # under a source root too
    assert project.is_test_only("shop/orders/tests/models.py") and project.is_test_only("shop/testing/urls.py")
    assert not project.is_test_only("shop/orders/models.py") and not project.is_test_only("shop/fakes_real/models.py")
    assert not project.is_test_only("test_models.py")  # a file named test, not a folder
    assert project.label_of("shop/orders/models/order.py") == "sales" and project.label_of("shop/billing/models.py") == "billing"
    assert project.label_of_module("shop.orders.models") == "sales" and project.label_of_module("orders.models.x") == "sales"
    assert project.label_of_module("shop.billing.models") == "billing" and project.label_of_module("shop.views") is None
    assert NO_PROJECT.label_of("a/b/models.py") == "b"


def test_reading_the_layout_skips_what_cannot_be_read():
    texts = {"a/apps.py": "from django.apps import AppConfig\nclass C(AppConfig):\n    label = 'x'\n",
             "b/apps.py": None, "c/settings.py": "INSTALLED_APPS = [", "d/models.py": "INSTALLED_APPS = ['never.read']"}
    project = read_django_project(texts, texts.get)
    assert project == DjangoProject({"a": "x"}, ())
