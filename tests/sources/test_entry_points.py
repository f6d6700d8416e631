"""Entry points read from small literal repositories (hand-checked rows)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import ImportsSource
from analysis.core.rejects import Rejects
from analysis.measures.metrics.observability import normalize_route
from analysis.sources.entry_points import django_regex_route, mine_entry_points


def _repo(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def _mine(repo: Path, **options):
    rejects = Rejects()
    result = mine_entry_points(ImportsSource(repo, **options), rejects)
    frame = result.frames["entry_points"]
    frames.check(frame, "entry_points")
    return frame, result, rejects


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame.astype(object).itertuples(index=False)]


def test_empty_repository_gives_empty_frame(tmp_path):
    frame, result, rejects = _mine(tmp_path)
    assert len(frame) == 0 and result.records_read == 0 and rejects.count() == 0


DJANGO = {
    "shop/urls.py": """
        from django.urls import include, path, re_path
        from django.contrib import admin
        urlpatterns = [
            path("orders/", include("shop.orders.urls")),
            path("admin/", admin.site.urls),
            path("api/", include(api_patterns)),
            path("health/", views.health),
        ]
        urlpatterns += [re_path(r"^legacy/(?P<pk>\\d+)/$", views.legacy)]
    """,
    "shop/orders/urls.py": """
        from django.urls import path
        extra = [path("export/", views.export)]
        urlpatterns = [
            path("", views.index),
            path("<int:order_id>/", views.detail),
            path("more/", include(extra)),
        ]
    """,
    "shop/billing/urls.py": """
        urlpatterns = [path("invoices/", views.invoices)]
    """,
}


def test_django_includes_are_joined_and_unresolvable_ones_noted(tmp_path):
    frame, result, _ = _mine(_repo(tmp_path, DJANGO))
    assert _rows(frame) == [
        ("route", "/health/", "shop/urls.py", 8, "django"),
        ("route", "/invoices/", "shop/billing/urls.py", 2, "django"),  # included by nobody: local pattern
        ("route", "/legacy/<pk>/", "shop/urls.py", 10, "django"),
        ("route", "/orders/", "shop/orders/urls.py", 5, "django"),
        ("route", "/orders/<int:order_id>/", "shop/orders/urls.py", 6, "django"),
        ("route", "/orders/more/export/", "shop/orders/urls.py", 3, "django"),
    ]
    assert result.notes[0].endswith("6 routes, 0 jobs, 0 consumers in 3 files")
    assert result.notes[1].endswith(
        "2 of 4 include() calls, imported url lists and router registrations followed (50%); 2 could not be followed and "
        "their routes are missing from the inventory: 1 not readable statically (e.g. shop/urls.py:7 include(api_patterns)); "
        "1 outside the repository (e.g. shop/urls.py:6 admin.site.urls)")
    assert result.counts == {"route_includes": 4, "route_includes_followed": 2}


def test_django_include_by_suffix_and_tuple_form(tmp_path):
    repo = _repo(tmp_path, {
        "src/site/urls.py": 'urlpatterns = [path("shop/", include(("shop.urls", "shop")))]\n',
        "src/shop/urls.py": 'urlpatterns = [path("cart/", view)]\n',
        "src/other/urls.py": 'urlpatterns = [path("x/", include("missing.urls"))]\n',
    })
    frame, result, _ = _mine(repo)
    assert _rows(frame) == [("route", "/shop/cart/", "src/shop/urls.py", 1, "django")]
    assert any("1 outside the repository (e.g. src/other/urls.py:1 include('missing.urls'))" in n for n in result.notes)


def test_django_include_cycle_terminates(tmp_path):
    repo = _repo(tmp_path, {
        "a/urls.py": 'urlpatterns = [path("b/", include("b.urls")), path("x/", v)]\n',
        "b/urls.py": 'urlpatterns = [path("a/", include("a.urls")), path("y/", v)]\n',
    })
    frame, _, _ = _mine(repo)
    # each includes the other, so neither is a root: nothing is reached, nothing loops
    assert len(frame) == 0


def test_django_regex_route():
    assert django_regex_route(r"^orders/(?P<pk>\d+)/$") == "orders/<pk>/"
    assert django_regex_route(r"^a/(?P<slug>[-\w]+)/(?P<n>(\d)+)\Z") == "a/<slug>/<n>"
    assert django_regex_route(r"^\.well-known/jwks\.json$") == ".well-known/jwks.json"


def test_flask_fastapi_celery_and_consumers(tmp_path):
    repo = _repo(tmp_path, {
        "web/app.py": """
            from flask import Blueprint, Flask
            app = Flask(__name__)
            bp = Blueprint("orders", __name__, url_prefix="/orders")

            @app.route("/")
            def index(): ...

            @bp.route("/<int:id>", methods=["GET", "POST"])
            def detail(id): ...

            @cache.get("not-a-route")
            def cached(): ...
        """,
        "api/main.py": """
            from fastapi import APIRouter
            router = APIRouter(prefix="/items")

            @router.get("/{item_id}")
            async def read(item_id): ...

            @router.post(path="/")
            async def create(): ...
        """,
        "jobs/tasks.py": """
            from celery import shared_task
            @shared_task
            def close_invoices(): ...

            @app.task(name="billing.nightly", bind=True)
            def nightly(self): ...

            @task
            def not_celery(): ...
        """,
        "jobs/consumers.py": """
            @broker.subscriber("orders.created")
            async def on_order(msg): ...

            @bus.consumer(queue="payments")
            def on_payment(msg): ...

            @listener
            def anything(msg): ...
        """,
    })
    frame, _, _ = _mine(repo)
    assert _rows(frame) == [
        ("consumer", "jobs.consumers.anything", "jobs/consumers.py", 8, "python"),
        ("consumer", "orders.created", "jobs/consumers.py", 2, "python"),
        ("consumer", "payments", "jobs/consumers.py", 5, "python"),
        ("job", "billing.nightly", "jobs/tasks.py", 6, "celery"),
        ("job", "jobs.tasks.close_invoices", "jobs/tasks.py", 3, "celery"),
        ("route", "/", "web/app.py", 6, "flask"),
        ("route", "/items/", "api/main.py", 8, "fastapi"),
        ("route", "/items/{item_id}", "api/main.py", 5, "fastapi"),
        ("route", "/orders/<int:id>", "web/app.py", 9, "flask"),
    ]


def test_rails_routes(tmp_path):
    repo = _repo(tmp_path, {
        "config/routes.rb": """
            Rails.application.routes.draw do
              root "home#index"
              get "/status", to: "status#show"
              post 'orders/:id/cancel' => "orders#cancel"
              resources :orders
              resource :profile
            end
        """,
        "app/models/order.rb": 'get "/not/a/route"\n',  # only config/routes.rb is read
    })
    frame, _, _ = _mine(repo)
    assert _rows(frame) == [
        ("route", "/", "config/routes.rb", 3, "rails"),
        ("route", "/orders", "config/routes.rb", 6, "rails"),
        ("route", "/orders/:id", "config/routes.rb", 6, "rails"),
        ("route", "/orders/:id/cancel", "config/routes.rb", 5, "rails"),
        ("route", "/profile", "config/routes.rb", 7, "rails"),
        ("route", "/status", "config/routes.rb", 4, "rails"),
    ]


def test_spring_mappings_and_listeners(tmp_path):
    repo = _repo(tmp_path, {
        "src/main/java/shop/OrderController.java": """
            @RestController
            @RequestMapping("/api/orders")
            public class OrderController {
                @GetMapping("/{id}")
                public Order get(@PathVariable long id) { return null; }

                @PostMapping
                public Order create() { return null; }

                @RequestMapping(value = "/search", method = RequestMethod.GET)
                public List<Order> search() { return null; }

                @KafkaListener(topics = "orders.paid", groupId = "g")
                public void paid(String m) {}
            }
        """,
    })
    frame, _, _ = _mine(repo)
    path = "src/main/java/shop/OrderController.java"
    assert _rows(frame) == [
        ("consumer", "orders.paid", path, 14, "spring"),
        ("route", "/api/orders", path, 8, "spring"),
        ("route", "/api/orders/search", path, 11, "spring"),
        ("route", "/api/orders/{id}", path, 5, "spring"),
    ]


def test_bad_files_are_rejected_and_the_rest_read(tmp_path):
    repo = _repo(tmp_path, {
        "a/broken.py": "@app.route('/x'\ndef f(:\n",
        "a/latin.py": "@app.route('/caf\xe9')\n".encode("latin-1"),
        "a/big.py": "@shared_task\ndef big(): ...\n" + "#" * 2000,
        "a/good.py": "@shared_task\ndef ok(): ...\n",
    })
    frame, result, rejects = _mine(repo, max_file_bytes=1000)
    assert _rows(frame) == [("job", "a.good.ok", "a/good.py", 1, "celery")]
    assert rejects.count() == 3 and result.records_rejected == 3
    assert sorted(r.reason for r in rejects.records) == ["Python syntax error", "larger than 1000 bytes", "not UTF-8"]
    assert result.records_read == 2  # broken.py was read, then rejected by the parser


def test_excluded_and_vendored_paths_are_skipped(tmp_path):
    repo = _repo(tmp_path, {
        "node_modules/x/tasks.py": "@shared_task\ndef a(): ...\n",
        "tests/test_tasks.py": "@shared_task\ndef b(): ...\n",
        "app/tasks.py": "@shared_task\ndef c(): ...\n",
    })
    frame, _, _ = _mine(repo, exclude_paths=("tests/**",))
    assert list(frame["name"]) == ["app.tasks.c"]


@pytest.mark.parametrize("declared, traced", [
    ("/orders/<int:order_id>/", "/orders/{order_id}"),
    ("/orders/:id", "/orders/{id}"),
    ("/api/orders/{id}", "/api/orders/{order_id}"),
])
def test_routes_compare_equal_with_span_routes_once_normalized(declared, traced):
    assert normalize_route(declared) == normalize_route(traced)


# --------------------------------------------------------------------------------------
# Django as NetBox writes it: a root urlconf under settings.BASE_PATH, DRF routers,
# includes of functions' results, a test-only plugin

NETBOX = {
    "netbox/netbox/urls.py": """
        from django.conf import settings
        from django.urls import include, path
        from netbox.plugins.urls import plugin_api_patterns
        from . import views

        _patterns = [
            path("", views.HomeView.as_view(), name="home"),
            path("dcim/", include("dcim.urls")),
            path("api/dcim/", include("dcim.api.urls")),
            path("api/extras/", include("extras.api.urls")),
            path("api/plugins/", include((plugin_api_patterns, "plugins-api"))),
            path("oauth/", include("social_django.urls", namespace="social")),
        ]
        urlpatterns = [
            path(settings.BASE_PATH, include(_patterns)),
        ]
    """,
    "netbox/netbox/plugins/urls.py": """
        from django.urls import path
        from . import views

        plugin_api_patterns = [path("installed-plugins/", views.InstalledPluginsAPIView.as_view())]
        for plugin_path in registry["plugins"]["installed"]:
            plugin_api_patterns.append(path(f"{plugin_path}/", include(plugin_path)))
    """,
    "netbox/netbox/api/routers.py": """
        from rest_framework.routers import DefaultRouter

        class NetBoxRouter(DefaultRouter):
            pass
    """,
    "netbox/dcim/api/urls.py": """
        from netbox.api.routers import NetBoxRouter
        from . import views

        router = NetBoxRouter()
        router.APIRootView = views.DCIMRootView
        router.register("sites", views.SiteViewSet)
        router.register("devices", views.DeviceViewSet)

        app_name = "dcim-api"
        urlpatterns = router.urls
    """,
    "netbox/extras/api/urls.py": """
        from django.urls import include, path
        from rest_framework.routers import SimpleRouter
        from . import views

        router = SimpleRouter()
        router.register("tags", views.TagViewSet)

        urlpatterns = [
            path("dashboard/", views.DashboardView.as_view()),
            path("", include(router.urls)),
        ]
    """,
    "netbox/utilities/urls.py": """
        from django.urls import path

        def get_model_urls(app_label, model_name, detail=True):
            paths = []
            for config in registry["views"][app_label][model_name]:
                paths.append(path(config["path"], config["view"]))
            return paths

        def crud_urls():
            urls = [path("edit/", views.edit), path("delete/", views.delete)]
            return urls
    """,
    "netbox/dcim/urls.py": """
        from django.urls import include, path
        from utilities.urls import crud_urls, get_model_urls
        from . import views

        urlpatterns = [
            path("sites/", include(get_model_urls("dcim", "site", detail=False))),
            path("sites/<int:pk>/", include(get_model_urls("dcim", "site"))),
            path("sites/<int:pk>/", include(crud_urls())),
            path("rack-elevations/", views.RackElevationListView.as_view()),
        ]
    """,
    "netbox/netbox/tests/dummy_plugin/urls.py": """
        from django.urls import path
        urlpatterns = [path("models/", views.DummyModelsView.as_view())]
    """,
}


def test_netbox_style_urlconfs_routers_and_function_includes(tmp_path):
    frame, result, _ = _mine(_repo(tmp_path, NETBOX))
    assert sorted(frame["name"]) == [
        "/",
        "/api/dcim/",  # the DefaultRouter's API root
        "/api/dcim/devices/", "/api/dcim/devices/<pk>/",
        "/api/dcim/sites/", "/api/dcim/sites/<pk>/",
        "/api/extras/dashboard/",
        "/api/extras/tags/", "/api/extras/tags/<pk>/",  # a SimpleRouter: no root route
        "/api/plugins/installed-plugins/",  # an imported list, read where it is literal
        "/dcim/rack-elevations/",
        "/dcim/sites/<int:pk>/delete/", "/dcim/sites/<int:pk>/edit/",  # a function returning a literal list
    ]
    api = frame.set_index("name").loc["/api/dcim/devices/<pk>/"]
    assert (api["path"], api["line"]) == ("netbox/dcim/api/urls.py", 8)
    assert "/models/" not in set(frame["name"])
    # 6 includes in the root, 3 registrations, 1 include in extras, 3 in dcim: get_model_urls twice and social_django not followed
    assert result.counts == {"route_includes": 13, "route_includes_followed": 10}
    followed = [n for n in result.notes if "could not be followed" in n]
    assert len(followed) == 1 and followed[0].endswith(
        "10 of 13 include() calls, imported url lists and router registrations followed (77%); 3 could not be followed and "
        "their routes are missing from the inventory: 2 built at run time (e.g. netbox/dcim/urls.py:7 "
        "include(get_model_urls('dcim', 'site', detail=False))); 1 outside the repository (e.g. netbox/netbox/urls.py:13 "
        "include('social_django.urls'))")
    assert any(n.endswith("1 entry points of test-only code left out (test folders, apps only test settings install)")
               for n in result.notes)


def test_a_pattern_whose_route_is_not_a_literal_is_counted(tmp_path):
    repo = _repo(tmp_path, {"app/urls.py": """
        urlpatterns = [path(settings.LOGIN_URL, views.login), path("home/", views.home)]
    """})
    frame, result, _ = _mine(repo)
    assert list(frame["name"]) == ["/home/"] and result.counts == {"route_includes": 0, "route_includes_followed": 0}
    assert result.notes[1].endswith("no include() call or router registration to follow; "
                                    "1 patterns whose route is not a literal (e.g. app/urls.py:2)")
