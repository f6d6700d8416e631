"""Routes in every framework's shape, brought to one."""

import pytest

from analysis.core.routes import normalize_pattern, normalize_route


@pytest.mark.parametrize(("route", "normalized"), [
    # Django path() and re_path() as opentelemetry-instrumentation-django writes http.route
    ("api/dcim/devices/$", "/api/dcim/devices"),
    ("api/dcim/devices/(?P<pk>[^/.]+)/$", "/api/dcim/devices/{}"),
    ("^api/dcim/devices/(?P<pk>[^/.]+)/$", "/api/dcim/devices/{}"),
    ("api/ipam/prefixes/<int:pk>/available-ips/", "/api/ipam/prefixes/{}/available-ips"),
    ("api/extras/scripts/(?P<pk>(\\d+|[^/]+))/$", "/api/extras/scripts/{}"),
    ("^api/dcim/devices\\.(?P<format>[a-z0-9]+)/?$", "/api/dcim/devices"),  # DRF format suffix
    ("dcim/devices/<int:pk>/", "/dcim/devices/{}"),
    ("search/", "/search"),
    # Flask, FastAPI, Spring, Express, Rails
    ("/orders/<int:order_id>/", "/orders/{}"),
    ("/orders/{order_id}", "/orders/{}"),
    ("/users/:id/cart", "/users/{}/cart"),
    ("/orders(.:format)", "/orders"),
    ("/static/*", "/static/{}"),
    ("/", "/"),
    ("", "/"),
])
def test_routes_of_every_framework_take_one_shape(route, normalized):
    assert normalize_route(route) == normalized


def test_span_rule_patterns_keep_their_globs():
    assert normalize_pattern("/api/dcim/*") == normalize_pattern("api/dcim/*") == "/api/dcim/*"
    assert normalize_pattern("/orders/<int:id>/") == "/orders/{}"


def test_routes_are_displayed_with_their_parameter_names():
    from analysis.core.routes import display_route

    assert display_route("api/dcim/devices/(?P<pk>[^/.]+)/$") == "/api/dcim/devices/{pk}"
    assert display_route("^api/x/(?P<pk>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$") == "/api/x/{pk}"
    assert display_route("api/ipam/prefixes/<int:pk>/available-ips/") == "/api/ipam/prefixes/{pk}/available-ips"
    assert display_route("/users/:id") == "/users/{id}" and display_route("/orders/{order_id}") == "/orders/{order_id}"
